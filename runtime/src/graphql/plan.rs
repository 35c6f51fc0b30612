//! The commonest query, answered without the executor: one root field by
//! id (`task(id: …)` or `task(id: $id)` with `$id: ID!`) selecting the
//! row's own scalar fields, `_etag` and `__typename`. The plan is made
//! once per kept document and checked by construction against the model
//! (names, argument, variable type, depth and complexity limits), so a
//! document the validator would refuse gets no plan.
//!
//! Running a plan reads through [`ResourceService::read`], as the
//! resolver does (read rule, read scope, cache, batcher), and renders
//! with the resolvers' own conversions. Anything else (a missing or
//! ill-typed variable, an unknown id, a refusal, a null in a non-null
//! field) gives up and the executor answers, so errors keep their one
//! shape. Why: parsing, validating and resolving through async-graphql's
//! dynamic schema made an executed `task(id)` 0.24× of the REST read
//! (`cargo bench --bench http`, `example-gql-executed`).

use super::resolvers::query_names;
use super::response_cache::Reads;
use super::scalars::{self, Kind};
use super::types::ETAG_FIELD;
use crate::context::Context;
use crate::model::AccessRule;
use crate::permissions;
use crate::registry::Registry;
use crate::representation::Representation;
use crate::service::ResourceService;
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use async_graphql::{Name, Value as GqlValue, Variables};
use async_graphql_value::Value as DocValue;
use std::collections::HashMap;
use std::sync::Arc;

/// Makes plans for one schema (its roots and limits).
pub struct Planner {
    /// Root query field (`task`) → its resource.
    roots: HashMap<String, Arc<ResourceService>>,
    max_depth: usize,
    max_complexity: usize,
    /// Plans by document key; `None`: the document has no plan.
    plans: quick_cache::sync::Cache<u128, Option<Arc<Plan>>>,
}

/// How to answer one document.
pub struct Plan {
    svc: Arc<ResourceService>,
    /// The operation's name, if it has one.
    operation: Option<Name>,
    /// The root field's response key (its alias or name).
    key: Name,
    id: Id,
    fields: Vec<(Name, Leaf)>,
}

enum Id {
    Literal(String),
    Variable(Name),
}

enum Leaf {
    Field {
        index: usize,
        kind: Kind,
        read: Option<AccessRule>,
        nullable: bool,
    },
    Etag,
    Typename,
}

impl Planner {
    pub fn new(registry: &Registry, max_depth: usize, max_complexity: usize) -> Planner {
        let roots = registry
            .services
            .iter()
            .map(|svc| (query_names(svc.model).0, svc.clone()))
            .collect();
        Planner {
            roots,
            max_depth,
            max_complexity,
            plans: quick_cache::sync::Cache::new(super::documents::CAPACITY),
        }
    }

    /// The plan of the document kept as `key`, made on first use.
    pub fn of(&self, key: u128, doc: &ExecutableDocument) -> Option<Arc<Plan>> {
        if let Some(p) = self.plans.get(&key) {
            return p;
        }
        let p = self.make(doc).map(Arc::new);
        self.plans.insert(key, p.clone());
        p
    }

    fn make(&self, doc: &ExecutableDocument) -> Option<Plan> {
        if !doc.fragments.is_empty() {
            return None;
        }
        let mut ops = doc.operations.iter();
        let (name, op) = ops.next()?;
        if ops.next().is_some() {
            return None;
        }
        let op: &OperationDefinition = &op.node;
        if op.ty != OperationType::Query || !op.directives.is_empty() {
            return None;
        }
        let [root] = op.selection_set.node.items.as_slice() else {
            return None;
        };
        let Selection::Field(root) = &root.node else {
            return None;
        };
        let root = &root.node;
        let svc = self.roots.get(root.name.node.as_str())?;
        let [(arg, value)] = root.arguments.as_slice() else {
            return None;
        };
        if arg.node != "id" || !root.directives.is_empty() {
            return None;
        }
        let id = match &value.node {
            DocValue::String(s) => Id::Literal(s.clone()),
            DocValue::Number(n) if n.is_i64() || n.is_u64() => Id::Literal(n.to_string()),
            DocValue::Variable(v) => Id::Variable(v.clone()),
            _ => return None,
        };
        // At most the one variable, declared `ID!`, and used.
        match (&id, op.variable_definitions.as_slice()) {
            (Id::Literal(_), []) => {}
            (Id::Variable(v), [def]) => {
                let def = &def.node;
                let ty = &def.var_type.node;
                let is_id = matches!(&ty.base, BaseType::Named(n) if n == "ID");
                if def.name.node != *v || !is_id || ty.nullable || !def.directives.is_empty() {
                    return None;
                }
            }
            _ => return None,
        }
        let items = &root.selection_set.node.items;
        // Depth 2; each field counts one (async-graphql's defaults).
        if items.is_empty() || self.max_depth < 2 || items.len() + 1 > self.max_complexity {
            return None;
        }
        let model = svc.model;
        let mut fields: Vec<(Name, Leaf)> = Vec::with_capacity(items.len());
        for item in items {
            let Selection::Field(f) = &item.node else {
                return None;
            };
            let f = &f.node;
            if !f.arguments.is_empty()
                || !f.directives.is_empty()
                || !f.selection_set.node.items.is_empty()
            {
                return None;
            }
            let leaf = match f.name.node.as_str() {
                "__typename" => Leaf::Typename,
                ETAG_FIELD => Leaf::Etag,
                name => {
                    let (index, field) = model.exposed().find(|(_, d)| d.api_name == name)?;
                    Leaf::Field {
                        index,
                        kind: Kind::of(field),
                        read: field.access.read,
                        nullable: field.optional || field.access.read.is_some(),
                    }
                }
            };
            let key = f.alias.as_ref().map_or(&f.name.node, |a| &a.node).clone();
            // Merging fields under one key is the executor's job.
            if fields.iter().any(|(k, _)| *k == key) {
                return None;
            }
            fields.push((key, leaf));
        }
        let key = root.alias.as_ref().map_or(&root.name.node, |a| &a.node);
        Some(Plan {
            svc: svc.clone(),
            operation: name.cloned(),
            key: key.clone(),
            id,
            fields,
        })
    }
}

impl Plan {
    /// Whether a request naming `operation` runs this plan.
    pub fn serves(&self, operation: Option<&str>) -> bool {
        operation.is_none_or(|o| self.operation.as_ref().is_some_and(|n| n.as_str() == o))
    }

    /// The response, or `None` to let the executor answer.
    pub async fn run(
        &self,
        ctx: &Context,
        variables: &Variables,
        reads: Option<&Reads>,
    ) -> Option<async_graphql::Response> {
        let raw = match &self.id {
            Id::Literal(s) => s.clone(),
            Id::Variable(v) => match variables.get(v)? {
                GqlValue::String(s) => s.clone(),
                GqlValue::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
                _ => return None,
            },
        };
        let id = self.svc.parse_id(&raw).ok()?;
        if let Some(r) = reads {
            r.record(&self.svc);
        }
        let row = match self.svc.read(ctx, &id).await.ok()? {
            None => GqlValue::Null,
            Some(rep) => GqlValue::Object(self.render(ctx, &rep.record)?),
        };
        let mut data = IndexMap::with_capacity(1);
        data.insert(self.key.clone(), row);
        Some(async_graphql::Response::new(GqlValue::Object(data)))
    }

    /// The selected fields of `rec`, as the field resolvers give them.
    fn render(
        &self,
        ctx: &Context,
        rec: &crate::value::Record,
    ) -> Option<IndexMap<Name, GqlValue>> {
        let model = self.svc.model;
        let mut out = IndexMap::with_capacity(self.fields.len());
        for (key, leaf) in &self.fields {
            let v = match leaf {
                Leaf::Typename => GqlValue::String(model.name.to_string()),
                Leaf::Etag => {
                    let hidden = permissions::hidden_fields(model, ctx);
                    GqlValue::String(Representation::view(model, rec, hidden).etag)
                }
                Leaf::Field {
                    index,
                    kind,
                    read,
                    nullable,
                } => {
                    if read.is_some_and(|r| !permissions::grants(&r, ctx)) || rec[*index].is_null()
                    {
                        if !nullable {
                            return None;
                        }
                        GqlValue::Null
                    } else {
                        scalars::to_graphql(&rec[*index], *kind)
                    }
                }
            };
            out.insert(key.clone(), v);
        }
        Some(out)
    }
}
