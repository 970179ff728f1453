//! Put/Get/Delete/List{User,Group,Role}Policy (inline policies).

use oxiam_protocol::iam;

use super::Ctx;
use crate::error::{ServerError, not_implemented};
use crate::state::Tx;

pub fn put_user_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::PutUserPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("PutUserPolicy"))
}

pub fn get_user_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetUserPolicyRequest,
) -> Result<iam::GetUserPolicyResponse, ServerError> {
    Err(not_implemented("GetUserPolicy"))
}

pub fn delete_user_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteUserPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeleteUserPolicy"))
}

pub fn list_user_policies(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListUserPoliciesRequest,
) -> Result<iam::ListUserPoliciesResponse, ServerError> {
    Err(not_implemented("ListUserPolicies"))
}

pub fn put_group_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::PutGroupPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("PutGroupPolicy"))
}

pub fn get_group_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetGroupPolicyRequest,
) -> Result<iam::GetGroupPolicyResponse, ServerError> {
    Err(not_implemented("GetGroupPolicy"))
}

pub fn delete_group_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteGroupPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeleteGroupPolicy"))
}

pub fn list_group_policies(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListGroupPoliciesRequest,
) -> Result<iam::ListGroupPoliciesResponse, ServerError> {
    Err(not_implemented("ListGroupPolicies"))
}

pub fn put_role_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::PutRolePolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("PutRolePolicy"))
}

pub fn get_role_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetRolePolicyRequest,
) -> Result<iam::GetRolePolicyResponse, ServerError> {
    Err(not_implemented("GetRolePolicy"))
}

pub fn delete_role_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteRolePolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeleteRolePolicy"))
}

pub fn list_role_policies(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListRolePoliciesRequest,
) -> Result<iam::ListRolePoliciesResponse, ServerError> {
    Err(not_implemented("ListRolePolicies"))
}
