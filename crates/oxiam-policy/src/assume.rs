//! Reading a policy for every value of the context keys a question leaves open: which
//! statements depend on such keys, and a copy of the policy in which each of them is
//! decided one way (its open conditions hold) or the other (it never applies).
//!
//! For analyses that must be sound over all requests that differ only in open keys (`who
//! can do X on Y`): evaluating the copy where every open allow holds and every open deny
//! never applies gives an upper bound of what is allowed; the copy where open allows never
//! apply and open denies hold gives a lower bound. The hot path never calls this.

use crate::condition::Condition;
use crate::policy::{Policy, Statement, StatementEffect};

/// One condition of a statement that reads an open key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenCondition {
    /// The operator as written in policies (`StringEquals`, `ForAnyValue:StringLike`,
    /// `IpAddressIfExists`).
    pub operator: String,
    /// The condition key as written (lowercased by the engine).
    pub key: String,
}

/// A principal an `Allow` statement of a trust or resource policy names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum NamedPrincipal {
    /// `"*"` (or `"AWS": "*"`): anyone.
    Anyone,
    /// An account (12-digit ID or root ARN), by its ID: it delegates to its principals'
    /// identity policies.
    Account(String),
    /// A user, role, assumed-role or federated-user ARN.
    Arn(String),
    /// A unique ID (`AIDA…`, `AROA…`).
    UniqueId(String),
    /// An AWS service (`ec2.amazonaws.com`).
    Service(String),
    /// An identity provider (`Federated`).
    Federated(String),
    /// `NotPrincipal`: everyone but the listed ones.
    Excluding,
}

impl Policy {
    /// The conditions of statement `index` that read a key for which `open` is true (their
    /// own key, or a variable in their values), and whether its `Resource`/`NotResource`
    /// names an open key in a variable (then the resource matches for some values only).
    pub fn open_conditions(
        &self,
        index: usize,
        open: &dyn Fn(&str) -> bool,
    ) -> (Vec<OpenCondition>, bool) {
        let Some(st) = self.inner.statements.get(index) else {
            return (Vec::new(), false);
        };
        let conditions = st
            .conditions
            .iter()
            .filter(|c| c.reads(open))
            .map(|c| OpenCondition {
                operator: c.operator_name(),
                key: c.key().to_owned(),
            })
            .collect();
        (conditions, resource_reads(st, open))
    }

    /// The principals the `Allow` statements name, each once, sorted (`CanonicalUser`
    /// values are left out: no oxiam principal has one).
    pub fn principals(&self) -> Vec<NamedPrincipal> {
        let mut out: Vec<NamedPrincipal> = Vec::new();
        for st in &self.inner.statements {
            if st.effect != StatementEffect::Allow {
                continue;
            }
            match &st.principal {
                None => {}
                Some((_, true)) => out.push(NamedPrincipal::Excluding),
                Some((set, false)) => set.named(&mut out),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// True if some statement reads an open key (see `open_conditions`). Cheap: no
    /// allocation; a policy without conditions or variables answers at once.
    pub fn reads_open_keys(&self, open: &dyn Fn(&str) -> bool) -> bool {
        self.inner
            .statements
            .iter()
            .any(|st| statement_reads(st, open))
    }

    /// A copy in which each statement that reads an open key is decided: when
    /// `holds(effect)` its open conditions are dropped (and an open variable in its resource
    /// makes it match every resource); otherwise it never applies. Statements keep their
    /// positions and Sids, so decisions on the copy name the original statements. `None`
    /// when no statement reads an open key (use the policy itself).
    pub fn assuming(
        &self,
        open: &dyn Fn(&str) -> bool,
        holds: &dyn Fn(StatementEffect) -> bool,
    ) -> Option<Policy> {
        if !self.reads_open_keys(open) {
            return None;
        }
        let c = &*self.inner;
        let statements: Box<[Statement]> = c
            .statements
            .iter()
            .map(|st| {
                if !statement_reads(st, open) {
                    return st.clone();
                }
                let mut st = st.clone();
                if holds(st.effect) {
                    st.conditions = st
                        .conditions
                        .iter()
                        .filter(|cond| !cond.reads(open))
                        .cloned()
                        .collect();
                    if resource_reads(&st, open) {
                        // Some value of the open key may name the request's resource.
                        st.resources = None;
                        st.not_resource = false;
                    }
                } else {
                    st.conditions = Box::new([Condition::constant(false)]);
                }
                st
            })
            .collect();
        Some(Policy {
            inner: std::sync::Arc::new(crate::policy::Compiled {
                kind: c.kind,
                version: c.version,
                id: c.id.clone(),
                statements,
                index: c.index.clone(),
                has_deny: c.has_deny,
            }),
        })
    }
}

fn statement_reads(st: &Statement, open: &dyn Fn(&str) -> bool) -> bool {
    st.conditions.iter().any(|c| c.reads(open)) || resource_reads(st, open)
}

fn resource_reads(st: &Statement, open: &dyn Fn(&str) -> bool) -> bool {
    st.resources
        .iter()
        .flatten()
        .any(|r| r.variable_keys().iter().any(|k| open(k)))
}

#[cfg(test)]
mod tests {
    use crate::{
        Context, Effect, NamedPolicy, PolicyKind, PolicySet, Principal, PrincipalType, Request,
        StatementEffect, evaluate,
    };

    use super::*;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"Ip","Effect":"Allow","Action":"s3:GetObject","Resource":"*",
         "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
                      "StringEquals":{"aws:PrincipalAccount":"111122223333"}}},
        {"Sid":"Tag","Effect":"Deny","Action":"s3:GetObject",
         "Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team}/*"},
        {"Sid":"Plain","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#;

    fn decide(p: &Policy, account: &str, ctx: &mut Context) -> Effect {
        let principal = Principal {
            arn: "arn:aws:iam::111122223333:user/u",
            account,
            kind: PrincipalType::User,
            role_arn: None,
            user_id: "AIDA",
        };
        ctx.insert("aws:PrincipalAccount", account);
        let request = Request {
            principal,
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/red/k",
            resource_account: None,
            context: ctx,
        };
        let identity = [NamedPolicy {
            name: "p",
            policy: p,
        }];
        let set = PolicySet {
            identity: &identity,
            ..PolicySet::default()
        };
        evaluate(&request, &set).effect
    }

    #[test]
    fn open_conditions_are_listed_and_fixed_ones_kept() {
        let p = Policy::parse(DOC, PolicyKind::Identity).unwrap();
        let open = |k: &str| k == "aws:sourceip" || k.starts_with("aws:principaltag/");
        let (c, res) = p.open_conditions(0, &open);
        assert_eq!(
            c,
            [OpenCondition {
                operator: "IpAddress".into(),
                key: "aws:sourceip".into()
            }]
        );
        assert!(!res);
        assert_eq!(p.open_conditions(1, &open), (Vec::new(), true));
        assert_eq!(p.open_conditions(2, &open), (Vec::new(), false));
        assert!(p.reads_open_keys(&open));
        assert!(!p.reads_open_keys(&|_| false));
        assert!(p.assuming(&|_| false, &|_| true).is_none());

        // Upper bound: the open allow holds, the open deny never applies; the fixed
        // condition on the principal account still decides.
        let upper = p.assuming(&open, &|e| e == StatementEffect::Allow).unwrap();
        assert_eq!(
            decide(&upper, "111122223333", &mut Context::new()),
            Effect::Allow
        );
        assert_eq!(
            decide(&upper, "999988887777", &mut Context::new()),
            Effect::ImplicitDeny
        );
        // Lower bound: the open deny applies to every resource, the open allow never.
        let lower = p.assuming(&open, &|e| e == StatementEffect::Deny).unwrap();
        assert_eq!(
            decide(&lower, "111122223333", &mut Context::new()),
            Effect::ExplicitDeny
        );
        // The original, with no value for either key, denies implicitly.
        assert_eq!(
            decide(&p, "111122223333", &mut Context::new()),
            Effect::ImplicitDeny
        );
        assert_eq!(upper.statement(1).unwrap().sid, Some("Tag"));
    }
}
