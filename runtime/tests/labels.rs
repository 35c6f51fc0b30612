//! Route labels, in a test binary of its own: the metrics registry is
//! process-wide, so "no request was labelled `unmatched`" only holds where
//! no other test sends one.

mod support;

use resourceful::testing::Backend;
use resourceful::Config;
use support::Ctx;

/// The gate names routes before the router runs: every route the app
/// serves must have its own label, and only unknown paths are `unmatched`.
#[tokio::test]
async fn every_served_route_has_its_label() {
    let config = Config {
        admin_token: Some("secret".into()),
        ..Config::default()
    };
    let ctx = Ctx::with(Backend::Sqlite, config).await;
    let p = ctx.project("Labels").await;
    let paths = [
        "/v1/projects".to_string(),
        format!("/v1/projects/{p}"),
        "/openapi.json".into(),
        "/docs".into(),
        "/health/live".into(),
        "/health/ready".into(),
        "/admin/flags".into(),
    ];
    for path in &paths {
        ctx.get(path).await;
    }
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    for route in [
        "/v1/projects",
        "/v1/projects/{id}",
        "/openapi.json",
        "/docs",
        "/health/live",
        "/health/ready",
        "/admin/flags",
    ] {
        let label = format!(r#"http_requests_total{{route="{route}",method="GET""#);
        assert!(text.contains(&label), "no {label} in\n{text}");
    }
    assert!(
        !text.contains(r#"route="unmatched""#),
        "a served route went unlabelled:\n{text}"
    );
    ctx.get("/v1/nothing-here").await;
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    assert!(
        text.contains(r#"http_requests_total{route="unmatched",method="GET",status_class="4xx""#)
    );
    ctx.cleanup().await;
}
