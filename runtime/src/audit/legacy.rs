//! The table of earlier releases (`resourceful_audit`, one row a record,
//! each record its own link) moved into batches once: its chain is checked
//! as it is read, its records are appended to the batch chain in their
//! order, and the table is kept, renamed, for inspection. A broken chain
//! stops the start: carrying its records over would launder the tampering.

use super::chain::GENESIS;
use super::store::{append_in, lock_chain, tail};
use super::Record;
use crate::model::FieldType;
use crate::store::{Db, Dialect, Tx};
use crate::value::Value;

pub const TABLE: &str = "resourceful_audit";
/// Where the moved table is kept.
pub const KEPT: &str = "resourceful_audit_legacy";

const COLUMNS: &str = "at, kind, request_id, subject, issuer, client_id, roles, method, route, \
                       resource, record_id, action, status, latency_ms, peer";

/// Moves the older table's records, if there is one.
pub async fn migrate(db: &Db) -> Result<(), sqlx::Error> {
    if !exists(db).await? {
        return Ok(());
    }
    let mut tx = lock_chain(db).await?;
    // Another replica may have moved it while this one waited.
    if !exists_in(&mut tx).await? {
        return Ok(());
    }
    let mut end = tail(&mut tx).await?;
    let (mut seq, mut prev) = (0i64, GENESIS.to_string());
    loop {
        let page = read(&mut tx, &format!("seq > {seq} ORDER BY seq")).await?;
        let mut records = Vec::with_capacity(page.len());
        for (r, row_seq, row_prev, hash) in page {
            if row_seq != seq + 1 || row_prev != prev || link(&prev, row_seq, &r) != hash {
                return Err(sqlx::Error::Configuration(
                    format!(
                        "the audit table of an earlier release ({TABLE}) fails verification at \
                         record {}: inspect it, and rename it to start without it",
                        seq + 1
                    )
                    .into(),
                ));
            }
            (seq, prev) = (row_seq, hash);
            records.push(r);
        }
        let last = records.len() < PAGE;
        end = append_in(&mut tx, &records, end).await?;
        if last {
            break;
        }
    }
    // Writes' records the older release had not sealed yet.
    let mut after = 0i64;
    loop {
        let page = read(
            &mut tx,
            &format!("seq IS NULL AND id > {after} ORDER BY id"),
        )
        .await?;
        let records: Vec<Record> = page
            .into_iter()
            .map(|(r, id, ..)| {
                after = id;
                r
            })
            .collect();
        let last = records.len() < PAGE;
        end = append_in(&mut tx, &records, end).await?;
        if last {
            break;
        }
    }
    tx.execute(&format!("ALTER TABLE {TABLE} RENAME TO {KEPT}"), Vec::new())
        .await?;
    tracing::info!(
        records = seq,
        "the audit trail of an earlier release moved into batches"
    );
    tx.commit().await
}

const PAGE: usize = 1000;

fn exists_sql(d: Dialect) -> String {
    match d {
        Dialect::Postgres => format!(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '{TABLE}'"
        ),
        Dialect::Sqlite => {
            format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'")
        }
    }
}

async fn exists(db: &Db) -> Result<bool, sqlx::Error> {
    let rows = db
        .fetch_typed(&[FieldType::I64], &exists_sql(db.dialect()), Vec::new())
        .await?;
    Ok(matches!(rows.first().map(|r| &r[0]), Some(Value::Int(n)) if *n > 0))
}

async fn exists_in(tx: &mut Tx) -> Result<bool, sqlx::Error> {
    let rows = tx
        .fetch_typed(&[FieldType::I64], &exists_sql(tx.dialect()), Vec::new())
        .await?;
    Ok(matches!(rows.first().map(|r| &r[0]), Some(Value::Int(n)) if *n > 0))
}

/// A page of the older table: each record with its seq (or id, for
/// unsealed ones), prev_hash and hash.
async fn read(tx: &mut Tx, rest: &str) -> Result<Vec<(Record, i64, String, String)>, sqlx::Error> {
    use FieldType::{String as S, F64, I64};
    let types = [S, S, S, S, S, S, S, S, S, S, S, S, I64, F64, S, I64, S, S];
    let position = if rest.starts_with("seq IS NULL") {
        "id"
    } else {
        "seq"
    };
    let rows = tx
        .fetch_typed(
            &types,
            &format!("SELECT {COLUMNS}, {position}, prev_hash, hash FROM {TABLE} WHERE {rest} LIMIT {PAGE}"),
            Vec::new(),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let t = |i: usize| match &row[i] {
                Value::Null => None,
                v => Some(v.to_text()),
            };
            let r = Record {
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
            };
            let pos = match row[15] {
                Value::Int(i) => i,
                _ => 0,
            };
            (r, pos, row[16].to_text(), row[17].to_text())
        })
        .collect())
}

/// The older release's link: `sha256(prev \n seq \n fields-as-JSON)`.
fn link(prev: &str, seq: i64, r: &Record) -> String {
    let fields = serde_json::to_string(&(
        &r.at,
        &r.kind,
        &r.request_id,
        &r.subject,
        &r.issuer,
        &r.client_id,
        &r.roles,
        &r.method,
        &r.route,
        &r.resource,
        &r.record_id,
        &r.action,
        r.status,
        r.latency_ms.map(|l| format!("{l:.3}")),
        &r.peer,
    ))
    .expect("records serialize");
    // The same formula as a batch's link, over the fields' JSON.
    super::chain::link(prev, seq, &fields)
}
