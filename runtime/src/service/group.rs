//! Group commit: single-item creates of one resource that arrive while
//! one is in flight leave together, in one transaction and one multi-row
//! `INSERT … RETURNING`, so a commit (and its flush to disk) is shared by
//! every row of the batch.
//!
//! Each request keeps its own outcome. Validation, permissions and
//! `before_create` hooks run per request before the batch is written (a
//! refusal answers that request alone). If writing the batch fails (one
//! row's unique or foreign-key violation, an `after_write` hook's refusal,
//! the commit), nothing of it stays and each half is written again the
//! same way, down to single rows, so only the rows that fail by themselves
//! fail. A 201 still means
//! committed. A write that finds no batch in flight runs at once, in its
//! own request: it waits for nothing.
//!
//! The batch runs in a task of its own (not in a request's future), so a
//! client that goes away does not strand the requests queued behind it.

use super::ResourceService;
use crate::context::Context;
use crate::error::ApiResult;
use crate::value::Record;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::oneshot;

/// One queued create: its caller, its body and where its outcome goes.
pub(crate) struct Pending {
    pub ctx: Context,
    pub body: serde_json::Value,
    pub reply: oneshot::Sender<ApiResult<Record>>,
}

/// The queue of one resource's creates.
pub(crate) struct Group {
    state: Mutex<State>,
    /// The most rows one batch writes (`GROUP_COMMIT_MAX`); 0 turns
    /// grouping off.
    max: usize,
    /// Batches written at once: two on PostgreSQL, so one forms and starts
    /// while another commits; one on SQLite, which has one writer.
    lanes: usize,
}

#[derive(Default)]
struct State {
    /// Batches (or lone writes) being written.
    in_flight: usize,
    queue: Vec<Pending>,
}

/// What [`Group::enter`] decided for a write.
pub(crate) enum Turn {
    /// Nothing in flight: write it now, then call [`Alone::done`].
    Alone(Alone),
    /// Queued behind the write in flight: the outcome arrives here.
    Queued(oneshot::Receiver<ApiResult<Record>>),
}

/// The right to write alone; dropped (finished or abandoned), it starts
/// the batch of whatever queued meanwhile.
pub(crate) struct Alone {
    svc: Weak<ResourceService>,
}

impl Drop for Alone {
    fn drop(&mut self) {
        if let Some(svc) = self.svc.upgrade() {
            svc.group.hand_over(&svc);
        }
    }
}

impl Group {
    pub fn new(max: usize, lanes: usize) -> Group {
        Group {
            state: Mutex::new(State::default()),
            max,
            lanes: lanes.max(1),
        }
    }

    pub fn enabled(&self) -> bool {
        self.max > 1
    }

    /// Writes now when nothing is in flight, else queues `ctx` and `body`.
    pub fn enter(
        &self,
        svc: &Arc<ResourceService>,
        ctx: &Context,
        body: &serde_json::Value,
    ) -> Turn {
        let mut s = self.state.lock().expect("group lock");
        if s.in_flight < self.lanes && s.queue.is_empty() {
            s.in_flight += 1;
            return Turn::Alone(Alone {
                svc: Arc::downgrade(svc),
            });
        }
        let (reply, rx) = oneshot::channel();
        s.queue.push(Pending {
            ctx: ctx.clone(),
            body: body.clone(),
            reply,
        });
        Turn::Queued(rx)
    }

    /// A write in flight is done: its lane writes the next batch in a task
    /// of its own, or is free again.
    fn hand_over(&self, svc: &Arc<ResourceService>) {
        let mut s = self.state.lock().expect("group lock");
        if s.queue.is_empty() {
            s.in_flight -= 1;
            return;
        }
        drop(s);
        let svc = svc.clone();
        tokio::spawn(async move { svc.group.drain(&svc).await });
    }

    /// Writes batches until the queue is empty.
    async fn drain(&self, svc: &Arc<ResourceService>) {
        loop {
            let batch: Vec<Pending> = {
                let mut s = self.state.lock().expect("group lock");
                if s.queue.is_empty() {
                    s.in_flight -= 1;
                    return;
                }
                let n = s.queue.len().min(self.max);
                s.queue.drain(..n).collect()
            };
            // A hook that panics fails its batch's requests (their replies
            // are dropped), not the queue behind them.
            let run = std::panic::AssertUnwindSafe(svc.create_batch(batch));
            if futures::FutureExt::catch_unwind(run).await.is_err() {
                tracing::error!(resource = svc.model.path, "a batch of creates panicked");
            }
        }
    }
}
