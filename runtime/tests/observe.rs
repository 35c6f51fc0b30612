//! Metrics after real requests, and readiness following the database.

mod support;

use resourceful::store::{Db, PoolOptions};
use resourceful::testing::{Backend, TestDb};
use resourceful::{App, Config};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::Ctx;

fn lines_with<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(name)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_metrics_use_route_templates() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let p = ctx.project("Metrics").await;
    let t = ctx.task(p, "measured", json!({})).await;
    for _ in 0..3 {
        assert_eq!(ctx.get(&format!("/v1/tasks/{}", t["id"])).await.status, 200);
    }
    ctx.get("/v1/tasks/424242").await;
    ctx.get("/no/such/path").await;
    let gql = ctx.post("/graphql", json!({"query": "query GetTasks { tasks { items { title } } }", "operationName": "GetTasks"})).await;
    assert_eq!(gql.status, 200, "{}", gql.json);
    let r = ctx.get("/metrics").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let text = String::from_utf8(r.raw).unwrap();

    let ok = r#"http_request_duration_seconds_count{route="/v1/tasks/{id}",method="GET",status_class="2xx",resource="tasks"}"#;
    let line = text
        .lines()
        .find(|l| l.starts_with(ok))
        .unwrap_or_else(|| panic!("missing {ok} in\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{line}");
    assert!(text.contains(r#"http_request_duration_seconds_bucket{route="/v1/tasks/{id}",method="GET",status_class="4xx",resource="tasks",le="0.005"}"#));
    assert!(text.contains(r#"http_requests_total{route="/v1/tasks",method="POST",status_class="2xx",resource="tasks"}"#));
    // Raw paths never become labels.
    assert!(
        !text.contains("424242") && !text.contains("/no/such/path"),
        "raw path leaked into labels"
    );
    assert!(text.contains(r#"route="unmatched""#));
    for name in [
        "http_request_size_bytes_bucket",
        "http_response_size_bytes_bucket",
        "http_requests_in_flight",
        "db_query_duration_seconds_bucket{resource=\"tasks\",operation=\"load\"",
        "db_rows_returned_bucket{resource=\"tasks\",operation=\"load\"",
        "db_pool_acquire_duration_seconds_bucket",
        "rate_limit_decisions_total{policy=\"tasks:read\",decision=\"allowed\"}",
        "graphql_operations_total{operation_type=\"query\",operation_name=\"GetTasks\"}",
        "graphql_operation_duration_seconds_bucket{operation_type=\"query\",operation_name=\"GetTasks\"",
        "cache_requests_total{resource=\"tasks\",result=\"miss\"}",
    ] {
        assert!(!lines_with(&text, name).is_empty(), "missing {name}");
    }
    assert!(
        text.contains("# HELP http_request_duration_seconds"),
        "described"
    );
    // Pool and spike gauges are published once a second.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    for name in [
        "db_pool_connections{state=\"idle\"}",
        "db_pool_max_connections",
        "db_pool_waiters",
        "http_request_rate_short",
        "http_traffic_spike_ratio",
    ] {
        assert!(!lines_with(&text, name).is_empty(), "missing {name}");
    }
    ctx.cleanup().await;
}

/// A TCP forwarder to PostgreSQL that can be cut and restored.
struct Proxy {
    addr: std::net::SocketAddr,
    up: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: &'static str) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (u, c) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    break;
                };
                if !u.load(Ordering::SeqCst) {
                    continue; // dropped: the database is "unreachable"
                }
                let h = tokio::spawn(async move {
                    if let Ok(mut out) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                    }
                });
                c.lock().unwrap().push(h);
            }
        });
        Proxy { addr, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for h in self.conns.lock().unwrap().drain(..) {
            h.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database() {
    let test_db = TestDb::postgres().await;
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let url =
        resourceful::testing::postgres_url().replace("127.0.0.1:5432", &proxy.addr.to_string());
    let db = Db::connect(
        &url,
        &PoolOptions {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(1),
            schema: Some(test_db.isolation.clone()),
        },
    )
    .await
    .unwrap();
    let mut config = Config::default();
    config.health_cache = Duration::ZERO;
    let server = App::new(config)
        .resource::<support::Project>()
        .resource::<support::Task>()
        .resource::<support::Comment>()
        .build_with_db(db)
        .await
        .unwrap();
    let ctx_router = server.router();
    let get = |uri: &'static str| {
        let r = ctx_router.clone();
        async move {
            use tower::ServiceExt;
            let res = r
                .oneshot(
                    axum::http::Request::get(uri)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body = axum::body::to_bytes(res.into_body(), usize::MAX)
                .await
                .unwrap();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default(),
            )
        }
    };
    let (s, body) = get("/health/ready").await;
    assert_eq!(s, 200, "{body}");

    proxy.cut();
    let (s, body) = get("/health/ready").await;
    assert_eq!(s, 503, "{body}");
    assert_eq!(body["status"], "down");
    assert_eq!(body["components"][0]["status"], "down");
    assert!(body["components"][0]["error"].is_string());
    // The API reports the outage as 503, not 500, and liveness stays up.
    let (s, body) = get("/v1/projects").await;
    assert_eq!(s, 503, "{body}");
    assert_eq!(get("/health/live").await.0, 200);

    proxy.restore();
    let mut recovered = false;
    for _ in 0..50 {
        if get("/health/ready").await.0 == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "readiness recovers by itself");
    assert_eq!(get("/v1/projects").await.0, 200);
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_is_cached_against_probe_storms() {
    let mut config = Config::default();
    config.health_cache = Duration::from_secs(60);
    let ctx = Ctx::with(Backend::Sqlite, config).await;
    assert_eq!(ctx.get("/health/ready").await.status, 200);
    let before = ctx.statements();
    let probes: Vec<_> = (0..50).map(|_| ctx.get("/health/ready")).collect();
    for r in futures::future::join_all(probes).await {
        assert_eq!(r.status, 200);
    }
    assert_eq!(
        ctx.statements(),
        before,
        "50 probes, no database round trip"
    );
    ctx.cleanup().await;
}
