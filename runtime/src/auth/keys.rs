//! An issuer's signing keys: its JSON Web Key Set, found through OpenID
//! discovery (or a configured URL), kept as `Cache-Control` allows and
//! swapped in without a lock on the request path.
//!
//! A token with an unknown `kid` refetches the set, at most once per
//! `AUTH_JWKS_MIN_REFRESH_SECS` and one fetch at a time (its waiters share
//! the result). While the issuer is unreachable the last good set stays in
//! use. Symmetric (`oct`) keys from a key set are never used: a public key
//! set must not turn into HMAC secrets.

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a key set is kept without `Cache-Control`, and the bounds of
/// what an issuer may ask for.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);
const MIN_MAX_AGE: Duration = Duration::from_secs(60);
const MAX_MAX_AGE: Duration = Duration::from_secs(86_400);

/// One usable public key.
struct Key {
    kid: Option<String>,
    /// The algorithms it may verify.
    algs: Vec<Algorithm>,
    key: DecodingKey,
}

/// The keys of one issuer at one moment.
#[derive(Default)]
pub struct KeySet {
    keys: Vec<Key>,
    /// Whether the set was ever loaded (an empty set that was loaded is
    /// still a loaded set).
    pub loaded: bool,
}

impl KeySet {
    /// The usable keys of a JWKS document; keys it cannot use are skipped.
    pub fn from_jwks(doc: &Value) -> KeySet {
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|k| serde_json::from_value::<Jwk>(k.clone()).ok())
            .filter_map(|jwk| key_of(&jwk))
            .collect();
        KeySet { keys, loaded: true }
    }

    /// A set holding one key (the development issuer's).
    pub fn single(kid: &str, alg: Algorithm, key: DecodingKey) -> KeySet {
        KeySet {
            keys: vec![Key {
                kid: Some(kid.into()),
                algs: vec![alg],
                key,
            }],
            loaded: true,
        }
    }

    /// The key for a token's `kid` and `alg`; without a `kid`, the only
    /// key that fits the algorithm.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&DecodingKey> {
        let fits = |k: &&Key| k.algs.contains(&alg);
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .filter(fits)
                .find(|k| k.kid.as_deref() == Some(kid))
                .map(|k| &k.key),
            None => {
                let mut fitting = self.keys.iter().filter(fits);
                match (fitting.next(), fitting.next()) {
                    (Some(k), None) => Some(&k.key),
                    _ => None,
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A JWK → a key, with the algorithms its type allows (narrowed by its
/// `alg` member when present). `oct` keys and encryption keys are refused.
fn key_of(jwk: &Jwk) -> Option<Key> {
    use jsonwebtoken::jwk::PublicKeyUse;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let by_type: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            vec![Algorithm::EdDSA]
        }
        _ => return None,
    };
    let algs = match jwk.common.key_algorithm.map(|a| a.to_string()) {
        Some(named) => by_type
            .into_iter()
            .filter(|a| format!("{a:?}") == named)
            .collect(),
        None => by_type,
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    (!algs.is_empty()).then(|| Key {
        kid: jwk.common.key_id.clone(),
        algs,
        key,
    })
}

/// `Cache-Control: max-age=N`, within bounds.
fn max_age(headers: &reqwest::header::HeaderMap) -> Duration {
    let age = headers
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|d| {
            d.trim()
                .strip_prefix("max-age=")?
                .trim()
                .parse::<u64>()
                .ok()
        });
    age.map(Duration::from_secs)
        .unwrap_or(DEFAULT_MAX_AGE)
        .clamp(MIN_MAX_AGE, MAX_MAX_AGE)
}

/// Where one issuer's keys come from.
pub enum Source {
    /// Fetched over HTTP: the configured key set URL, or discovery.
    Remote {
        issuer: String,
        jwks_url: Option<String>,
        client: reqwest::Client,
    },
    /// Known in process (the development issuer).
    Fixed,
}

/// One issuer's current key set and how it is renewed.
pub struct IssuerKeys {
    source: Source,
    current: ArcSwap<KeySet>,
    /// Bumped on every successful fetch: waiters tell whether someone
    /// refreshed while they waited.
    generation: AtomicU64,
    /// When an unknown `kid` last made it fetch (scheduled fetches do not
    /// count: a rotation right after one must still be followed).
    last_on_demand: Mutex<Option<Instant>>,
    discovered: Mutex<Option<String>>,
    /// One fetch at a time; only tokens with an unknown key wait on it.
    fetching: tokio::sync::Mutex<()>,
    min_refresh: Duration,
    fetches: AtomicU64,
}

/// The issuer could not be asked for its keys.
#[derive(Debug)]
pub struct Unreachable(pub String);

impl IssuerKeys {
    pub fn new(source: Source, initial: KeySet, min_refresh: Duration) -> Arc<IssuerKeys> {
        Arc::new(IssuerKeys {
            source,
            current: ArcSwap::from_pointee(initial),
            generation: AtomicU64::new(0),
            last_on_demand: Mutex::new(None),
            discovered: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
            min_refresh,
            fetches: AtomicU64::new(0),
        })
    }

    /// The keys now, without waiting.
    pub fn current(&self) -> (Arc<KeySet>, u64) {
        (
            self.current.load_full(),
            self.generation.load(Ordering::Acquire),
        )
    }

    /// How many times the key set was fetched (tests, metrics).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// A newer key set than generation `seen`, fetched unless someone
    /// already did or the last attempt was too recent. `Err` only when no
    /// set was ever loaded and the issuer cannot be reached.
    pub async fn refresh(&self, seen: u64) -> Result<Arc<KeySet>, Unreachable> {
        let _one = self.fetching.lock().await;
        let (set, generation) = self.current();
        if generation != seen || matches!(self.source, Source::Fixed) {
            return Ok(set);
        }
        {
            let mut last = self.last_on_demand.lock().expect("not poisoned");
            if set.loaded && last.is_some_and(|t| t.elapsed() < self.min_refresh) {
                return Ok(set);
            }
            *last = Some(Instant::now());
        }
        match self.fetch().await {
            Ok((fresh, _)) => Ok(self.store(fresh)),
            Err(e) if set.loaded => {
                tracing::warn!(error = %e.0, "key set refresh failed; the last good set stays in use");
                Ok(set)
            }
            Err(e) => Err(e),
        }
    }

    fn store(&self, fresh: KeySet) -> Arc<KeySet> {
        let fresh = Arc::new(fresh);
        self.current.store(fresh.clone());
        self.generation.fetch_add(1, Ordering::AcqRel);
        fresh
    }

    /// Fetches the key set (and, the first time, the discovery document).
    async fn fetch(&self) -> Result<(KeySet, Duration), Unreachable> {
        let Source::Remote { issuer, client, .. } = &self.source else {
            return Err(Unreachable("a fixed key set is not fetched".into()));
        };
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let url = self.jwks_url().await?;
        let res = client
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| Unreachable(format!("key set of {issuer} at {url}: {e}")))?;
        let age = max_age(res.headers());
        let doc: Value = res
            .json()
            .await
            .map_err(|e| Unreachable(format!("key set of {issuer} at {url} is not JSON: {e}")))?;
        let set = KeySet::from_jwks(&doc);
        tracing::info!(issuer = %issuer, keys = set.len(), max_age_secs = age.as_secs(), "key set loaded");
        Ok((set, age))
    }

    /// The configured key set URL, or the one discovery names (checked to
    /// belong to this issuer, as OpenID Connect Discovery requires).
    async fn jwks_url(&self) -> Result<String, Unreachable> {
        let Source::Remote {
            issuer,
            jwks_url,
            client,
        } = &self.source
        else {
            return Err(Unreachable("no key set URL".into()));
        };
        if let Some(u) = jwks_url {
            return Ok(u.clone());
        }
        if let Some(u) = self.discovered.lock().expect("not poisoned").clone() {
            return Ok(u);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc: Value = client
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| Unreachable(format!("discovery of {issuer}: {e}")))?
            .json()
            .await
            .map_err(|e| Unreachable(format!("discovery of {issuer} is not JSON: {e}")))?;
        if doc.get("issuer").and_then(Value::as_str) != Some(issuer.as_str()) {
            return Err(Unreachable(format!(
                "discovery at {url} names another issuer"
            )));
        }
        let jwks = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| Unreachable(format!("discovery at {url} names no jwks_uri")))?
            .to_string();
        *self.discovered.lock().expect("not poisoned") = Some(jwks.clone());
        Ok(jwks)
    }

    /// Keeps the set fresh in the background, as its `Cache-Control`
    /// allows; retries sooner while the issuer is unreachable. Stops when
    /// the keys are dropped.
    pub fn keep_fresh(self: &Arc<Self>) {
        if matches!(self.source, Source::Fixed) {
            return;
        }
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut wait = Duration::ZERO;
            loop {
                tokio::time::sleep(wait).await;
                let Some(keys) = weak.upgrade() else { return };
                let _one = keys.fetching.lock().await;
                wait = match keys.fetch().await {
                    Ok((fresh, age)) => {
                        keys.store(fresh);
                        age
                    }
                    Err(e) => {
                        tracing::warn!(error = %e.0, "key set fetch failed; retrying");
                        keys.min_refresh.max(Duration::from_secs(5))
                    }
                };
            }
        });
    }
}

/// Keys by issuer name.
pub type Issuers = HashMap<String, Arc<IssuerKeys>>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_signing_keys_of_asymmetric_types_are_kept() {
        let doc = json!({"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "ed"},
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "enc", "use": "enc"},
            {"kty": "weird"}
        ]});
        let set = KeySet::from_jwks(&doc);
        assert_eq!(set.len(), 1);
        assert!(set.find(Some("ed"), Algorithm::EdDSA).is_some());
        assert!(
            set.find(Some("ed"), Algorithm::RS256).is_none(),
            "a key verifies its own algorithm only"
        );
        assert!(
            set.find(Some("hmac"), Algorithm::HS256).is_none(),
            "no HMAC secret from a key set"
        );
        assert!(
            set.find(None, Algorithm::EdDSA).is_some(),
            "one fitting key needs no kid"
        );
    }

    #[test]
    fn cache_lifetimes_follow_the_issuer_within_bounds() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(max_age(&h), DEFAULT_MAX_AGE);
        h.insert("cache-control", "public, max-age=900".parse().unwrap());
        assert_eq!(max_age(&h), Duration::from_secs(900));
        h.insert("cache-control", "max-age=1".parse().unwrap());
        assert_eq!(max_age(&h), MIN_MAX_AGE);
    }
}
