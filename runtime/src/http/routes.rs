//! What the gate knows of each route: its template (the metrics label),
//! its rate-limit policies and whether its handlers read the request
//! context; and the routes an application adds of its own.

use super::gate::ContextNeed;
use crate::config::Config;
use crate::error::{ApiError, Kind};
use crate::limits::{OnFailure, Policy, Rate, RouteLimits};
use crate::model::ResourceModel;
use crate::registry::Registry;
use axum::extract::{MatchedPath, Request};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// A route of the application's own (see [`crate::App::route`]).
pub struct CustomRoute {
    /// The templates it answers (a nested router has two: its prefix and
    /// everything below it).
    pub templates: Vec<String>,
    pub router: Router,
    /// A policy declared with [`crate::App::rate_limit`], else the defaults.
    pub policy: Option<String>,
    /// Templates whose requests never authenticate (public documents such
    /// as the maintenance schedule): a broken or expired token does not
    /// keep anyone from them.
    pub anonymous: Vec<String>,
}

impl CustomRoute {
    /// A router merged whole: its templates are learnt per request.
    pub fn is_merged(&self) -> bool {
        self.templates.is_empty()
    }
}

/// For a merged router: names the request's span after the template axum
/// matched and leaves the template on the response for the gate's metrics.
pub async fn keep_template(req: Request, next: axum::middleware::Next) -> Response {
    let template = req.extensions().get::<MatchedPath>().cloned();
    if let Some(t) = &template {
        tracing::Span::current().record("route", tracing::field::display(t.as_str()));
    }
    let mut res = next.run(req).await;
    if let Some(t) = template {
        res.extensions_mut().insert(t);
    }
    res
}

/// One route as the gate sees it.
pub struct RouteInfo {
    pub template: String,
    /// The `resource` metrics label (`-` for routes of no resource).
    pub resource: &'static str,
    pub context: ContextNeed,
}

/// Every route the app serves, in the order the observer indexes them.
pub fn route_infos(registry: &Registry, config: &Config, custom: &[CustomRoute]) -> Vec<RouteInfo> {
    let mut out = Vec::new();
    for s in registry.rest_services() {
        let base = s.model.route();
        // A read scope depends on the caller, so scoped reads need it.
        let context = if s.hooks().is_some() {
            ContextNeed::Always
        } else {
            ContextNeed::Writes
        };
        for template in [format!("{base}/{{id}}"), base] {
            out.push(RouteInfo {
                template,
                resource: s.model.path,
                context,
            });
        }
    }
    let fixed = [
        ("/graphql", ContextNeed::Always),
        ("/openapi.json", ContextNeed::Never),
        ("/docs", ContextNeed::Never),
        ("/docs/assets/{name}", ContextNeed::Never),
        ("/health/live", ContextNeed::Never),
        ("/health/ready", ContextNeed::Never),
        ("/metrics", ContextNeed::Never),
    ];
    for (template, context) in fixed {
        out.push(RouteInfo {
            template: template.to_string(),
            resource: "-",
            context,
        });
    }
    if !registry.older.is_empty() {
        out.extend(registry.api_versions().into_iter().map(|v| RouteInfo {
            template: crate::openapi::version_document(v),
            resource: "-",
            context: ContextNeed::Never,
        }));
    }
    if config.admin_token.is_some() {
        out.extend(crate::admin::PATHS.map(|p| RouteInfo {
            template: p.to_string(),
            resource: "-",
            context: ContextNeed::Never,
        }));
    }
    for r in custom {
        out.extend(r.templates.iter().map(|t| RouteInfo {
            template: t.clone(),
            resource: "-",
            context: if r.anonymous.contains(t) {
                ContextNeed::Never
            } else {
                ContextNeed::Always
            },
        }));
    }
    out
}

/// The read and write rates for a resource: its declared limits, else the
/// configured defaults.
pub fn model_rates(model: &ResourceModel, config: &Config) -> (Rate, Rate, OnFailure) {
    let rl = model.rate_limit;
    let on_failure = match rl.fail_closed {
        Some(true) => OnFailure::Closed,
        Some(false) => OnFailure::Open,
        None => config.rate_limit_on_redis_failure,
    };
    (
        rl.read.map(Rate::from).unwrap_or(config.rate_limit_read),
        rl.write.map(Rate::from).unwrap_or(config.rate_limit_write),
        on_failure,
    )
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Read and write policies per route: each resource's declared limits,
/// else the configured defaults; GraphQL's; and for routes of the
/// application's own, a named policy or the defaults as `custom:read` and
/// `custom:write`.
pub fn route_limits(
    registry: &Registry,
    config: &Config,
    custom: &[CustomRoute],
    named: &[(String, Rate)],
) -> Result<Vec<RouteLimits>, String> {
    let mut out = Vec::new();
    for s in registry.rest_services() {
        let m = s.model;
        let (read, write, on_failure) = model_rates(m, config);
        let policy = |suffix: &str, rate: Rate| Policy {
            name: leak(format!("{}:{suffix}", m.path)),
            rate,
            on_failure,
        };
        let base = m.route();
        for route in [format!("{base}/{{id}}"), base] {
            out.push(RouteLimits {
                route,
                read: Some(policy("read", read)),
                write: Some(policy("write", write)),
            });
        }
    }
    let on_failure = config.rate_limit_on_redis_failure;
    let gql = Policy {
        name: "graphql",
        rate: config.rate_limit_graphql,
        on_failure,
    };
    out.push(RouteLimits {
        route: "/graphql".into(),
        read: Some(gql.clone()),
        write: Some(gql),
    });
    let defaults = (
        Policy {
            name: "custom:read",
            rate: config.rate_limit_read,
            on_failure,
        },
        Policy {
            name: "custom:write",
            rate: config.rate_limit_write,
            on_failure,
        },
    );
    if custom.iter().any(CustomRoute::is_merged) {
        // A merged router's routes are not known up front.
        out.push(RouteLimits {
            route: crate::observe::middleware::UNMATCHED_LABEL.into(),
            read: Some(defaults.0.clone()),
            write: Some(defaults.1.clone()),
        });
    }
    for r in custom {
        let (read, write) = match &r.policy {
            None => defaults.clone(),
            Some(name) => {
                let (_, rate) = named.iter().find(|(n, _)| n == name).ok_or_else(|| {
                    format!("route {}: no rate limit named \"{name}\"; declare it with .rate_limit(\"{name}\", \"100/s\")", r.templates[0])
                })?;
                let p = Policy {
                    name: leak(name.clone()),
                    rate: *rate,
                    on_failure,
                };
                (p.clone(), p)
            }
        };
        for t in &r.templates {
            out.push(RouteLimits {
                route: t.clone(),
                read: Some(read.clone()),
                write: Some(write.clone()),
            });
        }
    }
    Ok(out)
}

/// The problem returned for paths no route matches.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(Kind::NotFound, format!("no route for {}", uri.path()))
}

/// axum's own 405 (empty, with `Allow`) as the problem every other route
/// answers.
/// Axum's own refusals of a custom route (a path or query that does not
/// parse, a wrong media type) come as plain text: turned into the problem
/// every other route answers, with axum's message as the detail.
pub async fn problem_for_rejections(res: Response) -> Response {
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    let kind = match res.status() {
        StatusCode::BAD_REQUEST => Kind::BadQuery,
        StatusCode::UNPROCESSABLE_ENTITY => Kind::Validation,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Kind::UnsupportedMediaType,
        StatusCode::PAYLOAD_TOO_LARGE => Kind::PayloadTooLarge,
        StatusCode::METHOD_NOT_ALLOWED => return problem_405(res).await,
        _ => return res,
    };
    if !plain {
        return res;
    }
    let body = axum::body::to_bytes(res.into_body(), 4096)
        .await
        .unwrap_or_default();
    ApiError::new(kind, String::from_utf8_lossy(&body).into_owned()).into_response()
}

pub async fn problem_405(res: Response) -> Response {
    if res.status() != StatusCode::METHOD_NOT_ALLOWED
        || res.headers().contains_key(header::CONTENT_TYPE)
    {
        return res;
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let detail = match allow.as_ref().and_then(|a| a.to_str().ok()) {
        Some(a) => format!("allowed methods: {a}"),
        None => "this method is not allowed here".to_string(),
    };
    let mut e = ApiError::new(Kind::MethodNotAllowed, detail);
    if let Some(a) = allow {
        e = e.with_header(header::ALLOW, a);
    }
    e.into_response()
}
