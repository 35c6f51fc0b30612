//! The services a bench starts: release builds, processes on loopback
//! ports, readiness, and where results and logs go.

// Shared by several bench targets; each uses a part.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// High enough that one load generator on one IP is never limited, while
/// every request still goes through the limiter.
pub const UNLIMITED: &str = "100000000/min";

pub fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The workspace, its target directory, and `target/bench-results/`.
pub struct Paths {
    pub root: PathBuf,
    pub target: PathBuf,
    pub out: PathBuf,
    pub logs: PathBuf,
}

impl Paths {
    pub fn new() -> Paths {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace")
            .to_path_buf();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        let out = target.join("bench-results");
        let logs = out.join("logs");
        std::fs::create_dir_all(&logs).expect("results dir");
        Paths {
            root,
            target,
            out,
            logs,
        }
    }

    pub fn release_bin(&self, name: &str) -> PathBuf {
        self.target.join("release").join(name)
    }
}

/// `cargo build --release -p … --bin …` in the workspace (a no-op when
/// fresh); `BENCH_SKIP_BUILD=1` skips it.
pub fn build_release(paths: &Paths, packages: &[&str], bins: &[&str]) {
    if std::env::var_os("BENCH_SKIP_BUILD").is_some() {
        return;
    }
    let mut args = vec!["build", "--release"];
    for p in packages {
        args.extend(["-p", p]);
    }
    for b in bins {
        args.extend(["--bin", b]);
    }
    println!("building the services: cargo {}", args.join(" "));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let started = Instant::now();
    let status = Command::new(cargo)
        .current_dir(&paths.root)
        .args(&args)
        .status()
        .expect("run cargo");
    assert!(status.success(), "release build failed");
    println!("built in {:.0} s", started.elapsed().as_secs_f64());
}

/// The example service's environment for a PostgreSQL schema: limiter on
/// but never refusing, warn logs, a pool of 16, the shared development
/// key; `extra` overrides or adds.
pub fn example_env(
    database_url: &str,
    schema: &str,
    extra: &[(&'static str, &str)],
) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("DATABASE_URL", database_url.to_string()),
        ("DATABASE_SCHEMA", schema.to_string()),
        ("DATABASE_MAX_CONNECTIONS", "16".to_string()),
        ("RATE_LIMIT_READ", UNLIMITED.into()),
        ("RATE_LIMIT_WRITE", UNLIMITED.into()),
        ("RATE_LIMIT_GRAPHQL", UNLIMITED.into()),
        ("RUST_LOG", "warn".into()),
        ("LOG_FORMAT", "json".into()),
        // Every example instance trusts the same development key, so one
        // token (minted here) is valid on all; the baseline ignores it.
        ("AUTH_DEV_SECRET", crate::auth::DEV_SECRET.into()),
    ];
    for (k, val) in extra {
        v.retain(|(x, _)| x != k);
        v.push((k, val.to_string()));
    }
    v
}

/// A service process; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Service {
    pub name: String,
    pub child: Child,
    pub addr: SocketAddr,
}

impl Service {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Starts `bin` on a free loopback port; its output goes to
/// `logs/<name>.log`.
pub fn spawn(
    name: &str,
    bin: &Path,
    args: &[&str],
    env: &[(&str, String)],
    logs: &Path,
) -> Service {
    let port = free_port();
    let log = std::fs::File::create(logs.join(format!("{name}.log"))).expect("log file");
    // The access-log variant writes a line per request to stdout: measure
    // formatting and the write, but do not fill the disk.
    let stdout = if name == "example-access-log" {
        Stdio::null()
    } else {
        Stdio::from(log.try_clone().expect("log"))
    };
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env("PORT", port.to_string())
        .env("BIND", "127.0.0.1")
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", bin.display()));
    Service {
        name: name.to_string(),
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

pub async fn wait_ready(client: &reqwest::Client, svc: &mut Service, path: &str) {
    let url = format!("http://{}{path}", svc.addr);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = svc.child.try_wait() {
            panic!(
                "{} exited during start-up ({status}); see target/bench-results/logs/{}.log",
                svc.name, svc.name
            );
        }
        if let Ok(r) = client.get(&url).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} did not become ready in 60 s",
            svc.name
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
