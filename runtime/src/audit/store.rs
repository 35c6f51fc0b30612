//! The audit table: records inserted in batches (or inside a write's own
//! transaction), sealed into the hash chain by one sealer at a time (a
//! PostgreSQL advisory lock; SQLite has one writer anyway), listed and
//! verified.

use super::chain::{self, GENESIS};
use super::Record;
use crate::model::FieldType;
use crate::store::{Db, Dialect, Param, Tx};
use crate::value::Value;

pub const TABLE: &str = "resourceful_audit";

/// The record's columns, in insert order.
const COLUMNS: [&str; 15] = [
    "at",
    "kind",
    "request_id",
    "subject",
    "issuer",
    "client_id",
    "roles",
    "method",
    "route",
    "resource",
    "record_id",
    "action",
    "status",
    "latency_ms",
    "peer",
];

/// Columns read back: the record, then id, seq, prev_hash, hash.
const READ_TYPES: [FieldType; 19] = [
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::I64,
    FieldType::F64,
    FieldType::String,
    FieldType::I64,
    FieldType::I64,
    FieldType::String,
    FieldType::String,
];

/// The indexed text columns. On PostgreSQL they compare bytewise
/// (`COLLATE "C"`): a database's own collation compares through the
/// locale, and with it the index inserts of every record took an eighth
/// of PostgreSQL's time under load (`_bt_compare`). Bytewise order is also
/// the right order for `at` (RFC 3339, UTC, fixed width).
const BYTEWISE: [&str; 3] = ["at", "request_id", "subject"];

pub async fn ensure_table(db: &Db) -> Result<(), sqlx::Error> {
    let (id, real, c) = match db.dialect() {
        Dialect::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "REAL", ""),
        Dialect::Postgres => (
            "BIGSERIAL PRIMARY KEY",
            "DOUBLE PRECISION",
            " COLLATE \"C\"",
        ),
    };
    let ddl = format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (id {id}, at TEXT{c} NOT NULL, kind TEXT NOT NULL, \
         request_id TEXT{c}, subject TEXT{c}, issuer TEXT, client_id TEXT, roles TEXT, method TEXT, \
         route TEXT, resource TEXT, record_id TEXT, action TEXT, status BIGINT, latency_ms {real}, \
         peer TEXT, seq BIGINT UNIQUE, prev_hash TEXT, hash TEXT)"
    );
    db.execute(&ddl, Vec::new()).await?;
    if db.dialect() == Dialect::Postgres {
        make_bytewise(db).await?;
    }
    for (name, using) in indexes(db.dialect()) {
        db.execute(
            &format!("CREATE INDEX IF NOT EXISTS {TABLE}_{name} ON {TABLE} {using}"),
            Vec::new(),
        )
        .await?;
    }
    if db.dialect() == Dialect::Postgres {
        // The B-tree on `at` of earlier releases, replaced by the BRIN one.
        db.execute(&format!("DROP INDEX IF EXISTS {TABLE}_at"), Vec::new())
            .await?;
    }
    Ok(())
}

/// The indexes beside the primary key and `seq`: by time (admins' ranges),
/// by subject and by request id. On PostgreSQL the time index is a BRIN:
/// records arrive in time order, so block ranges summarise it in a few
/// pages, and a record costs no B-tree insert for it (one of five, each a
/// search down the tree, in PostgreSQL's time per record under load).
fn indexes(d: Dialect) -> [(&'static str, &'static str); 3] {
    let at = match d {
        Dialect::Sqlite => ("at", "(at)"),
        Dialect::Postgres => ("at_brin", "USING brin (at)"),
    };
    [
        at,
        ("subject", "(subject, id)"),
        ("request", "(request_id)"),
    ]
}

/// A table made before its text columns were bytewise is changed once
/// (the indexes on them are rebuilt); later starts find nothing to do.
async fn make_bytewise(db: &Db) -> Result<(), sqlx::Error> {
    let names = BYTEWISE.map(|c| format!("'{c}'")).join(", ");
    let rows = db
        .fetch_typed(
            &[FieldType::String],
            &format!(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = '{TABLE}' \
                 AND column_name IN ({names}) AND collation_name IS DISTINCT FROM 'C'"
            ),
            Vec::new(),
        )
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let alters: Vec<String> = rows
        .iter()
        .map(|r| format!("ALTER COLUMN {} TYPE TEXT COLLATE \"C\"", r[0].to_text()))
        .collect();
    let mut tx = lock_chain(db).await?;
    tx.execute(
        &format!("ALTER TABLE {TABLE} {}", alters.join(", ")),
        Vec::new(),
    )
    .await?;
    tx.commit().await
}

trait PipeInt {
    fn pipe_int(&self) -> Option<i64>;
}

impl PipeInt for Value {
    fn pipe_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

fn text(v: &Option<String>) -> Param {
    (
        v.clone().map_or(Value::Null, Value::Text),
        FieldType::String,
    )
}

fn params(r: &Record) -> Vec<Param> {
    vec![
        (Value::Text(r.at.clone()), FieldType::String),
        (Value::Text(r.kind.clone()), FieldType::String),
        text(&r.request_id),
        text(&r.subject),
        text(&r.issuer),
        text(&r.client_id),
        text(&r.roles),
        text(&r.method),
        text(&r.route),
        text(&r.resource),
        text(&r.record_id),
        text(&r.action),
        (r.status.map_or(Value::Null, Value::Int), FieldType::I64),
        (
            r.latency_ms.map_or(Value::Null, Value::Float),
            FieldType::F64,
        ),
        text(&r.peer),
    ]
}

fn placeholders(d: Dialect, rows: usize, n: usize) -> String {
    (0..rows)
        .map(|row| {
            let cells: Vec<String> = (0..n)
                .map(|c| match d {
                    Dialect::Sqlite => "?".to_string(),
                    Dialect::Postgres => format!("${}", row * n + c + 1),
                })
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn insert_sql(d: Dialect, rows: usize) -> String {
    format!(
        "INSERT INTO {TABLE} ({}) VALUES {}",
        COLUMNS.join(", "),
        placeholders(d, rows, COLUMNS.len())
    )
}

/// The same with the chain's three columns filled in.
fn insert_sealed_sql(d: Dialect, rows: usize) -> String {
    format!(
        "INSERT INTO {TABLE} ({}, seq, prev_hash, hash) VALUES {}",
        COLUMNS.join(", "),
        placeholders(d, rows, COLUMNS.len() + 3)
    )
}

/// Rows per statement: SQLite allows 32766 parameters, PostgreSQL 65535.
const ROWS_PER_INSERT: usize = 500;

/// Inserts `records` (one statement per 500).
pub async fn insert(db: &Db, records: &[Record]) -> Result<(), sqlx::Error> {
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let p = chunk.iter().flat_map(params).collect();
        db.execute(&insert_sql(db.dialect(), chunk.len()), p)
            .await?;
    }
    Ok(())
}

/// Inserts `records` already sealed: in one transaction holding the
/// sealer's lock, what is left unsealed (writes' own records) is sealed
/// first, then the batch takes the next sequence numbers, its hashes
/// computed from the records in memory (PostgreSQL takes them through
/// `COPY`: no statement of thousands of parameters to parse, plan and
/// bind per batch). Inserting unsealed and sealing
/// afterwards read every record back and rewrote it (a second row version
/// and five index entries each); this writes each once.
pub async fn insert_sealed(db: &Db, records: &[Record]) -> Result<(), sqlx::Error> {
    let mut tx = lock_chain(db).await?;
    let (_, mut seq, mut prev) = seal_in(&mut tx, PENDING_PER_BATCH).await?;
    if tx.dialect() == Dialect::Postgres {
        let mut data = Vec::with_capacity(records.len() * 400);
        for r in records {
            seq += 1;
            let hash = chain::link(&prev, seq, r);
            let mut row: Vec<Value> = params(r).into_iter().map(|(v, _)| v).collect();
            row.push(Value::Int(seq));
            row.push(Value::Text(std::mem::replace(&mut prev, hash.clone())));
            row.push(Value::Text(hash));
            crate::store::copy::push_row(&mut data, &row);
        }
        let columns: Vec<&str> = COLUMNS
            .iter()
            .copied()
            .chain(["seq", "prev_hash", "hash"])
            .collect();
        tx.copy_in(TABLE, &columns, data).await?;
        return tx.commit().await;
    }
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let mut p: Vec<Param> = Vec::with_capacity(chunk.len() * (COLUMNS.len() + 3));
        for r in chunk {
            seq += 1;
            let hash = chain::link(&prev, seq, r);
            p.extend(params(r));
            p.push((Value::Int(seq), FieldType::I64));
            p.push((
                Value::Text(std::mem::replace(&mut prev, hash.clone())),
                FieldType::String,
            ));
            p.push((Value::Text(hash), FieldType::String));
        }
        tx.execute(&insert_sealed_sql(tx.dialect(), chunk.len()), p)
            .await?;
    }
    tx.commit().await
}

/// Writes' records sealed ahead of a batch at most (the rest wait for the
/// next batch or an idle round).
const PENDING_PER_BATCH: usize = 5000;

/// Inserts one record inside a write's transaction.
pub async fn insert_in(tx: &mut Tx, record: &Record) -> Result<(), sqlx::Error> {
    tx.execute(&insert_sql(tx.dialect(), 1), params(record))
        .await?;
    Ok(())
}

/// Inserts records inside a write's transaction, many rows a statement
/// (a group commit's change records).
pub async fn insert_all_in(tx: &mut Tx, records: &[Record]) -> Result<(), sqlx::Error> {
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let p = chunk.iter().flat_map(params).collect();
        tx.execute(&insert_sql(tx.dialect(), chunk.len()), p)
            .await?;
    }
    Ok(())
}

fn record_of(row: &[Value]) -> Record {
    let t = |i: usize| match &row[i] {
        Value::Null => None,
        v => Some(v.to_text()),
    };
    Record {
        at: row[0].to_text(),
        kind: row[1].to_text(),
        request_id: t(2),
        subject: t(3),
        issuer: t(4),
        client_id: t(5),
        roles: t(6),
        method: t(7),
        route: t(8),
        resource: t(9),
        record_id: t(10),
        action: t(11),
        status: match row[12] {
            Value::Int(i) => Some(i),
            _ => None,
        },
        latency_ms: match row[13] {
            Value::Float(f) => Some(f),
            Value::Int(i) => Some(i as f64),
            _ => None,
        },
        peer: t(14),
    }
}

fn select(extra: &str) -> String {
    format!(
        "SELECT {}, id, seq, prev_hash, hash FROM {TABLE} {extra}",
        COLUMNS.join(", ")
    )
}

/// Seals up to `limit` unsealed records into the chain, in id order.
/// Returns how many it sealed.
pub async fn seal(db: &Db, limit: usize) -> Result<usize, sqlx::Error> {
    let mut tx = lock_chain(db).await?;
    let (sealed, _, _) = seal_in(&mut tx, limit).await?;
    tx.commit().await?;
    Ok(sealed)
}

/// A transaction that alone may extend the chain.
async fn lock_chain(db: &Db) -> Result<Tx, sqlx::Error> {
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        // One sealer across replicas: the chain has one tail.
        tx.execute("SELECT pg_advisory_xact_lock(7418820011)", Vec::new())
            .await?;
    }
    Ok(tx)
}

/// [`seal`] inside `tx`: how many it sealed, and the chain's tail after
/// them (its last sequence number and hash).
async fn seal_in(tx: &mut Tx, limit: usize) -> Result<(usize, i64, String), sqlx::Error> {
    let last = tx
        .fetch_typed(
            &[FieldType::I64, FieldType::String],
            &format!(
                "SELECT seq, hash FROM {TABLE} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
            ),
            Vec::new(),
        )
        .await?;
    let (mut seq, mut prev) = match last.first() {
        Some(r) => (r[0].pipe_int().unwrap_or(0), r[1].to_text()),
        None => (0, GENESIS.to_string()),
    };
    let rows = tx
        .fetch_typed(
            &READ_TYPES,
            &select(&format!("WHERE seq IS NULL ORDER BY id LIMIT {limit}")),
            Vec::new(),
        )
        .await?;
    let mut links: Vec<[Param; 4]> = Vec::with_capacity(rows.len());
    for row in &rows {
        seq += 1;
        let hash = chain::link(&prev, seq, &record_of(row));
        links.push([
            (Value::Int(seq), FieldType::I64),
            (Value::Text(prev.clone()), FieldType::String),
            (Value::Text(hash.clone()), FieldType::String),
            (row[15].clone(), FieldType::I64),
        ]);
        prev = hash;
    }
    match tx.dialect() {
        // In process, one statement per row costs microseconds.
        Dialect::Sqlite => {
            let update =
                format!("UPDATE {TABLE} SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?");
            for l in links {
                tx.execute(&update, l.to_vec()).await?;
            }
        }
        // A round trip per row would cap the trail at a few thousand
        // records a second: one statement per 500 rows instead.
        Dialect::Postgres => {
            for chunk in links.chunks(500) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let b = i * 4;
                        format!(
                            "(${}::bigint, ${}, ${}, ${}::bigint)",
                            b + 1,
                            b + 2,
                            b + 3,
                            b + 4
                        )
                    })
                    .collect();
                let sql = format!(
                    "UPDATE {TABLE} AS a SET seq = v.seq, prev_hash = v.prev, hash = v.hash \
                     FROM (VALUES {}) AS v(seq, prev, hash, id) WHERE a.id = v.id",
                    values.join(", ")
                );
                let params = chunk.iter().flat_map(|l| l.iter().cloned()).collect();
                tx.execute(&sql, params).await?;
            }
        }
    }
    Ok((rows.len(), seq, prev))
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Verification {
    /// Sealed records checked.
    pub sealed: u64,
    /// Records not sealed yet (the sealer has not reached them).
    pub unsealed: u64,
    /// The first sequence number whose hash does not follow, if any.
    pub first_broken: Option<i64>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// Recomputes the whole chain, a page at a time.
pub async fn verify(db: &Db) -> Result<Verification, sqlx::Error> {
    let mut out = Verification {
        sealed: 0,
        unsealed: 0,
        first_broken: None,
    };
    let (mut after, mut prev) = (0i64, GENESIS.to_string());
    loop {
        let page = db
            .fetch_typed(
                &READ_TYPES,
                &select(&format!("WHERE seq > {after} ORDER BY seq LIMIT 1000")),
                Vec::new(),
            )
            .await?;
        for row in &page {
            let seq = row[16].pipe_int().unwrap_or(0);
            let expected_seq = after + 1;
            let hash = row[18].to_text();
            let ok = seq == expected_seq
                && row[17].to_text() == prev
                && chain::link(&prev, seq, &record_of(row)) == hash;
            if !ok && out.first_broken.is_none() {
                out.first_broken = Some(expected_seq);
            }
            out.sealed += 1;
            after = seq;
            prev = hash;
        }
        if page.len() < 1000 {
            break;
        }
    }
    let n = db
        .fetch_typed(
            &[FieldType::I64],
            &format!("SELECT COUNT(*) FROM {TABLE} WHERE seq IS NULL"),
            Vec::new(),
        )
        .await?;
    out.unsealed = n.first().and_then(|r| r[0].pipe_int()).unwrap_or(0) as u64;
    Ok(out)
}

/// Filters of `GET /admin/audit`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub subject: Option<String>,
    pub resource: Option<String>,
    pub kind: Option<String>,
    pub request_id: Option<String>,
    pub status: Option<i64>,
    /// RFC 3339 bounds on `at`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Records with a smaller id (the previous page's `next_cursor`).
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

/// A page of records, newest first, with ids.
pub async fn list(
    db: &Db,
    f: &Filter,
) -> Result<(Vec<serde_json::Value>, Option<i64>), sqlx::Error> {
    let mut clauses = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let d = db.dialect();
    let mut add = |clause: &str, v: Param| {
        let ph = match d {
            Dialect::Sqlite => "?".to_string(),
            Dialect::Postgres => format!("${}", params.len() + 1),
        };
        clauses.push(clause.replace('?', &ph));
        params.push(v);
    };
    let s = |v: &String| (Value::Text(v.clone()), FieldType::String);
    if let Some(v) = &f.subject {
        add("subject = ?", s(v));
    }
    if let Some(v) = &f.resource {
        add("resource = ?", s(v));
    }
    if let Some(v) = &f.kind {
        add("kind = ?", s(v));
    }
    if let Some(v) = &f.request_id {
        add("request_id = ?", s(v));
    }
    if let Some(v) = f.status {
        add("status = ?", (Value::Int(v), FieldType::I64));
    }
    if let Some(v) = &f.from {
        add("at >= ?", s(v));
    }
    if let Some(v) = &f.to {
        add("at < ?", s(v));
    }
    if let Some(v) = f.before {
        add("id < ?", (Value::Int(v), FieldType::I64));
    }
    let limit = f.limit.unwrap_or(100).clamp(1, 500);
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let rows = db
        .fetch_typed(
            &READ_TYPES,
            &select(&format!("{filter} ORDER BY id DESC LIMIT {}", limit + 1)),
            params,
        )
        .await?;
    let more = rows.len() > limit as usize;
    let items: Vec<serde_json::Value> = rows
        .iter()
        .take(limit as usize)
        .map(|row| {
            let mut v = serde_json::to_value(record_of(row)).expect("serializable");
            v["id"] = row[15].to_json();
            v["seq"] = row[16].to_json();
            v["hash"] = row[18].to_json();
            v
        })
        .collect();
    let next = more
        .then(|| rows[limit as usize - 1][15].pipe_int())
        .flatten();
    Ok((items, next))
}
