//! The compiled resource policies of recent decisions, keyed by the SHA-256 of their text.
//!
//! A service sends the resource's policy with every decision (oxiam does not store other
//! services' resources), and most decisions of a busy service name the same few policies.
//! Parsing and compiling a 2 KB document costs more than the rest of a decision, so the
//! compiled form is kept, shared by every connection of the node ([`crate::app::App`]).
//!
//! The texts are chosen by callers (any principal allowed `oxiam:Authorize`), so memory is
//! bounded whatever they send: at most [`SHARD_ENTRIES`] policies and [`SHARD_BYTES`] of
//! policy text per shard, [`SHARDS`] shards. A compiled policy is a small multiple of its
//! text, so the text bound bounds the memory. Eviction is CLOCK (FIFO with a second chance
//! for entries used since they last reached the front): a stream of one-off texts passes
//! through without pushing out the policies in steady use. Lookups lock one shard for a
//! hash-map probe; parsing happens outside any lock.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use oxiam_policy::{Policy, PolicyError, PolicyKind};
use sha2::{Digest, Sha256};

/// Independent locks, so that concurrent decisions rarely wait for each other.
pub const SHARDS: usize = 16;
/// Policies kept per shard (1,024 in all).
pub const SHARD_ENTRIES: usize = 64;
/// Policy text kept per shard (4 MiB in all): 12 maximal (20 KB) policies, or 64 of 4 KB.
pub const SHARD_BYTES: usize = 256 * 1024;

type Key = [u8; 32];

struct Entry {
    policy: Arc<Policy>,
    /// The text's length, counted against [`SHARD_BYTES`].
    bytes: usize,
    /// Used since it was last given a second chance.
    referenced: bool,
}

/// INVARIANT (shard-accounting): `order` holds each key of `entries` exactly once, and
/// `bytes` is the sum of the entries' `bytes`; maintained by `insert` and `evict_one`.
#[derive(Default)]
struct Shard {
    entries: HashMap<Key, Entry>,
    order: VecDeque<Key>,
    bytes: usize,
}

impl Shard {
    fn get(&mut self, key: &Key) -> Option<Arc<Policy>> {
        let entry = self.entries.get_mut(key)?;
        entry.referenced = true;
        Some(Arc::clone(&entry.policy))
    }

    fn insert(&mut self, key: Key, policy: Arc<Policy>, bytes: usize) {
        if self.entries.contains_key(&key) || bytes > SHARD_BYTES {
            return;
        }
        while self.entries.len() >= SHARD_ENTRIES || self.bytes + bytes > SHARD_BYTES {
            if !self.evict_one() {
                return;
            }
        }
        self.entries.insert(
            key,
            Entry {
                policy,
                bytes,
                referenced: false,
            },
        );
        self.order.push_back(key);
        self.bytes += bytes;
    }

    /// Removes the oldest entry not used since its last chance; false when empty.
    fn evict_one(&mut self) -> bool {
        // Each entry is passed over at most once (its flag is cleared), so this ends
        // within two rounds of `order`.
        while let Some(key) = self.order.pop_front() {
            match self.entries.get_mut(&key) {
                Some(entry) if entry.referenced => {
                    entry.referenced = false;
                    self.order.push_back(key);
                }
                Some(_) => {
                    if let Some(gone) = self.entries.remove(&key) {
                        self.bytes -= gone.bytes;
                    }
                    return true;
                }
                // Unreachable by (shard-accounting); dropping the stray key is right anyway.
                None => {}
            }
        }
        false
    }
}

/// Compiled resource policies by the SHA-256 of their text (see the module's doc).
pub struct ResourcePolicyCache {
    shards: Vec<Mutex<Shard>>,
}

impl Default for ResourcePolicyCache {
    fn default() -> Self {
        ResourcePolicyCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl std::fmt::Debug for ResourcePolicyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourcePolicyCache")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl ResourcePolicyCache {
    /// The compiled form of `document`, parsed as a resource policy on first sight. A
    /// document that does not parse is not kept: its error comes back each time.
    pub fn get_or_parse(&self, document: &str) -> Result<Arc<Policy>, PolicyError> {
        let key: Key = Sha256::digest(document.as_bytes()).into();
        let parse = || Policy::parse(document, PolicyKind::Resource).map(Arc::new);
        let Some(shard) = self.shard(&key) else {
            return parse();
        };
        if let Some(policy) = lock(shard).get(&key) {
            return Ok(policy);
        }
        // Parsed without the lock: two callers may both parse a new text; one copy is kept.
        let policy = parse()?;
        lock(shard).insert(key, Arc::clone(&policy), document.len());
        Ok(policy)
    }

    /// The shard of `key`; always `Some` (the index is taken modulo the shard count).
    fn shard(&self, key: &Key) -> Option<&Mutex<Shard>> {
        // The key is a SHA-256: its first byte is as good a shard index as any.
        let [first, ..] = *key;
        self.shards.get(usize::from(first) % SHARDS)
    }

    /// How many policies are kept.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).entries.len()).sum()
    }

    /// Whether no policy is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The policy text kept, in bytes.
    pub fn bytes(&self) -> usize {
        self.shards.iter().map(|s| lock(s).bytes).sum()
    }
}

/// A shard's lock; a panic elsewhere while holding it leaves the shard consistent (every
/// update is a few infallible steps), so a poisoned lock is used as is.
fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(i: usize, padding: usize) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Id":"{}","Statement":{{"Effect":"Allow","Principal":"*","Action":"myapp:GetFile","Resource":"arn:aws:myapp:::file/{i}"}}}}"#,
            "p".repeat(padding)
        )
    }

    #[test]
    fn the_same_text_is_compiled_once() {
        let cache = ResourcePolicyCache::default();
        let a = cache.get_or_parse(&policy(1, 0)).unwrap();
        let again = cache.get_or_parse(&policy(1, 0)).unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        let b = cache.get_or_parse(&policy(2, 0)).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn texts_that_do_not_parse_are_errors_and_not_kept() {
        let cache = ResourcePolicyCache::default();
        for _ in 0..2 {
            assert!(cache.get_or_parse("{not json").is_err());
        }
        // An identity policy (no Principal) is not a resource policy.
        let identity = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
        assert!(cache.get_or_parse(identity).is_err());
        assert!(cache.is_empty());
    }

    #[test]
    fn many_distinct_texts_stay_within_the_bounds() {
        let cache = ResourcePolicyCache::default();
        for i in 0..5_000 {
            cache.get_or_parse(&policy(i, 0)).unwrap();
        }
        assert!(cache.len() <= SHARDS * SHARD_ENTRIES, "{}", cache.len());
        // Large texts: bounded by bytes before entries.
        let cache = ResourcePolicyCache::default();
        for i in 0..2_000 {
            cache.get_or_parse(&policy(i, 19_000)).unwrap();
        }
        assert!(cache.bytes() <= SHARDS * SHARD_BYTES, "{}", cache.bytes());
        assert!(cache.len() <= SHARDS * (SHARD_BYTES / 19_000));
    }

    #[test]
    fn a_policy_in_use_survives_a_stream_of_one_off_texts() {
        let cache = ResourcePolicyCache::default();
        let hot = policy(0, 0);
        let first = cache.get_or_parse(&hot).unwrap();
        for i in 1..20_000 {
            cache.get_or_parse(&policy(i, 0)).unwrap();
            // In use between the one-off texts: it keeps its second chance.
            assert!(Arc::ptr_eq(&first, &cache.get_or_parse(&hot).unwrap()));
        }
        assert!(cache.len() <= SHARDS * SHARD_ENTRIES);
    }
}
