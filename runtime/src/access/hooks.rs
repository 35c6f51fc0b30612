//! Hooks declared next to a resource, on its own types: checks and
//! normalisation before a write, side effects inside the write's
//! transaction after it, and a read scope. Installed with
//! [`App::hooks`](crate::App::hooks); they run for REST (single and bulk),
//! GraphQL and typed access alike.
//!
//! ```ignore
//! struct TaskRules;
//! impl Hooks<Task> for TaskRules {
//!     async fn before_update(&self, _: &HookContext, _: &Task, next: &mut Task) -> ApiResult<()> {
//!         next.done = next.status == TaskStatus::Done;
//!         Ok(())
//!     }
//! }
//! ```
//!
//! A hook refuses with an [`ApiError`] (e.g. [`ApiError::field`] for a 422
//! naming the field, [`ApiError::forbidden`], [`ApiError::conflict`], or
//! [`ApiError::refuse`] for a status of its choosing); the write then
//! changes nothing.

use super::{typed, Api, Tx};
use crate::context::Context;
use crate::error::{ApiError, ApiResult};
use crate::identity::Principal;
use crate::query::Scope;
use crate::registry::Registry;
use crate::resource::{CreateInput, Resource};
use crate::service::{Change, DynHooks, WriteTx};
use crate::value::Record;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Weak};

/// What a hook knows of the operation: its context and typed access.
pub struct HookContext {
    api: Api,
}

impl HookContext {
    pub fn context(&self) -> &Context {
        self.api.context()
    }

    pub fn principal(&self) -> Option<&Principal> {
        self.api.context().principal()
    }

    pub fn request_id(&self) -> Option<&str> {
        self.api.context().request_id()
    }

    /// Typed access in the same context. Reads are fine; writes belong in
    /// `after_write`'s transaction (on SQLite a second transaction would
    /// wait for this one).
    pub fn api(&self) -> &Api {
        &self.api
    }
}

/// A write as `after_write` sees it.
#[derive(Debug, Clone)]
pub enum Written<R> {
    Created(R),
    Updated { before: R, after: R },
    Deleted(R),
}

/// Business rules of resource `R`. Every method has a default that does
/// nothing, so implement only what you need.
pub trait Hooks<R: Resource>: Send + Sync + 'static {
    /// Before a create: check or change the input (REST, bulk items,
    /// GraphQL and typed access alike). Declared rules are checked again
    /// afterwards.
    fn before_create(
        &self,
        cx: &HookContext,
        input: &mut R::Create,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        let _ = (cx, input);
        async { Ok(()) }
    }

    /// Before PUT or PATCH: `next` is the record as it would be stored.
    fn before_update(
        &self,
        cx: &HookContext,
        current: &R,
        next: &mut R,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        let _ = (cx, current, next);
        async { Ok(()) }
    }

    fn before_delete(
        &self,
        cx: &HookContext,
        current: &R,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        let _ = (cx, current);
        async { Ok(()) }
    }

    /// After the write's statement, inside its transaction: writes through
    /// `tx` commit with it, and an error rolls everything back.
    fn after_write(
        &self,
        cx: &HookContext,
        tx: &mut Tx<'_>,
        change: &Written<R>,
    ) -> impl Future<Output = ApiResult<()>> + Send {
        let _ = (cx, tx, change);
        async { Ok(()) }
    }

    /// The rows this caller may read, list, update and delete. Called on
    /// every read, so it is synchronous; what it needs comes with the
    /// context (the principal's subject, roles and claims).
    fn read_scope(&self, cx: &Context) -> Scope {
        let _ = cx;
        Scope::all()
    }
}

/// `Hooks<R>` over rows, for the service.
pub(crate) struct Typed<R, H> {
    hooks: H,
    registry: Weak<Registry>,
    _r: PhantomData<fn() -> R>,
}

impl<R: Resource, H: Hooks<R>> Typed<R, H> {
    pub(crate) fn new(hooks: H, registry: &Arc<Registry>) -> Self {
        Typed {
            hooks,
            registry: Arc::downgrade(registry),
            _r: PhantomData,
        }
    }

    fn registry(&self) -> ApiResult<Arc<Registry>> {
        self.registry
            .upgrade()
            .ok_or_else(|| ApiError::internal("the app was dropped"))
    }

    fn cx(&self, ctx: &Context) -> ApiResult<HookContext> {
        Ok(HookContext {
            api: Api::new(self.registry()?, ctx.clone()),
        })
    }
}

impl<R: Resource, H: Hooks<R>> DynHooks for Typed<R, H> {
    fn before_create<'a>(
        &'a self,
        ctx: &'a Context,
        record: &'a mut Record,
    ) -> BoxFuture<'a, ApiResult<()>> {
        async move {
            let cx = self.cx(ctx)?;
            let mut input = R::Create::from_record(record).map_err(ApiError::internal)?;
            self.hooks.before_create(&cx, &mut input).await?;
            input.write_record(record);
            Ok(())
        }
        .boxed()
    }

    fn before_update<'a>(
        &'a self,
        ctx: &'a Context,
        current: &'a Record,
        next: &'a mut Record,
    ) -> BoxFuture<'a, ApiResult<()>> {
        async move {
            let cx = self.cx(ctx)?;
            let current: R = typed(current.clone())?;
            let mut value: R = typed(next.clone())?;
            self.hooks.before_update(&cx, &current, &mut value).await?;
            *next = value.to_record();
            Ok(())
        }
        .boxed()
    }

    fn before_delete<'a>(
        &'a self,
        ctx: &'a Context,
        current: &'a Record,
    ) -> BoxFuture<'a, ApiResult<()>> {
        async move {
            let cx = self.cx(ctx)?;
            let current: R = typed(current.clone())?;
            self.hooks.before_delete(&cx, &current).await
        }
        .boxed()
    }

    fn after_write<'a>(
        &'a self,
        ctx: &'a Context,
        tx: &'a mut WriteTx,
        change: Change<'a>,
    ) -> BoxFuture<'a, ApiResult<()>> {
        async move {
            let cx = self.cx(ctx)?;
            let written = match change {
                Change::Created(r) => Written::Created(typed(r.clone())?),
                Change::Updated { before, after } => Written::Updated {
                    before: typed(before.clone())?,
                    after: typed(after.clone())?,
                },
                Change::Deleted(r) => Written::Deleted(typed(r.clone())?),
            };
            let mut tx = Tx::borrowed(tx, self.registry()?, ctx.clone());
            self.hooks.after_write(&cx, &mut tx, &written).await
        }
        .boxed()
    }

    fn read_scope(&self, ctx: &Context) -> Scope {
        self.hooks.read_scope(ctx)
    }
}
