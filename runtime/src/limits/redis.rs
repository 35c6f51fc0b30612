//! Limits shared by every replica: GCRA in one Lua script on Redis.
//!
//! One round trip per decision or per lease (EVALSHA; the script is loaded
//! on first use). A lease takes up to `want` tokens at once, as many as the
//! bucket allows now (see `lease.rs`); an exact decision is a lease of one.
//! The script reads the clock with Redis `TIME`, so replicas with skewed
//! clocks still agree, and stores only the "theoretical arrival time" per
//! key with an expiry, so idle keys cost nothing.

use super::lease::Granted;
use super::{Decision, Rate};
use std::time::Duration;

const GCRA: &str = r#"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local tolerance = interval * burst
local free = math.floor((now + tolerance - tat) / interval)
if free < 1 then
  return {0, 0, tat + interval - tolerance - now, tat - now}
end
local n = math.min(want, free)
local new_tat = tat + n * interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {n, free - n, 0, new_tat - now}
"#;

pub struct RedisLimiter {
    script: redis::Script,
    prefix: String,
}

impl RedisLimiter {
    pub fn new(prefix: impl Into<String>) -> Self {
        RedisLimiter {
            script: redis::Script::new(GCRA),
            prefix: prefix.into(),
        }
    }

    /// The Redis key of a client's bucket on a policy.
    pub fn key(&self, policy: &str, client: &str) -> String {
        format!("{}:rl:{policy}:{client}", self.prefix)
    }

    /// Takes up to `want` tokens from the bucket at `key`.
    pub async fn lease(
        &self,
        conn: &mut redis::aio::ConnectionManager,
        rate: Rate,
        key: &str,
        want: u32,
    ) -> redis::RedisResult<Granted> {
        let interval = rate.interval().as_micros().max(1) as u64;
        let (tokens, remaining, retry_us, reset_us): (i64, i64, i64, i64) = self
            .script
            .key(key)
            .arg(interval)
            .arg(rate.count)
            .arg(want.max(1))
            .invoke_async(conn)
            .await?;
        let us = |v: i64| Duration::from_micros(v.max(0) as u64);
        Ok(Granted {
            tokens: tokens.max(0) as u32,
            remaining: remaining.max(0) as u32,
            retry_after: us(retry_us),
            reset: us(reset_us),
        })
    }

    /// One exact decision: a lease of one token.
    pub async fn check(
        &self,
        conn: &mut redis::aio::ConnectionManager,
        rate: Rate,
        key: &str,
    ) -> redis::RedisResult<Decision> {
        let g = self.lease(conn, rate, key, 1).await?;
        Ok(Decision {
            allowed: g.tokens == 1,
            limit: rate.count,
            remaining: g.remaining,
            reset: g.reset,
            retry_after: (g.tokens != 1).then_some(g.retry_after),
        })
    }
}
