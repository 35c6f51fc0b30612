//! Batched loading of related rows, so `tasks { project { name } }` costs
//! one statement per relation level, however many items there are.
//!
//! Records resolved together (a page, or everything one relation load
//! returned) form a [`Group`]. The first relation field resolved on any
//! member loads that relation for every member with one `WHERE … IN (…)`;
//! the other members wait for and reuse that result. Unlike a timer-based
//! batcher, the number of statements does not depend on scheduling. Groups
//! live in the response being built, so nothing outlives the request (a
//! later mutation in the same request never sees rows read before it).
//!
//! Every read goes through [`load`], the place for a shared cache/batcher.

use crate::error::{ApiError, ApiResult};
use crate::service::ResourceService;
use crate::value::{Key, Record};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// How a relation is followed: rows of `resource` whose `field` equals the
/// parent's `parent_field` (`Task.project`: projects whose id equals the
/// task's `project_id`; `Project.tasks`: tasks whose `project_id` equals
/// the project's id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Via {
    pub resource: usize,
    pub field: usize,
    pub parent_field: usize,
}

/// Records resolved together, and the relations loaded for all of them.
pub struct Group {
    records: Vec<Record>,
    related: Mutex<HashMap<Via, Arc<Once>>>,
}

/// A relation load shared by a group: the first caller runs it, the others
/// wait for it (an error is shared too, rather than retried per member).
type Once = OnceCell<ApiResult<Arc<Related>>>;

/// One relation loaded for a whole group.
struct Related {
    group: Arc<Group>,
    /// Key → indexes into `group`, in id order.
    by_key: HashMap<Key, Vec<usize>>,
}

/// One member of a group: the value GraphQL object fields resolve from.
#[derive(Clone)]
pub struct Row {
    group: Arc<Group>,
    index: usize,
}

impl Group {
    pub fn new(records: Vec<Record>) -> Arc<Group> {
        Arc::new(Group {
            records,
            related: Mutex::new(HashMap::new()),
        })
    }

    pub fn rows(self: &Arc<Self>) -> impl Iterator<Item = Row> + '_ {
        (0..self.records.len()).map(|index| Row {
            group: self.clone(),
            index,
        })
    }
}

impl Row {
    /// A record on its own (a single get or a mutation result).
    pub fn single(record: Record) -> Row {
        Row {
            group: Group::new(vec![record]),
            index: 0,
        }
    }

    pub fn record(&self) -> &Record {
        &self.group.records[self.index]
    }

    /// The rows related to this one through `via`, loaded from `svc` for
    /// the whole group on first use.
    pub async fn related(&self, svc: &ResourceService, via: Via) -> ApiResult<Vec<Row>> {
        let Some(key) = Key::from_value(&self.record()[via.parent_field]) else {
            return Ok(Vec::new());
        };
        let cell = self
            .group
            .related
            .lock()
            .expect("lock")
            .entry(via)
            .or_default()
            .clone();
        let related = cell
            .get_or_init(|| load_for_group(&self.group, svc, via))
            .await
            .clone()?;
        Ok(match related.by_key.get(&key) {
            Some(indexes) => indexes
                .iter()
                .map(|&index| Row {
                    group: related.group.clone(),
                    index,
                })
                .collect(),
            None => Vec::new(),
        })
    }
}

async fn load_for_group(group: &Group, svc: &ResourceService, via: Via) -> ApiResult<Arc<Related>> {
    let mut keys: Vec<Key> = group
        .records
        .iter()
        .filter_map(|r| Key::from_value(&r[via.parent_field]))
        .collect();
    keys.sort();
    keys.dedup();
    let found = load(svc, via.field, &keys).await?;
    let id = svc.model.id_index();
    let mut records: Vec<Record> = found.into_values().flatten().collect();
    records.sort_by_cached_key(|r| Key::from_value(&r[id]));
    let mut by_key: HashMap<Key, Vec<usize>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(k) = Key::from_value(&r[via.field]) {
            by_key.entry(k).or_default().push(i);
        }
    }
    Ok(Arc::new(Related {
        group: Group::new(records),
        by_key,
    }))
}

/// Rows of `svc` whose `field` is one of `keys`, grouped by key.
///
/// Lookups by id go through the same read-through cache and batcher as
/// REST when `api_optimization_enabled` is on (cached rows cost nothing,
/// the misses share `IN (…)` queries); otherwise, and for foreign keys,
/// one statement per 500 keys.
pub async fn load(
    svc: &ResourceService,
    field: usize,
    keys: &[Key],
) -> Result<HashMap<Key, Vec<Record>>, ApiError> {
    if field == svc.model.id_index() && svc.flags.optimization() {
        let reps = svc.representations(keys).await?;
        return Ok(reps
            .into_iter()
            .map(|(k, r)| (k, vec![r.record.clone()]))
            .collect());
    }
    svc.load_by(field, keys).await
}
