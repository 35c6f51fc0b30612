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

    /// A new pool on the same database, for reading what a stopped
    /// server (whose pool is closed) left behind.
    pub async fn reopen(&self) -> Db {
        let opts = match self.backend {
            Backend::Sqlite => PoolOptions::default(),
            Backend::Postgres => PoolOptions {
                max_connections: 2,
                schema: Some(self.isolation.clone()),
                ..Default::default()
            },
        };
        Db::connect(&self.url, &opts).await.expect("reopen")
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

/// The bodies of the fuzz targets in `fuzz/` (cargo-fuzz), also run
/// bounded by the test suite: each takes arbitrary bytes and checks that a
/// parser either accepts them into something usable or refuses them with
/// a client problem, never panics.
pub mod fuzz {
    use crate::input::{self, Mode};
    use crate::model::ResourceModel;
    use crate::query::{parse_rest_query, Cursor, ListQuery};
    use crate::store::sql::ResourceSql;
    use crate::store::Dialect;
    use axum::http::StatusCode;

    /// The REST list grammar: filters, sort, limit, cursor, offset.
    pub fn query_string(model: &'static ResourceModel, data: &[u8]) {
        let Ok(raw) = std::str::from_utf8(data) else {
            return;
        };
        match parse_rest_query(model, Some(raw)) {
            Ok(q) => {
                assert!(q.limit >= 1 && q.limit <= model.max_page_size);
                // Whatever parses builds a statement on both dialects.
                for d in [Dialect::Sqlite, Dialect::Postgres] {
                    let (sql, _) = ResourceSql::new(model, d).list(&q);
                    assert!(sql.starts_with("SELECT"));
                }
            }
            Err(e) => {
                assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{raw:?}: {}", e.detail);
                assert!(!e.errors.is_empty(), "{raw:?}: every problem is named");
            }
        }
    }

    /// Cursor tokens: decoded only when they are the server's own.
    pub fn cursor(model: &'static ResourceModel, data: &[u8]) {
        let Ok(token) = std::str::from_utf8(data) else {
            return;
        };
        let q = ListQuery::new(model);
        if let Ok(c) = Cursor::decode(model, &q, token) {
            // A token that decodes re-encodes to one that decodes the same.
            let again = Cursor::decode(model, &q, &c.encode(model, &q)).expect("round trip");
            assert_eq!(again.values, c.values);
        }
    }

    /// JSON bodies for create, replace and patch.
    pub fn json_input(model: &'static ResourceModel, data: &[u8]) {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
            return;
        };
        for mode in [Mode::Create, Mode::Replace, Mode::Patch] {
            match input::to_record(model, &body, mode, None, "") {
                Ok(rec) => assert_eq!(rec.len(), model.fields.len()),
                Err(problems) => assert!(!problems.is_empty()),
            }
        }
    }
}
