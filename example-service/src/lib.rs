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

/// The resources alone, without the rules, route and layer of [`app`]
/// (the benchmark measures what those cost).
pub fn resources_only(config: Config) -> App {
    App::new(config)
        .resource::<resources::Project>()
        .resource::<resources::Task>()
        .resource::<resources::Comment>()
        .resource::<resources::Bookmark>()
}
