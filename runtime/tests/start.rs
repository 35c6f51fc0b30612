//! Start-up with the database or Redis down, as an orchestrator may start
//! the service: it binds at once, answers liveness, reports not-ready with
//! the reason, and becomes ready by itself when they come (reached here
//! through a loopback proxy that starts forwarding later).

use resourceful::limits::OnFailure;
use resourceful::prelude::*;
use resourceful::testing::TestDb;
use resourceful::{App, Config};
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[api_resource(path = "items")]
#[derive(Debug, Clone)]
pub struct Item {
    #[api(id)]
    pub id: i64,
    pub name: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// From `port`, forwards every connection to `target` (started when called).
async fn forward(port: u16, target: &'static str) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
}

async fn get(addr: SocketAddr, path: &str) -> (u16, Option<String>, Value) {
    let r = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

async fn eventually(secs: u64, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("not within {secs} s: {what}");
}

/// Serves `app` on a free port until the returned sender is dropped.
fn serve(
    app: App,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(app.serve_on(
        listener,
        async {
            let _ = stopped.await;
        },
        |_| Box::pin(async { Ok(()) }),
    ));
    (addr, stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_database_the_service_is_live_not_ready_and_becomes_ready_when_it_comes() {
    let test_db = TestDb::postgres().await;
    let port = free_port();
    let mut config = Config::default();
    config.database_url = test_db
        .url
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{port}"));
    assert_ne!(
        config.database_url, test_db.url,
        "the URL goes through the proxy"
    );
    config.db_schema = Some(test_db.isolation.clone());
    config.drain_delay = Duration::ZERO;
    let (addr, stop, task) = serve(App::new(config).resource::<Item>());
    eventually(10, "liveness answers at once", async || {
        get(addr, "/health/live").await.0 == 200
    })
    .await;
    eventually(10, "readiness says why it is not ready", async || {
        let (status, retry, body) = get(addr, "/health/ready").await;
        status == 503
            && retry.as_deref() == Some("5")
            && body["components"][0]["error"]
                .as_str()
                .is_some_and(|e| e.contains("does not answer"))
    })
    .await;
    let (status, retry, body) = get(addr, "/v1/items").await;
    assert_eq!((status, retry.as_deref()), (503, Some("5")), "{body}");
    assert_eq!(body["type"], "urn:resourceful:problem:unavailable");
    assert!(
        body["detail"].as_str().unwrap().contains("starting"),
        "{body}"
    );
    // The database comes.
    forward(port, "127.0.0.1:5432").await;
    eventually(20, "ready once the database answers", async || {
        get(addr, "/health/ready").await.0 == 200
    })
    .await;
    let (status, _, body) = get(addr, "/v1/items").await;
    assert_eq!(status, 200, "{body}");
    drop(stop);
    task.await.unwrap().unwrap();
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_required_redis_the_service_is_live_not_ready_and_becomes_ready_when_it_comes() {
    let port = free_port();
    let file = tempfile::NamedTempFile::new().unwrap();
    let mut config = Config::default();
    config.database_url = format!("sqlite:{}", file.path().display());
    config.redis_url = Some(format!("redis://127.0.0.1:{port}"));
    config.redis_prefix = format!("rtest-start-{}", std::process::id());
    // Limits fail closed without Redis: it is required for readiness.
    config.rate_limit_on_redis_failure = OnFailure::Closed;
    config.drain_delay = Duration::ZERO;
    let (addr, stop, task) = serve(App::new(config).resource::<Item>());
    eventually(10, "liveness answers", async || {
        get(addr, "/health/live").await.0 == 200
    })
    .await;
    eventually(10, "not ready, naming Redis", async || {
        let (status, _, body) = get(addr, "/health/ready").await;
        status == 503
            && body["components"].as_array().is_some_and(|c| {
                c.iter()
                    .any(|c| c["name"] == "redis" && c["status"] == "down")
            })
    })
    .await;
    forward(port, "127.0.0.1:6379").await;
    eventually(20, "ready once Redis answers", async || {
        get(addr, "/health/ready").await.0 == 200
    })
    .await;
    assert_eq!(get(addr, "/v1/items").await.0, 200);
    drop(stop);
    task.await.unwrap().unwrap();
}
