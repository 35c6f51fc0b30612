//! Signed webhooks on every transition of a window (`scheduled`,
//! `changed`, `cancelled`, `started`, `ended`), signed as the Standard
//! Webhooks specification says, so receivers can use its libraries:
//!
//! - `webhook-id`: `<window>:<event>:<revision>`, the same on every retry
//!   (receivers drop duplicates by it);
//! - `webhook-timestamp`: seconds since the epoch;
//! - `webhook-signature`: `v1,` and the base64 HMAC-SHA256 of
//!   `<id>.<timestamp>.<body>` under the secret.
//!
//! Events wait in the outbox table; any replica may deliver one, after
//! leasing it (so one delivers), and a failure is retried with backoff
//! (1 s doubling to 10 min, 12 attempts) before it is given up.

use super::store::{self, Event};
use super::window::{now_ms, rfc3339, Window};
use super::MaintenanceSettings;
use crate::store::Db;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub const MAX_ATTEMPTS: i64 = 12;
const LEASE_MS: i64 = 30_000;

pub struct Webhooks {
    targets: Vec<String>,
    key: Vec<u8>,
    client: reqwest::Client,
    bell: Arc<Notify>,
}

impl Webhooks {
    pub fn new(settings: &MaintenanceSettings) -> Option<Webhooks> {
        if settings.webhook_urls.is_empty() {
            return None;
        }
        let secret = settings.webhook_secret.as_deref().unwrap_or_default();
        Some(Webhooks {
            targets: settings.webhook_urls.clone(),
            key: key_of(secret),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a client with a timeout"),
            bell: Arc::new(Notify::new()),
        })
    }

    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// Delivers due events now rather than at the next second.
    pub fn wake(&self) {
        self.bell.notify_one();
    }

    /// The `webhook-signature` value for a message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        sign(&self.key, id, timestamp, body)
    }
}

/// `whsec_<base64>` is decoded; any other secret is used as its bytes.
pub fn key_of(secret: &str) -> Vec<u8> {
    secret
        .strip_prefix("whsec_")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// The body of one event.
pub fn payload(event: &str, w: &Window, now: i64) -> String {
    serde_json::json!({
        "type": format!("maintenance.{event}"),
        "timestamp": rfc3339(now),
        "data": w.to_json(now),
    })
    .to_string()
}

/// The wait before attempt `attempts + 1`.
fn backoff(attempts: i64) -> Duration {
    Duration::from_secs(1u64 << attempts.clamp(0, 10)).min(Duration::from_secs(600))
}

/// Delivers due events until the schedule (and its webhooks) is dropped.
pub async fn deliver(hooks: Arc<Webhooks>, db: Db) {
    let (bell, hooks) = (hooks.bell.clone(), Arc::downgrade(&hooks));
    loop {
        let _ = tokio::time::timeout(Duration::from_secs(1), bell.notified()).await;
        let Some(h) = hooks.upgrade() else { return };
        let now = now_ms();
        let due = match store::due(&db, now, 50).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "maintenance webhooks: outbox unreadable");
                continue;
            }
        };
        for event in due {
            match store::lease(&db, event.id, now, now + LEASE_MS).await {
                Ok(true) => send(&h, &db, &event).await,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "maintenance webhooks: lease failed"),
            }
        }
    }
}

async fn send(h: &Webhooks, db: &Db, e: &Event) {
    let id = format!("{}:{}:{}", e.window_id, e.event, e.revision);
    let timestamp = now_ms() / 1000;
    let outcome = h
        .client
        .post(&e.target)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", h.sign(&id, timestamp, &e.payload))
        .body(e.payload.clone())
        .send()
        .await;
    let failure = match outcome {
        Ok(r) if r.status().is_success() => None,
        Ok(r) => Some(format!("{} answered {}", e.target, r.status())),
        Err(err) => Some(format!("{}: {err}", e.target)),
    };
    let now = now_ms();
    let (result, label) = match failure {
        None => (store::delivered(db, e.id, now).await, "delivered"),
        Some(why) if e.attempts + 1 >= MAX_ATTEMPTS => {
            tracing::warn!(event = %id, error = %why, "maintenance webhook given up");
            (store::failed(db, e.id, None, &why).await, "gave_up")
        }
        Some(why) => {
            let next = now + backoff(e.attempts).as_millis() as i64;
            tracing::info!(event = %id, error = %why, "maintenance webhook failed; retrying");
            (store::failed(db, e.id, Some(next), &why).await, "retry")
        }
    };
    metrics::counter!(crate::observe::names::MAINTENANCE_WEBHOOKS, "outcome" => label).increment(1);
    if let Err(err) = result {
        tracing::warn!(event = %id, error = %err, "maintenance webhook outcome not stored");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The specification's own example.
        let key = key_of("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(key_of("plain"), b"plain");
    }

    #[test]
    fn backoff_doubles_to_ten_minutes() {
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(11), Duration::from_secs(600));
    }
}
