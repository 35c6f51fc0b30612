//! Observability: Prometheus metrics at `/metrics`, one access-log line per
//! request, and the traffic-spike signal.
//!
//! Metric names live in [`names`] and are documented in `docs/metrics.md`;
//! the Grafana dashboard and alert rules in `deploy/monitoring` use them.

pub mod middleware;
pub mod names;
pub mod request_id;
pub mod spike;
pub mod striped;

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Histogram buckets for request latency: sub-millisecond cached reads up
/// to the 10 s that no request should ever take.
pub(crate) const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.03, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0,
];
pub(crate) const SIZE_BUCKETS: &[f64] = &[
    64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0,
];

/// The runtime's Prometheus recorder and whether it is the process's (the
/// `metrics` facade has one global recorder, so every App in a process
/// shares it).
struct Recorder {
    handle: PrometheusHandle,
    installed: bool,
}

/// The runtime's recorder, installed on first use unless the host
/// application installed its own.
pub fn handle() -> &'static PrometheusHandle {
    &recorder().handle
}

fn recorder() -> &'static Recorder {
    static RECORDER: OnceLock<Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_bytes".into()), SIZE_BUCKETS))
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full(names::DB_ROWS.into()),
                    &[0.0, 1.0, 5.0, 10.0, 50.0, 100.0, 500.0],
                )
            })
            .expect("valid buckets")
            .build_recorder();
        let handle = recorder.handle();
        // A host application may have installed its own recorder: then the
        // runtime's metrics go to it (and its exporter), nothing panics,
        // and the host's exporter, not `/metrics`, serves them.
        let installed = metrics::set_global_recorder(recorder).is_ok();
        if !installed {
            tracing::warn!(
                "a metrics recorder was installed before the app; the runtime records into it and serves no /metrics"
            );
        }
        names::describe();
        // Striped counters reach the recorder (ours or the host's) once a
        // second; upkeep drains histogram samples so memory stays bounded.
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                for tick in 1u64.. {
                    std::thread::sleep(Duration::from_secs(1));
                    publish();
                    if tick % 5 == 0 {
                        upkeep.run_upkeep();
                    }
                }
            })
            .expect("spawn upkeep thread");
        Recorder { handle, installed }
    })
}

/// The exposition text of the runtime's own figures, when its recorder is
/// the process's (`None` when the host installed another).
pub fn render() -> Option<String> {
    let r = recorder();
    r.installed.then(|| {
        publish();
        r.handle.render()
    })
}

/// Hands the striped counters and the in-flight gauge to the recorder.
fn publish() {
    middleware::publish_in_flight();
    striped::publish();
}

/// `/metrics`, when the runtime's recorder is the process's.
pub fn router() -> Router {
    let Recorder {
        handle: h,
        installed,
    } = recorder();
    if !installed {
        return Router::new();
    }
    Router::new().route(
        "/metrics",
        get(move || async move {
            publish();
            let text = h.render();
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                )],
                text,
            )
                .into_response()
        }),
    )
}
