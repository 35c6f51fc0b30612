//! TLS on a real socket, checked with real clients (curl and openssl):
//! HTTP/2 and HTTP/1.1 with HSTS, TLS 1.2 and 1.3 only, no plain HTTP on
//! the TLS port, and a certificate replaced on disk while the server runs.

mod support;

use resourceful::config::TlsSettings;
use resourceful::testing::{Backend, TestDb};
use resourceful::{App, Config};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

/// The longest any one client command or wait may take.
const WAIT: Duration = Duration::from_secs(15);
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// A self-signed P-256 certificate for localhost and 127.0.0.1 (CN `name`),
/// written to `dir` as `name.crt` and `name.key`.
async fn make_cert(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let out = run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", &format!("/CN={name}")])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert))
    .await;
    assert!(out.status.success(), "openssl req: {}", text(&out.stderr));
    (cert, key)
}

/// Runs `cmd` with no input; it is killed if it outlives `WAIT`.
async fn run(cmd: &mut Command) -> std::process::Output {
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    tokio::time::timeout(WAIT, cmd.output())
        .await
        .expect("the command finished in time")
        .expect("the command runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn settings(cert: &Path, key: &Path) -> TlsSettings {
    TlsSettings {
        cert_file: cert.into(),
        key_file: key.into(),
        reload: Duration::from_secs(1),
        hsts_max_age: Duration::from_secs(31_536_000),
    }
}

/// A server on 127.0.0.1: stopped by dropping `stop`; `done` is its result.
struct Running {
    addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
    db: TestDb,
}

async fn start(tls: Option<TlsSettings>) -> Running {
    let db = TestDb::new(Backend::Sqlite).await;
    let config = Config {
        tls,
        drain_delay: Duration::ZERO,
        shutdown_timeout: Duration::from_secs(2),
        ..Config::default()
    };
    let server = App::new(config)
        .resource::<support::Project>()
        .build_with_db(db.db.clone())
        .await
        .expect("build");
    let support::Serving { addr, stop, done } = support::serve(server).await;
    Running {
        addr,
        stop,
        done,
        db,
    }
}

impl Running {
    /// Stops the server and checks that it ended cleanly.
    async fn finish(self) {
        drop(self.stop);
        let ended = tokio::time::timeout(WAIT, self.done).await;
        ended.expect("stopped in time").unwrap().expect("served");
        self.db.cleanup().await;
    }
}

/// What curl saw for `GET /health/live`.
#[derive(Debug)]
struct Reply {
    head: String,
    version: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// `curl https://localhost:PORT/health/live`, trusting only `ca`.
async fn curl(addr: SocketAddr, ca: &Path, extra: &[&str]) -> Result<Reply, String> {
    let port = addr.port();
    let out = run(Command::new("curl")
        .args(["-sS", "--max-time", "10", "--cacert"])
        .arg(ca)
        .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
        .args(["-D", "-", "-o", "/dev/null", "-w", "%{http_version}"])
        .args(extra)
        .arg(format!("https://localhost:{port}/health/live")))
    .await;
    if !out.status.success() {
        return Err(text(&out.stderr));
    }
    let out = text(&out.stdout);
    let (head, version) = out.rsplit_once("\r\n\r\n").ok_or_else(|| out.clone())?;
    Ok(Reply {
        head: head.to_string(),
        version: version.trim().to_string(),
    })
}

/// A TLS handshake with `openssl s_client` and `flags` (`-tls1_2`, …):
/// whether it succeeded, and what it printed.
async fn s_client(addr: SocketAddr, flags: &[&str]) -> (bool, String) {
    let out = run(Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &addr.to_string(),
            "-servername",
            "localhost",
        ])
        .args(flags))
    .await;
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    (out.status.success(), all)
}

/// The base64 of the first PEM certificate in `s` (whitespace removed).
fn first_cert(s: &str) -> Option<String> {
    let begin = "-----BEGIN CERTIFICATE-----";
    let start = s.find(begin)? + begin.len();
    let end = start + s[start..].find("-----END CERTIFICATE-----")?;
    Some(s[start..end].split_whitespace().collect())
}

/// The certificate the server presents to a new connection.
async fn presented(addr: SocketAddr) -> Option<String> {
    let (ok, out) = s_client(addr, &[]).await;
    ok.then(|| first_cert(&out)).flatten()
}

fn cert_of(path: &Path) -> String {
    first_cert(&std::fs::read_to_string(path).unwrap()).expect("a PEM certificate")
}

/// Polls `presented` until it is `want`, for at most `WAIT`.
async fn wait_for_cert(addr: SocketAddr, want: &str) -> bool {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if presented(addr).await.as_deref() == Some(want) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_http2_and_http1_over_tls_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_cert(dir.path(), "localhost").await;
    let server = start(Some(settings(&cert, &key))).await;
    let addr = server.addr;

    // A client that connects and never starts its handshake holds up no one.
    let _stalled = TcpStream::connect(addr).await.unwrap();

    let h2 = curl(addr, &cert, &[]).await.expect("HTTPS over HTTP/2");
    assert!(h2.head.starts_with("HTTP/2 200"), "{h2:?}");
    assert_eq!(h2.version, "2", "ALPN chose HTTP/2: {h2:?}");
    assert_eq!(h2.header("strict-transport-security"), Some(HSTS), "{h2:?}");

    let h1 = curl(addr, &cert, &["--http1.1"])
        .await
        .expect("HTTPS over HTTP/1.1");
    assert!(h1.head.starts_with("HTTP/1.1 200"), "{h1:?}");
    assert_eq!(h1.version, "1.1", "{h1:?}");
    assert_eq!(h1.header("strict-transport-security"), Some(HSTS), "{h1:?}");

    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_tls_1_2_and_1_3_and_no_plain_http() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_cert(dir.path(), "localhost").await;
    let server = start(Some(settings(&cert, &key))).await;
    let addr = server.addr;

    let (ok, out) = s_client(addr, &["-tls1_3"]).await;
    assert!(ok && out.contains("New, TLSv1.3, Cipher is"), "{out}");
    let (ok, out) = s_client(addr, &["-tls1_2"]).await;
    assert!(ok && out.contains("New, TLSv1.2, Cipher is"), "{out}");
    // OpenSSL 3 refuses TLS 1.1 itself at its default security level;
    // level 0 makes it offer 1.1, so the refusal is the server's.
    let (ok, out) = s_client(addr, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]).await;
    assert!(!ok, "TLS 1.1 must fail: {out}");
    assert!(
        out.contains("Cipher is (NONE)") && out.contains("alert"),
        "{out}"
    );
    assert!(
        !out.contains("no protocols available"),
        "the client offered TLS 1.1: {out}"
    );

    // Plain HTTP on the TLS port: no HTTP answer, and the connection ends.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /health/live HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(WAIT, s.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server closed the connection");
    assert!(!text(&got).contains("HTTP/1.1"), "{:?}", text(&got));
    let plain = run(Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .arg(format!("http://127.0.0.1:{}/health/live", addr.port())))
    .await;
    assert!(
        !plain.status.success(),
        "plain HTTP answered: {}",
        text(&plain.stdout)
    );

    server.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_certificate_is_used_without_a_restart_and_a_broken_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let (first, first_key) = make_cert(dir.path(), "first").await;
    let (second, second_key) = make_cert(dir.path(), "second").await;
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::copy(&first, &cert).unwrap();
    std::fs::copy(&first_key, &key).unwrap();
    let server = start(Some(settings(&cert, &key))).await;
    let addr = server.addr;
    assert_eq!(presented(addr).await, Some(cert_of(&first)));

    // Both files replaced (the reload interval is 1 s).
    std::fs::copy(&second, &cert).unwrap();
    std::fs::copy(&second_key, &key).unwrap();
    assert!(
        wait_for_cert(addr, &cert_of(&second)).await,
        "the new certificate within {WAIT:?}"
    );
    assert!(!server.done.is_finished(), "the server kept running");
    let r = curl(addr, &second, &[])
        .await
        .expect("trusted with the new certificate");
    assert!(r.head.starts_with("HTTP/2 200"), "{r:?}");
    assert!(
        curl(addr, &first, &[]).await.is_err(),
        "the old certificate is gone"
    );

    // A broken certificate file: past two reload intervals the last good
    // pair is still served.
    std::fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(presented(addr).await, Some(cert_of(&second)));
    let r = curl(addr, &second, &[]).await.expect("still served");
    assert!(r.head.starts_with("HTTP/2 200"), "{r:?}");
    assert!(!server.done.is_finished(), "the server kept running");

    server.finish().await;
}

/// Start-up fails with the file's name, never its contents.
async fn start_up_error(tls: TlsSettings) -> String {
    let server = start(Some(tls)).await;
    let ended = tokio::time::timeout(WAIT, server.done).await;
    let e = ended
        .expect("failed in time")
        .unwrap()
        .expect_err("refused to start");
    server.db.cleanup().await;
    e.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_or_invalid_files_stop_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_cert(dir.path(), "localhost").await;
    let (_, other_key) = make_cert(dir.path(), "other").await;

    let missing = dir.path().join("missing.crt");
    let e = start_up_error(settings(&missing, &key)).await;
    assert!(
        e.contains("TLS_CERT_FILE") && e.contains("missing.crt"),
        "{e}"
    );

    let garbage = dir.path().join("garbage.key");
    std::fs::write(
        &garbage,
        "-----BEGIN PRIVATE KEY-----\nsecretsecret\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let e = start_up_error(settings(&cert, &garbage)).await;
    assert!(
        e.contains("TLS_KEY_FILE") && e.contains("garbage.key"),
        "{e}"
    );
    assert!(
        !e.contains("secretsecret"),
        "no key material in errors: {e}"
    );

    let e = start_up_error(settings(&cert, &other_key)).await;
    assert!(
        e.contains("TLS_KEY_FILE") && e.contains("other.key"),
        "mismatched pair: {e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_only_on_tls_and_off_with_zero() {
    let plain = start(None).await;
    let mut s = TcpStream::connect(plain.addr).await.unwrap();
    s.write_all(b"GET /health/live HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut got))
        .await
        .expect("answered in time")
        .unwrap();
    let got = text(&got).to_ascii_lowercase();
    assert!(got.starts_with("http/1.1 200"), "{got}");
    assert!(!got.contains("strict-transport-security"), "{got}");
    plain.finish().await;

    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = make_cert(dir.path(), "localhost").await;
    let server = start(Some(TlsSettings {
        hsts_max_age: Duration::ZERO,
        ..settings(&cert, &key)
    }))
    .await;
    let r = curl(server.addr, &cert, &[]).await.expect("HTTPS");
    assert!(r.head.starts_with("HTTP/2 200"), "{r:?}");
    assert_eq!(r.header("strict-transport-security"), None, "{r:?}");
    server.finish().await;
}
