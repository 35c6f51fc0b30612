//! Request ids without a system call per request.
//!
//! A UUIDv4 from the OS asks it for randomness on every request. Here a
//! random 64-bit prefix is drawn once per process and a counter, spread
//! with a bijective mix, fills the rest: ids stay unique within a process,
//! unique across replicas with overwhelming probability, and valid UUIDv4.

use super::striped::Counter;
use axum::http::HeaderValue;
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[derive(Clone)]
pub struct MakeFastRequestId {
    prefix: u64,
    /// One counter per thread stripe (no cache line shared between cores);
    /// the stripe number is part of the id, so stripes never collide.
    counter: Arc<Counter>,
}

impl Default for MakeFastRequestId {
    fn default() -> Self {
        MakeFastRequestId {
            prefix: uuid::Uuid::new_v4().as_u64_pair().0,
            counter: Arc::default(),
        }
    }
}

/// splitmix64's finalizer: a bijection on u64, so distinct counters give
/// distinct ids.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
    z ^ (z >> 31)
}

impl MakeFastRequestId {
    pub fn next_id(&self) -> uuid::Uuid {
        let (stripe, c) = self.counter.mine_indexed();
        let n = ((stripe as u64) << 56) | (c.fetch_add(1, Ordering::Relaxed) & ((1 << 56) - 1));
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.prefix.to_be_bytes());
        bytes[8..].copy_from_slice(&mix(n).to_be_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }

    /// A new id as a header value.
    pub fn header_value(&self) -> HeaderValue {
        let text = hyphenated(self.next_id().as_bytes());
        // SAFETY: hex digits and hyphens only, a valid header value; the
        // general constructor would check each byte on every request.
        unsafe { HeaderValue::from_maybe_shared_unchecked(bytes::Bytes::copy_from_slice(&text)) }
    }
}

/// The hyphenated lower-case form, two hex digits per table lookup: this
/// runs for every request, and the general-purpose encoder costs several
/// times more.
fn hyphenated(b: &[u8; 16]) -> [u8; 36] {
    static PAIRS: [[u8; 2]; 256] = {
        let hex = b"0123456789abcdef";
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [hex[i >> 4], hex[i & 15]];
            i += 1;
        }
        t
    };
    let mut out = [b'-'; 36];
    let mut o = 0;
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            o += 1;
        }
        out[o..o + 2].copy_from_slice(&PAIRS[usize::from(*byte)]);
        o += 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_header_is_the_standard_hyphenated_form() {
        let m = MakeFastRequestId::default();
        for _ in 0..1000 {
            let id = m.next_id();
            assert_eq!(
                hyphenated(id.as_bytes()),
                id.hyphenated().to_string().as_bytes()
            );
        }
        let v = m.header_value();
        assert_eq!(
            uuid::Uuid::parse_str(v.to_str().unwrap())
                .unwrap()
                .get_version_num(),
            4
        );
    }

    #[test]
    fn ids_are_distinct_uuid_v4() {
        let m = MakeFastRequestId::default();
        let ids: HashSet<_> = (0..10_000).map(|_| m.next_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids
            .iter()
            .all(|u| u.get_version_num() == 4 && u.get_variant() == uuid::Variant::RFC4122));
    }

    #[test]
    fn ids_from_many_threads_are_distinct() {
        let m = MakeFastRequestId::default();
        let threads: Vec<_> = (0..16)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || (0..2_000).map(|_| m.next_id()).collect::<Vec<_>>())
            })
            .collect();
        let ids: HashSet<_> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        assert_eq!(ids.len(), 32_000);
    }

    #[test]
    fn replicas_draw_different_prefixes() {
        let (a, b) = (MakeFastRequestId::default(), MakeFastRequestId::default());
        assert_ne!(a.next_id(), b.next_id());
    }
}
