//! A route of the example's own: a project summary computed through typed
//! access, documented in the OpenAPI document with utoipa.

use crate::resources::{Project, Task, TaskFilter, TaskStatus};
use axum::extract::Path;
use axum::Json;
use resourceful::{Api, ApiError, ApiResult};
use serde::Serialize;
use std::collections::BTreeMap;

/// A project and how many of its tasks are in each status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProjectSummary {
    pub project_id: i64,
    pub name: String,
    pub tasks: u64,
    /// Task count per status (`todo`, `in_progress`, `blocked`, `done`).
    pub by_status: BTreeMap<String, u64>,
    /// Estimated hours of the tasks not done yet.
    pub open_estimate_hours: f64,
}

/// Task counts by status for one project.
#[utoipa::path(
    get,
    path = "/v1/projects/{id}/summary",
    tag = "Project",
    params(("id" = i64, Path, description = "The project's id.")),
    responses(
        (status = 200, description = "The summary", body = ProjectSummary),
        (status = 400, description = "The id is not an integer", content_type = "application/problem+json"),
        (status = 404, description = "No such project", content_type = "application/problem+json"),
    )
)]
pub async fn project_summary(api: Api, Path(id): Path<i64>) -> ApiResult<Json<ProjectSummary>> {
    let project = api
        .of::<Project>()
        .get(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no Project with id {id}")))?;
    let mut by_status: BTreeMap<String, u64> = [
        TaskStatus::Todo,
        TaskStatus::InProgress,
        TaskStatus::Blocked,
        TaskStatus::Done,
    ]
    .iter()
    .map(|s| (resourceful::ApiEnum::as_str(s).to_string(), 0))
    .collect();
    let (mut tasks, mut open_estimate_hours) = (0, 0.0);
    let mut cursor = None;
    loop {
        let filter = TaskFilter {
            project_id: Some(id),
            ..Default::default()
        };
        let mut list = api.of::<Task>().list().filter(filter).limit(500);
        if let Some(c) = cursor.take() {
            list = list.cursor(c);
        }
        let page = list.await?;
        for t in &page.items {
            tasks += 1;
            *by_status
                .entry(resourceful::ApiEnum::as_str(&t.status).to_string())
                .or_default() += 1;
            if !t.done {
                open_estimate_hours += t.estimate_hours.unwrap_or(0.0);
            }
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok(Json(ProjectSummary {
        project_id: project.id,
        name: project.name,
        tasks,
        by_status,
        open_estimate_hours,
    }))
}

/// The example's own paths for the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(project_summary), components(schemas(ProjectSummary)))]
pub struct Docs;
