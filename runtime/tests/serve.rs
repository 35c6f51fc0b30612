//! The server on a real socket: what a connection may send before the gate
//! sees a request.

mod support;

use resourceful::testing::{Backend, TestDb};
use resourceful::{App, Config};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Serves an app on 127.0.0.1 until the returned sender is dropped.
async fn start(
    config: Config,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    TestDb,
) {
    let test_db = TestDb::new(Backend::Sqlite).await;
    let server = App::new(config)
        .resource::<support::Project>()
        .build_with_db(test_db.db.clone())
        .await
        .expect("build");
    let s = support::serve(server).await;
    (s.addr, s.stop, test_db)
}

/// Sends `head` (and nothing more) and reads until the server closes the
/// connection (`true`) or 10 s pass (`false`).
async fn exchange_closing(addr: std::net::SocketAddr, head: &[u8]) -> (String, bool) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    // The server may answer (and close) before all of it is written.
    let _ = s.write_all(head).await;
    let mut out = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .is_ok();
    (String::from_utf8_lossy(&out).into_owned(), closed)
}

async fn exchange(addr: std::net::SocketAddr, head: &[u8]) -> String {
    exchange_closing(addr, head).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_get_431_and_normal_ones_pass() {
    let (addr, stop, db) = start(Config::default()).await;
    let ok = exchange(
        addr,
        b"GET /health/live HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");

    let big = format!(
        "GET /health/live HTTP/1.1\r\nhost: x\r\nx-big: {}\r\nconnection: close\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let r = exchange(addr, big.as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 431"), "{r}");

    // Just under the default limit (32 KiB) is fine.
    let fits = format!(
        "GET /health/live HTTP/1.1\r\nhost: x\r\nx-big: {}\r\nconnection: close\r\n\r\n",
        "a".repeat(30 * 1024)
    );
    let r = exchange(addr, fits.as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    drop(stop);
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let config = Config {
        header_read_timeout: Duration::from_secs(1),
        ..Config::default()
    };
    let (addr, stop, db) = start(config).await;
    let (r, closed) = exchange_closing(addr, b"GET /health/live HTTP/1.1\r\nhost: x\r\n").await;
    assert!(closed, "the server closed the connection: {r}");
    assert!(!r.contains("200"), "no request was served: {r}");
    drop(stop);
    db.cleanup().await;
}
