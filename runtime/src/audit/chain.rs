//! The hash chain over audit records: each sealed record's hash covers
//! its sequence number, its fields and the previous record's hash, so an
//! edited, removed or reordered record breaks every hash after it.

use super::Record;
use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `sha256(prev \n seq \n fields-as-JSON)`, hex.
pub fn link(prev: &str, seq: i64, r: &Record) -> String {
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
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(fields.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_changes_the_hash() {
        let r = Record {
            at: "2026-12-01T00:00:00.000000Z".into(),
            kind: "request".into(),
            status: Some(200),
            ..Record::default()
        };
        let h = link(GENESIS, 1, &r);
        assert_eq!(h.len(), 64);
        assert_ne!(h, link(GENESIS, 2, &r), "the position counts");
        let mut edited = r.clone();
        edited.status = Some(201);
        assert_ne!(h, link(GENESIS, 1, &edited));
        assert_ne!(h, link(&h, 1, &r), "the previous hash counts");
    }
}
