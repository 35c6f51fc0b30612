//! Group commit of updates and deletes in shared statements (PostgreSQL):
//! a batch of changes to distinct rows locks them with one
//! `SELECT … FOR UPDATE`, checks and prepares each against its row (a
//! refusal answers that request alone and writes nothing), then writes
//! them with one `UPDATE … FROM (VALUES …)`, one `DELETE … WHERE id IN (…)`
//! and one insert of their change records. If that fails (a constraint,
//! such as a row still referenced; an `after_write` hook's refusal), it is
//! undone to its savepoint and each half is written again, down to single
//! rows, so only the rows that fail by themselves fail.
//!
//! Other batches (SQLite, two writes to one row) take the
//! statement-per-row path in `write.rs`, which shares the transaction.

use super::group;
use super::hooks::Change;
use super::tx::WriteTx;
use super::{observe, ResourceService};
use crate::context::Context;
use crate::error::{ApiError, ApiResult};
use crate::permissions::{self, Action};
use crate::store::{Dialect, Param};
use crate::value::{Key, Record};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::time::Instant;

/// A change checked against its locked row, ready to write.
struct Ready {
    pending: group::Pending,
    current: Record,
    write: Write,
}

/// What a checked change writes.
enum Write {
    /// The row's new values.
    Update(Record),
    Delete,
}

impl ResourceService {
    /// Whether `batch` (sorted by id) takes shared statements: PostgreSQL,
    /// updates and deletes, each to another row.
    pub(super) fn changes_together(&self, batch: &[group::Pending]) -> bool {
        self.db.dialect() == Dialect::Postgres
            && batch.len() > 1
            && batch.iter().all(|p| p.op.target().is_some())
            && batch
                .windows(2)
                .all(|w| w[0].op.target() != w[1].op.target())
    }

    /// Answers every change of `batch` (see the module's text).
    pub(super) async fn change_batch_together(&self, batch: Vec<group::Pending>) {
        let mut tx = match WriteTx::begin(&self.db).await {
            Ok(tx) => tx,
            Err(e) => return answer_all(batch, &e),
        };
        let ready = match self.prepare_changes(&mut tx, batch).await {
            Ok(r) => r,
            Err((e, left)) => return answer_all(left, &e),
        };
        let mut done = Vec::with_capacity(ready.len());
        let written = self.write_changes(&mut tx, ready, &mut done).await;
        let committed = match written {
            Ok(()) => tx.commit().await,
            Err(e) => Err(e),
        };
        match committed {
            Ok(()) => {
                for (p, row) in done {
                    let _ = p.reply.send(Ok(row));
                }
            }
            Err(e) => {
                // What the batch held is written again, each on its own.
                tracing::debug!(resource = self.model.path, error = %e, rows = done.len(),
                    "a group commit of changes failed; writing each alone");
                for (p, _) in done {
                    let out = self.change_alone(&p.ctx, &p.op).await;
                    let _ = p.reply.send(out);
                }
            }
        }
    }

    /// Locks the batch's rows and checks each change against its row; a
    /// refused change is answered here. On a database error, the requests
    /// not answered yet come back with it.
    async fn prepare_changes(
        &self,
        tx: &mut WriteTx,
        batch: Vec<group::Pending>,
    ) -> Result<Vec<Ready>, (ApiError, Vec<group::Pending>)> {
        let ids = batch
            .iter()
            .filter_map(|p| p.op.target().cloned())
            .collect();
        let (sql, params) = self.sql.select_many_for_update(ids);
        let rows = match tx.store().fetch(self.model, &sql, params).await {
            Ok(rows) => rows,
            Err(e) => return Err((e.into(), batch)),
        };
        let i = self.model.id_index();
        let mut by_id: HashMap<Option<Key>, Record> = rows
            .into_iter()
            .map(|r| (Key::from_value(&r[i]), r))
            .collect();
        let mut ready = Vec::with_capacity(batch.len());
        for p in batch {
            let row =
                p.op.target()
                    .and_then(|id| by_id.remove(&Key::from_value(id)));
            match self.prepare_change(&p.ctx, &p.op, row).await {
                Ok((current, write)) => ready.push(Ready {
                    pending: p,
                    current,
                    write,
                }),
                Err(e) => {
                    let _ = p.reply.send(Err(e));
                }
            }
        }
        Ok(ready)
    }

    /// One change checked against its locked row (`None`: no such row):
    /// permissions, the maintenance gate, the read scope, then what the
    /// update or delete itself checks.
    async fn prepare_change(
        &self,
        ctx: &Context,
        op: &group::Op,
        row: Option<Record>,
    ) -> ApiResult<(Record, Write)> {
        let action = match op {
            group::Op::Update { .. } => Action::Update,
            group::Op::Delete { .. } => Action::Delete,
            group::Op::Create(_) => return Err(ApiError::internal("a create among the changes")),
        };
        let reach = permissions::admit(self.model, action, ctx)?;
        self.refuse_if_paused(ctx)?;
        let scope = self.scope(ctx)?;
        let id = op.target().expect("a change has a target");
        let current = self.within_scope(id, scope.as_ref(), row)?;
        let write = match op {
            group::Op::Update {
                body,
                mode,
                if_match,
                ..
            } => Write::Update(
                self.prepare_update(ctx, reach, &current, body, *mode, if_match.as_deref())
                    .await?,
            ),
            group::Op::Delete { if_match, .. } => {
                self.prepare_delete(ctx, reach, &current, if_match.as_deref())
                    .await?;
                Write::Delete
            }
            group::Op::Create(_) => unreachable!("refused above"),
        };
        Ok((current, write))
    }

    /// Writes `ready` together inside a savepoint; if that fails, each half
    /// again, and a single row that fails is answered with its error. The
    /// written rows go to `done`. An error returned means the transaction
    /// broke: every request of `ready` not in `done` has been answered.
    fn write_changes<'a>(
        &'a self,
        tx: &'a mut WriteTx,
        mut ready: Vec<Ready>,
        done: &'a mut Vec<(group::Pending, Record)>,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            if ready.is_empty() {
                return Ok(());
            }
            let mark = match tx.savepoint().await {
                Ok(m) => m,
                Err(e) => return Err(fail_ready(ready, e)),
            };
            let failed = match self.change_together(tx, &ready).await {
                Ok(rows) => {
                    if let Err(e) = tx.release().await {
                        return Err(fail_ready(ready, e));
                    }
                    done.extend(ready.into_iter().map(|r| r.pending).zip(rows));
                    return Ok(());
                }
                Err(e) => e,
            };
            if let Err(e) = tx.rollback_to(mark).await {
                return Err(fail_ready(ready, e));
            }
            if ready.len() == 1 {
                let r = ready.pop().expect("one");
                let _ = r.pending.reply.send(Err(failed));
                return Ok(());
            }
            tracing::debug!(resource = self.model.path, error = %failed, rows = ready.len(),
                "a group commit of changes failed; writing each half again");
            let right = ready.split_off(ready.len() / 2);
            if let Err(e) = self.write_changes(tx, ready, done).await {
                return Err(fail_ready(right, e));
            }
            self.write_changes(tx, right, done).await
        })
    }

    /// The rows of `ready` written by shared statements, their
    /// `after_write` hooks run and their change records inserted; rows come
    /// back in the order of `ready` (a deleted row as it was).
    async fn change_together(&self, tx: &mut WriteTx, ready: &[Ready]) -> ApiResult<Vec<Record>> {
        let start = Instant::now();
        let mut updated = self.update_together(tx, ready).await?;
        let deleted = self.delete_together(tx, ready).await?;
        let i = self.model.id_index();
        let mut rows = Vec::with_capacity(ready.len());
        let mut changes = Vec::new();
        for r in ready {
            let (row, action) = match &r.write {
                Write::Update(rec) => {
                    let row = updated
                        .remove(&Key::from_value(&rec[i]))
                        .ok_or_else(|| ApiError::internal("a multi-row update lost a row"))?;
                    (row, "update")
                }
                Write::Delete => (r.current.clone(), "delete"),
            };
            if let Some(h) = self.hooks() {
                let change = match r.write {
                    Write::Update(_) => Change::Updated {
                        before: &r.current,
                        after: &row,
                    },
                    Write::Delete => Change::Deleted(&r.current),
                };
                h.after_write(&r.pending.ctx, tx, change).await?;
            }
            changes.extend(self.change_record(&r.pending.ctx, action, &row));
            tx.written(self, Key::from_value(&row[i]), action == "delete");
            rows.push(row);
        }
        crate::audit::store::insert_all_in(tx.store(), &changes).await?;
        observe(self.model, "update", start, ready.len() - deleted);
        observe(self.model, "delete", start, deleted);
        Ok(rows)
    }

    /// The updates of `ready` in `UPDATE … FROM (VALUES …)` statements: the
    /// written rows by id.
    async fn update_together(
        &self,
        tx: &mut WriteTx,
        ready: &[Ready],
    ) -> ApiResult<HashMap<Option<Key>, Record>> {
        let recs: Vec<&Record> = ready
            .iter()
            .filter_map(|r| match &r.write {
                Write::Update(rec) => Some(rec),
                Write::Delete => None,
            })
            .collect();
        let i = self.model.id_index();
        let mut rows = HashMap::with_capacity(recs.len());
        for chunk in recs.chunks(self.sql.rows_per_update()) {
            let params: Vec<Param> = chunk.iter().flat_map(|r| self.update_params(r)).collect();
            let got = tx
                .store()
                .fetch(self.model, &self.sql.update_many(chunk.len()), params)
                .await?;
            rows.extend(got.into_iter().map(|r| (Key::from_value(&r[i]), r)));
        }
        Ok(rows)
    }

    /// The deletes of `ready` in `DELETE … WHERE id IN (…)` statements; how
    /// many rows went.
    async fn delete_together(&self, tx: &mut WriteTx, ready: &[Ready]) -> ApiResult<usize> {
        let i = self.model.id_index();
        let ids: Vec<_> = ready
            .iter()
            .filter(|r| matches!(r.write, Write::Delete))
            .map(|r| r.current[i].clone())
            .collect();
        let n = ids.len();
        for chunk in ids.chunks(60_000) {
            let (sql, params) = self.sql.delete_many(chunk.to_vec());
            let gone = tx.store().execute(&sql, params).await?;
            if gone as usize != chunk.len() {
                return Err(ApiError::internal("a multi-row delete missed a locked row"));
            }
        }
        Ok(n)
    }

    /// One row of `update_many`: the id, then the written fields.
    fn update_params(&self, rec: &Record) -> Vec<Param> {
        let (i, ty) = (self.model.id_index(), self.model.id_field().ty);
        std::iter::once((rec[i].clone(), ty))
            .chain(
                self.sql
                    .update_fields
                    .iter()
                    .map(|&f| (rec[f].clone(), self.model.fields[f].ty)),
            )
            .collect()
    }
}

fn answer_all(batch: Vec<group::Pending>, e: &ApiError) {
    for p in batch {
        let _ = p.reply.send(Err(e.clone()));
    }
}

/// Answers every request of `ready` with `e` (the transaction broke).
fn fail_ready(ready: Vec<Ready>, e: ApiError) -> ApiError {
    for r in ready {
        let _ = r.pending.reply.send(Err(e.clone()));
    }
    e
}
