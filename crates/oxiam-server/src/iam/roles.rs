//! Roles: Create/Get/List/Update/UpdateRoleDescription/UpdateAssumeRolePolicy/Delete, tags, permissions boundary, service-linked roles.

use oxiam_protocol::iam;

use super::Ctx;
use crate::error::{ServerError, not_implemented};
use crate::state::Tx;

pub fn create_role(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::CreateRoleRequest,
) -> Result<iam::CreateRoleResponse, ServerError> {
    Err(not_implemented("CreateRole"))
}

pub fn get_role(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetRoleRequest,
) -> Result<iam::GetRoleResponse, ServerError> {
    Err(not_implemented("GetRole"))
}

pub fn list_roles(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListRolesRequest,
) -> Result<iam::ListRolesResponse, ServerError> {
    Err(not_implemented("ListRoles"))
}

pub fn update_role(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::UpdateRoleRequest,
) -> Result<iam::UpdateRoleResponse, ServerError> {
    Err(not_implemented("UpdateRole"))
}

pub fn update_role_description(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::UpdateRoleDescriptionRequest,
) -> Result<iam::UpdateRoleDescriptionResponse, ServerError> {
    Err(not_implemented("UpdateRoleDescription"))
}

pub fn update_assume_role_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::UpdateAssumeRolePolicyRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("UpdateAssumeRolePolicy"))
}

pub fn delete_role(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteRoleRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeleteRole"))
}

pub fn tag_role(_ctx: &Ctx<'_>, _tx: &mut Tx, _r: &iam::TagRoleRequest) -> Result<(), ServerError> {
    Err(not_implemented("TagRole"))
}

pub fn untag_role(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::UntagRoleRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("UntagRole"))
}

pub fn list_role_tags(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListRoleTagsRequest,
) -> Result<iam::ListRoleTagsResponse, ServerError> {
    Err(not_implemented("ListRoleTags"))
}

pub fn put_role_permissions_boundary(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::PutRolePermissionsBoundaryRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("PutRolePermissionsBoundary"))
}

pub fn delete_role_permissions_boundary(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteRolePermissionsBoundaryRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeleteRolePermissionsBoundary"))
}

pub fn create_service_linked_role(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::CreateServiceLinkedRoleRequest,
) -> Result<iam::CreateServiceLinkedRoleResponse, ServerError> {
    Err(not_implemented("CreateServiceLinkedRole"))
}

pub fn delete_service_linked_role(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteServiceLinkedRoleRequest,
) -> Result<iam::DeleteServiceLinkedRoleResponse, ServerError> {
    Err(not_implemented("DeleteServiceLinkedRole"))
}

pub fn get_service_linked_role_deletion_status(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetServiceLinkedRoleDeletionStatusRequest,
) -> Result<iam::GetServiceLinkedRoleDeletionStatusResponse, ServerError> {
    Err(not_implemented("GetServiceLinkedRoleDeletionStatus"))
}
