//! Batched loading of related rows, so `tasks { project { name } }` costs
//! one statement per relation level, not one per item.
//!
//! Every relation field asks [`rows_by`] for "rows of resource R whose
//! field F equals K". Within one request the loader gathers the keys asked
//! for while a level resolves and runs one `WHERE F IN (…)` per (R, F).
//! Resolvers only see [`rows_by`] and [`per_request`], so the batcher can be
//! swapped for a shared one without touching them.

use crate::error::ApiError;
use crate::registry::Registry;
use crate::value::{Key, Record};
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::Context;
use std::collections::HashMap;
use std::sync::Arc;

/// "Rows of `resource` whose field `field` equals `key`."
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RowsBy {
    pub resource: usize,
    pub field: usize,
    pub key: Key,
}

pub struct RelationLoader {
    registry: Arc<Registry>,
}

/// Rows in id order, so inverse lists are stable.
pub type Rows = Arc<Vec<Record>>;

impl Loader<RowsBy> for RelationLoader {
    type Value = Rows;
    type Error = ApiError;

    async fn load(&self, keys: &[RowsBy]) -> Result<HashMap<RowsBy, Rows>, ApiError> {
        let mut groups: HashMap<(usize, usize), Vec<Key>> = HashMap::new();
        for k in keys {
            groups.entry((k.resource, k.field)).or_default().push(k.key.clone());
        }
        let loads = groups.into_iter().map(|((resource, field), keys)| async move {
            let svc = &self.registry.services[resource];
            let id = svc.model.id_index();
            let found = svc.load_by(field, &keys).await?;
            Ok::<_, ApiError>(found.into_iter().map(move |(key, mut rows)| {
                rows.sort_by_cached_key(|r| Key::from_value(&r[id]));
                (RowsBy { resource, field, key }, Arc::new(rows))
            }))
        });
        let mut out = HashMap::new();
        for group in futures::future::try_join_all(loads).await? {
            out.extend(group);
        }
        Ok(out)
    }
}

pub type Loaders = DataLoader<RelationLoader>;

/// A fresh batcher for one request. It does not cache across batches: a
/// mutation later in the same request must not see rows read before it.
pub fn per_request(registry: Arc<Registry>) -> Loaders {
    DataLoader::new(RelationLoader { registry }, tokio::spawn)
}

/// The rows of `resource` whose `field` equals `key` (possibly none).
pub async fn rows_by(ctx: &Context<'_>, resource: usize, field: usize, key: Key) -> Result<Rows, ApiError> {
    let loaders = ctx
        .data::<Loaders>()
        .map_err(|_| ApiError::internal("GraphQL request executed without its loaders"))?;
    Ok(loaders.load_one(RowsBy { resource, field, key }).await?.unwrap_or_default())
}
