//! The request context: who is asking (`Principal`) and the condition keys of the request
//! (`Context`), with case-insensitive key lookup that does not allocate.

use std::cell::Cell;

use crate::action::key_hash;

/// The kind of principal making a request, as `aws:PrincipalType` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalType {
    /// The account root user (`arn:aws:iam::123456789012:root`).
    Account,
    /// An IAM user.
    User,
    /// A role session (`arn:aws:sts::123456789012:assumed-role/name/session`).
    AssumedRole,
    /// A `GetFederationToken` session (`arn:aws:sts::123456789012:federated-user/name`).
    FederatedUser,
    /// An AWS service principal (`ec2.amazonaws.com`); `arn` is the service name.
    Service,
    /// An unauthenticated caller.
    Anonymous,
    /// A web identity (OIDC) caller of `AssumeRoleWithWebIdentity`; `arn` is the provider
    /// (`arn:aws:iam::123456789012:oidc-provider/…` or `accounts.google.com`).
    WebIdentity,
    /// A SAML caller of `AssumeRoleWithSAML`; `arn` is the SAML provider ARN.
    Saml,
}

impl PrincipalType {
    /// The value of `aws:PrincipalType` for this kind, if AWS sets one.
    pub fn condition_value(self) -> Option<&'static str> {
        match self {
            Self::Account => Some("Account"),
            Self::User => Some("User"),
            Self::AssumedRole => Some("AssumedRole"),
            Self::FederatedUser => Some("FederatedUser"),
            Self::Anonymous => Some("Anonymous"),
            Self::Service | Self::WebIdentity | Self::Saml => None,
        }
    }
}

/// Who is making the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal<'a> {
    /// The principal's ARN: the session ARN for role sessions, the service name for services,
    /// the provider for web identity and SAML callers, empty for anonymous.
    pub arn: &'a str,
    /// The principal's account (empty for services, anonymous and federated callers).
    pub account: &'a str,
    /// What kind of principal this is.
    pub kind: PrincipalType,
    /// For `AssumedRole`: the role's ARN (`arn:aws:iam::acct:role/path/name`) — resource and
    /// trust policies may name either the session ARN or the role ARN.
    pub role_arn: Option<&'a str>,
    /// The value of `aws:userid`: `AIDA…` for users, `AROA…:session` for role sessions, the
    /// account ID for root, `account:name` for federated users.
    pub user_id: &'a str,
}

impl<'a> Principal<'a> {
    /// The account root of `account` (`arn` must be `arn:aws:iam::<account>:root`).
    pub fn root(arn: &'a str, account: &'a str) -> Self {
        Self {
            arn,
            account,
            kind: PrincipalType::Account,
            role_arn: None,
            user_id: account,
        }
    }

    /// The AWS service `name` (`ec2.amazonaws.com`), which has no account and no user ID.
    pub fn service(name: &'a str) -> Self {
        Self {
            arn: name,
            account: "",
            kind: PrincipalType::Service,
            role_arn: None,
            user_id: "",
        }
    }

    /// The role's unique ID part of `user_id` for role sessions (`AROA…`), which resource
    /// policies may name instead of the role ARN.
    pub(crate) fn role_unique_id(&self) -> Option<&'a str> {
        match self.kind {
            PrincipalType::AssumedRole => self.user_id.split_once(':').map(|(id, _)| id),
            _ => None,
        }
    }

    /// The last path element of the ARN's resource: the user name, or the session name.
    fn name(&self) -> &'a str {
        self.arn.rsplit('/').next().unwrap_or("")
    }
}

/// One context key's value: a single string or a set of strings (multivalued keys such as
/// `aws:TagKeys`). Numbers, dates, booleans and IPs are passed as their string forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContextValue {
    /// A single-valued key.
    Single(String),
    /// A multivalued key; may be empty.
    Multi(Vec<String>),
}

impl ContextValue {
    /// The values as a slice-like iterator.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let (one, many): (Option<&str>, &[String]) = match self {
            Self::Single(s) => (Some(s), &[]),
            Self::Multi(v) => (None, v),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }

    /// The single value, or `None` for a multivalued key.
    pub fn single(&self) -> Option<&str> {
        match self {
            Self::Single(s) => Some(s),
            Self::Multi(_) => None,
        }
    }

    /// True if there is no value at all (an empty multivalued key).
    pub fn is_empty(&self) -> bool {
        matches!(self, Self::Multi(v) if v.is_empty())
    }
}

impl From<&str> for ContextValue {
    fn from(s: &str) -> Self {
        Self::Single(s.to_owned())
    }
}

impl From<String> for ContextValue {
    fn from(s: String) -> Self {
        Self::Single(s)
    }
}

impl From<bool> for ContextValue {
    fn from(b: bool) -> Self {
        Self::Single(if b { "true" } else { "false" }.to_owned())
    }
}

impl From<i64> for ContextValue {
    fn from(n: i64) -> Self {
        Self::Single(n.to_string())
    }
}

impl From<Vec<String>> for ContextValue {
    fn from(v: Vec<String>) -> Self {
        Self::Multi(v)
    }
}

impl From<&[&str]> for ContextValue {
    fn from(v: &[&str]) -> Self {
        Self::Multi(v.iter().map(|s| (*s).to_owned()).collect())
    }
}

impl<const N: usize> From<[&str; N]> for ContextValue {
    fn from(v: [&str; N]) -> Self {
        Self::Multi(v.iter().map(|s| (*s).to_owned()).collect())
    }
}

/// The condition keys of a request. Keys are case-insensitive (`aws:SourceIp` and
/// `AWS:SOURCEIP` are one key); inserting a key again replaces its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    // INVARIANT (sorted-lowercase): keys are ASCII-lowercased and sorted by (length,
    // `key_hash`), so a lookup with a lowercased key and its hash is a binary search without
    // allocation that compares integers, and the text once, at the hit.
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// (length of `key`, `key_hash(key)`): the search key.
    order: (usize, u64),
    key: String,
    value: ContextValue,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`, replacing any earlier value.
    pub fn insert(&mut self, key: &str, value: impl Into<ContextValue>) {
        let key = key.to_ascii_lowercase();
        let hash = key_hash(&key);
        let value = value.into();
        // INVARIANT (sorted-lowercase): maintained by inserting at the search position.
        match self.search(&key, hash) {
            Ok(i) => {
                if let Some(slot) = self.entries.get_mut(i) {
                    slot.value = value;
                }
            }
            Err(i) => self.entries.insert(
                i,
                Entry {
                    order: (key.len(), hash),
                    key,
                    value,
                },
            ),
        }
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) -> Option<ContextValue> {
        let key = key.to_ascii_lowercase();
        let i = self.search(&key, key_hash(&key)).ok()?;
        Some(self.entries.remove(i).value)
    }

    /// The value of `key` (any case).
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            let key = key.to_ascii_lowercase();
            self.get_hashed(&key, key_hash(&key))
        } else {
            self.get_hashed(key, key_hash(key))
        }
    }

    /// Lookup with a lowercased key and its `key_hash`, computed when the policy was
    /// compiled: the hot path.
    pub(crate) fn get_hashed(&self, key: &str, hash: u64) -> Option<&ContextValue> {
        let i = self.search(key, hash).ok()?;
        self.entries.get(i).map(|e| &e.value)
    }

    /// A single-valued key's value (lowercased key and its `key_hash`), for policy
    /// variables.
    pub(crate) fn variable(&self, key: &str, hash: u64) -> Option<&str> {
        self.get_hashed(key, hash).and_then(ContextValue::single)
    }

    /// `variable` with the context's own copy of the key.
    fn variable_entry(&self, key: &str, hash: u64) -> Option<(&str, &str)> {
        let e = self.entries.get(self.search(key, hash).ok()?)?;
        Some((e.key.as_str(), e.value.single()?))
    }

    /// `Ok(index)` of `key`, or `Err(index)` where it would go. Integers only until the
    /// hit; keys with equal (length, hash) can only be a hash collision, checked in turn.
    fn search(&self, key: &str, hash: u64) -> Result<usize, usize> {
        let order = (key.len(), hash);
        let from = self.entries.partition_point(|e| e.order < order);
        let same = self.entries.get(from..).unwrap_or(&[]);
        same.iter()
            .take_while(|e| e.order == order)
            .position(|e| e.key == key)
            .map(|i| from + i)
            .ok_or(from)
    }

    /// All entries, keys lowercased, shortest key first.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|e| (e.key.as_str(), &e.value))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no key is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A context with the global keys that `principal` implies, so every caller fills them
    /// the same way: `aws:PrincipalArn` (the role ARN for role sessions), `aws:PrincipalAccount`,
    /// `aws:PrincipalType`, `aws:userid`, `aws:username` (IAM users only),
    /// `aws:PrincipalIsAWSService` and `aws:PrincipalServiceName` (services), and
    /// `aws:PrincipalTag/<key>` for each of `tags`.
    pub fn for_principal(principal: &Principal<'_>, tags: &[(&str, &str)]) -> Self {
        let mut ctx = Self::new();
        let p = principal;
        match p.kind {
            PrincipalType::Service => {
                ctx.insert("aws:PrincipalIsAWSService", true);
                ctx.insert("aws:PrincipalServiceName", p.arn);
                return ctx;
            }
            PrincipalType::WebIdentity | PrincipalType::Saml => return ctx,
            PrincipalType::Anonymous => {
                ctx.insert("aws:PrincipalType", "Anonymous");
                ctx.insert("aws:userid", "anonymous");
                return ctx;
            }
            PrincipalType::Account
            | PrincipalType::User
            | PrincipalType::AssumedRole
            | PrincipalType::FederatedUser => {}
        }
        let arn = match (p.kind, p.role_arn) {
            (PrincipalType::AssumedRole, Some(role)) => role,
            _ => p.arn,
        };
        ctx.insert("aws:PrincipalArn", arn);
        ctx.insert("aws:PrincipalAccount", p.account);
        ctx.insert("aws:PrincipalIsAWSService", false);
        if let Some(t) = p.kind.condition_value() {
            ctx.insert("aws:PrincipalType", t);
        }
        ctx.insert("aws:userid", p.user_id);
        if p.kind == PrincipalType::User {
            ctx.insert("aws:username", p.name());
        }
        for (k, v) in tags {
            ctx.insert(&format!("aws:PrincipalTag/{k}"), *v);
        }
        ctx
    }
}

/// The policy variables resolved during one evaluation. A request's statements name the same
/// few (`aws:username`, a principal tag) again and again: each is looked up in the context
/// once. No allocation; variables beyond the first few, and missing ones, are looked up
/// each time.
pub(crate) struct Variables<'c> {
    ctx: &'c Context,
    resolved: [Cell<Option<Resolved<'c>>>; 4],
}

/// A resolved policy variable; `key` is the context's copy.
#[derive(Debug, Clone, Copy)]
struct Resolved<'c> {
    hash: u64,
    key: &'c str,
    value: &'c str,
}

impl<'c> Variables<'c> {
    pub(crate) fn new(ctx: &'c Context) -> Self {
        Self {
            ctx,
            resolved: Default::default(),
        }
    }

    /// The value of the policy variable `key` (lowercased, with its `key_hash`).
    pub(crate) fn get(&self, key: &str, hash: u64) -> Option<&'c str> {
        for slot in &self.resolved {
            match slot.get() {
                Some(r) if r.hash == hash && r.key == key => return Some(r.value),
                Some(_) => {}
                None => {
                    let (key, value) = self.ctx.variable_entry(key, hash)?;
                    slot.set(Some(Resolved { hash, key, value }));
                    return Some(value);
                }
            }
        }
        self.ctx.variable(key, hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_and_replace() {
        let mut c = Context::new();
        c.insert("aws:SourceIp", "10.0.0.1");
        c.insert("AWS:SOURCEIP", "10.0.0.2");
        assert_eq!(c.len(), 1);
        assert_eq!(c.get("aws:sourceip"), Some(&ContextValue::from("10.0.0.2")));
        c.insert("aws:TagKeys", ["a", "b"]);
        assert_eq!(
            c.get("aws:tagkeys").unwrap().values().collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(c.remove("Aws:TagKeys").is_some());
        assert!(c.get("aws:TagKeys").is_none());
    }

    #[test]
    fn principal_keys_for_a_user() {
        let p = Principal {
            arn: "arn:aws:iam::111122223333:user/division/alice",
            account: "111122223333",
            kind: PrincipalType::User,
            role_arn: None,
            user_id: "AIDAEXAMPLE",
        };
        let c = Context::for_principal(&p, &[("Team", "red")]);
        assert_eq!(c.get("aws:username").unwrap().single(), Some("alice"));
        assert_eq!(c.get("aws:PrincipalType").unwrap().single(), Some("User"));
        assert_eq!(
            c.get("aws:principaltag/team").unwrap().single(),
            Some("red")
        );
        assert_eq!(c.get("aws:PrincipalArn").unwrap().single(), Some(p.arn));
    }

    #[test]
    fn principal_keys_for_a_role_session() {
        let p = Principal {
            arn: "arn:aws:sts::111122223333:assumed-role/Admin/bob",
            account: "111122223333",
            kind: PrincipalType::AssumedRole,
            role_arn: Some("arn:aws:iam::111122223333:role/ops/Admin"),
            user_id: "AROAEXAMPLE:bob",
        };
        let c = Context::for_principal(&p, &[]);
        assert_eq!(
            c.get("aws:PrincipalArn").unwrap().single(),
            Some("arn:aws:iam::111122223333:role/ops/Admin")
        );
        assert!(c.get("aws:username").is_none());
        assert_eq!(
            c.get("aws:userid").unwrap().single(),
            Some("AROAEXAMPLE:bob")
        );
        assert_eq!(p.role_unique_id(), Some("AROAEXAMPLE"));
    }
}
