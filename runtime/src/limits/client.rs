//! Who a request comes from, for rate limiting.
//!
//! Order: the authenticated subject (the request's
//! [`Principal`](crate::identity::Principal)), else a configured API key, else the client IP. The IP is the
//! socket peer unless that peer is a trusted proxy; then `X-Forwarded-For`
//! is read from the right and the first untrusted hop wins, so a client
//! cannot pick its own bucket by sending a forged header.

use axum::http::{HeaderMap, HeaderName};
use ipnet::IpNet;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

static X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

#[derive(Debug, Clone, Default)]
pub struct ClientKeys {
    pub trusted_proxies: Vec<IpNet>,
    /// Known API keys (`API_KEYS`); unknown keys are ignored, so inventing
    /// keys does not buy fresh buckets.
    pub api_keys: HashSet<String>,
}

impl ClientKeys {
    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }

    /// The client's IP address.
    pub fn client_ip(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        let peer = peer?.ip();
        if !self.trusted(peer) {
            return Some(peer);
        }
        let hops: Vec<&str> = headers
            .get_all(&X_FORWARDED_FOR)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut last = peer;
        for hop in hops.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if self.trusted(ip) => last = ip,
                Ok(ip) => return Some(ip),
                // Garbage in the chain: stop at the last address we trust.
                Err(_) => return Some(last),
            }
        }
        Some(last)
    }

    /// Who this request is, for its bucket.
    pub fn key<'a>(
        &self,
        headers: &'a HeaderMap,
        peer: Option<SocketAddr>,
        subject: Option<&'a str>,
    ) -> ClientId<'a> {
        if let Some(s) = subject {
            return ClientId::Subject(s);
        }
        if !self.api_keys.is_empty() {
            if let Some(k) = headers
                .get(&X_API_KEY)
                .and_then(|v| v.to_str().ok())
                .filter(|k| self.api_keys.contains(*k))
            {
                // Hashed so the key itself never reaches Redis or logs.
                return ClientId::ApiKey(xxhash_rust::xxh3::xxh3_64(k.as_bytes()));
            }
        }
        match self.client_ip(headers, peer) {
            Some(ip) => ClientId::Ip(per_network(ip)),
            None => ClientId::Unknown,
        }
    }
}

/// An IPv6 client's bucket is its /64: one host gets a whole /64 and can
/// pick any address in it, so per-address buckets would not limit it.
/// IPv4-mapped addresses count as the IPv4 address they carry.
fn per_network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// A client identity. In-process buckets are keyed by [`ClientId::hash64`]
/// (no formatting per request); the shared Redis buckets by its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientId<'a> {
    Subject(&'a str),
    ApiKey(u64),
    Ip(IpAddr),
    Unknown,
}

impl ClientId<'_> {
    pub fn hash64(&self) -> u64 {
        use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};
        match *self {
            ClientId::Subject(s) => xxh3_64_with_seed(s.as_bytes(), 1),
            ClientId::ApiKey(k) => xxh3_64_with_seed(&k.to_le_bytes(), 2),
            ClientId::Ip(IpAddr::V4(ip)) => xxh3_64_with_seed(&ip.octets(), 3),
            ClientId::Ip(IpAddr::V6(ip)) => xxh3_64_with_seed(&ip.octets(), 4),
            ClientId::Unknown => xxh3_64(b""),
        }
    }
}

impl std::fmt::Display for ClientId<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientId::Subject(s) => write!(f, "sub:{s}"),
            ClientId::ApiKey(k) => write!(f, "key:{k:016x}"),
            ClientId::Ip(ip) => write!(f, "ip:{ip}"),
            ClientId::Unknown => f.write_str("ip:unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        let k = ClientKeys {
            trusted_proxies: vec![],
            api_keys: Default::default(),
        };
        let none = HeaderMap::new();
        let at = |ip: &str| {
            k.key(&none, Some(SocketAddr::new(ip.parse().unwrap(), 1)), None)
                .to_string()
        };
        assert_eq!(at("2001:db8:1:2::1"), at("2001:db8:1:2:ffff::9"));
        assert_ne!(at("2001:db8:1:2::1"), at("2001:db8:1:3::1"));
        assert_eq!(at("::ffff:192.0.2.7"), at("192.0.2.7"));
        assert_ne!(at("192.0.2.7"), at("192.0.2.8"));
    }

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn keys() -> ClientKeys {
        ClientKeys {
            trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
            api_keys: ["k1".to_string()].into(),
        }
    }

    #[test]
    fn untrusted_peers_cannot_forge_forwarded_for() {
        let peer: SocketAddr = "203.0.113.7:5000".parse().unwrap();
        let ip = keys().client_ip(&headers(&["1.2.3.4"]), Some(peer));
        assert_eq!(ip, Some("203.0.113.7".parse().unwrap()));
    }

    #[test]
    fn trusted_proxies_yield_the_rightmost_untrusted_hop() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        // The client prepended a forged address; the proxy appended the real one.
        let ip = keys().client_ip(&headers(&["6.6.6.6, 198.51.100.9", "10.1.1.1"]), Some(peer));
        assert_eq!(ip, Some("198.51.100.9".parse().unwrap()));
        let only_proxies = keys().client_ip(&headers(&["10.9.9.9"]), Some(peer));
        assert_eq!(only_proxies, Some("10.9.9.9".parse().unwrap()));
        let garbage = keys().client_ip(&headers(&["nonsense"]), Some(peer));
        assert_eq!(garbage, Some("10.0.0.2".parse().unwrap()));
    }

    #[test]
    fn only_known_api_keys_count() {
        let peer: SocketAddr = "203.0.113.7:5000".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-api-key", "k1".parse().unwrap());
        assert!(keys()
            .key(&h, Some(peer), None)
            .to_string()
            .starts_with("key:"));
        h.insert("x-api-key", "made-up".parse().unwrap());
        assert_eq!(
            keys().key(&h, Some(peer), None).to_string(),
            "ip:203.0.113.7"
        );
        assert_eq!(keys().key(&h, Some(peer), Some("u1")).to_string(), "sub:u1");
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        assert_ne!(
            ClientId::Ip(peer.ip()).hash64(),
            ClientId::Ip(other).hash64()
        );
        assert_ne!(
            ClientId::Subject("u1").hash64(),
            ClientId::Subject("u2").hash64()
        );
    }
}
