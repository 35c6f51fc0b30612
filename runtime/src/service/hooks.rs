//! The service's side of hooks: the untyped calls it makes around every
//! write and read. Users implement the typed `Hooks` trait of
//! [`crate::access`]; an adapter there turns it into a [`DynHooks`].

use super::tx::WriteTx;
use crate::context::Context;
use crate::error::ApiResult;
use crate::query::Scope;
use crate::value::Record;
use futures::future::BoxFuture;

/// A committed-to-be change, as `after_write` hooks see it.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    Created(&'a Record),
    Updated {
        before: &'a Record,
        after: &'a Record,
    },
    Deleted(&'a Record),
}

/// Hooks of one resource over rows (see `access::Hooks` for the typed
/// form users write). A rejection is the problem the client receives.
pub trait DynHooks: Send + Sync + 'static {
    fn before_create<'a>(
        &'a self,
        ctx: &'a Context,
        record: &'a mut Record,
    ) -> BoxFuture<'a, ApiResult<()>>;

    fn before_update<'a>(
        &'a self,
        ctx: &'a Context,
        current: &'a Record,
        next: &'a mut Record,
    ) -> BoxFuture<'a, ApiResult<()>>;

    fn before_delete<'a>(
        &'a self,
        ctx: &'a Context,
        current: &'a Record,
    ) -> BoxFuture<'a, ApiResult<()>>;

    /// Inside the write's transaction, after its statement.
    fn after_write<'a>(
        &'a self,
        ctx: &'a Context,
        tx: &'a mut WriteTx,
        change: Change<'a>,
    ) -> BoxFuture<'a, ApiResult<()>>;

    /// Called on every read, so it is synchronous: what it needs (subject,
    /// roles, claims) comes with the context.
    fn read_scope(&self, ctx: &Context) -> Scope;
}
