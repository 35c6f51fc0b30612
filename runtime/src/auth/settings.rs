//! How bearer tokens are checked, from environment variables:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `AUTH_ISSUER` | none | trusted issuers, comma-separated; keys found through `/.well-known/openid-configuration` |
//! | `AUTH_JWKS_URL` | discovery | the key set URL (one per issuer, comma-separated in the same order) |
//! | `AUTH_AUDIENCE` | required with an issuer | the `aud` this API answers to (comma-separated for several) |
//! | `AUTH_ROLES_CLAIM` | `roles` | the claim holding roles; a dotted path reads nested claims (`realm_access.roles`) |
//! | `AUTH_ALGORITHMS` | `RS256,ES256,EdDSA` | signature algorithms accepted; `none` never is |
//! | `AUTH_HS256_SECRET` | none | a shared secret: allows HS256 tokens of the first issuer, verified with it alone |
//! | `AUTH_LEEWAY_SECS` | `30` | clock skew allowed on `exp` and `nbf` |
//! | `AUTH_JWKS_MIN_REFRESH_SECS` | `30` | an unknown `kid` refetches the key set at most this often |
//! | `AUTH_TOKEN_TYPES` | `at+jwt,application/at+jwt` | accepted `typ` headers (RFC 9068); `any` accepts every type |
//! | `AUTH_DEV_ISSUER` | on without `AUTH_ISSUER` | `off` disables the development issuer |
//! | `AUTH_DEV_SECRET` | random | seeds the development issuer's key, so replicas share it |
//! | `RESOURCEFUL_ENV` | `development` | `production` refuses to run the development issuer |

use jsonwebtoken::Algorithm;
use std::time::Duration;

/// One trusted token issuer.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerSettings {
    /// The exact `iss` of its tokens.
    pub issuer: String,
    /// Where its keys are; `None`: found through discovery.
    pub jwks_url: Option<String>,
    /// A shared secret for HS256 tokens of this issuer (never a JWKS key).
    pub hs256_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthSettings {
    pub issuers: Vec<IssuerSettings>,
    pub audiences: Vec<String>,
    pub roles_claim: String,
    pub algorithms: Vec<Algorithm>,
    pub leeway: Duration,
    pub min_refresh: Duration,
    /// Accepted `typ` values, lowercase; empty accepts any.
    pub token_types: Vec<String>,
    /// The development issuer: `Some(seed)` when it runs (`None` seed: a
    /// key made at start-up).
    pub dev_issuer: Option<Option<String>>,
    /// `AUTH_DEV_ISSUER=on`: run it even off loopback.
    pub dev_explicit: bool,
    /// `RESOURCEFUL_ENV=production`.
    pub production: bool,
}

impl Default for AuthSettings {
    /// No issuer and no development issuer: every caller is anonymous
    /// unless the app installs its own authenticator.
    fn default() -> Self {
        AuthSettings {
            issuers: Vec::new(),
            audiences: Vec::new(),
            roles_claim: "roles".into(),
            algorithms: vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA],
            leeway: Duration::from_secs(30),
            min_refresh: Duration::from_secs(30),
            token_types: vec!["at+jwt".into(), "application/at+jwt".into()],
            dev_issuer: None,
            dev_explicit: false,
            production: false,
        }
    }
}

fn list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn algorithm(name: &str) -> Result<Algorithm, String> {
    match name {
        "none" => Err("AUTH_ALGORITHMS: `none` is never accepted".into()),
        "RS256" => Ok(Algorithm::RS256),
        "RS384" => Ok(Algorithm::RS384),
        "RS512" => Ok(Algorithm::RS512),
        "PS256" => Ok(Algorithm::PS256),
        "PS384" => Ok(Algorithm::PS384),
        "PS512" => Ok(Algorithm::PS512),
        "ES256" => Ok(Algorithm::ES256),
        "ES384" => Ok(Algorithm::ES384),
        "EdDSA" => Ok(Algorithm::EdDSA),
        "HS256" | "HS384" | "HS512" => Err(format!(
            "AUTH_ALGORITHMS: {name} needs a shared secret; set AUTH_HS256_SECRET instead"
        )),
        other => Err(format!("AUTH_ALGORITHMS: unknown algorithm {other:?}")),
    }
}

impl AuthSettings {
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<AuthSettings, String> {
        let mut s = AuthSettings::default();
        s.production = get("RESOURCEFUL_ENV").is_some_and(|v| v.trim() == "production");
        let issuers = get("AUTH_ISSUER").map(|v| list(&v)).unwrap_or_default();
        let jwks = get("AUTH_JWKS_URL").map(|v| list(&v)).unwrap_or_default();
        if !jwks.is_empty() && jwks.len() != issuers.len() {
            return Err(format!(
                "AUTH_JWKS_URL names {} key sets for {} issuers in AUTH_ISSUER; give one per issuer, in the same order",
                jwks.len(),
                issuers.len()
            ));
        }
        let secret = get("AUTH_HS256_SECRET").filter(|v| !v.is_empty());
        if secret.as_ref().is_some_and(|v| v.len() < 32) {
            return Err("AUTH_HS256_SECRET must be at least 32 characters".into());
        }
        s.issuers = issuers
            .into_iter()
            .enumerate()
            .map(|(i, issuer)| IssuerSettings {
                issuer,
                jwks_url: jwks.get(i).cloned(),
                hs256_secret: secret.clone().filter(|_| i == 0),
            })
            .collect();
        if secret.is_some() && s.issuers.is_empty() {
            return Err(
                "AUTH_HS256_SECRET needs AUTH_ISSUER (the issuer whose tokens it signs)".into(),
            );
        }
        if let Some(a) = get("AUTH_AUDIENCE") {
            s.audiences = list(&a);
        }
        if !s.issuers.is_empty() && s.audiences.is_empty() {
            return Err("AUTH_AUDIENCE is required with AUTH_ISSUER: without it a token issued for another API would be accepted".into());
        }
        if let Some(c) = get("AUTH_ROLES_CLAIM").filter(|c| !c.trim().is_empty()) {
            s.roles_claim = c.trim().to_string();
        }
        if let Some(a) = get("AUTH_ALGORITHMS") {
            s.algorithms = list(&a)
                .iter()
                .map(|n| algorithm(n))
                .collect::<Result<_, _>>()?;
            if s.algorithms.is_empty() {
                return Err("AUTH_ALGORITHMS lists no algorithm".into());
            }
        }
        let secs = |k: &str, d: u64| -> Result<Duration, String> {
            match get(k) {
                None => Ok(Duration::from_secs(d)),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Duration::from_secs)
                    .map_err(|_| format!("{k}={v:?} is not a number of seconds")),
            }
        };
        s.leeway = secs("AUTH_LEEWAY_SECS", 30)?;
        s.min_refresh = secs("AUTH_JWKS_MIN_REFRESH_SECS", 30)?;
        if let Some(t) = get("AUTH_TOKEN_TYPES") {
            s.token_types = match t.trim() {
                "any" => Vec::new(),
                t => list(t)
                    .into_iter()
                    .map(|v| v.to_ascii_lowercase())
                    .collect(),
            };
        }
        let dev_off =
            get("AUTH_DEV_ISSUER").is_some_and(|v| matches!(v.trim(), "off" | "0" | "false"));
        s.dev_explicit =
            get("AUTH_DEV_ISSUER").is_some_and(|v| matches!(v.trim(), "on" | "1" | "true"));
        if s.issuers.is_empty() && !dev_off {
            s.dev_issuer = Some(get("AUTH_DEV_SECRET").filter(|v| !v.is_empty()));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<AuthSettings, String> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        AuthSettings::from_lookup(&|k| env.get(k).cloned())
    }

    #[test]
    fn issuers_need_an_audience_and_matching_key_sets() {
        let e = from(&[("AUTH_ISSUER", "https://id.example")]).unwrap_err();
        assert!(e.contains("AUTH_AUDIENCE"), "{e}");
        let s = from(&[
            ("AUTH_ISSUER", "https://a, https://b"),
            ("AUTH_AUDIENCE", "api"),
        ])
        .unwrap();
        assert_eq!(s.issuers.len(), 2);
        assert_eq!(
            s.dev_issuer, None,
            "a real issuer turns the development one off"
        );
        let e = from(&[
            ("AUTH_ISSUER", "https://a,https://b"),
            ("AUTH_AUDIENCE", "api"),
            ("AUTH_JWKS_URL", "https://a/k"),
        ])
        .unwrap_err();
        assert!(e.contains("one per issuer"), "{e}");
    }

    #[test]
    fn algorithms_never_include_none_and_hs_needs_a_secret() {
        let e = from(&[("AUTH_ALGORITHMS", "RS256,none")]).unwrap_err();
        assert!(e.contains("never"), "{e}");
        assert!(from(&[("AUTH_ALGORITHMS", "HS256")])
            .unwrap_err()
            .contains("AUTH_HS256_SECRET"));
        let e = from(&[
            ("AUTH_ISSUER", "x"),
            ("AUTH_AUDIENCE", "a"),
            ("AUTH_HS256_SECRET", "short"),
        ])
        .unwrap_err();
        assert!(e.contains("32"), "{e}");
    }

    #[test]
    fn without_an_issuer_the_development_issuer_runs() {
        let s = from(&[]).unwrap();
        assert_eq!(s.dev_issuer, Some(None));
        assert_eq!(
            from(&[("AUTH_DEV_ISSUER", "off")]).unwrap().dev_issuer,
            None
        );
        assert_eq!(
            from(&[("AUTH_DEV_SECRET", "k")]).unwrap().dev_issuer,
            Some(Some("k".into()))
        );
        assert!(
            from(&[("RESOURCEFUL_ENV", "production")])
                .unwrap()
                .production
        );
    }
}
