//! Roles: Create/Get/List/Update/UpdateRoleDescription/UpdateAssumeRolePolicy/Delete, tags,
//! permissions boundary, service-linked roles.
//!
//! A service-linked role is an ordinary [`Role`] whose path is
//! `/aws-service-role/<service principal>/`: AWS reserves that path for them, and only
//! the service-linked operations may change or delete one (others get UnmodifiableEntity).
//! What CreateServiceLinkedRole makes for a service comes from AWS's catalogue
//! ([`service_linked_roles`]).

use std::sync::Arc;

use oxiam_policy::{ErrorKind, ParseOptions, Policy, PolicyKind, SizeLimit};
use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::{
    Ctx, encode_document, marker_start, not_supported_yet, paginate, remove_tags, tag_page,
    wire_boundary, wire_tags,
};
use crate::auth::target::Target;
use crate::model::error::{
    ServerError, already_exists, api, invalid_input, limit_exceeded, no_such_entity,
};
use crate::model::ids::{self, IdPrefix};
use crate::model::policy_json;
use crate::model::service_linked_roles::{self, ServiceLinkedRole};
use crate::model::{Role, Setting, now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::{State, Tx};

/// The path prefix AWS reserves for service-linked roles.
pub const SERVICE_ROLE_PATH: &str = service_linked_roles::PATH_PREFIX;
/// A role's maximum session duration when the request gives none (one hour).
const DEFAULT_MAX_SESSION_DURATION: i32 = 3600;
/// Prefix of the settings that record finished service-linked role deletion tasks.
const DELETION_TASK_SETTING: &str = "slr_deletion_task/";

/// AWS's NoSuchEntity for a role name.
pub fn no_such_role(name: &str) -> ServerError {
    no_such_entity(format!("The role with name {name} cannot be found."))
}

/// The role `name` of `account`, or AWS's NoSuchEntity.
pub fn find<'s>(state: &'s State, account: &str, name: &str) -> Result<&'s Arc<Role>, ServerError> {
    state.role(account, name).ok_or_else(|| no_such_role(name))
}

/// The role of `account` with unique ID `id` (instance profiles hold roles by ID).
pub fn by_id<'s>(state: &'s State, account: &str, id: &str) -> Option<&'s Arc<Role>> {
    State::of_account(&state.roles, account).find(|r| r.id == id)
}

pub fn is_service_linked(role: &Role) -> bool {
    role.path.starts_with(SERVICE_ROLE_PATH)
}

/// Refuses changes to a service-linked role with AWS's UnmodifiableEntity.
pub fn check_modifiable(role: &Role) -> Result<(), ServerError> {
    if is_service_linked(role) {
        return Err(api(
            ErrorCode::UnmodifiableEntity,
            format!(
                "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS",
                role.name
            ),
        ));
    }
    Ok(())
}

/// Validates a trust policy as AWS does: the size quota first (non-white-space characters,
/// `LimitExceeded` naming AWS's `ACLSizePerRole`), then the document as a trust policy.
pub fn check_trust_policy(document: &str, max_chars: usize) -> Result<Policy, ServerError> {
    // A trust policy that is not JSON at all gets IAM's own wording (recorded from AWS);
    // identity policies say "Syntax errors in policy." for the same document.
    if document.chars().count() <= max_chars
        && serde_json::from_str::<serde_json::Value>(document).is_err()
    {
        return Err(api(
            ErrorCode::MalformedPolicyDocument,
            "This policy contains invalid Json",
        ));
    }
    let options = ParseOptions {
        size_limit: Some(SizeLimit {
            max_chars,
            quota_name: "ACLSizePerRole",
        }),
        ..ParseOptions::for_kind(PolicyKind::Trust)
    };
    Policy::parse_with(document, PolicyKind::Trust, &options).map_err(|e| match e.kind() {
        ErrorKind::LimitExceeded => limit_exceeded(e.message().to_owned()),
        _ => api(ErrorCode::MalformedPolicyDocument, e.message().to_owned()),
    })
}

/// AWS resolves the IAM users and roles a trust policy names when it stores the policy, and
/// refuses one that does not exist (recorded: `Invalid principal in policy:
/// "AWS":"arn:aws:iam::…:role/…"`, for CreateRole and UpdateAssumeRolePolicy; a role that
/// trusts itself cannot be created for the same reason). oxiam checks the users and roles of
/// the accounts it hosts; another account's ARN, an account, a service or a wildcard is left
/// as it is.
pub fn check_trust_principals(state: &State, document: &str) -> Result<(), ServerError> {
    let Ok(policy) = serde_json::from_str::<serde_json::Value>(document) else {
        return Ok(());
    };
    let named = policy_json::statements(&policy)
        .into_iter()
        .filter_map(|s| s.get("Principal")?.get("AWS"))
        .flat_map(policy_json::strings);
    for arn in named {
        if !principal_exists(state, arn) {
            return Err(api(
                ErrorCode::MalformedPolicyDocument,
                format!("Invalid principal in policy: \"AWS\":\"{arn}\""),
            ));
        }
    }
    Ok(())
}

/// Whether a trust policy's `AWS` principal names something that exists, as far as this
/// deployment can tell (see [`check_trust_principals`]).
fn principal_exists(state: &State, arn: &str) -> bool {
    let Some((account, resource)) = arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(':'))
    else {
        return true;
    };
    if arn.contains(['*', '?']) || !state.accounts.contains_key(account) {
        return true;
    }
    let name = resource.rsplit('/').next().unwrap_or_default();
    if resource.starts_with("user/") {
        state.user(account, name).is_some_and(|u| u.arn() == arn)
    } else if resource.starts_with("role/") {
        state.role(account, name).is_some_and(|r| r.arn() == arn)
    } else {
        true
    }
}

/// Checks that `arn` names a managed policy a principal of `account` may use as its
/// permissions boundary: an AWS managed policy or one of the account's own.
pub fn check_boundary(state: &State, account: &str, arn: &str) -> Result<(), ServerError> {
    let Some(rest) = arn.strip_prefix("arn:aws:iam::") else {
        return Err(invalid_input(format!("ARN {arn} is not valid.")));
    };
    if !rest.contains(":policy/") {
        return Err(invalid_input(format!("ARN {arn} is not valid.")));
    }
    let exists = crate::model::aws_managed::get(arn).is_some()
        || state
            .policy_by_arn(arn)
            .is_some_and(|p| p.account == account);
    if !exists {
        return Err(no_such_entity(format!(
            "Scope ARN: {arn} does not exist or is not attachable."
        )));
    }
    Ok(())
}

/// How much of a role a response carries: list operations leave out tags, the permissions
/// boundary and last use, as AWS's do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    List,
    Create,
    Get,
}

pub fn wire_role(r: &Role, detail: Detail) -> iam::Role {
    let full = detail != Detail::List;
    iam::Role {
        path: r.path.clone(),
        role_name: r.name.clone(),
        role_id: r.id.clone(),
        arn: r.arn(),
        create_date: to_datetime(r.created),
        assume_role_policy_document: Some(encode_document(&r.assume_role_policy)),
        description: r.description.clone(),
        // CreateRole's result has no MaxSessionDuration in AWS (GetRole and ListRoles do).
        max_session_duration: (detail != Detail::Create).then_some(r.max_session_duration),
        max_signin_session_duration: None,
        permissions_boundary: wire_boundary(r.permissions_boundary.as_ref().filter(|_| full)),
        tags: (full && !r.tags.is_empty()).then(|| wire_tags(&r.tags)),
        role_last_used: (detail == Detail::Get).then(|| iam::RoleLastUsed {
            last_used_date: r.last_used.as_ref().map(|(at, _)| to_datetime(*at)),
            region: r.last_used.as_ref().map(|(_, region)| region.clone()),
        }),
        source_role_template: r
            .source_role_template
            .as_ref()
            .map(|s| iam::SourceRoleTemplate {
                template_arn: s.template_arn.clone(),
                template_minor_version: s.minor_version,
            }),
    }
}

fn check_role_quota(ctx: &Ctx<'_>, state: &State) -> Result<(), ServerError> {
    let max = ctx.quotas.roles_per_account;
    super::check_account_quota::<Role>(state, &ctx.caller.account, max, "RolesPerAccount")
}

pub fn create_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateRoleRequest,
) -> Result<iam::CreateRoleResponse, ServerError> {
    not_supported_yet(
        "MaxSigninSessionDuration",
        r.max_signin_session_duration.is_some(),
    )?;
    let account = &ctx.caller.account;
    let state = tx.state();
    check_trust_policy(
        &r.assume_role_policy_document,
        ctx.quotas.role_trust_policy_size,
    )?;
    check_trust_principals(state, &r.assume_role_policy_document)?;
    if let Some(boundary) = &r.permissions_boundary {
        check_boundary(state, account, boundary)?;
    }
    if state.role(account, &r.role_name).is_some() {
        return Err(already_exists(format!(
            "Role with name {} already exists.",
            r.role_name
        )));
    }
    check_role_quota(ctx, state)?;
    let tags = ctx.new_tags(r.tags.as_deref())?;
    let role = Role {
        account: account.clone(),
        id: ids::unique_id(IdPrefix::Role),
        name: r.role_name.clone(),
        path: r.path.clone().unwrap_or_else(|| "/".to_owned()),
        created: now_epoch(),
        assume_role_policy: r.assume_role_policy_document.clone(),
        description: r.description.clone(),
        max_session_duration: r
            .max_session_duration
            .unwrap_or(DEFAULT_MAX_SESSION_DURATION),
        permissions_boundary: r.permissions_boundary.clone(),
        tags,
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
        last_used: None,
        source_role_template: None,
    };
    let wire = wire_role(&role, Detail::Create);
    tx.put(role)?;
    Ok(iam::CreateRoleResponse { role: wire })
}

pub fn get_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetRoleRequest,
) -> Result<iam::GetRoleResponse, ServerError> {
    let role = find(tx.state(), &ctx.caller.account, &r.role_name)?;
    Ok(iam::GetRoleResponse {
        role: wire_role(role, Detail::Get),
    })
}

pub fn list_roles(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListRolesRequest,
) -> Result<iam::ListRolesResponse, ServerError> {
    let prefix = r.path_prefix.as_deref().unwrap_or("/");
    let start = marker_start(r.marker.as_deref())?;
    let roles = State::of_account_from(&tx.state().roles, &ctx.caller.account, start.as_deref())
        .filter(|role| role.path.starts_with(prefix))
        .map(|role| (role.name.to_lowercase(), wire_role(role, Detail::List)));
    let page = paginate(roles, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListRolesResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        roles: page.items,
    })
}

/// Applies `change` to a copy of the named role and stores it; returns the new role.
fn modify(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    name: &str,
    change: impl FnOnce(&mut Role) -> Result<(), ServerError>,
) -> Result<Role, ServerError> {
    let mut role = Role::clone(find(tx.state(), &ctx.caller.account, name)?);
    change(&mut role)?;
    tx.put(role.clone())?;
    Ok(role)
}

pub fn update_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateRoleRequest,
) -> Result<iam::UpdateRoleResponse, ServerError> {
    // `ResetMaxSigninSessionDuration` is a no-op: no role has one.
    not_supported_yet(
        "MaxSigninSessionDuration",
        r.max_signin_session_duration.is_some(),
    )?;
    modify(ctx, tx, &r.role_name, |role| {
        if let Some(description) = &r.description {
            role.description = Some(description.clone());
        }
        if let Some(duration) = r.max_session_duration {
            role.max_session_duration = duration;
        }
        Ok(())
    })?;
    Ok(iam::UpdateRoleResponse {})
}

pub fn update_role_description(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateRoleDescriptionRequest,
) -> Result<iam::UpdateRoleDescriptionResponse, ServerError> {
    let role = modify(ctx, tx, &r.role_name, |role| {
        role.description = Some(r.description.clone());
        Ok(())
    })?;
    Ok(iam::UpdateRoleDescriptionResponse {
        role: Some(wire_role(&role, Detail::Get)),
    })
}

pub fn update_assume_role_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateAssumeRolePolicyRequest,
) -> Result<(), ServerError> {
    let max = ctx.quotas.role_trust_policy_size;
    let principals = check_trust_principals(tx.state(), &r.policy_document);
    modify(ctx, tx, &r.role_name, |role| {
        check_modifiable(role)?;
        check_trust_policy(&r.policy_document, max)?;
        principals?;
        role.assume_role_policy = r.policy_document.clone();
        Ok(())
    })
    .map(drop)
}

pub fn delete_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteRoleRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let role = find(state, account, &r.role_name)?;
    check_modifiable(role)?;
    check_deletable(state, role)?;
    let key = State::name_key(account, &role.name);
    tx.delete::<Role>(&key);
    Ok(())
}

/// DeleteConflict while the role is in an instance profile or has policies, as AWS.
fn check_deletable(state: &State, role: &Role) -> Result<(), ServerError> {
    let mut profiles = super::instance_profiles::profiles_of_role(state, &role.account, &role.id);
    super::check_deletable(&[
        (
            profiles.next().is_some(),
            "remove roles from instance profile",
        ),
        (!role.attached_policies.is_empty(), "detach all policies"),
        (!role.inline_policies.is_empty(), "delete policies"),
    ])
}

pub fn tag_role(ctx: &Ctx<'_>, tx: &mut Tx, r: &iam::TagRoleRequest) -> Result<(), ServerError> {
    modify(ctx, tx, &r.role_name, |role| {
        role.tags = ctx.merge_tags(&role.tags, &r.tags)?;
        Ok(())
    })
    .map(drop)
}

pub fn untag_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UntagRoleRequest,
) -> Result<(), ServerError> {
    modify(ctx, tx, &r.role_name, |role| {
        role.tags = remove_tags(&role.tags, &r.tag_keys);
        Ok(())
    })
    .map(drop)
}

pub fn list_role_tags(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListRoleTagsRequest,
) -> Result<iam::ListRoleTagsResponse, ServerError> {
    let role = find(tx.state(), &ctx.caller.account, &r.role_name)?;
    let page = tag_page(&role.tags, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListRoleTagsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        tags: page.items,
    })
}

pub fn put_role_permissions_boundary(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::PutRolePermissionsBoundaryRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    check_modifiable(find(tx.state(), account, &r.role_name)?)?;
    check_boundary(tx.state(), account, &r.permissions_boundary)?;
    modify(ctx, tx, &r.role_name, |role| {
        role.permissions_boundary = Some(r.permissions_boundary.clone());
        Ok(())
    })
    .map(drop)
}

pub fn delete_role_permissions_boundary(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteRolePermissionsBoundaryRequest,
) -> Result<(), ServerError> {
    modify(ctx, tx, &r.role_name, |role| {
        check_modifiable(role)?;
        role.permissions_boundary = None;
        Ok(())
    })
    .map(drop)
}

/// The catalogue's entry for `service`, or AWS's InvalidInput for a service that has no
/// service-linked role.
fn service_linked_role(service: &str) -> Result<&'static ServiceLinkedRole, ServerError> {
    // AWS's message for a service without one is not on record; the code is InvalidInput,
    // AWS's error for a value it does not accept.
    service_linked_roles::get(service)
        .ok_or_else(|| invalid_input(format!("Invalid service name: {service}")))
}

/// The role name for a request: the service's name, `_` and the custom suffix if any.
fn service_linked_role_name(slr: &ServiceLinkedRole, suffix: Option<&str>) -> String {
    match suffix {
        Some(suffix) => format!("{}_{suffix}", slr.role_name),
        None => slr.role_name.clone(),
    }
}

/// On the role the request creates, `arn:aws:iam::ACCT:role/aws-service-role/SERVICE/NAME`
/// (AWS: "… iam:CreateServiceLinkedRole on resource:
/// arn:aws:iam::ACCT:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing"),
/// with `iam:AWSServiceName`. A service without a service-linked role gets the path alone:
/// the handler refuses it once authorized.
pub fn create_service_linked_role_target(
    r: &iam::CreateServiceLinkedRoleRequest,
    x: &Resolver<'_>,
) -> Target {
    let service = &r.aws_service_name;
    let name = service_linked_roles::get(service)
        .map(|slr| service_linked_role_name(slr, r.custom_suffix.as_deref()))
        .unwrap_or_default();
    let path = format!("{SERVICE_ROLE_PATH}{service}/");
    Target::new(x.action.clone(), x.arn("role", Some(&path), &name))
        .with("iam:AWSServiceName", service.as_str())
}

/// Creates the role AWS creates for the service: its name, path, trust policy, attached
/// AWS managed policies and description come from the catalogue
/// ([`service_linked_roles`]); the request may give a description of its own, and a
/// custom suffix where the service accepts one.
pub fn create_service_linked_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateServiceLinkedRoleRequest,
) -> Result<iam::CreateServiceLinkedRoleResponse, ServerError> {
    let account = &ctx.caller.account;
    let service = &r.aws_service_name;
    let slr = service_linked_role(service)?;
    if r.custom_suffix.is_some() && !slr.custom_suffix {
        // AWS's words, recorded against AWS for 68 services (see data/aws/README.md).
        return Err(invalid_input(format!(
            "Custom suffix is not allowed for {service}"
        )));
    }
    let name = service_linked_role_name(slr, r.custom_suffix.as_deref());
    let state = tx.state();
    if state.role(account, &name).is_some() {
        return Err(invalid_input(format!(
            "Service role name {name} has been taken in this account, please try a different suffix."
        )));
    }
    check_role_quota(ctx, state)?;
    let role = Role {
        account: account.clone(),
        id: ids::unique_id(IdPrefix::Role),
        name,
        path: slr.path(),
        created: now_epoch(),
        assume_role_policy: slr.trust_policy(),
        description: r.description.clone().or_else(|| slr.description.clone()),
        max_session_duration: DEFAULT_MAX_SESSION_DURATION,
        permissions_boundary: None,
        tags: Vec::new(),
        inline_policies: Default::default(),
        attached_policies: slr.policy_arns(),
        last_used: None,
        source_role_template: None,
    };
    let wire = iam::Role {
        assume_role_policy_document: Some(encode_document(&slr.trust_policy_as_created())),
        ..wire_role(&role, Detail::Create)
    };
    tx.put(role)?;
    Ok(iam::CreateServiceLinkedRoleResponse { role: Some(wire) })
}

fn deletion_task_key(account: &str, task_id: &str) -> String {
    format!("{DELETION_TASK_SETTING}{account}/{task_id}")
}

/// Deletes a service-linked role at once (AWS deletes asynchronously; here the task is
/// finished when the call returns) and records the task so its status can be asked.
pub fn delete_service_linked_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteServiceLinkedRoleRequest,
) -> Result<iam::DeleteServiceLinkedRoleResponse, ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let role = find(state, account, &r.role_name)?;
    if !is_service_linked(role) {
        return Err(invalid_input(format!(
            "Role {} is not a service-linked role.",
            role.name
        )));
    }
    // The service's own policy goes with the role, as in AWS (the account cannot attach
    // or detach anything on it).
    let without_own_policy = Role {
        attached_policies: Vec::new(),
        ..Role::clone(role)
    };
    check_deletable(state, &without_own_policy)?;
    // task/aws-service-role/<service>/<role name>/<task ID>, as AWS forms them.
    let task_id = format!("task{}{}/{}", role.path, role.name, uuid_like());
    let key = State::name_key(account, &role.name);
    tx.delete::<Role>(&key);
    tx.put(Setting {
        name: deletion_task_key(account, &task_id),
        value: "SUCCEEDED".to_owned(),
    })?;
    Ok(iam::DeleteServiceLinkedRoleResponse {
        deletion_task_id: task_id,
    })
}

/// A random UUID-shaped identifier.
fn uuid_like() -> String {
    ids::request_id()
}

pub fn get_service_linked_role_deletion_status(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetServiceLinkedRoleDeletionStatusRequest,
) -> Result<iam::GetServiceLinkedRoleDeletionStatusResponse, ServerError> {
    let key = deletion_task_key(&ctx.caller.account, &r.deletion_task_id);
    let status = tx.state().settings.get(&key).ok_or_else(|| {
        no_such_entity(format!(
            "Deletion task {} cannot be found.",
            r.deletion_task_id
        ))
    })?;
    Ok(iam::GetServiceLinkedRoleDeletionStatusResponse {
        status: status.value.clone(),
        reason: None,
    })
}

#[cfg(test)]
mod service_linked_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trust_policies_have_a_configurable_size_quota() {
        let doc = service_linked_roles::get("ec2fleet.amazonaws.com")
            .unwrap()
            .trust_policy();
        assert!(check_trust_policy(&doc, 2048).is_ok());
        let err = check_trust_policy(&doc, 10).unwrap_err();
        let api = err.to_api(oxiam_protocol::Service::Iam);
        assert_eq!(api.code, ErrorCode::LimitExceeded);
        assert_eq!(api.message, "Cannot exceed quota for ACLSizePerRole: 10");
        let err = check_trust_policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#, 2048).unwrap_err();
        assert_eq!(
            err.to_api(oxiam_protocol::Service::Iam).code,
            ErrorCode::MalformedPolicyDocument
        );
    }
}
