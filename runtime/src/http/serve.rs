//! The accept loop: HTTP/1.1 and HTTP/2 on one port through hyper, with
//! the limits a public service needs before a request reaches the gate,
//! and a graceful drain on shutdown.
//!
//! Shutdown has two phases. Draining: readiness fails while everything
//! else is served as usual for the drain delay, so load balancers stop
//! sending new requests before any connection is refused. Stopping: the
//! listener is closed, idle connections are closed, and each busy one is
//! told to end (`Connection: close` on its HTTP/1.1 response, GOAWAY on
//! HTTP/2) and gets the grace period to finish.
//!
//! `axum::serve` does the same but offers no way to bound request headers;
//! without a bound hyper buffers up to 400 KB of them.
//!
//! With TLS (`super::tls`) every connection is TLS: the handshake runs in
//! the connection's own task, so a slow client never holds up the loop.

use super::gate::Gate;
use super::tls::Tls;
use super::Stack;
use axum::body::Body;
use axum::http::{header::STRICT_TRANSPORT_SECURITY, HeaderValue};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// What the server accepts from a connection before the gate sees it.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// The request line and headers together; more is answered 431.
    pub max_header_bytes: usize,
    /// A client that has not sent its headers within this is disconnected.
    pub header_read_timeout: Duration,
}

/// hyper's smallest read buffer.
const MIN_HEADER_BYTES: usize = 8192;

/// How the server stops.
pub struct Stop<S, H, D> {
    /// Completing starts the drain.
    pub signal: S,
    /// Runs once when the drain starts (readiness begins to fail).
    pub on_drain: D,
    /// How long everything is still served after the signal.
    pub delay: Duration,
    /// Completing ends the delay early (a second Ctrl-C).
    pub hurry: H,
    /// How long open connections then get before they are dropped.
    pub grace: Duration,
}

/// Serves `stack` on `listener` (TLS only, with `tls`) until `stop.signal`
/// completes, keeps serving for `stop.delay`, then stops accepting and
/// lets the open connections finish for up to `stop.grace` before
/// dropping them.
pub async fn serve<S, H, D>(
    listener: TcpListener,
    stack: Stack,
    limits: ConnectionLimits,
    tls: Option<Tls>,
    stop: Stop<S, H, D>,
) where
    S: Future<Output = ()>,
    H: Future<Output = ()>,
    D: FnOnce(),
{
    let builder = builder(limits);
    let graceful = GracefulShutdown::new();
    let tls = tls.as_ref();
    accept_until(&listener, &stack, &builder, tls, &graceful, stop.signal).await;
    (stop.on_drain)();
    tracing::info!(
        delay = ?stop.delay,
        "draining: readiness fails, still serving until the delay ends"
    );
    if !stop.delay.is_zero() {
        let hurry = async {
            stop.hurry.await;
            tracing::info!("second signal: ending the drain delay early");
        };
        let until = async {
            tokio::select! {
                () = tokio::time::sleep(stop.delay) => {}
                () = hurry => {}
            }
        };
        accept_until(&listener, &stack, &builder, tls, &graceful, until).await;
    }
    drop(listener);
    tracing::info!(
        connections = graceful.count(),
        grace = ?stop.grace,
        "stopped accepting; finishing in-flight requests"
    );
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(stop.grace) => {
            tracing::warn!(grace = ?stop.grace, "shutdown timeout reached; dropping remaining connections");
        }
    }
}

/// Accepts and serves connections until `until` completes.
async fn accept_until(
    listener: &TcpListener,
    stack: &Stack,
    builder: &Builder<TokioExecutor>,
    tls: Option<&Tls>,
    graceful: &GracefulShutdown,
    until: impl Future<Output = ()>,
) {
    let mut until = std::pin::pin!(until);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut until => return,
        };
        // Responses are small: do not wait to coalesce them.
        let _ = tcp.set_nodelay(true);
        let service = stack.connection(peer);
        // Watched from the accept: a drain waits for handshakes in progress.
        let watcher = graceful.watcher();
        match tls {
            None => {
                let conn = connection(builder, TokioIo::new(tcp), service, None, watcher);
                tokio::spawn(conn);
            }
            Some(tls) => {
                let conn =
                    tls_connection(builder.clone(), tls.clone(), tcp, peer, service, watcher);
                tokio::spawn(conn);
            }
        }
    }
}

/// The handshake, then the connection, with HSTS on every response.
async fn tls_connection(
    builder: Builder<TokioExecutor>,
    tls: Tls,
    tcp: TcpStream,
    peer: SocketAddr,
    service: Gate<Router>,
    watcher: Watcher,
) {
    if let Some(stream) = tls.accept(tcp, peer).await {
        connection(&builder, TokioIo::new(stream), service, tls.hsts(), watcher).await;
    }
}

/// Serves one connection until it ends or the drain ends it; `hsts` (TLS
/// connections only) is added to responses that do not set their own.
fn connection<I>(
    builder: &Builder<TokioExecutor>,
    io: I,
    service: Gate<Router>,
    hsts: Option<HeaderValue>,
    watcher: Watcher,
) -> impl Future<Output = ()> + Send + 'static
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service
        .map_request(|req: hyper::Request<Incoming>| req.map(Body::new))
        .map_response(move |mut res: axum::response::Response| {
            if let Some(v) = &hsts {
                res.headers_mut()
                    .entry(STRICT_TRANSPORT_SECURITY)
                    .or_insert_with(|| v.clone());
            }
            res
        });
    let conn = builder
        .serve_connection_with_upgrades(io, TowerToHyperService::new(service))
        .into_owned();
    let conn = watcher.watch(conn);
    async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }
}

fn builder(limits: ConnectionLimits) -> Builder<TokioExecutor> {
    let max = limits.max_header_bytes.max(MIN_HEADER_BYTES);
    let mut b = Builder::new(TokioExecutor::new());
    // hyper answers 431 when the headers do not fit the read buffer.
    b.http1().max_buf_size(max).timer(TokioTimer::new());
    // A timer per request while its headers arrive (slow-loris clients):
    // 2 % of cached-GET throughput (126.1k against 128.6k req/s, medians
    // of three 8 s wrk runs, release build, SQLite), kept on by default.
    let timeout = (!limits.header_read_timeout.is_zero()).then_some(limits.header_read_timeout);
    b.http1().header_read_timeout(timeout);
    b.http2()
        .max_header_list_size(u32::try_from(max).unwrap_or(u32::MAX))
        .timer(TokioTimer::new());
    b
}

/// Per-connection errors (reset before accept) are the client's; others
/// (out of file descriptors) pass with time, so the loop waits a little.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
