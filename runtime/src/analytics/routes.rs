//! `/admin/analytics`: the page and its assets (no data in them, so
//! served to anyone, like the docs UI) and `/admin/analytics/data`, the
//! figures, for callers with the `admin` role (the page sends the token an
//! operator enters; it is kept for the tab only).

use super::Analytics;
use crate::context::Context;
use crate::error::ApiError;
use crate::http::assets::{Bundle, CSS, JS, STRICT_CSP as CSP};
use crate::http::routes::CustomRoute;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::{Arc, LazyLock};

pub const PATHS: [&str; 3] = [
    "/admin/analytics",
    "/admin/analytics/assets/{name}",
    "/admin/analytics/data",
];
const PREFIX: &str = "/admin/analytics/assets/";

const FILES: [(&str, &str, &[u8]); 4] = [
    (
        "uPlot.min.css",
        CSS,
        include_bytes!("../../assets/analytics/uPlot.min.css"),
    ),
    (
        "analytics.css",
        CSS,
        include_bytes!("../../assets/analytics/analytics.css"),
    ),
    (
        "uPlot.iife.min.js",
        JS,
        include_bytes!("../../assets/analytics/uPlot.iife.min.js"),
    ),
    (
        "analytics.js",
        JS,
        include_bytes!("../../assets/analytics/analytics.js"),
    ),
];

const BODY: &str = include_str!("../../assets/analytics/body.html");

static PAGE: LazyLock<Bundle> =
    LazyLock::new(|| Bundle::new(PREFIX, "API analytics", &FILES, BODY, CSP, "analytics"));

pub fn routes(analytics: Arc<Analytics>) -> CustomRoute {
    CustomRoute {
        templates: PATHS.iter().map(|p| p.to_string()).collect(),
        router: Router::new()
            .route(PATHS[0], get(page))
            .route(PATHS[1], get(asset))
            .route(PATHS[2], get(data))
            .with_state(analytics),
        policy: None,
        // The page and its assets hold no data.
        anonymous: PATHS[..2].iter().map(|p| p.to_string()).collect(),
    }
}

async fn page(headers: HeaderMap) -> Response {
    PAGE.page(&headers)
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    PAGE.asset(&name, &headers)
}

async fn data(State(a): State<Arc<Analytics>>, ctx: Context) -> Result<Response, ApiError> {
    crate::permissions::require_admin(&ctx, "the analytics")?;
    let mut res = Json(a.data()).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_assets() {
        let html = std::str::from_utf8(&PAGE.page.body).unwrap();
        for a in &PAGE.assets {
            assert!(html.contains(&format!("{PREFIX}{}", a.name)), "{html}");
        }
        assert!(
            !html.contains("<script>") && !html.contains("style="),
            "nothing inline: {html}"
        );
        assert!(
            !html.contains("https://") && !html.contains("http://"),
            "nothing from elsewhere"
        );
    }
}
