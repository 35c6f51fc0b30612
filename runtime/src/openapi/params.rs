//! Parameters: the item id, the list query grammar (filters, sort,
//! pagination) and the conditional-request headers.

use super::schemas::Catalog;
use crate::model::{FieldModel, FieldType, ResourceModel};
use crate::query::Op;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::Required;

/// Query keys the list parser reads before trying filters; a field with
/// one of these names can only be filtered as `field[eq]`.
const RESERVED: [&str; 4] = ["sort", "limit", "cursor", "offset"];

/// The most values an `in` / `nin` filter accepts.
use crate::query::rest::MAX_LIST_VALUES;

fn query(name: impl Into<String>, description: impl Into<String>) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
}

/// `{id}` in item paths.
pub fn id(cat: &Catalog, m: &ResourceModel) -> Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(format!(
            "The {} id. A value that does not parse as an id answers 404.",
            m.name
        )))
        .schema(Some(cat.value(&m.id_field().ty)))
        .build()
}

/// Every query parameter `GET /v{n}/{path}` understands.
pub fn list(cat: &Catalog, m: &ResourceModel) -> Vec<Parameter> {
    let mut out = Vec::new();
    for (_, f) in m.exposed().filter(|(_, f)| f.filterable || f.id.is_some()) {
        for op in Op::for_field(&f.ty, f.optional) {
            if op == Op::Eq && !RESERVED.contains(&f.api_name) {
                out.push(filter(cat, f, op, f.api_name.to_string()));
            }
            out.push(filter(cat, f, op, format!("{}[{}]", f.api_name, op.name())));
        }
    }
    out.push(sort(m));
    out.push(
        query(
            "limit",
            format!(
                "Items per page, from 1 to {} (default {}).",
                m.max_page_size, m.page_size
            ),
        )
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(1))
                .maximum(Some(m.max_page_size))
                .default(Some(m.page_size.into())),
        ))
        .build(),
    );
    out.push(
        query(
            "cursor",
            "The `next_cursor` of the previous page, unchanged. Keep the same `sort` (a cursor issued for another sort \
             is refused with 400). With `offset`, that many items after the cursor are skipped.",
        )
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build(),
    );
    out.push(
        query("offset", "Skip this many items (after the `cursor`, if one is given). Cursors are faster and stable under inserts.")
            .schema(Some(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                    .minimum(Some(0)),
            ))
            .build(),
    );
    out
}

fn filter(cat: &Catalog, f: &FieldModel, op: Op, name: String) -> Parameter {
    let n = f.api_name;
    let (description, schema) = match op {
        Op::Eq => (format!("`{n}` equals the value."), cat.value(&f.ty)),
        Op::Ne => (format!("`{n}` differs from the value."), cat.value(&f.ty)),
        Op::Lt => (format!("`{n}` is less than the value."), cat.value(&f.ty)),
        Op::Lte => (
            format!("`{n}` is less than or equal to the value."),
            cat.value(&f.ty),
        ),
        Op::Gt => (
            format!("`{n}` is greater than the value."),
            cat.value(&f.ty),
        ),
        Op::Gte => (
            format!("`{n}` is greater than or equal to the value."),
            cat.value(&f.ty),
        ),
        Op::In | Op::NotIn => {
            let verb = if op == Op::In {
                "is one of"
            } else {
                "is none of"
            };
            let list = ArrayBuilder::new()
                .items(cat.value(&f.ty))
                .min_items(Some(1))
                .max_items(Some(MAX_LIST_VALUES));
            (
                format!("`{n}` {verb} the comma-separated values (at most {MAX_LIST_VALUES})."),
                list.into(),
            )
        }
        Op::Contains | Op::StartsWith | Op::EndsWith => {
            let how = match op {
                Op::Contains => "contains",
                Op::StartsWith => "starts with",
                _ => "ends with",
            };
            (
                format!("`{n}` {how} the text (case-insensitive)."),
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(super::schemas::TEXT_PATTERN))
                    .into(),
            )
        }
        Op::IsNull => (
            format!("`true`: `{n}` is null; `false`: `{n}` is set."),
            ObjectBuilder::new().schema_type(Type::Boolean).into(),
        ),
    };
    let description = match f.ty {
        FieldType::DateTime => {
            format!("{description} Date-times are RFC 3339; encode `+` in offsets as `%2B`.")
        }
        _ => description,
    };
    let mut p = query(name, description).schema(Some(schema));
    if matches!(op, Op::In | Op::NotIn) {
        // `a,b,c` in one parameter, as the parser reads it.
        p = p.style(Some(ParameterStyle::Form)).explode(Some(false));
    }
    p.build()
}

fn sort(m: &ResourceModel) -> Parameter {
    let names: Vec<&str> = m
        .exposed()
        .filter(|(_, f)| f.sortable || f.id.is_some())
        .map(|(_, f)| f.api_name)
        .collect();
    let alt = names
        .iter()
        .map(|n| regex::escape(n))
        .collect::<Vec<_>>()
        .join("|");
    let example = match names.as_slice() {
        [a, b, ..] => format!("-{a},{b}"),
        [a] => format!("-{a}"),
        [] => String::new(),
    };
    let id = m.id_field().api_name;
    query(
        "sort",
        format!(
            "Comma-separated sort keys, most significant first; prefix a key with `-` for descending order. \
             Sortable fields: {}. `{id}` is always the final tie-breaker, so pages are stable.",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
    )
    .schema(Some(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^[-+]?(?:{alt})(?:,[-+]?(?:{alt}))*$")))
            .examples([example]),
    ))
    .build()
}

/// On GETs: a matching ETag answers 304 with no body.
pub fn if_none_match() -> Parameter {
    ParameterBuilder::new()
        .name("If-None-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "ETags from earlier responses (comma-separated; `*` matches any). When one still matches (weak comparison), \
             the answer is 304 Not Modified without a body.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// On writes to one record: optimistic concurrency.
/// On POST and PATCH: safe retries (draft-ietf-httpapi-idempotency-key-header).
pub fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "A unique value per logical write: a structured-field string (in double quotes) of 1 to 255 visible ASCII \
             characters other than `\"` and `\\`, such as a UUID, sent again on each retry. \
             A retry with the same key and request replays the first successful outcome (`Idempotent-Replayed: true`) \
             for 24 hours; the same key with a different request is 422; while the first request is still running, \
             a retry is 409 with `Retry-After`. A failed write keeps nothing, so its retry runs again. Keys are scoped \
             per authenticated subject.",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r#"^"[!#-\[\]-~]{1,255}"$"#))
                .examples(["\"8e0f2a4c-6f1e-4c39-9a57-0d0b6e3f1c2a\""]),
        ))
        .build()
}

pub fn if_match() -> Parameter {
    ParameterBuilder::new()
        .name("If-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Apply the change only if the record's current ETag is one of these (strong comparison; `*` matches any). \
             Otherwise nothing changes and the answer is 412 Precondition Failed.",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}
