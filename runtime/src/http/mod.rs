//! The one middleware layer around every route.

pub mod gate;

use crate::config::Config;
use crate::health::Health;
use crate::limits::Limiter;
use crate::observe::middleware::Observer;
use crate::observe::request_id::MakeFastRequestId;
use crate::registry::Registry;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use gate::{Gate, GateConfig, GateLayer};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Shared services the middleware needs.
pub struct Parts {
    pub observer: Arc<Observer>,
    pub limiter: Option<Arc<Limiter>>,
    pub health: Arc<Health>,
    pub flags: Arc<crate::cache::flags::Flags>,
}

/// The routes and the gate in front of them.
#[derive(Clone)]
pub struct Stack {
    routes: Router,
    gate: GateLayer,
}

impl Stack {
    /// Everything behind the gate as one `Router`: for tests, or to serve
    /// it with another server (which should provide `ConnectInfo` so rate
    /// limits key on the peer address).
    pub fn router(&self) -> Router {
        Router::new().fallback_service(self.gate.layer(self.routes.clone()))
    }

    /// The service for one accepted connection.
    pub fn connection(&self, peer: SocketAddr) -> Gate<Router> {
        self.gate.connection(self.routes.clone(), peer)
    }
}

/// Makes the per-connection service for `axum::serve`.
impl<'a, L> Service<IncomingStream<'a, L>> for Stack
where
    L: Listener<Addr = SocketAddr>,
{
    type Response = Gate<Router>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Gate<Router>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, conn: IncomingStream<'a, L>) -> Self::Future {
        std::future::ready(Ok(self.connection(*conn.remote_addr())))
    }
}

pub fn router(registry: Arc<Registry>, config: &Config, parts: Parts) -> Stack {
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

    // One gate for everything per request (see `gate`). Rate limits apply
    // only to routes with a policy: never to probes or scrapes.
    let gate = GateLayer::new(GateConfig {
        observer: parts.observer,
        limiter: parts.limiter,
        timeout: config.request_timeout,
        ids: MakeFastRequestId::default(),
    });
    Stack { routes, gate }
}
