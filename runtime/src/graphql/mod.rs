//! GraphQL at `/graphql` (GraphiQL on the same path for browsers), built
//! from the registered models at start-up with async-graphql's dynamic
//! schema: one generic set of resolvers, no generated Rust type per
//! resource, so compile times do not grow with the API.
//!
//! Shape per resource (here `Task`): the object `Task`, the queries
//! `task(id)` and `tasks(filter, sort, first, after, offset): TaskPage!`,
//! the mutations `createTask`, `updateTask`, `deleteTask`, and relation
//! fields both ways (`Task.project`, `Project.tasks`), loaded in batches.
//! Naming: [`names`]; scalars: [`scalars`]; errors: [`errors`]; depth limits
//! and introspection: [`introspection`].

mod documents;
mod errors;
mod filters;
mod http;
mod introspection;
mod loaders;
mod names;
mod persisted;
mod plan;
mod resolvers;
mod response_cache;
mod scalars;
mod types;

use crate::config::Config;
use crate::registry::Registry;
use async_graphql::dynamic::{Object, Schema, Type};
use axum::routing::get;
use axum::Router;
use std::collections::HashMap;
use std::sync::Arc;

/// The request's context (attached by the HTTP handler), for resolvers.
fn context_of(ctx: &async_graphql::dynamic::ResolverContext<'_>) -> crate::context::Context {
    ctx.data_opt::<crate::context::Context>()
        .cloned()
        .unwrap_or_default()
}

pub fn router(
    registry: Arc<Registry>,
    config: &Config,
    maintenance: Option<Arc<crate::maintenance::Schedule>>,
) -> Router {
    if registry.services.is_empty() {
        // A schema needs at least one query field.
        return Router::new();
    }
    // Declarations that cannot become a schema are start-up errors, like
    // the registry's own checks.
    let build = |depth, complexity| {
        let s = schema_with(&registry, depth, complexity, config.graphql_introspection);
        s.unwrap_or_else(|e| panic!("invalid GraphQL schema:\n{e}"))
    };
    let state = http::GraphqlState {
        data: build(config.graphql_max_depth, config.graphql_max_complexity),
        introspection: build(
            config.graphql_max_depth.max(introspection::MAX_DEPTH),
            config
                .graphql_max_complexity
                .max(introspection::MIN_COMPLEXITY),
        ),
        max_body: config.max_body_bytes,
        responses: response_cache::ResponseCache::new(
            config.graphql_response_cache,
            config.cache_max_entries,
            registry.services[0].flags.clone(),
        ),
        documents: documents::Documents::default(),
        plans: plan::Planner::new(
            &registry,
            config.graphql_max_depth,
            config.graphql_max_complexity,
        ),
        persisted: persisted::PersistedQueries::default(),
        maintenance,
    };
    Router::new()
        .route(
            http::PATH,
            get(http::get).post(http::post).fallback(http::not_allowed),
        )
        .with_state(Arc::new(state))
}

/// The schema with these limits, or every reason it cannot be built.
pub fn schema(
    registry: &Arc<Registry>,
    max_depth: usize,
    max_complexity: usize,
) -> Result<Schema, String> {
    schema_with(registry, max_depth, max_complexity, true)
}

/// [`schema`], with introspection (`__schema`, `__type`) on or off.
pub fn schema_with(
    registry: &Arc<Registry>,
    max_depth: usize,
    max_complexity: usize,
    introspection: bool,
) -> Result<Schema, String> {
    let mut types = Types::default();
    scalars::register(&mut types);
    let mut query = Object::new("Query");
    let mut mutation = Object::new("Mutation");
    let mut roots: HashMap<String, &str> = HashMap::new();
    for (i, svc) in registry.services.iter().enumerate() {
        let name = svc.model.name;
        types::register(&mut types, registry, i);
        filters::register(&mut types, svc.model);
        for ((field_name, field), root) in [
            (resolvers::queries(svc), "Query"),
            (resolvers::mutations(svc), "Mutation"),
        ]
        .into_iter()
        .flat_map(|(fs, root)| fs.into_iter().map(move |f| (f, root)))
        {
            let key = format!("{root}.{field_name}");
            if let Some(other) = roots.insert(key.clone(), name) {
                types.problem(format!(
                    "{key} is generated for both {other} and {name}; rename a resource or its path"
                ));
            }
            match root {
                "Query" => query = query.field(field),
                _ => mutation = mutation.field(field),
            }
        }
    }
    types.add("Query", "root", query);
    types.add("Mutation", "root", mutation);
    if !types.problems.is_empty() {
        return Err(types.problems.join("\n"));
    }
    let mut builder = Schema::build("Query", Some("Mutation"), None)
        .limit_depth(max_depth)
        .limit_complexity(max_complexity)
        .extension(errors::ErrorPath);
    if !introspection {
        builder = builder.disable_introspection();
    }
    for (_, ty) in types.types {
        builder = builder.register(ty);
    }
    builder.finish().map_err(|e| e.0)
}

/// The types of the schema being built. async-graphql keeps the last of
/// two types with one name; this refuses the clash instead (two resources
/// generating `TaskPage`, two enums named `Status`), while letting shared
/// types (`StringFilter`, an enum used twice) be added by each user.
#[derive(Default)]
pub(crate) struct Types {
    types: Vec<(String, Type)>,
    /// Name → what it was generated for.
    origins: HashMap<String, String>,
    problems: Vec<String>,
}

impl Types {
    /// Adds `ty` as `name`; `origin` tells identical shared types apart
    /// from clashes.
    pub fn add(&mut self, name: &str, origin: &str, ty: impl Into<Type>) {
        match self.origins.get(name) {
            Some(o) if o == origin => {}
            Some(o) => self.problems.push(format!(
                "the GraphQL type `{name}` is generated twice: for {o} and for {origin}"
            )),
            None => {
                self.origins.insert(name.to_string(), origin.to_string());
                self.types.push((name.to_string(), ty.into()));
            }
        }
    }

    pub fn problem(&mut self, p: String) {
        self.problems.push(p);
    }
}
