//! The comparison point for the HTTP benchmark: the Task resource written
//! by hand with axum 0.8, sqlx and serde, as a user would without the
//! framework. One query per request, no cache, no middleware.
//!
//! `baseline` serves `/v1/tasks`, `/v1/tasks/{id}` and `/hello` on the
//! tables the example service created (found through `DATABASE_SCHEMA`,
//! the PostgreSQL `search_path`). `baseline --hello-only` serves only the
//! bare `/hello` JSON handler (no database): the ceiling for any axum app
//! on this machine.
//!
//! Environment: `PORT` (default 8090), `DATABASE_URL`, `DATABASE_SCHEMA`,
//! `DATABASE_MAX_CONNECTIONS` (default 16, like the example service),
//! `LISTEN_BACKLOG` (default 4096, like the example service).

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::net::SocketAddr;
use std::str::FromStr;

/// Same allocator as the example service, so the comparison is about code.
#[global_allocator]
static GLOBAL: resourceful::alloc::MiMalloc = resourceful::alloc::MiMalloc;

const COLUMNS: &str =
    "id, title, notes, status, done, priority, estimate_hours, project_id, due_at, created_at, updated_at";

#[derive(Serialize, sqlx::FromRow)]
struct Task {
    id: i64,
    title: String,
    notes: Option<String>,
    status: String,
    done: bool,
    priority: i32,
    estimate_hours: Option<f64>,
    project_id: i64,
    due_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTask {
    title: String,
    notes: Option<String>,
    status: String,
    done: bool,
    priority: i32,
    estimate_hours: Option<f64>,
    project_id: i64,
    due_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct ListParams {
    limit: Option<i64>,
    project_id: Option<i64>,
    /// The last id of the previous page.
    cursor: Option<i64>,
}

#[derive(Serialize)]
struct Page {
    items: Vec<Task>,
    next_cursor: Option<String>,
    limit: i64,
}

enum AppError {
    NotFound,
    Invalid(String),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Db(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, msg) = match self {
            AppError::NotFound => (StatusCode::NOT_FOUND, "not found".to_string()),
            AppError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            AppError::Db(e) => {
                eprintln!("database error: {e}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error".to_string(),
                )
            }
        };
        (status, Json(serde_json::json!({ "error": msg }))).into_response()
    }
}

async fn get_task(State(pool): State<PgPool>, Path(id): Path<i64>) -> Result<Json<Task>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM tasks WHERE id = $1");
    let task = sqlx::query_as::<_, Task>(&sql)
        .bind(id)
        .fetch_optional(&pool)
        .await?;
    task.map(Json).ok_or(AppError::NotFound)
}

async fn list_tasks(
    State(pool): State<PgPool>,
    Query(p): Query<ListParams>,
) -> Result<Json<Page>, AppError> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::Invalid("limit must be 1..=500".into()));
    }
    let mut sql = format!("SELECT {COLUMNS} FROM tasks WHERE TRUE");
    let mut n = 0;
    if p.project_id.is_some() {
        n += 1;
        sql.push_str(&format!(" AND project_id = ${n}"));
    }
    if p.cursor.is_some() {
        n += 1;
        sql.push_str(&format!(" AND id > ${n}"));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT ${}", n + 1));
    let mut q = sqlx::query_as::<_, Task>(&sql);
    if let Some(pid) = p.project_id {
        q = q.bind(pid);
    }
    if let Some(c) = p.cursor {
        q = q.bind(c);
    }
    let mut items = q.bind(limit + 1).fetch_all(&pool).await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|t| t.id.to_string())
    } else {
        None
    };
    Ok(Json(Page {
        items,
        next_cursor,
        limit,
    }))
}

async fn create_task(
    State(pool): State<PgPool>,
    Json(t): Json<NewTask>,
) -> Result<Response, AppError> {
    let title_len = t.title.chars().count();
    if !(1..=200).contains(&title_len) {
        return Err(AppError::Invalid(
            "title must be 1 to 200 characters".into(),
        ));
    }
    if !(1..=5).contains(&t.priority) {
        return Err(AppError::Invalid("priority must be 1 to 5".into()));
    }
    if !["todo", "in_progress", "blocked", "done"].contains(&t.status.as_str()) {
        return Err(AppError::Invalid("unknown status".into()));
    }
    if t.estimate_hours
        .is_some_and(|h| !(0.0..=1000.0).contains(&h))
    {
        return Err(AppError::Invalid("estimate_hours must be 0 to 1000".into()));
    }
    if t.notes.as_ref().is_some_and(|n| n.chars().count() > 10_000) {
        return Err(AppError::Invalid(
            "notes are at most 10000 characters".into(),
        ));
    }
    let now = Utc::now();
    let sql = format!(
        "INSERT INTO tasks (title, notes, status, done, priority, estimate_hours, project_id, due_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {COLUMNS}"
    );
    let task = sqlx::query_as::<_, Task>(&sql)
        .bind(&t.title)
        .bind(&t.notes)
        .bind(&t.status)
        .bind(t.done)
        .bind(t.priority)
        .bind(t.estimate_hours)
        .bind(t.project_id)
        .bind(t.due_at)
        .bind(now)
        .fetch_one(&pool)
        .await?;
    let location = HeaderValue::from_str(&format!("/v1/tasks/{}", task.id)).expect("ascii");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(task),
    )
        .into_response())
}

/// `PATCH /v1/tasks/{id}` with `{"notes": …}`: one `UPDATE … RETURNING`
/// in its own (implicit) transaction, the hand-written equivalent.
#[derive(Deserialize)]
struct NotesPatch {
    notes: Option<String>,
}

async fn update_task(
    State(pool): State<PgPool>,
    Path(id): Path<i64>,
    Json(p): Json<NotesPatch>,
) -> Result<Json<Task>, AppError> {
    if p.notes.as_ref().is_some_and(|n| n.chars().count() > 10_000) {
        return Err(AppError::Invalid(
            "notes are at most 10000 characters".into(),
        ));
    }
    let sql =
        format!("UPDATE tasks SET notes = $1, updated_at = $2 WHERE id = $3 RETURNING {COLUMNS}");
    let task = sqlx::query_as::<_, Task>(&sql)
        .bind(&p.notes)
        .bind(Utc::now())
        .bind(id)
        .fetch_optional(&pool)
        .await?;
    task.map(Json).ok_or(AppError::NotFound)
}

async fn hello() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "message": "hello, world" }))
}

/// A task-sized body (the bytes of one seeded task), served from memory:
/// the ceiling for a cached read of this size, without any framework.
async fn hello_task() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    const TASK: &str = r#"{"id":1,"title":"Seeded task 1","notes":null,"status":"todo","done":false,"priority":3,"estimate_hours":1.5,"project_id":1,"due_at":null,"created_at":"2026-11-23T13:14:28.509403Z","updated_at":"2026-11-23T13:14:28.509403Z"}"#;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        TASK,
    )
}

fn env_or<T: FromStr>(key: &str, default: T) -> T {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hello_only = std::env::args().any(|a| a == "--hello-only");
    let port: u16 = env_or("PORT", 8090);
    let app = if hello_only {
        Router::new()
            .route("/hello", get(hello))
            .route("/hello-task", get(hello_task))
    } else {
        let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is required")?;
        let mut opts = PgConnectOptions::from_str(&url)?;
        if let Ok(schema) = std::env::var("DATABASE_SCHEMA") {
            opts = opts.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(env_or("DATABASE_MAX_CONNECTIONS", 16))
            .connect_with(opts)
            .await?;
        Router::new()
            .route("/hello", get(hello))
            .route("/v1/tasks", get(list_tasks).post(create_task))
            .route("/v1/tasks/{id}", get(get_task).patch(update_task))
            .with_state(pool)
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // The same accept backlog as the example service (`LISTEN_BACKLOG`),
    // so thousands of connections opening at once compare like with like.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    let listener = socket.listen(env_or("LISTEN_BACKLOG", 4096))?;
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    eprintln!(
        "baseline listening on {addr}{}",
        if hello_only { " (hello only)" } else { "" }
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {},
                _ = tokio::signal::ctrl_c() => {},
            }
        })
        .await?;
    Ok(())
}
