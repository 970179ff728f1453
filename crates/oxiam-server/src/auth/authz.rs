//! Authorization: may this caller perform this action on this resource. The account root
//! may do everything in its own account; everyone else is decided by the policy engine from
//! the policies in the snapshot. A request with dependent actions (`iam:PassRole` for
//! `AddRoleToInstanceProfile`) needs each of them allowed too.
//!
//! Report-only enforcement ([`authorize_reporting`]): in an account whose mode is
//! `REPORT_ONLY`, a denial by the policy engine is turned into a [`WouldDeny`] the caller
//! records, and the request goes on. Only denials of the account's own policies are
//! relaxed, so only requests that stay inside the account: a request on a resource of
//! another account (whose resource or trust policy that account enforces) is decided as
//! always, as is every check that is not a policy decision (the session limits here;
//! authentication and root-only operations elsewhere).

use oxiam_policy::PolicyType;
use oxiam_protocol::error::ErrorCode;

use crate::app::App;
use crate::auth::authn::{Caller, CallerKind};
use crate::auth::decide::{Outcome, RequestEnv};
use crate::auth::target::Target;
use crate::model::access::Via;
use crate::model::error::{ServerError, api};
use crate::state::State;

/// The account a resource ARN belongs to (its fifth field), if it names one.
fn resource_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Whether `resource` (an ARN, or `*`) is in `account` (AWS managed policies, account
/// `aws`, belong to every account).
pub fn in_account(resource: &str, account: &str) -> bool {
    resource_account(resource).is_none_or(|a| a == account || a == "aws")
}

/// Whether `account` reports its policy denials instead of enforcing them.
pub fn is_report_only(state: &State, account: &str) -> bool {
    state
        .accounts
        .get(account)
        .is_some_and(|a| a.is_report_only())
}

/// A denial by the policy engine that report-only enforcement let through: everything the
/// AccessDenied error would have said, for the audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WouldDeny {
    pub action: String,
    pub resource: String,
    /// `ExplicitDeny` or `ImplicitDeny`.
    pub decision: &'static str,
    /// The policy type that denied (`identity-based policy`, `permissions boundary`, …).
    pub denied_by: &'static str,
    /// The AccessDenied message enforcement would have answered.
    pub message: String,
}

/// A denial by the policy engine, before the account's mode is applied.
struct Denial {
    explicit: bool,
    by: PolicyType,
    error: ServerError,
}

/// Decides with enforcement, whatever the account's mode (for callers that have no audit
/// record to write, and the benches).
pub fn authorize(
    caller: &Caller,
    target: &Target,
    env: &RequestEnv,
    state: &State,
) -> Result<(), ServerError> {
    decide(caller, target, env, state, || false).map(|_| ())
}

/// Decides in the mode of the caller's account: `Ok(Some(_))` is a policy denial that
/// report-only enforcement lets through, for the caller to record.
pub fn authorize_reporting(
    caller: &Caller,
    target: &Target,
    env: &RequestEnv,
    state: &State,
) -> Result<Option<WouldDeny>, ServerError> {
    // The account's mode is read only once a denial needs it: allowed requests, the hot
    // path, pay nothing for report-only.
    decide(caller, target, env, state, || {
        is_report_only(state, &caller.account)
    })
}

/// Records a denial that report-only enforcement let through: in the audit log (the file
/// `oxiam audit` reads, decision `ReportOnlyDeny`) and as an `oxiam::audit` event, with
/// everything the AccessDenied error would have said, under the request ID of `env`.
pub fn record_would_deny(
    app: &App,
    via: Via,
    caller: &Caller,
    would: &WouldDeny,
    env: &RequestEnv,
) {
    let request_id = env.request_id.as_deref().unwrap_or("-");
    tracing::warn!(target: "oxiam::audit", request_id, via = via.as_str(),
        principal = caller.arn, action = would.action, resource = would.resource,
        decision = "ReportOnlyDeny", would_be = would.decision, denied_by = would.denied_by,
        denial_message = would.message, "report-only: would be denied");
    app.audit.record(crate::runtime::audit::Record {
        time: env
            .now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        request_id: request_id.to_owned(),
        caller: caller.arn.clone(),
        principal: caller.arn.clone(),
        action: would.action.clone(),
        resource: would.resource.clone(),
        decision: crate::runtime::audit::REPORT_ONLY_DENY.to_owned(),
        reasons: vec![would.decision.to_owned()],
        source_ip: env.source_ip.map(|ip| ip.to_string()),
        via: Some(via.as_str().to_owned()),
        would_be_decision: Some(would.decision.to_owned()),
        denied_by: Some(would.denied_by.to_owned()),
        message: Some(would.message.clone()),
    });
}

fn decide(
    caller: &Caller,
    target: &Target,
    env: &RequestEnv,
    state: &State,
    report_only: impl Fn() -> bool,
) -> Result<Option<WouldDeny>, ServerError> {
    // What session credentials may not call at all, whatever their policies say: not a
    // policy decision, so enforced in report-only accounts too.
    crate::auth::session_decide::session_limits(caller, target)?;
    if target.always_allowed {
        return Ok(None);
    }
    let mut first = None;
    for t in std::iter::once(target).chain(&target.dependent) {
        let Err(denial) = authorize_one(caller, t, env, state) else {
            continue;
        };
        // INVARIANT (report-only-own-account): only a request on the caller's own account
        // is relaxed; across accounts the other account's policies decide as always.
        if !(in_account(&t.resource, &caller.account) && report_only()) {
            return Err(denial.error);
        }
        if first.is_none() {
            first = Some(WouldDeny {
                action: t.action.clone(),
                resource: t.resource.clone(),
                decision: if denial.explicit {
                    "ExplicitDeny"
                } else {
                    "ImplicitDeny"
                },
                denied_by: denial.by.as_str(),
                message: match denial.error {
                    ServerError::Api(a) => a.message,
                    other => other.to_string(),
                },
            });
        }
    }
    Ok(first)
}

fn authorize_one(
    caller: &Caller,
    target: &Target,
    env: &RequestEnv,
    state: &State,
) -> Result<(), Denial> {
    // AWS managed policies (`arn:aws:iam::aws:policy/…`) belong to every account.
    let same_account = in_account(&target.resource, &caller.account);
    let deny = |explicit: bool, by: PolicyType, why: &str| Denial {
        explicit,
        by,
        error: denied(caller, target, why),
    };
    match &caller.kind {
        // The root is allowed everything in its own account, and nothing in another; a
        // root session scoped down has what its scope-down policies leave (below).
        CallerKind::Root if same_account && !crate::auth::session_decide::is_scoped(caller) => {
            Ok(())
        }
        CallerKind::Root if !same_account => Err(deny(
            false,
            PolicyType::Resource,
            "because no resource-based policy allows the",
        )),
        CallerKind::Root
        | CallerKind::User { .. }
        | CallerKind::AssumedRole { .. }
        | CallerKind::FederatedUser { .. } => {
            match crate::auth::decide::identity_decision(caller, target, env, state) {
                Outcome::Allow => Ok(()),
                Outcome::ExplicitDeny(PolicyType::PermissionsBoundary) => Err(deny(
                    true,
                    PolicyType::PermissionsBoundary,
                    "with an explicit deny in a permissions boundary",
                )),
                Outcome::ExplicitDeny(PolicyType::Session) => Err(deny(
                    true,
                    PolicyType::Session,
                    "with an explicit deny in a session policy",
                )),
                Outcome::ImplicitDeny(PolicyType::Session) => Err(deny(
                    false,
                    PolicyType::Session,
                    "because no session policy allows the",
                )),
                Outcome::ExplicitDeny(_) => Err(deny(
                    true,
                    PolicyType::Identity,
                    "with an explicit deny in an identity-based policy",
                )),
                Outcome::ImplicitDeny(PolicyType::PermissionsBoundary) => Err(deny(
                    false,
                    PolicyType::PermissionsBoundary,
                    "because no permissions boundary allows the",
                )),
                Outcome::ImplicitDeny(_) => Err(deny(
                    false,
                    PolicyType::Identity,
                    "because no identity-based policy allows the",
                )),
            }
        }
    }
}

/// AWS's AccessDenied message: "User: ARN is not authorized to perform: ACTION on resource:
/// RESOURCE because no identity-based policy allows the ACTION action", the resource named
/// as IAM names it (`user bob`, `policy arn:…`, or an ARN).
pub fn denied(caller: &Caller, target: &Target, why: &str) -> ServerError {
    let reason = if why.ends_with(" the") {
        format!("{why} {} action", target.action)
    } else {
        why.to_owned()
    };
    api(
        ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {} on resource: {} {reason}",
            caller.arn,
            target.action,
            target.shown_resource()
        ),
    )
}

#[cfg(test)]
mod tests {

    use std::sync::Arc;

    use oxiam_store::crypto::Kek;

    use super::*;
    use crate::model::fixtures::{self, ACCOUNT};
    use crate::model::{Account, EnforcementMode, User};
    use crate::state::Tx;

    const OTHER: &str = "210987654321";

    /// A state with both accounts (`ACCOUNT` in `mode`, `OTHER` enforcing) and `alice`.
    fn world(mode: EnforcementMode, alice: &User) -> State {
        let mut tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        for (id, enforcement) in [(ACCOUNT, mode), (OTHER, EnforcementMode::Enforce)] {
            tx.put(Account {
                id: id.into(),
                created: 0,
                alias: None,
                root_password: None,
                root_password_last_used: None,
                enforcement,
            })
            .unwrap();
        }
        tx.put(alice.clone()).unwrap();
        tx.finish().unwrap().1
    }

    /// Alice of `ACCOUNT`, allowed `iam:Get*` and denied `iam:DeleteUser`.
    fn alice() -> User {
        let mut u = fixtures::user("alice", "AIDAALICE");
        u.inline_policies.insert(
            "p".into(),
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":"iam:Get*","Resource":"*"},
                {"Effect":"Deny","Action":"iam:DeleteUser","Resource":"*"}]}"#
                .into(),
        );
        u
    }

    fn user_arn(account: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:user/{name}")
    }

    fn decide(state: &State, u: &User, t: &Target) -> Result<Option<WouldDeny>, ServerError> {
        authorize_reporting(&Caller::user(u, "AKIATEST"), t, &RequestEnv::now(), state)
    }

    fn access_denied(r: Result<Option<WouldDeny>, ServerError>) -> String {
        match r {
            Err(ServerError::Api(a)) if a.code == ErrorCode::AccessDenied => a.message,
            other => panic!("expected AccessDenied, got {other:?}"),
        }
    }

    #[test]
    fn the_default_mode_enforces() {
        let a = alice();
        let mut tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        tx.put(a.clone()).unwrap();
        // An account without a record of its mode, and one whose record has the default.
        let no_record = tx.finish().unwrap().1;
        let default = world(EnforcementMode::default(), &a);
        for state in [&no_record, &default] {
            let t = Target::new("iam:ListUsers", user_arn(ACCOUNT, ""));
            let message = access_denied(decide(state, &a, &t));
            assert!(
                message
                    .contains("because no identity-based policy allows the iam:ListUsers action")
            );
        }
        assert!(!is_report_only(&default, ACCOUNT));
    }

    #[test]
    fn report_only_allows_an_implicit_deny_and_says_what_it_would_have_been() {
        let a = alice();
        let state = world(EnforcementMode::ReportOnly, &a);
        let t = Target::new("iam:ListUsers", user_arn(ACCOUNT, ""));
        let would = decide(&state, &a, &t).unwrap().unwrap();
        assert_eq!(would.action, "iam:ListUsers");
        assert_eq!(would.resource, user_arn(ACCOUNT, ""));
        assert_eq!(would.decision, "ImplicitDeny");
        assert_eq!(would.denied_by, "identity-based policy");
        assert_eq!(
            would.message,
            format!(
                "User: {} is not authorized to perform: iam:ListUsers on resource: {} because no \
                 identity-based policy allows the iam:ListUsers action",
                user_arn(ACCOUNT, "alice"),
                user_arn(ACCOUNT, "")
            )
        );
        // What the policies allow is no would-be denial.
        let get = Target::new("iam:GetUser", user_arn(ACCOUNT, "bob"));
        assert_eq!(decide(&state, &a, &get).unwrap(), None);
        // The enforcing entry point ignores the mode.
        let caller = Caller::user(&a, "AKIATEST");
        assert!(authorize(&caller, &t, &RequestEnv::now(), &state).is_err());
    }

    #[test]
    fn report_only_allows_an_explicit_deny_and_a_boundary_denial() {
        let mut a = alice();
        let state = world(EnforcementMode::ReportOnly, &a);
        let delete = Target::new("iam:DeleteUser", user_arn(ACCOUNT, "bob"));
        let would = decide(&state, &a, &delete).unwrap().unwrap();
        assert_eq!(would.decision, "ExplicitDeny");
        assert_eq!(would.denied_by, "identity-based policy");
        assert!(
            would
                .message
                .ends_with("with an explicit deny in an identity-based policy")
        );

        a.permissions_boundary = Some("arn:aws:iam::aws:policy/IAMReadOnlyAccess".into());
        a.inline_policies
            .insert("all".into(), r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into());
        let state = world(EnforcementMode::ReportOnly, &a);
        let create = Target::new("iam:CreateUser", user_arn(ACCOUNT, "carol"));
        let would = decide(&state, &a, &create).unwrap().unwrap();
        assert_eq!(
            (would.decision, would.denied_by),
            ("ImplicitDeny", "permissions boundary")
        );
        let enforcing = world(EnforcementMode::Enforce, &a);
        assert!(access_denied(decide(&enforcing, &a, &create)).contains("permissions boundary"));
    }

    #[test]
    fn report_only_does_not_reach_into_another_account() {
        let a = alice();
        let state = world(EnforcementMode::ReportOnly, &a);
        // A resource of an enforcing account: denied as always (no resource policy allows).
        let t = Target::new("iam:ListUsers", user_arn(OTHER, ""));
        access_denied(decide(&state, &a, &t));
        // The other account's root is not relaxed by this account's mode either way.
        let root = Caller::root(ACCOUNT, "AKIAROOT");
        let t = Target::new("iam:GetUser", user_arn(OTHER, "bob"));
        access_denied(authorize_reporting(&root, &t, &RequestEnv::now(), &state));
        // A dependent action on another account's resource is not relaxed with its parent.
        let mut t = Target::new("iam:CreateInstanceProfile", user_arn(ACCOUNT, ""));
        t.dependent.push(Target::new(
            "iam:PassRole",
            format!("arn:aws:iam::{OTHER}:role/r"),
        ));
        access_denied(decide(&state, &a, &t));
    }

    #[test]
    fn an_enforcing_account_is_not_relaxed_by_a_report_only_one() {
        // Bob of the enforcing account asks about a resource of the report-only account:
        // his own account's policies decide, and they enforce.
        let a = alice();
        let state = world(EnforcementMode::ReportOnly, &a);
        let bob = User {
            account: OTHER.into(),
            ..fixtures::user("bob", "AIDABOB")
        };
        let t = Target::new("iam:GetUser", user_arn(ACCOUNT, "alice"));
        access_denied(decide(&state, &bob, &t));
    }
}
