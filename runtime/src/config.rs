//! Configuration from environment variables, with defaults that work with
//! none set (embedded SQLite, no Redis).

use crate::cache::batcher::BatchOptions;
use crate::limits::{HeaderStyle, OnFailure, Rate};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// `BIND` (default `127.0.0.1`) and `PORT` (default `8080`).
    pub addr: SocketAddr,
    /// `DATABASE_URL`; absent → `sqlite:resourceful.db` in the working directory.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (default 16).
    pub db_max_connections: u32,
    /// `DATABASE_CONNECT_TIMEOUT_SECS` (default 60): how long start-up
    /// waits for an unreachable database, retrying, before it gives up.
    pub db_connect_timeout: Duration,
    /// `DATABASE_SCHEMA`: PostgreSQL schema (`search_path`); default none.
    pub db_schema: Option<String>,
    /// `MAX_BODY_BYTES` (default 1 MiB): larger bodies get 413.
    pub max_body_bytes: usize,
    /// `REQUEST_TIMEOUT_SECS` (default 30): slower requests get 503.
    pub request_timeout: Duration,
    /// `MAX_HEADER_BYTES` (default 32 KiB, at least 8 KiB): the request
    /// line and headers together; more gets 431.
    pub max_header_bytes: usize,
    /// `LISTEN_BACKLOG` (default 4096, capped by the kernel's
    /// `net.core.somaxconn`): connections that may wait to be accepted.
    pub listen_backlog: u32,
    /// `IDEMPOTENCY_TTL_SECS` (default 86400): how long the outcome of a
    /// write sent with an `Idempotency-Key` is replayed to its retries.
    pub idempotency_ttl: Duration,
    /// `HEADER_READ_TIMEOUT_SECS` (default 30): a connection that has not
    /// sent a request's headers within this is closed; 0 turns it off.
    pub header_read_timeout: Duration,
    /// `SHUTDOWN_TIMEOUT_SECS` (default 30): how long in-flight requests
    /// may take to finish after SIGTERM / Ctrl-C.
    pub shutdown_timeout: Duration,
    /// `DRAIN_DELAY_SECS` (default 5): after SIGTERM / Ctrl-C readiness
    /// fails at once, and everything is still served this long so load
    /// balancers take the instance out of rotation before it stops
    /// accepting; 0: stop accepting at once.
    pub drain_delay: Duration,
    /// `GRAPHQL_MAX_DEPTH` (default 10) and `GRAPHQL_MAX_COMPLEXITY` (default 1000).
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    /// `LOG_FORMAT`: `json` or `pretty` (default `pretty`); `RUST_LOG` filters.
    pub log_json: bool,
    /// `REDIS_URL`; absent → in-process rate limiter (and cache).
    pub redis_url: Option<String>,
    /// `REDIS_TIMEOUT_MS` (default 100): the longest wait on Redis per request.
    pub redis_timeout: Duration,
    /// `REDIS_KEY_PREFIX` (default `resourceful`): namespace for every key.
    pub redis_prefix: String,
    /// `RATE_LIMIT_ENABLED` (default true).
    pub rate_limit_enabled: bool,
    /// Defaults per client for resources that declare no limit:
    /// `RATE_LIMIT_READ` (default `6000/min`), `RATE_LIMIT_WRITE` (`600/min`),
    /// and `RATE_LIMIT_GRAPHQL` (`3000/min`) for `/graphql`.
    pub rate_limit_read: Rate,
    pub rate_limit_write: Rate,
    pub rate_limit_graphql: Rate,
    /// `RATE_LIMIT_ON_REDIS_FAILURE`: `open` (default; fall back to the
    /// in-process limiter) or `closed` (503 until Redis is back).
    pub rate_limit_on_redis_failure: OnFailure,
    /// `RATE_LIMIT_LEASE_PERCENT` (default 5, at most 100): with Redis, a
    /// replica leases this share of a policy's count at a time and spends
    /// it in process, so the fleet may admit up to `replicas × share` more
    /// than the limit in a window; 0 decides every request on Redis.
    /// Policies whose share is under two tokens are always exact.
    pub rate_limit_lease_percent: u8,
    /// `RATE_LIMIT_HEADERS`: `draft-09` (default; `RateLimit` and
    /// `RateLimit-Policy`) or `draft-06` (the four older fields).
    pub rate_limit_headers: HeaderStyle,
    /// `TRUSTED_PROXIES`: comma-separated CIDRs whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `API_KEYS`: comma-separated known API keys (each gets its own bucket).
    pub api_keys: Vec<String>,
    /// `SPIKE_THRESHOLD` (default 3): short/baseline request-rate ratio that counts as a spike.
    pub spike_threshold: f64,
    /// `HEALTH_CACHE_MS` (default 1000): how long a readiness result is reused.
    pub health_cache: Duration,
    /// `API_OPTIMIZATION_ENABLED` (default true): read-through cache and
    /// request coalescing; switchable at run time through `/admin/flags`.
    pub api_optimization_enabled: bool,
    /// `GRAPHQL_RESPONSE_CACHE` (default true): replay whole GraphQL query
    /// responses while the resources they read are unchanged (only while
    /// `api_optimization_enabled` is on).
    pub graphql_response_cache: bool,
    /// `GRAPHQL_INTROSPECTION` (default true): `false` refuses `__schema`
    /// and `__type` queries (production, where clients ship their schema).
    pub graphql_introspection: bool,
    /// `CORS_ALLOWED_ORIGINS`: browser origins allowed to call the API
    /// (comma-separated, or `*`); none by default (no CORS headers).
    pub cors_allowed_origins: Vec<String>,
    /// `CACHE_TTL_SECS` (default 600): TTL for resources without `cache_ttl`.
    pub cache_ttl: Duration,
    /// `CACHE_MAX_ENTRIES` (default 10000): items per resource cache.
    pub cache_max_entries: u64,
    /// Cache misses by id share `WHERE id IN (…)` queries:
    /// `BATCH_CONCURRENCY` (default 2) queries per resource run at once,
    /// misses arriving meanwhile form the next batch; `BATCH_MAX` (default
    /// 128) ids at most per query; `BATCH_WAIT_US` (default 0) how long a
    /// batch with a free slot lingers for more.
    pub batch: BatchOptions,
    /// `GROUP_COMMIT_MAX` (default 256): concurrent single-item writes
    /// (creates, updates, deletes) of a resource that arrive while one is
    /// being written leave together, at most this many in one transaction;
    /// 0 writes each on its own.
    pub group_commit_max: usize,
    /// `ADMIN_TOKEN`: enables `/admin/*` for `Authorization: Bearer <token>`.
    pub admin_token: Option<String>,
    /// Bearer tokens: `AUTH_ISSUER`, `AUTH_AUDIENCE`, … (see
    /// [`AuthSettings`](crate::auth::AuthSettings)). The default trusts no
    /// issuer; `from_env` without `AUTH_ISSUER` runs the development issuer.
    pub auth: crate::auth::AuthSettings,
    /// The audit trail: `AUDIT_ENABLED` (on with `from_env`; off in
    /// `Config::default()`, which tests build on), `AUDIT_QUEUE` (16384),
    /// `AUDIT_ON_FULL` (`drop` or `reject`).
    pub audit: crate::audit::AuditSettings,
    /// Maintenance windows: `MAINTENANCE_HORIZON_SECS`, `MAINTENANCE_POLL_SECS`,
    /// `MAINTENANCE_RECENT_SECS`, `MAINTENANCE_WEBHOOK_URLS`,
    /// `MAINTENANCE_WEBHOOK_SECRET` (see
    /// [`MaintenanceSettings`](crate::maintenance::MaintenanceSettings)).
    pub maintenance: crate::maintenance::MaintenanceSettings,
    /// Migrations: `MIGRATIONS_DIR` (default `migrations`) and
    /// `MIGRATE_ON_START` (default on for SQLite, off for PostgreSQL).
    pub migrate: crate::migrate::MigrateSettings,
    /// `TLS_CERT_FILE` and `TLS_KEY_FILE` (PEM, both or neither): with
    /// both the listener speaks TLS only (see [`TlsSettings`]); none by
    /// default (plain HTTP).
    pub tls: Option<TlsSettings>,
}

/// TLS on the listener, from PEM files that may be replaced while it runs.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// `TLS_CERT_FILE`: the certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// `TLS_KEY_FILE`: its private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// `TLS_RELOAD_SECS` (default 10): how often the files are checked for
    /// changes; a changed, valid pair is used for new connections. 0: never.
    pub reload: Duration,
    /// `TLS_HSTS_MAX_AGE_SECS` (default 31536000): `Strict-Transport-Security`
    /// (`max-age`, `includeSubDomains`) on every TLS response; 0 sends none.
    pub hsts_max_age: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite:resourceful.db".into(),
            db_max_connections: 16,
            db_schema: None,
            db_connect_timeout: Duration::from_secs(60),
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            max_header_bytes: 32 << 10,
            listen_backlog: 4096,
            header_read_timeout: Duration::from_secs(30),
            idempotency_ttl: Duration::from_secs(86400),
            shutdown_timeout: Duration::from_secs(30),
            drain_delay: Duration::from_secs(5),
            graphql_max_depth: 10,
            graphql_max_complexity: 1000,
            log_json: false,
            redis_url: None,
            redis_timeout: Duration::from_millis(100),
            redis_prefix: "resourceful".into(),
            rate_limit_enabled: true,
            rate_limit_read: Rate {
                count: 6000,
                per: Duration::from_secs(60),
            },
            rate_limit_write: Rate {
                count: 600,
                per: Duration::from_secs(60),
            },
            rate_limit_graphql: Rate {
                count: 3000,
                per: Duration::from_secs(60),
            },
            rate_limit_on_redis_failure: OnFailure::Open,
            rate_limit_headers: HeaderStyle::Draft09,
            trusted_proxies: Vec::new(),
            api_keys: Vec::new(),
            spike_threshold: 3.0,
            health_cache: Duration::from_millis(1000),
            api_optimization_enabled: true,
            graphql_response_cache: true,
            graphql_introspection: true,
            cors_allowed_origins: Vec::new(),
            cache_ttl: Duration::from_secs(600),
            cache_max_entries: 10_000,
            group_commit_max: crate::service::DEFAULT_GROUP_COMMIT_MAX,
            rate_limit_lease_percent: 5,
            batch: BatchOptions::default(),
            admin_token: None,
            auth: crate::auth::AuthSettings::default(),
            audit: crate::audit::AuditSettings {
                enabled: false,
                ..Default::default()
            },
            maintenance: crate::maintenance::MaintenanceSettings::default(),
            migrate: crate::migrate::MigrateSettings::default(),
            tls: None,
        }
    }
}

impl Config {
    /// Reads the environment; unset variables keep their defaults.
    pub fn from_env() -> Result<Config, String> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let mut c = Config::default();
        fn num<T: std::str::FromStr>(
            get: &dyn Fn(&str) -> Option<String>,
            k: &str,
            target: &mut T,
        ) -> Result<(), String> {
            if let Some(v) = get(k) {
                *target = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{k}={v:?} is not a valid number"))?;
            }
            Ok(())
        }
        let bind = get("BIND").unwrap_or_else(|| "127.0.0.1".into());
        let mut port: u16 = 8080;
        num(&get, "PORT", &mut port)?;
        let ip: std::net::IpAddr = bind
            .parse()
            .map_err(|_| format!("BIND={bind:?} is not an IP address"))?;
        c.addr = SocketAddr::new(ip, port);
        if let Some(u) = get("DATABASE_URL").filter(|u| !u.is_empty()) {
            c.database_url = u;
        }
        c.db_schema = get("DATABASE_SCHEMA").filter(|s| !s.is_empty());
        num(&get, "DATABASE_MAX_CONNECTIONS", &mut c.db_max_connections)?;
        let mut secs = c.db_connect_timeout.as_secs();
        num(&get, "DATABASE_CONNECT_TIMEOUT_SECS", &mut secs)?;
        c.db_connect_timeout = Duration::from_secs(secs);
        num(&get, "MAX_BODY_BYTES", &mut c.max_body_bytes)?;
        let mut secs = c.request_timeout.as_secs();
        num(&get, "REQUEST_TIMEOUT_SECS", &mut secs)?;
        c.request_timeout = Duration::from_secs(secs);
        num(&get, "MAX_HEADER_BYTES", &mut c.max_header_bytes)?;
        num(&get, "LISTEN_BACKLOG", &mut c.listen_backlog)?;
        if c.listen_backlog == 0 {
            return Err("LISTEN_BACKLOG=0: at least 1 connection must be able to wait".into());
        }
        let mut secs = c.header_read_timeout.as_secs();
        num(&get, "HEADER_READ_TIMEOUT_SECS", &mut secs)?;
        c.header_read_timeout = Duration::from_secs(secs);
        let mut secs = c.idempotency_ttl.as_secs();
        num(&get, "IDEMPOTENCY_TTL_SECS", &mut secs)?;
        c.idempotency_ttl = Duration::from_secs(secs.max(1));
        let mut secs = c.shutdown_timeout.as_secs();
        num(&get, "SHUTDOWN_TIMEOUT_SECS", &mut secs)?;
        c.shutdown_timeout = Duration::from_secs(secs);
        let mut secs = c.drain_delay.as_secs();
        num(&get, "DRAIN_DELAY_SECS", &mut secs)?;
        c.drain_delay = Duration::from_secs(secs);
        num(&get, "GRAPHQL_MAX_DEPTH", &mut c.graphql_max_depth)?;
        num(
            &get,
            "GRAPHQL_MAX_COMPLEXITY",
            &mut c.graphql_max_complexity,
        )?;
        c.redis_url = get("REDIS_URL").filter(|s| !s.is_empty());
        let mut ms = c.redis_timeout.as_millis() as u64;
        num(&get, "REDIS_TIMEOUT_MS", &mut ms)?;
        c.redis_timeout = Duration::from_millis(ms.max(1));
        if let Some(p) = get("REDIS_KEY_PREFIX").filter(|s| !s.is_empty()) {
            c.redis_prefix = p;
        }
        if let Some(v) = get("RATE_LIMIT_ENABLED") {
            c.rate_limit_enabled = match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(format!("RATE_LIMIT_ENABLED={v:?}: use true or false")),
            };
        }
        for (k, target) in [
            ("RATE_LIMIT_READ", &mut c.rate_limit_read),
            ("RATE_LIMIT_WRITE", &mut c.rate_limit_write),
            ("RATE_LIMIT_GRAPHQL", &mut c.rate_limit_graphql),
        ] {
            if let Some(v) = get(k) {
                *target = Rate::parse(&v).map_err(|e| format!("{k}: {e}"))?;
            }
        }
        if let Some(v) = get("RATE_LIMIT_ON_REDIS_FAILURE") {
            c.rate_limit_on_redis_failure =
                OnFailure::parse(&v).map_err(|e| format!("RATE_LIMIT_ON_REDIS_FAILURE: {e}"))?;
        }
        num(
            &get,
            "RATE_LIMIT_LEASE_PERCENT",
            &mut c.rate_limit_lease_percent,
        )?;
        if c.rate_limit_lease_percent > 100 {
            return Err(format!(
                "RATE_LIMIT_LEASE_PERCENT={}: use 0 to 100",
                c.rate_limit_lease_percent
            ));
        }
        if let Some(v) = get("RATE_LIMIT_HEADERS") {
            c.rate_limit_headers =
                HeaderStyle::parse(&v).map_err(|e| format!("RATE_LIMIT_HEADERS: {e}"))?;
        }
        if let Some(v) = get("TRUSTED_PROXIES") {
            for part in v.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let net = part
                    .parse::<ipnet::IpNet>()
                    .or_else(|_| part.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("TRUSTED_PROXIES: {part:?} is not an IP or CIDR"))?;
                c.trusted_proxies.push(net);
            }
        }
        if let Some(v) = get("API_KEYS") {
            c.api_keys = v
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(String::from)
                .collect();
        }
        num(&get, "SPIKE_THRESHOLD", &mut c.spike_threshold)?;
        let mut ms = c.health_cache.as_millis() as u64;
        num(&get, "HEALTH_CACHE_MS", &mut ms)?;
        c.health_cache = Duration::from_millis(ms);
        for (name, flag) in [
            ("API_OPTIMIZATION_ENABLED", &mut c.api_optimization_enabled),
            ("GRAPHQL_RESPONSE_CACHE", &mut c.graphql_response_cache),
            ("GRAPHQL_INTROSPECTION", &mut c.graphql_introspection),
        ] {
            if let Some(v) = get(name) {
                *flag = match v.as_str() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(format!("{name}={v:?}: use true or false")),
                };
            }
        }
        let mut secs = c.cache_ttl.as_secs();
        num(&get, "CACHE_TTL_SECS", &mut secs)?;
        c.cache_ttl = Duration::from_secs(secs);
        num(&get, "CACHE_MAX_ENTRIES", &mut c.cache_max_entries)?;
        num(&get, "GROUP_COMMIT_MAX", &mut c.group_commit_max)?;
        let mut us = c.batch.wait.as_micros() as u64;
        num(&get, "BATCH_WAIT_US", &mut us)?;
        c.batch.wait = Duration::from_micros(us);
        num(&get, "BATCH_MAX", &mut c.batch.max)?;
        c.batch.max = c.batch.max.max(1);
        num(&get, "BATCH_CONCURRENCY", &mut c.batch.concurrency)?;
        c.batch.concurrency = c.batch.concurrency.max(1);
        c.admin_token = get("ADMIN_TOKEN").filter(|t| !t.is_empty());
        c.cors_allowed_origins = get("CORS_ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        c.auth = crate::auth::AuthSettings::from_lookup(&get)?;
        c.audit = crate::audit::AuditSettings::from_lookup(&get)?;
        c.maintenance = crate::maintenance::MaintenanceSettings::from_lookup(&get)?;
        c.migrate = crate::migrate::MigrateSettings::from_lookup(&get)?;
        let (mut reload, mut hsts) = (10u64, 31_536_000u64);
        num(&get, "TLS_RELOAD_SECS", &mut reload)?;
        num(&get, "TLS_HSTS_MAX_AGE_SECS", &mut hsts)?;
        c.tls =
            tls_files(get("TLS_CERT_FILE"), get("TLS_KEY_FILE"))?.map(|(cert_file, key_file)| {
                TlsSettings {
                    cert_file,
                    key_file,
                    reload: Duration::from_secs(reload),
                    hsts_max_age: Duration::from_secs(hsts),
                }
            });
        c.log_json = match get("LOG_FORMAT").as_deref() {
            None | Some("pretty") | Some("") => false,
            Some("json") => true,
            Some(other) => return Err(format!("LOG_FORMAT={other:?}: use json or pretty")),
        };
        Ok(c)
    }
}

/// `TLS_CERT_FILE` and `TLS_KEY_FILE`: both or neither (empty is unset).
fn tls_files(
    cert: Option<String>,
    key: Option<String>,
) -> Result<Option<(PathBuf, PathBuf)>, String> {
    let set = |v: Option<String>| v.filter(|v| !v.trim().is_empty()).map(PathBuf::from);
    match (set(cert), set(key)) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some((cert, key))),
        (Some(_), None) => {
            Err("TLS_CERT_FILE is set but TLS_KEY_FILE is not: set both or neither".into())
        }
        (None, Some(_)) => {
            Err("TLS_KEY_FILE is set but TLS_CERT_FILE is not: set both or neither".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_need_nothing() {
        let c = Config::from_lookup(|_| None).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
        assert!(c.database_url.starts_with("sqlite:"));
    }

    #[test]
    fn reads_and_rejects() {
        let c = Config::from_lookup(|k| match k {
            "PORT" => Some("9000".into()),
            "BIND" => Some("0.0.0.0".into()),
            "DATABASE_URL" => Some("postgres://x/y".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(c.database_url, "postgres://x/y");
        assert!(Config::from_lookup(|k| (k == "PORT").then(|| "eighty".into())).is_err());
    }

    #[test]
    fn batching_and_rate_limit_fields() {
        let d = Config::from_lookup(|_| None).unwrap();
        assert_eq!(
            (d.batch.concurrency, d.batch.max, d.batch.wait),
            (2, 128, Duration::ZERO)
        );
        assert_eq!(d.rate_limit_headers, HeaderStyle::Draft09);
        let c = Config::from_lookup(|k| match k {
            "BATCH_CONCURRENCY" => Some("0".into()),
            "BATCH_MAX" => Some("32".into()),
            "BATCH_WAIT_US" => Some("250".into()),
            "RATE_LIMIT_HEADERS" => Some("draft-06".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.batch.concurrency, 1, "at least one query in flight");
        assert_eq!(
            (c.batch.max, c.batch.wait),
            (32, Duration::from_micros(250))
        );
        assert_eq!(c.rate_limit_headers, HeaderStyle::Draft06);
        let bad = Config::from_lookup(|k| (k == "RATE_LIMIT_HEADERS").then(|| "draft-7".into()));
        assert!(bad.unwrap_err().contains("RATE_LIMIT_HEADERS"));
    }

    #[test]
    fn tls_needs_both_files() {
        assert!(Config::from_lookup(|_| None).unwrap().tls.is_none());
        let only_cert = Config::from_lookup(|k| (k == "TLS_CERT_FILE").then(|| "c.pem".into()));
        assert!(only_cert.unwrap_err().contains("TLS_KEY_FILE is not"));
        let only_key = Config::from_lookup(|k| (k == "TLS_KEY_FILE").then(|| "k.pem".into()));
        assert!(only_key.unwrap_err().contains("TLS_CERT_FILE is not"));
        let c = Config::from_lookup(|k| match k {
            "TLS_CERT_FILE" => Some("c.pem".into()),
            "TLS_KEY_FILE" => Some("k.pem".into()),
            "TLS_HSTS_MAX_AGE_SECS" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        let tls = c.tls.unwrap();
        assert_eq!(tls.key_file, PathBuf::from("k.pem"));
        assert_eq!(
            (tls.reload, tls.hsts_max_age),
            (Duration::from_secs(10), Duration::ZERO)
        );
    }
}
