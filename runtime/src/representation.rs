//! How a record goes on the wire: its JSON bytes rendered once, with a
//! strong ETag, shared by the cache, REST and GraphQL.

use crate::model::ResourceModel;
use crate::permissions::FieldMask;
use crate::value::{Record, RecordJson};

/// A record rendered once: its JSON bytes and strong ETag.
#[derive(Debug, Clone)]
pub struct Representation {
    pub json: bytes::Bytes,
    pub etag: String,
    /// The ETag pre-rendered as a header value (no per-response allocation).
    pub etag_header: axum::http::HeaderValue,
    /// The row itself, for GraphQL resolvers reading through the cache.
    pub record: Record,
}

impl Representation {
    pub fn of(model: &'static ResourceModel, rec: &Record) -> Self {
        Self::view(model, rec, FieldMask::NONE)
    }

    /// The record without the fields `hidden` from this caller (its own
    /// bytes and ETag).
    pub fn view(model: &'static ResourceModel, rec: &Record, hidden: FieldMask) -> Self {
        let json = serde_json::to_vec(&RecordJson {
            model,
            record: rec,
            hidden,
        })
        .expect("records serialize");
        let etag = etag_of(&json);
        let etag_header =
            axum::http::HeaderValue::from_str(&etag).expect("hex etag is a valid header");
        Representation {
            json: json.into(),
            etag,
            etag_header,
            record: rec.clone(),
        }
    }
}

/// A strong ETag: a 64-bit hash of the exact bytes sent.
pub fn etag_of(bytes: &[u8]) -> String {
    format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Whether an `If-Match` / `If-None-Match` header value matches `etag`.
/// `weak` compares ignoring `W/` (RFC 9110 weak comparison, for GETs).
pub fn etag_matches(header: &str, etag: &str, weak: bool) -> bool {
    header.split(',').map(str::trim).any(|t| {
        if t == "*" {
            return true;
        }
        let t = if weak { t.trim_start_matches("W/") } else { t };
        t == etag
    })
}
