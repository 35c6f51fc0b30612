mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use resourceful::testing::Backend;
use resourceful::Config;
use serde_json::{json, Value};
use support::Ctx;

/// POSTs an operation and returns the whole GraphQL response.
async fn gql(ctx: &Ctx, query: &str, variables: Value) -> Value {
    let r = ctx
        .post(
            "/graphql",
            json!({ "query": query, "variables": variables }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json
}

/// The `data` of a response that must have no errors.
async fn data(ctx: &Ctx, query: &str, variables: Value) -> Value {
    let r = gql(ctx, query, variables).await;
    assert!(
        r.get("errors").is_none(),
        "unexpected errors: {}",
        r["errors"]
    );
    r["data"].clone()
}

/// The single error of a response that must fail.
async fn error(ctx: &Ctx, query: &str, variables: Value) -> Value {
    let r = gql(ctx, query, variables).await;
    let errors = r["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors, got {r}"));
    assert_eq!(errors.len(), 1, "{r}");
    errors[0].clone()
}

fn titles(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_string())
        .collect()
}

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].to_string().trim_matches('"').to_string())
        .collect()
}

/// Fields in a problem's `errors` extension.
fn problem_fields(err: &Value) -> Vec<(String, String)> {
    err["extensions"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no field errors in {err}"))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const TASK_FIELDS: &str =
    "id title done priority status project_id due code created_at updated_at _etag";

both_backends! {
    async fn persisted_queries_by_hash(ctx: &Ctx) {
        use sha2::Digest;
        let p = ctx.project("Persisted").await;
        let text = format!("{{ project(id: {p}) {{ name }} }}");
        let hash = format!("{:x}", sha2::Sha256::digest(text.as_bytes()));
        let ext = |h: &str| json!({"persistedQuery": {"version": 1, "sha256Hash": h}});
        // Unknown hash: the client is asked for the text.
        let r = ctx.post("/graphql", json!({"extensions": ext(&hash)})).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND", "{}", r.json);
        // The text with its hash runs and is remembered.
        let r = ctx.post("/graphql", json!({"query": text, "extensions": ext(&hash)})).await;
        assert_eq!(r.json["data"]["project"]["name"], "Persisted", "{}", r.json);
        // Then the hash alone is enough, over POST and over GET.
        let r = ctx.post("/graphql", json!({"extensions": ext(&hash)})).await;
        assert_eq!(r.json["data"]["project"]["name"], "Persisted", "{}", r.json);
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("extensions", &ext(&hash).to_string())
            .finish();
        let r = ctx.get(&format!("/graphql?{q}")).await;
        assert_eq!(r.json["data"]["project"]["name"], "Persisted", "{}", r.json);
        // A text that does not match its hash, or a malformed extension, is 400.
        let other = "{ projects { items { id } } }";
        let r = ctx.post("/graphql", json!({"query": other, "extensions": ext(&hash)})).await;
        assert_eq!(r.status, 400, "{}", r.json);
        for bad in [json!({"persistedQuery": {"version": 2, "sha256Hash": hash}}), json!({"persistedQuery": {"version": 1, "sha256Hash": "abc"}}), json!({"persistedQuery": "x"})] {
            let r = ctx.post("/graphql", json!({"extensions": bad})).await;
            assert_eq!(r.status, 400, "{bad}: {}", r.json);
        }
    }

    async fn single_item_and_scalars(ctx: &Ctx) {
        let p = ctx.project("Alpha").await;
        let t = ctx.task(p, "Write docs", json!({"priority": 2, "status": "in_progress", "due": "2025-01-31T13:00:00+01:00", "code": "AB-1"})).await;
        let q = format!("query($id: ID!) {{ task(id: $id) {{ {TASK_FIELDS} }} }}");
        let d = data(ctx, &q, json!({"id": t["id"].to_string()})).await;
        let g = &d["task"];
        assert_eq!(g["id"], t["id"].to_string(), "ids are GraphQL IDs (strings)");
        assert_eq!(g["title"], "Write docs");
        assert_eq!(g["done"], false);
        assert_eq!(g["priority"], 2);
        assert_eq!(g["status"], "IN_PROGRESS");
        assert_eq!(g["project_id"], p.to_string());
        assert_eq!(g["due"], "2025-01-31T12:00:00.000000Z");
        assert_eq!(g["due"], t["due"], "date-times render as in REST");
        assert_eq!(g["created_at"], t["created_at"]);
        assert_eq!(g["code"], "AB-1");
        let rest = ctx.get(&format!("/v1/tasks/{}", t["id"])).await;
        assert_eq!(g["_etag"].as_str(), rest.header("etag"), "_etag is the REST ETag");

        // Null values of every scalar kind, custom ones included, come back as null.
        let bare = ctx.task(p, "No extras", json!({})).await;
        let d = data(ctx, &q, json!({"id": bare["id"].to_string()})).await;
        for f in ["due", "priority", "code"] {
            assert!(d["task"][f].is_null(), "{f}: {}", d["task"]);
        }

        // An integer literal works for an ID too; unknown ids are null.
        let d = data(ctx, &format!("{{ task(id: {}) {{ title }} missing: task(id: 999999) {{ title }} }}", t["id"]), json!({})).await;
        assert_eq!(d["task"]["title"], "Write docs");
        assert!(d["missing"].is_null());
        let e = error(ctx, "{ task(id: \"abc\") { title } }", json!({})).await;
        assert_eq!(e["extensions"]["code"], "NOT_FOUND");
        assert_eq!(e["path"], json!(["task"]));

        // UUID ids and floats.
        let c = ctx.post("/v1/comments", json!({"task_id": t["id"], "body": "Nice", "score": 4.5})).await;
        assert_eq!(c.status, 201, "{}", c.json);
        let d = data(ctx, "query($id: ID!) { comment(id: $id) { id task_id body score } }", json!({"id": c.json["id"]})).await;
        assert_eq!(d["comment"]["id"], c.json["id"]);
        assert_eq!(d["comment"]["task_id"], t["id"].to_string());
        assert_eq!(d["comment"]["score"], 4.5);
        assert!(data(ctx, "{ comment(id: \"00000000-0000-0000-0000-000000000000\") { id } }", json!({})).await["comment"].is_null());
    }

    async fn list_filter_sort_paginate(ctx: &Ctx) {
        let p = ctx.project("Alpha").await;
        let statuses = ["todo", "in_progress", "done"];
        for n in 0..14 {
            let priority = if n == 13 { Value::Null } else { json!(n % 5 + 1) };
            ctx.task(p, &format!("T{n:02}"), json!({"priority": priority, "done": n % 3 == 0, "status": statuses[n % 3]})).await;
        }
        ctx.task(p, "Other", json!({})).await;

        // Walk every page with `after`; the result equals REST's.
        let q = "query($after: String) {
            tasks(filter: {done: {eq: false}, title: {startsWith: \"T\"}}, sort: [PRIORITY_DESC, TITLE_ASC], first: 3, after: $after) {
                items { id title priority } nextCursor hasNextPage } }";
        let (mut after, mut pages, mut seen) = (Value::Null, 0, Vec::new());
        loop {
            let d = data(ctx, q, json!({"after": after})).await;
            let page = &d["tasks"];
            pages += 1;
            seen.extend(titles(&page["items"]));
            assert_eq!(page["hasNextPage"], !page["nextCursor"].is_null());
            if page["hasNextPage"] == false {
                break;
            }
            after = page["nextCursor"].clone();
        }
        let rest = ctx.get("/v1/tasks?done=false&title[starts_with]=T&sort=-priority,title&limit=50").await;
        assert_eq!(rest.status, 200, "{}", rest.json);
        assert_eq!(seen, titles(&rest.json["items"]));
        assert_eq!(seen.len(), 9);
        assert_eq!(pages, 3);
        assert_eq!(seen.last().map(String::as_str), Some("T13"), "null priorities sort last");

        // A REST cursor continues in GraphQL, and the other way round.
        let r1 = ctx.get("/v1/tasks?sort=-priority,title&limit=4").await;
        let cursor = r1.json["next_cursor"].as_str().unwrap().to_string();
        let r2 = ctx.get(&format!("/v1/tasks?sort=-priority,title&limit=4&cursor={cursor}")).await;
        let d = data(ctx, "query($c: String) { tasks(sort: [PRIORITY_DESC, TITLE_ASC], first: 4, after: $c) { items { id title } nextCursor } }", json!({"c": cursor})).await;
        assert_eq!(titles(&d["tasks"]["items"]), titles(&r2.json["items"]));
        assert_eq!(d["tasks"]["nextCursor"], r2.json["next_cursor"]);

        // Defaults: the resource's page size, id order.
        let d = data(ctx, "{ tasks { items { id } hasNextPage } }", json!({})).await;
        let all = ctx.get("/v1/tasks?limit=5").await;
        assert_eq!(ids(&d["tasks"]["items"]), ids(&all.json["items"]));
        assert_eq!(d["tasks"]["hasNextPage"], true);

        // Offset, like REST's.
        let d = data(ctx, "{ tasks(sort: [TITLE_DESC], first: 2, offset: 3) { items { title } } }", json!({})).await;
        let r = ctx.get("/v1/tasks?sort=-title&limit=2&offset=3").await;
        assert_eq!(titles(&d["tasks"]["items"]), titles(&r.json["items"]));

        // Other operators: enums, lists, isNull, text, comparisons.
        let count = |q: &'static str| async move {
            let d = data(ctx, q, json!({})).await;
            d["tasks"]["items"].as_array().unwrap().len()
        };
        let rest_count = |q: &'static str| async move { ctx.get(q).await.json["items"].as_array().unwrap().len() };
        assert_eq!(
            count("{ tasks(first: 50, filter: {status: {in: [IN_PROGRESS, DONE]}}) { items { id } } }").await,
            rest_count("/v1/tasks?limit=50&status[in]=in_progress,done").await
        );
        assert_eq!(
            count("{ tasks(first: 50, filter: {status: {ne: TODO}, priority: {gte: 3, lt: 5}}) { items { id } } }").await,
            rest_count("/v1/tasks?limit=50&status[ne]=todo&priority[gte]=3&priority[lt]=5").await
        );
        assert_eq!(count("{ tasks(first: 50, filter: {priority: {isNull: true}}) { items { id } } }").await, 2);
        assert_eq!(count("{ tasks(first: 50, filter: {title: {contains: \"1\", notIn: [\"T10\"]}}) { items { id } } }").await, 4);
        assert_eq!(count("{ tasks(first: 50, filter: {title: {endsWith: \"3\"}, done: {eq: true}}) { items { id } } }").await, 1);
        let p2 = ctx.project("Beta").await;
        ctx.task(p2, "In beta", json!({})).await;
        let d = data(ctx, "query($p: ID!) { tasks(filter: {project_id: {eq: $p}}) { items { title } } }", json!({"p": p2.to_string()})).await;
        assert_eq!(titles(&d["tasks"]["items"]), vec!["In beta"]);

        // Problems carry REST's codes and point at the argument.
        let e = error(ctx, "{ tasks(first: 51) { items { id } } }", json!({})).await;
        assert_eq!(e["extensions"]["code"], "BAD_QUERY");
        assert_eq!(e["extensions"]["status"], 400);
        assert_eq!(e["extensions"]["errors"][0]["pointer"], "first");
        let e = error(ctx, "{ tasks(after: \"garbage\") { items { id } } }", json!({})).await;
        assert_eq!(e["extensions"]["errors"][0]["code"], "cursor");
        let e = error(ctx, "query($c: String) { tasks(sort: [TITLE_ASC], after: $c) { items { id } } }", json!({"c": cursor})).await;
        assert!(e["message"].as_str().unwrap().contains("sort"), "{e}");
        let e = error(ctx, "{ tasks(sort: [TITLE_ASC, TITLE_DESC]) { items { id } } }", json!({})).await;
        assert_eq!(problem_fields(&e), vec![("title".to_string(), "duplicate".to_string())]);
        let e = error(ctx, "{ tasks(offset: 1, after: \"x\") { items { id } } }", json!({})).await;
        assert_eq!(e["extensions"]["errors"][0]["code"], "conflict");
        let e = error(ctx, "{ tasks(filter: {status: {in: []}}) { items { id } } }", json!({})).await;
        assert_eq!(e["extensions"]["errors"][0]["pointer"], "filter.status.in");
        // Operators that do not apply are not in the schema at all.
        let e = error(ctx, "{ tasks(filter: {done: {lt: true}}) { items { id } } }", json!({})).await;
        assert!(e["message"].as_str().unwrap().contains("lt"), "{e}");
    }

    async fn mutations_create_update_delete(ctx: &Ctx) {
        let p = ctx.project("Alpha").await;
        let create = "mutation($input: TaskCreateInput!) { createTask(input: $input) { id title status priority due _etag project { name } } }";
        let d = data(ctx, create, json!({"input": {"title": "New", "done": false, "status": "IN_PROGRESS", "project_id": p, "priority": 3, "due": "2025-03-01T10:00:00Z"}})).await;
        let t = &d["createTask"];
        assert_eq!(t["title"], "New");
        assert_eq!(t["status"], "IN_PROGRESS");
        assert_eq!(t["project"]["name"], "Alpha");
        let id = t["id"].as_str().unwrap().to_string();
        let rest = ctx.get(&format!("/v1/tasks/{id}")).await;
        assert_eq!(rest.json["status"], "in_progress", "enum values map back to wire strings");
        assert_eq!(rest.json["due"], "2025-03-01T10:00:00.000000Z");
        assert_eq!(t["_etag"].as_str(), rest.header("etag"));

        // Literal input, optional fields omitted.
        let d = data(ctx, &format!("mutation {{ createTask(input: {{title: \"Lit\", done: true, status: DONE, project_id: {p}}}) {{ priority code status }} }}"), json!({})).await;
        assert_eq!(d["createTask"], json!({"priority": null, "code": null, "status": "DONE"}));

        // ifMatch: a stale ETag changes nothing.
        let update = "mutation($id: ID!, $input: TaskPatchInput!, $etag: String) { updateTask(id: $id, input: $input, ifMatch: $etag) { title priority status due _etag } }";
        let e = error(ctx, update, json!({"id": id, "input": {"title": "X"}, "etag": "\"0000000000000000\""})).await;
        assert_eq!(e["extensions"]["code"], "PRECONDITION_FAILED");
        assert_eq!(e["extensions"]["status"], 412);
        assert_eq!(e["path"], json!(["updateTask"]));
        assert_eq!(ctx.get(&format!("/v1/tasks/{id}")).await.json["title"], "New");

        // Patch: absent fields keep their value, explicit null clears.
        let d = data(ctx, update, json!({"id": id, "input": {"title": "Renamed", "priority": null}, "etag": t["_etag"]})).await;
        let u = &d["updateTask"];
        assert_eq!(u["title"], "Renamed");
        assert!(u["priority"].is_null());
        assert_eq!(u["status"], "IN_PROGRESS");
        assert_eq!(u["due"], "2025-03-01T10:00:00.000000Z");
        assert_ne!(u["_etag"], t["_etag"]);
        assert_eq!(u["_etag"].as_str(), ctx.get(&format!("/v1/tasks/{id}")).await.header("etag"));

        // Without ifMatch the update is unconditional.
        let d = data(ctx, update, json!({"id": id, "input": {"status": "DONE", "done": true}})).await;
        assert_eq!(d["updateTask"]["status"], "DONE");
        let e = error(ctx, update, json!({"id": "999999", "input": {"title": "X"}})).await;
        assert_eq!(e["extensions"]["code"], "NOT_FOUND");

        // Delete returns the record as it was; then it is gone.
        let del = "mutation($id: ID!, $etag: String) { deleteTask(id: $id, ifMatch: $etag) { title } }";
        let e = error(ctx, del, json!({"id": id, "etag": "\"0000000000000000\""})).await;
        assert_eq!(e["extensions"]["code"], "PRECONDITION_FAILED");
        let d = data(ctx, del, json!({"id": id})).await;
        assert_eq!(d["deleteTask"]["title"], "Renamed");
        assert!(data(ctx, "query($id: ID!) { task(id: $id) { id } }", json!({"id": id})).await["task"].is_null());
        assert_eq!(ctx.get(&format!("/v1/tasks/{id}")).await.status, 404);
        let e = error(ctx, del, json!({"id": id})).await;
        assert_eq!(e["extensions"]["code"], "NOT_FOUND");
    }

    async fn validation_errors_carry_field_details(ctx: &Ctx) {
        let p = ctx.project("Alpha").await;
        let create = "mutation($input: TaskCreateInput!) { createTask(input: $input) { id } }";
        let r = gql(ctx, create, json!({"input": {"title": "", "done": false, "status": "TODO", "project_id": p, "priority": 9, "code": "bad"}})).await;
        assert!(r["data"].is_null(), "{r}");
        let e = &r["errors"][0];
        assert_eq!(e["extensions"]["code"], "VALIDATION");
        assert_eq!(e["extensions"]["status"], 422);
        assert_eq!(e["extensions"]["type"], "urn:resourceful:problem:validation");
        assert_eq!(e["message"], "3 fields are invalid");
        let mut fields = problem_fields(e);
        fields.sort();
        assert_eq!(fields, vec![
            ("code".to_string(), "pattern".to_string()),
            ("priority".to_string(), "range".to_string()),
            ("title".to_string(), "length".to_string()),
        ]);
        assert_eq!(e["extensions"]["errors"][0]["pointer"], "/title");
        // The same input over REST gives the same problems.
        let rest = ctx.post("/v1/tasks", json!({"title": "", "done": false, "status": "todo", "project_id": p, "priority": 9, "code": "bad"})).await;
        assert_eq!(rest.json["errors"], e["extensions"]["errors"]);
        assert_eq!(ctx.get("/v1/tasks").await.json["items"], json!([]), "nothing was created");

        // A required field set to null in a patch.
        let t = ctx.task(p, "Keep", json!({})).await;
        let e = error(ctx, "mutation($id: ID!) { updateTask(id: $id, input: {title: null}) { id } }", json!({"id": t["id"].to_string()})).await;
        assert_eq!(problem_fields(&e), vec![("title".to_string(), "null".to_string())]);

        // Out-of-range integers for 16/32-bit fields, and bad scalars.
        let e = error(ctx, "mutation($id: ID!) { updateTask(id: $id, input: {due: \"yesterday\"}) { id } }", json!({"id": t["id"].to_string()})).await;
        assert!(e["message"].as_str().unwrap().contains("DateTime"), "{e}");

        // Database constraints: unknown relation target, unique names.
        let e = error(ctx, create, json!({"input": {"title": "X", "done": false, "status": "TODO", "project_id": "999999"}})).await;
        assert_eq!(e["extensions"]["code"], "CONFLICT");
        let e = error(ctx, "mutation { createProject(input: {name: \"Alpha\"}) { id } }", json!({})).await;
        assert_eq!(e["extensions"]["code"], "CONFLICT");
        assert_eq!(e["extensions"]["status"], 409);
    }

    async fn relations_both_directions(ctx: &Ctx) {
        let a = ctx.project("Alpha").await;
        let b = ctx.project("Beta").await;
        ctx.project("Empty").await;
        let t1 = ctx.task(a, "A1", json!({})).await;
        ctx.task(b, "B1", json!({})).await;
        ctx.task(a, "A2", json!({})).await;
        let c = ctx.post("/v1/comments", json!({"task_id": t1["id"], "body": "First"})).await;
        assert_eq!(c.status, 201);

        let d = data(ctx, "{
            tasks(sort: [TITLE_ASC]) { items { title project { name } comments { body task { title } } } }
            projects(sort: [NAME_ASC]) { items { name tasks { title project { name } } } }
            comments { items { body task { title project { name tasks { title } } } } }
        }", json!({})).await;
        assert_eq!(d["tasks"]["items"], json!([
            {"title": "A1", "project": {"name": "Alpha"}, "comments": [{"body": "First", "task": {"title": "A1"}}]},
            {"title": "A2", "project": {"name": "Alpha"}, "comments": []},
            {"title": "B1", "project": {"name": "Beta"}, "comments": []},
        ]));
        assert_eq!(d["projects"]["items"], json!([
            {"name": "Alpha", "tasks": [{"title": "A1", "project": {"name": "Alpha"}}, {"title": "A2", "project": {"name": "Alpha"}}]},
            {"name": "Beta", "tasks": [{"title": "B1", "project": {"name": "Beta"}}]},
            {"name": "Empty", "tasks": []},
        ]));
        assert_eq!(d["comments"]["items"][0]["task"]["project"], json!({"name": "Alpha", "tasks": [{"title": "A1"}, {"title": "A2"}]}));

        // A single item resolves its relations too.
        let d = data(ctx, "query($id: ID!) { project(id: $id) { name tasks { title } } }", json!({"id": b.to_string()})).await;
        assert_eq!(d["project"], json!({"name": "Beta", "tasks": [{"title": "B1"}]}));
    }

    async fn relations_are_batched(ctx: &Ctx) {
        // Exact counts on the uncached path; the cached path is checked last.
        ctx.server.flags.set_optimization(false);
        let projects = [ctx.project("P0").await, ctx.project("P1").await, ctx.project("P2").await];
        for n in 0..10 {
            ctx.task(projects[n % 3], &format!("T{n}"), json!({})).await;
        }
        let count = |q: String| async move {
            let before = ctx.statements();
            let d = data(ctx, &q, json!({})).await;
            (ctx.statements() - before, d)
        };

        // One list statement, then one batched load per relation level.
        let (n, d) = count("{ tasks(first: 10) { items { title project { name } } } }".to_string()).await;
        assert_eq!(d["tasks"]["items"].as_array().unwrap().len(), 10);
        assert!(d["tasks"]["items"].as_array().unwrap().iter().all(|t| t["project"]["name"].is_string()));
        assert_eq!(n, 2, "list + one load of projects");

        let nested = "{ projects { items { name tasks { title project { name } } } } }";
        let (n, d) = count(nested.to_string()).await;
        assert_eq!(d["projects"]["items"][0]["tasks"].as_array().unwrap().len(), 4);
        assert_eq!(n, 3, "list + tasks by project + projects by id");

        let (n, _) = count("{ tasks(first: 10) { items { title project { name } } } projects { items { name tasks { title } } } }".to_string()).await;
        assert_eq!(n, 4, "two lists + one load per relation");

        // Twice the rows, the same number of statements.
        for n in 10..20 {
            ctx.task(projects[n % 3], &format!("T{n}"), json!({})).await;
        }
        let (n, d) = count(nested.to_string()).await;
        assert_eq!(d["projects"]["items"][0]["tasks"].as_array().unwrap().len(), 7);
        assert_eq!(n, 3);
        let (n, d) = count("{ tasks(first: 20) { items { project { name tasks { title comments { body } } } } } }".to_string()).await;
        assert_eq!(d["tasks"]["items"].as_array().unwrap().len(), 20);
        assert_eq!(n, 4, "list + projects + tasks + comments");

        // With the optimisation on, lookups by id go through the cache and
        // batcher: never more statements, and repeated rows cost nothing.
        ctx.server.flags.set_optimization(true);
        let (n, _) = count(nested.to_string()).await;
        assert!(n <= 3, "{n}");
        // Another text, so the whole-response cache does not answer it.
        let (n, d) = count(format!("query Again {nested}")).await;
        assert_eq!(d["projects"]["items"][0]["tasks"].as_array().unwrap().len(), 7);
        assert_eq!(n, 2, "list + tasks by project; projects by id come from the cache");
        let (n, _) = count(nested.to_string()).await;
        assert_eq!(n, 0, "the same text again: the whole response comes from the cache");
    }

    async fn depth_limit_and_introspection(ctx: &Ctx) {
        let p = ctx.project("Alpha").await;
        ctx.task(p, "T", json!({})).await;
        // Depth 10 (the default limit) runs; 11 is refused before any SQL.
        let ok = "{ tasks { items { project { tasks { project { tasks { project { tasks { project { name } } } } } } } } } }";
        let d = data(ctx, ok, json!({})).await;
        assert!(d["tasks"]["items"][0]["project"].is_object());
        let deep = "{ tasks { items { project { tasks { project { tasks { project { tasks { project { tasks { title } } } } } } } } } } }";
        let before = ctx.statements();
        let r = gql(ctx, deep, json!({})).await;
        assert!(r["data"].is_null(), "{r}");
        assert_eq!(r["errors"][0]["message"], "Query is nested too deep.");
        assert_eq!(ctx.statements(), before, "refused before running");

        // GraphiQL's introspection query nests deeper than that and still runs.
        let d = data(ctx, INTROSPECTION, json!({})).await;
        let names: Vec<&str> = d["__schema"]["types"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        for t in ["Task", "TaskPage", "TaskFilter", "TaskSort", "TaskCreateInput", "TaskPatchInput", "Status", "StringFilter", "DateTime"] {
            assert!(names.contains(&t), "{t} missing from {names:?}");
        }
        // ... but introspection cannot nest lists to blow up the response.
        let e = error(ctx, "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }", json!({})).await;
        assert!(e["message"].as_str().unwrap().contains("introspection"), "{e}");
    }

    async fn schema_shape(ctx: &Ctx) {
        let d = data(ctx, "{
            task: __type(name: \"Task\") { description fields { name description type { kind name ofType { kind name ofType { kind name ofType { name } } } } } }
            status: __type(name: \"Status\") { enumValues { name description } }
            filter: __type(name: \"TaskFilter\") { inputFields { name type { name } } }
            intFilter: __type(name: \"NullableIntFilter\") { inputFields { name type { kind name ofType { kind ofType { name } } } } }
            sort: __type(name: \"TaskSort\") { enumValues { name } }
            create: __type(name: \"TaskCreateInput\") { inputFields { name type { kind name ofType { name } } } }
            patch: __type(name: \"TaskPatchInput\") { inputFields { name type { kind } } }
            mutation: __type(name: \"Mutation\") { fields { name args { name type { kind name ofType { name } } } } }
            query: __type(name: \"Query\") { fields { name } }
        }", json!({})).await;
        assert_eq!(d["task"]["description"], "A unit of work.");
        let field = |name: &str| d["task"]["fields"].as_array().unwrap().iter().find(|f| f["name"] == name).unwrap_or_else(|| panic!("no field {name}")).clone();
        let ty = |f: &Value| -> String {
            let t = &f["type"];
            match t["kind"].as_str().unwrap() {
                "NON_NULL" if t["ofType"]["kind"] == "LIST" => format!("[{}!]!", t["ofType"]["ofType"]["ofType"]["name"].as_str().unwrap()),
                "NON_NULL" => format!("{}!", t["ofType"]["name"].as_str().unwrap()),
                _ => t["name"].as_str().unwrap().to_string(),
            }
        };
        for (name, expected) in [
            ("id", "ID!"), ("title", "String!"), ("done", "Boolean!"), ("priority", "Int"), ("status", "Status!"),
            ("project_id", "ID!"), ("due", "DateTime"), ("code", "String"), ("created_at", "DateTime!"),
            ("_etag", "String!"), ("project", "Project!"), ("comments", "[Comment!]!"),
        ] {
            assert_eq!(ty(&field(name)), expected, "Task.{name}");
        }
        assert!(field("project")["description"].as_str().unwrap().contains("project_id"));
        assert_eq!(d["status"]["enumValues"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect::<Vec<_>>(), ["TODO", "IN_PROGRESS", "DONE"]);
        assert_eq!(d["status"]["enumValues"][1]["description"], "`in_progress` in REST and JSON.");

        let filter: Vec<(String, String)> = d["filter"]["inputFields"].as_array().unwrap().iter()
            .map(|f| (f["name"].as_str().unwrap().into(), f["type"]["name"].as_str().unwrap().into())).collect();
        let expected = [("id", "IDFilter"), ("title", "StringFilter"), ("done", "BooleanFilter"), ("priority", "NullableIntFilter"),
            ("status", "StatusFilter"), ("project_id", "IDFilter"), ("due", "NullableDateTimeFilter"), ("code", "NullableStringFilter")];
        assert_eq!(filter, expected.map(|(a, b)| (a.to_string(), b.to_string())));
        let ops: Vec<&str> = d["intFilter"]["inputFields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(ops, ["eq", "ne", "lt", "lte", "gt", "gte", "in", "notIn", "isNull"]);
        assert_eq!(d["intFilter"]["inputFields"][6]["type"]["ofType"]["ofType"]["name"], "Int");

        let sort: Vec<&str> = d["sort"]["enumValues"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
        assert_eq!(sort, ["ID_ASC", "ID_DESC", "TITLE_ASC", "TITLE_DESC", "PRIORITY_ASC", "PRIORITY_DESC", "DUE_ASC", "DUE_DESC", "CREATED_AT_ASC", "CREATED_AT_DESC"]);

        let create: Vec<(String, String)> = d["create"]["inputFields"].as_array().unwrap().iter()
            .map(|f| (f["name"].as_str().unwrap().into(), f["type"]["kind"].as_str().unwrap().into())).collect();
        let expected = [("title", "NON_NULL"), ("done", "NON_NULL"), ("priority", "SCALAR"), ("status", "NON_NULL"),
            ("project_id", "NON_NULL"), ("due", "SCALAR"), ("code", "SCALAR")];
        assert_eq!(create, expected.map(|(a, b)| (a.to_string(), b.to_string())));
        assert!(d["patch"]["inputFields"].as_array().unwrap().iter().all(|f| f["type"]["kind"] != "NON_NULL"));

        let roots: Vec<&str> = d["query"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(roots, ["project", "projects", "task", "tasks", "comment", "comments"]);
        let muts: Vec<&str> = d["mutation"]["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(muts, ["createProject", "updateProject", "deleteProject", "createTask", "updateTask", "deleteTask", "createComment", "updateComment", "deleteComment"]);
    }

    async fn http_transport(ctx: &Ctx) {
        let p = ctx.project("Alpha").await;
        ctx.task(p, "T", json!({})).await;
        let url = |q: &str, extra: &str| format!("/graphql?{}{extra}", form_urlencoded::Serializer::new(String::new()).append_pair("query", q).finish());

        let r = ctx.get(&url("{ tasks { items { title } } }", "")).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["data"]["tasks"]["items"][0]["title"], "T");
        let vars = form_urlencoded::Serializer::new(String::new()).append_pair("variables", &json!({"t": "T"}).to_string()).append_pair("operationName", "B").finish();
        let r = ctx.get(&url("query A { projects { items { name } } } query B($t: String) { tasks(filter: {title: {eq: $t}}) { items { title } } }", &format!("&{vars}"))).await;
        assert_eq!(r.json["data"], json!({"tasks": {"items": [{"title": "T"}]}}), "{}", r.json);

        // No mutations over GET, whatever the document hides them behind.
        for (q, op) in [
            ("mutation { createProject(input: {name: \"ViaGet\"}) { id } }", ""),
            ("query A { projects { items { name } } } mutation B { createProject(input: {name: \"ViaGet\"}) { id } }", "&operationName=B"),
        ] {
            let r = ctx.get(&url(q, op)).await;
            assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{}", r.json);
            assert_eq!(r.header("allow"), Some("POST"));
            assert_eq!(r.json["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED");
        }
        assert_eq!(ctx.get("/v1/projects?name=ViaGet").await.json["items"], json!([]));

        // GraphiQL for browsers; a bare GET otherwise needs a query.
        let r = ctx.send(Request::get("/graphql").header("accept", "text/html,application/xhtml+xml").body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert!(String::from_utf8_lossy(&r.raw).to_lowercase().contains("graphiql"));
        let r = ctx.get("/graphql").await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json["errors"][0]["extensions"]["code"], "BAD_QUERY");

        // POST needs JSON.
        let r = ctx.send(Request::post("/graphql").header("content-type", "text/plain").body(Body::from("{ tasks { items { id } } }")).unwrap()).await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let r = ctx.send(Request::post("/graphql").header("content-type", "application/json").body(Body::from("{nope")).unwrap()).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.json["errors"][0]["extensions"]["code"], "MALFORMED_JSON");
        // A JSON body that is not a GraphQL-over-HTTP request is a 400 too.
        for body in [json!({}), json!({"variables": {}}), json!({"query": ""}), json!({"query": 5}), json!([])] {
            let r = ctx.post("/graphql", body.clone()).await;
            assert_eq!(r.status, 400, "{body}: {}", r.json);
            assert_eq!(r.json["errors"][0]["extensions"]["code"], "MALFORMED_JSON", "{body}");
        }
        let r = ctx.json("PUT", "/graphql", json!({"query": "{ __typename }"})).await;
        assert_eq!(r.status, 405);
        assert_eq!(r.header("allow"), Some("GET, POST"));

        // Syntax errors are GraphQL errors in a 200 response.
        let r = ctx.post("/graphql", json!({"query": "{ tasks { "})).await;
        assert_eq!(r.status, 200);
        assert!(r.json["errors"][0]["message"].is_string());
    }
}

/// Depth and complexity come from the configuration.
async fn configured_limits(backend: Backend) {
    let ctx = Ctx::with(
        backend,
        Config {
            graphql_max_depth: 3,
            graphql_max_complexity: 4,
            ..Config::default()
        },
    )
    .await;
    data(&ctx, "{ tasks { items { id } } }", json!({})).await;
    let r = gql(&ctx, "{ tasks { items { project { name } } } }", json!({})).await;
    assert_eq!(r["errors"][0]["message"], "Query is nested too deep.");
    let r = gql(&ctx, "{ tasks { items { id title done } } }", json!({})).await;
    assert_eq!(r["errors"][0]["message"], "Query is too complex.");
    // Introspection keeps working for tools.
    let d = data(&ctx, INTROSPECTION, json!({})).await;
    assert!(d["__schema"]["types"].as_array().unwrap().len() > 10);
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_limits_sqlite() {
    configured_limits(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_limits_postgres() {
    configured_limits(Backend::Postgres).await;
}

/// The introspection query GraphiQL sends (graphql-js, with the deepest
/// `ofType` chain current versions use).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}
"#;
