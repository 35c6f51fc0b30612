//! Filter inputs: `TaskFilter { title: StringFilter, done: BooleanFilter, … }`
//! on the filterable fields and the id, with one input per scalar kind
//! listing exactly the operators REST accepts for it (`Nullable…Filter`
//! adds `isNull`). Conditions are ANDed, as in REST, and become the same
//! [`Filter`]s `title[starts_with]=…` does.

use super::scalars::Kind;
use super::Types;
use crate::error::FieldProblem;
use crate::model::{FieldModel, ResourceModel};
use crate::query::{Filter, Op, Operand};
use crate::value::Value;
use async_graphql::dynamic::{InputObject, InputValue, TypeRef, ValueAccessor};

/// The same bound REST applies to `in` / `nin` lists.
const MAX_LIST: usize = 1000;

/// Fields a client may filter on.
pub fn filterable(
    model: &'static ResourceModel,
) -> impl Iterator<Item = (usize, &'static FieldModel)> {
    model
        .exposed()
        .filter(|(_, f)| f.filterable || f.id.is_some())
}

/// `TaskFilter`
pub fn type_name(model: &ResourceModel) -> String {
    format!("{}Filter", model.name)
}

/// `StringFilter`, `NullableIntFilter`, `IDFilter`, `StatusFilter`, …
/// Ids over text keys also take the text operators, so they get their own.
fn scalar_filter_name(kind: Kind, f: &FieldModel) -> String {
    let label = match kind {
        Kind::Id if f.ty.is_text() => "StringID",
        k => k.type_name(),
    };
    format!("{}{label}Filter", if f.optional { "Nullable" } else { "" })
}

fn op_doc(op: Op) -> &'static str {
    match op {
        Op::Eq => "Equal to.",
        Op::Ne => "Not equal to (null values match).",
        Op::Lt => "Less than.",
        Op::Lte => "Less than or equal to.",
        Op::Gt => "Greater than.",
        Op::Gte => "Greater than or equal to.",
        Op::In => "One of these values (at most 1000).",
        Op::NotIn => "None of these values (at most 1000).",
        Op::Contains => "Contains this text (case-insensitive on PostgreSQL).",
        Op::StartsWith => "Starts with this text.",
        Op::EndsWith => "Ends with this text.",
        Op::IsNull => "true: the value is null; false: it is not.",
    }
}

/// Registers `TaskFilter` and the per-kind filters it uses.
pub fn register(types: &mut Types, model: &'static ResourceModel) {
    let name = type_name(model);
    let mut input = InputObject::new(&name).description(format!(
        "Conditions on {} fields; all given conditions must hold.",
        model.name
    ));
    for (_, f) in filterable(model) {
        let kind = Kind::of(f);
        let filter = register_scalar_filter(types, kind, f);
        let mut field = InputValue::new(f.api_name, TypeRef::named(filter));
        if !f.doc.is_empty() {
            field = field.description(f.doc);
        }
        input = input.field(field);
    }
    types.add(&name, &format!("resource {}", model.name), input);
}

fn register_scalar_filter(types: &mut Types, kind: Kind, f: &FieldModel) -> String {
    let name = scalar_filter_name(kind, f);
    let ops: Vec<Op> = Op::for_field(&f.ty, f.optional).collect();
    let mut input = InputObject::new(&name);
    for &op in &ops {
        let ty = match op {
            Op::In | Op::NotIn => TypeRef::named_nn_list(kind.type_name()),
            Op::IsNull => TypeRef::named(TypeRef::BOOLEAN),
            Op::Contains | Op::StartsWith | Op::EndsWith => TypeRef::named(TypeRef::STRING),
            _ => TypeRef::named(kind.type_name()),
        };
        input = input.field(InputValue::new(op.graphql_name(), ty).description(op_doc(op)));
    }
    let ops_sig = ops.iter().map(|o| o.name()).collect::<Vec<_>>().join(",");
    types.add(
        &name,
        &format!("filter {} {ops_sig}", kind.type_name()),
        input,
    );
    name
}

/// The `filter` argument → conditions, collecting every problem.
pub fn parse(
    model: &'static ResourceModel,
    arg: Option<ValueAccessor<'_>>,
    problems: &mut Vec<FieldProblem>,
) -> Vec<Filter> {
    let mut out = Vec::new();
    let Some(obj) = arg.filter(|a| !a.is_null()).and_then(|a| a.object().ok()) else {
        return out;
    };
    for (name, ops) in obj.iter() {
        let Some(ops) = (!ops.is_null()).then(|| ops.object().ok()).flatten() else {
            continue;
        };
        let Some((idx, f)) = model.field_by_api_name(name.as_str()) else {
            continue;
        };
        let kind = Kind::of(f);
        for (op_name, operand) in ops.iter() {
            // An explicit null means "no condition", as for an absent one.
            if operand.is_null() {
                continue;
            }
            let Some(op) = Op::ALL
                .into_iter()
                .find(|o| o.graphql_name() == op_name.as_str())
            else {
                continue;
            };
            let problem = |code: &'static str, message: String| FieldProblem {
                field: f.api_name.to_string(),
                pointer: format!("filter.{}.{}", f.api_name, op_name),
                code,
                message,
            };
            if !op.applies_to(&f.ty, f.optional) {
                problems.push(problem(
                    "operator",
                    format!("`{op_name}` does not apply to `{}`", f.api_name),
                ));
                continue;
            }
            let operand = match op {
                Op::IsNull => match operand.boolean() {
                    Ok(b) => Operand::Flag(b),
                    Err(_) => {
                        problems.push(problem("type", "`isNull` takes true or false".into()));
                        continue;
                    }
                },
                Op::Contains | Op::StartsWith | Op::EndsWith => match operand.string() {
                    Ok(s) => Operand::One(Value::Text(s.to_string())),
                    Err(_) => {
                        problems.push(problem("type", "expected a string".into()));
                        continue;
                    }
                },
                Op::In | Op::NotIn => {
                    // GraphQL coerces a single value to a one-item list.
                    let items = match operand.list() {
                        Ok(l) => l.as_values_slice(),
                        Err(_) => std::slice::from_ref(operand.as_value()),
                    };
                    if items.is_empty() || items.len() > MAX_LIST {
                        problems.push(problem(
                            "type",
                            format!("`{op_name}` takes 1 to {MAX_LIST} values"),
                        ));
                        continue;
                    }
                    let mut values = Vec::with_capacity(items.len());
                    for v in items {
                        match super::scalars::to_value(v, kind, &f.ty) {
                            Ok(v) if !v.is_null() => values.push(v),
                            Ok(_) => problems.push(problem(
                                "type",
                                format!("`{op_name}` values cannot be null"),
                            )),
                            Err(m) => problems.push(problem("type", m)),
                        }
                    }
                    Operand::Many(values)
                }
                _ => match super::scalars::to_value(operand.as_value(), kind, &f.ty) {
                    Ok(v) => Operand::One(v),
                    Err(m) => {
                        problems.push(problem("type", m));
                        continue;
                    }
                },
            };
            out.push(Filter {
                field: idx,
                op,
                operand,
            });
        }
    }
    out
}
