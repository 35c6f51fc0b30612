//! Windows in the service's own database (`resourceful_maintenance`), and
//! the outbox of their transitions (`resourceful_maintenance_events`),
//! whose unique key makes each transition recorded once however many
//! replicas notice it.

use super::window::{Mode, Window};
use crate::model::FieldType;
use crate::store::{Db, Dialect, Param, Tx};
use crate::value::Value;

pub const TABLE: &str = "resourceful_maintenance";
pub const EVENTS: &str = "resourceful_maintenance_events";

const COLUMNS: [&str; 11] = [
    "id",
    "starts_at",
    "ends_at",
    "mode",
    "message",
    "resources",
    "link",
    "created_at",
    "updated_at",
    "cancelled_at",
    "revision",
];
const TYPES: [FieldType; 11] = [
    FieldType::String,
    FieldType::I64,
    FieldType::I64,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::String,
    FieldType::I64,
    FieldType::I64,
    FieldType::I64,
    FieldType::I64,
];

pub async fn ensure_tables(db: &Db) -> Result<(), sqlx::Error> {
    let id = match db.dialect() {
        Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    for ddl in [
        format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, starts_at BIGINT NOT NULL, \
             ends_at BIGINT NOT NULL, mode TEXT NOT NULL, message TEXT NOT NULL, \
             resources TEXT NOT NULL, link TEXT, created_at BIGINT NOT NULL, \
             updated_at BIGINT NOT NULL, cancelled_at BIGINT, revision BIGINT NOT NULL)"
        ),
        format!("CREATE INDEX IF NOT EXISTS {TABLE}_ends ON {TABLE} (ends_at)"),
        format!(
            "CREATE TABLE IF NOT EXISTS {EVENTS} (id {id}, window_id TEXT NOT NULL, \
             event TEXT NOT NULL, revision BIGINT NOT NULL, target TEXT NOT NULL, \
             payload TEXT NOT NULL, created_at BIGINT NOT NULL, attempts BIGINT NOT NULL, \
             next_attempt_at BIGINT NOT NULL, lease_until BIGINT, delivered_at BIGINT, \
             last_error TEXT, UNIQUE (window_id, event, revision, target))"
        ),
        format!(
            "CREATE INDEX IF NOT EXISTS {EVENTS}_pending ON {EVENTS} (delivered_at, next_attempt_at)"
        ),
    ] {
        db.execute(&ddl, Vec::new()).await?;
    }
    Ok(())
}

fn marks(d: Dialect, from: usize, n: usize) -> Vec<String> {
    (from..from + n)
        .map(|i| match d {
            Dialect::Sqlite => "?".to_string(),
            Dialect::Postgres => format!("${i}"),
        })
        .collect()
}

fn int(v: i64) -> Param {
    (Value::Int(v), FieldType::I64)
}
fn text(v: &str) -> Param {
    (Value::Text(v.to_string()), FieldType::String)
}
fn opt_int(v: Option<i64>) -> Param {
    (v.map_or(Value::Null, Value::Int), FieldType::I64)
}

fn params(w: &Window) -> Vec<Param> {
    vec![
        text(&w.id),
        int(w.starts_at),
        int(w.ends_at),
        text(w.mode.as_str()),
        text(&w.message),
        text(&w.resources.join(",")),
        (
            w.link.clone().map_or(Value::Null, Value::Text),
            FieldType::String,
        ),
        int(w.created_at),
        int(w.updated_at),
        opt_int(w.cancelled_at),
        int(w.revision),
    ]
}

fn window_of(row: &[Value]) -> Option<Window> {
    let i = |n: usize| match row[n] {
        Value::Int(v) => Some(v),
        _ => None,
    };
    let t = |n: usize| match &row[n] {
        Value::Null => None,
        v => Some(v.to_text()),
    };
    Some(Window {
        id: t(0)?,
        starts_at: i(1)?,
        ends_at: i(2)?,
        mode: Mode::parse(&t(3)?)?,
        message: t(4)?,
        resources: t(5)
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        link: t(6),
        created_at: i(7)?,
        updated_at: i(8)?,
        cancelled_at: i(9),
        revision: i(10)?,
    })
}

/// Windows that end after `since`, by start.
pub async fn since(db: &Db, since: i64) -> Result<Vec<Window>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM {TABLE} WHERE ends_at > {} ORDER BY starts_at, id",
        COLUMNS.join(", "),
        marks(db.dialect(), 1, 1)[0]
    );
    let rows = db.fetch_typed(&TYPES, &sql, vec![int(since)]).await?;
    Ok(rows.iter().filter_map(|r| window_of(r)).collect())
}

/// The latest windows, newest start first (the operators' list).
pub async fn latest(db: &Db, limit: usize) -> Result<Vec<Window>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM {TABLE} ORDER BY starts_at DESC, id LIMIT {limit}",
        COLUMNS.join(", ")
    );
    let rows = db.fetch_typed(&TYPES, &sql, Vec::new()).await?;
    Ok(rows.iter().filter_map(|r| window_of(r)).collect())
}

pub async fn get(tx: &mut Tx, id: &str) -> Result<Option<Window>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM {TABLE} WHERE id = {}",
        COLUMNS.join(", "),
        marks(tx.dialect(), 1, 1)[0]
    );
    let rows = tx.fetch_typed(&TYPES, &sql, vec![text(id)]).await?;
    Ok(rows.first().and_then(|r| window_of(r)))
}

/// Windows that may overlap `[from, to)` (not cancelled), for the check.
pub async fn around(tx: &mut Tx, from: i64, to: i64) -> Result<Vec<Window>, sqlx::Error> {
    let m = marks(tx.dialect(), 1, 2);
    let sql = format!(
        "SELECT {} FROM {TABLE} WHERE cancelled_at IS NULL AND ends_at > {} AND starts_at < {}",
        COLUMNS.join(", "),
        m[0],
        m[1]
    );
    let rows = tx
        .fetch_typed(&TYPES, &sql, vec![int(from), int(to)])
        .await?;
    Ok(rows.iter().filter_map(|r| window_of(r)).collect())
}

pub async fn insert(tx: &mut Tx, w: &Window) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO {TABLE} ({}) VALUES ({})",
        COLUMNS.join(", "),
        marks(tx.dialect(), 1, COLUMNS.len()).join(", ")
    );
    tx.execute(&sql, params(w)).await?;
    Ok(())
}

pub async fn update(tx: &mut Tx, w: &Window) -> Result<(), sqlx::Error> {
    // The columns after the id, then the id: SQLite's `?` binds in order.
    let m = marks(tx.dialect(), 1, COLUMNS.len());
    let sets: Vec<String> = COLUMNS[1..]
        .iter()
        .zip(&m)
        .map(|(c, p)| format!("{c} = {p}"))
        .collect();
    let sql = format!(
        "UPDATE {TABLE} SET {} WHERE id = {}",
        sets.join(", "),
        m[COLUMNS.len() - 1]
    );
    let mut p = params(w);
    let id = p.remove(0);
    p.push(id);
    let n = tx.execute(&sql, p).await?;
    debug_assert_eq!(n, 1, "the window's row");
    Ok(())
}

/// One PostgreSQL writer of windows at a time, so the overlap check sees
/// every committed window (SQLite has one writer anyway).
pub async fn lock_schedule(tx: &mut Tx) -> Result<(), sqlx::Error> {
    if tx.dialect() == Dialect::Postgres {
        tx.execute("SELECT pg_advisory_xact_lock(7418820012)", Vec::new())
            .await?;
    }
    Ok(())
}

/// A transition to deliver to `target`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub window_id: String,
    pub event: String,
    pub revision: i64,
    pub target: String,
    pub payload: String,
    pub attempts: i64,
}

/// Records a transition once per target: a second replica's insert of the
/// same one changes nothing. Returns whether this call recorded it.
pub async fn record_event(
    db_or_tx: EventSink<'_>,
    window_id: &str,
    event: &str,
    revision: i64,
    target: &str,
    payload: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let d = db_or_tx.dialect();
    let sql = format!(
        "INSERT INTO {EVENTS} (window_id, event, revision, target, payload, created_at, \
         attempts, next_attempt_at) VALUES ({}) ON CONFLICT DO NOTHING",
        marks(d, 1, 8).join(", ")
    );
    let p = vec![
        text(window_id),
        text(event),
        int(revision),
        text(target),
        text(payload),
        int(now),
        int(0),
        int(now),
    ];
    let n = match db_or_tx {
        EventSink::Db(db) => db.execute(&sql, p).await?,
        EventSink::Tx(tx) => tx.execute(&sql, p).await?,
    };
    Ok(n == 1)
}

/// Where an event is inserted: on its own, or in a window's transaction.
pub enum EventSink<'a> {
    Db(&'a Db),
    Tx(&'a mut Tx),
}

impl EventSink<'_> {
    fn dialect(&self) -> Dialect {
        match self {
            EventSink::Db(d) => d.dialect(),
            EventSink::Tx(t) => t.dialect(),
        }
    }
}

/// Events due for delivery, oldest first.
pub async fn due(db: &Db, now: i64, limit: usize) -> Result<Vec<Event>, sqlx::Error> {
    let m = marks(db.dialect(), 1, 2);
    let sql = format!(
        "SELECT id, window_id, event, revision, target, payload, attempts FROM {EVENTS} \
         WHERE delivered_at IS NULL AND next_attempt_at <= {} \
         AND (lease_until IS NULL OR lease_until < {}) ORDER BY id LIMIT {limit}",
        m[0], m[1]
    );
    let types = [
        FieldType::I64,
        FieldType::String,
        FieldType::String,
        FieldType::I64,
        FieldType::String,
        FieldType::String,
        FieldType::I64,
    ];
    let rows = db
        .fetch_typed(&types, &sql, vec![int(now), int(now)])
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let i = |n: usize| match r[n] {
                Value::Int(v) => Some(v),
                _ => None,
            };
            Some(Event {
                id: i(0)?,
                window_id: r[1].to_text(),
                event: r[2].to_text(),
                revision: i(3)?,
                target: r[4].to_text(),
                payload: r[5].to_text(),
                attempts: i(6)?,
            })
        })
        .collect())
}

/// Takes an event for delivery until `until`; false when another replica
/// holds it (or it was delivered meanwhile).
pub async fn lease(db: &Db, id: i64, now: i64, until: i64) -> Result<bool, sqlx::Error> {
    let m = marks(db.dialect(), 1, 3);
    let sql = format!(
        "UPDATE {EVENTS} SET lease_until = {} WHERE id = {} AND delivered_at IS NULL \
         AND (lease_until IS NULL OR lease_until < {})",
        m[0], m[1], m[2]
    );
    Ok(db
        .execute(&sql, vec![int(until), int(id), int(now)])
        .await?
        == 1)
}

pub async fn delivered(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    let m = marks(db.dialect(), 1, 2);
    let sql = format!(
        "UPDATE {EVENTS} SET delivered_at = {}, attempts = attempts + 1, lease_until = NULL \
         WHERE id = {}",
        m[0], m[1]
    );
    db.execute(&sql, vec![int(now), int(id)]).await?;
    Ok(())
}

/// A failed attempt: retried at `next`, or given up on (`next` = None).
pub async fn failed(db: &Db, id: i64, next: Option<i64>, error: &str) -> Result<(), sqlx::Error> {
    let m = marks(db.dialect(), 1, 3);
    // Given up: marked delivered so it is never taken again; the error stays.
    let (col, at) = match next {
        Some(t) => ("next_attempt_at", t),
        None => ("delivered_at", -1),
    };
    let sql = format!(
        "UPDATE {EVENTS} SET {col} = {}, attempts = attempts + 1, lease_until = NULL, \
         last_error = {} WHERE id = {}",
        m[0], m[1], m[2]
    );
    let error: String = error.chars().take(500).collect();
    db.execute(&sql, vec![int(at), text(&error), int(id)])
        .await?;
    Ok(())
}
