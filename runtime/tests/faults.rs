//! The fault suite: the service on real sockets while its database is cut
//! off, slowed down or restarted, while clients go away mid-write, and
//! while it shuts down under load. Every case is bounded in time and
//! states what it expects; the figures it measures are printed.
//!
//! Faults are injected on loopback only: a TCP proxy between the service
//! and PostgreSQL, and a PostgreSQL server of the test's own (initdb in a
//! temporary directory) for the restart.

mod support;

use resourceful::store::{Db, PoolOptions};
use resourceful::testing::{Backend, TestDb};
use resourceful::{App, Config};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ------------------------------------------------------------ the proxy

/// A TCP proxy on 127.0.0.1 that can cut every connection (and refuse new
/// ones) or delay what the client sends.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
    /// Bumped on a cut: live connections end when they see it change.
    generation: tokio::sync::watch::Sender<u64>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let delay_ms = Arc::new(AtomicU64::new(0));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let (c, d, g) = (cut.clone(), delay_ms.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if c.load(Ordering::SeqCst) {
                    drop(client); // refused: closed at once
                    continue;
                }
                let (d, mut gen) = (d.clone(), g.subscribe());
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(target).await else {
                        return;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = async {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            let delay = d.load(Ordering::SeqCst);
                            if delay > 0 {
                                tokio::time::sleep(Duration::from_millis(delay)).await;
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    let down = tokio::io::copy(&mut sr, &mut cw);
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                        _ = gen.changed() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            cut,
            delay_ms,
            generation,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }

    fn delay(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }
}

// ------------------------------------------------------------ the service

struct Service {
    addr: SocketAddr,
    db: Db,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

fn config() -> Config {
    Config {
        request_timeout: Duration::from_secs(2),
        health_cache: Duration::from_millis(0),
        // Every read goes to the database: the faults are what is measured.
        api_optimization_enabled: false,
        rate_limit_enabled: false,
        ..Config::default()
    }
}

async fn serve(app: App, db: Db) -> Service {
    let server = app.build_with_db(db.clone()).await.expect("build");
    let support::Serving { addr, stop, done } = support::serve(server).await;
    Service {
        addr,
        db,
        stop: Some(stop),
        done,
    }
}

fn app(config: Config) -> App {
    App::new(config).resource::<support::Project>()
}

/// A pool to the test schema through `addr` (the proxy), with a short
/// acquire timeout so an unreachable database answers within a request.
async fn pool_via(addr: SocketAddr, schema: &str) -> Db {
    Db::connect(
        &format!("postgres://postgres@{addr}/test"),
        &PoolOptions {
            max_connections: 4,
            acquire_timeout: Duration::from_millis(800),
            schema: Some(schema.to_string()),
        },
    )
    .await
    .expect("connect through the proxy")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// One exchange: (status, Retry-After, body); status 0 when no answer came.
async fn call(
    c: &reqwest::Client,
    method: &str,
    url: String,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut req = c.request(method.parse().unwrap(), url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let retry = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(String::from);
            let json = res.json::<Value>().await.unwrap_or(Value::Null);
            (status, retry, json)
        }
        Err(_) => (0, None, Value::Null),
    }
}

/// The service on PostgreSQL through a proxy that can cut or slow it.
async fn behind_a_proxy() -> (TestDb, Proxy, Service) {
    let test_db = TestDb::new(Backend::Postgres).await;
    let proxy = Proxy::start(pg_target()).await;
    let db = pool_via(proxy.addr, &test_db.isolation).await;
    let svc = serve(app(config()), db).await;
    (test_db, proxy, svc)
}

fn pg_target() -> SocketAddr {
    "127.0.0.1:5432".parse().unwrap()
}

// ------------------------------------------------------------ the cases

/// PostgreSQL unreachable for 10 s: every answer meanwhile is 503 with
/// `Retry-After` (never 500), readiness is red, and the service is back by
/// itself once the database is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_for_ten_seconds() {
    let (test_db, proxy, svc) = behind_a_proxy().await;
    let (c, base) = (client(), format!("http://{}", svc.addr));
    let (s, _, _) = call(
        &c,
        "POST",
        format!("{base}/v1/projects"),
        Some(json!({"name": "before"})),
    )
    .await;
    assert_eq!(s, 201);

    proxy.cut();
    let cut_at = Instant::now();
    let (mut answers, mut unavailable, mut bad) = (0, 0, Vec::new());
    let mut ready_red = false;
    while cut_at.elapsed() < Duration::from_secs(10) {
        let (s, retry, body) = call(&c, "GET", format!("{base}/v1/projects"), None).await;
        answers += 1;
        if s == 503 && retry.is_some() {
            unavailable += 1;
        } else {
            bad.push((s, body));
        }
        let (w, retry, _) = call(
            &c,
            "POST",
            format!("{base}/v1/projects"),
            Some(json!({"name": format!("during {answers}")})),
        )
        .await;
        if w == 503 && retry.is_some() {
            unavailable += 1;
        } else {
            bad.push((w, Value::Null));
        }
        let (r, _, _) = call(&c, "GET", format!("{base}/health/ready"), None).await;
        ready_red |= r == 503;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    proxy.restore();
    let back_at = Instant::now();
    let recovered = loop {
        let (s, _, _) = call(&c, "GET", format!("{base}/v1/projects"), None).await;
        if s == 200 {
            break back_at.elapsed();
        }
        assert!(
            back_at.elapsed() < Duration::from_secs(15),
            "not back 15 s after the database"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!(
        "database cut 10 s: {answers} rounds, {unavailable} answers 503 + Retry-After, {} other; readiness red: {ready_red}; back {recovered:?} after the database",
        bad.len()
    );
    assert!(
        bad.is_empty(),
        "only 503 with Retry-After while cut off: {bad:?}"
    );
    assert!(ready_red, "readiness follows the database");
    assert!(
        recovered < Duration::from_secs(5),
        "back within 5 s: {recovered:?}"
    );
    let (r, _, _) = call(&c, "GET", format!("{base}/health/ready"), None).await;
    assert_eq!(r, 200);
    let (_, _, page) = call(&c, "GET", format!("{base}/v1/projects?name=before"), None).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    drop(svc.stop);
    let _ = svc.done.await;
    test_db.cleanup().await;
}

/// A slow database (each round trip delayed past the request timeout):
/// answers are 503 at the timeout, and the pool recovers (no waiters left,
/// fast answers) once the latency goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_database_times_out_and_the_pool_recovers() {
    let (test_db, proxy, svc) = behind_a_proxy().await;
    let (c, base) = (client(), format!("http://{}", svc.addr));
    proxy.delay(2500);
    let slow: Vec<_> = (0..12)
        .map(|i| {
            let (c, url) = (c.clone(), format!("{base}/v1/projects?name=slow{i}"));
            tokio::spawn(async move {
                let t = Instant::now();
                let (s, retry, _) = call(&c, "GET", url, None).await;
                (s, retry, t.elapsed())
            })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut slowest = Duration::ZERO;
    for h in slow {
        let (s, retry, took) = h.await.unwrap();
        statuses.push((s, retry.is_some()));
        slowest = slowest.max(took);
    }
    proxy.delay(0);
    println!("slow database: 12 concurrent reads answered {statuses:?}, slowest after {slowest:?}");
    assert!(
        statuses.iter().all(|&(s, retry)| s == 503 && retry),
        "503 with Retry-After at the request timeout: {statuses:?}"
    );
    let back_at = Instant::now();
    loop {
        let (s, _, _) = call(&c, "GET", format!("{base}/v1/projects"), None).await;
        if s == 200 {
            break;
        }
        assert!(
            back_at.elapsed() < Duration::from_secs(15),
            "the pool did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // No spiral: nobody is left waiting for a connection.
    let deadline = Instant::now() + Duration::from_secs(10);
    while svc.db.waiters() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} still waiting",
            svc.db.waiters()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "slow database: answering again {:?} after the latency went",
        back_at.elapsed()
    );
    drop(svc.stop);
    let _ = svc.done.await;
    test_db.cleanup().await;
}

/// A client that goes away in the middle of a write, before its body is
/// complete or right after it: all of the write or none of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_write_leaves_no_partial_write() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let test_db = TestDb::new(backend).await;
        let db = test_db.db.clone();
        let svc = serve(app(config()), db).await;
        let items: Vec<Value> = (0..300)
            .map(|i| json!({"name": format!("bulk {i}")}))
            .collect();
        let body = serde_json::to_vec(&items).unwrap();
        let head = format!(
            "POST /v1/projects HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        // Half the body, then gone.
        let mut s = TcpStream::connect(svc.addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body[..body.len() / 2]).await.unwrap();
        drop(s);
        // All of it, then gone before the answer.
        let mut s = TcpStream::connect(svc.addr).await.unwrap();
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body).await.unwrap();
        drop(s);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let all = count_projects(&client(), svc.addr).await;
        println!("{backend:?}: after two abandoned bulk creates of 300, {all} rows");
        assert!(all == 0 || all == 300, "all or nothing, never {all}");
        drop(svc.stop);
        let _ = svc.done.await;
        test_db.cleanup().await;
    }
}

async fn count_projects(c: &reqwest::Client, addr: SocketAddr) -> usize {
    let mut n = 0;
    let mut url = format!("http://{addr}/v1/projects?limit=100");
    loop {
        let page: Value = c.get(&url).send().await.unwrap().json().await.unwrap();
        n += page["items"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("http://{addr}/v1/projects?limit=100&cursor={cursor}"),
            None => return n,
        }
    }
}

/// Graceful shutdown under load: every request in flight when the signal
/// comes is answered; none is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_under_load_drops_no_request() {
    const IN_FLIGHT: usize = 40;
    let test_db = TestDb::new(Backend::Sqlite).await;
    let started = Arc::new(AtomicUsize::new(0));
    let all_in = Arc::new(tokio::sync::Notify::new());
    let (s2, a2) = (started.clone(), all_in.clone());
    let slow = axum::routing::get(move || {
        let (s, a) = (s2.clone(), a2.clone());
        async move {
            if s.fetch_add(1, Ordering::SeqCst) + 1 == IN_FLIGHT {
                a.notify_one();
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            "done"
        }
    });
    let svc = serve(app(config()).route("/v1/slow", slow), test_db.db.clone()).await;
    let c = client();
    let requests: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (c, url) = (c.clone(), format!("http://{}/v1/slow", svc.addr));
            tokio::spawn(async move { call(&c, "GET", url, None).await.0 })
        })
        .collect();
    all_in.notified().await;
    let Service {
        stop, done, addr, ..
    } = svc;
    drop(stop); // the shutdown signal
    let mut statuses = Vec::new();
    for r in requests {
        statuses.push(r.await.unwrap());
    }
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("stopped")
        .unwrap()
        .unwrap();
    println!(
        "shutdown with {IN_FLIGHT} requests in flight: {} answered 200",
        statuses.iter().filter(|&&s| s == 200).count()
    );
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
    test_db.cleanup().await;
}

// ------------------------------------------------------------ restart

/// A PostgreSQL server of the test's own, in a temporary directory, run as
/// the `postgres` user (initdb refuses root).
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
}

fn as_postgres(args: &[&str]) -> std::process::Output {
    let cmd = args.join(" ");
    let out = if is_root() {
        std::process::Command::new("su")
            .args(["postgres", "-s", "/bin/sh", "-c", &cmd])
            .output()
    } else {
        std::process::Command::new("sh").args(["-c", &cmd]).output()
    }
    .expect("run a PostgreSQL command");
    assert!(
        out.status.success(),
        "{cmd}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn pg_bin(name: &str) -> String {
    for dir in [
        "/usr/local/bin",
        "/usr/lib/postgresql/17/bin",
        "/usr/lib/postgresql/16/bin",
        "/usr/lib/postgresql/15/bin",
    ] {
        let p = format!("{dir}/{name}");
        if std::path::Path::new(&p).exists() {
            return p;
        }
    }
    panic!("{name} is required for the restart case (PostgreSQL server binaries)");
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let path = dir.path().display().to_string();
        std::process::Command::new("chown")
            .args(["-R", "postgres", &path])
            .status()
            .unwrap();
        as_postgres(&[
            &pg_bin("initdb"),
            "-D",
            &format!("{path}/data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            ">/dev/null",
        ]);
        let pg = OwnPostgres { dir, port };
        pg.ctl("start");
        pg
    }

    fn ctl(&self, action: &str) {
        let path = self.dir.path().display().to_string();
        let opts = format!(
            "\"-p {} -k {path} -c listen_addresses=127.0.0.1 -c fsync=off\"",
            self.port
        );
        as_postgres(&[
            &pg_bin("pg_ctl"),
            "-D",
            &format!("{path}/data"),
            "-l",
            &format!("{path}/log"),
            "-o",
            &opts,
            "-m",
            "fast",
            "-w",
            action,
            ">/dev/null",
        ]);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let path = self.dir.path().display().to_string();
        let _ = std::process::Command::new("su")
            .args([
                "postgres",
                "-s",
                "/bin/sh",
                "-c",
                &format!(
                    "{} -D {path}/data -m immediate stop >/dev/null 2>&1",
                    pg_bin("pg_ctl")
                ),
            ])
            .status();
    }
}

/// PostgreSQL restarted under mixed load: no acknowledged write is lost,
/// no answer is 500, and requests succeed again within 5 s of the
/// database being back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_mixed_load() {
    let pg = tokio::task::spawn_blocking(OwnPostgres::start)
        .await
        .unwrap();
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", pg.port);
    let db = Db::connect(
        &url,
        &PoolOptions {
            max_connections: 4,
            acquire_timeout: Duration::from_millis(800),
            schema: None,
        },
    )
    .await
    .expect("own PostgreSQL");
    let svc = serve(app(config()), db).await;
    let base = format!("http://{}", svc.addr);
    let running = Arc::new(AtomicBool::new(true));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (c, base, running) = (client(), base.clone(), running.clone());
            tokio::spawn(async move {
                let (mut acked, mut statuses) = (Vec::new(), Vec::new());
                let mut i = 0;
                while running.load(Ordering::SeqCst) {
                    i += 1;
                    let (s, _, body) = if i % 2 == 0 {
                        call(
                            &c,
                            "POST",
                            format!("{base}/v1/projects"),
                            Some(json!({"name": format!("w{w} n{i}")})),
                        )
                        .await
                    } else {
                        call(&c, "GET", format!("{base}/v1/projects?limit=5"), None).await
                    };
                    if s == 201 {
                        acked.push(body["id"].as_i64().unwrap());
                    }
                    statuses.push((s, Instant::now()));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                (acked, statuses)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let restart_started = Instant::now();
    let pg = tokio::task::spawn_blocking(move || {
        pg.ctl("restart");
        pg
    })
    .await
    .unwrap();
    let back_at = Instant::now();
    println!("PostgreSQL restart took {:?}", back_at - restart_started);
    tokio::time::sleep(Duration::from_secs(6)).await;
    running.store(false, Ordering::SeqCst);
    let (mut acked, mut five_hundreds, mut others, mut total, mut unavailable) =
        (Vec::new(), 0, 0, 0, 0);
    let mut first_ok_after_back: Option<Duration> = None;
    for w in workers {
        let (a, statuses) = w.await.unwrap();
        acked.extend(a);
        for (s, at) in statuses {
            total += 1;
            match s {
                500..=502 | 504..=599 => five_hundreds += 1,
                503 => unavailable += 1,
                200..=299 => {}
                _ => others += 1,
            }
            if (200..300).contains(&s) && at >= back_at {
                let after = at - back_at;
                first_ok_after_back = Some(first_ok_after_back.map_or(after, |f| f.min(after)));
            }
        }
    }
    let c = client();
    let mut lost = Vec::new();
    for id in &acked {
        let (s, _, _) = call(&c, "GET", format!("{base}/v1/projects/{id}"), None).await;
        if s != 200 {
            lost.push((*id, s));
        }
    }
    println!(
        "restart under load: {total} requests, {} writes acknowledged, {} lost, {unavailable} answers 503, {five_hundreds} other 5xx, {others} other; first success {first_ok_after_back:?} after the database was back",
        acked.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert_eq!(five_hundreds, 0, "no 500s");
    assert_eq!(others, 0, "only 2xx or 503");
    let first = first_ok_after_back.expect("successes after the restart");
    assert!(
        first < Duration::from_secs(5),
        "success again within 5 s: {first:?}"
    );
    drop(svc.stop);
    let _ = svc.done.await;
    drop(pg);
}

// ------------------------------------------------------------ Redis

/// A Redis server of the test's own on a free port, without persistence.
struct OwnRedis {
    port: u16,
    child: std::process::Child,
}

impl OwnRedis {
    fn start_on(port: u16) -> OwnRedis {
        let child = std::process::Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is required for the Redis case");
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        OwnRedis { port, child }
    }

    fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn send(router: &axum::Router, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(match body {
            Some(b) => axum::body::Body::from(b.to_string()),
            None => axum::body::Body::empty(),
        })
        .unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Redis down and back, two replicas on one database: neither serves a
/// read that a write during the outage made stale, the rate-limit policy
/// holds (in process, as `RATE_LIMIT_ON_REDIS_FAILURE=open` says), and
/// invalidation across replicas works again once Redis is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_and_back_with_two_replicas() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redis = OwnRedis::start_on(port);
    let test_db = TestDb::new(Backend::Postgres).await;
    let replica = |db: Db| async move {
        let config = Config {
            redis_url: Some(format!("redis://127.0.0.1:{port}")),
            redis_prefix: "faults".into(),
            rate_limit_read: resourceful::limits::Rate::parse("20/min").unwrap(),
            ..Config::default()
        };
        app(config).build_with_db(db).await.expect("build")
    };
    let (sa, sb) = (
        replica(test_db.db.clone()).await,
        replica(test_db.db.clone()).await,
    );
    let (a, b) = (sa.router(), sb.router());
    // Caching (subscribed to invalidations) or not.
    let caching = |s: &resourceful::Server| {
        s.registry.services.iter().all(|svc| {
            svc.cache
                .as_ref()
                .is_none_or(|c| c.shared.channel_up.load(Ordering::SeqCst))
        })
    };
    let (s, p) = send(&a, "POST", "/v1/projects", Some(json!({"name": "v1"}))).await;
    assert_eq!(s, 201);
    let item = format!("/v1/projects/{}", p["id"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(caching(&sa) && caching(&sb)) {
        assert!(Instant::now() < deadline, "the replicas never subscribed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        send(&b, "GET", &item, None).await.1["name"],
        "v1",
        "cached on B"
    );

    let port = redis.kill();
    let deadline = Instant::now() + Duration::from_secs(10);
    while caching(&sb) {
        assert!(
            Instant::now() < deadline,
            "B never noticed Redis going away"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (s, _) = send(&a, "PATCH", &item, Some(json!({"name": "v2"}))).await;
    assert_eq!(s, 200, "writes go on without Redis");
    let (s, seen) = send(&b, "GET", &item, None).await;
    assert_eq!(
        (s, seen["name"].as_str()),
        (200, Some("v2")),
        "B serves no stale read"
    );
    let mut statuses = Vec::new();
    for _ in 0..25 {
        statuses.push(send(&a, "GET", &item, None).await.0);
    }
    println!("Redis down: 25 reads on one replica answered {statuses:?}");
    assert!(
        statuses.contains(&429),
        "the read policy (20/min) still limits"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );

    let _redis = OwnRedis::start_on(port);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !caching(&sb) {
        assert!(Instant::now() < deadline, "B never subscribed again");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut n = 0;
    loop {
        n += 1;
        let name = format!("v3-{n}");
        send(&b, "GET", &item, None).await;
        send(&a, "PATCH", &item, Some(json!({"name": name}))).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (s, seen) = send(&b, "GET", &item, None).await;
        if s == 200 && seen["name"] == name.as_str() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "invalidation never resumed: {seen}"
        );
    }
    test_db.cleanup().await;
}

/// Start-up before the database answers: the service waits, retrying with
/// a line per attempt, and starts once the database is there; past
/// `DATABASE_CONNECT_TIMEOUT_SECS` it stops with a reason that names the
/// database (never its password) and what to check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_waits_for_the_database_then_says_why_it_gave_up() {
    let test_db = TestDb::new(Backend::Postgres).await;
    let proxy = Proxy::start(pg_target()).await;
    proxy.cut();
    let url = format!("postgres://postgres:hunter2@{}/test", proxy.addr);
    let waiting = Config {
        database_url: url.clone(),
        db_schema: Some(test_db.isolation.clone()),
        db_connect_timeout: Duration::from_secs(30),
        ..config()
    };
    let building = tokio::spawn(app(waiting).build());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!building.is_finished(), "waiting for the database");
    proxy.restore();
    let server = tokio::time::timeout(Duration::from_secs(20), building)
        .await
        .expect("started in time")
        .unwrap()
        .expect("started once the database answered");
    drop(server);

    proxy.cut();
    let impatient = Config {
        database_url: url,
        db_connect_timeout: Duration::from_secs(2),
        ..config()
    };
    let err = tokio::time::timeout(Duration::from_secs(20), app(impatient).build())
        .await
        .expect("gave up in time")
        .err()
        .expect("no database, no start");
    let msg = err.to_string();
    println!("start-up without a database: {msg}");
    assert!(msg.contains("did not answer within"), "{msg}");
    assert!(msg.contains("DATABASE_CONNECT_TIMEOUT_SECS"), "{msg}");
    assert!(
        msg.contains(&proxy.addr.to_string()),
        "names the database: {msg}"
    );
    assert!(!msg.contains("hunter2"), "never the password: {msg}");

    // A mistake waiting cannot fix fails at once.
    let wrong = Config {
        database_url: "mysql://nowhere/db".into(),
        ..config()
    };
    let err = app(wrong).build().await.err().expect("refused");
    assert!(
        err.to_string().contains("unsupported DATABASE_URL"),
        "{err}"
    );
    test_db.cleanup().await;
}
