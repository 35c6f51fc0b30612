//! Cross-replica invalidation over Redis pub/sub.
//!
//! A write publishes `<resource>\t<key>` (awaited before the response is
//! sent) on `<prefix>:invalidate`; every replica drops that entry. If the
//! subscription breaks, the replica empties and bypasses its caches until
//! it is subscribed again, since it may have missed messages.

use super::ResourceCache;
use crate::redis_conn::RedisHandle;
use crate::value::Key;
use futures::StreamExt;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

pub struct Invalidator {
    redis: Option<Arc<RedisHandle>>,
    channel: String,
    /// Per resource, the cache of each API version it is served at.
    caches: HashMap<&'static str, Vec<Arc<ResourceCache>>>,
}

fn encode(resource: &str, key: Option<&Key>) -> String {
    match key {
        None => format!("{resource}\t*"),
        Some(Key::Int(i)) => format!("{resource}\ti:{i}"),
        Some(Key::Text(s)) => format!("{resource}\ts:{s}"),
        Some(Key::Uuid(u)) => format!("{resource}\tu:{u}"),
    }
}

fn decode(msg: &str) -> Option<(&str, Option<Key>)> {
    let (resource, key) = msg.split_once('\t')?;
    let key = match key.split_once(':') {
        None if key == "*" => None,
        Some(("i", v)) => Some(Key::Int(v.parse().ok()?)),
        Some(("s", v)) => Some(Key::Text(v.to_string())),
        Some(("u", v)) => Some(Key::Uuid(v.parse().ok()?)),
        _ => return None,
    };
    Some((resource, key))
}

impl Invalidator {
    pub fn new(
        redis: Option<Arc<RedisHandle>>,
        caches: HashMap<&'static str, Vec<Arc<ResourceCache>>>,
    ) -> Arc<Self> {
        let channel = match &redis {
            Some(r) => format!("{}:invalidate", r.prefix),
            None => String::new(),
        };
        let inv = Arc::new(Invalidator {
            redis,
            channel,
            caches,
        });
        if inv.redis.is_some() {
            // Until subscribed, caches are bypassed.
            for c in inv.caches.values().flatten() {
                c.shared.channel_up.store(false, Ordering::SeqCst);
            }
            tokio::spawn(subscribe(Arc::downgrade(&inv)));
        }
        inv
    }

    /// Invalidates locally, then tells the other replicas.
    pub async fn invalidate(&self, resource: &'static str, key: Option<&Key>) {
        for c in self.caches.get(resource).into_iter().flatten() {
            c.invalidate(key);
        }
        if let Some(r) = &self.redis {
            let payload = encode(resource, key);
            let channel = self.channel.clone();
            let res = r
                .run("publish", |mut c| async move {
                    redis::cmd("PUBLISH")
                        .arg(channel)
                        .arg(payload)
                        .query_async::<i64>(&mut c)
                        .await
                })
                .await;
            if let Err(e) = res {
                tracing::warn!(resource, error = %e, "could not publish a cache invalidation; other replicas rely on their TTL and reconnect clearing");
            }
        }
    }

    fn clear_all(&self, up: bool) {
        for c in self.caches.values().flatten() {
            c.clear();
            c.shared.channel_up.store(up, Ordering::SeqCst);
        }
    }
}

async fn subscribe(inv: std::sync::Weak<Invalidator>) {
    loop {
        let Some(this) = inv.upgrade() else { return };
        let redis = this.redis.clone().expect("only started with redis");
        let channel = this.channel.clone();
        drop(this);
        let conn =
            tokio::time::timeout(redis.timeout * 10, redis.client().get_async_pubsub()).await;
        match conn {
            Ok(Ok(mut pubsub)) => {
                if let Err(e) = pubsub.subscribe(&channel).await {
                    tracing::warn!(error = %e, "cache invalidation subscribe failed");
                } else {
                    // Anything cached before this point may have missed messages.
                    if let Some(this) = inv.upgrade() {
                        this.clear_all(true);
                    }
                    tracing::info!(channel, "cache invalidation channel subscribed");
                    let mut stream = pubsub.on_message();
                    while let Some(msg) = stream.next().await {
                        let Some(this) = inv.upgrade() else { return };
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        if let Some((resource, key)) = decode(&payload) {
                            for c in this.caches.get(resource).into_iter().flatten() {
                                c.invalidate(key.as_ref());
                            }
                        }
                    }
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cache invalidation channel unavailable"),
            Err(_) => tracing::warn!("cache invalidation channel: connect timed out"),
        }
        let Some(this) = inv.upgrade() else { return };
        metrics::counter!(crate::observe::names::REDIS_ERRORS, "operation" => "subscribe")
            .increment(1);
        this.clear_all(false);
        drop(this);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        for key in [
            None,
            Some(Key::Int(-4)),
            Some(Key::Text("a:b\tc".into())),
            Some(Key::Uuid(uuid::Uuid::nil())),
        ] {
            let m = encode("tasks", key.as_ref());
            let (r, k) = decode(&m).unwrap();
            assert_eq!((r, k), ("tasks", key));
        }
        assert!(decode("garbage").is_none());
    }
}
