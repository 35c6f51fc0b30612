//! Typed access from Rust: a resource used with its own types, through
//! the service REST and GraphQL use (validation, hooks, read scopes, the
//! row cache and batcher for reads by id, invalidation, metrics). Lists run
//! their query each time: the list-page cache holds rendered REST pages.
//!
//! ```ignore
//! let api = server.api();                      // no caller: Context::system()
//! let open = api.of::<Task>().list().filter(TaskFilter { done: Some(false), ..Default::default() }).sort("-priority").await?;
//! let task = api.of::<Task>().create(TaskCreate { title: "Write docs".into(), .. }).await?;
//!
//! let mut tx = api.begin().await?;             // several writes, all or nothing
//! let p = tx.of::<Project>().create(project).await?;
//! tx.of::<Task>().create(TaskCreate { project_id: p.id, .. }).await?;
//! tx.commit().await?;                          // caches are invalidated only now
//! ```
//!
//! Errors are [`ApiError`]s: a [`Kind`](crate::error::Kind) plus the
//! problem details a client would have received.

pub(crate) mod hooks;
mod list;
mod tx;

pub use hooks::{HookContext, Hooks, Written};
pub use list::{List, Page};
pub use tx::{Tx, TxResource};

use crate::context::Context;
use crate::error::{ApiError, ApiResult};
use crate::identity::Principal;
use crate::input::Mode;
use crate::registry::Registry;
use crate::resource::{FieldValue, Resource};
use crate::service::{ResourceService, WriteTx};
use crate::value::{Record, Value};
use std::marker::PhantomData;
use std::sync::Arc;

/// Typed access to the registered resources, acting in one [`Context`].
#[derive(Clone)]
pub struct Api {
    registry: Arc<Registry>,
    ctx: Context,
}

impl Api {
    pub fn new(registry: Arc<Registry>, ctx: Context) -> Self {
        Api { registry, ctx }
    }

    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The same access in another context (e.g. a request's).
    pub fn with_context(&self, ctx: Context) -> Api {
        Api {
            registry: self.registry.clone(),
            ctx,
        }
    }

    /// The same access acting for `principal` (hooks and read scopes see it).
    pub fn acting_as(&self, principal: Principal) -> Api {
        self.with_context(self.ctx.clone().with_principal(principal))
    }

    /// One resource, with its own types.
    pub fn of<R: Resource>(&self) -> ResourceApi<'_, R> {
        ResourceApi {
            svc: service_of::<R>(&self.registry),
            ctx: &self.ctx,
            _r: PhantomData,
        }
    }

    /// Starts a transaction for several writes, all or nothing.
    pub async fn begin(&self) -> ApiResult<Tx<'static>> {
        let write = WriteTx::begin(&self.registry.db).await?;
        Ok(Tx::owned(write, self.registry.clone(), self.ctx.clone()))
    }

    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }
}

/// The service of `R`, or why there is none.
pub(crate) fn service_of<R: Resource>(
    registry: &Registry,
) -> Result<&Arc<ResourceService>, ApiError> {
    let m = R::MODEL;
    registry
        .services
        .iter()
        .find(|s| s.model.path == m.path && s.model.version == m.version)
        .ok_or_else(|| {
            ApiError::internal(format!(
                "{} is not registered; add .resource::<{}>() to the App",
                m.name, m.name
            ))
        })
}

/// The id as the model's id type (an `i32` works for an `i64` id).
fn id_value<R: Resource>(id: impl FieldValue) -> ApiResult<Value> {
    let f = R::MODEL.id_field();
    Value::from_json(&f.ty, &id.to_value().to_json())
        .map_err(|m| ApiError::not_found(format!("no {} with that id ({m})", R::MODEL.name)))
}

fn typed<R: Resource>(record: Record) -> ApiResult<R> {
    R::from_record(record).map_err(ApiError::internal)
}

fn json_of(value: &impl serde::Serialize) -> ApiResult<serde_json::Value> {
    serde_json::to_value(value).map_err(ApiError::internal)
}

/// One resource seen through [`Api::of`].
pub struct ResourceApi<'a, R> {
    svc: Result<&'a Arc<ResourceService>, ApiError>,
    ctx: &'a Context,
    _r: PhantomData<fn() -> R>,
}

impl<'a, R: Resource> ResourceApi<'a, R> {
    fn svc(&self) -> ApiResult<&'a Arc<ResourceService>> {
        self.svc.clone()
    }

    /// The record with this id, if it exists and the caller may see it.
    pub async fn get(&self, id: impl FieldValue) -> ApiResult<Option<R>> {
        let id = id_value::<R>(id)?;
        match self.svc()?.read(self.ctx, &id).await? {
            Some(rep) => typed(rep.record.clone()).map(Some),
            None => Ok(None),
        }
    }

    /// A page of records: `.filter(..)`, `.sort("-priority")`, `.limit(n)`,
    /// `.cursor(..)` or `.offset(..)`, then `.await`.
    pub fn list(&self) -> List<'a, R> {
        List::new(self.svc.clone(), self.ctx)
    }

    pub async fn create(&self, input: R::Create) -> ApiResult<R> {
        let body = json_of(&input)?;
        let mut rows = self
            .svc()?
            .create(self.ctx, std::slice::from_ref(&body), false)
            .await?;
        typed(
            rows.pop()
                .ok_or_else(|| ApiError::internal("create returned no row"))?,
        )
    }

    /// Creates every item in one transaction, or none.
    pub async fn create_many(&self, inputs: Vec<R::Create>) -> ApiResult<Vec<R>> {
        let bodies = inputs.iter().map(json_of).collect::<ApiResult<Vec<_>>>()?;
        let rows = self.svc()?.create(self.ctx, &bodies, true).await?;
        rows.into_iter().map(typed).collect()
    }

    /// A JSON merge patch: `None` fields stay as they are.
    pub async fn update(&self, id: impl FieldValue, patch: R::Patch) -> ApiResult<R> {
        let id = id_value::<R>(id)?;
        let body = json_of(&patch)?;
        typed(
            self.svc()?
                .update(self.ctx, &id, &body, Mode::Patch, None)
                .await?,
        )
    }

    /// Replaces every writable field.
    pub async fn replace(&self, id: impl FieldValue, input: R::Create) -> ApiResult<R> {
        let id = id_value::<R>(id)?;
        let body = json_of(&input)?;
        typed(
            self.svc()?
                .update(self.ctx, &id, &body, Mode::Replace, None)
                .await?,
        )
    }

    /// Deletes the record and returns it as it was.
    pub async fn delete(&self, id: impl FieldValue) -> ApiResult<R> {
        let id = id_value::<R>(id)?;
        typed(self.svc()?.delete(self.ctx, &id, None).await?)
    }
}

/// The registry, attached to requests of the application's own routes.
#[derive(Clone)]
pub(crate) struct ApiRegistry(pub Arc<Registry>);

/// Handlers of routes added with [`App::route`](crate::App::route) take
/// typed access acting in the request's context.
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Api {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let registry = parts.extensions.get::<ApiRegistry>().ok_or_else(|| {
            ApiError::internal(
                "`Api` is only available in routes added with App::route or App::nest",
            )
        })?;
        let ctx = parts
            .extensions
            .get::<Context>()
            .cloned()
            .unwrap_or_default();
        Ok(Api::new(registry.0.clone(), ctx))
    }
}
