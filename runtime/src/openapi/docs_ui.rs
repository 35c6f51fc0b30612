//! The docs UI at `/docs`: Swagger UI, pinned and compiled into the binary
//! from `runtime/assets/docs-ui` (see its README for the version and how to
//! refresh it), so the page works offline and loads no code from elsewhere.
//!
//! Assets are served at `/docs/assets/<stem>.<hash>.<ext>`: a new build of a
//! file is a new URL, so browsers may keep each one for a year. The page
//! itself is revalidated on every load and names the current URLs.

use crate::http::assets::{Bundle, CSS, JS, STRICT_CSP as CSP};
use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;
use std::sync::LazyLock;

/// Where the assets are served from.
const PREFIX: &str = "/docs/assets/";

/// (file name, content type, bytes), in the order the page loads them.
const FILES: [(&str, &str, &[u8]); 4] = [
    (
        "index.css",
        CSS,
        include_bytes!("../../assets/docs-ui/index.css"),
    ),
    (
        "swagger-ui.css",
        CSS,
        include_bytes!("../../assets/docs-ui/swagger-ui.css"),
    ),
    (
        "swagger-ui-bundle.js",
        JS,
        include_bytes!("../../assets/docs-ui/swagger-ui-bundle.js"),
    ),
    (
        "init.js",
        JS,
        include_bytes!("../../assets/docs-ui/init.js"),
    ),
];

/// Hashed once, on the first request for the page or an asset.
static UI: LazyLock<Bundle> = LazyLock::new(|| {
    Bundle::new(
        PREFIX,
        "API reference",
        &FILES,
        "    <div id=\"swagger-ui\"></div>",
        CSP,
        "docs",
    )
});

pub async fn page(headers: HeaderMap) -> Response {
    UI.page(&headers)
}

pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    UI.asset(&name, &headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{header, StatusCode};

    #[test]
    fn the_page_names_every_asset_by_its_hash() {
        let html = std::str::from_utf8(&UI.page.body).unwrap();
        for a in &UI.assets {
            assert!(html.contains(&format!("{PREFIX}{}", a.name)), "{html}");
        }
        assert!(!html.contains("<script>"), "no inline script: {html}");
        assert!(!html.contains("https://"), "nothing from elsewhere: {html}");
    }

    #[test]
    fn a_matching_etag_gets_304() {
        let a = &UI.assets[0];
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, a.etag.clone());
        let res = a.respond(&h, "no-cache", None);
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()[header::ETAG], a.etag);
    }
}
