//! Operations on one resource, shared by REST and GraphQL: the only place
//! that reads and writes rows. Writes run in a transaction, so a rejected
//! write changes nothing.

use crate::cache::batcher::{BatchOptions, Batcher};
use crate::cache::flags::Flags;
use crate::cache::invalidation::Invalidator;
use crate::cache::{CacheShared, CachedList, ResourceCache};
use crate::error::{ApiError, ApiResult, FieldProblem, Kind};
use crate::input::{self, Mode};
use crate::model::ResourceModel;
use crate::query::{Cursor, ListQuery};
use crate::store::sql::ResourceSql;
use crate::store::{Db, Param};
use crate::value::{Key, Record, RecordJson, Value};
use futures::FutureExt;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The largest bulk create accepted in one request.
pub const MAX_BULK: usize = 1000;

/// A record rendered once: its JSON bytes and strong ETag.
#[derive(Debug, Clone)]
pub struct Representation {
    pub json: bytes::Bytes,
    pub etag: String,
    /// The ETag pre-rendered as a header value (no per-response allocation).
    pub etag_header: axum::http::HeaderValue,
    /// The row itself, for GraphQL resolvers reading through the cache.
    pub record: Record,
}

impl Representation {
    pub fn of(model: &'static ResourceModel, rec: &Record) -> Self {
        let json =
            serde_json::to_vec(&RecordJson { model, record: rec }).expect("records serialize");
        let etag = etag_of(&json);
        let etag_header =
            axum::http::HeaderValue::from_str(&etag).expect("hex etag is a valid header");
        Representation {
            json: json.into(),
            etag,
            etag_header,
            record: rec.clone(),
        }
    }
}

/// A strong ETag: a 64-bit hash of the exact bytes sent.
pub fn etag_of(bytes: &[u8]) -> String {
    format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(bytes))
}

/// Whether an `If-Match` / `If-None-Match` header value matches `etag`.
/// `weak` compares ignoring `W/` (RFC 9110 weak comparison, for GETs).
pub fn etag_matches(header: &str, etag: &str, weak: bool) -> bool {
    header.split(',').map(str::trim).any(|t| {
        if t == "*" {
            return true;
        }
        let t = if weak { t.trim_start_matches("W/") } else { t };
        t == etag
    })
}

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
        }
    }
}

pub struct ResourceService {
    pub model: &'static ResourceModel,
    pub sql: ResourceSql,
    pub db: Db,
    pub flags: Arc<Flags>,
    /// `None` when the resource declares `cache_ttl = "0s"`.
    pub cache: Option<Arc<ResourceCache>>,
    batcher: Batcher,
    invalidator: OnceLock<Arc<Invalidator>>,
    /// Resources whose rows change when a row of this one is deleted
    /// (cascades and set-null), transitively.
    dependents: OnceLock<Vec<&'static str>>,
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
        Arc::new_cyclic(|me| ResourceService {
            model,
            sql: ResourceSql::new(model, db.dialect()),
            db,
            flags: opts.shared.flags.clone(),
            cache,
            batcher: Batcher::new(me.clone(), opts.batch),
            invalidator: OnceLock::new(),
            dependents: OnceLock::new(),
        })
    }

    /// Wiring done once by the registry.
    pub(crate) fn connect(&self, invalidator: Arc<Invalidator>, dependents: Vec<&'static str>) {
        let _ = self.invalidator.set(invalidator);
        let _ = self.dependents.set(dependents);
    }

    /// One row by id: coalesced with concurrent lookups when the
    /// optimisation flag is on, straight to the database otherwise.
    pub async fn load(&self, id: &Value) -> ApiResult<Option<Record>> {
        match Key::from_value(id) {
            Some(k) if self.flags.optimization() => self.batcher.load(k).await,
            _ => self.get(id).await,
        }
    }

    /// The rendered row (JSON + ETag), from the cache when allowed.
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

    /// After a committed write: drop cached copies here and on every replica.
    async fn written(&self, key: Option<Key>, deleted: bool) {
        let Some(inv) = self.invalidator.get() else {
            return;
        };
        inv.invalidate(self.model.path, key.as_ref()).await;
        if deleted {
            for dep in self.dependents.get().map(|d| d.as_slice()).unwrap_or(&[]) {
                inv.invalidate(dep, None).await;
            }
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

    /// Records database time and rows for one operation.
    fn observe(&self, op: &'static str, start: std::time::Instant, rows: usize) {
        use crate::observe::names;
        let labels = [("resource", self.model.path), ("operation", op)];
        metrics::histogram!(names::DB_QUERY, &labels).record(start.elapsed().as_secs_f64());
        metrics::histogram!(names::DB_ROWS, &labels).record(rows as f64);
    }

    pub async fn get(&self, id: &Value) -> ApiResult<Option<Record>> {
        let (_, ty) = self.id_field();
        let start = std::time::Instant::now();
        let mut rows = self
            .db
            .fetch(self.model, &self.sql.select_by_id, vec![(id.clone(), ty)])
            .await?;
        self.observe("get", start, rows.len());
        Ok(rows.pop())
    }

    /// Loads every row whose `field` is in `keys` (one statement), grouped.
    pub async fn load_by(
        &self,
        field: usize,
        keys: &[Key],
    ) -> ApiResult<HashMap<Key, Vec<Record>>> {
        let mut out: HashMap<Key, Vec<Record>> = HashMap::new();
        if keys.is_empty() {
            return Ok(out);
        }
        for chunk in keys.chunks(500) {
            let (sql, params) = self
                .sql
                .select_where_in(field, chunk.iter().map(Key::to_value).collect());
            let start = std::time::Instant::now();
            let rows = self.db.fetch(self.model, &sql, params).await?;
            self.observe("load", start, rows.len());
            for rec in rows {
                if let Some(k) = Key::from_value(&rec[field]) {
                    out.entry(k).or_default().push(rec);
                }
            }
        }
        Ok(out)
    }

    pub async fn list(&self, q: &ListQuery) -> ApiResult<Page> {
        let (sql, params) = self.sql.list(q);
        let start = std::time::Instant::now();
        let mut records = self.db.fetch(self.model, &sql, params).await?;
        self.observe("list", start, records.len());
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

    /// Creates one record per item, all or nothing.
    pub async fn create(&self, items: &[serde_json::Value], bulk: bool) -> ApiResult<Vec<Record>> {
        if items.len() > MAX_BULK {
            return Err(ApiError::new(
                Kind::Validation,
                format!("at most {MAX_BULK} items per bulk create"),
            ));
        }
        let mut records = Vec::with_capacity(items.len());
        let mut problems: Vec<FieldProblem> = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let prefix = if bulk { format!("/{n}") } else { String::new() };
            match input::to_record(self.model, item, Mode::Create, None, &prefix) {
                Ok(r) => records.push(r),
                Err(mut p) => problems.append(&mut p),
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::validation(problems));
        }
        let start = std::time::Instant::now();
        let params_of = |rec: &Record| -> Vec<Param> {
            self.sql
                .insert_fields
                .iter()
                .map(|&i| (rec[i].clone(), self.model.fields[i].ty))
                .collect()
        };
        if let [rec] = records.as_slice() {
            // One INSERT … RETURNING is atomic by itself: no BEGIN/COMMIT
            // round trips.
            let row = self
                .db
                .fetch(self.model, &self.sql.insert, params_of(rec))
                .await?
                .pop();
            let out = vec![row.ok_or_else(|| ApiError::internal("insert returned no row"))?];
            self.observe("create", start, 1);
            self.written(Key::from_value(&out[0][self.model.id_index()]), false)
                .await;
            return Ok(out);
        }
        let mut tx = self.db.begin().await?;
        let mut out = Vec::with_capacity(records.len());
        for (n, rec) in records.into_iter().enumerate() {
            match tx
                .fetch(self.model, &self.sql.insert, params_of(&rec))
                .await
            {
                Ok(mut rows) => out.push(
                    rows.pop()
                        .ok_or_else(|| ApiError::internal("insert returned no row"))?,
                ),
                Err(e) => {
                    let mut err = ApiError::from(e);
                    if bulk {
                        err.detail = format!("item {n}: {}", err.detail);
                    }
                    return Err(err); // dropping `tx` rolls back every insert
                }
            }
        }
        tx.commit().await?;
        self.observe("create", start, out.len());
        let id = self.model.id_index();
        self.written(out.first().and_then(|r| Key::from_value(&r[id])), false)
            .await;
        Ok(out)
    }

    /// PUT or PATCH, honouring `If-Match`.
    pub async fn update(
        &self,
        id: &Value,
        body: &serde_json::Value,
        mode: Mode,
        if_match: Option<&str>,
    ) -> ApiResult<Record> {
        let (_, ty) = self.id_field();
        let start = std::time::Instant::now();
        let (mut tx, current) = self.lock_current(id, if_match).await?;
        let rec = input::to_record(self.model, body, mode, Some(&current), "")
            .map_err(ApiError::validation)?;
        let mut params: Vec<Param> = self
            .sql
            .update_fields
            .iter()
            .map(|&i| (rec[i].clone(), self.model.fields[i].ty))
            .collect();
        params.push((id.clone(), ty));
        let row = tx
            .fetch(self.model, &self.sql.update, params)
            .await?
            .pop()
            .ok_or_else(|| self.missing(id))?;
        tx.commit().await?;
        self.observe("update", start, 1);
        self.written(Key::from_value(id), false).await;
        Ok(row)
    }

    /// Deletes a record, honouring `If-Match`. Returns the deleted row.
    pub async fn delete(&self, id: &Value, if_match: Option<&str>) -> ApiResult<Record> {
        let (_, ty) = self.id_field();
        let start = std::time::Instant::now();
        let (mut tx, current) = self.lock_current(id, if_match).await?;
        tx.execute(&self.sql.delete, vec![(id.clone(), ty)]).await?;
        tx.commit().await?;
        self.observe("delete", start, 1);
        self.written(Key::from_value(id), true).await;
        Ok(current)
    }

    /// Opens a write transaction holding the current row (locked where the
    /// database supports it) and checks `If-Match` against its ETag.
    async fn lock_current(
        &self,
        id: &Value,
        if_match: Option<&str>,
    ) -> ApiResult<(crate::store::Tx, Record)> {
        let (_, ty) = self.id_field();
        let mut tx = self.db.begin().await?;
        let current = tx
            .fetch(
                self.model,
                &self.sql.select_for_update,
                vec![(id.clone(), ty)],
            )
            .await?
            .pop()
            .ok_or_else(|| self.missing(id))?;
        if let Some(h) = if_match {
            if !etag_matches(h, &Representation::of(self.model, &current).etag, false) {
                return Err(ApiError::new(
                    Kind::PreconditionFailed,
                    "the record changed since you read it (If-Match does not match its ETag); fetch it again and retry",
                ));
            }
        }
        Ok((tx, current))
    }

    pub fn missing(&self, id: &Value) -> ApiError {
        ApiError::not_found(format!("no {} with id {}", self.model.name, id.to_text()))
    }
}
