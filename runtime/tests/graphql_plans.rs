//! Queries of the by-id shape answered by their plan, without the
//! executor: the same bytes as the executor's answer (which a fragment
//! forces) for every field kind, aliases, `_etag`, `__typename`, field
//! read rules and read scopes; and everything a plan cannot answer (a
//! refusal, a bad id or variable, another operation) left to the
//! executor, so errors keep their shape. Both databases.

mod support;

use axum::body::Body;
use chrono::{DateTime, Utc};
use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config};
use serde_json::{json, Value};
use support::Ctx;

#[api_enum]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mood {
    Calm,
    InAHurry,
}

/// Seen by its owner (or an admin); `secret` by admins alone.
#[api_resource(
    path = "notes",
    access(read = "owner | role:admin", write = "authenticated")
)]
#[derive(Debug, Clone)]
pub struct Note {
    #[api(id)]
    pub id: i64,
    #[api(owner)]
    pub owner: String,
    pub title: String,
    pub mood: Mood,
    pub done: bool,
    pub weight: Option<f64>,
    #[api(access(read = "role:admin", write = "role:admin"))]
    pub secret: Option<i32>,
    pub due: Option<DateTime<Utc>>,
    #[api(created_at)]
    pub created_at: DateTime<Utc>,
}

async fn post(ctx: &Ctx, user: Option<&str>, uri: &str, body: Value) -> support::Resp {
    let mut b = axum::http::Request::post(uri).header("content-type", "application/json");
    if let Some(u) = user {
        b = b.header("x-user", u);
    }
    ctx.send(b.body(Body::from(body.to_string())).unwrap())
        .await
}

/// The raw answer to a GraphQL request.
async fn ask(ctx: &Ctx, user: Option<&str>, body: Value) -> String {
    let r = post(ctx, user, "/graphql", body).await;
    assert_eq!(r.status, 200, "{}", r.json);
    String::from_utf8(r.raw).unwrap()
}

/// The selection `fields` of `note(id: …)` asked for directly (planned)
/// and through a fragment (executed): the same answer, which is returned.
async fn same(
    ctx: &Ctx,
    user: Option<&str>,
    head: &str,
    arg: &str,
    fields: &str,
    vars: Value,
) -> String {
    let planned = format!("{head} {{ n: note(id: {arg}) {{ {fields} }} }}");
    let executed =
        format!("{head} {{ n: note(id: {arg}) {{ ...F }} }} fragment F on Note {{ {fields} }}");
    let a = ask(ctx, user, json!({ "query": planned, "variables": vars })).await;
    let b = ask(ctx, user, json!({ "query": executed, "variables": vars })).await;
    assert_eq!(a, b, "{planned} with {vars} as {user:?}");
    a
}

/// `graphql_planned_operations_total{outcome}` now.
async fn planned(ctx: &Ctx, outcome: &str) -> u64 {
    let text = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
    let line = format!("graphql_planned_operations_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .map_or(0, |v| v.trim().parse().unwrap())
}

const ALL: &str = "id owner title mood done weight secret due created_at _etag __typename";

async fn answers_like_the_executor(backend: Backend) {
    let app = App::new(Config::default())
        .resource::<Note>()
        .authenticate(support::x_user);
    let ctx = Ctx::from_app(backend, app).await;
    let mine = post(&ctx, Some("ana"), "/v1/notes", json!({"title": "a \"quoted\"\ttab", "mood": "in_a_hurry", "done": false, "weight": 0.1, "due": "2026-12-24T18:00:00Z"})).await;
    assert_eq!(mine.status, 201, "{}", mine.json);
    let mine = mine.json["id"].as_i64().unwrap();
    let theirs = post(
        &ctx,
        Some("ben"),
        "/v1/notes",
        json!({"title": "b", "mood": "calm", "done": true}),
    )
    .await;
    let theirs = theirs.json["id"].as_i64().unwrap();
    let set = post(
        &ctx,
        Some("root;admin"),
        "/v1/notes",
        json!({"title": "c", "mood": "calm", "done": true, "secret": 7}),
    )
    .await;
    assert_eq!(set.status, 201, "{}", set.json);
    let secret = set.json["id"].as_i64().unwrap();

    let answered = planned(&ctx, "answered").await;
    let executor = planned(&ctx, "executor").await;

    // Every field kind, aliases, `_etag` and `__typename`; the secret is
    // null for its owner and shown to an admin.
    let own = same(&ctx, Some("ana"), "", &mine.to_string(), ALL, json!({})).await;
    let v: Value = serde_json::from_str(&own).unwrap();
    assert_eq!(v["data"]["n"]["mood"], "IN_A_HURRY", "{v}");
    assert_eq!(v["data"]["n"]["secret"], Value::Null, "{v}");
    let admin = same(
        &ctx,
        Some("root;admin"),
        "",
        &secret.to_string(),
        "k: secret title t: __typename",
        json!({}),
    )
    .await;
    assert_eq!(admin, r#"{"data":{"n":{"k":7,"title":"c","t":"Note"}}}"#);
    // Another owner's row is not there for her; unknown ids are null.
    let scoped = same(&ctx, Some("ana"), "", &theirs.to_string(), "id", json!({})).await;
    assert_eq!(scoped, r#"{"data":{"n":null}}"#);
    same(&ctx, Some("ana"), "", "\"999999\"", "id", json!({})).await;
    // The id as a variable, string or number.
    let q = "query Q($id: ID!)";
    same(
        &ctx,
        Some("ana"),
        q,
        "$id",
        "title",
        json!({ "id": mine.to_string() }),
    )
    .await;
    same(&ctx, Some("ana"), q, "$id", "title", json!({ "id": mine })).await;
    assert_eq!(
        planned(&ctx, "answered").await - answered,
        6,
        "each planned query answered by its plan"
    );

    // Left to the executor: no caller, a malformed id, a missing or
    // ill-typed variable. The errors are the executor's own.
    for (user, head, arg, vars) in [
        (None, "", mine.to_string(), json!({})),
        (Some("ana"), "", "\"abc\"".to_string(), json!({})),
        (Some("ana"), q, "$id".to_string(), json!({})),
        (Some("ana"), q, "$id".to_string(), json!({ "id": true })),
    ] {
        let out = same(&ctx, user, head, &arg, "id title", vars).await;
        assert!(out.contains("\"errors\""), "{out}");
    }
    assert_eq!(planned(&ctx, "executor").await - executor, 4);

    // Shapes without a plan: the executor answers, as before.
    for (query, refused) in [
        // async-graphql lets a `String!` variable stand for an `ID!`.
        ("query Q($id: String!) { note(id: $id) { id } }", false),
        ("{ note(id: 1) { id id: title } }", true),
        ("{ note(id: 1) { nope } }", true),
        ("{ note(id: 1) @include(if: true) { id } }", false),
    ] {
        let out = ask(
            &ctx,
            Some("ana"),
            json!({ "query": query, "variables": {"id": "1"} }),
        )
        .await;
        assert_eq!(out.contains("\"errors\""), refused, "{query}: {out}");
    }
    let other = ask(&ctx, Some("ana"), json!({ "query": format!("query A {{ note(id: {mine}) {{ id }} }}"), "operationName": "B" })).await;
    assert!(other.contains("\"errors\""), "{other}");
    assert_eq!(
        planned(&ctx, "answered").await - answered,
        6,
        "none of them by a plan"
    );
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plans_answer_like_the_executor() {
    // One test in this binary: the plan counters are process-wide.
    answers_like_the_executor(Backend::Sqlite).await;
    answers_like_the_executor(Backend::Postgres).await;
}
