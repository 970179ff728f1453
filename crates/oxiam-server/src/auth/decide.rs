//! The bridge from the snapshot to the policy engine: materialises a principal's policies
//! (its own inline and attached ones, its groups', its permissions boundary) and the request
//! context, and asks `oxiam_policy::evaluate`.
//!
//! Documents are compiled once, when the entity holding them enters the snapshot
//! (`crate::state::compiled`), never per request.

use std::net::IpAddr;

use oxiam_policy::{
    Context, Effect, NamedPolicy, Policy, PolicySet, PolicyType, Principal, PrincipalType,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth::authn::{Caller, CallerKind};
use crate::auth::target::Target;
use crate::model::{Group, InlinePolicies, Role, User};
use crate::state::State;

/// A managed policy by ARN, compiled: a customer policy of the snapshot or an AWS managed
/// one. `None`: it does not exist or does not compile.
pub(crate) fn managed_policy<'s>(state: &'s State, arn: &str) -> Option<&'s Policy> {
    if arn.starts_with("arn:aws:iam::aws:policy/") {
        return crate::model::aws_managed::get(arn)
            .and_then(|p| p.policy())
            .map(|p| &**p);
    }
    let p = state.policy_by_arn(arn)?;
    state
        .compiled
        .managed(&State::name_key(&p.account, &p.name))
}

/// A principal's identity policies and permissions boundary, ready for `evaluate`.
pub type Materialised<'s> = (Vec<NamedPolicy<'s>>, Option<NamedPolicy<'s>>);

/// Where one materialised identity policy comes from: what the policy simulator reports
/// for a matched statement (`SourcePolicyId`, `SourcePolicyType`, positions in `document`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'s> {
    /// `user`, `group` or `role` for inline policies; `aws-managed` or `user-managed`.
    pub source_type: &'static str,
    /// The inline policy's name or the managed policy's name.
    pub id: &'s str,
    /// The document as stored (the default version of a managed policy).
    pub document: &'s str,
}

/// Adds the inline and attached policies of one user, group or role to `out` (and, for the
/// simulator, where each came from to `origins`); `None` when one is missing or does not
/// compile.
fn push_policies<'s>(
    state: &'s State,
    table: &'static str,
    key: &str,
    (inline, attached): (&'s InlinePolicies, &'s [String]),
    out: &mut Vec<NamedPolicy<'s>>,
    mut origins: Option<&mut Vec<Origin<'s>>>,
) -> Option<()> {
    for (name, policy) in state.compiled.inline(table, key) {
        out.push(NamedPolicy {
            name,
            policy: policy?,
        });
        if let Some(o) = origins.as_deref_mut() {
            o.push(Origin {
                source_type: table,
                id: name,
                document: inline.get(name).map_or("", String::as_str),
            });
        }
    }
    for arn in attached {
        out.push(NamedPolicy {
            name: arn,
            policy: managed_policy(state, arn)?,
        });
        if let Some(o) = origins.as_deref_mut() {
            o.push(managed_origin(state, arn)?);
        }
    }
    Some(())
}

/// The origin of a managed policy by ARN (AWS managed or customer managed).
pub(crate) fn managed_origin<'s>(state: &'s State, arn: &str) -> Option<Origin<'s>> {
    if arn.starts_with("arn:aws:iam::aws:policy/") {
        let p = crate::model::aws_managed::get(arn)?;
        return Some(Origin {
            source_type: "aws-managed",
            id: &p.name,
            document: &p.document,
        });
    }
    let p = state.policy_by_arn(arn)?;
    Some(Origin {
        source_type: "user-managed",
        id: &p.name,
        document: p.default_document()?,
    })
}

fn boundary<'s>(state: &'s State, arn: Option<&'s String>) -> Option<Option<NamedPolicy<'s>>> {
    match arn {
        Some(arn) => Some(Some(NamedPolicy {
            name: arn,
            policy: managed_policy(state, arn)?,
        })),
        None => Some(None),
    }
}

/// The identity policies and boundary of one user (its own and its groups'), materialised
/// from the snapshot. `None` when one of them is missing or does not compile: the caller is
/// denied (fail closed) rather than judged on part of its policies.
pub fn user_policies<'s>(state: &'s State, user: &'s User) -> Option<Materialised<'s>> {
    user_policies_traced(state, user, None)
}

/// `user_policies`, recording in `origins` where each identity policy comes from (in the
/// same order). The simulator calls this, so it judges on exactly what enforcement uses.
pub fn user_policies_traced<'s>(
    state: &'s State,
    user: &'s User,
    mut origins: Option<&mut Vec<Origin<'s>>>,
) -> Option<Materialised<'s>> {
    let mut identity = Vec::new();
    let user_key = State::user_key(&user.account, &user.name);
    push_policies(
        state,
        "user",
        &user_key,
        (&user.inline_policies, &user.attached_policies),
        &mut identity,
        origins.as_deref_mut(),
    )?;
    for group_key in state.compiled.groups_of(&user.id) {
        // INVARIANT (groups-of-user) keeps every key present.
        let group = state.groups.get(group_key)?;
        push_policies(
            state,
            "group",
            group_key,
            (&group.inline_policies, &group.attached_policies),
            &mut identity,
            origins.as_deref_mut(),
        )?;
    }
    Some((
        identity,
        boundary(state, user.permissions_boundary.as_ref())?,
    ))
}

/// The policies of one group alone (the simulator's `PolicySourceArn` may name a group;
/// groups have no boundary), with their origins.
pub fn group_policies_traced<'s>(
    state: &'s State,
    group: &'s Group,
    origins: Option<&mut Vec<Origin<'s>>>,
) -> Option<Materialised<'s>> {
    let mut identity = Vec::new();
    let key = State::name_key(&group.account, &group.name);
    push_policies(
        state,
        "group",
        &key,
        (&group.inline_policies, &group.attached_policies),
        &mut identity,
        origins,
    )?;
    Some((identity, None))
}

/// The identity policies and boundary of one role, for its sessions (same fail-closed rule).
pub fn role_policies<'s>(state: &'s State, role: &'s Role) -> Option<Materialised<'s>> {
    role_policies_traced(state, role, None)
}

/// `role_policies`, recording origins (see `user_policies_traced`).
pub fn role_policies_traced<'s>(
    state: &'s State,
    role: &'s Role,
    origins: Option<&mut Vec<Origin<'s>>>,
) -> Option<Materialised<'s>> {
    let mut identity = Vec::new();
    let role_key = State::name_key(&role.account, &role.name);
    push_policies(
        state,
        "role",
        &role_key,
        (&role.inline_policies, &role.attached_policies),
        &mut identity,
        origins,
    )?;
    Some((
        identity,
        boundary(state, role.permissions_boundary.as_ref())?,
    ))
}

/// Facts about the request that are not in the operation: when, from where, how.
#[derive(Debug, Clone)]
pub struct RequestEnv {
    pub now: OffsetDateTime,
    /// The peer address of the connection (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
    /// The region the request was signed for (`aws:RequestedRegion`).
    pub region: Option<String>,
    /// Whether the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// The call comes from a console session (temporary credentials in AWS's terms).
    pub console: bool,
    /// The call's request ID, when a front gave it one: what a handler records (a
    /// report-only would-be denial) carries it.
    pub request_id: Option<String>,
}

impl RequestEnv {
    pub fn now() -> RequestEnv {
        RequestEnv {
            now: OffsetDateTime::now_utc(),
            source_ip: None,
            region: None,
            secure_transport: false,
            console: false,
            request_id: None,
        }
    }
}

/// How the policies decided, for AWS's AccessDenied message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allow,
    /// A `Deny` statement in a policy of this type.
    ExplicitDeny(PolicyType),
    /// No `Allow` in a policy of this type (identity policies or the boundary).
    ImplicitDeny(PolicyType),
}

impl Outcome {
    /// The engine's decision, reduced to what the AccessDenied message needs.
    pub fn of(decision: &oxiam_policy::Decision) -> Outcome {
        let by = decision
            .denied_by
            .map_or(PolicyType::Identity, |d| d.policy_type);
        match decision.effect {
            Effect::Allow => Outcome::Allow,
            Effect::ExplicitDeny => Outcome::ExplicitDeny(by),
            Effect::ImplicitDeny => Outcome::ImplicitDeny(by),
        }
    }
}

/// The global condition keys of a request, then the operation's own keys.
pub(crate) fn context(
    principal: &Principal<'_>,
    tags: &[(&str, &str)],
    target: &Target,
    env: &RequestEnv,
) -> Context {
    let mut ctx = Context::for_principal(principal, tags);
    if let Ok(now) = env
        .now
        .replace_nanosecond(0)
        .unwrap_or(env.now)
        .format(&Rfc3339)
    {
        ctx.insert("aws:CurrentTime", now);
    }
    ctx.insert("aws:EpochTime", env.now.unix_timestamp());
    ctx.insert("aws:SecureTransport", env.secure_transport);
    if let Some(ip) = env.source_ip {
        ctx.insert("aws:SourceIp", ip.to_string());
    }
    if let Some(region) = &env.region {
        ctx.insert("aws:RequestedRegion", region.as_str());
    }
    for (k, v) in &target.keys {
        ctx.insert(k, v.clone());
    }
    ctx
}

/// The decision of the caller's identity-based policies and permissions boundary for
/// `target`. The account root is not decided here (see `authz`).
pub fn identity_decision(
    caller: &Caller,
    target: &Target,
    env: &RequestEnv,
    state: &State,
) -> Outcome {
    // Temporary credentials: the session's principal, session policies and keys.
    if caller.session.is_some() {
        return crate::auth::session_decide::decision(caller, target, env, state, None);
    }
    let kind = match caller.kind {
        CallerKind::Root => PrincipalType::Account,
        CallerKind::User { .. } => PrincipalType::User,
        CallerKind::AssumedRole { .. } | CallerKind::FederatedUser { .. } => {
            return Outcome::ImplicitDeny(PolicyType::Identity);
        }
    };
    let principal = Principal {
        arn: &caller.arn,
        account: &caller.account,
        kind,
        role_arn: None,
        user_id: &caller.user_id,
    };
    // A user deleted since authentication has no policies.
    let Some(user) = state.user_by_id(&caller.user_id) else {
        return Outcome::ImplicitDeny(PolicyType::Identity);
    };
    let Some((identity, boundary)) = user_policies(state, user) else {
        return Outcome::ImplicitDeny(PolicyType::Identity);
    };
    let tags: Vec<(&str, &str)> = user
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    let context = context(&principal, &tags, target, env);
    let request = target.request(principal, &caller.account, &context);
    let policies = PolicySet {
        identity: &identity,
        permissions_boundary: boundary,
        ..PolicySet::default()
    };
    Outcome::of(&oxiam_policy::evaluate(&request, &policies))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{ACCOUNT, managed};
    use crate::model::{Tag, fixtures};
    use crate::state::Tx;
    use oxiam_store::crypto::Kek;
    use std::sync::Arc;

    /// A user tagged `team=red`.
    fn user(name: &str, id: &str) -> User {
        User {
            tags: vec![Tag {
                key: "team".into(),
                value: "red".into(),
            }],
            ..fixtures::user(name, id)
        }
    }

    fn group(name: &str, members: &[&str], policy: Option<&str>) -> Group {
        Group {
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            inline_policies: policy
                .map(|p| [("g".to_owned(), p.to_owned())].into())
                .unwrap_or_default(),
            ..fixtures::group(name)
        }
    }

    fn allow(action: &str, resource: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"{resource}"}}}}"#
        )
    }

    fn deny(action: &str, resource: &str) -> String {
        allow(action, resource).replace("Allow", "Deny")
    }

    struct World {
        state: Arc<State>,
        kek: Arc<Kek>,
    }

    impl World {
        fn new() -> World {
            World {
                state: Arc::new(State::default()),
                kek: Arc::new(Kek::generate()),
            }
        }

        fn write(&mut self, f: impl FnOnce(&mut Tx)) {
            let mut tx = Tx::new(Arc::clone(&self.state), Arc::clone(&self.kek));
            f(&mut tx);
            let (_, state) = tx.finish().unwrap();
            self.state = Arc::new(state);
        }

        fn decide(&self, u: &User, t: &Target) -> Outcome {
            identity_decision(
                &Caller::user(u, "AKIATEST"),
                t,
                &RequestEnv::now(),
                &self.state,
            )
        }
    }

    const ALICE_ARN: &str = "arn:aws:iam::123456789012:user/alice";
    const BOB_ARN: &str = "arn:aws:iam::123456789012:user/bob";

    #[test]
    fn inline_policies_allow_and_changes_apply_to_the_next_snapshot() {
        let mut w = World::new();
        let alice = user("alice", "AIDAALICE");
        w.write(|tx| tx.put(alice.clone()).unwrap());
        let get_self = Target::new("iam:GetUser", ALICE_ARN);
        assert_eq!(
            w.decide(&alice, &get_self),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
        let mut with_policy = alice.clone();
        with_policy.inline_policies.insert(
            "self".into(),
            allow("iam:*", "arn:aws:iam::*:user/${aws:username}"),
        );
        w.write(|tx| tx.put(with_policy.clone()).unwrap());
        assert_eq!(w.decide(&alice, &get_self), Outcome::Allow);
        assert_eq!(
            w.decide(&alice, &Target::new("iam:GetUser", BOB_ARN)),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
        // Removing the policy takes effect at once, and leaves no compiled entry behind.
        w.write(|tx| tx.put(alice.clone()).unwrap());
        assert_eq!(
            w.decide(&alice, &get_self),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
        assert!(w.state.compiled.entries.is_empty());
    }

    #[test]
    fn group_policies_apply_to_members_only_while_members() {
        let mut w = World::new();
        let alice = user("alice", "AIDAALICE");
        let doc = allow("iam:ListUsers", "*");
        w.write(|tx| {
            tx.put(alice.clone()).unwrap();
            tx.put(group("devs", &["AIDAALICE"], Some(&doc))).unwrap();
        });
        let list = Target::new("iam:ListUsers", "arn:aws:iam::123456789012:user/");
        assert_eq!(w.decide(&alice, &list), Outcome::Allow);
        w.write(|tx| tx.put(group("devs", &[], Some(&doc))).unwrap());
        assert_eq!(
            w.decide(&alice, &list),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
        assert!(w.state.compiled.groups_of.is_empty());
        // A group's attached managed policy applies too; deleting the group ends it.
        let mut g = group("admins", &["AIDAALICE"], None);
        g.attached_policies
            .push("arn:aws:iam::aws:policy/AdministratorAccess".into());
        w.write(|tx| tx.put(g).unwrap());
        assert_eq!(w.decide(&alice, &list), Outcome::Allow);
        w.write(|tx| tx.delete::<Group>(&State::name_key(ACCOUNT, "admins")));
        assert_eq!(
            w.decide(&alice, &list),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
    }

    #[test]
    fn a_boundary_caps_administrator_access_and_explicit_deny_wins() {
        let mut w = World::new();
        let mut alice = user("alice", "AIDAALICE");
        alice
            .attached_policies
            .push("arn:aws:iam::aws:policy/AdministratorAccess".into());
        alice.permissions_boundary = Some("arn:aws:iam::123456789012:policy/GetOnly".into());
        alice
            .inline_policies
            .insert("no-bob".into(), deny("iam:*", BOB_ARN));
        w.write(|tx| {
            tx.put(managed("GetOnly", &allow("iam:Get*", "*"))).unwrap();
            tx.put(alice.clone()).unwrap();
        });
        assert_eq!(
            w.decide(&alice, &Target::new("iam:GetUser", ALICE_ARN)),
            Outcome::Allow
        );
        assert_eq!(
            w.decide(&alice, &Target::new("iam:CreateUser", ALICE_ARN)),
            Outcome::ImplicitDeny(PolicyType::PermissionsBoundary)
        );
        assert_eq!(
            w.decide(&alice, &Target::new("iam:GetUser", BOB_ARN)),
            Outcome::ExplicitDeny(PolicyType::Identity)
        );
    }

    #[test]
    fn role_policies_are_its_inline_attached_and_boundary() {
        let mut w = World::new();
        let role = Role {
            permissions_boundary: Some("arn:aws:iam::aws:policy/IAMReadOnlyAccess".into()),
            inline_policies: [("p".to_owned(), allow("s3:*", "*"))].into(),
            attached_policies: vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()],
            ..fixtures::role("app", "AROAAPP")
        };
        w.write(|tx| tx.put(role.clone()).unwrap());
        let (identity, boundary) = role_policies(&w.state, &role).unwrap();
        let names: Vec<&str> = identity.iter().map(|p| p.name).collect();
        assert_eq!(names, ["p", "arn:aws:iam::aws:policy/AdministratorAccess"]);
        assert_eq!(
            boundary.unwrap().name,
            "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
        );
        w.write(|tx| tx.delete::<Role>(&State::name_key(ACCOUNT, "app")));
        assert!(w.state.compiled.entries.is_empty());
    }

    #[test]
    fn stored_documents_that_do_not_compile_fail_closed() {
        let mut w = World::new();
        let mut alice = user("alice", "AIDAALICE");
        alice.inline_policies.insert("all".into(), allow("*", "*"));
        alice
            .attached_policies
            .push("arn:aws:iam::123456789012:policy/Broken".into());
        w.write(|tx| {
            tx.put(managed("Broken", "{not json")).unwrap();
            tx.put(alice.clone()).unwrap();
        });
        assert_eq!(
            w.decide(&alice, &Target::new("iam:GetUser", ALICE_ARN)),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
        // An attached policy that is gone (or an unknown AWS managed one) fails closed too.
        let mut bob = user("bob", "AIDABOB");
        bob.inline_policies.insert("all".into(), allow("*", "*"));
        bob.attached_policies
            .push("arn:aws:iam::aws:policy/NoSuchPolicy".into());
        w.write(|tx| tx.put(bob.clone()).unwrap());
        assert_eq!(
            w.decide(&bob, &Target::new("iam:GetUser", BOB_ARN)),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
    }

    #[test]
    fn global_and_operation_keys_reach_conditions() {
        let mut w = World::new();
        let mut alice = user("alice", "AIDAALICE");
        alice.inline_policies.insert(
            "cond".into(),
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"*",
              "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},
                           "StringEquals":{"aws:PrincipalTag/team":"red","aws:RequestedRegion":"us-east-1",
                                           "aws:ResourceTag/env":"dev"},
                           "Bool":{"aws:SecureTransport":"false"},
                           "DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},
                           "NumericGreaterThan":{"aws:EpochTime":"1577836800"}}}}"#
                .into(),
        );
        w.write(|tx| tx.put(alice.clone()).unwrap());
        let mut t = Target::new("iam:GetUser", BOB_ARN);
        t.keys.push(("aws:ResourceTag/env".into(), "dev".into()));
        let env = |ip: &str| RequestEnv {
            source_ip: ip.parse().ok(),
            region: Some("us-east-1".into()),
            ..RequestEnv::now()
        };
        let decide = |t: &Target, ip: &str| {
            identity_decision(&Caller::user(&alice, "AKIATEST"), t, &env(ip), &w.state)
        };
        assert_eq!(decide(&t, "10.1.2.3"), Outcome::Allow);
        assert_eq!(
            decide(&t, "192.168.0.1"),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
        let untagged = Target::new("iam:GetUser", BOB_ARN);
        assert_eq!(
            decide(&untagged, "10.1.2.3"),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
    }
}
