//! The development issuer: with no identity provider configured, the
//! service mints its own access tokens so the embedded default stays
//! usable. `POST /dev/token` with `{"sub": "ana", "roles": ["editor"]}`
//! answers a bearer token; `GET /dev/jwks.json` publishes the public key.
//!
//! Its Ed25519 key is made at start-up (or derived from `AUTH_DEV_SECRET`,
//! so replicas share it). It refuses to run with `RESOURCEFUL_ENV=production`
//! and, unless `AUTH_DEV_ISSUER=on`, on an address other than loopback:
//! anyone who reaches it can become anyone.

use super::keys::KeySet;
use crate::error::ApiError;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The `iss` of its tokens: the same on every replica and port.
pub const ISSUER: &str = "urn:resourceful:dev-issuer";
/// The `aud` of its tokens when `AUTH_AUDIENCE` names none.
pub const AUDIENCE: &str = "urn:resourceful:api";
/// The longest lifetime a development token may ask for.
const MAX_TTL_SECS: u64 = 86_400;

pub struct DevIssuer {
    kid: String,
    encoding: EncodingKey,
    public_x: String,
    audience: String,
}

/// What `POST /dev/token` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub sub: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub ttl_secs: Option<u64>,
}

impl DevIssuer {
    /// A key from `seed` (any text) or, without one, from the OS's random source.
    pub fn new(seed: Option<&str>, audience: &str) -> DevIssuer {
        let secret: [u8; 32] = match seed {
            Some(s) => Sha256::digest(format!("resourceful-dev-issuer:{s}")).into(),
            None => {
                let mut b = [0u8; 32];
                getrandom::getrandom(&mut b).expect("the OS random source works");
                b
            }
        };
        let key = SigningKey::from_bytes(&secret);
        let der = key.to_pkcs8_der().expect("an Ed25519 key encodes");
        let public = key.verifying_key().to_bytes();
        let kid = hex::encode(&Sha256::digest(public)[..8]);
        DevIssuer {
            kid: format!("dev-{kid}"),
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            public_x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public),
            audience: audience.to_string(),
        }
    }

    /// Its public key, as the verifier keeps it.
    pub fn key_set(&self) -> KeySet {
        let key = DecodingKey::from_ed_components(&self.public_x).expect("a valid key");
        KeySet::single(&self.kid, Algorithm::EdDSA, key)
    }

    pub fn jwks(&self) -> Value {
        json!({"keys": [{
            "kty": "OKP", "crv": "Ed25519", "x": self.public_x,
            "kid": self.kid, "alg": "EdDSA", "use": "sig"
        }]})
    }

    /// An RFC 9068 access token for the caller the request names.
    pub fn mint(&self, req: &TokenRequest) -> Result<Value, ApiError> {
        if req.sub.trim().is_empty() {
            return Err(ApiError::field("sub", "required", "`sub` names the caller"));
        }
        let ttl = req.ttl_secs.unwrap_or(3600);
        if ttl == 0 || ttl > MAX_TTL_SECS {
            return Err(ApiError::field(
                "ttl_secs",
                "range",
                format!("`ttl_secs` is 1 to {MAX_TTL_SECS}"),
            ));
        }
        let now = chrono::Utc::now().timestamp() as u64;
        let mut claims = json!({
            "iss": ISSUER, "sub": req.sub, "aud": self.audience,
            "iat": now, "nbf": now, "exp": now + ttl,
            "jti": uuid::Uuid::new_v4().to_string(), "client_id": "resourceful-dev",
            "roles": req.roles,
        });
        if let Some(s) = &req.scope {
            claims["scope"] = s.clone().into();
        }
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some(self.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| ApiError::internal(format!("signing a development token: {e}")))?;
        Ok(json!({"access_token": token, "token_type": "Bearer", "expires_in": ttl}))
    }

    /// `POST /dev/token` and `GET /dev/jwks.json`.
    pub fn router(self: Arc<Self>) -> Router {
        let minting = self.clone();
        Router::new()
            .route(
                "/dev/token",
                post(
                    move |body: Result<
                        Json<TokenRequest>,
                        axum::extract::rejection::JsonRejection,
                    >| {
                        let issuer = minting.clone();
                        async move {
                            let Json(req) = body.map_err(|e| {
                                ApiError::new(crate::error::Kind::Validation, e.body_text())
                            })?;
                            issuer.mint(&req).map(Json)
                        }
                    },
                ),
            )
            .route(
                "/dev/jwks.json",
                get(move || async move { Json(self.jwks()) }),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_every_replica_the_same_key() {
        let a = DevIssuer::new(Some("s"), AUDIENCE);
        let b = DevIssuer::new(Some("s"), AUDIENCE);
        assert_eq!(a.jwks(), b.jwks());
        assert_ne!(DevIssuer::new(None, AUDIENCE).jwks(), a.jwks());
    }

    #[test]
    fn tokens_ask_for_a_subject_and_a_bounded_lifetime() {
        let d = DevIssuer::new(None, AUDIENCE);
        let req = |sub: &str, ttl| TokenRequest {
            sub: sub.into(),
            roles: vec![],
            scope: None,
            ttl_secs: ttl,
        };
        assert_eq!(d.mint(&req("", None)).unwrap_err().status(), 422);
        assert_eq!(d.mint(&req("ana", Some(0))).unwrap_err().status(), 422);
        let t = d.mint(&req("ana", Some(60))).unwrap();
        assert_eq!(t["expires_in"], 60);
    }
}
