//! The types generated per resource:
//!
//! - `Task`: the exposed fields, `_etag`, and the relation fields
//!   (`Task.project`, `Project.tasks`);
//! - `TaskPage { items, nextCursor, hasNextPage }`;
//! - `TaskSort`: `TITLE_ASC`, `TITLE_DESC`, … for each sortable field and
//!   the id;
//! - `TaskCreateInput` (required fields non-null) and `TaskPatchInput`
//!   (every updatable field, all nullable: absent keeps, null clears).
//!
//! Objects resolve from a [`Row`] held by the parent value.

use super::errors::Gql;
use super::loaders::{Group, Row, Via};
use super::names;
use super::scalars::{self, Kind};
use super::Types;
use crate::error::ApiError;
use crate::model::ResourceModel;
use crate::permissions;
use crate::query::SortKey;
use crate::registry::{Link, Registry};
use crate::representation::Representation;
use crate::service::ResourceService;
use crate::value::Record;
use async_graphql::dynamic::{
    Enum, EnumItem, Field, FieldFuture, FieldValue, InputObject, InputValue, Object,
    ResolverContext, TypeRef,
};
use async_graphql::Error;
use std::sync::Arc;

/// The meta field with the record's strong ETag (as REST sends it), for
/// `ifMatch` on updates and deletes.
pub const ETAG_FIELD: &str = "_etag";

pub fn page_name(model: &ResourceModel) -> String {
    format!("{}Page", model.name)
}
pub fn sort_name(model: &ResourceModel) -> String {
    format!("{}Sort", model.name)
}
pub fn create_input_name(model: &ResourceModel) -> String {
    format!("{}CreateInput", model.name)
}
pub fn patch_input_name(model: &ResourceModel) -> String {
    format!("{}PatchInput", model.name)
}

/// The record an object field resolves from.
pub fn record<'a>(ctx: &ResolverContext<'a>) -> Result<&'a Record, Error> {
    ctx.parent_value.try_downcast_ref::<Row>().map(Row::record)
}

/// What a list query resolves to: the page's rows (one [`Group`], so
/// their relations load together) and the next cursor.
pub struct ListPage {
    pub group: Arc<Group>,
    pub next_cursor: Option<String>,
}

/// `TaskSort` values and the sort key each stands for.
pub fn sort_values(model: &'static ResourceModel) -> Vec<(String, SortKey)> {
    let mut out = Vec::new();
    for (i, f) in model
        .exposed()
        .filter(|(_, f)| f.sortable || f.id.is_some())
    {
        let base = names::enum_value(f.api_name);
        out.push((
            format!("{base}_ASC"),
            SortKey {
                field: i,
                descending: false,
            },
        ));
        out.push((
            format!("{base}_DESC"),
            SortKey {
                field: i,
                descending: true,
            },
        ));
    }
    out
}

pub fn has_create_input(model: &'static ResourceModel) -> bool {
    model.writable().next().is_some()
}

pub fn has_patch_input(model: &'static ResourceModel) -> bool {
    model.exposed().any(|(_, f)| f.is_client_updatable())
}

/// Registers every type of resource `i` (the filter input comes from
/// [`super::filters`]).
pub fn register(types: &mut Types, registry: &Arc<Registry>, i: usize) {
    let model = registry.services[i].model;
    let sig = format!("resource {}", model.name);
    for (_, f) in model.exposed() {
        if let Kind::Enum(e) = Kind::of(f) {
            scalars::register_enum(types, e);
        }
        if !names::is_name(f.api_name) {
            types.problem(format!(
                "{}.{}: `{}` cannot be a GraphQL field name",
                model.name, f.rust_name, f.api_name
            ));
        }
    }
    // Object fields come from three places; a clash would silently drop one.
    let relations = registry
        .outgoing(i)
        .filter_map(|l| model.fields[l.field].relation.map(|r| r.name));
    let inverses = registry.incoming(i).filter_map(|l| {
        registry.services[l.from].model.fields[l.field]
            .relation
            .and_then(|r| r.inverse)
    });
    let mut seen = Vec::new();
    for name in model
        .exposed()
        .map(|(_, f)| f.api_name)
        .chain([ETAG_FIELD])
        .chain(relations)
        .chain(inverses)
    {
        if seen.contains(&name) {
            types.problem(format!(
                "{}: two GraphQL fields are named `{name}`; rename a field or relation",
                model.name
            ));
        }
        seen.push(name);
    }
    types.add(model.name, &sig, object(registry, i));
    types.add(&page_name(model), &sig, page(model));

    let mut sort = Enum::new(sort_name(model)).description(format!(
        "A sort key for {}; the id is always the final tie-breaker. Optional fields sort nulls last.",
        model.name
    ));
    for (name, key) in sort_values(model) {
        let f = &model.fields[key.field];
        let dir = if key.descending {
            "descending"
        } else {
            "ascending"
        };
        sort = sort.item(EnumItem::new(name).description(format!("`{}` {dir}.", f.api_name)));
    }
    types.add(&sort_name(model), &sig, sort);

    if has_create_input(model) {
        let mut input = InputObject::new(create_input_name(model)).description(format!(
            "A new {}; fields the server sets are not accepted.",
            model.name
        ));
        for (_, f) in model.writable() {
            let mut v =
                InputValue::new(f.api_name, Kind::of(f).type_ref(f.is_required_on_create()));
            if !f.doc.is_empty() {
                v = v.description(f.doc);
            }
            input = input.field(v);
        }
        types.add(&create_input_name(model), &sig, input);
    }
    if has_patch_input(model) {
        let mut input = InputObject::new(patch_input_name(model)).description(format!(
            "Changes to a {} (merge-patch semantics): absent fields keep their value, null clears an optional field.",
            model.name
        ));
        for (_, f) in model.exposed().filter(|(_, f)| f.is_client_updatable()) {
            let mut v = InputValue::new(f.api_name, Kind::of(f).type_ref(false));
            if !f.doc.is_empty() {
                v = v.description(f.doc);
            }
            input = input.field(v);
        }
        types.add(&patch_input_name(model), &sig, input);
    }
}

fn object(registry: &Arc<Registry>, i: usize) -> Object {
    let model = registry.services[i].model;
    let mut obj = Object::new(model.name);
    if !model.doc.is_empty() {
        obj = obj.description(model.doc);
    }
    for (idx, f) in model.exposed() {
        let kind = Kind::of(f);
        // A field some callers may not read is null for them, so nullable.
        let restricted = f.access.read;
        let mut field = Field::new(
            f.api_name,
            kind.type_ref(!f.optional && restricted.is_none()),
            move |ctx| match record(&ctx) {
                Ok(_)
                    if restricted
                        .is_some_and(|r| !permissions::grants(&r, &super::context_of(&ctx))) =>
                {
                    FieldFuture::Value(None)
                }
                // A null must resolve to no value: custom scalars reject a
                // `FieldValue` holding `Null`.
                Ok(rec) if rec[idx].is_null() => FieldFuture::Value(None),
                Ok(rec) => FieldFuture::Value(Some(FieldValue::value(scalars::to_graphql(
                    &rec[idx], kind,
                )))),
                Err(e) => FieldFuture::new(async move { Err::<Option<FieldValue>, _>(e) }),
            },
        );
        if !f.doc.is_empty() {
            field = field.description(f.doc);
        }
        obj = obj.field(field);
    }
    obj = obj.field(
        Field::new(ETAG_FIELD, TypeRef::named_nn(TypeRef::STRING), move |ctx| match record(&ctx) {
            Ok(rec) => {
                let hidden = permissions::hidden_fields(model, &super::context_of(&ctx));
                FieldFuture::Value(Some(FieldValue::value(Representation::view(model, rec, hidden).etag)))
            }
            Err(e) => FieldFuture::new(async move { Err::<Option<FieldValue>, _>(e) }),
        })
        .description("The record's strong ETag, as REST sends it; pass it as `ifMatch` to update or delete only if unchanged."),
    );
    for link in registry.outgoing(i) {
        obj = obj.field(to_one(registry, link));
    }
    for link in registry.incoming(i) {
        if let Some(f) = to_many(registry, link) {
            obj = obj.field(f);
        }
    }
    obj
}

/// `Task.project`: the row the foreign key points at.
fn to_one(registry: &Registry, link: &Link) -> Field {
    let from = registry.services[link.from].model;
    let target: Arc<ResourceService> = registry.services[link.to].clone();
    let fk = &from.fields[link.field];
    let rel = fk.relation.expect("links come from relations");
    let via = Via {
        resource: link.to,
        field: target.model.id_index(),
        parent_field: link.field,
    };
    let optional = fk.optional;
    let ty = if optional {
        TypeRef::named(target.model.name)
    } else {
        TypeRef::named_nn(target.model.name)
    };
    let description = format!(
        "The {} that `{}` refers to.",
        target.model.name, fk.api_name
    );
    Field::new(rel.name, ty, move |ctx| {
        let target = target.clone();
        FieldFuture::new(async move {
            let row = ctx.parent_value.try_downcast_ref::<Row>()?;
            if row.record()[via.parent_field].is_null() {
                return Ok(None);
            }
            super::response_cache::record(&ctx, &target);
            let scope = target.scope(&super::context_of(&ctx)).gql()?;
            match row.related(&target, via).await.gql()?.into_iter().next() {
                Some(r) if scope.as_ref().is_some_and(|s| !s.admits(r.record())) => {
                    if optional {
                        return Ok(None);
                    }
                    Err(ApiError::forbidden(format!(
                        "the {} this {} refers to is outside what you may read",
                        target.model.name, from.name
                    )))
                    .gql()
                }
                Some(r) => Ok(Some(FieldValue::owned_any(r))),
                None if optional => Ok(None),
                None => Err(ApiError::internal(format!(
                    "{} refers to a missing {}",
                    from.name, target.model.name
                )))
                .gql(),
            }
        })
    })
    .description(description)
}

/// `Project.tasks`: the rows whose foreign key points here, in id order.
fn to_many(registry: &Registry, link: &Link) -> Option<Field> {
    let source: Arc<ResourceService> = registry.services[link.from].clone();
    let target = registry.services[link.to].model;
    let fk = &source.model.fields[link.field];
    let inverse = fk.relation.and_then(|r| r.inverse)?;
    let via = Via {
        resource: link.from,
        field: link.field,
        parent_field: target.id_index(),
    };
    let description = format!(
        "Every {} whose `{}` is this {}'s id, in id order.",
        source.model.name, fk.api_name, target.name
    );
    Some(
        Field::new(
            inverse,
            TypeRef::named_nn_list_nn(source.model.name),
            move |ctx| {
                let source = source.clone();
                FieldFuture::new(async move {
                    let row = ctx.parent_value.try_downcast_ref::<Row>()?;
                    super::response_cache::record(&ctx, &source);
                    let scope = source.scope(&super::context_of(&ctx)).gql()?;
                    let rows = row.related(&source, via).await.gql()?;
                    let visible = rows
                        .into_iter()
                        .filter(|r| scope.as_ref().is_none_or(|s| s.admits(r.record())));
                    Ok(Some(FieldValue::list(visible.map(FieldValue::owned_any))))
                })
            },
        )
        .description(description),
    )
}

fn page_of<'a>(ctx: &ResolverContext<'a>) -> Result<&'a ListPage, Error> {
    ctx.parent_value.try_downcast_ref::<ListPage>()
}

fn page(model: &'static ResourceModel) -> Object {
    Object::new(page_name(model))
        .description(format!(
            "One page of {}s. Pass `nextCursor` as `after` (with the same filter and sort) for the next page; REST's `next_cursor` is the same token.",
            model.name
        ))
        .field(Field::new("items", TypeRef::named_nn_list_nn(model.name), move |ctx| {
            FieldFuture::new(async move {
                Ok(Some(FieldValue::list(page_of(&ctx)?.group.rows().map(FieldValue::owned_any))))
            })
        }))
        .field(
            Field::new("nextCursor", TypeRef::named(TypeRef::STRING), move |ctx| {
                FieldFuture::new(async move { Ok(page_of(&ctx)?.next_cursor.clone().map(FieldValue::value)) })
            })
            .description("The cursor of the next page, or null on the last page."),
        )
        .field(Field::new("hasNextPage", TypeRef::named_nn(TypeRef::BOOLEAN), move |ctx| {
            FieldFuture::new(async move { Ok(Some(FieldValue::value(page_of(&ctx)?.next_cursor.is_some()))) })
        }))
}
