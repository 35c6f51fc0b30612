//! [`ApiError`] → GraphQL error, carrying what the problem document
//! carries in REST:
//!
//! ```json
//! { "message": "2 fields are invalid", "path": ["createTask"],
//!   "extensions": { "code": "VALIDATION", "status": 422,
//!                   "type": "urn:resourceful:problem:validation",
//!                   "errors": [{ "field": "title", "pointer": "/title",
//!                                "code": "length", "message": "…" }] } }
//! ```
//!
//! `code` is the problem type's last segment in SCREAMING_SNAKE_CASE
//! (`NOT_FOUND`, `PRECONDITION_FAILED`, `BAD_QUERY`, …). In `errors`,
//! pointers of mutation inputs are JSON Pointers into `input`; those of
//! list arguments are argument paths (`filter.title.eq`, `first`).

use crate::error::ApiError;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{Error, ErrorExtensions, PathSegment, QueryPathSegment, ServerResult, Value};
use std::sync::Arc;

pub fn code(e: &ApiError) -> String {
    let uri = e.kind.type_uri();
    uri.rsplit(':')
        .next()
        .unwrap_or(uri)
        .replace('-', "_")
        .to_ascii_uppercase()
}

pub fn to_graphql(e: ApiError) -> Error {
    Error::new(e.detail.clone()).extend_with(|_, ext| {
        ext.set("code", code(&e));
        ext.set("status", e.status().as_u16());
        ext.set("type", e.kind.type_uri());
        if !e.errors.is_empty() {
            let list = serde_json::to_value(&e.errors).unwrap_or_default();
            ext.set("errors", Value::from_json(list).unwrap_or_default());
        }
        // What REST puts in `Retry-After` and the problem's own members.
        let retry = e
            .headers
            .iter()
            .find(|(k, _)| k == axum::http::header::RETRY_AFTER);
        if let Some(secs) = retry.and_then(|(_, v)| v.to_str().ok()?.parse::<u64>().ok()) {
            ext.set("retry_after", secs);
        }
        for (name, value) in &e.extensions {
            ext.set(*name, Value::from_json(value.clone()).unwrap_or_default());
        }
    })
}

/// `?` on an [`ApiError`] would go through `Display` and lose the
/// extensions; resolvers call `.gql()?` instead.
pub trait Gql<T> {
    fn gql(self) -> Result<T, Error>;
}

impl<T> Gql<T> for Result<T, ApiError> {
    fn gql(self) -> Result<T, Error> {
        self.map_err(to_graphql)
    }
}

/// Fills in `path` on resolver errors: the dynamic schema reports where an
/// error happened (`locations`) but not in which field of which item.
pub struct ErrorPath;

impl ExtensionFactory for ErrorPath {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorPath)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorPath {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let node = info.path_node;
        next.run(ctx, info).await.map_err(|mut e| {
            // The innermost field sets it; enclosing fields leave it alone.
            if e.path.is_empty() {
                let mut path: Vec<PathSegment> = std::iter::once(node)
                    .chain(node.parents())
                    .map(|n| match n.segment {
                        QueryPathSegment::Name(name) => PathSegment::Field(name.to_string()),
                        QueryPathSegment::Index(i) => PathSegment::Index(i),
                    })
                    .collect();
                path.reverse();
                e.path = path;
            }
            e
        })
    }
}
