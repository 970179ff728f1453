//! Floor 2: the authorization snapshot — all of oxiam's state in memory, immutable once
//! published — and the transaction that produces the next one.
//!
//! - This file: [`State`] (one list of entity tables, `tables!`), [`Entity`] (how each
//!   kind is stored), the sealed-field helpers, [`Tx`].
//! - [`compiled`]: the compiled form of every identity policy, kept in step.
//! - [`token_keys`], [`outbound_keys`]: STS token keys and outbound signing keys, sealed.
//!
//! Readers `load()` the current `Arc<State>` and never lock. A write runs its handler
//! against a [`Tx`] started from the current snapshot; the handler's changes are committed
//! to the store with the snapshot's sequence number as the expected one, and only then is
//! the new snapshot published. A failed handler or a failed commit publishes nothing, so a
//! failed call leaves nothing half-done.

pub mod compiled;
pub mod outbound_keys;
pub mod token_keys;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use oxiam_sigv4::SecretAccessKey;
use oxiam_store::crypto::Kek;
use oxiam_store::{Change, Record};
use serde::{Deserialize, Serialize};

use crate::model::access::{AccessRecord, AccessReport};
use crate::model::analyzer::Analyzer;
use crate::model::delegation::DelegationRequest;
use crate::model::error::ServerError;
use crate::model::mfa::{MfaDevice, Seed, StoredMfaDevice, seed_aad};
use crate::model::passwords::{AccountPasswordPolicy, LoginProfile};
use crate::model::{
    AccessKey, Account, ConsoleSessionsValidAfter, CredentialReport, Group, InstanceProfile,
    KeyLastUsed, KeyOwner, KeyStatus, ManagedPolicy, Role, Setting, User,
};
use crate::model::{
    OidcProvider, SamlProvider, ServerCertificate, ServiceSpecificCredential, SigningCertificate,
    SshPublicKey,
};
use outbound_keys::OutboundKey;
use token_keys::TokenKey;

/// Entities of one kind by store key, in key order (which is the order AWS lists them in).
///
/// A persistent map: cloning a `State` to start a write shares every node, and a write
/// copies only the O(log n) nodes on its path. With a plain `BTreeMap` each write cloned
/// the whole table, which made writes slower as the account grew.
pub type Table<T> = imbl::OrdMap<String, Arc<T>>;

/// Declares `State` with one table per listed entity (and the derived indexes), the one
/// place that maps a record's table name to its entity type, and `Tx::delete_all`.
macro_rules! tables {
    ($($(#[$doc:meta])* $field:ident: $ty:ident,)*) => {
        /// Everything oxiam knows, at one sequence number of the store.
        #[derive(Debug, Clone, Default)]
        pub struct State {
            pub seq: u64,
            $($(#[$doc])* pub $field: Table<$ty>,)*
            /// INVARIANT (user-id-index): maps every user's unique ID to its key in `users`;
            /// maintained by `User`'s hooks below.
            pub user_ids: imbl::OrdMap<String, String>,
            /// INVARIANT (keys-by-owner): holds `account/owner/key ID` for every access key
            /// (see [`State::owner_prefix`]); maintained by `AccessKey`'s hooks, so listing
            /// one owner's keys is a range, not a scan of every key of the deployment.
            pub keys_by_owner: imbl::OrdSet<String>,
            /// INVARIANT (counts-in-step): the number of entities of each account in each
            /// table whose entity has an account (`Entity::account`), keyed `table/account`;
            /// maintained by `apply_put`/`apply_delete`, so quota checks cost O(log n).
            pub counts: imbl::OrdMap<String, usize>,
            /// Compiled identity policy documents (INVARIANT compiled-in-step, see
            /// [`compiled`]); maintained by the hooks of `User`, `Group`, `Role` and
            /// `ManagedPolicy` below.
            pub compiled: compiled::CompiledPolicies,
        }

        $(impl InState for $ty {
            fn table(state: &State) -> &Table<Self> {
                &state.$field
            }
            fn table_mut(state: &mut State) -> &mut Table<Self> {
                &mut state.$field
            }
        })*

        fn put_record(state: &mut State, r: &Record, kek: &Kek) -> Result<(), ServerError> {
            match r.table.as_str() {
                $($ty::TABLE => state.apply_put($ty::decode(r, kek)?),)*
                other => return Err(unknown_table(other)),
            }
            Ok(())
        }

        fn delete_record(state: &mut State, table: &str, key: &str) -> Result<(), ServerError> {
            match table {
                $($ty::TABLE => drop(state.apply_delete::<$ty>(key)),)*
                other => return Err(unknown_table(other)),
            }
            Ok(())
        }

        impl Tx {
            /// Deletes every record of every table (dev mode's reset).
            pub fn delete_all(&mut self) {
                fn all<E: Entity>(tx: &mut Tx, state: &State) {
                    for k in E::table(state).keys() {
                        tx.delete::<E>(k);
                    }
                }
                let state = self.state().clone();
                $(all::<$ty>(self, &state);)*
            }
        }
    };
}

/// Where an entity's table is in `State` (generated by `tables!`).
pub trait InState: Sized {
    fn table(state: &State) -> &Table<Self>;
    fn table_mut(state: &mut State) -> &mut Table<Self>;
}

// INVARIANT (one-list): every entity table is listed once, in `tables!` below; the struct
// fields, the record dispatch (`put_record`, `delete_record`) and `Tx::delete_all` are
// generated from that list, so a new entity is one line there plus its `Entity` impl.
tables! {
    settings: Setting,
    accounts: Account,
    users: User,
    access_keys: AccessKey,
    key_last_used: KeyLastUsed,
    groups: Group,
    roles: Role,
    policies: ManagedPolicy,
    instance_profiles: InstanceProfile,
    /// OpenID Connect providers by ARN.
    oidc_providers: OidcProvider,
    /// SAML providers by ARN.
    saml_providers: SamlProvider,
    /// SSH public keys by `user ID/key ID`.
    ssh_public_keys: SshPublicKey,
    /// Service-specific credentials by `user ID/credential ID` (Entity impl in
    /// `ops::iam::service_credentials`: the password is sealed at rest).
    service_credentials: ServiceSpecificCredential,
    /// Signing certificates by `account/owner/certificate ID` (see
    /// `SigningCertificate::store_key`).
    signing_certificates: SigningCertificate,
    /// Server certificates by `account/lowercased name` (Entity impl in
    /// `ops::iam::server_certificates`: the private key is sealed at rest).
    server_certificates: ServerCertificate,
    /// STS token keys by key ID (see [`token_keys`]).
    sts_keys: TokenKey,
    /// Outbound web identity token signing keys by key ID (see [`outbound_keys`]).
    outbound_keys: OutboundKey,
    /// Account password policies by account ID.
    password_policies: AccountPasswordPolicy,
    /// Login profiles (console passwords) by user unique ID.
    login_profiles: LoginProfile,
    /// Virtual MFA devices by serial number (`arn:aws:iam::ACCOUNT:mfa/…`).
    mfa_devices: MfaDevice,
    /// The latest credential report of each account.
    credential_reports: CredentialReport,
    /// Console session revocations by principal (user unique ID, or account ID for a root).
    console_revocations: ConsoleSessionsValidAfter,
    /// IAM temporary delegation requests by ID (Entity impl in
    /// `ops::iam::delegation_requests`: the trade-in token is sealed at rest).
    delegation_requests: DelegationRequest,
    /// What IAM users and roles attempted, by `account/entity ID/action` (the access
    /// advisor's data, see `model::access`).
    access_records: AccessRecord,
    /// Generated last-accessed reports by job ID.
    access_reports: AccessReport,
    /// IAM Access Analyzer's analyzers by `account/region/name`.
    analyzers: Analyzer,
}

impl State {
    pub fn user_key(account: &str, name: &str) -> String {
        format!("{account}/{}", name.to_lowercase())
    }

    /// The store key of a named entity of an account: names are unique case-insensitively.
    pub fn name_key(account: &str, name: &str) -> String {
        Self::user_key(account, name)
    }

    pub fn group(&self, account: &str, name: &str) -> Option<&Arc<Group>> {
        self.groups.get(&Self::name_key(account, name))
    }

    pub fn role(&self, account: &str, name: &str) -> Option<&Arc<Role>> {
        self.roles.get(&Self::name_key(account, name))
    }

    pub fn instance_profile(&self, account: &str, name: &str) -> Option<&Arc<InstanceProfile>> {
        self.instance_profiles.get(&Self::name_key(account, name))
    }

    /// A customer managed policy by name (names are unique per account whatever the path).
    pub fn policy(&self, account: &str, name: &str) -> Option<&Arc<ManagedPolicy>> {
        self.policies.get(&Self::name_key(account, name))
    }

    /// A customer managed policy by ARN (`arn:aws:iam::ACCOUNT:policy/PATH/NAME`). AWS
    /// managed policies (`arn:aws:iam::aws:policy/…`) are not records: see the catalogue.
    pub fn policy_by_arn(&self, arn: &str) -> Option<&Arc<ManagedPolicy>> {
        let rest = arn.strip_prefix("arn:aws:iam::")?;
        let (account, path_name) = rest.split_once(":policy/")?;
        let name = path_name.rsplit('/').next()?;
        self.policy(account, name).filter(|p| p.arn() == arn)
    }

    /// Entities of one table that belong to `account`, in name order.
    pub fn of_account<'a, T>(
        table: &'a Table<T>,
        account: &str,
    ) -> impl Iterator<Item = &'a Arc<T>> + 'a {
        Self::of_account_from(table, account, None)
    }

    /// Like [`State::of_account`], starting at the entity whose lowercased name is `from`
    /// (a decoded List* marker) or the first after it: a page costs O(log n + page size)
    /// however deep into the list it is.
    pub fn of_account_from<'a, T>(
        table: &'a Table<T>,
        account: &str,
        from: Option<&str>,
    ) -> impl Iterator<Item = &'a Arc<T>> + 'a {
        Self::with_prefix_from(table, format!("{account}/"), from.unwrap_or_default())
    }

    /// The entities of one table whose store key starts with `prefix`, in key order: one
    /// owner's credentials (`USER_ID/`), one account's providers (`arn:aws:iam::ACCOUNT:…/`).
    pub fn with_prefix<T>(table: &Table<T>, prefix: String) -> impl Iterator<Item = &Arc<T>> {
        Self::with_prefix_from(table, prefix, "")
    }

    /// Like [`State::with_prefix`], from the key `prefix` + `from` on.
    fn with_prefix_from<'a, T>(
        table: &'a Table<T>,
        prefix: String,
        from: &str,
    ) -> impl Iterator<Item = &'a Arc<T>> + 'a {
        let start = format!("{prefix}{from}");
        table
            .range(start..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v)
    }

    pub fn user(&self, account: &str, name: &str) -> Option<&Arc<User>> {
        self.users.get(&Self::user_key(account, name))
    }

    pub fn user_by_id(&self, id: &str) -> Option<&Arc<User>> {
        self.user_ids.get(id).and_then(|k| self.users.get(k))
    }

    /// The users of one account in AWS's order (by name, case-insensitively).
    pub fn users_of<'a>(&'a self, account: &str) -> impl Iterator<Item = &'a Arc<User>> + 'a {
        Self::of_account(&self.users, account)
    }

    /// The index prefix of one owner's access keys (see INVARIANT keys-by-owner).
    fn owner_prefix(account: &str, owner: &KeyOwner) -> String {
        match owner {
            KeyOwner::Root => format!("{account}/~root/"),
            KeyOwner::User(id) => format!("{account}/{id}/"),
        }
    }

    /// The access keys of one owner, in key ID order.
    pub fn keys_of<'a>(
        &'a self,
        account: &'a str,
        owner: &'a KeyOwner,
    ) -> impl Iterator<Item = &'a Arc<AccessKey>> + 'a {
        let prefix = Self::owner_prefix(account, owner);
        self.keys_by_owner
            .range(prefix.clone()..)
            .take_while(move |k| k.starts_with(&prefix))
            .filter_map(|k| k.rsplit('/').next())
            .filter_map(|id| self.access_keys.get(id))
    }

    /// Rebuilds a state from every record of the store.
    pub fn from_records(records: &[Record], seq: u64, kek: &Kek) -> Result<State, ServerError> {
        let mut state = State {
            seq,
            ..State::default()
        };
        for r in records {
            put_record(&mut state, r, kek)?;
        }
        Ok(state)
    }

    /// How many entities of kind `E` belong to `account`.
    pub fn count_of<E: Entity>(&self, account: &str) -> usize {
        self.counts
            .get(&format!("{}/{account}", E::TABLE))
            .copied()
            .unwrap_or(0)
    }

    fn apply_put<E: Entity>(&mut self, e: E) {
        let key = e.key();
        e.on_put(self, &key);
        let counted = e.account().map(|a| format!("{}/{a}", E::TABLE));
        let replaced = E::table_mut(self).insert(key, Arc::new(e));
        if let (Some(counted), None) = (counted, replaced) {
            *self.counts.entry(counted).or_insert(0) += 1;
        }
    }

    fn apply_delete<E: Entity>(&mut self, key: &str) -> Option<Arc<E>> {
        let old = E::table_mut(self).remove(key);
        if let Some(old) = &old {
            old.on_delete(self);
            if let Some(account) = old.account() {
                let counted = format!("{}/{account}", E::TABLE);
                match self.counts.get(&counted).copied() {
                    Some(n) if n > 1 => drop(self.counts.insert(counted, n - 1)),
                    _ => drop(self.counts.remove(&counted)),
                }
            }
        }
        old
    }
}

/// A kind of entity the store persists as one record per entity.
pub trait Entity: InState + 'static {
    const TABLE: &'static str;
    fn key(&self) -> String;
    fn encode(&self, kek: &Kek) -> Result<Vec<u8>, ServerError>;
    fn decode(record: &Record, kek: &Kek) -> Result<Self, ServerError>;
    /// The account the entity belongs to, for entities counted against account quotas.
    fn account(&self) -> Option<&str> {
        None
    }
    /// Keeps derived indexes of `State` in step with the table.
    fn on_put(&self, _state: &mut State, _key: &str) {}
    fn on_delete(&self, _state: &mut State) {}
}

/// A secret field in its stored form: sealed (AES-256-GCM) under the key-encryption key,
/// bound by `aad` to the entity it belongs to (so it cannot be moved to another record),
/// base64 in the record's JSON.
pub fn seal_field(kek: &Kek, plain: &[u8], aad: &[u8]) -> String {
    B64.encode(kek.seal(plain, aad))
}

/// Opens a field [`seal_field`] sealed. `what` names it in the error (`the secret of AKIA…`).
pub fn open_field(
    kek: &Kek,
    sealed: &str,
    aad: &[u8],
    what: &str,
) -> Result<zeroize::Zeroizing<Vec<u8>>, ServerError> {
    let sealed = B64
        .decode(sealed)
        .map_err(|e| ServerError::Internal(format!("corrupt sealed field, {what}: {e}")))?;
    kek.open(&sealed, aad).map_err(|e| {
        ServerError::Internal(format!(
            "cannot open {what} (wrong key-encryption key?): {e}"
        ))
    })
}

/// [`open_field`] for a text secret.
pub fn open_text_field(
    kek: &Kek,
    sealed: &str,
    aad: &[u8],
    what: &str,
) -> Result<String, ServerError> {
    String::from_utf8(open_field(kek, sealed, aad, what)?.to_vec())
        .map_err(|_| ServerError::Internal(format!("{what} is not UTF-8")))
}

pub(crate) fn json_encode<T: Serialize>(v: &T) -> Result<Vec<u8>, ServerError> {
    serde_json::to_vec(v).map_err(|e| ServerError::Internal(format!("encoding a record: {e}")))
}

pub(crate) fn json_decode<T: for<'de> Deserialize<'de>>(r: &Record) -> Result<T, ServerError> {
    serde_json::from_slice(&r.value)
        .map_err(|e| ServerError::Internal(format!("corrupt record {}/{}: {e}", r.table, r.key)))
}

/// Entities whose stored form is their serde form.
macro_rules! plain_entity {
    ($ty:ident, $table:literal, |$s:ident| $key:expr) => {
        impl Entity for $ty {
            const TABLE: &'static str = $table;
            fn key(&self) -> String {
                let $s = self;
                $key
            }
            fn encode(&self, _kek: &Kek) -> Result<Vec<u8>, ServerError> {
                json_encode(self)
            }
            fn decode(record: &Record, _kek: &Kek) -> Result<Self, ServerError> {
                json_decode(record)
            }
            plain_entity!(@hooks $ty);
        }
    };
    (@hooks User) => {
        plain_entity!(@counted);
        fn on_put(&self, state: &mut State, key: &str) {
            state.user_ids.insert(self.id.clone(), key.to_owned());
            state.compiled.put_inline(Self::TABLE, key, &self.inline_policies);
        }
        fn on_delete(&self, state: &mut State) {
            state.user_ids.remove(&self.id);
            state.compiled.remove_inline(Self::TABLE, &self.key());
        }
    };
    (@hooks Group) => {
        plain_entity!(@counted);
        fn on_put(&self, state: &mut State, key: &str) {
            let old = state.groups.get(key).cloned();
            state.compiled.put_group(key, old.as_deref(), self);
        }
        fn on_delete(&self, state: &mut State) {
            state.compiled.remove_group(&self.key(), self);
        }
    };
    (@hooks Role) => {
        plain_entity!(@counted);
        plain_entity!(@inline_hooks);
    };
    (@hooks InstanceProfile) => {
        plain_entity!(@counted);
    };
    (@counted) => {
        fn account(&self) -> Option<&str> {
            Some(&self.account)
        }
    };
    (@inline_hooks) => {
        fn on_put(&self, state: &mut State, key: &str) {
            state.compiled.put_inline(Self::TABLE, key, &self.inline_policies);
        }
        fn on_delete(&self, state: &mut State) {
            state.compiled.remove_inline(Self::TABLE, &self.key());
        }
    };
    (@hooks ManagedPolicy) => {
        plain_entity!(@counted);
        fn on_put(&self, state: &mut State, key: &str) {
            state.compiled.put_managed(key, self);
        }
        fn on_delete(&self, state: &mut State) {
            state.compiled.remove_managed(&self.key());
        }
    };
    (@hooks $ty:ident) => {};
}

plain_entity!(Setting, "setting", |s| s.name.clone());
plain_entity!(Account, "account", |a| a.id.clone());
plain_entity!(User, "user", |u| State::user_key(&u.account, &u.name));
plain_entity!(KeyLastUsed, "access_key_last_used", |k| k.id.clone());
plain_entity!(Group, "group", |g| State::name_key(&g.account, &g.name));
plain_entity!(Role, "role", |r| State::name_key(&r.account, &r.name));
plain_entity!(ManagedPolicy, "policy", |p| State::name_key(
    &p.account, &p.name
));
plain_entity!(InstanceProfile, "instance_profile", |p| State::name_key(
    &p.account, &p.name
));
plain_entity!(OidcProvider, "oidc_provider", |p| p.arn());
plain_entity!(SamlProvider, "saml_provider", |p| p.arn());
plain_entity!(SshPublicKey, "ssh_public_key", |k| {
    SshPublicKey::store_key(&k.user_id, &k.id)
});

plain_entity!(SigningCertificate, "signing_certificate", |c| {
    SigningCertificate::store_key(&c.account, c.user_id.as_deref(), &c.id)
});

plain_entity!(AccountPasswordPolicy, "password_policy", |p| p
    .account
    .clone());
plain_entity!(LoginProfile, "login_profile", |p| p.user_id.clone());
plain_entity!(
    ConsoleSessionsValidAfter,
    "console_sessions_valid_after",
    |r| r.principal.clone()
);
plain_entity!(CredentialReport, "credential_report", |r| r.account.clone());
plain_entity!(AccessRecord, "access_record", |r| AccessRecord::store_key(
    &r.account,
    &r.entity_id,
    &r.action
));
plain_entity!(AccessReport, "access_report", |r| r.job_id.clone());
plain_entity!(Analyzer, "analyzer", |a| Analyzer::store_key(
    &a.account, &a.region, &a.name
));

impl Entity for MfaDevice {
    const TABLE: &'static str = "mfa_device";
    fn key(&self) -> String {
        self.serial.clone()
    }
    fn encode(&self, kek: &Kek) -> Result<Vec<u8>, ServerError> {
        let sealed_seed = seal_field(kek, &self.seed.0, &seed_aad(&self.serial));
        json_encode(&StoredMfaDevice {
            account: self.account.clone(),
            serial: self.serial.clone(),
            created: self.created,
            sealed_seed,
            user_id: self.user_id.clone(),
            enabled: self.enabled,
            tags: self.tags.clone(),
            last_step: self.last_step,
            drift: self.drift,
        })
    }
    fn decode(record: &Record, kek: &Kek) -> Result<Self, ServerError> {
        let s: StoredMfaDevice = json_decode(record)?;
        let what = format!("the seed of {}", s.serial);
        let seed = open_field(kek, &s.sealed_seed, &seed_aad(&s.serial), &what)?;
        Ok(MfaDevice {
            account: s.account,
            serial: s.serial,
            created: s.created,
            seed: Seed(seed),
            user_id: s.user_id,
            enabled: s.enabled,
            tags: s.tags,
            last_step: s.last_step,
            drift: s.drift,
        })
    }
}

/// The stored form of an access key: the secret sealed under the key-encryption key, bound
/// to the key's ID so a sealed secret cannot be moved to another key.
#[derive(Serialize, Deserialize)]
struct StoredAccessKey {
    id: String,
    account: String,
    owner: KeyOwner,
    status: KeyStatus,
    created: i64,
    sealed_secret: String,
}

fn secret_aad(id: &str) -> Vec<u8> {
    format!("access_key/{id}").into_bytes()
}

impl Entity for AccessKey {
    const TABLE: &'static str = "access_key";
    fn key(&self) -> String {
        self.id.clone()
    }
    fn on_put(&self, state: &mut State, key: &str) {
        if let Some(old) = state.access_keys.get(key).cloned() {
            old.on_delete(state);
        }
        let indexed = format!(
            "{}{}",
            State::owner_prefix(&self.account, &self.owner),
            self.id
        );
        state.keys_by_owner.insert(indexed);
    }
    fn on_delete(&self, state: &mut State) {
        let indexed = format!(
            "{}{}",
            State::owner_prefix(&self.account, &self.owner),
            self.id
        );
        state.keys_by_owner.remove(&indexed);
    }
    fn encode(&self, kek: &Kek) -> Result<Vec<u8>, ServerError> {
        let sealed_secret = seal_field(kek, self.secret.expose().as_bytes(), &secret_aad(&self.id));
        json_encode(&StoredAccessKey {
            id: self.id.clone(),
            account: self.account.clone(),
            owner: self.owner.clone(),
            status: self.status,
            created: self.created,
            sealed_secret,
        })
    }
    fn decode(record: &Record, kek: &Kek) -> Result<Self, ServerError> {
        let s: StoredAccessKey = json_decode(record)?;
        let what = format!("the secret of {}", s.id);
        let secret = open_text_field(kek, &s.sealed_secret, &secret_aad(&s.id), &what)?;
        Ok(AccessKey {
            id: s.id,
            account: s.account,
            owner: s.owner,
            status: s.status,
            created: s.created,
            secret: SecretAccessKey::new(secret),
        })
    }
}

/// A write in progress: the snapshot it started from, the working copy (cloned on first
/// write) and the changes to persist.
#[derive(Debug)]
pub struct Tx {
    base: Arc<State>,
    working: Option<State>,
    changes: Vec<Change>,
    kek: Arc<Kek>,
}

impl Tx {
    pub fn new(base: Arc<State>, kek: Arc<Kek>) -> Tx {
        Tx {
            base,
            working: None,
            changes: Vec::new(),
            kek,
        }
    }

    pub fn state(&self) -> &State {
        self.working.as_ref().unwrap_or(&self.base)
    }

    fn working(&mut self) -> &mut State {
        let base = &self.base;
        self.working.get_or_insert_with(|| State::clone(base))
    }

    pub fn put<E: Entity>(&mut self, e: E) -> Result<(), ServerError> {
        let value = e.encode(&self.kek)?;
        self.changes.push(Change::Put(Record {
            table: E::TABLE.to_owned(),
            key: e.key(),
            value,
        }));
        self.working().apply_put(e);
        Ok(())
    }

    pub fn delete<E: Entity>(&mut self, key: &str) {
        self.changes.push(Change::Delete {
            table: E::TABLE.to_owned(),
            key: key.to_owned(),
        });
        self.working().apply_delete::<E>(key);
    }

    /// The changes and the state they produce; `None` when nothing was written.
    pub fn finish(self) -> Option<(Vec<Change>, State)> {
        match self.working {
            Some(state) if !self.changes.is_empty() => Some((self.changes, state)),
            _ => None,
        }
    }
}

/// Applies a feed entry written by another node to a state.
pub fn apply_changes(state: &mut State, changes: &[Change], kek: &Kek) -> Result<(), ServerError> {
    for c in changes {
        match c {
            Change::Put(r) => put_record(state, r, kek)?,
            Change::Delete { table, key } => delete_record(state, table, key)?,
        }
    }
    Ok(())
}

fn unknown_table(table: &str) -> ServerError {
    ServerError::Internal(format!("store holds records of unknown table `{table}`"))
}

/// The access key secret of a freshly created key, so handlers need not import sigv4.
pub fn new_secret() -> SecretAccessKey {
    SecretAccessKey::new(crate::model::ids::secret_access_key())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Tag;

    /// A user tagged `k=v`.
    fn user(name: &str, id: &str) -> User {
        User {
            tags: vec![Tag {
                key: "k".into(),
                value: "v".into(),
            }],
            ..crate::model::fixtures::user(name, id)
        }
    }

    fn key(id: &str, owner: KeyOwner) -> AccessKey {
        AccessKey {
            id: id.into(),
            account: "123456789012".into(),
            owner,
            status: KeyStatus::Active,
            created: 0,
            secret: SecretAccessKey::new("s".repeat(40)),
        }
    }

    #[test]
    fn tx_maintains_the_user_id_index_and_records_changes() {
        let kek = Arc::new(Kek::generate());
        let mut tx = Tx::new(Arc::new(State::default()), Arc::clone(&kek));
        tx.put(user("Alice", "AIDA1")).unwrap();
        assert_eq!(tx.state().user_by_id("AIDA1").unwrap().name, "Alice");
        assert!(
            tx.state().user("123456789012", "alice").is_some(),
            "names are case-insensitive"
        );
        tx.delete::<User>(&State::user_key("123456789012", "Alice"));
        assert!(tx.state().user_by_id("AIDA1").is_none());
        let (changes, _) = tx.finish().unwrap();
        assert_eq!(changes.len(), 2);
    }

    #[test]
    fn account_counts_follow_puts_replacements_and_deletes() {
        let kek = Arc::new(Kek::generate());
        let mut tx = Tx::new(Arc::new(State::default()), Arc::clone(&kek));
        tx.put(user("a", "AIDA1")).unwrap();
        tx.put(user("b", "AIDA2")).unwrap();
        tx.put(user("B", "AIDA2")).unwrap(); // the same key again: a replacement
        let mut other = user("c", "AIDA3");
        other.account = "210987654321".into();
        tx.put(other).unwrap();
        assert_eq!(tx.state().count_of::<User>("123456789012"), 2);
        assert_eq!(tx.state().count_of::<User>("210987654321"), 1);
        assert_eq!(tx.state().count_of::<Group>("123456789012"), 0);
        tx.delete::<User>(&State::user_key("123456789012", "a"));
        tx.delete::<User>(&State::user_key("123456789012", "nobody"));
        assert_eq!(tx.state().count_of::<User>("123456789012"), 1);
        tx.delete::<User>(&State::user_key("210987654321", "c"));
        assert_eq!(tx.state().count_of::<User>("210987654321"), 0);
        assert!(!tx.state().counts.contains_key("user/210987654321"));
    }

    #[test]
    fn keys_of_follows_puts_and_deletes_per_owner() {
        let kek = Arc::new(Kek::generate());
        let mut tx = Tx::new(Arc::new(State::default()), Arc::clone(&kek));
        let alice = KeyOwner::User("AIDA1".into());
        tx.put(key("AKIA2", alice.clone())).unwrap();
        tx.put(key("AKIA1", alice.clone())).unwrap();
        tx.put(key("AKIA3", KeyOwner::Root)).unwrap();
        tx.put(key("AKIA4", KeyOwner::User("AIDA12".into())))
            .unwrap();
        let ids = |tx: &Tx, owner: &KeyOwner| {
            tx.state()
                .keys_of("123456789012", owner)
                .map(|k| k.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&tx, &alice), ["AKIA1", "AKIA2"], "AIDA12 is not AIDA1");
        assert_eq!(ids(&tx, &KeyOwner::Root), ["AKIA3"]);
        assert!(tx.state().keys_of("210987654321", &alice).next().is_none());
        tx.delete::<AccessKey>("AKIA1");
        assert_eq!(ids(&tx, &alice), ["AKIA2"]);
        assert_eq!(tx.state().keys_by_owner.len(), 3);
    }

    #[test]
    fn a_read_only_tx_has_nothing_to_commit() {
        let tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        assert!(tx.finish().is_none());
    }

    #[test]
    fn records_round_trip_and_secrets_are_sealed() {
        let kek = Arc::new(Kek::generate());
        let mut tx = Tx::new(Arc::new(State::default()), Arc::clone(&kek));
        tx.put(user("bob", "AIDA2")).unwrap();
        tx.put(key("AKIA1", KeyOwner::User("AIDA2".into())))
            .unwrap();
        let (changes, _) = tx.finish().unwrap();
        let records: Vec<Record> = changes
            .into_iter()
            .map(|c| match c {
                Change::Put(r) => r,
                Change::Delete { .. } => unreachable!(),
            })
            .collect();
        let stored = String::from_utf8_lossy(&records[1].value).into_owned();
        assert!(!stored.contains(&"s".repeat(40)), "secret sealed: {stored}");
        let state = State::from_records(&records, 7, &kek).unwrap();
        assert_eq!(state.seq, 7);
        assert_eq!(state.user_by_id("AIDA2").unwrap().name, "bob");
        assert_eq!(state.access_keys["AKIA1"].secret.expose(), "s".repeat(40));
        // Another key-encryption key cannot open it.
        assert!(State::from_records(&records, 7, &Kek::generate()).is_err());
        // A sealed secret moved to another key ID does not open (bound by its AAD).
        let mut moved = records[1].clone();
        let text = String::from_utf8(moved.value)
            .unwrap()
            .replace("\"id\":\"AKIA1\"", "\"id\":\"AKIA2\"");
        moved.value = text.into_bytes();
        moved.key = "AKIA2".into();
        assert!(State::from_records(&[records[0].clone(), moved], 7, &kek).is_err());
    }
}
