//! Runs the real `example-service` binary as a user would: on SQLite with
//! no other service and no identity provider (the development issuer
//! mints tokens), then stops it with SIGTERM.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn serves_on_sqlite_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_example-service"))
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("PORT", port.to_string())
        .env("SEED_DEMO", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/health/ready")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "service did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The default database is a local SQLite file, created on first run.
    assert!(dir.path().join("resourceful.db").exists());
    // Reads need a caller; the development issuer makes one.
    let anonymous = client.get(format!("{base}/v1/tasks")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let token: serde_json::Value = client
        .post(format!("{base}/dev/token"))
        .json(&serde_json::json!({"sub": "tester", "roles": ["editor"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();
    let tasks: serde_json::Value = client
        .get(format!("{base}/v1/tasks?sort=title"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        tasks["items"].as_array().unwrap().len(),
        8,
        "demo data: {tasks}"
    );
    let created = client
        .post(format!("{base}/v1/projects"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"name": "From the test", "key": "TST", "visibility": "team"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let mark: serde_json::Value = client
        .post(format!("{base}/v1/bookmarks"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"task_id": tasks["items"][0]["id"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mark["owner"], "tester", "{mark}");

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
}
