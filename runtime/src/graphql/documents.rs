//! Parsed GraphQL documents, kept by the hash of their text: clients send
//! the same few documents over and over, and parsing one is a large part
//! of executing it (`cargo bench --bench micro -- graphql`, in process:
//! the bench's task query takes 10.0 µs to parse; executed with the
//! response cache off it took 26.8 µs a request, 14.4 µs with this cache).
//! Validation still runs on every request, inside the executor.

use async_graphql::parser::types::ExecutableDocument;
use std::sync::Arc;

/// How many distinct documents are kept (the least recently used go).
pub(crate) const CAPACITY: usize = 1024;
/// Longer documents are parsed every time rather than kept.
const MAX_KEPT_BYTES: usize = 16 * 1024;

pub struct Documents {
    cache: quick_cache::sync::Cache<u128, Arc<ExecutableDocument>>,
}

impl Default for Documents {
    fn default() -> Self {
        Documents {
            cache: quick_cache::sync::Cache::new(CAPACITY),
        }
    }
}

impl Documents {
    /// The parsed document of `query` and its key: the kept one, or parsed
    /// now and kept. `None` for a document too long to keep or that does
    /// not parse (the executor parses it and reports the syntax error).
    pub fn kept(&self, query: &str) -> Option<(u128, Arc<ExecutableDocument>)> {
        if query.len() > MAX_KEPT_BYTES {
            return None;
        }
        let key = xxhash_rust::xxh3::xxh3_128(query.as_bytes());
        if let Some(doc) = self.cache.get(&key) {
            return Some((key, doc));
        }
        let doc = Arc::new(async_graphql::parser::parse_query(query).ok()?);
        self.cache.insert(key, doc.clone());
        Some((key, doc))
    }

    /// Gives `req` its parsed document (see [`Documents::kept`]).
    #[cfg(test)]
    fn attach(&self, req: &mut async_graphql::Request) {
        if let Some((_, doc)) = self.kept(&req.query) {
            req.set_parsed_query(ExecutableDocument::clone(&doc));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.cache.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Request;

    #[test]
    fn a_document_is_parsed_once_and_bad_ones_are_not_kept() {
        let docs = Documents::default();
        let mut a = Request::new("{ tasks { items { id } } }");
        docs.attach(&mut a);
        assert_eq!(docs.len(), 1);
        let mut again = Request::new("{ tasks { items { id } } }");
        docs.attach(&mut again);
        assert_eq!(docs.len(), 1);
        assert_eq!(
            format!("{:?}", again.parsed_query().unwrap().operations),
            format!("{:?}", a.parsed_query().unwrap().operations),
            "the same document"
        );
        let mut bad = Request::new("{ tasks { ");
        docs.attach(&mut bad);
        assert_eq!(docs.len(), 1, "syntax errors are reported, not kept");
        assert!(bad.parsed_query().is_err());
    }
}
