//! List queries: filters, sort keys and pagination, shared by REST and
//! GraphQL so both have exactly the same semantics.
//!
//! REST grammar (documented in the README and the OpenAPI document):
//! - `field=value` — equality; `field[op]=value` with `op` one of
//!   `eq ne lt lte gt gte in nin contains starts_with ends_with is_null`;
//!   `in`/`nin` take a comma-separated list; `is_null` takes `true|false`.
//! - `sort=-priority,title` — keys in order, `-` for descending; the id is
//!   always the final tie-breaker so pages are stable.
//! - `limit=N` (default: the resource's page size, at most its maximum),
//!   `cursor=TOKEN` (from `next_cursor`) or `offset=N`.

mod cursor;
pub mod rest;
pub mod scope;

pub use cursor::Cursor;
pub use rest::parse_rest_query;
pub use scope::Scope;

use crate::model::{FieldType, ResourceModel};
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    NotIn,
    Contains,
    StartsWith,
    EndsWith,
    IsNull,
}

impl Op {
    pub const ALL: [Op; 12] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::In,
        Op::NotIn,
        Op::Contains,
        Op::StartsWith,
        Op::EndsWith,
        Op::IsNull,
    ];

    /// The REST spelling (`title[starts_with]=`).
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::In => "in",
            Op::NotIn => "nin",
            Op::Contains => "contains",
            Op::StartsWith => "starts_with",
            Op::EndsWith => "ends_with",
            Op::IsNull => "is_null",
        }
    }

    /// The GraphQL input field name (`startsWith`).
    pub fn graphql_name(self) -> &'static str {
        match self {
            Op::StartsWith => "startsWith",
            Op::EndsWith => "endsWith",
            Op::IsNull => "isNull",
            Op::NotIn => "notIn",
            other => other.name(),
        }
    }

    pub fn from_name(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.name() == s)
    }

    /// Whether the operator applies to a field of this kind.
    pub fn applies_to(self, ty: &FieldType, optional: bool) -> bool {
        match self {
            Op::Eq | Op::Ne | Op::In | Op::NotIn => true,
            Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
                ty.is_ordered() && !matches!(ty, FieldType::Enum(_))
            }
            Op::Contains | Op::StartsWith | Op::EndsWith => ty.is_text(),
            Op::IsNull => optional,
        }
    }

    /// Operators available for a field.
    pub fn for_field(ty: &FieldType, optional: bool) -> impl Iterator<Item = Op> + '_ {
        Op::ALL
            .into_iter()
            .filter(move |o| o.applies_to(ty, optional))
    }
}

/// The right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    One(Value),
    Many(Vec<Value>),
    Flag(bool),
}

/// `field op operand`, with `field` an index into `model.fields`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: usize,
    pub op: Op,
    pub operand: Operand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub field: usize,
    pub descending: bool,
}

/// A fully validated list request.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filters: Vec<Filter>,
    /// Client sort keys; the id is appended as tie-breaker when building SQL.
    pub sort: Vec<SortKey>,
    pub limit: u32,
    pub cursor: Option<Cursor>,
    pub offset: Option<u64>,
}

impl ListQuery {
    pub fn new(model: &ResourceModel) -> Self {
        ListQuery {
            filters: Vec::new(),
            sort: Vec::new(),
            limit: model.page_size,
            cursor: None,
            offset: None,
        }
    }

    /// The sort keys including the id tie-breaker.
    pub fn full_sort(&self, model: &ResourceModel) -> Vec<SortKey> {
        let id = model.id_index();
        let mut keys: Vec<SortKey> = self
            .sort
            .iter()
            .copied()
            .filter(|k| k.field != id)
            .collect();
        let id_desc = self
            .sort
            .iter()
            .find(|k| k.field == id)
            .map(|k| k.descending)
            .unwrap_or(false);
        keys.push(SortKey {
            field: id,
            descending: id_desc,
        });
        keys
    }

    /// `-priority,title`: the sort in its REST spelling (also the cursor's
    /// fingerprint, so a cursor cannot be replayed under another order).
    pub fn sort_spec(&self, model: &ResourceModel) -> String {
        self.sort
            .iter()
            .map(|k| {
                format!(
                    "{}{}",
                    if k.descending { "-" } else { "" },
                    model.fields[k.field].api_name
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}
