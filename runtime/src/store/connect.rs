//! Start-up against a database that is not there yet: an orchestrator may
//! start the service before the database, or the database may be
//! restarting. Waiting (with a line per attempt that says why) beats a
//! crash loop whose reason is lost; a mistake that waiting cannot fix (a
//! bad URL, a refused password, a missing database) fails at once.

use super::{Db, PoolOptions};
use std::time::{Duration, Instant};

/// The database did not answer within the start-up timeout.
#[derive(Debug, thiserror::Error)]
#[error(
    "the database at {url} did not answer within {waited:?} ({attempts} attempts; last error: {last}); \
     check DATABASE_URL and that the server is reachable, or wait longer with DATABASE_CONNECT_TIMEOUT_SECS"
)]
pub struct Unreachable {
    pub url: String,
    pub waited: Duration,
    pub attempts: u32,
    pub last: String,
}

/// `url` without its password, for logs and errors.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Whether waiting may help: the server is not reachable or not ready.
fn transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => true,
        // 57P03: the server is starting up; 08*: connection exceptions;
        // 53300: too many connections.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c == "57P03" || c.starts_with("08") || c == "53300"),
        _ => false,
    }
}

/// Connects, retrying transient failures with a capped backoff until
/// `timeout` has passed.
pub async fn with_retries(
    url: &str,
    opts: &PoolOptions,
    timeout: Duration,
) -> Result<Db, super::super::app::BuildError> {
    let started = Instant::now();
    let mut wait = Duration::from_millis(250);
    let mut attempts = 0;
    loop {
        attempts += 1;
        match Db::connect(url, opts).await {
            Ok(db) => {
                if attempts > 1 {
                    tracing::info!(url = %redacted(url), attempts, "database reachable");
                }
                return Ok(db);
            }
            Err(e) if transient(&e) && started.elapsed() + wait < timeout => {
                tracing::warn!(url = %redacted(url), attempt = attempts, error = %e, retry_in = ?wait, "database unreachable at start-up; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Err(e) if transient(&e) => {
                return Err(Unreachable {
                    url: redacted(url),
                    waited: started.elapsed(),
                    attempts,
                    last: e.to_string(),
                }
                .into())
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Connects, retrying transient failures for as long as it takes (capped
/// backoff, a line per attempt); `waiting` is told why after each failed
/// attempt. A failure waiting cannot fix is returned at once.
pub async fn until_reachable(
    url: &str,
    opts: &PoolOptions,
    waiting: impl Fn(String),
) -> Result<Db, sqlx::Error> {
    let started = Instant::now();
    let mut wait = Duration::from_millis(250);
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        match Db::connect(url, opts).await {
            Ok(db) => {
                if attempts > 1 {
                    tracing::info!(url = %redacted(url), attempts, waited = ?started.elapsed(), "database reachable");
                }
                return Ok(db);
            }
            Err(e) if transient(&e) => {
                let why = format!(
                    "the database at {} does not answer ({e}); waiting since {:.0} s, {attempts} attempts",
                    redacted(url),
                    started.elapsed().as_secs_f64()
                );
                tracing::warn!(url = %redacted(url), attempt = attempts, error = %e, retry_in = ?wait, "database unreachable; serving liveness only until it answers");
                waiting(why);
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redacted("postgres://app:s3cret@db:5432/prod"),
            "postgres://app@db:5432/prod"
        );
        assert_eq!(redacted("postgres://app@db/prod"), "postgres://app@db/prod");
        assert_eq!(redacted("sqlite:data.db"), "sqlite:data.db");
    }
}
