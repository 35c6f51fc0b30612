//! A batch of audit records as it is stored: one row holds many records
//! (a JSON array of arrays, the columns in a fixed order), the range of
//! their times and the keys the admin filters look up (a lean index: one
//! entry per distinct subject, request id, resource, kind, action and
//! status of the batch, not one row and five index entries a record).
//!
//! The body is what the hash chain covers; the range and keys are derived
//! from it, and `verify` derives them again to catch an edited index.

use super::Record;
use std::collections::BTreeSet;

/// A record's position: its batch's id and its index in the batch
/// (`batch * ID_SPAN + index`), so ids order as records were stored.
pub const ID_SPAN: i64 = 65_536;

/// Records per stored batch at most (ids leave room for `ID_SPAN`).
pub const MAX_RECORDS: usize = 4_096;

/// A batch ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub body: String,
    pub first_at: String,
    pub last_at: String,
    pub count: i64,
    /// Distinct filter keys, sorted.
    pub keys: Vec<String>,
}

/// The body's row for one record (the order is part of the format).
type Row<'a> = (
    &'a str,
    &'a str,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    &'a Option<String>,
    Option<i64>,
    Option<f64>,
    &'a Option<String>,
);

type OwnedRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<f64>,
    Option<String>,
);

fn row(r: &Record) -> Row<'_> {
    (
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
        // Microseconds: what the clock measured, and a stable text.
        r.latency_ms.map(|l| (l * 1000.0).round() / 1000.0),
        &r.peer,
    )
}

fn record(r: OwnedRow) -> Record {
    Record {
        at: r.0,
        kind: r.1,
        request_id: r.2,
        subject: r.3,
        issuer: r.4,
        client_id: r.5,
        roles: r.6,
        method: r.7,
        route: r.8,
        resource: r.9,
        record_id: r.10,
        action: r.11,
        status: r.12,
        latency_ms: r.13,
        peer: r.14,
    }
}

/// A record's text keys, as (prefix, value).
fn text_keys(r: &Record) -> impl Iterator<Item = (&'static str, &str)> + '_ {
    [
        Some(("k:", r.kind.as_str())),
        r.subject.as_deref().map(|v| ("s:", v)),
        r.request_id.as_deref().map(|v| ("q:", v)),
        r.resource.as_deref().map(|v| ("r:", v)),
        r.action.as_deref().map(|v| ("a:", v)),
    ]
    .into_iter()
    .flatten()
}

/// The keys a record is found by.
pub fn keys_of(r: &Record) -> impl Iterator<Item = String> + '_ {
    text_keys(r)
        .map(|(p, v)| format!("{p}{v}"))
        .chain(r.status.map(|s| format!("c:{s}")))
}

/// Encodes `records` (not empty, at most [`MAX_RECORDS`]).
pub fn encode(records: &[Record]) -> Encoded {
    debug_assert!(!records.is_empty() && records.len() <= MAX_RECORDS);
    let rows: Vec<Row<'_>> = records.iter().map(row).collect();
    let body = serde_json::to_string(&rows).expect("records serialize");
    derive(records, body)
}

/// The range and keys of `records`, with the body they were read from.
fn derive(records: &[Record], body: String) -> Encoded {
    // Deduplicated while borrowed: most keys repeat record after record
    // (one kind, a few subjects, resources and statuses), and formatting
    // each first took 60 % of the encoding's time under load.
    let mut texts = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    for r in records {
        texts.extend(text_keys(r));
        statuses.extend(r.status);
    }
    let mut keys: Vec<String> = texts
        .into_iter()
        .map(|(p, v)| format!("{p}{v}"))
        .chain(statuses.into_iter().map(|s| format!("c:{s}")))
        .collect();
    keys.sort_unstable();
    let first_at = records.iter().map(|r| &r.at).min().cloned();
    let last_at = records.iter().map(|r| &r.at).max().cloned();
    Encoded {
        body,
        first_at: first_at.unwrap_or_default(),
        last_at: last_at.unwrap_or_default(),
        count: records.len() as i64,
        keys,
    }
}

/// The records of a stored body.
pub fn decode(body: &str) -> Result<Vec<Record>, serde_json::Error> {
    let rows: Vec<OwnedRow> = serde_json::from_str(body)?;
    Ok(rows.into_iter().map(record).collect())
}

/// What a stored body implies for its row (`verify` compares).
pub fn rederive(body: &str) -> Result<Encoded, serde_json::Error> {
    let records = decode(body)?;
    Ok(derive(&records, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(at: &str, subject: Option<&str>, status: i64) -> Record {
        Record {
            at: at.into(),
            kind: "request".into(),
            request_id: Some(format!("r-{at}")),
            subject: subject.map(String::from),
            method: Some("GET".into()),
            status: Some(status),
            latency_ms: Some(1.234_567_8),
            ..Record::default()
        }
    }

    #[test]
    fn a_batch_round_trips_with_its_range_and_keys() {
        let records = [
            rec("2026-12-01T00:00:02.000000Z", Some("ana"), 200),
            rec("2026-12-01T00:00:01.000000Z", None, 404),
        ];
        let e = encode(&records);
        assert_eq!(e.count, 2);
        assert_eq!(e.first_at, "2026-12-01T00:00:01.000000Z");
        assert_eq!(e.last_at, "2026-12-01T00:00:02.000000Z");
        assert_eq!(
            e.keys,
            [
                "c:200",
                "c:404",
                "k:request",
                "q:r-2026-12-01T00:00:01.000000Z",
                "q:r-2026-12-01T00:00:02.000000Z",
                "s:ana"
            ]
        );
        let back = decode(&e.body).unwrap();
        assert_eq!(back[0].subject.as_deref(), Some("ana"));
        assert_eq!(back[1].status, Some(404));
        assert_eq!(back[0].latency_ms, Some(1.235), "kept to the microsecond");
        assert_eq!(rederive(&e.body).unwrap(), e);
    }

    #[test]
    fn a_record_takes_some_200_bytes() {
        let r = Record {
            at: "2026-12-01T00:00:02.000000Z".into(),
            kind: "request".into(),
            request_id: Some("6f1c2a9e-4b7d-4e8a-9c3f-2d5e8b1a7c40".into()),
            subject: Some("user-1".into()),
            issuer: Some("http://127.0.0.1:8080/dev".into()),
            method: Some("GET".into()),
            route: Some("/v1/tasks/{id}".into()),
            resource: Some("tasks".into()),
            record_id: Some("42".into()),
            status: Some(200),
            latency_ms: Some(0.081),
            peer: Some("127.0.0.1".into()),
            ..Record::default()
        };
        let n = encode(&vec![r; 100]).body.len() / 100;
        assert!(n < 240, "{n} bytes a record");
    }
}
