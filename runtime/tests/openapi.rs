//! The OpenAPI document at `/openapi.json` and the docs page at `/docs`:
//! the document covers every route the server answers, every error is a
//! documented problem, real responses match the documented schemas, and
//! an independent validator accepts it.

mod support;

use axum::body::Body;
use axum::http::Request;
use resourceful::model::ResourceModel;
use resourceful::query::Op;
use resourceful::testing::Backend;
use resourceful::{ApiError, Config};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use support::{Ctx, Resp};
use tower::ServiceExt;

/// Every kind of field and option the model has, for the document alone.
#[allow(dead_code)]
mod gadgets {
    use chrono::NaiveDate;
    use resourceful::prelude::*;
    use uuid::Uuid;

    /// How urgent something is.
    #[api_enum]
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Level {
        Low,
        High,
    }

    /// A thing with every kind of field.
    #[api_resource(path = "gadgets", version = 2, page_size = 10, max_page_size = 20)]
    #[derive(Debug, Clone)]
    pub struct Gadget {
        /// The stock-keeping unit.
        #[api(id)]
        pub sku: String,
        #[api(filter, sort, range(min = -5, max = 100000))]
        pub small: i16,
        #[api(filter, range(min = 0.5))]
        pub ratio: Option<f32>,
        #[api(filter, sort)]
        pub launched_on: Option<NaiveDate>,
        /// Current urgency.
        #[api(filter)]
        pub level: Level,
        #[api(filter)]
        pub fallback: Option<Level>,
        #[api(read_only)]
        pub computed: Option<Level>,
        #[api(read_only)]
        pub score: Option<i64>,
        #[api(hidden)]
        pub secret: Option<String>,
        #[api(skip)]
        pub scratch: i32,
        #[api(filter, rename = "limit")]
        pub limit_value: Option<i32>,
        #[api(filter, relation(resource = "owners", on_delete = "set_null"))]
        pub owner_id: Option<Uuid>,
    }

    #[api_resource(path = "owners")]
    #[derive(Debug, Clone)]
    pub struct Owner {
        #[api(id)]
        pub id: Uuid,
        #[api(filter)]
        pub level: Level,
    }
}

/// The document of an app serving the gadget fixtures.
async fn gadget_document() -> Value {
    let db = resourceful::testing::TestDb::new(Backend::Sqlite).await;
    let server = resourceful::App::new(Config::default())
        .resource::<gadgets::Gadget>()
        .resource::<gadgets::Owner>()
        .build_with_db(db.db.clone())
        .await
        .expect("build");
    let res = server
        .router()
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    db.cleanup().await;
    serde_json::from_slice(&bytes).unwrap()
}

const METHODS: [&str; 8] = [
    "get", "head", "post", "put", "patch", "delete", "options", "trace",
];
const COLLECTION: [&str; 3] = ["get", "head", "post"];
const ITEM: [&str; 5] = ["get", "head", "put", "patch", "delete"];

async fn document(ctx: &Ctx) -> Value {
    let r = ctx.get("/openapi.json").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json
}

fn models(ctx: &Ctx) -> Vec<&'static ResourceModel> {
    ctx.server
        .registry
        .services
        .iter()
        .map(|s| s.model)
        .collect()
}

fn item_path(m: &ResourceModel) -> String {
    format!("{}/{{id}}", m.route())
}

fn set<I: IntoIterator<Item = S>, S: ToString>(i: I) -> BTreeSet<String> {
    i.into_iter().map(|s| s.to_string()).collect()
}

fn methods_of(path_item: &Value) -> BTreeSet<String> {
    set(METHODS.into_iter().filter(|m| path_item.get(*m).is_some()))
}

/// Follows `$ref`s inside the document.
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => deref(
            doc,
            doc.pointer(r.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {r}")),
        ),
        None => v,
    }
}

fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    doc["paths"][path]
        .get(method)
        .unwrap_or_else(|| panic!("{} {path} is not documented", method.to_uppercase()))
}

fn param<'a>(op: &'a Value, name: &str, location: &str) -> Option<&'a Value> {
    op["parameters"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name && p["in"] == location)
}

/// Asserts `resp` is an answer the document lists for this operation,
/// with a media type documented for that status.
fn assert_documented(doc: &Value, path: &str, method: &str, resp: &Resp) {
    let op = operation(doc, path, method);
    let status = resp.status.as_str();
    let documented = op["responses"].get(status).unwrap_or_else(|| {
        panic!(
            "{} {path} answered {status}, which is not documented: {}",
            method.to_uppercase(),
            resp.json
        )
    });
    let documented = deref(doc, documented);
    if resp.raw.is_empty() {
        return;
    }
    let ct = resp
        .header("content-type")
        .expect("a body has a content type");
    let essence = ct.split(';').next().unwrap().trim();
    assert!(
        documented["content"].get(essence).is_some(),
        "{} {path} {status}: media type {essence} is not documented",
        method.to_uppercase()
    );
}

fn error_statuses(doc: &Value, op: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (status, r) in op["responses"].as_object().unwrap() {
        // 431 comes from the HTTP layer before any route: no body.
        if status == "431" {
            assert!(deref(doc, r)["content"].is_null(), "431 has no body");
            continue;
        }
        if status.parse::<u16>().expect("numeric status") >= 400 {
            let problem = &deref(doc, r)["content"]["application/problem+json"];
            assert_eq!(
                problem["schema"]["$ref"], "#/components/schemas/Problem",
                "{status} is not a problem+json response"
            );
            out.insert(status.clone());
        }
    }
    out
}

async fn head(ctx: &Ctx, uri: &str) -> Resp {
    ctx.send(Request::head(uri).body(Body::empty()).unwrap())
        .await
}

async fn send(ctx: &Ctx, method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    ctx.send(b.body(Body::from(body.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn document_is_openapi_3_1() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let doc = document(&ctx).await;
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi is {version}");
    assert_eq!(doc["info"]["title"], resourceful::openapi::DEFAULT_TITLE);
    assert_eq!(
        doc["info"]["version"],
        resourceful::openapi::DEFAULT_VERSION
    );

    // Rendered once: the same bytes every time, revalidated by ETag.
    let a = ctx.get("/openapi.json").await;
    let b = ctx.get("/openapi.json").await;
    assert_eq!(a.raw, b.raw);
    let etag = a.header("etag").expect("etag").to_string();
    let r = send(
        &ctx,
        "GET",
        "/openapi.json",
        &[("if-none-match", &etag)],
        "",
    )
    .await;
    assert_eq!(r.status, 304);
    assert!(r.raw.is_empty());

    // The title and version can be set.
    let router = resourceful::openapi::router_with_info(
        &ctx.server.registry,
        "Tasks API",
        "2.3.0",
        Default::default(),
        &[],
    );
    let res = router
        .oneshot(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    let custom: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(custom["info"]["title"], "Tasks API");
    assert_eq!(custom["info"]["version"], "2.3.0");
    ctx.cleanup().await;
}

/// The expected routes come from the models; the methods each path really
/// serves come from the router itself (its 405 `Allow` header).
#[tokio::test]
async fn every_served_route_is_documented() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let doc = document(&ctx).await;
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in models(&ctx) {
        expected.insert(m.route(), set(COLLECTION));
        expected.insert(item_path(m), set(ITEM));
    }
    expected.insert("/health/live".into(), set(["get"]));
    expected.insert("/health/ready".into(), set(["get"]));
    expected.insert("/metrics".into(), set(["get"]));
    expected.insert("/graphql".into(), set(["get", "post"]));
    // Maintenance windows: announced to everyone, scheduled by admins.
    expected.insert("/v1/maintenance".into(), set(["get", "head"]));
    expected.insert("/v1/maintenance.ics".into(), set(["get", "head"]));
    expected.insert("/admin/maintenance".into(), set(["get", "head", "post"]));
    expected.insert(
        "/admin/maintenance/{id}".into(),
        set(["get", "head", "patch", "delete"]),
    );
    let documented: BTreeMap<String, BTreeSet<String>> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(p, item)| (p.clone(), methods_of(item)))
        .collect();
    assert_eq!(documented, expected);

    let mut probes: Vec<(String, String)> = vec![
        ("/graphql".into(), "/graphql".into()),
        ("/v1/maintenance".into(), "/v1/maintenance".into()),
        ("/admin/maintenance".into(), "/admin/maintenance".into()),
        (
            "/admin/maintenance/{id}".into(),
            "/admin/maintenance/x".into(),
        ),
    ];
    for m in models(&ctx) {
        probes.push((m.route(), m.route()));
        probes.push((item_path(m), format!("{}/1", m.route())));
    }
    for (path, uri) in probes {
        let r = send(&ctx, "TRACE", &uri, &[], "").await;
        assert_eq!(r.status, 405, "{uri}");
        let allow = set(r
            .header("allow")
            .expect("Allow")
            .split(',')
            .map(|s| s.trim().to_lowercase()));
        assert_eq!(
            allow, expected[&path],
            "{path}: the router serves {allow:?}"
        );
    }

    // Operation ids are unique (client generators name methods after them).
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in methods_of(item) {
            let id = item[&m]["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{m} {path} has no operationId"));
            assert!(ids.insert(id.to_string()), "duplicate operationId {id}");
        }
    }
    ctx.cleanup().await;
}

#[tokio::test]
async fn parameters_follow_the_model() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let doc = document(&ctx).await;
    for m in models(&ctx) {
        for method in ["get", "head"] {
            let list = operation(&doc, &m.route(), method);
            for (_, f) in m.exposed().filter(|(_, f)| f.filterable || f.id.is_some()) {
                assert!(
                    param(list, f.api_name, "query").is_some(),
                    "{} {}: no `{}`",
                    method,
                    m.route(),
                    f.api_name
                );
                for op in Op::for_field(&f.ty, f.optional) {
                    let name = format!("{}[{}]", f.api_name, op.name());
                    let p = param(list, &name, "query")
                        .unwrap_or_else(|| panic!("{}: no `{name}`", m.route()));
                    match op {
                        Op::In | Op::NotIn => {
                            assert_eq!(p["schema"]["type"], "array");
                            assert_eq!(p["explode"], false, "{name}: comma-separated");
                        }
                        Op::IsNull => assert_eq!(p["schema"]["type"], "boolean"),
                        Op::Contains | Op::StartsWith | Op::EndsWith => {
                            assert!(p["description"]
                                .as_str()
                                .unwrap()
                                .contains("case-insensitive"))
                        }
                        _ => {}
                    }
                }
            }
            // Fields that are not filterable have no filter parameters.
            for (_, f) in m.exposed().filter(|(_, f)| !f.filterable && f.id.is_none()) {
                assert!(
                    param(list, f.api_name, "query").is_none(),
                    "`{}` is not filterable",
                    f.api_name
                );
            }
            let limit = &param(list, "limit", "query").expect("limit")["schema"];
            assert_eq!(limit["minimum"], 1);
            assert_eq!(limit["maximum"], m.max_page_size);
            assert_eq!(limit["default"], m.page_size);
            let sort = param(list, "sort", "query").expect("sort");
            for (_, f) in m.exposed().filter(|(_, f)| f.sortable) {
                assert!(sort["description"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("`{}`", f.api_name)));
            }
            assert!(sort["schema"]["pattern"].is_string());
            assert!(param(list, "cursor", "query").is_some());
            assert!(param(list, "offset", "query").is_some());
            assert!(param(list, "If-None-Match", "header").is_some());
        }
        let id_ty = deref(
            &doc,
            &operation(&doc, &item_path(m), "get")["parameters"][0]["schema"],
        )
        .clone();
        for method in ITEM {
            let op = operation(&doc, &item_path(m), method);
            let id = param(op, "id", "path")
                .unwrap_or_else(|| panic!("{method} {}: no id", item_path(m)));
            assert_eq!(id["required"], true);
            assert_eq!(deref(&doc, &id["schema"]), &id_ty);
            let conditional = if matches!(method, "get" | "head") {
                "If-None-Match"
            } else {
                "If-Match"
            };
            assert!(
                param(op, conditional, "header").is_some(),
                "{method} {}: no {conditional}",
                item_path(m)
            );
            assert_eq!(
                param(op, "Idempotency-Key", "header").is_some(),
                method == "patch",
                "{method} {}: Idempotency-Key on PATCH only",
                item_path(m)
            );
        }
        let create = operation(&doc, &format!("/v1/{}", m.path), "post");
        assert!(
            param(create, "Idempotency-Key", "header").is_some(),
            "POST /v1/{}",
            m.path
        );
    }
    // The sort pattern admits what the server accepts.
    let sort = param(operation(&doc, "/v1/tasks", "get"), "sort", "query").unwrap();
    let pattern = regex::Regex::new(sort["schema"]["pattern"].as_str().unwrap()).unwrap();
    assert!(pattern.is_match("-priority,title"));
    assert!(pattern.is_match("id"));
    assert!(!pattern.is_match("done"), "done is not sortable");
    ctx.cleanup().await;
}

#[tokio::test]
async fn schemas_follow_the_model() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let doc = document(&ctx).await;
    let s = &doc["components"]["schemas"];
    let task = &s["Task"];
    assert_eq!(task["description"], "A unit of work.");
    assert_eq!(task["properties"]["id"]["readOnly"], true);
    assert_eq!(task["properties"]["id"]["format"], "int64");
    assert_eq!(task["properties"]["title"]["minLength"], 1);
    assert_eq!(task["properties"]["title"]["maxLength"], 200);
    assert_eq!(
        task["properties"]["priority"]["type"],
        json!(["integer", "null"])
    );
    assert_eq!(task["properties"]["priority"]["format"], "int32");
    assert_eq!(task["properties"]["priority"]["minimum"], 1);
    assert_eq!(task["properties"]["priority"]["maximum"], 5);
    assert_eq!(
        task["properties"]["status"]["$ref"],
        "#/components/schemas/Status"
    );
    assert_eq!(s["Status"]["enum"], json!(["todo", "in_progress", "done"]));
    assert!(task["properties"]["project_id"]["description"]
        .as_str()
        .unwrap()
        .contains("References projects.id"));
    assert_eq!(task["properties"]["due"]["type"], json!(["string", "null"]));
    assert_eq!(task["properties"]["due"]["format"], "date-time");
    assert_eq!(
        task["properties"]["code"]["pattern"],
        "^(?:[A-Z]{2,5}-[0-9]+)$"
    );
    assert_eq!(task["properties"]["created_at"]["readOnly"], true);
    assert_eq!(task["properties"]["updated_at"]["readOnly"], true);
    assert_eq!(s["Comment"]["properties"]["id"]["format"], "uuid");
    assert_eq!(
        s["Comment"]["properties"]["score"]["type"],
        json!(["number", "null"])
    );
    assert_eq!(s["Comment"]["properties"]["score"]["format"], "double");
    assert_eq!(s["Project"]["description"], "A project groups tasks.");

    for m in models(&ctx) {
        let object = &s[m.name];
        let exposed = set(m.exposed().map(|(_, f)| f.api_name));
        assert_eq!(
            set(object["properties"].as_object().unwrap().keys()),
            exposed,
            "{}",
            m.name
        );
        assert_eq!(
            set(object["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())),
            exposed
        );

        let create = &s[format!("{}Create", m.name)];
        assert_eq!(
            set(create["properties"].as_object().unwrap().keys()),
            set(m.writable().map(|(_, f)| f.api_name))
        );
        let required = set(m
            .exposed()
            .filter(|(_, f)| f.is_required_on_create())
            .map(|(_, f)| f.api_name));
        assert_eq!(
            set(create["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())),
            required
        );
        assert_eq!(create["additionalProperties"], false);

        // Updates also accept the id echoed back unchanged.
        let mut updatable = set(m
            .exposed()
            .filter(|(_, f)| f.is_client_updatable())
            .map(|(_, f)| f.api_name));
        updatable.insert(m.id_field().api_name.to_string());
        let replace = &s[format!("{}Replace", m.name)];
        assert_eq!(
            set(replace["properties"].as_object().unwrap().keys()),
            updatable
        );
        let patch = &s[format!("{}Patch", m.name)];
        assert_eq!(
            set(patch["properties"].as_object().unwrap().keys()),
            updatable
        );
        assert!(
            patch.get("required").is_none(),
            "nothing is required in a patch"
        );

        let page = &s[format!("{}Page", m.name)];
        assert_eq!(
            page["properties"]["items"]["items"]["$ref"],
            format!("#/components/schemas/{}", m.name)
        );
        assert_eq!(
            page["properties"]["next_cursor"]["type"],
            json!(["string", "null"])
        );
        assert_eq!(page["required"], json!(["items", "next_cursor", "limit"]));

        let patch_op = operation(&doc, &item_path(m), "patch");
        let media = set(patch_op["requestBody"]["content"]
            .as_object()
            .unwrap()
            .keys());
        assert_eq!(
            media,
            set(["application/merge-patch+json", "application/json"])
        );
    }
    ctx.cleanup().await;
}

#[tokio::test]
async fn every_kind_of_field_is_described() {
    let doc = gadget_document().await;
    let s = &doc["components"]["schemas"];
    let g = &s["Gadget"]["properties"];
    assert_eq!(
        s["Gadget"]["description"],
        "A thing with every kind of field."
    );
    assert_eq!(g["sku"]["type"], "string");
    assert!(g["sku"]["description"]
        .as_str()
        .unwrap()
        .starts_with("The stock-keeping unit."));
    assert!(
        g["sku"].get("readOnly").is_none(),
        "a client-chosen id is written on create"
    );
    // An i16 keeps the tighter of its declared range and its type bounds.
    assert_eq!(g["small"]["format"], "int32");
    assert_eq!(g["small"]["minimum"], -5);
    assert_eq!(g["small"]["maximum"], i16::MAX);
    assert_eq!(g["ratio"]["type"], json!(["number", "null"]));
    assert_eq!(g["ratio"]["format"], "float");
    assert_eq!(g["ratio"]["minimum"], 0.5);
    assert_eq!(g["launched_on"]["format"], "date");
    assert_eq!(g["level"]["$ref"], "#/components/schemas/Level");
    assert_eq!(g["level"]["description"], "Current urgency.");
    assert_eq!(s["Level"]["description"], "How urgent something is.");
    assert_eq!(s["Level"]["enum"], json!(["low", "high"]));
    assert_eq!(
        g["fallback"]["oneOf"],
        json!([{ "$ref": "#/components/schemas/Level" }, { "type": "null" }])
    );
    assert_eq!(g["computed"]["readOnly"], true);
    assert_eq!(g["score"]["readOnly"], true);
    assert!(
        g.get("secret").is_none() && g.get("scratch").is_none(),
        "hidden and skipped fields are not exposed"
    );
    assert!(g["owner_id"]["description"]
        .as_str()
        .unwrap()
        .contains("References owners.id"));
    assert!(g["owner_id"]["description"]
        .as_str()
        .unwrap()
        .contains("null"));

    let create = &s["GadgetCreate"];
    assert!(create["required"]
        .as_array()
        .unwrap()
        .contains(&json!("sku")));
    for absent in ["computed", "score", "secret"] {
        assert!(
            create["properties"].get(absent).is_none(),
            "{absent} is not writable"
        );
    }
    assert!(
        s["GadgetReplace"]["required"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r != "sku"),
        "the id cannot change"
    );

    let list = operation(&doc, "/v2/gadgets", "get");
    assert_eq!(
        param(list, "limit", "query").unwrap()["schema"]["maximum"],
        20,
        "`limit` is the page size"
    );
    assert!(
        param(list, "limit[eq]", "query").is_some(),
        "a field named like a reserved parameter keeps `[eq]`"
    );
    assert_eq!(
        param(list, "sku[in]", "query").unwrap()["schema"]["items"]["type"],
        "string"
    );
    let id = param(operation(&doc, "/v2/gadgets/{id}", "get"), "id", "path").unwrap();
    assert_eq!(id["schema"]["type"], "string");
    let names: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        set(names.iter()).len(),
        "parameter names are unique"
    );
}

/// Each operation lists exactly the error statuses its handler can give,
/// every one as `application/problem+json`.
#[tokio::test]
async fn every_error_response_is_a_problem() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let doc = document(&ctx).await;
    let server = ["500", "503"];
    let expect = |extra: &[&'static str]| set(extra.iter().chain(server.iter()));
    // Resource routes are rate limited too.
    let api = |extra: &[&'static str]| set(extra.iter().chain(["429"].iter()).chain(server.iter()));
    for m in models(&ctx) {
        let (c, i) = (m.route(), item_path(m));
        let cases = [
            (&c, "get", api(&["400"])),
            (&c, "head", api(&["400"])),
            (&c, "post", api(&["400", "409", "413", "415", "422"])),
            (&i, "get", api(&["404"])),
            (&i, "head", api(&["404"])),
            (
                &i,
                "put",
                api(&["400", "404", "409", "412", "413", "415", "422"]),
            ),
            (
                &i,
                "patch",
                api(&["400", "404", "409", "412", "413", "415", "422"]),
            ),
            (&i, "delete", api(&["404", "409", "412"])),
        ];
        for (path, method, statuses) in cases {
            let op = operation(&doc, path, method);
            assert_eq!(error_statuses(&doc, op), statuses, "{method} {path}");
            if method == "get" || method == "head" {
                assert!(
                    op["responses"].get("304").is_some(),
                    "{method} {path}: no 304"
                );
            }
            for status in ["429", "503"] {
                let r = deref(&doc, &op["responses"][status]);
                assert!(
                    r["headers"].get("Retry-After").is_some(),
                    "{method} {path} {status}: no Retry-After"
                );
            }
        }
    }
    for path in ["/health/live", "/health/ready", "/metrics"] {
        let op = operation(&doc, path, "get");
        assert_eq!(error_statuses(&doc, op), expect(&[]), "GET {path}");
    }
    // GraphQL refuses requests in its own response shape; failures outside
    // the endpoint are problems.
    for (method, refused) in [
        ("get", set(["400", "405"])),
        ("post", set(["400", "413", "415"])),
    ] {
        let op = operation(&doc, "/graphql", method);
        let errors = set(op["responses"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|s| s.as_str() >= "400"));
        assert_eq!(
            errors,
            &refused | &set(["429", "431", "500", "503"]),
            "{method} /graphql"
        );
        for (status, r) in op["responses"].as_object().unwrap() {
            let content = &deref(&doc, r)["content"];
            if refused.contains(status) {
                assert_eq!(
                    content["application/json"]["schema"]["$ref"],
                    "#/components/schemas/GraphQLResponse"
                );
            } else if ["429", "500", "503"].contains(&status.as_str()) {
                assert_eq!(
                    content["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem"
                );
            } else if status == "431" {
                assert!(content.is_null(), "the HTTP layer's 431 has no body");
            } else {
                assert!(
                    status.as_str() < "400",
                    "{method} /graphql: undocumented kind of {status}"
                );
            }
        }
    }

    // The Problem schema describes what the server writes.
    let problem = &doc["components"]["schemas"]["Problem"];
    let field_problem = &doc["components"]["schemas"]["FieldProblem"];
    let err = ApiError::validation(vec![resourceful::error::FieldProblem {
        field: "title".into(),
        pointer: "/title".into(),
        code: "required",
        message: "`title` is required".into(),
    }]);
    let body = err.body(Some("/v1/tasks"));
    let props = set(problem["properties"].as_object().unwrap().keys());
    assert_eq!(set(body.as_object().unwrap().keys()), props);
    for r in problem["required"].as_array().unwrap() {
        assert!(body.get(r.as_str().unwrap()).is_some());
    }
    assert_eq!(
        problem["properties"]["errors"]["items"]["$ref"],
        "#/components/schemas/FieldProblem"
    );
    assert_eq!(
        set(body["errors"][0].as_object().unwrap().keys()),
        set(field_problem["properties"].as_object().unwrap().keys())
    );
    ctx.cleanup().await;
}

/// Real errors from the router have the documented status and media type.
#[tokio::test]
async fn real_errors_match_the_document() {
    let ctx = Ctx::with(
        Backend::Sqlite,
        Config {
            max_body_bytes: 512,
            ..Config::default()
        },
    )
    .await;
    let doc = document(&ctx).await;
    let p = ctx.project("Alpha").await;
    let (tasks, task) = ("/v1/tasks", "/v1/tasks/{id}");

    let r = ctx.get("/v1/tasks?limit=0&priority[gt]=high").await;
    r.assert_problem(400, "bad-query");
    assert_documented(&doc, tasks, "get", &r);
    let r = send(
        &ctx,
        "POST",
        tasks,
        &[("content-type", "application/json")],
        "{",
    )
    .await;
    r.assert_problem(400, "malformed-json");
    assert_documented(&doc, tasks, "post", &r);
    let r = send(&ctx, "POST", tasks, &[("content-type", "text/plain")], "{}").await;
    r.assert_problem(415, "unsupported-media-type");
    assert_documented(&doc, tasks, "post", &r);
    let r = ctx.post(tasks, json!({ "title": "x".repeat(600) })).await;
    r.assert_problem(413, "payload-too-large");
    assert_documented(&doc, tasks, "post", &r);
    let r = ctx.post(tasks, json!({ "title": "" })).await;
    r.assert_problem(422, "validation");
    assert_documented(&doc, tasks, "post", &r);
    let r = ctx.post("/v1/projects", json!({ "name": "Alpha" })).await;
    r.assert_problem(409, "conflict");
    assert_documented(&doc, "/v1/projects", "post", &r);
    let r = ctx.get("/v1/tasks/999").await;
    r.assert_problem(404, "not-found");
    assert_documented(&doc, task, "get", &r);
    let r = ctx.get("/v1/tasks/not-a-number").await;
    r.assert_problem(404, "not-found");
    assert_documented(&doc, task, "get", &r);

    let t = ctx.task(p, "One", json!({})).await;
    let uri = format!("/v1/tasks/{}", t["id"]);
    let h = [
        ("content-type", "application/json"),
        ("if-match", "\"stale\""),
    ];
    let r = send(
        &ctx,
        "PUT",
        &uri,
        &h,
        &json!({ "title": "Two", "done": true, "status": "done", "project_id": p }).to_string(),
    )
    .await;
    r.assert_problem(412, "precondition-failed");
    assert_documented(&doc, task, "put", &r);
    let r = send(
        &ctx,
        "PATCH",
        &uri,
        &[("content-type", "application/json")],
        r#"{"done": null}"#,
    )
    .await;
    r.assert_problem(422, "validation");
    assert_documented(&doc, task, "patch", &r);
    let r = send(&ctx, "DELETE", &format!("/v1/projects/{p}"), &[], "").await;
    r.assert_problem(409, "conflict");
    assert_documented(&doc, "/v1/projects/{id}", "delete", &r);

    // 405 is the router's: a documented reusable response with `Allow`.
    let r = send(&ctx, "TRACE", tasks, &[], "").await;
    r.assert_problem(405, "method-not-allowed");
    let not_allowed = &doc["components"]["responses"]["MethodNotAllowed"];
    assert!(not_allowed["content"]
        .get("application/problem+json")
        .is_some());
    assert!(not_allowed["headers"].get("Allow").is_some());
    ctx.cleanup().await;
}

#[tokio::test]
async fn rate_limited_answers_are_documented() {
    let rate = resourceful::limits::Rate {
        count: 1,
        per: std::time::Duration::from_secs(60),
    };
    let ctx = Ctx::with(
        Backend::Sqlite,
        Config {
            rate_limit_read: rate,
            ..Config::default()
        },
    )
    .await;
    let doc = document(&ctx).await;
    let first = ctx.get("/v1/projects").await;
    assert_eq!(first.status, 200);
    let r = ctx.get("/v1/projects").await;
    r.assert_problem(429, "rate-limited");
    assert!(r.header("retry-after").is_some());
    assert_documented(&doc, "/v1/projects", "get", &r);
    let documented = deref(
        &doc,
        &operation(&doc, "/v1/projects", "get")["responses"]["429"],
    );
    for h in ["Retry-After", "RateLimit", "RateLimit-Policy"] {
        assert!(
            documented["headers"].get(h).is_some(),
            "{h} is not documented"
        );
        assert!(r.header(h).is_some(), "{h} is not sent");
    }
    assert!(
        documented["headers"].get("RateLimit-Limit").is_none(),
        "draft-06 fields are documented only when sent"
    );
    ctx.cleanup().await;

    // With the draft-06 fields, the document follows.
    let config = Config {
        rate_limit_read: rate,
        rate_limit_headers: resourceful::limits::HeaderStyle::Draft06,
        ..Config::default()
    };
    let ctx = Ctx::with(Backend::Sqlite, config).await;
    let doc = document(&ctx).await;
    ctx.get("/v1/projects").await;
    let r = ctx.get("/v1/projects").await;
    let documented = deref(
        &doc,
        &operation(&doc, "/v1/projects", "get")["responses"]["429"],
    );
    for h in [
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "RateLimit-Policy",
    ] {
        assert!(
            documented["headers"].get(h).is_some(),
            "{h} is not documented"
        );
        assert!(r.header(h).is_some(), "{h} is not sent");
    }
    assert!(documented["headers"].get("RateLimit").is_none());
    ctx.cleanup().await;
}

both_backends! {
    // A walk through every documented operation; each answer is one the
    // document lists, with a documented media type.
    async fn documented_routes_answer(ctx: &Ctx) {
        let doc = document(ctx).await;
        let (c, i) = ("/v1/projects", "/v1/projects/{id}");

        let r = ctx.post(c, json!({ "name": "Alpha", "description": "first" })).await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert!(r.header("location").is_some() && r.header("etag").is_some());
        assert_documented(&doc, c, "post", &r);
        let alpha = r.json["id"].as_i64().unwrap();
        let r = ctx.post(c, json!([{ "name": "Beta" }, { "name": "Gamma" }])).await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert_eq!(r.json.as_array().unwrap().len(), 2);
        assert_documented(&doc, c, "post", &r);
        let beta = r.json[0]["id"].as_i64().unwrap();

        let r = ctx.get("/v1/projects?sort=-name,created_at&limit=1").await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["items"][0]["name"], "Gamma");
        assert!(r.header("link").unwrap().contains("rel=\"next\""));
        assert_documented(&doc, c, "get", &r);
        let next = r.json["next_cursor"].as_str().unwrap().to_string();
        let r = ctx.get(&format!("/v1/projects?sort=-name,created_at&limit=1&cursor={next}")).await;
        assert_eq!(r.json["items"][0]["name"], "Beta");
        let filtered = format!("/v1/projects?name[contains]=ALP&id[in]={alpha},{beta}&offset=0");
        let r = ctx.get(&filtered).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
        let etag = r.header("etag").unwrap().to_string();
        let r = send(ctx, "GET", &filtered, &[("if-none-match", &etag)], "").await;
        assert_eq!(r.status, 304);
        assert_documented(&doc, c, "get", &r);
        let r = head(ctx, "/v1/projects").await;
        assert_eq!(r.status, 200);
        assert_documented(&doc, c, "head", &r);

        let uri = format!("/v1/projects/{alpha}");
        let r = ctx.get(&uri).await;
        assert_eq!(r.status, 200);
        assert_documented(&doc, i, "get", &r);
        let etag = r.header("etag").unwrap().to_string();
        let r = send(ctx, "GET", &uri, &[("if-none-match", &etag)], "").await;
        assert_eq!(r.status, 304);
        assert_documented(&doc, i, "get", &r);
        let r = head(ctx, &uri).await;
        assert_eq!(r.status, 200);
        assert_documented(&doc, i, "head", &r);
        let r = send(ctx, "PUT", &uri, &[("content-type", "application/json"), ("if-match", &etag)], r#"{"name": "Alpha 2"}"#).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["description"], Value::Null, "PUT clears optional fields left out");
        assert_documented(&doc, i, "put", &r);
        let r = send(ctx, "PATCH", &uri, &[("content-type", "application/merge-patch+json")], r#"{"description": "patched"}"#).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["name"], "Alpha 2");
        assert_documented(&doc, i, "patch", &r);
        let r = send(ctx, "DELETE", &format!("/v1/projects/{beta}"), &[], "").await;
        assert_eq!(r.status, 204);
        assert_documented(&doc, i, "delete", &r);

        let t = ctx.task(alpha, "Write docs", json!({ "code": "DOC-1" })).await;
        let r = ctx.get("/v1/tasks?status[in]=todo,done&priority[is_null]=true&title[starts_with]=write&code[ends_with]=-1&done=false").await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["items"][0]["id"], t["id"]);
        assert_documented(&doc, "/v1/tasks", "get", &r);

        for path in ["/health/live", "/health/ready", "/metrics"] {
            let r = ctx.get(path).await;
            assert_eq!(r.status, 200);
            assert_documented(&doc, path, "get", &r);
        }

        let r = ctx.post("/graphql", json!({ "query": "{ projects { items { name } } }" })).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert!(r.json["data"].is_object(), "{}", r.json);
        assert_documented(&doc, "/graphql", "post", &r);
        let r = ctx.get("/graphql?query=%7B__typename%7D").await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_documented(&doc, "/graphql", "get", &r);
        let r = send(ctx, "POST", "/graphql", &[("content-type", "text/plain")], "{}").await;
        assert_eq!(r.status, 415);
        assert_documented(&doc, "/graphql", "post", &r);
    }
}

/// The interpreter the project's test command provides, or `python3`.
fn python() -> String {
    std::env::var("RESOURCEFUL_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs a Python snippet; a missing interpreter or module fails the test
/// (never skips it) with instructions.
fn run_python(script: &str, args: &[&std::path::Path]) -> String {
    let py = python();
    let probe = std::process::Command::new(&py)
        .args(["-c", "import openapi_spec_validator, jsonschema"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "the Python package openapi-spec-validator is required by this test but `{py}` cannot import it:\n{}\n\
             Install it with `{py} -m pip install openapi-spec-validator`, or point RESOURCEFUL_PYTHON at an \
             interpreter that has it.",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "this test needs Python with openapi-spec-validator, but `{py}` could not be run ({e}). \
             Set RESOURCEFUL_PYTHON to an interpreter that has the package."
        ),
    }
    let out = std::process::Command::new(&py)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn temp_json(dir: &tempfile::TempDir, name: &str, v: &Value) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    path
}

#[tokio::test]
async fn document_passes_openapi_spec_validator() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let doc = document(&ctx).await;
    let dir = tempfile::tempdir().unwrap();
    let file = temp_json(&dir, "openapi.json", &doc);
    let gadgets = temp_json(&dir, "gadgets.json", &gadget_document().await);
    let script = r#"
import json, sys
try:
    from openapi_spec_validator import validate
except ImportError:  # releases before 0.7
    from openapi_spec_validator import validate_spec as validate
for path in sys.argv[1:]:
    with open(path) as f:
        validate(json.load(f))
print("valid")
"#;
    assert_eq!(run_python(script, &[&file, &gadgets]).trim(), "valid");
    ctx.cleanup().await;
}

/// Real bodies — responses and the requests the server accepted — validate
/// against the documented JSON Schemas (2020-12, formats checked).
#[tokio::test]
async fn real_bodies_match_the_schemas() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let doc = document(&ctx).await;
    let mut samples: Vec<Value> = Vec::new();
    let mut sample = |schema: &str, instance: &Value| {
        samples.push(json!({ "schema": schema, "instance": instance }))
    };

    let body = json!({ "name": "Alpha" });
    sample("ProjectCreate", &body);
    let project = ctx.post("/v1/projects", body).await;
    sample("Project", &project.json);
    let p = project.json["id"].as_i64().unwrap();
    let body = json!({ "title": "Ship", "done": false, "status": "in_progress", "project_id": p, "priority": 3, "due": "2030-01-31T12:00:00Z", "code": "AB-12" });
    sample("TaskCreate", &body);
    let task = ctx.post("/v1/tasks", body).await;
    assert_eq!(task.status, 201);
    sample("Task", &task.json);
    let bare = ctx.task(p, "Bare", json!({})).await;
    sample("Task", &bare);
    let body = json!({ "task_id": task.json["id"], "body": "Looks good", "score": 4.5 });
    sample("CommentCreate", &body);
    let comment = ctx.post("/v1/comments", body).await;
    assert_eq!(comment.status, 201);
    sample("Comment", &comment.json);

    let replace = json!({ "id": task.json["id"], "title": "Ship it", "done": true, "status": "done", "project_id": p });
    sample("TaskReplace", &replace);
    let r = ctx
        .json("PUT", &format!("/v1/tasks/{}", task.json["id"]), replace)
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let patch = json!({ "priority": null, "code": "XY-9" });
    sample("TaskPatch", &patch);
    let r = ctx
        .json("PATCH", &format!("/v1/tasks/{}", task.json["id"]), patch)
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    sample("Task", &r.json);

    let page = ctx.get("/v1/tasks?limit=1").await;
    assert!(page.json["next_cursor"].is_string());
    sample("TaskPage", &page.json);
    let last = ctx.get("/v1/comments").await;
    assert!(last.json["next_cursor"].is_null());
    sample("CommentPage", &last.json);

    let bad_query = ctx.get("/v1/tasks?sort=done&bogus=1").await;
    sample("Problem", &bad_query.json);
    let invalid = ctx
        .post("/v1/tasks", json!({ "title": "", "extra": 1 }))
        .await;
    sample("Problem", &invalid.json);
    sample("Health", &ctx.get("/health/ready").await.json);
    let gql = ctx
        .post(
            "/graphql",
            json!({ "query": "{ tasks { items { title } } }" }),
        )
        .await;
    assert_eq!(gql.status, 200);
    sample("GraphQLResponse", &gql.json);
    let refused = send(
        &ctx,
        "POST",
        "/graphql",
        &[("content-type", "application/json")],
        "[1]",
    )
    .await;
    assert_eq!(refused.status, 400);
    sample("GraphQLResponse", &refused.json);
    sample("Health", &ctx.get("/health/live").await.json);

    // And the schemas are not vacuous: what the server refuses, they refuse.
    let rejected = [
        (
            "TaskCreate",
            json!({ "title": "x", "done": false, "status": "todo", "project_id": p, "id": 5 }),
        ),
        (
            "TaskCreate",
            json!({ "title": "x", "done": false, "status": "maybe", "project_id": p }),
        ),
        (
            "TaskCreate",
            json!({ "title": "x", "done": false, "status": "todo" }),
        ),
        ("TaskPatch", json!({ "done": null })),
        ("TaskPatch", json!({ "priority": 9 })),
        ("TaskPatch", json!({ "code": "lower-1" })),
        ("CommentCreate", json!({ "task_id": 1, "body": "" })),
    ];
    for (schema, body) in &rejected {
        let path = format!(
            "/v1/{}",
            if schema.starts_with("Task") {
                "tasks"
            } else {
                "comments"
            }
        );
        let r = if schema.ends_with("Patch") {
            ctx.json(
                "PATCH",
                &format!("{path}/{}", task.json["id"]),
                body.clone(),
            )
            .await
        } else {
            ctx.post(&path, body.clone()).await
        };
        assert_eq!(r.status, 422, "{schema} {body}: {}", r.json);
    }
    let rejected: Vec<Value> = rejected
        .iter()
        .map(|(s, i)| json!({ "schema": s, "instance": i }))
        .collect();

    let dir = tempfile::tempdir().unwrap();
    let doc_file = temp_json(&dir, "openapi.json", &doc);
    let ok_file = temp_json(&dir, "accepted.json", &Value::Array(samples));
    let bad_file = temp_json(&dir, "rejected.json", &Value::Array(rejected));
    let script = r##"
import json, sys
from jsonschema import Draft202012Validator
doc, accepted, rejected = (json.load(open(p)) for p in sys.argv[1:4])
def errors(s):
    # Local refs (#/components/...) resolve against this root.
    schema = {"$ref": "#/components/schemas/" + s["schema"], "components": doc["components"]}
    v = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [e.message for e in v.iter_errors(s["instance"])]
problems = []
for s in accepted:
    problems += ["%s %s: %s" % (s["schema"], json.dumps(s["instance"]), m) for m in errors(s)]
for s in rejected:
    if not errors(s):
        problems.append("%s accepts %s" % (s["schema"], json.dumps(s["instance"])))
print("\n".join(problems) if problems else "conform")
"##;
    assert_eq!(
        run_python(script, &[&doc_file, &ok_file, &bad_file]).trim(),
        "conform"
    );
    ctx.cleanup().await;
}

#[tokio::test]
async fn docs_page_loads_the_document() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let r = ctx.get("/docs").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    let html = String::from_utf8(r.raw.clone()).unwrap();
    // Served from the binary: assets of its own, nothing from elsewhere.
    assert!(html.contains("/docs/assets/"), "{html}");
    assert!(!html.contains("://"), "{html}");
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    ctx.cleanup().await;
}
