//! Creates, updates and deletes: validation, hooks, the statements, and
//! the invalidations a commit releases.

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

    /// Creates one record per item, all or nothing.
    pub async fn create(
        &self,
        ctx: &Context,
        items: &[serde_json::Value],
        bulk: bool,
    ) -> ApiResult<Vec<Record>> {
        let records = self.prepare_create(ctx, items, bulk).await?;
        if let ([rec], None, false) = (records.as_slice(), self.hooks(), self.audited()) {
            // One INSERT … RETURNING is atomic by itself: no BEGIN/COMMIT
            // round trips.
            let start = Instant::now();
            let row = self
                .db
                .fetch(self.model, &self.sql.insert, self.insert_params(rec))
                .await?
                .pop()
                .ok_or_else(|| ApiError::internal("insert returned no row"))?;
            observe(self.model, "create", start, 1);
            if let Some(inv) = self.invalidator() {
                let key = Key::from_value(&row[self.model.id_index()]);
                inv.invalidate(self.model.path, key.as_ref()).await;
            }
            return Ok(vec![row]);
        }
        let mut tx = WriteTx::begin(&self.db).await?;
        let out = self.insert_all(ctx, &mut tx, records, bulk).await;
        tx.finish(out).await
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

    /// PUT or PATCH, honouring `If-Match`.
    pub async fn update(
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
        permissions::check_owner(self.model, Action::Update, ctx, reach, &current)?;
        let kept;
        let body = match self.keep_unwritable(ctx, &current, body, mode)? {
            Some(b) => {
                kept = b;
                &kept
            }
            None => body,
        };
        let rules = self.hooks().is_none();
        let mut rec = input::to_record_with(self.model, body, mode, Some(&current), "", rules)
            .map_err(ApiError::validation)?;
        if let Some(h) = self.hooks() {
            h.before_update(ctx, &current, &mut rec).await?;
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
        self.check_if_match(ctx, &current, if_match)?;
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

    /// Deletes a record, honouring `If-Match`. Returns the deleted row.
    pub async fn delete(
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
        permissions::check_owner(self.model, Action::Delete, ctx, reach, &current)?;
        self.check_if_match(ctx, &current, if_match)?;
        if let Some(h) = self.hooks() {
            h.before_delete(ctx, &current).await?;
        }
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
            .pop()
            .filter(|r| scope.as_ref().is_none_or(|s| s.admits(r)))
            .ok_or_else(|| self.missing(id))?;
        Ok(current)
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
