//! Shared fixtures: three related resources and an in-process client.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Utc};
use resourceful::prelude::*;
use resourceful::testing::{Backend, TestDb};
use resourceful::{App, Config, Server};
use tower::ServiceExt;

#[api_enum]
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status {
    Todo,
    InProgress,
    Done,
}

/// A project groups tasks.
#[api_resource(path = "projects")]
#[derive(Debug, Clone)]
pub struct Project {
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, unique, length(min = 1, max = 100))]
    pub name: String,
    pub description: Option<String>,
    #[api(created_at, sort)]
    pub created_at: DateTime<Utc>,
}

/// A unit of work.
#[api_resource(path = "tasks", page_size = 5, max_page_size = 50)]
#[derive(Debug, Clone)]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, length(min = 1, max = 200))]
    pub title: String,
    #[api(filter)]
    pub done: bool,
    #[api(filter, sort, range(min = 1, max = 5))]
    pub priority: Option<i32>,
    #[api(filter)]
    pub status: Status,
    #[api(filter, relation = "projects")]
    pub project_id: i64,
    #[api(filter, sort)]
    pub due: Option<DateTime<Utc>>,
    #[api(filter, pattern = "[A-Z]{2,5}-[0-9]+")]
    pub code: Option<String>,
    #[api(created_at, sort)]
    pub created_at: DateTime<Utc>,
    #[api(updated_at)]
    pub updated_at: DateTime<Utc>,
}

#[api_resource(path = "comments")]
#[derive(Debug, Clone)]
pub struct Comment {
    #[api(id)]
    pub id: uuid::Uuid,
    #[api(filter, relation(resource = "tasks", on_delete = "cascade"))]
    pub task_id: i64,
    #[api(length(min = 1))]
    pub body: String,
    #[api(filter)]
    pub score: Option<f64>,
}

pub fn app() -> App {
    App::new(Config::default())
        .resource::<Project>()
        .resource::<Task>()
        .resource::<Comment>()
}

pub struct Ctx {
    pub server: Server,
    pub router: Router,
    pub test_db: TestDb,
}

impl Ctx {
    pub async fn new(backend: Backend) -> Ctx {
        Self::with(backend, Config::default()).await
    }

    pub async fn with(backend: Backend, config: Config) -> Ctx {
        let test_db = TestDb::new(backend).await;
        let server = App::new(config)
            .resource::<Project>()
            .resource::<Task>()
            .resource::<Comment>()
            .build_with_db(test_db.db.clone())
            .await
            .expect("build");
        let router = server.router();
        Ctx {
            server,
            router,
            test_db,
        }
    }

    /// The whole stack of any app (own resources, hooks, routes).
    pub async fn from_app(backend: Backend, app: App) -> Ctx {
        let test_db = TestDb::new(backend).await;
        let server = app.build_with_db(test_db.db.clone()).await.expect("build");
        let router = server.router();
        Ctx {
            server,
            router,
            test_db,
        }
    }

    /// GraphQL `query` with `variables`: the whole response.
    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let r = self
            .post(
                "/graphql",
                serde_json::json!({ "query": query, "variables": variables }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.json);
        r.json
    }

    pub async fn cleanup(self) {
        self.test_db.cleanup().await;
    }

    pub fn statements(&self) -> u64 {
        self.test_db.db.statement_count()
    }

    /// Sends a request through the whole middleware stack, in process.
    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.expect("infallible");
        Resp::from_response(res.status(), res).await
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn json(&self, method: &str, uri: &str, body: serde_json::Value) -> Resp {
        self.send(
            Request::builder()
                .method(method)
                .uri(uri)
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn post(&self, uri: &str, body: serde_json::Value) -> Resp {
        self.json("POST", uri, body).await
    }

    /// Creates a project and returns its id.
    pub async fn project(&self, name: &str) -> i64 {
        let r = self
            .post("/v1/projects", serde_json::json!({ "name": name }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        r.json["id"].as_i64().unwrap()
    }

    /// Creates a task and returns its body.
    pub async fn task(
        &self,
        project: i64,
        title: &str,
        extra: serde_json::Value,
    ) -> serde_json::Value {
        let mut body = serde_json::json!({ "title": title, "done": false, "status": "todo", "project_id": project });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = self.post("/v1/tasks", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
        r.json
    }
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: serde_json::Value,
    pub raw: Vec<u8>,
}

impl Resp {
    pub async fn from_response(status: StatusCode, res: axum::response::Response) -> Resp {
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Resp {
            status,
            headers,
            json,
            raw: bytes.to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts a problem+json response with this status and type suffix.
    pub fn assert_problem(&self, status: u16, type_suffix: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.json);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let t = self.json["type"].as_str().unwrap_or_default();
        assert!(
            t.ends_with(type_suffix),
            "type {t} does not end with {type_suffix}"
        );
        assert_eq!(self.json["status"].as_u64(), Some(status as u64));
        assert!(self.json["title"].is_string());
    }
}

/// Declares async test bodies that each run on SQLite and on PostgreSQL:
/// `both_backends! { async fn name(ctx: &Ctx) { .. } }` → `name::sqlite`,
/// `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($ctx:ident : &Ctx) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use super::support::Ctx;
            async fn run($ctx: &Ctx) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let ctx = Ctx::new(resourceful::testing::Backend::Sqlite).await;
                run(&ctx).await;
                ctx.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let ctx = Ctx::new(resourceful::testing::Backend::Postgres).await;
                run(&ctx).await;
                ctx.cleanup().await;
            }
        }
    )*};
}

/// A caller named by `x-user: subject;role;role…` (tests only).
pub fn user_from_header(req: &axum::extract::Request) -> resourceful::identity::AuthResult {
    let Some(v) = req.headers().get("x-user").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let mut parts = v.split(';');
    let subject = parts.next().unwrap_or_default().to_string();
    Ok(Some(std::sync::Arc::new(
        resourceful::Principal::new(subject).with_roles(parts),
    )))
}

impl Ctx {
    /// A request as `user` (see [`user_from_header`]), with a JSON body.
    pub async fn send_as(
        &self,
        user: Option<&str>,
        method: &str,
        uri: &str,
        body: Option<serde_json::Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(uri);
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
        self.send(b.body(body).unwrap()).await
    }
}

/// Like [`both_backends!`], for the caller's own `app()`:
/// `on_both_app! { async fn name(ctx: &Ctx) { .. } }` → `name::sqlite`,
/// `name::postgres`, each on a fresh database with `app()` built on it.
#[macro_export]
macro_rules! on_both_app {
    ($($(#[doc = $doc:expr])* async fn $name:ident($ctx:ident : &Ctx) $body:block)*) => {$(
        $(#[doc = $doc])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($ctx: &super::support::Ctx) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let ctx = super::support::Ctx::from_app(resourceful::testing::Backend::Sqlite, app()).await;
                run(&ctx).await;
                ctx.cleanup().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let ctx = super::support::Ctx::from_app(resourceful::testing::Backend::Postgres, app()).await;
                run(&ctx).await;
                ctx.cleanup().await;
            }
        }
    )*};
}

/// A server on a loopback socket: `stop` starts its shutdown (so does
/// dropping it), `done` is how serving ended.
pub struct Serving {
    pub addr: std::net::SocketAddr,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub done: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves `server` on a free port of 127.0.0.1 until told to stop.
pub async fn serve(server: Server) -> Serving {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let done = tokio::spawn(server.serve_on(listener, async {
        let _ = rx.await;
    }));
    Serving { addr, stop, done }
}

/// The caller from `X-User: ana` or `X-User: ana;editor;admin` (subject,
/// then roles): a test double of the identity seam.
pub fn x_user(req: &axum::extract::Request) -> resourceful::identity::AuthResult {
    let Some(v) = req.headers().get("x-user").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let mut parts = v.split(';');
    let subject = parts.next().unwrap_or_default().to_string();
    Ok(Some(std::sync::Arc::new(
        resourceful::Principal::new(subject).with_roles(parts),
    )))
}
