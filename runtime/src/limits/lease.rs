//! Shared limits without a round trip per request: a replica leases a few
//! tokens at a time from the GCRA bucket on Redis and spends them in
//! process.
//!
//! Every token a replica spends was taken from Redis first, so the fleet
//! never admits more than the shared bucket handed out. Tokens are only
//! *spent later* than they were taken: a replica holds at most `size`
//! unspent tokens per client and policy, so over any window the fleet
//! admits at most what one exact GCRA would admit plus `replicas × size`
//! (tested in `tests/limits.rs`). The size is a share of the policy's count
//! (`RATE_LIMIT_LEASE_PERCENT`, default 5 %); policies whose share is
//! below two tokens are decided exactly, one round trip per request.
//!
//! A refusal is remembered until the bucket allows again, so a client over
//! its limit costs no round trip either. Leases are refilled ahead of need
//! (at half the size) by one background task per key, so a steady client
//! waits for Redis only on its first request.

use super::Decision;
use dashmap::DashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The most tokens one lease may hold, whatever the policy's count.
const MAX_LEASE: u32 = 1_000;

/// How many tokens a lease of `percent` % of `count` holds; `None` when
/// the policy is decided exactly.
pub fn lease_size(count: u32, percent: u8) -> Option<u32> {
    let size = (u64::from(count) * u64::from(percent) / 100).min(u64::from(MAX_LEASE)) as u32;
    (size >= 2).then_some(size)
}

/// What Redis answered to a lease request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Granted {
    /// Tokens handed out (0: refused).
    pub tokens: u32,
    /// Tokens the bucket still holds after this lease.
    pub remaining: u32,
    /// When refused: until the bucket allows one token.
    pub retry_after: Duration,
    /// Until the bucket is full again.
    pub reset: Duration,
}

/// One client's lease on one policy.
pub struct KeyLease {
    state: Mutex<State>,
    /// One lease request in flight per key: a request that finds the lease
    /// empty, or the refill ahead of need, holds it while Redis answers.
    pub refill: tokio::sync::Mutex<()>,
    prefetching: AtomicBool,
    /// The Redis key of the bucket.
    pub key: Box<str>,
}

struct State {
    tokens: u32,
    remaining: u32,
    reset_at: Instant,
    denied_until: Option<Instant>,
    /// Until when a failed lease request is not retried for this key:
    /// requests fall back at once instead of queueing for Redis.
    failing_until: Option<Instant>,
    touched: Instant,
}

/// How long a key's requests fall back without asking Redis after a lease
/// request failed (the connection's own reconnect backoff is as long).
const FAILURE_BACKOFF: Duration = Duration::from_secs(1);

/// Spending from a lease, without waiting.
pub enum Spend {
    /// A token was spent; refill ahead of need when `refill` is set.
    Allowed { decision: Decision, refill: bool },
    /// The bucket refused recently and does not allow yet.
    Refused(Decision),
    /// Nothing leased: ask Redis.
    Empty,
}

impl KeyLease {
    fn new(key: String, now: Instant) -> Self {
        KeyLease {
            state: Mutex::new(State {
                tokens: 0,
                remaining: 0,
                reset_at: now,
                denied_until: None,
                failing_until: None,
                touched: now,
            }),
            refill: tokio::sync::Mutex::new(()),
            prefetching: AtomicBool::new(false),
            key: key.into_boxed_str(),
        }
    }

    /// Spends one leased token, or answers from a remembered refusal.
    pub fn spend(&self, limit: u32, size: u32, now: Instant) -> Spend {
        let mut s = self.state.lock().expect("lease lock");
        s.touched = now;
        if s.tokens > 0 {
            s.tokens -= 1;
            let decision = Decision {
                allowed: true,
                limit,
                remaining: s.remaining.saturating_add(s.tokens),
                reset: s.reset_at.saturating_duration_since(now),
                retry_after: None,
            };
            let refill = s.tokens <= size / 2 && !self.prefetching.swap(true, Ordering::AcqRel);
            return Spend::Allowed { decision, refill };
        }
        match s.denied_until {
            Some(until) if until > now => Spend::Refused(Decision {
                allowed: false,
                limit,
                remaining: 0,
                reset: s.reset_at.saturating_duration_since(now),
                retry_after: Some(until - now),
            }),
            _ => Spend::Empty,
        }
    }

    /// How many tokens a refill should ask for to bring the lease to `size`
    /// (0: it is full enough, or refused for now).
    pub fn shortfall(&self, size: u32, now: Instant) -> u32 {
        let s = self.state.lock().expect("lease lock");
        if s.denied_until.is_some_and(|u| u > now) {
            return 0;
        }
        size.saturating_sub(s.tokens)
    }

    /// Adds what Redis granted; `take_one` spends one of them for the
    /// request that asked. Answers that request's decision.
    pub fn grant(&self, g: Granted, take_one: bool, limit: u32, now: Instant) -> Decision {
        let mut s = self.state.lock().expect("lease lock");
        s.failing_until = None;
        s.remaining = g.remaining;
        s.reset_at = now + g.reset;
        if g.tokens == 0 {
            s.denied_until = Some(now + g.retry_after);
            return Decision {
                allowed: false,
                limit,
                remaining: 0,
                reset: g.reset,
                retry_after: Some(g.retry_after),
            };
        }
        s.denied_until = None;
        s.tokens += g.tokens - u32::from(take_one);
        Decision {
            allowed: true,
            limit,
            remaining: s.remaining.saturating_add(s.tokens),
            reset: g.reset,
            retry_after: None,
        }
    }

    /// Whether a lease request failed too recently to ask again.
    pub fn failing(&self, now: Instant) -> bool {
        let s = self.state.lock().expect("lease lock");
        s.failing_until.is_some_and(|u| u > now)
    }

    /// A lease request failed: fall back for a while.
    pub fn failed(&self, now: Instant) {
        self.state.lock().expect("lease lock").failing_until = Some(now + FAILURE_BACKOFF);
    }

    /// The refill ahead of need is over (done or failed).
    pub fn prefetched(&self) {
        self.prefetching.store(false, Ordering::Release);
    }

    fn idle_since(&self, before: Instant) -> bool {
        self.state.lock().expect("lease lock").touched < before
    }
}

/// The leases of one policy, by client hash.
pub struct Leases {
    pub size: u32,
    by_client: DashMap<u64, Arc<KeyLease>, foldhash::fast::RandomState>,
}

impl Leases {
    pub fn new(size: u32) -> Self {
        Leases {
            size,
            by_client: DashMap::with_hasher(Default::default()),
        }
    }

    /// The lease of client `hash`; `key` makes its Redis key on first use.
    pub fn of(&self, hash: u64, key: impl FnOnce() -> String) -> Arc<KeyLease> {
        if let Some(l) = self.by_client.get(&hash) {
            return l.clone();
        }
        self.by_client
            .entry(hash)
            .or_insert_with(|| Arc::new(KeyLease::new(key(), Instant::now())))
            .clone()
    }

    /// Forgets leases not used for `idle`. Tokens they still held are
    /// never spent: the fleet admits less, never more.
    pub fn prune(&self, idle: Duration) {
        let Some(before) = Instant::now().checked_sub(idle) else {
            return;
        };
        self.by_client
            .retain(|_, l| Arc::strong_count(l) > 1 || !l.idle_since(before));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_client.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(tokens: u32, remaining: u32) -> Granted {
        Granted {
            tokens,
            remaining,
            retry_after: Duration::from_secs(2),
            reset: Duration::from_secs(60),
        }
    }

    #[test]
    fn sizes_are_a_share_of_the_count_and_small_budgets_stay_exact() {
        assert_eq!(lease_size(6000, 5), Some(300));
        assert_eq!(lease_size(600, 5), Some(30));
        assert_eq!(lease_size(39, 5), None, "under two tokens: exact");
        assert_eq!(lease_size(1_000_000, 5), Some(MAX_LEASE));
        assert_eq!(lease_size(6000, 0), None, "0 % turns leasing off");
    }

    #[test]
    fn spends_what_was_granted_then_asks_again() {
        let now = Instant::now();
        let l = KeyLease::new("k".into(), now);
        assert!(matches!(l.spend(100, 10, now), Spend::Empty));
        let d = l.grant(granted(10, 50), true, 100, now);
        assert!(d.allowed);
        assert_eq!(d.remaining, 59, "what Redis has left plus what is held");
        assert_eq!(l.shortfall(10, now), 1);
        let mut refills = 0;
        for _ in 0..9 {
            match l.spend(100, 10, now) {
                Spend::Allowed { refill, .. } => refills += usize::from(refill),
                _ => panic!("a leased token was not spent"),
            }
        }
        assert_eq!(refills, 1, "one refill ahead of need until it is over");
        assert!(matches!(l.spend(100, 10, now), Spend::Empty));
        l.prefetched();
        assert_eq!(l.shortfall(10, now), 10);
    }

    #[test]
    fn a_refusal_is_remembered_until_the_bucket_allows() {
        let now = Instant::now();
        let l = KeyLease::new("k".into(), now);
        let d = l.grant(granted(0, 0), true, 100, now);
        assert!(!d.allowed);
        match l.spend(100, 10, now + Duration::from_secs(1)) {
            Spend::Refused(d) => assert_eq!(d.retry_after, Some(Duration::from_secs(1))),
            _ => panic!("the refusal was forgotten"),
        }
        assert_eq!(l.shortfall(10, now), 0, "no refill while refused");
        assert!(matches!(
            l.spend(100, 10, now + Duration::from_secs(2)),
            Spend::Empty
        ));
    }

    #[test]
    fn a_failed_lease_request_is_not_repeated_at_once() {
        let now = Instant::now();
        let l = KeyLease::new("k".into(), now);
        l.failed(now);
        assert!(l.failing(now + Duration::from_millis(500)));
        assert!(!l.failing(now + FAILURE_BACKOFF));
        l.grant(granted(3, 0), false, 100, now);
        assert!(!l.failing(now), "a grant ends the backoff");
    }

    #[test]
    fn idle_leases_are_pruned() {
        let leases = Leases::new(10);
        let held = leases.of(7, || "k7".into());
        drop(leases.of(8, || "k8".into()));
        std::thread::sleep(Duration::from_millis(5));
        leases.prune(Duration::from_millis(1));
        assert_eq!(
            leases.len(),
            1,
            "an idle lease is forgotten, one in use is kept"
        );
        drop(held);
    }
}
