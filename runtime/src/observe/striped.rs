//! Counters that every request updates, striped per thread.
//!
//! An atomic that both cores update on every request moves its cache line
//! back and forth on each update. Here each thread adds to its own
//! cache-line-sized stripe; the totals reach the `metrics` facade through
//! [`publish`] (see `Observer` for the measured difference).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// More than the worker threads of a small service; threads beyond share.
const STRIPES: usize = 8;

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

/// A facade counter that requests update through a striped counter; the
/// recorder sees the total once a second and before each scrape of
/// `/metrics` ([`publish`]).
pub struct PublishedCounter {
    key: String,
    handle: metrics::Counter,
    count: Counter,
}

static PUBLISHED: std::sync::Mutex<Vec<std::sync::Weak<PublishedCounter>>> =
    std::sync::Mutex::new(Vec::new());

impl PublishedCounter {
    pub fn new(
        name: &'static str,
        labels: &[(&'static str, &'static str)],
    ) -> std::sync::Arc<Self> {
        let c = std::sync::Arc::new(PublishedCounter {
            key: format!("{name}{labels:?}"),
            handle: metrics::counter!(name, labels),
            count: Counter::default(),
        });
        let mut all = PUBLISHED.lock().expect("published counters lock");
        all.retain(|w| w.strong_count() > 0);
        all.push(std::sync::Arc::downgrade(&c));
        c
    }

    pub fn add(&self, n: u64) {
        self.count.add(n);
    }
}

/// Hands every published counter's total to the recorder. Counters with the
/// same name and labels (several apps in one process) are summed.
pub fn publish() {
    let live: Vec<_> = PUBLISHED
        .lock()
        .expect("published counters lock")
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
}
