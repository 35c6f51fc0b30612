//! The one middleware layer around every route.

pub mod gate;

use crate::config::Config;
use crate::health::Health;
use crate::limits::Limiter;
use crate::observe::middleware::Observer;
use crate::observe::request_id::MakeFastRequestId;
use crate::registry::Registry;
use axum::Router;
use gate::{GateConfig, GateLayer};
use std::sync::Arc;

/// Shared services the middleware needs.
pub struct Parts {
    pub observer: Arc<Observer>,
    pub limiter: Option<Arc<Limiter>>,
    pub health: Arc<Health>,
    pub flags: Arc<crate::cache::flags::Flags>,
}

pub fn router(registry: Arc<Registry>, config: &Config, parts: Parts) -> Router {
    let routes = Router::new()
        .merge(crate::rest::router(registry.clone(), config))
        .merge(crate::graphql::router(registry.clone(), config))
        .merge(crate::openapi::router(
            registry.clone(),
            config.rate_limit_headers,
        ))
        .merge(crate::health::router(parts.health))
        .merge(crate::observe::router())
        .merge(crate::admin::router(
            parts.flags,
            config.admin_token.clone(),
        ))
        .fallback(crate::app::not_found);

    // One layer for everything per request (see `gate`). Rate limits apply
    // only to routes with a policy: never to probes or scrapes.
    routes.layer(GateLayer::new(GateConfig {
        observer: parts.observer,
        limiter: parts.limiter,
        timeout: config.request_timeout,
        ids: MakeFastRequestId::default(),
    }))
}
