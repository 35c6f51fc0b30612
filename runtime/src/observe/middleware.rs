//! Per-request measurement and the access log, in one middleware.

use super::names;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use http_body::Body as _;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Route template → resource label, built once from the registry so labels
/// are `&'static` and never a raw path.
pub struct Observer {
    routes: HashMap<&'static str, &'static str>,
    pub requests: Arc<AtomicU64>,
}

impl Observer {
    pub fn new(routes: impl IntoIterator<Item = (String, &'static str)>) -> Self {
        let routes = routes.into_iter().map(|(r, res)| (&*Box::leak(r.into_boxed_str()), res)).collect();
        Observer { routes, requests: Arc::new(AtomicU64::new(0)) }
    }

    /// The label pair for a matched route; unknown routes share one label.
    pub fn labels(&self, matched: Option<&str>) -> (&'static str, &'static str) {
        match matched.and_then(|m| self.routes.get_key_value(m)) {
            Some((route, resource)) => (route, resource),
            None if matched.is_some() => ("other", "-"),
            None => ("unmatched", "-"),
        }
    }
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(s: u16) -> &'static str {
    match s {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Decrements the in-flight gauge even if the request is cancelled.
struct InFlight;
impl InFlight {
    fn enter() -> Self {
        metrics::gauge!(names::HTTP_IN_FLIGHT).increment(1.0);
        InFlight
    }
}
impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(names::HTTP_IN_FLIGHT).decrement(1.0);
    }
}

pub async fn track(State(obs): State<Arc<Observer>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let _guard = InFlight::enter();
    obs.requests.fetch_add(1, Ordering::Relaxed);
    let (route, resource) = obs.labels(req.extensions().get::<MatchedPath>().map(|m| m.as_str()));
    let method = method_label(req.method());
    let req_size = req.body().size_hint().exact().unwrap_or(0);
    let request_id = req.headers().get("x-request-id").cloned();

    let res = next.run(req).await;

    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let class = status_class(status);
    let labels = [("route", route), ("method", method), ("status_class", class), ("resource", resource)];
    metrics::counter!(names::HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(names::HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
    let size_labels = [("route", route), ("method", method), ("resource", resource)];
    metrics::histogram!(names::HTTP_REQUEST_SIZE, &size_labels).record(req_size as f64);
    if let Some(n) = res.body().size_hint().exact() {
        metrics::histogram!(names::HTTP_RESPONSE_SIZE, &size_labels).record(n as f64);
    }
    // The macro checks the level first: nothing is formatted when filtered out.
    tracing::info!(
        target: "resourceful::access",
        request_id = request_id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("-"),
        method,
        route,
        status,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    res
}
