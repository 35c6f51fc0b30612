//! `/health/live` (the process is up) and `/health/ready` (dependencies
//! answer). Readiness is cached briefly and computed by one caller at a
//! time, so a storm of probes costs one database round trip per interval.
//! Once the server starts draining (SIGTERM), readiness fails at once and
//! stays failed, so load balancers stop sending new requests.

use crate::observe::names;
use crate::redis_conn::RedisHandle;
use crate::store::Db;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub name: &'static str,
    pub status: &'static str,
    /// A down required component makes the service not ready; an optional
    /// one only degrades it.
    pub required: bool,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `up`, `degraded` or `down`.
    pub status: &'static str,
    /// Why the service is not ready when no component says so: `draining`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    pub components: Vec<Component>,
}

pub struct Health {
    db: Db,
    redis: Option<(Arc<RedisHandle>, bool)>,
    ttl: Duration,
    last: tokio::sync::Mutex<Option<(Instant, Arc<Report>)>>,
    draining: AtomicBool,
}

impl Health {
    /// `redis_required`: whether the service cannot work without Redis
    /// (rate limits that fail closed).
    pub fn new(db: Db, redis: Option<(Arc<RedisHandle>, bool)>, ttl: Duration) -> Arc<Self> {
        Arc::new(Health {
            db,
            redis,
            ttl,
            last: tokio::sync::Mutex::new(None),
            draining: AtomicBool::new(false),
        })
    }

    /// From now on readiness answers 503 (`draining`), whatever the
    /// dependencies say; there is no way back, the process is stopping.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
        metrics::gauge!(names::READY).set(0.0);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    pub async fn report(&self) -> Arc<Report> {
        let mut last = self.last.lock().await;
        if let Some((at, r)) = last.as_ref() {
            if at.elapsed() < self.ttl {
                return r.clone();
            }
        }
        let timeout = Duration::from_secs(2);
        let db = async {
            let start = Instant::now();
            let res = match tokio::time::timeout(timeout, self.db.ping()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("timed out".into()),
            };
            component("database", true, start, res)
        };
        let redis = async {
            let (h, required) = self.redis.as_ref()?;
            let start = Instant::now();
            let res = h.ping().await.map_err(|e| e.to_string());
            Some(component("redis", *required, start, res))
        };
        let (db, redis) = tokio::join!(db, redis);
        let components: Vec<Component> = std::iter::once(db).chain(redis).collect();
        let status = if components.iter().any(|c| c.required && c.status == "down") {
            "down"
        } else if components.iter().any(|c| c.status == "down") {
            "degraded"
        } else {
            "up"
        };
        // A check that was under way when draining began must not flip the
        // gauge back.
        let ready = status != "down" && !self.is_draining();
        metrics::gauge!(names::READY).set(if ready { 1.0 } else { 0.0 });
        let report = Arc::new(Report {
            status,
            reason: None,
            components,
        });
        *last = Some((Instant::now(), report.clone()));
        report
    }
}

fn component(
    name: &'static str,
    required: bool,
    start: Instant,
    res: Result<(), String>,
) -> Component {
    let elapsed = start.elapsed();
    metrics::gauge!(names::HEALTH, "component" => name).set(if res.is_ok() { 1.0 } else { 0.0 });
    metrics::histogram!(names::HEALTH_DURATION, "component" => name).record(elapsed.as_secs_f64());
    if let Err(e) = &res {
        tracing::warn!(component = name, error = %e, "health check failed");
    }
    Component {
        name,
        status: if res.is_ok() { "up" } else { "down" },
        required,
        latency_ms: elapsed.as_secs_f64() * 1000.0,
        error: res.err(),
    }
}

pub fn router(health: Arc<Health>) -> Router {
    Router::new()
        .route(
            "/health/live",
            get(|| async { Json(serde_json::json!({ "status": "up" })) }),
        )
        .route("/health/ready", get(ready))
        .with_state(health)
}

async fn ready(State(h): State<Arc<Health>>) -> impl IntoResponse {
    if h.is_draining() {
        // No dependency check: the answer cannot change, and it must come
        // at once, not after a cached result expires. No Retry-After: this
        // process will not become ready again.
        let report = Report {
            status: "down",
            reason: Some("draining"),
            components: Vec::new(),
        };
        return (StatusCode::SERVICE_UNAVAILABLE, Json(report)).into_response();
    }
    let report = h.report().await;
    let code = if report.status == "down" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    let mut res = (code, Json(&*report)).into_response();
    if code == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("5"),
        );
    }
    res
}
