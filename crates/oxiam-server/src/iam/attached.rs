//! Attach/Detach/ListAttached{User,Group,Role}Policies.

use oxiam_protocol::iam;

use super::Ctx;
use crate::error::{ServerError, not_implemented};
use crate::state::Tx;

pub fn attach_user_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::AttachUserPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("AttachUserPolicy"))
}

pub fn detach_user_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DetachUserPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DetachUserPolicy"))
}

pub fn list_attached_user_policies(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListAttachedUserPoliciesRequest,
) -> Result<iam::ListAttachedUserPoliciesResponse, ServerError> {
    Err(not_implemented("ListAttachedUserPolicies"))
}

pub fn attach_group_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::AttachGroupPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("AttachGroupPolicy"))
}

pub fn detach_group_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DetachGroupPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DetachGroupPolicy"))
}

pub fn list_attached_group_policies(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListAttachedGroupPoliciesRequest,
) -> Result<iam::ListAttachedGroupPoliciesResponse, ServerError> {
    Err(not_implemented("ListAttachedGroupPolicies"))
}

pub fn attach_role_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::AttachRolePolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("AttachRolePolicy"))
}

pub fn detach_role_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DetachRolePolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DetachRolePolicy"))
}

pub fn list_attached_role_policies(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListAttachedRolePoliciesRequest,
) -> Result<iam::ListAttachedRolePoliciesResponse, ServerError> {
    Err(not_implemented("ListAttachedRolePolicies"))
}
