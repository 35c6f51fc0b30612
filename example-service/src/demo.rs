//! Optional demo data (`SEED_DEMO=1` or `--seed`), loaded through the same
//! validated create path the API uses.

use resourceful::{ApiResult, Server};
use serde_json::json;

/// Inserts a few projects, tasks and comments unless projects exist.
pub async fn seed(server: &Server) -> ApiResult<()> {
    let reg = &server.registry;
    let projects = reg.by_path("projects").expect("registered");
    let tasks = reg.by_path("tasks").expect("registered");
    let comments = reg.by_path("comments").expect("registered");
    let existing = projects
        .list(&resourceful::query::ListQuery::new(projects.model))
        .await?;
    if !existing.records.is_empty() {
        tracing::info!("demo data already present");
        return Ok(());
    }
    let p = projects
        .create(
            &[
                json!({"name": "Website relaunch", "key": "WEB", "visibility": "team", "due_on": "2027-03-31"}),
                json!({"name": "Mobile app", "key": "APP", "visibility": "public", "description": "React Native and Flutter clients"}),
                json!({"name": "Infrastructure", "key": "OPS", "visibility": "private"}),
            ],
            true,
        )
        .await?;
    let id = |i: usize| p[i][0].to_json();
    let mut items = Vec::new();
    for (n, (title, status, prio)) in [
        ("Design landing page", "done", 2),
        ("Write copy", "in_progress", 3),
        ("Set up analytics", "todo", 4),
        ("Accessibility audit", "blocked", 1),
        ("Offline mode", "todo", 2),
        ("Push notifications", "in_progress", 3),
        ("Kubernetes manifests", "done", 1),
        ("Alerting rules", "todo", 2),
    ]
    .into_iter()
    .enumerate()
    {
        items.push(json!({
            "title": title, "status": status, "done": status == "done", "priority": prio,
            "estimate_hours": (n as f64 + 1.0) * 1.5, "project_id": id(n % 3),
        }));
    }
    let t = tasks.create(&items, true).await?;
    comments
        .create(
            &[
                json!({"task_id": t[0][0].to_json(), "author": "ana", "body": "Looks great."}),
                json!({"task_id": t[1][0].to_json(), "author": "ben", "body": "First draft is in the doc."}),
            ],
            true,
        )
        .await?;
    tracing::info!(projects = p.len(), tasks = t.len(), "demo data loaded");
    Ok(())
}
