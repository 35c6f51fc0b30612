//! Responses: one reusable `application/problem+json` response per error
//! kind the server produces (texts and URNs come from `error::Kind`, so the
//! document cannot drift from the wire), 304, and the response headers.

use super::schemas::{reference, PROBLEM};
use crate::error::{Kind, PROBLEM_JSON};
use crate::limits::HeaderStyle;
use serde_json::json;
use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Ref, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, RefOr};

/// The kinds some route can answer with, in status order.
const KINDS: [Kind; 14] = [
    Kind::MalformedJson,
    Kind::BadQuery,
    Kind::Unauthorized,
    Kind::Forbidden,
    Kind::NotFound,
    Kind::MethodNotAllowed,
    Kind::Conflict,
    Kind::PreconditionFailed,
    Kind::PayloadTooLarge,
    Kind::UnsupportedMediaType,
    Kind::Validation,
    Kind::RateLimited,
    Kind::Internal,
    Kind::Unavailable,
];

pub const NOT_MODIFIED: &str = "NotModified";

/// The component name of a kind's response: the kind's own name
/// (`NotFound`, `Validation`), so new kinds need no table here.
fn name(kind: Kind) -> String {
    format!("{kind:?}")
}

/// When a client sees each kind.
fn explain(kind: Kind) -> &'static str {
    match kind {
        Kind::MalformedJson => "The body is empty or not valid JSON.",
        Kind::Unauthorized => "No bearer token, or one that is malformed, expired, forged or from an issuer this API does not trust; `WWW-Authenticate` says which (`error=\"invalid_token\"`).",
        Kind::Forbidden => "The caller may not do this: its roles or scopes do not grant it, the row is another owner's, a field it sent is not its to write, or a rule of the application refused it.",
        Kind::BadQuery => "A query parameter is unknown, not filterable or sortable, or has a bad value; `errors` lists each one.",
        Kind::Validation => "The body is well-formed JSON but breaks the resource's rules; `errors` lists every invalid field.",
        Kind::NotFound => "No record has this id (or the id does not parse).",
        Kind::MethodNotAllowed => "The path exists but not with this method; `Allow` lists the methods it supports.",
        Kind::Conflict => "A unique value is already taken, or a relation would break (a referenced record is missing, or others still refer to this one).",
        Kind::PreconditionFailed => "`If-Match` does not match the record's current ETag: it changed since you read it.",
        Kind::PayloadTooLarge => "The body exceeds the server's size limit.",
        Kind::UnsupportedMediaType => "The `Content-Type` is missing or not a JSON type this operation accepts.",
        Kind::RateLimited => "This client used up its request quota for the route; retry after `Retry-After` seconds.",
        Kind::Internal => "The server failed; the cause is logged, not sent.",
        Kind::Unavailable => "The database is unavailable, the request took too long, or a maintenance window is on (problem type `urn:resourceful:problem:maintenance`, with the window as `maintenance`); retry after `Retry-After` seconds.",
        _ => "",
    }
}

fn example(kind: Kind) -> serde_json::Value {
    let (detail, errors) = match kind {
        Kind::BadQuery => (
            "priority[gt]: expected an integer, got \"high\"",
            Some(
                json!([{ "field": "priority", "pointer": "priority[gt]", "code": "type", "message": "expected an integer, got \"high\"" }]),
            ),
        ),
        Kind::Validation => (
            "/title: `title` is required",
            Some(
                json!([{ "field": "title", "pointer": "/title", "code": "required", "message": "`title` is required" }]),
            ),
        ),
        _ => (explain(kind), None),
    };
    let mut body = json!({ "type": kind.type_uri(), "title": kind.title(), "status": kind.status().as_u16(), "detail": detail });
    if let Some(e) = errors {
        body["errors"] = e;
    }
    body
}

/// The reusable responses, keyed by component name.
pub fn components(rate_limit: HeaderStyle) -> Vec<(String, RefOr<Response>)> {
    let mut out: Vec<(String, RefOr<Response>)> = KINDS
        .iter()
        .map(|&kind| {
            let content = ContentBuilder::new()
                .schema(Some(reference(PROBLEM)))
                .example(Some(example(kind)))
                .build();
            let mut r = ResponseBuilder::new()
                .description(format!("{}. {}", kind.title(), explain(kind)))
                .content(PROBLEM_JSON, content);
            match kind {
                Kind::Unavailable => r = r.header("Retry-After", retry_after()),
                Kind::RateLimited => {
                    r = r.header("Retry-After", retry_after());
                    for (name, header) in rate_limit_headers(rate_limit) {
                        r = r.header(name, header);
                    }
                }
                Kind::MethodNotAllowed => r = r.header("Allow", allow()),
                Kind::Unauthorized | Kind::Forbidden => {
                    r = r.header("WWW-Authenticate", challenge())
                }
                _ => {}
            }
            (name(kind), r.build().into())
        })
        .collect();
    out.push((
        NOT_MODIFIED.into(),
        ResponseBuilder::new()
            .description("Not Modified: the `If-None-Match` ETag still matches; no body.")
            .header("ETag", etag())
            .header(
                "Cache-Control",
                string_header("As on the 200: how long the stored copy may be reused."),
            )
            .build()
            .into(),
    ));
    out
}

/// `("404", $ref NotFound)`, ready for `OperationBuilder::response`.
pub fn problem(kind: Kind) -> (String, RefOr<Response>) {
    (
        kind.status().as_str().to_string(),
        Ref::from_response_name(name(kind)).into(),
    )
}

pub fn not_modified() -> (String, RefOr<Response>) {
    ("304".into(), Ref::from_response_name(NOT_MODIFIED).into())
}

fn string_header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
        .build()
}

pub fn etag() -> Header {
    string_header("A strong ETag of this representation; send it back in `If-None-Match` (reads) or `If-Match` (writes).")
}

/// The `Cache-Control` of reads, described for `m`.
pub fn cache_control(m: &crate::model::ResourceModel) -> Header {
    let reuse = match m.client_cache_secs {
        Some(n) if n > 0 => {
            format!("`max-age={n}`: clients may reuse this for {n} s without asking")
        }
        _ => "`no-cache`: clients revalidate every read with `If-None-Match` (answered 304)"
            .to_string(),
    };
    string_header(&format!(
        "{reuse}; preceded by `private` when the view depends on the caller."
    ))
}

pub fn replayed() -> Header {
    string_header("`true` when this is the stored outcome of an earlier request with the same `Idempotency-Key`.")
}

pub fn location() -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::Custom("uri-reference".into()))),
        )
        .description(Some("The path of the new record (single create only)."))
        .build()
}

pub fn link() -> Header {
    string_header("`<…?cursor=…>; rel=\"next\"`: the next page with the same filters and sort; absent on the last page.")
}

pub fn retry_after() -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some("Seconds to wait before retrying."))
        .build()
}

/// RFC 6750's challenge: `invalid_token` (401) or `insufficient_scope` (403).
pub fn challenge() -> Header {
    string_header("`Bearer error=\"invalid_token\"` (401) or `Bearer error=\"insufficient_scope\"` (403), with an `error_description`.")
}

pub fn allow() -> Header {
    string_header("The methods this path supports, e.g. `GET, HEAD, POST`.")
}

/// The fields rate-limited routes send, for the overview text.
pub fn rate_limit_fields(style: HeaderStyle) -> &'static str {
    match style {
        HeaderStyle::Draft09 => "`RateLimit-Policy` (the quota) and `RateLimit` (what is left), as in draft-ietf-httpapi-ratelimit-headers-09",
        HeaderStyle::Draft06 => "`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`, as in draft-ietf-httpapi-ratelimit-headers-06",
    }
}

/// draft-ietf-httpapi-ratelimit-headers fields, sent on rate-limited routes.
fn rate_limit_headers(style: HeaderStyle) -> Vec<(&'static str, Header)> {
    let int = |description: &str| {
        HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .description(Some(description))
            .build()
    };
    match style {
        HeaderStyle::Draft09 => vec![
            ("RateLimit", string_header("What is left of the policy's quota: `\"tasks:read\";r=599;t=60` (`r` requests remain, the quota is full again in `t` seconds).")),
            ("RateLimit-Policy", string_header("The quota: `\"tasks:read\";q=600;w=60` (`q` requests per `w` seconds, per client).")),
        ],
        HeaderStyle::Draft06 => vec![
            ("RateLimit-Limit", int("Requests allowed per window.")),
            ("RateLimit-Remaining", int("Requests left in the current window.")),
            ("RateLimit-Reset", int("Seconds until the quota is fully available again.")),
            ("RateLimit-Policy", string_header("The quota and its window in seconds, e.g. `600;w=60`.")),
        ],
    }
}
