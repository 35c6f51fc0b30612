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

use crate::context::Context as RequestContext;
use crate::error::{ApiError, Kind};
use crate::identity::{Authenticate, Authentication, Principal};
use crate::limits::{Decision, Limiter, Verdict};
use crate::observe::middleware::{Observer, UNMATCHED};
use crate::observe::request_id::MakeFastRequestId;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderName, HeaderValue, Method};
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
    /// Establishes the caller before the limiter decides.
    pub authenticator: Option<Arc<dyn Authenticate>>,
    /// Per observer route index: when its handlers read the context.
    pub contexts: Vec<ContextNeed>,
    pub timeout: Duration,
    pub ids: MakeFastRequestId,
    /// Records every request (see `audit`).
    pub audit: Option<Arc<crate::audit::Auditor>>,
    /// Announces windows on every response; refuses requests in `full` ones.
    pub maintenance: Option<Arc<crate::maintenance::Schedule>>,
    /// Counts the busiest clients (sampled) for the analytics page.
    pub analytics: Option<Arc<crate::analytics::Analytics>>,
}

/// Whether a route's handlers read the request's [`RequestContext`]
/// (attaching it costs an extension map, so reads that do not need it
/// skip it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextNeed {
    Never,
    /// Writes only (resources without read scopes).
    Writes,
    Always,
}

struct Shared {
    contexts: Vec<ContextNeed>,
    config: GateConfig,
    /// (read, write) policy per observer route index, resolved once.
    policies: Vec<(Option<usize>, Option<usize>)>,
    /// Fields added here: the request id and the limiter's (the router has
    /// set the length already).
    added_fields: usize,
    /// Per observer route index: served during a `full` maintenance window.
    exempt: Vec<bool>,
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
        let added_fields = 3 + config.limiter.as_ref().map_or(0, |l| l.field_count());
        let exempt = config
            .observer
            .routes()
            .map(crate::maintenance::routes::exempt)
            .collect();
        let mut contexts = config.contexts.clone();
        contexts.resize(config.observer.routes().count(), ContextNeed::Never);
        GateLayer(Arc::new(Shared {
            contexts,
            config,
            policies,
            added_fields,
            exempt,
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
    type Future = GateFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    /// Everything up to the handler runs here, synchronously: with no
    /// authenticator (or one that answers at once) and the in-process
    /// limiter, a request is decided and dispatched before the first poll,
    /// and its future is stored in place (no box) holding only the
    /// handler's future and what the response needs afterwards.
    fn call(&mut self, req: Request) -> GateFuture<S::Future> {
        let start = Instant::now();
        let shared = self.shared.clone();
        let config = &shared.config;
        config.observer.start();
        let route = config.observer.route_of(req.uri().path());
        let after = After {
            route,
            req_size: http_body::Body::size_hint(req.body()).exact().unwrap_or(0),
            request_id: request_id(config, &req),
            method: req.method().clone(),
            start,
            stamp: None,
            span: tracing::Span::none(),
            audit: None,
            shared,
        };
        let peer = self.peer;
        if after
            .shared
            .config
            .audit
            .as_ref()
            .is_some_and(|a| a.refuses())
        {
            // AUDIT_ON_FULL=reject: nothing is served unrecorded.
            let e = crate::error::ApiError::new(
                crate::error::Kind::Unavailable,
                "the audit trail is behind; try again shortly",
            )
            .with_header(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from_static("1"),
            );
            return GateFuture::Done {
                res: Some(after.complete(e.into_response())),
            };
        }
        if let Some(refusal) = after.refused_by_maintenance() {
            return GateFuture::Done {
                res: Some(after.complete(refusal.into_response())),
            };
        }
        // Probes, scrapes, the document and the admin routes (their own
        // token) never ask who the caller is: no credential is checked.
        // (A path nothing serves still names its caller, for the audit.)
        let anonymous = route != UNMATCHED && after.shared.contexts[route] == ContextNeed::Never;
        let Some(auth) = after
            .shared
            .config
            .authenticator
            .as_ref()
            .filter(|_| !anonymous)
        else {
            return self.admit_as(req, after, None);
        };
        match auth.authenticate(&req) {
            Authentication::Ready(Ok(principal)) => self.admit_as(req, after, principal),
            Authentication::Ready(Err(e)) => GateFuture::Done {
                res: Some(after.complete(e.into_response())),
            },
            // The ready service goes with the future; a fresh clone waits
            // for the next request.
            Authentication::Pending(who) => {
                let inner = take_ready(&mut self.inner);
                let fut = async move {
                    match who.await {
                        Ok(principal) => decide_later(inner, req, after, principal, peer).await,
                        Err(e) => after.complete(e.into_response()),
                    }
                };
                GateFuture::Waiting { fut: Box::pin(fut) }
            }
        }
    }
}

impl<S> Gate<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    /// Rate-limits and dispatches a request from `principal`.
    fn admit_as(
        &mut self,
        mut req: Request,
        mut after: After,
        principal: Option<Arc<Principal>>,
    ) -> GateFuture<S::Future> {
        attach(&mut req, &mut after, principal, self.peer);
        let (Some(limiter), Some(i)) = (after.shared.config.limiter.as_ref(), after.policy(&req))
        else {
            return GateFuture::Running {
                running: Running::new(&mut self.inner, req, after),
            };
        };
        let peer = peer_of(self.peer, &req);
        let subject = subject_of(&req);
        match limiter.check_now(i, req.headers(), peer, subject) {
            // Called here, the inner service needs no clone of its own (nor
            // the limiter): a reference count both cores touch is not free.
            Some(verdict) => admit(verdict, i, &mut self.inner, req, after),
            // The shared (Redis) limiter answers asynchronously.
            None => {
                let mut inner = take_ready(&mut self.inner);
                let limiter = limiter.clone();
                let fut = async move {
                    let verdict = limiter
                        .check(i, req.headers(), peer, subject_of(&req))
                        .await;
                    run(admit(verdict, i, &mut inner, req, after)).await
                };
                GateFuture::Waiting { fut: Box::pin(fut) }
            }
        }
    }
}

/// The ready inner service, leaving a fresh clone in its place.
fn take_ready<S: Clone>(inner: &mut S) -> S {
    let clone = inner.clone();
    std::mem::replace(inner, clone)
}

/// The rest of [`Gate::admit_as`] once an authenticator answered later.
async fn decide_later<S>(
    mut inner: S,
    mut req: Request,
    mut after: After,
    principal: Option<Arc<Principal>>,
    peer: Option<SocketAddr>,
) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    attach(&mut req, &mut after, principal, peer);
    let limited = after.shared.config.limiter.clone().zip(after.policy(&req));
    let Some((limiter, i)) = limited else {
        return Running::new(&mut inner, req, after).await;
    };
    let peer = peer_of(peer, &req);
    let verdict = limiter
        .check(i, req.headers(), peer, subject_of(&req))
        .await;
    run(admit(verdict, i, &mut inner, req, after)).await
}

/// Drives a future [`admit`] made.
async fn run<F>(fut: GateFuture<F>) -> Response
where
    F: Future<Output = Result<Response, Infallible>>,
{
    match fut {
        GateFuture::Running { running } => running.await,
        GateFuture::Done { res } => res.expect("a fresh response"),
        GateFuture::Waiting { .. } => unreachable!("admit never waits"),
    }
}

/// The socket peer, or the one the server put in `ConnectInfo`.
fn peer_of(known: Option<SocketAddr>, req: &Request) -> Option<SocketAddr> {
    known.or_else(|| {
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0)
    })
}

fn subject_of(req: &Request) -> Option<&str> {
    req.extensions().get::<RequestContext>()?.subject()
}

/// Opens the request's span and, where a handler reads it, attaches the
/// [`RequestContext`] (request id and principal).
fn attach(
    req: &mut Request,
    after: &mut After,
    principal: Option<Arc<Principal>>,
    peer: Option<SocketAddr>,
) {
    let config = &after.shared.config;
    after.span = tracing::info_span!(
        "request",
        request_id = %after.request_id.to_str().unwrap_or("-"),
        method = %after.method,
        // A merged router's template is recorded when it is known.
        route = (after.route != UNMATCHED)
            .then(|| tracing::field::display(config.observer.route_label(after.route))),
        subject = principal.as_deref().map(|p| p.subject.as_str()),
    );
    let wanted = match after.shared.contexts[after.route] {
        ContextNeed::Always => true,
        ContextNeed::Writes => !crate::limits::is_read(&after.method),
        ContextNeed::Never => false,
    };
    if let Some(a) = &config.analytics {
        a.clients.observe(|| match principal.as_deref() {
            Some(p) => Some(p.subject.clone()),
            None => peer_of(peer, req).map(|p| p.ip().to_string()),
        });
    }
    if config.audit.is_some() {
        after.audit = Some(Box::new(AuditSeed {
            principal: principal.clone(),
            peer: peer_of(peer, req),
            item: config.observer.resource_label(after.route).and_then(|_| {
                let template = config.observer.route_label(after.route);
                crate::audit::item_segment(template, req.uri().path())
            }),
        }));
    }
    // The limiter reads the subject from the context too.
    if wanted || principal.is_some() {
        let ctx = RequestContext::for_request(after.request_id.clone(), principal);
        req.extensions_mut().insert(ctx);
    }
}

/// Dispatches a let-through request, or answers a refused one.
fn admit<F>(
    verdict: Verdict,
    i: usize,
    inner: &mut impl Service<Request, Future = F>,
    req: Request,
    mut after: After,
) -> GateFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    match verdict {
        Ok(d) => {
            after.stamp = Some((i, d));
            GateFuture::Running {
                running: Running::new(inner, req, after),
            }
        }
        Err((refusal, d)) => {
            after.stamp = d.map(|d| (i, d));
            GateFuture::Done {
                res: Some(after.complete(refusal)),
            }
        }
    }
}

/// What the response needs once the handler is done.
struct After {
    shared: Arc<Shared>,
    route: usize,
    method: Method,
    req_size: u64,
    request_id: HeaderValue,
    start: Instant,
    /// The limiter's policy and decision, for the RateLimit fields.
    stamp: Option<(usize, Decision)>,
    /// The request's tracing span (disabled when nothing listens).
    span: tracing::Span,
    /// What the audit record needs beyond the response (when auditing).
    audit: Option<Box<AuditSeed>>,
}

/// The caller, peer and record id of a request, for its audit record.
struct AuditSeed {
    principal: Option<Arc<Principal>>,
    peer: Option<SocketAddr>,
    item: Option<Box<str>>,
}

impl After {
    /// 503 during a `full` window, for all but the exempt routes.
    fn refused_by_maintenance(&self) -> Option<ApiError> {
        let m = self.shared.config.maintenance.as_ref()?;
        if self.shared.exempt[self.route] {
            return None;
        }
        m.refuse_all()
    }

    /// The rate-limit policy for this request, if any.
    fn policy(&self, req: &Request) -> Option<usize> {
        let (read, write) = self.shared.policies[self.route];
        if crate::limits::is_read(req.method()) {
            read
        } else {
            write
        }
    }

    /// Adds the gate's fields to the response and records it.
    fn complete(mut self, mut res: Response) -> Response {
        let config = &self.shared.config;
        // One growth at most for the fields added here (handlers that build
        // their own responses size them already).
        res.headers_mut().reserve(self.shared.added_fields);
        if let (Some(l), Some((i, d))) = (config.limiter.as_deref(), &self.stamp) {
            l.stamp(*i, d, &mut res);
        }
        config.observer.finish(
            self.route,
            &self.method,
            &self.request_id,
            self.req_size,
            &res,
            self.start.elapsed(),
        );
        if self.shared.config.audit.is_some() {
            let entry = self.audit_entry(&res);
            if let Some(a) = &self.shared.config.audit {
                a.record_request(entry);
            }
        }
        // Moved, not cloned: a clone of a fresh value would allocate.
        let request_id = std::mem::replace(&mut self.request_id, HeaderValue::from_static(""));
        let h = res.headers_mut();
        h.insert(X_REQUEST_ID.clone(), request_id);
        // Browsers must take every body as the type it says it is.
        h.insert(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        let announced = self
            .shared
            .config
            .maintenance
            .as_ref()
            .and_then(|m| m.header());
        if let Some(announced) = announced {
            h.insert(crate::maintenance::header::MAINTENANCE.clone(), announced);
        }
        res
    }
}

impl After {
    /// The request's audit entry (refused before routing: no caller).
    fn audit_entry(&mut self, res: &Response) -> crate::audit::RequestEntry {
        let seed = self.audit.take();
        let (principal, peer, item) = match seed.map(|s| *s) {
            Some(s) => (s.principal, s.peer, s.item),
            None => (None, None, None),
        };
        let observer = &self.shared.config.observer;
        crate::audit::RequestEntry {
            at: std::time::SystemTime::now(),
            request_id: self.request_id.clone(),
            principal,
            method: self.method.clone(),
            route: observer.route_label(self.route),
            resource: observer.resource_label(self.route),
            item,
            status: res.status().as_u16(),
            latency: self.start.elapsed(),
            peer: peer.map(|p| p.ip()),
        }
    }
}

impl Drop for After {
    /// Finished or cancelled, the request is no longer in flight.
    fn drop(&mut self) {
        self.shared.config.observer.leave();
    }
}

pin_project_lite::pin_project! {
    /// The future of one request through the gate.
    #[project = GateProj]
    pub enum GateFuture<F> {
        /// The handler runs.
        Running { #[pin] running: Running<F> },
        /// Answered without the handler (refused by the limiter).
        Done { res: Option<Response> },
        /// Waiting on the shared rate limiter (Redis), then running.
        Waiting { fut: Pin<Box<dyn Future<Output = Response> + Send>> },
    }
}

impl<F> Future for GateFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GateProj::Running { running } => running.poll(cx).map(Ok),
            GateProj::Done { res } => Poll::Ready(Ok(res.take().expect("polled after completion"))),
            GateProj::Waiting { fut } => fut.as_mut().poll(cx).map(Ok),
        }
    }
}

pin_project_lite::pin_project! {
    /// The handler's future, with a panic turned into a 500 and a handler
    /// that runs past the deadline into a 503. The timer is armed only when
    /// the handler first waits: a read answered from the cache never
    /// touches the timer wheel.
    pub struct Running<F> {
        #[pin]
        handler: Option<futures::future::CatchUnwind<AssertUnwindSafe<F>>>,
        timer: Option<Pin<Box<tokio::time::Sleep>>>,
        after: Option<After>,
        // Entered while the handler runs, so its logs carry the request id.
        span: tracing::Span,
    }
}

impl<F> Running<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    fn new<S: Service<Request, Future = F>>(inner: &mut S, req: Request, mut after: After) -> Self {
        let span = std::mem::replace(&mut after.span, tracing::Span::none());
        let called = {
            let _in_span = span.enter();
            std::panic::catch_unwind(AssertUnwindSafe(|| inner.call(req)))
        };
        Running {
            handler: called.ok().map(|f| AssertUnwindSafe(f).catch_unwind()),
            timer: None,
            after: Some(after),
            span,
        }
    }
}

impl<F> Future for Running<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let mut this = self.project();
        let _in_span = this.span.enter();
        let res = match this.handler.as_mut().as_pin_mut() {
            None => panicked(),
            Some(handler) => match handler.poll(cx) {
                Poll::Ready(Ok(Ok(res))) => res,
                Poll::Ready(Ok(Err(never))) => match never {},
                Poll::Ready(Err(_)) => panicked(),
                Poll::Pending => {
                    let after = this.after.as_ref().expect("polled after completion");
                    let deadline = after.start + after.shared.config.timeout;
                    let timer = this
                        .timer
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())));
                    if timer.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    // Too late: the handler is dropped here, not left running.
                    this.handler.set(None);
                    ApiError::new(Kind::Unavailable, "the request took too long")
                        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))
                        .into_response()
                }
            },
        };
        Poll::Ready(
            this.after
                .take()
                .expect("polled after completion")
                .complete(res),
        )
    }
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
        app_with(timeout).0
    }

    fn app_with(timeout: Duration) -> (Router, Arc<Observer>) {
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
            observer: observer.clone(),
            limiter: None,
            authenticator: None,
            contexts: Vec::new(),
            timeout,
            ids: MakeFastRequestId::default(),
            audit: None,
            maintenance: None,
            analytics: None,
        });
        (Router::new().fallback_service(gate.layer(routes)), observer)
    }

    #[tokio::test]
    async fn finished_and_abandoned_requests_leave_the_in_flight_count() {
        let (app, observer) = app_with(Duration::from_secs(5));
        assert_eq!(send(app.clone(), "/ok", None).await.status(), 200);
        assert_eq!(send(app.clone(), "/boom", None).await.status(), 500);
        assert_eq!(observer.in_flight_now(), 0);
        // A client that goes away drops the request's future mid-handler.
        let slow = send(app, "/slow", None);
        assert!(tokio::time::timeout(Duration::from_millis(50), slow)
            .await
            .is_err());
        assert_eq!(observer.in_flight_now(), 0);
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
