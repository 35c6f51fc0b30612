//! `Idempotency-Key` on POST and PATCH: replays, mismatches, concurrent
//! duplicates, failures and abandoned requests, on both databases.

mod support;

use axum::body::Body;
use axum::http::Request;
use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config};
use serde_json::{json, Value};
use std::sync::Arc;
use support::{Ctx, Project, ProjectCreate, Resp};
use tokio::sync::Notify;
use tower::ServiceExt;

/// Holds a create of a project named "slow…" until released.
#[derive(Clone, Default)]
struct Gate {
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

impl Hooks<Project> for Gate {
    async fn before_create(&self, _: &HookContext, input: &mut ProjectCreate) -> ApiResult<()> {
        if input.name.starts_with("slow") {
            self.entered.notify_one();
            self.release.notified().await;
        }
        Ok(())
    }
}

async fn ctx(backend: Backend, gate: &Gate) -> Ctx {
    let app = App::new(Config::default())
        .resource::<Project>()
        .resource::<support::Task>()
        .hooks(gate.clone());
    Ctx::from_app(backend, app).await
}

fn keyed(method: &str, uri: &str, key: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("idempotency-key", format!("\"{key}\""))
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn count(ctx: &Ctx, name: &str) -> usize {
    let r = ctx.get(&format!("/v1/projects?name={name}")).await;
    r.json["items"].as_array().unwrap().len()
}

async fn replays_and_refusals(ctx: &Ctx) {
    let body = json!({"name": "Once"});
    let first = ctx.send(keyed("POST", "/v1/projects", "k-1", &body)).await;
    assert_eq!(first.status, 201, "{}", first.json);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = ctx.send(keyed("POST", "/v1/projects", "k-1", &body)).await;
    assert_eq!(again.status, 201, "{}", again.json);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        again.json, first.json,
        "the first outcome, not a second row"
    );
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert_eq!(count(ctx, "Once").await, 1);

    // The same key for another request is the client's mistake.
    let other = ctx
        .send(keyed(
            "POST",
            "/v1/projects",
            "k-1",
            &json!({"name": "Twice"}),
        ))
        .await;
    other.assert_problem(422, "validation");
    assert_eq!(other.json["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(count(ctx, "Twice").await, 0);

    // Without a key nothing is remembered; a bad key is refused.
    assert_eq!(
        ctx.post("/v1/projects", json!({"name": "Free"}))
            .await
            .status,
        201
    );
    for bad in ["", "\"\"", &"x".repeat(300)] {
        let mut req = keyed("POST", "/v1/projects", "x", &json!({"name": "Bad key"}));
        req.headers_mut()
            .insert("idempotency-key", bad.parse().unwrap());
        ctx.send(req).await.assert_problem(422, "validation");
    }
    assert_eq!(count(ctx, "Bad%20key").await, 0);

    // A failed write keeps nothing: the same key may carry a corrected body.
    let invalid = ctx
        .send(keyed("POST", "/v1/projects", "k-2", &json!({"name": ""})))
        .await;
    invalid.assert_problem(422, "validation");
    let fixed = ctx
        .send(keyed(
            "POST",
            "/v1/projects",
            "k-2",
            &json!({"name": "Fixed"}),
        ))
        .await;
    assert_eq!(fixed.status, 201, "{}", fixed.json);

    // Bulk creates and PATCH replay too.
    let bulk = json!([{"name": "B1"}, {"name": "B2"}]);
    let b1 = ctx.send(keyed("POST", "/v1/projects", "k-3", &bulk)).await;
    let b2 = ctx.send(keyed("POST", "/v1/projects", "k-3", &bulk)).await;
    assert_eq!((b1.status.as_u16(), b2.status.as_u16()), (201, 201));
    assert_eq!(b1.json, b2.json);
    assert_eq!(count(ctx, "B1").await, 1);
    let id = first.json["id"].as_i64().unwrap();
    let patch = json!({"description": "first"});
    let p1 = ctx
        .send(keyed("PATCH", &format!("/v1/projects/{id}"), "k-4", &patch))
        .await;
    assert_eq!(p1.status, 200, "{}", p1.json);
    ctx.json(
        "PATCH",
        &format!("/v1/projects/{id}"),
        json!({"description": "second"}),
    )
    .await;
    let p2 = ctx
        .send(keyed("PATCH", &format!("/v1/projects/{id}"), "k-4", &patch))
        .await;
    assert_eq!(p2.header("idempotent-replayed"), Some("true"));
    assert_eq!(p2.json, p1.json, "replayed, not applied again");
    let now = ctx.get(&format!("/v1/projects/{id}")).await;
    assert_eq!(now.json["description"], "second");
    // The same key on another target is another request.
    ctx.send(keyed("PATCH", "/v1/projects/999999", "k-4", &patch))
        .await
        .assert_problem(422, "validation");
}

/// A duplicate that arrives while the first is running is 409; once the
/// first finishes, the duplicate replays it.
async fn concurrent_duplicates(ctx: &Ctx, gate: &Gate) {
    let body = json!({"name": "slow-1"});
    let router = ctx.router.clone();
    let first = tokio::spawn(router.oneshot(keyed("POST", "/v1/projects", "k-slow", &body)));
    gate.entered.notified().await;
    let dup = ctx
        .send(keyed("POST", "/v1/projects", "k-slow", &body))
        .await;
    dup.assert_problem(409, "conflict");
    assert_eq!(dup.header("retry-after"), Some("1"));
    gate.release.notify_one();
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status(), 201);
    let retry = ctx
        .send(keyed("POST", "/v1/projects", "k-slow", &body))
        .await;
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(count(ctx, "slow-1").await, 1);
}

/// A client that goes away mid-write leaves no row and no held key.
async fn abandoned_requests(ctx: &Ctx, gate: &Gate) {
    let body = json!({"name": "slow-2"});
    let router = ctx.router.clone();
    let req = keyed("POST", "/v1/projects", "k-gone", &body);
    let abandoned = tokio::spawn(router.oneshot(req));
    gate.entered.notified().await;
    abandoned.abort();
    let _ = abandoned.await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let retry: Resp = loop {
        let mut retry = tokio::spawn(ctx.router.clone().oneshot(keyed(
            "POST",
            "/v1/projects",
            "k-gone",
            &body,
        )));
        // The retry reaches the hook only once the key is free again.
        tokio::select! {
            () = gate.entered.notified() => {
                gate.release.notify_one();
                let res = (&mut retry).await.unwrap().unwrap();
                let status = res.status();
                break Resp::from_response(status, res).await;
            }
            res = &mut retry => {
                let res = res.unwrap().unwrap();
                assert_eq!(res.status(), 409, "held only until the release lands");
                assert!(std::time::Instant::now() < deadline, "the key was never released");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    };
    assert_eq!(retry.status, 201, "{}", retry.json);
    assert_eq!(retry.header("idempotent-replayed"), None, "ran again");
    assert_eq!(
        count(ctx, "slow-2").await,
        1,
        "none from the abandoned request"
    );
}

async fn all(backend: Backend) {
    let gate = Gate::default();
    let ctx = ctx(backend, &gate).await;
    replays_and_refusals(&ctx).await;
    concurrent_duplicates(&ctx, &gate).await;
    abandoned_requests(&ctx, &gate).await;
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_on_sqlite() {
    all(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_on_postgres() {
    all(Backend::Postgres).await;
}
