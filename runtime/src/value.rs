//! One dynamic value type between JSON, query strings and SQL.
//!
//! The runtime handles every resource through its model, so a row is a
//! `Vec<Value>` aligned with `model.fields`. Conversions check the declared
//! kind and report problems in words a client can act on.

use crate::model::FieldType;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::ser::{Serialize, SerializeMap, Serializer};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Strings and enum values.
    Text(String),
    Uuid(Uuid),
    DateTime(DateTime<Utc>),
    Date(NaiveDate),
}

/// A row: one value per model field (skipped fields hold `Null`).
pub type Record = Vec<Value>;

impl Value {
    /// A field's declared default as a value.
    pub fn from_default(d: crate::model::DefaultValue) -> Value {
        use crate::model::DefaultValue;
        match d {
            DefaultValue::Int(n) => Value::Int(n),
            DefaultValue::Float(x) => Value::Float(x),
            DefaultValue::Bool(b) => Value::Bool(b),
            DefaultValue::Text(t) => Value::Text(t.to_string()),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// JSON → value of the declared kind. `Err` is a client-facing reason.
    pub fn from_json(ty: &FieldType, v: &serde_json::Value) -> Result<Value, String> {
        use serde_json::Value as J;
        let expected = || format!("expected {}", ty.describe());
        match (ty, v) {
            (_, J::Null) => Ok(Value::Null),
            (t, J::Number(n)) if t.is_integer() => {
                let i = n
                    .as_i64()
                    .ok_or_else(|| format!("expected an integer, got {n}"))?;
                check_int_bounds(t, i)?;
                Ok(Value::Int(i))
            }
            (t, J::Number(n)) if t.is_float() => {
                let f = n.as_f64().ok_or_else(expected)?;
                if matches!(t, FieldType::F32) && f.is_finite() && f.abs() > f32::MAX as f64 {
                    return Err("number out of range for a 32-bit float".into());
                }
                Ok(Value::Float(f))
            }
            (FieldType::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
            // Only text-shaped kinds come as JSON strings; "5" is not a number.
            (
                FieldType::String
                | FieldType::Uuid
                | FieldType::DateTime
                | FieldType::Date
                | FieldType::Enum(_),
                J::String(s),
            ) => Value::from_text(ty, s),
            _ => Err(format!("{}, got {}", expected(), json_kind(v))),
        }
    }

    /// Text (a query string, a cursor) → value of the declared kind.
    pub fn from_text(ty: &FieldType, s: &str) -> Result<Value, String> {
        match ty {
            t if t.is_integer() => {
                let i: i64 = s
                    .trim()
                    .parse()
                    .map_err(|_| format!("expected an integer, got \"{s}\""))?;
                check_int_bounds(t, i)?;
                Ok(Value::Int(i))
            }
            t if t.is_float() => {
                let f: f64 = s
                    .trim()
                    .parse()
                    .map_err(|_| format!("expected a number, got \"{s}\""))?;
                if !f.is_finite() {
                    return Err("expected a finite number".into());
                }
                Ok(Value::Float(f))
            }
            FieldType::Bool => match s {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("expected true or false, got \"{s}\"")),
            },
            // PostgreSQL cannot store U+0000 and SQLite could: refused on
            // both, so both answer the same.
            FieldType::String if s.contains('\0') => {
                Err("text must not contain the NUL character (U+0000)".into())
            }
            FieldType::String => Ok(Value::Text(s.to_string())),
            FieldType::Uuid => Uuid::parse_str(s)
                .map(Value::Uuid)
                .map_err(|_| format!("expected a UUID, got \"{s}\"")),
            FieldType::DateTime => DateTime::parse_from_rfc3339(s)
                .map(|d| Value::DateTime(truncate_micros(d.with_timezone(&Utc))))
                .map_err(|_| {
                    format!("expected an RFC 3339 date-time like 2025-01-31T12:00:00Z, got \"{s}\"")
                }),
            FieldType::Date => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Value::Date)
                .map_err(|_| format!("expected a date like 2025-01-31, got \"{s}\"")),
            FieldType::Enum(e) => {
                if e.variants.contains(&s) {
                    Ok(Value::Text(s.to_string()))
                } else {
                    Err(format!(
                        "expected one of {}, got \"{s}\"",
                        e.variants.join(", ")
                    ))
                }
            }
            _ => unreachable!("all kinds covered"),
        }
    }

    /// The value as it appears in JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("values always serialize")
    }

    /// Text form used in URLs and cursors (the inverse of `from_text`).
    pub fn to_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(s) => s.clone(),
            Value::Uuid(u) => u.to_string(),
            Value::DateTime(d) => format_datetime(d),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

fn check_int_bounds(t: &FieldType, i: i64) -> Result<(), String> {
    let (lo, hi) = t.int_bounds().expect("integer kind");
    if i < lo || i > hi {
        return Err(format!("integer out of range ({lo}..={hi})"));
    }
    Ok(())
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Both databases keep microseconds; truncating on input keeps a value
/// identical after a round trip (and so its ETag stable).
pub fn truncate_micros(d: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    d.trunc_subsecs(6)
}

/// `2025-01-31T12:00:00.123456Z`: fixed width, so text order is time order
/// (SQLite stores date-times as text).
pub fn format_datetime(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Text(t) => s.serialize_str(t),
            Value::Uuid(u) => s.collect_str(&u.hyphenated()),
            Value::DateTime(d) => s.serialize_str(&format_datetime(d)),
            Value::Date(d) => s.collect_str(&d.format("%Y-%m-%d")),
        }
    }
}

/// Serializes a record as the API's JSON object (exposed fields only).
pub struct RecordJson<'a> {
    pub model: &'static crate::model::ResourceModel,
    pub record: &'a [Value],
    /// Fields this caller may not see (left out).
    pub hidden: crate::permissions::FieldMask,
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (i, f) in self.model.exposed() {
            if !self.hidden.hides(i) {
                map.serialize_entry(f.api_name, &self.record[i])?;
            }
        }
        map.end()
    }
}

/// Equality key for values used as map keys (ids, foreign keys).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    Int(i64),
    Text(String),
    Uuid(Uuid),
}

impl Key {
    pub fn from_value(v: &Value) -> Option<Key> {
        match v {
            Value::Int(i) => Some(Key::Int(*i)),
            Value::Text(s) => Some(Key::Text(s.clone())),
            Value::Uuid(u) => Some(Key::Uuid(*u)),
            _ => None,
        }
    }
    pub fn to_value(&self) -> Value {
        match self {
            Key::Int(i) => Value::Int(*i),
            Key::Text(s) => Value::Text(s.clone()),
            Key::Uuid(u) => Value::Uuid(*u),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_conversions_check_kinds() {
        assert_eq!(
            Value::from_json(&FieldType::I64, &json!(5)),
            Ok(Value::Int(5))
        );
        assert!(Value::from_json(&FieldType::I64, &json!(5.5)).is_err());
        assert!(Value::from_json(&FieldType::I16, &json!(40000)).is_err());
        assert!(Value::from_json(&FieldType::Bool, &json!("true")).is_err());
        assert_eq!(
            Value::from_json(&FieldType::F64, &json!(1)),
            Ok(Value::Float(1.0))
        );
        assert!(Value::from_json(&FieldType::Uuid, &json!("nope")).is_err());
        let d = Value::from_json(
            &FieldType::DateTime,
            &json!("2025-01-31T13:00:00.1234567+01:00"),
        )
        .unwrap();
        assert_eq!(d.to_text(), "2025-01-31T12:00:00.123456Z");
        assert_eq!(
            Value::from_json(&FieldType::Date, &json!("2025-02-01"))
                .unwrap()
                .to_text(),
            "2025-02-01"
        );
        assert!(Value::from_json(&FieldType::String, &json!([1]))
            .unwrap_err()
            .contains("an array"));
    }

    #[test]
    fn text_round_trip() {
        for (t, s) in [
            (FieldType::I32, "-3"),
            (FieldType::Bool, "false"),
            (FieldType::F64, "2.5"),
        ] {
            assert_eq!(Value::from_text(&t, s).unwrap().to_text(), s);
        }
    }
}
