//! The analytics page at `/admin/analytics`: this replica's traffic per
//! resource and route, latency percentiles over time, error and 429 rates,
//! cache hit ratio, the busiest clients, the slowest database operations
//! and the maintenance windows, drawn with uPlot from assets inside the
//! binary and refreshed every few seconds.
//!
//! It reads the replica's own figures (the metrics `/metrics` serves, read
//! back every [`EVERY`]), so it needs no Prometheus; fleet-wide views are
//! Grafana's (deploy/monitoring), and the page says so.

pub mod clients;
pub mod exposition;
pub(crate) mod routes;
pub mod sampler;

use crate::maintenance::Schedule;
use sampler::{Figures, Hist, Window};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How often the figures are read.
pub const EVERY: Duration = Duration::from_secs(5);
/// How many intervals are kept (15 minutes).
pub const KEEP: usize = 180;

pub struct Analytics {
    window: Mutex<Window>,
    pub clients: clients::TopClients,
    schedule: Arc<Schedule>,
}

impl Analytics {
    /// Starts reading the figures (until the analytics are dropped).
    pub fn start(schedule: Arc<Schedule>) -> Arc<Analytics> {
        let a = Arc::new(Analytics {
            window: Mutex::new(Window::default()),
            clients: clients::TopClients::default(),
            schedule,
        });
        a.read_now();
        tokio::spawn(read_every(Arc::downgrade(&a)));
        a
    }

    /// Takes a reading (and so closes an interval).
    pub fn read_now(&self) {
        let Some(text) = crate::observe::render() else {
            return;
        };
        let reading = Figures::read(&text, chrono::Utc::now().timestamp());
        self.window.lock().expect("lock").push(reading, KEEP);
    }

    /// What the page shows, as JSON.
    pub fn data(&self) -> Value {
        let window = self.window.lock().expect("lock");
        let intervals: Vec<&Figures> = window.intervals.iter().collect();
        let mut doc = json!({
            "replica": std::env::var("HOSTNAME").unwrap_or_else(|_| "this replica".into()),
            "recorder": crate::observe::render().is_some(),
            "interval_seconds": EVERY.as_secs(),
            "window_seconds": EVERY.as_secs() * KEEP as u64,
            "series": series(&intervals),
            "totals": totals(&intervals),
            "routes": routes(&intervals),
            "queries": queries(&intervals),
        });
        drop(window);
        doc["clients"] = self
            .clients
            .top(10)
            .into_iter()
            .map(|(client, requests)| json!({"client": client, "requests": requests}))
            .collect();
        let now = crate::maintenance::window::now_ms();
        doc["maintenance"] = self
            .schedule
            .snapshot()
            .windows
            .iter()
            .filter(|w| w.cancelled_at.is_none())
            .map(|w| w.to_json(now))
            .collect();
        doc
    }
}

async fn read_every(a: Weak<Analytics>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(a) = a.upgrade() else { return };
        a.read_now();
    }
}

fn ms(q: Option<f64>) -> Value {
    q.map_or(Value::Null, |s| json!((s * 1e6).round() / 1e3))
}

fn ratio(part: f64, whole: f64) -> Value {
    if whole > 0.0 {
        json!(part / whole)
    } else {
        Value::Null
    }
}

/// One value per interval, for the charts.
fn series(intervals: &[&Figures]) -> Value {
    let secs = EVERY.as_secs_f64();
    let mut s: HashMap<&str, Vec<Value>> = HashMap::new();
    for f in intervals {
        let (n, e, h) = f.api_totals();
        let mut put = |k: &'static str, v: Value| s.entry(k).or_default().push(v);
        put("t", json!(f.at));
        put("requests_per_second", json!(n / secs));
        put("errors_per_second", json!(e / secs));
        put("limited_per_second", json!(f.limited / secs));
        put("p50_ms", ms(h.quantile(0.5)));
        put("p95_ms", ms(h.quantile(0.95)));
        put("p99_ms", ms(h.quantile(0.99)));
        put(
            "cache_hit_ratio",
            ratio(f.cache_hits, f.cache_hits + f.cache_misses),
        );
    }
    json!(s)
}

fn totals(intervals: &[&Figures]) -> Value {
    let (mut n, mut e, mut limited, mut hits, mut misses) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut h = Hist::default();
    for f in intervals {
        let (fn_, fe, fh) = f.api_totals();
        n += fn_;
        e += fe;
        h.merge(&fh);
        limited += f.limited;
        hits += f.cache_hits;
        misses += f.cache_misses;
    }
    json!({
        "requests": n,
        "errors": e,
        "limited": limited,
        "error_rate": ratio(e, n),
        "limited_rate": ratio(limited, n),
        "cache_hit_ratio": ratio(hits, hits + misses),
        "p50_ms": ms(h.quantile(0.5)),
        "p95_ms": ms(h.quantile(0.95)),
        "p99_ms": ms(h.quantile(0.99)),
    })
}

/// Per route over the window, busiest first; the rate is the last minute's.
fn routes(intervals: &[&Figures]) -> Value {
    let recent = (60 / EVERY.as_secs()) as usize;
    let mut acc: HashMap<&str, (String, f64, f64, f64, Hist)> = HashMap::new();
    for (i, f) in intervals.iter().enumerate() {
        let is_recent = i + recent >= intervals.len();
        for (route, r) in f.routes.iter().filter(|(k, _)| sampler::is_api(k)) {
            let a = acc.entry(route.as_str()).or_default();
            a.0 = r.resource.clone();
            a.1 += r.requests;
            a.2 += r.errors;
            if is_recent {
                a.3 += r.requests;
            }
            a.4.merge(&r.latency);
        }
    }
    let minute = (recent.min(intervals.len()).max(1) as u64 * EVERY.as_secs()) as f64;
    let mut rows: Vec<(f64, Value)> = acc
        .into_iter()
        .filter(|(_, a)| a.1 > 0.0)
        .map(|(route, (resource, n, e, last, h))| {
            (
                n,
                json!({
                    "route": route, "resource": resource, "requests": n,
                    "requests_per_second": last / minute, "error_rate": ratio(e, n),
                    "p50_ms": ms(h.quantile(0.5)), "p95_ms": ms(h.quantile(0.95)), "p99_ms": ms(h.quantile(0.99)),
                }),
            )
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    rows.into_iter().map(|(_, v)| v).take(50).collect()
}

/// Database operations by p95 over the window, slowest first.
fn queries(intervals: &[&Figures]) -> Value {
    let mut acc: HashMap<&(String, String), Hist> = HashMap::new();
    for f in intervals {
        for (k, h) in &f.queries {
            acc.entry(k).or_default().merge(h);
        }
    }
    let mut rows: Vec<(f64, Value)> = acc
        .into_iter()
        .filter_map(|((resource, op), h)| {
            let p95 = h.quantile(0.95)?;
            let n = h.buckets.last().map_or(0.0, |b| b.1);
            Some((
                p95,
                json!({"resource": resource, "operation": op, "count": n,
                       "p50_ms": ms(h.quantile(0.5)), "p95_ms": ms(Some(p95)), "p99_ms": ms(h.quantile(0.99))}),
            ))
        })
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    rows.into_iter().map(|(_, v)| v).take(10).collect()
}
