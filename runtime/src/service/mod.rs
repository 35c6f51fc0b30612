//! Operations on one resource, shared by REST, GraphQL and typed access:
//! the only place that reads and writes rows. Writes run in a transaction,
//! so a rejected write changes nothing; hooks run here, so they run the
//! same whichever surface asked.

pub mod hooks;
pub mod tx;
mod write;

mod change_batch;
mod group;
pub use hooks::{Change, DynHooks};
pub use tx::WriteTx;
pub use write::MAX_BULK;

use crate::cache::batcher::{BatchOptions, Batcher, LoadByIds};
use crate::cache::flags::Flags;
use crate::cache::invalidation::Invalidator;
use crate::cache::{CacheShared, CachedList, ResourceCache};
use crate::context::Context;
use crate::error::{ApiError, ApiResult};
use crate::model::ResourceModel;
use crate::permissions::{self, Action, FieldMask, Reach};
use crate::query::scope::Resolved;
use crate::query::{Cursor, ListQuery};
use crate::representation::Representation;
use crate::store::sql::ResourceSql;
use crate::store::Db;
use crate::value::{Key, Record, Value};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    pub records: Vec<Record>,
    pub next_cursor: Option<String>,
}

/// How services cache and coalesce (from configuration).
#[derive(Clone)]
pub struct ServiceOptions {
    pub shared: Arc<CacheShared>,
    /// TTL for resources that declare no `cache_ttl`.
    pub default_ttl: Duration,
    pub max_entries: u64,
    /// How cache misses by id are gathered into queries.
    pub batch: BatchOptions,
    /// The most single-item writes one group commit writes together; 0
    /// or 1 writes each on its own.
    pub group_commit_max: usize,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            shared: Arc::new(CacheShared {
                flags: Arc::new(Flags::new(true)),
                channel_up: true.into(),
            }),
            default_ttl: Duration::from_secs(600),
            max_entries: 10_000,
            batch: BatchOptions::default(),
            group_commit_max: DEFAULT_GROUP_COMMIT_MAX,
        }
    }
}

/// `GROUP_COMMIT_MAX` unless configured.
pub const DEFAULT_GROUP_COMMIT_MAX: usize = 256;

pub struct ResourceService {
    pub model: &'static ResourceModel,
    pub sql: Arc<ResourceSql>,
    pub db: Db,
    pub flags: Arc<Flags>,
    /// `None` when the resource declares `cache_ttl = "0s"`.
    pub cache: Option<Arc<ResourceCache>>,
    batcher: Batcher,
    invalidator: OnceLock<Arc<Invalidator>>,
    /// Resources whose rows change when a row of this one is deleted
    /// (cascades and set-null), transitively.
    dependents: OnceLock<Vec<&'static str>>,
    hooks: OnceLock<Arc<dyn DynHooks>>,
    /// Some field has a read rule, so views differ between callers.
    masked: bool,
    /// Writes record themselves in their transaction when auditing.
    auditor: OnceLock<Arc<crate::audit::Auditor>>,
    /// Refuses writes while the service cannot take them.
    write_gate: OnceLock<Arc<dyn WriteGate>>,
    /// Concurrent single-item creates, written together.
    pub(crate) group: group::Group,
    /// The group commit of single-item updates and deletes.
    pub(crate) changes: group::Group,
    /// This service, for the task that writes a group's batch.
    me: std::sync::Weak<ResourceService>,
}

/// Refuses writes the service cannot take now (an active maintenance
/// window); the surfaces above implement it, the service asks it.
pub trait WriteGate: Send + Sync + 'static {
    /// The refusal for a write to `resource` (its path), if any.
    fn refuse_write(&self, resource: &str) -> Option<ApiError>;
}

/// What the batcher runs: rows by id, straight from the store.
struct RowLoader {
    model: &'static ResourceModel,
    sql: Arc<ResourceSql>,
    db: Db,
}

impl LoadByIds for RowLoader {
    fn load_ids<'a>(&'a self, keys: &'a [Key]) -> BoxFuture<'a, ApiResult<HashMap<Key, Record>>> {
        async move {
            let rows =
                load_by(self.model, &self.sql, &self.db, self.model.id_index(), keys).await?;
            Ok(rows
                .into_iter()
                .filter_map(|(k, mut v)| v.pop().map(|r| (k, r)))
                .collect())
        }
        .boxed()
    }
}

/// Records database time and rows for one operation.
fn observe(model: &ResourceModel, op: &'static str, start: Instant, rows: usize) {
    use crate::observe::names;
    let labels = [("resource", model.path), ("operation", op)];
    metrics::histogram!(names::DB_QUERY, &labels).record(start.elapsed().as_secs_f64());
    metrics::histogram!(names::DB_ROWS, &labels).record(rows as f64);
}

/// Every row whose `field` is in `keys` (a statement per 500 keys), grouped.
async fn load_by(
    model: &'static ResourceModel,
    sql: &ResourceSql,
    db: &Db,
    field: usize,
    keys: &[Key],
) -> ApiResult<HashMap<Key, Vec<Record>>> {
    let mut out: HashMap<Key, Vec<Record>> = HashMap::new();
    for chunk in keys.chunks(500) {
        let (text, params) = sql.select_where_in(field, chunk.iter().map(Key::to_value).collect());
        let start = Instant::now();
        let rows = db.fetch(model, &text, params).await?;
        observe(model, "load", start, rows.len());
        for rec in rows {
            if let Some(k) = Key::from_value(&rec[field]) {
                out.entry(k).or_default().push(rec);
            }
        }
    }
    Ok(out)
}

impl ResourceService {
    pub fn new(model: &'static ResourceModel, db: Db, opts: &ServiceOptions) -> Arc<Self> {
        let ttl = model
            .cache_ttl_secs
            .map(Duration::from_secs)
            .unwrap_or(opts.default_ttl);
        let cache = (!ttl.is_zero()).then(|| {
            Arc::new(ResourceCache::new(
                model.path,
                ttl,
                opts.max_entries,
                opts.shared.clone(),
            ))
        });
        let sql = Arc::new(ResourceSql::new(model, db.dialect()));
        let loader = Arc::new(RowLoader {
            model,
            sql: sql.clone(),
            db: db.clone(),
        });
        Arc::new_cyclic(|me| ResourceService {
            // Creates: two lanes on PostgreSQL, so one batch forms and
            // starts while another commits. Updates and deletes run one
            // row after another inside a batch, so they keep half the pool
            // as lanes. Measured (`BENCH_ONLY=create`, PostgreSQL, 64
            // connections, pool 16): with two lanes grouped PATCHes were
            // 0.80× of ungrouped ones (1,742 against 2,170 req/s); with
            // eight, 1.12× (2,480 against 2,209).
            group: group::Group::new(
                opts.group_commit_max,
                match db.dialect() {
                    crate::store::Dialect::Sqlite => 1,
                    crate::store::Dialect::Postgres => 2,
                },
                |s| &s.group,
            ),
            changes: group::Group::new(
                opts.group_commit_max,
                match db.dialect() {
                    crate::store::Dialect::Sqlite => 1,
                    crate::store::Dialect::Postgres => (db.max_connections() as usize / 2).max(2),
                },
                |s| &s.changes,
            ),
            me: me.clone(),
            model,
            sql,
            db,
            flags: opts.shared.flags.clone(),
            cache,
            batcher: Batcher::new(loader, opts.batch),
            invalidator: OnceLock::new(),
            dependents: OnceLock::new(),
            hooks: OnceLock::new(),
            masked: permissions::has_field_read_rules(model),
            auditor: OnceLock::new(),
            write_gate: OnceLock::new(),
        })
    }

    /// Wiring done once by the registry.
    pub(crate) fn connect(&self, invalidator: Arc<Invalidator>, dependents: Vec<&'static str>) {
        let _ = self.invalidator.set(invalidator);
        let _ = self.dependents.set(dependents);
    }

    /// Turns on change records for this resource's writes.
    pub fn set_auditor(&self, auditor: Arc<crate::audit::Auditor>) {
        let _ = self.auditor.set(auditor);
    }

    /// Installs the gate every write of this resource asks first.
    pub fn set_write_gate(&self, gate: Arc<dyn WriteGate>) {
        let _ = self.write_gate.set(gate);
    }

    /// 503 when a write must wait (a maintenance window). The application
    /// itself ([`Context::system`]) writes regardless: a backfill may be
    /// why the window was scheduled.
    pub fn refuse_if_paused(&self, ctx: &Context) -> ApiResult<()> {
        match self.write_gate.get() {
            Some(g) if !ctx.is_trusted() => g.refuse_write(self.model.path).map_or(Ok(()), Err),
            _ => Ok(()),
        }
    }

    pub(crate) fn audited(&self) -> bool {
        self.auditor.get().is_some()
    }

    /// The record of one committed-to-be change, in its transaction.
    pub(crate) async fn record_change(
        &self,
        ctx: &Context,
        tx: &mut WriteTx,
        action: &'static str,
        row: &crate::value::Record,
    ) -> ApiResult<()> {
        if let Some(record) = self.change_record(ctx, action, row) {
            crate::audit::Auditor::record_change(tx.store(), &record).await?;
        }
        Ok(())
    }

    /// What the audit trail keeps of a change; `None` when it is off.
    pub(crate) fn change_record(
        &self,
        ctx: &Context,
        action: &'static str,
        row: &crate::value::Record,
    ) -> Option<crate::audit::Record> {
        if !self.audited() {
            return None;
        }
        let p = ctx.principal();
        let claim = |name: &str| {
            p.and_then(|p| p.claim(name))
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        Some(crate::audit::Record {
            at: crate::audit::now(),
            kind: "change".into(),
            request_id: ctx.request_id().map(String::from),
            subject: p.map(|p| p.subject.clone()),
            issuer: claim("iss"),
            client_id: claim("client_id").or_else(|| claim("azp")),
            roles: p.filter(|p| !p.roles.is_empty()).map(|p| p.roles.join(",")),
            resource: Some(self.model.path.to_string()),
            record_id: Some(row[self.model.id_index()].to_text()),
            action: Some(action.into()),
            ..Default::default()
        })
    }

    /// Installs the resource's hooks (once, at start-up).
    pub fn set_hooks(&self, hooks: Arc<dyn DynHooks>) -> Result<(), String> {
        self.hooks
            .set(hooks)
            .map_err(|_| format!("{} has hooks already", self.model.name))
    }

    pub fn hooks(&self) -> Option<&Arc<dyn DynHooks>> {
        self.hooks.get()
    }

    pub(crate) fn invalidator(&self) -> Option<&Arc<Invalidator>> {
        self.invalidator.get()
    }

    pub(crate) fn dependents(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.dependents.get().into_iter().flatten().copied()
    }

    /// The read scope for this caller: `None` when it sees every row.
    /// Refuses (401/403) a caller the read rule does not admit; a caller
    /// reaching only its own rows gets an owner condition on top of the
    /// hooks' scope.
    pub fn scope(&self, ctx: &Context) -> ApiResult<Option<Resolved>> {
        let reach = permissions::admit(self.model, Action::Read, ctx)?;
        let hooked = self
            .hooks()
            .map(|h| h.read_scope(ctx))
            .filter(|s| !s.is_all());
        let scope = match (reach, self.model.owner_index()) {
            (Reach::Own, Some(i)) => {
                let owner = self.model.fields[i].api_name;
                let subject = ctx.subject().unwrap_or_default().to_string();
                hooked.unwrap_or_default().eq(owner, subject)
            }
            _ => match hooked {
                Some(s) => s,
                None => return Ok(None),
            },
        };
        scope
            .resolve(self.model)
            .map(Some)
            .map_err(ApiError::internal)
    }

    /// Whether two callers can get different answers to the same read, so
    /// responses are `Cache-Control: private`.
    pub fn varies_by_caller(&self) -> bool {
        self.masked || !self.model.access.read.public || self.model.owner_index().is_some()
    }

    /// A filter or sort on a field the caller may not see would reveal it:
    /// 403 naming the parameter.
    pub fn refuse_hidden_in_query(&self, q: &ListQuery, hidden: FieldMask) -> ApiResult<()> {
        if hidden.is_empty() {
            return Ok(());
        }
        let used = q
            .filters
            .iter()
            .map(|f| f.field)
            .chain(q.sort.iter().map(|s| s.field));
        for i in used {
            if hidden.hides(i) {
                let f = &self.model.fields[i];
                return Err(ApiError::insufficient(
                    format!(
                        "filtering or sorting on `{}` needs {}",
                        f.api_name,
                        f.access.read.map(|r| r.describe()).unwrap_or_default()
                    ),
                    &[],
                ));
            }
        }
        Ok(())
    }

    /// The fields this caller may not see (empty for most resources).
    pub fn hidden_fields(&self, ctx: &Context) -> FieldMask {
        if self.masked {
            permissions::hidden_fields(self.model, ctx)
        } else {
            FieldMask::NONE
        }
    }

    /// One row by id: coalesced with concurrent lookups when the
    /// optimisation flag is on, straight to the database otherwise.
    pub async fn load(&self, id: &Value) -> ApiResult<Option<Record>> {
        match Key::from_value(id) {
            Some(k) if self.flags.optimization() => self.batcher.load(k).await,
            _ => self.get(id).await,
        }
    }

    /// The rendered row the caller may see (its read scope applied), from
    /// the cache when allowed.
    pub async fn read(&self, ctx: &Context, id: &Value) -> ApiResult<Option<Arc<Representation>>> {
        let scope = self.scope(ctx)?;
        let rep = self.representation(id).await?;
        Ok(rep.filter(|r| scope.as_ref().is_none_or(|s| s.admits(&r.record))))
    }

    /// The rendered row (JSON + ETag), from the cache when allowed. No read
    /// scope: for callers that applied it ([`ResourceService::read`]).
    pub async fn representation(&self, id: &Value) -> ApiResult<Option<Arc<Representation>>> {
        // Hits stay inline; the miss path is boxed, so the future of every
        // read is small (moving a large future costs more than a hit).
        match (&self.cache, Key::from_value(id)) {
            (Some(c), Some(k)) if c.usable() => match c.cached_item(&k) {
                Some(hit) => Ok(Some(hit)),
                None => Box::pin(c.fill_item(k, self.render(id))).await,
            },
            _ => Box::pin(self.render(id)).await,
        }
    }

    /// Rendered rows for several ids at once (a GraphQL relation level):
    /// hits from the cache, the misses in one batch. Each miss still goes
    /// through the cache's fill, so concurrent readers of a row share it and
    /// a write that lands meanwhile keeps the row out of the cache.
    /// Requires the optimisation flag (the batcher) to be on.
    pub async fn representations(
        &self,
        keys: &[Key],
    ) -> ApiResult<Vec<(Key, Arc<Representation>)>> {
        let model = self.model;
        let render = |r: &Record| Arc::new(Representation::of(model, r));
        let Some(c) = self.cache.as_ref().filter(|c| c.usable()) else {
            let rows = self.batcher.load_many(keys).await?;
            return Ok(keys
                .iter()
                .filter_map(|k| Some((k.clone(), render(rows.get(k)?))))
                .collect());
        };
        let mut found = Vec::with_capacity(keys.len());
        let mut missing = Vec::new();
        for k in keys {
            match c.cached_item(k) {
                Some(hit) => found.push((k.clone(), hit)),
                None => missing.push(k.clone()),
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        // Driven by the first fill that needs it; shared by the others.
        let group = {
            let missing = missing.clone();
            let batcher = &self.batcher;
            async move { batcher.load_many(&missing).await.map(Arc::new) }
                .boxed()
                .shared()
        };
        let fills = missing.iter().map(|k| {
            let group = group.clone();
            c.fill_item(
                k.clone(),
                async move { Ok(group.await?.get(k).map(render)) },
            )
        });
        let filled = futures::future::try_join_all(fills).await?;
        found.extend(
            missing
                .into_iter()
                .zip(filled)
                .filter_map(|(k, r)| Some((k, r?))),
        );
        Ok(found)
    }

    async fn render(&self, id: &Value) -> ApiResult<Option<Arc<Representation>>> {
        Ok(self
            .load(id)
            .await?
            .map(|r| Arc::new(Representation::of(self.model, &r))))
    }

    /// A rendered list page, from the cache when allowed.
    /// `render` is only called on a miss, so a hit's future stays small.
    pub async fn cached_list<F, R>(&self, query: &str, render: R) -> ApiResult<Arc<CachedList>>
    where
        R: FnOnce() -> F,
        F: std::future::Future<Output = ApiResult<Arc<CachedList>>>,
    {
        match &self.cache {
            Some(c) if c.usable() => match c.cached_list(query) {
                Some(hit) => Ok(hit),
                None => Box::pin(c.fill_list(query, render())).await,
            },
            _ => Box::pin(render()).await,
        }
    }

    fn id_field(&self) -> (usize, crate::model::FieldType) {
        let i = self.model.id_index();
        (i, self.model.fields[i].ty)
    }

    /// Parses an id from a path segment.
    pub fn parse_id(&self, raw: &str) -> ApiResult<Value> {
        let (_, ty) = self.id_field();
        Value::from_text(&ty, raw).map_err(|m| {
            ApiError::not_found(format!("no {} with id \"{raw}\" ({m})", self.model.name))
        })
    }

    /// One row straight from the database (no cache, no scope).
    pub async fn get(&self, id: &Value) -> ApiResult<Option<Record>> {
        let (_, ty) = self.id_field();
        let start = Instant::now();
        let mut rows = self
            .db
            .fetch(self.model, &self.sql.select_by_id, vec![(id.clone(), ty)])
            .await?;
        observe(self.model, "get", start, rows.len());
        Ok(rows.pop())
    }

    /// One row inside a transaction (it sees the transaction's writes),
    /// within the caller's read scope.
    pub async fn get_in(
        &self,
        ctx: &Context,
        tx: &mut WriteTx,
        id: &Value,
    ) -> ApiResult<Option<Record>> {
        let (_, ty) = self.id_field();
        let scope = self.scope(ctx)?;
        let row = tx
            .store()
            .fetch(self.model, &self.sql.select_by_id, vec![(id.clone(), ty)])
            .await?
            .pop();
        Ok(row.filter(|r| scope.as_ref().is_none_or(|s| s.admits(r))))
    }

    /// Loads every row whose `field` is in `keys` (one statement), grouped.
    pub async fn load_by(
        &self,
        field: usize,
        keys: &[Key],
    ) -> ApiResult<HashMap<Key, Vec<Record>>> {
        load_by(self.model, &self.sql, &self.db, field, keys).await
    }

    /// A page of rows within `scope` (see [`ResourceService::scope`]).
    pub async fn list(&self, scope: Option<&Resolved>, q: &ListQuery) -> ApiResult<Page> {
        let scoped;
        let q = match scope {
            None => q,
            Some(s) if s.nothing => {
                return Ok(Page {
                    records: Vec::new(),
                    next_cursor: None,
                })
            }
            Some(s) => {
                let mut with = q.clone();
                with.filters.extend(s.filters.iter().cloned());
                scoped = with;
                &scoped
            }
        };
        let (text, params) = self.sql.list(q);
        let start = Instant::now();
        let mut records = self.db.fetch(self.model, &text, params).await?;
        observe(self.model, "list", start, records.len());
        let next_cursor = if records.len() > q.limit as usize {
            records.truncate(q.limit as usize);
            let last = records.last().expect("non-empty");
            Some(Cursor::after(self.model, q, last).encode(self.model, q))
        } else {
            None
        };
        Ok(Page {
            records,
            next_cursor,
        })
    }

    pub fn missing(&self, id: &Value) -> ApiError {
        ApiError::not_found(format!("no {} with id {}", self.model.name, id.to_text()))
    }
}
