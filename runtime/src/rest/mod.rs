//! REST routes per resource under `/v{version}/{path}`.

mod body;
mod handlers;
pub mod idempotency;
pub mod versions;

use crate::config::Config;
use crate::error::{ApiError, Kind};
use crate::registry::Registry;
use crate::service::ResourceService;
use crate::store::idempotency::IdempotencyStore;
use axum::http::{header, HeaderValue};
use axum::routing::{get, MethodRouter};
use axum::Router;
use std::sync::Arc;

/// What every handler of one resource needs.
pub struct RestState {
    pub svc: Arc<ResourceService>,
    /// Outcomes of writes sent with an `Idempotency-Key` (one table for all).
    pub idempotency: Arc<IdempotencyStore>,
    pub max_body: usize,
    /// `/v1/tasks`
    pub base: String,
    /// Sent with every read (see `handlers::cache_control`).
    pub cache_control: axum::http::HeaderValue,
}

pub const COLLECTION_METHODS: &str = "GET, HEAD, POST";
pub const ITEM_METHODS: &str = "GET, HEAD, PUT, PATCH, DELETE";

pub fn router(
    registry: Arc<Registry>,
    config: &Config,
    idempotency: Arc<IdempotencyStore>,
) -> Router {
    let mut r = Router::new();
    for svc in registry.rest_services() {
        let base = svc.model.route();
        let state = Arc::new(RestState {
            svc: svc.clone(),
            idempotency: idempotency.clone(),
            max_body: config.max_body_bytes,
            base: base.clone(),
            cache_control: handlers::cache_control(svc.model, svc.varies_by_caller()),
        });
        let collection: MethodRouter<Arc<RestState>> = get(handlers::list)
            .post(handlers::create)
            .fallback(|| async { not_allowed(COLLECTION_METHODS) });
        let item: MethodRouter<Arc<RestState>> = get(handlers::get_one)
            .put(handlers::replace)
            .patch(handlers::patch)
            .delete(handlers::delete)
            .fallback(|| async { not_allowed(ITEM_METHODS) });
        r = r.merge(
            Router::new()
                .route(&base, collection)
                .route(&format!("{base}/{{id}}"), item)
                .with_state(state)
                .layer(versions::VersionLayer::new(svc.model)),
        );
    }
    r
}

fn not_allowed(allow: &'static str) -> ApiError {
    ApiError::new(Kind::MethodNotAllowed, format!("allowed methods: {allow}"))
        .with_header(header::ALLOW, HeaderValue::from_static(allow))
}
