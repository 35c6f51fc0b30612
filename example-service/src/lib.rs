//! A project tracker built with Resourceful.

pub mod demo;
pub mod resources;
pub mod routes;
pub mod rules;

use resourceful::{App, Config};
use utoipa::OpenApi;

/// The application: every resource registered once, with its rules, a
/// route of its own and response compression for clients that ask.
pub fn app(config: Config) -> App {
    resources_only(config)
        .hooks(rules::ProjectRules)
        .hooks(rules::TaskRules)
        .route(
            "/v1/projects/{id}/summary",
            axum::routing::get(routes::project_summary),
        )
        .openapi(routes::Docs::openapi())
        .layer(tower_http::compression::CompressionLayer::new())
}

/// The committed migrations that brought the example's database to these
/// declarations: `migrations/` in the working directory when there is
/// one, else the crate's own (`cargo run` from anywhere in a checkout).
/// The image sets `MIGRATIONS_DIR` instead.
pub fn migrations_dir() -> std::path::PathBuf {
    let here = std::path::PathBuf::from("migrations");
    if here.is_dir() {
        return here;
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations")
}

/// The resources alone, without the rules, route and layer of [`app`]
/// (the benchmark measures what those cost).
pub fn resources_only(config: Config) -> App {
    App::new(config)
        .resource::<resources::Project>()
        .resource::<resources::Task>()
        .resource::<resources::Comment>()
        .resource::<resources::Bookmark>()
}
