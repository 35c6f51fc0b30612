//! `/admin/flags`: read and switch runtime feature flags. Mounted only when
//! `ADMIN_TOKEN` is set, and only for `Authorization: Bearer <token>`.

use crate::cache::flags::Flags;
use crate::error::{ApiError, Kind};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::routing::{get, put};
use axum::{Json, Router};
use std::sync::Arc;

#[derive(Clone)]
struct AdminState {
    flags: Arc<Flags>,
    token: Arc<str>,
}

/// The routes served when an admin token is configured.
pub const PATHS: [&str; 2] = ["/admin/flags", "/admin/flags/api_optimization_enabled"];

pub fn router(flags: Arc<Flags>, token: Option<String>) -> Router {
    let Some(token) = token else {
        return Router::new();
    };
    Router::new()
        .route(PATHS[0], get(list))
        .route(PATHS[1], put(set_optimization))
        .with_state(AdminState {
            flags,
            token: token.into(),
        })
}

fn authorize(st: &AdminState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    // Constant-time comparison: the token is a secret.
    let ok = given.is_some_and(|g| {
        g.len() == st.token.len()
            && g.bytes()
                .zip(st.token.bytes())
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                == 0
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            Kind::Unauthorized,
            "admin endpoints need a valid bearer token",
        )
        .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")))
    }
}

async fn list(
    State(st): State<AdminState>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    authorize(&st, &headers)?;
    Ok(Json(
        serde_json::json!({ "api_optimization_enabled": st.flags.optimization() }),
    ))
}

async fn set_optimization(
    State(st): State<AdminState>,
    headers: HeaderMap,
    body: String,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    authorize(&st, &headers)?;
    let v: serde_json::Value = serde_json::from_str(&body)
        .map_err(|e| ApiError::new(Kind::MalformedJson, e.to_string()))?;
    let Some(on) = v.get("enabled").and_then(|e| e.as_bool()) else {
        return Err(ApiError::new(
            Kind::Validation,
            "send {\"enabled\": true|false}",
        ));
    };
    st.flags.set_optimization(on);
    Ok((
        StatusCode::OK,
        Json(serde_json::json!({ "api_optimization_enabled": on })),
    ))
}
