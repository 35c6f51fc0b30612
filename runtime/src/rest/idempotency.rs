//! `Idempotency-Key` on POST and PATCH (draft-ietf-httpapi-idempotency-key-header).
//!
//! A retry with the same key and the same request replays the first
//! outcome (with `Idempotent-Replayed: true`); the same key with another
//! request is 422; a duplicate while the first is still running is 409.
//! Only successful outcomes are kept: a failed write wrote nothing, so its
//! retry simply runs again. Keys are scoped per authenticated subject;
//! anonymous callers share one scope, so keys must be unguessable (UUIDs).

use super::RestState;
use crate::context::Context;
use crate::error::{ApiError, ApiResult, FieldProblem, Kind};
use crate::service::WriteTx;
use crate::store::idempotency::{Claim, IdempotencyStore, Stored};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use std::sync::Arc;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The longest key accepted.
const MAX_KEY: usize = 255;

/// What a write answers, kept in a form that can be stored and replayed.
pub struct Outcome {
    pub status: StatusCode,
    pub body: Bytes,
    pub etag: Option<HeaderValue>,
    pub location: Option<HeaderValue>,
}

impl Outcome {
    pub fn into_response(self) -> Response {
        let mut res = super::handlers::json_response(self.status, self.body, self.etag);
        if let Some(l) = self.location {
            res.headers_mut().insert(header::LOCATION, l);
        }
        res
    }

    fn stored(&self) -> Stored {
        let mut headers = serde_json::Map::new();
        for (name, v) in [("etag", &self.etag), ("location", &self.location)] {
            if let Some(s) = v.as_ref().and_then(|v| v.to_str().ok()) {
                headers.insert(name.into(), s.into());
            }
        }
        Stored {
            status: self.status.as_u16(),
            headers: serde_json::Value::Object(headers).to_string(),
            body: String::from_utf8_lossy(&self.body).into_owned(),
        }
    }
}

fn replay(s: Stored) -> Response {
    let status = StatusCode::from_u16(s.status).unwrap_or(StatusCode::OK);
    let headers: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&s.headers).unwrap_or_default();
    let field = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.as_str())
            .and_then(|v| HeaderValue::from_str(v).ok())
    };
    let mut res = Outcome {
        status,
        body: Bytes::from(s.body),
        etag: field("etag"),
        location: field("location"),
    }
    .into_response();
    res.headers_mut()
        .insert(REPLAYED, HeaderValue::from_static("true"));
    res
}

/// 422 naming the header (no body pointer: the problem is not in the body).
fn bad_key(detail: &str) -> ApiError {
    ApiError {
        errors: vec![FieldProblem {
            field: "Idempotency-Key".into(),
            pointer: String::new(),
            code: "idempotency_key",
            message: detail.to_string(),
        }],
        ..ApiError::new(Kind::Validation, format!("Idempotency-Key: {detail}"))
    }
}

/// The request's key: a structured-field string (`"…"`) of 1 to 255
/// visible ASCII characters other than `"` and `\`, exactly as the
/// document's pattern says.
pub fn key_of(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(v) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let raw = v.to_str().map_err(|_| bad_key(FORMAT))?.trim();
    let key = raw
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .ok_or_else(|| bad_key(FORMAT))?;
    let visible = |b: u8| (0x21..0x7f).contains(&b) && b != b'"' && b != b'\\';
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(visible) {
        return Err(bad_key(FORMAT));
    }
    Ok(Some(key.to_string()))
}

const FORMAT: &str = "send a quoted string of 1 to 255 visible ASCII characters (no `\"` or `\\`), e.g. \"8e0f2a4c-6f1e-4c39-9a57-0d0b6e3f1c2a\"";

/// The method, target and body a key was first used with.
fn fingerprint(method: &str, target: &str, body: &serde_json::Value) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(target.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    format!("{:032x}", h.digest128())
}

/// A claimed key: completed with the write's transaction, or given back
/// when the request fails or is dropped (the client went away).
pub struct Guard {
    store: Arc<IdempotencyStore>,
    scope: String,
    key: String,
    settled: bool,
}

/// Either the request runs (under the guard) or it is already answered.
pub enum Admission {
    Run(Guard),
    Answered(Response),
}

/// Claims `key` for this request.
pub async fn admit(
    st: &RestState,
    ctx: &Context,
    key: String,
    method: &str,
    target: &str,
    body: &serde_json::Value,
) -> ApiResult<Admission> {
    let scope = ctx.subject().unwrap_or("-").to_string();
    let claim = st
        .idempotency
        .claim(&scope, &key, &fingerprint(method, target, body))
        .await?;
    match claim {
        Claim::Claimed => Ok(Admission::Run(Guard {
            store: st.idempotency.clone(),
            scope,
            key,
            settled: false,
        })),
        Claim::Completed(stored) => Ok(Admission::Answered(replay(stored))),
        Claim::Mismatch => Err(bad_key(
            "this key was used with a different request; use a new key for a new request",
        )),
        Claim::InProgress => Err(ApiError::new(
            Kind::Conflict,
            "a request with this Idempotency-Key is still being processed; retry shortly",
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from_static("1"))),
    }
}

impl Guard {
    /// Commits the write with its outcome, or gives the key back.
    pub async fn finish(mut self, mut tx: WriteTx, out: ApiResult<Outcome>) -> ApiResult<Response> {
        match out {
            Ok(outcome) => {
                self.store
                    .complete_in(tx.store(), &self.scope, &self.key, &outcome.stored())
                    .await?;
                tx.commit().await?;
                self.settled = true;
                Ok(outcome.into_response())
            }
            Err(e) => {
                drop(tx);
                self.settled = true;
                self.store.release(&self.scope, &self.key).await?;
                Err(e)
            }
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        // Dropped mid-write: the transaction rolled back, so the key is free.
        let (store, scope, key) = (self.store.clone(), self.scope.clone(), self.key.clone());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let _ = store.release(&scope, &key).await;
            });
        }
    }
}
