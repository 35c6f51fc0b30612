//! The traits `#[api_resource]` and `#[api_enum]` implement.
//!
//! The generated code is declarations only: the model as a `const` and the
//! mapping between the Rust struct and a [`Record`]. Everything else is
//! generic runtime code driven by the model.

use crate::model::{EnumModel, ResourceModel};
use crate::value::{Record, Value};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A declared API resource. Implemented by `#[api_resource]`.
pub trait Resource: Sized + Send + Sync + 'static {
    const MODEL: &'static ResourceModel;
    /// The body of a create (`TaskCreate`): the fields a client may set.
    type Create: CreateInput;
    /// A JSON merge patch (`TaskPatch`): `None` leaves a field unchanged.
    type Patch: serde::Serialize + Default + Send + Sync + 'static;
    /// Equality filters for lists (`TaskFilter`): `None` does not filter.
    type Filter: serde::Serialize + Default + Send + Sync + 'static;
    /// Builds the Rust value from a stored row.
    fn from_record(record: Record) -> Result<Self, FieldError>;
    /// The row for this value (skipped fields become `Null`).
    fn to_record(&self) -> Record;
}

/// The typed body of a create. Implemented by `#[api_resource]` for its
/// `…Create` type.
pub trait CreateInput: serde::Serialize + Sized + Send + Sync + 'static {
    /// The writable fields of a row about to be created.
    fn from_record(record: &Record) -> Result<Self, FieldError>;
    /// Writes the fields back into that row.
    fn write_record(&self, record: &mut Record);
}

/// A string enum usable as a field type. Implemented by `#[api_enum]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a supported field type",
    label = "a unit-only enum can be declared with #[api_enum]; anything else needs a supported scalar type (or its own resource with a relation)",
    note = "supported: i16, i32, i64, f32, f64, bool, String, Uuid, DateTime<Utc>, NaiveDate, #[api_enum] enums, Option<T> of these"
)]
pub trait ApiEnum: Sized + Send + Sync + 'static {
    const MODEL: &'static EnumModel;
    fn as_str(&self) -> &'static str;
    fn from_str(s: &str) -> Option<Self>;
}

/// A stored value did not fit the Rust field (schema drift).
#[derive(Debug, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Conversion of a field value to and from [`Value`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a supported field type",
    label = "a unit-only enum can be declared with #[api_enum]; anything else needs a supported scalar type (or its own resource with a relation)"
)]
pub trait FieldValue: Sized {
    fn from_value(v: Value) -> Result<Self, String>;
    fn to_value(&self) -> Value;
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl FieldValue for $t {
            fn from_value(v: Value) -> Result<Self, String> {
                match v {
                    Value::Int(i) => <$t>::try_from(i).map_err(|_| format!("{i} out of range")),
                    other => Err(format!("expected an integer, found {other:?}")),
                }
            }
            fn to_value(&self) -> Value { Value::Int(*self as i64) }
        }
    )*};
}
int_field!(i16, i32, i64);

impl FieldValue for f64 {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Float(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
}

impl FieldValue for f32 {
    fn from_value(v: Value) -> Result<Self, String> {
        f64::from_value(v).map(|f| f as f32)
    }
    fn to_value(&self) -> Value {
        Value::Float(*self as f64)
    }
}

impl FieldValue for bool {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(format!("expected a boolean, found {other:?}")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FieldValue for String {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl FieldValue for Uuid {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Uuid(u) => Ok(u),
            Value::Text(s) => Uuid::parse_str(&s).map_err(|e| e.to_string()),
            other => Err(format!("expected a UUID, found {other:?}")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Uuid(*self)
    }
}

impl FieldValue for DateTime<Utc> {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::DateTime(d) => Ok(d),
            other => Err(format!("expected a date-time, found {other:?}")),
        }
    }
    fn to_value(&self) -> Value {
        Value::DateTime(crate::value::truncate_micros(*self))
    }
}

impl FieldValue for NaiveDate {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Date(d) => Ok(d),
            other => Err(format!("expected a date, found {other:?}")),
        }
    }
    fn to_value(&self) -> Value {
        Value::Date(*self)
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn from_value(v: Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
    fn to_value(&self) -> Value {
        match self {
            None => Value::Null,
            Some(t) => t.to_value(),
        }
    }
}

/// Enums go through their wire string.
pub fn enum_from_value<E: ApiEnum>(v: Value) -> Result<E, String> {
    match v {
        Value::Text(s) => {
            E::from_str(&s).ok_or_else(|| format!("unknown {} value \"{s}\"", E::MODEL.name))
        }
        other => Err(format!(
            "expected a {} string, found {other:?}",
            E::MODEL.name
        )),
    }
}

/// Used by generated code: converts a copy of field `i`.
pub fn get<T: FieldValue>(record: &Record, i: usize, field: &'static str) -> Result<T, FieldError> {
    T::from_value(record[i].clone()).map_err(|message| FieldError { field, message })
}

/// Used by generated code: takes field `i` out of the record and converts it.
pub fn take<T: FieldValue>(
    record: &mut Record,
    i: usize,
    field: &'static str,
) -> Result<T, FieldError> {
    let v = std::mem::replace(&mut record[i], Value::Null);
    T::from_value(v).map_err(|message| FieldError { field, message })
}
