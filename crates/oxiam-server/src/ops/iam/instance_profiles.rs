//! Instance profiles: CreateInstanceProfile, GetInstanceProfile, ListInstanceProfiles,
//! DeleteInstanceProfile, AddRoleToInstanceProfile, RemoveRoleFromInstanceProfile,
//! ListInstanceProfilesForRole, TagInstanceProfile, UntagInstanceProfile,
//! ListInstanceProfileTags.
//!
//! A profile holds its roles by role ID (at most `roles_per_instance_profile`, one in AWS),
//! so renaming a role keeps it in its profiles; responses carry each role's full shape.

use std::sync::Arc;

use oxiam_protocol::iam;

use super::roles::{self, Detail, wire_role};
use super::{Ctx, marker_start, paginate, remove_tags, tag_page, wire_tags};
use crate::auth::target::Target;
use crate::model::error::{
    ServerError, already_exists, delete_conflict, limit_exceeded, no_such_entity,
};
use crate::model::ids::{self, IdPrefix};
use crate::model::{InstanceProfile, now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::{State, Tx};

/// AWS's NoSuchEntity for an instance profile name.
pub fn no_such_profile(name: &str) -> ServerError {
    no_such_entity(format!("Instance Profile {name} cannot be found."))
}

pub fn find<'s>(
    state: &'s State,
    account: &str,
    name: &str,
) -> Result<&'s Arc<InstanceProfile>, ServerError> {
    state
        .instance_profile(account, name)
        .ok_or_else(|| no_such_profile(name))
}

/// The instance profiles of `account` that hold the role `role_id`, in name order.
pub fn profiles_of_role<'s>(
    state: &'s State,
    account: &str,
    role_id: &'s str,
) -> impl Iterator<Item = &'s Arc<InstanceProfile>> + 's {
    State::of_account(&state.instance_profiles, account)
        .filter(move |p| p.roles.iter().any(|r| r == role_id))
}

/// The wire form; list operations leave out the profile's tags, as AWS's do.
pub fn wire_profile(state: &State, p: &InstanceProfile, with_tags: bool) -> iam::InstanceProfile {
    let roles = p
        .roles
        .iter()
        .filter_map(|id| roles::by_id(state, &p.account, id))
        .map(|r| wire_role(r, Detail::List))
        .collect();
    wire_profile_with(p, roles, with_tags)
}

/// The wire form with its roles as the caller gives them.
pub fn wire_profile_with(
    p: &InstanceProfile,
    roles: Vec<iam::Role>,
    with_tags: bool,
) -> iam::InstanceProfile {
    iam::InstanceProfile {
        path: p.path.clone(),
        instance_profile_name: p.name.clone(),
        instance_profile_id: p.id.clone(),
        arn: p.arn(),
        create_date: to_datetime(p.created),
        roles,
        tags: (with_tags && !p.tags.is_empty()).then(|| wire_tags(&p.tags)),
    }
}

pub fn create_instance_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateInstanceProfileRequest,
) -> Result<iam::CreateInstanceProfileResponse, ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    if state
        .instance_profile(account, &r.instance_profile_name)
        .is_some()
    {
        return Err(already_exists(format!(
            "Instance Profile {} already exists.",
            r.instance_profile_name
        )));
    }
    super::check_account_quota::<InstanceProfile>(
        state,
        account,
        ctx.quotas.instance_profiles_per_account,
        "InstanceProfilesPerAccount",
    )?;
    let tags = ctx.new_tags(r.tags.as_deref())?;
    let profile = InstanceProfile {
        account: account.clone(),
        id: ids::unique_id(IdPrefix::InstanceProfile),
        name: r.instance_profile_name.clone(),
        path: r.path.clone().unwrap_or_else(|| "/".to_owned()),
        created: now_epoch(),
        roles: Vec::new(),
        tags,
    };
    let wire = wire_profile(state, &profile, true);
    tx.put(profile)?;
    Ok(iam::CreateInstanceProfileResponse {
        instance_profile: wire,
    })
}

pub fn get_instance_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetInstanceProfileRequest,
) -> Result<iam::GetInstanceProfileResponse, ServerError> {
    let state = tx.state();
    let profile = find(state, &ctx.caller.account, &r.instance_profile_name)?;
    Ok(iam::GetInstanceProfileResponse {
        instance_profile: wire_profile(state, profile, true),
    })
}

pub fn list_instance_profiles(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListInstanceProfilesRequest,
) -> Result<iam::ListInstanceProfilesResponse, ServerError> {
    let state = tx.state();
    let prefix = r.path_prefix.as_deref().unwrap_or("/");
    let start = marker_start(r.marker.as_deref())?;
    let profiles = State::of_account_from(
        &state.instance_profiles,
        &ctx.caller.account,
        start.as_deref(),
    )
    .filter(|p| p.path.starts_with(prefix))
    .map(|p| (p.name.to_lowercase(), p));
    let page = paginate(profiles, r.marker.as_deref(), r.max_items)?
        .map(|p| wire_profile(state, p, false));
    Ok(iam::ListInstanceProfilesResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        instance_profiles: page.items,
    })
}

pub fn delete_instance_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteInstanceProfileRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let profile = find(tx.state(), account, &r.instance_profile_name)?;
    if !profile.roles.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must remove roles from instance profile first.",
        ));
    }
    let key = State::name_key(account, &profile.name);
    tx.delete::<InstanceProfile>(&key);
    Ok(())
}

/// On the instance profile, and `iam:PassRole` on the role: "The caller of this operation
/// must be granted the PassRole permission on the IAM role" — the role goes to EC2
/// instances launched with the profile. PassRole denials name the role by ARN.
pub fn add_role_to_instance_profile_target(
    r: &iam::AddRoleToInstanceProfileRequest,
    x: &Resolver<'_>,
) -> Target {
    let pass = Resolver {
        action: "iam:PassRole".to_owned(),
        ..*x
    };
    let mut pass = pass
        .on(&x.role(&r.role_name))
        .with("iam:PassedToService", "ec2.amazonaws.com");
    pass.display = None;
    x.on(&x.instance_profile(&r.instance_profile_name))
        .needs(pass)
}

pub fn add_role_to_instance_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AddRoleToInstanceProfileRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let profile = find(state, account, &r.instance_profile_name)?;
    let role = roles::find(state, account, &r.role_name)?;
    // A profile holds at most one role in AWS; adding the role it holds is no exception.
    let max = ctx.quotas.roles_per_instance_profile;
    if profile.roles.len() >= max || profile.roles.contains(&role.id) {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for InstanceSessionsPerInstanceProfile: {max}"
        )));
    }
    let mut profile = InstanceProfile::clone(profile);
    profile.roles.push(role.id.clone());
    tx.put(profile)
}

pub fn remove_role_from_instance_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::RemoveRoleFromInstanceProfileRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let profile = find(state, account, &r.instance_profile_name)?;
    let role = roles::find(state, account, &r.role_name)?;
    if !profile.roles.contains(&role.id) {
        return Err(roles::no_such_role(&r.role_name));
    }
    let mut profile = InstanceProfile::clone(profile);
    let id = role.id.clone();
    profile.roles.retain(|r| *r != id);
    tx.put(profile)
}

pub fn list_instance_profiles_for_role(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListInstanceProfilesForRoleRequest,
) -> Result<iam::ListInstanceProfilesForRoleResponse, ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let role = roles::find(state, account, &r.role_name)?;
    let profiles = profiles_of_role(state, account, &role.id).map(|p| (p.name.to_lowercase(), p));
    let page = paginate(profiles, r.marker.as_deref(), r.max_items)?
        .map(|p| wire_profile(state, p, false));
    Ok(iam::ListInstanceProfilesForRoleResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        instance_profiles: page.items,
    })
}

/// Applies `change` to a copy of the named profile and stores it.
fn modify(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    name: &str,
    change: impl FnOnce(&mut InstanceProfile) -> Result<(), ServerError>,
) -> Result<(), ServerError> {
    let mut profile = InstanceProfile::clone(find(tx.state(), &ctx.caller.account, name)?);
    change(&mut profile)?;
    tx.put(profile)
}

pub fn tag_instance_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::TagInstanceProfileRequest,
) -> Result<(), ServerError> {
    modify(ctx, tx, &r.instance_profile_name, |p| {
        p.tags = ctx.merge_tags(&p.tags, &r.tags)?;
        Ok(())
    })
}

pub fn untag_instance_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UntagInstanceProfileRequest,
) -> Result<(), ServerError> {
    modify(ctx, tx, &r.instance_profile_name, |p| {
        p.tags = remove_tags(&p.tags, &r.tag_keys);
        Ok(())
    })
}

pub fn list_instance_profile_tags(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListInstanceProfileTagsRequest,
) -> Result<iam::ListInstanceProfileTagsResponse, ServerError> {
    let profile = find(tx.state(), &ctx.caller.account, &r.instance_profile_name)?;
    let page = tag_page(&profile.tags, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListInstanceProfileTagsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        tags: page.items,
    })
}
