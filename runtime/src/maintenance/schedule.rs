//! The replica's view of the schedule: a snapshot swapped in without a
//! lock (the request path only loads a pointer), reloaded from the
//! database when told (Redis) or on a poll, and re-read every second so
//! windows start and end on time. The same tick records transitions
//! (`started`, `ended`) for the webhooks.

use super::store::{self, EventSink};
use super::webhooks::{self, Webhooks};
use super::window::{now_ms, rfc3339, Mode, Window};
use super::MaintenanceSettings;
use crate::error::{ApiError, Kind};
use crate::redis_conn::RedisHandle;
use crate::store::Db;
use arc_swap::ArcSwap;
use axum::http::{header, HeaderValue};
use futures::StreamExt;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::Notify;

/// What a request needs, computed once per change or second.
#[derive(Default)]
pub struct Snapshot {
    /// Every window ending after `now - recent`, by start (cancelled ones too).
    pub windows: Arc<Vec<Window>>,
    /// Not cancelled, not over, starting within the horizon: announced.
    pub live: Vec<Window>,
    /// The `Maintenance` field for `live`.
    pub header: Option<HeaderValue>,
    /// When `live` or the field next changes (a window enters the
    /// horizon, starts or ends); `i64::MAX`: never, as things stand.
    pub next_change: i64,
}

pub struct Schedule {
    db: Db,
    settings: MaintenanceSettings,
    /// Resource paths a window may name.
    resources: Vec<&'static str>,
    snapshot: ArcSwap<Snapshot>,
    redis: Option<Arc<RedisHandle>>,
    channel: String,
    reload: Arc<Notify>,
    /// Transitions this replica has seen (recorded or found recorded).
    noticed: Mutex<HashSet<(String, &'static str)>>,
    webhooks: Option<Arc<Webhooks>>,
}

/// Transitions older than this when first noticed (the service was down)
/// are not announced any more.
const STALE_MS: i64 = 3_600_000;

impl Schedule {
    /// Creates the tables, loads the schedule and starts the loops (they
    /// end when the schedule is dropped).
    pub async fn start(
        db: Db,
        settings: MaintenanceSettings,
        resources: Vec<&'static str>,
        redis: Option<Arc<RedisHandle>>,
    ) -> Result<Arc<Schedule>, sqlx::Error> {
        store::ensure_tables(&db).await?;
        let channel = redis
            .as_ref()
            .map(|r| format!("{}:maintenance", r.prefix))
            .unwrap_or_default();
        let webhooks = Webhooks::new(&settings).map(Arc::new);
        let s = Arc::new(Schedule {
            db,
            settings,
            resources,
            snapshot: ArcSwap::from_pointee(Snapshot::default()),
            redis,
            channel,
            reload: Arc::new(Notify::new()),
            noticed: Mutex::new(HashSet::new()),
            webhooks,
        });
        s.load().await?;
        s.notice_transitions(now_ms()).await;
        tokio::spawn(tick(Arc::downgrade(&s)));
        tokio::spawn(poll(Arc::downgrade(&s), s.reload.clone()));
        if s.redis.is_some() {
            tokio::spawn(listen(Arc::downgrade(&s)));
        }
        if let Some(w) = &s.webhooks {
            tokio::spawn(webhooks::deliver(w.clone(), s.db.clone()));
        }
        Ok(s)
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
    pub fn settings(&self) -> &MaintenanceSettings {
        &self.settings
    }
    pub fn resources(&self) -> &[&'static str] {
        &self.resources
    }

    pub fn snapshot(&self) -> arc_swap::Guard<Arc<Snapshot>> {
        self.snapshot.load()
    }

    /// The `Maintenance` field for this response, if a window is announced;
    /// recomputed when a boundary has passed since the last tick, so it
    /// agrees with the refusal of the same request.
    pub fn header(&self) -> Option<HeaderValue> {
        let snap = self.snapshot.load();
        if snap.next_change != i64::MAX {
            let now = now_ms();
            if now >= snap.next_change {
                self.recompute(snap.windows.clone(), now);
                return self.snapshot.load().header.clone();
            }
        }
        snap.header.clone()
    }

    /// 503 for a request outside the exempt routes during a `full` window.
    pub fn refuse_all(&self) -> Option<ApiError> {
        let snap = self.snapshot.load();
        if snap.live.is_empty() {
            return None;
        }
        let now = now_ms();
        snap.live
            .iter()
            .find(|w| w.mode == Mode::Full && w.is_active(now))
            .map(|w| refusal(w, now))
    }

    /// 503 for a write to `resource` during a window that covers it.
    pub fn refuse_write(&self, resource: &str) -> Option<ApiError> {
        let snap = self.snapshot.load();
        if snap.live.is_empty() {
            return None;
        }
        let now = now_ms();
        snap.live
            .iter()
            .find(|w| w.is_active(now) && w.affects(resource))
            .map(|w| refusal(w, now))
    }

    /// The announced windows, as GraphQL's `extensions.maintenance`.
    pub fn announced_json(&self) -> Option<serde_json::Value> {
        let snap = self.snapshot.load();
        if snap.live.is_empty() {
            return None;
        }
        let now = now_ms();
        Some(snap.live.iter().map(|w| w.to_json(now)).collect())
    }

    /// Reads the schedule from the database and recomputes the snapshot.
    pub async fn load(&self) -> Result<(), sqlx::Error> {
        let now = now_ms();
        let since = now - self.settings.recent.as_millis() as i64;
        let windows = store::since(&self.db, since).await?;
        self.recompute(Arc::new(windows), now);
        Ok(())
    }

    fn recompute(&self, windows: Arc<Vec<Window>>, now: i64) {
        let horizon = self.settings.horizon.as_millis() as i64;
        let live: Vec<Window> = windows
            .iter()
            .filter(|w| w.cancelled_at.is_none() && w.ends_at > now && w.starts_at <= now + horizon)
            .cloned()
            .collect();
        let header = super::header::field(&live.iter().collect::<Vec<_>>(), now);
        let next_change = windows
            .iter()
            .filter(|w| w.cancelled_at.is_none())
            .flat_map(|w| [w.starts_at - horizon, w.starts_at, w.ends_at])
            .filter(|t| *t > now)
            .min()
            .unwrap_or(i64::MAX);
        gauges(&windows, now);
        self.snapshot.store(Arc::new(Snapshot {
            windows,
            live,
            header,
            next_change,
        }));
    }

    /// After a change made here: reload, and tell the other replicas.
    pub async fn changed(&self) {
        if let Err(e) = self.load().await {
            tracing::warn!(error = %e, "maintenance schedule reload failed");
        }
        if let Some(r) = &self.redis {
            let channel = self.channel.clone();
            let sent = r
                .run("publish", |mut c| async move {
                    redis::cmd("PUBLISH")
                        .arg(channel)
                        .arg("reload")
                        .query_async::<i64>(&mut c)
                        .await
                })
                .await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, "could not announce a maintenance change; other replicas see it at their next poll");
            }
        }
        if let Some(w) = &self.webhooks {
            w.wake();
        }
    }

    /// Records `started` and `ended` once for every window that crossed a
    /// boundary (each replica tries; the outbox keeps one).
    async fn notice_transitions(&self, now: i64) {
        let windows = self.snapshot.load().windows.clone();
        for w in windows.iter().filter(|w| w.cancelled_at.is_none()) {
            for (event, at) in [("started", w.starts_at), ("ended", w.ends_at)] {
                if now < at {
                    continue;
                }
                let key = (w.id.clone(), event);
                if self.noticed.lock().expect("lock").contains(&key) {
                    continue;
                }
                if now - at > STALE_MS {
                    self.noticed.lock().expect("lock").insert(key);
                    continue;
                }
                match self.record(EventSink::Db(&self.db), w, event, now).await {
                    Ok(()) => {
                        self.noticed.lock().expect("lock").insert(key);
                        tracing::info!(window = %w.id, event, "maintenance window {event}");
                    }
                    Err(e) => {
                        tracing::warn!(window = %w.id, error = %e, "maintenance transition not recorded; retried next second")
                    }
                }
            }
        }
    }

    /// Queues `event` of `w` for every webhook target (no-op without any).
    pub(crate) async fn record(
        &self,
        mut sink: EventSink<'_>,
        w: &Window,
        event: &'static str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let Some(hooks) = &self.webhooks else {
            return Ok(());
        };
        // `started` and `ended` happen once per window whatever its revision.
        let revision = match event {
            "started" | "ended" => 0,
            _ => w.revision,
        };
        let payload = webhooks::payload(event, w, now);
        for target in hooks.targets() {
            let sink = match &mut sink {
                EventSink::Db(d) => EventSink::Db(d),
                EventSink::Tx(t) => EventSink::Tx(&mut **t),
            };
            store::record_event(sink, &w.id, event, revision, target, &payload, now).await?;
        }
        if matches!(sink, EventSink::Db(_)) {
            hooks.wake();
        }
        Ok(())
    }
}

/// The problem a refused request gets.
fn refusal(w: &Window, now: i64) -> ApiError {
    metrics::counter!(crate::observe::names::MAINTENANCE_REFUSED, "mode" => w.mode.as_str())
        .increment(1);
    let what = match w.mode {
        Mode::ReadOnly => "read-only",
        Mode::Full => "unavailable",
    };
    let retry = HeaderValue::from_str(&w.seconds_left(now).to_string())
        .unwrap_or(HeaderValue::from_static("60"));
    ApiError::new(
        Kind::Maintenance,
        format!(
            "{what} for maintenance until {}: {}",
            rfc3339(w.ends_at),
            w.message
        ),
    )
    .with_header(header::RETRY_AFTER, retry)
    .with_extension("maintenance", w.to_json(now))
}

fn gauges(windows: &[Window], now: i64) {
    use super::window::Status;
    for mode in [Mode::ReadOnly, Mode::Full] {
        for status in [Status::Active, Status::Upcoming] {
            let n = windows
                .iter()
                .filter(|w| w.mode == mode && w.status(now) == status)
                .count();
            metrics::gauge!(
                crate::observe::names::MAINTENANCE_WINDOWS,
                "state" => status.as_str(),
                "mode" => mode.as_str()
            )
            .set(n as f64);
        }
    }
    let next = windows
        .iter()
        .filter(|w| w.cancelled_at.is_none() && w.starts_at > now)
        .map(|w| (w.starts_at - now) as f64 / 1000.0)
        .fold(f64::NAN, f64::min);
    metrics::gauge!(crate::observe::names::MAINTENANCE_NEXT_START).set(if next.is_nan() {
        -1.0
    } else {
        next
    });
}

/// Every second: statuses move on without a reload, transitions recorded.
async fn tick(s: Weak<Schedule>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(s) = s.upgrade() else { return };
        let now = now_ms();
        let windows = s.snapshot.load().windows.clone();
        s.recompute(windows, now);
        s.notice_transitions(now).await;
    }
}

/// Reloads on a poll, or at once when told (Redis, or a change made here).
/// Waits holding only the bell, so a dropped schedule ends the loop.
async fn poll(s: Weak<Schedule>, bell: Arc<Notify>) {
    loop {
        let every = match s.upgrade() {
            Some(s) => s.settings.poll_every(s.redis.is_some()),
            None => return,
        };
        let _ = tokio::time::timeout(every, bell.notified()).await;
        let Some(s) = s.upgrade() else { return };
        if let Err(e) = s.load().await {
            tracing::warn!(error = %e, "maintenance schedule reload failed; keeping the last one");
        }
    }
}

/// Redis: a `reload` on `<prefix>:maintenance` wakes the poller at once.
async fn listen(s: Weak<Schedule>) {
    loop {
        let Some(this) = s.upgrade() else { return };
        let redis = this.redis.clone().expect("only started with redis");
        let channel = this.channel.clone();
        drop(this);
        let conn =
            tokio::time::timeout(redis.timeout * 10, redis.client().get_async_pubsub()).await;
        match conn {
            Ok(Ok(mut pubsub)) => {
                if pubsub.subscribe(&channel).await.is_ok() {
                    let mut stream = pubsub.on_message();
                    // Changes made while unsubscribed are read now.
                    if let Some(this) = s.upgrade() {
                        this.reload.notify_one();
                    }
                    while stream.next().await.is_some() {
                        let Some(this) = s.upgrade() else { return };
                        this.reload.notify_one();
                    }
                }
            }
            _ => tracing::warn!("maintenance channel unavailable; polling the database"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl crate::service::WriteGate for Schedule {
    fn refuse_write(&self, resource: &str) -> Option<ApiError> {
        Schedule::refuse_write(self, resource)
    }
}
