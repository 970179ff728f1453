//! CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser.
//!
//! A group keeps its members as user IDs (see [`Group`]), so renaming a user or a group
//! changes one record and breaks no membership.

use std::sync::Arc;

use oxiam_protocol::iam;

use super::{Ctx, paginate, wire_user};
use crate::error::{
    ServerError, already_exists, delete_conflict, limit_exceeded, no_such_entity, no_such_user,
};
use crate::ids::{self, IdPrefix};
use crate::model::{Group, User, now_epoch, to_datetime};
use crate::state::{State, Tx};

/// AWS's NoSuchEntity for a group name.
pub fn no_such_group(name: &str) -> ServerError {
    no_such_entity(format!("The group with name {name} cannot be found."))
}

/// The group `name` of `account`, or AWS's NoSuchEntity.
pub fn find<'s>(
    state: &'s State,
    account: &str,
    name: &str,
) -> Result<&'s Arc<Group>, ServerError> {
    state
        .group(account, name)
        .ok_or_else(|| no_such_group(name))
}

pub fn wire_group(g: &Group) -> iam::Group {
    iam::Group {
        path: g.path.clone(),
        group_name: g.name.clone(),
        group_id: g.id.clone(),
        arn: g.arn(),
        create_date: to_datetime(g.created),
    }
}

/// The groups of `account` that `user_id` belongs to, in name order.
pub fn groups_of_user<'s>(
    state: &'s State,
    account: &str,
    user_id: &'s str,
) -> impl Iterator<Item = &'s Arc<Group>> + 's {
    State::of_account(&state.groups, account)
        .filter(move |g| g.members.iter().any(|m| m == user_id))
}

pub fn create_group(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateGroupRequest,
) -> Result<iam::CreateGroupResponse, ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    if state.group(account, &r.group_name).is_some() {
        return Err(already_exists(format!(
            "Group with name {} already exists.",
            r.group_name
        )));
    }
    let max = ctx.quotas.groups_per_account;
    if State::of_account(&state.groups, account).count() >= max {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for GroupsPerAccount: {max}"
        )));
    }
    let group = Group {
        account: account.clone(),
        id: ids::unique_id(IdPrefix::Group),
        name: r.group_name.clone(),
        path: r.path.clone().unwrap_or_else(|| "/".to_owned()),
        created: now_epoch(),
        members: Vec::new(),
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
    };
    let wire = wire_group(&group);
    tx.put(group)?;
    Ok(iam::CreateGroupResponse { group: wire })
}

pub fn get_group(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetGroupRequest,
) -> Result<iam::GetGroupResponse, ServerError> {
    let state = tx.state();
    let group = find(state, &ctx.caller.account, &r.group_name)?;
    // Members in AWS's order: by user name. A member whose user is gone (which deletion
    // rules prevent) is skipped rather than failing the call.
    let mut members: Vec<&Arc<User>> = group
        .members
        .iter()
        .filter_map(|id| state.user_by_id(id))
        .collect();
    members.sort_by_key(|u| u.name.to_lowercase());
    let page = paginate(
        members
            .into_iter()
            .map(|u| (u.name.to_lowercase(), wire_user(u, false))),
        r.marker.as_deref(),
        r.max_items,
    )?;
    Ok(iam::GetGroupResponse {
        group: wire_group(group),
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        users: page.items,
    })
}

pub fn list_groups(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListGroupsRequest,
) -> Result<iam::ListGroupsResponse, ServerError> {
    let prefix = r.path_prefix.as_deref().unwrap_or("/");
    let groups = State::of_account(&tx.state().groups, &ctx.caller.account)
        .filter(|g| g.path.starts_with(prefix))
        .map(|g| (g.name.to_lowercase(), wire_group(g)));
    let page = paginate(groups, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListGroupsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        groups: page.items,
    })
}

pub fn update_group(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateGroupRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let mut group = Group::clone(find(tx.state(), account, &r.group_name)?);
    let old_key = State::name_key(account, &group.name);
    if let Some(new_name) = &r.new_group_name {
        let renamed_to_other = !new_name.eq_ignore_ascii_case(&group.name);
        if renamed_to_other && tx.state().group(account, new_name).is_some() {
            return Err(already_exists(format!(
                "Group with name {new_name} already exists."
            )));
        }
        group.name = new_name.clone();
    }
    if let Some(path) = &r.new_path {
        group.path = path.clone();
    }
    tx.delete::<Group>(&old_key);
    tx.put(group)
}

pub fn delete_group(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteGroupRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let group = find(tx.state(), account, &r.group_name)?;
    if !group.members.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must remove users from group first.",
        ));
    }
    if !group.inline_policies.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must delete policies first.",
        ));
    }
    if !group.attached_policies.is_empty() {
        return Err(delete_conflict(
            "Cannot delete entity, must detach all policies first.",
        ));
    }
    let key = State::name_key(account, &group.name);
    tx.delete::<Group>(&key);
    Ok(())
}

pub fn add_user_to_group(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AddUserToGroupRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let group = find(state, account, &r.group_name)?;
    let user = state
        .user(account, &r.user_name)
        .ok_or_else(|| no_such_user(&r.user_name))?;
    // Adding a member twice is a success that changes nothing, as in AWS.
    if group.members.contains(&user.id) {
        return Ok(());
    }
    let max = ctx.quotas.groups_per_user;
    if groups_of_user(state, account, &user.id).count() >= max {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for GroupsPerUser: {max}"
        )));
    }
    let mut group = Group::clone(group);
    group.members.push(user.id.clone());
    tx.put(group)
}

pub fn remove_user_from_group(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::RemoveUserFromGroupRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let group = find(state, account, &r.group_name)?;
    let user = state
        .user(account, &r.user_name)
        .ok_or_else(|| no_such_user(&r.user_name))?;
    if !group.members.contains(&user.id) {
        return Err(no_such_entity(format!(
            "The user with name {} cannot be found.",
            r.user_name
        )));
    }
    let mut group = Group::clone(group);
    let id = user.id.clone();
    group.members.retain(|m| *m != id);
    tx.put(group)
}

pub fn list_groups_for_user(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListGroupsForUserRequest,
) -> Result<iam::ListGroupsForUserResponse, ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let user = state
        .user(account, &r.user_name)
        .ok_or_else(|| no_such_user(&r.user_name))?;
    let groups =
        groups_of_user(state, account, &user.id).map(|g| (g.name.to_lowercase(), wire_group(g)));
    let page = paginate(groups, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListGroupsForUserResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        groups: page.items,
    })
}
