//! Group commit of updates in shared statements (PostgreSQL): a batch of
//! updates to distinct rows locks them with one `SELECT … FOR UPDATE`,
//! checks and prepares each against its row (a refusal answers that
//! request alone and writes nothing), then writes them with one
//! `UPDATE … FROM (VALUES …)` and one insert of their change records. If
//! that fails (a constraint, an `after_write` hook's refusal), it is undone
//! to its savepoint and each half is written again, down to single rows,
//! so only the rows that fail by themselves fail.
//!
//! Other batches (SQLite, deletes among them, two writes to one row) take
//! the statement-per-row path in `write.rs`, which shares the transaction.

use super::group;
use super::hooks::Change;
use super::tx::WriteTx;
use super::{observe, ResourceService};
use crate::error::{ApiError, ApiResult};
use crate::permissions::{self, Action};
use crate::store::{Dialect, Param};
use crate::value::{Key, Record};
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::time::Instant;

/// An update checked against its locked row, ready to write.
struct Ready {
    pending: group::Pending,
    current: Record,
    rec: Record,
}

impl ResourceService {
    /// Whether `batch` (sorted by id) takes shared statements: PostgreSQL,
    /// updates only, each to another row.
    pub(super) fn updates_together(&self, batch: &[group::Pending]) -> bool {
        self.db.dialect() == Dialect::Postgres
            && batch.len() > 1
            && batch
                .iter()
                .all(|p| matches!(p.op, group::Op::Update { .. }))
            && batch
                .windows(2)
                .all(|w| w[0].op.target() != w[1].op.target())
    }

    /// Answers every update of `batch` (see the module's text).
    pub(super) async fn update_batch(&self, batch: Vec<group::Pending>) {
        let mut tx = match WriteTx::begin(&self.db).await {
            Ok(tx) => tx,
            Err(e) => return answer_all(batch, &e),
        };
        let ready = match self.prepare_updates(&mut tx, batch).await {
            Ok(r) => r,
            Err((e, left)) => return answer_all(left, &e),
        };
        let mut done = Vec::with_capacity(ready.len());
        let written = self.write_updates(&mut tx, ready, &mut done).await;
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
                    "a group commit of updates failed; writing each alone");
                for (p, _) in done {
                    let out = self.change_alone(&p.ctx, &p.op).await;
                    let _ = p.reply.send(out);
                }
            }
        }
    }

    /// Locks the batch's rows and checks each update against its row; a
    /// refused update is answered here. On a database error, the requests
    /// not answered yet come back with it.
    async fn prepare_updates(
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
            let group::Op::Update {
                id,
                body,
                mode,
                if_match,
            } = &p.op
            else {
                let _ = p
                    .reply
                    .send(Err(ApiError::internal("a write other than an update")));
                continue;
            };
            let row = by_id.remove(&Key::from_value(id));
            let prepared = async {
                let reach = permissions::admit(self.model, Action::Update, &p.ctx)?;
                self.refuse_if_paused(&p.ctx)?;
                let scope = self.scope(&p.ctx)?;
                let current = self.within_scope(id, scope.as_ref(), row)?;
                let rec = self
                    .prepare_update(&p.ctx, reach, &current, body, *mode, if_match.as_deref())
                    .await?;
                Ok::<_, ApiError>((current, rec))
            }
            .await;
            match prepared {
                Ok((current, rec)) => ready.push(Ready {
                    pending: p,
                    current,
                    rec,
                }),
                Err(e) => {
                    let _ = p.reply.send(Err(e));
                }
            }
        }
        Ok(ready)
    }

    /// Writes `ready` together inside a savepoint; if that fails, each half
    /// again, and a single row that fails is answered with its error. The
    /// written rows go to `done`. An error returned means the transaction
    /// broke: every request of `ready` not in `done` has been answered.
    fn write_updates<'a>(
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
            let failed = match self.update_together(tx, &ready).await {
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
                "a group commit of updates failed; writing each half again");
            let right = ready.split_off(ready.len() / 2);
            if let Err(e) = self.write_updates(tx, ready, done).await {
                return Err(fail_ready(right, e));
            }
            self.write_updates(tx, right, done).await
        })
    }

    /// The rows of `ready` written by shared statements, their
    /// `after_write` hooks run and their change records inserted; rows come
    /// back in the order of `ready`.
    async fn update_together(&self, tx: &mut WriteTx, ready: &[Ready]) -> ApiResult<Vec<Record>> {
        let start = Instant::now();
        let i = self.model.id_index();
        let mut rows: Vec<Record> = Vec::with_capacity(ready.len());
        for chunk in ready.chunks(self.sql.rows_per_update()) {
            let params: Vec<Param> = chunk
                .iter()
                .flat_map(|r| self.update_params(&r.rec))
                .collect();
            let got = tx
                .store()
                .fetch(self.model, &self.sql.update_many(chunk.len()), params)
                .await?;
            let mut by_id: HashMap<Option<Key>, Record> = got
                .into_iter()
                .map(|r| (Key::from_value(&r[i]), r))
                .collect();
            for r in chunk {
                let row = by_id
                    .remove(&Key::from_value(&r.rec[i]))
                    .ok_or_else(|| ApiError::internal("a multi-row update lost a row"))?;
                rows.push(row);
            }
        }
        let mut changes = Vec::new();
        for (r, row) in ready.iter().zip(&rows) {
            if let Some(h) = self.hooks() {
                let change = Change::Updated {
                    before: &r.current,
                    after: row,
                };
                h.after_write(&r.pending.ctx, tx, change).await?;
            }
            changes.extend(self.change_record(&r.pending.ctx, "update", row));
            tx.written(self, Key::from_value(&row[i]), false);
        }
        crate::audit::store::insert_all_in(tx.store(), &changes).await?;
        observe(self.model, "update", start, rows.len());
        Ok(rows)
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
