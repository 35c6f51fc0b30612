//! The example service's resources without its hooks, route and layer:
//! what the `http` bench compares the full example with.

use resourceful::Config;

#[global_allocator]
static GLOBAL: resourceful::alloc::MiMalloc = resourceful::alloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::from_env()?;
    resourceful::telemetry::init(&config);
    let server = example_service::resources_only(config).build().await?;
    server.serve().await?;
    Ok(())
}
