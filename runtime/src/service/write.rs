//! Creates, updates and deletes: validation, hooks, the statements, and
//! the invalidations a commit releases.

use super::group;
use super::hooks::Change;
use super::tx::WriteTx;
use super::{observe, ResourceService};
use crate::context::Context;
use crate::error::{ApiError, ApiResult, FieldProblem, Kind};
use crate::input::{self, Mode};
use crate::permissions::{self, Action};
use crate::representation::{etag_matches, Representation};
use crate::store::Param;
use crate::value::{Key, Record, Value};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Instant;

/// The largest bulk create accepted in one request.
pub const MAX_BULK: usize = 1000;

/// JSON Pointer prefix of item `n` of a bulk body.
fn item_prefix(bulk: bool, n: usize) -> String {
    if bulk {
        format!("/{n}")
    } else {
        String::new()
    }
}

/// A problem of item `n` of a bulk write, pointing into the whole body.
fn at_item(mut e: ApiError, bulk: bool, n: usize) -> ApiError {
    if bulk {
        for p in &mut e.errors {
            p.pointer = format!("/{n}{}", p.pointer);
        }
        e.detail = format!("item {n}: {}", e.detail);
    }
    e
}

impl ResourceService {
    fn insert_params(&self, rec: &Record) -> Vec<Param> {
        self.sql
            .insert_fields
            .iter()
            .map(|&i| (rec[i].clone(), self.model.fields[i].ty))
            .collect()
    }

    /// Creates one record per item, all or nothing. A single item joins
    /// the group commit of its resource (see `group.rs`).
    pub async fn create(
        &self,
        ctx: &Context,
        items: &[serde_json::Value],
        bulk: bool,
    ) -> ApiResult<Vec<Record>> {
        if let ([item], false, Some(me)) = (items, bulk, self.me.upgrade()) {
            if self.group.enabled() {
                return Ok(vec![me.create_grouped(ctx, item).await?]);
            }
        }
        let records = self.prepare_create(ctx, items, bulk).await?;
        if let [rec] = records.as_slice() {
            return Ok(vec![self.insert_alone(ctx, rec.clone()).await?]);
        }
        let mut tx = WriteTx::begin(&self.db).await?;
        let out = self.insert_all(ctx, &mut tx, records, bulk).await;
        tx.finish(out).await
    }

    /// One create through the group: at once when nothing is in flight,
    /// else with the batch that forms behind it.
    async fn create_grouped(
        self: &Arc<Self>,
        ctx: &Context,
        item: &serde_json::Value,
    ) -> ApiResult<Record> {
        match self
            .group
            .enter(self, ctx, || group::Op::Create(item.clone()))
        {
            group::Turn::Alone(turn) => {
                let write = async {
                    let mut recs = self
                        .prepare_create(ctx, std::slice::from_ref(item), false)
                        .await?;
                    let rec = recs
                        .pop()
                        .ok_or_else(|| ApiError::internal("no record to create"))?;
                    self.insert_alone(ctx, rec).await
                };
                let out = group::as_writer(self.model.path, write).await;
                drop(turn);
                out
            }
            group::Turn::Queued(rx) => rx.await.unwrap_or_else(|_| Err(abandoned())),
        }
    }

    /// Writes one prepared record on its own: a lone `INSERT … RETURNING`
    /// (atomic by itself, no BEGIN/COMMIT round trips) unless hooks or the
    /// audit trail need a transaction.
    async fn insert_alone(&self, ctx: &Context, rec: Record) -> ApiResult<Record> {
        if self.hooks().is_none() && !self.audited() {
            let start = Instant::now();
            let row = self
                .db
                .fetch(self.model, &self.sql.insert, self.insert_params(&rec))
                .await?
                .pop()
                .ok_or_else(|| ApiError::internal("insert returned no row"))?;
            observe(self.model, "create", start, 1);
            if let Some(inv) = self.invalidator() {
                let key = Key::from_value(&row[self.model.id_index()]);
                inv.invalidate(self.model.path, key.as_ref()).await;
            }
            return Ok(row);
        }
        let mut tx = WriteTx::begin(&self.db).await?;
        let out = self.insert_all(ctx, &mut tx, vec![rec], false).await;
        let mut rows = tx.finish(out).await?;
        rows.pop()
            .ok_or_else(|| ApiError::internal("insert returned no row"))
    }

    /// A group's batch: its creates together (see `create_batch`), then its
    /// updates and deletes (see `change_batch`), each set in a transaction.
    pub(super) async fn write_batch(&self, batch: Vec<group::Pending>) {
        let (creates, changes): (Vec<_>, Vec<_>) = batch
            .into_iter()
            .partition(|p| matches!(p.op, group::Op::Create(_)));
        self.create_batch(creates).await;
        self.change_batch(changes).await;
    }

    /// Creates, each prepared on its own (a refusal answers that request
    /// alone), then all written together (see `write_group`).
    async fn create_batch(&self, batch: Vec<group::Pending>) {
        let prepared = futures::future::join_all(batch.iter().map(|p| {
            let body = match &p.op {
                group::Op::Create(b) => b,
                _ => unreachable!("only creates are prepared"),
            };
            self.prepare_create(&p.ctx, std::slice::from_ref(body), false)
        }))
        .await;
        let mut ready: Vec<(group::Pending, Record)> = Vec::with_capacity(batch.len());
        for (p, out) in batch.into_iter().zip(prepared) {
            match out.and_then(|mut r| {
                r.pop()
                    .ok_or_else(|| ApiError::internal("no record to create"))
            }) {
                Ok(rec) => ready.push((p, rec)),
                Err(e) => {
                    let _ = p.reply.send(Err(e));
                }
            }
        }
        self.write_group(ready).await;
    }

    /// Updates and deletes in one transaction, each inside a savepoint: a
    /// write that fails is rolled back to it and answered alone, the others
    /// are answered once the transaction commits. If the commit fails, each
    /// is written again on its own. In id order (stable, so writes to one
    /// row keep their order): two batches lock shared rows in one order.
    async fn change_batch(&self, mut batch: Vec<group::Pending>) {
        batch.sort_by(|a, b| {
            let key = |p: &group::Pending| p.op.target().map(Key::from_value);
            key(a).cmp(&key(b))
        });
        if self.changes_together(&batch) {
            return self.change_batch_together(batch).await;
        }
        if batch.len() <= 1 {
            for p in batch {
                let out = self.change_alone(&p.ctx, &p.op).await;
                let _ = p.reply.send(out);
            }
            return;
        }
        let mut tx = match WriteTx::begin(&self.db).await {
            Ok(tx) => tx,
            Err(e) => {
                for p in batch {
                    let _ = p.reply.send(Err(e.clone()));
                }
                return;
            }
        };
        let mut done: Vec<(group::Pending, Record)> = Vec::with_capacity(batch.len());
        let mut rest = batch.into_iter();
        for p in rest.by_ref() {
            let mark = match tx.savepoint().await {
                Ok(m) => m,
                Err(e) => {
                    let _ = p.reply.send(Err(e));
                    break;
                }
            };
            match self.change_in(&p.ctx, &mut tx, &p.op).await {
                Ok(row) => match tx.release().await {
                    Ok(()) => done.push((p, row)),
                    Err(e) => {
                        let _ = p.reply.send(Err(e));
                        break;
                    }
                },
                Err(e) => {
                    let undone = tx.rollback_to(mark).await;
                    let _ = p.reply.send(Err(e));
                    if undone.is_err() {
                        break;
                    }
                }
            }
        }
        // The transaction broke (a savepoint could not be taken or undone):
        // what it held and what was not reached are written on their own.
        let left: Vec<group::Pending> = rest.collect();
        if !left.is_empty() {
            drop(tx);
            for p in done.into_iter().map(|(p, _)| p).chain(left) {
                let out = self.change_alone(&p.ctx, &p.op).await;
                let _ = p.reply.send(out);
            }
            return;
        }
        match tx.commit().await {
            Ok(()) => {
                for (p, row) in done {
                    let _ = p.reply.send(Ok(row));
                }
            }
            Err(e) => {
                tracing::debug!(resource = self.model.path, error = %e, rows = done.len(),
                    "a group commit of changes failed; writing each alone");
                for (p, _) in done {
                    let out = self.change_alone(&p.ctx, &p.op).await;
                    let _ = p.reply.send(out);
                }
            }
        }
    }

    /// An update or delete in its own transaction.
    pub(super) async fn change_alone(&self, ctx: &Context, op: &group::Op) -> ApiResult<Record> {
        match op {
            group::Op::Update {
                id,
                body,
                mode,
                if_match,
            } => {
                self.update_alone(ctx, id, body, *mode, if_match.as_deref())
                    .await
            }
            group::Op::Delete { id, if_match } => {
                self.delete_alone(ctx, id, if_match.as_deref()).await
            }
            group::Op::Create(_) => Err(ApiError::internal("a create among the changes")),
        }
    }

    /// An update or delete inside the batch's transaction.
    async fn change_in(
        &self,
        ctx: &Context,
        tx: &mut WriteTx,
        op: &group::Op,
    ) -> ApiResult<Record> {
        match op {
            group::Op::Update {
                id,
                body,
                mode,
                if_match,
            } => {
                self.update_in(ctx, tx, id, body, *mode, if_match.as_deref())
                    .await
            }
            group::Op::Delete { id, if_match } => {
                self.delete_in(ctx, tx, id, if_match.as_deref()).await
            }
            group::Op::Create(_) => Err(ApiError::internal("a create among the changes")),
        }
    }

    /// Writes `ready` together; if that fails, each half again, so one bad
    /// row costs a few smaller transactions, not one per row. A single row
    /// is written alone and gets its own outcome.
    fn write_group(&self, mut ready: Vec<(group::Pending, Record)>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if ready.is_empty() {
                return;
            }
            if ready.len() == 1 {
                let (p, rec) = ready.pop().expect("one");
                let out = self.insert_alone(&p.ctx, rec).await;
                let _ = p.reply.send(out);
                return;
            }
            match self.insert_together(&ready).await {
                Ok(rows) => {
                    for ((p, _), row) in ready.into_iter().zip(rows) {
                        let _ = p.reply.send(Ok(row));
                    }
                }
                Err(e) => {
                    tracing::debug!(resource = self.model.path, error = %e, rows = ready.len(),
                        "a group commit failed; writing each half again");
                    let right = ready.split_off(ready.len() / 2);
                    self.write_group(ready).await;
                    self.write_group(right).await;
                }
            }
        })
    }

    /// Every record of `ready` in one transaction, through multi-row
    /// inserts; rows come back in the order of `ready`.
    async fn insert_together(&self, ready: &[(group::Pending, Record)]) -> ApiResult<Vec<Record>> {
        let start = Instant::now();
        let mut tx = WriteTx::begin(&self.db).await?;
        let mut rows: Vec<Record> = Vec::with_capacity(ready.len());
        for chunk in ready.chunks(self.sql.rows_per_insert()) {
            let params: Vec<Param> = chunk
                .iter()
                .flat_map(|(_, rec)| self.insert_params(rec))
                .collect();
            let mut got = tx
                .store()
                .fetch(self.model, &self.sql.insert_many(chunk.len()), params)
                .await?;
            if got.len() != chunk.len() {
                return Err(ApiError::internal(
                    "a multi-row insert returned another number of rows",
                ));
            }
            in_input_order(self.model, chunk.iter().map(|(_, r)| r), &mut got)?;
            rows.append(&mut got);
        }
        let mut changes = Vec::new();
        for ((p, _), row) in ready.iter().zip(&rows) {
            if let Some(h) = self.hooks() {
                h.after_write(&p.ctx, &mut tx, Change::Created(row)).await?;
            }
            changes.extend(self.change_record(&p.ctx, "create", row));
            tx.written(self, Key::from_value(&row[self.model.id_index()]), false);
        }
        // The batch's change records in as few statements as its rows.
        crate::audit::store::insert_all_in(tx.store(), &changes).await?;
        tx.commit().await?;
        observe(self.model, "create", start, rows.len());
        Ok(rows)
    }

    /// [`ResourceService::create`] inside a caller's transaction.
    pub async fn create_in(
        &self,
        ctx: &Context,
        tx: &mut WriteTx,
        items: &[serde_json::Value],
        bulk: bool,
    ) -> ApiResult<Vec<Record>> {
        let records = self.prepare_create(ctx, items, bulk).await?;
        self.insert_all(ctx, tx, records, bulk).await
    }

    /// Validates every item, then lets `before_create` hooks see and change
    /// each; every problem of every item is reported at once.
    async fn prepare_create(
        &self,
        ctx: &Context,
        items: &[serde_json::Value],
        bulk: bool,
    ) -> ApiResult<Vec<Record>> {
        if items.len() > MAX_BULK {
            return Err(ApiError::new(
                Kind::Validation,
                format!("at most {MAX_BULK} items per bulk create"),
            ));
        }
        permissions::admit(self.model, Action::Create, ctx)?;
        self.refuse_if_paused(ctx)?;
        let locked = permissions::unwritable_fields(self.model, ctx);
        if !locked.is_empty() {
            let refused: Vec<FieldProblem> = items
                .iter()
                .enumerate()
                .flat_map(|(n, item)| {
                    permissions::refuse_writes(
                        self.model,
                        &locked,
                        item,
                        None,
                        &item_prefix(bulk, n),
                    )
                })
                .collect();
            if !refused.is_empty() {
                return Err(permissions::forbidden_fields(refused));
            }
        }
        let mut records = Vec::with_capacity(items.len());
        let mut problems: Vec<FieldProblem> = Vec::new();
        // With hooks, the declared rules are checked after them (a hook may
        // normalise a value into shape).
        let rules = self.hooks().is_none();
        for (n, item) in items.iter().enumerate() {
            let prefix = item_prefix(bulk, n);
            match input::to_record_with(self.model, item, Mode::Create, None, &prefix, rules) {
                Ok(r) => records.push(r),
                Err(mut p) => problems.append(&mut p),
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::validation(problems));
        }
        self.set_owner(ctx, &mut records)?;
        let Some(hooks) = self.hooks() else {
            return Ok(records);
        };
        for (n, rec) in records.iter_mut().enumerate() {
            match hooks.before_create(ctx, rec).await {
                Ok(()) => {
                    let prefix = item_prefix(bulk, n);
                    problems.extend(input::recheck(self.model, rec, Mode::Create, &prefix));
                }
                // Only validation problems combine; any other refusal is the answer.
                Err(e) if e.kind == Kind::Validation && !e.errors.is_empty() => {
                    problems.extend(at_item(e, bulk, n).errors)
                }
                Err(e) => return Err(at_item(e, bulk, n)),
            }
        }
        if problems.is_empty() {
            Ok(records)
        } else {
            Err(ApiError::validation(problems))
        }
    }

    /// The owner of a new row is its creator, whatever else was sent.
    fn set_owner(&self, ctx: &Context, records: &mut [Record]) -> ApiResult<()> {
        let Some(i) = self.model.owner_index() else {
            return Ok(());
        };
        let subject = ctx.subject().ok_or_else(|| {
            ApiError::forbidden(format!(
                "a new {} belongs to its creator, and this call has none; act for a caller (Api::acting_as)",
                self.model.name.to_lowercase()
            ))
        })?;
        for rec in records {
            rec[i] = Value::Text(subject.to_string());
        }
        Ok(())
    }

    async fn insert_all(
        &self,
        ctx: &Context,
        tx: &mut WriteTx,
        records: Vec<Record>,
        bulk: bool,
    ) -> ApiResult<Vec<Record>> {
        let start = Instant::now();
        let mut out = Vec::with_capacity(records.len());
        for (n, rec) in records.into_iter().enumerate() {
            let row = tx
                .store()
                .fetch(self.model, &self.sql.insert, self.insert_params(&rec))
                .await
                .map_err(|e| at_item(ApiError::from(e), bulk, n))?
                .pop()
                .ok_or_else(|| ApiError::internal("insert returned no row"))?;
            if let Some(h) = self.hooks() {
                h.after_write(ctx, tx, Change::Created(&row))
                    .await
                    .map_err(|e| at_item(e, bulk, n))?;
            }
            self.record_change(ctx, tx, "create", &row).await?;
            tx.written(self, Key::from_value(&row[self.model.id_index()]), false);
            out.push(row);
        }
        observe(self.model, "create", start, out.len());
        Ok(out)
    }

    /// PUT or PATCH, honouring `If-Match`; joins the group commit of its
    /// resource (see `group.rs`).
    pub async fn update(
        &self,
        ctx: &Context,
        id: &Value,
        body: &serde_json::Value,
        mode: Mode,
        if_match: Option<&str>,
    ) -> ApiResult<Record> {
        if let Some(me) = self.me.upgrade().filter(|_| self.changes.enabled()) {
            let op = || group::Op::Update {
                id: id.clone(),
                body: body.clone(),
                mode,
                if_match: if_match.map(String::from),
            };
            return match me.changes.enter(&me, ctx, op) {
                group::Turn::Alone(turn) => {
                    let write = self.update_alone(ctx, id, body, mode, if_match);
                    let out = group::as_writer(self.model.path, write).await;
                    drop(turn);
                    out
                }
                group::Turn::Queued(rx) => rx.await.unwrap_or_else(|_| Err(abandoned())),
            };
        }
        self.update_alone(ctx, id, body, mode, if_match).await
    }

    async fn update_alone(
        &self,
        ctx: &Context,
        id: &Value,
        body: &serde_json::Value,
        mode: Mode,
        if_match: Option<&str>,
    ) -> ApiResult<Record> {
        let mut tx = WriteTx::begin(&self.db).await?;
        let out = self.update_in(ctx, &mut tx, id, body, mode, if_match).await;
        tx.finish(out).await
    }

    /// [`ResourceService::update`] inside a caller's transaction.
    pub async fn update_in(
        &self,
        ctx: &Context,
        tx: &mut WriteTx,
        id: &Value,
        body: &serde_json::Value,
        mode: Mode,
        if_match: Option<&str>,
    ) -> ApiResult<Record> {
        let start = Instant::now();
        let reach = permissions::admit(self.model, Action::Update, ctx)?;
        self.refuse_if_paused(ctx)?;
        let current = self.lock_current(ctx, tx, id).await?;
        let rec = self
            .prepare_update(ctx, reach, &current, body, mode, if_match)
            .await?;
        let (_, ty) = self.id_field();
        let mut params: Vec<Param> = self
            .sql
            .update_fields
            .iter()
            .map(|&i| (rec[i].clone(), self.model.fields[i].ty))
            .collect();
        params.push((id.clone(), ty));
        let row = tx
            .store()
            .fetch(self.model, &self.sql.update, params)
            .await?
            .pop()
            .ok_or_else(|| self.missing(id))?;
        if let Some(h) = self.hooks() {
            let change = Change::Updated {
                before: &current,
                after: &row,
            };
            h.after_write(ctx, tx, change).await?;
        }
        self.record_change(ctx, tx, "update", &row).await?;
        observe(self.model, "update", start, 1);
        tx.written(self, Key::from_value(id), false);
        Ok(row)
    }

    /// What an update writes, checked against the row it changes (locked,
    /// inside the caller's read scope): ownership, the fields the caller
    /// may write, validation, `before_update` hooks, then `If-Match`.
    pub(super) async fn prepare_update(
        &self,
        ctx: &Context,
        reach: permissions::Reach,
        current: &Record,
        body: &serde_json::Value,
        mode: Mode,
        if_match: Option<&str>,
    ) -> ApiResult<Record> {
        permissions::check_owner(self.model, Action::Update, ctx, reach, current)?;
        let kept;
        let body = match self.keep_unwritable(ctx, current, body, mode)? {
            Some(b) => {
                kept = b;
                &kept
            }
            None => body,
        };
        let rules = self.hooks().is_none();
        let mut rec = input::to_record_with(self.model, body, mode, Some(current), "", rules)
            .map_err(ApiError::validation)?;
        if let Some(h) = self.hooks() {
            h.before_update(ctx, current, &mut rec).await?;
            // A hook may normalise values, not move the row.
            let i = self.model.id_index();
            rec[i] = current[i].clone();
            let problems = input::recheck(self.model, &rec, mode, "");
            if !problems.is_empty() {
                return Err(ApiError::validation(problems));
            }
        }
        // A body that would be refused is refused (422) before the
        // precondition is (412).
        self.check_if_match(ctx, current, if_match)?;
        Ok(rec)
    }

    /// Deletes a record, honouring `If-Match`; joins the group commit of
    /// its resource. Returns the deleted row.
    pub async fn delete(
        &self,
        ctx: &Context,
        id: &Value,
        if_match: Option<&str>,
    ) -> ApiResult<Record> {
        if let Some(me) = self.me.upgrade().filter(|_| self.changes.enabled()) {
            let op = || group::Op::Delete {
                id: id.clone(),
                if_match: if_match.map(String::from),
            };
            return match me.changes.enter(&me, ctx, op) {
                group::Turn::Alone(turn) => {
                    let write = self.delete_alone(ctx, id, if_match);
                    let out = group::as_writer(self.model.path, write).await;
                    drop(turn);
                    out
                }
                group::Turn::Queued(rx) => rx.await.unwrap_or_else(|_| Err(abandoned())),
            };
        }
        self.delete_alone(ctx, id, if_match).await
    }

    async fn delete_alone(
        &self,
        ctx: &Context,
        id: &Value,
        if_match: Option<&str>,
    ) -> ApiResult<Record> {
        let mut tx = WriteTx::begin(&self.db).await?;
        let out = self.delete_in(ctx, &mut tx, id, if_match).await;
        tx.finish(out).await
    }

    /// [`ResourceService::delete`] inside a caller's transaction.
    pub async fn delete_in(
        &self,
        ctx: &Context,
        tx: &mut WriteTx,
        id: &Value,
        if_match: Option<&str>,
    ) -> ApiResult<Record> {
        let (_, ty) = self.id_field();
        let start = Instant::now();
        let reach = permissions::admit(self.model, Action::Delete, ctx)?;
        self.refuse_if_paused(ctx)?;
        let current = self.lock_current(ctx, tx, id).await?;
        self.prepare_delete(ctx, reach, &current, if_match).await?;
        tx.store()
            .execute(&self.sql.delete, vec![(id.clone(), ty)])
            .await?;
        if let Some(h) = self.hooks() {
            h.after_write(ctx, tx, Change::Deleted(&current)).await?;
        }
        self.record_change(ctx, tx, "delete", &current).await?;
        observe(self.model, "delete", start, 1);
        tx.written(self, Key::from_value(id), true);
        Ok(current)
    }

    /// Whether the row (locked, inside the caller's read scope) may go:
    /// ownership, `If-Match`, then `before_delete` hooks.
    pub(super) async fn prepare_delete(
        &self,
        ctx: &Context,
        reach: permissions::Reach,
        current: &Record,
        if_match: Option<&str>,
    ) -> ApiResult<()> {
        permissions::check_owner(self.model, Action::Delete, ctx, reach, current)?;
        self.check_if_match(ctx, current, if_match)?;
        if let Some(h) = self.hooks() {
            h.before_delete(ctx, current).await?;
        }
        Ok(())
    }

    /// The current row, locked where the database supports it, inside the
    /// caller's read scope (else 404), with `If-Match` checked against its
    /// ETag.
    async fn lock_current(&self, ctx: &Context, tx: &mut WriteTx, id: &Value) -> ApiResult<Record> {
        let (_, ty) = self.id_field();
        let scope = self.scope(ctx)?;
        let current = tx
            .store()
            .fetch(
                self.model,
                &self.sql.select_for_update,
                vec![(id.clone(), ty)],
            )
            .await?
            .pop();
        self.within_scope(id, scope.as_ref(), current)
    }

    /// The row, if the read scope lets the caller see it; else 404.
    pub(super) fn within_scope(
        &self,
        id: &Value,
        scope: Option<&crate::query::scope::Resolved>,
        row: Option<Record>,
    ) -> ApiResult<Record> {
        row.filter(|r| scope.is_none_or(|s| s.admits(r)))
            .ok_or_else(|| self.missing(id))
    }

    /// Fields the caller may not write: a change to one is refused (403);
    /// a full replacement keeps their current values (the caller could not
    /// have sent them). `Some` is the body with those values in.
    fn keep_unwritable(
        &self,
        ctx: &Context,
        current: &Record,
        body: &serde_json::Value,
        mode: Mode,
    ) -> ApiResult<Option<serde_json::Value>> {
        let locked = permissions::unwritable_fields(self.model, ctx);
        if locked.is_empty() {
            return Ok(None);
        }
        let refused = permissions::refuse_writes(self.model, &locked, body, Some(current), "");
        if !refused.is_empty() {
            return Err(permissions::forbidden_fields(refused));
        }
        let (Mode::Replace, Some(obj)) = (mode, body.as_object()) else {
            return Ok(None);
        };
        let mut obj = obj.clone();
        for &i in &locked {
            obj.insert(self.model.fields[i].api_name.into(), current[i].to_json());
        }
        Ok(Some(serde_json::Value::Object(obj)))
    }

    /// `If-Match` against the locked row as this caller sees it: 412 when
    /// its ETag differs.
    fn check_if_match(
        &self,
        ctx: &Context,
        current: &Record,
        if_match: Option<&str>,
    ) -> ApiResult<()> {
        let view = || Representation::view(self.model, current, self.hidden_fields(ctx));
        match if_match {
            Some(h) if !etag_matches(h, &view().etag, false) => {
                Err(ApiError::new(
                    Kind::PreconditionFailed,
                    "the record changed since you read it (If-Match does not match its ETag); fetch it again and retry",
                ))
            }
            _ => Ok(()),
        }
    }
}

/// Puts the rows a multi-row insert returned in the order of the records
/// sent: by id where the records carry it (client or UUID ids), else by the
/// generated id, which the database assigns in the order of the values.
fn in_input_order<'a>(
    model: &'static crate::model::ResourceModel,
    sent: impl Iterator<Item = &'a Record>,
    rows: &mut [Record],
) -> ApiResult<()> {
    let i = model.id_index();
    let ids: Vec<&Value> = sent.map(|r| &r[i]).collect();
    if ids.iter().all(|v| v.is_null()) {
        rows.sort_by_key(|r| match r[i] {
            Value::Int(n) => n,
            _ => i64::MAX,
        });
        return Ok(());
    }
    let mut ordered = Vec::with_capacity(rows.len());
    for id in ids {
        let row = rows
            .iter()
            .find(|r| &r[i] == id)
            .ok_or_else(|| ApiError::internal("a multi-row insert lost a row"))?;
        ordered.push(row.clone());
    }
    rows.clone_from_slice(&ordered);
    Ok(())
}

/// The answer of a queued write whose batch went away without one.
fn abandoned() -> ApiError {
    ApiError::internal("the batch of this write was abandoned")
}
