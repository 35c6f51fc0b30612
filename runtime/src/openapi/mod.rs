//! OpenAPI 3.1 at `/openapi.json` (every resource at its newest version),
//! per API version at `/v{n}/openapi.json` when older versions are served,
//! and the docs UI at `/docs`.
//!
//! The document is built from the registered models once, at start-up,
//! and served from its serialized bytes.

mod docs_ui;
mod document;
mod params;
mod responses;
mod schemas;
mod security;

pub use document::document;

use crate::error::{ApiError, Kind};
use crate::limits::HeaderStyle;
use crate::registry::Registry;
use crate::representation::{etag_matches, etag_of};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use std::sync::Arc;

/// `info.title` unless [`router_with_info`] says otherwise.
pub const DEFAULT_TITLE: &str = "Resourceful API";
/// `info.version` (the document's version, not an API route version).
pub const DEFAULT_VERSION: &str = "1";

/// The document describes the RateLimit fields in the style the limiter
/// sends, and includes the application's own `fragments`.
pub fn router(
    registry: &Registry,
    rate_limit: HeaderStyle,
    fragments: &[utoipa::openapi::OpenApi],
) -> Router {
    router_with_info(
        registry,
        DEFAULT_TITLE,
        DEFAULT_VERSION,
        rate_limit,
        fragments,
    )
}

/// Like [`router`], with the document's title and version.
pub fn router_with_info(
    registry: &Registry,
    title: &str,
    version: &str,
    rate_limit: HeaderStyle,
    fragments: &[utoipa::openapi::OpenApi],
) -> Router {
    let spec = |services| {
        let mut doc = document::document_of(registry, services, title, version, rate_limit);
        for f in fragments {
            doc.merge(f.clone());
        }
        security::describe(&mut doc, registry);
        document::answer_431_everywhere(&mut doc);
        let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serializes");
        document::variables_as_json_content(&mut value);
        let json = value.to_string();
        Arc::new(Spec {
            etag: etag_of(json.as_bytes()),
            json: Bytes::from(json),
        })
    };
    // The same 405 problem as every other route.
    let not_allowed = || async {
        ApiError::new(Kind::MethodNotAllowed, "allowed methods: GET, HEAD")
            .with_header(header::ALLOW, HeaderValue::from_static("GET, HEAD"))
    };
    let newest = spec(registry.services.iter().collect());
    let mut r = Router::new().route(
        "/openapi.json",
        get(move |h: HeaderMap| async move { newest.respond(&h) }).fallback(not_allowed),
    );
    // With older versions served, one document per API version too.
    if !registry.older.is_empty() {
        for v in registry.api_versions() {
            // The document of the newest version is `/openapi.json`'s,
            // `info` included.
            let doc = spec(registry.as_of(v));
            r = r.route(
                &version_document(v),
                get(move |h: HeaderMap| async move { doc.respond(&h) }).fallback(not_allowed),
            );
        }
    }
    r.route("/docs", get(docs_ui::page).fallback(not_allowed))
        .route(
            "/docs/assets/{name}",
            get(docs_ui::asset).fallback(not_allowed),
        )
}

/// `/v1/openapi.json`: the API as of version 1.
pub fn version_document(v: u32) -> String {
    format!("/v{v}/openapi.json")
}

struct Spec {
    json: Bytes,
    etag: String,
}

impl Spec {
    fn respond(&self, headers: &HeaderMap) -> Response {
        let etag = HeaderValue::from_str(&self.etag).expect("hex etag");
        // Clients revalidate with the ETag, so a redeploy is seen at once.
        let cache = (header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let inm = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok());
        if inm.is_some_and(|h| etag_matches(h, &self.etag, true)) {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag), cache]).into_response();
        }
        let ct = (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        ([ct, (header::ETAG, etag), cache], self.json.clone()).into_response()
    }
}
