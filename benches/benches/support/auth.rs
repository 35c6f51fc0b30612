//! The bearer token every benchmarked request carries.

/// The development issuer's seed shared by every benchmarked service.
pub const DEV_SECRET: &str = "resourceful-benchmark";

/// A bearer token of an editor, valid for a day: every request carries it,
/// so the example's cost includes its check (a cached verification).
pub fn bearer_token() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        use resourceful::auth::dev::{DevIssuer, TokenRequest, AUDIENCE};
        let issuer = DevIssuer::new(Some(DEV_SECRET), AUDIENCE);
        let minted = issuer
            .mint(&TokenRequest {
                sub: "bench".into(),
                roles: vec!["editor".into()],
                scope: None,
                ttl_secs: Some(86_400),
            })
            .expect("a development token");
        minted["access_token"].as_str().expect("token").to_string()
    })
}

pub fn auth_headers() -> reqwest::header::HeaderMap {
    let mut h = reqwest::header::HeaderMap::new();
    let v = format!("Bearer {}", bearer_token());
    h.insert(
        reqwest::header::AUTHORIZATION,
        v.parse().expect("header value"),
    );
    h
}
