//! The App builder: register resources, hooks, routes and layers of one's
//! own; build the router once; serve.

mod starting;

use crate::access::hooks::Typed;
use crate::access::{Api, Hooks};
use crate::cache::flags::Flags;
use crate::cache::CacheShared;
use crate::config::Config;
use crate::context::Context;
use crate::health::Health;
use crate::http::routes::{route_infos, route_limits, CustomRoute};
use crate::identity::Authenticate;
use crate::limits::{ClientKeys, Limiter, OnFailure, Rate};
use crate::model::ResourceModel;
use crate::observe::middleware::Observer;
use crate::redis_conn::RedisHandle;
use crate::registry::Registry;
use crate::resource::Resource;
use crate::service::ServiceOptions;
use crate::store::idempotency::IdempotencyStore;
use crate::store::{schema, Db, PoolOptions};
use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, Route};
use axum::Router;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::{Layer, Service};

type InstallHooks = Box<dyn FnOnce(&Arc<Registry>) -> Result<(), String> + Send>;
type ApplyLayer = Box<dyn FnOnce(Router) -> Router + Send>;

/// Collects resources and extensions; [`App::build`] turns them into a
/// [`Server`].
pub struct App {
    config: Config,
    models: Vec<&'static ResourceModel>,
    hooks: Vec<InstallHooks>,
    routes: Vec<CustomRoute>,
    layers: Vec<ApplyLayer>,
    openapi: Vec<utoipa::openapi::OpenApi>,
    policies: Vec<(String, Rate)>,
    authenticator: Option<Arc<dyn Authenticate>>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("invalid resource declarations:\n{0}")]
    Declarations(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    DatabaseUnreachable(#[from] crate::store::connect::Unreachable),
    #[error("REDIS_URL: {0}")]
    Redis(String),
    #[error("authentication: {0}")]
    Auth(String),
    #[error("{0}")]
    Schema(String),
}

impl App {
    pub fn new(config: Config) -> Self {
        App {
            config,
            models: Vec::new(),
            hooks: Vec::new(),
            routes: Vec::new(),
            layers: Vec::new(),
            openapi: Vec::new(),
            policies: Vec::new(),
            authenticator: None,
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

    /// Installs the business rules of resource `R` (see [`Hooks`]); they run
    /// for REST, GraphQL and typed access alike.
    pub fn hooks<R: Resource, H: Hooks<R>>(mut self, hooks: H) -> Self {
        self.hooks.push(Box::new(move |registry: &Arc<Registry>| {
            crate::access::service_of::<R>(registry)
                .map_err(|_| format!("hooks for {} need .resource::<{0}>() too", R::MODEL.name))?;
            // The rules hold whichever API version a write comes through.
            let hooks: Arc<dyn crate::service::DynHooks> = Arc::new(Typed::new(hooks, registry));
            for svc in registry.versions_of(R::MODEL.path) {
                svc.set_hooks(hooks.clone())?;
            }
            Ok(())
        }));
        self
    }

    /// Establishes the caller of every request (before rate limiting); see
    /// [`Authenticate`].
    pub fn authenticate(mut self, authenticator: impl Authenticate) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// A route of one's own, behind the same gate as the generated ones
    /// (request id, rate limit, timeout, panic guard, metrics labelled with
    /// `path`, access log, problem+json 404/405). Its handlers can take
    /// [`Api`] (typed access in the request's context) and [`Context`].
    pub fn route(self, path: &str, method_router: MethodRouter) -> Self {
        self.add_route(path, method_router, None)
    }

    /// Like [`App::route`], limited by a policy declared with
    /// [`App::rate_limit`] (its bucket shared by every route naming it).
    pub fn route_limited(self, path: &str, method_router: MethodRouter, policy: &str) -> Self {
        self.add_route(path, method_router, Some(policy.to_string()))
    }

    fn add_route(mut self, path: &str, mr: MethodRouter, policy: Option<String>) -> Self {
        self.routes.push(CustomRoute {
            templates: vec![path.to_string()],
            router: Router::new().route(path, mr),
            policy,
            anonymous: Vec::new(),
        });
        self
    }

    /// A router of one's own under `prefix`; its requests are measured and
    /// limited as one route (`{prefix}` and `{prefix}/{*rest}`).
    pub fn nest(mut self, prefix: &str, router: Router) -> Self {
        let prefix = prefix.trim_end_matches('/');
        self.routes.push(CustomRoute {
            templates: vec![prefix.to_string(), format!("{prefix}/{{*rest}}")],
            router: Router::new().nest(prefix, router),
            policy: None,
            anonymous: Vec::new(),
        });
        self
    }

    /// An ordinary axum router, merged in as it is, behind the same gate:
    /// its requests are measured and logged under the templates axum
    /// matched them by and limited by the `custom:read` / `custom:write`
    /// defaults (as are requests no route matches, once a router is merged).
    pub fn merge(mut self, router: Router) -> Self {
        self.routes.push(CustomRoute {
            templates: Vec::new(),
            router: router.route_layer(axum::middleware::from_fn(
                crate::http::routes::keep_template,
            )),
            policy: None,
            anonymous: Vec::new(),
        });
        self
    }

    /// A named rate limit for [`App::route_limited`], e.g. `"30/min"`.
    /// Panics on a malformed rate (a programming error, found at start-up).
    pub fn rate_limit(mut self, name: &str, rate: &str) -> Self {
        let rate = Rate::parse(rate).unwrap_or_else(|e| panic!("rate limit \"{name}\": {e}"));
        self.policies.push((name.to_string(), rate));
        self
    }

    /// Any tower layer around every route, generated or not (inside the
    /// gate: the gate's metrics and limits see what the layer answers).
    pub fn layer<L>(mut self, layer: L) -> Self
    where
        L: Layer<Route> + Clone + Send + Sync + 'static,
        L::Service: Service<Request> + Clone + Send + Sync + 'static,
        <L::Service as Service<Request>>::Response: IntoResponse + 'static,
        <L::Service as Service<Request>>::Error: Into<Infallible> + 'static,
        <L::Service as Service<Request>>::Future: Send + 'static,
    {
        self.layers.push(Box::new(move |r: Router| r.layer(layer)));
        self
    }

    /// Paths of one's own in the OpenAPI document (e.g. from utoipa's
    /// `#[derive(OpenApi)]` over `#[utoipa::path]` handlers).
    pub fn openapi(mut self, fragment: utoipa::openapi::OpenApi) -> Self {
        self.openapi.push(fragment);
        self
    }

    /// Connects to `DATABASE_URL`, creates missing tables, builds routes.
    pub async fn build(self) -> Result<Server, BuildError> {
        let opts = PoolOptions {
            max_connections: self.config.db_max_connections,
            schema: self.config.db_schema.clone(),
            ..PoolOptions::default()
        };
        let db = crate::store::connect::with_retries(
            &self.config.database_url,
            &opts,
            self.config.db_connect_timeout,
        )
        .await?;
        self.build_with_db(db).await
    }

    /// Like [`App::build`] with an existing pool (tests, custom set-ups).
    pub async fn build_with_db(mut self, db: Db) -> Result<Server, BuildError> {
        self.install_authenticator()?;
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
            group_commit_max: config.group_commit_max,
        };
        let registry = Arc::new(
            Registry::with_options(&self.models, db.clone(), &opts, redis.clone())
                .map_err(BuildError::Declarations)?,
        );
        let problems: Vec<String> = self
            .hooks
            .into_iter()
            .filter_map(|install| install(&registry).err())
            .collect();
        if !problems.is_empty() {
            return Err(BuildError::Declarations(problems.join("\n")));
        }
        crate::migrate::before_tables(&db, &self.models, &config.migrate)
            .await
            .map_err(BuildError::Schema)?;
        // Existing tables must match before anything touches them (an
        // index on a column the table lacks would fail first).
        crate::migrate::check(&db, &self.models)
            .await
            .map_err(BuildError::Schema)?;
        schema::ensure(&db, &self.models).await?;
        let idempotency = Arc::new(IdempotencyStore::new(
            db.clone(),
            config.idempotency_ttl,
            // Longer than any request may run: the gate ends it by then.
            config.request_timeout * 2 + Duration::from_secs(5),
        ));
        idempotency.ensure_table().await?;
        let auditor = match config.audit.enabled {
            true => Some(crate::audit::Auditor::start(db.clone(), config.audit.clone()).await?),
            false => None,
        };
        if let Some(a) = &auditor {
            for svc in registry.rest_services() {
                svc.set_auditor(a.clone());
            }
            self.routes.push(crate::audit_routes::routes(a.clone()));
        }
        let maintenance = crate::maintenance::Schedule::start(
            db.clone(),
            config.maintenance.clone(),
            self.models.iter().map(|m| m.path).collect(),
            redis.clone(),
        )
        .await?;
        for svc in registry.rest_services() {
            svc.set_write_gate(maintenance.clone());
        }
        self.routes.push(crate::maintenance::routes::routes(
            maintenance.clone(),
            crate::openapi::DEFAULT_TITLE,
        ));
        self.openapi.push(crate::maintenance::openapi::fragment());
        let analytics = crate::analytics::Analytics::start(maintenance.clone());
        self.routes
            .push(crate::analytics::routes::routes(analytics.clone()));
        let analytics_handle = analytics.clone();
        sweep_idempotency(Arc::downgrade(&idempotency));
        let routes = route_infos(&registry, config, &self.routes);
        let observer = Arc::new(Observer::new(
            routes.iter().map(|r| (r.template.clone(), r.resource)),
        ));
        crate::observe::middleware::register(&observer);
        crate::observe::spike::start(observer.requests.clone(), config.spike_threshold);
        db.start_pool_gauges();
        let limiter = match config.rate_limit_enabled {
            false => None,
            true => Some(Limiter::new(
                route_limits(&registry, config, &self.routes, &self.policies)
                    .map_err(BuildError::Declarations)?,
                redis.clone(),
                ClientKeys {
                    trusted_proxies: config.trusted_proxies.clone(),
                    api_keys: config.api_keys.iter().cloned().collect(),
                },
                config.rate_limit_headers,
                config.rate_limit_lease_percent,
            )),
        };
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
                health: health.clone(),
                flags: flags.clone(),
                authenticator: self.authenticator,
                contexts: routes.iter().map(|r| r.context).collect(),
                custom: self.routes,
                layers: self.layers,
                openapi: self.openapi,
                idempotency,
                audit: auditor.clone(),
                maintenance: Some(maintenance.clone()),
                analytics: Some(analytics),
            },
        );
        Ok(Server {
            stack,
            health,
            registry,
            config: self.config,
            flags,
            auditor,
            maintenance,
            analytics: analytics_handle,
        })
    }
}

impl App {
    /// Binds `BIND:PORT` at once and serves until SIGTERM or Ctrl-C. With a
    /// database server that does not answer yet, liveness answers, readiness
    /// reports what it waits for and every other route answers 503 with
    /// `Retry-After`, until the database answers: then the app is built and
    /// serves, without a restart (see [`Server::serve`] for the drain).
    pub async fn serve(self) -> std::io::Result<()> {
        self.serve_with(|_| Box::pin(async { Ok(()) })).await
    }

    /// [`App::serve`], running `prepare` on the built server before it takes
    /// over (seeding, a log line); its error ends the process.
    pub async fn serve_with<P>(self, prepare: P) -> std::io::Result<()>
    where
        P: for<'a> FnOnce(&'a Server) -> futures::future::BoxFuture<'a, Result<(), String>>
            + Send
            + 'static,
    {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.first().map(String::as_str) == Some("migrate") {
            return self.migrate(&args[1..]).await;
        }
        let listener = bind(self.config.addr, self.config.listen_backlog)?;
        self.serve_on(listener, shutdown_signal(), prepare).await
    }

    /// [`App::serve_with`] on a bound listener, until `shutdown` completes.
    pub async fn serve_on<P>(
        self,
        listener: std::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
        prepare: P,
    ) -> std::io::Result<()>
    where
        P: for<'a> FnOnce(&'a Server) -> futures::future::BoxFuture<'a, Result<(), String>>
            + Send
            + 'static,
    {
        listener.set_nonblocking(true)?;
        let later = listener.try_clone()?;
        let first = TcpListener::from_std(listener)?;
        tracing::info!(addr = %first.local_addr()?, "listening");
        let waiting: starting::Waiting = Arc::new(arc_swap::ArcSwap::from_pointee(
            "connecting to the database".to_string(),
        ));
        let config = self.config.clone();
        let (built, ready) = tokio::sync::oneshot::channel();
        let told = waiting.clone();
        tokio::spawn(async move {
            let out = match self.build_when_reachable(told).await {
                Ok(server) => match prepare(&server).await {
                    Ok(()) => Ok(server),
                    Err(e) => Err(e),
                },
                Err(e) => Err(e.to_string()),
            };
            let _ = built.send(out);
        });
        let stack =
            crate::http::Stack::plain(starting::routes(waiting), &starting::TEMPLATES, &config);
        let tls = match &config.tls {
            Some(settings) => Some(
                crate::http::tls::Tls::start(settings)
                    .await
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
            ),
            None => None,
        };
        let outcome = Arc::new(std::sync::Mutex::new(None));
        let got = outcome.clone();
        let mut shutdown = Box::pin(shutdown);
        let mut stopped = false;
        let signal = async {
            tokio::select! {
                r = ready => {
                    *got.lock().expect("lock") = Some(r.unwrap_or_else(|_| Err("the build task ended".into())));
                }
                () = &mut shutdown => stopped = true,
            }
        };
        let limits = crate::http::serve::ConnectionLimits {
            max_header_bytes: config.max_header_bytes,
            header_read_timeout: config.header_read_timeout,
        };
        crate::http::serve::serve(
            first,
            stack,
            limits,
            tls,
            crate::http::serve::Stop {
                signal,
                on_drain: || {},
                delay: Duration::ZERO,
                hurry: std::future::pending(),
                // Requests to the starting stack answer at once.
                grace: Duration::from_secs(2),
            },
        )
        .await;
        if stopped {
            tracing::info!("stopped before the database answered");
            return Ok(());
        }
        let server = outcome.lock().expect("lock").take();
        match server {
            Some(Ok(server)) => {
                tracing::info!("ready: serving the application");
                server
                    .run(TcpListener::from_std(later)?, shutdown, shutdown_signal())
                    .await
            }
            Some(Err(e)) => Err(std::io::Error::other(e)),
            None => Ok(()),
        }
    }

    /// `migrate status | plan | apply` (the binary's arguments): prints the
    /// outcome; an error is the process's.
    pub async fn migrate(self, args: &[String]) -> std::io::Result<()> {
        let opts = PoolOptions {
            max_connections: 2,
            schema: self.config.db_schema.clone(),
            ..PoolOptions::default()
        };
        let db = crate::store::connect::with_retries(
            &self.config.database_url,
            &opts,
            self.config.db_connect_timeout,
        )
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
        let out = crate::migrate::command(args, &db, &self.models, &self.config.migrate).await;
        db.close().await;
        match out {
            Ok(text) => {
                println!("{text}");
                Ok(())
            }
            Err(e) => Err(std::io::Error::other(e)),
        }
    }

    /// Connects (as long as it takes, for a database server), then builds.
    async fn build_when_reachable(self, waiting: starting::Waiting) -> Result<Server, BuildError> {
        if !starting::may_wait(&self.config) {
            return self.build().await;
        }
        let opts = PoolOptions {
            max_connections: self.config.db_max_connections,
            schema: self.config.db_schema.clone(),
            ..PoolOptions::default()
        };
        let db = crate::store::connect::until_reachable(&self.config.database_url, &opts, |why| {
            waiting.store(Arc::new(why))
        })
        .await?;
        self.build_with_db(db).await
    }
}

impl App {
    /// Without an authenticator of the app's own: bearer tokens of the
    /// configured issuers, or the development issuer and its routes.
    fn install_authenticator(&mut self) -> Result<(), BuildError> {
        if self.authenticator.is_some() {
            return Ok(());
        }
        let protected = self.models.iter().any(|m| !m.access.is_public());
        let installed = crate::auth::install(&self.config.auth, self.config.addr, protected)
            .map_err(BuildError::Auth)?;
        self.authenticator = installed.authenticator;
        if let Some(router) = installed.dev_routes {
            self.routes.push(CustomRoute {
                templates: vec!["/dev/token".into(), "/dev/jwks.json".into()],
                router,
                policy: None,
                anonymous: Vec::new(),
            });
        }
        Ok(())
    }
}

/// Drops expired idempotency outcomes every ten minutes while the app lives.
fn sweep_idempotency(store: std::sync::Weak<IdempotencyStore>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let Some(store) = store.upgrade() else { return };
            if let Err(e) = store.sweep().await {
                tracing::warn!(error = %e, "idempotency sweep failed");
            }
        }
    });
}

/// A built application: its router and registry.
pub struct Server {
    stack: crate::http::Stack,
    /// Readiness, failed by the server itself when it starts draining.
    health: Arc<Health>,
    pub registry: Arc<Registry>,
    pub config: Config,
    /// Runtime feature flags (`api_optimization_enabled`).
    pub flags: Arc<Flags>,
    /// The audit trail, when on.
    pub auditor: Option<Arc<crate::audit::Auditor>>,
    /// The maintenance schedule as this replica knows it.
    pub maintenance: Arc<crate::maintenance::Schedule>,
    /// This replica's figures for the analytics page.
    pub analytics: Arc<crate::analytics::Analytics>,
}

impl Server {
    /// The complete router (middleware included), e.g. for tests.
    pub fn router(&self) -> Router {
        self.stack.router()
    }

    pub fn db(&self) -> &Db {
        &self.registry.db
    }

    /// Typed access with no caller ([`Context::system`]): seeding,
    /// background tasks, tests.
    pub fn api(&self) -> Api {
        Api::new(self.registry.clone(), Context::system())
    }

    /// Binds `BIND:PORT` and serves until SIGTERM or Ctrl-C, then drains
    /// (see [`Server::serve_on`]). A second signal during the drain delay
    /// ends the delay (a second Ctrl-C in a terminal).
    pub async fn serve(self) -> std::io::Result<()> {
        let listener = TcpListener::from_std(bind(self.config.addr, self.config.listen_backlog)?)?;
        tracing::info!(addr = %listener.local_addr()?, "listening");
        // Polled only once the first signal has arrived, so it waits for
        // another one.
        self.run(listener, shutdown_signal(), shutdown_signal())
            .await
    }

    /// Serves on `listener` until `shutdown` completes, then drains:
    /// `/health/ready` answers 503 at once while everything else is served
    /// for `drain_delay` (so load balancers take the instance out of
    /// rotation), then new connections are refused and in-flight requests
    /// get `shutdown_timeout` to finish before connections are dropped.
    /// With `config.tls` it speaks TLS only, and fails at once when the
    /// files are unreadable or not a valid pair.
    pub async fn serve_on(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.run(listener, shutdown, std::future::pending()).await
    }

    async fn run(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        hurry: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        // Unreadable or invalid files stop start-up here, before serving.
        let tls = match &self.config.tls {
            Some(settings) => Some(
                crate::http::tls::Tls::start(settings)
                    .await
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
            ),
            None => None,
        };
        let limits = crate::http::serve::ConnectionLimits {
            max_header_bytes: self.config.max_header_bytes,
            header_read_timeout: self.config.header_read_timeout,
        };
        let health = self.health.clone();
        let stop = crate::http::serve::Stop {
            signal: shutdown,
            on_drain: move || health.start_draining(),
            delay: self.config.drain_delay,
            hurry,
            grace: self.config.shutdown_timeout,
        };
        crate::http::serve::serve(listener, self.stack.clone(), limits, tls, stop).await;
        if let Some(a) = &self.auditor {
            // Every request's record is written and sealed before the pool closes.
            if let Err(e) = a.flush_within(self.config.shutdown_timeout).await {
                tracing::warn!(error = %e, "audit records could not be flushed");
            }
        }
        self.registry.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// A listener on `addr` where `backlog` connections may wait to be
/// accepted (the kernel caps it at `net.core.somaxconn`). The standard
/// library's 128 overflowed when 1,024 clients connected at once
/// (`cargo bench --bench curves`): each dropped handshake waits a second
/// for its retry.
fn bind(addr: std::net::SocketAddr, backlog: u32) -> std::io::Result<std::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)?.into_std()
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
}

#[cfg(test)]
mod tests {
    /// The backlog a listening socket was given, as `ss` reports it.
    fn backlog_of(port: u16) -> u32 {
        let out = std::process::Command::new("ss")
            .args(["-ltnH", &format!("sport = :{port}")])
            .output()
            .expect("ss (iproute2) runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .next()
            .unwrap_or_else(|| panic!("no listener on {port}"));
        // State, Recv-Q, Send-Q (the backlog of a listener), …
        line.split_whitespace().nth(2).unwrap().parse().unwrap()
    }

    #[tokio::test]
    async fn the_listener_takes_the_configured_backlog() {
        let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let l = super::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), 1000).unwrap();
        let port = l.local_addr().unwrap().port();
        assert_eq!(backlog_of(port), 1000.min(somaxconn));
    }
}
