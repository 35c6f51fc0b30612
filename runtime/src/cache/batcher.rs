//! Coalesces concurrent lookups by id into one `WHERE id IN (…)` query.
//!
//! Batches form while queries run, not on a timer: a lookup that finds a
//! free slot (at most `concurrency` queries of a resource in flight) goes
//! at once, with whatever else is already waiting; while every slot is
//! busy, lookups queue and leave together as the next batch when one
//! frees. A lone request waits for nothing, and under load the batches grow
//! by themselves. `wait` optionally lingers after the first lookup for more
//! to join (off by default). Identical keys in a batch share the row.
//!
//! The rows come from a [`LoadByIds`] the batcher owns, so it holds no
//! reference back to the service that uses it.

use crate::error::{ApiError, ApiResult};
use crate::value::{Key, Record};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Loads the rows with these ids (one statement or a few): what a batch
/// runs. Missing ids are absent from the map.
pub trait LoadByIds: Send + Sync + 'static {
    fn load_ids<'a>(&'a self, keys: &'a [Key]) -> BoxFuture<'a, ApiResult<HashMap<Key, Record>>>;
}

type Reply = oneshot::Sender<ApiResult<Option<Record>>>;

#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// How long a batch with a free slot lingers for more lookups.
    pub wait: Duration,
    /// The most ids in one query.
    pub max: usize,
    /// Batch queries of one resource in flight at once.
    pub concurrency: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            wait: Duration::ZERO,
            max: 128,
            concurrency: 2,
        }
    }
}

/// One lookup, or several that must share a batch (a GraphQL relation
/// level knows all its keys at once; sent apart, a batch could leave
/// between them).
enum Ask {
    One(Key, Reply),
    Many(Vec<(Key, Reply)>),
}

impl Ask {
    fn len(&self) -> usize {
        match self {
            Ask::One(..) => 1,
            Ask::Many(v) => v.len(),
        }
    }
}

pub struct Batcher {
    tx: mpsc::UnboundedSender<Ask>,
}

impl Batcher {
    /// Starts the batching task; it ends when the batcher is dropped.
    pub fn new(loader: Arc<dyn LoadByIds>, opts: BatchOptions) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(loader, rx, opts));
        Batcher { tx }
    }

    pub async fn load(&self, key: Key) -> ApiResult<Option<Record>> {
        let (tx, rx) = oneshot::channel();
        self.send(Ask::One(key, tx))?;
        rx.await
            .map_err(|_| ApiError::internal("batcher dropped a request"))?
    }

    /// Rows for `keys`, all in the same batch.
    pub async fn load_many(&self, keys: &[Key]) -> ApiResult<HashMap<Key, Record>> {
        let (asks, replies): (Vec<_>, Vec<_>) = keys
            .iter()
            .map(|k| {
                let (tx, rx) = oneshot::channel();
                ((k.clone(), tx), (k, rx))
            })
            .unzip();
        self.send(Ask::Many(asks))?;
        let mut out = HashMap::with_capacity(keys.len());
        for (k, rx) in replies {
            let row = rx
                .await
                .map_err(|_| ApiError::internal("batcher dropped a request"))??;
            if let Some(r) = row {
                out.insert(k.clone(), r);
            }
        }
        Ok(out)
    }

    fn send(&self, ask: Ask) -> ApiResult<()> {
        self.tx
            .send(ask)
            .map_err(|_| ApiError::internal("batcher stopped"))
    }
}

async fn run(loader: Arc<dyn LoadByIds>, mut rx: mpsc::UnboundedReceiver<Ask>, opts: BatchOptions) {
    let slots = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let max = opts.max.max(1);
    while let Some(first) = rx.recv().await {
        // While every slot is busy, later lookups queue in the channel and
        // join this batch.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let mut batch = Vec::with_capacity(first.len());
        add(&mut batch, first);
        while batch.len() < max {
            match rx.try_recv() {
                Ok(ask) => add(&mut batch, ask),
                Err(_) => break,
            }
        }
        if !opts.wait.is_zero() && batch.len() < max {
            let deadline = tokio::time::sleep(opts.wait);
            tokio::pin!(deadline);
            while batch.len() < max {
                tokio::select! {
                    biased;
                    next = rx.recv() => match next {
                        Some(ask) => add(&mut batch, ask),
                        None => break,
                    },
                    _ = &mut deadline => break,
                }
            }
        }
        let loader = loader.clone();
        // Run the query off the collecting loop so the next batch can form.
        tokio::spawn(async move {
            answer(&*loader, batch).await;
            drop(slot);
        });
    }
}

fn add(batch: &mut Vec<(Key, Reply)>, ask: Ask) {
    match ask {
        Ask::One(k, r) => batch.push((k, r)),
        Ask::Many(v) => batch.extend(v),
    }
}

async fn answer(loader: &dyn LoadByIds, batch: Vec<(Key, Reply)>) {
    let mut keys: Vec<Key> = batch.iter().map(|(k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    match loader.load_ids(&keys).await {
        Ok(mut rows) => {
            // Hand out clones for duplicates, the original to the last asker.
            let mut counts: HashMap<Key, usize> = HashMap::new();
            for (k, _) in &batch {
                *counts.entry(k.clone()).or_default() += 1;
            }
            for (k, reply) in batch {
                let n = counts.get_mut(&k).expect("counted");
                *n -= 1;
                let row = if *n == 0 {
                    rows.remove(&k)
                } else {
                    rows.get(&k).cloned()
                };
                let _ = reply.send(Ok(row));
            }
        }
        Err(e) => {
            for (_, reply) in batch {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}
