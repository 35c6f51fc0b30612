//! The audit table: records stored many to a row ([`super::batch`]), a
//! request batch sealed into the hash chain as it is written, a write's
//! batch inserted in the write's transaction and sealed later, by one
//! sealer at a time (a PostgreSQL advisory lock; SQLite has one writer
//! anyway); listed and verified.
//!
//! One row a record cost PostgreSQL a heap tuple and five index entries
//! per request, 15 µs a record in `COPY` under load: the trail took more
//! of the machine than the requests it recorded. A row per batch takes one
//! tuple, a GIN entry per distinct key (pending-list appends, merged in
//! bulk) and one B-tree entry on the time range.

use super::batch::{self, Encoded, ID_SPAN, MAX_RECORDS};
use super::chain::{self, GENESIS};
use super::Record;
use crate::model::FieldType;
use crate::store::{Db, Dialect, Param, Tx};
use crate::value::Value;

pub const TABLE: &str = "resourceful_audit_batch";
/// SQLite's key index (PostgreSQL keeps keys in an array with a GIN).
const KEYS: &str = "resourceful_audit_key";

pub async fn ensure_table(db: &Db) -> Result<(), sqlx::Error> {
    for ddl in ddl(db.dialect()) {
        db.execute(&ddl, Vec::new()).await?;
    }
    if db.dialect() == Dialect::Postgres {
        // lz4 compresses a batch's body some 5× at a fraction of pglz's
        // cost; a server built without it keeps its default.
        let lz4 = format!("ALTER TABLE {TABLE} ALTER COLUMN body SET COMPRESSION lz4");
        if let Err(e) = db.execute(&lz4, Vec::new()).await {
            tracing::debug!(error = %e, "audit bodies keep the server's default compression");
        }
    }
    super::legacy::migrate(db).await
}

fn ddl(d: Dialect) -> Vec<String> {
    let tables = match d {
        Dialect::Postgres => vec![format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (id BIGSERIAL PRIMARY KEY, \
             first_at TEXT COLLATE \"C\" NOT NULL, last_at TEXT COLLATE \"C\" NOT NULL, \
             records BIGINT NOT NULL, keys TEXT[] NOT NULL, body TEXT NOT NULL, \
             seq BIGINT UNIQUE, prev_hash TEXT, hash TEXT)"
        )],
        Dialect::Sqlite => vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY AUTOINCREMENT, \
                 first_at TEXT NOT NULL, last_at TEXT NOT NULL, records INTEGER NOT NULL, \
                 keys TEXT NOT NULL, body TEXT NOT NULL, seq INTEGER UNIQUE, prev_hash TEXT, \
                 hash TEXT)"
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {KEYS} (key TEXT NOT NULL, batch INTEGER NOT NULL, \
                 PRIMARY KEY (key, batch)) WITHOUT ROWID"
            ),
        ],
    };
    let keys = match d {
        Dialect::Postgres => vec![format!(
            "CREATE INDEX IF NOT EXISTS {TABLE}_keys ON {TABLE} USING gin (keys)"
        )],
        Dialect::Sqlite => Vec::new(),
    };
    tables
        .into_iter()
        .chain(keys)
        .chain([
            // Admins' time ranges.
            format!("CREATE INDEX IF NOT EXISTS {TABLE}_last_at ON {TABLE} (last_at)"),
            // What the sealer looks for; sealed batches leave it.
            format!(
                "CREATE INDEX IF NOT EXISTS {TABLE}_unsealed ON {TABLE} (id) WHERE seq IS NULL"
            ),
        ])
        .collect()
}

fn int(v: i64) -> Param {
    (Value::Int(v), FieldType::I64)
}

fn text(v: impl Into<String>) -> Param {
    (Value::Text(v.into()), FieldType::String)
}

fn opt_text(v: Option<String>) -> Param {
    (v.map_or(Value::Null, Value::Text), FieldType::String)
}

fn ph(d: Dialect, n: usize) -> String {
    match d {
        Dialect::Sqlite => "?".into(),
        Dialect::Postgres => format!("${n}"),
    }
}

/// Stores one batch (sealed when `link` is given) and its keys; its id.
async fn insert_batch(
    tx: &mut Tx,
    e: Encoded,
    link: Option<(i64, String, String)>,
) -> Result<i64, sqlx::Error> {
    let d = tx.dialect();
    let keys = match d {
        Dialect::Postgres => format!(
            "ARRAY(SELECT jsonb_array_elements_text({}::jsonb))",
            ph(d, 4)
        ),
        Dialect::Sqlite => ph(d, 4),
    };
    let p: Vec<String> = (1..=8).map(|n| ph(d, n)).collect();
    let sql = format!(
        "INSERT INTO {TABLE} (first_at, last_at, records, keys, body, seq, prev_hash, hash) \
         VALUES ({}, {}, {}, {keys}, {}, {}, {}, {}) RETURNING id",
        p[0], p[1], p[2], p[4], p[5], p[6], p[7]
    );
    let (seq, prev, hash) = match link {
        Some((s, p, h)) => (Value::Int(s), Some(p), Some(h)),
        None => (Value::Null, None, None),
    };
    let keys_json = serde_json::to_string(&e.keys).expect("strings serialize");
    let params = vec![
        text(e.first_at),
        text(e.last_at),
        int(e.count),
        text(keys_json),
        text(e.body),
        (seq, FieldType::I64),
        opt_text(prev),
        opt_text(hash),
    ];
    let rows = tx.fetch_typed(&[FieldType::I64], &sql, params).await?;
    let id = rows.first().and_then(|r| as_int(&r[0])).unwrap_or(0);
    if d == Dialect::Sqlite {
        index_keys(tx, id, &e.keys).await?;
    }
    Ok(id)
}

/// SQLite: one key row per distinct key of the batch.
async fn index_keys(tx: &mut Tx, batch: i64, keys: &[String]) -> Result<(), sqlx::Error> {
    // Two parameters a row, under SQLite's 32766.
    for chunk in keys.chunks(8000) {
        let values = vec!["(?, ?)"; chunk.len()].join(", ");
        let params = chunk
            .iter()
            .flat_map(|k| [text(k.clone()), int(batch)])
            .collect();
        tx.execute(
            &format!("INSERT OR IGNORE INTO {KEYS} (key, batch) VALUES {values}"),
            params,
        )
        .await?;
    }
    Ok(())
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}

/// Inserts `records` unsealed (the sealer links them later).
pub async fn insert(db: &Db, records: &[Record]) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    insert_all_in(&mut tx, records).await?;
    tx.commit().await
}

/// Inserts `records` sealed: in one transaction holding the sealer's
/// lock, what is left unsealed (writes' own batches) is sealed first, then
/// the records take the next links of the chain.
pub async fn insert_sealed(db: &Db, records: &[Record]) -> Result<(), sqlx::Error> {
    let mut tx = lock_chain(db).await?;
    let (_, seq, prev) = seal_in(&mut tx, PENDING_PER_BATCH).await?;
    append_in(&mut tx, records, (seq, prev)).await?;
    tx.commit().await
}

/// Writes' batches sealed ahead of a request batch at most (the rest wait
/// for the next batch or an idle round).
const PENDING_PER_BATCH: usize = 1000;

/// Inserts one record inside a write's transaction.
pub async fn insert_in(tx: &mut Tx, record: &Record) -> Result<(), sqlx::Error> {
    insert_all_in(tx, std::slice::from_ref(record)).await
}

/// Inserts records inside a write's transaction, one batch row (a group
/// commit's change records take one row, not one each).
pub async fn insert_all_in(tx: &mut Tx, records: &[Record]) -> Result<(), sqlx::Error> {
    for chunk in records.chunks(MAX_RECORDS) {
        insert_batch(tx, batch::encode(chunk), None).await?;
    }
    Ok(())
}

/// Seals up to `limit` unsealed batches into the chain, in id order.
/// Returns how many it sealed.
pub async fn seal(db: &Db, limit: usize) -> Result<usize, sqlx::Error> {
    let mut tx = lock_chain(db).await?;
    let (sealed, _, _) = seal_in(&mut tx, limit).await?;
    tx.commit().await?;
    Ok(sealed)
}

/// A transaction that alone may extend the chain.
pub(super) async fn lock_chain(db: &Db) -> Result<Tx, sqlx::Error> {
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        // One sealer across replicas: the chain has one tail.
        tx.execute("SELECT pg_advisory_xact_lock(7418820011)", Vec::new())
            .await?;
    }
    Ok(tx)
}

/// The chain's tail: its last sequence number and hash.
pub(super) async fn tail(tx: &mut Tx) -> Result<(i64, String), sqlx::Error> {
    let last = tx
        .fetch_typed(
            &[FieldType::I64, FieldType::String],
            &format!(
                "SELECT seq, hash FROM {TABLE} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"
            ),
            Vec::new(),
        )
        .await?;
    Ok(match last.first() {
        Some(r) => (as_int(&r[0]).unwrap_or(0), r[1].to_text()),
        None => (0, GENESIS.to_string()),
    })
}

/// Appends `records` to the chain inside `tx` (which holds the lock),
/// after the tail `(seq, prev)`; the new tail.
pub(super) async fn append_in(
    tx: &mut Tx,
    records: &[Record],
    (mut seq, mut prev): (i64, String),
) -> Result<(i64, String), sqlx::Error> {
    for chunk in records.chunks(MAX_RECORDS) {
        let e = batch::encode(chunk);
        seq += 1;
        let hash = chain::link(&prev, seq, &e.body);
        let link = (seq, std::mem::replace(&mut prev, hash.clone()), hash);
        insert_batch(tx, e, Some(link)).await?;
    }
    Ok((seq, prev))
}

/// [`seal`] inside `tx`: how many it sealed, and the chain's tail after
/// them (its last sequence number and hash).
async fn seal_in(tx: &mut Tx, limit: usize) -> Result<(usize, i64, String), sqlx::Error> {
    let (mut seq, mut prev) = tail(tx).await?;
    let rows = tx
        .fetch_typed(
            &[FieldType::I64, FieldType::String],
            &format!("SELECT id, body FROM {TABLE} WHERE seq IS NULL ORDER BY id LIMIT {limit}"),
            Vec::new(),
        )
        .await?;
    let mut links: Vec<[Param; 4]> = Vec::with_capacity(rows.len());
    for row in &rows {
        seq += 1;
        let hash = chain::link(&prev, seq, &row[1].to_text());
        links.push([
            int(seq),
            text(std::mem::replace(&mut prev, hash.clone())),
            text(hash),
            (row[0].clone(), FieldType::I64),
        ]);
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
        // One statement per 500 batches, not a round trip each.
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
    /// Records in sealed batches checked.
    pub sealed: u64,
    /// Records not sealed yet (the sealer has not reached their batches).
    pub unsealed: u64,
    /// The first batch (sequence number) whose hash does not follow, or
    /// whose time range or keys are not its records', if any.
    pub first_broken: Option<i64>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.first_broken.is_none()
    }
}

/// The keys column as JSON text, on either database.
fn keys_json(d: Dialect) -> &'static str {
    match d {
        Dialect::Postgres => "array_to_json(keys)::text",
        Dialect::Sqlite => "keys",
    }
}

/// Recomputes the whole chain, some batches at a time.
pub async fn verify(db: &Db) -> Result<Verification, sqlx::Error> {
    const PAGE: i64 = 64;
    let mut out = Verification {
        sealed: 0,
        unsealed: 0,
        first_broken: None,
    };
    let (mut after, mut prev) = (0i64, GENESIS.to_string());
    let types = [
        FieldType::I64,
        FieldType::String,
        FieldType::String,
        FieldType::String,
        FieldType::String,
        FieldType::String,
        FieldType::I64,
        FieldType::String,
    ];
    loop {
        let page = db
            .fetch_typed(
                &types,
                &format!(
                    "SELECT seq, prev_hash, hash, body, first_at, last_at, records, {} \
                     FROM {TABLE} WHERE seq > {after} ORDER BY seq LIMIT {PAGE}",
                    keys_json(db.dialect())
                ),
                Vec::new(),
            )
            .await?;
        for row in &page {
            let seq = as_int(&row[0]).unwrap_or(0);
            let expected_seq = after + 1;
            let (hash, body) = (row[2].to_text(), row[3].to_text());
            let ok = seq == expected_seq
                && row[1].to_text() == prev
                && chain::link(&prev, seq, &body) == hash
                && derived_matches(&body, row);
            if !ok && out.first_broken.is_none() {
                out.first_broken = Some(expected_seq);
            }
            out.sealed += as_int(&row[6]).unwrap_or(0) as u64;
            after = seq;
            prev = hash;
        }
        if (page.len() as i64) < PAGE {
            break;
        }
    }
    let n = db
        .fetch_typed(
            &[FieldType::I64],
            &format!(
                "SELECT CAST(COALESCE(SUM(records), 0) AS BIGINT) FROM {TABLE} WHERE seq IS NULL"
            ),
            Vec::new(),
        )
        .await?;
    out.unsealed = n.first().and_then(|r| as_int(&r[0])).unwrap_or(0) as u64;
    Ok(out)
}

/// Whether a batch's range, count and keys are its body's (an edited
/// index would hide records from the filters).
fn derived_matches(body: &str, row: &[Value]) -> bool {
    let Ok(e) = batch::rederive(body) else {
        return false;
    };
    let mut keys: Vec<String> = serde_json::from_str(&row[7].to_text()).unwrap_or_default();
    keys.sort();
    e.first_at == row[4].to_text()
        && e.last_at == row[5].to_text()
        && Some(e.count) == as_int(&row[6])
        && e.keys == keys
}

/// Filters of `GET /admin/audit`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub subject: Option<String>,
    pub resource: Option<String>,
    pub kind: Option<String>,
    pub request_id: Option<String>,
    /// `create`, `update` or `delete` (changes).
    pub action: Option<String>,
    pub status: Option<i64>,
    /// RFC 3339 bounds on `at`.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Records with a smaller id (the previous page's `next_cursor`).
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

impl Filter {
    /// The filter with its time bounds in the records' own form (UTC,
    /// microseconds), so text order is time order; an unreadable bound is
    /// refused, naming it.
    pub fn normalised(mut self) -> Result<Filter, String> {
        for (name, bound) in [("from", &mut self.from), ("to", &mut self.to)] {
            if let Some(v) = bound {
                let t = chrono::DateTime::parse_from_rfc3339(v)
                    .map_err(|e| format!("{name}={v:?} is not an RFC 3339 time ({e})"))?;
                *v = super::format_time(t.with_timezone(&chrono::Utc).into());
            }
        }
        Ok(self)
    }

    /// The keys a matching record's batch must hold.
    fn keys(&self) -> Vec<String> {
        let probe = Record {
            kind: self.kind.clone().unwrap_or_default(),
            subject: self.subject.clone(),
            request_id: self.request_id.clone(),
            resource: self.resource.clone(),
            action: self.action.clone(),
            status: self.status,
            ..Record::default()
        };
        batch::keys_of(&probe)
            .filter(|k| self.kind.is_some() || !k.starts_with("k:"))
            .collect()
    }

    fn matches(&self, id: i64, r: &Record) -> bool {
        let eq = |want: &Option<String>, got: &Option<String>| {
            want.as_ref().is_none_or(|w| got.as_ref() == Some(w))
        };
        eq(&self.subject, &r.subject)
            && eq(&self.resource, &r.resource)
            && self.kind.as_ref().is_none_or(|k| *k == r.kind)
            && eq(&self.request_id, &r.request_id)
            && eq(&self.action, &r.action)
            && self.status.is_none_or(|s| r.status == Some(s))
            && self
                .from
                .as_ref()
                .is_none_or(|f| r.at.as_str() >= f.as_str())
            && self.to.as_ref().is_none_or(|t| r.at.as_str() < t.as_str())
            && self.before.is_none_or(|b| id < b)
    }

    /// The candidate batches' conditions and parameters, below `below`.
    fn batch_clause(&self, d: Dialect, below: Option<i64>) -> (String, Vec<Param>) {
        let mut clauses = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        let keys = self.keys();
        match d {
            Dialect::Postgres if !keys.is_empty() => {
                let phs: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
                clauses.push(format!("keys @> ARRAY[{}]::text[]", phs.join(", ")));
                params.extend(keys.into_iter().map(text));
            }
            Dialect::Postgres => {}
            Dialect::Sqlite => {
                for k in keys {
                    clauses.push(format!("id IN (SELECT batch FROM {KEYS} WHERE key = ?)"));
                    params.push(text(k));
                }
            }
        }
        let mut add = |clause: &str, v: Param| {
            clauses.push(clause.replace('?', &ph(d, params.len() + 1)));
            params.push(v);
        };
        if let Some(f) = &self.from {
            add("last_at >= ?", text(f.clone()));
        }
        if let Some(t) = &self.to {
            add("first_at < ?", text(t.clone()));
        }
        if let Some(b) = self.before {
            // The cursor's own batch still holds records below it.
            add("id <= ?", int(b.div_euclid(ID_SPAN)));
        }
        if let Some(b) = below {
            add("id < ?", int(b));
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        (filter, params)
    }
}

/// A page of records, newest first, with ids (and their batch's link).
pub async fn list(
    db: &Db,
    f: &Filter,
) -> Result<(Vec<serde_json::Value>, Option<i64>), sqlx::Error> {
    // Batches read a query at a time: a page of 500 needs one or two of
    // the writer's batches; narrow filters skip the others by their keys.
    const BATCHES: usize = 16;
    let f = &f.clone().normalised().map_err(sqlx::Error::Protocol)?;
    let limit = f.limit.unwrap_or(100).clamp(1, 500) as usize;
    let mut found: Vec<(i64, Record, Value, Value)> = Vec::new();
    let mut below = None;
    let types = [
        FieldType::I64,
        FieldType::I64,
        FieldType::String,
        FieldType::String,
    ];
    loop {
        let (filter, params) = f.batch_clause(db.dialect(), below);
        let rows = db
            .fetch_typed(
                &types,
                &format!(
                    "SELECT id, seq, hash, body FROM {TABLE} {filter} ORDER BY id DESC LIMIT {BATCHES}"
                ),
                params,
            )
            .await?;
        for row in &rows {
            let id = as_int(&row[0]).unwrap_or(0);
            let records = batch::decode(&row[3].to_text()).map_err(|e| {
                sqlx::Error::Decode(format!("audit batch {id} is not a batch: {e}").into())
            })?;
            for (i, r) in records.into_iter().enumerate().rev() {
                let rid = id * ID_SPAN + i as i64;
                if f.matches(rid, &r) {
                    found.push((rid, r, row[1].clone(), row[2].clone()));
                }
            }
            below = Some(id);
            if found.len() > limit {
                break;
            }
        }
        if found.len() > limit || rows.len() < BATCHES {
            break;
        }
    }
    let more = found.len() > limit;
    found.truncate(limit);
    let next = more.then(|| found.last().map(|(id, ..)| *id)).flatten();
    let items = found
        .into_iter()
        .map(|(id, r, seq, hash)| {
            let mut v = serde_json::to_value(r).expect("serializable");
            v["id"] = id.into();
            v["seq"] = seq.to_json();
            v["hash"] = hash.to_json();
            v
        })
        .collect();
    Ok((items, next))
}

/// How many records match `f` (tests and tools; reads every matching
/// batch).
pub async fn count(db: &Db, f: &Filter) -> Result<u64, sqlx::Error> {
    let mut f = f.clone();
    f.limit = Some(500);
    let mut n = 0;
    loop {
        let (page, next) = list(db, &f).await?;
        n += page.len() as u64;
        match next {
            Some(c) => f.before = Some(c),
            None => return Ok(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_looks_up_its_keys_and_checks_every_field() {
        let f = Filter {
            subject: Some("ana".into()),
            status: Some(200),
            from: Some("2026-12-01T00:00:01Z".into()),
            before: Some(3 * ID_SPAN + 2),
            ..Filter::default()
        };
        assert_eq!(f.keys(), ["s:ana", "c:200"]);
        let f = f.normalised().unwrap();
        assert_eq!(f.from.as_deref(), Some("2026-12-01T00:00:01.000000Z"));
        let east = Filter {
            to: Some("2026-12-01T01:00:00+01:00".into()),
            ..Filter::default()
        };
        assert_eq!(
            east.normalised().unwrap().to.as_deref(),
            Some("2026-12-01T00:00:00.000000Z")
        );
        let bad = Filter {
            from: Some("yesterday".into()),
            ..Filter::default()
        };
        assert!(bad
            .normalised()
            .unwrap_err()
            .starts_with("from=\"yesterday\""));
        let (sql, params) = f.batch_clause(Dialect::Postgres, Some(9));
        assert_eq!(
            sql,
            "WHERE keys @> ARRAY[$1, $2]::text[] AND last_at >= $3 AND id <= $4 AND id < $5"
        );
        assert_eq!(params.len(), 5);
        assert_eq!(params[3].0, Value::Int(3), "the cursor's batch");
        let r = Record {
            at: "2026-12-01T00:00:02.000000Z".into(),
            kind: "request".into(),
            subject: Some("ana".into()),
            status: Some(200),
            ..Record::default()
        };
        assert!(f.matches(3 * ID_SPAN + 1, &r));
        assert!(
            !f.matches(3 * ID_SPAN + 2, &r),
            "the cursor itself is on the last page"
        );
        let other = Record {
            subject: Some("ben".into()),
            ..r.clone()
        };
        assert!(!f.matches(1, &other), "a batch holds others' records too");
        let sqlite = f.batch_clause(Dialect::Sqlite, None).0;
        assert!(
            sqlite.starts_with(
                "WHERE id IN (SELECT batch FROM resourceful_audit_key WHERE key = ?) AND id IN"
            ),
            "{sqlite}"
        );
    }
}
