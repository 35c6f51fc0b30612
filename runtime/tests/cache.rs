//! The read-through cache, coalescing and the `api_optimization_enabled`
//! flag; cross-replica invalidation through the Redis at 127.0.0.1:6379.

mod support;

use axum::body::Body;
use axum::http::Request;
use resourceful::testing::{Backend, TestDb};
use resourceful::{App, Config};
use serde_json::json;
use std::time::Duration;
use support::Ctx;

both_backends! {
    async fn repeated_reads_hit_the_cache_and_keep_etags(ctx: &Ctx) {
        let p = ctx.project("Cache").await;
        let t = ctx.task(p, "cached", json!({})).await;
        let url = format!("/v1/tasks/{}", t["id"]);
        let first = ctx.get(&url).await;
        let before = ctx.statements();
        for _ in 0..5 {
            let r = ctx.get(&url).await;
            assert_eq!(r.json, first.json);
            assert_eq!(r.header("etag"), first.header("etag"));
        }
        let nm = ctx.send(Request::get(&url).header("if-none-match", first.header("etag").unwrap()).body(Body::empty()).unwrap()).await;
        assert_eq!(nm.status, 304);
        assert_eq!(ctx.statements(), before, "served from the cache");
        // Lists are cached per query string too.
        let l1 = ctx.get("/v1/tasks?sort=title").await;
        let before = ctx.statements();
        let l2 = ctx.get("/v1/tasks?sort=title").await;
        assert_eq!(l1.json, l2.json);
        assert_eq!(ctx.statements(), before);
    }

    async fn writes_invalidate_items_and_lists(ctx: &Ctx) {
        let p = ctx.project("Inv").await;
        let t = ctx.task(p, "old title", json!({})).await;
        let url = format!("/v1/tasks/{}", t["id"]);
        let list_url = "/v1/tasks?sort=title&limit=50";
        assert_eq!(ctx.get(&url).await.json["title"], "old title");
        assert_eq!(ctx.get(list_url).await.json["items"].as_array().unwrap().len(), 1);
        let old_etag = ctx.get(&url).await.header("etag").unwrap().to_string();

        assert_eq!(ctx.json("PATCH", &url, json!({"title": "new title"})).await.status, 200);
        let r = ctx.get(&url).await;
        assert_eq!(r.json["title"], "new title", "no stale read after a write");
        assert_ne!(r.header("etag").unwrap(), old_etag);
        let nm = ctx.send(Request::get(&url).header("if-none-match", &old_etag).body(Body::empty()).unwrap()).await;
        assert_eq!(nm.status, 200, "an old ETag no longer matches");
        assert_eq!(ctx.get(list_url).await.json["items"][0]["title"], "new title");

        ctx.task(p, "another", json!({})).await;
        assert_eq!(ctx.get(list_url).await.json["items"].as_array().unwrap().len(), 2, "create drops cached lists");

        // Deleting a project cascades to its tasks: their cache entries go too.
        let del = ctx.send(Request::delete(format!("/v1/projects/{p}")).body(Body::empty()).unwrap()).await;
        assert_eq!(del.status, 409, "tasks reference the project (restrict)");
        let c = ctx.post("/v1/comments", json!({"task_id": t["id"], "body": "x"})).await;
        let curl = format!("/v1/comments/{}", c.json["id"].as_str().unwrap());
        assert_eq!(ctx.get(&curl).await.status, 200);
        assert_eq!(ctx.send(Request::delete(&url).body(Body::empty()).unwrap()).await.status, 204);
        ctx.get(&url).await.assert_problem(404, "not-found");
        ctx.get(&curl).await.assert_problem(404, "not-found");
    }

    async fn concurrent_reads_and_writes_never_leave_stale_entries(ctx: &Ctx) {
        let p = ctx.project("Race").await;
        let t = ctx.task(p, "v0", json!({})).await;
        let url = format!("/v1/tasks/{}", t["id"]);
        for i in 1..=15 {
            let title = format!("v{i}");
            let (_, w) = tokio::join!(
                async { for _ in 0..3 { ctx.get(&url).await; } },
                ctx.json("PATCH", &url, json!({ "title": title })),
            );
            assert_eq!(w.status, 200);
            assert_eq!(ctx.get(&url).await.json["title"], title.as_str(), "round {i}");
        }
    }

    async fn concurrent_misses_are_coalesced(ctx: &Ctx) {
        let p = ctx.project("Batch").await;
        let mut items = Vec::new();
        for i in 0..40 {
            items.push(json!({"title": format!("t{i}"), "done": false, "status": "todo", "project_id": p}));
        }
        let created = ctx.post("/v1/tasks", serde_json::Value::Array(items)).await;
        let ids: Vec<i64> = created.json.as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
        let before = ctx.statements();
        let reads: Vec<_> = ids.iter().map(|id| ctx.get(Box::leak(format!("/v1/tasks/{id}").into_boxed_str()))).collect();
        for r in futures::future::join_all(reads).await {
            assert_eq!(r.status, 200);
        }
        let used = ctx.statements() - before;
        assert!(used < 20, "40 cold reads took {used} statements; they should share IN (...) queries");
        // Identical concurrent misses share one query.
        let solo = ctx.task(p, "solo", json!({})).await;
        let url: &'static str = Box::leak(format!("/v1/tasks/{}", solo["id"]).into_boxed_str());
        let before = ctx.statements();
        let same: Vec<_> = (0..20).map(|_| ctx.get(url)).collect();
        for r in futures::future::join_all(same).await {
            assert_eq!(r.json["title"], "solo");
        }
        assert_eq!(ctx.statements() - before, 1, "one query for twenty identical misses");
    }
}

/// POSTs a GraphQL operation; returns its `data` (there must be no errors).
async fn gql(ctx: &Ctx, query: &str) -> serde_json::Value {
    let r = ctx.post("/graphql", json!({ "query": query })).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json.get("errors").is_none(), "{}", r.json);
    r.json["data"].clone()
}

both_backends! {
    async fn graphql_responses_are_reused_until_a_resource_they_read_changes(ctx: &Ctx) {
        let p = ctx.project("Gql").await;
        let t = ctx.task(p, "one", json!({})).await;
        let list = format!("{{ tasks(first: 10, filter: {{project_id: {{eq: \"{p}\"}}}}) {{ items {{ title project {{ name }} }} }} }}");
        let first = gql(ctx, &list).await;
        assert_eq!(first["tasks"]["items"][0]["title"], "one");
        let before = ctx.statements();
        assert_eq!(gql(ctx, &list).await, first);
        assert_eq!(ctx.statements(), before, "the same query again is answered without the database");

        // A write to a resource the response read retires it: here the
        // task itself (REST), then the related project (GraphQL mutation).
        let url = format!("/v1/tasks/{}", t["id"]);
        assert_eq!(ctx.json("PATCH", &url, json!({"title": "two"})).await.status, 200);
        assert_eq!(gql(ctx, &list).await["tasks"]["items"][0]["title"], "two");
        gql(ctx, &format!("mutation {{ updateProject(id: {p}, input: {{name: \"Renamed\"}}) {{ id }} }}")).await;
        assert_eq!(gql(ctx, &list).await["tasks"]["items"][0]["project"]["name"], "Renamed");
        // A new row shows up in a cached list.
        ctx.task(p, "three", json!({})).await;
        assert_eq!(gql(ctx, &list).await["tasks"]["items"].as_array().unwrap().len(), 2);

        // A write to a resource the response did not read keeps it.
        gql(ctx, &list).await;
        ctx.post("/v1/comments", json!({"task_id": t["id"], "body": "unrelated"})).await;
        let before = ctx.statements();
        gql(ctx, &list).await;
        assert_eq!(ctx.statements(), before, "comments were not read by this query");

        // Reverse relations are tracked too.
        let by_project = format!("{{ project(id: {p}) {{ tasks {{ title }} }} }}");
        assert_eq!(gql(ctx, &by_project).await["project"]["tasks"].as_array().unwrap().len(), 2);
        assert_eq!(ctx.send(Request::delete(&url).body(Body::empty()).unwrap()).await.status, 204);
        assert_eq!(gql(ctx, &by_project).await["project"]["tasks"].as_array().unwrap().len(), 1);
    }

    async fn graphql_errors_and_mutations_are_never_replayed(ctx: &Ctx) {
        let p = ctx.project("Gql2").await;
        let bad = json!({"query": "{ tasks(first: 100000) { items { id } } }"});
        for _ in 0..2 {
            let r = ctx.post("/graphql", bad.clone()).await;
            assert!(r.json["errors"].is_array(), "{}", r.json);
        }
        let create = format!("mutation {{ createTask(input: {{title: \"m\", done: false, status: TODO, project_id: {p}}}) {{ id }} }}");
        let a = gql(ctx, &create).await;
        let b = gql(ctx, &create).await;
        assert_ne!(a["createTask"]["id"], b["createTask"]["id"], "each mutation runs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_optimization_flag_switches_caching_at_run_time() {
    let mut config = Config::default();
    config.api_optimization_enabled = false;
    config.admin_token = Some("s3cret".into());
    let ctx = Ctx::with(Backend::Sqlite, config).await;
    let p = ctx.project("Flag").await;
    let t = ctx.task(p, "flagged", json!({})).await;
    let url = format!("/v1/tasks/{}", t["id"]);
    let before = ctx.statements();
    for _ in 0..3 {
        ctx.get(&url).await;
    }
    assert_eq!(
        ctx.statements() - before,
        3,
        "off: every read goes to the database"
    );
    let list = "{ tasks(first: 5) { items { id } } }";
    gql(&ctx, list).await;
    let before = ctx.statements();
    gql(&ctx, list).await;
    assert_eq!(
        ctx.statements() - before,
        1,
        "off: GraphQL responses are not reused"
    );

    let flip = |token: &str, on: bool| {
        Request::put("/admin/flags/api_optimization_enabled")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(json!({ "enabled": on }).to_string()))
            .unwrap()
    };
    ctx.send(flip("wrong", true))
        .await
        .assert_problem(401, "unauthorized");
    let r = ctx.send(flip("s3cret", true)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["api_optimization_enabled"], true);
    ctx.get(&url).await;
    let before = ctx.statements();
    for _ in 0..3 {
        ctx.get(&url).await;
    }
    assert_eq!(ctx.statements(), before, "on: served from the cache");
    let flags = ctx
        .send(
            Request::get("/admin/flags")
                .header("authorization", "Bearer s3cret")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(flags.json["api_optimization_enabled"], true);
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_response_cache_can_be_switched_off_alone() {
    let mut config = Config::default();
    config.graphql_response_cache = false;
    let ctx = Ctx::with(Backend::Sqlite, config).await;
    let p = ctx.project("NoReplay").await;
    ctx.task(p, "t", json!({})).await;
    let list = "{ tasks(first: 5) { items { id } } }";
    gql(&ctx, list).await;
    let before = ctx.statements();
    gql(&ctx, list).await;
    assert_eq!(ctx.statements() - before, 1, "executed again");
    let url = "/v1/tasks?limit=5";
    ctx.get(url).await;
    let before = ctx.statements();
    ctx.get(url).await;
    assert_eq!(ctx.statements(), before, "the REST cache is still on");
    ctx.cleanup().await;
}

#[tokio::test]
async fn admin_routes_do_not_exist_without_a_token() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    ctx.get("/admin/flags")
        .await
        .assert_problem(404, "not-found");
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_redis_drop_entries_written_elsewhere() {
    let test_db = TestDb::postgres().await;
    let mut config = Config::default();
    config.redis_url =
        Some(std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()));
    config.redis_prefix = format!("rtest:{}", uuid::Uuid::new_v4());
    let build = || async {
        App::new(config.clone())
            .resource::<support::Project>()
            .resource::<support::Task>()
            .resource::<support::Comment>()
            .build_with_db(test_db.db.clone())
            .await
            .unwrap()
            .router()
    };
    let (a, b) = (build().await, build().await);
    let send = |r: axum::Router, req: Request<Body>| async move {
        use tower::ServiceExt;
        let res = r.oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default(),
        )
    };
    let post = |uri: &str, body: serde_json::Value| {
        Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    // Wait until both replicas have subscribed (caches are bypassed until then).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, p) = send(a.clone(), post("/v1/projects", json!({"name": "Shared"}))).await;
    let (s, t) = send(
        a.clone(),
        post(
            "/v1/tasks",
            json!({"title": "before", "done": false, "status": "todo", "project_id": p["id"]}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{t}");
    let url = format!("/v1/tasks/{}", t["id"]);
    let get = |r: axum::Router| send(r, Request::get(&url).body(Body::empty()).unwrap());
    // B caches the row.
    assert_eq!(get(b.clone()).await.1["title"], "before");
    let stmts = test_db.db.statement_count();
    assert_eq!(get(b.clone()).await.1["title"], "before");
    assert_eq!(
        test_db.db.statement_count(),
        stmts,
        "B serves from its cache"
    );
    // A writes; B must drop its copy as soon as it hears about it.
    let patch = Request::patch(&url)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"title":"after"}"#))
        .unwrap();
    assert_eq!(send(a.clone(), patch).await.0, 200);
    let mut fresh = false;
    for _ in 0..100 {
        if get(b.clone()).await.1["title"] == "after" {
            fresh = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        fresh,
        "replica B still serves the old row after the invalidation"
    );

    // The same for a whole GraphQL response cached on B.
    let q = json!({"query": format!("{{ tasks(filter: {{id: {{eq: \"{}\"}}}}) {{ items {{ title }} }} }}", t["id"])});
    let title = |r: axum::Router| {
        let q = q.clone();
        async move { send(r, post("/graphql", q)).await.1["data"]["tasks"]["items"][0]["title"].clone() }
    };
    assert_eq!(title(b.clone()).await, "after");
    let stmts = test_db.db.statement_count();
    assert_eq!(title(b.clone()).await, "after");
    assert_eq!(
        test_db.db.statement_count(),
        stmts,
        "B answers the query from its response cache"
    );
    let patch = Request::patch(&url)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"title":"again"}"#))
        .unwrap();
    assert_eq!(send(a.clone(), patch).await.0, 200);
    let mut fresh = false;
    for _ in 0..100 {
        if title(b.clone()).await == "again" {
            fresh = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        fresh,
        "replica B still answers GraphQL with the old row after the invalidation"
    );
    test_db.cleanup().await;
}
