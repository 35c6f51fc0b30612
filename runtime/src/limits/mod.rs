//! Rate limiting: per resource and operation class (read/write), keyed by
//! client, in process or shared through Redis.
//!
//! Responses carry the RateLimit header fields of
//! draft-ietf-httpapi-ratelimit-headers: by default the two fields of the
//! current revisions (09 on), `RateLimit-Policy: "tasks:read";q=600;w=60`
//! and `RateLimit: "tasks:read";r=599;t=60`; with `RATE_LIMIT_HEADERS=draft-06`
//! the four fields of that revision (`RateLimit-Limit`, `-Remaining`,
//! `-Reset`, `-Policy`). A refusal is 429 with `Retry-After` and a
//! problem+json body.

pub mod client;
mod lease;
mod local;
pub mod rate;
mod redis;

pub use client::{ClientId, ClientKeys};
pub use lease::lease_size;
pub use local::LocalLimiter;
pub use rate::Rate;

use crate::error::{ApiError, Kind};
use crate::observe::names;
use crate::observe::striped::PublishedCounter;
use crate::redis_conn::{RedisFailure, RedisHandle};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use lease::{KeyLease, Leases, Spend};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Which revision of draft-ietf-httpapi-ratelimit-headers responses follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderStyle {
    /// Revision 09 and later: `RateLimit-Policy` (the quota, constant per
    /// route) and `RateLimit` (what is left, per response), both naming the
    /// policy.
    #[default]
    Draft09,
    /// Revision 06: `RateLimit-Limit`, `RateLimit-Remaining`,
    /// `RateLimit-Reset` and `RateLimit-Policy: <limit>;w=<seconds>`, for
    /// clients written against it.
    Draft06,
}

impl HeaderStyle {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "draft-09" => Ok(HeaderStyle::Draft09),
            "draft-06" => Ok(HeaderStyle::Draft06),
            _ => Err(format!("{s:?}: use draft-09 or draft-06")),
        }
    }
}

/// What to do when the shared backend (Redis) cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Keep serving, limited by this replica's in-process limiter.
    Open,
    /// Refuse with 503 until Redis is back.
    Closed,
}

impl OnFailure {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(OnFailure::Open),
            "closed" => Ok(OnFailure::Closed),
            _ => Err(format!("{s:?}: use open or closed")),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    /// e.g. `tasks:read`, `graphql`.
    pub name: &'static str,
    pub rate: Rate,
    pub on_failure: OnFailure,
}

/// A request's fate: let through with this decision, or refused with this
/// response (and the decision whose fields it carries, if any).
pub type Verdict = Result<Decision, (Response, Option<Decision>)>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Until the quota is fully available again.
    pub reset: Duration,
    pub retry_after: Option<Duration>,
}

struct PolicyState {
    policy: Policy,
    /// The limiter without Redis, and the fail-open fallback with it.
    local: LocalLimiter,
    header_policy: HeaderValue,
    header_limit: HeaderValue,
    /// `"<name>";r=`: the start of every draft-09 `RateLimit` value.
    field_prefix: Box<[u8]>,
    /// Decision counters, made once: [allowed, limited].
    decisions: std::sync::OnceLock<[Arc<PublishedCounter>; 2]>,
    /// Tokens leased from Redis, when it is shared and the policy's budget
    /// is large enough (see `lease.rs`); `None`: exact, a round trip each.
    leases: Option<Leases>,
}

impl PolicyState {
    fn count(&self, allowed: bool) {
        let c = self.decisions.get_or_init(|| {
            let name = self.policy.name;
            [
                PublishedCounter::new(
                    names::RATE_LIMIT,
                    &[("policy", name), ("decision", "allowed")],
                ),
                PublishedCounter::new(
                    names::RATE_LIMIT,
                    &[("policy", name), ("decision", "limited")],
                ),
            ]
        });
        c[usize::from(!allowed)].add(1);
    }
}

pub struct Limiter {
    policies: Vec<PolicyState>,
    /// Route template → policy index for reads (GET/HEAD) and writes.
    routes: HashMap<&'static str, (Option<usize>, Option<usize>)>,
    redis: Option<(Arc<RedisHandle>, Arc<redis::RedisLimiter>)>,
    keys: ClientKeys,
    style: HeaderStyle,
}

/// Which policies apply to a route.
pub struct RouteLimits {
    pub route: String,
    pub read: Option<Policy>,
    pub write: Option<Policy>,
}

impl Limiter {
    /// `lease_percent`: the share of a policy's count a replica leases from
    /// Redis at a time (`RATE_LIMIT_LEASE_PERCENT`; 0 decides every request
    /// on Redis).
    pub fn new(
        routes: Vec<RouteLimits>,
        redis: Option<Arc<RedisHandle>>,
        keys: ClientKeys,
        style: HeaderStyle,
        lease_percent: u8,
    ) -> Arc<Self> {
        let shared = redis.is_some();
        let mut policies: Vec<PolicyState> = Vec::new();
        let mut index = |p: Option<Policy>| -> Option<usize> {
            let p = p?;
            if let Some(i) = policies.iter().position(|s| s.policy.name == p.name) {
                return Some(i);
            }
            let (count, secs) = (p.rate.count, p.rate.per.as_secs());
            let header_policy = match style {
                HeaderStyle::Draft09 => format!("{};q={count};w={secs}", quoted(p.name)),
                HeaderStyle::Draft06 => format!("{count};w={secs}"),
            };
            let header_policy =
                HeaderValue::from_str(&header_policy).expect("policy names are visible ASCII");
            let header_limit = HeaderValue::from(count);
            let field_prefix = format!("{};r=", quoted(p.name))
                .into_bytes()
                .into_boxed_slice();
            // `field_value` relies on this check.
            HeaderValue::from_bytes(&field_prefix).expect("policy names are visible ASCII");
            let leases = lease_size(p.rate.count, lease_percent)
                .filter(|_| shared)
                .map(Leases::new);
            policies.push(PolicyState {
                leases,
                local: LocalLimiter::new(p.rate),
                policy: p,
                header_policy,
                header_limit,
                field_prefix,
                decisions: Default::default(),
            });
            Some(policies.len() - 1)
        };
        let mut map = HashMap::new();
        for r in routes {
            let entry = (index(r.read), index(r.write));
            map.insert(&*Box::leak(r.route.into_boxed_str()), entry);
        }
        let redis = redis.map(|h| {
            let prefix = h.prefix.clone();
            (h, Arc::new(redis::RedisLimiter::new(prefix)))
        });
        let limiter = Arc::new(Limiter {
            policies,
            routes: map,
            redis,
            keys,
            style,
        });
        // Prune idle in-process buckets so memory stays bounded.
        let weak = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            loop {
                tick.tick().await;
                let Some(l) = weak.upgrade() else { break };
                for p in &l.policies {
                    p.local.prune();
                    if let Some(leases) = &p.leases {
                        leases.prune(p.policy.rate.per.max(Duration::from_secs(60)));
                    }
                }
            }
        });
        limiter
    }

    pub fn policies(&self) -> impl Iterator<Item = &Policy> {
        self.policies.iter().map(|p| &p.policy)
    }

    /// Decides for one request on policy `i`.
    pub async fn decide(&self, i: usize, client: ClientId<'_>) -> Result<Decision, ApiError> {
        let st = &self.policies[i];
        let Some((handle, gcra)) = &self.redis else {
            return Ok(st.local.check(client.hash64()));
        };
        let (name, rate) = (st.policy.name, st.policy.rate);
        // Boxed: the Redis round trip's future is large, and the in-process
        // path above should not carry its size.
        let res = match &st.leases {
            Some(leases) => Box::pin(self.decide_leased(st, leases, client)).await,
            None => {
                let key = &gcra.key(name, &client.to_string());
                Box::pin(handle.run("rate_limit", |mut c| async move {
                    gcra.check(&mut c, rate, key).await
                }))
                .await
            }
        };
        match res {
            Ok(d) => Ok(d),
            Err(e) => {
                let action = match st.policy.on_failure {
                    OnFailure::Open => "fail_open",
                    OnFailure::Closed => "fail_closed",
                };
                metrics::counter!(names::RATE_LIMIT_BACKEND, "policy" => name, "action" => action)
                    .increment(1);
                tracing::warn!(policy = name, action, error = %e, "rate-limit backend unavailable");
                match st.policy.on_failure {
                    OnFailure::Open => Ok(st.local.check(client.hash64())),
                    OnFailure::Closed => Err(ApiError::new(
                        Kind::Unavailable,
                        "rate limiting is unavailable; try again shortly",
                    )
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))),
                }
            }
        }
    }

    /// Spends a leased token, or leases more when there is none: one
    /// request per key waits for Redis, the others for its answer.
    async fn decide_leased(
        &self,
        st: &PolicyState,
        leases: &Leases,
        client: ClientId<'_>,
    ) -> Result<Decision, RedisFailure> {
        let (handle, gcra) = self.redis.as_ref().expect("leases need Redis");
        let lease = self.lease_of(st, leases, client);
        if let Some(d) = self.spend(st, leases, &lease) {
            return Ok(d);
        }
        let _one = lease.refill.lock().await;
        // Another request may have leased while this one waited.
        if let Some(d) = self.spend(st, leases, &lease) {
            return Ok(d);
        }
        // Redis failed a moment ago: fall back at once rather than queue
        // behind this mutex for one timeout each.
        if lease.failing(Instant::now()) {
            return Err(RedisFailure::Backoff);
        }
        let (rate, want, key) = (st.policy.rate, leases.size, &lease.key);
        let granted = handle
            .run("rate_limit", |mut c| async move {
                gcra.lease(&mut c, rate, key, want).await
            })
            .await
            .inspect_err(|_| lease.failed(Instant::now()))?;
        metrics::counter!(names::RATE_LIMIT_LEASES, "policy" => st.policy.name).increment(1);
        Ok(lease.grant(granted, true, rate.count, Instant::now()))
    }

    fn lease_of(&self, st: &PolicyState, leases: &Leases, client: ClientId<'_>) -> Arc<KeyLease> {
        let (_, gcra) = self.redis.as_ref().expect("leases need Redis");
        leases.of(client.hash64(), || {
            gcra.key(st.policy.name, &client.to_string())
        })
    }

    /// Spends from the lease without waiting: `None` when it is empty.
    fn spend(&self, st: &PolicyState, leases: &Leases, lease: &Arc<KeyLease>) -> Option<Decision> {
        match lease.spend(st.policy.rate.count, leases.size, Instant::now()) {
            Spend::Allowed { decision, refill } => {
                if refill {
                    self.refill_ahead(st, leases.size, lease.clone());
                }
                Some(decision)
            }
            Spend::Refused(d) => Some(d),
            Spend::Empty => None,
        }
    }

    /// Tops the lease up in the background before it runs out. A failure
    /// is left to the next request that finds the lease empty: it asks
    /// again and falls back as the policy says.
    fn refill_ahead(&self, st: &PolicyState, size: u32, lease: Arc<KeyLease>) {
        let (handle, gcra) = self.redis.clone().expect("leases need Redis");
        let (name, rate) = (st.policy.name, st.policy.rate);
        tokio::spawn(async move {
            let _one = lease.refill.lock().await;
            let now = Instant::now();
            let want = match lease.failing(now) {
                true => 0,
                false => lease.shortfall(size, now),
            };
            if want > 0 {
                let (gcra, key) = (&gcra, &lease.key);
                let res = handle
                    .run("rate_limit", |mut c| async move {
                        gcra.lease(&mut c, rate, key, want).await
                    })
                    .await;
                match res {
                    Ok(g) => {
                        metrics::counter!(names::RATE_LIMIT_LEASES, "policy" => name).increment(1);
                        lease.grant(g, false, rate.count, Instant::now());
                    }
                    Err(e) => {
                        lease.failed(Instant::now());
                        tracing::debug!(policy = name, error = %e, "lease refill failed");
                    }
                }
            }
            lease.prefetched();
        });
    }
}

static RL_FIELD: HeaderName = HeaderName::from_static("ratelimit");
static RL_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
static RL_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
static RL_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
static RL_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// Small numbers as ready header values: the RateLimit fields of nearly
/// every response are below this (seconds to reset, requests left in a
/// window), and a value from a `'static` string is cloned without an
/// allocation or a shared reference count.
const PRE_RENDERED: u64 = 4096;

/// `"<name>";r=<remaining>;t=<seconds>`, written without the formatting
/// machinery: it is built for every limited response.
fn field_value(prefix: &[u8], remaining: u32, reset: u64) -> HeaderValue {
    let mut digits = itoa::Buffer::new();
    let mut out = bytes::BytesMut::with_capacity(prefix.len() + 32);
    out.extend_from_slice(prefix);
    out.extend_from_slice(digits.format(remaining).as_bytes());
    out.extend_from_slice(b";t=");
    out.extend_from_slice(digits.format(reset).as_bytes());
    debug_assert!(HeaderValue::from_bytes(&out).is_ok());
    // SAFETY: the prefix was checked to be a valid value when the policy
    // was made (see `Limiter::new`); digits, `;`, `t` and `=` are visible ASCII.
    unsafe { HeaderValue::from_maybe_shared_unchecked(out.freeze()) }
}

fn number(n: u64) -> HeaderValue {
    static TABLE: std::sync::LazyLock<Vec<HeaderValue>> = std::sync::LazyLock::new(|| {
        (0..PRE_RENDERED)
            .map(|n| HeaderValue::from_static(Box::leak(n.to_string().into_boxed_str())))
            .collect()
    });
    match TABLE.get(n as usize) {
        Some(v) => v.clone(),
        None => HeaderValue::from(n),
    }
}

/// A structured-field string (RFC 8941 §3.3.3): policy names are resource
/// paths and fixed words, but quote and backslash are escaped all the same.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn secs_ceil(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Reads (GET, HEAD) and writes are limited by separate policies.
pub fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

impl Limiter {
    /// The (read, write) policy indexes of a route template.
    pub fn route_policies(&self, route: &str) -> (Option<usize>, Option<usize>) {
        self.routes.get(route).copied().unwrap_or_default()
    }

    /// Decides for one request on policy `i`. A refusal comes as the response
    /// to send (429, or 503 when the backend fails closed) and the decision
    /// whose fields it should carry, if any.
    pub async fn check(
        &self,
        i: usize,
        headers: &axum::http::HeaderMap,
        peer: Option<SocketAddr>,
        subject: Option<&str>,
    ) -> Verdict {
        let client = self.keys.key(headers, peer, subject);
        match self.decide(i, client).await {
            Ok(decision) => self.verdict(i, decision),
            Err(e) => Err((e.into_response(), None)),
        }
    }

    /// [`Limiter::check`] without waiting, when the decision is made in
    /// process (no Redis, or a leased token): `None` when it needs the
    /// shared backend.
    pub fn check_now(
        &self,
        i: usize,
        headers: &axum::http::HeaderMap,
        peer: Option<SocketAddr>,
        subject: Option<&str>,
    ) -> Option<Verdict> {
        let st = &self.policies[i];
        let client = self.keys.key(headers, peer, subject);
        if self.redis.is_none() {
            return Some(self.verdict(i, st.local.check(client.hash64())));
        }
        let leases = st.leases.as_ref()?;
        let lease = self.lease_of(st, leases, client);
        let decision = self.spend(st, leases, &lease)?;
        Some(self.verdict(i, decision))
    }

    fn verdict(&self, i: usize, decision: Decision) -> Verdict {
        let st = &self.policies[i];
        st.count(decision.allowed);
        if decision.allowed {
            return Ok(decision);
        }
        let wait = secs_ceil(decision.retry_after.unwrap_or_default()).max(1);
        let refusal = ApiError::new(
            Kind::RateLimited,
            format!(
                "rate limit of {} exceeded; retry in {wait} s",
                st.policy.rate
            ),
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(wait))
        .into_response();
        Err((refusal, Some(decision)))
    }

    /// How many fields [`Limiter::stamp`] adds.
    pub fn field_count(&self) -> usize {
        match self.style {
            HeaderStyle::Draft09 => 2,
            HeaderStyle::Draft06 => 4,
        }
    }

    /// Sets the RateLimit fields of a decision on the response.
    pub fn stamp(&self, i: usize, decision: &Decision, res: &mut Response) {
        let st = &self.policies[i];
        let h = res.headers_mut();
        match self.style {
            HeaderStyle::Draft09 => {
                h.insert(
                    RL_FIELD.clone(),
                    field_value(
                        &st.field_prefix,
                        decision.remaining,
                        secs_ceil(decision.reset),
                    ),
                );
            }
            HeaderStyle::Draft06 => {
                let limit = if decision.limit == st.policy.rate.count {
                    st.header_limit.clone()
                } else {
                    HeaderValue::from(decision.limit)
                };
                h.insert(RL_LIMIT.clone(), limit);
                h.insert(RL_REMAINING.clone(), number(u64::from(decision.remaining)));
                h.insert(RL_RESET.clone(), number(secs_ceil(decision.reset)));
            }
        }
        h.insert(RL_POLICY.clone(), st.header_policy.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_the_same_from_the_table_and_beyond_it() {
        for n in [0, 1, 59, PRE_RENDERED - 1, PRE_RENDERED, 100_000_000] {
            assert_eq!(number(n).to_str().unwrap(), n.to_string());
        }
    }

    #[test]
    fn draft_09_fields_name_the_policy_as_a_structured_string() {
        assert_eq!(quoted("tasks:read"), r#""tasks:read""#);
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        let v = field_value(
            quoted("tasks:read")
                .as_bytes()
                .iter()
                .chain(b";r=")
                .copied()
                .collect::<Vec<_>>()
                .as_slice(),
            599,
            60,
        );
        assert_eq!(v.to_str().unwrap(), r#""tasks:read";r=599;t=60"#);
        assert_eq!(
            field_value(b"\"g\";r=", u32::MAX, 0).to_str().unwrap(),
            r#""g";r=4294967295;t=0"#
        );
    }

    #[test]
    fn header_styles_parse_by_revision() {
        assert_eq!(HeaderStyle::parse("draft-09"), Ok(HeaderStyle::Draft09));
        assert_eq!(HeaderStyle::parse("draft-06"), Ok(HeaderStyle::Draft06));
        assert!(HeaderStyle::parse("7").unwrap_err().contains("draft-09"));
    }
}
