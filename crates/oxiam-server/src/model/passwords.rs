//! Console passwords as entities hold them: argon2id hashes ([`PasswordHash`]), the
//! account password policy, login profiles, the generated passwords, and the brute-force
//! guard every path that checks a password shares ([`PASSWORD_THROTTLE`]).

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::model::Epoch;
use crate::model::error::ServerError;
/// Wrong old passwords a user may give in a row before `ChangePassword` locks.
const MAX_FAILURES: u32 = 5;
/// How long the lock lasts, from the last wrong attempt.
const LOCKOUT_SECONDS: i64 = 300;

/// Consecutive wrong old passwords per user, per node. In memory: a restart or another node
/// starts from zero, and the argon2 cost of each try bounds guessing on top of it.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Epoch)>>,
}

impl Throttle {
    /// Seconds until `user_id` may try again, when locked.
    pub fn locked_for(&self, user_id: &str, now: Epoch) -> Option<i64> {
        let map = self.failures.lock().ok()?;
        let (count, last) = map.get(user_id)?;
        let left = last + LOCKOUT_SECONDS - now;
        (*count >= MAX_FAILURES && left > 0).then_some(left)
    }

    pub fn failed(&self, user_id: &str, now: Epoch) {
        if let Ok(mut map) = self.failures.lock() {
            let entry = map.entry(user_id.to_owned()).or_insert((0, now));
            // A lock that has run out starts a fresh count.
            if entry.0 >= MAX_FAILURES && entry.1 + LOCKOUT_SECONDS <= now {
                entry.0 = 0;
            }
            entry.0 += 1;
            entry.1 = now;
        }
    }

    pub fn succeeded(&self, user_id: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(user_id);
        }
    }
}

/// One guard for every path that checks a user's password (`ChangePassword` and console
/// sign-in, `crate::auth::signin`): guesses on one path count against the other.
pub static PASSWORD_THROTTLE: LazyLock<Throttle> = LazyLock::new(Throttle::default);
/// The account password policy, as `UpdateAccountPasswordPolicy` set it (one per account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountPasswordPolicy {
    pub account: String,
    pub minimum_password_length: i32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    /// Days a password stays valid; `None`: passwords never expire.
    pub max_password_age: Option<i32>,
    /// How many previous passwords a new one may not repeat; `None`: no prevention.
    pub password_reuse_prevention: Option<i32>,
    /// As the update gave it: AWS's GetAccountPasswordPolicy has `HardExpiry` only when the
    /// update that set the policy had it (recorded: an update without it answers without it).
    /// Stored policies from before read `true`/`false` as given.
    pub hard_expiry: Option<bool>,
}

/// An argon2id hash with its parameters, so hashes made with older parameters still verify.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordHash {
    /// Memory in KiB, iterations, lanes.
    m: u32,
    t: u32,
    p: u32,
    salt: String,
    hash: String,
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
const ARGON2_M_KIB: u32 = 19 * 1024;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;
const HASH_LEN: usize = 32;
/// AWS remembers at most 24 previous passwords (`PasswordReusePrevention` ≤ 24).
pub const MAX_REMEMBERED: usize = 24;

fn argon2(m: u32, t: u32, p: u32) -> Result<Argon2<'static>, ServerError> {
    let params = Params::new(m, t, p, Some(HASH_LEN))
        .map_err(|e| ServerError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn derive(
    password: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
) -> Result<Zeroizing<Vec<u8>>, ServerError> {
    let mut out = Zeroizing::new(vec![0u8; HASH_LEN]);
    argon2(m, t, p)?
        .hash_password_into(password.as_bytes(), salt, &mut out)
        .map_err(|e| ServerError::Internal(format!("argon2: {e}")))?;
    Ok(out)
}

impl PasswordHash {
    pub fn new(password: &str) -> Result<PasswordHash, ServerError> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let hash = derive(password, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)?;
        Ok(PasswordHash {
            m: ARGON2_M_KIB,
            t: ARGON2_T,
            p: ARGON2_P,
            salt: B64.encode(salt),
            hash: B64.encode(&*hash),
        })
    }

    /// Whether `password` is the one hashed, compared in constant time.
    pub fn verify(&self, password: &str) -> Result<bool, ServerError> {
        let corrupt = |e: base64::DecodeError| ServerError::Internal(format!("stored hash: {e}"));
        let salt = B64.decode(&self.salt).map_err(corrupt)?;
        let expected = B64.decode(&self.hash).map_err(corrupt)?;
        let got = derive(password, &salt, self.m, self.t, self.p)?;
        Ok(bool::from(got.as_slice().ct_eq(&expected)))
    }
}

/// A random password that satisfies any password policy AWS allows (20 characters, of
/// which at least one uppercase, lowercase, digit and symbol): the console's
/// "autogenerated password" and the root's first-start password.
pub fn generate_password() -> String {
    const CLASSES: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnopqrstuvwxyz",
        b"23456789",
        b"!@#$%^&*()_+-=[]{}|",
    ];
    const LEN: usize = 20;
    let mut rng = rand::rng();
    let pick = |rng: &mut rand::rngs::ThreadRng, set: &[u8]| -> char {
        let len = u32::try_from(set.len()).unwrap_or(1).max(1);
        let i = usize::try_from(rng.next_u32() % len).unwrap_or(0);
        set.get(i).copied().map_or('x', char::from)
    };
    let mut out: Vec<char> = CLASSES.iter().map(|set| pick(&mut rng, set)).collect();
    let all: Vec<u8> = CLASSES.concat();
    while out.len() < LEN {
        out.push(pick(&mut rng, &all));
    }
    // Shuffle so the four guaranteed classes are not always first (Fisher–Yates).
    for i in (1..out.len()).rev() {
        let j = usize::try_from(rng.next_u32()).unwrap_or(0) % (i + 1);
        out.swap(i, j);
    }
    out.into_iter().collect()
}

/// The root's console password on first start when none is configured.
pub fn generate_root_password() -> String {
    generate_password()
}

/// A user's console password (one per user, keyed by the user's unique ID so a rename keeps
/// it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginProfile {
    pub account: String,
    pub user_id: String,
    pub created: Epoch,
    pub password: PasswordHash,
    /// When the password was last set (`password_last_changed` of the credential report).
    pub changed: Epoch,
    pub reset_required: bool,
    /// Hashes of earlier passwords, newest first (for `PasswordReusePrevention`).
    #[serde(default)]
    pub previous: Vec<PasswordHash>,
}

impl LoginProfile {
    /// When the password expires under `policy` (`MaxPasswordAge`), if it does.
    pub fn expires(&self, policy: Option<&AccountPasswordPolicy>) -> Option<Epoch> {
        let days = policy?.max_password_age?;
        Some(self.changed + i64::from(days) * 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let h = PasswordHash::new("Correct-Horse-9").unwrap();
        assert!(h.verify("Correct-Horse-9").unwrap());
        assert!(!h.verify("correct-horse-9").unwrap());
        let h2 = PasswordHash::new("Correct-Horse-9").unwrap();
        assert_ne!(h.hash, h2.hash, "a fresh salt per hash");
        assert_eq!(format!("{h:?}"), "PasswordHash(<redacted>)");
    }

    #[test]
    fn the_throttle_locks_after_repeated_failures_and_unlocks_later() {
        let t = Throttle::default();
        for i in 0..MAX_FAILURES {
            assert!(t.locked_for("u", 1000).is_none(), "attempt {i}");
            t.failed("u", 1000);
        }
        assert_eq!(t.locked_for("u", 1000), Some(LOCKOUT_SECONDS));
        assert_eq!(t.locked_for("u", 1100), Some(LOCKOUT_SECONDS - 100));
        assert!(t.locked_for("u", 1000 + LOCKOUT_SECONDS).is_none());
        assert!(t.locked_for("other", 1000).is_none());
        // After the lock runs out one more failure does not lock again at once.
        t.failed("u", 1000 + LOCKOUT_SECONDS);
        assert!(t.locked_for("u", 1000 + LOCKOUT_SECONDS).is_none());
        t.succeeded("u");
        assert!(t.locked_for("u", 2000).is_none());
    }
}
