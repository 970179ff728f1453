//! Authorization: may this caller perform this action on this resource. The account root
//! may do everything in its own account; everyone else is decided by the policy engine from
//! the policies in the snapshot. A request with dependent actions (`iam:PassRole` for
//! `AddRoleToInstanceProfile`) needs each of them allowed too.

use oxiam_policy::PolicyType;
use oxiam_protocol::error::ErrorCode;

use crate::auth::authn::{Caller, CallerKind};
use crate::auth::decide::{Outcome, RequestEnv};
use crate::auth::target::Target;
use crate::model::error::{ServerError, api};
use crate::state::State;

/// The account a resource ARN belongs to (its fifth field), if it names one.
fn resource_account(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

pub fn authorize(
    caller: &Caller,
    target: &Target,
    env: &RequestEnv,
    state: &State,
) -> Result<(), ServerError> {
    // What session credentials may not call at all, whatever their policies say.
    crate::auth::session_decide::session_limits(caller, target)?;
    if target.always_allowed {
        return Ok(());
    }
    authorize_one(caller, target, env, state)?;
    for dependent in &target.dependent {
        authorize_one(caller, dependent, env, state)?;
    }
    Ok(())
}

fn authorize_one(
    caller: &Caller,
    target: &Target,
    env: &RequestEnv,
    state: &State,
) -> Result<(), ServerError> {
    // AWS managed policies (`arn:aws:iam::aws:policy/…`) belong to every account.
    let same_account =
        resource_account(&target.resource).is_none_or(|a| a == caller.account || a == "aws");
    match &caller.kind {
        // The root is allowed everything in its own account, and nothing in another; a
        // root session scoped down has what its scope-down policies leave (below).
        CallerKind::Root if same_account && !crate::auth::session_decide::is_scoped(caller) => {
            Ok(())
        }
        CallerKind::Root if !same_account => Err(denied(
            caller,
            target,
            "because no resource-based policy allows the",
        )),
        CallerKind::Root
        | CallerKind::User { .. }
        | CallerKind::AssumedRole { .. }
        | CallerKind::FederatedUser { .. } => {
            match crate::auth::decide::identity_decision(caller, target, env, state) {
                Outcome::Allow => Ok(()),
                Outcome::ExplicitDeny(PolicyType::PermissionsBoundary) => Err(denied(
                    caller,
                    target,
                    "with an explicit deny in a permissions boundary",
                )),
                Outcome::ExplicitDeny(PolicyType::Session) => Err(denied(
                    caller,
                    target,
                    "with an explicit deny in a session policy",
                )),
                Outcome::ImplicitDeny(PolicyType::Session) => Err(denied(
                    caller,
                    target,
                    "because no session policy allows the",
                )),
                Outcome::ExplicitDeny(_) => Err(denied(
                    caller,
                    target,
                    "with an explicit deny in an identity-based policy",
                )),
                Outcome::ImplicitDeny(PolicyType::PermissionsBoundary) => Err(denied(
                    caller,
                    target,
                    "because no permissions boundary allows the",
                )),
                Outcome::ImplicitDeny(_) => Err(denied(
                    caller,
                    target,
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
