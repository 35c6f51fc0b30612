//! One shared Redis connection (multiplexed, reconnecting), with a bounded
//! wait on every command so a dead Redis never hangs a request.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub struct RedisHandle {
    client: redis::Client,
    conn: Mutex<Option<ConnectionManager>>,
    last_attempt: std::sync::Mutex<Option<Instant>>,
    pub timeout: Duration,
    pub prefix: String,
}

/// Why Redis could not answer.
#[derive(Debug, thiserror::Error)]
pub enum RedisFailure {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("redis is unreachable; next connection attempt shortly")]
    Backoff,
}

impl RedisHandle {
    pub fn new(url: &str, timeout: Duration, prefix: &str) -> Result<Arc<Self>, redis::RedisError> {
        Ok(Arc::new(RedisHandle {
            client: redis::Client::open(url)?,
            conn: Mutex::new(None),
            last_attempt: std::sync::Mutex::new(None),
            timeout,
            prefix: prefix.to_string(),
        }))
    }

    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The connection, connecting at most once per second while Redis is down.
    pub async fn conn(&self) -> Result<ConnectionManager, RedisFailure> {
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        {
            let mut last = self.last_attempt.lock().expect("lock");
            if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
                return Err(RedisFailure::Backoff);
            }
            *last = Some(Instant::now());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(1);
        let c = tokio::time::timeout(
            self.timeout * 2,
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .map_err(|_| RedisFailure::Timeout(self.timeout * 2))??;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// Runs `f` with a connection, bounded by the timeout; failures are
    /// counted in `redis_errors_total{operation}`.
    pub async fn run<T, F, Fut>(&self, operation: &'static str, f: F) -> Result<T, RedisFailure>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let res = async {
            let conn = self.conn().await?;
            match tokio::time::timeout(self.timeout, f(conn)).await {
                Ok(r) => r.map_err(RedisFailure::from),
                Err(_) => Err(RedisFailure::Timeout(self.timeout)),
            }
        }
        .await;
        if res.is_err() {
            metrics::counter!(crate::observe::names::REDIS_ERRORS, "operation" => operation)
                .increment(1);
        }
        res
    }

    pub async fn ping(&self) -> Result<(), RedisFailure> {
        self.run("ping", |mut c| async move {
            redis::cmd("PING")
                .query_async::<String>(&mut c)
                .await
                .map(|_| ())
        })
        .await
    }
}
