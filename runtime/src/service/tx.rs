//! A write transaction spanning any number of writes to any resources,
//! with the cache invalidations they cause held back until it commits.

use super::ResourceService;
use crate::cache::invalidation::Invalidator;
use crate::error::ApiResult;
use crate::store::{Db, Tx};
use crate::value::Key;
use std::sync::Arc;

/// Past this many keys of one resource, a commit drops its whole cache
/// instead of publishing each key.
const KEYS_PER_RESOURCE: usize = 16;

/// A database transaction plus what its commit must invalidate. Dropped
/// without [`WriteTx::commit`], it rolls back and invalidates nothing.
pub struct WriteTx {
    tx: Tx,
    invalidator: Option<Arc<Invalidator>>,
    /// (resource, key): `None` stands for every row of the resource.
    pending: Vec<(&'static str, Option<Key>)>,
}

impl WriteTx {
    pub async fn begin(db: &Db) -> ApiResult<WriteTx> {
        Ok(WriteTx {
            tx: db.begin().await?,
            invalidator: None,
            pending: Vec::new(),
        })
    }

    /// The database transaction itself.
    pub fn store(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Notes a row written by `svc` (a delete also touches the resources
    /// its cascades reach).
    pub(crate) fn written(&mut self, svc: &ResourceService, key: Option<Key>, deleted: bool) {
        if self.invalidator.is_none() {
            self.invalidator = svc.invalidator().cloned();
        }
        self.pending.push((svc.model.path, key));
        if deleted {
            for dep in svc.dependents() {
                self.pending.push((dep, None));
            }
        }
    }

    /// Opens a savepoint (one at a time): [`WriteTx::release`] keeps what
    /// was written since, [`WriteTx::rollback_to`] with the returned mark
    /// undoes it and the invalidations it noted.
    pub(crate) async fn savepoint(&mut self) -> ApiResult<usize> {
        self.tx.execute("SAVEPOINT group_write", Vec::new()).await?;
        Ok(self.pending.len())
    }

    pub(crate) async fn release(&mut self) -> ApiResult<()> {
        self.tx
            .execute("RELEASE SAVEPOINT group_write", Vec::new())
            .await?;
        Ok(())
    }

    pub(crate) async fn rollback_to(&mut self, mark: usize) -> ApiResult<()> {
        self.tx
            .execute("ROLLBACK TO SAVEPOINT group_write", Vec::new())
            .await?;
        self.tx
            .execute("RELEASE SAVEPOINT group_write", Vec::new())
            .await?;
        self.pending.truncate(mark);
        Ok(())
    }

    /// Commits, then drops cached copies here and on every replica.
    /// Commits when the work done in it succeeded (`out` is `Ok`), rolls
    /// back otherwise; returns `out`.
    pub async fn finish<T>(self, out: ApiResult<T>) -> ApiResult<T> {
        let out = out?;
        self.commit().await?;
        Ok(out)
    }

    pub async fn commit(self) -> ApiResult<()> {
        let db = self.tx.db().clone();
        self.tx.commit().await?;
        db.count_write_commit();
        if let Some(inv) = &self.invalidator {
            for (resource, key) in collapse(self.pending) {
                inv.invalidate(resource, key.as_ref()).await;
            }
        }
        Ok(())
    }
}

/// One invalidation per distinct key, or one for the whole resource when
/// there are many (a bulk write) or one already covers every row.
fn collapse(pending: Vec<(&'static str, Option<Key>)>) -> Vec<(&'static str, Option<Key>)> {
    let mut out: Vec<(&'static str, Option<Key>)> = Vec::new();
    let mut resources: Vec<&'static str> = pending.iter().map(|(r, _)| *r).collect();
    resources.dedup();
    resources.sort();
    resources.dedup();
    for r in resources {
        let mut keys: Vec<&Option<Key>> = pending
            .iter()
            .filter(|(p, _)| *p == r)
            .map(|(_, k)| k)
            .collect();
        keys.sort();
        keys.dedup();
        if keys.len() > KEYS_PER_RESOURCE || keys.iter().any(|k| k.is_none()) {
            out.push((r, None));
        } else {
            out.extend(keys.into_iter().map(|k| (r, k.clone())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidations_are_collapsed_per_resource() {
        let k = |i| Some(Key::Int(i));
        let out = collapse(vec![("a", k(1)), ("a", k(1)), ("b", k(2)), ("a", k(3))]);
        assert_eq!(out, vec![("a", k(1)), ("a", k(3)), ("b", k(2))]);
        let out = collapse(vec![("a", k(1)), ("a", None)]);
        assert_eq!(out, vec![("a", None)]);
        let many = (0..40).map(|i| ("a", k(i))).collect();
        assert_eq!(collapse(many), vec![("a", None)]);
    }
}
