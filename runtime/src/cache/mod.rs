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
use crate::observe::striped::PublishedCounter;
use crate::representation::Representation;
use crate::value::Key;
use bytes::Bytes;
use std::borrow::Borrow;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// One cached outcome of a load. Only `Found` stays in the cache; `Missing`
/// and `Failed` exist so callers waiting on the same load get its answer,
/// and are removed right after.
#[derive(Clone)]
enum Slot<V> {
    Found(V, Instant),
    Missing,
    Failed(ApiError),
}

impl<V: Clone> Slot<V> {
    fn fresh(&self, now: Instant) -> Option<V> {
        match self {
            Slot::Found(v, expires) if now < *expires => Some(v.clone()),
            _ => None,
        }
    }

    fn stale(&self, now: Instant) -> bool {
        matches!(self, Slot::Found(_, expires) if now >= *expires)
    }

    fn outcome(self) -> Result<Option<V>, ApiError> {
        match self {
            Slot::Found(v, _) => Ok(Some(v)),
            Slot::Missing => Ok(None),
            Slot::Failed(e) => Err(e),
        }
    }
}

/// A bounded concurrent map (S3-FIFO eviction, sharded locks, no
/// background maintenance): a hit is one hash, one shard read lock and one
/// clone. Keys are our own values, so a fast hash is safe.
pub(crate) type Bounded<K, V> =
    quick_cache::sync::Cache<K, V, quick_cache::UnitWeighter, foldhash::fast::RandomState>;

pub(crate) fn bounded<K: Eq + Hash, V: Clone>(max_entries: u64) -> Bounded<K, V> {
    let max = max_entries.max(1);
    let options = quick_cache::OptionsBuilder::new()
        // The tables grow up to the bound; do not allocate it all up front.
        .estimated_items_capacity(max.min(1024) as usize)
        .weight_capacity(max)
        .build()
        .expect("valid cache options");
    quick_cache::sync::Cache::with_options(
        options,
        quick_cache::UnitWeighter,
        Default::default(),
        Default::default(),
    )
}

type Store<K, V> = Bounded<K, Slot<V>>;

fn lookup<K, Q, V>(store: &Store<K, V>, key: &Q) -> Option<V>
where
    K: Eq + Hash + Borrow<Q>,
    Q: Hash + Eq + ?Sized,
    V: Clone,
{
    store.get(key)?.fresh(Instant::now())
}

/// After a miss: `load` runs once for all concurrent callers of `key`, and
/// every one of them gets its outcome. A value read while a write landed
/// (the generation moved) is handed out but not kept.
async fn fill<K, Q, V, F>(
    store: &Store<K, V>,
    generation: &AtomicU64,
    ttl: Duration,
    key: &Q,
    load: F,
) -> Result<Option<V>, ApiError>
where
    K: Eq + Hash + Borrow<Q>,
    Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    V: Clone,
    F: Future<Output = Result<Option<V>, ApiError>>,
{
    let gen = generation.load(Ordering::SeqCst);
    let guard = loop {
        match store.get_value_or_guard_async(key).await {
            Ok(slot) if slot.stale(Instant::now()) => {
                store.remove_if(key, |s| s.stale(Instant::now()));
            }
            Ok(slot) => return slot.outcome(),
            Err(guard) => break guard,
        }
    };
    let outcome = load.await;
    let slot = match &outcome {
        Ok(Some(v)) => Slot::Found(v.clone(), Instant::now() + ttl),
        Ok(None) => Slot::Missing,
        Err(e) => Slot::Failed(e.clone()),
    };
    let keep = matches!(slot, Slot::Found(..));
    let _ = guard.insert(slot);
    if !keep || generation.load(Ordering::SeqCst) != gen {
        store.remove(key);
    }
    outcome
}

pub struct ResourceCache {
    resource: &'static str,
    items: Store<Key, Arc<Representation>>,
    lists: Store<String, Arc<CachedList>>,
    generation: AtomicU64,
    ttl: Duration,
    pub shared: Arc<CacheShared>,
    /// [hit, miss] counters, made once (after the recorder is installed).
    counters: std::sync::OnceLock<[Arc<PublishedCounter>; 2]>,
}

impl ResourceCache {
    pub fn new(
        resource: &'static str,
        ttl: Duration,
        max_entries: u64,
        shared: Arc<CacheShared>,
    ) -> Self {
        let items = bounded(max_entries);
        let lists = bounded((max_entries / 10).max(100));
        ResourceCache {
            resource,
            items,
            lists,
            generation: AtomicU64::new(0),
            ttl,
            shared,
            counters: Default::default(),
        }
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
                PublishedCounter::new(names::CACHE, &[("resource", resource), ("result", "hit")]),
                PublishedCounter::new(names::CACHE, &[("resource", resource), ("result", "miss")]),
            ]
        });
        c[usize::from(!hit)].add(1);
    }

    /// The cached item, if any and within its TTL (a hit is counted).
    pub fn cached_item(&self, key: &Key) -> Option<Arc<Representation>> {
        let v = lookup(&self.items, key);
        if v.is_some() {
            self.count(true);
        }
        v
    }

    /// After a miss: `load` run once for all concurrent callers of `key`.
    /// `Ok(None)` (missing rows) is not cached.
    pub async fn fill_item<F>(
        &self,
        key: Key,
        load: F,
    ) -> Result<Option<Arc<Representation>>, ApiError>
    where
        F: Future<Output = Result<Option<Arc<Representation>>, ApiError>>,
    {
        self.count(false);
        fill(&self.items, &self.generation, self.ttl, &key, load).await
    }

    /// The cached item, or `load` run once for all concurrent callers.
    pub async fn item<F>(&self, key: Key, load: F) -> Result<Option<Arc<Representation>>, ApiError>
    where
        F: Future<Output = Result<Option<Arc<Representation>>, ApiError>>,
    {
        match self.cached_item(&key) {
            Some(v) => Ok(Some(v)),
            None => self.fill_item(key, load).await,
        }
    }

    /// The cached list page for a normalized query string, if any (a hit
    /// is counted).
    pub fn cached_list(&self, query: &str) -> Option<Arc<CachedList>> {
        let v = lookup(&self.lists, query);
        if v.is_some() {
            self.count(true);
        }
        v
    }

    /// After a miss: `load` run once for all concurrent callers of `query`.
    pub async fn fill_list<F>(&self, query: &str, load: F) -> Result<Arc<CachedList>, ApiError>
    where
        F: Future<Output = Result<Arc<CachedList>, ApiError>>,
    {
        self.count(false);
        let page = fill(&self.lists, &self.generation, self.ttl, query, async move {
            load.await.map(Some)
        })
        .await?;
        page.ok_or_else(|| ApiError::internal("a list page loaded as missing"))
    }

    /// Drops one item (or every item when `None`) and every list page.
    pub fn invalidate(&self, key: Option<&Key>) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match key {
            Some(k) => {
                self.items.remove(k);
            }
            None => self.items.clear(),
        }
        self.lists.clear();
    }

    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.items.clear();
        self.lists.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(ttl: Duration, max: u64) -> ResourceCache {
        let shared = Arc::new(CacheShared {
            flags: Arc::new(flags::Flags::new(true)),
            channel_up: AtomicBool::new(true),
        });
        ResourceCache::new("t", ttl, max, shared)
    }

    fn page(n: u8) -> Arc<CachedList> {
        let etag = format!("\"{n}\"");
        Arc::new(CachedList {
            body: Bytes::from(vec![n]),
            etag_header: etag.parse().unwrap(),
            etag,
            link: None,
        })
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_load_and_its_outcome() {
        let c = Arc::new(cache(Duration::from_secs(60), 100));
        let loads = Arc::new(AtomicU64::new(0));
        let run = |outcome: Result<Option<Arc<CachedList>>, ApiError>| {
            let (c, loads) = (c.clone(), loads.clone());
            tokio::spawn(async move {
                fill(&c.lists, &c.generation, c.ttl, "q", async move {
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    outcome
                })
                .await
            })
        };
        // A failure reaches every waiter and is not kept.
        let tasks: Vec<_> = (0..10)
            .map(|_| run(Err(ApiError::internal("boom"))))
            .collect();
        for t in tasks {
            assert!(t.await.unwrap().is_err());
        }
        assert_eq!(
            loads.swap(0, Ordering::SeqCst),
            1,
            "one load for ten concurrent misses"
        );
        assert!(c.cached_list("q").is_none());
        // So does a missing row.
        let tasks: Vec<_> = (0..10).map(|_| run(Ok(None))).collect();
        for t in tasks {
            assert!(t.await.unwrap().unwrap().is_none());
        }
        assert_eq!(loads.swap(0, Ordering::SeqCst), 1);
        assert!(c.cached_list("q").is_none());
        // A value is shared and kept.
        let tasks: Vec<_> = (0..10).map(|_| run(Ok(Some(page(7))))).collect();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().unwrap().body[0], 7);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert_eq!(c.cached_list("q").unwrap().body[0], 7);
    }

    #[tokio::test]
    async fn a_value_read_across_a_write_is_not_kept() {
        let c = cache(Duration::from_secs(60), 100);
        let got = c
            .fill_list("q", async {
                c.invalidate(None);
                Ok(page(1))
            })
            .await
            .unwrap();
        assert_eq!(got.body[0], 1, "the caller still gets what it read");
        assert!(
            c.cached_list("q").is_none(),
            "but it is not served to later readers"
        );
    }

    #[tokio::test]
    async fn entries_expire_after_their_ttl() {
        let c = cache(Duration::from_millis(30), 100);
        c.fill_list("q", async { Ok(page(1)) }).await.unwrap();
        assert!(c.cached_list("q").is_some());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(c.cached_list("q").is_none(), "expired");
        let again = c.fill_list("q", async { Ok(page(2)) }).await.unwrap();
        assert_eq!(
            again.body[0], 2,
            "an expired entry is loaded again, not replayed"
        );
        assert_eq!(c.cached_list("q").unwrap().body[0], 2);
    }

    fn rep() -> Arc<Representation> {
        let etag_header = axum::http::HeaderValue::from_static("\"e\"");
        Arc::new(Representation {
            json: Bytes::from_static(b"{}"),
            etag: "\"e\"".into(),
            etag_header,
            record: Default::default(),
        })
    }

    #[tokio::test]
    async fn the_size_is_bounded() {
        let c = cache(Duration::from_secs(60), 200);
        for i in 0..5_000 {
            c.fill_item(Key::Int(i), async { Ok(Some(rep())) })
                .await
                .unwrap();
        }
        let n = c.items.len();
        assert!(n > 100 && n <= 200, "{n} items kept");
    }
}
