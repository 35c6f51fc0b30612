//! Cost curves: how the cost of serving grows, measured at several points
//! of one dimension at a time, on loopback.
//!
//! `cargo bench -p resourceful-benches --bench curves`
//!
//! Three parts, each bounded in time (`CURVES_ONLY=connections|list|resources`
//! runs one; a comma-separated list runs several; default: all):
//! 1. **connections**: the example's cached `GET /v1/tasks/{id}` and bare
//!    axum (`baseline --hello-only`, the ceiling) at 64, 1 024 and 10 000
//!    concurrent connections: wrk at saturation (throughput, its closed-loop
//!    percentiles, socket errors and timeouts) and the fixed-rate generator
//!    over the same number of connections (p50/p99 from each request's
//!    intended send time). The open-files limit is raised to the hard limit
//!    first, so the services and wrk inherit it.
//! 2. **list**: `GET /v1/tasks?limit=50&sort=id` on tables of 1k to 1M rows
//!    (seeded with one `INSERT … SELECT … FROM generate_series`), at the
//!    first page and at 10 %, 50 % and 90 % of the table, by keyset
//!    (`cursor=`) and by `offset=`; the example runs with
//!    `API_OPTIMIZATION_ENABLED=false`, so every page is a query.
//! 3. **resources**: a generated crate with N `#[api_resource]` structs
//!    (under `target/curves/`, its own workspace, a shared target dir):
//!    release and dev rebuild time of the crate alone (dependencies built
//!    before, source touched), the binary's size, and its RSS on SQLite
//!    after start, at its peak once every resource was created and listed,
//!    and idle.
//!
//! Output: a table per curve, `target/bench-results/curves-<unix time>.json`,
//! `curves-latest.json` and `curves-latest.md`.
//!
//! Knobs (environment): `CURVES_ONLY`, `CURVES_SECS` (10: each wrk and
//! fixed-rate run; the time budget of each list point), `CURVES_WARMUP_SECS`
//! (2), `CURVES_CONNS` (64,1024,10000), `CURVES_WRK_THREADS` (2),
//! `CURVES_WRK_TIMEOUT_SECS` (30), `CURVES_RATE` (the fixed rate; default:
//! `CURVES_FIXED_FRACTION`, 0.5, of the slower service's wrk throughput at
//! the first connection count), `CURVES_FIXED_THREADS` (1), `CURVES_LIST_SIZES`
//! (1000,10000,100000,1000000), `CURVES_LIST_REQUESTS` (200 per point),
//! `CURVES_RESOURCES` (3,30,100), `CURVES_BUILD_TIMEOUT_SECS` (1800 per
//! cargo invocation), `BENCH_DATABASE_URL`, `BENCH_SKIP_BUILD`,
//! `BENCH_KEEP_SCHEMA`.

#[path = "support/auth.rs"]
mod auth;
#[path = "support/loadgen.rs"]
mod loadgen;
#[path = "support/pg.rs"]
mod pg;
#[path = "support/procfs.rs"]
mod procfs;
#[path = "support/seed.rs"]
mod seed;
#[path = "support/services.rs"]
mod services;
#[path = "support/wrk.rs"]
mod wrk;

use hyper::Method;
use loadgen::FixedRateResult;
use serde::Serialize;
use services::{env_or, example_env, spawn, wait_ready, Paths, Service, UNLIMITED};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use wrk::{Spec, WrkResult, WrkRun};

/// The issue's target for the cached GET at 10 000 connections.
const P99_TARGET_MS: f64 = 50.0;
const PAGE: u32 = 50;

// ---------------------------------------------------------------- settings

fn list_or<T: std::str::FromStr + Clone>(key: &str, default: &[T]) -> Vec<T> {
    match std::env::var(key) {
        Ok(v) => v
            .split(',')
            .map(|x| {
                x.trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{key}: `{x}` is not a number"))
            })
            .collect(),
        Err(_) => default.to_vec(),
    }
}

#[derive(Debug, Clone, Serialize)]
struct Settings {
    secs: u64,
    warmup_secs: u64,
    conns: Vec<u32>,
    wrk_threads: u32,
    wrk_timeout_secs: u64,
    /// None: a fraction of the measured throughput (see `fixed_rate`).
    rate: Option<f64>,
    fixed_fraction: f64,
    fixed_threads: usize,
    list_sizes: Vec<u64>,
    list_requests: usize,
    resources: Vec<usize>,
    build_timeout_secs: u64,
    database_url: String,
}

impl Settings {
    fn from_env() -> Self {
        Settings {
            secs: env_or("CURVES_SECS", 10),
            warmup_secs: env_or("CURVES_WARMUP_SECS", 2),
            conns: list_or("CURVES_CONNS", &[64, 1024, 10_000]),
            wrk_threads: env_or("CURVES_WRK_THREADS", 2),
            wrk_timeout_secs: env_or("CURVES_WRK_TIMEOUT_SECS", 30),
            rate: std::env::var("CURVES_RATE")
                .ok()
                .and_then(|v| v.parse().ok()),
            fixed_fraction: env_or("CURVES_FIXED_FRACTION", 0.5),
            fixed_threads: env_or("CURVES_FIXED_THREADS", 1),
            list_sizes: list_or("CURVES_LIST_SIZES", &[1_000, 10_000, 100_000, 1_000_000]),
            list_requests: env_or("CURVES_LIST_REQUESTS", 200),
            resources: list_or("CURVES_RESOURCES", &[3, 30, 100]),
            build_timeout_secs: env_or("CURVES_BUILD_TIMEOUT_SECS", 1800),
            database_url: std::env::var("BENCH_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
        }
    }
}

/// Which parts run (`CURVES_ONLY`).
#[derive(Debug, Clone, Copy)]
struct Parts {
    connections: bool,
    list: bool,
    resources: bool,
}

impl Parts {
    fn from_env() -> Parts {
        let Ok(only) = std::env::var("CURVES_ONLY") else {
            return Parts {
                connections: true,
                list: true,
                resources: true,
            };
        };
        let names: Vec<&str> = only.split(',').map(str::trim).collect();
        for n in &names {
            assert!(
                ["connections", "list", "resources"].contains(n),
                "CURVES_ONLY: `{n}` is none of connections, list, resources"
            );
        }
        Parts {
            connections: names.contains(&"connections"),
            list: names.contains(&"list"),
            resources: names.contains(&"resources"),
        }
    }
}

/// What every part needs.
struct Ctx {
    settings: Settings,
    paths: Paths,
    rt: Runtime,
    client: reqwest::Client,
    unix: u64,
}

/// Raises the soft open-files limit to the hard limit; children inherit
/// it (10 000 connections need that many descriptors on each side).
fn raise_open_files_limit() -> (u64, u64) {
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut r), 0, "getrlimit");
        let before = r.rlim_cur as u64;
        r.rlim_cur = r.rlim_max;
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &r), 0, "setrlimit");
        (before, r.rlim_cur as u64)
    }
}

/// A fresh PostgreSQL schema, dropped when this goes out of scope (after
/// the services declared later have stopped), even when a part fails.
struct Schema<'a> {
    rt: &'a Runtime,
    pool: sqlx::PgPool,
    name: String,
}

impl<'a> Schema<'a> {
    fn create(cx: &'a Ctx, part: &str) -> Schema<'a> {
        let name = format!("bench_curves_{part}_{}", cx.unix);
        let pool = cx.rt.block_on(pg::connect(&cx.settings.database_url));
        cx.rt.block_on(pg::create_schema(&pool, &name));
        println!("PostgreSQL schema {name}");
        Schema {
            rt: &cx.rt,
            pool,
            name,
        }
    }
}

impl Drop for Schema<'_> {
    fn drop(&mut self) {
        if std::env::var_os("BENCH_KEEP_SCHEMA").is_none() {
            self.rt.block_on(pg::drop_schema(&self.pool, &self.name));
        }
    }
}

// ---------------------------------------------------------------- connections

#[derive(Debug, Clone, Serialize)]
struct ConnPoint {
    service: String,
    what: String,
    connections: u32,
    wrk: WrkResult,
    /// Service CPU during the wrk run, in cores.
    service_cpu_cores: f64,
    /// Connections the kernel dropped during the wrk run because the
    /// service's accept queue was full (machine-wide counter).
    wrk_listen_overflows: u64,
    fixed: Option<FixedRateResult>,
    fixed_listen_overflows: u64,
    /// VmHWM of the service over both runs, reset before them.
    peak_rss_mb: f64,
    loadavg_before: String,
}

#[derive(Debug, Clone, Serialize)]
struct ConnectionsCurve {
    open_files_limit: (u64, u64),
    /// The accept backlog of each service's listener.
    listen_backlog: BTreeMap<String, String>,
    /// The fixed rate of every fixed-rate run of the curve.
    fixed_rate: f64,
    points: Vec<ConnPoint>,
    target: Option<TargetCheck>,
}

#[derive(Debug, Clone, Serialize)]
struct TargetCheck {
    target: String,
    met: bool,
    detail: String,
}

/// A service under load and the request it gets.
struct Load<'a> {
    svc: &'a Service,
    what: &'static str,
    spec: Spec,
}

fn connections_curve(cx: &Ctx, open_files: (u64, u64)) -> ConnectionsCurve {
    let s = &cx.settings;
    let most = s.conns.iter().copied().max().unwrap_or(0) as u64;
    if open_files.1 < most + 512 {
        println!(
            "warning: the open-files limit ({}) is below {most} connections plus margin; expect connect errors",
            open_files.1
        );
    }
    let lua = wrk::write_script(&cx.paths.out);
    let schema = Schema::create(cx, "conn");
    let env = example_env(&s.database_url, &schema.name, &[]);
    let mut example = spawn(
        "curves-example",
        &cx.paths.release_bin("example-service"),
        &[],
        &env,
        &cx.paths.logs,
    );
    let mut bare = spawn(
        "curves-bare-axum",
        &cx.paths.release_bin("baseline"),
        &["--hello-only"],
        &[],
        &cx.paths.logs,
    );
    cx.rt
        .block_on(wait_ready(&cx.client, &mut example, "/health/ready"));
    cx.rt.block_on(wait_ready(&cx.client, &mut bare, "/hello"));
    let (ids, pids) = cx.rt.block_on(seed::seed(&cx.client, &example));
    println!("seeded {} tasks", ids.1 - ids.0 + 1);
    let listen_backlog = listen_backlogs(&[&example, &bare]);
    let spec = |path: &str| Spec {
        method: Method::GET,
        path: path.into(),
        body: None,
        ids,
        pids,
    };
    let loads = [
        Load {
            svc: &bare,
            what: "bare axum /hello (ceiling)",
            spec: spec("/hello"),
        },
        Load {
            svc: &example,
            what: "cached GET /v1/tasks/{id}, full stack",
            spec: spec("/v1/tasks/{id}"),
        },
    ];
    let mut points = Vec::new();
    let mut rate = s.rate;
    for &conns in &s.conns {
        let mut at: Vec<ConnPoint> = loads.iter().map(|l| saturate(cx, &lua, l, conns)).collect();
        let r = *rate.get_or_insert_with(|| fixed_rate(s, &at));
        for (p, l) in at.iter_mut().zip(&loads) {
            fixed(cx, p, l, r);
        }
        points.extend(at);
    }
    let target = connections_target(&points);
    ConnectionsCurve {
        open_files_limit: open_files,
        listen_backlog,
        fixed_rate: rate.unwrap_or(0.0),
        points,
        target,
    }
}

/// `CURVES_RATE`, else `CURVES_FIXED_FRACTION` of the slower service's
/// throughput at the first connection count: one rate for the whole
/// curve, so only the number of connections changes.
fn fixed_rate(s: &Settings, first: &[ConnPoint]) -> f64 {
    let slower = first
        .iter()
        .map(|p| p.wrk.rps)
        .fold(f64::INFINITY, f64::min);
    let r = (slower * s.fixed_fraction / 100.0).round() * 100.0;
    println!(
        "fixed rate for the curve: {r:.0}/s ({:.0} % of {slower:.0} req/s)",
        s.fixed_fraction * 100.0
    );
    r
}

/// The accept backlog of each listener (`ss`: Send-Q of a listening
/// socket): beyond it, the kernel drops new connections until the service
/// accepts, and the client retries after a second or more.
fn listen_backlogs(services: &[&Service]) -> BTreeMap<String, String> {
    let text = Command::new("ss")
        .args(["-ltnH"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    for svc in services {
        let port = format!(":{} ", svc.addr.port());
        let backlog = text
            .lines()
            .find(|l| l.contains(&port))
            .and_then(|l| l.split_whitespace().nth(2))
            .unwrap_or("?")
            .to_string();
        println!("{}: listen backlog {backlog}", svc.name);
        out.insert(svc.name.clone(), backlog);
    }
    out
}

/// Warm-up, then wrk at saturation with `conns` connections.
fn saturate(cx: &Ctx, lua: &Path, l: &Load, conns: u32) -> ConnPoint {
    let (s, svc) = (&cx.settings, l.svc);
    println!("-- {} with {conns} connections ({})", svc.name, l.what);
    let run = |secs| WrkRun {
        lua,
        addr: svc.addr,
        threads: s.wrk_threads.min(conns),
        conns,
        secs,
        timeout_secs: s.wrk_timeout_secs,
    };
    let load = procfs::loadavg();
    if s.warmup_secs > 0 {
        wrk::run(&run(s.warmup_secs), &l.spec);
    }
    procfs::reset_peak(svc.pid());
    let (cpu0, drops0) = (procfs::cpu_secs(svc.pid()), procfs::listen_overflows());
    let w = wrk::run(&run(s.secs), &l.spec);
    let cpu = (procfs::cpu_secs(svc.pid()) - cpu0) / w.duration_s.max(1e-9);
    let drops = procfs::listen_overflows() - drops0;
    let log = format!("curves-wrk-{}-{conns}.txt", svc.name);
    let _ = std::fs::write(cx.paths.logs.join(log), &w.output);
    println!(
        "   wrk: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; socket errors connect {} read {} write {}, timeouts {}, non-2xx {}; listen overflows {drops}; service CPU {cpu:.2} cores",
        w.rps, w.p50_ms, w.p99_ms, w.max_ms, w.connect_errors, w.read_errors, w.write_errors, w.timeouts, w.non_2xx_3xx
    );
    ConnPoint {
        service: svc.name.clone(),
        what: l.what.into(),
        connections: conns,
        wrk: w,
        service_cpu_cores: cpu,
        wrk_listen_overflows: drops,
        fixed: None,
        fixed_listen_overflows: 0,
        peak_rss_mb: 0.0,
        loadavg_before: load,
    }
}

/// The fixed-rate run over the point's connections; peak RSS after it.
fn fixed(cx: &Ctx, p: &mut ConnPoint, l: &Load, rate: f64) {
    let s = &cx.settings;
    let drops0 = procfs::listen_overflows();
    let f = loadgen::run(
        l.spec.fixed_target(l.svc.addr),
        rate,
        p.connections as usize,
        s.fixed_threads,
        Duration::from_secs(s.secs),
    );
    p.fixed_listen_overflows = procfs::listen_overflows() - drops0;
    p.peak_rss_mb = procfs::status_mb(l.svc.pid(), "VmHWM:");
    println!(
        "   {} fixed {:.0}/s over {} connections: achieved {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms, errors {}, missed {}{}; listen overflows {}; peak RSS {:.1} MB",
        p.service,
        f.target_rate,
        f.connections,
        f.achieved_rps,
        f.p50_ms,
        f.p99_ms,
        f.max_ms,
        f.errors + f.non_2xx,
        f.missed,
        if f.sustained { "" } else { " (NOT sustained)" },
        p.fixed_listen_overflows,
        p.peak_rss_mb
    );
    p.fixed = Some(f);
}

/// p99 < 50 ms at the most connections on the cached GET, on the
/// fixed-rate run: at saturation wrk's latency is its queue
/// (connections ÷ throughput), not the service's.
fn connections_target(points: &[ConnPoint]) -> Option<TargetCheck> {
    let p = points
        .iter()
        .filter(|p| p.service == "curves-example")
        .max_by_key(|p| p.connections)?;
    let f = p.fixed.as_ref()?;
    let met = f.sustained && f.p99_ms < P99_TARGET_MS;
    let check = TargetCheck {
        target: format!(
            "cached GET p99 < {P99_TARGET_MS:.0} ms at {} connections",
            p.connections
        ),
        met,
        detail: format!(
            "fixed {:.0}/s over {} connections: achieved {:.0}/s{}, p50 {:.2} ms, p99 {:.2} ms; wrk at saturation: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms ({:.1} ms is connections ÷ throughput), {} socket errors, {} timeouts; listen overflows {} (wrk) and {} (fixed rate)",
            f.target_rate,
            p.connections,
            f.achieved_rps,
            if f.sustained { "" } else { " (not sustained)" },
            f.p50_ms,
            f.p99_ms,
            p.wrk.rps,
            p.wrk.p50_ms,
            p.wrk.p99_ms,
            p.connections as f64 * 1000.0 / p.wrk.rps.max(1e-9),
            p.wrk.socket_errors,
            p.wrk.timeouts,
            p.wrk_listen_overflows,
            p.fixed_listen_overflows
        ),
    };
    println!(
        "target {}: {} ({})",
        check.target,
        if met { "met" } else { "NOT met" },
        check.detail
    );
    Some(check)
}

// ---------------------------------------------------------------- list

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Paging {
    Keyset,
    Offset,
}

#[derive(Debug, Clone, Serialize)]
struct ListPoint {
    rows: u64,
    /// Rows before the page (0: the first page).
    depth: u64,
    depth_pct: u64,
    paging: Paging,
    requests: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// The first id on the page (both pagings must agree).
    first_id: i64,
}

#[derive(Debug, Clone, Serialize)]
struct SeedStep {
    rows: u64,
    insert_s: f64,
    analyze_s: f64,
}

#[derive(Debug, Clone, Serialize)]
struct ListCurve {
    method: String,
    seeding: Vec<SeedStep>,
    points: Vec<ListPoint>,
}

fn list_curve(cx: &Ctx) -> ListCurve {
    let s = &cx.settings;
    let schema = Schema::create(cx, "list");
    let env = example_env(
        &s.database_url,
        &schema.name,
        &[("API_OPTIMIZATION_ENABLED", "false")],
    );
    let mut svc = spawn(
        "curves-example-uncached",
        &cx.paths.release_bin("example-service"),
        &[],
        &env,
        &cx.paths.logs,
    );
    cx.rt
        .block_on(wait_ready(&cx.client, &mut svc, "/health/ready"));
    let project = cx.rt.block_on(insert_project(&schema));
    let mut seeding = Vec::new();
    let mut points = Vec::new();
    let mut have = 0;
    for &rows in &s.list_sizes {
        seeding.push(cx.rt.block_on(grow_tasks(&schema, project, have, rows)));
        have = rows;
        for depth in [0, rows / 10, rows / 2, rows * 9 / 10] {
            let keyset = list_point(cx, &svc, rows, depth, Paging::Keyset);
            let offset = list_point(cx, &svc, rows, depth, Paging::Offset);
            assert_eq!(
                keyset.first_id, offset.first_id,
                "keyset and offset pages at {depth} of {rows} start at the same row"
            );
            points.extend([keyset, offset]);
        }
    }
    ListCurve {
        method: format!(
            "example service with API_OPTIMIZATION_ENABLED=false (no cache: every page is a query); GET /v1/tasks?limit={PAGE}&sort=id; per point {} sequential requests on one keep-alive connection (after 3 unmeasured), or fewer when {} s are up; median and p99 of their latency",
            s.list_requests, s.secs
        ),
        seeding,
        points,
    }
}

/// One project for every task (SQL: the cache is off, so nothing to
/// invalidate).
async fn insert_project(schema: &Schema<'_>) -> i64 {
    let sql = format!(
        "INSERT INTO \"{}\".projects (name, key, visibility, created_at, updated_at) \
         VALUES ('Curves', 'CRV', 'team', now(), now()) RETURNING id",
        schema.name
    );
    sqlx::query_scalar(&sql)
        .fetch_one(&schema.pool)
        .await
        .expect("insert project")
}

/// Adds tasks `have + 1 ..= rows` in one statement, then analyzes the table.
async fn grow_tasks(schema: &Schema<'_>, project: i64, have: u64, rows: u64) -> SeedStep {
    let t = Instant::now();
    let sql = format!(
        "INSERT INTO \"{s}\".tasks (title, notes, status, done, priority, estimate_hours, project_id, due_at, created_at, updated_at) \
         SELECT 'Task ' || g || ': measure and improve the hot path', \
                CASE WHEN g % 2 = 0 THEN 'Seeded for the benchmark; notes on every other task.' END, \
                (ARRAY['todo', 'in_progress', 'blocked', 'done'])[1 + g % 4], g % 4 = 3, 1 + g % 5, \
                CASE WHEN g % 3 <> 0 THEN (g % 40) * 0.5 END, {project}, \
                CASE WHEN g % 4 = 0 THEN timestamptz '2026-12-31 17:00:00+00' END, now(), now() \
         FROM generate_series({from}::bigint, {rows}::bigint) AS g",
        s = schema.name,
        from = have + 1,
    );
    sqlx::query(&sql)
        .execute(&schema.pool)
        .await
        .expect("seed tasks");
    let insert_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    sqlx::query(&format!("ANALYZE \"{}\".tasks", schema.name))
        .execute(&schema.pool)
        .await
        .expect("analyze");
    let step = SeedStep {
        rows,
        insert_s,
        analyze_s: t.elapsed().as_secs_f64(),
    };
    println!(
        "-- tasks: {rows} rows (inserted {} in {:.1} s, analyzed in {:.1} s)",
        rows - have,
        step.insert_s,
        step.analyze_s
    );
    step
}

fn list_point(cx: &Ctx, svc: &Service, rows: u64, depth: u64, paging: Paging) -> ListPoint {
    let s = &cx.settings;
    let base = format!("http://{}/v1/tasks?limit={PAGE}&sort=id", svc.addr);
    let url = match paging {
        Paging::Offset => format!("{base}&offset={depth}"),
        Paging::Keyset if depth == 0 => base,
        Paging::Keyset => {
            let cursor = cx.rt.block_on(cursor_at(&cx.client, svc, depth));
            format!("{base}&cursor={cursor}")
        }
    };
    let (mut ms, first_id) = cx.rt.block_on(time_pages(
        &cx.client,
        &url,
        s.list_requests,
        Duration::from_secs(s.secs),
    ));
    ms.sort_by(f64::total_cmp);
    let p = ListPoint {
        rows,
        depth,
        depth_pct: depth * 100 / rows.max(1),
        paging,
        requests: ms.len(),
        p50_ms: quantile(&ms, 0.5),
        p99_ms: quantile(&ms, 0.99),
        max_ms: ms.last().copied().unwrap_or(0.0),
        first_id,
    };
    println!(
        "   {rows} rows, {:>2} % deep, {:<6}: p50 {:.2} ms, p99 {:.2} ms ({} requests)",
        p.depth_pct,
        format!("{paging:?}").to_lowercase(),
        p.p50_ms,
        p.p99_ms,
        p.requests
    );
    p
}

/// The cursor after the first `depth` rows: the service's own
/// `next_cursor` of the one-row page at offset `depth - 1` (a cursor is
/// opaque: base64url of the sort and the last row's sort values).
async fn cursor_at(client: &reqwest::Client, svc: &Service, depth: u64) -> String {
    let url = format!(
        "http://{}/v1/tasks?limit=1&sort=id&offset={}",
        svc.addr,
        depth - 1
    );
    let v: serde_json::Value = client
        .get(url)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("list json");
    v["next_cursor"]
        .as_str()
        .unwrap_or_else(|| panic!("no next_cursor after {depth} rows: {v}"))
        .to_string()
}

/// Up to `n` sequential GETs of `url` within `budget` (after 3 unmeasured),
/// their latencies in ms, and the page's first id.
async fn time_pages(
    client: &reqwest::Client,
    url: &str,
    n: usize,
    budget: Duration,
) -> (Vec<f64>, i64) {
    let first = get_page(client, url).await;
    let first_id = first["items"][0]["id"].as_i64().expect("a non-empty page");
    for _ in 0..2 {
        get_page(client, url).await;
    }
    let started = Instant::now();
    let mut ms = Vec::with_capacity(n);
    while ms.len() < n && started.elapsed() < budget {
        let t = Instant::now();
        get_page(client, url).await;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    (ms, first_id)
}

async fn get_page(client: &reqwest::Client, url: &str) -> serde_json::Value {
    let r = client.get(url).send().await.expect("list");
    assert_eq!(r.status(), 200, "{url}: {}", r.status());
    r.json().await.expect("list json")
}

/// The `q` quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// ---------------------------------------------------------------- resources

#[derive(Debug, Clone, Serialize)]
struct Build {
    secs: Option<f64>,
    ok: bool,
    loadavg_before: String,
}

#[derive(Debug, Clone, Serialize)]
struct ResourcesPoint {
    resources: usize,
    /// The crate's first build in each profile (dependencies too when
    /// they are not built yet): not the measurement.
    first_release: Build,
    first_dev: Build,
    /// The measurement: the crate alone, its source touched.
    release: Build,
    dev: Build,
    binary_mb: f64,
    startup_rss_mb: f64,
    peak_rss_mb: f64,
    idle_rss_mb: f64,
}

#[derive(Debug, Clone, Serialize)]
struct ResourcesCurve {
    method: String,
    points: Vec<ResourcesPoint>,
}

fn resources_curve(cx: &Ctx) -> ResourcesCurve {
    let dir = cx.paths.target.join("curves");
    std::fs::create_dir_all(&dir).expect("target/curves");
    let dir = dir.canonicalize().expect("target/curves");
    let shared_target = dir.join("target");
    let mut points = Vec::new();
    for &n in &cx.settings.resources {
        let krate = dir.join(format!("gen-{n}"));
        generate_crate(&cx.paths.root, &krate, n);
        let build = |release: bool, what: &str| {
            cargo_build(
                cx,
                &krate,
                &shared_target,
                release,
                &format!("gen-{n}-{what}"),
            )
        };
        let first_release = build(true, "release-first");
        touch(&krate.join("src/main.rs"));
        let release = build(true, "release");
        let first_dev = build(false, "dev-first");
        touch(&krate.join("src/main.rs"));
        let dev = build(false, "dev");
        let bin = shared_target.join("release").join(crate_name(n));
        let (binary_mb, startup, peak, idle) = if release.ok {
            memory_of(cx, &bin, n)
        } else {
            (0.0, 0.0, 0.0, 0.0)
        };
        let p = ResourcesPoint {
            resources: n,
            first_release,
            first_dev,
            release,
            dev,
            binary_mb,
            startup_rss_mb: startup,
            peak_rss_mb: peak,
            idle_rss_mb: idle,
        };
        print_resources_point(&p);
        points.push(p);
    }
    ResourcesCurve {
        method: "a generated binary crate (its own workspace, the workspace's profiles: release with fat LTO and one codegen unit) with N #[api_resource] structs of 8–9 fields (i64 id, String, enum, i32, Option<f64>, bool, Option<NaiveDate>, created_at, updated_at; every fifth one a relation to the previous) and a main serving them on SQLite; build time: `cargo build` after touching the source, dependencies already built (the first build is not counted); RSS: the release binary after /health/ready, its VmHWM after one create and one list per resource, and VmRSS 2 s later".into(),
        points,
    }
}

fn print_resources_point(p: &ResourcesPoint) {
    let secs = |b: &Build| match b.secs {
        Some(s) if b.ok => format!("{s:.1} s"),
        _ => "failed".into(),
    };
    println!(
        "   {} resources: release rebuild {}, dev rebuild {}, binary {:.1} MB, RSS after start {:.1} MB, peak {:.1} MB, idle {:.1} MB",
        p.resources,
        secs(&p.release),
        secs(&p.dev),
        p.binary_mb,
        p.startup_rss_mb,
        p.peak_rss_mb,
        p.idle_rss_mb
    );
}

fn crate_name(n: usize) -> String {
    format!("curves-gen-{n}")
}

/// `to` relative to the directory `from` (both absolute), so the generated
/// manifest names no absolute path.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let f: Vec<_> = from.components().collect();
    let t: Vec<_> = to.components().collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut p = PathBuf::new();
    for _ in common..f.len() {
        p.push("..");
    }
    for c in &t[common..] {
        p.push(c);
    }
    p
}

/// Writes the crate: manifest, the workspace's lock file (same dependency
/// versions, nothing to resolve) and `src/main.rs`.
fn generate_crate(root: &Path, krate: &Path, n: usize) {
    std::fs::create_dir_all(krate.join("src")).expect("crate dir");
    let runtime = relative(krate, &root.join("runtime"));
    std::fs::write(krate.join("Cargo.toml"), manifest(n, &runtime)).expect("manifest");
    if !krate.join("Cargo.lock").exists() {
        std::fs::copy(root.join("Cargo.lock"), krate.join("Cargo.lock")).expect("lock file");
    }
    std::fs::write(krate.join("src/main.rs"), main_rs(n)).expect("main.rs");
}

fn manifest(n: usize, runtime: &Path) -> String {
    format!(
        r#"# Generated by the curves bench.
[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
resourceful = {{ path = "{runtime}", features = ["mimalloc"] }}
tokio = {{ version = "1", features = ["rt-multi-thread", "macros"] }}
chrono = {{ version = "0.4", default-features = false, features = ["std", "clock", "serde"] }}

# Not a member of the project's workspace.
[workspace]

# The project's profiles.
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false

[profile.release]
lto = "fat"
codegen-units = 1
"#,
        name = crate_name(n),
        runtime = runtime.display()
    )
}

fn main_rs(n: usize) -> String {
    let mut s = String::from(
        "//! Generated by the curves bench.\n\n\
         use chrono::{DateTime, NaiveDate, Utc};\n\
         use resourceful::prelude::*;\n\n\
         #[global_allocator]\n\
         static GLOBAL: resourceful::alloc::MiMalloc = resourceful::alloc::MiMalloc;\n\n\
         #[api_enum]\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq)]\n\
         pub enum Level {\n    Low,\n    Medium,\n    High,\n}\n",
    );
    for i in 0..n {
        s.push_str(&resource_rs(i));
    }
    s.push_str(
        "\n#[tokio::main]\n\
         async fn main() -> Result<(), Box<dyn std::error::Error>> {\n    \
         let config = resourceful::Config::from_env()?;\n    \
         resourceful::telemetry::init(&config);\n    \
         resourceful::App::new(config)\n",
    );
    for i in 0..n {
        s.push_str(&format!("        .resource::<Item{i}>()\n"));
    }
    s.push_str("        .serve()\n        .await?;\n    Ok(())\n}\n");
    s
}

/// Every fifth resource refers to the one before it.
fn has_relation(i: usize) -> bool {
    i % 5 == 4
}

fn resource_rs(i: usize) -> String {
    let relation = if has_relation(i) {
        format!(
            "    #[api(filter, relation(resource = \"item{p}s\", on_delete = \"set_null\"))]\n    pub item{p}_id: Option<i64>,\n",
            p = i - 1
        )
    } else {
        String::new()
    };
    format!(
        r#"
/// Generated resource {i}.
#[api_resource(path = "item{i}s", cache_ttl = "10m")]
#[derive(Debug, Clone)]
pub struct Item{i} {{
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, length(min = 1, max = 200))]
    pub name: String,
    #[api(filter)]
    pub level: Level,
    #[api(filter, sort, range(min = 0, max = 1000))]
    pub count: i32,
    pub score: Option<f64>,
    #[api(filter)]
    pub active: bool,
    pub due_on: Option<NaiveDate>,
{relation}    #[api(created_at, sort)]
    pub created_at: DateTime<Utc>,
    #[api(updated_at, sort)]
    pub updated_at: DateTime<Utc>,
}}
"#
    )
}

/// Sets the file's modification time to now, so cargo rebuilds the crate.
fn touch(file: &Path) {
    let f = std::fs::File::options()
        .append(true)
        .open(file)
        .expect("open for touch");
    f.set_modified(std::time::SystemTime::now())
        .expect("set mtime");
}

/// `cargo build [--release]` of the generated crate, bounded by
/// `CURVES_BUILD_TIMEOUT_SECS`; its output goes to the logs.
fn cargo_build(cx: &Ctx, krate: &Path, target: &Path, release: bool, what: &str) -> Build {
    use std::os::unix::process::CommandExt;
    let log = std::fs::File::create(cx.paths.logs.join(format!("curves-build-{what}.log")))
        .expect("build log");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(krate)
        .args(["build", "--offline", "--quiet"])
        .args(release.then_some("--release"))
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        // Its own process group, so a timeout stops rustc too.
        .process_group(0);
    let load = procfs::loadavg();
    let started = Instant::now();
    let mut child = cmd.spawn().expect("run cargo");
    let deadline = started + Duration::from_secs(cx.settings.build_timeout_secs);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for cargo") {
            break Some(st);
        }
        if Instant::now() >= deadline {
            unsafe {
                libc::kill(-(child.id() as i32), libc::SIGKILL);
            }
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let secs = started.elapsed().as_secs_f64();
    let ok = status.is_some_and(|s| s.success());
    println!(
        "   cargo build {what}: {}",
        match status {
            Some(_) if ok => format!("{secs:.1} s"),
            Some(st) =>
                format!("FAILED ({st}); see target/bench-results/logs/curves-build-{what}.log"),
            None => format!("timed out after {secs:.0} s"),
        }
    );
    Build {
        secs: status.map(|_| secs),
        ok,
        loadavg_before: load,
    }
}

/// Binary size, RSS after start, peak RSS after touching every resource,
/// idle RSS 2 s later (all MB).
fn memory_of(cx: &Ctx, bin: &Path, n: usize) -> (f64, f64, f64, f64) {
    let binary_mb = std::fs::metadata(bin).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    let dir = tempfile::tempdir().expect("temp dir");
    let env = vec![
        (
            "DATABASE_URL",
            format!("sqlite:{}", dir.path().join("curves.db").display()),
        ),
        (
            "MIGRATIONS_DIR",
            dir.path().join("migrations").display().to_string(),
        ),
        ("RATE_LIMIT_READ", UNLIMITED.to_string()),
        ("RATE_LIMIT_WRITE", UNLIMITED.to_string()),
        ("RUST_LOG", "warn".to_string()),
        ("LOG_FORMAT", "json".to_string()),
        // The client's token is minted with this key.
        ("AUTH_DEV_SECRET", auth::DEV_SECRET.to_string()),
    ];
    let mut svc = spawn(&crate_name(n), bin, &[], &env, &cx.paths.logs);
    cx.rt
        .block_on(wait_ready(&cx.client, &mut svc, "/health/ready"));
    let startup = procfs::status_mb(svc.pid(), "VmRSS:");
    cx.rt.block_on(touch_resources(&cx.client, &svc, n));
    let peak = procfs::status_mb(svc.pid(), "VmHWM:");
    std::thread::sleep(Duration::from_secs(2));
    let idle = procfs::status_mb(svc.pid(), "VmRSS:");
    (binary_mb, startup, peak, idle)
}

/// One create and one list per resource.
async fn touch_resources(client: &reqwest::Client, svc: &Service, n: usize) {
    for i in 0..n {
        let url = format!("http://{}/v1/item{i}s", svc.addr);
        let body = serde_json::json!({
            "name": format!("item {i}"),
            "level": "medium",
            "count": 7,
            "score": 1.5,
            "active": true,
            "due_on": "2026-12-02",
        });
        let r = client.post(&url).json(&body).send().await.expect("create");
        assert_eq!(
            r.status(),
            201,
            "create item{i}: {}",
            r.text().await.unwrap_or_default()
        );
        let r = client.get(&url).send().await.expect("list");
        assert_eq!(r.status(), 200, "list item{i}");
    }
}

// ---------------------------------------------------------------- report

#[derive(Debug, Default, Serialize)]
struct Report {
    connections: Option<ConnectionsCurve>,
    list: Option<ListCurve>,
    resources: Option<ResourcesCurve>,
}

fn markdown(r: &Report, meta: &BTreeMap<&str, String>) -> String {
    let mut s = String::from("# Cost curves\n\n");
    for (k, v) in meta {
        s.push_str(&format!("- {k}: {v}\n"));
    }
    if let Some(c) = &r.connections {
        s.push_str(&connections_md(c));
    }
    if let Some(l) = &r.list {
        s.push_str(&list_md(l));
    }
    if let Some(x) = &r.resources {
        s.push_str(&resources_md(x));
    }
    s
}

fn connections_md(c: &ConnectionsCurve) -> String {
    let mut s = String::from("\n## Connections\n\n");
    let backlog: Vec<String> = c
        .listen_backlog
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    s.push_str(&format!(
        "Open-files limit raised from {} to {} (inherited by the services and wrk). Listen backlog: {}. Fixed rate: {:.0}/s at every point.\n\n",
        c.open_files_limit.0,
        c.open_files_limit.1,
        backlog.join(", "),
        c.fixed_rate
    ));
    s.push_str("| connections | service | req/s (wrk) | wrk p50 ms | wrk p99 ms | wrk max ms | socket errors (connect/read/write) | timeouts | non-2xx | listen overflows (wrk / fixed) | fixed rate → achieved | p50 ms | p99 ms | peak RSS MB |\n");
    s.push_str("|---:|---|---:|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|\n");
    for p in &c.points {
        s.push_str(&conn_row(p));
    }
    s.push_str("\nwrk: at saturation, closed loop (its latency includes the queue: about connections ÷ throughput). p50/p99: the fixed-rate generator over the same number of connections, from each request's intended send time. Listen overflows: connections the kernel dropped because the accept queue was full (the client retries the handshake after 1 s, then 3 s, …).\n");
    if let Some(t) = &c.target {
        s.push_str(&format!(
            "\nTarget: {}: {} — {}\n",
            t.target,
            if t.met { "met" } else { "**not met**" },
            t.detail
        ));
    }
    s
}

fn conn_row(p: &ConnPoint) -> String {
    let w = &p.wrk;
    let fixed = match &p.fixed {
        Some(f) => format!(
            "{:.0} → {:.0}{} | {:.2} | {:.2}",
            f.target_rate,
            f.achieved_rps,
            if f.sustained {
                String::new()
            } else {
                format!(
                    " (not sustained; {} errors, {} never sent)",
                    f.errors, f.missed
                )
            },
            f.p50_ms,
            f.p99_ms
        ),
        None => "— | — | —".into(),
    };
    format!(
        "| {} | {} | {:.0} | {:.2} | {:.2} | {:.1} | {}/{}/{} | {} | {} | {} / {} | {fixed} | {:.1} |\n",
        p.connections,
        p.service,
        w.rps,
        w.p50_ms,
        w.p99_ms,
        w.max_ms,
        w.connect_errors,
        w.read_errors,
        w.write_errors,
        w.timeouts,
        w.non_2xx_3xx,
        p.wrk_listen_overflows,
        p.fixed_listen_overflows,
        p.peak_rss_mb
    )
}

fn list_md(l: &ListCurve) -> String {
    let mut s = String::from("\n## List pages by table size and depth\n\n");
    s.push_str(&format!("{}.\n\n", l.method));
    s.push_str("| rows | page at | keyset p50 ms | keyset p99 ms | offset p50 ms | offset p99 ms | requests (keyset / offset) |\n");
    s.push_str("|---:|---|---:|---:|---:|---:|---|\n");
    for pair in l.points.chunks(2) {
        let [k, o] = pair else { continue };
        let at = if k.depth == 0 {
            "first page".to_string()
        } else {
            format!("{} % (row {})", k.depth_pct, k.depth)
        };
        s.push_str(&format!(
            "| {} | {at} | {:.2} | {:.2} | {:.2} | {:.2} | {} / {} |\n",
            k.rows, k.p50_ms, k.p99_ms, o.p50_ms, o.p99_ms, k.requests, o.requests
        ));
    }
    s.push_str("\nSeeding (one INSERT … SELECT FROM generate_series, then ANALYZE):\n\n| rows | insert s | analyze s |\n|---:|---:|---:|\n");
    for st in &l.seeding {
        s.push_str(&format!(
            "| {} | {:.1} | {:.1} |\n",
            st.rows, st.insert_s, st.analyze_s
        ));
    }
    s
}

fn resources_md(x: &ResourcesCurve) -> String {
    let mut s = String::from("\n## Declared resources\n\n");
    s.push_str(&format!("{}.\n\n", x.method));
    s.push_str("| resources | release rebuild s | dev rebuild s | binary MB | RSS after start MB | peak RSS MB | idle RSS MB | first release / dev build s (not counted) |\n");
    s.push_str("|---:|---:|---:|---:|---:|---:|---:|---|\n");
    let secs = |b: &Build| match b.secs {
        Some(v) if b.ok => format!("{v:.1}"),
        Some(_) => "failed".into(),
        None => "timed out".into(),
    };
    for p in &x.points {
        s.push_str(&format!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} / {} |\n",
            p.resources,
            secs(&p.release),
            secs(&p.dev),
            p.binary_mb,
            p.startup_rss_mb,
            p.peak_rss_mb,
            p.idle_rss_mb,
            secs(&p.first_release),
            secs(&p.first_dev)
        ));
    }
    s
}

fn write_report(cx: &Ctx, report: &Report, meta: &BTreeMap<&str, String>) {
    let md = markdown(report, meta);
    println!("\n{md}");
    let json = serde_json::json!({
        "meta": meta,
        "settings": cx.settings,
        "connections": report.connections,
        "list": report.list,
        "resources": report.resources,
    });
    let text = serde_json::to_string_pretty(&json).expect("json");
    let out = &cx.paths.out;
    std::fs::write(out.join(format!("curves-{}.json", cx.unix)), &text).expect("write json");
    std::fs::write(out.join("curves-latest.json"), &text).expect("write json");
    std::fs::write(out.join("curves-latest.md"), &md).expect("write md");
    let _ = std::io::stdout().flush();
    println!("results: {}", out.join("curves-latest.md").display());
}

// ---------------------------------------------------------------- main

fn main() {
    // `cargo bench` passes `--bench`; a name filter is not supported here.
    let settings = Settings::from_env();
    let parts = Parts::from_env();
    let open_files = raise_open_files_limit();
    println!("open-files limit: {} → {}", open_files.0, open_files.1);
    let paths = Paths::new();
    if parts.connections || parts.list {
        services::build_release(
            &paths,
            &["example-service", "resourceful-benches"],
            &["example-service", "baseline"],
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .default_headers(auth::auth_headers())
        .build()
        .expect("client");
    let cx = Ctx {
        settings,
        paths,
        rt,
        client,
        unix: services::unix_now(),
    };
    let started = Instant::now();
    let mut report = Report::default();
    if parts.connections {
        println!("\n== connections");
        report.connections = Some(connections_curve(&cx, open_files));
    }
    if parts.list {
        println!("\n== list");
        report.list = Some(list_curve(&cx));
    }
    if parts.resources {
        println!("\n== resources");
        report.resources = Some(resources_curve(&cx));
    }
    let meta = meta(&cx, parts, started);
    write_report(&cx, &report, &meta);
}

fn meta(cx: &Ctx, parts: Parts, started: Instant) -> BTreeMap<&'static str, String> {
    let s = &cx.settings;
    let mut m = BTreeMap::new();
    m.insert(
        "command",
        "cargo bench -p resourceful-benches --bench curves".to_string(),
    );
    m.insert("date (UTC, unix)", cx.unix.to_string());
    m.insert(
        "machine",
        format!(
            "{}; the services, PostgreSQL, wrk and the generator share them",
            procfs::machine()
        ),
    );
    m.insert("parts", format!("{parts:?}"));
    m.insert(
        "settings",
        format!(
            "{} s per run after {} s warm-up; wrk -t{} --timeout {}s; fixed rate {} on {} generator thread(s)",
            s.secs,
            s.warmup_secs,
            s.wrk_threads,
            s.wrk_timeout_secs,
            match s.rate {
                Some(r) => format!("{r:.0}/s"),
                None => format!(
                    "{:.0} % of the slower service's wrk throughput at the first connection count",
                    s.fixed_fraction * 100.0
                ),
            },
            s.fixed_threads
        ),
    );
    m.insert(
        "total time",
        format!("{:.0} s", started.elapsed().as_secs_f64()),
    );
    m
}
