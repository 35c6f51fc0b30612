//! One bearer token → its [`Principal`], given the key that should have
//! signed it: the header and issuer read first (to choose the key), then
//! signature, `iss`, `aud`, `exp` and `nbf` checked by jsonwebtoken.
//!
//! Synchronous and free of I/O: finding keys is `keys.rs`' job. Messages
//! name what is wrong with a token, never the token.

use super::settings::AuthSettings;
use crate::error::ApiError;
use crate::identity::Principal;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::str::FromStr;

/// What a token says about itself before it is verified.
#[derive(Debug)]
pub struct Unverified {
    pub alg: Algorithm,
    pub kid: Option<String>,
    pub issuer: String,
}

fn refused(why: &str) -> ApiError {
    ApiError::unauthenticated(format!("the bearer token {why}"))
}

fn segment(part: &str) -> Result<Map<String, Value>, ApiError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| refused("is not a JWT (a segment is not base64url)"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(refused("is not a JWT (a segment is not a JSON object)")),
    }
}

/// Reads the header and issuer, and refuses what no key could fix: not a
/// JWS, `alg: none` or an algorithm not allowed, another `typ`, no `iss`.
pub fn inspect(
    token: &str,
    settings: &AuthSettings,
    hs_allowed: bool,
) -> Result<Unverified, ApiError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(refused("is not a JWT (it needs three dot-separated parts)"));
    };
    let header = segment(h)?;
    let alg_name = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if alg_name.eq_ignore_ascii_case("none") || alg_name.is_empty() {
        return Err(refused("is unsigned (alg none), which is never accepted"));
    }
    let alg = Algorithm::from_str(alg_name)
        .map_err(|_| refused(&format!("uses an unknown algorithm {alg_name}")))?;
    let allowed = settings.algorithms.contains(&alg) || (alg == Algorithm::HS256 && hs_allowed);
    if !allowed {
        return Err(refused(&format!(
            "uses algorithm {alg_name}, which this API does not accept"
        )));
    }
    if !settings.token_types.is_empty() {
        let typ = header
            .get("typ")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !settings.token_types.contains(&typ.to_ascii_lowercase()) {
            return Err(refused(&format!(
                "has type {typ:?}; an access token (RFC 9068) has typ \"at+jwt\""
            )));
        }
    }
    let payload = segment(p)?;
    let issuer = payload
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| refused("has no `iss` claim"))?
        .to_string();
    let kid = header.get("kid").and_then(Value::as_str).map(String::from);
    Ok(Unverified { alg, kid, issuer })
}

/// Verifies `token` with `key` and reads its caller. Returns the principal
/// and the token's expiry (Unix seconds).
pub fn verify(
    token: &str,
    key: &DecodingKey,
    seen: &Unverified,
    settings: &AuthSettings,
) -> Result<(Principal, u64), ApiError> {
    let mut v = Validation::new(seen.alg);
    v.leeway = settings.leeway.as_secs();
    v.validate_nbf = true;
    v.set_issuer(&[seen.issuer.as_str()]);
    v.set_audience(&settings.audiences);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, &v).map_err(|e| {
        refused(match e.kind() {
            ErrorKind::ExpiredSignature => "has expired",
            ErrorKind::ImmatureSignature => "is not valid yet (nbf)",
            ErrorKind::InvalidAudience => "was issued for another audience (aud)",
            ErrorKind::InvalidIssuer => "comes from an issuer this API does not trust",
            ErrorKind::InvalidSignature => "has a signature that does not verify",
            ErrorKind::MissingRequiredClaim(c) => match c.as_str() {
                "exp" => "has no `exp` claim",
                "aud" => "has no `aud` claim",
                "sub" => "has no `sub` claim",
                _ => "lacks a required claim",
            },
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidKeyFormat => {
                "is signed with an algorithm that does not match its key"
            }
            _ => "is malformed",
        })
    })?;
    let claims = data.claims;
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    Ok((principal(claims, settings), exp))
}

/// The caller a verified token names: `sub`, roles from the configured
/// claim, scopes from `scope` (space-separated) or `scp` (a list).
fn principal(claims: Map<String, Value>, settings: &AuthSettings) -> Principal {
    let subject = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let roles = strings(path(&claims, &settings.roles_claim));
    let scopes = match (claims.get("scope"), claims.get("scp")) {
        (Some(s), _) => strings(Some(s)),
        (None, s) => strings(s),
    };
    let mut p = Principal::new(subject)
        .with_roles(roles)
        .with_scopes(scopes);
    p.claims = claims;
    p
}

/// `realm_access.roles` → the nested value.
fn path<'a>(claims: &'a Map<String, Value>, dotted: &str) -> Option<&'a Value> {
    let mut parts = dotted.split('.');
    let mut v = claims.get(parts.next()?)?;
    for p in parts {
        v = v.get(p)?;
    }
    Some(v)
}

/// A list of strings, or one space-separated string.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => s.split_whitespace().map(String::from).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(header: Value, payload: Value) -> String {
        let enc =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", enc(&header), enc(&payload))
    }

    #[test]
    fn unsigned_and_disallowed_tokens_are_refused_before_any_key() {
        let s = AuthSettings::default();
        let iss = json!({"iss": "https://id"});
        for (header, why) in [
            (json!({"alg": "none", "typ": "at+jwt"}), "alg none"),
            (json!({"alg": "NONE", "typ": "at+jwt"}), "alg none"),
            (json!({"alg": "HS256", "typ": "at+jwt"}), "does not accept"),
            (json!({"alg": "RS256", "typ": "JWT"}), "at+jwt"),
        ] {
            let e = inspect(&jwt(header, iss.clone()), &s, false).unwrap_err();
            assert_eq!(e.status(), 401);
            assert!(e.detail.contains(why), "{}", e.detail);
        }
        assert!(inspect("a.b", &s, false).is_err());
        let ok = inspect(
            &jwt(json!({"alg": "HS256", "typ": "at+jwt", "kid": "k"}), iss),
            &s,
            true,
        )
        .unwrap();
        assert_eq!(
            (ok.alg, ok.kid.as_deref(), ok.issuer.as_str()),
            (Algorithm::HS256, Some("k"), "https://id")
        );
    }

    #[test]
    fn roles_and_scopes_are_read_from_the_claims() {
        let mut s = AuthSettings::default();
        s.roles_claim = "realm_access.roles".into();
        let claims = json!({"sub": "u1", "realm_access": {"roles": ["editor"]}, "scope": "a b"});
        let p = principal(claims.as_object().unwrap().clone(), &s);
        assert_eq!(
            (p.subject.as_str(), p.roles.clone(), p.scopes.clone()),
            (
                "u1",
                vec!["editor".to_string()],
                vec!["a".to_string(), "b".to_string()]
            )
        );
        let claims = json!({"sub": "u2", "scp": ["x"]});
        assert_eq!(
            principal(claims.as_object().unwrap().clone(), &s).scopes,
            ["x"]
        );
    }
}
