//! The docs UI at `/docs`: Swagger UI, pinned and compiled into the binary
//! from `runtime/assets/docs-ui` (see its README for the version and how to
//! refresh it), so the page works offline and loads no code from elsewhere.
//!
//! Assets are served at `/docs/assets/<stem>.<hash>.<ext>`: a new build of a
//! file is a new URL, so browsers may keep each one for a year. The page
//! itself is revalidated on every load and names the current URLs.

use crate::error::{ApiError, Kind};
use crate::representation::etag_matches;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::sync::LazyLock;

/// Where the assets are served from.
const PREFIX: &str = "/docs/assets/";

/// Everything from this origin and nothing inline; `data:` images are the
/// icons inside Swagger UI's stylesheet. Nothing may frame the page.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

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

struct Served {
    /// The last segment of the URL (for assets, with the hash in it).
    name: String,
    content_type: &'static str,
    etag: HeaderValue,
    body: Bytes,
}

impl Served {
    fn new(file: &str, content_type: &'static str, body: Bytes) -> Self {
        let hex = Sha256::digest(&body)
            .iter()
            .fold(String::with_capacity(64), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            });
        // `swagger-ui.css` → `swagger-ui.<hash>.css`; 64 bits of the hash is
        // plenty to tell builds apart.
        let (stem, ext) = file.rsplit_once('.').unwrap_or((file, ""));
        Served {
            name: format!("{stem}.{}.{ext}", &hex[..16]),
            content_type,
            etag: HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex etag"),
            body,
        }
    }

    fn respond(&self, headers: &HeaderMap, cache: &'static str, csp: bool) -> Response {
        let inm = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok());
        let etag = self.etag.to_str().expect("ascii etag");
        let mut res = if inm.is_some_and(|h| etag_matches(h, etag, true)) {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            let mut res = self.body.clone().into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(self.content_type),
            );
            res
        };
        let h = res.headers_mut();
        h.insert(header::ETAG, self.etag.clone());
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if csp {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            );
        }
        res
    }
}

struct Ui {
    page: Served,
    assets: Vec<Served>,
}

/// Hashed once, on the first request for the page or an asset.
static UI: LazyLock<Ui> = LazyLock::new(|| {
    let assets: Vec<Served> = FILES
        .iter()
        .map(|&(file, ct, bytes)| Served::new(file, ct, Bytes::from_static(bytes)))
        .collect();
    let mut links = String::new();
    let mut scripts = String::new();
    for a in &assets {
        if a.content_type == CSS {
            let _ = writeln!(
                links,
                "    <link rel=\"stylesheet\" href=\"{PREFIX}{}\" />",
                a.name
            );
        } else {
            let _ = writeln!(scripts, "    <script src=\"{PREFIX}{}\"></script>", a.name);
        }
    }
    // The empty icon keeps the browser from asking for `/favicon.ico`.
    let html = format!(
        r#"<!doctype html>
<html lang="en">
  <head>
    <title>API reference</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" href="data:," />
{links}  </head>
  <body>
    <div id="swagger-ui"></div>
{scripts}  </body>
</html>
"#
    );
    Ui {
        page: Served::new("docs.html", "text/html; charset=utf-8", Bytes::from(html)),
        assets,
    }
});

pub async fn page(headers: HeaderMap) -> Response {
    // Revalidated each time, so a redeploy's asset URLs are seen at once.
    UI.page.respond(&headers, "no-cache", true)
}

pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match UI.assets.iter().find(|a| a.name == name) {
        Some(a) => a.respond(&headers, "public, max-age=31536000, immutable", false),
        None => ApiError::new(Kind::NotFound, format!("no docs asset {name:?}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let res = a.respond(&h, "no-cache", false);
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(res.headers()[header::ETAG], a.etag);
    }
}
