//! The read-through cache: per resource, bounded, TTL from the declaration
//! (`cache_ttl`, default 10 minutes), invalidated on every write — locally
//! and, with Redis, on every replica.
//!
//! Consistency rule: a replica never serves data older than a write it has
//! been told about. Writes bump a generation before invalidating; a miss
//! that raced a write drops what it loaded. While the invalidation channel
//! is down, caches are emptied and bypassed.

pub mod batcher;
pub mod flags;
pub mod invalidation;

use crate::error::ApiError;
use crate::observe::names;
use crate::service::Representation;
use crate::value::Key;
use bytes::Bytes;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A rendered list page.
#[derive(Debug, Clone)]
pub struct CachedList {
    pub body: Bytes,
    pub etag: String,
    pub etag_header: axum::http::HeaderValue,
    pub link: Option<axum::http::HeaderValue>,
}

/// State shared by every resource cache of one app.
#[derive(Debug)]
pub struct CacheShared {
    pub flags: Arc<flags::Flags>,
    /// False while the cross-replica invalidation channel is down.
    pub channel_up: AtomicBool,
}

impl CacheShared {
    pub fn usable(&self) -> bool {
        self.flags.optimization() && self.channel_up.load(Ordering::Relaxed)
    }
}

pub struct ResourceCache {
    resource: &'static str,
    items: moka::future::Cache<Key, Arc<Representation>>,
    lists: moka::future::Cache<String, Arc<CachedList>>,
    generation: AtomicU64,
    ttl: Duration,
    pub shared: Arc<CacheShared>,
    /// [hit, miss] counters, resolved once (after the recorder is installed).
    counters: std::sync::OnceLock<[metrics::Counter; 2]>,
}

impl ResourceCache {
    pub fn new(resource: &'static str, ttl: Duration, max_entries: u64, shared: Arc<CacheShared>) -> Self {
        let items = moka::future::Cache::builder().max_capacity(max_entries).time_to_live(ttl).build();
        let lists = moka::future::Cache::builder().max_capacity((max_entries / 10).max(100)).time_to_live(ttl).build();
        ResourceCache { resource, items, lists, generation: AtomicU64::new(0), ttl, shared, counters: Default::default() }
    }

    pub fn usable(&self) -> bool {
        self.shared.usable()
    }

    /// Bumped by every write and invalidation: equal generations mean
    /// nothing cached from this resource has been retired in between.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn count(&self, hit: bool) {
        let c = self.counters.get_or_init(|| {
            let resource = self.resource;
            [
                metrics::counter!(names::CACHE, "resource" => resource, "result" => "hit"),
                metrics::counter!(names::CACHE, "resource" => resource, "result" => "miss"),
            ]
        });
        c[usize::from(!hit)].increment(1);
    }

    /// The cached item, if any (a hit is counted).
    pub async fn cached_item(&self, key: &Key) -> Option<Arc<Representation>> {
        let v = self.items.get(key).await;
        if v.is_some() {
            self.count(true);
        }
        v
    }

    /// After a miss: `load` run once for all concurrent callers of `key`.
    /// `Ok(None)` (missing rows) is not cached.
    pub async fn fill_item<F>(&self, key: Key, load: F) -> Result<Option<Arc<Representation>>, ApiError>
    where
        F: Future<Output = Result<Option<Arc<Representation>>, ApiError>>,
    {
        self.count(false);
        let gen = self.generation.load(Ordering::SeqCst);
        let res = self
            .items
            .try_get_with(key.clone(), async move {
                match load.await {
                    Ok(Some(v)) => Ok(v),
                    Ok(None) => Err(None),
                    Err(e) => Err(Some(e)),
                }
            })
            .await;
        match res {
            Ok(v) => {
                if self.generation.load(Ordering::SeqCst) != gen {
                    // A write landed while we loaded: do not keep what we read.
                    self.items.invalidate(&key).await;
                }
                Ok(Some(v))
            }
            Err(e) => match &*e {
                None => Ok(None),
                Some(err) => Err(err.clone()),
            },
        }
    }

    /// The cached item, or `load` run once for all concurrent callers.
    pub async fn item<F>(&self, key: Key, load: F) -> Result<Option<Arc<Representation>>, ApiError>
    where
        F: Future<Output = Result<Option<Arc<Representation>>, ApiError>>,
    {
        match self.cached_item(&key).await {
            Some(v) => Ok(Some(v)),
            None => self.fill_item(key, load).await,
        }
    }

    /// The cached list page for a normalized query string.
    /// The cached list page, if any (a hit is counted).
    pub async fn cached_list(&self, query: &str) -> Option<Arc<CachedList>> {
        let v = self.lists.get(query).await;
        if v.is_some() {
            self.count(true);
        }
        v
    }

    /// After a miss: `load` run once for all concurrent callers of `query`.
    pub async fn fill_list<F>(&self, query: String, load: F) -> Result<Arc<CachedList>, ApiError>
    where
        F: Future<Output = Result<Arc<CachedList>, ApiError>>,
    {
        self.count(false);
        let gen = self.generation.load(Ordering::SeqCst);
        let v = self.lists.try_get_with(query.clone(), load).await.map_err(|e| (*e).clone())?;
        if self.generation.load(Ordering::SeqCst) != gen {
            self.lists.invalidate(&query).await;
        }
        Ok(v)
    }

    /// Drops one item (or every item when `None`) and every list page.
    pub async fn invalidate(&self, key: Option<&Key>) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match key {
            Some(k) => self.items.invalidate(k).await,
            None => self.items.invalidate_all(),
        }
        self.lists.invalidate_all();
    }

    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.items.invalidate_all();
        self.lists.invalidate_all();
    }
}
