//! Pages of static files compiled into the binary (the docs UI, the
//! analytics page): each file served at `<prefix><stem>.<hash>.<ext>`, so
//! a new build of a file is a new URL that browsers may keep for a year;
//! the page itself is revalidated on every load and names the current URLs.

use crate::error::{ApiError, Kind};
use crate::representation::etag_matches;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::fmt::Write;

/// Everything from this origin and nothing inline; `data:` images (icons
/// inside stylesheets). Nothing may frame the page.
pub const STRICT_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

pub const JS: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";

/// One file, with its hashed name and strong ETag.
pub struct Served {
    /// The last segment of the URL (for assets, with the hash in it).
    pub name: String,
    pub content_type: &'static str,
    pub etag: HeaderValue,
    pub body: Bytes,
}

impl Served {
    pub fn new(file: &str, content_type: &'static str, body: Bytes) -> Self {
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

    pub fn respond(
        &self,
        headers: &HeaderMap,
        cache: &'static str,
        csp: Option<&'static str>,
    ) -> Response {
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
        if let Some(csp) = csp {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
            );
        }
        res
    }
}

/// A page and the files it loads, in order: stylesheets in the head,
/// scripts at the end of the body.
pub struct Bundle {
    pub page: Served,
    pub assets: Vec<Served>,
    csp: &'static str,
    what: &'static str,
}

impl Bundle {
    /// `body` is the page's markup inside `<body>`, before the scripts.
    pub fn new(
        prefix: &'static str,
        title: &str,
        files: &[(&str, &'static str, &'static [u8])],
        body: &str,
        csp: &'static str,
        what: &'static str,
    ) -> Bundle {
        let assets: Vec<Served> = files
            .iter()
            .map(|&(file, ct, bytes)| Served::new(file, ct, Bytes::from_static(bytes)))
            .collect();
        let mut links = String::new();
        let mut scripts = String::new();
        for a in &assets {
            if a.content_type == CSS {
                let _ = writeln!(
                    links,
                    "    <link rel=\"stylesheet\" href=\"{prefix}{}\" />",
                    a.name
                );
            } else {
                let _ = writeln!(scripts, "    <script src=\"{prefix}{}\"></script>", a.name);
            }
        }
        // The empty icon keeps the browser from asking for `/favicon.ico`.
        let html = format!(
            r#"<!doctype html>
<html lang="en">
  <head>
    <title>{title}</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <link rel="icon" href="data:," />
{links}  </head>
  <body>
{body}
{scripts}  </body>
</html>
"#
        );
        Bundle {
            page: Served::new("page.html", "text/html; charset=utf-8", Bytes::from(html)),
            assets,
            csp,
            what,
        }
    }

    /// The page: revalidated each time, so a redeploy's asset URLs are seen at once.
    pub fn page(&self, headers: &HeaderMap) -> Response {
        self.page.respond(headers, "no-cache", Some(self.csp))
    }

    pub fn asset(&self, name: &str, headers: &HeaderMap) -> Response {
        match self.assets.iter().find(|a| a.name == name) {
            Some(a) => a.respond(headers, "public, max-age=31536000, immutable", None),
            None => ApiError::new(Kind::NotFound, format!("no {} asset {name:?}", self.what))
                .into_response(),
        }
    }
}
