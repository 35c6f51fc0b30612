//! A fixed-rate HTTP/1.1 load generator that does not suffer from
//! coordinated omission.
//!
//! Every request has an intended send time on a fixed schedule
//! (`start + n / rate`, spread over the connections). Latency is measured
//! from that intended time, so a stalled server is charged for every request
//! it delayed, not only for the one it was slow on (the wrk2 method). The
//! latency from the actual send time is recorded too.
//!
//! It is lean on purpose, like wrk: it shares the machine's cores with the
//! service it measures, so every microsecond it spends is taken from the
//! service. Requests are written from a reused buffer on raw keep-alive
//! sockets and responses are framed with `httparse` (Content-Length or
//! chunked); each thread runs a current-thread runtime with its share of
//! the connections, and the only timer per request is the pacing sleep.
//!
//! Bounded: nothing is sent after `duration`; a connection that is still
//! behind schedule `GRACE` after the end stops and counts what it did not
//! send as `missed` (the rate was not sustained).

use hdrhistogram::Histogram;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// How long after the end a lagging connection may keep going.
const GRACE: Duration = Duration::from_secs(2);

/// What to send. `{id}` and `{pid}` in `path` and `body` are replaced by a
/// random id from `ids` and a random project id from `pids`.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub method: hyper::Method,
    pub path: String,
    pub body: Option<String>,
    pub ids: (i64, i64),
    pub pids: (i64, i64),
    /// Extra header lines, each ending in CRLF (e.g. `authorization`).
    pub headers: String,
}

impl Target {
    fn fill(&self, template: &str, rng: &mut Rng, out: &mut Vec<u8>) {
        use std::io::Write;
        let mut rest = template;
        while let Some(i) = rest.find('{') {
            out.extend_from_slice(&rest.as_bytes()[..i]);
            let tail = &rest[i..];
            if let Some(t) = tail.strip_prefix("{id}") {
                let _ = write!(out, "{}", rng.range(self.ids));
                rest = t;
            } else if let Some(t) = tail.strip_prefix("{pid}") {
                let _ = write!(out, "{}", rng.range(self.pids));
                rest = t;
            } else {
                out.push(b'{');
                rest = &tail[1..];
            }
        }
        out.extend_from_slice(rest.as_bytes());
    }

    /// Writes one whole request into `out` (cleared first).
    fn request(&self, rng: &mut Rng, out: &mut Vec<u8>, body: &mut Vec<u8>) {
        use std::io::Write;
        out.clear();
        body.clear();
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        self.fill(&self.path, rng, out);
        let _ = write!(out, " HTTP/1.1\r\nhost: {}\r\n{}", self.addr, self.headers);
        if let Some(t) = &self.body {
            self.fill(t, rng, body);
            let _ = write!(
                out,
                "content-type: application/json\r\ncontent-length: {}\r\n",
                body.len()
            );
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
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

/// Latencies are kept as raw samples (µs) per connection and put into one
/// histogram at the end: a histogram per connection is ~140 KB, gigabytes
/// at 10 000 connections.
struct ConnStats {
    intended: Vec<u32>,
    service: Vec<u32>,
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

fn micros(d: Duration) -> u32 {
    d.as_micros().clamp(1, u32::MAX as u128) as u32
}

/// Values beyond the histogram's bound (60 s) are dropped.
fn record_all(h: &mut Histogram<u64>, samples: &[u32]) {
    for &v in samples {
        let _ = h.record(v as u64);
    }
}

async fn connect(addr: SocketAddr) -> Option<TcpStream> {
    let stream = TcpStream::connect(addr).await.ok()?;
    let _ = stream.set_nodelay(true);
    Some(stream)
}

/// Reads one response into `buf` (cleared first) and returns its status.
/// `None` on a closed or malformed connection.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<u16> {
    buf.clear();
    let (status, head_len, framing) = loop {
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity().max(4096));
        }
        let n = stream.read_buf(buf).await.ok()?;
        if n == 0 {
            return None;
        }
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut res = httparse::Response::new(&mut headers);
        match res.parse(buf).ok()? {
            httparse::Status::Partial => continue,
            httparse::Status::Complete(len) => {
                let mut framing = Framing::Length(0);
                for h in res.headers.iter() {
                    if h.name.eq_ignore_ascii_case("content-length") {
                        framing = Framing::Length(
                            std::str::from_utf8(h.value).ok()?.trim().parse().ok()?,
                        );
                    } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                        && h.value.eq_ignore_ascii_case(b"chunked")
                    {
                        framing = Framing::Chunked;
                    }
                }
                break (res.code?, len, framing);
            }
        }
    };
    loop {
        let done = match framing {
            Framing::Length(n) => buf.len() >= head_len + n,
            // Bodies here are small; the last chunk ends the message.
            Framing::Chunked => buf[head_len..].ends_with(b"0\r\n\r\n"),
        };
        if done {
            return Some(status);
        }
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity().max(4096));
        }
        if stream.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}

#[derive(Clone, Copy)]
enum Framing {
    Length(usize),
    Chunked,
}

async fn one_connection(
    target: Arc<Target>,
    index: usize,
    rate: f64,
    conns: usize,
    start: Instant,
    duration: Duration,
) -> ConnStats {
    let interval = Duration::from_secs_f64(conns as f64 / rate);
    let offset = Duration::from_secs_f64(index as f64 / rate);
    let end = start + duration;
    let hard_end = end + GRACE;
    let mut rng = Rng::new(index as u64 + 1);
    let mut st = ConnStats {
        intended: Vec::new(),
        service: Vec::new(),
        sent: 0,
        ok: 0,
        non2xx: 0,
        errors: 0,
        missed: 0,
        last_done: start,
    };
    let (mut req, mut body, mut buf) = (
        Vec::with_capacity(512),
        Vec::new(),
        Vec::with_capacity(16 * 1024),
    );
    let mut stream = connect(target.addr).await;
    // One deadline for the whole run, registered once: a request still
    // unanswered at the hard end is an error.
    let deadline = tokio::time::sleep_until(hard_end);
    tokio::pin!(deadline);
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
        let Some(s) = stream.as_mut() else {
            st.errors += 1;
            stream = connect(target.addr).await;
            continue;
        };
        target.request(&mut rng, &mut req, &mut body);
        let sent_at = Instant::now();
        st.sent += 1;
        let res = tokio::select! {
            r = async {
                s.write_all(&req).await.ok()?;
                read_response(s, &mut buf).await
            } => r,
            _ = &mut deadline => None,
        };
        let done = Instant::now();
        st.intended.push(micros(done - intended));
        match res {
            Some(status) => {
                if (200..300).contains(&status) {
                    st.ok += 1;
                } else {
                    st.non2xx += 1;
                }
                st.service.push(micros(done - sent_at));
            }
            None => {
                st.errors += 1;
                stream = if done < hard_end {
                    connect(target.addr).await
                } else {
                    None
                };
            }
        }
        st.last_done = done;
    }
    st
}

/// Sends `rate` requests per second for `duration` over `conns` keep-alive
/// connections, spread over `threads` single-threaded runtimes, and reports
/// what happened.
pub fn run(
    target: Target,
    rate: f64,
    conns: usize,
    threads: usize,
    duration: Duration,
) -> FixedRateResult {
    let target = Arc::new(target);
    let threads = threads.clamp(1, conns.max(1));
    // Open every connection before the clock starts: 300 ms, more for
    // thousands of connections (0.5 ms each, so a handshake dropped at a
    // full accept queue has its retry in time: 5 s for 10 000).
    let lead = Duration::from_millis(300).max(Duration::from_micros(500 * conns as u64));
    let start = std::time::Instant::now() + lead;
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let target = target.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    let start = Instant::from_std(start);
                    let tasks: Vec<_> = (t..conns)
                        .step_by(threads)
                        .map(|i| {
                            tokio::spawn(one_connection(
                                target.clone(),
                                i,
                                rate,
                                conns,
                                start,
                                duration,
                            ))
                        })
                        .collect();
                    let mut out = Vec::with_capacity(tasks.len());
                    for h in tasks {
                        out.push(h.await.expect("connection task"));
                    }
                    out
                })
            })
        })
        .collect();
    let mut intended = histogram();
    let mut service = histogram();
    let (mut sent, mut ok, mut non2xx, mut errors, mut missed) = (0, 0, 0, 0, 0);
    let start = Instant::from_std(start);
    let mut last = start;
    for w in workers {
        for st in w.join().expect("load thread") {
            record_all(&mut intended, &st.intended);
            record_all(&mut service, &st.service);
            sent += st.sent;
            ok += st.ok;
            non2xx += st.non2xx;
            errors += st.errors;
            missed += st.missed;
            last = last.max(st.last_done);
        }
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
