//! The one middleware stack around every route.

use crate::config::Config;
use crate::error::{ApiError, Kind};
use crate::health::Health;
use crate::limits::Limiter;
use crate::observe::middleware::Observer;
use crate::registry::Registry;
use axum::error_handling::HandleErrorLayer;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// Shared services the middleware needs.
pub struct Parts {
    pub observer: Arc<Observer>,
    pub limiter: Option<Arc<Limiter>>,
    pub health: Arc<Health>,
    pub flags: Arc<crate::cache::flags::Flags>,
}

pub fn router(registry: Arc<Registry>, config: &Config, parts: Parts) -> Router {
    let mut routes = Router::new()
        .merge(crate::rest::router(registry.clone(), config))
        .merge(crate::graphql::router(registry.clone(), config))
        .merge(crate::openapi::router(registry.clone()));
    // Rate limits apply to API routes only, never to probes or scrapes.
    if let Some(l) = parts.limiter {
        routes = routes.route_layer(axum::middleware::from_fn_with_state(l, crate::limits::enforce));
    }
    let routes = routes
        .merge(crate::health::router(parts.health))
        .merge(crate::observe::router())
        .merge(crate::admin::router(parts.flags, config.admin_token.clone()))
        .fallback(crate::app::not_found);

    // One ServiceBuilder: each `.layer()` on a Router would box the service.
    routes.layer(
        ServiceBuilder::new()
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(axum::middleware::from_fn_with_state(parts.observer, crate::observe::middleware::track))
            .layer(HandleErrorLayer::new(|_: tower::BoxError| async {
                ApiError::new(Kind::Unavailable, "the request took too long")
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
            }))
            .timeout(config.request_timeout),
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("handler panicked").into_response()
}
