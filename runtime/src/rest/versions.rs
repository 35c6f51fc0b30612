//! What every response of a resource's REST routes says about its API
//! version: each request is counted per version
//! (`api_version_requests_total`), and an older version announces its
//! retirement with `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and a
//! `Link` to the same resource in its successor version.

use crate::model::ResourceModel;
use crate::observe::names;
use crate::observe::striped::PublishedCounter;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;
use futures::future::{BoxFuture, Either};
use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

pub static DEPRECATION: HeaderName = HeaderName::from_static("deprecation");
pub static SUNSET: HeaderName = HeaderName::from_static("sunset");

/// One resource version's counter and, for an older version, its headers.
#[derive(Clone)]
pub struct VersionLayer {
    inner: Arc<Version>,
}

struct Version {
    model: &'static ResourceModel,
    label: &'static str,
    /// Made at the first request: the recorder is installed after build.
    requests: OnceLock<Arc<PublishedCounter>>,
    /// `Deprecation` and `Sunset`, for an older version.
    retirement: Vec<(HeaderName, HeaderValue)>,
}

impl VersionLayer {
    pub fn new(model: &'static ResourceModel) -> VersionLayer {
        let mut retirement = Vec::new();
        if let Some(r) = model.retirement() {
            if let Some(at) = r.deprecated_at {
                // An RFC 9651 Date: `@` and Unix seconds.
                retirement.push((DEPRECATION.clone(), value(format!("@{at}"))));
            }
            if let Some(at) = r.sunset_at {
                retirement.push((SUNSET.clone(), value(http_date(at))));
            }
        }
        VersionLayer {
            inner: Arc::new(Version {
                model,
                // One per served version, made once at start-up.
                label: Box::leak(format!("v{}", model.version).into_boxed_str()),
                requests: OnceLock::new(),
                retirement,
            }),
        }
    }
}

fn value(s: String) -> HeaderValue {
    HeaderValue::from_str(&s).expect("ASCII header value")
}

/// Unix seconds → an IMF-fixdate (`Wed, 30 Jun 2027 00:00:00 GMT`).
pub fn http_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// `/v1/projects/7` → `/v2/projects/7`: the same resource, one version on.
fn successor(path: &str, from: u32, to: u32) -> Option<String> {
    let rest = path.strip_prefix(&format!("/v{from}/"))?;
    Some(format!("/v{to}/{rest}"))
}

impl<S> tower::Layer<S> for VersionLayer {
    type Service = VersionService<S>;
    fn layer(&self, inner: S) -> VersionService<S> {
        VersionService {
            inner,
            version: self.inner.clone(),
        }
    }
}

#[derive(Clone)]
pub struct VersionService<S> {
    inner: S,
    version: Arc<Version>,
}

impl<S> tower::Service<Request> for VersionService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let v = &self.version;
        v.requests
            .get_or_init(|| {
                PublishedCounter::new(
                    names::API_VERSION_REQUESTS,
                    &[("resource", v.model.path), ("version", v.label)],
                )
            })
            .add(1);
        // The newest version (most traffic) adds nothing to the response.
        if !v.model.is_older_version() {
            return Either::Left(self.inner.call(req));
        }
        let link = successor(req.uri().path(), v.model.version, v.model.newest)
            .map(|to| value(format!("<{to}>; rel=\"successor-version\"")));
        let version = v.clone();
        let fut = self.inner.call(req);
        Either::Right(Box::pin(async move {
            let mut res = fut.await?;
            let h = res.headers_mut();
            for (name, value) in &version.retirement {
                h.insert(name.clone(), value.clone());
            }
            if let Some(link) = link {
                h.append(header::LINK, link);
            }
            Ok(res)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_successors() {
        assert_eq!(http_date(1_814_313_600), "Wed, 30 Jun 2027 00:00:00 GMT");
        assert_eq!(
            successor("/v1/projects/7", 1, 2).as_deref(),
            Some("/v2/projects/7")
        );
        assert_eq!(
            successor("/v1/projects", 1, 3).as_deref(),
            Some("/v3/projects")
        );
        assert_eq!(successor("/v2/projects", 1, 3), None);
    }
}
