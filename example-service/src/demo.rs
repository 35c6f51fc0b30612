//! Optional demo data (`SEED_DEMO=1` or `--seed`), written with typed
//! access: the same validated path (and hooks) the API uses, in one
//! transaction.

use crate::resources::*;
use chrono::NaiveDate;
use resourceful::{ApiResult, Principal, Server};

/// Inserts a few projects, tasks and comments unless projects exist.
pub async fn seed(server: &Server) -> ApiResult<()> {
    let api = server.api();
    if !api.of::<Project>().list().limit(1).await?.items.is_empty() {
        tracing::info!("demo data already present");
        return Ok(());
    }
    let project =
        |name: &str, key: &str, visibility, description: Option<&str>, deadline| ProjectCreate {
            name: name.into(),
            key: key.into(),
            description: description.map(Into::into),
            visibility,
            deadline,
            color: None,
        };
    let mut tx = api.begin().await?;
    let projects = tx
        .of::<Project>()
        .create_many(vec![
            project(
                "Website relaunch",
                "web",
                Visibility::Team,
                None,
                NaiveDate::from_ymd_opt(2027, 3, 31),
            ),
            project(
                "Mobile app",
                "app",
                Visibility::Public,
                Some("React Native and Flutter clients"),
                None,
            ),
            project("Infrastructure", "ops", Visibility::Private, None, None),
        ])
        .await?;
    let mut items = Vec::new();
    for (n, (title, status, priority)) in [
        ("Design landing page", TaskStatus::Done, 2),
        ("Write copy", TaskStatus::InProgress, 3),
        ("Set up analytics", TaskStatus::Todo, 4),
        ("Accessibility audit", TaskStatus::Blocked, 1),
        ("Offline mode", TaskStatus::Todo, 2),
        ("Push notifications", TaskStatus::InProgress, 3),
        ("Kubernetes manifests", TaskStatus::Done, 1),
        ("Alerting rules", TaskStatus::Todo, 2),
    ]
    .into_iter()
    .enumerate()
    {
        items.push(TaskCreate {
            title: title.into(),
            notes: None,
            status,
            done: false, // the task rules derive it from the status
            priority,
            estimate_hours: Some((n as f64 + 1.0) * 1.5),
            project_id: projects[n % 3].id,
            due_at: None,
        });
    }
    let tasks = tx.of::<Task>().create_many(items).await?;
    // A comment's author is whoever writes it: act as each one.
    for (task, author, body) in [
        (&tasks[0], "ana", "Looks great."),
        (&tasks[1], "ben", "First draft is in the doc."),
    ] {
        tx.acting_as(Principal::new(author))
            .of::<Comment>()
            .create(CommentCreate {
                task_id: task.id,
                body: body.into(),
            })
            .await?;
    }
    tx.commit().await?;
    tracing::info!(
        projects = projects.len(),
        tasks = tasks.len(),
        "demo data loaded"
    );
    Ok(())
}
