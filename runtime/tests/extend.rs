//! Routes, layers and documents of the application's own, behind the same
//! gate as the generated routes; one trace per request.

mod support;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config};
use serde_json::{json, Value};
use support::{Ctx, Project, Task};

/// Task counts of a project, through typed access in the request's context.
async fn summary(api: Api, Path(id): Path<i64>) -> ApiResult<Json<Value>> {
    let project = api
        .of::<Project>()
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no project {id}")))?;
    let filter = support::TaskFilter {
        project_id: Some(id),
        ..Default::default()
    };
    let tasks = api.of::<Task>().list().filter(filter).await?;
    Ok(Json(
        json!({"name": project.name, "tasks": tasks.items.len()}),
    ))
}

async fn boom() -> ApiResult<&'static str> {
    Err(ApiError::internal("the custom route failed on purpose"))
}

fn fragment() -> resourceful::utoipa::openapi::OpenApi {
    serde_json::from_value(json!({
        "openapi": "3.1.0",
        "info": {"title": "extra", "version": "1"},
        "paths": {"/v1/projects/{id}/summary": {"get": {
            "operationId": "projectSummary",
            "responses": {"200": {"description": "task counts"}}
        }}}
    }))
    .unwrap()
}

/// A handler of a merged router: the gate attached the request's context.
async fn whoami(ctx: resourceful::Context, Path(n): Path<u32>) -> Json<Value> {
    Json(json!({"n": n, "request_id": ctx.request_id()}))
}

fn app(config: Config) -> App {
    let internal = Router::new().route("/ping", get(|| async { "pong" }));
    let merged = Router::new().route("/v1/whoami/{n}", get(whoami));
    App::new(config)
        .resource::<Project>()
        .resource::<Task>()
        .route("/v1/projects/{id}/summary", get(summary))
        .rate_limit("reports", "2/min")
        .route_limited(
            "/v1/report",
            get(|| async { "report" }).post(|| async { "made" }),
            "reports",
        )
        .route("/v1/boom", get(boom))
        .nest("/internal", internal)
        .merge(merged)
        .openapi(fragment())
        .layer(tower_http::cors::CorsLayer::permissive())
        .layer(tower_http::compression::CompressionLayer::new())
}

async fn ctx() -> Ctx {
    Ctx::from_app(Backend::Sqlite, app(Config::default())).await
}

#[tokio::test]
async fn custom_routes_use_typed_access_and_answer_problems() {
    let ctx = ctx().await;
    let p = ctx.project("Apollo").await;
    ctx.task(p, "one", json!({})).await;
    ctx.task(p, "two", json!({})).await;
    let r = ctx.get(&format!("/v1/projects/{p}/summary")).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json, json!({"name": "Apollo", "tasks": 2}));
    assert!(r.header("x-request-id").is_some(), "the gate answered");
    ctx.get("/v1/projects/999/summary")
        .await
        .assert_problem(404, "not-found");
    assert_eq!(
        ctx.get("/internal/ping").await.raw,
        b"pong",
        "a nested route"
    );
    ctx.get("/internal/nothing")
        .await
        .assert_problem(404, "not-found");
    let r = ctx
        .send(
            Request::delete(format!("/v1/projects/{p}/summary"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    r.assert_problem(405, "method-not-allowed");
    assert!(
        r.header("allow").unwrap().contains("GET"),
        "{:?}",
        r.headers
    );
    ctx.cleanup().await;
}

#[tokio::test]
async fn custom_routes_are_measured_by_template_and_limited_by_name() {
    let ctx = ctx().await;
    let p = ctx.project("Metrics").await;
    ctx.get(&format!("/v1/projects/{p}/summary")).await;
    ctx.get("/internal/ping").await;
    // The named policy (2/min) is shared by its route's methods.
    let r = ctx.get("/v1/report").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("ratelimit-policy")
            .unwrap()
            .contains("\"reports\";q=2"),
        "{:?}",
        r.headers
    );
    assert_eq!(ctx.post("/v1/report", json!({})).await.status, 200);
    let r = ctx.get("/v1/report").await;
    r.assert_problem(429, "rate-limited");
    assert!(r.header("retry-after").is_some());
    // Custom routes without a named policy get the default ones.
    assert!(ctx
        .get(&format!("/v1/projects/{p}/summary"))
        .await
        .header("ratelimit-policy")
        .unwrap()
        .contains("custom:read"));
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    for route in [
        "/v1/projects/{id}/summary",
        "/internal/{*rest}",
        "/v1/report",
    ] {
        let line = format!("http_requests_total{{route=\"{route}\",method=\"GET\"");
        assert!(text.contains(&line), "no {line} in\n{text}");
    }
    assert!(
        !text.contains("route=\"/v1/projects/1/summary\""),
        "raw paths never become labels"
    );
    ctx.cleanup().await;
}

#[tokio::test]
async fn merged_routers_are_measured_by_the_template_axum_matched() {
    let ctx = ctx().await;
    let r = ctx.get("/v1/whoami/7").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["n"], 7);
    assert_eq!(
        r.json["request_id"].as_str(),
        r.header("x-request-id"),
        "the handler sees the gate's context"
    );
    assert!(
        r.header("ratelimit-policy")
            .unwrap()
            .contains("custom:read"),
        "{:?}",
        r.headers
    );
    ctx.post("/v1/whoami/7", json!({}))
        .await
        .assert_problem(405, "method-not-allowed");
    ctx.get("/v1/nowhere")
        .await
        .assert_problem(404, "not-found");
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    let line = "http_requests_total{route=\"/v1/whoami/{n}\",method=\"GET\",status_class=\"2xx\"";
    assert!(text.contains(line), "no {line} in\n{text}");
    assert!(
        text.contains("http_request_duration_seconds_bucket{route=\"/v1/whoami/{n}\""),
        "{text}"
    );
    assert!(
        !text.contains("route=\"/v1/whoami/7\""),
        "raw paths never become labels"
    );
    ctx.cleanup().await;
}

#[tokio::test]
async fn custom_paths_join_the_openapi_document() {
    let ctx = ctx().await;
    let doc = ctx.get("/openapi.json").await.json;
    assert_eq!(
        doc["paths"]["/v1/projects/{id}/summary"]["get"]["operationId"],
        "projectSummary"
    );
    assert!(
        doc["paths"]["/v1/projects"].is_object(),
        "generated paths stay"
    );
    ctx.cleanup().await;
}

#[tokio::test]
async fn tower_layers_wrap_generated_and_custom_routes() {
    let ctx = ctx().await;
    let p = ctx.project("Layers, compressed when asked").await;
    for path in [
        "/v1/projects".to_string(),
        format!("/v1/projects/{p}/summary"),
    ] {
        let preflight = Request::options(&path)
            .header("origin", "https://app.example")
            .header("access-control-request-method", "GET")
            .body(Body::empty())
            .unwrap();
        let r = ctx.send(preflight).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.headers);
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{path}");
        assert!(
            r.header("x-request-id").is_some(),
            "{path}: the gate saw the preflight"
        );
        let gz = Request::get(&path)
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap();
        let r = ctx.send(gz).await;
        assert_eq!(r.header("content-encoding"), Some("gzip"), "{path}");
        let mut plain = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&r.raw[..]), &mut plain)
            .unwrap();
        let json: Value = serde_json::from_str(&plain).unwrap();
        assert!(json.is_object(), "{path}: {plain}");
    }
    ctx.cleanup().await;
}
