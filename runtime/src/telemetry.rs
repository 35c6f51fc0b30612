//! Logging set-up: readable in a terminal, JSON in production.

use crate::config::Config;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (`RUST_LOG` filters; default `info`).
/// Safe to call twice: the second call is a no-op.
pub fn init(config: &Config) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if config.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
