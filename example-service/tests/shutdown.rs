//! Graceful shutdown: a request in flight when shutdown begins completes;
//! new connections are refused afterwards.

use resourceful::Config;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.database_url = format!("sqlite:{}", dir.path().join("t.db").display());
    config.shutdown_timeout = Duration::from_secs(5);
    let server = example_service::app(config).build().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.serve_on(listener, async {
        let _ = rx.await;
    }));

    // A large bulk create keeps the server busy while shutdown starts.
    let items: Vec<_> = (0..1000).map(|i| serde_json::json!({"name": format!("p{i}"), "key": format!("K{i}"), "visibility": "team"})).collect();
    let client = reqwest::Client::new();
    let req = client
        .post(format!("http://{addr}/v1/projects"))
        .json(&items)
        .send();
    let (res, _) = tokio::join!(req, async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        let _ = tx.send(());
    });
    assert_eq!(
        res.unwrap().status(),
        201,
        "the in-flight request completed"
    );
    tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .expect("server stopped")
        .unwrap()
        .unwrap();
    assert!(
        reqwest::get(format!("http://{addr}/health/live"))
            .await
            .is_err(),
        "no longer accepting"
    );
}
