//! Authorizing requests made with temporary credentials, and the principal side of a
//! trust-policy decision (`AssumeRole`).
//!
//! A role session has the role's identity policies and boundary, capped by its session
//! policies; a federated user session has its IAM user's policies capped by its session
//! policies (none: no permissions), or, made by the root, the root's full access to its own
//! account ([`ROOT_ACCESS`]) capped the same way; a `GetSessionToken` session has its user's (or root's)
//! permissions. A session scoped down by `GetScopedCredentials` is further capped by each of
//! its scope-down policies, one layer apiece (`PolicySet::scope_down`), whatever grants the
//! request, the root's implicit access included. Every session adds its condition keys: `aws:TokenIssueTime`,
//! `aws:MultiFactorAuthPresent` (and `…Age`), `aws:SourceIdentity`, and `aws:PrincipalTag/…`
//! from the principal's tags overlaid by the session tags.

use std::sync::LazyLock;

use oxiam_policy::{
    Context, NamedPolicy, Policy, PolicyKind, PolicySet, PolicyType, Principal, PrincipalType,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth::authn::{Caller, CallerKind};
use crate::auth::authz::denied;
use crate::auth::decide::{
    Materialised, Outcome, RequestEnv, context, managed_policy, role_policies, user_policies,
};
use crate::auth::target::Target;
use crate::model::Tag;
use crate::model::error::ServerError;
use crate::model::session::SessionPrincipal;
use crate::runtime::sessions::OpenedSession;
use crate::state::State;

/// The name decisions give the inline session policy.
const INLINE_SESSION_POLICY: &str = "session policy";
/// The names decisions give the scope-down policies, oldest first.
// INVARIANT (scope-down-names): one name per layer a session can carry (`MAX_SCOPE_DOWN`).
pub const SCOPE_DOWN_POLICIES: [&str; crate::model::session::MAX_SCOPE_DOWN] = [
    "scope-down policy 1",
    "scope-down policy 2",
    "scope-down policy 3",
];

/// Refuses what AWS never lets session credentials do, before any policy is read:
/// `GetSessionToken`/`GetFederationToken` with any session; IAM and STS (but
/// `GetCallerIdentity` and `GetScopedCredentials`) with a federated user's; IAM without MFA,
/// and STS but `AssumeRole`, `GetCallerIdentity` and `GetScopedCredentials`, with
/// `GetSessionToken`'s. (`GetScopedCredentials` names both kinds of session as callers:
/// "credentials from an assumed role or a federated session", and "first call
/// `GetSessionToken`" to scope down an IAM user's.)
pub fn session_limits(caller: &Caller, target: &Target) -> Result<(), ServerError> {
    let Some(opened) = &caller.session else {
        return Ok(());
    };
    let action = target.action.as_str();
    for op in ["GetSessionToken", "GetFederationToken"] {
        if action.strip_prefix("sts:") == Some(op) {
            return Err(crate::model::error::api(
                oxiam_protocol::error::ErrorCode::AccessDenied,
                format!("Cannot call {op} with session credentials"),
            ));
        }
    }
    let is_iam = action.starts_with("iam:");
    let other_sts = action.starts_with("sts:")
        && action != "sts:GetCallerIdentity"
        && action != "sts:GetScopedCredentials";
    match &opened.session.principal {
        SessionPrincipal::AssumedRole { .. } => Ok(()),
        // A delegated session is limited by its delegation request's policy, not by
        // GetSessionToken's rules (it acts as the identity that accepted the request).
        _ if opened.session.delegation.is_some() => Ok(()),
        SessionPrincipal::FederatedUser { .. } if is_iam || other_sts => Err(denied(
            caller,
            target,
            "because federated user sessions cannot call IAM or STS operations",
        )),
        SessionPrincipal::User { .. } | SessionPrincipal::Root
            if is_iam && opened.session.mfa.is_none() =>
        {
            Err(denied(
                caller,
                target,
                "because GetSessionToken credentials need MFA authentication to call IAM",
            ))
        }
        SessionPrincipal::User { .. } | SessionPrincipal::Root
            if other_sts && action != "sts:AssumeRole" =>
        {
            Err(denied(
                caller,
                target,
                "because GetSessionToken credentials may call only AssumeRole, GetCallerIdentity and GetScopedCredentials in STS",
            ))
        }
        _ => Ok(()),
    }
}

/// Everything the policy engine needs about the caller: principal kind, identity
/// policies, boundary, session policies and principal tags. `None`: something it needs is
/// gone or does not compile (the caller is denied: fail closed).
#[derive(Debug)]
pub struct CallerPolicies<'a> {
    pub kind: PrincipalType,
    pub role_arn: Option<String>,
    pub identity: Vec<NamedPolicy<'a>>,
    pub boundary: Option<NamedPolicy<'a>>,
    pub session: Vec<NamedPolicy<'a>>,
    /// The session's scope-down policies, oldest first (`PolicySet::scope_down`).
    pub scope_down: Vec<NamedPolicy<'a>>,
    pub tags: Vec<(&'a str, &'a str)>,
}

impl<'a> CallerPolicies<'a> {
    /// Policies and tags of a principal, before its session's policies are added.
    fn of(
        kind: PrincipalType,
        role_arn: Option<String>,
        (identity, boundary): Materialised<'a>,
        tags: Vec<(&'a str, &'a str)>,
    ) -> Self {
        CallerPolicies {
            kind,
            role_arn,
            identity,
            boundary,
            session: Vec::new(),
            scope_down: Vec::new(),
            tags,
        }
    }

    /// `caller`, whose policies these are, as the policy engine sees it.
    pub fn principal<'c>(&'c self, caller: &'c Caller) -> Principal<'c> {
        Principal {
            arn: &caller.arn,
            account: &caller.account,
            kind: self.kind,
            role_arn: self.role_arn.as_deref(),
            user_id: &caller.user_id,
        }
    }

    /// The context `principal` (see [`CallerPolicies::principal`]) requests `target` in:
    /// the global keys, the principal's tags, the target's keys and, with temporary
    /// credentials, the session's keys.
    pub fn context(
        &self,
        caller: &Caller,
        principal: &Principal<'_>,
        target: &Target,
        env: &RequestEnv,
    ) -> Context {
        let mut ctx = context(principal, &self.tags, target, env);
        if let Some(opened) = &caller.session {
            session_keys(&mut ctx, opened, env.now);
        }
        ctx
    }

    /// The caller's policies, with `resource` (a resource-based or trust policy) when one
    /// applies.
    pub fn policy_set<'s>(&'s self, resource: Option<NamedPolicy<'s>>) -> PolicySet<'s> {
        PolicySet {
            identity: &self.identity,
            permissions_boundary: self.boundary,
            session: &self.session,
            scope_down: &self.scope_down,
            resource,
            ..PolicySet::default()
        }
    }
}

/// Session tags first, then the principal's tags whose keys no session tag has
/// (tag keys compare case-insensitively).
fn overlay<'a>(principal_tags: &'a [Tag], session_tags: &'a [Tag]) -> Vec<(&'a str, &'a str)> {
    let mut out: Vec<(&str, &str)> = session_tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    for t in principal_tags {
        if !session_tags
            .iter()
            .any(|s| s.key.eq_ignore_ascii_case(&t.key))
        {
            out.push((t.key.as_str(), t.value.as_str()));
        }
    }
    out
}

fn session_policies<'a>(
    opened: &'a OpenedSession,
    state: &'a State,
) -> Option<Vec<NamedPolicy<'a>>> {
    let mut out = Vec::new();
    if let Some(p) = opened.policy.as_ref().ok()? {
        out.push(NamedPolicy {
            name: INLINE_SESSION_POLICY,
            policy: p,
        });
    }
    for arn in &opened.session.policy_arns {
        out.push(NamedPolicy {
            name: arn,
            policy: managed_policy(state, arn)?,
        });
    }
    Some(out)
}

fn scope_down_policies(opened: &OpenedSession) -> Option<Vec<NamedPolicy<'_>>> {
    let compiled = opened.scope_down.as_ref().ok()?;
    compiled
        .iter()
        .enumerate()
        .map(|(i, policy)| {
            Some(NamedPolicy {
                name: SCOPE_DOWN_POLICIES.get(i)?,
                policy,
            })
        })
        .collect()
}

/// Whether the caller's credentials are scoped down: even the root's are then decided by
/// the policy engine.
pub fn is_scoped(caller: &Caller) -> bool {
    caller
        .session
        .as_deref()
        .is_some_and(|o| !o.session.scope_down.is_empty())
}

/// What the root's federated users stand on: the root's full access, as an identity policy
/// (the engine's implicit access is the `Account` principal's, and theirs is
/// `FederatedUser`). Resources of other accounts still need their resource policy.
static ROOT_ACCESS: LazyLock<Option<Policy>> = LazyLock::new(|| {
    let all =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    Policy::parse(all, PolicyKind::Identity).ok()
});

pub fn caller_policies<'a>(caller: &'a Caller, state: &'a State) -> Option<CallerPolicies<'a>> {
    let opened = caller.session.as_deref();
    let session_tags: &[Tag] = opened.map_or(&[], |o| &o.session.tags);
    let (session, scope_down) = match opened {
        Some(o) => (session_policies(o, state)?, scope_down_policies(o)?),
        None => (Vec::new(), Vec::new()),
    };
    // An IAM user's own policies, for its `GetSessionToken` sessions and its federated users.
    let of_user = |kind, user_id: &str| {
        let user = state.user_by_id(user_id)?;
        let tags = overlay(&user.tags, session_tags);
        Some(CallerPolicies::of(
            kind,
            None,
            user_policies(state, user)?,
            tags,
        ))
    };
    let principal = opened.map(|o| &o.session.principal);
    let caller_own = match (&caller.kind, principal) {
        (CallerKind::Root, _) => {
            CallerPolicies::of(PrincipalType::Account, None, (Vec::new(), None), Vec::new())
        }
        (CallerKind::User { .. }, _) => of_user(PrincipalType::User, &caller.user_id)?,
        (
            CallerKind::AssumedRole { role_name, .. },
            Some(SessionPrincipal::AssumedRole { role_id, .. }),
        ) => {
            let role = state
                .role(&caller.account, role_name)
                .filter(|r| r.id == *role_id)?;
            CallerPolicies::of(
                PrincipalType::AssumedRole,
                Some(role.arn()),
                role_policies(state, role)?,
                overlay(&role.tags, session_tags),
            )
        }
        (
            CallerKind::FederatedUser { .. },
            Some(SessionPrincipal::FederatedUser { user_id, .. }),
        ) if *user_id == caller.account => {
            let root = NamedPolicy {
                name: "root",
                policy: ROOT_ACCESS.as_ref()?,
            };
            CallerPolicies::of(
                PrincipalType::FederatedUser,
                None,
                (vec![root], None),
                overlay(&[], session_tags),
            )
        }
        (
            CallerKind::FederatedUser { .. },
            Some(SessionPrincipal::FederatedUser { user_id, .. }),
        ) => of_user(PrincipalType::FederatedUser, user_id)?,
        _ => return None,
    };
    Some(CallerPolicies {
        session,
        scope_down,
        ..caller_own
    })
}

/// The condition keys a session adds to every request it signs.
pub fn session_keys(ctx: &mut Context, opened: &OpenedSession, now: OffsetDateTime) {
    let s = &opened.session;
    if let Ok(issued) = OffsetDateTime::from_unix_timestamp(s.issued)
        && let Ok(text) = issued.format(&Rfc3339)
    {
        ctx.insert("aws:TokenIssueTime", text);
    }
    ctx.insert("aws:MultiFactorAuthPresent", s.mfa.is_some());
    if let Some(mfa) = &s.mfa {
        ctx.insert(
            "aws:MultiFactorAuthAge",
            (now.unix_timestamp() - mfa.authenticated_at).max(0),
        );
    }
    if let Some(si) = &s.source_identity {
        ctx.insert("aws:SourceIdentity", si.as_str());
    }
}

/// The decision of the caller's own policies (and `resource`, a resource or trust policy
/// of `resource_account`, when given) for `target`.
pub fn decision(
    caller: &Caller,
    target: &Target,
    env: &RequestEnv,
    state: &State,
    resource: Option<(NamedPolicy<'_>, &str)>,
) -> Outcome {
    let Some(p) = caller_policies(caller, state) else {
        return Outcome::ImplicitDeny(PolicyType::Identity);
    };
    let principal = p.principal(caller);
    let ctx = p.context(caller, &principal, target, env);
    let resource_account = resource.map_or(caller.account.as_str(), |(_, a)| a);
    let request = target.request(principal, resource_account, &ctx);
    let policies = p.policy_set(resource.map(|(r, _)| r));
    Outcome::of(&oxiam_policy::evaluate(&request, &policies))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxiam_store::crypto::Kek;

    use super::*;
    use crate::model::fixtures::{self, ACCOUNT};
    use crate::model::session::Session;
    use crate::model::session::tests::role_session;
    use crate::model::{Role, User};
    use crate::state::Tx;

    fn allow(action: &str, condition: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"{action}","Resource":"*"{condition}}}}}"#
        )
    }

    fn world() -> State {
        let role = Role {
            path: "/svc/".into(),
            tags: vec![
                Tag {
                    key: "Team".into(),
                    value: "blue".into(),
                },
                Tag {
                    key: "cost".into(),
                    value: "1".into(),
                },
            ],
            inline_policies: [
                ("iam".to_owned(), allow("iam:*", "")),
                (
                    "tagged".to_owned(),
                    allow(
                        "s3:GetObject",
                        r#","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red","aws:PrincipalTag/cost":"1","aws:MultiFactorAuthPresent":"false"}}"#,
                    ),
                ),
            ]
            .into(),
            ..fixtures::role("app", "AROAEXAMPLE")
        };
        let user = User {
            inline_policies: [("all".to_owned(), allow("*", ""))].into(),
            ..fixtures::user("alice", "AIDAALICE")
        };
        let mut tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        tx.put(role).unwrap();
        tx.put(user).unwrap();
        tx.finish().unwrap().1
    }

    fn caller(session: Session, kind: CallerKind, arn: &str) -> Caller {
        Caller {
            account: ACCOUNT.into(),
            arn: arn.into(),
            user_id: session.user_id(),
            kind,
            access_key_id: session.access_key_id.clone(),
            region: String::new(),
            session: Some(Arc::new(OpenedSession::new("token", session))),
        }
    }

    fn decide(c: &Caller, state: &State, action: &str) -> Outcome {
        let target = Target::new(action.to_owned(), "*".to_owned());
        decision(c, &target, &RequestEnv::now(), state, None)
    }

    fn role_caller(session: Session) -> Caller {
        caller(
            session,
            CallerKind::AssumedRole {
                role_name: "app".into(),
                session_name: "job-1".into(),
            },
            "arn:aws:sts::123456789012:assumed-role/app/job-1",
        )
    }

    #[test]
    fn role_sessions_have_the_role_policies_capped_by_session_policies() {
        let state = world();
        let plain = role_caller(role_session());
        assert_eq!(decide(&plain, &state, "iam:ListUsers"), Outcome::Allow);
        // Session tags override the role's (team=red), the role's other tags stay (cost=1).
        assert_eq!(decide(&plain, &state, "s3:GetObject"), Outcome::Allow);
        let mut narrowed = role_session();
        narrowed.policy = Some(allow("iam:GetRole", ""));
        let narrowed = role_caller(narrowed);
        assert_eq!(decide(&narrowed, &state, "iam:GetRole"), Outcome::Allow);
        assert_eq!(
            decide(&narrowed, &state, "iam:ListUsers"),
            Outcome::ImplicitDeny(PolicyType::Session)
        );
        // A session of a role deleted (or replaced under the same name) has nothing.
        let mut other = role_session();
        other.principal = SessionPrincipal::AssumedRole {
            role_id: "AROAOTHER".into(),
            role_name: "app".into(),
            role_path: "/svc/".into(),
            session_name: "job-1".into(),
        };
        assert_eq!(
            decide(&role_caller(other), &state, "iam:ListUsers"),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
    }

    #[test]
    fn scope_down_policies_cap_every_session_each_on_its_own() {
        let state = world();
        let mut s = role_session();
        s.scope_down = vec![allow("iam:*", ""), allow("iam:Get*", "")];
        let scoped = role_caller(s.clone());
        assert_eq!(decide(&scoped, &state, "iam:GetRole"), Outcome::Allow);
        assert_eq!(
            decide(&scoped, &state, "iam:ListUsers"),
            Outcome::ImplicitDeny(PolicyType::Session),
            "allowed by the first layer only"
        );
        // A layer that no longer compiles fails closed.
        s.scope_down.push("{".into());
        assert_eq!(
            decide(&role_caller(s), &state, "iam:GetRole"),
            Outcome::ImplicitDeny(PolicyType::Identity)
        );
        // The root's session, scoped down, is decided by the engine, not let through.
        let mut root = role_session();
        root.principal = SessionPrincipal::Root;
        // (With MFA: a GetSessionToken session may call IAM only then.)
        root.mfa = Some(crate::model::session::Mfa {
            serial_number: "arn:aws:iam::123456789012:mfa/root".into(),
            authenticated_at: 0,
        });
        root.scope_down = vec![allow("iam:Get*", "")];
        let root = caller(root, CallerKind::Root, "arn:aws:iam::123456789012:root");
        let target = |action: &str| Target::new(action.to_owned(), "*".to_owned());
        let env = RequestEnv::now();
        assert!(crate::auth::authz::authorize(&root, &target("iam:GetUser"), &env, &state).is_ok());
        let err = crate::auth::authz::authorize(&root, &target("iam:DeleteUser"), &env, &state)
            .unwrap_err()
            .to_api(oxiam_protocol::Service::Iam);
        assert!(
            err.message
                .ends_with("because no session policy allows the iam:DeleteUser action"),
            "{}",
            err.message
        );
    }

    #[test]
    fn federated_users_need_a_session_policy() {
        let state = world();
        let mut s = role_session();
        s.principal = SessionPrincipal::FederatedUser {
            name: "carol".into(),
            user_id: "AIDAALICE".into(),
        };
        let kind = CallerKind::FederatedUser {
            name: "carol".into(),
        };
        let arn = "arn:aws:sts::123456789012:federated-user/carol";
        let bare = caller(s.clone(), kind.clone(), arn);
        assert_eq!(
            decide(&bare, &state, "s3:GetObject"),
            Outcome::ImplicitDeny(PolicyType::Session)
        );
        s.policy = Some(allow("s3:*", ""));
        let with_policy = caller(s, kind, arn);
        assert_eq!(decide(&with_policy, &state, "s3:GetObject"), Outcome::Allow);
        assert_eq!(
            decide(&with_policy, &state, "iam:ListUsers"),
            Outcome::ImplicitDeny(PolicyType::Session)
        );
    }

    #[test]
    fn session_keys_describe_the_session() {
        let mut s = role_session();
        s.source_identity = Some("alice".into());
        let opened = OpenedSession::new("t", s);
        let mut ctx = Context::new();
        session_keys(&mut ctx, &opened, OffsetDateTime::now_utc());
        let get = |k: &str| ctx.get(k).and_then(|v| v.single()).map(str::to_owned);
        assert_eq!(get("aws:MultiFactorAuthPresent").as_deref(), Some("false"));
        assert_eq!(get("aws:SourceIdentity").as_deref(), Some("alice"));
        assert_eq!(
            get("aws:TokenIssueTime").as_deref(),
            Some("1970-01-01T00:16:40Z")
        );
        assert!(get("aws:MultiFactorAuthAge").is_none());
    }
}
