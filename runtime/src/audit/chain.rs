//! The hash chain over stored batches: each sealed batch's hash covers its
//! sequence number, its body (every record in it) and the previous
//! batch's hash, so an edited, removed or reordered record breaks every
//! hash after it.

use sha2::{Digest, Sha256};

/// The hash before the first batch.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `sha256(prev \n seq \n body)`, hex.
pub fn link(prev: &str, seq: i64, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_changes_the_hash() {
        let body = r#"[["2026-12-01T00:00:00.000000Z","request",null,200]]"#;
        let h = link(GENESIS, 1, body);
        assert_eq!(h.len(), 64);
        assert_ne!(h, link(GENESIS, 2, body), "the position counts");
        assert_ne!(h, link(GENESIS, 1, &body.replace("200", "201")));
        assert_ne!(h, link(&h, 1, body), "the previous hash counts");
    }
}
