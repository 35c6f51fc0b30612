//! The analytics page's figures: admins only, read from the replica's own
//! metrics, and what they show after some traffic.

mod support;

use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config};
use serde_json::json;
use support::{user_from_header, Ctx};

#[api_resource(path = "items", rate_limit(read = "5/min"))]
#[derive(Debug, Clone)]
pub struct Item {
    #[api(id)]
    pub id: i64,
    pub name: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_figures_show_traffic_latency_limits_clients_and_queries() {
    let app = App::new(Config::default())
        .resource::<Item>()
        .authenticate(user_from_header);
    let ctx = Ctx::from_app(Backend::Sqlite, app).await;
    // The page is served to anyone; its figures only to admins.
    let page = ctx.get("/admin/analytics").await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    assert_eq!(
        ctx.send_as(None, "GET", "/admin/analytics/data", None)
            .await
            .status,
        401
    );
    assert_eq!(
        ctx.send_as(Some("ana"), "GET", "/admin/analytics/data", None)
            .await
            .status,
        403
    );
    ctx.server.analytics.read_now();
    let created = ctx
        .send_as(Some("ana"), "POST", "/v1/items", Some(json!({"name": "a"})))
        .await;
    assert_eq!(created.status, 201);
    let id = created.json["id"].as_i64().unwrap();
    // Five reads pass the limit of 5/min, the rest are 429; a 404 too.
    for _ in 0..8 {
        ctx.send_as(Some("ana"), "GET", &format!("/v1/items/{id}"), None)
            .await;
    }
    ctx.send_as(Some("ben"), "GET", "/v1/nothing", None).await;
    // The striped counters reach the recorder at most a second later.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    ctx.server.analytics.read_now();
    let d = ctx
        .send_as(Some("root;admin"), "GET", "/admin/analytics/data", None)
        .await;
    assert_eq!(d.status, 200, "{}", d.json);
    assert_eq!(d.header("cache-control"), Some("no-store"));
    let d = d.json;
    // Metrics are per process and other tests' apps share them: at least ours.
    assert!(
        d["totals"]["requests"].as_f64().unwrap() >= 10.0,
        "{}",
        d["totals"]
    );
    assert!(
        d["totals"]["limited"].as_f64().unwrap() >= 3.0,
        "{}",
        d["totals"]
    );
    assert!(d["totals"]["p95_ms"].as_f64().unwrap() > 0.0);
    let last = |k: &str| d["series"][k].as_array().unwrap().last().cloned().unwrap();
    assert!(last("requests_per_second").as_f64().unwrap() > 0.0);
    assert!(last("p99_ms").as_f64().unwrap() > 0.0);
    let route = d["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["route"] == "/v1/items/{id}")
        .expect("the item route");
    assert!(route["requests"].as_f64().unwrap() >= 8.0, "{route}");
    assert_eq!(route["resource"], "items");
    assert!(
        d["routes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["route"] != "/admin/analytics/data"),
        "the page's own polling is not API traffic"
    );
    assert!(
        d["queries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["resource"] == "items"),
        "{}",
        d["queries"]
    );
    // The repeated reads of one item were answered from the cache.
    assert!(
        d["totals"]["cache_hit_ratio"].as_f64().unwrap() > 0.0,
        "{}",
        d["totals"]
    );
    assert_eq!(d["maintenance"], json!([]));
    assert!(d["clients"].is_array());
    ctx.cleanup().await;
}
