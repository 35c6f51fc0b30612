//! Outcomes of writes sent with an `Idempotency-Key`, kept in the service's
//! database so every replica sees them (draft-ietf-httpapi-idempotency-key-header).
//!
//! A key is first *claimed* in a statement of its own, so a concurrent
//! duplicate finds it at once; the outcome is then written in the same
//! transaction as the write it describes, so a committed write always has
//! its outcome recorded and a rolled-back one never does. A claim whose
//! request died (the process stopped, the client went away) is released,
//! or taken over once it is older than `stale_after`.

use super::{Db, Dialect, Param, Tx};
use crate::model::FieldType;
use crate::value::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const TABLE: &str = "resourceful_idempotency";

/// The outcome replayed to a retry.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub status: u16,
    /// Response header fields worth replaying (`etag`, `location`), as a
    /// JSON object.
    pub headers: String,
    pub body: String,
}

/// What a claim found.
#[derive(Debug, PartialEq)]
pub enum Claim {
    /// The key is new (or expired, or abandoned): run the request.
    Claimed,
    /// A request with this key completed: replay its outcome.
    Completed(Stored),
    /// The same key with another request: refuse it.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

/// A stored claim.
struct Row {
    fingerprint: String,
    done: bool,
    stored: Stored,
    claimed_at: i64,
    expires_at: i64,
}

impl Row {
    fn claim(self, fingerprint: &str) -> Claim {
        if self.fingerprint != fingerprint {
            Claim::Mismatch
        } else if !self.done {
            Claim::InProgress
        } else {
            Claim::Completed(self.stored)
        }
    }
}

/// The table and the statements on it.
pub struct IdempotencyStore {
    db: Db,
    ttl: Duration,
    stale_after: Duration,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn text(s: &str) -> Param {
    (Value::Text(s.to_string()), FieldType::String)
}

fn int(i: i64) -> Param {
    (Value::Int(i), FieldType::I64)
}

/// `?` placeholders as the dialect writes them.
fn sql(d: Dialect, template: &str) -> String {
    match d {
        Dialect::Sqlite => template.to_string(),
        Dialect::Postgres => {
            let mut out = String::with_capacity(template.len() + 8);
            let mut n = 0;
            for c in template.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
    }
}

const DONE: &str = "done";
const PENDING: &str = "pending";

impl IdempotencyStore {
    /// `ttl`: how long an outcome is replayed; `stale_after`: when a claim
    /// whose request never finished may be taken over (longer than any
    /// request may run).
    pub fn new(db: Db, ttl: Duration, stale_after: Duration) -> Self {
        IdempotencyStore {
            db,
            ttl,
            stale_after,
        }
    }

    pub async fn ensure_table(&self) -> Result<(), sqlx::Error> {
        let millis = match self.db.dialect() {
            Dialect::Sqlite => "INTEGER",
            Dialect::Postgres => "BIGINT",
        };
        let ddl = format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (\n  \
               scope TEXT NOT NULL,\n  \
               idem_key TEXT NOT NULL,\n  \
               fingerprint TEXT NOT NULL,\n  \
               state TEXT NOT NULL,\n  \
               status INTEGER,\n  \
               headers TEXT,\n  \
               body TEXT,\n  \
               claimed_at {millis} NOT NULL,\n  \
               expires_at {millis} NOT NULL,\n  \
               PRIMARY KEY (scope, idem_key)\n)"
        );
        self.db.execute(&ddl, Vec::new()).await?;
        self.db
            .execute(
                &format!("CREATE INDEX IF NOT EXISTS {TABLE}_expires ON {TABLE} (expires_at)"),
                Vec::new(),
            )
            .await?;
        Ok(())
    }

    /// Claims `key` for a request whose method, target and body hash to
    /// `fingerprint`. Reads first: a replay or a duplicate is answered
    /// without a write (on SQLite, without waiting for the write lock).
    pub async fn claim(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
    ) -> Result<Claim, sqlx::Error> {
        let now = now_ms();
        match self.find(scope, key).await? {
            Some(row) if !self.is_dead(&row, now) => return Ok(row.claim(fingerprint)),
            Some(_) => self.drop_dead(scope, key, now).await?,
            None => {}
        }
        let inserted = self
            .db
            .execute(
                &sql(
                    self.db.dialect(),
                    &format!(
                        "INSERT INTO {TABLE} (scope, idem_key, fingerprint, state, claimed_at, expires_at) \
                         VALUES (?, ?, ?, '{PENDING}', ?, ?) ON CONFLICT DO NOTHING"
                    ),
                ),
                vec![
                    text(scope),
                    text(key),
                    text(fingerprint),
                    int(now),
                    int(now + self.ttl.as_millis() as i64),
                ],
            )
            .await?;
        if inserted == 1 {
            return Ok(Claim::Claimed);
        }
        // Another request claimed it between the read and the insert.
        Ok(match self.find(scope, key).await? {
            Some(row) => row.claim(fingerprint),
            None => Claim::InProgress,
        })
    }

    async fn find(&self, scope: &str, key: &str) -> Result<Option<Row>, sqlx::Error> {
        let types = [
            FieldType::String,
            FieldType::String,
            FieldType::I32,
            FieldType::String,
            FieldType::String,
            FieldType::I64,
            FieldType::I64,
        ];
        let rows = self
            .db
            .fetch_typed(
                &types,
                &sql(
                    self.db.dialect(),
                    &format!(
                        "SELECT fingerprint, state, status, headers, body, claimed_at, expires_at \
                         FROM {TABLE} WHERE scope = ? AND idem_key = ?"
                    ),
                ),
                vec![text(scope), text(key)],
            )
            .await?;
        Ok(rows.into_iter().next().map(|r| {
            let s = |v: &Value| match v {
                Value::Text(t) => t.clone(),
                _ => String::new(),
            };
            let i = |v: &Value| match v {
                Value::Int(i) => *i,
                _ => 0,
            };
            Row {
                fingerprint: s(&r[0]),
                done: s(&r[1]) == DONE,
                stored: Stored {
                    status: u16::try_from(i(&r[2])).unwrap_or(500),
                    headers: s(&r[3]),
                    body: s(&r[4]),
                },
                claimed_at: i(&r[5]),
                expires_at: i(&r[6]),
            }
        }))
    }

    /// Expired, or claimed by a request that can no longer be running.
    fn is_dead(&self, row: &Row, now: i64) -> bool {
        row.expires_at < now
            || (!row.done && row.claimed_at < now - self.stale_after.as_millis() as i64)
    }

    async fn drop_dead(&self, scope: &str, key: &str, now: i64) -> Result<(), sqlx::Error> {
        let stale = now - self.stale_after.as_millis() as i64;
        self.db
            .execute(
                &sql(
                    self.db.dialect(),
                    &format!(
                        "DELETE FROM {TABLE} WHERE scope = ? AND idem_key = ? \
                         AND (expires_at < ? OR (state = '{PENDING}' AND claimed_at < ?))"
                    ),
                ),
                vec![text(scope), text(key), int(now), int(stale)],
            )
            .await?;
        Ok(())
    }

    /// Records the outcome of a claimed key inside the write's transaction.
    pub async fn complete_in(
        &self,
        tx: &mut Tx,
        scope: &str,
        key: &str,
        outcome: &Stored,
    ) -> Result<(), sqlx::Error> {
        let d = tx.dialect();
        tx.execute(
            &sql(
                d,
                &format!(
                    "UPDATE {TABLE} SET state = '{DONE}', status = ?, headers = ?, body = ? \
                     WHERE scope = ? AND idem_key = ?"
                ),
            ),
            vec![
                (Value::Int(outcome.status.into()), FieldType::I32),
                text(&outcome.headers),
                text(&outcome.body),
                text(scope),
                text(key),
            ],
        )
        .await?;
        Ok(())
    }

    /// Gives a claimed key back (its request failed and wrote nothing).
    pub async fn release(&self, scope: &str, key: &str) -> Result<(), sqlx::Error> {
        let d = self.db.dialect();
        self.db
            .execute(
                &sql(
                    d,
                    &format!(
                        "DELETE FROM {TABLE} WHERE scope = ? AND idem_key = ? AND state = '{PENDING}'"
                    ),
                ),
                vec![text(scope), text(key)],
            )
            .await?;
        Ok(())
    }

    /// Drops expired outcomes; returns how many.
    pub async fn sweep(&self) -> Result<u64, sqlx::Error> {
        let d = self.db.dialect();
        self.db
            .execute(
                &sql(d, &format!("DELETE FROM {TABLE} WHERE expires_at < ?")),
                vec![int(now_ms())],
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(sql(Dialect::Sqlite, "a = ? AND b = ?"), "a = ? AND b = ?");
        assert_eq!(
            sql(Dialect::Postgres, "a = ? AND b = ?"),
            "a = $1 AND b = $2"
        );
    }
}
