//! Opaque keyset cursors: the sort keys' values of the last row on a page.
//!
//! Encoded as base64url(JSON) with the sort spec inside, so a cursor used
//! with a different `sort` is refused instead of silently skipping rows.

use super::ListQuery;
use crate::model::ResourceModel;
use crate::value::{Record, Value};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// Values at `ListQuery::full_sort` positions.
    pub values: Vec<Value>,
}

impl Cursor {
    /// The cursor pointing after `last`.
    pub fn after(model: &ResourceModel, q: &ListQuery, last: &Record) -> Cursor {
        Cursor {
            values: q
                .full_sort(model)
                .iter()
                .map(|k| last[k.field].clone())
                .collect(),
        }
    }

    pub fn encode(&self, model: &ResourceModel, q: &ListQuery) -> String {
        let body = serde_json::json!({
            "s": q.sort_spec(model),
            "v": self.values.iter().map(Value::to_json).collect::<Vec<_>>(),
        });
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).expect("json"))
    }

    /// Decodes a token for the query's sort (which must already be parsed).
    pub fn decode(model: &ResourceModel, q: &ListQuery, token: &str) -> Result<Cursor, String> {
        let bad = || {
            "invalid cursor; use the `next_cursor` value of the previous page unchanged".to_string()
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(token.trim_end_matches('='))
            .map_err(|_| bad())?;
        let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let spec = body.get("s").and_then(|s| s.as_str()).ok_or_else(bad)?;
        if spec != q.sort_spec(model) {
            return Err(format!(
                "this cursor was issued for sort \"{spec}\"; repeat the same sort (or drop the cursor to start over)"
            ));
        }
        let raw = body.get("v").and_then(|v| v.as_array()).ok_or_else(bad)?;
        let keys = q.full_sort(model);
        if raw.len() != keys.len() {
            return Err(bad());
        }
        let mut values = Vec::with_capacity(raw.len());
        for (k, v) in keys.iter().zip(raw) {
            let f = &model.fields[k.field];
            if v.is_null() && !f.optional {
                return Err(bad());
            }
            values.push(Value::from_json(&f.ty, v).map_err(|_| bad())?);
        }
        Ok(Cursor { values })
    }
}
