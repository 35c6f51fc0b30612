//! The maintenance endpoints in the OpenAPI document, and the
//! `Maintenance` response field.

use serde_json::json;
use utoipa::openapi::OpenApi;

/// Paths and schemas merged into the service's document.
pub fn fragment() -> OpenApi {
    let window = json!({"$ref": "#/components/schemas/MaintenanceWindow"});
    let problem = |d: &str| json!({"description": d, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let admin = json!([{"bearer": ["role:admin"]}]);
    let doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "maintenance", "version": "1"},
        "paths": {
            "/v1/maintenance": {"get": {
                "tags": ["maintenance"],
                "operationId": "listMaintenance",
                "summary": "Upcoming, active and recent maintenance windows",
                "description": "Public. While a window is active or starts within `horizon_seconds`, every response also carries the `Maintenance` field (an RFC 9651 List: one String per window, the id, with `start` and `end` Dates, `mode` Token, `active` Boolean and `resources` String parameters).",
                "parameters": [{"name": "If-None-Match", "in": "header", "required": false, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "The windows, soonest first",
                        "headers": {"ETag": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {
                            "type": "object",
                            "required": ["items", "horizon_seconds"],
                            "properties": {
                                "items": {"type": "array", "items": window},
                                "horizon_seconds": {"type": "integer", "description": "How long before its start a window is announced in the `Maintenance` field"}
                            }
                        }}}
                    },
                    "304": {"description": "Not modified"}
                }
            }},
            "/v1/maintenance.ics": {"get": {
                "tags": ["maintenance"],
                "operationId": "maintenanceCalendar",
                "summary": "The schedule as an iCalendar feed (RFC 5545) to subscribe to",
                "responses": {
                    "200": {"description": "One event per window; cancelled ones have STATUS:CANCELLED", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                    "304": {"description": "Not modified"}
                }
            }},
            "/admin/maintenance": {
                "get": {
                    "tags": ["maintenance"], "operationId": "listMaintenanceAdmin",
                    "summary": "Every window, cancelled ones too (role:admin)",
                    "security": admin,
                    "responses": {
                        "200": {"description": "The latest 200 windows", "content": {"application/json": {"schema": {"type": "object", "properties": {"items": {"type": "array", "items": window}}}}}},
                        "401": problem("No bearer token"), "403": problem("Not role:admin")
                    }
                },
                "post": {
                    "tags": ["maintenance"], "operationId": "scheduleMaintenance",
                    "summary": "Schedule a window (role:admin)",
                    "security": admin,
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MaintenanceWindowInput"}}}},
                    "responses": {
                        "201": {"description": "Scheduled", "headers": {"Location": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": window}}},
                        "401": problem("No bearer token"), "403": problem("Not role:admin"),
                        "422": problem("End before start, a start in the past, longer than 7 days, an unknown resource, or an overlap with another window (with pointers)")
                    }
                }
            },
            "/admin/maintenance/{id}": {
                "get": {
                    "tags": ["maintenance"], "operationId": "getMaintenance", "security": admin,
                    "parameters": [id],
                    "responses": {"200": {"description": "The window", "content": {"application/json": {"schema": window}}}, "401": problem("No bearer token"), "403": problem("Not role:admin"), "404": problem("No such window")}
                },
                "patch": {
                    "tags": ["maintenance"], "operationId": "changeMaintenance", "security": admin,
                    "summary": "Change some fields; an active window keeps its start",
                    "parameters": [id],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MaintenanceWindowInput"}}}},
                    "responses": {
                        "200": {"description": "Changed (its revision counts up)", "content": {"application/json": {"schema": window}}},
                        "401": problem("No bearer token"), "403": problem("Not role:admin"),
                        "404": problem("No such window"), "409": problem("The window has ended or was cancelled"), "422": problem("Invalid fields")
                    }
                },
                "delete": {
                    "tags": ["maintenance"], "operationId": "cancelMaintenance", "security": admin,
                    "summary": "Cancel a window (an active one ends now)",
                    "parameters": [id],
                    "responses": {"204": {"description": "Cancelled"}, "401": problem("No bearer token"), "403": problem("Not role:admin"), "404": problem("No such window"), "409": problem("The window has ended or was cancelled")}
                }
            }
        },
        "components": {"schemas": {
            "MaintenanceWindow": {
                "type": "object",
                "required": ["id", "starts_at", "ends_at", "mode", "status", "message", "resources", "revision"],
                "properties": {
                    "id": {"type": "string"},
                    "starts_at": {"type": "string", "format": "date-time"},
                    "ends_at": {"type": "string", "format": "date-time"},
                    "mode": {"type": "string", "enum": ["read_only", "full"], "description": "`read_only`: writes to the affected resources answer 503; `full`: everything but health, metrics and these endpoints answers 503"},
                    "status": {"type": "string", "enum": ["upcoming", "active", "ended", "cancelled"]},
                    "message": {"type": "string"},
                    "resources": {"type": "array", "items": {"type": "string"}, "description": "Affected resource paths; empty: every resource"},
                    "link": {"type": ["string", "null"]},
                    "revision": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"}
                }
            },
            "MaintenanceWindowInput": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "starts_at": {"type": "string", "format": "date-time"},
                    "ends_at": {"type": "string", "format": "date-time"},
                    "mode": {"type": "string", "enum": ["read_only", "full"]},
                    "message": {"type": "string", "minLength": 1, "maxLength": 1000},
                    "resources": {"type": "array", "items": {"type": "string"}},
                    "link": {"type": ["string", "null"], "format": "uri"}
                }
            }
        }}
    });
    let mut doc = doc;
    add_heads(&mut doc);
    answer_common_problems(&mut doc);
    serde_json::from_value(doc).expect("a valid OpenAPI fragment")
}

/// Every GET also answers HEAD (axum serves it): the same operation
/// without bodies.
fn add_heads(doc: &mut serde_json::Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(get) = item.get("get").cloned() else {
            continue;
        };
        let mut head = get;
        let id = format!("{}Head", head["operationId"].as_str().unwrap_or("op"));
        head["operationId"] = json!(id);
        if let Some(responses) = head["responses"].as_object_mut() {
            for r in responses.values_mut() {
                if let Some(r) = r.as_object_mut() {
                    r.remove("content");
                }
            }
        }
        item["head"] = head;
    }
}

/// What every route may answer besides its own: the rate limit (429), a
/// server failure (500) or unavailability (503); with a body, also a
/// malformed one (400) or one too large (413). The shared problem
/// responses of the document are referenced.
fn answer_common_problems(doc: &mut serde_json::Value) {
    let refer = |name: &str| json!({"$ref": format!("#/components/responses/{name}")});
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(ops) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in ops.iter_mut() {
            let responses = op["responses"].as_object_mut().expect("responses");
            let mut common = vec![
                ("429", "RateLimited"),
                ("500", "Internal"),
                ("503", "Unavailable"),
            ];
            if method == "post" || method == "patch" {
                common.extend([("400", "MalformedJson"), ("413", "PayloadTooLarge")]);
            }
            for (status, name) in common {
                responses.entry(status).or_insert_with(|| refer(name));
            }
        }
    }
}
