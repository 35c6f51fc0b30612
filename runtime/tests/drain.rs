//! Draining on shutdown, on a real socket: readiness fails at once while
//! everything else is still served for the drain delay; then new
//! connections are refused, idle ones are closed and a request in flight
//! finishes, told that its connection ends.

mod support;

use resourceful::testing::{Backend, TestDb};
use resourceful::{App, Config};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const DELAY: Duration = Duration::from_secs(2);
/// Longer than the delay, so the request is in flight when accepting stops.
const SLOW: Duration = Duration::from_secs(3);

/// One response read off a connection.
#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// A kept-alive HTTP/1.1 connection, requests sent one at a time.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> std::io::Result<Conn> {
        let s = tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr))
            .await
            .map_err(|_| std::io::Error::other("connect timed out"))??;
        Ok(Conn { s, buf: Vec::new() })
    }

    async fn get(&mut self, path: &str) -> std::io::Result<Response> {
        let head = format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n");
        self.s.write_all(head.as_bytes()).await?;
        tokio::time::timeout(Duration::from_secs(10), self.read_response())
            .await
            .map_err(|_| std::io::Error::other("no response within 10 s"))?
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 4096];
        let n = self.s.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn read_response(&mut self) -> std::io::Result<Response> {
        let end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..end]).into_owned();
        self.buf.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line: {head}")))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let mut res = Response {
            status,
            headers,
            body: String::new(),
        };
        let body = if let Some(len) = res.header("content-length") {
            let len: usize = len.parse().map_err(std::io::Error::other)?;
            while self.buf.len() < len {
                self.fill().await?;
            }
            self.buf.drain(..len).collect::<Vec<u8>>()
        } else if res.header("transfer-encoding") == Some("chunked") {
            self.read_chunked().await?
        } else {
            Vec::new()
        };
        res.body = String::from_utf8_lossy(&body).into_owned();
        Ok(res)
    }

    async fn read_chunked(&mut self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                self.fill().await?;
            };
            let size = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
                .map_err(std::io::Error::other)?;
            self.buf.drain(..line_end + 2);
            while self.buf.len() < size + 2 {
                self.fill().await?;
            }
            out.extend(self.buf.drain(..size));
            self.buf.drain(..2);
            if size == 0 {
                return Ok(out);
            }
        }
    }

    /// Whether the server closes this (idle) connection within `within`.
    async fn closed_within(&mut self, within: Duration) -> bool {
        let mut b = [0u8; 64];
        matches!(
            tokio::time::timeout(within, self.s.read(&mut b)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

/// One request on a new connection.
async fn get_new(addr: SocketAddr, path: &str) -> std::io::Result<Response> {
    Conn::open(addr).await?.get(path).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_first_then_accepting_stops_and_in_flight_requests_finish() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let config = Config {
        drain_delay: DELAY,
        shutdown_timeout: Duration::from_secs(10),
        // A cached "up" must not hide the drain.
        health_cache: Duration::from_secs(60),
        ..Config::default()
    };
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let started_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(started_tx)));
    let slow = axum::routing::get(move || {
        if let Some(tx) = started_tx.lock().unwrap().take() {
            let _ = tx.send(());
        }
        async {
            tokio::time::sleep(SLOW).await;
            "done"
        }
    });
    let server = App::new(config)
        .resource::<support::Project>()
        .route("/v1/slow", slow)
        .build_with_db(test_db.db.clone())
        .await
        .expect("build");
    let support::Serving {
        addr,
        stop: stop_tx,
        done,
    } = support::serve(server).await;

    // Before: ready, and a kept-alive connection that stays idle.
    let mut idle = Conn::open(addr).await.unwrap();
    let r = idle.get("/health/ready").await.unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    let r = idle.get("/v1/projects").await.unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    assert!(!r.closes(), "kept alive before the drain: {r:?}");

    // A slow request on a kept-alive connection, in flight throughout.
    let slow_req = tokio::spawn(async move {
        let mut c = Conn::open(addr).await.unwrap();
        let r = c.get("/v1/slow").await;
        (r, Instant::now())
    });
    tokio::time::timeout(Duration::from_secs(5), started_rx)
        .await
        .expect("the slow handler started within 5 s")
        .unwrap();

    let t0 = Instant::now();
    stop_tx.send(()).unwrap();

    // Readiness fails at once (the signal reaches the accept loop within
    // a few milliseconds; allow half a second).
    let flipped = loop {
        let r = get_new(addr, "/health/ready").await.unwrap();
        if r.status == 503 {
            break r;
        }
        assert_eq!(r.status, 200, "{r:?}");
        assert!(
            t0.elapsed() < Duration::from_millis(500),
            "readiness still 200 after {:?}",
            t0.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let flip = t0.elapsed();
    let body: serde_json::Value = serde_json::from_str(&flipped.body).unwrap();
    assert_eq!(body["status"], "down", "{body}");
    assert_eq!(body["reason"], "draining", "{body}");

    // Everything else is served as usual during the delay, on new and on
    // kept-alive connections.
    for path in ["/v1/projects", "/health/live"] {
        let r = get_new(addr, path).await.unwrap();
        assert_eq!(r.status, 200, "{path} on a new connection: {r:?}");
    }
    let r = idle.get("/v1/projects").await.unwrap();
    assert_eq!(r.status, 200, "{r:?}");
    assert!(!r.closes(), "still kept alive during the delay: {r:?}");
    tokio::time::sleep((t0 + DELAY * 3 / 4).saturating_duration_since(Instant::now())).await;
    let r = get_new(addr, "/v1/projects").await.unwrap();
    assert_eq!(r.status, 200, "late in the delay: {r:?}");
    assert!(t0.elapsed() < DELAY, "checked within the delay");

    // Then new connections are refused.
    let refused = loop {
        match get_new(addr, "/health/live").await {
            Ok(r) => assert_eq!(r.status, 200, "{r:?}"),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break t0.elapsed(),
            // A connection caught as the listener closes.
            Err(_) => {}
        }
        assert!(
            t0.elapsed() < DELAY + Duration::from_secs(3),
            "still accepting after {:?}",
            t0.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        refused >= DELAY,
        "refused only after the delay: {refused:?}"
    );

    // The idle kept-alive connection is closed.
    assert!(
        idle.closed_within(Duration::from_secs(2)).await,
        "an idle connection is closed once accepting stops"
    );

    // The slow request finishes, and its connection is not kept alive.
    let (r, finished) = tokio::time::timeout(Duration::from_secs(10), slow_req)
        .await
        .expect("the slow request finished within 10 s")
        .unwrap();
    let r = r.expect("the in-flight request was answered");
    assert_eq!((r.status, r.body.as_str()), (200, "done"), "{r:?}");
    assert!(r.closes(), "Connection: close on the last response: {r:?}");
    assert!(
        finished.duration_since(t0) > refused,
        "it was still in flight when accepting stopped"
    );

    tokio::time::timeout(Duration::from_secs(5), done)
        .await
        .expect("the server stopped within 5 s of the last request")
        .unwrap()
        .unwrap();
    println!("readiness 503 after {flip:?}, refused after {refused:?}");
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_delay_accepting_stops_at_once() {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let config = Config {
        drain_delay: Duration::ZERO,
        ..Config::default()
    };
    let server = App::new(config)
        .resource::<support::Project>()
        .build_with_db(test_db.db.clone())
        .await
        .expect("build");
    let support::Serving {
        addr,
        stop: stop_tx,
        done,
    } = support::serve(server).await;
    assert_eq!(get_new(addr, "/health/ready").await.unwrap().status, 200);
    let t0 = Instant::now();
    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(2), done)
        .await
        .expect("stopped within 2 s")
        .unwrap()
        .unwrap();
    assert!(t0.elapsed() < Duration::from_secs(2));
    let e = get_new(addr, "/health/live").await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
    test_db.cleanup().await;
}

#[test]
fn drain_delay_comes_from_the_environment() {
    let d = Config::from_lookup(|_| None).unwrap();
    assert_eq!(d.drain_delay, Duration::from_secs(5));
    let c = Config::from_lookup(|k| (k == "DRAIN_DELAY_SECS").then(|| "0".into())).unwrap();
    assert_eq!(c.drain_delay, Duration::ZERO);
    let bad = Config::from_lookup(|k| (k == "DRAIN_DELAY_SECS").then(|| "soon".into()));
    assert!(bad.unwrap_err().contains("DRAIN_DELAY_SECS"));
}
