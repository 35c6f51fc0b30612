//! Maintenance windows: scheduled by operators, announced in advance on
//! every channel, enforced while they last.
//!
//! - Scheduling: `/admin/maintenance` (role `admin`), stored in the
//!   service's database (`resourceful_maintenance`); every replica reloads
//!   within seconds (at once over Redis when configured, by polling the
//!   database otherwise) and after a restart.
//! - Announcing: `GET /v1/maintenance` (public, ETag), the `Maintenance`
//!   response field on every response while a window is active or starts
//!   within the horizon (see [`header`]), `extensions.maintenance` on
//!   GraphQL responses, an iCalendar feed (`/v1/maintenance.ics`), and
//!   signed webhooks on every transition (see [`webhooks`]).
//! - Enforcing: `read_only` refuses writes to the affected resources with
//!   503, `Retry-After` (seconds to the end) and a problem naming the
//!   window; `full` refuses everything but health, metrics, the analytics
//!   page, the maintenance endpoints and the development issuer. Readiness stays
//!   green: the pods are healthy, and taking them out of rotation would
//!   turn a 503 that names the window into a load balancer's bare error.
//!
//! Not here: the schedule's storage is the service's own database, not a
//! separate status page; fleet-wide views stay in Grafana.

pub mod header;
pub mod ics;
pub mod openapi;
pub(crate) mod routes;
pub mod schedule;
pub mod store;
pub mod webhooks;
pub mod window;

pub use schedule::Schedule;
pub use window::{Mode, Status, Window};

use std::time::Duration;

/// `MAINTENANCE_*` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceSettings {
    /// `MAINTENANCE_HORIZON_SECS` (default 259200, 72 h): how long before
    /// its start a window is announced in the `Maintenance` field.
    pub horizon: Duration,
    /// `MAINTENANCE_POLL_SECS` (default 2 without Redis, 30 with it): how
    /// often the database is read for windows other replicas scheduled.
    pub poll: Option<Duration>,
    /// `MAINTENANCE_RECENT_SECS` (default 604800, 7 days): how long ended
    /// windows stay listed.
    pub recent: Duration,
    /// `MAINTENANCE_WEBHOOK_URLS`: comma-separated endpoints that receive
    /// every transition.
    pub webhook_urls: Vec<String>,
    /// `MAINTENANCE_WEBHOOK_SECRET`: the signing key (required with URLs);
    /// `whsec_<base64>` as the Standard Webhooks specification writes it,
    /// or any other text, used as it is.
    pub webhook_secret: Option<String>,
}

impl Default for MaintenanceSettings {
    fn default() -> Self {
        MaintenanceSettings {
            horizon: Duration::from_secs(72 * 3600),
            poll: None,
            recent: Duration::from_secs(7 * 24 * 3600),
            webhook_urls: Vec::new(),
            webhook_secret: None,
        }
    }
}

impl MaintenanceSettings {
    pub fn from_lookup(
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<MaintenanceSettings, String> {
        let mut s = MaintenanceSettings::default();
        let secs = |name: &str| -> Result<Option<Duration>, String> {
            match get(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(|n| Some(Duration::from_secs(n)))
                    .map_err(|_| format!("{name}={v:?} is not a number of seconds")),
            }
        };
        if let Some(h) = secs("MAINTENANCE_HORIZON_SECS")? {
            s.horizon = h;
        }
        if let Some(p) = secs("MAINTENANCE_POLL_SECS")? {
            if p.is_zero() {
                return Err("MAINTENANCE_POLL_SECS must be at least 1".into());
            }
            s.poll = Some(p);
        }
        if let Some(r) = secs("MAINTENANCE_RECENT_SECS")? {
            s.recent = r;
        }
        s.webhook_urls = get("MAINTENANCE_WEBHOOK_URLS")
            .map(|v| {
                v.split(',')
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        for u in &s.webhook_urls {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err(format!(
                    "MAINTENANCE_WEBHOOK_URLS: {u:?} is not an http(s) URL"
                ));
            }
        }
        s.webhook_secret = get("MAINTENANCE_WEBHOOK_SECRET").filter(|v| !v.is_empty());
        if !s.webhook_urls.is_empty() && s.webhook_secret.is_none() {
            return Err(
                "MAINTENANCE_WEBHOOK_URLS is set but MAINTENANCE_WEBHOOK_SECRET is not: \
                 webhooks are always signed"
                    .into(),
            );
        }
        Ok(s)
    }

    /// The poll interval: explicit, or by whether Redis tells of changes.
    pub fn poll_every(&self, redis: bool) -> Duration {
        self.poll
            .unwrap_or(Duration::from_secs(if redis { 30 } else { 2 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_default_and_refuse_unsigned_webhooks() {
        let d = MaintenanceSettings::from_lookup(&|_| None).unwrap();
        assert_eq!(d.horizon, Duration::from_secs(259_200));
        assert_eq!(d.poll_every(false), Duration::from_secs(2));
        assert_eq!(d.poll_every(true), Duration::from_secs(30));
        let e = MaintenanceSettings::from_lookup(&|k| {
            (k == "MAINTENANCE_WEBHOOK_URLS").then(|| "https://hooks.example.com/m".into())
        })
        .unwrap_err();
        assert!(e.contains("MAINTENANCE_WEBHOOK_SECRET"));
        let e = MaintenanceSettings::from_lookup(&|k| {
            (k == "MAINTENANCE_HORIZON_SECS").then(|| "soon".into())
        })
        .unwrap_err();
        assert!(e.contains("MAINTENANCE_HORIZON_SECS"));
    }
}
