//! The bridge from the snapshot to the policy engine: materialises a principal's policies
//! and the request context, and asks `oxiam_policy::evaluate`.

use oxiam_policy::{Context, Effect, PolicySet, Principal, PrincipalType, Request};

use crate::authn::{Caller, CallerKind};
use crate::operations::Target;
use crate::state::State;

/// The decision of the caller's identity-based policies for `target`.
///
/// Users have no policies until policy management lands (issue 4): the set the engine sees is
/// empty, so it denies implicitly — exactly what AWS does for a user without policies.
pub fn identity_decision(caller: &Caller, target: &Target, state: &State) -> Effect {
    let kind = match caller.kind {
        CallerKind::Root => PrincipalType::Account,
        CallerKind::User { .. } => PrincipalType::User,
    };
    let principal = Principal {
        arn: &caller.arn,
        account: &caller.account,
        kind,
        role_arn: None,
        user_id: &caller.user_id,
    };
    let user = state.user_by_id(&caller.user_id);
    let tags: Vec<(&str, &str)> = user
        .map(|u| {
            u.tags
                .iter()
                .map(|t| (t.key.as_str(), t.value.as_str()))
                .collect()
        })
        .unwrap_or_default();
    let context: Context = Context::for_principal(&principal, &tags);
    let request = Request {
        principal,
        action: &target.action,
        resource: &target.resource,
        resource_account: Some(&caller.account),
        context: &context,
    };
    oxiam_policy::evaluate(&request, &PolicySet::default()).effect
}
