//! Limits shared by every replica: GCRA in one Lua script on Redis.
//!
//! One round trip per decision (EVALSHA; the script is loaded on first use).
//! The script reads the clock with Redis `TIME`, so replicas with skewed
//! clocks still agree, and stores only the "theoretical arrival time" per
//! key with an expiry, so idle keys cost nothing.

use super::{Decision, Rate};
use std::time::Duration;

const GCRA: &str = r#"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local tolerance = interval * burst
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then
  return {0, 0, allow_at - now, tat - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1)
local remaining = math.floor((now + tolerance - new_tat) / interval)
return {1, remaining, 0, new_tat - now}
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

    pub async fn check(
        &self,
        conn: &mut redis::aio::ConnectionManager,
        policy: &str,
        rate: Rate,
        key: &str,
    ) -> redis::RedisResult<Decision> {
        let interval = rate.interval().as_micros().max(1) as u64;
        let (allowed, remaining, retry_us, reset_us): (i64, i64, i64, i64) = self
            .script
            .key(format!("{}:rl:{policy}:{key}", self.prefix))
            .arg(interval)
            .arg(rate.count)
            .invoke_async(conn)
            .await?;
        let us = |v: i64| Duration::from_micros(v.max(0) as u64);
        Ok(Decision {
            allowed: allowed == 1,
            limit: rate.count,
            remaining: remaining.max(0) as u32,
            reset: us(reset_us),
            retry_after: (allowed != 1).then(|| us(retry_us)),
        })
    }
}
