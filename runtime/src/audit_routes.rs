//! `GET /admin/audit` (records, newest first, filtered and paginated) and
//! `GET /admin/audit/verify` (the hash chain recomputed), for callers with
//! the `admin` role. Mounted when the audit trail is on.

use crate::audit::{Auditor, Filter};
use crate::context::Context;
use crate::error::{ApiError, Kind};
use crate::http::routes::CustomRoute;
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

pub const PATHS: [&str; 2] = ["/admin/audit", "/admin/audit/verify"];

pub fn routes(auditor: Arc<Auditor>) -> CustomRoute {
    CustomRoute {
        templates: PATHS.iter().map(|p| p.to_string()).collect(),
        router: Router::new()
            .route(PATHS[0], get(list))
            .route(PATHS[1], get(verify))
            .with_state(auditor),
        policy: None,
        anonymous: Vec::new(),
    }
}

fn admin_only(ctx: &Context) -> Result<(), ApiError> {
    crate::permissions::require_admin(ctx, "the audit trail")
}

async fn list(
    State(a): State<Arc<Auditor>>,
    ctx: Context,
    filter: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    admin_only(&ctx)?;
    let Query(filter) = filter.map_err(|e| ApiError::new(Kind::BadQuery, e.body_text()))?;
    let filter = filter
        .normalised()
        .map_err(|e| ApiError::new(Kind::BadQuery, e))?;
    let (items, next) = crate::audit::store::list(a.db(), &filter).await?;
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

async fn verify(State(a): State<Arc<Auditor>>, ctx: Context) -> Result<Json<Value>, ApiError> {
    admin_only(&ctx)?;
    let v = a.verify().await?;
    Ok(Json(
        json!({"ok": v.ok(), "sealed": v.sealed, "unsealed": v.unsealed, "first_broken": v.first_broken}),
    ))
}
