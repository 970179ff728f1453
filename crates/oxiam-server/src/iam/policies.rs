//! Customer managed policies and their versions, tags, ListEntitiesForPolicy.

use oxiam_protocol::iam;

use super::Ctx;
use crate::error::{ServerError, not_implemented};
use crate::state::Tx;

pub fn create_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::CreatePolicyRequest,
) -> Result<iam::CreatePolicyResponse, ServerError> {
    Err(not_implemented("CreatePolicy"))
}

pub fn get_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetPolicyRequest,
) -> Result<iam::GetPolicyResponse, ServerError> {
    Err(not_implemented("GetPolicy"))
}

pub fn list_policies(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListPoliciesRequest,
) -> Result<iam::ListPoliciesResponse, ServerError> {
    Err(not_implemented("ListPolicies"))
}

pub fn delete_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeletePolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeletePolicy"))
}

pub fn create_policy_version(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::CreatePolicyVersionRequest,
) -> Result<iam::CreatePolicyVersionResponse, ServerError> {
    Err(not_implemented("CreatePolicyVersion"))
}

pub fn get_policy_version(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetPolicyVersionRequest,
) -> Result<iam::GetPolicyVersionResponse, ServerError> {
    Err(not_implemented("GetPolicyVersion"))
}

pub fn list_policy_versions(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListPolicyVersionsRequest,
) -> Result<iam::ListPolicyVersionsResponse, ServerError> {
    Err(not_implemented("ListPolicyVersions"))
}

pub fn delete_policy_version(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeletePolicyVersionRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeletePolicyVersion"))
}

pub fn set_default_policy_version(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::SetDefaultPolicyVersionRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("SetDefaultPolicyVersion"))
}

pub fn tag_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::TagPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("TagPolicy"))
}

pub fn untag_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::UntagPolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("UntagPolicy"))
}

pub fn list_policy_tags(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListPolicyTagsRequest,
) -> Result<iam::ListPolicyTagsResponse, ServerError> {
    Err(not_implemented("ListPolicyTags"))
}

pub fn list_entities_for_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListEntitiesForPolicyRequest,
) -> Result<iam::ListEntitiesForPolicyResponse, ServerError> {
    Err(not_implemented("ListEntitiesForPolicy"))
}
