//! The registered resources, checked once at start-up and shared by the
//! REST router, the GraphQL schema and the OpenAPI document.

use crate::cache::invalidation::Invalidator;
use crate::model::OnDelete;
use crate::model::{FieldModel, ResourceModel};
use crate::redis_conn::RedisHandle;
use crate::service::{ResourceService, ServiceOptions};
use crate::store::Db;
use std::sync::Arc;

/// A relation seen from either side, resolved to service indexes.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    /// The resource holding the foreign key (e.g. tasks).
    pub from: usize,
    /// The foreign-key field index in `from`.
    pub field: usize,
    /// The referenced resource (e.g. projects).
    pub to: usize,
}

/// Resources whose rows a delete in `i` can change (cascade / set null),
/// followed transitively.
fn dependents(links: &[Link], models: &[&'static ResourceModel], i: usize) -> Vec<&'static str> {
    let mut out: Vec<usize> = Vec::new();
    let mut todo = vec![i];
    while let Some(t) = todo.pop() {
        for l in links.iter().filter(|l| l.to == t) {
            let rel = models[l.from].fields[l.field].relation.expect("relation");
            if rel.on_delete != OnDelete::Restrict && !out.contains(&l.from) && l.from != i {
                out.push(l.from);
                todo.push(l.from);
            }
        }
    }
    out.into_iter().map(|j| models[j].path).collect()
}

/// A declared enum default must be one of its variants (the macro sees
/// the enum by name only).
fn defaults_are_valid(models: &[&'static ResourceModel]) -> Vec<String> {
    let mut out = Vec::new();
    for m in models {
        for (_, f) in m.stored() {
            if let (Some(crate::model::DefaultValue::Text(d)), crate::model::FieldType::Enum(e)) =
                (f.default, f.ty)
            {
                if !e.variants.contains(&d) {
                    out.push(format!(
                        "{}.{}: `default = \"{d}\"` is not a variant of {} (one of: {})",
                        m.name,
                        f.rust_name,
                        e.name,
                        e.variants.join(", ")
                    ));
                }
            }
        }
    }
    out
}

pub struct Registry {
    /// One per resource, at its newest API version: REST, GraphQL, typed
    /// access and the links between resources.
    pub services: Vec<Arc<ResourceService>>,
    /// Older API versions still served (REST only), each over the same
    /// table, hooks and caches' invalidation as its newest version.
    pub older: Vec<Arc<ResourceService>>,
    pub links: Vec<Link>,
    pub db: Db,
}

impl Registry {
    /// Validates cross-resource declarations (relation targets, id types,
    /// name clashes) and builds one service per resource.
    pub fn new(models: &[&'static ResourceModel], db: Db) -> Result<Registry, String> {
        Self::with_options(models, db, &ServiceOptions::default(), None)
    }

    /// Like [`Registry::new`] with cache/coalescing options and, for
    /// cross-replica invalidation, Redis.
    pub fn with_options(
        models: &[&'static ResourceModel],
        db: Db,
        opts: &ServiceOptions,
        redis: Option<Arc<RedisHandle>>,
    ) -> Result<Registry, String> {
        let declared = models;
        let mut problems = defaults_are_valid(declared);
        // Serve the newest version's view; older views come after.
        let newest: Vec<&'static ResourceModel> = declared
            .iter()
            .map(|m| {
                m.at_version(m.newest)
                    .expect("the newest version is served")
            })
            .collect();
        let models = &newest[..];
        for (i, m) in models.iter().enumerate() {
            if models[..i]
                .iter()
                .any(|o| o.path == m.path && o.version == m.version)
            {
                problems.push(format!("two resources are served at {}", m.route()));
            }
            if models[..i].iter().any(|o| o.name == m.name) {
                problems.push(format!(
                    "two resources are named {}; GraphQL type names must be unique",
                    m.name
                ));
            }
        }
        let mut links = Vec::new();
        for (from, m) in models.iter().enumerate() {
            for (field, f) in m.stored() {
                let Some(rel) = f.relation else { continue };
                let Some(to) = models.iter().position(|t| t.path == rel.resource) else {
                    problems.push(format!(
                        "{}.{} relates to \"{}\", which is not registered; register it with .resource::<..>()",
                        m.name, f.rust_name, rel.resource
                    ));
                    continue;
                };
                let target_id: &FieldModel = models[to].id_field();
                if std::mem::discriminant(&target_id.ty) != std::mem::discriminant(&f.ty)
                    || (f.ty.is_integer() != target_id.ty.is_integer())
                {
                    problems.push(format!(
                        "{}.{} must have the same type as {}.{} (the id it refers to)",
                        m.name, f.rust_name, models[to].name, target_id.rust_name
                    ));
                }
                if m.fields.iter().any(|o| o.api_name == rel.name && !o.skip) {
                    problems.push(format!(
                        "{}: relation name `{}` clashes with a field",
                        m.name, rel.name
                    ));
                }
                if let Some(inv) = rel.inverse {
                    if models[to]
                        .fields
                        .iter()
                        .any(|o| o.api_name == inv && !o.skip)
                    {
                        problems.push(format!(
                            "{}: inverse relation `{inv}` clashes with a field of {}",
                            m.name, models[to].name
                        ));
                    }
                }
                links.push(Link { from, field, to });
            }
        }
        // Two relations may not publish the same name on one type.
        for (a, la) in links.iter().enumerate() {
            for lb in &links[..a] {
                let (ra, rb) = (
                    models[la.from].fields[la.field].relation.expect("relation"),
                    models[lb.from].fields[lb.field].relation.expect("relation"),
                );
                if la.to == lb.to && ra.inverse.is_some() && ra.inverse == rb.inverse {
                    problems.push(format!(
                        "two relations add `{}` to {}; set a distinct `inverse` on one of them",
                        ra.inverse.unwrap_or_default(),
                        models[la.to].name
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems.join("\n"));
        }
        let services: Vec<Arc<ResourceService>> = models
            .iter()
            .map(|m| ResourceService::new(m, db.clone(), opts))
            .collect();
        let older: Vec<(usize, Arc<ResourceService>)> = declared
            .iter()
            .enumerate()
            .flat_map(|(i, m)| {
                m.previous
                    .iter()
                    .filter_map(move |v| m.at_version(v.version).map(|view| (i, view)))
            })
            .map(|(i, view)| (i, ResourceService::new(view, db.clone(), opts)))
            .collect();
        // Every version's cache of a resource is invalidated by a write
        // through any of them.
        let mut caches: std::collections::HashMap<&'static str, Vec<_>> = Default::default();
        for s in services.iter().chain(older.iter().map(|(_, s)| s)) {
            if let Some(c) = s.cache.clone() {
                caches.entry(s.model.path).or_default().push(c);
            }
        }
        let invalidator = Invalidator::new(redis, caches);
        for (i, s) in services.iter().enumerate() {
            s.connect(invalidator.clone(), dependents(&links, models, i));
        }
        for (i, s) in &older {
            s.connect(invalidator.clone(), dependents(&links, models, *i));
        }
        Ok(Registry {
            services,
            older: older.into_iter().map(|(_, s)| s).collect(),
            links,
            db,
        })
    }

    /// Every service REST serves: newest versions, then older ones.
    pub fn rest_services(&self) -> impl Iterator<Item = &Arc<ResourceService>> {
        self.services.iter().chain(&self.older)
    }

    /// Every API version some resource is served at, ascending.
    pub fn api_versions(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.rest_services().map(|s| s.model.version).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The API as of version `n`: each resource at its newest version up
    /// to `n` (a resource first served later is left out). What the
    /// document and the client package for `n` describe.
    pub fn as_of(&self, n: u32) -> Vec<&Arc<ResourceService>> {
        self.services
            .iter()
            .filter_map(|newest| {
                self.versions_of(newest.model.path)
                    .filter(|s| s.model.version <= n)
                    .max_by_key(|s| s.model.version)
            })
            .collect()
    }

    /// Every version's service of the resource at `path`.
    pub fn versions_of<'a>(
        &'a self,
        path: &'a str,
    ) -> impl Iterator<Item = &'a Arc<ResourceService>> + 'a {
        self.rest_services().filter(move |s| s.model.path == path)
    }

    pub fn by_path(&self, path: &str) -> Option<&Arc<ResourceService>> {
        self.services.iter().find(|s| s.model.path == path)
    }

    /// Relations pointing *from* resource `i` (its foreign keys).
    pub fn outgoing(&self, i: usize) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(move |l| l.from == i)
    }

    /// Relations pointing *to* resource `i` (its inverse lists).
    pub fn incoming(&self, i: usize) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(move |l| l.to == i)
    }
}
