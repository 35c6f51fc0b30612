//! A fixed-rate HTTP/1.1 load generator that does not suffer from
//! coordinated omission.
//!
//! Every request has an intended send time on a fixed schedule
//! (`start + n / rate`, spread over the connections). Latency is measured
//! from that intended time, so a stalled server is charged for every request
//! it delayed, not only for the one it was slow on (the wrk2 method). The
//! latency from the actual send time is recorded too.
//!
//! Bounded: nothing is sent after `duration`; a connection that is still
//! behind schedule `GRACE` after the end stops and counts what it did not
//! send as `missed` (the rate was not sustained).

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// How long after the end a lagging connection may keep going.
const GRACE: Duration = Duration::from_secs(2);
/// Longest wait for one response.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What to send. `{id}` and `{pid}` in `path` and `body` are replaced by a
/// random id from `ids` and a random project id from `pids`.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub method: Method,
    pub path: String,
    pub body: Option<String>,
    pub ids: (i64, i64),
    pub pids: (i64, i64),
}

impl Target {
    fn fill(&self, template: &str, rng: &mut Rng) -> String {
        let mut s = template.to_string();
        if s.contains("{id}") {
            s = s.replace("{id}", &rng.range(self.ids).to_string());
        }
        if s.contains("{pid}") {
            s = s.replace("{pid}", &rng.range(self.pids).to_string());
        }
        s
    }

    fn request(&self, rng: &mut Rng) -> Request<Full<Bytes>> {
        let mut b = Request::builder().method(self.method.clone()).uri(self.fill(&self.path, rng)).header("host", self.addr.to_string());
        let body = match &self.body {
            Some(t) => {
                b = b.header("content-type", "application/json");
                Bytes::from(self.fill(t, rng))
            }
            None => Bytes::new(),
        };
        b.body(Full::new(body)).expect("valid request")
    }
}

/// xorshift64*: cheap, deterministic per connection.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn range(&mut self, (lo, hi): (i64, i64)) -> i64 {
        lo + (self.next() % ((hi - lo + 1).max(1) as u64)) as i64
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FixedRateResult {
    pub target_rate: f64,
    pub connections: usize,
    pub duration_s: f64,
    pub sent: u64,
    pub completed: u64,
    pub ok_2xx: u64,
    pub non_2xx: u64,
    pub errors: u64,
    /// Scheduled but never sent: the rate was not sustained.
    pub missed: u64,
    pub achieved_rps: f64,
    /// Latency from the intended send time (coordinated-omission corrected), ms.
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Latency from the actual send time, ms.
    pub service_p50_ms: f64,
    pub service_p99_ms: f64,
    /// The schedule was kept: nothing missed, no errors, ≥ 97 % of the rate.
    pub sustained: bool,
}

struct ConnStats {
    intended: Histogram<u64>,
    service: Histogram<u64>,
    sent: u64,
    ok: u64,
    non2xx: u64,
    errors: u64,
    missed: u64,
    last_done: Instant,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("bounds")
}

async fn connect(addr: SocketAddr) -> Option<http1::SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr).await.ok()?;
    let _ = stream.set_nodelay(true);
    let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Some(sender)
}

async fn one_connection(target: Arc<Target>, index: usize, rate: f64, conns: usize, start: Instant, duration: Duration) -> ConnStats {
    let interval = Duration::from_secs_f64(conns as f64 / rate);
    let offset = Duration::from_secs_f64(index as f64 / rate);
    let end = start + duration;
    let hard_end = end + GRACE;
    let mut rng = Rng::new(index as u64 + 1);
    let mut st = ConnStats {
        intended: histogram(),
        service: histogram(),
        sent: 0,
        ok: 0,
        non2xx: 0,
        errors: 0,
        missed: 0,
        last_done: start,
    };
    let mut sender = connect(target.addr).await;
    let mut n: u64 = 0;
    loop {
        let intended = start + offset + interval * n as u32;
        if intended >= end {
            break;
        }
        let now = Instant::now();
        if now >= hard_end {
            // Behind schedule past the grace period: the rest was never sent.
            let left = (end - intended).as_secs_f64() / interval.as_secs_f64();
            st.missed += left.ceil() as u64;
            break;
        }
        if now < intended {
            tokio::time::sleep_until(intended).await;
        }
        n += 1;
        let s = match sender.as_mut() {
            Some(s) => s,
            None => {
                st.errors += 1;
                sender = connect(target.addr).await;
                continue;
            }
        };
        let req = target.request(&mut rng);
        let sent_at = Instant::now();
        st.sent += 1;
        let res = tokio::time::timeout(REQUEST_TIMEOUT, async {
            s.ready().await?;
            let res = s.send_request(req).await?;
            let status = res.status();
            res.into_body().collect().await?;
            Ok::<_, hyper::Error>(status)
        })
        .await;
        let done = Instant::now();
        match res {
            Ok(Ok(status)) => {
                if status.is_success() {
                    st.ok += 1;
                } else {
                    st.non2xx += 1;
                }
                let _ = st.intended.record((done - intended).as_micros().max(1) as u64);
                let _ = st.service.record((done - sent_at).as_micros().max(1) as u64);
            }
            _ => {
                st.errors += 1;
                // Charge the failure as a timeout-length latency and reconnect.
                let _ = st.intended.record((done - intended).as_micros().max(1) as u64);
                sender = connect(target.addr).await;
            }
        }
        st.last_done = done;
    }
    st
}

/// Sends `rate` requests per second for `duration` over `conns` keep-alive
/// connections and reports what happened.
pub async fn run(target: Target, rate: f64, conns: usize, duration: Duration) -> FixedRateResult {
    let target = Arc::new(target);
    // Open every connection before the clock starts.
    let start = Instant::now() + Duration::from_millis(300);
    let handles: Vec<_> = (0..conns)
        .map(|i| tokio::spawn(one_connection(target.clone(), i, rate, conns, start, duration)))
        .collect();
    let mut intended = histogram();
    let mut service = histogram();
    let (mut sent, mut ok, mut non2xx, mut errors, mut missed) = (0, 0, 0, 0, 0);
    let mut last = start;
    for h in handles {
        let st = h.await.expect("connection task");
        intended.add(&st.intended).expect("same bounds");
        service.add(&st.service).expect("same bounds");
        sent += st.sent;
        ok += st.ok;
        non2xx += st.non2xx;
        errors += st.errors;
        missed += st.missed;
        last = last.max(st.last_done);
    }
    let elapsed = (last - start).as_secs_f64().max(duration.as_secs_f64());
    let completed = ok + non2xx;
    let achieved = completed as f64 / elapsed;
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    FixedRateResult {
        target_rate: rate,
        connections: conns,
        duration_s: duration.as_secs_f64(),
        sent,
        completed,
        ok_2xx: ok,
        non_2xx: non2xx,
        errors,
        missed,
        achieved_rps: achieved,
        p50_ms: ms(&intended, 0.5),
        p90_ms: ms(&intended, 0.9),
        p99_ms: ms(&intended, 0.99),
        p999_ms: ms(&intended, 0.999),
        max_ms: intended.max() as f64 / 1000.0,
        service_p50_ms: ms(&service, 0.5),
        service_p99_ms: ms(&service, 0.99),
        sustained: missed == 0 && errors == 0 && achieved >= 0.97 * rate,
    }
}
