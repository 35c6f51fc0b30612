//! The example domain: projects, their tasks, comments on tasks and each
//! caller's bookmarks.
//!
//! These declarations are the whole API: routes, GraphQL, OpenAPI and
//! (through `build.rs`) the client packages are derived from them, and so
//! are the permissions: projects and tasks are read by any signed-in
//! caller and written by editors; anyone signed in may comment, and only
//! a comment's author (or an admin) changes it; a bookmark is its owner's
//! alone.

use chrono::{DateTime, NaiveDate, Utc};
use resourceful::prelude::*;
use uuid::Uuid;

/// Where a task is in its life.
#[api_enum]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Todo,
    InProgress,
    Blocked,
    Done,
}

/// How visible a project is.
#[api_enum]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Private,
    Team,
    Public,
}

/// A project groups tasks.
///
/// Version 2 calls the planned end date `deadline` (v1: `due_on`) and adds
/// a badge `color`; v1 stays served, with its retirement announced, and
/// both read and write the same rows.
#[api_resource(
    path = "projects",
    version = 2,
    previous(v1(deprecated = "2026-12-01", sunset = "2027-06-30")),
    cache_ttl = "10m",
    // Projects change seldom: clients may reuse a read for 30 s.
    client_cache = "30s",
    access(read = "authenticated", write = "role:editor")
)]
#[derive(Debug, Clone)]
pub struct Project {
    #[api(id)]
    pub id: i64,
    /// Unique, human-readable name.
    #[api(filter, sort, unique, length(min = 1, max = 120))]
    pub name: String,
    /// Short project key used as a prefix in task codes, e.g. `WEB`.
    #[api(filter, unique, pattern = "[A-Z][A-Z0-9]{1,9}")]
    pub key: String,
    #[api(length(max = 2000))]
    pub description: Option<String>,
    #[api(filter)]
    pub visibility: Visibility,
    /// Planned end date.
    #[api(filter, sort, renamed_from = "due_on", name_in(v1 = "due_on"))]
    pub deadline: Option<NaiveDate>,
    /// The project's badge colour, `#rrggbb`.
    #[api(added_in = 2, pattern = "#[0-9a-f]{6}")]
    pub color: Option<String>,
    #[api(created_at, sort)]
    pub created_at: DateTime<Utc>,
    #[api(updated_at, sort)]
    pub updated_at: DateTime<Utc>,
}

/// A unit of work inside a project.
#[api_resource(
    path = "tasks",
    cache_ttl = "10m",
    access(read = "authenticated", write = "role:editor")
)]
#[derive(Debug, Clone)]
pub struct Task {
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, length(min = 1, max = 200))]
    pub title: String,
    #[api(length(max = 10000))]
    pub notes: Option<String>,
    #[api(filter, sort)]
    pub status: TaskStatus,
    #[api(filter)]
    pub done: bool,
    /// 1 (highest) to 5 (lowest).
    #[api(filter, sort, range(min = 1, max = 5))]
    pub priority: i32,
    /// Estimated effort in hours.
    #[api(filter, sort, range(min = 0, max = 1000))]
    pub estimate_hours: Option<f64>,
    #[api(filter, relation(resource = "projects", on_delete = "cascade"))]
    pub project_id: i64,
    #[api(filter, sort)]
    pub due_at: Option<DateTime<Utc>>,
    #[api(created_at, sort)]
    pub created_at: DateTime<Utc>,
    #[api(updated_at, sort)]
    pub updated_at: DateTime<Utc>,
}

/// A remark left on a task.
#[api_resource(
    path = "comments",
    page_size = 20,
    access(
        read = "authenticated",
        create = "authenticated",
        update = "owner | role:admin",
        delete = "owner | role:admin"
    )
)]
#[derive(Debug, Clone)]
pub struct Comment {
    #[api(id)]
    pub id: Uuid,
    #[api(filter, relation(resource = "tasks", on_delete = "cascade"))]
    pub task_id: i64,
    /// Who wrote it: the caller's subject, set by the server.
    #[api(owner, filter)]
    pub author: String,
    #[api(length(min = 1, max = 5000))]
    pub body: String,
    #[api(created_at, sort)]
    pub created_at: DateTime<Utc>,
}

/// A task a caller keeps at hand; nobody else sees it.
#[api_resource(path = "bookmarks", access(read = "owner", write = "owner"))]
#[derive(Debug, Clone)]
pub struct Bookmark {
    #[api(id)]
    pub id: i64,
    #[api(filter, relation(resource = "tasks", on_delete = "cascade"))]
    pub task_id: i64,
    /// Whose bookmark it is: the caller's subject, set by the server.
    #[api(owner)]
    pub owner: String,
    #[api(length(max = 500))]
    pub note: Option<String>,
    #[api(created_at, sort)]
    pub created_at: DateTime<Utc>,
}
