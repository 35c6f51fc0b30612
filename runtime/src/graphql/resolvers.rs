//! Root fields per resource. They only translate arguments: reading and
//! writing go through the same [`ResourceService`] calls as REST, so
//! validation, pagination and errors are identical.
//!
//! - `task(id: ID!): Task` (null when there is no such record)
//! - `tasks(filter: TaskFilter, sort: [TaskSort!], first: Int, after: String, offset: Int): TaskPage!`
//! - `createTask(input: TaskCreateInput!): Task!`
//! - `updateTask(id: ID!, input: TaskPatchInput!, ifMatch: String): Task!`
//! - `deleteTask(id: ID!, ifMatch: String): Task!` (the deleted record)

use super::errors::Gql;
use super::loaders::{Group, Row};
use super::scalars::Kind;
use super::types::ListPage;
use super::{filters, names, response_cache, types};
use crate::error::{ApiError, FieldProblem};
use crate::input::Mode;
use crate::model::ResourceModel;
use crate::query::{Cursor, ListQuery, SortKey};
use crate::service::ResourceService;
use crate::value::Value;
use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, InputValue, ObjectAccessor, TypeRef, ValueAccessor,
};
use async_graphql::{Error, Value as GqlValue};
use std::sync::Arc;

pub use resourceful_spec::graphql::query_names;

/// Root query fields, with their names.
pub fn queries(svc: &Arc<ResourceService>) -> Vec<(String, Field)> {
    let model = svc.model;
    let (one, many) = query_names(model);
    let id_doc = format!("The {}'s id.", model.name);

    let s = svc.clone();
    let get = Field::new(&one, TypeRef::named(model.name), move |ctx| {
        let svc = s.clone();
        FieldFuture::new(async move {
            let id = id_arg(&svc, ctx.args.try_get("id")?)?;
            response_cache::record(&ctx, &svc);
            // Same path as REST: cache, then batcher, then the database.
            Ok(svc
                .read(&super::context_of(&ctx), &id)
                .await
                .gql()?
                .map(|r| FieldValue::owned_any(Row::single(r.record.clone()))))
        })
    })
    .description(format!(
        "One {} by id, or null if there is none.",
        model.name
    ))
    .argument(InputValue::new("id", TypeRef::named_nn(TypeRef::ID)).description(id_doc));

    let s = svc.clone();
    let sorts: Arc<[(String, SortKey)]> = types::sort_values(model).into();
    let list = Field::new(
        &many,
        TypeRef::named_nn(types::page_name(model)),
        move |ctx| {
            let (svc, sorts) = (s.clone(), sorts.clone());
            FieldFuture::new(async move {
                let q = list_query(svc.model, &ctx.args, &sorts).gql()?;
                response_cache::record(&ctx, &svc);
                let caller = super::context_of(&ctx);
                let scope = svc.scope(&caller).gql()?;
                svc.refuse_hidden_in_query(&q, svc.hidden_fields(&caller))
                    .gql()?;
                let page = svc.list(scope.as_ref(), &q).await.gql()?;
                Ok(Some(FieldValue::owned_any(ListPage {
                    group: Group::new(page.records),
                    next_cursor: page.next_cursor,
                })))
            })
        },
    )
    .description(format!(
        "A page of {}s, filtered and sorted; the same semantics as GET {}.",
        model.name,
        model.route()
    ))
    .argument(InputValue::new(
        "filter",
        TypeRef::named(filters::type_name(model)),
    ))
    .argument(
        InputValue::new("sort", TypeRef::named_nn_list(types::sort_name(model)))
            .description("Sort keys in order; the id breaks ties."),
    )
    .argument(
        InputValue::new("first", TypeRef::named(TypeRef::INT)).description(format!(
            "Page size: 1 to {} (default {}).",
            model.max_page_size, model.page_size
        )),
    )
    .argument(
        InputValue::new("after", TypeRef::named(TypeRef::STRING))
            .description("A `nextCursor` from the previous page (issued for the same sort)."),
    )
    .argument(
        InputValue::new("offset", TypeRef::named(TypeRef::INT))
            .description("Rows to skip; instead of `after`."),
    );
    vec![(one, get), (many, list)]
}

/// Root mutation fields, with their names.
pub fn mutations(svc: &Arc<ResourceService>) -> Vec<(String, Field)> {
    let model = svc.model;
    let name = names::upper_first(&names::lower_camel(model.name));
    let mut out = Vec::new();

    let s = svc.clone();
    let has_input = types::has_create_input(model);
    let create_name = format!("create{name}");
    let mut create = Field::new(&create_name, TypeRef::named_nn(model.name), move |ctx| {
        let svc = s.clone();
        FieldFuture::new(async move {
            let body = match ctx.args.get("input") {
                Some(input) => input_json(svc.model, input)?,
                None => serde_json::Value::Object(Default::default()),
            };
            let c = super::context_of(&ctx);
            let created = svc
                .create(&c, std::slice::from_ref(&body), false)
                .await
                .gql()?;
            let rec = created
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::internal("create returned no row"))
                .gql()?;
            Ok(Some(FieldValue::owned_any(Row::single(rec))))
        })
    })
    .description(format!(
        "Creates a {}, with the same validation as POST {}.",
        model.name,
        model.route()
    ));
    if has_input {
        create = create.argument(InputValue::new(
            "input",
            TypeRef::named_nn(types::create_input_name(model)),
        ));
    }
    out.push((create_name, create));

    if types::has_patch_input(model) {
        let s = svc.clone();
        let update_name = format!("update{name}");
        let update = Field::new(&update_name, TypeRef::named_nn(model.name), move |ctx| {
            let svc = s.clone();
            FieldFuture::new(async move {
                let id = id_arg(&svc, ctx.args.try_get("id")?)?;
                let body = input_json(svc.model, ctx.args.try_get("input")?)?;
                let if_match = optional_string(ctx.args.get("ifMatch"))?;
                let c = super::context_of(&ctx);
                let rec = svc
                    .update(&c, &id, &body, Mode::Patch, if_match)
                    .await
                    .gql()?;
                Ok(Some(FieldValue::owned_any(Row::single(rec))))
            })
        })
        .description(format!(
            "Changes a {} like PATCH {}/{{id}}.",
            model.name,
            model.route()
        ))
        .argument(InputValue::new("id", TypeRef::named_nn(TypeRef::ID)))
        .argument(InputValue::new(
            "input",
            TypeRef::named_nn(types::patch_input_name(model)),
        ))
        .argument(if_match_arg());
        out.push((update_name, update));
    }

    let s = svc.clone();
    let delete_name = format!("delete{name}");
    let delete = Field::new(&delete_name, TypeRef::named_nn(model.name), move |ctx| {
        let svc = s.clone();
        FieldFuture::new(async move {
            let id = id_arg(&svc, ctx.args.try_get("id")?)?;
            let if_match = optional_string(ctx.args.get("ifMatch"))?;
            let c = super::context_of(&ctx);
            Ok(Some(FieldValue::owned_any(Row::single(
                svc.delete(&c, &id, if_match).await.gql()?,
            ))))
        })
    })
    .description(format!(
        "Deletes a {} and returns it as it was.",
        model.name
    ))
    .argument(InputValue::new("id", TypeRef::named_nn(TypeRef::ID)))
    .argument(if_match_arg());
    out.push((delete_name, delete));
    out
}

fn if_match_arg() -> InputValue {
    InputValue::new("ifMatch", TypeRef::named(TypeRef::STRING)).description(
        "Only if the record's `_etag` (its ETag) still matches; otherwise PRECONDITION_FAILED.",
    )
}

fn optional_string<'a>(v: Option<ValueAccessor<'a>>) -> Result<Option<&'a str>, Error> {
    match v {
        Some(v) if !v.is_null() => v.string().map(Some),
        _ => Ok(None),
    }
}

/// An `ID` argument (a string, or an integer literal) → the id value.
fn id_arg(svc: &ResourceService, v: ValueAccessor<'_>) -> Result<Value, Error> {
    let raw = match v.as_value() {
        GqlValue::String(s) => s.clone(),
        GqlValue::Number(n) => n.to_string(),
        other => return Err(Error::new(format!("expected an id, got {other}"))),
    };
    svc.parse_id(&raw).gql()
}

/// A create or patch input → the JSON object REST would receive. Absent
/// fields stay absent and explicit nulls stay null, so merge-patch
/// semantics carry over unchanged.
fn input_json(
    model: &'static ResourceModel,
    v: ValueAccessor<'_>,
) -> Result<serde_json::Value, Error> {
    let mut obj = serde_json::Map::new();
    for (name, value) in v.object()?.iter() {
        let json = match model.field_by_api_name(name.as_str()) {
            Some((_, f)) => super::scalars::to_json(value.as_value(), Kind::of(f), &f.ty),
            // Not reachable through a validated input type; REST's message applies.
            None => value.as_value().clone().into_json().unwrap_or_default(),
        };
        obj.insert(name.to_string(), json);
    }
    Ok(serde_json::Value::Object(obj))
}

fn problem(pointer: &str, code: &'static str, message: String) -> FieldProblem {
    FieldProblem {
        field: String::new(),
        pointer: pointer.to_string(),
        code,
        message,
    }
}

/// The list arguments → a [`ListQuery`], with REST's rules and messages.
pub fn list_query(
    model: &'static ResourceModel,
    args: &ObjectAccessor<'_>,
    sorts: &[(String, SortKey)],
) -> Result<ListQuery, ApiError> {
    let mut q = ListQuery::new(model);
    let mut problems = Vec::new();
    q.filters = filters::parse(model, args.get("filter"), &mut problems);

    if let Some(sort) = args.get("sort").filter(|v| !v.is_null()) {
        let items = match sort.list() {
            Ok(l) => l.as_values_slice(),
            Err(_) => std::slice::from_ref(sort.as_value()), // a single value stands for a one-item list
        };
        for item in items {
            let name = match item {
                GqlValue::Enum(n) => n.as_str(),
                GqlValue::String(s) => s.as_str(),
                _ => "",
            };
            match sorts.iter().find(|(n, _)| n == name) {
                Some((_, key)) if q.sort.iter().any(|k| k.field == key.field) => {
                    let f = model.fields[key.field].api_name;
                    problems.push(FieldProblem {
                        field: f.to_string(),
                        pointer: "sort".into(),
                        code: "duplicate",
                        message: format!("`{f}` appears twice in sort"),
                    });
                }
                Some((_, key)) => q.sort.push(*key),
                None => problems.push(problem(
                    "sort",
                    "unknown",
                    format!("unknown sort key `{name}`"),
                )),
            }
        }
    }

    if let Some(first) = args.get("first").filter(|v| !v.is_null()) {
        match first.i64() {
            Ok(n) if n >= 1 && n <= model.max_page_size as i64 => q.limit = n as u32,
            _ => problems.push(problem(
                "first",
                "range",
                format!(
                    "`first` must be an integer from 1 to {}",
                    model.max_page_size
                ),
            )),
        }
    }
    if let Some(offset) = args.get("offset").filter(|v| !v.is_null()) {
        match offset.i64() {
            Ok(n) if n >= 0 => q.offset = Some(n as u64),
            _ => problems.push(problem(
                "offset",
                "type",
                "`offset` must be a non-negative integer".into(),
            )),
        }
    }
    let after = optional_string(args.get("after")).ok().flatten();
    if after.is_some() && q.offset.is_some() {
        problems.push(problem(
            "after",
            "conflict",
            "use either `after` or `offset`, not both".into(),
        ));
    }
    // The cursor carries the sort it was issued for, so decode it last.
    if problems.is_empty() {
        if let Some(token) = after {
            match Cursor::decode(model, &q, token) {
                Ok(c) => q.cursor = Some(c),
                Err(m) => problems.push(problem("after", "cursor", m)),
            }
        }
    }
    if problems.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::bad_query(problems))
    }
}
