//! Configuration from environment variables, with defaults that work with
//! none set (embedded SQLite, no Redis).

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// `BIND` (default `127.0.0.1`) and `PORT` (default `8080`).
    pub addr: SocketAddr,
    /// `DATABASE_URL`; absent → `sqlite:resourceful.db` in the working directory.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS` (default 16).
    pub db_max_connections: u32,
    /// `DATABASE_SCHEMA`: PostgreSQL schema (`search_path`); default none.
    pub db_schema: Option<String>,
    /// `MAX_BODY_BYTES` (default 1 MiB): larger bodies get 413.
    pub max_body_bytes: usize,
    /// `REQUEST_TIMEOUT_SECS` (default 30): slower requests get 503.
    pub request_timeout: Duration,
    /// `SHUTDOWN_TIMEOUT_SECS` (default 30): how long in-flight requests
    /// may take to finish after SIGTERM / Ctrl-C.
    pub shutdown_timeout: Duration,
    /// `GRAPHQL_MAX_DEPTH` (default 10) and `GRAPHQL_MAX_COMPLEXITY` (default 1000).
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    /// `LOG_FORMAT`: `json` or `pretty` (default `pretty`); `RUST_LOG` filters.
    pub log_json: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite:resourceful.db".into(),
            db_max_connections: 16,
            db_schema: None,
            max_body_bytes: 1 << 20,
            request_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
            graphql_max_depth: 10,
            graphql_max_complexity: 1000,
            log_json: false,
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
        fn num<T: std::str::FromStr>(get: &dyn Fn(&str) -> Option<String>, k: &str, target: &mut T) -> Result<(), String> {
            if let Some(v) = get(k) {
                *target = v.trim().parse().map_err(|_| format!("{k}={v:?} is not a valid number"))?;
            }
            Ok(())
        }
        let bind = get("BIND").unwrap_or_else(|| "127.0.0.1".into());
        let mut port: u16 = 8080;
        num(&get, "PORT", &mut port)?;
        let ip: std::net::IpAddr = bind.parse().map_err(|_| format!("BIND={bind:?} is not an IP address"))?;
        c.addr = SocketAddr::new(ip, port);
        if let Some(u) = get("DATABASE_URL").filter(|u| !u.is_empty()) {
            c.database_url = u;
        }
        c.db_schema = get("DATABASE_SCHEMA").filter(|s| !s.is_empty());
        num(&get, "DATABASE_MAX_CONNECTIONS", &mut c.db_max_connections)?;
        num(&get, "MAX_BODY_BYTES", &mut c.max_body_bytes)?;
        let mut secs = c.request_timeout.as_secs();
        num(&get, "REQUEST_TIMEOUT_SECS", &mut secs)?;
        c.request_timeout = Duration::from_secs(secs);
        let mut secs = c.shutdown_timeout.as_secs();
        num(&get, "SHUTDOWN_TIMEOUT_SECS", &mut secs)?;
        c.shutdown_timeout = Duration::from_secs(secs);
        num(&get, "GRAPHQL_MAX_DEPTH", &mut c.graphql_max_depth)?;
        num(&get, "GRAPHQL_MAX_COMPLEXITY", &mut c.graphql_max_complexity)?;
        c.log_json = match get("LOG_FORMAT").as_deref() {
            None | Some("pretty") | Some("") => false,
            Some("json") => true,
            Some(other) => return Err(format!("LOG_FORMAT={other:?}: use json or pretty")),
        };
        Ok(c)
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
}
