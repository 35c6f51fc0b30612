//! OWASP API Security Top 10 (2023), one test per item, against REST and
//! GraphQL on both databases where the item applies. The README lists
//! which test covers which item; deeper cases live in the tests named in
//! each doc comment.

mod support;

use axum::body::Body;
use resourceful::prelude::*;
use resourceful::{App, Config};
use serde_json::{json, Value};
use support::{Ctx, Resp};

#[api_resource(
    path = "accounts",
    access(read = "owner | role:admin", write = "owner")
)]
#[derive(Debug, Clone)]
pub struct Account {
    #[api(id)]
    pub id: i64,
    #[api(owner)]
    pub owner: String,
    #[api(length(min = 1, max = 40))]
    pub name: String,
    /// Only support staff see and set it.
    #[api(access(read = "role:support", write = "role:support"))]
    pub credit_limit: Option<i64>,
    #[api(filter, relation = "plans")]
    pub plan_id: Option<i64>,
}

#[api_resource(
    path = "plans",
    page_size = 5,
    max_page_size = 20,
    access(read = "authenticated", write = "role:admin")
)]
#[derive(Debug, Clone)]
pub struct Plan {
    #[api(id)]
    pub id: i64,
    #[api(filter, length(min = 1, max = 40))]
    pub name: String,
}

fn app() -> App {
    let mut config = Config::default();
    config.max_body_bytes = 4096;
    config.graphql_max_depth = 5;
    App::new(config)
        .resource::<Account>()
        .resource::<Plan>()
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

async fn account(ctx: &Ctx, user: &str, name: &str) -> i64 {
    let r = send(
        ctx,
        Some(user),
        "POST",
        "/v1/accounts",
        Some(json!({"name": name})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["id"].as_i64().unwrap()
}

on_both_app! {
    /// API1 Broken object level authorization: another owner's id is not
    /// found, for reads and writes, through REST and GraphQL (more in
    /// `permissions.rs`).
    async fn api1_broken_object_level_authorization(ctx: &Ctx) {
        let ana = account(ctx, "ana", "ana's").await;
        for (method, body) in [("GET", None), ("PATCH", Some(json!({"name": "mine"}))), ("DELETE", None)] {
            send(ctx, Some("ben"), method, &format!("/v1/accounts/{ana}"), body).await.assert_problem(404, "not-found");
        }
        let out = gql(ctx, Some("ben"), &format!(r#"{{ account(id: "{ana}") {{ name }} accounts {{ items {{ id }} }} }}"#)).await;
        assert_eq!(out["data"]["account"], Value::Null, "{out}");
        assert_eq!(out["data"]["accounts"]["items"], json!([]), "{out}");
        let out = gql(ctx, Some("ben"), &format!(r#"mutation {{ deleteAccount(id: "{ana}") {{ id }} }}"#)).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "NOT_FOUND", "{out}");
        assert_eq!(send(ctx, Some("ana"), "GET", &format!("/v1/accounts/{ana}"), None).await.json["name"], "ana's");
    }

    /// API2 Broken authentication: no credential or a refused one is 401
    /// with the Bearer challenge on REST and GraphQL (token forgeries are
    /// in `auth.rs`).
    async fn api2_broken_authentication(ctx: &Ctx) {
        let r = send(ctx, None, "GET", "/v1/plans", None).await;
        r.assert_problem(401, "unauthorized");
        assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
        let out = gql(ctx, None, "{ plans { items { id } } }").await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "UNAUTHORIZED", "{out}");
        let out = gql(ctx, None, r#"mutation { createPlan(input: {name: "x"}) { id } }"#).await;
        assert_eq!(out["errors"][0]["extensions"]["status"], 401, "{out}");
    }

    /// API3 Broken object property level authorization: a property is
    /// neither shown to nor written by callers without its role, and the
    /// owner cannot be set by a client (mass assignment).
    async fn api3_broken_object_property_level_authorization(ctx: &Ctx) {
        let r = send(ctx, Some("ana"), "POST", "/v1/accounts", Some(json!({"name": "a", "owner": "ben"}))).await;
        r.assert_problem(422, "validation");
        let r = send(ctx, Some("ana"), "POST", "/v1/accounts", Some(json!({"name": "a", "credit_limit": 1000000}))).await;
        r.assert_problem(403, "forbidden");
        assert_eq!(r.json["errors"][0]["pointer"], "/credit_limit");
        let id = account(ctx, "ana", "a").await;
        let r = send(ctx, Some("ana"), "GET", &format!("/v1/accounts/{id}"), None).await;
        assert!(r.json.get("credit_limit").is_none(), "{}", r.json);
        let out = gql(ctx, Some("ana"), &format!(r#"{{ account(id: "{id}") {{ credit_limit }} }}"#)).await;
        assert_eq!(out["data"]["account"]["credit_limit"], Value::Null, "{out}");
        let out = gql(ctx, Some("ana"), &format!(r#"mutation {{ updateAccount(id: "{id}", input: {{credit_limit: 5}}) {{ id }} }}"#)).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
    }

    /// API4 Unrestricted resource consumption: bodies, pages, bulk sizes
    /// and GraphQL depth are bounded (rate limits: `limits.rs`; header size
    /// and slow clients: `serve.rs`).
    async fn api4_unrestricted_resource_consumption(ctx: &Ctx) {
        let big = "x".repeat(5000);
        send(ctx, Some("root;admin"), "POST", "/v1/plans", Some(json!({"name": big}))).await.assert_problem(413, "payload-too-large");
        send(ctx, Some("ana"), "GET", "/v1/plans?limit=1000", None).await.assert_problem(400, "bad-query");
        // Nesting past GRAPHQL_MAX_DEPTH (5 here) is refused before it runs.
        let deep = "{ plans { items { accounts { plan { accounts { plan { name } } } } } } }";
        let out = gql(ctx, Some("ana"), deep).await;
        assert!(out["errors"][0]["message"].as_str().unwrap().contains("too deep"), "{out}");
        let r = send(ctx, Some("root;admin"), "POST", "/v1/plans", Some(json!([]))).await;
        r.assert_problem(422, "validation");
    }

    /// API5 Broken function level authorization: functions for a role
    /// (writes of plans, the audit trail when on) refuse other callers.
    async fn api5_broken_function_level_authorization(ctx: &Ctx) {
        let r = send(ctx, Some("ana"), "POST", "/v1/plans", Some(json!({"name": "free"}))).await;
        r.assert_problem(403, "forbidden");
        assert!(r.header("www-authenticate").unwrap().contains("insufficient_scope"));
        let out = gql(ctx, Some("ana"), r#"mutation { createPlan(input: {name: "free"}) { id } }"#).await;
        assert_eq!(out["errors"][0]["extensions"]["code"], "FORBIDDEN", "{out}");
        let r = send(ctx, Some("root;admin"), "POST", "/v1/plans", Some(json!({"name": "pro"}))).await;
        assert_eq!(r.status, 201);
        let uri = format!("/v1/plans/{}", r.json["id"]);
        send(ctx, Some("ana"), "DELETE", &uri, None).await.assert_problem(403, "forbidden");
        assert_eq!(send(ctx, Some("ana"), "GET", &uri, None).await.status, 200, "nothing changed");
    }

    /// API6 Unrestricted access to sensitive business flows: a flow's own
    /// route takes a named limit of its own (`extend.rs` shows the 429);
    /// here, a denied flow step changes nothing.
    async fn api6_unrestricted_access_to_sensitive_business_flows(ctx: &Ctx) {
        let id = account(ctx, "ana", "a").await;
        for _ in 0..3 {
            let r = send(ctx, Some("ana"), "PATCH", &format!("/v1/accounts/{id}"), Some(json!({"credit_limit": 10}))).await;
            r.assert_problem(403, "forbidden");
        }
        let r = send(ctx, Some("sam;support"), "GET", &format!("/v1/accounts/{id}"), None).await;
        assert_eq!(r.status, 404, "support staff are not the owner and have no bypass");
    }

    /// API7 Server side request forgery: nothing a client sends makes the
    /// service fetch a URL; key sets come only from configured issuers,
    /// and a discovery document naming another issuer is refused
    /// (`auth.rs`). Here: URLs in input are stored as text, never fetched.
    async fn api7_server_side_request_forgery(ctx: &Ctx) {
        let r = send(ctx, Some("ana"), "POST", "/v1/accounts", Some(json!({"name": "http://169.254.169.254/"}))).await;
        assert_eq!(r.status, 201);
        assert_eq!(r.json["name"], "http://169.254.169.254/");
    }

    /// API8 Security misconfiguration: nosniff everywhere, private caching
    /// of caller-dependent answers, problem bodies without internals (more
    /// in `surface.rs`: CORS, introspection, the development issuer).
    async fn api8_security_misconfiguration(ctx: &Ctx) {
        let id = account(ctx, "ana", "a").await;
        let r = send(ctx, Some("ana"), "GET", &format!("/v1/accounts/{id}"), None).await;
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("cache-control"), Some("private, no-cache"));
        let r = send(ctx, Some("ana"), "GET", "/v1/accounts?bogus[zz]=1", None).await;
        r.assert_problem(400, "bad-query");
        let body = String::from_utf8_lossy(&r.raw);
        assert!(!body.contains("sqlx") && !body.contains("SELECT"), "{body}");
    }

    /// API9 Improper inventory management: every route is in the document
    /// with who may call it (`openapi.rs` checks every documented route
    /// answers); an undocumented path is 404.
    async fn api9_improper_inventory_management(ctx: &Ctx) {
        let doc = send(ctx, None, "GET", "/openapi.json", None).await.json;
        for path in ["/v1/accounts", "/v1/accounts/{id}", "/v1/plans", "/v1/plans/{id}", "/graphql"] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        assert_eq!(doc["paths"]["/v1/plans"]["post"]["security"], json!([{"bearer": ["role:admin"]}]));
        send(ctx, Some("ana"), "GET", "/v2/accounts", None).await.assert_problem(404, "not-found");
        send(ctx, Some("ana"), "GET", "/internal/debug", None).await.assert_problem(404, "not-found");
    }

    /// API10 Unsafe consumption of APIs: what the service consumes (a
    /// token issuer's key sets) is checked: symmetric and encryption keys
    /// from a key set are never used, unknown algorithms are refused
    /// (`auth.rs`, `auth::keys`); here, a token is not taken on trust
    /// from a header other than `Authorization`.
    async fn api10_unsafe_consumption_of_apis(ctx: &Ctx) {
        let r = ctx
            .send(
                axum::http::Request::get("/v1/plans")
                    .header("x-forwarded-user", "root")
                    .header("x-user-roles", "admin")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        r.assert_problem(401, "unauthorized");
    }
}
