//! Read scopes: conditions a hook adds to every read, list, update and
//! delete of a resource for the caller at hand (e.g. "only rows whose
//! `owner` is the caller"). Lists get them as SQL filters; a row read by
//! id (from the cache or the database) is tested in memory, so cached rows
//! are shared between callers and still never shown to the wrong one.

use super::{Filter, Op, Operand};
use crate::model::ResourceModel;
use crate::resource::FieldValue;
use crate::value::{Record, Value};

/// What a caller may see of a resource. [`Scope::all`] (the default) adds
/// nothing; [`Scope::none`] hides every row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scope {
    conditions: Vec<(&'static str, Test)>,
    nothing: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Eq(Value),
    OneOf(Vec<Value>),
    IsNull(bool),
}

impl Scope {
    pub fn all() -> Self {
        Scope::default()
    }

    pub fn none() -> Self {
        Scope {
            nothing: true,
            ..Default::default()
        }
    }

    /// Rows whose field (its API name) equals `value`.
    pub fn eq(mut self, field: &'static str, value: impl FieldValue) -> Self {
        self.conditions.push((field, Test::Eq(value.to_value())));
        self
    }

    /// Rows whose field is one of `values` (none: no rows).
    pub fn one_of<V: FieldValue>(
        mut self,
        field: &'static str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let vals = values.into_iter().map(|v| v.to_value()).collect();
        self.conditions.push((field, Test::OneOf(vals)));
        self
    }

    /// Rows whose field is (or is not) null.
    pub fn is_null(mut self, field: &'static str, null: bool) -> Self {
        self.conditions.push((field, Test::IsNull(null)));
        self
    }

    pub fn is_all(&self) -> bool {
        !self.nothing && self.conditions.is_empty()
    }

    /// The scope against `model`: field names resolved, values checked
    /// against the field types. `Err` names a mistake in the hook.
    pub fn resolve(&self, model: &'static ResourceModel) -> Result<Resolved, String> {
        let mut filters = Vec::with_capacity(self.conditions.len());
        for (name, test) in &self.conditions {
            let (i, f) = model
                .field_by_api_name(name)
                .filter(|(_, f)| !f.skip)
                .ok_or_else(|| format!("read scope of {}: no field `{name}`", model.name))?;
            let coerce = |v: &Value| {
                Value::from_json(&f.ty, &v.to_json())
                    .map_err(|m| format!("read scope of {}.{name}: {m}", model.name))
            };
            filters.push(match test {
                Test::Eq(v) if v.is_null() => is_null(i, true),
                Test::Eq(v) => Filter {
                    field: i,
                    op: Op::Eq,
                    operand: Operand::One(coerce(v)?),
                },
                Test::OneOf(vs) if vs.is_empty() => {
                    return Ok(Resolved {
                        filters: Vec::new(),
                        nothing: true,
                    })
                }
                Test::OneOf(vs) => Filter {
                    field: i,
                    op: Op::In,
                    operand: Operand::Many(vs.iter().map(coerce).collect::<Result<_, _>>()?),
                },
                Test::IsNull(null) => is_null(i, *null),
            });
        }
        Ok(Resolved {
            filters,
            nothing: self.nothing,
        })
    }
}

fn is_null(field: usize, null: bool) -> Filter {
    Filter {
        field,
        op: Op::IsNull,
        operand: Operand::Flag(null),
    }
}

/// A scope bound to a model's fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub filters: Vec<Filter>,
    /// No row at all.
    pub nothing: bool,
}

impl Resolved {
    /// Whether a row is inside the scope (the same answer as the SQL).
    pub fn admits(&self, record: &Record) -> bool {
        !self.nothing && self.filters.iter().all(|f| holds(f, &record[f.field]))
    }

    /// A stable text for cache keys: equal scopes, equal keys.
    pub fn key(&self) -> String {
        format!("{:?}", (self.nothing, &self.filters))
    }
}

fn holds(f: &Filter, v: &Value) -> bool {
    match (&f.op, &f.operand) {
        (Op::IsNull, Operand::Flag(null)) => v.is_null() == *null,
        (Op::Eq, Operand::One(want)) => !v.is_null() && v == want,
        (Op::In, Operand::Many(want)) => !v.is_null() && want.contains(v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Resource;

    #[crate::api_resource(path = "docs")]
    struct Doc {
        #[api(id)]
        id: i64,
        owner: Option<String>,
        level: i32,
    }

    fn row(owner: Option<&str>, level: i64) -> Record {
        let owner = owner.map_or(Value::Null, |o| Value::Text(o.into()));
        vec![Value::Int(1), owner, Value::Int(level)]
    }

    #[test]
    fn rows_are_admitted_like_the_sql_would() {
        let m = Doc::MODEL;
        let s = Scope::all()
            .eq("owner", "ana".to_string())
            .one_of("level", [1i32, 2])
            .resolve(m)
            .unwrap();
        assert!(s.admits(&row(Some("ana"), 2)));
        assert!(!s.admits(&row(Some("ben"), 2)));
        assert!(!s.admits(&row(Some("ana"), 3)));
        assert!(!s.admits(&row(None, 1)), "null never equals");
        let unowned = Scope::all().is_null("owner", true).resolve(m).unwrap();
        assert!(unowned.admits(&row(None, 1)));
        assert!(!Scope::none().resolve(m).unwrap().admits(&row(None, 1)));
        let empty = Scope::all().one_of::<i32>("level", []).resolve(m).unwrap();
        assert!(
            empty.nothing,
            "an empty set admits nothing (and makes no `IN ()`)"
        );
    }

    #[test]
    fn mistakes_in_a_scope_are_named() {
        let e = Scope::all()
            .eq("nope", 1i64)
            .resolve(Doc::MODEL)
            .unwrap_err();
        assert!(e.contains("no field `nope`"), "{e}");
        let e = Scope::all()
            .eq("level", "x".to_string())
            .resolve(Doc::MODEL)
            .unwrap_err();
        assert!(e.contains("Doc.level"), "{e}");
    }
}
