//! Floor 1: the IAM entities oxiam keeps, as they live in memory and (as JSON) in the
//! store, and what they are made of. Nothing here knows the snapshot or the service.
//!
//! - This file: accounts, users, access keys, groups, roles, managed policies, instance
//!   profiles, identity providers, credentials and certificates, settings.
//! - [`passwords`] (argon2id hashes, the password policy, login profiles), [`mfa`] (virtual
//!   devices), [`session`] (what an STS session token carries).
//! - [`access`]: what users and roles attempted (the access advisor's records and
//!   reports); [`analyzer`]: IAM Access Analyzer's analyzers.
//! - [`ids`]: AWS identifier formats; [`quotas`]: AWS's quotas; [`error`]: the server's
//!   error and its mapping to the wire; [`config`]; [`aws_managed`]: the AWS managed policy
//!   catalogue; [`service_linked_roles`]: the service-linked roles AWS creates, per service;
//!   [`role_templates`]: the AWS-owned role templates AcquireRole creates roles from;
//!   [`policy_json`]: a policy document's statements and values as JSON.
//! - Formats: [`x509`] (certificates and private keys), [`jwt`] (web identity tokens),
//!   [`totp`] (RFC 6238 codes).
//! - `fixtures` (tests only): the entities unit tests across the crate start from.
//!
//! Secrets never reach the store in clear: an entity that holds one converts it to a sealed
//! field in its stored form (`crate::state::seal_field`).

pub mod access;
pub mod analyzer;
pub mod aws_managed;
pub mod config;
pub mod delegation;
pub mod error;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod ids;
pub mod jwt;
pub mod mfa;
pub mod passwords;
pub mod policy_json;
pub mod quotas;
pub mod role_templates;
pub mod service_linked_roles;
pub mod session;
pub mod totp;
pub mod x509;

use oxiam_protocol::types::DateTime;
use oxiam_sigv4::SecretAccessKey;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Seconds since the Unix epoch, as entities store their dates.
pub type Epoch = i64;

pub fn now_epoch() -> Epoch {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Wall-clock milliseconds since the epoch (console session revocation compares these:
/// seconds would let a cookie issued in the second of a sign-out survive it).
pub fn now_millis() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// When a principal's console sessions were last revoked: a console cookie issued before
/// `after_ms` is refused. Written on sign-out, password change or reset and login-profile
/// deletion; a record like any other, so every node sees it (cookies themselves are
/// stateless, see `console::session`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleSessionsValidAfter {
    /// The IAM user's unique ID, or the account ID for the root (its `aws:userid`).
    pub principal: String,
    pub after_ms: i64,
}

impl ConsoleSessionsValidAfter {
    /// Revokes `principal`'s console sessions issued up to now.
    pub fn now(principal: &str) -> Self {
        ConsoleSessionsValidAfter {
            principal: principal.to_owned(),
            after_ms: now_millis(),
        }
    }
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
    /// The account alias (AWS allows one; unique across all accounts).
    #[serde(default)]
    pub alias: Option<String>,
    /// The root's console password (argon2id), set on first start; accounts made otherwise
    /// (dev mode) have none and their root cannot sign in to the console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_password: Option<crate::model::passwords::PasswordHash>,
    /// When the root last signed in to the console with its password (GetUser's
    /// `PasswordLastUsed` for the root, the credential report's root row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_password_last_used: Option<Epoch>,
    /// Whether the policy engine's denials are enforced or only reported (oxiam's own
    /// setting, no AWS counterpart). Absent in records written before it existed: enforce.
    #[serde(default, skip_serializing_if = "EnforcementMode::is_enforce")]
    pub enforcement: EnforcementMode,
}

/// How an account's policy decisions take effect.
///
/// In `REPORT_ONLY`, a request the policy engine denies is allowed and the would-be denial
/// recorded (audit log, `oxiam::audit` tracing), so a workload can be moved under
/// enforcement after its policies are generated from what it really does. What is not a
/// policy decision (authentication, root-only and session limits) and what crosses to
/// another account stays enforced: see `crate::auth::authz`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EnforcementMode {
    /// Denials are enforced (the default, as in AWS).
    #[default]
    Enforce,
    /// Denials are allowed and recorded as would-be denials.
    ReportOnly,
}

impl EnforcementMode {
    /// The wire name: `ENFORCE` or `REPORT_ONLY`.
    pub fn as_str(self) -> &'static str {
        match self {
            EnforcementMode::Enforce => "ENFORCE",
            EnforcementMode::ReportOnly => "REPORT_ONLY",
        }
    }

    /// The mode of a wire name (exact, upper case).
    pub fn from_name(name: &str) -> Option<EnforcementMode> {
        match name {
            "ENFORCE" => Some(EnforcementMode::Enforce),
            "REPORT_ONLY" => Some(EnforcementMode::ReportOnly),
            _ => None,
        }
    }

    pub fn is_enforce(&self) -> bool {
        *self == EnforcementMode::Enforce
    }
}

/// Inline policies of a user, group or role: name → document as the caller sent it
/// (URL-decoded JSON text). Names compare case-sensitively, as in AWS.
pub type InlinePolicies = std::collections::BTreeMap<String, String>;

impl Account {
    pub fn root_arn(&self) -> String {
        format!("arn:aws:iam::{}:root", self.id)
    }

    pub fn is_report_only(&self) -> bool {
        self.enforcement == EnforcementMode::ReportOnly
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
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    /// ARNs of attached managed policies, in attachment order.
    #[serde(default)]
    pub attached_policies: Vec<String>,
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

/// An IAM group. Members are kept here (by user ID) so membership changes are one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub account: String,
    pub id: String,
    pub name: String,
    pub path: String,
    pub created: Epoch,
    #[serde(default)]
    pub members: Vec<String>,
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    #[serde(default)]
    pub attached_policies: Vec<String>,
}

impl Group {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:group{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    pub account: String,
    pub id: String,
    pub name: String,
    pub path: String,
    pub created: Epoch,
    /// The trust policy, as the caller sent it (URL-decoded JSON text).
    pub assume_role_policy: String,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: i32,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub inline_policies: InlinePolicies,
    #[serde(default)]
    pub attached_policies: Vec<String>,
    /// When the role was last assumed, and in which region.
    #[serde(default)]
    pub last_used: Option<(Epoch, String)>,
    /// The role template version AcquireRole created the role from; `None` for every other
    /// role.
    #[serde(default)]
    pub source_role_template: Option<SourceRoleTemplate>,
}

/// The role template (ARN and minor version) a role was created from (AWS's
/// `SourceRoleTemplate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRoleTemplate {
    pub template_arn: String,
    pub minor_version: i32,
}

impl Role {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }
}

/// One version of a customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `v1`, `v2`, … never reused within a policy.
    pub id: String,
    pub document: String,
    pub created: Epoch,
}

/// A customer managed policy (AWS managed policies are a read-only catalogue, not records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub account: String,
    pub id: String,
    pub name: String,
    pub path: String,
    pub created: Epoch,
    pub updated: Epoch,
    #[serde(default)]
    pub description: Option<String>,
    pub default_version: String,
    pub versions: Vec<PolicyVersion>,
    /// The number of the next version to create (`v{n}`).
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy{}{}",
            self.account, self.path, self.name
        )
    }

    pub fn default_document(&self) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| v.document.as_str())
    }
}

/// An instance profile (holds at most one role, by role ID).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceProfile {
    pub account: String,
    pub id: String,
    pub name: String,
    pub path: String,
    pub created: Epoch,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl InstanceProfile {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:instance-profile{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An OpenID Connect identity provider, for `AssumeRoleWithWebIdentity`. Keyed by ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcProvider {
    pub account: String,
    /// The issuer URL without `https://` (`host[/path]`), as AWS returns it and puts it in
    /// the ARN.
    pub url: String,
    pub client_ids: Vec<String>,
    /// SHA-1 certificate thumbprints, 40 hex digits each.
    pub thumbprints: Vec<String>,
    pub created: Epoch,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl OidcProvider {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:oidc-provider/{}", self.account, self.url)
    }
}

/// A SAML 2.0 identity provider, for `AssumeRoleWithSAML`. Keyed by ARN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlProvider {
    pub account: String,
    pub name: String,
    /// A random UUID AWS shows as `SAMLProviderUUID`.
    pub uuid: String,
    /// The IdP's metadata document (validated SAML 2.0 `EntityDescriptor`).
    pub metadata: String,
    /// The metadata's `validUntil`, when it has one.
    pub valid_until: Option<Epoch>,
    /// `Allowed` or `Required`; `None` when never set.
    pub assertion_encryption_mode: Option<String>,
    pub created: Epoch,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl SamlProvider {
    pub fn arn(&self) -> String {
        format!("arn:aws:iam::{}:saml-provider/{}", self.account, self.name)
    }
}

/// An SSH public key of an IAM user (for CodeCommit). Keyed by owner and key ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SshPublicKey {
    pub account: String,
    /// The owning user's unique ID (renaming the user keeps its keys).
    pub user_id: String,
    /// `APKA…`.
    pub id: String,
    /// The key in SSH wire format (RFC 4253 §6.6), base64: the fingerprint's input and the
    /// source of both encodings `GetSSHPublicKey` returns.
    pub blob: String,
    /// The OpenSSH line as uploaded, when it was uploaded as one (returned for `SSH`).
    pub body: String,
    pub active: bool,
    pub uploaded: Epoch,
}

impl SshPublicKey {
    pub fn store_key(user_id: &str, id: &str) -> String {
        format!("{user_id}/{id}")
    }
}

/// The password of a service-specific credential: zeroized on drop, a placeholder in
/// `Debug`, compared in constant time. Stored sealed under the KEK (see
/// `ops::iam::service_credentials`), shown only when created or reset.
#[derive(Clone)]
pub struct ServicePassword(zeroize::Zeroizing<String>);

impl ServicePassword {
    pub fn new(password: String) -> Self {
        ServicePassword(zeroize::Zeroizing::new(password))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ServicePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServicePassword(<redacted>)")
    }
}

impl PartialEq for ServicePassword {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq as _;
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for ServicePassword {}

/// A service-specific credential of an IAM user (CodeCommit HTTPS Git, Amazon Keyspaces).
/// Keyed by owner and credential ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpecificCredential {
    pub account: String,
    pub user_id: String,
    /// `ACCA…`.
    pub id: String,
    /// `codecommit.amazonaws.com` or `cassandra.amazonaws.com`.
    pub service_name: String,
    /// `<user>-at-<account>`, fixed at creation.
    pub service_user_name: String,
    pub password: ServicePassword,
    pub active: bool,
    pub created: Epoch,
}

impl ServiceSpecificCredential {
    pub fn store_key(user_id: &str, id: &str) -> String {
        format!("{user_id}/{id}")
    }
}

/// An X.509 signing certificate of an IAM user or of the account root. Keyed by
/// [`SigningCertificate::store_key`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningCertificate {
    pub account: String,
    /// The owning user's unique ID; `None` for the account root.
    pub user_id: Option<String>,
    /// 32 base32 characters (AWS's IDs are `[\w]{24,128}`).
    pub id: String,
    /// The PEM as uploaded (AWS returns it as given).
    pub body: String,
    /// SHA-256 of the DER certificate, hex: how a duplicate upload is recognised.
    pub sha256: String,
    pub active: bool,
    pub uploaded: Epoch,
}

impl SigningCertificate {
    /// `account/owner/id`, owner being the user's ID or `~root` (sorts after user IDs),
    /// so one owner's certificates are one range.
    pub fn store_key(account: &str, user_id: Option<&str>, id: &str) -> String {
        format!("{}{id}", Self::owner_prefix(account, user_id))
    }

    pub fn owner_prefix(account: &str, user_id: Option<&str>) -> String {
        format!("{account}/{}/", user_id.unwrap_or("~root"))
    }
}

/// A server certificate (for TLS termination). The private key is sealed under the
/// key-encryption key at rest (see `ops::iam::server_certificates`) and never returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCertificate {
    pub account: String,
    /// `ASCA…`.
    pub id: String,
    pub name: String,
    pub path: String,
    pub body: String,
    pub chain: Option<String>,
    pub private_key: ServicePassword,
    /// The certificate's `notAfter`.
    pub expiration: Epoch,
    pub uploaded: Epoch,
    pub tags: Vec<Tag>,
}

impl ServerCertificate {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:server-certificate{}{}",
            self.account, self.path, self.name
        )
    }
}

/// An account's latest credential report (`GenerateCredentialReport`): the CSV as
/// generated, kept until the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialReport {
    pub account: String,
    pub generated: Epoch,
    pub content: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_records_without_a_mode_enforce_and_report_only_is_stored() {
        // A record written before the setting existed.
        let old: Account = serde_json::from_str(r#"{"id":"123456789012","created":0}"#).unwrap();
        assert_eq!(old.enforcement, EnforcementMode::Enforce);
        assert!(!old.is_report_only());
        // Enforce is not written (records stay as they were); report-only is.
        assert!(!serde_json::to_string(&old).unwrap().contains("enforcement"));
        let on = Account {
            enforcement: EnforcementMode::ReportOnly,
            ..old
        };
        let text = serde_json::to_string(&on).unwrap();
        assert!(text.contains(r#""enforcement":"REPORT_ONLY""#), "{text}");
        let back: Account = serde_json::from_str(&text).unwrap();
        assert!(back.is_report_only());
        for mode in [EnforcementMode::Enforce, EnforcementMode::ReportOnly] {
            assert_eq!(EnforcementMode::from_name(mode.as_str()), Some(mode));
        }
        assert_eq!(EnforcementMode::from_name("report_only"), None);
    }
}
