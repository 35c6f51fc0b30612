//! Storage: SQLite (embedded default) or PostgreSQL, through sqlx.
//!
//! The only backend-specific code is here and in `codec`: binding a
//! [`Value`] and decoding a row. SQL text comes from [`sql`], built once
//! per resource at start-up.

mod codec;
pub mod schema;
pub mod sql;

use crate::model::{FieldType, ResourceModel};
use crate::value::{Record, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// SQL flavour, for the few places where the text differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A bound parameter: the value and the column kind it goes into (needed to
/// type NULLs and integer widths for PostgreSQL).
pub type Param = (Value, FieldType);

#[derive(Clone)]
pub struct Db {
    inner: Arc<DbInner>,
}

enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

struct DbInner {
    pool: Pool,
    /// SQLite has one writer; taking turns here avoids `SQLITE_BUSY` when a
    /// read-then-write transaction races another writer.
    write_lock: Option<Arc<tokio::sync::Mutex<()>>>,
    statements: AtomicU64,
}

/// Pool settings from configuration.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// PostgreSQL `search_path` (tests isolate themselves in a schema).
    pub schema: Option<String>,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions { max_connections: 16, acquire_timeout: Duration::from_secs(5), schema: None }
    }
}

impl Db {
    /// Connects to `url`: `postgres://…` / `postgresql://…`, or `sqlite:…`
    /// (the file is created if missing).
    pub async fn connect(url: &str, opts: &PoolOptions) -> Result<Db, sqlx::Error> {
        let (pool, write_lock) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut co = PgConnectOptions::from_str(url)?;
            if let Some(schema) = &opts.schema {
                co = co.options([("search_path", schema.as_str())]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(co)
                .await?;
            (Pool::Postgres(pool), None)
        } else if url.starts_with("sqlite:") {
            let co = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(opts.max_connections.max(1))
                .acquire_timeout(opts.acquire_timeout)
                .connect_with(co)
                .await?;
            (Pool::Sqlite(pool), Some(Arc::new(tokio::sync::Mutex::new(()))))
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported DATABASE_URL scheme in {url:?}; use sqlite:… or postgres://…").into(),
            ));
        };
        Ok(Db { inner: Arc::new(DbInner { pool, write_lock, statements: AtomicU64::new(0) }) })
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner.pool {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Statements executed so far (tests use it to prove batching).
    pub fn statement_count(&self) -> u64 {
        self.inner.statements.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.inner.statements.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs a query returning rows of `model`.
    pub async fn fetch(&self, model: &'static ResourceModel, sql: &str, params: Vec<Param>) -> Result<Vec<Record>, sqlx::Error> {
        self.count();
        match &self.inner.pool {
            Pool::Sqlite(p) => codec::sqlite_fetch(p, model, sql, params).await,
            Pool::Postgres(p) => codec::pg_fetch(p, model, sql, params).await,
        }
    }

    /// Runs a statement (DDL, deletes) and returns the affected row count.
    pub async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64, sqlx::Error> {
        self.count();
        match &self.inner.pool {
            Pool::Sqlite(p) => codec::sqlite_execute(p, sql, params).await,
            Pool::Postgres(p) => codec::pg_execute(p, sql, params).await,
        }
    }

    /// A cheap round trip for health checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.execute("SELECT 1", Vec::new()).await.map(|_| ())
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let guard = match &self.inner.write_lock {
            Some(l) => Some(l.clone().lock_owned().await),
            None => None,
        };
        self.count();
        let inner = match &self.inner.pool {
            // IMMEDIATE takes the write lock up front: a deferred transaction
            // that reads first can fail with SQLITE_BUSY when it upgrades.
            Pool::Sqlite(p) => TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        Ok(Tx { inner, db: self.clone(), _guard: guard })
    }

    /// Pool gauges: (size, idle).
    pub fn pool_state(&self) -> (u32, usize) {
        match &self.inner.pool {
            Pool::Sqlite(p) => (p.size(), p.num_idle()),
            Pool::Postgres(p) => (p.size(), p.num_idle()),
        }
    }

    pub async fn close(&self) {
        match &self.inner.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }
}

/// A transaction; dropped without `commit` it rolls back.
pub struct Tx {
    inner: TxInner,
    db: Db,
    _guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    pub async fn fetch(&mut self, model: &'static ResourceModel, sql: &str, params: Vec<Param>) -> Result<Vec<Record>, sqlx::Error> {
        self.db.count();
        match &mut self.inner {
            TxInner::Sqlite(t) => codec::sqlite_fetch(&mut **t, model, sql, params).await,
            TxInner::Postgres(t) => codec::pg_fetch(&mut **t, model, sql, params).await,
        }
    }

    pub async fn execute(&mut self, sql: &str, params: Vec<Param>) -> Result<u64, sqlx::Error> {
        self.db.count();
        match &mut self.inner {
            TxInner::Sqlite(t) => codec::sqlite_execute(&mut **t, sql, params).await,
            TxInner::Postgres(t) => codec::pg_execute(&mut **t, sql, params).await,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.db.count();
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await,
            TxInner::Postgres(t) => t.commit().await,
        }
    }
}
