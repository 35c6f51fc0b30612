//! Applying migrations and knowing which are applied: the table
//! `resourceful_migrations` (version, name, checksum, when). PostgreSQL
//! replicas that start together take an advisory lock per migration and
//! look again inside it, so each migration is applied once.

use super::files::Migration;
use crate::model::FieldType;
use crate::store::{Db, Dialect, Param};
use crate::value::Value;

pub const TABLE: &str = "resourceful_migrations";
const LOCK: &str = "SELECT pg_advisory_xact_lock(7418820013)";

#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub version: i64,
    pub name: String,
    pub checksum: String,
    pub applied_at: String,
}

pub async fn ensure_table(db: &Db) -> Result<(), sqlx::Error> {
    db.execute(
        &format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (version BIGINT PRIMARY KEY, name TEXT NOT NULL, \
             checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"
        ),
        Vec::new(),
    )
    .await?;
    Ok(())
}

pub async fn table_exists(db: &Db) -> Result<bool, sqlx::Error> {
    Ok(super::live::table(db, TABLE).await?.is_some())
}

pub async fn applied(db: &Db) -> Result<Vec<Applied>, sqlx::Error> {
    let s = FieldType::String;
    let rows = db
        .fetch_typed(
            &[FieldType::I64, s, s, s],
            &format!("SELECT version, name, checksum, applied_at FROM {TABLE} ORDER BY version"),
            Vec::new(),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Applied {
            version: match r[0] {
                Value::Int(v) => v,
                _ => 0,
            },
            name: r[1].to_text(),
            checksum: r[2].to_text(),
            applied_at: r[3].to_text(),
        })
        .collect())
}

fn record_params(m: &Migration) -> Vec<Param> {
    vec![
        (Value::Int(m.version), FieldType::I64),
        (Value::Text(m.name.clone()), FieldType::String),
        (Value::Text(m.checksum()), FieldType::String),
        (Value::Text(crate::audit::now()), FieldType::String),
    ]
}

fn insert_sql(d: Dialect) -> String {
    let marks = match d {
        Dialect::Sqlite => "?, ?, ?, ?",
        Dialect::Postgres => "$1, $2, $3, $4",
    };
    format!("INSERT INTO {TABLE} (version, name, checksum, applied_at) VALUES ({marks})")
}

/// Records `m` as applied without running it: the schema was created from
/// models that already include it (a fresh database).
pub async fn baseline(db: &Db, m: &Migration) -> Result<(), sqlx::Error> {
    db.execute(&insert_sql(db.dialect()), record_params(m))
        .await?;
    Ok(())
}

/// Applies `m` once: returns false when another replica applied it first.
pub async fn apply(db: &Db, m: &Migration) -> Result<bool, sqlx::Error> {
    if m.own_transaction() {
        // Its script says BEGIN and COMMIT; SQLite has one writer, so no
        // other replica runs it meanwhile (the write lock is held).
        if is_applied(db, m.version).await? {
            return Ok(false);
        }
        db.run_script(&m.statements()).await?;
        db.execute(&insert_sql(db.dialect()), record_params(m))
            .await?;
        return Ok(true);
    }
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        tx.execute(LOCK, Vec::new()).await?;
    }
    let marks = match db.dialect() {
        Dialect::Sqlite => "?",
        Dialect::Postgres => "$1",
    };
    let done = tx
        .fetch_typed(
            &[FieldType::I64],
            &format!("SELECT version FROM {TABLE} WHERE version = {marks}"),
            vec![(Value::Int(m.version), FieldType::I64)],
        )
        .await?;
    if !done.is_empty() {
        return Ok(false);
    }
    for stmt in m.statements() {
        tx.execute(&stmt, Vec::new()).await?;
    }
    tx.execute(&insert_sql(db.dialect()), record_params(m))
        .await?;
    tx.commit().await?;
    Ok(true)
}

async fn is_applied(db: &Db, version: i64) -> Result<bool, sqlx::Error> {
    Ok(applied(db).await?.iter().any(|a| a.version == version))
}
