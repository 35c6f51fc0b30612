//! Hooks and read scopes on both databases, through REST (single and
//! bulk), GraphQL and typed access; typed transactions. A rejected hook or
//! a failed transaction changes nothing and leaves every cache consistent.

mod support;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use resourceful::error::Kind;
use resourceful::identity::AuthResult;
use resourceful::prelude::*;
use resourceful::{App, Config, Principal};
use serde_json::{json, Value};
use std::sync::Arc;
use support::{Ctx, Resp};

#[api_resource(path = "notes")]
#[derive(Debug, Clone)]
pub struct Note {
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, length(min = 1, max = 20))]
    pub title: String,
    #[api(filter)]
    pub owner: Option<String>,
    #[api(range(min = 0, max = 9))]
    pub level: i32,
}

/// What the notes' `after_write` hook records, in the same transaction.
#[api_resource(path = "audits")]
#[derive(Debug, Clone)]
pub struct Audit {
    #[api(id)]
    pub id: i64,
    #[api(filter)]
    pub note_id: i64,
    pub action: String,
}

struct NoteRules;

impl Hooks<Note> for NoteRules {
    async fn before_create(&self, cx: &HookContext, input: &mut NoteCreate) -> ApiResult<()> {
        input.title = input.title.trim().to_string();
        refuse_title(&input.title)?;
        if let Some(p) = cx.principal() {
            input.owner = Some(p.subject.clone());
        }
        Ok(())
    }

    async fn before_update(&self, _: &HookContext, _: &Note, next: &mut Note) -> ApiResult<()> {
        next.title = next.title.trim().to_string();
        refuse_title(&next.title)
    }

    async fn before_delete(&self, _: &HookContext, current: &Note) -> ApiResult<()> {
        if current.level >= 5 {
            return Err(ApiError::forbidden("notes of level 5 and up are kept"));
        }
        Ok(())
    }

    async fn after_write(
        &self,
        _: &HookContext,
        tx: &mut Tx<'_>,
        change: &Written<Note>,
    ) -> ApiResult<()> {
        let (note, action) = match change {
            Written::Created(n) => (n, "created"),
            Written::Updated { after, .. } => (after, "updated"),
            Written::Deleted(n) => (n, "deleted"),
        };
        if note.title == "fail-after" {
            return Err(ApiError::conflict("refused after the statement ran"));
        }
        tx.of::<Audit>()
            .create(AuditCreate {
                note_id: note.id,
                action: action.into(),
            })
            .await?;
        Ok(())
    }

    fn read_scope(&self, cx: &Context) -> Scope {
        match cx.principal() {
            Some(p) if !p.has_role("admin") => Scope::all().eq("owner", p.subject.clone()),
            _ => Scope::all(),
        }
    }
}

fn refuse_title(title: &str) -> ApiResult<()> {
    match title {
        "forbidden" => Err(ApiError::forbidden("no forbidden notes")),
        "taken" => Err(ApiError::conflict("that title is reserved")),
        "bad" => Err(ApiError::field("title", "word", "`bad` is not a title")),
        "teapot" => Err(ApiError::refuse(
            StatusCode::IM_A_TEAPOT,
            "urn:example:problem:teapot",
            "I'm a teapot",
            "short and stout",
        )),
        _ => Ok(()),
    }
}

/// `X-User: ana` or `X-User: ana;admin` (a test double for a token check).
fn from_header(req: &Request) -> AuthResult {
    let Some(v) = req.headers().get("x-user").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let mut parts = v.split(';');
    let subject = parts.next().unwrap_or_default();
    if subject.is_empty() {
        return Err(ApiError::new(Kind::Unauthorized, "empty X-User"));
    }
    Ok(Some(Arc::new(Principal::new(subject).with_roles(parts))))
}

fn app() -> App {
    App::new(Config::default())
        .resource::<Note>()
        .resource::<Audit>()
        .hooks(NoteRules)
        .authenticate(from_header)
}

async fn send_as(
    ctx: &Ctx,
    user: Option<&str>,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> Resp {
    let mut b = axum::http::Request::builder().method(method).uri(uri);
    if let Some(u) = user {
        b = b.header("x-user", u);
    }
    let body = match body {
        Some(j) => {
            b = b.header("content-type", "application/json");
            Body::from(j.to_string())
        }
        None => Body::empty(),
    };
    ctx.send(b.body(body).unwrap()).await
}

async fn gql_as(ctx: &Ctx, user: Option<&str>, query: &str) -> Value {
    let r = send_as(
        ctx,
        user,
        "POST",
        "/graphql",
        Some(json!({ "query": query })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

/// Every title stored, in id order, straight from the database.
async fn stored(ctx: &Ctx) -> Vec<String> {
    let svc = ctx.server.registry.by_path("notes").unwrap();
    let q = resourceful::query::ListQuery::new(svc.model);
    let page = svc.list(None, &q).await.unwrap();
    page.records.iter().map(|r| r[1].to_text()).collect()
}

async fn audits(ctx: &Ctx) -> Vec<String> {
    let page = ctx
        .server
        .api()
        .of::<Audit>()
        .list()
        .limit(500)
        .await
        .unwrap();
    page.items.into_iter().map(|a| a.action).collect()
}

fn note(title: &str) -> NoteCreate {
    NoteCreate {
        title: title.into(),
        owner: None,
        level: 1,
    }
}

on_both_app! {
    async fn before_create_normalises_and_refuses_on_every_surface(ctx: &Ctx) {
        // REST, single.
        let r = ctx.post("/v1/notes", json!({"title": "  rest  ", "level": 1})).await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert_eq!(r.json["title"], "rest");
        ctx.post("/v1/notes", json!({"title": "forbidden", "level": 1})).await.assert_problem(403, "forbidden");
        ctx.post("/v1/notes", json!({"title": "taken", "level": 1})).await.assert_problem(409, "conflict");
        let r = ctx.post("/v1/notes", json!({"title": "bad", "level": 1})).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["pointer"], "/title");
        assert_eq!(r.json["errors"][0]["code"], "word");
        let r = ctx.post("/v1/notes", json!({"title": "teapot", "level": 1})).await;
        assert_eq!(r.status, 418);
        assert_eq!(r.json["type"], "urn:example:problem:teapot");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        // REST, bulk: every refused item is reported, nothing is created.
        let r = ctx
            .post("/v1/notes", json!([{"title": "ok", "level": 1}, {"title": "bad", "level": 1}, {"title": "x", "level": 12}]))
            .await;
        r.assert_problem(422, "validation");
        let pointers: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
        assert_eq!(pointers, ["/1/title", "/2/level"], "{}", r.json);
        let r = ctx.post("/v1/notes", json!([{"title": "ok", "level": 1}, {"title": "forbidden", "level": 1}])).await;
        r.assert_problem(403, "forbidden");
        assert!(r.json["detail"].as_str().unwrap().starts_with("item 1:"), "{}", r.json);
        let r = ctx.post("/v1/notes", json!([{"title": " b1 ", "level": 1}, {"title": "b2 ", "level": 1}])).await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert_eq!(r.json[0]["title"], "b1");
        // GraphQL.
        let out = ctx.graphql(r#"mutation { createNote(input: {title: " gql ", level: 1}) { title } }"#, json!({})).await;
        assert_eq!(out["data"]["createNote"]["title"], "gql", "{out}");
        let out = ctx.graphql(r#"mutation { createNote(input: {title: "bad", level: 1}) { title } }"#, json!({})).await;
        assert_eq!(out["errors"][0]["extensions"]["status"], 422, "{out}");
        assert_eq!(out["errors"][0]["extensions"]["errors"][0]["pointer"], "/title");
        let out = ctx.graphql(r#"mutation { createNote(input: {title: "forbidden", level: 1}) { title } }"#, json!({})).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
        // Typed access.
        let notes = ctx.server.api();
        let n = notes.of::<Note>().create(note(" typed ")).await.unwrap();
        assert_eq!(n.title, "typed");
        let e = notes.of::<Note>().create(note("forbidden")).await.unwrap_err();
        assert_eq!(e.kind, Kind::Forbidden);
        let e = notes.of::<Note>().create_many(vec![note("fine"), note("bad")]).await.unwrap_err();
        assert_eq!(e.kind, Kind::Validation);
        assert_eq!(e.errors[0].pointer, "/1/title");
        assert_eq!(stored(ctx).await, ["rest", "b1", "b2", "gql", "typed"]);
    }

    async fn declared_rules_apply_after_the_hooks(ctx: &Ctx) {
        // 26 characters as sent, 4 once the hook trimmed them.
        let r = ctx.post("/v1/notes", json!({"title": "           trim           ", "level": 1})).await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert_eq!(r.json["title"], "trim");
        let r = ctx.post("/v1/notes", json!({"title": "     ", "level": 1})).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["code"], "length");
        // Type problems are still found before any hook runs.
        let r = ctx.post("/v1/notes", json!({"title": 5, "level": "x"})).await;
        assert_eq!(r.json["errors"].as_array().unwrap().len(), 2, "{}", r.json);
    }

    async fn update_and_delete_hooks(ctx: &Ctx) {
        let id = ctx.post("/v1/notes", json!({"title": "one", "level": 5})).await.json["id"].as_i64().unwrap();
        let low = ctx.post("/v1/notes", json!({"title": "two", "level": 1})).await.json["id"].as_i64().unwrap();
        let r = ctx.json("PATCH", &format!("/v1/notes/{id}"), json!({"title": "  uno "})).await;
        assert_eq!(r.json["title"], "uno", "{}", r.json);
        let r = ctx.json("PUT", &format!("/v1/notes/{id}"), json!({"title": "bad", "level": 5})).await;
        r.assert_problem(422, "validation");
        let out = ctx.graphql(&format!(r#"mutation {{ updateNote(id: {id}, input: {{title: " eins "}}) {{ title }} }}"#), json!({})).await;
        assert_eq!(out["data"]["updateNote"]["title"], "eins", "{out}");
        let api = ctx.server.api();
        let patch = NotePatch { title: Some(" un ".into()), ..Default::default() };
        assert_eq!(api.of::<Note>().update(id, patch).await.unwrap().title, "un");
        // Deleting a level-5 note is refused everywhere.
        ctx.send(axum::http::Request::delete(format!("/v1/notes/{id}")).body(Body::empty()).unwrap()).await.assert_problem(403, "forbidden");
        let out = ctx.graphql(&format!("mutation {{ deleteNote(id: {id}) {{ id }} }}"), json!({})).await;
        assert_eq!(out["errors"][0]["extensions"]["status"], 403, "{out}");
        assert_eq!(api.of::<Note>().delete(id).await.unwrap_err().kind, Kind::Forbidden);
        assert_eq!(api.of::<Note>().get(id).await.unwrap().unwrap().title, "un");
        assert_eq!(api.of::<Note>().delete(low).await.unwrap().title, "two");
        assert!(api.of::<Note>().get(low).await.unwrap().is_none());
        assert_eq!(audits(ctx).await, ["created", "created", "updated", "updated", "updated", "deleted"]);
    }

    async fn after_write_shares_the_transaction(ctx: &Ctx) {
        let r = ctx.post("/v1/notes", json!({"title": "kept", "level": 1})).await;
        let id = r.json["id"].as_i64().unwrap();
        // Cache the row, then fail writes after their statements ran.
        assert_eq!(ctx.get(&format!("/v1/notes/{id}")).await.json["title"], "kept");
        ctx.post("/v1/notes", json!({"title": "fail-after", "level": 1})).await.assert_problem(409, "conflict");
        ctx.post("/v1/notes", json!([{"title": "a", "level": 1}, {"title": "fail-after", "level": 1}])).await.assert_problem(409, "conflict");
        ctx.json("PATCH", &format!("/v1/notes/{id}"), json!({"title": "fail-after"})).await.assert_problem(409, "conflict");
        let out = ctx.graphql(&format!(r#"mutation {{ updateNote(id: {id}, input: {{title: "fail-after"}}) {{ title }} }}"#), json!({})).await;
        assert_eq!(out["errors"][0]["extensions"]["status"], 409, "{out}");
        // Nothing changed: not the rows, not the audit, not the cached copy.
        assert_eq!(stored(ctx).await, ["kept"]);
        assert_eq!(audits(ctx).await, ["created"]);
        assert_eq!(ctx.get(&format!("/v1/notes/{id}")).await.json["title"], "kept");
        assert_eq!(ctx.get("/v1/notes").await.json["items"].as_array().unwrap().len(), 1);
    }

    async fn read_scopes_apply_to_every_access(ctx: &Ctx) {
        let a = send_as(ctx, Some("ana"), "POST", "/v1/notes", Some(json!({"title": "ana's", "level": 1}))).await;
        assert_eq!(a.json["owner"], "ana", "{}", a.json);
        let a = a.json["id"].as_i64().unwrap();
        let b = send_as(ctx, Some("ben"), "POST", "/v1/notes", Some(json!({"title": "ben's", "level": 1}))).await.json["id"].as_i64().unwrap();
        // Ben reads his note first, so it sits in the shared cache.
        assert_eq!(send_as(ctx, Some("ben"), "GET", &format!("/v1/notes/{b}"), None).await.status, 200);
        let titles = |r: Resp| -> Vec<String> { r.json["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap().to_string()).collect() };
        assert_eq!(titles(send_as(ctx, Some("ana"), "GET", "/v1/notes", None).await), ["ana's"]);
        assert_eq!(titles(send_as(ctx, Some("ben"), "GET", "/v1/notes", None).await), ["ben's"]);
        assert_eq!(titles(send_as(ctx, Some("ana"), "GET", "/v1/notes", None).await), ["ana's"], "list pages are cached per scope");
        assert_eq!(titles(send_as(ctx, Some("root;admin"), "GET", "/v1/notes", None).await).len(), 2);
        send_as(ctx, Some("ana"), "GET", &format!("/v1/notes/{b}"), None).await.assert_problem(404, "not-found");
        send_as(ctx, Some("ana"), "PATCH", &format!("/v1/notes/{b}"), Some(json!({"title": "mine"}))).await.assert_problem(404, "not-found");
        send_as(ctx, Some("ana"), "DELETE", &format!("/v1/notes/{b}"), None).await.assert_problem(404, "not-found");
        send_as(ctx, Some(""), "GET", "/v1/notes", None).await.assert_problem(401, "unauthorized");
        // GraphQL: the same rows.
        let out = gql_as(ctx, Some("ana"), &format!("{{ notes {{ items {{ title }} }} note(id: {b}) {{ title }} mine: note(id: {a}) {{ title }} }}")).await;
        assert_eq!(out["data"]["notes"]["items"], json!([{"title": "ana's"}]), "{out}");
        assert_eq!(out["data"]["note"], Value::Null);
        assert_eq!(out["data"]["mine"]["title"], "ana's");
        let out = gql_as(ctx, Some("ana"), &format!(r#"mutation {{ deleteNote(id: {b}) {{ id }} }}"#)).await;
        assert_eq!(out["errors"][0]["extensions"]["status"], 404, "{out}");
        // Typed access acting for a principal.
        let ana = ctx.server.api().acting_as(Principal::new("ana"));
        let mine = ana.of::<Note>().list().await.unwrap();
        assert_eq!(mine.items.iter().map(|n| n.id).collect::<Vec<_>>(), [a]);
        assert!(ana.of::<Note>().get(b).await.unwrap().is_none());
        assert_eq!(ana.of::<Note>().delete(b).await.unwrap_err().kind, Kind::NotFound);
        assert_eq!(stored(ctx).await, ["ana's", "ben's"]);
    }

    async fn typed_transactions_are_all_or_nothing(ctx: &Ctx) {
        let api = ctx.server.api();
        let kept = api.of::<Note>().create(note("kept")).await.unwrap();
        // Cached before the transactions touch it.
        assert_eq!(ctx.get(&format!("/v1/notes/{}", kept.id)).await.json["title"], "kept");
        {
            let mut tx = api.begin().await.unwrap();
            tx.of::<Note>().create(note("first")).await.unwrap();
            let patch = NotePatch { title: Some("changed".into()), ..Default::default() };
            tx.of::<Note>().update(kept.id, patch).await.unwrap();
            assert_eq!(tx.of::<Note>().get(kept.id).await.unwrap().unwrap().title, "changed", "a transaction sees its own writes");
            let e = tx.of::<Note>().create(note("taken")).await.unwrap_err();
            assert_eq!(e.kind, Kind::Conflict);
            // Dropped without commit: rolled back.
        }
        assert_eq!(stored(ctx).await, ["kept"]);
        assert_eq!(audits(ctx).await, ["created"]);
        assert_eq!(ctx.get(&format!("/v1/notes/{}", kept.id)).await.json["title"], "kept");
        let mut tx = api.begin().await.unwrap();
        tx.of::<Note>().create(note("second")).await.unwrap();
        let patch = NotePatch { title: Some("renamed".into()), ..Default::default() };
        tx.of::<Note>().update(kept.id, patch).await.unwrap();
        tx.commit().await.unwrap();
        // The commit invalidated the cached row and list.
        assert_eq!(ctx.get(&format!("/v1/notes/{}", kept.id)).await.json["title"], "renamed");
        assert_eq!(stored(ctx).await, ["renamed", "second"]);
        assert_eq!(audits(ctx).await, ["created", "created", "updated"]);
    }

    async fn typed_lists_follow_the_rest_rules(ctx: &Ctx) {
        let api = ctx.server.api();
        let items: Vec<NoteCreate> = (0..7).map(|i| NoteCreate { title: format!("n{i}"), owner: None, level: i % 3 }).collect();
        api.of::<Note>().create_many(items).await.unwrap();
        let notes = api.of::<Note>();
        let first = notes.list().filter(NoteFilter { title: None, ..Default::default() }).sort("-title").limit(3).await.unwrap();
        assert_eq!(first.items.iter().map(|n| n.title.as_str()).collect::<Vec<_>>(), ["n6", "n5", "n4"]);
        let next = notes.list().sort("-title").limit(3).cursor(first.next_cursor.unwrap()).await.unwrap();
        assert_eq!(next.items[0].title, "n3");
        let one = notes.list().filter(NoteFilter { title: Some("n2".into()), ..Default::default() }).await.unwrap();
        assert_eq!(one.items.len(), 1);
        let e = notes.list().sort("level").await.unwrap_err();
        assert_eq!(e.kind, Kind::BadQuery, "level is not sortable: {e}");
        assert!(notes.get(10_000).await.unwrap().is_none());
    }
}
