//! `/health/live` and `/health/ready`.

use crate::registry::Registry;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Instant;

pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/health/live", get(|| async { Json(serde_json::json!({ "status": "up" })) }))
        .route("/health/ready", get(ready))
        .with_state(registry)
}

/// Ready when the database answers.
async fn ready(State(reg): State<Arc<Registry>>) -> impl IntoResponse {
    let start = Instant::now();
    let res = tokio::time::timeout(std::time::Duration::from_secs(2), reg.db.ping()).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let (ok, error) = match res {
        Ok(Ok(())) => (true, None),
        Ok(Err(e)) => (false, Some(e.to_string())),
        Err(_) => (false, Some("timed out".to_string())),
    };
    let body = serde_json::json!({
        "status": if ok { "up" } else { "down" },
        "components": { "database": { "status": if ok { "up" } else { "down" }, "latency_ms": ms, "error": error } },
    });
    let status = if ok { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}
