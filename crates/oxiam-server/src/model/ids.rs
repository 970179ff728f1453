//! AWS identifier formats: account IDs, unique IDs (`AIDA…`), access key IDs (`AKIA…`),
//! secret access keys and request IDs.
//!
//! AWS unique IDs are a four-letter prefix naming the kind of entity followed by 17
//! characters from the base32 alphabet (A-Z, 2-7); access key IDs are the prefix plus 16.

use rand::Rng;
use rand::seq::IndexedRandom;

/// The base32 alphabet AWS draws unique IDs and access key IDs from.
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Characters of a secret access key: base64 without padding, as AWS issues them.
const SECRET_CHARS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The prefixes AWS puts in front of the unique ID of each kind of entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPrefix {
    User,
    Group,
    Role,
    Policy,
    InstanceProfile,
    AccessKey,
    TemporaryAccessKey,
    SshPublicKey,
    ServiceSpecificCredential,
    ServerCertificate,
}

impl IdPrefix {
    pub fn as_str(self) -> &'static str {
        match self {
            IdPrefix::User => "AIDA",
            IdPrefix::Group => "AGPA",
            IdPrefix::Role => "AROA",
            IdPrefix::Policy => "ANPA",
            IdPrefix::InstanceProfile => "AIPA",
            IdPrefix::AccessKey => "AKIA",
            IdPrefix::TemporaryAccessKey => "ASIA",
            IdPrefix::SshPublicKey => "APKA",
            IdPrefix::ServiceSpecificCredential => "ACCA",
            IdPrefix::ServerCertificate => "ASCA",
        }
    }
}

/// `len` characters drawn uniformly from `alphabet` with the thread's CSPRNG.
fn random_string(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .filter_map(|_| alphabet.choose(&mut rng).copied().map(char::from))
        .collect()
}

fn base32(len: usize) -> String {
    random_string(BASE32, len)
}

/// A unique entity ID: `AIDA` + 17 base32 characters (21 in all), as AWS.
pub fn unique_id(prefix: IdPrefix) -> String {
    format!("{}{}", prefix.as_str(), base32(17))
}

/// A delegation request ID: AWS documents `[\w-]+`, 16 to 128 characters; oxiam's are
/// `dr-` and 26 lower-case base32 characters (130 bits).
pub fn delegation_request_id() -> String {
    format!("dr-{}", base32(26).to_lowercase())
}

/// An access key ID: `AKIA` (or `ASIA`) + 16 base32 characters (20 in all).
pub fn access_key_id(prefix: IdPrefix) -> String {
    format!("{}{}", prefix.as_str(), base32(16))
}

/// A signing certificate ID: 32 base32 characters. AWS documents only `[\w]{24,128}`;
/// the IDs it issues are upper-case alphanumerics of this length.
pub fn signing_certificate_id() -> String {
    base32(32)
}

/// Characters of a temporary key ID that carry its account: 40 bits, enough for any
/// 12-digit account ID, so `GetAccessKeyInfo` answers for keys no store holds.
const ACCOUNT_CHARS: usize = 8;

/// A temporary access key ID: `ASIA`, the account in 8 base32 characters, 8 random ones.
pub fn session_access_key_id(account: &str) -> String {
    let n: u64 = account.parse().unwrap_or_default();
    let mut out = String::with_capacity(20);
    out.push_str(IdPrefix::TemporaryAccessKey.as_str());
    for i in (0..ACCOUNT_CHARS).rev() {
        let digit = usize::try_from((n >> (5 * i)) & 31).unwrap_or_default();
        out.extend(BASE32.get(digit).map(|&b| char::from(b)));
    }
    out.push_str(&base32(16 - ACCOUNT_CHARS));
    out
}

/// The account a temporary key ID made by [`session_access_key_id`] belongs to.
pub fn account_of_session_key(id: &str) -> Option<String> {
    let encoded = id
        .strip_prefix(IdPrefix::TemporaryAccessKey.as_str())?
        .get(..ACCOUNT_CHARS)?;
    let mut n: u64 = 0;
    for b in encoded.bytes() {
        let digit = BASE32.iter().position(|&c| c == b)?;
        n = (n << 5) | u64::try_from(digit).ok()?;
    }
    (n < 1_000_000_000_000).then(|| format!("{n:012}"))
}

/// A 40-character secret access key.
pub fn secret_access_key() -> String {
    random_string(SECRET_CHARS, 40)
}

/// A 12-digit account ID that does not start with 0 (some tools strip leading zeros).
pub fn account_id() -> String {
    let mut rng = rand::rng();
    format!(
        "{}",
        rng.random_range(100_000_000_000u64..1_000_000_000_000u64)
    )
}

/// A request ID in the UUID form AWS uses (`c0ffee00-…`).
pub fn request_id() -> String {
    let b: [u8; 16] = rand::rng().random();
    let h = hex::encode(b);
    // INVARIANT (uuid-shape): hex of 16 bytes is 32 chars, so these ranges are in bounds.
    format!(
        "{}-{}-4{}-{}-{}",
        h.get(0..8).unwrap_or_default(),
        h.get(8..12).unwrap_or_default(),
        h.get(13..16).unwrap_or_default(),
        h.get(16..20).unwrap_or_default(),
        h.get(20..32).unwrap_or_default()
    )
}

/// Whether `s` is a 12-digit account ID.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_aws() {
        let id = unique_id(IdPrefix::User);
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA"));
        assert!(id.bytes().skip(4).all(|b| BASE32.contains(&b)));
        let key = access_key_id(IdPrefix::AccessKey);
        assert_eq!(key.len(), 20);
        assert!(key.starts_with("AKIA"));
        assert_eq!(secret_access_key().len(), 40);
        assert!(is_account_id(&account_id()));
        let rid = request_id();
        assert_eq!(rid.len(), 36);
        assert_eq!(rid.matches('-').count(), 4);
    }

    #[test]
    fn session_key_ids_carry_their_account() {
        for account in ["123456789012", "000000000001", "999999999999"] {
            let id = session_access_key_id(account);
            assert_eq!(id.len(), 20);
            assert!(id.starts_with("ASIA"));
            assert!(id.bytes().skip(4).all(|b| BASE32.contains(&b)));
            assert_eq!(account_of_session_key(&id).as_deref(), Some(account));
        }
        assert_eq!(account_of_session_key("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_of_session_key("ASIA9"), None);
    }

    #[test]
    fn ids_differ() {
        assert_ne!(unique_id(IdPrefix::User), unique_id(IdPrefix::User));
        assert_ne!(secret_access_key(), secret_access_key());
    }

    #[test]
    fn account_id_check() {
        assert!(is_account_id("123456789012"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("12345678901a"));
    }
}
