//! A host application that installed its own metrics recorder and tracing
//! subscriber before building the app (its own test binary: both are
//! process-wide).

mod support;

use metrics_exporter_prometheus::PrometheusBuilder;
use resourceful::testing::Backend;
use support::Ctx;

#[tokio::test]
async fn the_runtime_records_into_the_hosts_recorder() {
    let host = PrometheusBuilder::new()
        .install_recorder()
        .expect("the host installs first");
    let _ = tracing_subscriber::fmt().try_init();
    resourceful::telemetry::init(&resourceful::Config::default()); // no panic, no takeover
    let ctx = Ctx::new(Backend::Sqlite).await;
    let p = ctx.project("Embedded").await;
    assert_eq!(ctx.get(&format!("/v1/projects/{p}")).await.status, 200);
    // The host's exporter serves the metrics, not the app.
    ctx.get("/metrics").await.assert_problem(404, "not-found");
    let theirs = host.render();
    for family in [
        "db_query_duration_seconds",
        // The host chose summaries: its exporter, its format.
        "http_request_duration_seconds{route=\"/v1/projects/{id}\",method=\"GET\",status_class=\"2xx\"",
        "http_response_size_bytes",
    ] {
        assert!(
            theirs.contains(family),
            "the host's exporter sees {family}:\n{theirs}"
        );
    }
    // Counters reach the recorder once a second.
    let counted = "http_requests_total{route=\"/v1/projects/{id}\",method=\"GET\",status_class=\"2xx\",resource=\"projects\"} 1";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !host.render().contains(counted) {
        assert!(
            std::time::Instant::now() < deadline,
            "no {counted} in\n{}",
            host.render()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    ctx.cleanup().await;
}
