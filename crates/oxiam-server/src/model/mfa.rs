//! Virtual MFA devices as the snapshot holds them: the seed in clear (zeroized on drop)
//! in memory, sealed under the key-encryption key in the store ([`StoredMfaDevice`]).

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::model::{Epoch, Tag};

/// A TOTP seed: zeroized on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Seed(pub Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seed(<redacted>)")
    }
}

/// A virtual MFA device, assigned to a user once enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaDevice {
    pub account: String,
    /// `arn:aws:iam::ACCOUNT:mfa/PATH/NAME`: the device's serial number and its store key.
    pub serial: String,
    pub created: Epoch,
    pub seed: Seed,
    /// The user's unique ID, while enabled.
    pub user_id: Option<String>,
    pub enabled: Option<Epoch>,
    pub tags: Vec<Tag>,
    /// INVARIANT (no-replay): the highest time step whose code was accepted; only codes of
    /// later steps are accepted.
    pub last_step: i64,
    /// Steps the device's clock is ahead of ours (negative: behind), learnt at enable and
    /// resync.
    pub drift: i64,
}

/// The stored form: the seed sealed, bound to the serial number.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoredMfaDevice {
    pub account: String,
    pub serial: String,
    pub created: Epoch,
    pub sealed_seed: String,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub enabled: Option<Epoch>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub last_step: i64,
    #[serde(default)]
    pub drift: i64,
}

/// The additional data a seed is sealed with.
pub fn seed_aad(serial: &str) -> Vec<u8> {
    format!("mfa/{serial}").into_bytes()
}
