//! `cargo run -p example-service` → http://127.0.0.1:8080 on SQLite.

use resourceful::Config;

/// mimalloc: faster small allocations under many threads than the system allocator.
#[global_allocator]
static GLOBAL: resourceful::alloc::MiMalloc = resourceful::alloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    resourceful::telemetry::init(&config);
    let seed = std::env::args().any(|a| a == "--seed")
        || std::env::var("SEED_DEMO").is_ok_and(|v| v == "1" || v == "true");
    let server = example_service::app(config).build().await?;
    if seed {
        example_service::demo::seed(&server)
            .await
            .map_err(|e| e.to_string())?;
    }
    tracing::info!(
        "docs at http://{}/docs, GraphQL at /graphql",
        server.config.addr
    );
    server.serve().await?;
    Ok(())
}
