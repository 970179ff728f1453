//! `Principal` and `NotPrincipal` read for comparison: whether every caller one statement
//! names, another names too, with the engine's matching (`oxiam-policy`'s `principal`
//! module): `*` and `{"AWS":"*"}` name everyone, an account (ID or root ARN) names every
//! principal of the account, a `NotPrincipal` names everyone it does not exclude. A
//! reference policy of `CheckNoNewAccess` may use wildcards in `AWS` principal ARNs (the
//! engine accepts none): such a pattern names every principal whose ARN, or whose role's
//! ARN, it matches.
//!
//! # Soundness
//! [`PrincipalSpec::covers`] says yes only when it holds for every caller; what it cannot
//! compare counts as no.

use serde_json::Value;

use crate::pattern::{Glob, Role, Syntax};

/// The principals a `Principal` element lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Principals {
    /// `*`, `{"AWS":"*"}` or `{"Service":"*"}`: every caller.
    pub(crate) anyone: bool,
    /// (`AWS` | `Service` | `Federated` | `CanonicalUser`, value); an account's root ARN is
    /// kept as its 12-digit ID, the form the engine reads it in.
    pub(crate) entries: Vec<(String, String)>,
}

/// A statement's principal element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum PrincipalSpec {
    /// None: identity policies (the caller is whoever holds the policy).
    #[default]
    Holder,
    /// `Principal`.
    Is(Principals),
    /// `NotPrincipal`.
    Not(Principals),
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account of an IAM or STS principal ARN (`arn:aws:iam::123456789012:user/x`).
fn arn_account(v: &str) -> Option<&str> {
    let mut parts = v.splitn(6, ':');
    let (arn, _, service, _, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (arn == "arn" && matches!(service, "iam" | "sts") && is_account_id(account)).then_some(account)
}

impl Principals {
    fn read(v: &Value) -> Principals {
        let mut out = Principals::default();
        match v {
            Value::String(s) if s == "*" => out.anyone = true,
            Value::Object(kinds) => {
                for (kind, values) in kinds {
                    let values: Vec<&str> = match values {
                        Value::String(s) => vec![s.as_str()],
                        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                        _ => Vec::new(),
                    };
                    for value in values {
                        if value == "*" && matches!(kind.as_str(), "AWS" | "Service") {
                            out.anyone = true;
                        }
                        let value = match (kind.as_str(), arn_account(value)) {
                            ("AWS", Some(acct)) if value.ends_with(":root") => acct.to_owned(),
                            _ => value.to_owned(),
                        };
                        out.entries.push((kind.clone(), value));
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// Every caller `other` names, `self` names.
    fn includes(&self, other: &Principals) -> bool {
        if self.anyone {
            return true;
        }
        if other.anyone {
            return false;
        }
        other.entries.iter().all(|(kind, value)| {
            self.entries.contains(&(kind.clone(), value.clone()))
                || (kind == "AWS"
                    && arn_account(value).is_some_and(|acct| {
                        self.entries.contains(&("AWS".to_owned(), acct.to_owned()))
                    }))
                || (kind == "AWS" && self.patterns_include(value))
        })
    }

    /// A wildcard `AWS` entry of `self` names every principal the `AWS` entry `value`
    /// names: an ARN (a user, a role and its sessions) or an account (every IAM and STS
    /// principal ARN of the account).
    fn patterns_include(&self, value: &str) -> bool {
        let syntax = Syntax {
            wildcards: true,
            variables: false,
            fold: false,
        };
        let named: Vec<String> = if is_account_id(value) {
            vec![
                format!("arn:aws:iam::{value}:*"),
                format!("arn:aws:sts::{value}:*"),
            ]
        } else if value.starts_with("arn:") && !value.contains(['*', '?']) {
            vec![value.to_owned()]
        } else {
            return false;
        };
        self.entries
            .iter()
            .filter(|(k, p)| k == "AWS" && p.contains(['*', '?']))
            .any(|(_, p)| {
                let pattern = Glob::new(p, Role::Including, syntax);
                named
                    .iter()
                    .all(|n| pattern.includes(&Glob::new(n, Role::Included, syntax)))
            })
    }
}

impl PrincipalSpec {
    /// Reads a statement's `Principal` or `NotPrincipal`.
    pub(crate) fn read(statement: &Value) -> PrincipalSpec {
        if let Some(p) = statement.get("Principal") {
            PrincipalSpec::Is(Principals::read(p))
        } else if let Some(p) = statement.get("NotPrincipal") {
            PrincipalSpec::Not(Principals::read(p))
        } else {
            PrincipalSpec::Holder
        }
    }

    /// Every caller `other` names, `self` names.
    pub(crate) fn covers(&self, other: &PrincipalSpec) -> bool {
        match (self, other) {
            (PrincipalSpec::Holder, _) => true,
            (PrincipalSpec::Is(a), PrincipalSpec::Is(b)) => a.includes(b),
            (PrincipalSpec::Is(a), PrincipalSpec::Not(_)) => a.anyone,
            // `self` excludes no more than `other` does: the engine excludes a caller when
            // the list names it, and a longer list names more.
            (PrincipalSpec::Not(a), PrincipalSpec::Not(b)) => {
                !a.anyone && a.entries.iter().all(|e| b.entries.contains(e))
            }
            (PrincipalSpec::Not(a), PrincipalSpec::Is(_)) => !a.anyone && a.entries.is_empty(),
            (_, PrincipalSpec::Holder) => false,
        }
    }

    /// Names every caller (`*`, or a `NotPrincipal` that excludes nobody).
    pub(crate) fn is_everyone(&self) -> bool {
        match self {
            PrincipalSpec::Holder => false,
            PrincipalSpec::Is(p) => p.anyone,
            PrincipalSpec::Not(p) => !p.anyone && p.entries.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> PrincipalSpec {
        PrincipalSpec::read(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn principal_inclusion() {
        let star = spec(r#"{"Principal":"*"}"#);
        let aws_star = spec(r#"{"Principal":{"AWS":"*"}}"#);
        let acct = spec(r#"{"Principal":{"AWS":"arn:aws:iam::111122223333:root"}}"#);
        let acct_id = spec(r#"{"Principal":{"AWS":"111122223333"}}"#);
        let user = spec(r#"{"Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"}}"#);
        let other = spec(r#"{"Principal":{"AWS":"arn:aws:iam::444455556666:user/bob"}}"#);
        assert!(star.covers(&aws_star) && aws_star.covers(&star));
        assert!(acct.covers(&acct_id) && acct_id.covers(&acct));
        assert!(acct.covers(&user) && !user.covers(&acct));
        assert!(!acct.covers(&other) && !user.covers(&star));
        let not_user = spec(r#"{"NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"}}"#);
        assert!(star.covers(&not_user) && !not_user.covers(&star) && !acct.covers(&not_user));
        assert!(star.is_everyone() && !acct.is_everyone() && !not_user.is_everyone());
    }

    #[test]
    fn reference_policy_wildcards() {
        let any_role = spec(r#"{"Principal":{"AWS":"arn:aws:iam::*:role/*"}}"#);
        let role = spec(r#"{"Principal":{"AWS":"arn:aws:iam::111122223333:role/r"}}"#);
        let user = spec(r#"{"Principal":{"AWS":"arn:aws:iam::111122223333:user/u"}}"#);
        let acct = spec(r#"{"Principal":{"AWS":"111122223333"}}"#);
        assert!(any_role.covers(&role) && !any_role.covers(&user) && !any_role.covers(&acct));
        let whole = spec(
            r#"{"Principal":{"AWS":["arn:aws:iam::111122223333:*","arn:aws:sts::111122223333:*"]}}"#,
        );
        let iam_only = spec(r#"{"Principal":{"AWS":"arn:aws:iam::111122223333:*"}}"#);
        // An account's principals are IAM and STS ARNs: `iam` alone does not name them all.
        assert!(!iam_only.covers(&acct) && whole.covers(&role));
        let one_pattern = spec(r#"{"Principal":{"AWS":"arn:aws:*::111122223333:*"}}"#);
        assert!(one_pattern.covers(&acct) && one_pattern.covers(&user));
        assert!(!role.covers(&any_role));
    }
}
