//! Per-request measurement and the access log (called by the gate in
//! `crate::http::gate`).

use super::names;
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use http_body::Body as _;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use metrics::{Counter, Gauge, Histogram};
use std::time::Duration;

/// Route template → resource label, built once from the registry so labels
/// are `&'static` and never a raw path. Metric handles are resolved once per
/// (route, method, status class) and kept, so a request costs no registry
/// lookup and no label allocation.
pub struct Observer {
    /// Looked up on every request: a fast hash, the keys are our own.
    routes: HashMap<&'static str, usize, foldhash::fast::RandomState>,
    /// (route label, resource label) per route index; 0 and 1 are the
    /// shared `unmatched` and `other` entries.
    labels: Vec<(&'static str, &'static str)>,
    status: Box<[OnceLock<StatusMetrics>]>,
    sizes: Box<[OnceLock<SizeMetrics>]>,
    in_flight: OnceLock<Gauge>,
    pub requests: Arc<AtomicU64>,
}

struct StatusMetrics {
    requests: Counter,
    duration: Histogram,
}

struct SizeMetrics {
    request: Histogram,
    response: Histogram,
}

const METHODS: [&str; 8] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const UNMATCHED: usize = 0;
const OTHER: usize = 1;

impl Observer {
    pub fn new(routes: impl IntoIterator<Item = (String, &'static str)>) -> Self {
        let mut labels = vec![("unmatched", "-"), ("other", "-")];
        let mut map = HashMap::default();
        for (route, resource) in routes {
            let route: &'static str = Box::leak(route.into_boxed_str());
            map.insert(route, labels.len());
            labels.push((route, resource));
        }
        Observer {
            status: slots(labels.len() * METHODS.len() * CLASSES.len()),
            sizes: slots(labels.len() * METHODS.len()),
            routes: map,
            labels,
            in_flight: OnceLock::new(),
            requests: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn route_index(&self, matched: Option<&str>) -> usize {
        match matched {
            Some(m) => self.routes.get(m).copied().unwrap_or(OTHER),
            None => UNMATCHED,
        }
    }

    fn status_metrics(&self, route: usize, method: usize, class: usize) -> &StatusMetrics {
        self.status[(route * METHODS.len() + method) * CLASSES.len() + class].get_or_init(|| {
            let (r, res) = self.labels[route];
            let labels = [("route", r), ("method", METHODS[method]), ("status_class", CLASSES[class]), ("resource", res)];
            StatusMetrics {
                requests: metrics::counter!(names::HTTP_REQUESTS, &labels),
                duration: metrics::histogram!(names::HTTP_DURATION, &labels),
            }
        })
    }

    fn size_metrics(&self, route: usize, method: usize) -> &SizeMetrics {
        self.sizes[route * METHODS.len() + method].get_or_init(|| {
            let (r, res) = self.labels[route];
            let labels = [("route", r), ("method", METHODS[method]), ("resource", res)];
            SizeMetrics {
                request: metrics::histogram!(names::HTTP_REQUEST_SIZE, &labels),
                response: metrics::histogram!(names::HTTP_RESPONSE_SIZE, &labels),
            }
        })
    }

    fn in_flight(&self) -> &Gauge {
        self.in_flight.get_or_init(|| metrics::gauge!(names::HTTP_IN_FLIGHT))
    }
}

fn slots<T>(n: usize) -> Box<[OnceLock<T>]> {
    (0..n).map(|_| OnceLock::new()).collect()
}

fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::POST => 1,
        Method::PUT => 2,
        Method::PATCH => 3,
        Method::DELETE => 4,
        Method::HEAD => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

fn status_class(s: u16) -> usize {
    match s {
        100..=199 => 0,
        200..=299 => 1,
        300..=399 => 2,
        400..=499 => 3,
        _ => 4,
    }
}

/// Decrements the in-flight gauge even if the request is cancelled.
pub struct InFlight<'a>(&'a Gauge);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.decrement(1.0);
    }
}

impl Observer {
    /// Every route index's template, in index order.
    pub fn routes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.labels.iter().map(|l| l.0)
    }

    /// Counts a request as in flight until the guard drops.
    pub fn enter(&self) -> InFlight<'_> {
        let g = self.in_flight();
        g.increment(1.0);
        self.requests.fetch_add(1, Ordering::Relaxed);
        InFlight(g)
    }

    /// Records a finished request and writes its access-log line.
    pub fn finish(&self, route: usize, method: &Method, request_id: &HeaderValue, req_size: u64, res: &Response, elapsed: Duration) {
        let method = method_index(method);
        let status = res.status().as_u16();
        let m = self.status_metrics(route, method, status_class(status));
        m.requests.increment(1);
        m.duration.record(elapsed.as_secs_f64());
        let sizes = self.size_metrics(route, method);
        sizes.request.record(req_size as f64);
        if let Some(n) = res.body().size_hint().exact() {
            sizes.response.record(n as f64);
        }
        // The macro checks the level first: nothing is formatted when filtered out.
        tracing::info!(
            target: "resourceful::access",
            request_id = request_id.to_str().unwrap_or("-"),
            method = METHODS[method],
            route = self.labels[route].0,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    }
}
