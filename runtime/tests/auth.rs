//! Bearer tokens against real issuers: an OpenID Certified provider
//! (`oidc-provider`, under node) issuing RFC 9068 access tokens signed
//! with RS256, ES256 and EdDSA and rotating its keys while the service
//! runs; and an issuer of the test's own, whose key signs hostile tokens
//! (`alg: none`, HS256 with the public key as secret, wrong `aud` and
//! `iss`, expired, not yet valid, unknown `kid`, tampered payload).
//!
//! The provider needs `npm ci --prefix scripts/idp` (the test command runs
//! it); without it these tests fail, they do not skip.

mod support;

use axum::body::Body;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use resourceful::auth::{AuthSettings, BearerAuth, IssuerSettings};
use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Ctx, Resp};

#[api_resource(path = "boards", access(read = "authenticated", write = "role:editor"))]
#[derive(Debug, Clone)]
pub struct Board {
    #[api(id)]
    pub id: i64,
    #[api(length(min = 1, max = 50))]
    pub name: String,
}

const AUDIENCE: &str = "https://api.resourceful.test";

fn settings(issuer: &str) -> AuthSettings {
    AuthSettings {
        issuers: vec![IssuerSettings {
            issuer: issuer.into(),
            jwks_url: None,
            hs256_secret: None,
        }],
        audiences: vec![AUDIENCE.into()],
        min_refresh: Duration::from_secs(2),
        ..AuthSettings::default()
    }
}

async fn service(auth: &BearerAuth) -> Ctx {
    let app = App::new(Config::default())
        .resource::<Board>()
        .authenticate(auth.clone());
    Ctx::from_app(Backend::Sqlite, app).await
}

async fn with_token(ctx: &Ctx, token: &str, method: &str, uri: &str, body: Option<Value>) -> Resp {
    let mut b = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"));
    let body = match body {
        Some(j) => {
            b = b.header("content-type", "application/json");
            Body::from(j.to_string())
        }
        None => Body::empty(),
    };
    ctx.send(b.body(body).unwrap()).await
}

fn assert_invalid_token(r: &Resp, why: &str) {
    r.assert_problem(401, "unauthorized");
    let challenge = r.header("www-authenticate").unwrap_or_default();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    let detail = r.json["detail"].as_str().unwrap();
    assert!(detail.contains(why), "expected {why:?} in {detail:?}");
}

// --- oidc-provider --------------------------------------------------------

/// The provider as a child process; it exits when its stdin closes.
struct Provider {
    child: Child,
    issuer: String,
    token_endpoint: String,
}

impl Provider {
    fn start() -> Provider {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let script = format!("{root}/scripts/idp/issuer.mjs");
        assert!(
            std::path::Path::new(&format!("{root}/scripts/idp/node_modules/oidc-provider"))
                .exists(),
            "the test issuer is not installed: run `npm ci --prefix scripts/idp`"
        );
        let mut child = Command::new("node")
            .arg(&script)
            .env("IDP_AUDIENCE", AUDIENCE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the issuer announces itself");
        let ready: Value = serde_json::from_str(&line).expect("a JSON ready line");
        Provider {
            child,
            issuer: ready["issuer"].as_str().unwrap().into(),
            token_endpoint: ready["token_endpoint"].as_str().unwrap().into(),
        }
    }

    async fn token(&self, client: &str) -> String {
        let res: Value = reqwest::Client::new()
            .post(&self.token_endpoint)
            .basic_auth(client, Some(format!("{client}-secret")))
            .form(&[
                ("grant_type", "client_credentials"),
                ("resource", AUDIENCE),
                ("scope", "tasks:read tasks:write"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        res["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{res}"))
            .to_string()
    }

    async fn rotate(&self) {
        let r = reqwest::Client::new()
            .post(format!("{}/_test/rotate", self.issuer))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    async fn jwks_requests(&self) -> u64 {
        let v: Value = reqwest::get(format!("{}/_test/stats", self.issuer))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["jwks_requests"].as_u64().unwrap()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_a_certified_provider_are_accepted_by_every_algorithm() {
    let idp = Provider::start();
    let auth = BearerAuth::new(settings(&idp.issuer)).unwrap();
    let ctx = service(&auth).await;
    for client in ["alice", "carol", "dave"] {
        let t = idp.token(client).await;
        let r = with_token(&ctx, &t, "GET", "/v1/boards", None).await;
        assert_eq!(r.status, 200, "{client}: {}", r.json);
    }
    // Roles come from the token: alice and dave are editors, bob is not.
    let alice = idp.token("alice").await;
    let r = with_token(
        &ctx,
        &alice,
        "POST",
        "/v1/boards",
        Some(json!({"name": "a"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let bob = idp.token("bob").await;
    let r = with_token(&ctx, &bob, "POST", "/v1/boards", Some(json!({"name": "b"}))).await;
    r.assert_problem(403, "forbidden");
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .contains("insufficient_scope"));
    assert_eq!(
        with_token(&ctx, &bob, "GET", "/v1/boards", None)
            .await
            .status,
        200
    );
    // No token, a malformed one: 401 with the challenge.
    let r = ctx.get("/v1/boards").await;
    r.assert_problem(401, "unauthorized");
    assert_invalid_token(
        &with_token(&ctx, "not-a-jwt", "GET", "/v1/boards", None).await,
        "not a JWT",
    );
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_at_the_provider_is_followed_without_a_stampede() {
    let idp = Provider::start();
    let auth = BearerAuth::new(settings(&idp.issuer)).unwrap();
    let ctx = service(&auth).await;
    let before = idp.token("alice").await;
    assert_eq!(
        with_token(&ctx, &before, "GET", "/v1/boards", None)
            .await
            .status,
        200
    );
    let fetched = idp.jwks_requests().await;
    idp.rotate().await;
    let after = idp.token("alice").await;
    // Many requests with the new key at once: one refetch serves them all.
    let reads = (0..40).map(|_| with_token(&ctx, &after, "GET", "/v1/boards", None));
    for r in futures::future::join_all(reads).await {
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let refetches = idp.jwks_requests().await - fetched;
    assert!(
        refetches <= 1,
        "{refetches} key set fetches for one rotation"
    );
    // A token verified before the rotation stays valid until it expires.
    assert_eq!(
        with_token(&ctx, &before, "GET", "/v1/boards", None)
            .await
            .status,
        200
    );
    ctx.cleanup().await;
}

// --- an issuer of the test's own, for hostile tokens ----------------------

struct OwnIssuer {
    url: String,
    kid: String,
    key: EncodingKey,
    public_x: String,
    /// What `/jwks` serves (the test may change it).
    #[allow(dead_code)]
    jwks: Arc<Mutex<Value>>,
    fetches: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl OwnIssuer {
    async fn start() -> OwnIssuer {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let public_x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(signing.verifying_key().to_bytes());
        let key = EncodingKey::from_ed_der(signing.to_pkcs8_der().unwrap().as_bytes());
        let kid = "own-1".to_string();
        let jwks = Arc::new(Mutex::new(json!({"keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": public_x, "kid": kid, "alg": "EdDSA", "use": "sig"}
        ]})));
        let fetches = Arc::new(AtomicUsize::new(0));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (j, f, issuer) = (jwks.clone(), fetches.clone(), url.clone());
        let app =
            Router::new()
                .route(
                    "/.well-known/openid-configuration",
                    get(move || {
                        let issuer = issuer.clone();
                        async move {
                            Json(json!({"issuer": issuer, "jwks_uri": format!("{issuer}/jwks")}))
                        }
                    }),
                )
                .route(
                    "/jwks",
                    get(move || {
                        let (j, f) = (j.clone(), f.clone());
                        async move {
                            f.fetch_add(1, Ordering::SeqCst);
                            Json(j.lock().unwrap().clone())
                        }
                    }),
                );
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        OwnIssuer {
            url,
            kid,
            key,
            public_x,
            jwks,
            fetches,
            server,
        }
    }

    fn claims(&self) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({"iss": self.url, "sub": "mallory", "aud": AUDIENCE, "exp": now + 300, "iat": now,
               "jti": "j1", "client_id": "c", "roles": ["editor"]})
    }

    fn sign(&self, claims: &Value, kid: &str) -> String {
        let mut h = Header::new(Algorithm::EdDSA);
        h.typ = Some("at+jwt".into());
        h.kid = Some(kid.into());
        jsonwebtoken::encode(&h, claims, &self.key).unwrap()
    }
}

fn b64(v: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tokens_are_refused_with_the_reason() {
    let own = OwnIssuer::start().await;
    let auth = BearerAuth::new(settings(&own.url)).unwrap();
    let ctx = service(&auth).await;
    let good = own.sign(&own.claims(), &own.kid);
    assert_eq!(
        with_token(&ctx, &good, "GET", "/v1/boards", None)
            .await
            .status,
        200
    );

    let now = chrono::Utc::now().timestamp();
    let mut cases: Vec<(String, &str)> = Vec::new();
    // alg none, with and without a signature part.
    let payload = b64(&own.claims());
    cases.push((
        format!(
            "{}.{payload}.",
            b64(&json!({"alg": "none", "typ": "at+jwt"}))
        ),
        "alg none",
    ));
    // HS256 with the issuer's public key as the HMAC secret.
    let mut h = Header::new(Algorithm::HS256);
    h.typ = Some("at+jwt".into());
    h.kid = Some(own.kid.clone());
    let hs = jsonwebtoken::encode(
        &h,
        &own.claims(),
        &EncodingKey::from_secret(own.public_x.as_bytes()),
    )
    .unwrap();
    cases.push((hs, "does not accept"));
    let with = |k: &str, v: Value| {
        let mut c = own.claims();
        c[k] = v;
        c
    };
    cases.push((
        own.sign(&with("aud", json!("https://other.api")), &own.kid),
        "another audience",
    ));
    cases.push((
        own.sign(&with("iss", json!("https://evil.example")), &own.kid),
        "does not trust",
    ));
    cases.push((
        own.sign(&with("exp", json!(now - 3600)), &own.kid),
        "expired",
    ));
    cases.push((
        own.sign(&with("nbf", json!(now + 3600)), &own.kid),
        "not valid yet",
    ));
    cases.push((own.sign(&own.claims(), "unknown-kid"), "unknown kid"));
    let mut no_sub = own.claims();
    no_sub.as_object_mut().unwrap().remove("sub");
    cases.push((own.sign(&no_sub, &own.kid), "no `sub`"));
    // A tampered payload: the signature is of other claims.
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&with("roles", json!(["admin"]))),
        parts[2]
    );
    cases.push((tampered, "signature that does not verify"));
    // Another token type than an access token.
    let mut h = Header::new(Algorithm::EdDSA);
    h.typ = Some("JWT".into());
    h.kid = Some(own.kid.clone());
    cases.push((
        jsonwebtoken::encode(&h, &own.claims(), &own.key).unwrap(),
        "at+jwt",
    ));
    for (token, why) in &cases {
        assert_invalid_token(
            &with_token(&ctx, token, "GET", "/v1/boards", None).await,
            why,
        );
        // The same token again: still refused (failures are not cached as passes).
        let r = with_token(
            &ctx,
            token,
            "POST",
            "/v1/boards",
            Some(json!({"name": "x"})),
        )
        .await;
        assert_eq!(r.status, 401, "{why}: {}", r.json);
    }
    // The body never echoes a token.
    let r = with_token(&ctx, &cases[2].0, "GET", "/v1/boards", None).await;
    assert!(!String::from_utf8_lossy(&r.raw).contains(&cases[2].0));
    // Unknown kids refetch the key set at most once per interval.
    let before = own.fetches.load(Ordering::SeqCst);
    for n in 0..20 {
        let t = own.sign(&own.claims(), &format!("rotated-{n}"));
        assert_eq!(
            with_token(&ctx, &t, "GET", "/v1/boards", None).await.status,
            401
        );
    }
    let refetched = own.fetches.load(Ordering::SeqCst) - before;
    assert!(
        refetched <= 1,
        "{refetched} fetches for 20 unknown kids within the interval"
    );
    assert_eq!(
        with_token(&ctx, &good, "GET", "/v1/boards", None)
            .await
            .status,
        200,
        "nothing changed"
    );
    own.server.abort();
    ctx.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_good_keys_stay_while_the_issuer_is_down_and_no_keys_is_503() {
    let own = OwnIssuer::start().await;
    let auth = BearerAuth::new(settings(&own.url)).unwrap();
    let ctx = service(&auth).await;
    let good = own.sign(&own.claims(), &own.kid);
    assert_eq!(
        with_token(&ctx, &good, "GET", "/v1/boards", None)
            .await
            .status,
        200
    );
    own.server.abort();
    // A new token by the same key still verifies: the set is kept.
    let mut c = own.claims();
    c["jti"] = json!("j2");
    let again = own.sign(&c, &own.kid);
    assert_eq!(
        with_token(&ctx, &again, "GET", "/v1/boards", None)
            .await
            .status,
        200
    );

    // An issuer never reached: the key cannot be checked, so 503, not 401.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let auth = BearerAuth::new(settings(&url)).unwrap();
    let down = service(&auth).await;
    let mut c = own.claims();
    c["iss"] = json!(url);
    let r = with_token(&down, &own.sign(&c, &own.kid), "GET", "/v1/boards", None).await;
    r.assert_problem(503, "unavailable");
    assert!(r.header("retry-after").is_some());
    ctx.cleanup().await;
    down.cleanup().await;
}
