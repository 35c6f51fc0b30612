//! The busiest clients, bounded: one request in [`SAMPLE`] is counted (a
//! per-thread countdown, so the request path touches no shared state
//! otherwise) into a Space-Saving summary of [`CAPACITY`] entries, whose
//! counts overestimate by at most the smallest count kept.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;

pub const SAMPLE: u32 = 16;
pub const CAPACITY: usize = 200;

#[derive(Default)]
pub struct TopClients {
    counts: Mutex<HashMap<Box<str>, u64>>,
}

thread_local! {
    static COUNTDOWN: Cell<u32> = const { Cell::new(0) };
}

/// Whether this request is one of the sampled ones.
fn sampled() -> bool {
    COUNTDOWN.with(|c| {
        let n = c.get();
        if n == 0 {
            c.set(SAMPLE - 1);
            true
        } else {
            c.set(n - 1);
            false
        }
    })
}

impl TopClients {
    /// Counts a request of the client `key()` names, if it is sampled;
    /// skipped when another thread holds the summary (never waits).
    pub fn observe(&self, key: impl FnOnce() -> Option<String>) {
        if !sampled() {
            return;
        }
        let Some(key) = key() else { return };
        let Ok(mut counts) = self.counts.try_lock() else {
            return;
        };
        add(&mut counts, key, CAPACITY);
    }

    /// The busiest `n`, most requests first, with estimated request counts.
    pub fn top(&self, n: usize) -> Vec<(String, u64)> {
        let counts = self.counts.lock().expect("lock");
        let mut all: Vec<(String, u64)> = counts
            .iter()
            .map(|(k, v)| (k.to_string(), v * SAMPLE as u64))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(n);
        all
    }
}

/// Space-Saving: a new key over capacity replaces the smallest, and
/// inherits its count plus one.
fn add(counts: &mut HashMap<Box<str>, u64>, key: String, capacity: usize) {
    if let Some(c) = counts.get_mut(key.as_str()) {
        *c += 1;
        return;
    }
    if counts.len() < capacity {
        counts.insert(key.into(), 1);
        return;
    }
    let smallest = counts
        .iter()
        .min_by_key(|(_, c)| **c)
        .map(|(k, c)| (k.clone(), *c));
    if let Some((k, c)) = smallest {
        counts.remove(&k);
        counts.insert(key.into(), c + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavy_hitters_survive_a_bounded_summary() {
        let mut counts = HashMap::new();
        for i in 0..10_000 {
            add(&mut counts, "heavy".into(), 10);
            add(&mut counts, format!("one-off-{i}"), 10);
        }
        assert_eq!(counts.len(), 10);
        assert!(counts["heavy"] >= 10_000, "never evicted");
    }

    #[test]
    fn one_request_in_sample_is_counted() {
        let t = TopClients::default();
        for _ in 0..SAMPLE * 10 {
            t.observe(|| Some("ana".into()));
        }
        assert_eq!(t.top(5), vec![("ana".to_string(), 10 * SAMPLE as u64)]);
    }
}
