//! Coalesces concurrent lookups by id into one `WHERE id IN (…)` query.
//!
//! The first request opens a batch; requests arriving within `wait` (or
//! until `max` keys) join it; one statement answers them all. Identical
//! keys in a batch share the row.

use crate::error::{ApiError, ApiResult};
use crate::service::ResourceService;
use crate::value::{Key, Record};
use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<ApiResult<Option<Record>>>;

pub struct Batcher {
    tx: mpsc::UnboundedSender<(Key, Reply)>,
}

impl Batcher {
    pub fn new(svc: Weak<ResourceService>, wait: Duration, max: usize) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(svc, rx, wait, max));
        Batcher { tx }
    }

    pub async fn load(&self, key: Key) -> ApiResult<Option<Record>> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send((key, tx))
            .map_err(|_| ApiError::internal("batcher stopped"))?;
        rx.await
            .map_err(|_| ApiError::internal("batcher dropped a request"))?
    }
}

async fn run(
    svc: Weak<ResourceService>,
    mut rx: mpsc::UnboundedReceiver<(Key, Reply)>,
    wait: Duration,
    max: usize,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::sleep(wait);
        tokio::pin!(deadline);
        while batch.len() < max {
            tokio::select! {
                biased;
                next = rx.recv() => match next {
                    Some(item) => batch.push(item),
                    None => break,
                },
                _ = &mut deadline => break,
            }
        }
        let Some(svc) = svc.upgrade() else { return };
        // Run the query off the collecting loop so the next batch can form.
        tokio::spawn(answer(svc, batch));
    }
}

async fn answer(svc: Arc<ResourceService>, batch: Vec<(Key, Reply)>) {
    let mut keys: Vec<Key> = batch.iter().map(|(k, _)| k.clone()).collect();
    keys.sort();
    keys.dedup();
    match svc.load_by(svc.model.id_index(), &keys).await {
        Ok(mut rows) => {
            let mut rows: HashMap<Key, Record> = rows
                .drain()
                .filter_map(|(k, mut v)| v.pop().map(|r| (k, r)))
                .collect();
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
