//! The App builder: register resources, build the router once, serve.

use crate::cache::flags::Flags;
use crate::cache::CacheShared;
use crate::config::Config;
use crate::error::{ApiError, Kind};
use crate::health::Health;
use crate::limits::{ClientKeys, Limiter, OnFailure, Policy, Rate, RouteLimits};
use crate::model::ResourceModel;
use crate::observe::middleware::Observer;
use crate::redis_conn::RedisHandle;
use crate::registry::Registry;
use crate::resource::Resource;
use crate::service::ServiceOptions;
use crate::store::{schema, Db, PoolOptions};
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Collects resources; [`App::build`] turns them into a [`Server`].
pub struct App {
    config: Config,
    models: Vec<&'static ResourceModel>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("invalid resource declarations:\n{0}")]
    Declarations(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("REDIS_URL: {0}")]
    Redis(String),
}

/// Every route template the app serves, with its resource label.
/// Every route the app serves, for metrics labels and rate-limit policies.
fn route_labels(registry: &Registry, config: &Config) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for s in &registry.services {
        let base = s.model.route();
        out.push((format!("{base}/{{id}}"), s.model.path));
        out.push((base, s.model.path));
    }
    for r in [
        "/graphql",
        "/openapi.json",
        "/docs",
        "/health/live",
        "/health/ready",
        "/metrics",
    ] {
        out.push((r.to_string(), "-"));
    }
    if config.admin_token.is_some() {
        out.extend(crate::admin::PATHS.map(|p| (p.to_string(), "-")));
    }
    out
}

/// Read and write policies per route: the resource's declared limits, else
/// the configured defaults.
fn route_limits(registry: &Registry, config: &Config) -> Vec<RouteLimits> {
    let mut out = Vec::new();
    for s in &registry.services {
        let m = s.model;
        let (read, write, on_failure) = crate::limits::model_rates(m, config);
        let policy = |suffix: &str, rate: Rate| Policy {
            name: Box::leak(format!("{}:{suffix}", m.path).into_boxed_str()),
            rate,
            on_failure,
        };
        let base = m.route();
        for route in [format!("{base}/{{id}}"), base] {
            out.push(RouteLimits {
                route,
                read: Some(policy("read", read)),
                write: Some(policy("write", write)),
            });
        }
    }
    let gql = Policy {
        name: "graphql",
        rate: config.rate_limit_graphql,
        on_failure: config.rate_limit_on_redis_failure,
    };
    out.push(RouteLimits {
        route: "/graphql".into(),
        read: Some(gql.clone()),
        write: Some(gql),
    });
    out
}

impl App {
    pub fn new(config: Config) -> Self {
        App {
            config,
            models: Vec::new(),
        }
    }

    /// Registers a resource declared with `#[api_resource]`.
    pub fn resource<R: Resource>(mut self) -> Self {
        self.models.push(R::MODEL);
        self
    }

    pub fn models(&self) -> &[&'static ResourceModel] {
        &self.models
    }

    /// Connects to `DATABASE_URL`, creates missing tables, builds routes.
    pub async fn build(self) -> Result<Server, BuildError> {
        let opts = PoolOptions {
            max_connections: self.config.db_max_connections,
            schema: self.config.db_schema.clone(),
            ..PoolOptions::default()
        };
        let db = Db::connect(&self.config.database_url, &opts).await?;
        self.build_with_db(db).await
    }

    /// Like [`App::build`] with an existing pool (tests, custom set-ups).
    pub async fn build_with_db(self, db: Db) -> Result<Server, BuildError> {
        let config = &self.config;
        let redis = match &config.redis_url {
            Some(url) => Some(
                RedisHandle::new(url, config.redis_timeout, &config.redis_prefix)
                    .map_err(|e| BuildError::Redis(e.to_string()))?,
            ),
            None => None,
        };
        let flags = Arc::new(Flags::new(config.api_optimization_enabled));
        let opts = ServiceOptions {
            shared: Arc::new(CacheShared {
                flags: flags.clone(),
                channel_up: true.into(),
            }),
            default_ttl: config.cache_ttl,
            max_entries: config.cache_max_entries,
            batch: config.batch,
        };
        let registry = Arc::new(
            Registry::with_options(&self.models, db.clone(), &opts, redis.clone())
                .map_err(BuildError::Declarations)?,
        );
        schema::ensure(&db, &self.models).await?;
        let observer = Arc::new(Observer::new(route_labels(&registry, config)));
        crate::observe::middleware::register(&observer);
        crate::observe::handle();
        crate::observe::spike::start(observer.requests.clone(), config.spike_threshold);
        db.start_pool_gauges();
        let limiter = config.rate_limit_enabled.then(|| {
            let keys = ClientKeys {
                trusted_proxies: config.trusted_proxies.clone(),
                api_keys: config.api_keys.iter().cloned().collect(),
            };
            Limiter::new(
                route_limits(&registry, config),
                redis.clone(),
                keys,
                config.rate_limit_headers,
            )
        });
        let redis_required = config.rate_limit_enabled
            && (config.rate_limit_on_redis_failure == OnFailure::Closed
                || self
                    .models
                    .iter()
                    .any(|m| m.rate_limit.fail_closed == Some(true)));
        let health = Health::new(
            db.clone(),
            redis.clone().map(|r| (r, redis_required)),
            config.health_cache,
        );
        let stack = crate::http::router(
            registry.clone(),
            config,
            crate::http::Parts {
                observer,
                limiter,
                health,
                flags: flags.clone(),
            },
        );
        Ok(Server {
            stack,
            registry,
            config: self.config,
            flags,
        })
    }
}

/// A built application: its router and registry.
pub struct Server {
    stack: crate::http::Stack,
    pub registry: Arc<Registry>,
    pub config: Config,
    /// Runtime feature flags (`api_optimization_enabled`).
    pub flags: Arc<Flags>,
}

impl Server {
    /// The complete router (middleware included), e.g. for tests.
    pub fn router(&self) -> Router {
        self.stack.router()
    }

    pub fn db(&self) -> &Db {
        &self.registry.db
    }

    /// Binds `BIND:PORT` and serves until SIGTERM or Ctrl-C.
    pub async fn serve(self) -> std::io::Result<()> {
        let listener = TcpListener::bind(self.config.addr).await?;
        tracing::info!(addr = %listener.local_addr()?, "listening");
        self.serve_on(listener, shutdown_signal()).await
    }

    /// Serves on `listener` until `shutdown` completes; in-flight requests
    /// then get `shutdown_timeout` to finish before connections are dropped.
    pub async fn serve_on(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use axum::serve::ListenerExt;
        let grace = self.config.shutdown_timeout;
        let (tx, mut rx) = tokio::sync::watch::channel(false);
        let signalled = async move {
            shutdown.await;
            let _ = tx.send(true);
        };
        // TCP_NODELAY: responses are small; do not wait to coalesce them.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = axum::serve(listener, self.stack.clone()).with_graceful_shutdown(signalled);
        let deadline = async move {
            let _ = rx.wait_for(|v| *v).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            r = server => r,
            _ = deadline => {
                tracing::warn!(?grace, "shutdown timeout reached; dropping remaining connections");
                Ok(())
            }
        }?;
        self.registry.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Completes on SIGTERM (orchestrators) or Ctrl-C (terminals).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// The problem returned for paths no route matches.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(Kind::NotFound, format!("no route for {}", uri.path()))
}
