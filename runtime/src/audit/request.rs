//! A request's record as the gate hands it over: what it owns is moved or
//! shared in, nothing is rendered. The writer renders it off the request
//! path, and a full queue holds under 200 bytes a request instead of the
//! kilobyte a rendered record with its dozen strings takes.

use super::Record;
use crate::identity::Principal;
use axum::http::{HeaderValue, Method};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub struct RequestEntry {
    pub at: SystemTime,
    pub request_id: HeaderValue,
    /// The authenticated caller, if any.
    pub principal: Option<Arc<Principal>>,
    pub method: Method,
    /// The route template (`/v1/tasks/{id}`).
    pub route: &'static str,
    /// The resource the route serves, if any.
    pub resource: Option<&'static str>,
    /// On an item route of a resource, the id segment of the path as sent
    /// (see [`item_segment`]). Copied out: a clone of the request's URI
    /// would share, and so keep alive, the connection's read buffer.
    pub item: Option<Box<str>>,
    pub status: u16,
    pub latency: Duration,
    pub peer: Option<IpAddr>,
}

impl RequestEntry {
    pub fn render(self) -> Record {
        let p = self.principal.as_deref();
        let claim = |name: &str| {
            p.and_then(|p| p.claim(name))
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        let record_id = self.item.as_deref().map(|raw| {
            percent_encoding::percent_decode_str(raw)
                .decode_utf8_lossy()
                .into_owned()
        });
        Record {
            at: super::format_time(self.at),
            kind: "request".into(),
            request_id: self.request_id.to_str().ok().map(String::from),
            subject: p.map(|p| p.subject.clone()),
            issuer: claim("iss"),
            client_id: claim("client_id").or_else(|| claim("azp")),
            roles: p.filter(|p| !p.roles.is_empty()).map(|p| p.roles.join(",")),
            method: Some(self.method.to_string()),
            route: Some(self.route.to_string()),
            resource: self.resource.map(String::from),
            record_id,
            action: None,
            status: Some(self.status as i64),
            latency_ms: Some(self.latency.as_secs_f64() * 1000.0),
            peer: self.peer.map(|ip| ip.to_string()),
        }
    }
}

/// On an item route (`…/{id}`), the id segment of `path`, as sent (the
/// writer decodes it).
pub fn item_segment(template: &str, path: &str) -> Option<Box<str>> {
    if !template.ends_with("/{id}") {
        return None;
    }
    path.rsplit('/').next().map(Box::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(route: &'static str, resource: Option<&'static str>, path: &str) -> RequestEntry {
        RequestEntry {
            at: SystemTime::UNIX_EPOCH + Duration::from_micros(1_796_083_200_123_456),
            request_id: HeaderValue::from_static("req-1"),
            principal: Some(Arc::new(
                Principal::new("ana").with_roles(["editor", "admin"]),
            )),
            method: Method::GET,
            route,
            resource,
            item: resource.and(item_segment(route, path)),
            status: 200,
            latency: Duration::from_micros(1500),
            peer: Some("::1".parse().unwrap()),
        }
    }

    #[test]
    fn renders_what_the_gate_left() {
        let r = entry("/v1/tasks/{id}", Some("tasks"), "/v1/tasks/a%20b").render();
        assert_eq!(r.at, "2026-12-01T00:00:00.123456Z");
        assert_eq!(r.kind, "request");
        assert_eq!(r.request_id.as_deref(), Some("req-1"));
        assert_eq!(r.subject.as_deref(), Some("ana"));
        assert_eq!(r.roles.as_deref(), Some("editor,admin"));
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.route.as_deref(), Some("/v1/tasks/{id}"));
        assert_eq!(r.resource.as_deref(), Some("tasks"));
        assert_eq!(r.record_id.as_deref(), Some("a b"));
        assert_eq!(r.status, Some(200));
        assert_eq!(r.latency_ms, Some(1.5));
        assert_eq!(r.peer.as_deref(), Some("::1"));
    }

    #[test]
    fn only_item_routes_of_resources_name_a_record() {
        let list = entry("/v1/tasks", Some("tasks"), "/v1/tasks").render();
        assert_eq!(
            (list.resource.as_deref(), list.record_id),
            (Some("tasks"), None)
        );
        let other = entry("/v1/things/{id}", None, "/v1/things/7").render();
        assert_eq!((other.resource, other.record_id), (None, None));
    }

    #[test]
    fn an_entry_is_small() {
        // What a full queue holds per request (the rendered record was
        // some 400 bytes inline plus a dozen strings).
        assert!(
            std::mem::size_of::<RequestEntry>() <= 192,
            "{}",
            std::mem::size_of::<RequestEntry>()
        );
    }
}
