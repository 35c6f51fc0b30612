//! Rate limiting against the running app: in process, shared through the
//! Redis at 127.0.0.1:6379 (keys isolated per test), and with Redis
//! unreachable under both failure policies.

mod support;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use resourceful::limits::{OnFailure, Rate};
use resourceful::testing::Backend;
use resourceful::Config;
use std::net::SocketAddr;
use std::time::Duration;
use support::{Ctx, Resp};

fn config(read: &str) -> Config {
    let mut c = Config::default();
    c.rate_limit_read = Rate::parse(read).unwrap();
    c.rate_limit_graphql = Rate::parse(read).unwrap();
    c
}

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn unique_prefix() -> String {
    format!("rtest:{}:{}", std::process::id(), uuid::Uuid::new_v4())
}

/// A GET from `peer`, optionally with an `X-Forwarded-For` header.
async fn get_from(ctx: &Ctx, uri: &str, peer: &str, xff: Option<&str>) -> Resp {
    let mut req = Request::get(uri);
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    let mut req = req.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    ctx.send(req).await
}

/// The `t=` of a draft-09 `RateLimit` value after checking the rest.
fn field_reset(r: &Resp, policy: &str, remaining: u32) -> u64 {
    let v = r.header("ratelimit").expect("a RateLimit field");
    let rest = v
        .strip_prefix(&format!("\"{policy}\";r={remaining};t="))
        .unwrap_or_else(|| panic!("RateLimit: {v}"));
    rest.parse().unwrap()
}

#[tokio::test]
async fn burst_beyond_the_limit_gets_429_with_headers() {
    let ctx = Ctx::with(Backend::Sqlite, config("3/min")).await;
    let peer = "203.0.113.1:4000";
    for n in 0..3 {
        let r = get_from(&ctx, "/v1/tasks", peer, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("ratelimit-policy"),
            Some(r#""tasks:read";q=3;w=60"#)
        );
        let t = field_reset(&r, "tasks:read", 2 - n);
        assert!(
            (1..=60).contains(&t),
            "the quota refills within the window: {t}"
        );
        assert_eq!(
            r.header("ratelimit-limit"),
            None,
            "draft-06 fields are not sent by default"
        );
    }
    let r = get_from(&ctx, "/v1/tasks", peer, None).await;
    r.assert_problem(429, "rate-limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (1..=20).contains(&retry),
        "one request costs 20 s at 3/min: {retry}"
    );
    assert!(field_reset(&r, "tasks:read", 0) >= retry);
    // Another client has its own bucket; writes have their own policy.
    assert_eq!(
        get_from(&ctx, "/v1/tasks", "203.0.113.2:4000", None)
            .await
            .status,
        200
    );
    // Health and metrics are never limited.
    assert_eq!(get_from(&ctx, "/health/live", peer, None).await.status, 200);
    assert_eq!(get_from(&ctx, "/metrics", peer, None).await.status, 200);
    ctx.cleanup().await;
}

#[tokio::test]
async fn graphql_is_limited_too() {
    let ctx = Ctx::with(Backend::Sqlite, config("2/min")).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let mut req = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"query":"{ __typename }"}"#))
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo("198.51.100.4:1".parse::<SocketAddr>().unwrap()));
        let r = ctx.send(req).await;
        statuses.push(r.status.as_u16());
        if r.status == 429 {
            r.assert_problem(429, "rate-limited");
            assert!(r.header("retry-after").is_some());
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    ctx.cleanup().await;
}

#[tokio::test]
async fn forged_forwarded_for_from_untrusted_peers_is_ignored() {
    let mut c = config("2/min");
    c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    let ctx = Ctx::with(Backend::Sqlite, c).await;
    let attacker = "203.0.113.9:5555";
    // Each request claims a new origin; the bucket is still the socket peer's.
    let mut codes = Vec::new();
    for n in 0..4 {
        codes.push(
            get_from(&ctx, "/v1/tasks", attacker, Some(&format!("192.0.2.{n}")))
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(codes, [200, 200, 429, 429]);
    // Behind a trusted proxy, the rightmost untrusted hop is the client; a
    // value the client prepended does not change it.
    let proxy = "10.0.0.5:443";
    let mut codes = Vec::new();
    for n in 0..3 {
        codes.push(
            get_from(
                &ctx,
                "/v1/tasks",
                proxy,
                Some(&format!("6.6.6.{n}, 198.51.100.7")),
            )
            .await
            .status
            .as_u16(),
        );
    }
    assert_eq!(codes, [200, 200, 429]);
    assert_eq!(
        get_from(&ctx, "/v1/tasks", proxy, Some("198.51.100.8"))
            .await
            .status,
        200,
        "a different real client"
    );
    ctx.cleanup().await;
}

#[tokio::test]
async fn two_apps_sharing_redis_enforce_one_combined_limit() {
    let mut c = config("5/min");
    c.redis_url = Some(redis_url());
    c.redis_prefix = unique_prefix();
    let a = Ctx::with(Backend::Sqlite, c.clone()).await;
    let b = Ctx::with(Backend::Sqlite, c).await;
    let peer = "203.0.113.50:1";
    let mut allowed = 0;
    let mut limited = 0;
    for n in 0..8 {
        let ctx = if n % 2 == 0 { &a } else { &b };
        match get_from(ctx, "/v1/tasks", peer, None).await.status.as_u16() {
            200 => allowed += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        (allowed, limited),
        (5, 3),
        "one shared budget across replicas"
    );
    a.cleanup().await;
    b.cleanup().await;
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("redis://127.0.0.1:{port}")
}

fn metric(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test]
async fn redis_down_fail_open_keeps_serving_with_local_limits() {
    let mut c = config("3/min");
    c.redis_url = Some(closed_port_url());
    c.rate_limit_on_redis_failure = OnFailure::Open;
    let ctx = Ctx::with(Backend::Sqlite, c).await;
    let before = metric(
        &ctx.get("/metrics")
            .await
            .raw
            .iter()
            .map(|&b| b as char)
            .collect::<String>(),
        "rate_limit_backend_failures_total{policy=\"tasks:read\",action=\"fail_open\"}",
    );
    let mut codes = Vec::new();
    for _ in 0..4 {
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            get_from(&ctx, "/v1/tasks", "203.0.113.60:1", None),
        )
        .await
        .expect("never hangs");
        codes.push(r.status.as_u16());
    }
    // The in-process fallback still enforces the declared rate.
    assert_eq!(codes, [200, 200, 200, 429]);
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    let after = metric(
        &text,
        "rate_limit_backend_failures_total{policy=\"tasks:read\",action=\"fail_open\"}",
    );
    assert!(after >= before + 4.0, "counted: {before} → {after}");
    assert!(metric(&text, "redis_errors_total{operation=\"rate_limit\"}") >= 1.0);
    // Redis is optional under fail-open: readiness reports it, stays 200.
    let r = ctx.get("/health/ready").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "degraded");
    ctx.cleanup().await;
}

#[tokio::test]
async fn redis_down_fail_closed_answers_503_quickly() {
    let mut c = config("100/min");
    c.redis_url = Some(closed_port_url());
    c.rate_limit_on_redis_failure = OnFailure::Closed;
    let ctx = Ctx::with(Backend::Sqlite, c).await;
    for _ in 0..3 {
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            get_from(&ctx, "/v1/tasks", "203.0.113.61:1", None),
        )
        .await
        .expect("never hangs");
        r.assert_problem(503, "unavailable");
        assert!(r.header("retry-after").is_some());
    }
    // Probes still answer; readiness is down because Redis is required now.
    assert_eq!(ctx.get("/health/live").await.status, 200);
    assert_eq!(ctx.get("/health/ready").await.status, 503);
    ctx.cleanup().await;
}

/// A resource declaring its own limits, tighter than the defaults.
#[resourceful::api_resource(
    path = "tickets",
    rate_limit(read = "2/min", write = "1/min", on_redis_failure = "closed")
)]
pub struct Ticket {
    #[api(id)]
    pub id: i64,
    pub subject: String,
}

#[tokio::test]
async fn draft_06_fields_on_request() {
    let mut c = config("3/min");
    c.rate_limit_headers = resourceful::limits::HeaderStyle::Draft06;
    let ctx = Ctx::with(Backend::Sqlite, c).await;
    let peer = "203.0.113.9:4000";
    for n in 0..3 {
        let r = get_from(&ctx, "/v1/tasks", peer, None).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("ratelimit-limit"), Some("3"));
        assert_eq!(
            r.header("ratelimit-remaining"),
            Some((2 - n).to_string().as_str())
        );
        assert_eq!(r.header("ratelimit-policy"), Some("3;w=60"));
        assert_eq!(r.header("ratelimit"), None);
    }
    let r = get_from(&ctx, "/v1/tasks", peer, None).await;
    r.assert_problem(429, "rate-limited");
    assert_eq!(r.header("ratelimit-remaining"), Some("0"));
    let reset: u64 = r.header("ratelimit-reset").unwrap().parse().unwrap();
    assert!((1..=60).contains(&reset));
    ctx.cleanup().await;
}

#[tokio::test]
async fn declared_limits_override_the_defaults() {
    let db = resourceful::testing::TestDb::sqlite().await;
    let server = resourceful::App::new(Config::default())
        .resource::<Ticket>()
        .build_with_db(db.db.clone())
        .await
        .unwrap();
    let router = server.router();
    let send = |req: Request<Body>| {
        let r = router.clone();
        async move {
            use tower::ServiceExt;
            let mut req = req;
            req.extensions_mut()
                .insert(ConnectInfo("203.0.113.77:1".parse::<SocketAddr>().unwrap()));
            let res = r.oneshot(req).await.unwrap();
            (
                res.status().as_u16(),
                res.headers()
                    .get("ratelimit-policy")
                    .map(|v| v.to_str().unwrap().to_string()),
            )
        }
    };
    let get = || Request::get("/v1/tickets").body(Body::empty()).unwrap();
    let post = || {
        Request::post("/v1/tickets")
            .header("content-type", "application/json")
            .body(Body::from(r#"{"subject":"s"}"#))
            .unwrap()
    };
    assert_eq!(
        send(get()).await,
        (200, Some(r#""tickets:read";q=2;w=60"#.into()))
    );
    assert_eq!(send(get()).await.0, 200);
    assert_eq!(send(get()).await.0, 429);
    assert_eq!(
        send(post()).await,
        (201, Some(r#""tickets:write";q=1;w=60"#.into()))
    );
    assert_eq!(send(post()).await.0, 429);
    let m = <Ticket as resourceful::Resource>::MODEL;
    assert_eq!(m.rate_limit.fail_closed, Some(true));
    db.cleanup().await;
}

/// `rate_limit_leases_total` of a policy, as the process's recorder has it.
async fn leases(ctx: &Ctx, policy: &str) -> f64 {
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    metric(
        &text,
        &format!("rate_limit_leases_total{{policy=\"{policy}\"}}"),
    )
}

/// Three replicas sharing Redis with leases of 5 % (10 tokens of 200/s),
/// flooded by one client: over the whole run the fleet admits at most what
/// one exact GCRA would (`count + elapsed / interval`) plus `replicas ×
/// lease size`, the bound the limits module documents, and refusals are
/// answered without a round trip each.
#[tokio::test]
async fn leased_tokens_overshoot_a_shared_limit_by_at_most_one_lease_per_replica() {
    const REPLICAS: usize = 3;
    let mut c = config("200/s");
    c.redis_url = Some(redis_url());
    c.redis_prefix = unique_prefix();
    c.rate_limit_lease_percent = 5;
    let size = resourceful::limits::lease_size(200, 5).unwrap();
    assert_eq!(size, 10);
    let mut fleet = Vec::new();
    for _ in 0..REPLICAS {
        fleet.push(Ctx::with(Backend::Sqlite, c.clone()).await);
    }
    let leases_before = leases(&fleet[0], "tasks:read").await;
    let peer = "203.0.113.70:1";
    let started = std::time::Instant::now();
    let run_for = Duration::from_millis(1500);
    // Two request loops per replica, each one request at a time.
    let loops = fleet
        .iter()
        .flat_map(|ctx| [ctx, ctx])
        .map(|ctx| async move {
            let (mut allowed, mut refused) = (0u32, 0u32);
            while started.elapsed() < run_for {
                let r = get_from(ctx, "/v1/tasks", peer, None).await;
                match r.status.as_u16() {
                    200 => allowed += 1,
                    429 => {
                        assert!(r.header("retry-after").is_some());
                        refused += 1
                    }
                    other => panic!("unexpected {other}: {}", r.json),
                }
            }
            (allowed, refused)
        });
    let counts = futures::future::join_all(loops).await;
    let elapsed = started.elapsed();
    let allowed: u32 = counts.iter().map(|c| c.0).sum();
    let refused: u32 = counts.iter().map(|c| c.1).sum();
    let round_trips = leases(&fleet[0], "tasks:read").await - leases_before;
    // GCRA with a burst of `count` admits at most count + T / interval
    // over a span T (one more for the boundary); leases add at most one
    // lease per replica.
    let exact = 200 + (elapsed.as_secs_f64() * 200.0).ceil() as u32 + 1;
    let bound = exact + REPLICAS as u32 * size;
    eprintln!(
        "{allowed} admitted, {refused} refused in {elapsed:?}; exact GCRA {exact}, bound {bound}; {round_trips} leases"
    );
    assert!(allowed <= bound, "{allowed} admitted > bound {bound}");
    assert!(
        allowed + REPLICAS as u32 * size >= 200,
        "{allowed} admitted: more than one lease per replica was stranded"
    );
    assert!(refused > allowed, "the flood was not limited: {refused}");
    assert!(
        round_trips * 4.0 < f64::from(allowed + refused),
        "{round_trips} leases for {} requests: refusals were not answered in process",
        allowed + refused
    );
    for ctx in fleet {
        ctx.cleanup().await;
    }
}

/// Under a generous limit a replica spends a whole lease in process: a
/// few hundred requests through each of three replicas cost one round
/// trip per replica, and every answer carries the fleet-wide remainder.
#[tokio::test]
async fn a_generous_shared_limit_costs_one_round_trip_per_lease() {
    let mut c = config("6000/s");
    c.redis_url = Some(redis_url());
    c.redis_prefix = unique_prefix();
    c.rate_limit_lease_percent = 5;
    // Other tests of this file use the tasks policy; this one counts
    // the projects policy's leases alone.
    let size = resourceful::limits::lease_size(6000, 5).unwrap();
    assert_eq!(size, 300);
    let a = Ctx::with(Backend::Sqlite, c.clone()).await;
    let b = Ctx::with(Backend::Sqlite, c.clone()).await;
    let d = Ctx::with(Backend::Sqlite, c).await;
    let before = leases(&a, "projects:read").await;
    let peer = "203.0.113.71:1";
    let mut last_remaining = Vec::new();
    for ctx in [&a, &b, &d] {
        for _ in 0..100 {
            let r = get_from(ctx, "/v1/projects", peer, None).await;
            assert_eq!(r.status, 200);
            let field = r.header("ratelimit").unwrap().to_string();
            last_remaining.push(field);
        }
    }
    let round_trips = leases(&a, "projects:read").await - before;
    assert_eq!(
        round_trips, 3.0,
        "one lease per replica for 100 requests each (size {size}, refill at half)"
    );
    // The first answer of the first replica: 6000 - 300 leased + 299 held.
    assert!(
        last_remaining[0].starts_with("\"projects:read\";r=5999;"),
        "{}",
        last_remaining[0]
    );
    for ctx in [a, b, d] {
        ctx.cleanup().await;
    }
}

/// Leases with Redis unreachable: every request falls back to the
/// in-process limiter at once (fail-open) instead of queueing behind the
/// key's one lease request, and the fallback is counted.
#[tokio::test]
async fn leased_limits_fall_back_at_once_when_redis_is_down() {
    let mut c = config("6000/min");
    c.redis_url = Some(closed_port_url());
    c.rate_limit_on_redis_failure = OnFailure::Open;
    c.rate_limit_lease_percent = 5;
    let ctx = Ctx::with(Backend::Sqlite, c).await;
    let peer = "203.0.113.72:1";
    let started = std::time::Instant::now();
    let answers = futures::future::join_all((0..20).map(|_| async {
        tokio::time::timeout(
            Duration::from_secs(5),
            get_from(&ctx, "/v1/comments", peer, None),
        )
        .await
        .expect("never hangs")
        .status
        .as_u16()
    }))
    .await;
    assert!(answers.iter().all(|&s| s == 200), "{answers:?}");
    // One connection attempt at most, not one timeout per queued request.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    assert!(
        metric(
            &text,
            "rate_limit_backend_failures_total{policy=\"comments:read\",action=\"fail_open\"}"
        ) >= 20.0
    );
    ctx.cleanup().await;
}
