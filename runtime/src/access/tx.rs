//! Typed writes inside one transaction: all commit together or none do,
//! and the caches they touch are invalidated only after the commit.

use super::{id_value, json_of, service_of, typed};
use crate::context::Context;
use crate::error::{ApiError, ApiResult};
use crate::input::Mode;
use crate::registry::Registry;
use crate::resource::{FieldValue, Resource};
use crate::service::{ResourceService, WriteTx};
use std::marker::PhantomData;
use std::sync::Arc;

enum Write<'t> {
    Owned(WriteTx),
    /// The transaction of the write an `after_write` hook runs in.
    Borrowed(&'t mut WriteTx),
}

/// A transaction from [`Api::begin`](super::Api::begin), or the one an
/// `after_write` hook is handed. Dropped without [`Tx::commit`], it rolls
/// back.
pub struct Tx<'t> {
    write: Write<'t>,
    registry: Arc<Registry>,
    ctx: Context,
}

impl Tx<'static> {
    pub(crate) fn owned(write: WriteTx, registry: Arc<Registry>, ctx: Context) -> Self {
        Tx {
            write: Write::Owned(write),
            registry,
            ctx,
        }
    }
}

impl<'t> Tx<'t> {
    pub(crate) fn borrowed(write: &'t mut WriteTx, registry: Arc<Registry>, ctx: Context) -> Self {
        Tx {
            write: Write::Borrowed(write),
            registry,
            ctx,
        }
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// From now on the transaction acts for `principal` (its access rules
    /// apply and it owns what it creates), e.g. to seed rows of several
    /// owners in one transaction.
    pub fn acting_as(&mut self, principal: crate::identity::Principal) -> &mut Self {
        self.ctx = self.ctx.clone().with_principal(principal);
        self
    }

    /// One resource, written (and read) inside this transaction.
    pub fn of<R: Resource>(&mut self) -> TxResource<'_, R> {
        let tx = match &mut self.write {
            Write::Owned(w) => w,
            Write::Borrowed(w) => &mut **w,
        };
        TxResource {
            svc: service_of::<R>(&self.registry),
            tx,
            ctx: &self.ctx,
            _r: PhantomData,
        }
    }

    /// Commits every write, then invalidates what they touched.
    pub async fn commit(self) -> ApiResult<()> {
        match self.write {
            Write::Owned(w) => w.commit().await,
            Write::Borrowed(_) => Err(ApiError::internal(
                "a hook cannot commit the transaction of the write it runs in",
            )),
        }
    }
}

/// One resource inside a [`Tx`].
pub struct TxResource<'a, R> {
    svc: Result<&'a Arc<ResourceService>, ApiError>,
    tx: &'a mut WriteTx,
    ctx: &'a Context,
    _r: PhantomData<fn() -> R>,
}

impl<R: Resource> TxResource<'_, R> {
    fn svc(&self) -> ApiResult<Arc<ResourceService>> {
        self.svc.clone().cloned()
    }

    /// Reads inside the transaction: its own writes are visible.
    pub async fn get(&mut self, id: impl FieldValue) -> ApiResult<Option<R>> {
        let id = id_value::<R>(id)?;
        match self.svc()?.get_in(self.ctx, self.tx, &id).await? {
            Some(row) => typed(row).map(Some),
            None => Ok(None),
        }
    }

    pub async fn create(&mut self, input: R::Create) -> ApiResult<R> {
        let body = json_of(&input)?;
        let mut rows = self
            .svc()?
            .create_in(self.ctx, self.tx, std::slice::from_ref(&body), false)
            .await?;
        typed(
            rows.pop()
                .ok_or_else(|| ApiError::internal("create returned no row"))?,
        )
    }

    pub async fn create_many(&mut self, inputs: Vec<R::Create>) -> ApiResult<Vec<R>> {
        let bodies = inputs.iter().map(json_of).collect::<ApiResult<Vec<_>>>()?;
        let rows = self
            .svc()?
            .create_in(self.ctx, self.tx, &bodies, true)
            .await?;
        rows.into_iter().map(typed).collect()
    }

    pub async fn update(&mut self, id: impl FieldValue, patch: R::Patch) -> ApiResult<R> {
        let id = id_value::<R>(id)?;
        let body = json_of(&patch)?;
        let svc = self.svc()?;
        typed(
            svc.update_in(self.ctx, self.tx, &id, &body, Mode::Patch, None)
                .await?,
        )
    }

    pub async fn replace(&mut self, id: impl FieldValue, input: R::Create) -> ApiResult<R> {
        let id = id_value::<R>(id)?;
        let body = json_of(&input)?;
        let svc = self.svc()?;
        typed(
            svc.update_in(self.ctx, self.tx, &id, &body, Mode::Replace, None)
                .await?,
        )
    }

    pub async fn delete(&mut self, id: impl FieldValue) -> ApiResult<R> {
        let id = id_value::<R>(id)?;
        typed(self.svc()?.delete_in(self.ctx, self.tx, &id, None).await?)
    }
}
