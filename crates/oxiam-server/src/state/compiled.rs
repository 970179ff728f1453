//! The compiled form of every identity policy document in the snapshot, kept in step with
//! the entities that hold the documents, so no request compiles a policy.
//!
//! A stored document that no longer compiles (an engine upgrade that rejects it) fails
//! closed: every request of a principal it applies to is denied.

use std::sync::Arc;

use imbl::{OrdMap, OrdSet};
use oxiam_policy::{Policy, PolicyKind};

use crate::model::{Group, InlinePolicies, ManagedPolicy};

/// Separates the parts of a cache key; cannot occur in names or store keys.
const SEP: char = '\u{1}';

/// The compiled form of every identity policy document in the snapshot: inline policies of
/// users, groups and roles, and the default version of each customer managed policy. AWS
/// managed policies compile once in their catalogue.
///
/// INVARIANT (compiled-in-step): an entry exists for each inline policy and each customer
/// managed policy in the snapshot, compiled from its current document; `None` when the
/// document does not compile. Maintained by the `on_put`/`on_delete` hooks of `User`,
/// `Group`, `Role` and `ManagedPolicy` (state.rs).
///
/// INVARIANT (groups-of-user): `groups_of` maps each user ID to the store keys of the
/// groups it is a member of; maintained by `Group`'s hooks.
#[derive(Debug, Clone, Default)]
pub struct CompiledPolicies {
    pub(crate) entries: OrdMap<String, Option<Arc<Policy>>>,
    pub(crate) groups_of: OrdMap<String, OrdSet<String>>,
}

fn compile(document: &str, what: &str) -> Option<Arc<Policy>> {
    // Stored documents were validated when written; the size quota was checked then too.
    let options = oxiam_policy::ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    match Policy::parse_with(document, PolicyKind::Identity, &options) {
        Ok(p) => Some(Arc::new(p)),
        Err(e) => {
            tracing::warn!(
                policy = what,
                error = e.message(),
                "stored policy does not compile; it denies"
            );
            None
        }
    }
}

impl CompiledPolicies {
    fn inline_prefix(table: &str, entity_key: &str) -> String {
        format!("{table}{SEP}{entity_key}{SEP}")
    }

    fn managed_key(policy_key: &str) -> String {
        format!("policy{SEP}{policy_key}")
    }

    /// Replaces the compiled inline policies of one user, group or role.
    pub fn put_inline(&mut self, table: &str, entity_key: &str, policies: &InlinePolicies) {
        self.remove_inline(table, entity_key);
        let prefix = Self::inline_prefix(table, entity_key);
        for (name, document) in policies {
            let key = format!("{prefix}{name}");
            let compiled = compile(document, &key);
            self.entries.insert(key, compiled);
        }
    }

    pub fn remove_inline(&mut self, table: &str, entity_key: &str) {
        let prefix = Self::inline_prefix(table, entity_key);
        let keys: Vec<String> = self
            .entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in keys {
            self.entries.remove(&k);
        }
    }

    /// A group entered the snapshot (`old`: the version it replaces).
    pub fn put_group(&mut self, key: &str, old: Option<&Group>, group: &Group) {
        if let Some(old) = old {
            self.forget_members(key, old);
        }
        for member in &group.members {
            self.groups_of
                .entry(member.clone())
                .or_default()
                .insert(key.to_owned());
        }
        self.put_inline("group", key, &group.inline_policies);
    }

    pub fn remove_group(&mut self, key: &str, group: &Group) {
        self.forget_members(key, group);
        self.remove_inline("group", key);
    }

    fn forget_members(&mut self, key: &str, group: &Group) {
        for member in &group.members {
            if let Some(keys) = self.groups_of.get_mut(member) {
                keys.remove(key);
                if keys.is_empty() {
                    self.groups_of.remove(member);
                }
            }
        }
    }

    /// The store keys of the groups a user is a member of.
    pub(crate) fn groups_of<'a>(&'a self, user_id: &str) -> impl Iterator<Item = &'a String> + 'a {
        self.groups_of.get(user_id).into_iter().flatten()
    }

    /// Compiles the default version of a customer managed policy.
    pub fn put_managed(&mut self, policy_key: &str, policy: &ManagedPolicy) {
        let compiled = policy
            .default_document()
            .and_then(|d| compile(d, &policy.arn()));
        self.entries.insert(Self::managed_key(policy_key), compiled);
    }

    pub fn remove_managed(&mut self, policy_key: &str) {
        self.entries.remove(&Self::managed_key(policy_key));
    }

    /// The compiled inline policies of one entity, with their names, in name order.
    pub fn inline<'a>(
        &'a self,
        table: &str,
        entity_key: &str,
    ) -> impl Iterator<Item = (&'a str, Option<&'a Policy>)> + 'a {
        let prefix = Self::inline_prefix(table, entity_key);
        let len = prefix.len();
        self.entries
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(move |(k, v)| (k.get(len..).unwrap_or_default(), v.as_deref()))
    }

    pub fn managed(&self, policy_key: &str) -> Option<&Policy> {
        self.entries
            .get(&Self::managed_key(policy_key))
            .and_then(|p| p.as_deref())
    }
}
