//! CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser.
//!
//! A group keeps its members as user IDs (see [`Group`]), so renaming a user or a group
//! changes one record and breaks no membership.

use std::sync::Arc;

use oxiam_protocol::iam;

use super::{Ctx, check_deletable, find_user, marker_start, paginate, wire_user};
use crate::auth::target::Target;
use crate::model::error::{ServerError, already_exists, limit_exceeded, no_such_entity};
use crate::model::ids::{self, IdPrefix};
use crate::model::{Group, User, now_epoch, to_datetime};
use crate::ops::Resolver;
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
    // Through the snapshot's user → groups index (kept in step by `Group`'s hooks): a user's
    // groups cost O(its groups), not a walk over every group of the account.
    let prefix = format!("{account}/");
    state
        .compiled
        .groups_of(user_id)
        .filter(move |key| key.starts_with(&prefix))
        .filter_map(|key| state.groups.get(key))
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
    super::check_account_quota::<Group>(
        state,
        account,
        ctx.quotas.groups_per_account,
        "GroupsPerAccount",
    )?;
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
    let start = marker_start(r.marker.as_deref())?;
    let groups = State::of_account_from(&tx.state().groups, &ctx.caller.account, start.as_deref())
        .filter(|g| g.path.starts_with(prefix))
        .map(|g| (g.name.to_lowercase(), wire_group(g)));
    let page = paginate(groups, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListGroupsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        groups: page.items,
    })
}

/// On the group, and on its new ARN too when the request renames or moves it: the caller
/// needs permission to update the group under its old and its new name (UpdateGroup, IAM
/// API Reference).
pub fn update_group_target(r: &iam::UpdateGroupRequest, x: &Resolver<'_>) -> Target {
    let old = x.group(&r.group_name);
    let t = x.on(&old);
    match x.renamed(
        "group",
        &old,
        r.new_path.as_ref(),
        r.new_group_name.as_ref(),
    ) {
        Some(new) => t.needs(new),
        None => t,
    }
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
    check_deletable(&[
        (!group.members.is_empty(), "remove users from group"),
        (!group.inline_policies.is_empty(), "delete policies"),
        (!group.attached_policies.is_empty(), "detach all policies"),
    ])?;
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
    let user = find_user(state, account, &r.user_name)?;
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
    let user = find_user(state, account, &r.user_name)?;
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
    let user = find_user(state, account, &r.user_name)?;
    let groups =
        groups_of_user(state, account, &user.id).map(|g| (g.name.to_lowercase(), wire_group(g)));
    let page = paginate(groups, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListGroupsForUserResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        groups: page.items,
    })
}

/// DeleteConflict for policies, which the attach/put operations add: checked here on
/// states built directly, so these rules hold whatever those handlers do.
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxiam_protocol::error::ErrorCode;
    use oxiam_store::crypto::Kek;

    use super::*;
    use crate::auth::authn::Caller;
    use crate::model::quotas::Quotas;

    const ACCOUNT: &str = "123456789012";
    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    fn tx() -> Tx {
        Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()))
    }

    fn conflict(result: Result<(), ServerError>) -> String {
        let e = result.unwrap_err().to_api(oxiam_protocol::Service::Iam);
        assert_eq!(e.code, ErrorCode::DeleteConflict);
        e.message
    }

    #[test]
    fn policies_block_deleting_users_groups_and_roles() {
        let caller = Caller::root(ACCOUNT, "AKIAEXAMPLEROOT00001");
        let quotas = Quotas::default();
        let ctx = Ctx {
            caller: &caller,
            quotas: &quotas,
            env: &crate::auth::decide::RequestEnv::now(),
        };
        let mut tx = tx();
        let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let managed = "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned();

        super::super::users::create_user(
            &ctx,
            &mut tx,
            &iam::CreateUserRequest {
                user_name: "u".into(),
                ..Default::default()
            },
        )
        .unwrap();
        let mut user = User::clone(tx.state().user(ACCOUNT, "u").unwrap());
        user.inline_policies.insert("p".into(), doc.into());
        tx.put(user.clone()).unwrap();
        let delete_user = |tx: &mut Tx| {
            super::super::users::delete_user(
                &ctx,
                tx,
                &iam::DeleteUserRequest {
                    user_name: "u".into(),
                },
            )
        };
        assert_eq!(
            conflict(delete_user(&mut tx)),
            "Cannot delete entity, must delete policies first."
        );
        user.inline_policies.clear();
        user.attached_policies.push(managed.clone());
        tx.put(user.clone()).unwrap();
        assert_eq!(
            conflict(delete_user(&mut tx)),
            "Cannot delete entity, must detach all policies first."
        );

        create_group(
            &ctx,
            &mut tx,
            &iam::CreateGroupRequest {
                group_name: "g".into(),
                path: None,
            },
        )
        .unwrap();
        let mut group = Group::clone(tx.state().group(ACCOUNT, "g").unwrap());
        group.inline_policies.insert("p".into(), doc.into());
        tx.put(group.clone()).unwrap();
        let delete = |tx: &mut Tx| {
            delete_group(
                &ctx,
                tx,
                &iam::DeleteGroupRequest {
                    group_name: "G".into(),
                },
            )
        };
        assert_eq!(
            conflict(delete(&mut tx)),
            "Cannot delete entity, must delete policies first."
        );
        group.inline_policies.clear();
        group.attached_policies.push(managed.clone());
        tx.put(group.clone()).unwrap();
        assert_eq!(
            conflict(delete(&mut tx)),
            "Cannot delete entity, must detach all policies first."
        );
        group.attached_policies.clear();
        tx.put(group).unwrap();
        delete(&mut tx).unwrap();
        assert!(tx.state().group(ACCOUNT, "g").is_none());

        super::super::roles::create_role(
            &ctx,
            &mut tx,
            &iam::CreateRoleRequest {
                role_name: "r".into(),
                assume_role_policy_document: TRUST.into(),
                ..Default::default()
            },
        )
        .unwrap();
        let mut role = crate::model::Role::clone(tx.state().role(ACCOUNT, "r").unwrap());
        role.attached_policies.push(managed);
        tx.put(role.clone()).unwrap();
        let delete_role = |tx: &mut Tx| {
            super::super::roles::delete_role(
                &ctx,
                tx,
                &iam::DeleteRoleRequest {
                    role_name: "r".into(),
                },
            )
        };
        assert_eq!(
            conflict(delete_role(&mut tx)),
            "Cannot delete entity, must detach all policies first."
        );
        role.attached_policies.clear();
        role.inline_policies.insert("p".into(), doc.into());
        tx.put(role).unwrap();
        assert_eq!(
            conflict(delete_role(&mut tx)),
            "Cannot delete entity, must delete policies first."
        );
    }
}
