//! The `Principal` / `NotPrincipal` element: parsing its forms (`"*"`, `AWS` account IDs and
//! ARNs, `Service`, `Federated`, `CanonicalUser`) and matching them against the request's
//! principal, reporting *how* it matched — the evaluation rules for resource-based policies
//! depend on whether the policy named the session, the role, the user or only the account.

use crate::context::{Principal, PrincipalType};

/// How a `Principal` element matched the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalMatch {
    /// Named through the account (`123456789012` or `arn:aws:iam::123456789012:root`): the
    /// account delegates to its own identity policies.
    Account,
    /// Named through the role ARN (or role unique ID) of a role session.
    Role,
    /// Named exactly: the IAM user, the role session, the federated user, the service, the
    /// identity provider, or everyone (`*`).
    Exact,
}

/// One entry of the `AWS` list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AwsPrincipal {
    /// `*`.
    Anyone,
    /// A 12-digit account ID or the account's root ARN.
    Account(Box<str>),
    /// A user, role, assumed-role or federated-user ARN.
    Arn(Box<str>),
    /// A unique ID (`AIDA…`, `AROA…`), as AWS shows principals whose entity was deleted.
    UniqueId(Box<str>),
}

/// A compiled `Principal` or `NotPrincipal` value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct PrincipalSet {
    anyone: bool,
    aws: Vec<AwsPrincipal>,
    service: Vec<Box<str>>,
    federated: Vec<Box<str>>,
    canonical_user: Vec<Box<str>>,
}

/// Why a principal value is rejected: AWS's `Invalid principal in policy: "AWS":"value"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidPrincipal {
    pub message: String,
}

impl InvalidPrincipal {
    fn new(kind: &str, value: &str) -> Self {
        Self {
            message: format!("Invalid principal in policy: \"{kind}\":\"{value}\""),
        }
    }
}

impl PrincipalSet {
    /// Lists the principals named (for `Policy::principals`).
    pub(crate) fn named(&self, out: &mut Vec<crate::assume::NamedPrincipal>) {
        use crate::assume::NamedPrincipal as N;
        if self.anyone {
            out.push(N::Anyone);
        }
        for a in &self.aws {
            out.push(match a {
                AwsPrincipal::Anyone => N::Anyone,
                AwsPrincipal::Account(id) => N::Account(id.to_string()),
                AwsPrincipal::Arn(arn) => N::Arn(arn.to_string()),
                AwsPrincipal::UniqueId(id) => N::UniqueId(id.to_string()),
            });
        }
        out.extend(self.service.iter().map(|s| N::Service(s.to_string())));
        out.extend(self.federated.iter().map(|s| N::Federated(s.to_string())));
    }

    /// `"Principal": "*"`.
    pub(crate) fn anyone() -> Self {
        Self {
            anyone: true,
            ..Self::default()
        }
    }

    /// Adds one value of the `kind` list (`AWS`, `Service`, `Federated`, `CanonicalUser`).
    /// `Err(None)` for an unknown kind (a syntax error), `Err(Some(_))` for a bad value.
    pub(crate) fn add(&mut self, kind: &str, value: &str) -> Result<(), Option<InvalidPrincipal>> {
        let invalid = || Some(InvalidPrincipal::new(kind, value));
        match kind {
            "AWS" => {
                let p = parse_aws(value).ok_or_else(invalid)?;
                if p == AwsPrincipal::Anyone {
                    self.anyone = true;
                }
                self.aws.push(p);
            }
            "Service" => {
                if value == "*" {
                    self.anyone = true;
                } else if value.is_empty() || value.contains(char::is_whitespace) {
                    return Err(invalid());
                }
                self.service.push(value.into());
            }
            "Federated" => {
                if value.is_empty() || value.contains(char::is_whitespace) {
                    return Err(invalid());
                }
                self.federated.push(value.into());
            }
            "CanonicalUser" => {
                if value.is_empty() {
                    return Err(invalid());
                }
                self.canonical_user.push(value.into());
            }
            _ => return Err(None),
        }
        Ok(())
    }

    /// How (if at all) this set names the caller; the strongest way wins.
    pub(crate) fn matches(&self, p: &Principal<'_>) -> Option<PrincipalMatch> {
        if self.anyone {
            return Some(PrincipalMatch::Exact);
        }
        let mut best = None;
        let mut note = |m: PrincipalMatch| best = best.max(Some(m));
        match p.kind {
            PrincipalType::Service => {
                if self.service.iter().any(|s| **s == *p.arn) {
                    note(PrincipalMatch::Exact);
                }
            }
            PrincipalType::WebIdentity | PrincipalType::Saml => {
                if self.federated.iter().any(|s| **s == *p.arn) {
                    note(PrincipalMatch::Exact);
                }
            }
            PrincipalType::Anonymous => {}
            PrincipalType::Account
            | PrincipalType::User
            | PrincipalType::AssumedRole
            | PrincipalType::FederatedUser => {
                let role_id = p.role_unique_id();
                for a in &self.aws {
                    match a {
                        AwsPrincipal::Anyone => note(PrincipalMatch::Exact),
                        AwsPrincipal::Account(acct) if **acct == *p.account => {
                            note(if p.kind == PrincipalType::Account {
                                PrincipalMatch::Exact
                            } else {
                                PrincipalMatch::Account
                            });
                        }
                        AwsPrincipal::Arn(arn) if **arn == *p.arn => note(PrincipalMatch::Exact),
                        AwsPrincipal::Arn(arn) if Some(&**arn) == p.role_arn => {
                            note(PrincipalMatch::Role);
                        }
                        AwsPrincipal::UniqueId(id) if Some(&**id) == role_id => {
                            note(PrincipalMatch::Role);
                        }
                        AwsPrincipal::UniqueId(id) if **id == *p.user_id => {
                            note(PrincipalMatch::Exact);
                        }
                        _ => {}
                    }
                }
            }
        }
        best
    }

    /// For `NotPrincipal`: true if the caller is excluded, meaning every identity AWS
    /// checks for it is listed — its account, and the principal itself (for a role session,
    /// the session or its role).
    pub(crate) fn excludes(&self, p: &Principal<'_>) -> bool {
        if self.anyone {
            return true;
        }
        match p.kind {
            PrincipalType::Account => self.matches(p).is_some(),
            PrincipalType::User | PrincipalType::AssumedRole | PrincipalType::FederatedUser => {
                let account_listed = self
                    .aws
                    .iter()
                    .any(|a| matches!(a, AwsPrincipal::Account(acct) if **acct == *p.account));
                account_listed
                    && matches!(
                        self.matches(p),
                        Some(PrincipalMatch::Exact | PrincipalMatch::Role)
                    )
            }
            PrincipalType::Service
            | PrincipalType::WebIdentity
            | PrincipalType::Saml
            | PrincipalType::Anonymous => self.matches(p).is_some(),
        }
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reads one `AWS` principal value.
fn parse_aws(v: &str) -> Option<AwsPrincipal> {
    if v == "*" {
        return Some(AwsPrincipal::Anyone);
    }
    if is_account_id(v) {
        return Some(AwsPrincipal::Account(v.into()));
    }
    if v.contains(['*', '?']) {
        // AWS does not accept wildcards inside principal names.
        return None;
    }
    if let Some(arn) = crate::arn::Arn::parse(v) {
        if !crate::arn::PARTITIONS.contains(&arn.partition) || !is_account_id(arn.account) {
            return None;
        }
        if !arn.region.is_empty() {
            return None;
        }
        let ok = match arn.service {
            "iam" => {
                arn.resource == "root"
                    || name_after(arn.resource, "user/")
                    || name_after(arn.resource, "role/")
            }
            "sts" => {
                arn.resource.strip_prefix("assumed-role/").is_some_and(|r| {
                    r.split_once('/')
                        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
                }) || name_after(arn.resource, "federated-user/")
            }
            _ => false,
        };
        if !ok {
            return None;
        }
        if arn.service == "iam" && arn.resource == "root" {
            return Some(AwsPrincipal::Account(arn.account.into()));
        }
        return Some(AwsPrincipal::Arn(v.into()));
    }
    // Unique IDs: AIDA (user), AROA (role), and other four-letter prefixes, then base32-ish.
    if v.len() >= 16 && v.starts_with('A') && v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some(AwsPrincipal::UniqueId(v.into()));
    }
    None
}

/// True if `resource` is `prefix` followed by a non-empty path/name.
fn name_after(resource: &str, prefix: &str) -> bool {
    resource
        .strip_prefix(prefix)
        .is_some_and(|rest| !rest.is_empty() && !rest.ends_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(kind: &str, values: &[&str]) -> PrincipalSet {
        let mut s = PrincipalSet::default();
        for v in values {
            s.add(kind, v).unwrap();
        }
        s
    }

    const SESSION: Principal<'static> = Principal {
        arn: "arn:aws:sts::111122223333:assumed-role/Admin/bob",
        account: "111122223333",
        kind: PrincipalType::AssumedRole,
        role_arn: Some("arn:aws:iam::111122223333:role/Admin"),
        user_id: "AROAEXAMPLEROLEID1:bob",
    };

    const USER: Principal<'static> = Principal {
        arn: "arn:aws:iam::111122223333:user/alice",
        account: "111122223333",
        kind: PrincipalType::User,
        role_arn: None,
        user_id: "AIDAEXAMPLEUSERID1",
    };

    #[test]
    fn validates_aws_values() {
        let mut s = PrincipalSet::default();
        for ok in [
            "*",
            "111122223333",
            "arn:aws:iam::111122223333:root",
            "arn:aws:iam::111122223333:user/path/alice",
            "arn:aws:iam::111122223333:role/Admin",
            "arn:aws:sts::111122223333:assumed-role/Admin/bob",
            "arn:aws:sts::111122223333:federated-user/carol",
            "AIDAEXAMPLEUSERID1",
        ] {
            assert!(s.add("AWS", ok).is_ok(), "{ok}");
        }
        for bad in [
            "foo",
            "11112222333",
            "arn:aws:iam::111122223333:group/devs",
            "arn:aws:iam::111122223333:role/*",
            "arn:aws:iam::*:root",
            "arn:aws:s3:::bucket",
            "arn:aws:iam:us-east-1:111122223333:user/a",
        ] {
            let err = s.add("AWS", bad).unwrap_err().unwrap();
            assert_eq!(
                err.message,
                format!("Invalid principal in policy: \"AWS\":\"{bad}\"")
            );
        }
        assert_eq!(s.add("Bogus", "x"), Err(None));
    }

    #[test]
    fn match_strength() {
        let by_session = set("AWS", &["arn:aws:sts::111122223333:assumed-role/Admin/bob"]);
        assert_eq!(by_session.matches(&SESSION), Some(PrincipalMatch::Exact));
        let by_role = set("AWS", &["arn:aws:iam::111122223333:role/Admin"]);
        assert_eq!(by_role.matches(&SESSION), Some(PrincipalMatch::Role));
        let by_role_id = set("AWS", &["AROAEXAMPLEROLEID1"]);
        assert_eq!(by_role_id.matches(&SESSION), Some(PrincipalMatch::Role));
        let by_account = set("AWS", &["111122223333"]);
        assert_eq!(by_account.matches(&SESSION), Some(PrincipalMatch::Account));
        assert_eq!(by_account.matches(&USER), Some(PrincipalMatch::Account));
        let by_user = set("AWS", &["arn:aws:iam::111122223333:user/alice"]);
        assert_eq!(by_user.matches(&USER), Some(PrincipalMatch::Exact));
        assert_eq!(by_user.matches(&SESSION), None);
        let other = set("AWS", &["444455556666"]);
        assert_eq!(other.matches(&USER), None);
        assert_eq!(
            PrincipalSet::anyone().matches(&USER),
            Some(PrincipalMatch::Exact)
        );
        let svc = set("Service", &["ec2.amazonaws.com"]);
        let ec2 = Principal::service("ec2.amazonaws.com");
        assert_eq!(svc.matches(&ec2), Some(PrincipalMatch::Exact));
        assert_eq!(svc.matches(&USER), None);
    }

    #[test]
    fn not_principal_needs_account_and_principal() {
        let only_user = set("AWS", &["arn:aws:iam::111122223333:user/alice"]);
        assert!(!only_user.excludes(&USER));
        let both = set(
            "AWS",
            &[
                "arn:aws:iam::111122223333:user/alice",
                "arn:aws:iam::111122223333:root",
            ],
        );
        assert!(both.excludes(&USER));
        assert!(!both.excludes(&SESSION));
    }
}
