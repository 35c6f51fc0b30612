//! wrk at saturation: one request shape per run (`wrk.lua` spreads ids),
//! its summary read back as JSON.

// Shared by several bench targets; each uses a part.
#![allow(dead_code)]

use hyper::Method;
use serde::Serialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const WRK_LUA: &str = include_str!("wrk.lua");

/// Writes the wrk script next to the results and returns its path.
pub fn write_script(out_dir: &Path) -> PathBuf {
    let lua = out_dir.join("wrk.lua");
    std::fs::write(&lua, WRK_LUA).expect("write wrk script");
    lua
}

/// A request shape. `{id}` and `{pid}` in `path` and `body` are replaced
/// by a random id from `ids` and a random project id from `pids`.
#[derive(Debug, Clone)]
pub struct Spec {
    pub method: Method,
    pub path: String,
    pub body: Option<String>,
    pub ids: (i64, i64),
    pub pids: (i64, i64),
}

impl Spec {
    /// The same shape for the fixed-rate generator, with the bearer token.
    pub fn fixed_target(&self, addr: SocketAddr) -> crate::loadgen::Target {
        crate::loadgen::Target {
            addr,
            method: self.method.clone(),
            path: self.path.clone(),
            body: self.body.clone(),
            ids: self.ids,
            pids: self.pids,
            headers: format!("authorization: Bearer {}\r\n", crate::auth::bearer_token()),
        }
    }
}

/// One wrk invocation.
#[derive(Debug, Clone)]
pub struct WrkRun<'a> {
    pub lua: &'a Path,
    pub addr: SocketAddr,
    pub threads: u32,
    pub conns: u32,
    pub secs: u64,
    /// wrk's `--timeout`: a request slower than this counts as a timeout.
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct WrkResult {
    pub requests: u64,
    pub duration_s: f64,
    pub rps: f64,
    /// connect + read + write errors.
    pub socket_errors: u64,
    pub connect_errors: u64,
    pub read_errors: u64,
    pub write_errors: u64,
    pub timeouts: u64,
    pub non_2xx_3xx: u64,
    /// wrk's own latency (closed loop, so subject to coordinated omission).
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// wrk's human-readable output (with `--latency`, its distribution).
    #[serde(skip)]
    pub output: String,
}

/// Runs wrk with `--latency` and reads the script's summary line.
pub fn run(w: &WrkRun, spec: &Spec) -> WrkResult {
    let out = Command::new("wrk")
        .arg("-H")
        .arg(format!(
            "Authorization: Bearer {}",
            crate::auth::bearer_token()
        ))
        .arg(format!("-t{}", w.threads))
        .arg(format!("-c{}", w.conns))
        .arg(format!("-d{}s", w.secs))
        .arg("--timeout")
        .arg(format!("{}s", w.timeout_secs))
        .arg("--latency")
        .arg("-s")
        .arg(w.lua)
        .arg(format!("http://{}", w.addr))
        .arg("--")
        .arg(spec.method.as_str())
        .arg(&spec.path)
        .arg(spec.body.as_deref().unwrap_or("-"))
        .args([spec.ids.0, spec.ids.1, spec.pids.0, spec.pids.1].map(|v| v.to_string()))
        .stdin(Stdio::null())
        .output()
        .expect("run wrk (install it: apt-get install -y wrk)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("WRKJSON "))
        .unwrap_or_else(|| {
            panic!(
                "wrk printed no summary:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        });
    let v: serde_json::Value = serde_json::from_str(line).expect("wrk summary JSON");
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let ms = |k: &str| n(k) as f64 / 1000.0;
    let duration_s = n("duration_us") as f64 / 1e6;
    WrkResult {
        requests: n("requests"),
        duration_s,
        rps: n("requests") as f64 / duration_s.max(1e-9),
        socket_errors: n("connect") + n("read") + n("write"),
        connect_errors: n("connect"),
        read_errors: n("read"),
        write_errors: n("write"),
        timeouts: n("timeout"),
        non_2xx_3xx: n("status"),
        p50_ms: ms("p50_us"),
        p90_ms: ms("p90_us"),
        p99_ms: ms("p99_us"),
        max_ms: ms("max_us"),
        output: stdout,
    }
}
