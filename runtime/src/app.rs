//! The App builder: register resources, build the router once, serve.

use crate::config::Config;
use crate::error::{ApiError, Kind};
use crate::model::ResourceModel;
use crate::registry::Registry;
use crate::resource::Resource;
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
}

impl App {
    pub fn new(config: Config) -> Self {
        App { config, models: Vec::new() }
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
        let registry = Arc::new(Registry::new(&self.models, db.clone()).map_err(BuildError::Declarations)?);
        schema::ensure(&db, &self.models).await?;
        let router = crate::http::router(registry.clone(), &self.config);
        Ok(Server { router, registry, config: self.config })
    }
}

/// A built application: its router and registry.
pub struct Server {
    router: Router,
    pub registry: Arc<Registry>,
    pub config: Config,
}

impl Server {
    /// The complete router (middleware included), e.g. for tests.
    pub fn router(&self) -> Router {
        self.router.clone()
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
    pub async fn serve_on(self, listener: TcpListener, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
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
        let server = axum::serve(listener, self.router.clone().into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(signalled);
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
