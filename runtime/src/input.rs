//! Client input → records, checking types, unknown and read-only fields,
//! required fields and declared validation rules. Every problem is
//! reported at once, each with a JSON Pointer.

use crate::error::FieldProblem;
use crate::model::{AutoValue, FieldModel, IdStrategy, ResourceModel};
use crate::value::{truncate_micros, Record, Value};
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// How the body relates to the stored row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Create,
    /// PUT: every writable field is set; absent optional fields become null.
    Replace,
    /// PATCH (JSON merge patch): only present fields change.
    Patch,
}

fn problem(prefix: &str, f: &str, code: &'static str, message: String) -> FieldProblem {
    FieldProblem {
        field: f.to_string(),
        pointer: format!("{prefix}/{f}"),
        code,
        message,
    }
}

/// Builds the record to store. `current` is the stored row for replace and
/// patch. `prefix` is the JSON Pointer of this object in the body (`/3`
/// for the fourth item of a bulk create).
pub fn to_record(
    model: &'static ResourceModel,
    body: &serde_json::Value,
    mode: Mode,
    current: Option<&Record>,
    prefix: &str,
) -> Result<Record, Vec<FieldProblem>> {
    to_record_with(model, body, mode, current, prefix, true)
}

/// [`to_record`], with the declared rules (`length`, `range`, `pattern`)
/// left out when `rules` is false: hooks normalise first, then
/// [`recheck`] applies them.
pub fn to_record_with(
    model: &'static ResourceModel,
    body: &serde_json::Value,
    mode: Mode,
    current: Option<&Record>,
    prefix: &str,
    rules: bool,
) -> Result<Record, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldProblem {
            field: String::new(),
            pointer: prefix.to_string(),
            code: "type",
            message: "expected a JSON object".into(),
        }]);
    };
    let now = truncate_micros(chrono::Utc::now());
    let mut rec: Record = match current {
        Some(c) => c.clone(),
        None => vec![Value::Null; model.fields.len()],
    };

    for (key, _) in obj.iter() {
        match model.field_by_api_name(key) {
            None => problems.push(problem(
                prefix,
                key,
                "unknown",
                format!(
                    "unknown field `{key}`; fields: {}",
                    model
                        .exposed()
                        .map(|(_, f)| f.api_name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Some((i, f)) => {
                let writable = match mode {
                    Mode::Create => f.is_client_writable(),
                    _ => f.is_client_updatable(),
                };
                if !writable {
                    // Echoing the current id or owner back on PUT/PATCH is harmless.
                    let same_id = (f.id.is_some() || f.owner)
                        && current.is_some_and(|c| {
                            Value::from_json(&f.ty, &obj[key]).ok().as_ref() == Some(&c[i])
                        });
                    if !same_id {
                        problems.push(problem(
                            prefix,
                            key,
                            "read_only",
                            format!("`{key}` is set by the server and cannot be written"),
                        ));
                    }
                }
            }
        }
    }

    for (i, f) in model.fields.iter().enumerate() {
        if f.skip {
            continue;
        }
        let writable = match mode {
            Mode::Create => f.is_client_writable(),
            _ => f.is_client_updatable(),
        };
        if writable {
            match obj.get(f.api_name) {
                Some(j) => match Value::from_json(&f.ty, j) {
                    Ok(Value::Null) if !f.optional => problems.push(problem(
                        prefix,
                        f.api_name,
                        "null",
                        format!("`{}` cannot be null", f.api_name),
                    )),
                    Ok(v) => {
                        if let Some(p) = check_rules(f, &v, prefix).filter(|_| rules) {
                            problems.push(p);
                        }
                        rec[i] = v;
                    }
                    Err(m) => problems.push(problem(prefix, f.api_name, "type", m)),
                },
                None => match (mode, f.default) {
                    (Mode::Patch, _) => {}
                    // PUT without the field sets it back to its default.
                    (_, Some(d)) => rec[i] = Value::from_default(d),
                    _ if f.optional => rec[i] = Value::Null,
                    _ => problems.push(problem(
                        prefix,
                        f.api_name,
                        "required",
                        format!("`{}` is required", f.api_name),
                    )),
                },
            }
        } else if mode == Mode::Create {
            rec[i] = match (f.id, f.auto, f.default) {
                (Some(IdStrategy::Uuid), _, _) => Value::Uuid(uuid::Uuid::new_v4()),
                (_, Some(_), _) => Value::DateTime(now),
                // A field this API version does not have.
                (_, _, Some(d)) => Value::from_default(d),
                _ => Value::Null,
            };
        }
        if mode != Mode::Create && f.auto == Some(AutoValue::UpdatedAt) {
            rec[i] = Value::DateTime(now);
        }
    }
    if problems.is_empty() {
        Ok(rec)
    } else {
        Err(problems)
    }
}

/// The writable fields of a record checked again (after a hook changed
/// it): no null where a value is required, and every declared rule.
pub fn recheck(
    model: &'static ResourceModel,
    rec: &Record,
    mode: Mode,
    prefix: &str,
) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    for (i, f) in model.fields.iter().enumerate() {
        let writable = match mode {
            Mode::Create => f.is_client_writable(),
            _ => f.is_client_updatable(),
        };
        if f.skip || !writable {
            continue;
        }
        match &rec[i] {
            Value::Null if !f.optional => problems.push(problem(
                prefix,
                f.api_name,
                "null",
                format!("`{}` cannot be null", f.api_name),
            )),
            Value::Text(t) if t.contains('\0') => problems.push(problem(
                prefix,
                f.api_name,
                "type",
                "text must not contain the NUL character (U+0000)".into(),
            )),
            v => problems.extend(check_rules(f, v, prefix)),
        }
    }
    problems
}

/// Declared `length`, `range` and `pattern` rules.
pub fn check_rules(f: &FieldModel, v: &Value, prefix: &str) -> Option<FieldProblem> {
    let r = &f.validation;
    if r.is_empty() {
        return None;
    }
    let p = |code, m: String| Some(problem(prefix, f.api_name, code, m));
    match v {
        Value::Text(s) => {
            let n = s.chars().count() as u32;
            if let Some(min) = r.min_length {
                if n < min {
                    return p(
                        "length",
                        format!(
                            "`{}` must be at least {min} character{} long",
                            f.api_name,
                            if min == 1 { "" } else { "s" }
                        ),
                    );
                }
            }
            if let Some(max) = r.max_length {
                if n > max {
                    return p(
                        "length",
                        format!(
                            "`{}` must be at most {max} character{} long",
                            f.api_name,
                            if max == 1 { "" } else { "s" }
                        ),
                    );
                }
            }
            if let Some(pat) = r.pattern {
                if !pattern(pat).is_match(s) {
                    return p(
                        "pattern",
                        format!("`{}` must match the pattern {pat}", f.api_name),
                    );
                }
            }
            None
        }
        Value::Int(_) | Value::Float(_) => {
            let x = match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => unreachable!(),
            };
            if r.min.is_some_and(|min| x < min) || r.max.is_some_and(|max| x > max) {
                let range = match (r.min, r.max) {
                    (Some(a), Some(b)) => format!("between {a} and {b}"),
                    (Some(a), None) => format!("at least {a}"),
                    (None, Some(b)) => format!("at most {b}"),
                    _ => unreachable!(),
                };
                return p("range", format!("`{}` must be {range}", f.api_name));
            }
            None
        }
        _ => None,
    }
}

/// Compiled patterns, anchored to the whole value, built once each.
fn pattern(p: &'static str) -> regex::Regex {
    static CACHE: OnceLock<RwLock<HashMap<&'static str, regex::Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(r) = cache.read().expect("lock").get(p) {
        return r.clone();
    }
    // The macro checked the syntax at compile time.
    let r = regex::Regex::new(&format!("^(?:{p})$")).expect("pattern validated at compile time");
    cache.write().expect("lock").insert(p, r.clone());
    r
}
