//! Counters and histograms that every request updates, striped per thread.
//!
//! An atomic that both cores update on every request moves its cache line
//! back and forth on each update, and the exporter's histograms buffer
//! every sample. Here each thread adds to its own cache-line-sized stripe
//! (fixed buckets: one increment per sample) and a scrape sums the stripes.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// More than the worker threads of a small service; threads beyond share.
const STRIPES: usize = 8;

/// The largest bucket list a [`Dist`] holds (plus one overflow slot).
pub const MAX_BUCKETS: usize = 15;

fn my_stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static MINE: usize = NEXT.fetch_add(1, Relaxed) % STRIPES;
    }
    MINE.with(|s| *s)
}

#[repr(align(128))]
#[derive(Default)]
struct Padded<T>(T);

/// One `T` per stripe.
pub struct Striped<T> {
    cells: Box<[Padded<T>]>,
}

impl<T: Default> Default for Striped<T> {
    fn default() -> Self {
        Striped {
            cells: (0..STRIPES).map(|_| Padded::default()).collect(),
        }
    }
}

impl<T> Striped<T> {
    /// This thread's stripe.
    pub fn mine(&self) -> &T {
        &self.cells[my_stripe()].0
    }

    /// This thread's stripe and its number.
    pub fn mine_indexed(&self) -> (usize, &T) {
        let i = my_stripe();
        (i, &self.cells[i].0)
    }

    pub fn all(&self) -> impl Iterator<Item = &T> {
        self.cells.iter().map(|c| &c.0)
    }
}

/// A striped counter.
pub type Counter = Striped<AtomicU64>;

impl Striped<AtomicU64> {
    pub fn add(&self, n: u64) {
        self.mine().fetch_add(n, Relaxed);
    }

    pub fn sum(&self) -> u64 {
        self.all().map(|c| c.load(Relaxed)).sum()
    }
}

/// Bucket upper bounds in the integer unit samples are recorded in (e.g.
/// nanoseconds), with how they are printed (e.g. seconds).
pub struct Buckets {
    pub bounds: Vec<u64>,
    pub labels: Vec<String>,
    /// Recorded units per printed unit (1e9 for nanoseconds printed as seconds).
    pub scale: f64,
}

impl Buckets {
    /// `printed` are the Prometheus `le` values, ascending.
    pub fn new(printed: &[f64], scale: f64) -> Self {
        assert!(
            printed.len() <= MAX_BUCKETS,
            "at most {MAX_BUCKETS} buckets"
        );
        Buckets {
            bounds: printed.iter().map(|b| (b * scale).round() as u64).collect(),
            labels: printed.iter().map(|b| b.to_string()).collect(),
            scale,
        }
    }

    fn index(&self, v: u64) -> usize {
        self.bounds
            .iter()
            .position(|b| v <= *b)
            .unwrap_or(self.bounds.len())
    }
}

/// Bucket counts and the sum of one histogram, in one stripe. The sample
/// count is kept by the caller (it is often another metric's count).
#[derive(Default)]
pub struct Dist {
    sum: AtomicU64,
    /// Per bucket (not cumulative); the last used slot is the overflow.
    counts: [AtomicU64; MAX_BUCKETS + 1],
}

impl Dist {
    pub fn record(&self, buckets: &Buckets, v: u64) {
        self.counts[buckets.index(v)].fetch_add(1, Relaxed);
        self.sum.fetch_add(v, Relaxed);
    }
}

/// A histogram summed over stripes (and over several registries when a
/// process runs more than one app), ready to print.
#[derive(Default, Clone)]
pub struct Totals {
    pub count: u64,
    pub sum: u64,
    pub counts: Vec<u64>,
}

impl Totals {
    pub fn add<'a>(&mut self, dists: impl Iterator<Item = &'a Dist>) {
        for d in dists {
            if self.counts.is_empty() {
                self.counts = vec![0; MAX_BUCKETS + 1];
            }
            self.sum += d.sum.load(Relaxed);
            for (t, c) in self.counts.iter_mut().zip(&d.counts) {
                let n = c.load(Relaxed);
                *t += n;
                self.count += n;
            }
        }
    }

    /// Appends `name_bucket`, `name_sum` and `name_count` lines for one label set.
    pub fn write(&self, out: &mut String, name: &str, labels: &str, buckets: &Buckets) {
        use std::fmt::Write;
        let mut cumulative = 0;
        for (i, le) in buckets.labels.iter().enumerate() {
            cumulative += self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(
            out,
            "{name}_sum{{{labels}}} {}",
            self.sum as f64 / buckets.scale
        );
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// An exporter counter that requests update through a striped counter; the
/// exporter sees the total when `/metrics` is scraped ([`publish`]).
pub struct ScrapeCounter {
    key: String,
    handle: metrics::Counter,
    count: Counter,
}

static SCRAPED: std::sync::Mutex<Vec<std::sync::Weak<ScrapeCounter>>> =
    std::sync::Mutex::new(Vec::new());

impl ScrapeCounter {
    pub fn new(
        name: &'static str,
        labels: &[(&'static str, &'static str)],
    ) -> std::sync::Arc<Self> {
        let c = std::sync::Arc::new(ScrapeCounter {
            key: format!("{name}{labels:?}"),
            handle: metrics::counter!(name, labels),
            count: Counter::default(),
        });
        let mut all = SCRAPED.lock().expect("scrape counters lock");
        all.retain(|w| w.strong_count() > 0);
        all.push(std::sync::Arc::downgrade(&c));
        c
    }

    pub fn add(&self, n: u64) {
        self.count.add(n);
    }
}

/// Hands every scrape counter's total to the exporter. Counters with the
/// same name and labels (several apps in one process) are summed.
pub fn publish() {
    let live: Vec<_> = SCRAPED
        .lock()
        .expect("scrape counters lock")
        .iter()
        .filter_map(std::sync::Weak::upgrade)
        .collect();
    let mut totals: std::collections::HashMap<&str, (u64, &metrics::Counter)> =
        std::collections::HashMap::new();
    for c in &live {
        totals.entry(&c.key).or_insert((0, &c.handle)).0 += c.count.sum();
    }
    for (total, handle) in totals.into_values() {
        handle.absolute(total);
    }
}

/// A Prometheus label value, escaped.
pub fn escape(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains(['\\', '"', '\n']) {
        v.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .into()
    } else {
        v.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn stripes_add_up_across_threads() {
        let c = Arc::new(Counter::default());
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| c.add(1)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(c.sum(), 12_000);
    }

    #[test]
    fn histograms_print_cumulative_prometheus_buckets() {
        let b = Buckets::new(&[0.001, 0.01, 1.0], 1e9);
        let d: Striped<Dist> = Striped::default();
        for ns in [500_000, 1_000_000, 2_000_000, 3_000_000_000] {
            d.mine().record(&b, ns);
        }
        let mut t = Totals::default();
        t.add(d.all());
        let mut out = String::new();
        t.write(&mut out, "x_seconds", "route=\"/a\"", &b);
        assert_eq!(
            out,
            "x_seconds_bucket{route=\"/a\",le=\"0.001\"} 2\n\
             x_seconds_bucket{route=\"/a\",le=\"0.01\"} 3\n\
             x_seconds_bucket{route=\"/a\",le=\"1\"} 3\n\
             x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n\
             x_seconds_sum{route=\"/a\"} 3.0035\n\
             x_seconds_count{route=\"/a\"} 4\n"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("/a/{id}"), "/a/{id}");
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
