//! The maintenance endpoints: scheduling for operators (`role:admin`) and
//! the public announcements (JSON and iCalendar).

use super::schedule::Schedule;
use super::store::{self, EventSink};
use super::window::{self, now_ms, Status, Window};
use crate::context::Context;
use crate::error::{ApiError, Kind};
use crate::http::routes::CustomRoute;
use crate::permissions::require_admin;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub const PUBLIC: [&str; 2] = ["/v1/maintenance", "/v1/maintenance.ics"];
pub const ADMIN: [&str; 2] = ["/admin/maintenance", "/admin/maintenance/{id}"];
const WHAT: &str = "scheduling maintenance";

#[derive(Clone)]
struct St {
    schedule: Arc<Schedule>,
    service: Arc<str>,
}

/// Every maintenance route, for the app to mount.
pub fn routes(schedule: Arc<Schedule>, service: &str) -> CustomRoute {
    let st = St {
        schedule,
        service: service.into(),
    };
    CustomRoute {
        templates: PUBLIC.iter().chain(&ADMIN).map(|p| p.to_string()).collect(),
        router: Router::new()
            .route(PUBLIC[0], get(list_public))
            .route(PUBLIC[1], get(calendar))
            .route(ADMIN[0], get(list_admin).post(create))
            .route(ADMIN[1], get(show).patch(change).delete(cancel))
            .with_state(st),
        policy: None,
        anonymous: PUBLIC.iter().map(|p| p.to_string()).collect(),
    }
}

/// Whether requests to `template` are served during a `full` window.
pub fn exempt(template: &str) -> bool {
    PUBLIC.contains(&template)
        || ADMIN.contains(&template)
        || template.starts_with("/health/")
        || template == "/metrics"
        // Observability, like /metrics: the operators watch the window.
        || template.starts_with("/admin/analytics")
        // The development issuer: how an operator gets the token that
        // cancels the window.
        || template.starts_with("/dev/")
}

fn json_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::new(Kind::MalformedJson, e.to_string()))
}

fn db_error(e: sqlx::Error) -> ApiError {
    ApiError::from(e)
}

/// The public list: upcoming, active and recent windows (not cancelled).
async fn list_public(State(st): State<St>, headers: HeaderMap) -> Response {
    let now = now_ms();
    let snap = st.schedule.snapshot();
    let items: Vec<Value> = snap
        .windows
        .iter()
        .filter(|w| w.cancelled_at.is_none())
        .map(|w| w.to_json(now))
        .collect();
    let body = json!({
        "items": items,
        "horizon_seconds": st.schedule.settings().horizon.as_secs(),
    })
    .to_string();
    cacheable(&headers, "application/json", body)
}

async fn calendar(State(st): State<St>, headers: HeaderMap) -> Response {
    let snap = st.schedule.snapshot();
    let body = super::ics::feed(&st.service, &snap.windows);
    cacheable(&headers, "text/calendar; charset=utf-8", body)
}

/// A public document with a strong ETag, answered 304 when it matches.
fn cacheable(headers: &HeaderMap, content_type: &'static str, body: String) -> Response {
    let tag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(body.as_bytes()));
    let etag = HeaderValue::from_str(&tag).expect("hex");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let common = [
        (header::ETAG, etag),
        // Short: a window's status moves on with the clock.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=10"),
        ),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

async fn list_admin(State(st): State<St>, ctx: Context) -> Result<Json<Value>, ApiError> {
    require_admin(&ctx, WHAT)?;
    let now = now_ms();
    let items = store::latest(st.schedule.db(), 200)
        .await
        .map_err(db_error)?;
    Ok(Json(
        json!({"items": items.iter().map(|w| w.to_json(now)).collect::<Vec<_>>()}),
    ))
}

async fn show(
    State(st): State<St>,
    ctx: Context,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    require_admin(&ctx, WHAT)?;
    let mut tx = st.schedule.db().begin().await.map_err(db_error)?;
    let w = store::get(&mut tx, &id).await.map_err(db_error)?;
    let w = w.ok_or_else(|| missing(&id))?;
    Ok(Json(w.to_json(now_ms())))
}

fn missing(id: &str) -> ApiError {
    ApiError::not_found(format!("no maintenance window {id}"))
}

/// Windows a new or changed one must not overlap.
async fn others(tx: &mut crate::store::Tx, now: i64) -> Result<Vec<Window>, ApiError> {
    store::around(tx, now, i64::MAX).await.map_err(db_error)
}

async fn create(State(st): State<St>, ctx: Context, body: Bytes) -> Result<Response, ApiError> {
    require_admin(&ctx, WHAT)?;
    let body = json_body(&body)?;
    let now = now_ms();
    let s = &st.schedule;
    let mut tx = s.db().begin().await.map_err(db_error)?;
    store::lock_schedule(&mut tx).await.map_err(db_error)?;
    let others = others(&mut tx, now).await?;
    let w = window::create(&body, s.resources(), &others, now)?;
    store::insert(&mut tx, &w).await.map_err(db_error)?;
    s.record(EventSink::Tx(&mut tx), &w, "scheduled", now)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    s.changed().await;
    tracing::info!(window = %w.id, starts_at = %window::rfc3339(w.starts_at), mode = w.mode.as_str(), "maintenance window scheduled");
    let location = HeaderValue::from_str(&format!("{}/{}", ADMIN[0], w.id)).expect("a uuid");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(w.to_json(now)),
    )
        .into_response())
}

/// A window that is over (or cancelled) is history: 409.
fn still_open(w: &Window, now: i64) -> Result<(), ApiError> {
    match w.status(now) {
        Status::Ended => Err(ApiError::conflict(format!(
            "window {} has ended; schedule a new one",
            w.id
        ))),
        Status::Cancelled => Err(ApiError::conflict(format!(
            "window {} was cancelled; schedule a new one",
            w.id
        ))),
        _ => Ok(()),
    }
}

async fn change(
    State(st): State<St>,
    ctx: Context,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    require_admin(&ctx, WHAT)?;
    let body = json_body(&body)?;
    let now = now_ms();
    let s = &st.schedule;
    let mut tx = s.db().begin().await.map_err(db_error)?;
    store::lock_schedule(&mut tx).await.map_err(db_error)?;
    let current = store::get(&mut tx, &id)
        .await
        .map_err(db_error)?
        .ok_or_else(|| missing(&id))?;
    still_open(&current, now)?;
    let others = others(&mut tx, now).await?;
    let w = window::change(&current, &body, s.resources(), &others, now)?;
    store::update(&mut tx, &w).await.map_err(db_error)?;
    s.record(EventSink::Tx(&mut tx), &w, "changed", now)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    s.changed().await;
    tracing::info!(window = %w.id, revision = w.revision, "maintenance window changed");
    Ok(Json(w.to_json(now)))
}

async fn cancel(
    State(st): State<St>,
    ctx: Context,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    require_admin(&ctx, WHAT)?;
    let now = now_ms();
    let s = &st.schedule;
    let mut tx = s.db().begin().await.map_err(db_error)?;
    store::lock_schedule(&mut tx).await.map_err(db_error)?;
    let mut w = store::get(&mut tx, &id)
        .await
        .map_err(db_error)?
        .ok_or_else(|| missing(&id))?;
    still_open(&w, now)?;
    w.cancelled_at = Some(now);
    w.updated_at = now;
    w.revision += 1;
    store::update(&mut tx, &w).await.map_err(db_error)?;
    s.record(EventSink::Tx(&mut tx), &w, "cancelled", now)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    s.changed().await;
    tracing::info!(window = %w.id, "maintenance window cancelled");
    Ok(StatusCode::NO_CONTENT)
}
