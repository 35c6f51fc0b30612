//! Per-request measurement and the access log (called by the gate in
//! `crate::http::gate`).

use super::names;
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use http_body::Body as _;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use metrics::{Counter, Histogram};
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
    /// Requests started (also the spike signal's input) and finished; the
    /// in-flight gauge is their difference, set when `/metrics` is scraped,
    /// so a request costs two plain increments instead of two gauge updates.
    pub requests: Arc<AtomicU64>,
    finished: AtomicU64,
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
            requests: Arc::new(AtomicU64::new(0)),
            finished: AtomicU64::new(0),
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

    fn in_flight_now(&self) -> u64 {
        // `finished` first: a request counted as finished was started before.
        let done = self.finished.load(Ordering::Relaxed);
        self.requests.load(Ordering::Relaxed).saturating_sub(done)
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

/// Every live observer of the process (tests run several Apps), so the
/// scrape can publish the in-flight total.
static OBSERVERS: Mutex<Vec<Weak<Observer>>> = Mutex::new(Vec::new());

/// Makes `obs` count toward `http_requests_in_flight`.
pub fn register(obs: &Arc<Observer>) {
    let mut all = OBSERVERS.lock().expect("observers lock");
    all.retain(|o| o.strong_count() > 0);
    all.push(Arc::downgrade(obs));
}

/// Sets `http_requests_in_flight` from the live observers (before a scrape).
pub fn publish_in_flight() {
    let total: u64 = OBSERVERS.lock().expect("observers lock").iter().filter_map(Weak::upgrade).map(|o| o.in_flight_now()).sum();
    metrics::gauge!(names::HTTP_IN_FLIGHT).set(total as f64);
}

/// Counts a request as finished even if it is cancelled.
pub struct InFlight<'a>(&'a AtomicU64);
impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl Observer {
    /// Every route index's template, in index order.
    pub fn routes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.labels.iter().map(|l| l.0)
    }

    /// Counts a request as in flight until the guard drops.
    pub fn enter(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.finished)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_is_started_minus_finished_even_when_cancelled() {
        let obs = Observer::new(vec![("/a".to_string(), "a")]);
        let g1 = obs.enter();
        let g2 = obs.enter();
        assert_eq!(obs.in_flight_now(), 2);
        drop(g1);
        assert_eq!(obs.in_flight_now(), 1);
        drop(g2); // a cancelled request drops its guard the same way
        assert_eq!(obs.in_flight_now(), 0);
        assert_eq!(obs.requests.load(Ordering::Relaxed), 2, "the spike signal counts starts");
    }

    #[test]
    fn unknown_and_unmatched_routes_share_labels() {
        let obs = Observer::new(vec![("/a".to_string(), "a")]);
        assert_eq!(obs.labels[obs.route_index(Some("/a"))], ("/a", "a"));
        assert_eq!(obs.labels[obs.route_index(Some("/zzz"))].0, "other");
        assert_eq!(obs.labels[obs.route_index(None)].0, "unmatched");
    }
}
