//! The per-instance verdict cache.
//!
//! Why this module exists: platforms verify the same bidder certificates over and over while a
//! tender is open, and SM2 path validation costs most of a millisecond. An entry is keyed by the
//! SHA-256 of everything the verdict depends on in the request (certificate, chain, purpose,
//! time asked, OCSP response) and is served only while the revocation-data version it was computed
//! at (which covers the trust-list sequence) is the current one, for at most the configured TTL,
//! and never past the earliest time the verdict could change on its own (a certificate's notAfter,
//! a CRL's nextUpdate). When full, expired entries go first, then everything.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A verdict as answered, with what metrics need.
#[derive(Debug)]
pub struct CachedVerdict {
    /// The response body.
    pub body: serde_json::Value,
    /// Metric labels: province, CA service, algorithm, outcome, reason.
    pub labels: [String; 5],
}

struct Entry {
    version: i64,
    expires_at: i64,
    verdict: Arc<CachedVerdict>,
}

/// Verdicts by request key; see the module documentation.
pub struct VerdictCache {
    capacity: usize,
    ttl_secs: i64,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

impl VerdictCache {
    /// A cache of at most `capacity` verdicts (0: off), each served for at most `ttl_secs`.
    pub fn new(capacity: usize, ttl_secs: u64) -> VerdictCache {
        VerdictCache {
            capacity,
            ttl_secs: i64::try_from(ttl_secs).unwrap_or(i64::MAX),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The verdict cached for `key` at revocation-data `version`, if still current at `now`.
    pub fn get(&self, key: &[u8; 32], version: i64, now: i64) -> Option<Arc<CachedVerdict>> {
        if self.capacity == 0 {
            return None;
        }
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|e| e.version == version && now < e.expires_at)
            .map(|e| e.verdict.clone())
    }

    /// Caches `verdict`, computed at `now` for `version`, until `changes_at` at the latest.
    pub fn insert(
        &self,
        key: [u8; 32],
        version: i64,
        now: i64,
        changes_at: Option<i64>,
        verdict: Arc<CachedVerdict>,
    ) {
        if self.capacity == 0 {
            return;
        }
        let expires_at = now
            .saturating_add(self.ttl_secs)
            .min(changes_at.unwrap_or(i64::MAX));
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity {
            entries.retain(|_, e| e.version == version && now < e.expires_at);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                version,
                expires_at,
                verdict,
            },
        );
    }

    /// How many verdicts are cached.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict() -> Arc<CachedVerdict> {
        Arc::new(CachedVerdict {
            body: serde_json::json!({"valid": true}),
            labels: Default::default(),
        })
    }

    #[test]
    fn entries_are_served_only_at_their_version_and_before_they_expire() {
        let cache = VerdictCache::new(10, 60);
        cache.insert([1; 32], 7, 1000, Some(1030), verdict());
        assert!(cache.get(&[1; 32], 7, 1029).is_some());
        assert!(cache.get(&[1; 32], 7, 1030).is_none(), "past changes_at");
        assert!(cache.get(&[1; 32], 8, 1001).is_none(), "another version");
        cache.insert([2; 32], 7, 1000, None, verdict());
        assert!(cache.get(&[2; 32], 7, 1059).is_some());
        assert!(cache.get(&[2; 32], 7, 1060).is_none(), "past the TTL");
    }

    #[test]
    fn a_full_cache_drops_stale_entries_first_and_a_zero_capacity_caches_nothing() {
        let cache = VerdictCache::new(2, 60);
        cache.insert([1; 32], 1, 1000, None, verdict());
        cache.insert([2; 32], 2, 1000, None, verdict());
        cache.insert([3; 32], 2, 1000, None, verdict());
        assert!(
            cache.get(&[1; 32], 1, 1000).is_none(),
            "old version dropped"
        );
        assert!(cache.get(&[2; 32], 2, 1000).is_some());
        assert!(cache.get(&[3; 32], 2, 1000).is_some());
        let off = VerdictCache::new(0, 60);
        off.insert([1; 32], 1, 1000, None, verdict());
        assert!(off.get(&[1; 32], 1, 1000).is_none());
        assert!(off.is_empty());
    }
}
