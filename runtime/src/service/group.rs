//! Group commit: single-item writes of one resource that arrive while one
//! is in flight leave together, in one transaction, so a commit (and its
//! flush to disk) is shared by every row of the batch.
//!
//! Each request keeps its own outcome, and a 201 or 200 still means
//! committed. A write that finds no batch in flight runs at once, in its
//! own request: it waits for nothing.
//!
//! - **Creates** share one multi-row `INSERT … RETURNING`. Validation,
//!   permissions and `before_create` hooks run per request before the batch
//!   is written (a refusal answers that request alone). If writing the
//!   batch fails (one row's unique or foreign-key violation, an
//!   `after_write` hook's refusal, the commit), nothing of it stays and
//!   each half is written again the same way, down to single rows, so only
//!   the rows that fail by themselves fail.
//! - **Updates and deletes** lock their rows in id order (two batches take
//!   shared rows in one order) and are checked one by one against them; a
//!   refusal (404, 412, 422, a hook's) answers that request alone. On
//!   PostgreSQL, a batch of changes to distinct rows is then written with
//!   shared statements (`change_batch.rs`), halved on failure as creates
//!   are. Otherwise (SQLite, two writes to one row, which keep their order
//!   of arrival) they run one after another in the batch's transaction,
//!   each inside a savepoint: one that fails is rolled back to it and
//!   answered alone, its neighbours commit.
//!
//! The batch runs in a task of its own (not in a request's future), so a
//! client that goes away does not strand the requests queued behind it.

use super::ResourceService;
use crate::context::Context;
use crate::error::ApiResult;
use crate::input::Mode;
use crate::value::{Record, Value};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::oneshot;

tokio::task_local! {
    /// The resources whose writes this task is making (a lone write or a
    /// batch). A write it makes to one of them meanwhile (a hook's typed
    /// call) goes straight through: queued, it would wait for itself.
    static WRITING: Vec<&'static str>;
}

/// Runs `f` as the writer of `resource`'s group (see [`WRITING`]).
pub(crate) async fn as_writer<F: std::future::Future>(resource: &'static str, f: F) -> F::Output {
    let mut writing = WRITING.try_with(|w| w.clone()).unwrap_or_default();
    writing.push(resource);
    WRITING.scope(writing, f).await
}

fn writing(resource: &str) -> bool {
    WRITING.try_with(|w| w.contains(&resource)).unwrap_or(false)
}

/// One queued write: its caller, what it does and where its outcome goes.
pub(crate) struct Pending {
    pub ctx: Context,
    pub op: Op,
    pub reply: oneshot::Sender<ApiResult<Record>>,
}

/// A single-item write.
pub(crate) enum Op {
    Create(serde_json::Value),
    Update {
        id: Value,
        body: serde_json::Value,
        mode: Mode,
        if_match: Option<String>,
    },
    Delete {
        id: Value,
        if_match: Option<String>,
    },
}

impl Op {
    /// The row an update or delete changes.
    pub fn target(&self) -> Option<&Value> {
        match self {
            Op::Create(_) => None,
            Op::Update { id, .. } | Op::Delete { id, .. } => Some(id),
        }
    }
}

/// The queue of one resource's single-item writes.
pub(crate) struct Group {
    state: Mutex<State>,
    /// The most rows one batch writes (`GROUP_COMMIT_MAX`); 0 turns
    /// grouping off.
    max: usize,
    /// Batches written at once (see `ResourceService::new`); one on
    /// SQLite, which has one writer.
    lanes: usize,
    select: Select,
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
    group: Select,
}

/// Which of a service's groups (creates, or updates and deletes).
pub(crate) type Select = fn(&ResourceService) -> &Group;

impl Drop for Alone {
    fn drop(&mut self) {
        if let Some(svc) = self.svc.upgrade() {
            (self.group)(&svc).hand_over(&svc);
        }
    }
}

impl Group {
    pub fn new(max: usize, lanes: usize, select: Select) -> Group {
        Group {
            state: Mutex::new(State::default()),
            max,
            lanes: lanes.max(1),
            select,
        }
    }

    pub fn enabled(&self) -> bool {
        self.max > 1
    }

    /// Writes now when nothing is in flight, else queues `ctx` and `op`
    /// (made only then).
    pub fn enter(
        &self,
        svc: &Arc<ResourceService>,
        ctx: &Context,
        op: impl FnOnce() -> Op,
    ) -> Turn {
        if writing(svc.model.path) {
            // Inside this group's own write: through at once, on no lane.
            return Turn::Alone(Alone {
                svc: Weak::new(),
                group: self.select,
            });
        }
        let mut s = self.state.lock().expect("group lock");
        if s.in_flight < self.lanes && s.queue.is_empty() {
            s.in_flight += 1;
            return Turn::Alone(Alone {
                svc: Arc::downgrade(svc),
                group: self.select,
            });
        }
        let (reply, rx) = oneshot::channel();
        s.queue.push(Pending {
            ctx: ctx.clone(),
            op: op(),
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
        let select = self.select;
        tokio::spawn(async move { select(&svc).drain(&svc).await });
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
            let run =
                std::panic::AssertUnwindSafe(as_writer(svc.model.path, svc.write_batch(batch)));
            if futures::FutureExt::catch_unwind(run).await.is_err() {
                tracing::error!(resource = svc.model.path, "a batch of writes panicked");
            }
        }
    }
}
