//! The IAM entities oxiam keeps, as they live in memory and (as JSON) in the store.
//!
//! Secrets never reach the store in clear: an entity that holds one converts it to a sealed
//! field in its stored form (see [`AccessKey`]'s `Stored`).

use oxiam_protocol::types::DateTime;
use oxiam_sigv4::SecretAccessKey;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Seconds since the Unix epoch, as entities store their dates.
pub type Epoch = i64;

pub fn now_epoch() -> Epoch {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub fn to_datetime(epoch: Epoch) -> DateTime {
    DateTime(OffsetDateTime::from_unix_timestamp(epoch).unwrap_or(OffsetDateTime::UNIX_EPOCH))
}

/// A deployment-wide setting, persisted with the entities so it commits atomically with
/// them (e.g. which account was created on first start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub name: String,
    pub value: String,
}

/// An AWS account hosted by this deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub created: Epoch,
}

impl Account {
    pub fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub account: String,
    pub id: String,
    pub name: String,
    pub path: String,
    pub created: Epoch,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub password_last_used: Option<Epoch>,
}

impl User {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user{}{}",
            self.account, self.path, self.name
        )
    }
}

/// Who an access key belongs to: the account root or one of its users (by unique ID, so a
/// rename does not orphan the key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyOwner {
    Root,
    User(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    Active,
    Inactive,
}

impl KeyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "Active",
            KeyStatus::Inactive => "Inactive",
        }
    }
}

/// A long-term access key. The secret is held decrypted in memory only.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub id: String,
    pub account: String,
    pub owner: KeyOwner,
    pub status: KeyStatus,
    pub created: Epoch,
    pub secret: SecretAccessKey,
}

/// When and where an access key was last used (AWS reports service and region).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLastUsed {
    pub id: String,
    pub date: Epoch,
    pub service: String,
    pub region: String,
}
