//! Per-request measurement and the access log (called by the gate in
//! `crate::http::gate`).

use super::names;
use super::striped::{escape, Buckets, Counter, Dist, Striped, Totals};
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use http_body::Body as _;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, Weak};
use std::time::Duration;

/// Route template → resource label, built once from the registry so labels
/// are `&'static` and never a raw path. Request metrics are striped per
/// thread (see [`super::striped`]) and printed at scrape time, so a request
/// costs a few uncontended increments and no registry lookup.
pub struct Observer {
    /// Route template → index, matched against the request path by the
    /// same matcher (and syntax) axum routes with, so the gate knows the
    /// route before the router runs.
    routes: matchit::Router<usize>,
    /// (route label, resource label) per route index; 0 is the shared
    /// `unmatched` entry.
    labels: Vec<(&'static str, &'static str)>,
    /// Latency per (route, method, status class); its count is also
    /// `http_requests_total`.
    status: Box<[OnceLock<Striped<Dist>>]>,
    sizes: Box<[OnceLock<Striped<Sizes>>]>,
    /// Requests started (also the spike signal's input) and finished; the
    /// in-flight gauge is their difference, set when `/metrics` is scraped.
    pub requests: Arc<Counter>,
    finished: Counter,
}

#[derive(Default)]
struct Sizes {
    request: Dist,
    response: Dist,
}

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other",
];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
const UNMATCHED: usize = 0;

/// Latency recorded in nanoseconds, printed in seconds; sizes in bytes.
static LATENCY: LazyLock<Buckets> = LazyLock::new(|| Buckets::new(super::LATENCY_BUCKETS, 1e9));
static SIZE: LazyLock<Buckets> = LazyLock::new(|| Buckets::new(super::SIZE_BUCKETS, 1.0));

impl Observer {
    pub fn new(routes: impl IntoIterator<Item = (String, &'static str)>) -> Self {
        let mut labels = vec![("unmatched", "-")];
        let mut map = matchit::Router::new();
        for (route, resource) in routes {
            let route: &'static str = Box::leak(route.into_boxed_str());
            map.insert(route, labels.len())
                .unwrap_or_else(|e| panic!("route {route}: {e}"));
            labels.push((route, resource));
        }
        Observer {
            status: slots(labels.len() * METHODS.len() * CLASSES.len()),
            sizes: slots(labels.len() * METHODS.len()),
            routes: map,
            labels,
            requests: Arc::default(),
            finished: Counter::default(),
        }
    }

    /// The template (metrics label) of route index `i`.
    pub fn route_label(&self, i: usize) -> &'static str {
        self.labels[i].0
    }

    /// The route index of a request path; paths no route serves share one.
    pub fn route_of(&self, path: &str) -> usize {
        self.routes.at(path).map_or(UNMATCHED, |m| *m.value)
    }

    pub(crate) fn in_flight_now(&self) -> u64 {
        // `finished` first: a request counted as finished was started before.
        let done = self.finished.sum();
        self.requests.sum().saturating_sub(done)
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
/// scrape can print their metrics.
static OBSERVERS: Mutex<Vec<Weak<Observer>>> = Mutex::new(Vec::new());

/// Makes `obs` part of what `/metrics` prints.
pub fn register(obs: &Arc<Observer>) {
    let mut all = OBSERVERS.lock().expect("observers lock");
    all.retain(|o| o.strong_count() > 0);
    all.push(Arc::downgrade(obs));
}

fn live() -> Vec<Arc<Observer>> {
    OBSERVERS
        .lock()
        .expect("observers lock")
        .iter()
        .filter_map(Weak::upgrade)
        .collect()
}

/// Sets `http_requests_in_flight` from the live observers (before a scrape).
pub fn publish_in_flight() {
    let total: u64 = live().iter().map(|o| o.in_flight_now()).sum();
    metrics::gauge!(names::HTTP_IN_FLIGHT).set(total as f64);
}

/// Appends the request metrics of every live observer in the Prometheus
/// text format; label sets shared by several observers are summed.
pub fn render(out: &mut String) {
    let mut status: BTreeMap<String, Totals> = BTreeMap::new();
    let mut request: BTreeMap<String, Totals> = BTreeMap::new();
    let mut response: BTreeMap<String, Totals> = BTreeMap::new();
    for o in live() {
        for (i, slot) in o.status.iter().enumerate() {
            let Some(d) = slot.get() else { continue };
            let (class, rest) = (i % CLASSES.len(), i / CLASSES.len());
            let (route, method) = (rest / METHODS.len(), rest % METHODS.len());
            let (r, res) = o.labels[route];
            let key = format!(
                "route=\"{}\",method=\"{}\",status_class=\"{}\",resource=\"{}\"",
                escape(r),
                METHODS[method],
                CLASSES[class],
                escape(res)
            );
            status.entry(key).or_default().add(d.all());
        }
        for (i, slot) in o.sizes.iter().enumerate() {
            let Some(s) = slot.get() else { continue };
            let (r, res) = o.labels[i / METHODS.len()];
            let key = format!(
                "route=\"{}\",method=\"{}\",resource=\"{}\"",
                escape(r),
                METHODS[i % METHODS.len()],
                escape(res)
            );
            request
                .entry(key.clone())
                .or_default()
                .add(s.all().map(|s| &s.request));
            response
                .entry(key)
                .or_default()
                .add(s.all().map(|s| &s.response));
        }
    }
    use std::fmt::Write;
    let head = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    head(
        out,
        names::HTTP_REQUESTS,
        "counter",
        "HTTP requests by route template, method, status class and resource",
    );
    for (labels, t) in &status {
        let _ = writeln!(out, "{}{{{labels}}} {}", names::HTTP_REQUESTS, t.count);
    }
    let families = [
        (
            names::HTTP_DURATION,
            "HTTP request latency (api_latency)",
            &status,
            &*LATENCY,
        ),
        (
            names::HTTP_REQUEST_SIZE,
            "HTTP request body size",
            &request,
            &*SIZE,
        ),
        (
            names::HTTP_RESPONSE_SIZE,
            "HTTP response body size",
            &response,
            &*SIZE,
        ),
    ];
    for (name, help, series, buckets) in families {
        head(out, name, "histogram", help);
        for (labels, t) in series {
            if t.count > 0 {
                t.write(out, name, labels, buckets);
            }
        }
    }
}

/// Counts a request as finished even if it is cancelled.
impl Observer {
    /// Every route index's template, in index order.
    pub fn routes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.labels.iter().map(|l| l.0)
    }

    /// Counts a request as in flight until [`Observer::leave`].
    pub fn start(&self) {
        self.requests.add(1);
    }

    /// Ends what [`Observer::start`] began (finished or cancelled alike).
    pub fn leave(&self) {
        self.finished.add(1);
    }

    /// Records a finished request and writes its access-log line.
    pub fn finish(
        &self,
        route: usize,
        method: &Method,
        request_id: &HeaderValue,
        req_size: u64,
        res: &Response,
        elapsed: Duration,
    ) {
        let method = method_index(method);
        let status = res.status().as_u16();
        let i = (route * METHODS.len() + method) * CLASSES.len() + status_class(status);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.status[i]
            .get_or_init(Striped::default)
            .mine()
            .record(&LATENCY, nanos);
        let sizes = self.sizes[route * METHODS.len() + method]
            .get_or_init(Striped::default)
            .mine();
        sizes.request.record(&SIZE, req_size);
        if let Some(n) = res.body().size_hint().exact() {
            sizes.response.record(&SIZE, n);
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
    fn in_flight_is_started_minus_finished() {
        // Cancelled requests leave the same way (see the gate's tests).
        let obs = Observer::new(vec![("/a".to_string(), "a")]);
        obs.start();
        obs.start();
        assert_eq!(obs.in_flight_now(), 2);
        obs.leave();
        assert_eq!(obs.in_flight_now(), 1);
        obs.leave();
        assert_eq!(obs.in_flight_now(), 0);
        assert_eq!(obs.requests.sum(), 2, "the spike signal counts starts");
    }

    #[test]
    fn paths_map_to_their_templates_and_the_rest_share_a_label() {
        let obs = Observer::new(vec![
            ("/v1/a".to_string(), "a"),
            ("/v1/a/{id}".to_string(), "a"),
        ]);
        assert_eq!(obs.labels[obs.route_of("/v1/a")], ("/v1/a", "a"));
        assert_eq!(obs.labels[obs.route_of("/v1/a/42")], ("/v1/a/{id}", "a"));
        assert_eq!(obs.labels[obs.route_of("/v1/a/x%20y")], ("/v1/a/{id}", "a"));
        for path in ["/zzz", "/v1/a/42/b", "/v1/a/", "/v1"] {
            assert_eq!(obs.labels[obs.route_of(path)].0, "unmatched", "{path}");
        }
    }
}
