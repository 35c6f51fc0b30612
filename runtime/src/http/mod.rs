//! The routes, and the one gate in front of them.

pub mod assets;
pub mod gate;
pub mod routes;
pub mod serve;
pub mod tls;

use crate::config::Config;
use crate::health::Health;
use crate::identity::Authenticate;
use crate::limits::Limiter;
use crate::observe::middleware::Observer;
use crate::observe::request_id::MakeFastRequestId;
use crate::registry::Registry;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use gate::{ContextNeed, Gate, GateConfig, GateLayer};
use routes::CustomRoute;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Shared services the middleware needs, and the application's own
/// routes, layers and document fragments.
pub struct Parts {
    pub observer: Arc<Observer>,
    pub limiter: Option<Arc<Limiter>>,
    pub health: Arc<Health>,
    pub flags: Arc<crate::cache::flags::Flags>,
    pub authenticator: Option<Arc<dyn Authenticate>>,
    /// Per route (in the observer's order, without its `unmatched` entry).
    pub contexts: Vec<ContextNeed>,
    pub custom: Vec<CustomRoute>,
    pub layers: Vec<Box<dyn FnOnce(Router) -> Router + Send>>,
    pub audit: Option<Arc<crate::audit::Auditor>>,
    pub openapi: Vec<utoipa::openapi::OpenApi>,
    pub idempotency: Arc<crate::store::idempotency::IdempotencyStore>,
    pub maintenance: Option<Arc<crate::maintenance::Schedule>>,
    pub analytics: Option<Arc<crate::analytics::Analytics>>,
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

    /// `routes` (named by `templates`) behind a gate with no limits and no
    /// callers: what a service serves while it starts.
    pub fn plain(routes: Router, templates: &[&str], config: &Config) -> Stack {
        let observer = Arc::new(Observer::new(
            templates.iter().map(|t| (t.to_string(), "-")),
        ));
        let gate = GateLayer::new(GateConfig {
            observer,
            limiter: None,
            authenticator: None,
            contexts: Vec::new(),
            timeout: config.request_timeout,
            ids: MakeFastRequestId::default(),
            audit: None,
            maintenance: None,
            analytics: None,
        });
        Stack { routes, gate }
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
    let merged = parts.custom.iter().any(CustomRoute::is_merged);
    let mut routes = Router::new()
        .merge(crate::rest::router(
            registry.clone(),
            config,
            parts.idempotency.clone(),
        ))
        .merge(crate::graphql::router(
            registry.clone(),
            config,
            parts.maintenance.clone(),
        ))
        .merge(crate::openapi::router(
            &registry,
            config.rate_limit_headers,
            &parts.openapi,
        ))
        .merge(crate::health::router(parts.health))
        .merge(crate::observe::router())
        .merge(crate::admin::router(
            parts.flags,
            config.admin_token.clone(),
        ))
        .merge(custom_routes(&registry, parts.custom))
        .fallback(routes::not_found);
    for apply in parts.layers {
        routes = apply(routes);
    }
    if let Some(cors) = cors(&config.cors_allowed_origins) {
        routes = routes.layer(cors);
    }

    // One gate for everything per request (see `gate`). Rate limits apply
    // only to routes with a policy: never to probes or scrapes.
    // The `unmatched` entry: a merged router's handlers may read the context.
    let mut contexts = vec![if merged {
        ContextNeed::Always
    } else {
        ContextNeed::Never
    }];
    contexts.extend(parts.contexts);
    let gate = GateLayer::new(GateConfig {
        observer: parts.observer,
        limiter: parts.limiter,
        authenticator: parts.authenticator,
        contexts,
        timeout: config.request_timeout,
        ids: MakeFastRequestId::default(),
        audit: parts.audit,
        maintenance: parts.maintenance,
        analytics: parts.analytics,
    });
    Stack { routes, gate }
}

/// `CORS_ALLOWED_ORIGINS`: browsers on these origins may call the API and
/// send `Authorization`; preflights are answered before any handler (and
/// so before any access rule). `*` allows any origin, without credentials.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{header, HeaderName, HeaderValue, Method};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                header::IF_NONE_MATCH,
                HeaderName::from_static("idempotency-key"),
                HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([
                header::ETAG,
                header::LOCATION,
                header::LINK,
                header::RETRY_AFTER,
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("ratelimit"),
                HeaderName::from_static("ratelimit-policy"),
                HeaderName::from_static("idempotent-replayed"),
                HeaderName::from_static("maintenance"),
                HeaderName::from_static("deprecation"),
                HeaderName::from_static("sunset"),
            ])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

/// The application's routes, with typed access for their handlers and
/// axum's bare 405 turned into the problem every route answers.
fn custom_routes(registry: &Arc<Registry>, custom: Vec<CustomRoute>) -> Router {
    if custom.is_empty() {
        return Router::new();
    }
    let mut r = Router::new();
    for c in custom {
        r = r.merge(c.router);
    }
    r.layer(axum::middleware::map_response(
        routes::problem_for_rejections,
    ))
    .layer(axum::Extension(crate::access::ApiRegistry(
        registry.clone(),
    )))
}
