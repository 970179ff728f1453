//! Instance profiles: all ten operations.

use oxiam_protocol::iam;

use super::Ctx;
use crate::error::{ServerError, not_implemented};
use crate::state::Tx;

pub fn create_instance_profile(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::CreateInstanceProfileRequest,
) -> Result<iam::CreateInstanceProfileResponse, ServerError> {
    Err(not_implemented("CreateInstanceProfile"))
}

pub fn get_instance_profile(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetInstanceProfileRequest,
) -> Result<iam::GetInstanceProfileResponse, ServerError> {
    Err(not_implemented("GetInstanceProfile"))
}

pub fn list_instance_profiles(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListInstanceProfilesRequest,
) -> Result<iam::ListInstanceProfilesResponse, ServerError> {
    Err(not_implemented("ListInstanceProfiles"))
}

pub fn delete_instance_profile(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteInstanceProfileRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeleteInstanceProfile"))
}

pub fn add_role_to_instance_profile(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::AddRoleToInstanceProfileRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("AddRoleToInstanceProfile"))
}

pub fn remove_role_from_instance_profile(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::RemoveRoleFromInstanceProfileRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("RemoveRoleFromInstanceProfile"))
}

pub fn list_instance_profiles_for_role(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListInstanceProfilesForRoleRequest,
) -> Result<iam::ListInstanceProfilesForRoleResponse, ServerError> {
    Err(not_implemented("ListInstanceProfilesForRole"))
}

pub fn tag_instance_profile(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::TagInstanceProfileRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("TagInstanceProfile"))
}

pub fn untag_instance_profile(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::UntagInstanceProfileRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("UntagInstanceProfile"))
}

pub fn list_instance_profile_tags(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListInstanceProfileTagsRequest,
) -> Result<iam::ListInstanceProfileTagsResponse, ServerError> {
    Err(not_implemented("ListInstanceProfileTags"))
}
