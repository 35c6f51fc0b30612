//! OAuth 2.0 resource server: bearer JWT access tokens (RFC 9068) checked
//! against the keys of the trusted issuers, the caller they name handed to
//! the gate through the identity seam ([`Authenticate`]).
//!
//! The hot path is a lookup: a verified token is kept (by its full text)
//! until it expires, and key sets are swapped in without locks. Only a
//! token whose key is unknown waits, for one shared refetch. Tokens are
//! never logged. Not for what a caller may do (`permissions`).

pub mod dev;
pub mod keys;
pub mod settings;
pub mod verify;

pub use settings::{AuthSettings, IssuerSettings};

use crate::error::{ApiError, Kind};
use crate::identity::{AuthResult, Authenticate, Authentication, Principal};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue};
use jsonwebtoken::{Algorithm, DecodingKey};
use keys::{IssuerKeys, KeySet, Source};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Verified tokens kept at most (each is a few hundred bytes).
const VERIFIED_CAPACITY: usize = 20_000;

/// One trusted issuer as the verifier sees it.
struct Trusted {
    keys: Arc<IssuerKeys>,
    /// HS256 with a configured secret (never a key from a key set).
    hs256: Option<DecodingKey>,
}

struct Inner {
    settings: AuthSettings,
    issuers: HashMap<String, Trusted>,
    /// Full token text → its caller and expiry (Unix seconds).
    verified: quick_cache::sync::Cache<Box<str>, (Arc<Principal>, u64)>,
}

/// Checks `Authorization: Bearer` tokens; install with
/// [`App::authenticate`](crate::App::authenticate), or let the app build
/// it from [`AuthSettings`].
#[derive(Clone)]
pub struct BearerAuth {
    inner: Arc<Inner>,
}

impl BearerAuth {
    /// The issuers of `settings`, their keys fetched in the background
    /// from now on (call inside a Tokio runtime).
    pub fn new(settings: AuthSettings) -> Result<BearerAuth, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("HTTP client for key sets: {e}"))?;
        let mut issuers = HashMap::new();
        for i in &settings.issuers {
            let keys = IssuerKeys::new(
                Source::Remote {
                    issuer: i.issuer.clone(),
                    jwks_url: i.jwks_url.clone(),
                    client: client.clone(),
                },
                KeySet::default(),
                settings.min_refresh,
            );
            keys.keep_fresh();
            let hs256 = i
                .hs256_secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.as_bytes()));
            issuers.insert(i.issuer.clone(), Trusted { keys, hs256 });
        }
        Ok(Self::with_issuers(settings, issuers))
    }

    /// Trusts the development issuer (its key known in process).
    pub fn development(mut settings: AuthSettings, issuer: &dev::DevIssuer) -> BearerAuth {
        if settings.audiences.is_empty() {
            settings.audiences.push(dev::AUDIENCE.into());
        }
        let keys = IssuerKeys::new(Source::Fixed, issuer.key_set(), settings.min_refresh);
        let issuers = HashMap::from([(dev::ISSUER.to_string(), Trusted { keys, hs256: None })]);
        Self::with_issuers(settings, issuers)
    }

    fn with_issuers(settings: AuthSettings, issuers: HashMap<String, Trusted>) -> BearerAuth {
        BearerAuth {
            inner: Arc::new(Inner {
                settings,
                issuers,
                verified: quick_cache::sync::Cache::new(VERIFIED_CAPACITY),
            }),
        }
    }

    /// How many times issuer `iss`'s key set was fetched.
    pub fn key_fetches(&self, iss: &str) -> u64 {
        self.inner.issuers.get(iss).map_or(0, |t| t.keys.fetches())
    }
}

/// The bearer token of a request: `None` without one; a malformed
/// `Authorization: Bearer` field is refused.
fn bearer(headers: &HeaderMap) -> Option<Result<&str, ApiError>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let Ok(v) = v.to_str() else {
        return Some(Err(ApiError::unauthenticated(
            "the Authorization field is not text",
        )));
    };
    let (scheme, token) = v.trim().split_once(' ').unwrap_or((v.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme is for someone else (API keys are read by the limiter).
        return None;
    }
    let token = token.trim();
    if token.is_empty() || token.contains(' ') {
        return Some(Err(ApiError::unauthenticated(
            "the Authorization field has no bearer token",
        )));
    }
    Some(Ok(token))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn unavailable(issuer: &str) -> ApiError {
    tracing::warn!(issuer, "the token issuer's keys are unavailable");
    ApiError::new(
        Kind::Unavailable,
        "the token issuer cannot be reached to check the token's key; try again shortly",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
}

impl Inner {
    /// A token seen before and not expired.
    fn remembered(&self, token: &str) -> Option<AuthResult> {
        let (p, exp) = self.verified.get(token)?;
        if now() <= exp + self.settings.leeway.as_secs() {
            return Some(Ok(Some(p)));
        }
        self.verified.remove(token);
        Some(Err(ApiError::unauthenticated(
            "the bearer token has expired",
        )))
    }

    fn check(self: &Arc<Self>, token: &str) -> Authentication {
        if let Some(r) = self.remembered(token) {
            return r.into();
        }
        let hs = self.issuers.values().any(|t| t.hs256.is_some());
        let seen = match verify::inspect(token, &self.settings, hs) {
            Ok(s) => s,
            Err(e) => return Authentication::Ready(Err(e)),
        };
        let Some(trusted) = self.issuers.get(&seen.issuer) else {
            return Authentication::Ready(Err(ApiError::unauthenticated(
                "the bearer token comes from an issuer this API does not trust",
            )));
        };
        if seen.alg == Algorithm::HS256 {
            let r = match &trusted.hs256 {
                Some(k) => self.finish(token, k, &seen),
                None => Err(ApiError::unauthenticated(
                    "the bearer token uses HS256, which its issuer is not configured for",
                )),
            };
            return r.into();
        }
        let (set, generation) = trusted.keys.current();
        if let Some(k) = set.find(seen.kid.as_deref(), seen.alg) {
            return self.finish(token, k, &seen).into();
        }
        // Unknown key: the issuer may have rotated; ask it (once, shared).
        let (inner, keys, token) = (self.clone(), trusted.keys.clone(), token.to_string());
        Authentication::Pending(Box::pin(async move {
            let set = keys
                .refresh(generation)
                .await
                .map_err(|_| unavailable(&seen.issuer))?;
            match set.find(seen.kid.as_deref(), seen.alg) {
                Some(k) => inner.finish(&token, k, &seen),
                None if !set.loaded => Err(unavailable(&seen.issuer)),
                None => Err(ApiError::unauthenticated(
                    "the bearer token is signed with a key its issuer does not publish (unknown kid)",
                )),
            }
        }))
    }

    fn finish(&self, token: &str, key: &DecodingKey, seen: &verify::Unverified) -> AuthResult {
        let (p, exp) = verify::verify(token, key, seen, &self.settings)?;
        let p = Arc::new(p);
        self.verified.insert(token.into(), (p.clone(), exp));
        Ok(Some(p))
    }
}

impl Authenticate for BearerAuth {
    fn authenticate(&self, req: &Request) -> Authentication {
        match bearer(req.headers()) {
            None => Authentication::Ready(Ok(None)),
            Some(Err(e)) => Authentication::Ready(Err(e)),
            Some(Ok(token)) => self.inner.check(token),
        }
    }
}

/// What the app builds from its settings when it installs no
/// authenticator of its own: the verifier and, for the development
/// issuer, the routes that mint tokens.
pub struct Installed {
    pub authenticator: Option<Arc<dyn Authenticate>>,
    pub dev_routes: Option<axum::Router>,
}

/// The authenticator the settings ask for; refuses the development issuer
/// where it must not run.
pub fn install(
    settings: &AuthSettings,
    addr: std::net::SocketAddr,
    protected: bool,
) -> Result<Installed, String> {
    if !settings.issuers.is_empty() {
        let auth = BearerAuth::new(settings.clone())?;
        return Ok(Installed {
            authenticator: Some(Arc::new(auth)),
            dev_routes: None,
        });
    }
    let Some(seed) = &settings.dev_issuer else {
        if settings.production && protected {
            return Err("RESOURCEFUL_ENV=production and no AUTH_ISSUER: resources with access rules could never be reached; configure your identity provider (AUTH_ISSUER, AUTH_AUDIENCE)".into());
        }
        return Ok(Installed {
            authenticator: None,
            dev_routes: None,
        });
    };
    if settings.production {
        return Err("the development issuer does not run with RESOURCEFUL_ENV=production; configure your identity provider (AUTH_ISSUER, AUTH_AUDIENCE)".into());
    }
    if !addr.ip().is_loopback() && !settings.dev_explicit {
        return Err(format!(
            "the development issuer mints tokens for anyone who reaches it, so it only runs on loopback; {addr} is not. Configure AUTH_ISSUER, or set AUTH_DEV_ISSUER=on to run it anyway"
        ));
    }
    let audience = settings
        .audiences
        .first()
        .cloned()
        .unwrap_or_else(|| dev::AUDIENCE.into());
    let issuer = Arc::new(dev::DevIssuer::new(seed.as_deref(), &audience));
    tracing::warn!(
        "no identity provider configured: the development issuer mints tokens at POST /dev/token (for development only)"
    );
    let auth = BearerAuth::development(settings.clone(), &issuer);
    Ok(Installed {
        authenticator: Some(Arc::new(auth)),
        dev_routes: Some(issuer.router()),
    })
}
