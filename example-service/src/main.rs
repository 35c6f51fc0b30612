//! `cargo run -p example-service` → http://127.0.0.1:8080 on SQLite.

use resourceful::Config;

/// mimalloc: faster small allocations under many threads than the system allocator.
#[global_allocator]
static GLOBAL: resourceful::alloc::MiMalloc = resourceful::alloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::from_env()?;
    if std::env::var_os("MIGRATIONS_DIR").is_none() {
        config.migrate.dir = example_service::migrations_dir();
    }
    resourceful::telemetry::init(&config);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("audit") {
        return audit_command(&config, &args[1..]).await;
    }
    let seed = std::env::args().any(|a| a == "--seed")
        || std::env::var("SEED_DEMO").is_ok_and(|v| v == "1" || v == "true");
    // Serves at once; with a database that does not answer yet, liveness
    // answers and readiness says why until it does.
    example_service::app(config)
        .serve_with(move |server| {
            Box::pin(async move {
                if seed {
                    example_service::demo::seed(server)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                let scheme = if server.config.tls.is_some() {
                    "https"
                } else {
                    "http"
                };
                tracing::info!(
                    "docs at {scheme}://{}/docs, GraphQL at /graphql",
                    server.config.addr
                );
                Ok(())
            })
        })
        .await?;
    Ok(())
}

/// `example-service audit verify`: recomputes the audit trail's hash chain
/// and exits non-zero when a record was changed, removed or reordered.
async fn audit_command(config: &Config, args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    if args.first().map(String::as_str) != Some("verify") {
        return Err("usage: example-service audit verify".into());
    }
    let opts = resourceful::store::PoolOptions {
        schema: config.db_schema.clone(),
        ..Default::default()
    };
    let db = resourceful::store::Db::connect(&config.database_url, &opts).await?;
    let v = resourceful::audit::store::verify(&db).await?;
    println!(
        "audit trail: {} sealed, {} not sealed yet, {}",
        v.sealed,
        v.unsealed,
        match v.first_broken {
            None => "the chain is intact".to_string(),
            Some(seq) => format!("BROKEN at batch {seq}"),
        }
    );
    if v.ok() {
        Ok(())
    } else {
        std::process::exit(1)
    }
}
