//! Storage: SQLite (embedded default) or PostgreSQL, through sqlx.
//!
//! The only backend-specific code is here and in `codec`: binding a
//! [`Value`] and decoding a row. SQL text comes from [`sql`], built once
//! per resource at start-up.

mod codec;
pub mod connect;
pub mod copy;
use codec::Columns;
pub mod idempotency;
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
    /// Resource write transactions committed (tests see group commits by it).
    commits: AtomicU64,
    waiters: AtomicU64,
    max_connections: u32,
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
        PoolOptions {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            schema: None,
        }
    }
}

impl Db {
    /// Connects to `url`: `postgres://…` / `postgresql://…`, or `sqlite:…`
    /// (the file is created if missing).
    pub async fn connect(url: &str, opts: &PoolOptions) -> Result<Db, sqlx::Error> {
        let (pool, write_lock) = if url.starts_with("postgres://")
            || url.starts_with("postgresql://")
        {
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
            (
                Pool::Sqlite(pool),
                Some(Arc::new(tokio::sync::Mutex::new(()))),
            )
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported DATABASE_URL scheme in {url:?}; use sqlite:… or postgres://…")
                    .into(),
            ));
        };
        Ok(Db {
            inner: Arc::new(DbInner {
                pool,
                write_lock,
                statements: AtomicU64::new(0),
                commits: AtomicU64::new(0),
                waiters: AtomicU64::new(0),
                max_connections: opts.max_connections,
            }),
        })
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

    /// Resource write transactions committed so far (tests use it to prove
    /// group commits; the audit writer's and migrations' are not counted).
    pub fn commit_count(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    pub(crate) fn count_write_commit(&self) {
        self.inner.commits.fetch_add(1, Ordering::Relaxed);
    }

    fn count(&self) {
        self.inner.statements.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs a query returning rows of `model`.
    pub async fn fetch(
        &self,
        model: &'static ResourceModel,
        sql: &str,
        params: Vec<Param>,
    ) -> Result<Vec<Record>, sqlx::Error> {
        self.fetch_columns(Columns::Model(model), sql, params).await
    }

    /// Runs a query on a table without a model (the runtime's own),
    /// decoding its columns as `types`.
    pub async fn fetch_typed(
        &self,
        types: &[FieldType],
        sql: &str,
        params: Vec<Param>,
    ) -> Result<Vec<Record>, sqlx::Error> {
        self.fetch_columns(Columns::Types(types), sql, params).await
    }

    async fn fetch_columns(
        &self,
        cols: Columns<'_>,
        sql: &str,
        params: Vec<Param>,
    ) -> Result<Vec<Record>, sqlx::Error> {
        self.count();
        match &self.inner.pool {
            Pool::Sqlite(p) => {
                let mut c = self.acquire(p.acquire()).await?;
                codec::sqlite_fetch(&mut *c, cols, sql, params).await
            }
            Pool::Postgres(p) => {
                let mut c = self.acquire(p.acquire()).await?;
                codec::pg_fetch(&mut *c, cols, sql, params).await
            }
        }
    }

    /// Runs a statement (DDL, deletes) and returns the affected row count.
    pub async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64, sqlx::Error> {
        self.count();
        match &self.inner.pool {
            Pool::Sqlite(p) => {
                let mut c = self.acquire(p.acquire()).await?;
                codec::sqlite_execute(&mut *c, sql, params).await
            }
            Pool::Postgres(p) => {
                let mut c = self.acquire(p.acquire()).await?;
                codec::pg_execute(&mut *c, sql, params).await
            }
        }
    }

    /// Acquires a pooled connection, measuring the wait and the waiters
    /// (sqlx does not expose either).
    async fn acquire<F: std::future::Future<Output = Result<T, sqlx::Error>>, T>(
        &self,
        f: F,
    ) -> Result<T, sqlx::Error> {
        struct Waiting<'a>(&'a AtomicU64);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.inner.waiters.fetch_add(1, Ordering::Relaxed);
        let _w = Waiting(&self.inner.waiters);
        let start = std::time::Instant::now();
        let c = f.await;
        metrics::histogram!(crate::observe::names::DB_POOL_ACQUIRE)
            .record(start.elapsed().as_secs_f64());
        c
    }

    /// Tasks currently waiting for a connection.
    pub fn waiters(&self) -> u64 {
        self.inner.waiters.load(Ordering::Relaxed)
    }

    pub fn max_connections(&self) -> u32 {
        self.inner.max_connections
    }

    /// Publishes pool gauges every second while the pool is open.
    pub fn start_pool_gauges(&self) {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { break };
                let db = Db { inner };
                let (size, idle) = db.pool_state();
                use crate::observe::names;
                metrics::gauge!(names::DB_POOL, "state" => "idle").set(idle as f64);
                metrics::gauge!(names::DB_POOL, "state" => "in_use")
                    .set(size.saturating_sub(idle as u32) as f64);
                metrics::gauge!(names::DB_POOL_MAX).set(db.max_connections() as f64);
                metrics::gauge!(names::DB_POOL_WAITERS).set(db.waiters() as f64);
            }
        });
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
            Pool::Sqlite(p) => {
                TxInner::Sqlite(self.acquire(p.begin_with("BEGIN IMMEDIATE")).await?)
            }
            Pool::Postgres(p) => TxInner::Postgres(self.acquire(p.begin()).await?),
        };
        Ok(Tx {
            inner,
            db: self.clone(),
            _guard: guard,
        })
    }

    /// Runs `statements` in order on one connection, outside any
    /// transaction the pool would open (a script that says BEGIN and
    /// COMMIT itself, such as a SQLite table rebuild with foreign keys
    /// off). On a failure the connection is rolled back and foreign keys
    /// switched on again before it returns to the pool.
    pub async fn run_script(&self, statements: &[String]) -> Result<(), sqlx::Error> {
        use sqlx::Executor;
        let _guard = match &self.inner.write_lock {
            Some(l) => Some(l.clone().lock_owned().await),
            None => None,
        };
        match &self.inner.pool {
            Pool::Sqlite(p) => {
                let mut c = self.acquire(p.acquire()).await?;
                for stmt in statements {
                    self.count();
                    // A rebuild checks its foreign keys before it commits;
                    // the check answers rows rather than failing.
                    let outcome = if stmt.trim().eq_ignore_ascii_case("PRAGMA foreign_key_check") {
                        match c.fetch_all(stmt.as_str()).await {
                            Ok(rows) if rows.is_empty() => Ok(()),
                            Ok(rows) => Err(sqlx::Error::Protocol(format!(
                                "{} rows break a foreign key after the rebuild; nothing was changed",
                                rows.len()
                            ))),
                            Err(e) => Err(e),
                        }
                    } else {
                        c.execute(stmt.as_str()).await.map(|_| ())
                    };
                    if let Err(e) = outcome {
                        let _ = c.execute("ROLLBACK").await;
                        let _ = c.execute("PRAGMA foreign_keys = ON").await;
                        return Err(e);
                    }
                }
            }
            Pool::Postgres(p) => {
                let mut c = self.acquire(p.acquire()).await?;
                for stmt in statements {
                    self.count();
                    if let Err(e) = c.execute(stmt.as_str()).await {
                        let _ = c.execute("ROLLBACK").await;
                        return Err(e);
                    }
                }
            }
        }
        Ok(())
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

    pub(crate) fn db(&self) -> &Db {
        &self.db
    }

    pub async fn fetch(
        &mut self,
        model: &'static ResourceModel,
        sql: &str,
        params: Vec<Param>,
    ) -> Result<Vec<Record>, sqlx::Error> {
        self.db.count();
        match &mut self.inner {
            TxInner::Sqlite(t) => {
                codec::sqlite_fetch(&mut **t, Columns::Model(model), sql, params).await
            }
            TxInner::Postgres(t) => {
                codec::pg_fetch(&mut **t, Columns::Model(model), sql, params).await
            }
        }
    }

    /// Like [`Db::fetch_typed`], inside the transaction.
    pub async fn fetch_typed(
        &mut self,
        types: &[FieldType],
        sql: &str,
        params: Vec<Param>,
    ) -> Result<Vec<Record>, sqlx::Error> {
        self.db.count();
        match &mut self.inner {
            TxInner::Sqlite(t) => {
                codec::sqlite_fetch(&mut **t, Columns::Types(types), sql, params).await
            }
            TxInner::Postgres(t) => {
                codec::pg_fetch(&mut **t, Columns::Types(types), sql, params).await
            }
        }
    }

    pub async fn execute(&mut self, sql: &str, params: Vec<Param>) -> Result<u64, sqlx::Error> {
        self.db.count();
        match &mut self.inner {
            TxInner::Sqlite(t) => codec::sqlite_execute(&mut **t, sql, params).await,
            TxInner::Postgres(t) => codec::pg_execute(&mut **t, sql, params).await,
        }
    }

    /// PostgreSQL only: `data` (rows made with [`copy::push_row`]) copied
    /// into `columns` of `table`; the number of rows copied.
    pub async fn copy_in(
        &mut self,
        table: &str,
        columns: &[&str],
        data: Vec<u8>,
    ) -> Result<u64, sqlx::Error> {
        self.db.count();
        match &mut self.inner {
            TxInner::Sqlite(_) => Err(sqlx::Error::Protocol(
                "COPY is PostgreSQL's; SQLite inserts rows".into(),
            )),
            TxInner::Postgres(t) => {
                let sql = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
                let mut copy = t.copy_in_raw(&sql).await?;
                copy.send(data).await?;
                copy.finish().await
            }
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
