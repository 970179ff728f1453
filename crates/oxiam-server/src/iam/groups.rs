//! CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AddUserToGroup, RemoveUserFromGroup, ListGroupsForUser.

use oxiam_protocol::iam;

use super::Ctx;
use crate::error::{ServerError, not_implemented};
use crate::state::Tx;

pub fn create_group(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::CreateGroupRequest,
) -> Result<iam::CreateGroupResponse, ServerError> {
    Err(not_implemented("CreateGroup"))
}

pub fn get_group(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetGroupRequest,
) -> Result<iam::GetGroupResponse, ServerError> {
    Err(not_implemented("GetGroup"))
}

pub fn list_groups(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListGroupsRequest,
) -> Result<iam::ListGroupsResponse, ServerError> {
    Err(not_implemented("ListGroups"))
}

pub fn update_group(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::UpdateGroupRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("UpdateGroup"))
}

pub fn delete_group(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteGroupRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeleteGroup"))
}

pub fn add_user_to_group(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::AddUserToGroupRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("AddUserToGroup"))
}

pub fn remove_user_from_group(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::RemoveUserFromGroupRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("RemoveUserFromGroup"))
}

pub fn list_groups_for_user(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListGroupsForUserRequest,
) -> Result<iam::ListGroupsForUserResponse, ServerError> {
    Err(not_implemented("ListGroupsForUser"))
}
