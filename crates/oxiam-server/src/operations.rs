//! The list of operations oxiam serves: for each, the IAM action and resource it is
//! authorized against, and the handler it dispatches to. An operation missing here answers
//! `NotImplemented` naming itself — never a panic or a silent success.

use oxiam_protocol::{iam, sts};

use crate::app::App;
use crate::authn::{Caller, CallerKind};
use crate::error::ServerError;
use crate::error::not_implemented;
use crate::iam::{
    Ctx, access_keys, account, attached, groups, inline, instance_profiles, policies, roles, users,
};
use crate::state::{State, Tx};

/// A decoded request of either service.
#[derive(Debug, Clone)]
pub enum Request {
    Iam(iam::Request),
    Sts(sts::Request),
}

#[derive(Debug)]
pub enum Response {
    Iam(iam::Response),
    Sts(sts::Response),
}

/// What a request asks to do, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `iam:CreateUser`, `sts:GetCallerIdentity`, …
    pub action: String,
    /// The resource ARN AWS authorizes the action on.
    pub resource: String,
    /// Whether the action needs no permission at all (sts:GetCallerIdentity).
    pub always_allowed: bool,
}

impl Request {
    pub fn name(&self) -> &'static str {
        match self {
            Request::Iam(r) => r.operation().name(),
            Request::Sts(r) => r.operation().name(),
        }
    }

    /// The action and resource of this request, as AWS's service authorization reference
    /// gives them for each operation.
    pub fn target(&self, caller: &Caller, state: &State) -> Target {
        let account = &caller.account;
        // The ARN of a named user: its real path when it exists, else the root path.
        let user_arn = |name: &str| match state.user(account, name) {
            Some(u) => u.arn(),
            None => format!("arn:aws:iam::{account}:user/{name}"),
        };
        // Operations on "the user named, or else the caller itself".
        let self_or_user = |name: Option<&String>| match (name, &caller.kind) {
            (Some(n), _) => user_arn(n),
            (None, CallerKind::User { .. } | CallerKind::Root) => caller.arn.clone(),
        };
        let (service, resource) = match self {
            Request::Iam(r) => (
                "iam",
                match r {
                    iam::Request::CreateUser(r) => format!(
                        "arn:aws:iam::{account}:user{}{}",
                        r.path.as_deref().unwrap_or("/"),
                        r.user_name
                    ),
                    iam::Request::ListUsers(r) => format!(
                        "arn:aws:iam::{account}:user{}",
                        r.path_prefix.as_deref().unwrap_or("/")
                    ),
                    iam::Request::GetUser(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::UpdateUser(r) => user_arn(&r.user_name),
                    iam::Request::DeleteUser(r) => user_arn(&r.user_name),
                    iam::Request::TagUser(r) => user_arn(&r.user_name),
                    iam::Request::UntagUser(r) => user_arn(&r.user_name),
                    iam::Request::ListUserTags(r) => user_arn(&r.user_name),
                    iam::Request::CreateAccessKey(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::ListAccessKeys(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::UpdateAccessKey(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::DeleteAccessKey(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::GetAccessKeyLastUsed(r) => {
                        key_owner_arn(state, account, &r.access_key_id)
                            .unwrap_or_else(|| "*".to_owned())
                    }
                    _ => "*".to_owned(),
                },
            ),
            Request::Sts(_) => ("sts", "*".to_owned()),
        };
        Target {
            action: format!("{service}:{}", self.name()),
            resource,
            always_allowed: matches!(self, Request::Sts(sts::Request::GetCallerIdentity(..))),
        }
    }
}

fn key_owner_arn(state: &State, account: &str, key_id: &str) -> Option<String> {
    let key = state
        .access_keys
        .get(key_id)
        .filter(|k| k.account == account)?;
    Some(match &key.owner {
        crate::model::KeyOwner::Root => format!("arn:aws:iam::{account}:root"),
        crate::model::KeyOwner::User(id) => state.user_by_id(id)?.arn(),
    })
}

/// Runs the handler of `request`. Blocking: writes go to the store before returning.
pub fn dispatch(app: &App, caller: &Caller, request: &Request) -> Result<Response, ServerError> {
    let ctx = Ctx {
        caller,
        quotas: &app.config.quotas,
    };
    match request {
        Request::Iam(r) => {
            // Read outside the write closure: the last-used tracker is not part of the snapshot.
            let used = match r {
                iam::Request::GetAccessKeyLastUsed(q) => app.key_last_used(&q.access_key_id),
                _ => None,
            };
            app.write(|tx| dispatch_iam(&ctx, tx, r, used.clone()))
                .map(Response::Iam)
        }
        Request::Sts(r) => match r {
            sts::Request::GetCallerIdentity(..) => Ok(Response::Sts(
                sts::Response::GetCallerIdentity(crate::sts::get_caller_identity(caller)),
            )),
            other => Err(not_implemented(other.operation().name())),
        },
    }
}

fn dispatch_iam(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    request: &iam::Request,
    used: Option<crate::model::KeyLastUsed>,
) -> Result<iam::Response, ServerError> {
    use iam::{Request as Q, Response as A};
    Ok(match request {
        Q::CreateUser(r) => A::CreateUser(users::create(ctx, tx, r)?),
        Q::GetUser(r) => A::GetUser(users::get(ctx, tx, r)?),
        Q::ListUsers(r) => A::ListUsers(users::list(ctx, tx, r)?),
        Q::UpdateUser(r) => users::update(ctx, tx, r).map(|()| A::UpdateUser)?,
        Q::DeleteUser(r) => users::delete(ctx, tx, r).map(|()| A::DeleteUser)?,
        Q::TagUser(r) => users::tag(ctx, tx, r).map(|()| A::TagUser)?,
        Q::UntagUser(r) => users::untag(ctx, tx, r).map(|()| A::UntagUser)?,
        Q::ListUserTags(r) => A::ListUserTags(users::list_tags(ctx, tx, r)?),
        Q::CreateAccessKey(r) => A::CreateAccessKey(access_keys::create(ctx, tx, r)?),
        Q::ListAccessKeys(r) => A::ListAccessKeys(access_keys::list(ctx, tx, r)?),
        Q::UpdateAccessKey(r) => access_keys::update(ctx, tx, r).map(|()| A::UpdateAccessKey)?,
        Q::DeleteAccessKey(r) => access_keys::delete(ctx, tx, r).map(|()| A::DeleteAccessKey)?,
        Q::GetAccessKeyLastUsed(r) => {
            A::GetAccessKeyLastUsed(access_keys::last_used(ctx, tx, r, used)?)
        }
        Q::PutUserPermissionsBoundary(r) => users::put_user_permissions_boundary(ctx, tx, r)
            .map(|()| A::PutUserPermissionsBoundary)?,
        Q::DeleteUserPermissionsBoundary(r) => users::delete_user_permissions_boundary(ctx, tx, r)
            .map(|()| A::DeleteUserPermissionsBoundary)?,
        Q::CreateGroup(r) => A::CreateGroup(groups::create_group(ctx, tx, r)?),
        Q::GetGroup(r) => A::GetGroup(groups::get_group(ctx, tx, r)?),
        Q::ListGroups(r) => A::ListGroups(groups::list_groups(ctx, tx, r)?),
        Q::UpdateGroup(r) => groups::update_group(ctx, tx, r).map(|()| A::UpdateGroup)?,
        Q::DeleteGroup(r) => groups::delete_group(ctx, tx, r).map(|()| A::DeleteGroup)?,
        Q::AddUserToGroup(r) => {
            groups::add_user_to_group(ctx, tx, r).map(|()| A::AddUserToGroup)?
        }
        Q::RemoveUserFromGroup(r) => {
            groups::remove_user_from_group(ctx, tx, r).map(|()| A::RemoveUserFromGroup)?
        }
        Q::ListGroupsForUser(r) => A::ListGroupsForUser(groups::list_groups_for_user(ctx, tx, r)?),
        Q::CreateRole(r) => A::CreateRole(roles::create_role(ctx, tx, r)?),
        Q::GetRole(r) => A::GetRole(roles::get_role(ctx, tx, r)?),
        Q::ListRoles(r) => A::ListRoles(roles::list_roles(ctx, tx, r)?),
        Q::UpdateRole(r) => A::UpdateRole(roles::update_role(ctx, tx, r)?),
        Q::UpdateRoleDescription(r) => {
            A::UpdateRoleDescription(roles::update_role_description(ctx, tx, r)?)
        }
        Q::UpdateAssumeRolePolicy(r) => {
            roles::update_assume_role_policy(ctx, tx, r).map(|()| A::UpdateAssumeRolePolicy)?
        }
        Q::DeleteRole(r) => roles::delete_role(ctx, tx, r).map(|()| A::DeleteRole)?,
        Q::TagRole(r) => roles::tag_role(ctx, tx, r).map(|()| A::TagRole)?,
        Q::UntagRole(r) => roles::untag_role(ctx, tx, r).map(|()| A::UntagRole)?,
        Q::ListRoleTags(r) => A::ListRoleTags(roles::list_role_tags(ctx, tx, r)?),
        Q::PutRolePermissionsBoundary(r) => roles::put_role_permissions_boundary(ctx, tx, r)
            .map(|()| A::PutRolePermissionsBoundary)?,
        Q::DeleteRolePermissionsBoundary(r) => roles::delete_role_permissions_boundary(ctx, tx, r)
            .map(|()| A::DeleteRolePermissionsBoundary)?,
        Q::CreateServiceLinkedRole(r) => {
            A::CreateServiceLinkedRole(roles::create_service_linked_role(ctx, tx, r)?)
        }
        Q::DeleteServiceLinkedRole(r) => {
            A::DeleteServiceLinkedRole(roles::delete_service_linked_role(ctx, tx, r)?)
        }
        Q::GetServiceLinkedRoleDeletionStatus(r) => A::GetServiceLinkedRoleDeletionStatus(
            roles::get_service_linked_role_deletion_status(ctx, tx, r)?,
        ),
        Q::CreatePolicy(r) => A::CreatePolicy(policies::create_policy(ctx, tx, r)?),
        Q::GetPolicy(r) => A::GetPolicy(policies::get_policy(ctx, tx, r)?),
        Q::ListPolicies(r) => A::ListPolicies(policies::list_policies(ctx, tx, r)?),
        Q::DeletePolicy(r) => policies::delete_policy(ctx, tx, r).map(|()| A::DeletePolicy)?,
        Q::CreatePolicyVersion(r) => {
            A::CreatePolicyVersion(policies::create_policy_version(ctx, tx, r)?)
        }
        Q::GetPolicyVersion(r) => A::GetPolicyVersion(policies::get_policy_version(ctx, tx, r)?),
        Q::ListPolicyVersions(r) => {
            A::ListPolicyVersions(policies::list_policy_versions(ctx, tx, r)?)
        }
        Q::DeletePolicyVersion(r) => {
            policies::delete_policy_version(ctx, tx, r).map(|()| A::DeletePolicyVersion)?
        }
        Q::SetDefaultPolicyVersion(r) => {
            policies::set_default_policy_version(ctx, tx, r).map(|()| A::SetDefaultPolicyVersion)?
        }
        Q::TagPolicy(r) => policies::tag_policy(ctx, tx, r).map(|()| A::TagPolicy)?,
        Q::UntagPolicy(r) => policies::untag_policy(ctx, tx, r).map(|()| A::UntagPolicy)?,
        Q::ListPolicyTags(r) => A::ListPolicyTags(policies::list_policy_tags(ctx, tx, r)?),
        Q::ListEntitiesForPolicy(r) => {
            A::ListEntitiesForPolicy(policies::list_entities_for_policy(ctx, tx, r)?)
        }
        Q::AttachUserPolicy(r) => {
            attached::attach_user_policy(ctx, tx, r).map(|()| A::AttachUserPolicy)?
        }
        Q::DetachUserPolicy(r) => {
            attached::detach_user_policy(ctx, tx, r).map(|()| A::DetachUserPolicy)?
        }
        Q::ListAttachedUserPolicies(r) => {
            A::ListAttachedUserPolicies(attached::list_attached_user_policies(ctx, tx, r)?)
        }
        Q::AttachGroupPolicy(r) => {
            attached::attach_group_policy(ctx, tx, r).map(|()| A::AttachGroupPolicy)?
        }
        Q::DetachGroupPolicy(r) => {
            attached::detach_group_policy(ctx, tx, r).map(|()| A::DetachGroupPolicy)?
        }
        Q::ListAttachedGroupPolicies(r) => {
            A::ListAttachedGroupPolicies(attached::list_attached_group_policies(ctx, tx, r)?)
        }
        Q::AttachRolePolicy(r) => {
            attached::attach_role_policy(ctx, tx, r).map(|()| A::AttachRolePolicy)?
        }
        Q::DetachRolePolicy(r) => {
            attached::detach_role_policy(ctx, tx, r).map(|()| A::DetachRolePolicy)?
        }
        Q::ListAttachedRolePolicies(r) => {
            A::ListAttachedRolePolicies(attached::list_attached_role_policies(ctx, tx, r)?)
        }
        Q::PutUserPolicy(r) => inline::put_user_policy(ctx, tx, r).map(|()| A::PutUserPolicy)?,
        Q::GetUserPolicy(r) => A::GetUserPolicy(inline::get_user_policy(ctx, tx, r)?),
        Q::DeleteUserPolicy(r) => {
            inline::delete_user_policy(ctx, tx, r).map(|()| A::DeleteUserPolicy)?
        }
        Q::ListUserPolicies(r) => A::ListUserPolicies(inline::list_user_policies(ctx, tx, r)?),
        Q::PutGroupPolicy(r) => inline::put_group_policy(ctx, tx, r).map(|()| A::PutGroupPolicy)?,
        Q::GetGroupPolicy(r) => A::GetGroupPolicy(inline::get_group_policy(ctx, tx, r)?),
        Q::DeleteGroupPolicy(r) => {
            inline::delete_group_policy(ctx, tx, r).map(|()| A::DeleteGroupPolicy)?
        }
        Q::ListGroupPolicies(r) => A::ListGroupPolicies(inline::list_group_policies(ctx, tx, r)?),
        Q::PutRolePolicy(r) => inline::put_role_policy(ctx, tx, r).map(|()| A::PutRolePolicy)?,
        Q::GetRolePolicy(r) => A::GetRolePolicy(inline::get_role_policy(ctx, tx, r)?),
        Q::DeleteRolePolicy(r) => {
            inline::delete_role_policy(ctx, tx, r).map(|()| A::DeleteRolePolicy)?
        }
        Q::ListRolePolicies(r) => A::ListRolePolicies(inline::list_role_policies(ctx, tx, r)?),
        Q::CreateInstanceProfile(r) => {
            A::CreateInstanceProfile(instance_profiles::create_instance_profile(ctx, tx, r)?)
        }
        Q::GetInstanceProfile(r) => {
            A::GetInstanceProfile(instance_profiles::get_instance_profile(ctx, tx, r)?)
        }
        Q::ListInstanceProfiles(r) => {
            A::ListInstanceProfiles(instance_profiles::list_instance_profiles(ctx, tx, r)?)
        }
        Q::DeleteInstanceProfile(r) => instance_profiles::delete_instance_profile(ctx, tx, r)
            .map(|()| A::DeleteInstanceProfile)?,
        Q::AddRoleToInstanceProfile(r) => {
            instance_profiles::add_role_to_instance_profile(ctx, tx, r)
                .map(|()| A::AddRoleToInstanceProfile)?
        }
        Q::RemoveRoleFromInstanceProfile(r) => {
            instance_profiles::remove_role_from_instance_profile(ctx, tx, r)
                .map(|()| A::RemoveRoleFromInstanceProfile)?
        }
        Q::ListInstanceProfilesForRole(r) => A::ListInstanceProfilesForRole(
            instance_profiles::list_instance_profiles_for_role(ctx, tx, r)?,
        ),
        Q::TagInstanceProfile(r) => {
            instance_profiles::tag_instance_profile(ctx, tx, r).map(|()| A::TagInstanceProfile)?
        }
        Q::UntagInstanceProfile(r) => instance_profiles::untag_instance_profile(ctx, tx, r)
            .map(|()| A::UntagInstanceProfile)?,
        Q::ListInstanceProfileTags(r) => {
            A::ListInstanceProfileTags(instance_profiles::list_instance_profile_tags(ctx, tx, r)?)
        }
        Q::CreateAccountAlias(r) => {
            account::create_account_alias(ctx, tx, r).map(|()| A::CreateAccountAlias)?
        }
        Q::DeleteAccountAlias(r) => {
            account::delete_account_alias(ctx, tx, r).map(|()| A::DeleteAccountAlias)?
        }
        Q::ListAccountAliases(r) => {
            A::ListAccountAliases(account::list_account_aliases(ctx, tx, r)?)
        }
        Q::GetAccountSummary => A::GetAccountSummary(account::get_account_summary(ctx, tx)?),
        Q::GetAccountAuthorizationDetails(r) => A::GetAccountAuthorizationDetails(
            account::get_account_authorization_details(ctx, tx, r)?,
        ),
        other => return Err(not_implemented(other.operation().name())),
    })
}
