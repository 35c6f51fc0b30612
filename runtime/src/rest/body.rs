//! Request bodies: media type, size limit and JSON syntax, each with its
//! own problem (415, 413, 400) before any handler logic runs.

use crate::error::{ApiError, ApiResult, Kind};
use axum::body::Body;
use axum::http::{header, HeaderMap};

/// Which media types a route accepts.
#[derive(Clone, Copy)]
pub enum Accepts {
    /// `application/json` (and any `+json` type).
    Json,
    /// PATCH: `application/merge-patch+json` or `application/json`.
    MergePatch,
}

pub async fn read_json(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    accepts: Accepts,
) -> ApiResult<serde_json::Value> {
    check_media_type(headers, accepts)?;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
    {
        if len > limit {
            return Err(too_large(limit));
        }
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large(limit))?;
    if bytes.is_empty() {
        return Err(ApiError::new(
            Kind::MalformedJson,
            "the request body is empty; send a JSON document",
        ));
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            Kind::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        Kind::PayloadTooLarge,
        format!("the body exceeds the limit of {limit} bytes"),
    )
}

fn check_media_type(headers: &HeaderMap, accepts: Accepts) -> ApiResult<()> {
    let wanted = match accepts {
        Accepts::Json => "application/json",
        Accepts::MergePatch => "application/merge-patch+json or application/json",
    };
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(ApiError::new(
            Kind::UnsupportedMediaType,
            format!("missing Content-Type; send {wanted}"),
        ));
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ok = match accepts {
        Accepts::Json => {
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        }
        Accepts::MergePatch => {
            essence == "application/json" || essence == "application/merge-patch+json"
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            Kind::UnsupportedMediaType,
            format!("Content-Type {essence} is not supported; send {wanted}"),
        ))
    }
}
