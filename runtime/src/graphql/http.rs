//! GraphQL over HTTP at `/graphql`:
//!
//! - `POST` with `Content-Type: application/json` and
//!   `{"query", "operationName"?, "variables"?}`;
//! - `GET ?query=…&operationName=…&variables=<JSON>` for queries only: a
//!   mutation over GET is refused with 405 (GET must stay safe to retry
//!   and to prefetch);
//! - `GET` with `Accept: text/html` and no `query`: the GraphiQL IDE.
//!
//! An executed operation answers 200 with `{data, errors}`. A request that
//! cannot be executed answers 400, 405, 413 or 415 with
//! `{"errors": [{"message", "extensions": {"code", "status", "type"}}]}`.

use super::introspection;
use super::response_cache::{Entry, Reads, ResponseCache};
use crate::context::Context;
use crate::error::{ApiError, Kind};
use async_graphql::dynamic::Schema;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, ServerError, Variables};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use std::sync::Arc;

pub const PATH: &str = "/graphql";

pub struct GraphqlState {
    /// Limited by the configured depth and complexity.
    pub data: Schema,
    /// The same schema for introspection-only operations (see [`introspection`]).
    pub introspection: Schema,
    pub max_body: usize,
    /// Whole responses of queries (see [`response_cache`]).
    pub responses: ResponseCache,
    /// Parsed documents (see [`super::documents`]).
    pub documents: super::documents::Documents,
    /// Documents answered without the executor (see [`super::plan`]).
    pub plans: super::plan::Planner,
    /// Document texts by their SHA-256 (see [`super::persisted`]).
    pub persisted: super::persisted::PersistedQueries,
    /// Announced windows go in every response's `extensions.maintenance`.
    pub maintenance: Option<Arc<crate::maintenance::Schedule>>,
}

type St = State<Arc<GraphqlState>>;

pub async fn get(
    State(st): St,
    RawQuery(raw): RawQuery,
    ctx: Context,
    headers: HeaderMap,
) -> Response {
    let start = std::time::Instant::now();
    let who = ctx.identity_key();
    let key = raw
        .as_deref()
        .filter(|r| !r.is_empty())
        .map(|r| ResponseCache::key("GET", who.as_deref(), r.as_bytes()));
    if let Some(hit) = key.as_ref().and_then(|k| st.responses.get(k)) {
        return cached(&st, &hit, start);
    }
    let mut query = None;
    let mut operation = None;
    let mut variables = None;
    let mut extensions = None;
    for (k, v) in form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()) {
        match &*k {
            "query" => query = Some(v.into_owned()),
            "operationName" if !v.is_empty() => operation = Some(v.into_owned()),
            "variables" if !v.is_empty() => variables = Some(v.into_owned()),
            "extensions" if !v.is_empty() => extensions = Some(v.into_owned()),
            _ => {}
        }
    }
    let extensions = match extensions.map(|e| serde_json::from_str::<async_graphql::Extensions>(&e))
    {
        None => async_graphql::Extensions::default(),
        Some(Ok(e)) => e,
        Some(Err(_)) => {
            return refuse(ApiError::new(
                Kind::BadQuery,
                "`extensions` must be a JSON object",
            ))
        }
    };
    // A persisted query may come as its hash alone.
    let query = match query.filter(|q| !q.is_empty()) {
        None if extensions.contains_key("persistedQuery") => Some(String::new()),
        q => q,
    };
    let Some(mut query) = query else {
        if accepts_html(&headers) {
            return Html(graphiql()).into_response();
        }
        return refuse(ApiError::new(
            Kind::BadQuery,
            "missing `query` parameter; send ?query=… or POST a JSON body",
        ));
    };
    if let Err(res) = persisted(&st, &mut query, &extensions) {
        return res;
    }
    let mut req = Request::new(query);
    req.extensions = extensions;
    if let Some(op) = operation {
        req = req.operation_name(op);
    }
    if let Some(v) = variables {
        match serde_json::from_str::<serde_json::Value>(&v) {
            Ok(json @ serde_json::Value::Object(_)) => {
                req = req.variables(Variables::from_json(json))
            }
            _ => {
                return refuse(ApiError::new(
                    Kind::BadQuery,
                    "`variables` must be a JSON object",
                ))
            }
        }
    }
    execute(&st, req, ctx, true, key, start).await
}

pub async fn post(State(st): St, ctx: Context, headers: HeaderMap, body: Body) -> Response {
    let start = std::time::Instant::now();
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" {
        return refuse(ApiError::new(
            Kind::UnsupportedMediaType,
            format!("Content-Type `{essence}` is not supported; send application/json"),
        ));
    }
    let too_large = || {
        ApiError::new(
            Kind::PayloadTooLarge,
            format!("the body exceeds the limit of {} bytes", st.max_body),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > st.max_body) {
        return refuse(too_large());
    }
    let Ok(bytes) = axum::body::to_bytes(body, st.max_body).await else {
        return refuse(too_large());
    };
    let key = ResponseCache::key("POST", ctx.identity_key().as_deref(), &bytes);
    if let Some(hit) = st.responses.get(&key) {
        return cached(&st, &hit, start);
    }
    let mut req = match serde_json::from_slice::<Request>(&bytes) {
        // GraphQL over HTTP: a request without a query (or the hash of a
        // persisted one) is not well-formed, a 400 (async-graphql's
        // `Request` defaults it to empty).
        Ok(r) if r.query.is_empty() && !r.extensions.contains_key("persistedQuery") => {
            return refuse(ApiError::new(
                Kind::MalformedJson,
                "the body has no `query`: send {\"query\": \"{ … }\", \"operationName\"?, \"variables\"?}",
            ))
        }
        Ok(r) => r,
        Err(e) => {
            return refuse(ApiError::new(
                Kind::MalformedJson,
                format!(
                    "expected a JSON object {{\"query\", \"operationName\", \"variables\"}}: {e}"
                ),
            ))
        }
    };
    if let Err(res) = persisted(&st, &mut req.query, &req.extensions) {
        return res;
    }
    execute(&st, req, ctx, false, Some(key), start).await
}

/// Applies automatic persisted queries (see [`super::persisted`]): the
/// text filled in from its hash, or remembered; refusals answered.
fn persisted(
    st: &GraphqlState,
    query: &mut String,
    extensions: &async_graphql::Extensions,
) -> Result<(), Response> {
    use super::persisted::Refusal;
    st.persisted
        .resolve(query, extensions)
        .map_err(|r| match r {
            Refusal::Malformed(m) => refuse(ApiError::new(Kind::BadQuery, m)),
            Refusal::Error(e) => {
                Json(async_graphql::Response::from_errors(vec![e])).into_response()
            }
        })
}

/// A stored response: counted like an executed one.
fn cached(st: &GraphqlState, hit: &Entry, start: std::time::Instant) -> Response {
    hit.ops.increment(1);
    hit.duration.record(start.elapsed().as_secs_f64());
    json_bytes(announce(st, hit.body.clone()))
}

/// `body` with `extensions.maintenance` while windows are announced.
/// Bodies are kept (and cached) without it, so a replayed response tells
/// of the schedule as it is now; none of them has top-level `extensions`
/// of its own (only error-free responses are kept, and the schema adds
/// none), so the member is appended to the object.
fn announce(st: &GraphqlState, body: bytes::Bytes) -> bytes::Bytes {
    let Some(windows) = st.maintenance.as_ref().and_then(|m| m.announced_json()) else {
        return body;
    };
    match body.strip_suffix(b"}") {
        Some(open) if body.starts_with(b"{") && open.len() > 1 => {
            let ext = serde_json::json!({"maintenance": windows});
            let mut out = Vec::with_capacity(body.len() + 512);
            out.extend_from_slice(open);
            out.extend_from_slice(b",\"extensions\":");
            out.extend_from_slice(ext.to_string().as_bytes());
            out.push(b'}');
            out.into()
        }
        _ => body,
    }
}

fn json_bytes(body: bytes::Bytes) -> Response {
    let mut res = Response::new(Body::from(body));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

fn observe(op_type: &'static str, op_name: &'static str, start: std::time::Instant) {
    let labels = [("operation_type", op_type), ("operation_name", op_name)];
    metrics::counter!(crate::observe::names::GRAPHQL_OPS, &labels).increment(1);
    metrics::histogram!(crate::observe::names::GRAPHQL_DURATION, &labels)
        .record(start.elapsed().as_secs_f64());
}

pub async fn not_allowed() -> Response {
    refuse(
        ApiError::new(Kind::MethodNotAllowed, "allowed methods: GET, POST")
            .with_header(header::ALLOW, HeaderValue::from_static("GET, POST")),
    )
}

async fn execute(
    st: &GraphqlState,
    mut req: Request,
    ctx: Context,
    via_get: bool,
    key: Option<bytes::Bytes>,
    start: std::time::Instant,
) -> Response {
    let mut schema = &st.data;
    let name = req.operation_name.clone();
    let mut op_type = "unknown";
    let kept = st.documents.kept(&req.query);
    if let Some((key_of_doc, doc)) = &kept {
        if let Some(plan) = st.plans.of(*key_of_doc, doc) {
            if plan.serves(name.as_deref()) {
                let reads = Arc::new(Reads::new());
                let res = plan.run(&ctx, &req.variables, Some(&reads)).await;
                let outcome = if res.is_some() {
                    "answered"
                } else {
                    "executor"
                };
                metrics::counter!(crate::observe::names::GRAPHQL_PLANNED, "outcome" => outcome)
                    .increment(1);
                if let Some(res) = res {
                    return answer(st, res, "query", name.as_deref(), key, Some(reads), start);
                }
            }
        }
        req.set_parsed_query(ExecutableDocument::clone(doc));
    }
    let mut req = req.data(ctx);
    // Unparsable documents go on to the executor, which reports them.
    if let Ok(doc) = req.parsed_query() {
        if let Some(op) = introspection::select(doc, name.as_deref()) {
            op_type = match op.ty {
                OperationType::Query => "query",
                OperationType::Mutation => "mutation",
                OperationType::Subscription => "subscription",
            };
            if via_get && op.ty != OperationType::Query {
                return refuse(
                    ApiError::new(
                        Kind::MethodNotAllowed,
                        "mutations are only accepted over POST",
                    )
                    .with_header(header::ALLOW, HeaderValue::from_static("POST")),
                );
            }
            if op.introspection_only {
                if !introspection::within_bounds(doc, name.as_deref()) {
                    let msg = format!(
                        "introspection may nest at most {} list fields (types, fields, args, …)",
                        introspection::MAX_NESTED_LISTS
                    );
                    return Json(async_graphql::Response::from_errors(vec![
                        ServerError::new(msg, None),
                    ]))
                    .into_response();
                }
                schema = &st.introspection;
            }
        }
    }
    // Only data queries are kept, and only if every read was cacheable.
    let reads =
        (op_type == "query" && std::ptr::eq(schema, &st.data)).then(|| Arc::new(Reads::new()));
    if let Some(r) = &reads {
        req = req.data(r.clone());
    }
    let res = schema.execute(req).await;
    answer(st, res, op_type, name.as_deref(), key, reads, start)
}

/// Counts, renders and (for a data query whose every read was cacheable)
/// keeps the response.
fn answer(
    st: &GraphqlState,
    res: async_graphql::Response,
    op_type: &'static str,
    name: Option<&str>,
    key: Option<bytes::Bytes>,
    reads: Option<Arc<Reads>>,
    start: std::time::Instant,
) -> Response {
    let op_name = metric_name(name);
    observe(op_type, op_name, start);
    let body: bytes::Bytes = match serde_json::to_vec(&res) {
        Ok(b) => b.into(),
        Err(e) => return refuse(ApiError::internal(e)),
    };
    let own_extensions = !res.extensions.is_empty();
    if let (Some(key), Some(reads), true) = (key, reads, res.is_ok() && !own_extensions) {
        st.responses
            .put(key, body.clone(), op_type, op_name, &reads);
    }
    if own_extensions {
        return json_bytes(body);
    }
    json_bytes(announce(st, body))
}

/// Operation names are chosen by clients, so only the first 200 distinct
/// well-formed names become label values; the rest share `other`.
fn metric_name(name: Option<&str>) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let Some(n) = name else { return "anonymous" };
    if n.is_empty() || n.len() > 64 || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return "other";
    }
    let mut seen = SEEN.get_or_init(Default::default).lock().expect("lock");
    if let Some(s) = seen.get(n) {
        return s;
    }
    if seen.len() >= 200 {
        return "other";
    }
    let s: &'static str = Box::leak(n.to_string().into_boxed_str());
    seen.insert(s);
    s
}

/// A request-level failure in the GraphQL response shape.
fn refuse(e: ApiError) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": e.detail,
            "extensions": { "code": super::errors::code(&e), "status": e.status().as_u16(), "type": e.kind.type_uri() },
        }],
    });
    let mut res = (e.status(), Json(body)).into_response();
    for (k, v) in e.headers {
        res.headers_mut().insert(k, v);
    }
    res
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/html"))
}

fn graphiql() -> String {
    async_graphql::http::GraphiQLSource::build()
        .endpoint(PATH)
        .title("GraphiQL")
        .finish()
}
