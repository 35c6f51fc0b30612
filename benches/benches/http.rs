//! HTTP load benchmark: the example service (full middleware stack) against
//! a hand-written axum + sqlx service and a bare axum handler, in one run,
//! on loopback.
//!
//! `cargo bench -p resourceful-benches --bench http`
//!
//! What it does, bounded in time and count:
//! 1. builds `example-service` and `baseline` with `cargo build --release`
//!    (skip with `BENCH_SKIP_BUILD=1` when they are already built);
//! 2. creates a fresh PostgreSQL schema, starts every service on
//!    127.0.0.1, seeds 5 projects and 1000 tasks through the example's REST
//!    API;
//! 3. per scenario: a wrk run at saturation (throughput, errors, service
//!    CPU and peak RSS) and a fixed-rate run with latency measured from the
//!    intended send time (p50/p99 without coordinated omission);
//! 4. prints a table, writes `target/bench-results/http-<unix time>.json`,
//!    `latest.json` and `latest.md`, stops the services and drops the schema.
//!
//! Knobs (environment): `BENCH_SECS` (10, per run), `BENCH_WARMUP_SECS` (2),
//! `BENCH_RATE` (48000, the fixed rate for cached reads),
//! `BENCH_FIXED_FRACTION` (0.5: other scenarios run at this fraction of the
//! slower side's saturation throughput), `BENCH_WRK_THREADS` (2),
//! `BENCH_WRK_CONNS` (64), `BENCH_FIXED_CONNS` (128), `BENCH_STEPDOWN` (1:
//! when 48k is not sustained, find the highest rate that is),
//! `BENCH_DATABASE_URL` (postgres://postgres@127.0.0.1:5432/test),
//! `BENCH_SKIP_BUILD`, `BENCH_KEEP_SCHEMA`, `BENCH_ONLY=cached` (only the
//! cached-read scenarios), `BENCH_ONLY=create` (only the creates).

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
use procfs::{
    children_cpu_secs, cpu_secs, loadavg, machine_busy_secs, reset_peak, self_cpu_secs, status_kb,
};
use seed::{PROJECTS, TASKS_PER_PROJECT};
use serde::Serialize;
use services::{env_or, example_env, spawn, wait_ready, Paths, Service, UNLIMITED};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use wrk::{Spec, WrkResult, WrkRun};

#[derive(Debug, Clone, Serialize)]
struct Settings {
    secs: u64,
    warmup_secs: u64,
    rate: f64,
    fixed_fraction: f64,
    wrk_threads: u32,
    wrk_conns: u32,
    fixed_conns: usize,
    fixed_threads: usize,
    stepdown: bool,
    database_url: String,
}

impl Settings {
    fn from_env() -> Self {
        Settings {
            secs: env_or("BENCH_SECS", 10),
            warmup_secs: env_or("BENCH_WARMUP_SECS", 2),
            rate: env_or("BENCH_RATE", 48_000.0),
            fixed_fraction: env_or("BENCH_FIXED_FRACTION", 0.5),
            wrk_threads: env_or("BENCH_WRK_THREADS", 2),
            wrk_conns: env_or("BENCH_WRK_CONNS", 64),
            fixed_conns: env_or("BENCH_FIXED_CONNS", 128),
            fixed_threads: env_or("BENCH_FIXED_THREADS", 1),
            stepdown: env_or("BENCH_STEPDOWN", 1) != 0,
            database_url: std::env::var("BENCH_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct Measurement {
    scenario: String,
    service: String,
    what: String,
    /// Compared with this scenario's throughput (`ratio`).
    compared_to: Option<String>,
    ratio: Option<f64>,
    wrk: WrkResult,
    /// Service CPU during the wrk run: cores used, and CPU time per request.
    service_cpu_cores: f64,
    service_cpu_us_per_req: f64,
    /// wrk's CPU and everything else on the machine during the wrk run.
    generator_cpu_cores: f64,
    other_cpu_cores: f64,
    /// Peak RSS of the service process over this scenario (VmHWM after a reset).
    peak_rss_mb: f64,
    fixed: Option<FixedRateResult>,
    /// CPU of the service and of the fixed-rate generator during the fixed-rate run, in cores.
    fixed_service_cpu_cores: Option<f64>,
    fixed_generator_cpu_cores: Option<f64>,
    /// Lower fixed rates tried when the target rate was not sustained with p99 < 50 ms.
    stepdown: Vec<FixedRateResult>,
    cache_hits: Option<u64>,
    cache_misses: Option<u64>,
    /// Audit records the service dropped during the wrk run (queue full).
    audit_dropped: Option<u64>,
    loadavg_before: String,
}

impl Measurement {
    fn errors(&self) -> u64 {
        let w = self.wrk.socket_errors + self.wrk.timeouts + self.wrk.non_2xx_3xx;
        let f = self
            .fixed
            .as_ref()
            .map(|f| f.errors + f.non_2xx)
            .unwrap_or(0);
        w + f
    }
}

struct Bench {
    settings: Settings,
    lua: PathBuf,
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
    results: Vec<Measurement>,
}

impl Bench {
    /// Cache hits and misses on tasks and GraphQL, and audit records
    /// dropped, as the service's `/metrics` counts them so far.
    async fn counts(&self, svc: &Service) -> Option<(u64, u64, u64)> {
        let text = self
            .client
            .get(format!("http://{}/metrics", svc.addr))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let mut hits = 0;
        let mut misses = 0;
        let dropped = text
            .lines()
            .find_map(|l| l.strip_prefix("audit_records_dropped_total "))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or(0.0) as u64;
        for l in text.lines().filter(|l| {
            l.starts_with("cache_requests_total{")
                && (l.contains("resource=\"tasks\"") || l.contains("resource=\"graphql\""))
        }) {
            let v: u64 = l
                .rsplit(' ')
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0) as u64;
            if l.contains("result=\"hit\"") {
                hits += v;
            } else if l.contains("result=\"miss\"") {
                misses += v;
            }
        }
        Some((hits, misses, dropped))
    }

    fn wrk_run(&self, svc: &Service, secs: u64) -> WrkRun<'_> {
        WrkRun {
            lua: &self.lua,
            addr: svc.addr,
            threads: self.settings.wrk_threads,
            conns: self.settings.wrk_conns,
            secs,
            timeout_secs: 5,
        }
    }

    /// Warm-up, then a wrk run at saturation.
    fn saturate(
        &mut self,
        scenario: &str,
        what: &str,
        svc: &Service,
        spec: &Spec,
        metrics: bool,
    ) -> usize {
        let s = self.settings.clone();
        println!("-- {scenario} on {} ({what})", svc.name);
        let load = loadavg();
        if s.warmup_secs > 0 {
            wrk::run(&self.wrk_run(svc, s.warmup_secs), spec);
        }
        let cache0 = if metrics {
            self.rt.block_on(self.counts(svc))
        } else {
            None
        };
        reset_peak(svc.pid());
        let (cpu0, gen0, busy0) = (
            cpu_secs(svc.pid()),
            children_cpu_secs(),
            machine_busy_secs(),
        );
        let wrk = wrk::run(&self.wrk_run(svc, s.secs), spec);
        let (cpu1, gen1, busy1) = (
            cpu_secs(svc.pid()),
            children_cpu_secs(),
            machine_busy_secs(),
        );
        let cache1 = if metrics {
            self.rt.block_on(self.counts(svc))
        } else {
            None
        };
        let d = wrk.duration_s.max(1e-9);
        let service = cpu1 - cpu0;
        let generator = gen1 - gen0;
        let m = Measurement {
            scenario: scenario.into(),
            service: svc.name.clone(),
            what: what.into(),
            compared_to: None,
            ratio: None,
            service_cpu_cores: service / d,
            service_cpu_us_per_req: service * 1e6 / (wrk.requests.max(1) as f64),
            generator_cpu_cores: generator / d,
            other_cpu_cores: ((busy1 - busy0) - service - generator).max(0.0) / d,
            peak_rss_mb: status_kb(svc.pid(), "VmHWM:") as f64 / 1024.0,
            wrk,
            fixed: None,
            fixed_service_cpu_cores: None,
            fixed_generator_cpu_cores: None,
            stepdown: Vec::new(),
            cache_hits: cache0.zip(cache1).map(|(a, b)| b.0 - a.0),
            cache_misses: cache0.zip(cache1).map(|(a, b)| b.1 - a.1),
            audit_dropped: cache0.zip(cache1).map(|(a, b)| b.2 - a.2),
            loadavg_before: load,
        };
        println!(
            "   wrk: {:.0} req/s, errors {}, service CPU {:.2} cores ({:.1} µs/req), wrk {:.2} cores, other {:.2} cores, peak RSS {:.1} MB{}{}",
            m.wrk.rps,
            m.wrk.socket_errors + m.wrk.timeouts + m.wrk.non_2xx_3xx,
            m.service_cpu_cores,
            m.service_cpu_us_per_req,
            m.generator_cpu_cores,
            m.other_cpu_cores,
            m.peak_rss_mb,
            match (m.cache_hits, m.cache_misses) {
                (Some(h), Some(mi)) => format!(", cache {h} hits / {mi} misses"),
                _ => String::new(),
            },
            match m.audit_dropped {
                Some(d) if d > 0 => format!(", {d} audit records dropped"),
                _ => String::new(),
            }
        );
        self.results.push(m);
        self.results.len() - 1
    }

    fn fixed_run(&self, svc: &Service, spec: &Spec, rate: f64, secs: u64) -> FixedRateResult {
        let r = loadgen::run(
            spec.fixed_target(svc.addr),
            rate,
            self.settings.fixed_conns,
            self.settings.fixed_threads,
            Duration::from_secs(secs),
        );
        println!(
            "   fixed {:.0}/s: achieved {:.0}/s, p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.1} ms (service p99 {:.2} ms), errors {}, non-2xx {}, missed {}{}",
            rate,
            r.achieved_rps,
            r.p50_ms,
            r.p99_ms,
            r.p999_ms,
            r.max_ms,
            r.service_p99_ms,
            r.errors,
            r.non_2xx,
            r.missed,
            if r.sustained { "" } else { "  (NOT sustained)" }
        );
        r
    }

    /// The fixed-rate run for result `i`, peak RSS included.
    fn fixed(&mut self, i: usize, svc: &Service, spec: &Spec, rate: f64, stepdown: bool) {
        let (cpu0, gen0, t0) = (cpu_secs(svc.pid()), self_cpu_secs(), Instant::now());
        let r = self.fixed_run(svc, spec, rate, self.settings.secs);
        let wall = t0.elapsed().as_secs_f64();
        let (cpu1, gen1) = (cpu_secs(svc.pid()), self_cpu_secs());
        let mut steps = Vec::new();
        if stepdown && !(r.sustained && r.p99_ms < 50.0) {
            let secs = (self.settings.secs / 2).max(3);
            for f in [0.85, 0.7, 0.55, 0.4, 0.25] {
                let s = self.fixed_run(svc, spec, (rate * f).round(), secs);
                let ok = s.sustained && s.p99_ms < 50.0;
                steps.push(s);
                if ok {
                    break;
                }
            }
        }
        let peak = status_kb(svc.pid(), "VmHWM:") as f64 / 1024.0;
        let m = &mut self.results[i];
        m.peak_rss_mb = m.peak_rss_mb.max(peak);
        m.fixed = Some(r);
        m.fixed_service_cpu_cores = Some((cpu1 - cpu0) / wall);
        m.fixed_generator_cpu_cores = Some((gen1 - gen0) / wall);
        m.stepdown = steps;
    }

    fn compare(&mut self, i: usize, base: usize) {
        let ratio = self.results[i].wrk.rps / self.results[base].wrk.rps.max(1e-9);
        let name = format!(
            "{} ({})",
            self.results[base].scenario, self.results[base].service
        );
        let m = &mut self.results[i];
        m.compared_to = Some(name);
        m.ratio = Some(ratio);
    }
}

// ---------------------------------------------------------------- report

#[derive(Serialize)]
struct TargetCheck {
    target: String,
    met: bool,
    detail: String,
}

fn find<'a>(r: &'a [Measurement], scenario: &str, service: &str) -> Option<&'a Measurement> {
    r.iter()
        .find(|m| m.scenario == scenario && m.service == service)
}

fn targets(r: &[Measurement], rate: f64) -> Vec<TargetCheck> {
    let mut out = Vec::new();
    let cached = find(r, "get_by_id_cached", "example");
    let bare = find(r, "hello", "bare-axum");
    if let (Some(c), Some(b)) = (cached, bare) {
        let ratio = c.wrk.rps / b.wrk.rps;
        out.push(TargetCheck {
            target: "cached GET ≥ 48k req/s and ≥ 80 % of bare axum".into(),
            met: c.wrk.rps >= 48_000.0 && ratio >= 0.8,
            detail: format!(
                "{:.0} req/s; bare axum {:.0} req/s; ratio {:.0} %{}",
                c.wrk.rps,
                b.wrk.rps,
                ratio * 100.0,
                find(r, "hello_task", "bare-axum")
                    .map(|t| format!(
                        "; against a bare handler sending a task-sized body from memory ({:.0} req/s): {:.0} %",
                        t.wrk.rps,
                        100.0 * c.wrk.rps / t.wrk.rps
                    ))
                    .unwrap_or_default()
            ),
        });
    }
    if let (Some(c), Some(b)) = (cached, bare) {
        let ratio = c.wrk.rps / b.wrk.rps;
        let unaudited =
            find(r, "get_by_id_cached", "example-no-audit").map(|n| n.wrk.rps / b.wrk.rps);
        out.push(TargetCheck {
            target: "cached GET, every feature on, ≥ 90 % of bare axum".into(),
            met: ratio >= 0.9,
            detail: format!(
                "{:.0} %{}",
                ratio * 100.0,
                unaudited
                    .map(|u| format!("; with the audit trail off {:.0} %", u * 100.0))
                    .unwrap_or_default()
            ),
        });
    }
    if let (Some(p), Some(b)) = (find(r, "get_by_id_cached", "example-plain"), bare) {
        let ratio = p.wrk.rps / b.wrk.rps;
        out.push(TargetCheck {
            target: "cached GET with token validation and the audit trail ≥ 80 % of bare axum"
                .into(),
            met: ratio >= 0.8,
            detail: format!(
                "{:.0} req/s ({:.0} %); records dropped from the trail during the run: {}",
                p.wrk.rps,
                ratio * 100.0,
                p.audit_dropped.map(|d| d.to_string()).unwrap_or("?".into())
            ),
        });
    }
    if let (Some(e), Some(b)) = (find(r, "create", "example"), find(r, "create", "baseline")) {
        let ratio = e.wrk.rps / b.wrk.rps;
        let unaudited = find(r, "create", "example-no-audit-writes").map(|n| n.wrk.rps / b.wrk.rps);
        out.push(TargetCheck {
            target: "create (group commit) ≥ 2× the hand-written insert".into(),
            met: ratio >= 2.0,
            detail: format!(
                "{:.0} vs {:.0} req/s = {ratio:.2}× (with the audit trail: a change record and a request record a create; the hand-written insert writes neither){}",
                e.wrk.rps,
                b.wrk.rps,
                unaudited
                    .map(|u| format!("; with the audit trail off {u:.2}×"))
                    .unwrap_or_default()
            ),
        });
    }
    if let (Some(c), Some(p), Some(b)) =
        (cached, find(r, "get_by_id_cached", "example-plain"), bare)
    {
        let (with, without) = (c.wrk.rps / b.wrk.rps, p.wrk.rps / b.wrk.rps);
        out.push(TargetCheck {
            target: "cached GET with a user layer and a hook ≥ 85 % of bare axum".into(),
            met: with >= 0.85,
            detail: format!(
                "with the example's hooks and compression layer {:.0} req/s ({:.0} %); without {:.0} req/s ({:.0} %); they cost {:.1} %",
                c.wrk.rps,
                with * 100.0,
                p.wrk.rps,
                without * 100.0,
                (1.0 - c.wrk.rps / p.wrk.rps) * 100.0
            ),
        });
    }
    if let (Some(c), Some(l)) = (cached, find(r, "get_by_id_cached", "example-redis-leased")) {
        let ratio = l.wrk.rps / c.wrk.rps;
        let exact =
            find(r, "get_by_id_cached", "example-redis-exact").map(|e| e.wrk.rps / c.wrk.rps);
        out.push(TargetCheck {
            target: "cached GET with Redis-shared limits ≥ 90 % of in-process limits".into(),
            met: ratio >= 0.9,
            detail: format!(
                "leased {:.0} vs in process {:.0} req/s = {:.0} %{}",
                l.wrk.rps,
                c.wrk.rps,
                ratio * 100.0,
                exact
                    .map(|e| format!("; one round trip per request: {:.0} %", e * 100.0))
                    .unwrap_or_default()
            ),
        });
    }
    if let (Some(x), Some(b)) = (
        find(r, "get_by_id_uncached", "example-batched"),
        find(r, "get_by_id_uncached", "baseline"),
    ) {
        let ratio = x.wrk.rps / b.wrk.rps;
        let off = find(r, "get_by_id_uncached", "example-uncached").map(|u| u.wrk.rps / b.wrk.rps);
        out.push(TargetCheck {
            target: "uncached GET on PostgreSQL ≥ 1.5× the hand-written baseline".into(),
            met: ratio >= 1.5,
            detail: format!(
                "{:.0} vs {:.0} req/s = {ratio:.2}× (every read misses the cache and goes through the id batcher){}",
                x.wrk.rps,
                b.wrk.rps,
                off.map(|o| format!("; with API_OPTIMIZATION_ENABLED=false (one query per request): {o:.2}×")).unwrap_or_default()
            ),
        });
    }
    if let Some(c) = cached {
        if let Some(f) = &c.fixed {
            let best = c.stepdown.iter().find(|s| s.sustained && s.p99_ms < 50.0);
            out.push(TargetCheck {
                target: format!("p99 < 50 ms at {:.0} req/s fixed rate (cached GET)", rate),
                met: f.sustained && f.p99_ms < 50.0,
                detail: format!(
                    "at {:.0}/s: achieved {:.0}/s, p50 {:.2} ms, p99 {:.2} ms{}{}",
                    f.target_rate,
                    f.achieved_rps,
                    f.p50_ms,
                    f.p99_ms,
                    if f.sustained { "" } else { " (rate not sustained)" },
                    match best {
                        Some(s) => format!("; highest sustained in the step-down: {:.0}/s with p50 {:.2} ms, p99 {:.2} ms", s.target_rate, s.p50_ms, s.p99_ms),
                        None if !c.stepdown.is_empty() => "; no step-down rate was sustained".into(),
                        None => String::new(),
                    }
                ),
            });
        }
    }
    let rss = r
        .iter()
        .filter(|m| m.service.starts_with("example"))
        .map(|m| m.peak_rss_mb)
        .fold(0.0, f64::max);
    if rss > 0.0 {
        let which = r
            .iter()
            .filter(|m| m.service.starts_with("example"))
            .max_by(|a, b| a.peak_rss_mb.total_cmp(&b.peak_rss_mb))
            .unwrap();
        out.push(TargetCheck {
            target: "peak RSS < 40 MB, every scenario".into(),
            met: rss < 40.0,
            detail: format!(
                "highest {rss:.1} MB ({} on {})",
                which.scenario, which.service
            ),
        });
    }
    if let (Some(g), Some(c)) = (find(r, "graphql_task_by_id", "example"), cached) {
        let ratio = g.wrk.rps / c.wrk.rps;
        out.push(TargetCheck {
            target: "GraphQL single item ≥ 50 % of REST cached GET".into(),
            met: ratio >= 0.5,
            detail: format!(
                "{:.0} vs {:.0} req/s = {:.0} %; cache hits during the GraphQL run: {}",
                g.wrk.rps,
                c.wrk.rps,
                ratio * 100.0,
                g.cache_hits.map(|h| h.to_string()).unwrap_or("?".into())
            ),
        });
    }
    out
}

fn markdown(r: &[Measurement], checks: &[TargetCheck], meta: &BTreeMap<&str, String>) -> String {
    let mut s = String::new();
    s.push_str("# HTTP benchmark results\n\n");
    for (k, v) in meta {
        s.push_str(&format!("- {k}: {v}\n"));
    }
    s.push_str("\n| scenario | service | req/s (wrk) | vs | fixed rate → achieved | p50 ms | p99 ms | peak RSS MB | CPU cores | CPU µs/req | errors |\n");
    s.push_str("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for m in r {
        let (rate, p50, p99) = match &m.fixed {
            Some(f) => (
                format!(
                    "{:.0} → {:.0}{}",
                    f.target_rate,
                    f.achieved_rps,
                    if f.sustained {
                        String::new()
                    } else {
                        format!(" (not sustained; {} never sent)", f.missed)
                    }
                ),
                format!("{:.2}", f.p50_ms),
                format!("{:.2}", f.p99_ms),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let vs = match (&m.compared_to, m.ratio) {
            (Some(c), Some(x)) => format!("{x:.2}× {c}"),
            _ => "—".into(),
        };
        s.push_str(&format!(
            "| {} | {} | {:.0} | {} | {} | {} | {} | {:.1} | {:.2} | {:.1} | {} |\n",
            m.scenario,
            m.service,
            m.wrk.rps,
            vs,
            rate,
            p50,
            p99,
            m.peak_rss_mb,
            m.service_cpu_cores,
            m.service_cpu_us_per_req,
            m.errors()
        ));
    }
    s.push_str(
        "\nreq/s: wrk at saturation. p50/p99: the fixed-rate run, measured from each request's intended send time \
         (no coordinated omission). CPU cores and CPU µs/req: the service process during the wrk run (utime + stime). \
         Peak RSS: VmHWM of the service process, reset before the scenario. errors: non-2xx responses, socket errors \
         and timeouts in both runs.\n",
    );
    let steps: Vec<_> = r.iter().filter(|m| !m.stepdown.is_empty()).collect();
    if !steps.is_empty() {
        s.push_str(
            "\nStep-down (fixed rate lowered until p99 < 50 ms and the rate is sustained):\n\n",
        );
        s.push_str("| scenario | service | rate → achieved | p50 ms | p99 ms | rate sustained |\n|---|---|---:|---:|---:|---|\n");
        for m in steps {
            for f in &m.stepdown {
                s.push_str(&format!(
                    "| {} | {} | {:.0} → {:.0} | {:.2} | {:.2} | {} |\n",
                    m.scenario,
                    m.service,
                    f.target_rate,
                    f.achieved_rps,
                    f.p50_ms,
                    f.p99_ms,
                    if f.sustained { "yes" } else { "no" }
                ));
            }
        }
    }
    s.push_str("\nCPU and noise (cores; the machine has 2). wrk run: the service, wrk, and everything else on the machine (PostgreSQL for database scenarios, plus whatever else runs); fixed-rate run: the service and the generator:\n\n| scenario | service | wrk: service | wrk: wrk | wrk: other | fixed: service | fixed: generator | load avg before | cache hits / misses | audit records dropped |\n|---|---|---:|---:|---:|---:|---:|---|---|---:|\n");
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.2}")).unwrap_or("—".into());
    for m in r {
        s.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {} |\n",
            m.scenario,
            m.service,
            m.service_cpu_cores,
            m.generator_cpu_cores,
            m.other_cpu_cores,
            opt(m.fixed_service_cpu_cores),
            opt(m.fixed_generator_cpu_cores),
            m.loadavg_before,
            match (m.cache_hits, m.cache_misses) {
                (Some(h), Some(x)) => format!("{h} / {x}"),
                _ => "—".into(),
            },
            m.audit_dropped.map_or("—".into(), |d| d.to_string())
        ));
    }
    s.push_str("\nTargets:\n\n| target | met | measured |\n|---|---|---|\n");
    for c in checks {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            c.target,
            if c.met { "yes" } else { "**no**" },
            c.detail
        ));
    }
    s
}

// ---------------------------------------------------------------- main

fn main() {
    // `cargo bench` passes `--bench`; a name filter is not supported here.
    let settings = Settings::from_env();
    let paths = Paths::new();
    let (out_dir, logs) = (paths.out.clone(), paths.logs.clone());
    let lua = wrk::write_script(&out_dir);
    services::build_release(
        &paths,
        &["example-service", "resourceful-benches"],
        &["example-service", "baseline", "example-plain"],
    );
    let example_bin = paths.release_bin("example-service");
    let baseline_bin = paths.release_bin("baseline");
    let plain_bin = paths.release_bin("example-plain");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(auth::auth_headers())
        .build()
        .expect("client");
    let unix = services::unix_now();
    let schema = format!("bench_http_{unix}");

    // A fresh schema; the example service creates its tables there.
    let pool = rt.block_on(async {
        let pool = pg::connect(&settings.database_url).await;
        pg::create_schema(&pool, &schema).await;
        pool
    });
    println!("PostgreSQL schema {schema}");

    let db_env =
        |extra: &[(&'static str, &str)]| example_env(&settings.database_url, &schema, extra);

    // Services whose scenarios all read from the cache need few database
    // connections (the audit writer's, mostly). With every pool at 16,
    // eleven services passed PostgreSQL's `max_connections` (100 here), and
    // the uncached scenarios failed to connect.
    const SMALL_POOL: (&str, &str) = ("DATABASE_MAX_CONNECTIONS", "4");

    // `BENCH_ONLY=cached`: only the cached-read scenarios (a quick check).
    let only_cached = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "cached");
    // `BENCH_ONLY=create`: only the creates (group commit against the
    // hand-written insert and against the same service writing each alone).
    let only_create = std::env::var("BENCH_ONLY").is_ok_and(|v| v == "create");
    let mut bench = Bench {
        settings: settings.clone(),
        lua,
        rt,
        client: client.clone(),
        results: Vec::new(),
    };
    let started = Instant::now();
    {
        let mut example = spawn("example", &example_bin, &[], &db_env(&[]), &logs);
        bench
            .rt
            .block_on(wait_ready(&client, &mut example, "/health/ready"));
        let startup_rss = status_kb(example.pid(), "VmHWM:") as f64 / 1024.0;
        let (ids, pids) = bench.rt.block_on(seed::seed(&client, &example));
        println!("seeded {} tasks (ids {}..={}) in {} projects; example start-up peak RSS {startup_rss:.1} MB", ids.1 - ids.0 + 1, ids.0, ids.1, PROJECTS);

        let mut uncached = spawn(
            "example-uncached",
            &example_bin,
            &[],
            &db_env(&[("API_OPTIMIZATION_ENABLED", "false")]),
            &logs,
        );
        // Batching on, but a one-entry cache: (almost) every lookup misses and goes to the batcher.
        let mut batched = spawn(
            "example-batched",
            &example_bin,
            &[],
            &db_env(&[("CACHE_MAX_ENTRIES", "1")]),
            &logs,
        );
        let mut logged = spawn(
            "example-access-log",
            &example_bin,
            &[],
            &db_env(&[SMALL_POOL, ("RUST_LOG", "info,sqlx=warn")]),
            &logs,
        );
        let mut executed = spawn(
            "example-gql-executed",
            &example_bin,
            &[],
            &db_env(&[SMALL_POOL, ("GRAPHQL_RESPONSE_CACHE", "false")]),
            &logs,
        );
        // The audit trail off: what recording every request costs.
        let mut unaudited = spawn(
            "example-no-audit",
            &example_bin,
            &[],
            &db_env(&[SMALL_POOL, ("AUDIT_ENABLED", "false")]),
            &logs,
        );
        let mut ungrouped = spawn(
            "example-ungrouped",
            &example_bin,
            &[],
            &db_env(&[("GROUP_COMMIT_MAX", "0")]),
            &logs,
        );
        // Rate limits shared through Redis: with token leases (the default)
        // and with one round trip per request, against `example` (in process).
        let redis_url =
            std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let redis_prefix = format!("bench-{}", std::process::id());
        let mut shared = spawn(
            "example-redis-leased",
            &example_bin,
            &[],
            &db_env(&[
                SMALL_POOL,
                ("REDIS_URL", redis_url.as_str()),
                ("REDIS_KEY_PREFIX", redis_prefix.as_str()),
            ]),
            &logs,
        );
        let mut exact = spawn(
            "example-redis-exact",
            &example_bin,
            &[],
            &db_env(&[
                SMALL_POOL,
                ("REDIS_URL", redis_url.as_str()),
                ("REDIS_KEY_PREFIX", redis_prefix.as_str()),
                ("RATE_LIMIT_LEASE_PERCENT", "0"),
            ]),
            &logs,
        );
        // Creates without the audit trail (what group commit gives against
        // the hand-written insert, which writes no trail): a full pool, so
        // it is started once the uncached scenarios gave theirs back.
        let unaudited_creates = |bench: &mut Bench, create: &Spec, baseline: usize| {
            let mut writer = spawn(
                "example-no-audit-writes",
                &example_bin,
                &[],
                &db_env(&[("AUDIT_ENABLED", "false")]),
                &logs,
            );
            bench
                .rt
                .block_on(wait_ready(&client, &mut writer, "/health/ready"));
            let nc = bench.saturate(
                "create",
                "POST /v1/tasks, group commit, audit trail off (AUDIT_ENABLED=false)",
                &writer,
                create,
                true,
            );
            bench.compare(nc, baseline);
        };
        let mut baseline = spawn("baseline", &baseline_bin, &[], &db_env(&[]), &logs);
        let mut bare = spawn("bare-axum", &baseline_bin, &["--hello-only"], &[], &logs);
        let mut plain = spawn(
            "example-plain",
            &plain_bin,
            &[],
            &db_env(&[SMALL_POOL]),
            &logs,
        );
        for (svc, path) in [
            (&mut plain, "/health/ready"),
            (&mut uncached, "/health/ready"),
            (&mut batched, "/health/ready"),
            (&mut logged, "/health/ready"),
            (&mut executed, "/health/ready"),
            (&mut unaudited, "/health/ready"),
            (&mut ungrouped, "/health/ready"),
            (&mut shared, "/health/ready"),
            (&mut exact, "/health/ready"),
            (&mut baseline, "/hello"),
            (&mut bare, "/hello"),
        ] {
            bench.rt.block_on(wait_ready(&client, svc, path));
        }

        let spec = |method: Method, path: &str, body: Option<&str>| Spec {
            method,
            path: path.into(),
            body: body.map(String::from),
            ids,
            pids,
        };
        let get_one = spec(Method::GET, "/v1/tasks/{id}", None);
        let hello = spec(Method::GET, "/hello", None);
        let list = spec(Method::GET, "/v1/tasks?project_id={pid}&limit=50", None);
        let gql = spec(
            Method::POST,
            "/graphql",
            Some(
                r#"{"query":"{ task(id: {id}) { id title notes status done priority estimate_hours project_id due_at created_at updated_at } }"}"#,
            ),
        );
        let create = spec(
            Method::POST,
            "/v1/tasks",
            Some(
                r#"{"title":"Created under load {id}","status":"todo","done":false,"priority":3,"estimate_hours":1.5,"project_id":{pid}}"#,
            ),
        );
        let update = spec(
            Method::PATCH,
            "/v1/tasks/{id}",
            Some(r#"{"notes":"patched under load {pid}"}"#),
        );
        let rate = settings.rate;
        let frac = settings.fixed_fraction;

        if only_create {
            let bc = bench.saturate(
                "create",
                "hand-written INSERT … RETURNING",
                &baseline,
                &create,
                false,
            );
            let ec = bench.saturate(
                "create",
                "POST /v1/tasks, full stack, group commit",
                &example,
                &create,
                true,
            );
            let uc = bench.saturate(
                "create",
                "POST /v1/tasks, full stack, each create alone (GROUP_COMMIT_MAX=0)",
                &ungrouped,
                &create,
                true,
            );
            bench.compare(ec, bc);
            bench.compare(uc, bc);
            bench.compare(ec, uc);
            unaudited_creates(&mut bench, &create, bc);
            let bu = bench.saturate(
                "update",
                "hand-written UPDATE … RETURNING",
                &baseline,
                &update,
                false,
            );
            let eu = bench.saturate(
                "update",
                "PATCH /v1/tasks/{id}, full stack, group commit",
                &example,
                &update,
                true,
            );
            let uu = bench.saturate(
                "update",
                "PATCH /v1/tasks/{id}, full stack, each alone (GROUP_COMMIT_MAX=0)",
                &ungrouped,
                &update,
                true,
            );
            bench.compare(eu, bu);
            bench.compare(uu, bu);
            bench.compare(eu, uu);
        } else {
            // 1. Cached reads against the ceiling, both at the fixed target rate.
            let h = bench.saturate(
                "hello",
                "bare axum JSON handler, no middleware (ceiling)",
                &bare,
                &hello,
                false,
            );
            bench.fixed(h, &bare, &hello, rate, settings.stepdown);
            let hello_task = spec(Method::GET, "/hello-task", None);
            let ht = bench.saturate(
                "hello_task",
                "bare axum handler sending a task-sized JSON body from memory",
                &bare,
                &hello_task,
                false,
            );
            bench.compare(ht, h);
            let c = bench.saturate(
                "get_by_id_cached",
                "GET /v1/tasks/{id}, full stack, cache on",
                &example,
                &get_one,
                true,
            );
            bench.fixed(c, &example, &get_one, rate, settings.stepdown);
            bench.compare(c, h);
            let p = bench.saturate(
                "get_by_id_cached",
                "same resources without the example's hooks, route and compression layer",
                &plain,
                &get_one,
                true,
            );
            bench.compare(p, h);
            let na = bench.saturate(
                "get_by_id_cached",
                "same, audit trail off (AUDIT_ENABLED=false)",
                &unaudited,
                &get_one,
                true,
            );
            bench.compare(na, h);
            bench.compare(c, na);
            let l = bench.saturate(
                "get_by_id_cached",
                "same, with the info access log on (JSON lines to /dev/null)",
                &logged,
                &get_one,
                true,
            );
            bench.compare(l, c);
            let sl = bench.saturate(
                "get_by_id_cached",
                "same, rate limits shared through Redis (token leases, RATE_LIMIT_LEASE_PERCENT=5)",
                &shared,
                &get_one,
                true,
            );
            bench.compare(sl, c);
            let se = bench.saturate(
                "get_by_id_cached",
                "same, rate limits shared through Redis, one round trip per request (RATE_LIMIT_LEASE_PERCENT=0)",
                &exact,
                &get_one,
                true,
            );
            bench.compare(se, c);

            if !only_cached {
                // 2. GraphQL single item (cached instance). A 200 can still carry
                // errors, so one response is checked before it is measured.
                bench.rt.block_on(async {
                    let body = gql
                        .body
                        .as_deref()
                        .expect("query")
                        .replace("{id}", &ids.0.to_string());
                    let r = client
                        .post(format!("http://{}/graphql", example.addr))
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("graphql");
                    let v: serde_json::Value = r.json().await.expect("graphql json");
                    assert!(
                        v.get("errors").is_none() && v["data"]["task"].is_object(),
                        "the GraphQL query fails: {v}"
                    );
                });
                let g = bench.saturate(
                    "graphql_task_by_id",
                    "POST /graphql { task(id) { all fields } }",
                    &example,
                    &gql,
                    true,
                );
                let grate = (bench.results[g].wrk.rps * frac).round();
                bench.fixed(g, &example, &gql, grate, false);
                bench.compare(g, c);
                let e = bench.saturate("graphql_task_by_id", "same, GRAPHQL_RESPONSE_CACHE=false: parsed, validated, resolved through the item cache", &executed, &gql, true);
                bench.compare(e, c);

                // 3. Uncached GET by id on PostgreSQL vs the hand-written baseline.
                let b = bench.saturate(
                    "get_by_id_uncached",
                    "hand-written axum + sqlx, one query per request",
                    &baseline,
                    &get_one,
                    false,
                );
                let u = bench.saturate(
                    "get_by_id_uncached",
                    "GET /v1/tasks/{id}, API_OPTIMIZATION_ENABLED=false",
                    &uncached,
                    &get_one,
                    true,
                );
                let x = bench.saturate(
                    "get_by_id_uncached",
                    "cache capacity 1, id batching on",
                    &batched,
                    &get_one,
                    true,
                );
                let urate = (bench.results[u].wrk.rps.min(bench.results[b].wrk.rps) * frac).round();
                bench.fixed(b, &baseline, &get_one, urate, false);
                bench.fixed(u, &uncached, &get_one, urate, false);
                bench.fixed(x, &batched, &get_one, urate, false);
                bench.compare(u, b);
                bench.compare(x, b);

                // 4. A list page of 50.
                let bl = bench.saturate(
                    "list_50",
                    "hand-written: WHERE project_id ORDER BY id LIMIT 51",
                    &baseline,
                    &list,
                    false,
                );
                let ul = bench.saturate(
                    "list_50",
                    "GET /v1/tasks?project_id=&limit=50, uncached",
                    &uncached,
                    &list,
                    true,
                );
                let cl = bench.saturate(
                    "list_50",
                    "same, cache on (5 distinct pages)",
                    &example,
                    &list,
                    true,
                );
                let lrate =
                    (bench.results[ul].wrk.rps.min(bench.results[bl].wrk.rps) * frac).round();
                bench.fixed(bl, &baseline, &list, lrate, false);
                bench.fixed(ul, &uncached, &list, lrate, false);
                bench.fixed(cl, &example, &list, lrate, false);
                bench.compare(ul, bl);
                bench.compare(cl, bl);

                // 5. Creates (last: they add rows and invalidate caches).
                let bc = bench.saturate(
                    "create",
                    "hand-written INSERT … RETURNING",
                    &baseline,
                    &create,
                    false,
                );
                let ec = bench.saturate(
                    "create",
                    "POST /v1/tasks, full stack (transaction, validation, invalidation)",
                    &example,
                    &create,
                    true,
                );
                let crate_ =
                    (bench.results[ec].wrk.rps.min(bench.results[bc].wrk.rps) * frac).round();
                bench.fixed(bc, &baseline, &create, crate_, false);
                bench.fixed(ec, &example, &create, crate_, false);
                bench.compare(ec, bc);
                let uc = bench.saturate(
                    "create",
                    "same, each create alone (GROUP_COMMIT_MAX=0)",
                    &ungrouped,
                    &create,
                    true,
                );
                bench.compare(ec, uc);
                // Done with: their pools' connections go back to PostgreSQL.
                drop((uncached, batched));
                unaudited_creates(&mut bench, &create, bc);
            }
        }
        // Services stop here (dropped in reverse order).
    }
    if std::env::var_os("BENCH_KEEP_SCHEMA").is_none() {
        bench.rt.block_on(pg::drop_schema(&pool, &schema));
    }

    let checks = targets(&bench.results, settings.rate);
    let mut meta = BTreeMap::new();
    meta.insert(
        "command",
        "cargo bench -p resourceful-benches --bench http".to_string(),
    );
    meta.insert("date (UTC, unix)", unix.to_string());
    meta.insert(
        "machine",
        format!(
            "{}; services and load generators share them",
            procfs::machine()
        ),
    );
    meta.insert(
        "settings",
        format!(
            "{} s per run after {} s warm-up; wrk -t{} -c{}; fixed-rate generator {} connections; cached reads fixed at {:.0}/s, other scenarios at {:.0} % of the slower side's wrk throughput",
            settings.secs, settings.warmup_secs, settings.wrk_threads, settings.wrk_conns, settings.fixed_conns, settings.rate, settings.fixed_fraction * 100.0
        ),
    );
    meta.insert("data", format!("PostgreSQL, fresh schema, {PROJECTS} projects × {TASKS_PER_PROJECT} tasks seeded through the example's REST API"));
    meta.insert("example service env", format!("RATE_LIMIT_READ/WRITE/GRAPHQL={UNLIMITED} (limiter on, never refusing), RUST_LOG=warn, DATABASE_MAX_CONNECTIONS=16 (baseline pool 16 too)"));
    meta.insert(
        "total time",
        format!("{:.0} s", started.elapsed().as_secs_f64()),
    );
    let md = markdown(&bench.results, &checks, &meta);
    println!("\n{md}");

    let json = serde_json::json!({
        "meta": meta,
        "settings": settings,
        "results": bench.results,
        "targets": checks,
    });
    let json_text = serde_json::to_string_pretty(&json).expect("json");
    std::fs::write(out_dir.join(format!("http-{unix}.json")), &json_text).expect("write json");
    std::fs::write(out_dir.join("latest.json"), &json_text).expect("write json");
    std::fs::write(out_dir.join("latest.md"), &md).expect("write md");
    let _ = std::io::stdout().flush();
    println!("results: {}", out_dir.join("latest.md").display());
}
