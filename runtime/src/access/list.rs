//! Typed lists: the generated filter type, sort keys and a cursor, turned
//! into the REST query grammar so both have one set of rules and messages.

use super::typed;
use crate::context::Context;
use crate::error::{ApiError, ApiResult};
use crate::query::parse_rest_query;
use crate::resource::Resource;
use crate::service::ResourceService;
use futures::future::BoxFuture;
use std::future::IntoFuture;
use std::marker::PhantomData;
use std::sync::Arc;

/// A page of typed records.
#[derive(Debug, Clone)]
pub struct Page<R> {
    pub items: Vec<R>,
    /// Pass to [`List::cursor`] for the next page.
    pub next_cursor: Option<String>,
}

/// A list request being built; `.await` runs it.
pub struct List<'a, R: Resource> {
    svc: Result<&'a Arc<ResourceService>, ApiError>,
    ctx: &'a Context,
    filter: R::Filter,
    params: Vec<(&'static str, String)>,
    _r: PhantomData<fn() -> R>,
}

impl<'a, R: Resource> List<'a, R> {
    pub(super) fn new(svc: Result<&'a Arc<ResourceService>, ApiError>, ctx: &'a Context) -> Self {
        List {
            svc,
            ctx,
            filter: R::Filter::default(),
            params: Vec::new(),
            _r: PhantomData,
        }
    }

    /// Equality filters (`None` fields do not filter).
    pub fn filter(mut self, filter: R::Filter) -> Self {
        self.filter = filter;
        self
    }

    /// Sort keys in the REST spelling: `"-priority,title"`.
    pub fn sort(self, keys: impl Into<String>) -> Self {
        self.param("sort", keys.into())
    }

    pub fn limit(self, n: u32) -> Self {
        self.param("limit", n.to_string())
    }

    /// The `next_cursor` of the previous page.
    pub fn cursor(self, token: impl Into<String>) -> Self {
        self.param("cursor", token.into())
    }

    pub fn offset(self, n: u64) -> Self {
        self.param("offset", n.to_string())
    }

    fn param(mut self, name: &'static str, value: String) -> Self {
        self.params.push((name, value));
        self
    }

    /// The request as a REST query string.
    fn query_string(&self) -> ApiResult<String> {
        let mut qs = form_urlencoded::Serializer::new(String::new());
        let filter = serde_json::to_value(&self.filter).map_err(ApiError::internal)?;
        for (name, v) in filter.as_object().into_iter().flatten() {
            match v {
                serde_json::Value::Null => {}
                serde_json::Value::String(s) => {
                    qs.append_pair(name, s);
                }
                other => {
                    qs.append_pair(name, &other.to_string());
                }
            }
        }
        for (name, v) in &self.params {
            qs.append_pair(name, v);
        }
        Ok(qs.finish())
    }

    async fn run(self) -> ApiResult<Page<R>> {
        let svc = self.svc.clone()?;
        let q = parse_rest_query(svc.model, Some(&self.query_string()?))?;
        let scope = svc.scope(self.ctx)?;
        svc.refuse_hidden_in_query(&q, svc.hidden_fields(self.ctx))?;
        let page = svc.list(scope.as_ref(), &q).await?;
        Ok(Page {
            items: page
                .records
                .into_iter()
                .map(typed)
                .collect::<ApiResult<_>>()?,
            next_cursor: page.next_cursor,
        })
    }
}

impl<'a, R: Resource> IntoFuture for List<'a, R> {
    type Output = ApiResult<Page<R>>;
    type IntoFuture = BoxFuture<'a, ApiResult<Page<R>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
