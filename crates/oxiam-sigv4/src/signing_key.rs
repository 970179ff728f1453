//! Task 3 of SigV4: the signing key, and a cache of derived keys.
//!
//! ```text
//! kDate    = HMAC("AWS4" + secret, Date)
//! kRegion  = HMAC(kDate, Region)
//! kService = HMAC(kRegion, Service)
//! kSigning = HMAC(kService, "aws4_request")
//! ```
//! Deriving costs four HMACs (eight SHA-256 blocks and change) — more than the rest of a
//! verification — and a key is valid for a whole day, so [`SigningKeyCache`] keeps them.

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::SecretAccessKey;

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// A derived SigV4 signing key; zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SigningKey([u8; 32]);

impl SigningKey {
    /// Derives the signing key for `secret` and the scope `date/region/service/aws4_request`.
    #[must_use]
    pub fn derive(secret: &SecretAccessKey, date: &str, region: &str, service: &str) -> Self {
        let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.expose().len()));
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret.expose().as_bytes());
        let k_date = Zeroizing::new(hmac_once(&seed, date.as_bytes()));
        let k_region = Zeroizing::new(hmac_once(k_date.as_slice(), region.as_bytes()));
        let k_service = Zeroizing::new(hmac_once(k_region.as_slice(), service.as_bytes()));
        Self(hmac_once(k_service.as_slice(), b"aws4_request"))
    }

    /// An HMAC-SHA256 keyed with this signing key, ready for the string to sign.
    pub(crate) fn mac(&self) -> HmacSha256 {
        // HMAC pads keys shorter than its 64-byte block with zeros, so keying with the padded
        // block is the same as keying with the 32 bytes, and needs no fallible constructor.
        let mut block = Zeroizing::new([0u8; 64]);
        for (dst, src) in block.iter_mut().zip(self.0.iter()) {
            *dst = *src;
        }
        <HmacSha256 as KeyInit>::new(&(*block).into())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(**redacted**)")
    }
}

fn hmac_once(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = keyed(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[expect(
    clippy::expect_used,
    reason = "HMAC takes keys of any length; the error cannot occur"
)]
fn keyed(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length")
}

/// A thread-safe, bounded cache of derived signing keys.
///
/// Keyed by (access key id, date, region, service); each entry also holds the secret it was
/// derived from and is used only when the caller's secret is equal to it (compared in constant
/// time).
// INVARIANT (secret-bound): an entry is returned only for the secret it was derived from, so a
// rotated or corrected secret never reuses a stale key.
pub struct SigningKeyCache {
    capacity: usize,
    entries: RwLock<HashMap<Box<str>, Entry>>,
}

struct Entry {
    secret: SecretAccessKey,
    key: SigningKey,
}

impl SigningKeyCache {
    /// A cache holding at most `capacity` keys; 0 disables caching.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: RwLock::new(HashMap::with_capacity(capacity.min(1024))),
        }
    }

    /// The number of keys held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .map_or_else(|poisoned| poisoned.into_inner().len(), |e| e.len())
    }

    /// True when no key is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The signing key for this scope and secret, derived and remembered on a miss.
    #[must_use]
    pub fn signing_key(
        &self,
        access_key_id: &str,
        secret: &SecretAccessKey,
        date: &str,
        region: &str,
        service: &str,
    ) -> SigningKey {
        if self.capacity == 0 {
            return SigningKey::derive(secret, date, region, service);
        }
        let mut buf = [0u8; 192];
        let mut spill = String::new();
        let id = cache_id(&mut buf, &mut spill, [access_key_id, date, region, service]);
        {
            let entries = self
                .entries
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(entry) = entries.get(id)
                && entry.secret.ct_eq(secret)
            {
                return entry.key.clone();
            }
        }
        let key = SigningKey::derive(secret, date, region, service);
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(id) {
            // Eviction order does not matter for correctness; keys are cheap to derive again
            // and a day's worth of active keys fits any sensible capacity.
            if let Some(victim) = entries.keys().next().cloned() {
                entries.remove(&victim);
            }
        }
        entries.insert(
            id.into(),
            Entry {
                secret: secret.clone(),
                key: key.clone(),
            },
        );
        key
    }
}

impl Default for SigningKeyCache {
    /// Room for 4096 keys: every active access key for a day, on most deployments.
    fn default() -> Self {
        Self::new(4096)
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

/// Writes the parts length-prefixed (`4:AKID8:20150830…`, so no choice of parts can collide)
/// into `buf`, or into `spill` when they do not fit, so the common lookup allocates nothing.
fn cache_id<'b>(buf: &'b mut [u8; 192], spill: &'b mut String, parts: [&str; 4]) -> &'b str {
    // Formatting machinery costs more than the rest of a lookup; write the digits by hand.
    let mut at = 0;
    let mut fits = true;
    'parts: for part in parts {
        let mut digits = [0u8; 20];
        for piece in [decimal(part.len(), &mut digits), b":", part.as_bytes()] {
            let Some(dst) = buf.get_mut(at..at + piece.len()) else {
                fits = false;
                break 'parts;
            };
            dst.copy_from_slice(piece);
            at += piece.len();
        }
    }
    if fits {
        // Whole `&str`s and ASCII digits make valid UTF-8.
        if let Some(Ok(id)) = buf.get(..at).map(std::str::from_utf8) {
            return id;
        }
    }
    for part in parts {
        spill.push_str(&part.len().to_string());
        spill.push(':');
        spill.push_str(part);
    }
    spill
}

/// `n` in decimal ASCII, written at the end of `out`.
fn decimal(mut n: usize, out: &mut [u8; 20]) -> &[u8] {
    let mut start = out.len();
    for slot in out.iter_mut().rev() {
        *slot = b'0' + u8::try_from(n % 10).unwrap_or(0);
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.get(start..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    // AWS's documented example: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20120215,
    // us-east-1, iam.
    #[test]
    fn derives_the_documented_key() {
        let secret = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let key = SigningKey::derive(&secret, "20120215", "us-east-1", "iam");
        assert_eq!(
            hex::encode(key.0),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn padded_block_keying_equals_slice_keying() {
        let key = SigningKey([7u8; 32]);
        let mut a = key.mac();
        let mut b = keyed(&[7u8; 32]);
        a.update(b"x");
        b.update(b"x");
        assert_eq!(a.finalize().into_bytes(), b.finalize().into_bytes());
    }

    #[test]
    fn cache_hits_and_binds_to_secret() {
        let cache = SigningKeyCache::new(8);
        let s1 = SecretAccessKey::new("one");
        let s2 = SecretAccessKey::new("two");
        let k1 = cache.signing_key("AKID", &s1, "20150830", "us-east-1", "iam");
        assert_eq!(cache.len(), 1);
        let again = cache.signing_key("AKID", &s1, "20150830", "us-east-1", "iam");
        assert_eq!(k1.0, again.0);
        // Same scope, new secret: must not reuse, and must replace.
        let k2 = cache.signing_key("AKID", &s2, "20150830", "us-east-1", "iam");
        assert_ne!(k1.0, k2.0);
        assert_eq!(
            k2.0,
            SigningKey::derive(&s2, "20150830", "us-east-1", "iam").0
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn cache_is_bounded() {
        let cache = SigningKeyCache::new(3);
        let s = SecretAccessKey::new("s");
        for i in 0..10 {
            let _ = cache.signing_key(&format!("AKID{i}"), &s, "20150830", "us-east-1", "iam");
            assert!(cache.len() <= 3);
        }
        let off = SigningKeyCache::new(0);
        let _ = off.signing_key("AKID", &s, "20150830", "us-east-1", "iam");
        assert!(off.is_empty());
    }

    #[test]
    fn cache_ids_do_not_collide_across_fields_and_spill() {
        let mut b1 = [0u8; 192];
        let mut s1 = String::new();
        let mut b2 = [0u8; 192];
        let mut s2 = String::new();
        let a = cache_id(&mut b1, &mut s1, ["ab", "c", "d", "e"]).to_owned();
        let b = cache_id(&mut b2, &mut s2, ["a", "bc", "d", "e"]).to_owned();
        assert_ne!(a, b);
        let long = "x".repeat(300);
        let mut b3 = [0u8; 192];
        let mut s3 = String::new();
        assert_eq!(
            cache_id(&mut b3, &mut s3, [&long, "d", "r", "s"]),
            format!("300:{long}1:d1:r1:s")
        );
        let mut b4 = [0u8; 192];
        let mut s4 = String::new();
        assert_eq!(
            cache_id(&mut b4, &mut s4, ["AKID", "20150830", "us-east-1", "iam"]),
            "4:AKID8:201508309:us-east-13:iam"
        );
    }
}
