//! How model values appear in GraphQL, and the custom scalars.
//!
//! | field                      | GraphQL     | on the wire                     |
//! |----------------------------|-------------|---------------------------------|
//! | id, or a relation's key    | `ID`        | string (`"42"`); input: string or int |
//! | `i16`, `i32`               | `Int`       | number                          |
//! | `i64` (other fields)       | `BigInt`    | number (all 64 bits; input: number or numeric string) |
//! | `f32`, `f64`               | `Float`     | number                          |
//! | `bool`                     | `Boolean`   |                                 |
//! | `String`                   | `String`    |                                 |
//! | `Uuid`                     | `UUID`      | hyphenated string               |
//! | `DateTime<Utc>`            | `DateTime`  | RFC 3339 string, UTC, microseconds |
//! | `NaiveDate`                | `Date`      | `YYYY-MM-DD`                    |
//! | `#[api_enum]`              | its enum    | `IN_PROGRESS` for `in_progress` |
//!
//! `i64` is not `Int` because GraphQL's `Int` is 32-bit: a valid value
//! would fail to serialize. Ids are `ID` as GraphQL clients expect.

use super::names;
use super::Types;
use crate::model::{EnumModel, FieldModel, FieldType};
use crate::value::Value;
use async_graphql::dynamic::{Enum, EnumItem, Scalar, TypeRef};
use async_graphql::{Name, Number, Value as GqlValue};

/// A field's GraphQL scalar kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Id,
    Int,
    BigInt,
    Float,
    Boolean,
    String,
    Uuid,
    DateTime,
    Date,
    Enum(&'static EnumModel),
}

impl Kind {
    pub fn of(f: &FieldModel) -> Kind {
        if f.id.is_some() || f.relation.is_some() {
            return Kind::Id;
        }
        match f.ty {
            FieldType::I16 | FieldType::I32 => Kind::Int,
            FieldType::I64 => Kind::BigInt,
            FieldType::F32 | FieldType::F64 => Kind::Float,
            FieldType::Bool => Kind::Boolean,
            FieldType::String => Kind::String,
            FieldType::Uuid => Kind::Uuid,
            FieldType::DateTime => Kind::DateTime,
            FieldType::Date => Kind::Date,
            FieldType::Enum(e) => Kind::Enum(e),
        }
    }

    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Id => TypeRef::ID,
            Kind::Int => TypeRef::INT,
            Kind::BigInt => "BigInt",
            Kind::Float => TypeRef::FLOAT,
            Kind::Boolean => TypeRef::BOOLEAN,
            Kind::String => TypeRef::STRING,
            Kind::Uuid => "UUID",
            Kind::DateTime => "DateTime",
            Kind::Date => "Date",
            Kind::Enum(e) => e.name,
        }
    }

    /// `T!` or `T`.
    pub fn type_ref(self, non_null: bool) -> TypeRef {
        if non_null {
            TypeRef::named_nn(self.type_name())
        } else {
            TypeRef::named(self.type_name())
        }
    }
}

/// A stored value as a GraphQL output value.
pub fn to_graphql(v: &Value, kind: Kind) -> GqlValue {
    match (v, kind) {
        (Value::Null, _) => GqlValue::Null,
        (_, Kind::Id) => GqlValue::String(v.to_text()),
        (Value::Text(s), Kind::Enum(_)) => GqlValue::Enum(Name::new(names::enum_value(s))),
        (Value::Int(i), _) => GqlValue::Number((*i).into()),
        (Value::Float(f), _) => Number::from_f64(*f)
            .map(GqlValue::Number)
            .unwrap_or(GqlValue::Null),
        (Value::Bool(b), _) => GqlValue::Boolean(*b),
        (Value::Text(s), _) => GqlValue::String(s.clone()),
        (other, _) => GqlValue::String(other.to_text()),
    }
}

/// A GraphQL input value as the JSON the REST API would receive, so the
/// service validates both the same way (enum values map back to wire
/// strings; everything else is already in its JSON form).
pub fn to_json(v: &GqlValue, kind: Kind, ty: &FieldType) -> serde_json::Value {
    match (v, kind) {
        (GqlValue::Enum(n), Kind::Enum(e)) => enum_json(e, n.as_str()),
        (GqlValue::String(s), Kind::Enum(e)) => enum_json(e, s),
        // `ID` and `BigInt` may come as strings; JSON has integers as numbers.
        (GqlValue::String(s), Kind::Id | Kind::BigInt) if ty.is_integer() => {
            match s.trim().parse::<i64>() {
                Ok(i) => i.into(),
                Err(_) => serde_json::Value::String(s.clone()),
            }
        }
        (other, _) => other.clone().into_json().unwrap_or(serde_json::Value::Null),
    }
}

fn enum_json(e: &'static EnumModel, name: &str) -> serde_json::Value {
    // Unknown names pass through; the service reports them with the variants.
    serde_json::Value::String(
        names::enum_wire(e.variants, name)
            .unwrap_or(name)
            .to_string(),
    )
}

/// A filter operand or an id argument as a value of the field's type.
pub fn to_value(v: &GqlValue, kind: Kind, ty: &FieldType) -> Result<Value, String> {
    Value::from_json(ty, &to_json(v, kind, ty))
}

/// Registers the custom scalars (their validators check input literals
/// and variables; outputs are produced by [`to_graphql`] and also pass).
pub fn register(types: &mut Types) {
    let scalars = [
        Scalar::new("BigInt")
            .description("A 64-bit signed integer, sent as a JSON number; a numeric string is also accepted as input.")
            .validator(|v| match v {
                GqlValue::Number(n) => n.as_i64().is_some(),
                GqlValue::String(s) => s.trim().parse::<i64>().is_ok(),
                _ => false,
            }),
        Scalar::new("UUID")
            .description("A UUID in its hyphenated text form.")
            .specified_by_url("https://www.rfc-editor.org/rfc/rfc9562")
            .validator(|v| matches!(v, GqlValue::String(s) if uuid::Uuid::parse_str(s).is_ok())),
        Scalar::new("DateTime")
            .description("An RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z; sent in UTC with microseconds.")
            .specified_by_url("https://www.rfc-editor.org/rfc/rfc3339")
            .validator(|v| matches!(v, GqlValue::String(s) if chrono::DateTime::parse_from_rfc3339(s).is_ok())),
        Scalar::new("Date")
            .description("A calendar date, YYYY-MM-DD.")
            .validator(|v| matches!(v, GqlValue::String(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())),
    ];
    for s in scalars {
        let name = s.type_name().to_string();
        types.add(&name, "scalar", s);
    }
}

/// Registers the GraphQL enum of an `#[api_enum]` (once, however many
/// fields use it).
pub fn register_enum(types: &mut Types, e: &'static EnumModel) {
    let values: Vec<String> = e.variants.iter().map(|w| names::enum_value(w)).collect();
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            types.problem(format!(
                "enum {}: two variants map to the GraphQL value {v}; rename one so their wire names differ by more than case or punctuation",
                e.name
            ));
        }
    }
    let mut ty = Enum::new(e.name);
    if !e.doc.is_empty() {
        ty = ty.description(e.doc);
    }
    for (w, v) in e.variants.iter().zip(&values) {
        ty = ty.item(EnumItem::new(v).description(format!("`{w}` in REST and JSON.")));
    }
    types.add(e.name, &format!("enum {:?}", e.variants), ty);
}
