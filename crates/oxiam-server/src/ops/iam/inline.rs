//! Put/Get/Delete/List{User,Group,Role}Policy (inline policies).
//!
//! Documents are validated as identity policies; their size counts toward the entity's
//! aggregate inline quota (all its inline policies together, white space not counted), and
//! they are returned URL-encoded as AWS returns them.

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::attached::Holder;
use super::{Ctx, encode_document, paginate};
use crate::model::error::{ServerError, api, limit_exceeded, no_such_entity};
use crate::model::quotas::policy_size;
use crate::model::{Group, Role, User};
use crate::state::Tx;

/// Validates an inline document. The per-policy managed size limit does not apply: the
/// aggregate quota of the entity does (checked by `put`).
fn check_inline(document: &str) -> Result<(), ServerError> {
    let options = oxiam_policy::ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    oxiam_policy::Policy::parse_with(document, oxiam_policy::PolicyKind::Identity, &options)
        .map(drop)
        .map_err(|e| api(ErrorCode::MalformedPolicyDocument, e.message().to_owned()))
}

fn no_such_policy<E: Holder>(policy_name: &str) -> ServerError {
    no_such_entity(format!(
        "The {} policy with name {policy_name} cannot be found.",
        E::KIND.to_lowercase()
    ))
}

fn put<E: Holder>(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    name: &str,
    policy_name: &str,
    document: &str,
) -> Result<(), ServerError> {
    let entity = E::get(tx.state(), &ctx.caller.account, name)?;
    entity.check_modifiable()?;
    check_inline(document)?;
    let others: usize = entity
        .inline()
        .iter()
        .filter(|(n, _)| n.as_str() != policy_name)
        .map(|(_, d)| policy_size(d))
        .sum();
    let max = E::inline_quota(ctx.quotas);
    if others + policy_size(document) > max {
        return Err(limit_exceeded(format!(
            "Maximum policy size of {max} bytes exceeded for {} {}",
            E::KIND.to_lowercase(),
            entity.name()
        )));
    }
    let mut entity = E::clone(entity);
    entity
        .inline_mut()
        .insert(policy_name.to_owned(), document.to_owned());
    tx.put(entity)
}

fn get<E: Holder>(
    ctx: &Ctx<'_>,
    tx: &Tx,
    name: &str,
    policy_name: &str,
) -> Result<(String, String), ServerError> {
    let entity = E::get(tx.state(), &ctx.caller.account, name)?;
    let document = entity
        .inline()
        .get(policy_name)
        .ok_or_else(|| no_such_policy::<E>(policy_name))?;
    Ok((entity.name().to_owned(), encode_document(document)))
}

fn delete<E: Holder>(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    name: &str,
    policy_name: &str,
) -> Result<(), ServerError> {
    let entity = E::get(tx.state(), &ctx.caller.account, name)?;
    entity.check_modifiable()?;
    if !entity.inline().contains_key(policy_name) {
        return Err(no_such_policy::<E>(policy_name));
    }
    let mut entity = E::clone(entity);
    entity.inline_mut().remove(policy_name);
    tx.put(entity)
}

fn list<E: Holder>(
    ctx: &Ctx<'_>,
    tx: &Tx,
    name: &str,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<(Vec<String>, Option<String>), ServerError> {
    let entity = E::get(tx.state(), &ctx.caller.account, name)?;
    let names = entity.inline().keys().map(|n| (n.clone(), n.clone()));
    let page = paginate(names, marker, max_items)?;
    Ok((page.items, page.next_marker))
}

pub fn put_user_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::PutUserPolicyRequest,
) -> Result<(), ServerError> {
    put::<User>(ctx, tx, &r.user_name, &r.policy_name, &r.policy_document)
}

pub fn get_user_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetUserPolicyRequest,
) -> Result<iam::GetUserPolicyResponse, ServerError> {
    let (user_name, policy_document) = get::<User>(ctx, tx, &r.user_name, &r.policy_name)?;
    Ok(iam::GetUserPolicyResponse {
        user_name,
        policy_name: r.policy_name.clone(),
        policy_document,
    })
}

pub fn delete_user_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteUserPolicyRequest,
) -> Result<(), ServerError> {
    delete::<User>(ctx, tx, &r.user_name, &r.policy_name)
}

pub fn list_user_policies(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListUserPoliciesRequest,
) -> Result<iam::ListUserPoliciesResponse, ServerError> {
    let (policy_names, marker) =
        list::<User>(ctx, tx, &r.user_name, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListUserPoliciesResponse {
        policy_names,
        is_truncated: Some(marker.is_some()),
        marker,
    })
}

pub fn put_group_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::PutGroupPolicyRequest,
) -> Result<(), ServerError> {
    put::<Group>(ctx, tx, &r.group_name, &r.policy_name, &r.policy_document)
}

pub fn get_group_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetGroupPolicyRequest,
) -> Result<iam::GetGroupPolicyResponse, ServerError> {
    let (group_name, policy_document) = get::<Group>(ctx, tx, &r.group_name, &r.policy_name)?;
    Ok(iam::GetGroupPolicyResponse {
        group_name,
        policy_name: r.policy_name.clone(),
        policy_document,
    })
}

pub fn delete_group_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteGroupPolicyRequest,
) -> Result<(), ServerError> {
    delete::<Group>(ctx, tx, &r.group_name, &r.policy_name)
}

pub fn list_group_policies(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListGroupPoliciesRequest,
) -> Result<iam::ListGroupPoliciesResponse, ServerError> {
    let (policy_names, marker) =
        list::<Group>(ctx, tx, &r.group_name, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListGroupPoliciesResponse {
        policy_names,
        is_truncated: Some(marker.is_some()),
        marker,
    })
}

pub fn put_role_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::PutRolePolicyRequest,
) -> Result<(), ServerError> {
    put::<Role>(ctx, tx, &r.role_name, &r.policy_name, &r.policy_document)
}

pub fn get_role_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetRolePolicyRequest,
) -> Result<iam::GetRolePolicyResponse, ServerError> {
    let (role_name, policy_document) = get::<Role>(ctx, tx, &r.role_name, &r.policy_name)?;
    Ok(iam::GetRolePolicyResponse {
        role_name,
        policy_name: r.policy_name.clone(),
        policy_document,
    })
}

pub fn delete_role_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteRolePolicyRequest,
) -> Result<(), ServerError> {
    delete::<Role>(ctx, tx, &r.role_name, &r.policy_name)
}

pub fn list_role_policies(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListRolePoliciesRequest,
) -> Result<iam::ListRolePoliciesResponse, ServerError> {
    let (policy_names, marker) =
        list::<Role>(ctx, tx, &r.role_name, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListRolePoliciesResponse {
        policy_names,
        is_truncated: Some(marker.is_some()),
        marker,
    })
}
