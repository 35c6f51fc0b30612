//! One request, one trace: an internal error's log line carries the
//! request id its 500 answers with. Its own test binary, because the
//! subscriber it installs is process-wide.

mod support;

use axum::routing::get;
use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config};
use std::sync::{Arc, Mutex};
use support::Ctx;

async fn boom() -> ApiResult<&'static str> {
    Err(ApiError::internal("the custom route failed on purpose"))
}

/// Log lines written while a test runs, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_error_logs_the_request_id_it_answers_with() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let app = App::new(Config::default())
        .resource::<support::Project>()
        .route("/v1/boom", get(boom));
    let ctx = Ctx::from_app(Backend::Sqlite, app).await;
    let r = ctx.get("/v1/boom").await;
    r.assert_problem(500, "internal");
    let id = r.header("x-request-id").unwrap().to_string();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("internal error"))
        .unwrap_or_else(|| panic!("no error line in\n{text}"));
    assert!(line.contains(&format!("request_id={id}")), "{line}");
    assert!(
        line.contains("route=/v1/boom") && line.contains("method=GET"),
        "{line}"
    );
    assert!(
        line.contains("the custom route failed on purpose"),
        "{line}"
    );
    assert!(
        !r.raw.windows(7).any(|w| w == b"purpose"),
        "the cause is logged, not sent"
    );
    ctx.cleanup().await;
}
