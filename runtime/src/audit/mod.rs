//! The audit trail: who did what, durable in the service's own database
//! (`resourceful_audit_batch`, many records a row) and hash-chained so
//! tampering shows.
//!
//! Every request's record (time, request id, subject, issuer, client id,
//! roles, method, route template, resource and id, status, latency, peer)
//! is queued by the gate and written in batches off the request path; the
//! queue is bounded (`AUDIT_QUEUE`), and what happens when it is full is
//! configured (`AUDIT_ON_FULL`: `drop` counts and drops, `reject` answers
//! 503 until there is room) and counted (`audit_records_dropped_total`).
//! A write's own records (`kind = change`, one batch a transaction) are
//! inserted in the write's transaction, so a committed change never lacks
//! its record, and are linked into the chain later; request batches are
//! linked as they are written (one sealer at a time, so the chain has one
//! tail). Shutdown flushes the queue and seals what is left. `verify`
//! recomputes the chain.

pub mod batch;
pub mod chain;
mod legacy;
mod request;
pub mod store;

use crate::store::{Db, Tx};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

pub use request::{item_segment, RequestEntry};
pub use store::{Filter, Verification};

/// One audit record.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Record {
    /// RFC 3339, UTC, microseconds.
    pub at: String,
    /// `request` (every request) or `change` (a committed write).
    pub kind: String,
    pub request_id: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// Comma-separated.
    pub roles: Option<String>,
    pub method: Option<String>,
    pub route: Option<String>,
    pub resource: Option<String>,
    pub record_id: Option<String>,
    /// `create`, `update` or `delete` for changes.
    pub action: Option<String>,
    pub status: Option<i64>,
    pub latency_ms: Option<f64>,
    pub peer: Option<String>,
}

pub fn now() -> String {
    format_time(std::time::SystemTime::now())
}

/// RFC 3339, UTC, microseconds (fixed width: text order is time order).
pub fn format_time(t: std::time::SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What the queue carries: a request's parts (rendered by the writer) or
/// a record made elsewhere (boxed: a queue slot is sized for the larger).
enum Queued {
    Request(RequestEntry),
    Record(Box<Record>),
}

impl Queued {
    fn render(self) -> Record {
        match self {
            Queued::Request(e) => e.render(),
            Queued::Record(r) => *r,
        }
    }
}

/// `AUDIT_ENABLED`, `AUDIT_QUEUE`, `AUDIT_ON_FULL`.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditSettings {
    pub enabled: bool,
    pub queue: usize,
    pub reject_when_full: bool,
    /// How long records wait for more before a batch is written.
    pub flush_every: Duration,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            enabled: true,
            // About 1 KiB a record: a full queue is some 16 MiB.
            queue: 16_384,
            reject_when_full: false,
            flush_every: Duration::from_millis(200),
        }
    }
}

impl AuditSettings {
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<AuditSettings, String> {
        let mut s = AuditSettings::default();
        if let Some(v) = get("AUDIT_ENABLED") {
            s.enabled = match v.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(format!("AUDIT_ENABLED={v:?}: use true or false")),
            };
        }
        if let Some(v) = get("AUDIT_QUEUE") {
            s.queue = v
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("AUDIT_QUEUE={v:?} is not a positive number"))?;
        }
        if let Some(v) = get("AUDIT_ON_FULL") {
            s.reject_when_full = match v.trim() {
                "drop" => false,
                "reject" => true,
                _ => return Err(format!("AUDIT_ON_FULL={v:?}: use drop or reject")),
            };
        }
        Ok(s)
    }
}

/// The queue to the writer and its counters.
pub struct Auditor {
    db: Db,
    tx: mpsc::Sender<Queued>,
    settings: AuditSettings,
    dropped: AtomicU64,
    /// Records queued and not yet written (or given up): what a flush
    /// waits for.
    outstanding: AtomicU64,
}

impl Auditor {
    /// Creates the table and starts the writer.
    pub async fn start(db: Db, settings: AuditSettings) -> Result<Arc<Auditor>, sqlx::Error> {
        store::ensure_table(&db).await?;
        let (tx, rx) = mpsc::channel(settings.queue);
        let a = Arc::new(Auditor {
            db,
            tx,
            settings,
            dropped: AtomicU64::new(0),
            outstanding: AtomicU64::new(0),
        });
        // Ends when the auditor is dropped.
        tokio::spawn(write_batches(Arc::downgrade(&a), rx));
        Ok(a)
    }

    /// Queues a record; never waits.
    pub fn record(&self, r: Record) {
        self.queue(Queued::Record(Box::new(r)));
    }

    /// Queues a request's record, rendered by the writer; never waits.
    pub fn record_request(&self, e: RequestEntry) {
        self.queue(Queued::Request(e));
    }

    fn queue(&self, q: Queued) {
        self.outstanding.fetch_add(1, Ordering::Relaxed);
        if self.tx.try_send(q).is_err() {
            self.outstanding.fetch_sub(1, Ordering::Relaxed);
            self.dropped.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(crate::observe::names::AUDIT_DROPPED).increment(1);
        }
    }

    /// With `AUDIT_ON_FULL=reject`: whether requests must wait for room.
    pub fn refuses(&self) -> bool {
        self.settings.reject_when_full && self.tx.capacity() == 0
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A write's record, in the write's own transaction.
    pub async fn record_change(tx: &mut Tx, r: &Record) -> Result<(), sqlx::Error> {
        store::insert_in(tx, r).await
    }

    /// Writes what is queued and seals everything (tests, tools).
    pub async fn flush(&self) -> Result<(), sqlx::Error> {
        self.flush_within(Duration::from_secs(3600)).await
    }

    /// Writes what is queued and seals what it can within `limit`
    /// (shutdown: the grace period bounds it; records left unsealed are
    /// stored already, and the next process seals them).
    pub async fn flush_within(&self, limit: Duration) -> Result<(), sqlx::Error> {
        let deadline = tokio::time::Instant::now() + limit;
        while self.outstanding.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        while tokio::time::Instant::now() < deadline && store::seal(&self.db, 1000).await? > 0 {}
        Ok(())
    }

    pub async fn verify(&self) -> Result<Verification, sqlx::Error> {
        store::verify(&self.db).await
    }
}

/// Records a stored batch gathers at most.
const GATHER: usize = 1000;

/// Takes what the queue holds, gathering up to [`GATHER`] records for
/// `flush_every` at most, and writes them sealed, one row; when nothing is
/// queued, seals what writes left. Written as they came, a loaded service
/// stored a row per few dozen records, and each row costs PostgreSQL
/// about what one of a thousand records does.
async fn write_batches(a: std::sync::Weak<Auditor>, mut rx: mpsc::Receiver<Queued>) {
    let mut queued = Vec::with_capacity(GATHER);
    let every = a
        .upgrade()
        .map_or(Duration::from_millis(200), |a| a.settings.flush_every);
    loop {
        let got = tokio::time::timeout(every, rx.recv_many(&mut queued, GATHER)).await;
        let Some(a) = a.upgrade() else { return };
        if matches!(got, Ok(0)) {
            return; // every sender is gone
        }
        if queued.is_empty() {
            if let Err(e) = store::seal(&a.db, 1000).await {
                tracing::warn!(error = %e, "audit records could not be sealed");
            }
            continue;
        }
        gather(&mut rx, &mut queued, every).await;
        let batch: Vec<Record> = queued.drain(..).map(Queued::render).collect();
        write(&a, &batch).await;
        a.outstanding
            .fetch_sub(batch.len() as u64, Ordering::Release);
    }
}

/// Fills `queued` up to [`GATHER`] records within `every`, looking at the
/// queue every few milliseconds: waiting on it instead woke the writer
/// once a request (a cross-thread wake-up each, 22 µs of the service's CPU
/// a request in the bench).
async fn gather(rx: &mut mpsc::Receiver<Queued>, queued: &mut Vec<Queued>, every: Duration) {
    let until = tokio::time::Instant::now() + every;
    let step = (every / 20).max(Duration::from_millis(1));
    while queued.len() + rx.len() < GATHER && tokio::time::Instant::now() < until && !rx.is_closed()
    {
        tokio::time::sleep(step).await;
    }
    while queued.len() < GATHER && !rx.is_empty() {
        let room = GATHER - queued.len();
        rx.recv_many(queued, room).await;
    }
}

/// Writes a batch sealed, or unsealed when sealing fails, or counts it
/// dropped.
async fn write(a: &Auditor, batch: &[Record]) {
    let Err(e) = store::insert_sealed(&a.db, batch).await else {
        return;
    };
    // Stored unsealed, the records are sealed by a later round.
    tracing::warn!(error = %e, records = batch.len(), "audit records could not be sealed as written");
    if let Err(e) = store::insert(&a.db, batch).await {
        tracing::warn!(error = %e, records = batch.len(), "audit records could not be written");
        a.dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
        metrics::counter!(crate::observe::names::AUDIT_DROPPED).increment(batch.len() as u64);
    }
}
