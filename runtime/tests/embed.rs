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
    let ours = ctx.get("/metrics").await;
    assert_eq!(ours.status, 200);
    assert!(String::from_utf8(ours.raw)
        .unwrap()
        .contains("http_requests_total"));
    let theirs = host.render();
    assert!(
        theirs.contains("db_query_duration_seconds"),
        "the host's exporter sees the runtime's metrics:\n{theirs}"
    );
    ctx.cleanup().await;
}
