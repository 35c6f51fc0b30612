//! The REST query-string grammar → [`ListQuery`].

use super::{Cursor, Filter, ListQuery, Op, Operand, SortKey};
use crate::error::{ApiError, FieldProblem};
use crate::model::{FieldType, ResourceModel};

const RESERVED: [&str; 4] = ["sort", "limit", "cursor", "offset"];

/// The most values an `in` / `nin` filter takes (100 UUIDs fit well
/// within the header limit; the document says the same).
pub const MAX_LIST_VALUES: usize = 100;

fn problem(param: &str, field: &str, code: &'static str, message: String) -> FieldProblem {
    FieldProblem {
        field: field.to_string(),
        pointer: param.to_string(),
        code,
        message,
    }
}

/// Parses a raw query string, collecting every problem before failing.
pub fn parse_rest_query(
    model: &'static ResourceModel,
    raw: Option<&str>,
) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery::new(model);
    let mut problems = Vec::new();
    let mut cursor_token: Option<String> = None;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .into_owned()
        .collect();

    for (key, value) in &pairs {
        match key.as_str() {
            "sort" => {
                // As strict as the document's pattern: no empty keys, no spaces.
                if value.split(',').any(str::is_empty) {
                    problems.push(problem(
                        "sort",
                        "",
                        "format",
                        "`sort` is a comma-separated list of field names (`-` for descending) with no empty entries; \
                         leave it out for the default order"
                            .into(),
                    ));
                    continue;
                }
                for part in value.split(',') {
                    let (desc, name) = match part.strip_prefix('-') {
                        Some(n) => (true, n),
                        None => (false, part.strip_prefix('+').unwrap_or(part)),
                    };
                    match model.field_by_api_name(name) {
                        Some((i, f)) if f.sortable || f.id.is_some() => {
                            // A repeated key changes nothing (as in SQL):
                            // its first place counts.
                            if !q.sort.iter().any(|k| k.field == i) {
                                q.sort.push(SortKey {
                                    field: i,
                                    descending: desc,
                                });
                            }
                        }
                        Some(_) => problems.push(problem(
                            "sort",
                            name,
                            "not_sortable",
                            format!(
                                "`{name}` is not sortable; sortable fields: {}",
                                sortable_list(model)
                            ),
                        )),
                        None => problems.push(problem(
                            "sort",
                            name,
                            "unknown",
                            format!(
                                "unknown field `{name}`; sortable fields: {}{}",
                                sortable_list(model),
                                if name.starts_with(' ') {
                                    " (a `+` in a URL is a space: write `%2B`, or leave it out for ascending)"
                                } else {
                                    ""
                                }
                            ),
                        )),
                    }
                }
            }
            "limit" => match value.parse::<u32>() {
                Ok(n) if n >= 1 && n <= model.max_page_size => q.limit = n,
                _ => problems.push(problem(
                    "limit",
                    "",
                    "range",
                    format!(
                        "`limit` must be an integer from 1 to {}",
                        model.max_page_size
                    ),
                )),
            },
            // As the document says: an int64 from 0.
            "offset" => match value.parse::<i64>() {
                Ok(n) if n >= 0 => q.offset = Some(n as u64),
                _ => problems.push(problem(
                    "offset",
                    "",
                    "type",
                    "`offset` must be a non-negative integer".into(),
                )),
            },
            "cursor" => cursor_token = Some(value.clone()),
            _ => match parse_filter(model, key, value) {
                Ok(f) => q.filters.push(f),
                Err(p) => problems.push(p),
            },
        }
    }
    if problems.is_empty() {
        if let Some(token) = cursor_token {
            match Cursor::decode(model, &q, &token) {
                Ok(c) => q.cursor = Some(c),
                Err(m) => problems.push(problem("cursor", "", "cursor", m)),
            }
        }
    }
    if problems.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::bad_query(problems))
    }
}

fn sortable_list(model: &ResourceModel) -> String {
    model
        .exposed()
        .filter(|(_, f)| f.sortable || f.id.is_some())
        .map(|(_, f)| f.api_name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn filterable_list(model: &ResourceModel) -> String {
    let l: Vec<_> = model
        .exposed()
        .filter(|(_, f)| f.filterable || f.id.is_some())
        .map(|(_, f)| f.api_name)
        .collect();
    if l.is_empty() {
        "(none)".into()
    } else {
        l.join(", ")
    }
}

fn parse_filter(
    model: &'static ResourceModel,
    key: &str,
    value: &str,
) -> Result<Filter, FieldProblem> {
    let (name, op) = match key.find('[') {
        Some(i) if key.ends_with(']') => {
            let op_name = &key[i + 1..key.len() - 1];
            let op = Op::from_name(op_name).ok_or_else(|| {
                problem(
                    key,
                    &key[..i],
                    "operator",
                    format!(
                        "unknown operator `{op_name}`; use one of {}",
                        Op::ALL
                            .iter()
                            .map(|o| o.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            (&key[..i], op)
        }
        Some(_) => {
            return Err(problem(
                key,
                key,
                "syntax",
                format!("malformed filter `{key}`; write `field[op]=value`"),
            ))
        }
        None => (key, Op::Eq),
    };
    let Some((idx, f)) = model.field_by_api_name(name) else {
        let hint = if RESERVED.contains(&name) {
            String::new()
        } else {
            format!("; filterable fields: {}", filterable_list(model))
        };
        return Err(problem(
            key,
            name,
            "unknown",
            format!("unknown query parameter `{key}`{hint}"),
        ));
    };
    if !(f.filterable || f.id.is_some()) {
        return Err(problem(
            key,
            name,
            "not_filterable",
            format!(
                "`{name}` is not filterable; filterable fields: {}",
                filterable_list(model)
            ),
        ));
    }
    if !op.applies_to(&f.ty, f.optional) {
        return Err(problem(
            key,
            name,
            "operator",
            format!(
                "operator `{}` does not apply to `{name}` ({}); use one of {}",
                op.name(),
                f.ty.describe(),
                Op::for_field(&f.ty, f.optional)
                    .map(|o| o.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let bad = |m: String| problem(key, name, "type", m);
    let operand = match op {
        Op::IsNull => match value {
            "true" => Operand::Flag(true),
            "false" => Operand::Flag(false),
            _ => return Err(bad("`is_null` takes true or false".into())),
        },
        Op::In | Op::NotIn => {
            let mut vals = Vec::new();
            for part in value.split(',') {
                vals.push(crate::value::Value::from_text(&f.ty, part).map_err(bad)?);
            }
            if vals.len() > MAX_LIST_VALUES {
                return Err(bad(format!("at most {MAX_LIST_VALUES} values in a list")));
            }
            Operand::Many(vals)
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            Operand::One(crate::value::Value::from_text(&FieldType::String, value).map_err(bad)?)
        }
        _ => Operand::One(crate::value::Value::from_text(&f.ty, value).map_err(bad)?),
    };
    Ok(Filter {
        field: idx,
        op,
        operand,
    })
}
