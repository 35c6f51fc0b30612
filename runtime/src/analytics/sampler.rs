//! Every few seconds, the replica's own metrics are read (the same figures
//! `/metrics` serves) and the difference from the last reading is kept: a
//! window of intervals (15 minutes of 5 s ones) the page is drawn from.

use super::exposition::{self, Line};
use crate::observe::names;
use std::collections::{HashMap, VecDeque};

/// Cumulative bucket counts by upper bound (`le`), ascending.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hist {
    pub buckets: Vec<(f64, f64)>,
    pub count: f64,
    pub sum: f64,
}

impl Hist {
    fn add_bucket(&mut self, le: f64, n: f64) {
        match self.buckets.iter_mut().find(|(b, _)| *b == le) {
            Some((_, c)) => *c += n,
            None => {
                self.buckets.push((le, n));
                self.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
    }

    fn minus(&self, before: &Hist) -> Hist {
        let at = |le: f64| {
            before
                .buckets
                .iter()
                .find(|(b, _)| *b == le)
                .map_or(0.0, |(_, c)| *c)
        };
        Hist {
            buckets: self
                .buckets
                .iter()
                .map(|&(le, c)| (le, (c - at(le)).max(0.0)))
                .collect(),
            count: (self.count - before.count).max(0.0),
            sum: (self.sum - before.sum).max(0.0),
        }
    }

    pub fn merge(&mut self, other: &Hist) {
        for &(le, c) in &other.buckets {
            self.add_bucket(le, c);
        }
        self.count += other.count;
        self.sum += other.sum;
    }

    /// The `q` quantile, interpolated inside its bucket as Prometheus'
    /// `histogram_quantile` does; `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.buckets.last()?.1;
        if total <= 0.0 {
            return None;
        }
        let rank = q * total;
        let mut prev = (0.0, 0.0);
        for &(le, c) in &self.buckets {
            if c >= rank {
                if le.is_infinite() {
                    return Some(prev.0);
                }
                let inside = c - prev.1;
                let frac = if inside > 0.0 {
                    (rank - prev.1) / inside
                } else {
                    1.0
                };
                return Some(prev.0 + (le - prev.0) * frac);
            }
            prev = (le, c);
        }
        Some(prev.0)
    }
}

/// One route's figures (summed over methods and statuses).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteFigures {
    pub resource: String,
    pub requests: f64,
    pub errors: f64,
    pub latency: Hist,
}

/// Cumulative figures of one reading, or the difference of two.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Unix seconds of the (later) reading.
    pub at: i64,
    pub routes: HashMap<String, RouteFigures>,
    /// Requests refused by a rate limit (429).
    pub limited: f64,
    pub cache_hits: f64,
    pub cache_misses: f64,
    /// Database time by (resource, operation).
    pub queries: HashMap<(String, String), Hist>,
}

/// Routes that are not API traffic: probes, scrapes and this page.
pub fn is_api(route: &str) -> bool {
    !(route == "/metrics" || route.starts_with("/health/") || route.starts_with("/admin/analytics"))
}

impl Figures {
    /// The figures in an exposition text.
    pub fn read(text: &str, at: i64) -> Figures {
        let mut f = Figures {
            at,
            ..Figures::default()
        };
        for l in exposition::parse(text) {
            f.take(&l);
        }
        f
    }

    fn take(&mut self, l: &Line) {
        let route = || l.label("route").unwrap_or("-").to_string();
        match l.name {
            n if n == names::HTTP_REQUESTS => {
                let r = self.routes.entry(route()).or_default();
                r.resource = l.label("resource").unwrap_or("-").to_string();
                r.requests += l.value;
                if l.label("status_class") == Some("5xx") {
                    r.errors += l.value;
                }
            }
            "http_request_duration_seconds_bucket" => {
                let le = le(l);
                self.routes
                    .entry(route())
                    .or_default()
                    .latency
                    .add_bucket(le, l.value);
            }
            "http_request_duration_seconds_count" => {
                self.routes.entry(route()).or_default().latency.count += l.value;
            }
            "http_request_duration_seconds_sum" => {
                self.routes.entry(route()).or_default().latency.sum += l.value;
            }
            n if n == names::RATE_LIMIT => {
                if l.label("decision") == Some("limited") {
                    self.limited += l.value;
                }
            }
            n if n == names::CACHE => match l.label("result") {
                Some("hit") => self.cache_hits += l.value,
                Some("miss") => self.cache_misses += l.value,
                _ => {}
            },
            "db_query_duration_seconds_bucket"
            | "db_query_duration_seconds_count"
            | "db_query_duration_seconds_sum" => {
                let key = (
                    l.label("resource").unwrap_or("-").to_string(),
                    l.label("operation").unwrap_or("-").to_string(),
                );
                let h = self.queries.entry(key).or_default();
                match l.name {
                    "db_query_duration_seconds_bucket" => h.add_bucket(le(l), l.value),
                    "db_query_duration_seconds_count" => h.count += l.value,
                    _ => h.sum += l.value,
                }
            }
            _ => {}
        }
    }

    /// What happened between `before` and `self` (counters only grow;
    /// series new since then count from zero).
    pub fn since(&self, before: &Figures) -> Figures {
        let d = |a: f64, b: f64| (a - b).max(0.0);
        let routes = self
            .routes
            .iter()
            .map(|(k, r)| {
                let b = before.routes.get(k).cloned().unwrap_or_default();
                let delta = RouteFigures {
                    resource: r.resource.clone(),
                    requests: d(r.requests, b.requests),
                    errors: d(r.errors, b.errors),
                    latency: r.latency.minus(&b.latency),
                };
                (k.clone(), delta)
            })
            .collect();
        let queries = self
            .queries
            .iter()
            .map(|(k, h)| {
                (
                    k.clone(),
                    h.minus(&before.queries.get(k).cloned().unwrap_or_default()),
                )
            })
            .collect();
        Figures {
            at: self.at,
            routes,
            limited: d(self.limited, before.limited),
            cache_hits: d(self.cache_hits, before.cache_hits),
            cache_misses: d(self.cache_misses, before.cache_misses),
            queries,
        }
    }

    /// API requests, 5xx and the latency histogram over every API route.
    pub fn api_totals(&self) -> (f64, f64, Hist) {
        let mut h = Hist::default();
        let (mut n, mut e) = (0.0, 0.0);
        for r in self
            .routes
            .iter()
            .filter(|(k, _)| is_api(k))
            .map(|(_, r)| r)
        {
            n += r.requests;
            e += r.errors;
            h.merge(&r.latency);
        }
        (n, e, h)
    }
}

fn le(l: &Line) -> f64 {
    match l.label("le") {
        Some("+Inf") | None => f64::INFINITY,
        Some(v) => v.parse().unwrap_or(f64::INFINITY),
    }
}

/// The intervals kept, oldest first, and the last reading.
#[derive(Default)]
pub struct Window {
    pub intervals: VecDeque<Figures>,
    last: Option<Figures>,
}

impl Window {
    /// Adds a reading; the interval since the previous one is kept.
    pub fn push(&mut self, reading: Figures, keep: usize) {
        if let Some(prev) = &self.last {
            self.intervals.push_back(reading.since(prev));
            while self.intervals.len() > keep {
                self.intervals.pop_front();
            }
        }
        self.last = Some(reading);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T1: &str = r#"http_requests_total{route="/v1/a",method="GET",status_class="2xx",resource="a"} 10
http_requests_total{route="/v1/a",method="GET",status_class="5xx",resource="a"} 1
http_requests_total{route="/metrics",method="GET",status_class="2xx",resource="-"} 100
http_request_duration_seconds_bucket{route="/v1/a",method="GET",status_class="2xx",resource="a",le="0.01"} 8
http_request_duration_seconds_bucket{route="/v1/a",method="GET",status_class="2xx",resource="a",le="0.1"} 10
http_request_duration_seconds_bucket{route="/v1/a",method="GET",status_class="2xx",resource="a",le="+Inf"} 10
cache_requests_total{resource="a",result="hit"} 3
rate_limit_decisions_total{policy="a:read",decision="limited"} 2
"#;
    const T2: &str = r#"http_requests_total{route="/v1/a",method="GET",status_class="2xx",resource="a"} 30
http_requests_total{route="/v1/a",method="GET",status_class="5xx",resource="a"} 1
http_requests_total{route="/metrics",method="GET",status_class="2xx",resource="-"} 110
http_request_duration_seconds_bucket{route="/v1/a",method="GET",status_class="2xx",resource="a",le="0.01"} 8
http_request_duration_seconds_bucket{route="/v1/a",method="GET",status_class="2xx",resource="a",le="0.1"} 30
http_request_duration_seconds_bucket{route="/v1/a",method="GET",status_class="2xx",resource="a",le="+Inf"} 30
cache_requests_total{resource="a",result="hit"} 9
cache_requests_total{resource="a",result="miss"} 3
rate_limit_decisions_total{policy="a:read",decision="limited"} 2
db_query_duration_seconds_bucket{resource="a",operation="list",le="0.005"} 4
db_query_duration_seconds_bucket{resource="a",operation="list",le="+Inf"} 4
"#;

    #[test]
    fn an_interval_is_the_difference_of_two_readings() {
        let mut w = Window::default();
        w.push(Figures::read(T1, 1), 10);
        assert!(w.intervals.is_empty(), "one reading is no interval yet");
        w.push(Figures::read(T2, 6), 10);
        let i = &w.intervals[0];
        let (n, e, h) = i.api_totals();
        assert_eq!((n, e), (20.0, 0.0), "scrapes are not API traffic");
        // 20 new requests, all between 10 and 100 ms: the median is 55 ms.
        let p50 = h.quantile(0.5).unwrap();
        assert!((p50 - 0.055).abs() < 1e-9, "{p50}");
        assert_eq!((i.cache_hits, i.cache_misses, i.limited), (6.0, 3.0, 0.0));
        assert_eq!(i.queries[&("a".into(), "list".into())].count, 0.0);
        assert_eq!(
            i.queries[&("a".into(), "list".into())].buckets[0],
            (0.005, 4.0)
        );
    }

    #[test]
    fn quantiles_interpolate_and_need_observations() {
        let h = Hist {
            buckets: vec![(0.1, 50.0), (0.2, 100.0), (f64::INFINITY, 100.0)],
            count: 100.0,
            sum: 0.0,
        };
        assert!((h.quantile(0.95).unwrap() - 0.19).abs() < 1e-9);
        assert!((h.quantile(0.25).unwrap() - 0.05).abs() < 1e-9);
        assert_eq!(Hist::default().quantile(0.5), None);
    }
}
