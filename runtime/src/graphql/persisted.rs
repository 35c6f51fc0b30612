//! Automatic persisted queries (the Apollo protocol): a client sends the
//! SHA-256 of its document in `extensions.persistedQuery`, and the text
//! only when the server answers `PERSISTED_QUERY_NOT_FOUND`. Requests stay
//! small, and a GET with a hash is cacheable by any proxy.

use async_graphql::{ServerError, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How many documents are remembered (the least recently used go).
const CAPACITY: usize = 4096;

pub struct PersistedQueries {
    texts: quick_cache::sync::Cache<[u8; 32], Arc<str>>,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries {
            texts: quick_cache::sync::Cache::new(CAPACITY),
        }
    }
}

/// Why a request's persisted query cannot be used.
pub enum Refusal {
    /// Malformed `persistedQuery`: the request is not well-formed (400).
    Malformed(String),
    /// A GraphQL error in a 200 answer, as the protocol has it.
    Error(ServerError),
}

fn not_found() -> Refusal {
    let mut e = ServerError::new("PersistedQueryNotFound", None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "PERSISTED_QUERY_NOT_FOUND");
    e.extensions = Some(ext);
    Refusal::Error(e)
}

/// The 32 bytes of a lower- or upper-case hex SHA-256.
fn parse_hash(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

impl PersistedQueries {
    /// Fills in `query` from `extensions.persistedQuery`, or remembers it.
    /// Requests without the extension pass unchanged.
    pub fn resolve(
        &self,
        query: &mut String,
        extensions: &async_graphql::Extensions,
    ) -> Result<(), Refusal> {
        let Some(pq) = extensions.get("persistedQuery") else {
            return Ok(());
        };
        let malformed = |m: &str| Refusal::Malformed(format!("extensions.persistedQuery: {m}"));
        let Value::Object(pq) = pq else {
            return Err(malformed(
                "expected {\"version\": 1, \"sha256Hash\": \"<64 hex digits>\"}",
            ));
        };
        match pq.get("version") {
            Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
            _ => return Err(malformed("only version 1 is supported")),
        }
        let hash = match pq.get("sha256Hash") {
            Some(Value::String(h)) => {
                parse_hash(h).ok_or_else(|| malformed("sha256Hash must be 64 hex digits"))?
            }
            _ => return Err(malformed("sha256Hash is required")),
        };
        if query.is_empty() {
            return match self.texts.get(&hash) {
                Some(text) => {
                    *query = text.to_string();
                    Ok(())
                }
                None => Err(not_found()),
            };
        }
        if Sha256::digest(query.as_bytes()).as_slice() != hash {
            return Err(malformed("sha256Hash does not match the query"));
        }
        self.texts.insert(hash, Arc::from(query.as_str()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(hash: &str) -> async_graphql::Extensions {
        serde_json::from_value(serde_json::json!({
            "persistedQuery": {"version": 1, "sha256Hash": hash}
        }))
        .unwrap()
    }

    #[test]
    fn a_hash_is_answered_once_its_text_was_sent() {
        let pq = PersistedQueries::default();
        let text = "{ tasks { items { id } } }";
        let hash = format!("{:x}", Sha256::digest(text.as_bytes()));
        let mut empty = String::new();
        assert!(matches!(
            pq.resolve(&mut empty, &ext(&hash)),
            Err(Refusal::Error(_))
        ));
        let mut full = text.to_string();
        assert!(pq.resolve(&mut full, &ext(&hash)).is_ok());
        let mut again = String::new();
        assert!(pq.resolve(&mut again, &ext(&hash)).is_ok());
        assert_eq!(again, text);
        let mut wrong = "{ other }".to_string();
        assert!(matches!(
            pq.resolve(&mut wrong, &ext(&hash)),
            Err(Refusal::Malformed(_))
        ));
        assert!(matches!(
            pq.resolve(&mut String::new(), &ext("xyz")),
            Err(Refusal::Malformed(_))
        ));
        let mut plain = text.to_string();
        assert!(pq
            .resolve(&mut plain, &async_graphql::Extensions::default())
            .is_ok());
    }
}
