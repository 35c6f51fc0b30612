//! The benches' data set: projects and tasks created through the
//! example's REST API (bulk `POST /v1/tasks`).

use crate::services::Service;

pub const PROJECTS: i64 = 5;
pub const TASKS_PER_PROJECT: i64 = 200;

/// Creates `PROJECTS` projects with `TASKS_PER_PROJECT` tasks each and
/// returns the (contiguous) task and project id ranges.
pub async fn seed(client: &reqwest::Client, svc: &Service) -> ((i64, i64), (i64, i64)) {
    let base = format!("http://{}", svc.addr);
    let mut pids = Vec::new();
    for p in 0..PROJECTS {
        pids.push(create_project(client, &base, p).await);
    }
    let mut ids = Vec::new();
    for (pn, pid) in pids.iter().enumerate() {
        ids.extend(create_tasks(client, &base, pn, *pid).await);
    }
    ids.sort();
    let (lo, hi) = (ids[0], *ids.last().unwrap());
    assert_eq!(
        hi - lo + 1,
        ids.len() as i64,
        "seeded task ids are contiguous"
    );
    let (plo, phi) = (*pids.iter().min().unwrap(), *pids.iter().max().unwrap());
    assert_eq!(phi - plo + 1, PROJECTS, "seeded project ids are contiguous");
    ((lo, hi), (plo, phi))
}

async fn create_project(client: &reqwest::Client, base: &str, p: i64) -> i64 {
    let visibility = ["private", "team", "public"][p as usize % 3];
    let body = serde_json::json!({
        "name": format!("Benchmark project {p}"),
        "key": format!("BP{p}"),
        "description": "Seeded by the HTTP benchmark.",
        "visibility": visibility,
    });
    let r = client
        .post(format!("{base}/v1/projects"))
        .json(&body)
        .send()
        .await
        .expect("create project");
    assert_eq!(
        r.status(),
        201,
        "create project: {}",
        r.text().await.unwrap_or_default()
    );
    let v: serde_json::Value = r.json().await.expect("json");
    v["id"].as_i64().expect("project id")
}

async fn create_tasks(client: &reqwest::Client, base: &str, pn: usize, pid: i64) -> Vec<i64> {
    let statuses = ["todo", "in_progress", "blocked", "done"];
    let items: Vec<serde_json::Value> = (0..TASKS_PER_PROJECT)
        .map(|n| {
            let status = statuses[(n as usize + pn) % 4];
            serde_json::json!({
                "title": format!("Task {n} of project {pn}: measure and improve the hot path"),
                "notes": if n % 2 == 0 { serde_json::Value::from("Seeded for the benchmark; notes on every other task.") } else { serde_json::Value::Null },
                "status": status,
                "done": status == "done",
                "priority": 1 + n % 5,
                "estimate_hours": if n % 3 == 0 { serde_json::Value::Null } else { serde_json::Value::from((n % 40) as f64 * 0.5) },
                "project_id": pid,
                "due_at": if n % 4 == 0 { serde_json::Value::from("2026-12-31T17:00:00Z") } else { serde_json::Value::Null },
            })
        })
        .collect();
    let r = client
        .post(format!("{base}/v1/tasks"))
        .json(&items)
        .send()
        .await
        .expect("create tasks");
    assert_eq!(
        r.status(),
        201,
        "create tasks: {}",
        r.text().await.unwrap_or_default()
    );
    let v: Vec<serde_json::Value> = r.json().await.expect("json");
    v.iter()
        .map(|t| t["id"].as_i64().expect("task id"))
        .collect()
}
