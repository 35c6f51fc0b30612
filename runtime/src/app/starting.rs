//! Serving before the database answers: an orchestrator may start the
//! service before its database, or the database may be restarting. The
//! port is bound at once and a small stack answers while the app waits:
//! liveness 200 (the process is fine), readiness 503 naming what it waits
//! for (so no traffic is sent), every other route 503 with `Retry-After`.
//! Once the database answers, the app is built and takes over on the same
//! socket, without a restart. A mistake waiting cannot fix (a bad URL, a
//! refused password, invalid declarations) ends the process at once.

use crate::config::Config;
use crate::error::{ApiError, Kind};
use arc_swap::ArcSwap;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;

/// What the starting service says it waits for.
pub type Waiting = Arc<ArcSwap<String>>;

/// The routes served while waiting.
pub fn routes(waiting: Waiting) -> Router {
    let ready = waiting.clone();
    Router::new()
        .route(
            "/health/live",
            get(|| async { Json(serde_json::json!({ "status": "up" })) }),
        )
        .route(
            "/health/ready",
            get(move || {
                let why = ready.load_full();
                async move { not_ready(&why) }
            }),
        )
        .merge(crate::observe::router())
        .fallback(move || {
            let why = waiting.load_full();
            async move { starting(&why) }
        })
}

fn retry_after(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    res
}

/// Readiness as the built service reports it, with the database down.
fn not_ready(why: &str) -> Response {
    let body = serde_json::json!({
        "status": "down",
        "reason": "starting",
        "components": [{"name": "database", "status": "down", "required": true, "error": why}],
    });
    retry_after((StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response())
}

fn starting(why: &str) -> Response {
    let e = ApiError::new(Kind::Unavailable, format!("the service is starting: {why}"))
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"));
    e.into_response()
}

/// The templates of [`routes`], for the gate's measurements.
pub const TEMPLATES: [&str; 3] = ["/health/live", "/health/ready", "/metrics"];

/// Whether the configuration can start before its database (SQLite files
/// are opened at once; only a server can be unreachable).
pub fn may_wait(config: &Config) -> bool {
    config.database_url.starts_with("postgres")
}
