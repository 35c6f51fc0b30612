//! Permissions declared with the resource, on both databases: who may
//! read and write (401 without a caller, 403 naming what is missing),
//! ownership (set from the caller, another owner's row answers 404, lists
//! show one's own rows, a role bypasses it), field rules, and caches that
//! never replay one caller's view to another. REST, GraphQL and typed
//! access answer alike. The caller comes from a test double of the
//! identity seam (`X-User: ana;editor`); tokens are tested in `auth.rs`.

mod support;

use axum::body::Body;
use resourceful::error::Kind;
use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config, Principal};
use serde_json::{json, Value};
use support::{Ctx, Resp};

/// Readable by any caller, written by editors.
#[api_resource(path = "boards", access(read = "authenticated", write = "role:editor"))]
#[derive(Debug, Clone)]
pub struct Board {
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, length(min = 1, max = 50))]
    pub name: String,
}

/// Written by anyone signed in, changed by its author or an admin; the
/// score is for admins' eyes and hands only.
#[api_resource(
    path = "posts",
    access(
        read = "authenticated",
        create = "authenticated",
        update = "owner | role:admin",
        delete = "owner | role:admin"
    )
)]
#[derive(Debug, Clone)]
pub struct Post {
    #[api(id)]
    pub id: i64,
    #[api(filter, relation(resource = "boards", on_delete = "cascade"))]
    pub board_id: i64,
    #[api(owner, filter)]
    pub author: String,
    #[api(length(min = 1))]
    pub body: String,
    #[api(filter, sort, access(read = "role:admin", write = "role:admin"))]
    pub score: Option<i32>,
}

/// Seen by its owner alone.
#[api_resource(path = "marks", access(read = "owner | role:admin", write = "owner"))]
#[derive(Debug, Clone)]
pub struct Mark {
    #[api(id)]
    pub id: i64,
    #[api(
        filter,
        relation(resource = "boards", on_delete = "cascade", inverse = "marks")
    )]
    pub board_id: i64,
    #[api(owner)]
    pub owner: String,
    pub note: Option<String>,
}

fn app() -> App {
    App::new(Config::default())
        .resource::<Board>()
        .resource::<Post>()
        .resource::<Mark>()
        .authenticate(support::x_user)
}

async fn send(ctx: &Ctx, user: Option<&str>, method: &str, uri: &str, body: Option<Value>) -> Resp {
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

async fn gql(ctx: &Ctx, user: Option<&str>, query: &str) -> Value {
    let r = send(
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

async fn board(ctx: &Ctx, name: &str) -> i64 {
    let r = send(
        ctx,
        Some("ed;editor"),
        "POST",
        "/v1/boards",
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["id"].as_i64().unwrap()
}

fn ids(r: &Resp) -> Vec<i64> {
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

on_both_app! {
    async fn a_caller_is_needed_and_roles_are_checked(ctx: &Ctx) {
        let r = send(ctx, None, "GET", "/v1/boards", None).await;
        r.assert_problem(401, "unauthorized");
        let challenge = r.header("www-authenticate").unwrap();
        assert!(challenge.starts_with("Bearer error=\"invalid_token\""), "{challenge}");
        let r = send(ctx, Some("ana"), "POST", "/v1/boards", Some(json!({"name": "x"}))).await;
        r.assert_problem(403, "forbidden");
        assert!(r.json["detail"].as_str().unwrap().contains("role:editor"), "{}", r.json);
        assert!(r.header("www-authenticate").unwrap().contains("insufficient_scope"));
        let id = board(ctx, "general").await;
        let r = send(ctx, Some("ana"), "GET", &format!("/v1/boards/{id}"), None).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.header("cache-control"), Some("private, no-cache"));
        for (method, body) in [("PATCH", Some(json!({"name": "y"}))), ("DELETE", None)] {
            let r = send(ctx, Some("ana"), method, &format!("/v1/boards/{id}"), body).await;
            r.assert_problem(403, "forbidden");
        }
        // GraphQL: the same rules, as errors with the problem's code.
        let out = gql(ctx, None, "{ boards { items { id } } }").await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "UNAUTHORIZED", "{out}");
        let out = gql(ctx, Some("ana"), r#"mutation { createBoard(input: {name: "z"}) { id } }"#).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
        let out = gql(ctx, Some("ana"), "{ boards { items { name } } }").await;
        assert_eq!(out["data"]["boards"]["items"][0]["name"], "general", "{out}");
        // Typed access: the system may; acting for a caller applies its rules.
        let api = ctx.server.api();
        assert!(api.of::<Board>().list().await.is_ok());
        let e = api.acting_as(Principal::new("ana")).of::<Board>().delete(id).await.unwrap_err();
        assert_eq!(e.kind, Kind::Forbidden);
        assert_eq!(send(ctx, None, "GET", "/v1/boards", None).await.status, 401, "nothing changed");
        assert_eq!(send(ctx, Some("ana"), "GET", &format!("/v1/boards/{id}"), None).await.json["name"], "general");
    }

    async fn the_owner_is_the_creator_and_others_may_not_change_its_rows(ctx: &Ctx) {
        let b = board(ctx, "b").await;
        let r = send(ctx, Some("ana"), "POST", "/v1/posts", Some(json!({"board_id": b, "body": "hi", "author": "ben"}))).await;
        r.assert_problem(422, "validation");
        assert_eq!(r.json["errors"][0]["pointer"], "/author", "a client cannot set the owner");
        let r = send(ctx, Some("ana"), "POST", "/v1/posts", Some(json!({"board_id": b, "body": "hi"}))).await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert_eq!(r.json["author"], "ana");
        let uri = format!("/v1/posts/{}", r.json["id"]);
        let r = send(ctx, Some("ben"), "PATCH", &uri, Some(json!({"body": "mine now"}))).await;
        r.assert_problem(403, "forbidden");
        assert!(r.json["detail"].as_str().unwrap().contains("owner | role:admin"), "{}", r.json);
        send(ctx, Some("ben"), "DELETE", &uri, None).await.assert_problem(403, "forbidden");
        // Echoing the owner back on a full replacement is no change.
        let r = send(ctx, Some("ana"), "PUT", &uri, Some(json!({"board_id": b, "body": "edited", "author": "ana"}))).await;
        assert_eq!(r.status, 200, "{}", r.json);
        let r = send(ctx, Some("root;admin"), "PATCH", &uri, Some(json!({"body": "moderated"}))).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["author"], "ana", "an admin's edit keeps the owner");
        let out = gql(ctx, Some("ben"), &format!(r#"mutation {{ deletePost(id: "{}") {{ id }} }}"#, r.json["id"])).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
        assert_eq!(send(ctx, Some("ana"), "DELETE", &uri, None).await.status, 204);
        // The system has no subject to make an owner of.
        let e = ctx.server.api().of::<Post>()
            .create(PostCreate { board_id: b, body: "x".into(), score: None })
            .await
            .unwrap_err();
        assert_eq!(e.kind, Kind::Forbidden);
        let p = ctx.server.api().acting_as(Principal::new("cy")).of::<Post>()
            .create(PostCreate { board_id: b, body: "x".into(), score: None })
            .await
            .unwrap();
        assert_eq!(p.author, "cy");
    }

    async fn owned_rows_are_invisible_to_other_callers(ctx: &Ctx) {
        let b = board(ctx, "b").await;
        let mut mine = Vec::new();
        for user in ["ana", "ana", "ben"] {
            let r = send(ctx, Some(user), "POST", "/v1/marks", Some(json!({"board_id": b}))).await;
            assert_eq!(r.status, 201, "{}", r.json);
            mine.push(r.json["id"].as_i64().unwrap());
        }
        let (ana, ben) = (&mine[..2], mine[2]);
        // Lists: one's own rows, also when the page is cached for another.
        for _ in 0..2 {
            assert_eq!(ids(&send(ctx, Some("ana"), "GET", "/v1/marks", None).await), ana);
            assert_eq!(ids(&send(ctx, Some("ben"), "GET", "/v1/marks", None).await), [ben]);
        }
        let all = send(ctx, Some("root;admin"), "GET", "/v1/marks", None).await;
        assert_eq!(ids(&all).len(), 3, "the admin role bypasses ownership");
        // Another owner's id is not found, for reads and writes alike.
        let other = format!("/v1/marks/{}", ana[0]);
        assert_eq!(send(ctx, Some("ana"), "GET", &other, None).await.status, 200);
        for (method, body) in [("GET", None), ("PATCH", Some(json!({"note": "x"}))), ("DELETE", None)] {
            send(ctx, Some("ben"), method, &other, body).await.assert_problem(404, "not-found");
        }
        // GraphQL: by id, lists and the relation from the board.
        let out = gql(ctx, Some("ben"), &format!(r#"{{ mark(id: "{}") {{ id }} }}"#, ana[0])).await;
        assert_eq!(out["data"]["mark"], Value::Null, "{out}");
        let q = format!(r#"{{ board(id: "{b}") {{ marks {{ owner }} }} marks {{ items {{ owner }} }} }}"#);
        for (user, n) in [("ben", 1), ("ana", 2), ("ben", 1)] {
            let out = gql(ctx, Some(user), &q).await;
            let via_board = out["data"]["board"]["marks"].as_array().expect(&out.to_string());
            let listed = out["data"]["marks"]["items"].as_array().unwrap();
            assert_eq!((via_board.len(), listed.len()), (n, n), "{user}: {out}");
            assert!(via_board.iter().chain(listed).all(|m| m["owner"] == user), "{out}");
        }
        // Typed access acting for a caller sees what the caller sees.
        let as_ben = ctx.server.api().acting_as(Principal::new("ben"));
        assert!(as_ben.of::<Mark>().get(ana[0]).await.unwrap().is_none());
        assert_eq!(as_ben.of::<Mark>().list().await.unwrap().items.len(), 1);
        assert_eq!(send(ctx, Some("ana"), "GET", &other, None).await.status, 200, "nothing changed");
    }

    async fn field_rules_shape_views_and_refuse_writes(ctx: &Ctx) {
        let b = board(ctx, "b").await;
        let r = send(ctx, Some("ana"), "POST", "/v1/posts", Some(json!({"board_id": b, "body": "hi", "score": 5}))).await;
        r.assert_problem(403, "forbidden");
        assert_eq!(r.json["errors"][0]["pointer"], "/score", "{}", r.json);
        let r = send(ctx, Some("ana"), "POST", "/v1/posts", Some(json!({"board_id": b, "body": "hi"}))).await;
        assert_eq!(r.status, 201);
        assert!(r.json.get("score").is_none(), "{}", r.json);
        let uri = format!("/v1/posts/{}", r.json["id"]);
        let r = send(ctx, Some("root;admin"), "PATCH", &uri, Some(json!({"score": 9}))).await;
        assert_eq!(r.status, 200, "{}", r.json);
        let admin_etag = r.header("etag").unwrap().to_string();
        for _ in 0..2 {
            let admin = send(ctx, Some("root;admin"), "GET", &uri, None).await;
            assert_eq!(admin.json["score"], 9);
            let ana = send(ctx, Some("ana"), "GET", &uri, None).await;
            assert!(ana.json.get("score").is_none(), "{}", ana.json);
            assert_ne!(ana.header("etag"), Some(admin_etag.as_str()), "each view has its own ETag");
            let list = send(ctx, Some("ana"), "GET", "/v1/posts", None).await;
            assert!(list.json["items"][0].get("score").is_none(), "{}", list.json);
            let list = send(ctx, Some("root;admin"), "GET", "/v1/posts", None).await;
            assert_eq!(list.json["items"][0]["score"], 9);
        }
        // A view's ETag is what If-Match takes; the owner may edit what it sees.
        let ana = send(ctx, Some("ana"), "GET", &uri, None).await;
        let mut req = axum::http::Request::patch(&uri)
            .header("x-user", "ana")
            .header("content-type", "application/merge-patch+json")
            .header("if-match", ana.header("etag").unwrap());
        req = req.header("accept", "application/json");
        let r = ctx.send(req.body(Body::from(r#"{"body":"edited"}"#)).unwrap()).await;
        assert_eq!(r.status, 200, "{}", r.json);
        // A full replacement by the owner keeps the score it cannot write.
        let r = send(ctx, Some("ana"), "PUT", &uri, Some(json!({"board_id": b, "body": "again"}))).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(send(ctx, Some("root;admin"), "GET", &uri, None).await.json["score"], 9);
        // Filtering or sorting on the field would reveal it.
        send(ctx, Some("ana"), "GET", "/v1/posts?score=9", None).await.assert_problem(403, "forbidden");
        send(ctx, Some("ana"), "GET", "/v1/posts?sort=-score", None).await.assert_problem(403, "forbidden");
        assert_eq!(send(ctx, Some("root;admin"), "GET", "/v1/posts?score=9", None).await.status, 200);
        // GraphQL: null for callers who may not read it, the response cache
        // keeps the views apart.
        for _ in 0..2 {
            let out = gql(ctx, Some("ana"), "{ posts { items { body score } } }").await;
            assert_eq!(out["data"]["posts"]["items"][0]["score"], Value::Null, "{out}");
            let out = gql(ctx, Some("root;admin"), "{ posts { items { body score } } }").await;
            assert_eq!(out["data"]["posts"]["items"][0]["score"], 9, "{out}");
        }
        let out = gql(ctx, Some("ana"), r#"{ posts(filter: {score: {eq: 9}}) { items { id } } }"#).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
    }
}

#[tokio::test]
async fn the_document_states_who_may_call_each_operation() {
    let ctx = Ctx::from_app(Backend::Sqlite, app()).await;
    let doc = ctx.get("/openapi.json").await.json;
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );
    let boards = &doc["paths"]["/v1/boards"];
    assert_eq!(boards["get"]["security"], json!([{"bearer": []}]));
    assert_eq!(
        boards["post"]["security"],
        json!([{"bearer": ["role:editor"]}])
    );
    for op in ["get", "post"] {
        assert!(boards[op]["responses"]["401"].is_object(), "{op}");
    }
    assert!(boards["post"]["responses"]["403"].is_object());
    let post = &doc["paths"]["/v1/posts/{id}"];
    assert_eq!(
        post["patch"]["security"],
        json!([{"bearer": ["role:admin", "owner"]}])
    );
    // A field some callers may not read is left out of their responses:
    // the representation does not require it.
    let required = doc["components"]["schemas"]["Post"]["required"]
        .as_array()
        .expect("Post lists its required fields");
    assert!(required.contains(&json!("body")), "{required:?}");
    assert!(!required.contains(&json!("score")), "{required:?}");
    assert!(doc["components"]["schemas"]["Post"]["properties"]["score"].is_object());
    let gql = &doc["paths"]["/graphql"]["post"]["security"];
    assert_eq!(
        gql,
        &json!([{}, {"bearer": []}]),
        "GraphQL takes an optional token"
    );
    ctx.cleanup().await;
}
