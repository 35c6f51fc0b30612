//! Whole-response caching for GraphQL queries.
//!
//! A query's response is kept, keyed by the exact request (POST body or GET
//! query string, plus the authenticated subject), together with the write
//! generation of every resource its resolvers read. It is served again only
//! while all of those generations are unchanged and each resource's cache
//! is usable: any write to a resource the response read — here or, through
//! the invalidation channel, on another replica — retires it, exactly as it
//! retires that resource's cached items. Its lifetime is the shortest
//! `cache_ttl` among those resources; a response that read an uncached
//! resource, carried errors, or was not a query is never kept.

use crate::cache::flags::Flags;
use crate::cache::ResourceCache;
use crate::observe::names;
use crate::observe::striped::PublishedCounter;
use crate::service::ResourceService;
use bytes::Bytes;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// What one execution read: the generation of each resource, taken before
/// the resolver read it. `None` once something uncacheable was read.
#[derive(Default)]
pub struct Reads(Mutex<Option<Vec<(Arc<ResourceCache>, u64)>>>);

impl Reads {
    pub fn new() -> Self {
        Reads(Mutex::new(Some(Vec::new())))
    }

    /// Called by a resolver before it reads `svc`.
    pub fn record(&self, svc: &ResourceService) {
        let mut deps = self.0.lock().expect("reads lock");
        let Some(list) = deps.as_mut() else { return };
        match &svc.cache {
            Some(c) if c.usable() => {
                if !list.iter().any(|(d, _)| Arc::ptr_eq(d, c)) {
                    list.push((c.clone(), c.generation()));
                }
            }
            _ => *deps = None,
        }
    }

    fn take(&self) -> Option<Vec<(Arc<ResourceCache>, u64)>> {
        self.0.lock().expect("reads lock").take()
    }
}

/// Notes that the resolver in `ctx` is about to read `svc`.
pub fn record(ctx: &async_graphql::dynamic::ResolverContext<'_>, svc: &ResourceService) {
    if let Some(r) = ctx.data_opt::<Arc<Reads>>() {
        r.record(svc);
    }
}

pub struct Entry {
    pub body: Bytes,
    /// The operation's counter and latency histogram, resolved once.
    pub ops: metrics::Counter,
    pub duration: metrics::Histogram,
    deps: Vec<(Arc<ResourceCache>, u64)>,
    expires: Instant,
}

impl Entry {
    fn fresh(&self) -> bool {
        Instant::now() < self.expires
            && self
                .deps
                .iter()
                .all(|(c, g)| c.usable() && c.generation() == *g)
    }
}

pub struct ResponseCache {
    enabled: bool,
    entries: crate::cache::Bounded<Bytes, Arc<Entry>>,
    flags: Arc<Flags>,
    counters: OnceLock<[Arc<PublishedCounter>; 2]>,
}

impl ResponseCache {
    pub fn new(enabled: bool, max_entries: u64, flags: Arc<Flags>) -> Self {
        ResponseCache {
            enabled,
            entries: crate::cache::bounded(max_entries),
            flags,
            counters: OnceLock::new(),
        }
    }

    fn on(&self) -> bool {
        self.enabled && self.flags.optimization()
    }

    /// The cache key: how the request came, who sent it, and its exact text.
    pub fn key(via: &str, subject: Option<&str>, raw: &[u8]) -> Bytes {
        let subject = subject.unwrap_or("");
        let mut k = Vec::with_capacity(via.len() + subject.len() + raw.len() + 2);
        k.extend_from_slice(via.as_bytes());
        k.push(0);
        k.extend_from_slice(subject.as_bytes());
        k.push(0);
        k.extend_from_slice(raw);
        k.into()
    }

    fn count(&self, hit: bool) {
        let c = self.counters.get_or_init(|| {
            [
                PublishedCounter::new(names::CACHE, &[("resource", "graphql"), ("result", "hit")]),
                PublishedCounter::new(names::CACHE, &[("resource", "graphql"), ("result", "miss")]),
            ]
        });
        c[usize::from(!hit)].add(1);
    }

    /// A stored response that is still exact, if any.
    pub fn get(&self, key: &Bytes) -> Option<Arc<Entry>> {
        if !self.on() {
            return None;
        }
        let hit = self.entries.get(key).filter(|e| e.fresh());
        self.count(hit.is_some());
        hit
    }

    /// Keeps a response if everything it read was cacheable and unchanged
    /// while it ran.
    pub fn put(
        &self,
        key: Bytes,
        body: Bytes,
        op_type: &'static str,
        op_name: &'static str,
        reads: &Reads,
    ) {
        if !self.on() {
            return;
        }
        let Some(deps) = reads.take() else { return };
        if deps.is_empty() {
            return;
        }
        let ttl = deps.iter().map(|(c, _)| c.ttl()).min().unwrap_or_default();
        let labels = [("operation_type", op_type), ("operation_name", op_name)];
        let entry = Entry {
            body,
            ops: metrics::counter!(names::GRAPHQL_OPS, &labels),
            duration: metrics::histogram!(names::GRAPHQL_DURATION, &labels),
            deps,
            expires: Instant::now() + ttl,
        };
        if entry.fresh() {
            self.entries.insert(key, Arc::new(entry));
        }
    }
}
