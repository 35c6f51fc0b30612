//! Test support: an isolated database per test, on SQLite or PostgreSQL.
//!
//! PostgreSQL tests each get their own schema (dropped by `cleanup`), so
//! they run in parallel against one server. The server comes from
//! `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).

use crate::store::{Db, PoolOptions};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub db: Db,
    pub url: String,
    pub backend: Backend,
    /// The PostgreSQL schema, or the SQLite file.
    pub isolation: String,
}

pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// A fresh SQLite file in the system temp directory.
    pub async fn sqlite() -> TestDb {
        let file = std::env::temp_dir().join(format!("{}.db", unique("rtest")));
        let url = format!("sqlite:{}", file.display());
        let db = Db::connect(&url, &PoolOptions::default())
            .await
            .expect("sqlite");
        TestDb {
            db,
            url,
            backend: Backend::Sqlite,
            isolation: file.display().to_string(),
        }
    }

    /// A fresh schema on the test PostgreSQL server. Panics (never skips)
    /// when the server is unreachable: a missing dependency is a failure.
    pub async fn postgres() -> TestDb {
        let url = postgres_url();
        let schema = unique("rtest");
        let admin = Db::connect(
            &url,
            &PoolOptions {
                max_connections: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} is required for this test: {e}"));
        admin
            .execute(&format!("CREATE SCHEMA \"{schema}\""), Vec::new())
            .await
            .expect("create schema");
        admin.close().await;
        let db = Db::connect(
            &url,
            &PoolOptions {
                max_connections: 8,
                schema: Some(schema.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("postgres");
        TestDb {
            db,
            url,
            backend: Backend::Postgres,
            isolation: schema,
        }
    }

    /// Drops the schema / removes the file.
    pub async fn cleanup(self) {
        self.db.close().await;
        match self.backend {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.isolation));
                }
            }
            Backend::Postgres => {
                if let Ok(admin) = Db::connect(
                    &self.url,
                    &PoolOptions {
                        max_connections: 1,
                        ..Default::default()
                    },
                )
                .await
                {
                    let _ = admin
                        .execute(
                            &format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.isolation),
                            Vec::new(),
                        )
                        .await;
                    admin.close().await;
                }
            }
        }
    }
}
