//! The per-request gate: request id, rate limit, timeout, panic guard,
//! metrics and the access log, in one hand-written service around the
//! whole router.
//!
//! Separate tower layers would each clone the inner service, box a future
//! and touch the header map; on a cached read that overhead is larger than
//! the work itself. Here a request costs one boxed future, and the timeout
//! timer is armed only if the handler actually waits: a read answered from
//! the cache completes on its first poll and never touches the timer wheel.
//!
//! The gate sits outside the router (not on each route), made once per
//! connection: it knows the peer address without a per-request extension,
//! and it names the route itself with the matcher axum uses.

use crate::error::{ApiError, Kind};
use crate::limits::{AuthSubject, Limiter};
use crate::observe::middleware::Observer;
use crate::observe::request_id::MakeFastRequestId;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tower::{Layer, Service};

pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the gate needs, shared by every route.
pub struct GateConfig {
    pub observer: Arc<Observer>,
    pub limiter: Option<Arc<Limiter>>,
    pub timeout: Duration,
    pub ids: MakeFastRequestId,
}

struct Shared {
    config: GateConfig,
    /// (read, write) policy per observer route index, resolved once.
    policies: Vec<(Option<usize>, Option<usize>)>,
    /// Fields added here: the request id and the limiter's (the router has
    /// set the length already).
    added_fields: usize,
}

#[derive(Clone)]
pub struct GateLayer(Arc<Shared>);

impl GateLayer {
    pub fn new(config: GateConfig) -> Self {
        let policies = config
            .observer
            .routes()
            .map(|r| {
                config
                    .limiter
                    .as_ref()
                    .map(|l| l.route_policies(r))
                    .unwrap_or_default()
            })
            .collect();
        let added_fields = 1 + config.limiter.as_ref().map_or(0, |l| l.field_count());
        GateLayer(Arc::new(Shared {
            config,
            policies,
            added_fields,
        }))
    }
}

impl GateLayer {
    /// The gate for one connection from `peer`.
    pub fn connection<S>(&self, inner: S, peer: SocketAddr) -> Gate<S> {
        Gate {
            inner,
            shared: self.0.clone(),
            peer: Some(peer),
        }
    }
}

/// Without a known peer the gate takes it from `ConnectInfo`, when the
/// server that runs the service provides one.
impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;
    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            inner,
            shared: self.0.clone(),
            peer: None,
        }
    }
}

#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
    shared: Arc<Shared>,
    peer: Option<SocketAddr>,
}

impl<S> Service<Request> for Gate<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // The ready service handles this request; a fresh clone waits for the next.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let shared = self.shared.clone();
        let peer = self.peer;
        Box::pin(async move { Ok(pass(&shared, inner, req, peer).await) })
    }
}

async fn pass<S>(shared: &Shared, inner: S, req: Request, peer: Option<SocketAddr>) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let start = Instant::now();
    let config = &shared.config;
    let obs = &*config.observer;
    let _in_flight = obs.enter();
    let route = obs.route_of(req.uri().path());
    let method = req.method().clone();
    let req_size = http_body::Body::size_hint(req.body()).exact().unwrap_or(0);
    let request_id = request_id(config, &req);

    let (read, write) = shared.policies[route];
    let policy = if crate::limits::is_read(&method) {
        read
    } else {
        write
    };
    let mut stamp = None;
    let mut res = match (config.limiter.as_deref(), policy) {
        (Some(l), Some(i)) => {
            let peer = peer.or_else(|| {
                req.extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0)
            });
            match l
                .check(
                    i,
                    req.headers(),
                    peer,
                    req.extensions().get::<AuthSubject>(),
                )
                .await
            {
                Ok(d) => {
                    stamp = Some((l, i, d));
                    run_bounded(inner, req, start + config.timeout).await
                }
                Err((refusal, d)) => {
                    stamp = d.map(|d| (l, i, d));
                    refusal
                }
            }
        }
        _ => run_bounded(inner, req, start + config.timeout).await,
    };
    // One growth at most for the fields added here (handlers that build
    // their own responses size them already).
    res.headers_mut().reserve(shared.added_fields);
    if let Some((l, i, d)) = stamp {
        l.stamp(i, &d, &mut res);
    }
    res.headers_mut()
        .insert(X_REQUEST_ID.clone(), request_id.clone());
    obs.finish(route, &method, &request_id, req_size, &res, start.elapsed());
    res
}

/// The id from `X-Request-Id` when the caller sent a usable one, else a new
/// one. It is logged and echoed in the response; the request itself is not
/// touched (no handler reads it, and a header insert is not free).
fn request_id(config: &GateConfig, req: &Request) -> HeaderValue {
    if let Some(v) = req
        .headers()
        .get(&X_REQUEST_ID)
        .filter(|v| !v.is_empty() && v.len() <= 200)
    {
        return v.clone();
    }
    config.ids.header_value()
}

/// Calls the handler, turning a panic into a 500 and a handler that runs
/// past `deadline` into a 503. The timer is only armed when the first poll
/// comes back pending.
async fn run_bounded<S>(mut inner: S, req: Request, deadline: Instant) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    let fut = match std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(req))) {
        Ok(f) => f,
        Err(_) => return panicked(),
    };
    let mut fut = std::pin::pin!(AssertUnwindSafe(fut).catch_unwind());
    let first = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
    let outcome = match first {
        Poll::Ready(r) => r,
        Poll::Pending => match tokio::time::timeout_at(deadline.into(), fut).await {
            Ok(r) => r,
            Err(_) => {
                return ApiError::new(Kind::Unavailable, "the request took too long")
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
                    .into_response()
            }
        },
    };
    match outcome {
        Ok(Ok(res)) => res,
        Ok(Err(never)) => match never {},
        Err(_) => panicked(),
    }
}

fn panicked() -> Response {
    ApiError::internal("handler panicked").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn app(timeout: Duration) -> Router {
        let observer = Arc::new(Observer::new(vec![
            ("/slow".to_string(), "-"),
            ("/boom".to_string(), "-"),
            ("/ok".to_string(), "-"),
        ]));
        let routes = Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/boom", get(|| async { panic!("a bug") as &'static str }))
            .route("/ok", get(|| async { "fine" }));
        let gate = GateLayer::new(GateConfig {
            observer,
            limiter: None,
            timeout,
            ids: MakeFastRequestId::default(),
        });
        Router::new().fallback_service(gate.layer(routes))
    }

    async fn send(app: Router, uri: &str, id: Option<&str>) -> Response {
        let mut b = axum::http::Request::get(uri);
        if let Some(id) = id {
            b = b.header("x-request-id", id);
        }
        app.oneshot(b.body(Body::empty()).unwrap()).await.unwrap()
    }

    #[tokio::test]
    async fn a_slow_handler_gets_503_with_retry_after() {
        let started = Instant::now();
        let res = send(app(Duration::from_millis(50)), "/slow", None).await;
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()["retry-after"], "1");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the deadline cut the handler short"
        );
    }

    #[tokio::test]
    async fn a_panic_becomes_a_500_problem() {
        let res = send(app(Duration::from_secs(5)), "/boom", None).await;
        assert_eq!(res.status(), 500);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }

    #[tokio::test]
    async fn request_ids_are_echoed_or_made() {
        let res = send(app(Duration::from_secs(5)), "/ok", Some("abc-123")).await;
        assert_eq!(res.headers()["x-request-id"], "abc-123");
        let res = send(app(Duration::from_secs(5)), "/ok", None).await;
        let id = res.headers()["x-request-id"].to_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    }
}
