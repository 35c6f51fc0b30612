//! The rest of the security surface: `nosniff` on every response, CORS for
//! browser origins (preflights answered before any access rule), GraphQL
//! introspection that production can switch off, and a development issuer
//! that refuses to run where it must not.

mod support;

use axum::body::Body;
use resourceful::auth::{self, AuthSettings};
use resourceful::testing::Backend;
use resourceful::Config;
use serde_json::json;
use support::Ctx;

#[tokio::test]
async fn every_response_says_nosniff() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    for uri in ["/v1/projects", "/v1/nope", "/openapi.json", "/health/live"] {
        let r = ctx.get(uri).await;
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{uri}");
    }
    ctx.cleanup().await;
}

#[tokio::test]
async fn allowed_browser_origins_get_cors_and_others_do_not() {
    let mut config = Config::default();
    config.cors_allowed_origins = vec!["https://app.example".into()];
    let ctx = Ctx::with(Backend::Sqlite, config).await;
    let preflight = |origin: &'static str| {
        axum::http::Request::options("/v1/projects")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .body(Body::empty())
            .unwrap()
    };
    let r = ctx.send(preflight("https://app.example")).await;
    assert!(r.status.is_success(), "{}", r.status);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");
    let r = ctx.send(preflight("https://evil.example")).await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = ctx
        .send(
            axum::http::Request::get("/v1/projects")
                .header("origin", "https://app.example")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert!(r
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase()
        .contains("etag"));
    ctx.cleanup().await;
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let query = json!({"query": "{ __schema { types { name } } }"});
    let ctx = Ctx::new(Backend::Sqlite).await;
    let on = ctx.post("/graphql", query.clone()).await;
    assert!(on.json["data"]["__schema"].is_object(), "{}", on.json);
    ctx.cleanup().await;
    let mut config = Config::default();
    config.graphql_introspection = false;
    let ctx = Ctx::with(Backend::Sqlite, config).await;
    let off = ctx.post("/graphql", query).await;
    assert!(
        off.json["data"]["__schema"].is_null() || off.json["errors"].is_array(),
        "{}",
        off.json
    );
    assert!(off.json["errors"].is_array(), "{}", off.json);
    let data = ctx
        .post(
            "/graphql",
            json!({"query": "{ projects { items { id } } }"}),
        )
        .await;
    assert!(
        data.json["data"]["projects"].is_object(),
        "data queries still run: {}",
        data.json
    );
    ctx.cleanup().await;
}

#[test]
fn the_development_issuer_refuses_production_and_open_addresses() {
    let dev = AuthSettings {
        dev_issuer: Some(None),
        ..AuthSettings::default()
    };
    let loopback = "127.0.0.1:8080".parse().unwrap();
    let open = "0.0.0.0:8080".parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    assert!(auth::install(&dev, loopback, true)
        .unwrap()
        .dev_routes
        .is_some());
    let e = auth::install(&dev, open, true).err().unwrap();
    assert!(e.contains("loopback"), "{e}");
    let explicit = AuthSettings {
        dev_explicit: true,
        ..dev.clone()
    };
    assert!(auth::install(&explicit, open, true).is_ok());
    let prod = AuthSettings {
        production: true,
        ..dev.clone()
    };
    assert!(auth::install(&prod, loopback, true)
        .err()
        .unwrap()
        .contains("production"));
    let prod_none = AuthSettings {
        production: true,
        ..AuthSettings::default()
    };
    let e = auth::install(&prod_none, loopback, true).err().unwrap();
    assert!(e.contains("AUTH_ISSUER"), "{e}");
    assert!(
        auth::install(&prod_none, loopback, false).is_ok(),
        "nothing protected, nothing to refuse"
    );
}

#[tokio::test]
async fn probes_and_the_admin_token_are_not_taken_for_bearer_tokens() {
    let mut config = Config::default();
    config.admin_token = Some("opaque-admin-token".into());
    config.auth = AuthSettings {
        dev_issuer: Some(None),
        ..AuthSettings::default()
    };
    let ctx = Ctx::with(Backend::Sqlite, config).await;
    let with = |uri: &str, token: &str| {
        axum::http::Request::get(uri)
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap()
    };
    let r = ctx.send(with("/admin/flags", "opaque-admin-token")).await;
    assert_eq!(r.status, 200, "{}", r.json);
    for uri in ["/health/ready", "/health/live", "/openapi.json"] {
        assert_eq!(ctx.send(with(uri, "garbage")).await.status, 200, "{uri}");
    }
    let r = ctx.send(with("/v1/projects", "garbage")).await;
    assert_eq!(r.status, 401, "an API route checks the token: {}", r.json);
    ctx.cleanup().await;
}
