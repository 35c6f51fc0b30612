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
    // A handler that says when it has started, then takes its time: the
    // shutdown begins while it is certainly in flight.
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
    let started_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(started_tx)));
    let slow = axum::routing::post(move || {
        if let Some(tx) = started_tx.lock().unwrap().take() {
            let _ = tx.send(());
        }
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            (axum::http::StatusCode::CREATED, "done")
        }
    });
    let server = example_service::app(config)
        .route("/v1/slow", slow)
        .build()
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.serve_on(listener, async {
        let _ = rx.await;
    }));

    let client = reqwest::Client::new();
    let req = client.post(format!("http://{addr}/v1/slow")).send();
    let (res, _) = tokio::join!(req, async {
        started_rx.await.expect("the handler started");
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
