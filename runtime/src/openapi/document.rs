//! The OpenAPI document: one collection and one item path per resource,
//! plus health and GraphQL, with every status the handlers can answer.

use super::params;
use super::responses::{self, not_modified, problem};
use super::schemas::{
    reference, Catalog, Names, GRAPHQL_REQUEST, GRAPHQL_RESPONSE, HEALTH, PROBLEM,
};
use crate::error::{Kind, PROBLEM_JSON};
use crate::limits::HeaderStyle;
use crate::model::ResourceModel;
use crate::registry::Registry;
use crate::service::ResourceService;
use crate::service::MAX_BULK;
use std::sync::Arc;
use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItemBuilder,
};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{
    ComponentsBuilder, Content, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder,
    Required, ResponseBuilder, Tag,
};

const JSON: &str = "application/json";
const MERGE_PATCH: &str = "application/merge-patch+json";
const OPERATIONS_TAG: &str = "Operations";
const GRAPHQL_TAG: &str = "GraphQL";

const OVERVIEW: &str = "\
Every resource is served under `/v{version}/{path}` with the same conventions:

- **Errors** are `application/problem+json` (RFC 9457) with a stable `type` URN; validation and query problems list \
every invalid field in `errors`, each with a JSON Pointer (or the query parameter name). GraphQL reports its own \
refusals in the GraphQL response shape instead.
- **Lists** return a page: `items`, `next_cursor` and `limit`. Follow `next_cursor` (or the `Link: rel=\"next\"` \
header) for the next page. Filter with `field=value` or `field[op]=value`, sort with `sort=-a,b`.
- **Concurrency**: records carry a strong `ETag`. Send it in `If-Match` on PUT, PATCH and DELETE (412 when the \
record changed) and in `If-None-Match` on GET (304 when it did not).
- **Bulk create**: POST an array of objects; all are created in one transaction, or none.
- **Rate limits** (on unless the server disables them) apply per client to resources and GraphQL, reads and writes \
separately: responses carry \
RATE_LIMIT_FIELDS; over the limit the answer is 429 \
with `Retry-After`.
- A method a path does not support answers 405 with an `Allow` header; an unknown path answers 404.
- Every response carries `X-Request-Id` (the client's, when it sent one).";

/// Builds the document for the registered resources at their newest
/// versions.
pub fn document(
    registry: &Registry,
    title: &str,
    version: &str,
    rate_limit: HeaderStyle,
) -> OpenApi {
    document_of(
        registry,
        registry.services.iter().collect(),
        title,
        version,
        rate_limit,
    )
}

/// Builds the document for `services` (one version of each resource).
pub fn document_of(
    registry: &Registry,
    services: Vec<&Arc<ResourceService>>,
    title: &str,
    version: &str,
    rate_limit: HeaderStyle,
) -> OpenApi {
    let cat = Catalog::new(registry, services);
    let mut paths = PathsBuilder::new();
    let mut tags: Vec<Tag> = Vec::new();
    for svc in &cat.services {
        let m = svc.model;
        let doc = m.doc.trim();
        tags.push(
            TagBuilder::new()
                .name(m.name)
                .description((!doc.is_empty()).then_some(doc))
                .build(),
        );
        paths = paths
            .path(m.route(), collection(&cat, m).build())
            .path(format!("{}/{{id}}", m.route()), item(&cat, m).build());
    }
    paths = paths
        .path("/health/live", health(false).build())
        .path("/health/ready", health(true).build())
        .path("/metrics", metrics().build())
        .path("/graphql", graphql().build());
    tags.push(
        TagBuilder::new()
            .name(OPERATIONS_TAG)
            .description(Some("Probes and metrics for operators."))
            .build(),
    );
    tags.push(
        TagBuilder::new()
            .name(GRAPHQL_TAG)
            .description(Some("The same resources through GraphQL."))
            .build(),
    );

    let components = ComponentsBuilder::new()
        .schemas_from_iter(cat.components())
        .responses_from_iter(responses::components(rate_limit))
        .build();
    let retiring: Vec<&'static ResourceModel> = cat
        .services
        .iter()
        .map(|s| s.model)
        .filter(|m| m.is_older_version())
        .collect();
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(title)
                .version(version)
                .description(Some(OVERVIEW.replace(
                    "RATE_LIMIT_FIELDS",
                    responses::rate_limit_fields(rate_limit),
                ))),
        )
        .paths(paths)
        .components(Some(components))
        .tags(Some(tags))
        .build();
    for m in retiring {
        mark_retiring(&mut doc, m);
    }
    doc
}

/// An older version's operations are `deprecated`, and say what replaces
/// them and the headers that announce it.
fn mark_retiring(doc: &mut OpenApi, m: &'static ResourceModel) {
    let r = m.retirement();
    let mut note = format!(
        "This is version {} of {}; version {} replaces it (responses carry `Link: <…>; rel=\"successor-version\"`).",
        m.version, m.path, m.newest
    );
    if let Some(at) = r.and_then(|r| r.deprecated_at) {
        note.push_str(&format!(
            " Deprecated since {} (`Deprecation` header).",
            crate::rest::versions::http_date(at)
        ));
    }
    if let Some(at) = r.and_then(|r| r.sunset_at) {
        note.push_str(&format!(
            " It stops being served on {} (`Sunset` header).",
            crate::rest::versions::http_date(at)
        ));
    }
    for path in [m.route(), format!("{}/{{id}}", m.route())] {
        let Some(item) = doc.paths.paths.get_mut(&path) else {
            continue;
        };
        let ops = [
            &mut item.get,
            &mut item.head,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            op.deprecated = Some(utoipa::openapi::Deprecated::True);
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{note}"),
                _ => note.clone(),
            });
        }
    }
}

fn content(schema: impl Into<utoipa::openapi::RefOr<utoipa::openapi::Schema>>) -> Content {
    ContentBuilder::new().schema(Some(schema)).build()
}

fn add_problems(op: OperationBuilder, kinds: &[Kind]) -> OperationBuilder {
    kinds.iter().fold(op, |op, &k| {
        let (s, r) = problem(k);
        op.response(s, r)
    })
}

/// Answers any route can give: a panic (500) or a timeout or database
/// outage (503).
fn with_server_errors(op: OperationBuilder) -> OperationBuilder {
    add_problems(op, &[Kind::Internal, Kind::Unavailable])
}

/// API routes (REST and GraphQL) are also rate limited (429).
fn with_api_errors(op: OperationBuilder) -> OperationBuilder {
    with_server_errors(add_problems(op, &[Kind::RateLimited]))
}

fn with_problems(op: OperationBuilder, kinds: &[Kind]) -> OperationBuilder {
    with_api_errors(add_problems(op, kinds))
}

/// The body of POST, PUT or PATCH: the size and media type are checked
/// first, so these share 413, 415 and 400 (malformed JSON).
const BODY_PROBLEMS: [Kind; 3] = [
    Kind::MalformedJson,
    Kind::PayloadTooLarge,
    Kind::UnsupportedMediaType,
];

fn collection(cat: &Catalog, m: &'static ResourceModel) -> PathItemBuilder {
    let names = Names::of(m);
    let list_params = || {
        let mut p = params::list(cat, m);
        p.push(params::if_none_match());
        p
    };
    let page = || {
        ResponseBuilder::new()
            .description(format!("A page of {}.", m.path))
            .header("ETag", responses::etag())
            .header("Cache-Control", responses::cache_control(m))
            .header("Link", responses::link())
    };

    let list = OperationBuilder::new()
        .tag(m.name)
        .operation_id(Some(format!("list{}", m.name)))
        .summary(Some(format!("List {}", m.path)))
        .description(Some(format!(
            "Filters combine with AND. Pages hold {} items unless `limit` says otherwise (at most {}). \
             The `ETag` covers the whole page.",
            m.page_size, m.max_page_size
        )))
        .parameters(Some(list_params()))
        .response("200", page().content(JSON, content(reference(&names.page))).build());
    let (s, r) = not_modified();
    let list = with_problems(list.response(s, r), &[Kind::BadQuery]);

    let head = OperationBuilder::new()
        .tag(m.name)
        .operation_id(Some(format!("head{}List", m.name)))
        .summary(Some(format!("List {} (headers only)", m.path)))
        .description(Some("Like the GET, without a body."))
        .parameters(Some(list_params()))
        .response("200", page().build());
    let (s, r) = not_modified();
    let head = with_problems(head.response(s, r), &[Kind::BadQuery]);

    let one_or_many = |one: &str| {
        OneOfBuilder::new().item(reference(one)).item(
            ArrayBuilder::new()
                .items(reference(one))
                .min_items(Some(1))
                .max_items(Some(MAX_BULK)),
        )
    };
    let body = RequestBodyBuilder::new()
        .description(Some(format!(
            "One object, or an array of 1 to {MAX_BULK} objects for a bulk create (all or nothing). \
             Any `application/*+json` media type is accepted too."
        )))
        .required(Some(Required::True))
        .content(JSON, content(one_or_many(&names.create)))
        .build();
    let created = ResponseBuilder::new()
        .description(
            "Created. A single create returns the record with `Location` and `ETag`; a bulk create returns the records \
             in request order.",
        )
        .header("Location", responses::location())
        .header("ETag", responses::etag())
        .header("Idempotent-Replayed", responses::replayed())
        .content(JSON, content(one_or_many(&names.object)))
        .build();
    let create = OperationBuilder::new()
        .tag(m.name)
        .operation_id(Some(format!("create{}", m.name)))
        .summary(Some(format!("Create {} (one, or many at once)", m.path)))
        .parameters(Some([params::idempotency_key()]))
        .request_body(Some(body))
        .response("201", created);
    let create = with_problems(
        create,
        &[&BODY_PROBLEMS[..], &[Kind::Conflict, Kind::Validation]].concat(),
    );

    PathItemBuilder::new()
        .operation(HttpMethod::Get, list)
        .operation(HttpMethod::Head, head)
        .operation(HttpMethod::Post, create)
}

fn item(cat: &Catalog, m: &'static ResourceModel) -> PathItemBuilder {
    let names = Names::of(m);
    let id = || params::id(cat, m);
    let record = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .header("ETag", responses::etag())
    };

    let get = OperationBuilder::new()
        .tag(m.name)
        .operation_id(Some(format!("get{}", m.name)))
        .summary(Some(format!("Get one of {}", m.path)))
        .parameters(Some([id(), params::if_none_match()]))
        .response(
            "200",
            record("The record.")
                .header("Cache-Control", responses::cache_control(m))
                .content(JSON, content(reference(&names.object)))
                .build(),
        );
    let (s, r) = not_modified();
    let get = with_problems(get.response(s, r), &[Kind::NotFound]);

    let head = OperationBuilder::new()
        .tag(m.name)
        .operation_id(Some(format!("head{}", m.name)))
        .summary(Some(format!("Get one of {} (headers only)", m.path)))
        .description(Some("Like the GET, without a body."))
        .parameters(Some([id(), params::if_none_match()]))
        .response(
            "200",
            record("The record exists.")
                .header("Cache-Control", responses::cache_control(m))
                .build(),
        );
    let (s, r) = not_modified();
    let head = with_problems(head.response(s, r), &[Kind::NotFound]);

    let write_problems = [
        &BODY_PROBLEMS[..],
        &[
            Kind::NotFound,
            Kind::Conflict,
            Kind::PreconditionFailed,
            Kind::Validation,
        ],
    ]
    .concat();
    let update = |verb: &str, summary: String, description: &str, body: RequestBody| {
        let mut parameters = vec![id(), params::if_match()];
        if verb == "patch" {
            // PUT is idempotent by itself.
            parameters.push(params::idempotency_key());
        }
        let op = OperationBuilder::new()
            .tag(m.name)
            .operation_id(Some(format!("{verb}{}", m.name)))
            .summary(Some(summary))
            .description(Some(description))
            .parameters(Some(parameters))
            .request_body(Some(body))
            .response(
                "200",
                record("The updated record.")
                    .header("Idempotent-Replayed", responses::replayed())
                    .content(JSON, content(reference(&names.object)))
                    .build(),
            );
        with_problems(op, &write_problems)
    };
    let put = update(
        "replace",
        format!("Replace one of {}", m.path),
        "Sets every field a client may change; optional fields left out become null.",
        RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content(JSON, content(reference(&names.replace)))
            .build(),
    );
    let patch = update(
        "patch",
        format!("Update some fields of one of {}", m.path),
        "A JSON merge patch (RFC 7396): fields left out keep their value; null clears an optional field.",
        RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content(MERGE_PATCH, content(reference(&names.patch)))
            .content(JSON, content(reference(&names.patch)))
            .build(),
    );

    let delete = OperationBuilder::new()
        .tag(m.name)
        .operation_id(Some(format!("delete{}", m.name)))
        .summary(Some(format!("Delete one of {}", m.path)))
        .parameters(Some([id(), params::if_match()]))
        .response(
            "204",
            ResponseBuilder::new().description("Deleted.").build(),
        );
    let delete = with_problems(
        delete,
        &[Kind::NotFound, Kind::Conflict, Kind::PreconditionFailed],
    );

    PathItemBuilder::new()
        .operation(HttpMethod::Get, get)
        .operation(HttpMethod::Head, head)
        .operation(HttpMethod::Put, put)
        .operation(HttpMethod::Patch, patch)
        .operation(HttpMethod::Delete, delete)
}

fn health(ready: bool) -> PathItemBuilder {
    let (id, summary, ok) = if ready {
        (
            "healthReady",
            "Readiness: the service and its required dependencies answer",
            "Ready (`up`, or `degraded` when an optional dependency is down).",
        )
    } else {
        ("healthLive", "Liveness: the process answers", "Alive.")
    };
    let mut op = OperationBuilder::new()
        .tag(OPERATIONS_TAG)
        .operation_id(Some(id))
        .summary(Some(summary))
        .response(
            "200",
            ResponseBuilder::new()
                .description(ok)
                .content(JSON, content(reference(HEALTH)))
                .build(),
        );
    if ready {
        // Not ready is reported as a health document; a timeout still
        // answers with a problem, so both media types are possible.
        op = op.response(
            "503",
            ResponseBuilder::new()
                .description(
                    "Not ready: a required dependency does not answer (health document), or the request timed out (problem).",
                )
                .header("Retry-After", responses::retry_after())
                .content(JSON, content(reference(HEALTH)))
                .content(PROBLEM_JSON, content(reference(PROBLEM)))
                .build(),
        );
        let (s, r) = problem(Kind::Internal);
        op = op.response(s, r);
    } else {
        op = with_server_errors(op);
    }
    PathItemBuilder::new().operation(HttpMethod::Get, op)
}

fn metrics() -> PathItemBuilder {
    let text = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("Prometheus text exposition format 0.0.4."));
    let op = OperationBuilder::new()
        .tag(OPERATIONS_TAG)
        .operation_id(Some("metrics"))
        .summary(Some("Metrics for Prometheus"))
        .response(
            "200",
            ResponseBuilder::new()
                .description("Current metrics.")
                .content("text/plain", content(text))
                .build(),
        );
    PathItemBuilder::new().operation(HttpMethod::Get, with_server_errors(op))
}

/// GraphQL over HTTP. Requests that cannot be executed are refused in the
/// GraphQL response shape (what GraphQL clients parse), not as problems;
/// only answers from the layers around it (429, 500, 503) are problems.
fn graphql() -> PathItemBuilder {
    let result = || {
        ResponseBuilder::new()
            .description("The result: `data`, `errors` or both.")
            .content(JSON, content(reference(GRAPHQL_RESPONSE)))
    };
    let refused = |description: &str| {
        ResponseBuilder::new()
            .description(format!(
                "{description} The body is a GraphQL response whose single error carries `extensions.code`, \
                 `extensions.status` and `extensions.type` (the problem type URN)."
            ))
            .content(JSON, content(reference(GRAPHQL_RESPONSE)))
    };
    let text = |description: &str| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(description))
    };

    let get = OperationBuilder::new()
        .tag(GRAPHQL_TAG)
        .operation_id(Some("graphqlGet"))
        .summary(Some("Run a GraphQL query (or open GraphiQL)"))
        .description(Some(
            "Queries only: a mutation over GET is refused with 405 so GETs stay safe to retry. Without `query`, a browser \
             (`Accept: text/html`) gets the GraphiQL IDE.",
        ))
        .parameter(
            ParameterBuilder::new()
                .name("query")
                .parameter_in(ParameterIn::Query)
                .required(Required::True)
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .description(Some("The GraphQL document.")),
                )),
        )
        .parameter(
            ParameterBuilder::new()
                .name("operationName")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .schema(Some(text("Which operation of the document to run."))),
        )
        .parameter(
            ParameterBuilder::new()
                .name("variables")
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .schema(Some(text("The variables as a JSON object.").content_media_type(JSON))),
        )
        .response("200", result().content("text/html", content(text("The GraphiQL IDE."))).build())
        .response("400", refused("`query` is missing, or `variables` is not a JSON object.").build())
        .response(
            "405",
            refused("The operation is a mutation; send it with POST.").header("Allow", responses::allow()).build(),
        );

    let post = OperationBuilder::new()
        .tag(GRAPHQL_TAG)
        .operation_id(Some("graphql"))
        .summary(Some("Run a GraphQL query or mutation"))
        .description(Some(
            "The schema mirrors the REST resources. An executed operation answers 200, errors included (in `errors`). \
             Automatic persisted queries: send `extensions: {\"persistedQuery\": {\"version\": 1, \"sha256Hash\": \"<hex>\"}}` \
             without `query`; an unknown hash answers 200 with the error code `PERSISTED_QUERY_NOT_FOUND`, and the \
             client sends the text with its hash once, after which the hash alone is enough (over GET as well, in an \
             `extensions` query parameter). A text that does not match its hash is 400.",
        ))
        .request_body(Some(
            RequestBodyBuilder::new().required(Some(Required::True)).content(JSON, content(reference(GRAPHQL_REQUEST))).build(),
        ))
        .response("200", result().build())
        .response("400", refused("The body is not a JSON GraphQL request.").build())
        .response("413", refused("The body exceeds the server's size limit.").build())
        .response("415", refused("The `Content-Type` is not `application/json`.").build());

    PathItemBuilder::new()
        .operation(HttpMethod::Get, with_api_errors(get))
        .operation(HttpMethod::Post, with_api_errors(post))
}

/// Every operation, the application's own included, may be refused before
/// it is routed: request headers over `MAX_HEADER_BYTES` get 431.
pub fn answer_431_everywhere(doc: &mut utoipa::openapi::OpenApi) {
    let too_large = || {
        utoipa::openapi::RefOr::T(
            ResponseBuilder::new()
                .description(
                    "The request line and headers exceed the server's limit (`MAX_HEADER_BYTES`).",
                )
                .build(),
        )
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            op.responses
                .responses
                .entry("431".to_string())
                .or_insert_with(too_large);
        }
    }
}

/// GraphQL's `variables` query parameter is a JSON object, which OpenAPI
/// says with a parameter `content` (utoipa's `Parameter` has no such
/// field, so the serialized document is amended).
pub fn variables_as_json_content(doc: &mut serde_json::Value) {
    let Some(params) = doc
        .pointer_mut("/paths/~1graphql/get/parameters")
        .and_then(|p| p.as_array_mut())
    else {
        return;
    };
    for p in params.iter_mut().filter(|p| p["name"] == "variables") {
        if let Some(obj) = p.as_object_mut() {
            let description = obj
                .get("schema")
                .and_then(|s| s.get("description"))
                .cloned();
            obj.remove("schema");
            obj.insert(
                "content".into(),
                serde_json::json!({"application/json": {"schema": {"type": "object"}}}),
            );
            if let Some(d) = description {
                obj.insert("description".into(), d);
            }
        }
    }
}
