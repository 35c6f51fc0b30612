//! In-process limiting with governor (GCRA), one keyed limiter per policy.
//! Idle keys are pruned periodically so memory stays bounded.

use super::{Decision, Rate};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;

/// Buckets are keyed by a 64-bit hash of the client key: no allocation per
/// decision, and a collision (one in 2^64) only shares a bucket. The key is
/// a hash already, so the map hashes it with a fast hasher, not SipHash.
type Keyed =
    RateLimiter<u64, DashMapStateStore<u64, Fast>, DefaultClock, StateInformationMiddleware>;
type Fast = foldhash::fast::RandomState;

pub struct LocalLimiter {
    limiter: Keyed,
    rate: Rate,
    clock: DefaultClock,
}

impl LocalLimiter {
    pub fn new(rate: Rate) -> Self {
        let burst = NonZeroU32::new(rate.count).expect("rates allow at least one request");
        let quota = Quota::with_period(rate.interval())
            .expect("non-zero interval")
            .allow_burst(burst);
        LocalLimiter {
            limiter: RateLimiter::dashmap_with_clock_and_hasher(
                quota,
                DefaultClock::default(),
                Fast::default(),
            )
            .with_middleware::<StateInformationMiddleware>(),
            rate,
            clock: DefaultClock::default(),
        }
    }

    /// Decides for the client whose [`super::ClientId::hash64`] is `key`.
    pub fn check(&self, key: u64) -> Decision {
        match self.limiter.check_key(&key) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision {
                    allowed: true,
                    limit: self.rate.count,
                    remaining,
                    reset: self.rate.interval() * (self.rate.count - remaining),
                    retry_after: None,
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Decision {
                    allowed: false,
                    limit: self.rate.count,
                    remaining: 0,
                    reset: wait,
                    retry_after: Some(wait),
                }
            }
        }
    }

    /// Forgets keys whose buckets are full again.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.limiter.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_the_burst_then_limits_per_key() {
        let l = LocalLimiter::new(Rate {
            count: 3,
            per: Duration::from_secs(60),
        });
        let d: Vec<_> = (0..4).map(|_| l.check(1)).collect();
        assert!(d[..3].iter().all(|d| d.allowed));
        assert_eq!(d[0].remaining, 2);
        assert_eq!(d[2].remaining, 0);
        assert!(!d[3].allowed);
        let wait = d[3].retry_after.unwrap();
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(l.check(2).allowed, "other keys have their own bucket");
    }
}
