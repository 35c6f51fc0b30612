//! REST behaviour on SQLite and PostgreSQL: every status code, every filter
//! operator, sorting, pagination, bulk writes and conditional requests.

mod support;

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use support::Resp;

fn ids(r: &Resp) -> Vec<i64> {
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

fn titles(r: &Resp) -> Vec<String> {
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

/// Five tasks with varied fields, in one project; returns (project, ids).
async fn seed(ctx: &support::Ctx) -> (i64, Vec<i64>) {
    let p = ctx.project("Seed").await;
    let mut out = Vec::new();
    for (title, done, prio, status, due, code) in [
        (
            "alpha",
            false,
            Some(1),
            "todo",
            Some("2025-01-01T00:00:00Z"),
            Some("AB-1"),
        ),
        ("Beta", true, Some(3), "done", None, None),
        (
            "gamma 50%",
            false,
            None,
            "in_progress",
            Some("2025-03-01T00:00:00Z"),
            Some("XYZ-22"),
        ),
        (
            "delta_x",
            true,
            Some(5),
            "done",
            Some("2025-02-01T00:00:00Z"),
            None,
        ),
        ("epsilon", false, Some(3), "todo", None, Some("AB-3")),
    ] {
        let t = ctx
            .task(p, title, json!({ "done": done, "priority": prio, "status": status, "due": due, "code": code }))
            .await;
        out.push(t["id"].as_i64().unwrap());
    }
    (p, out)
}

async fn list(ctx: &support::Ctx, query: &str) -> Resp {
    let r = ctx.get(&format!("/v1/tasks?{query}")).await;
    assert_eq!(r.status, 200, "{query}: {}", r.json);
    r
}

both_backends! {
    async fn a_nul_character_gets_the_same_answer_on_both_databases(ctx: &Ctx) {
        let p = ctx.project("Nul").await;
        let before = ctx.statements();
        let r = ctx.post("/v1/tasks", json!({"title": "a\u{0}b", "done": false, "status": "todo", "project_id": p})).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["pointer"], "/title", "{}", r.json);
        assert!(r.json["errors"][0]["message"].as_str().unwrap().contains("NUL"), "{}", r.json);
        assert_eq!(ctx.statements(), before, "refused before the database");
        let t = ctx.task(p, "clean", json!({})).await;
        ctx.json("PATCH", &format!("/v1/tasks/{}", t["id"]), json!({"notes": "x\u{0}"}))
            .await
            .assert_problem(422, "validation");
        ctx.get("/v1/tasks?title=a%00b").await.assert_problem(400, "bad-query");
        let create = "mutation($input: TaskCreateInput!) { createTask(input: $input) { id } }";
        let gql = ctx.post("/graphql", json!({"query": create, "variables": {"input": {"title": "a\u{0}b", "done": false, "status": "TODO", "project_id": p}}})).await;
        assert_eq!(gql.status, 200);
        assert_eq!(gql.json["errors"][0]["extensions"]["code"], "VALIDATION", "{}", gql.json);
        assert!(list(ctx, "").await.json["items"].as_array().unwrap().len() == 1, "only the clean task");
        assert_eq!(ctx.get(&format!("/v1/tasks/{}", t["id"])).await.json["notes"], t["notes"], "nothing changed");
    }

    async fn create_get_and_conditional_get(ctx: &Ctx) {
        let p = ctx.project("Alpha").await;
        let r = ctx.post("/v1/tasks", json!({"title": "Write", "done": false, "status": "in_progress", "project_id": p, "priority": 2})).await;
        assert_eq!(r.status, 201, "{}", r.json);
        let id = r.json["id"].as_i64().unwrap();
        assert_eq!(r.header("location"), Some(format!("/v1/tasks/{id}").as_str()));
        let etag = r.header("etag").unwrap().to_string();
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "strong etag: {etag}");
        assert_eq!(r.json["status"], "in_progress");
        assert_eq!(r.json["created_at"], r.json["updated_at"]);
        assert!(r.json["due"].is_null());

        let g = ctx.get(&format!("/v1/tasks/{id}")).await;
        assert_eq!(g.status, 200);
        assert_eq!(g.header("etag"), Some(etag.as_str()), "same representation, same etag");
        assert_eq!(g.json, r.json);
        assert_eq!(g.header("content-type"), Some("application/json"));

        let nm = ctx.send(Request::get(format!("/v1/tasks/{id}")).header("if-none-match", &etag).body(Body::empty()).unwrap()).await;
        assert_eq!(nm.status, 304);
        assert!(nm.raw.is_empty());
        assert_eq!(nm.header("etag"), Some(etag.as_str()));
        let other = ctx.send(Request::get(format!("/v1/tasks/{id}")).header("if-none-match", "\"nope\"").body(Body::empty()).unwrap()).await;
        assert_eq!(other.status, 200);

        ctx.get("/v1/tasks/999999").await.assert_problem(404, "not-found");
        ctx.get("/v1/tasks/not-a-number").await.assert_problem(404, "not-found");
        ctx.get("/v2/tasks").await.assert_problem(404, "not-found");
    }

    async fn hidden_ids_and_uuid_keys(ctx: &Ctx) {
        let p = ctx.project("P").await;
        let t = ctx.task(p, "t", json!({})).await;
        let r = ctx.post("/v1/comments", json!({"task_id": t["id"], "body": "hi", "score": 1.5})).await;
        assert_eq!(r.status, 201, "{}", r.json);
        let id = r.json["id"].as_str().unwrap();
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
        let g = ctx.get(&format!("/v1/comments/{id}")).await;
        assert_eq!(g.json["score"], 1.5);
        ctx.get("/v1/comments/not-a-uuid").await.assert_problem(404, "not-found");
    }

    async fn every_filter_operator(ctx: &Ctx) {
        let (_, ids_) = seed(ctx).await;
        let (a, b, g, d, e) = (ids_[0], ids_[1], ids_[2], ids_[3], ids_[4]);
        let cases: Vec<(&str, Vec<i64>)> = vec![
            ("done=true", vec![b, d]),
            ("done[eq]=false", vec![a, g, e]),
            ("done[ne]=true", vec![a, g, e]),
            ("priority[ne]=3", vec![a, g, d]), // NULL priority counts as "not 3"
            ("priority[lt]=3", vec![a]),
            ("priority[lte]=3", vec![a, b, e]),
            ("priority[gt]=3", vec![d]),
            ("priority[gte]=3", vec![b, d, e]),
            ("priority[in]=1,5", vec![a, d]),
            ("priority[nin]=1,5", vec![b, e]),
            ("status[in]=todo,in_progress", vec![a, g, e]),
            ("status=done", vec![b, d]),
            ("title[contains]=ET", vec![b]),
            ("title[contains]=50%25", vec![g]), // a literal % is not a wildcard
            ("title[contains]=_", vec![d]),     // nor is _
            ("title[starts_with]=ep", vec![e]),
            ("title[ends_with]=A", vec![a, b]),
            ("priority[is_null]=true", vec![g]),
            ("priority[is_null]=false", vec![a, b, d, e]),
            ("due[gte]=2025-02-01T00:00:00Z", vec![g, d]),
            ("due[lt]=2025-02-01T00:00:00%2B00:00", vec![a]),
            ("code[is_null]=false&done=false", vec![a, g, e]),
            (&format!("id[in]={a},{e}"), vec![a, e]),
            (&format!("id={g}"), vec![g]),
        ].into_iter().map(|(q, v)| (Box::leak(q.to_string().into_boxed_str()) as &str, v)).collect();
        for (q, want) in cases {
            let mut got = ids(&list(ctx, &format!("{q}&limit=50")).await);
            got.sort();
            let mut want = want;
            want.sort();
            assert_eq!(got, want, "filter {q}");
        }
    }

    async fn bad_queries_are_400(ctx: &Ctx) {
        for q in [
            "bogus=1",                 // unknown parameter
            "description=x",           // not a task field
            "title[regex]=x",          // unknown operator
            "title[eq=x",              // malformed
            "done[gt]=true",           // operator does not apply to booleans
            "title[is_null]=true",     // title is not optional
            "priority=high",           // wrong type
            "priority[in]=1,x",
            "due[gt]=yesterday",
            "status=unknown",
            "created_at=2025-01-01T00:00:00Z", // not filterable
            "sort=done",               // not sortable
            "sort=nope",
            "sort=",                   // the document's pattern forbids these too
            "sort=title,",
            "sort=title,,priority",
            "sort=+title",             // `+` decodes to a space
            "limit=0",
            "limit=51",                // over this resource's max_page_size
            "limit=ten",
            "offset=-1",
            "cursor=garbage!!",
            "cursor=abc&offset=1",
        ] {
            let r = ctx.get(&format!("/v1/tasks?{q}")).await;
            r.assert_problem(400, "bad-query");
            assert!(!r.json["errors"].as_array().unwrap().is_empty(), "{q}: per-parameter details");
        }
        // Several problems are reported together.
        let r = ctx.get("/v1/tasks?bogus=1&limit=0&sort=nope").await;
        assert_eq!(r.json["errors"].as_array().unwrap().len(), 3, "{}", r.json);
    }

    async fn an_offset_after_a_cursor_skips_within_the_next_pages(ctx: &Ctx) {
        seed(ctx).await;
        let all = ids(&list(ctx, "sort=id&limit=50").await);
        let first = list(ctx, "sort=id&limit=2").await;
        let cursor = first.json["next_cursor"].as_str().unwrap().to_string();
        let next = list(ctx, &format!("sort=id&limit=2&cursor={cursor}")).await;
        assert_eq!(ids(&next), all[2..4]);
        let skipped = list(ctx, &format!("sort=id&limit=2&cursor={cursor}&offset=1")).await;
        assert_eq!(skipped.status, 200, "{}", skipped.json);
        assert_eq!(ids(&skipped), all[3..5]);
    }

    async fn sorting_on_several_keys(ctx: &Ctx) {
        seed(ctx).await;
        let r = list(ctx, "sort=-priority,title&limit=50").await;
        // NULL priorities sort last in both directions.
        assert_eq!(titles(&r), ["delta_x", "Beta", "epsilon", "alpha", "gamma 50%"]);
        let r = list(ctx, "sort=priority,-title&limit=50").await;
        assert_eq!(titles(&r), ["alpha", "epsilon", "Beta", "delta_x", "gamma 50%"]);
        // A repeated key changes nothing: its first place counts.
        let again = list(ctx, "sort=priority,-title,-priority&limit=50").await;
        assert_eq!(titles(&again), titles(&r));
        let r = list(ctx, "sort=-id&limit=2").await;
        let all = list(ctx, "limit=50").await;
        let mut rev = ids(&all);
        rev.reverse();
        assert_eq!(ids(&r), rev[..2]);
        let r = list(ctx, "sort=due&limit=50").await;
        assert_eq!(titles(&r)[..3], ["alpha", "delta_x", "gamma 50%"]);
    }

    async fn cursor_pagination_walks_every_row_once(ctx: &Ctx) {
        let p = ctx.project("Pages").await;
        let mut items = Vec::new();
        for i in 0..23 {
            items.push(json!({"title": format!("t{i:02}"), "done": i % 2 == 0, "status": "todo", "project_id": p, "priority": (i % 4) + 1}));
        }
        let r = ctx.post("/v1/tasks", Value::Array(items)).await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert_eq!(r.json.as_array().unwrap().len(), 23);

        for sort in ["", "sort=-priority,title", "sort=priority", "sort=-created_at"] {
            let mut seen = Vec::new();
            let mut url = format!("/v1/tasks?{sort}");
            let mut pages = 0;
            loop {
                let r = ctx.get(&url).await;
                assert_eq!(r.status, 200, "{url}: {}", r.json);
                pages += 1;
                let got = ids(&r);
                assert!(got.len() <= 5, "default page size of this resource is 5");
                seen.extend(got);
                match r.json["next_cursor"].as_str() {
                    Some(c) => {
                        let link = r.header("link").expect("Link header on non-final pages");
                        assert!(link.ends_with("rel=\"next\"") && link.contains(c), "{link}");
                        let next = &link[1..link.find('>').unwrap()];
                        url = next.to_string();
                    }
                    None => {
                        assert!(r.header("link").is_none());
                        break;
                    }
                }
            }
            assert_eq!(pages, 5, "{sort}");
            let mut uniq = seen.clone();
            uniq.sort();
            uniq.dedup();
            assert_eq!(uniq.len(), 23, "{sort}: every row exactly once");
            assert_eq!(seen.len(), 23, "{sort}");
        }
        // Filters carry through the cursor; a cursor for another sort is refused.
        let first = list(ctx, "done=true&limit=4").await;
        let c = first.json["next_cursor"].as_str().unwrap().to_string();
        let second = list(ctx, &format!("done=true&limit=4&cursor={c}")).await;
        assert_eq!(ids(&first).len() + ids(&second).len() + ids(&list(ctx, &format!("done=true&limit=50&cursor={}", second.json["next_cursor"].as_str().unwrap())).await).len(), 12);
        ctx.get(&format!("/v1/tasks?sort=title&cursor={c}")).await.assert_problem(400, "bad-query");
        // Exactly one full page: no next cursor.
        let exact = list(ctx, "limit=23").await;
        assert!(exact.json["next_cursor"].is_null());
        assert_eq!(exact.json["limit"], 23);
        // Offset pagination.
        let off = list(ctx, "offset=20&limit=5").await;
        assert_eq!(ids(&off).len(), 3);
        assert!(off.json["next_cursor"].is_null());
        let beyond = list(ctx, "offset=100").await;
        assert!(ids(&beyond).is_empty());
        // The maximum page size is accepted.
        assert_eq!(ids(&list(ctx, "limit=50").await).len(), 23);
    }

    async fn list_etag_and_304(ctx: &Ctx) {
        seed(ctx).await;
        let r = list(ctx, "sort=title").await;
        let etag = r.header("etag").unwrap().to_string();
        let nm = ctx.send(Request::get("/v1/tasks?sort=title").header("if-none-match", &etag).body(Body::empty()).unwrap()).await;
        assert_eq!(nm.status, 304);
    }

    async fn bulk_create_is_all_or_nothing(ctx: &Ctx) {
        let p = ctx.project("Bulk").await;
        let before = ctx.statements();
        // One invalid item: nothing is written, every problem is reported with its index.
        let r = ctx.post("/v1/tasks", json!([
            {"title": "ok", "done": false, "status": "todo", "project_id": p},
            {"title": "", "done": false, "status": "todo", "project_id": p},
            {"title": "ok2", "done": "no", "status": "todo", "project_id": p},
        ])).await;
        r.assert_problem(422, "validation");
        let pointers: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert_eq!(pointers, ["/1/title", "/2/done"]);
        assert_eq!(ctx.statements(), before, "validation fails before touching the database");
        // One item breaks a foreign key: the earlier inserts are rolled back.
        let r = ctx.post("/v1/tasks", json!([
            {"title": "a", "done": false, "status": "todo", "project_id": p},
            {"title": "b", "done": false, "status": "todo", "project_id": 987654},
        ])).await;
        r.assert_problem(409, "conflict");
        assert!(r.json["detail"].as_str().unwrap().starts_with("item 1"), "{}", r.json);
        assert!(ids(&list(ctx, "").await).is_empty(), "rolled back");
        ctx.post("/v1/tasks", json!([])).await.assert_problem(422, "validation");
        ctx.post("/v1/tasks", json!("text")).await.assert_problem(422, "validation");
        ctx.post("/v1/tasks", json!([1])).await.assert_problem(422, "validation");
    }

    async fn write_errors_change_nothing(ctx: &Ctx) {
        let p = ctx.project("Errors").await;
        let t = ctx.task(p, "keep", json!({"priority": 2})).await;
        let id = t["id"].as_i64().unwrap();
        let url = format!("/v1/tasks/{id}");
        // Validation with per-field details.
        let r = ctx.post("/v1/tasks", json!({"title": "x".repeat(201), "done": 1, "status": "nope", "priority": 9, "extra": true, "created_at": "2025-01-01T00:00:00Z", "code": "lower-1"})).await;
        r.assert_problem(422, "validation");
        let mut codes: Vec<(String, String)> = r.json["errors"].as_array().unwrap().iter()
            .map(|e| (e["field"].as_str().unwrap().to_string(), e["code"].as_str().unwrap().to_string())).collect();
        codes.sort();
        assert_eq!(codes, [
            ("code", "pattern"), ("created_at", "read_only"), ("done", "type"), ("extra", "unknown"),
            ("priority", "range"), ("project_id", "required"), ("status", "type"), ("title", "length"),
        ].map(|(a, b)| (a.to_string(), b.to_string())));
        // Media type, syntax, size.
        let r = ctx.send(Request::post("/v1/tasks").body(Body::from("{}")).unwrap()).await;
        r.assert_problem(415, "unsupported-media-type");
        let r = ctx.send(Request::post("/v1/tasks").header("content-type", "text/plain").body(Body::from("{}")).unwrap()).await;
        r.assert_problem(415, "unsupported-media-type");
        let r = ctx.send(Request::post("/v1/tasks").header("content-type", "application/json").body(Body::from("{\"title\":")).unwrap()).await;
        r.assert_problem(400, "malformed-json");
        let r = ctx.send(Request::post("/v1/tasks").header("content-type", "application/json; charset=utf-8").body(Body::empty()).unwrap()).await;
        r.assert_problem(400, "malformed-json");
        // Replace requires every required field; patch keeps others.
        let r = ctx.json("PUT", &url, json!({"title": "only title"})).await;
        r.assert_problem(422, "validation");
        let r = ctx.json("PATCH", &url, json!({"title": null})).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["code"], "null");
        let r = ctx.json("PATCH", &url, json!({"id": id + 1})).await;
        r.assert_problem(422, "validation");
        // Conflicts: unique and foreign keys.
        ctx.post("/v1/projects", json!({"name": "Errors"})).await.assert_problem(409, "conflict");
        ctx.json("PATCH", &url, json!({"project_id": 424242})).await.assert_problem(409, "conflict");
        ctx.send(Request::delete(format!("/v1/projects/{p}")).body(Body::empty()).unwrap()).await.assert_problem(409, "conflict");
        // Nothing above changed the task.
        let g = ctx.get(&url).await;
        assert_eq!(g.json, t);
        // 405 with Allow, as problem+json.
        let r = ctx.send(Request::delete("/v1/tasks").body(Body::empty()).unwrap()).await;
        r.assert_problem(405, "method-not-allowed");
        assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
        let r = ctx.send(Request::post(&url).header("content-type", "application/json").body(Body::from("{}")).unwrap()).await;
        r.assert_problem(405, "method-not-allowed");
        assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, PATCH, DELETE"));
        // Missing rows.
        ctx.json("PATCH", "/v1/tasks/999999", json!({"done": true})).await.assert_problem(404, "not-found");
        ctx.send(Request::delete("/v1/tasks/999999").body(Body::empty()).unwrap()).await.assert_problem(404, "not-found");
    }

    async fn replace_patch_and_delete(ctx: &Ctx) {
        let p = ctx.project("Edit").await;
        let t = ctx.task(p, "edit me", json!({"priority": 4, "code": "AB-1"})).await;
        let url = format!("/v1/tasks/{}", t["id"]);
        // PATCH: merge patch; null clears an optional field; updated_at moves.
        let r = ctx.send(Request::patch(&url).header("content-type", "application/merge-patch+json").body(Body::from(r#"{"done": true, "code": null}"#)).unwrap()).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["done"], true);
        assert!(r.json["code"].is_null());
        assert_eq!(r.json["priority"], 4);
        assert_eq!(r.json["created_at"], t["created_at"]);
        assert!(r.json["updated_at"].as_str().unwrap() >= t["updated_at"].as_str().unwrap());
        // PUT: absent optional fields become null; the id may be echoed.
        let r = ctx.json("PUT", &url, json!({"id": t["id"], "title": "replaced", "done": false, "status": "done", "project_id": p})).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["title"], "replaced");
        assert!(r.json["priority"].is_null());
        assert_eq!(ctx.get(&url).await.json, r.json);
        // DELETE → 204, then 404; comments cascade with their task.
        let c = ctx.post("/v1/comments", json!({"task_id": t["id"], "body": "bye"})).await;
        assert_eq!(c.status, 201);
        let d = ctx.send(Request::delete(&url).body(Body::empty()).unwrap()).await;
        assert_eq!(d.status, 204);
        assert!(d.raw.is_empty());
        ctx.get(&url).await.assert_problem(404, "not-found");
        ctx.get(&format!("/v1/comments/{}", c.json["id"].as_str().unwrap())).await.assert_problem(404, "not-found");
    }

    async fn if_match_guards_writes(ctx: &Ctx) {
        let p = ctx.project("Match").await;
        let t = ctx.task(p, "guarded", json!({})).await;
        let url = format!("/v1/tasks/{}", t["id"]);
        let etag = ctx.get(&url).await.header("etag").unwrap().to_string();
        let patch = |tag: String, title: &'static str| {
            Request::patch(&url).header("content-type", "application/json").header("if-match", tag).body(Body::from(json!({"title": title}).to_string())).unwrap()
        };
        ctx.send(patch("\"stale\"".into(), "x")).await.assert_problem(412, "precondition-failed");
        // Two concurrent writers holding the same ETag: exactly one wins.
        let (a, b) = tokio::join!(ctx.send(patch(etag.clone(), "first")), ctx.send(patch(etag.clone(), "second")));
        let mut statuses = [a.status.as_u16(), b.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 412], "a: {} b: {}", a.json, b.json);
        let winner = if a.status == 200 { &a } else { &b };
        let now = ctx.get(&url).await;
        assert_eq!(now.json["title"], winner.json["title"]);
        assert_eq!(now.header("etag"), winner.header("etag"));
        // `*` matches any current version; delete honours If-Match too.
        let r = ctx.send(Request::delete(&url).header("if-match", "\"old\"").body(Body::empty()).unwrap()).await;
        r.assert_problem(412, "precondition-failed");
        let r = ctx.send(Request::delete(&url).header("if-match", "*").body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, 204);
    }

    async fn oversize_body_is_413(ctx: &Ctx) {
        let big = "x".repeat(2 << 20);
        let r = ctx.send(Request::post("/v1/tasks").header("content-type", "application/json").body(Body::from(format!("{{\"title\":\"{big}\"}}"))).unwrap()).await;
        r.assert_problem(413, "payload-too-large");
    }

    async fn health_endpoints(ctx: &Ctx) {
        let r = ctx.get("/health/live").await;
        assert_eq!(r.status, 200);
        let r = ctx.get("/health/ready").await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["status"], "up");
        assert_eq!(r.json["components"][0]["name"], "database");
        assert_eq!(r.json["components"][0]["status"], "up");
    }
}

#[tokio::test]
async fn request_id_is_generated_or_echoed() {
    let ctx = support::Ctx::new(resourceful::testing::Backend::Sqlite).await;
    let r = ctx
        .send(
            Request::get("/health/live")
                .header("x-request-id", "abc-123")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("abc-123"));
    let r = ctx.get("/health/live").await;
    assert_eq!(r.header("x-request-id").map(str::len), Some(36));
    ctx.cleanup().await;
}

mod client_cache {
    use super::support::Ctx;
    use resourceful::prelude::*;
    use resourceful::testing::Backend;

    /// Clients may keep these for half a minute.
    #[api_resource(path = "notes", client_cache = "30s")]
    #[derive(Debug, Clone)]
    pub struct Note {
        #[api(id)]
        pub id: i64,
        pub body: String,
    }

    /// Reads say how long clients may reuse them: the resource's
    /// `client_cache`, or revalidate every time (`no-cache`, with an ETag
    /// that answers 304).
    #[tokio::test]
    async fn reads_tell_clients_how_long_to_reuse_them() {
        let app = resourceful::App::new(resourceful::Config::default())
            .resource::<Note>()
            .resource::<super::support::Project>();
        let ctx = Ctx::from_app(Backend::Sqlite, app).await;
        let n = ctx
            .post("/v1/notes", serde_json::json!({"body": "a"}))
            .await;
        let id = n.json["id"].as_i64().unwrap();
        for uri in ["/v1/notes".to_string(), format!("/v1/notes/{id}")] {
            let r = ctx.get(&uri).await;
            assert_eq!(r.header("cache-control"), Some("max-age=30"), "{uri}");
            let again = ctx
                .send(
                    axum::http::Request::get(&uri)
                        .header("if-none-match", r.header("etag").unwrap())
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await;
            assert_eq!(again.status, 304);
            assert_eq!(
                again.header("cache-control"),
                Some("max-age=30"),
                "304s say it too"
            );
        }
        let p = ctx.get("/v1/projects").await;
        assert_eq!(p.header("cache-control"), Some("no-cache"));
        ctx.cleanup().await;
    }
}
