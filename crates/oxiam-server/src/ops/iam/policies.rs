//! Managed policies: CreatePolicy, GetPolicy, ListPolicies, DeletePolicy, the version
//! operations (Create/Get/List/DeletePolicyVersion, SetDefaultPolicyVersion), TagPolicy,
//! UntagPolicy, ListPolicyTags and ListEntitiesForPolicy.
//!
//! Customer managed policies are records of their account (`State::policies`). AWS managed
//! policies (`arn:aws:iam::aws:policy/…`) are the read-only catalogue of
//! [`aws_managed`](crate::model::aws_managed), the same in every account: they can be read, listed
//! and attached, never changed. Their AttachmentCount is counted in the caller's account.

use std::collections::HashMap;
use std::sync::Arc;

use oxiam_policy::{ErrorKind, ParseOptions, Policy, PolicyKind};
use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::{Ctx, encode_document, merge_tags, paginate, remove_tags, tag_page, wire_tags};
use crate::model::aws_managed::{self, AwsManagedPolicy};
use crate::model::error::{
    ServerError, already_exists, api, delete_conflict, invalid_input, limit_exceeded,
    no_such_entity,
};
use crate::model::ids::{self, IdPrefix};
use crate::model::quotas::policy_size;
use crate::model::{ManagedPolicy, PolicyVersion, now_epoch, to_datetime};
use crate::state::{State, Tx};

/// A policy an ARN names: one of the account's own, or one of AWS's.
#[derive(Debug, Clone, Copy)]
enum Found<'s> {
    Customer(&'s Arc<ManagedPolicy>),
    Aws(&'static AwsManagedPolicy),
}

impl Found<'_> {
    fn arn(&self) -> String {
        match self {
            Found::Customer(p) => p.arn(),
            Found::Aws(p) => p.arn.clone(),
        }
    }

    fn name(&self) -> &str {
        match self {
            Found::Customer(p) => &p.name,
            Found::Aws(p) => &p.name,
        }
    }

    fn path(&self) -> &str {
        match self {
            Found::Customer(p) => &p.path,
            Found::Aws(p) => &p.path,
        }
    }
}

/// AWS's NoSuchEntity for a policy ARN that names nothing in the caller's account.
fn policy_not_found(arn: &str) -> ServerError {
    no_such_entity(format!("Policy {arn} was not found."))
}

fn version_not_found(arn: &str, version: &str) -> ServerError {
    no_such_entity(format!(
        "Policy {arn} version {version} does not exist or is not attachable."
    ))
}

/// Whether `arn` has the shape of a managed policy ARN:
/// `arn:PARTITION:iam::ACCOUNT-OR-aws:policy/PATH/NAME`.
fn is_policy_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    let fixed = [
        parts.next() == Some("arn"),
        parts.next().is_some_and(|p| !p.is_empty()),
        parts.next() == Some("iam"),
        parts.next() == Some(""),
        parts
            .next()
            .is_some_and(|a| a == "aws" || ids::is_account_id(a)),
    ];
    let Some(path_name) = parts.next().and_then(|r| r.strip_prefix("policy/")) else {
        return false;
    };
    let name = path_name.rsplit('/').next().unwrap_or_default();
    fixed.iter().all(|ok| *ok)
        && !name.is_empty()
        && path_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-/".contains(c))
}

/// AWS's InvalidInput for a policy ARN that is not one.
fn invalid_arn(arn: &str) -> ServerError {
    invalid_input(format!("ARN {arn} is not valid."))
}

/// For attaching a policy or setting it as a permissions boundary: the ARN must name an AWS
/// managed policy or a customer managed policy of `account`, with AWS's errors
/// (InvalidInput for a malformed ARN, NoSuchEntity "Policy ARN does not exist or is not
/// attachable." otherwise).
pub fn check_attachable(state: &State, account: &str, arn: &str) -> Result<(), ServerError> {
    match find(state, account, arn) {
        Ok(_) => Ok(()),
        Err(_) if !is_policy_arn(arn) => Err(invalid_arn(arn)),
        Err(_) => Err(no_such_entity(format!(
            "Policy {arn} does not exist or is not attachable."
        ))),
    }
}

/// The policy `arn` names, as the caller's account sees it: AWS managed policies are
/// visible everywhere, customer managed ones only in their own account.
fn find<'s>(state: &'s State, account: &str, arn: &str) -> Result<Found<'s>, ServerError> {
    if !is_policy_arn(arn) {
        return Err(invalid_arn(arn));
    }
    if let Some(p) = aws_managed::get(arn) {
        return Ok(Found::Aws(p));
    }
    state
        .policy_by_arn(arn)
        .filter(|p| p.account == account)
        .map(Found::Customer)
        .ok_or_else(|| policy_not_found(arn))
}

/// The customer managed policy a write names. AWS managed policies belong to AWS's own
/// namespace: a write to one is refused as AWS refuses a write to another account's
/// resource, with AccessDenied.
fn writable<'s>(
    ctx: &Ctx<'_>,
    state: &'s State,
    arn: &str,
    operation: &str,
) -> Result<&'s Arc<ManagedPolicy>, ServerError> {
    match find(state, &ctx.caller.account, arn)? {
        Found::Customer(p) => Ok(p),
        Found::Aws(_) => Err(api(
            ErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: iam:{operation} on resource: policy {arn} \
                 because no resource-based policy allows the iam:{operation} action",
                ctx.caller.arn
            ),
        )),
    }
}

/// Tags of AWS managed policies are AWS's: tag operations on them are invalid input.
fn tags_not_supported() -> ServerError {
    invalid_input("Tags not supported for policies in this domain")
}

/// Validates a managed policy document as CreatePolicy and CreatePolicyVersion do: the
/// size quota first (LimitExceeded), then the grammar with `"Version": "2012-10-17"`
/// required (MalformedPolicyDocument "Policy document must be version 2012-10-17 or
/// greater.").
fn check_document(ctx: &Ctx<'_>, document: &str) -> Result<Policy, ServerError> {
    let max = ctx.quotas.managed_policy_size;
    if policy_size(document) > max {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for PolicySize: {max}"
        )));
    }
    let options = ParseOptions {
        size_limit: None,
        require_version_2012: true,
    };
    Policy::parse_with(document, PolicyKind::Identity, &options).map_err(|e| {
        let code = match e.kind() {
            ErrorKind::LimitExceeded => ErrorCode::LimitExceeded,
            ErrorKind::MalformedPolicyDocument => ErrorCode::MalformedPolicyDocument,
        };
        api(code, e.message().to_owned())
    })
}

/// How many entities of one account use a policy: as a permissions policy (attached to a
/// user, group or role) and as a permissions boundary (of a user or role).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Usage {
    attachments: i32,
    boundaries: i32,
}

/// The usage of every policy used in `account`, by ARN: one pass over its entities, so
/// listing many policies stays linear.
fn usage_of_account<'s>(state: &'s State, account: &str) -> HashMap<&'s str, Usage> {
    let mut map: HashMap<&'s str, Usage> = HashMap::new();
    let mut attach = |arn: &'s str| map.entry(arn).or_default().attachments += 1;
    for u in State::of_account(&state.users, account) {
        u.attached_policies.iter().for_each(|a| attach(a));
    }
    for g in State::of_account(&state.groups, account) {
        g.attached_policies.iter().for_each(|a| attach(a));
    }
    for r in State::of_account(&state.roles, account) {
        r.attached_policies.iter().for_each(|a| attach(a));
    }
    let users = State::of_account(&state.users, account).map(|u| &u.permissions_boundary);
    let roles = State::of_account(&state.roles, account).map(|r| &r.permissions_boundary);
    for arn in users.chain(roles).flatten() {
        map.entry(arn.as_str()).or_default().boundaries += 1;
    }
    map
}

fn usage(state: &State, account: &str, arn: &str) -> Usage {
    usage_of_account(state, account)
        .get(arn)
        .copied()
        .unwrap_or_default()
}

/// What a response shows of a policy besides its identity: GetPolicy shows the
/// description and tags, ListPolicies neither, CreatePolicy the tags.
#[derive(Debug, Clone, Copy)]
struct Detail {
    description: bool,
    tags: bool,
}

const LISTED: Detail = Detail {
    description: false,
    tags: false,
};

fn wire_policy(found: Found<'_>, usage: Usage, detail: Detail) -> iam::Policy {
    let common = iam::Policy {
        policy_name: Some(found.name().to_owned()),
        arn: Some(found.arn()),
        path: Some(found.path().to_owned()),
        attachment_count: Some(usage.attachments),
        permissions_boundary_usage_count: Some(usage.boundaries),
        is_attachable: Some(true),
        ..Default::default()
    };
    match found {
        Found::Customer(p) => iam::Policy {
            policy_id: Some(p.id.clone()),
            default_version_id: Some(p.default_version.clone()),
            description: p.description.clone().filter(|_| detail.description),
            create_date: Some(to_datetime(p.created)),
            update_date: Some(to_datetime(p.updated)),
            tags: (detail.tags && !p.tags.is_empty()).then(|| wire_tags(&p.tags)),
            ..common
        },
        Found::Aws(p) => iam::Policy {
            policy_id: Some(p.id()),
            default_version_id: Some(p.default_version.clone()),
            create_date: Some(oxiam_protocol::types::DateTime(p.created)),
            update_date: Some(oxiam_protocol::types::DateTime(p.updated)),
            ..common
        },
    }
}

pub fn create_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreatePolicyRequest,
) -> Result<iam::CreatePolicyResponse, ServerError> {
    let account = &ctx.caller.account;
    check_document(ctx, &r.policy_document)?;
    if tx.state().policy(account, &r.policy_name).is_some() {
        return Err(already_exists(format!(
            "A policy called {} already exists. Duplicate names are not allowed.",
            r.policy_name
        )));
    }
    let max = ctx.quotas.customer_managed_policies_per_account;
    if tx.state().count_of::<ManagedPolicy>(account) >= max {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for PoliciesPerAccount: {max}"
        )));
    }
    let tags = merge_tags(&[], r.tags.as_deref().unwrap_or_default())?;
    let now = now_epoch();
    let policy = ManagedPolicy {
        account: account.clone(),
        id: ids::unique_id(IdPrefix::Policy),
        name: r.policy_name.clone(),
        path: r.path.clone().unwrap_or_else(|| "/".to_owned()),
        created: now,
        updated: now,
        description: r.description.clone(),
        default_version: "v1".to_owned(),
        versions: vec![PolicyVersion {
            id: "v1".to_owned(),
            document: r.policy_document.clone(),
            created: now,
        }],
        next_version: 2,
        tags,
    };
    let detail = Detail {
        description: false,
        tags: true,
    };
    let wire = wire_policy(
        Found::Customer(&Arc::new(policy.clone())),
        Usage::default(),
        detail,
    );
    tx.put(policy)?;
    Ok(iam::CreatePolicyResponse { policy: Some(wire) })
}

pub fn get_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetPolicyRequest,
) -> Result<iam::GetPolicyResponse, ServerError> {
    let state = tx.state();
    let account = &ctx.caller.account;
    let found = find(state, account, &r.policy_arn)?;
    let detail = Detail {
        description: true,
        tags: true,
    };
    Ok(iam::GetPolicyResponse {
        policy: Some(wire_policy(
            found,
            usage(state, account, &r.policy_arn),
            detail,
        )),
    })
}

/// Whether a policy counts as "attached" for ListPolicies' OnlyAttached: attached to a
/// user, group or role (AWS's definition), or with PolicyUsageFilter PermissionsBoundary,
/// used as a permissions boundary.
fn in_use(u: Usage, filter: Option<&str>) -> bool {
    match filter {
        Some("PermissionsBoundary") => u.boundaries > 0,
        _ => u.attachments > 0,
    }
}

pub fn list_policies(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListPoliciesRequest,
) -> Result<iam::ListPoliciesResponse, ServerError> {
    let state = tx.state();
    let account = &ctx.caller.account;
    let usage = usage_of_account(state, account);
    let usage_of = |arn: &str| usage.get(arn).copied().unwrap_or_default();
    let scope = r.scope.as_deref().unwrap_or("All");
    let mut found: Vec<Found<'_>> = Vec::new();
    if matches!(scope, "All" | "AWS") {
        found.extend(aws_managed::catalogue().policies.iter().map(Found::Aws));
    }
    if matches!(scope, "All" | "Local") {
        found.extend(State::of_account(&state.policies, account).map(Found::Customer));
    }
    let prefix = r.path_prefix.as_deref().unwrap_or("/");
    let only_attached = r.only_attached.unwrap_or(false);
    let filter = r.policy_usage_filter.as_deref();
    // List order: by name, then ARN (an account may name a policy as AWS named one of its).
    let mut keyed: Vec<(String, Found<'_>)> = found
        .into_iter()
        .filter(|f| f.path().starts_with(prefix))
        .filter(|f| !only_attached || in_use(usage_of(&f.arn()), filter))
        .map(|f| (format!("{}\n{}", f.name().to_lowercase(), f.arn()), f))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let page = paginate(keyed.into_iter(), r.marker.as_deref(), r.max_items)?;
    let policies = page
        .items
        .iter()
        .map(|f| wire_policy(*f, usage_of(&f.arn()), LISTED))
        .collect();
    Ok(iam::ListPoliciesResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        policies: Some(policies),
    })
}

pub fn delete_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeletePolicyRequest,
) -> Result<(), ServerError> {
    let state = tx.state();
    let account = &ctx.caller.account;
    let policy = writable(ctx, state, &r.policy_arn, "DeletePolicy")?;
    let u = usage(state, account, &r.policy_arn);
    if u.attachments > 0 || u.boundaries > 0 {
        return Err(delete_conflict(
            "Cannot delete a policy attached to entities.",
        ));
    }
    if policy.versions.len() > 1 {
        return Err(delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must \
             delete the policy's versions. The default version is deleted with the policy.",
        ));
    }
    let key = State::name_key(account, &policy.name);
    tx.delete::<ManagedPolicy>(&key);
    Ok(())
}

fn wire_version(v: &PolicyVersion, default: &str, with_document: bool) -> iam::PolicyVersion {
    iam::PolicyVersion {
        document: with_document.then(|| encode_document(&v.document)),
        version_id: Some(v.id.clone()),
        is_default_version: Some(v.id == default),
        create_date: Some(to_datetime(v.created)),
    }
}

/// The one version the catalogue holds of an AWS managed policy: its default.
fn wire_aws_version(p: &AwsManagedPolicy, with_document: bool) -> iam::PolicyVersion {
    iam::PolicyVersion {
        document: with_document.then(|| encode_document(&p.document)),
        version_id: Some(p.default_version.clone()),
        is_default_version: Some(true),
        create_date: Some(oxiam_protocol::types::DateTime(p.updated)),
    }
}

pub fn create_policy_version(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreatePolicyVersionRequest,
) -> Result<iam::CreatePolicyVersionResponse, ServerError> {
    let mut policy = ManagedPolicy::clone(writable(
        ctx,
        tx.state(),
        &r.policy_arn,
        "CreatePolicyVersion",
    )?);
    check_document(ctx, &r.policy_document)?;
    let max = ctx.quotas.versions_per_managed_policy;
    if policy.versions.len() >= max {
        return Err(limit_exceeded(format!(
            "A managed policy can have up to {max} versions. Before you create a new version, \
             you must delete an existing version."
        )));
    }
    let now = now_epoch();
    let version = PolicyVersion {
        id: format!("v{}", policy.next_version),
        document: r.policy_document.clone(),
        created: now,
    };
    policy.next_version = policy.next_version.saturating_add(1);
    if r.set_as_default.unwrap_or(false) {
        policy.default_version = version.id.clone();
    }
    policy.updated = now;
    let wire = wire_version(&version, &policy.default_version, false);
    policy.versions.push(version);
    tx.put(policy)?;
    Ok(iam::CreatePolicyVersionResponse {
        policy_version: Some(wire),
    })
}

pub fn get_policy_version(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetPolicyVersionRequest,
) -> Result<iam::GetPolicyVersionResponse, ServerError> {
    let wire = match find(tx.state(), &ctx.caller.account, &r.policy_arn)? {
        Found::Customer(p) => p
            .versions
            .iter()
            .find(|v| v.id == r.version_id)
            .map(|v| wire_version(v, &p.default_version, true)),
        Found::Aws(p) => (p.default_version == r.version_id).then(|| wire_aws_version(p, true)),
    };
    match wire {
        Some(v) => Ok(iam::GetPolicyVersionResponse {
            policy_version: Some(v),
        }),
        None => Err(version_not_found(&r.policy_arn, &r.version_id)),
    }
}

/// The number of a version ID (`v12` → 12).
fn version_number(id: &str) -> u32 {
    id.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .unwrap_or_default()
}

pub fn list_policy_versions(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListPolicyVersionsRequest,
) -> Result<iam::ListPolicyVersionsResponse, ServerError> {
    // AWS lists the newest version first; the key orders by descending version number.
    let key = |id: &str| format!("{:010}", u32::MAX - version_number(id));
    let versions: Vec<(String, iam::PolicyVersion)> =
        match find(tx.state(), &ctx.caller.account, &r.policy_arn)? {
            Found::Customer(p) => {
                let mut vs: Vec<_> = p
                    .versions
                    .iter()
                    .map(|v| (key(&v.id), wire_version(v, &p.default_version, false)))
                    .collect();
                vs.sort_by(|a, b| a.0.cmp(&b.0));
                vs
            }
            Found::Aws(p) => vec![(key(&p.default_version), wire_aws_version(p, false))],
        };
    let page = paginate(versions.into_iter(), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListPolicyVersionsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        versions: Some(page.items),
    })
}

pub fn delete_policy_version(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeletePolicyVersionRequest,
) -> Result<(), ServerError> {
    let mut policy = ManagedPolicy::clone(writable(
        ctx,
        tx.state(),
        &r.policy_arn,
        "DeletePolicyVersion",
    )?);
    if !policy.versions.iter().any(|v| v.id == r.version_id) {
        return Err(version_not_found(&r.policy_arn, &r.version_id));
    }
    if policy.default_version == r.version_id {
        return Err(delete_conflict(
            "Cannot delete the default version of a policy.",
        ));
    }
    policy.versions.retain(|v| v.id != r.version_id);
    // UpdateDate is when the newest remaining version was created.
    if let Some(newest) = policy.versions.iter().map(|v| v.created).max() {
        policy.updated = newest;
    }
    tx.put(policy)
}

pub fn set_default_policy_version(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::SetDefaultPolicyVersionRequest,
) -> Result<(), ServerError> {
    let mut policy = ManagedPolicy::clone(writable(
        ctx,
        tx.state(),
        &r.policy_arn,
        "SetDefaultPolicyVersion",
    )?);
    if !policy.versions.iter().any(|v| v.id == r.version_id) {
        return Err(version_not_found(&r.policy_arn, &r.version_id));
    }
    policy.default_version = r.version_id.clone();
    tx.put(policy)
}

/// The customer managed policy a tag operation names.
fn taggable<'s>(
    ctx: &Ctx<'_>,
    state: &'s State,
    arn: &str,
) -> Result<&'s Arc<ManagedPolicy>, ServerError> {
    match find(state, &ctx.caller.account, arn)? {
        Found::Customer(p) => Ok(p),
        Found::Aws(_) => Err(tags_not_supported()),
    }
}

pub fn tag_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::TagPolicyRequest,
) -> Result<(), ServerError> {
    let mut policy = ManagedPolicy::clone(taggable(ctx, tx.state(), &r.policy_arn)?);
    policy.tags = merge_tags(&policy.tags, &r.tags)?;
    tx.put(policy)
}

pub fn untag_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UntagPolicyRequest,
) -> Result<(), ServerError> {
    let mut policy = ManagedPolicy::clone(taggable(ctx, tx.state(), &r.policy_arn)?);
    policy.tags = remove_tags(&policy.tags, &r.tag_keys);
    tx.put(policy)
}

pub fn list_policy_tags(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListPolicyTagsRequest,
) -> Result<iam::ListPolicyTagsResponse, ServerError> {
    let policy = taggable(ctx, tx.state(), &r.policy_arn)?;
    let page = tag_page(&policy.tags, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListPolicyTagsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        tags: page.items,
    })
}

/// One entity that uses a policy, as ListEntitiesForPolicy returns it.
#[derive(Debug)]
enum PolicyEntity {
    Group(iam::PolicyGroup),
    User(iam::PolicyUser),
    Role(iam::PolicyRole),
}

pub fn list_entities_for_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListEntitiesForPolicyRequest,
) -> Result<iam::ListEntitiesForPolicyResponse, ServerError> {
    let state = tx.state();
    let account = &ctx.caller.account;
    let arn = find(state, account, &r.policy_arn)?.arn();
    let filter = r.entity_filter.as_deref();
    let wants = |kind: &str| filter.is_none_or(|f| f == kind);
    let (permissions, boundary) = match r.policy_usage_filter.as_deref() {
        Some("PermissionsPolicy") => (true, false),
        Some("PermissionsBoundary") => (false, true),
        _ => (true, true),
    };
    let uses = |attached: &[String], b: Option<&String>| {
        (permissions && attached.contains(&arn)) || (boundary && b == Some(&arn))
    };
    let prefix = r.path_prefix.as_deref().unwrap_or("/");
    let mut entities: Vec<(String, PolicyEntity)> = Vec::new();
    if wants("Group") {
        entities.extend(
            State::of_account(&state.groups, account)
                .filter(|g| g.path.starts_with(prefix) && uses(&g.attached_policies, None))
                .map(|g| {
                    let item = iam::PolicyGroup {
                        group_name: Some(g.name.clone()),
                        group_id: Some(g.id.clone()),
                    };
                    (
                        format!("g{}", g.name.to_lowercase()),
                        PolicyEntity::Group(item),
                    )
                }),
        );
    }
    if wants("User") {
        entities.extend(
            State::of_account(&state.users, account)
                .filter(|u| {
                    u.path.starts_with(prefix)
                        && uses(&u.attached_policies, u.permissions_boundary.as_ref())
                })
                .map(|u| {
                    let item = iam::PolicyUser {
                        user_name: Some(u.name.clone()),
                        user_id: Some(u.id.clone()),
                    };
                    (
                        format!("u{}", u.name.to_lowercase()),
                        PolicyEntity::User(item),
                    )
                }),
        );
    }
    if wants("Role") {
        entities.extend(
            State::of_account(&state.roles, account)
                .filter(|r| {
                    r.path.starts_with(prefix)
                        && uses(&r.attached_policies, r.permissions_boundary.as_ref())
                })
                .map(|r| {
                    let item = iam::PolicyRole {
                        role_name: Some(r.name.clone()),
                        role_id: Some(r.id.clone()),
                    };
                    (
                        format!("v{}", r.name.to_lowercase()),
                        PolicyEntity::Role(item),
                    )
                }),
        );
    }
    // Keys: groups (g…), then users (u…), then roles (v…), each by name.
    let page = paginate(entities.into_iter(), r.marker.as_deref(), r.max_items)?;
    let is_truncated = page.is_truncated();
    let (mut groups, mut users, mut roles) = (Vec::new(), Vec::new(), Vec::new());
    for e in page.items {
        match e {
            PolicyEntity::Group(g) => groups.push(g),
            PolicyEntity::User(u) => users.push(u),
            PolicyEntity::Role(r) => roles.push(r),
        }
    }
    Ok(iam::ListEntitiesForPolicyResponse {
        policy_groups: Some(groups),
        policy_users: Some(users),
        policy_roles: Some(roles),
        is_truncated: Some(is_truncated),
        marker: page.next_marker,
    })
}

#[cfg(test)]
mod tests {
    use oxiam_protocol::Service;
    use oxiam_store::crypto::Kek;

    use super::*;
    use crate::auth::authn::Caller;
    use crate::model::quotas::Quotas;
    use crate::model::{Role, User};

    const ACCOUNT: &str = "123456789012";
    const DOC: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

    struct Env {
        caller: Caller,
        quotas: Quotas,
        tx: Tx,
    }

    impl Env {
        fn new() -> Env {
            Env {
                caller: Caller::root(ACCOUNT, "AKIAROOT"),
                quotas: Quotas::default(),
                tx: Tx::new(Arc::new(State::default()), Arc::new(Kek::generate())),
            }
        }

        fn run<T>(
            &mut self,
            f: impl FnOnce(&Ctx<'_>, &mut Tx) -> Result<T, ServerError>,
        ) -> Result<T, oxiam_protocol::error::ApiError> {
            let ctx = Ctx {
                caller: &self.caller,
                quotas: &self.quotas,
                env: &crate::auth::decide::RequestEnv::now(),
            };
            f(&ctx, &mut self.tx).map_err(|e| e.to_api(Service::Iam))
        }

        fn create(&mut self, name: &str, path: Option<&str>) -> iam::Policy {
            let r = iam::CreatePolicyRequest {
                policy_name: name.into(),
                path: path.map(Into::into),
                policy_document: DOC.into(),
                description: Some("reads objects".into()),
                tags: Some(vec![iam::Tag {
                    key: "team".into(),
                    value: "blue".into(),
                }]),
            };
            self.run(|c, t| create_policy(c, t, &r))
                .unwrap()
                .policy
                .unwrap()
        }

        fn get(&mut self, arn: &str) -> Result<iam::Policy, oxiam_protocol::error::ApiError> {
            let r = iam::GetPolicyRequest {
                policy_arn: arn.into(),
            };
            self.run(|c, t| get_policy(c, t, &r))
                .map(|p| p.policy.unwrap())
        }

        fn new_version(
            &mut self,
            arn: &str,
            default: bool,
        ) -> Result<iam::PolicyVersion, oxiam_protocol::error::ApiError> {
            let r = iam::CreatePolicyVersionRequest {
                policy_arn: arn.into(),
                policy_document: DOC.replace("GetObject", "PutObject"),
                set_as_default: Some(default),
            };
            self.run(|c, t| create_policy_version(c, t, &r))
                .map(|v| v.policy_version.unwrap())
        }

        fn list(&mut self, r: iam::ListPoliciesRequest) -> iam::ListPoliciesResponse {
            self.run(|c, t| list_policies(c, t, &r)).unwrap()
        }

        fn put_user(&mut self, name: &str, attached: &[&str], boundary: Option<&str>) {
            self.tx
                .put(User {
                    account: ACCOUNT.into(),
                    id: format!("AIDA{name}"),
                    name: name.into(),
                    path: "/".into(),
                    created: 0,
                    tags: Vec::new(),
                    permissions_boundary: boundary.map(Into::into),
                    password_last_used: None,
                    inline_policies: Default::default(),
                    attached_policies: attached.iter().map(|s| (*s).to_owned()).collect(),
                })
                .unwrap();
        }

        fn put_role(&mut self, name: &str, path: &str, attached: &[&str], boundary: Option<&str>) {
            self.tx
                .put(Role {
                    account: ACCOUNT.into(),
                    id: format!("AROA{name}"),
                    name: name.into(),
                    path: path.into(),
                    created: 0,
                    assume_role_policy: "{}".into(),
                    description: None,
                    max_session_duration: 3600,
                    permissions_boundary: boundary.map(Into::into),
                    tags: Vec::new(),
                    inline_policies: Default::default(),
                    attached_policies: attached.iter().map(|s| (*s).to_owned()).collect(),
                    last_used: None,
                })
                .unwrap();
        }
    }

    #[test]
    fn create_and_get_have_aws_shapes() {
        let mut env = Env::new();
        let p = env.create("Readers", Some("/team/"));
        let arn = format!("arn:aws:iam::{ACCOUNT}:policy/team/Readers");
        assert_eq!(p.arn.as_deref(), Some(arn.as_str()));
        let id = p.policy_id.clone().unwrap();
        assert!(id.starts_with("ANPA") && id.len() == 21, "{id}");
        assert_eq!(p.default_version_id.as_deref(), Some("v1"));
        assert_eq!(p.attachment_count, Some(0));
        assert_eq!(p.permissions_boundary_usage_count, Some(0));
        assert_eq!(p.is_attachable, Some(true));
        assert_eq!(p.tags.as_ref().unwrap()[0].key, "team");
        let got = env.get(&arn).unwrap();
        assert_eq!(got.policy_id.as_deref(), Some(id.as_str()));
        assert_eq!(got.description.as_deref(), Some("reads objects"));
        assert_eq!(got.path.as_deref(), Some("/team/"));
        // The ARN must carry the real path; another account's ARN names nothing here.
        let e = env
            .get(&format!("arn:aws:iam::{ACCOUNT}:policy/Readers"))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NoSuchEntity);
        assert_eq!(
            e.message,
            format!("Policy arn:aws:iam::{ACCOUNT}:policy/Readers was not found.")
        );
        let other = "arn:aws:iam::999999999999:policy/team/Readers";
        assert_eq!(env.get(other).unwrap_err().code, ErrorCode::NoSuchEntity);
    }

    #[test]
    fn create_rejects_duplicates_bad_documents_and_quota() {
        let mut env = Env::new();
        env.create("Readers", None);
        let mut r = iam::CreatePolicyRequest {
            policy_name: "READERS".into(),
            policy_document: DOC.into(),
            path: Some("/other/".into()),
            ..Default::default()
        };
        let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
        assert_eq!(e.code, ErrorCode::EntityAlreadyExists);
        assert_eq!(
            e.message,
            "A policy called READERS already exists. Duplicate names are not allowed."
        );
        r.policy_name = "NoVersion".into();
        r.policy_document =
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#.into();
        let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedPolicyDocument);
        assert_eq!(
            e.message,
            "Policy document must be version 2012-10-17 or greater."
        );
        r.policy_document = "{".into();
        let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
        assert_eq!(e.code, ErrorCode::MalformedPolicyDocument);
        let actions: Vec<String> = (0..400).map(|i| format!("\"s3:Action{i:05}\"")).collect();
        r.policy_document = DOC.replace("\"s3:GetObject\"", &format!("[{}]", actions.join(",")));
        let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
        assert_eq!(e.code, ErrorCode::LimitExceeded);
        assert_eq!(e.message, "Cannot exceed quota for PolicySize: 6144");
        // White space does not count towards the size.
        r.policy_document = DOC.replace(',', &format!(",{}", " ".repeat(7000)));
        env.run(|c, t| create_policy(c, t, &r)).unwrap();
        env.quotas.customer_managed_policies_per_account = 2;
        r.policy_name = "Third".into();
        r.policy_document = DOC.into();
        let e = env.run(|c, t| create_policy(c, t, &r)).unwrap_err();
        assert_eq!(e.code, ErrorCode::LimitExceeded);
        assert_eq!(e.message, "Cannot exceed quota for PoliciesPerAccount: 2");
    }

    #[test]
    fn versions_follow_aws_rules() {
        let mut env = Env::new();
        let arn = env.create("P", None).arn.unwrap();
        let v2 = env.new_version(&arn, false).unwrap();
        assert_eq!(v2.version_id.as_deref(), Some("v2"));
        assert_eq!(v2.is_default_version, Some(false));
        assert!(v2.document.is_none());
        let v3 = env.new_version(&arn, true).unwrap();
        assert_eq!(v3.is_default_version, Some(true));
        assert_eq!(
            env.get(&arn).unwrap().default_version_id.as_deref(),
            Some("v3")
        );
        env.new_version(&arn, false).unwrap();
        env.new_version(&arn, false).unwrap();
        let e = env.new_version(&arn, false).unwrap_err();
        assert_eq!(e.code, ErrorCode::LimitExceeded);
        assert_eq!(
            e.message,
            "A managed policy can have up to 5 versions. Before you create a new version, you \
             must delete an existing version."
        );

        let list = |env: &mut Env, marker: Option<String>| {
            let r = iam::ListPolicyVersionsRequest {
                policy_arn: arn.clone(),
                marker,
                max_items: Some(3),
            };
            env.run(|c, t| list_policy_versions(c, t, &r)).unwrap()
        };
        let p1 = list(&mut env, None);
        let ids: Vec<_> = p1
            .versions
            .unwrap()
            .iter()
            .map(|v| v.version_id.clone().unwrap())
            .collect();
        assert_eq!(ids, ["v5", "v4", "v3"], "newest first");
        let p2 = list(&mut env, p1.marker);
        assert_eq!(p2.versions.unwrap().len(), 2);
        assert_eq!(p2.is_truncated, Some(false));

        let get = |env: &mut Env, v: &str| {
            let r = iam::GetPolicyVersionRequest {
                policy_arn: arn.clone(),
                version_id: v.into(),
            };
            env.run(|c, t| get_policy_version(c, t, &r))
        };
        let v1 = get(&mut env, "v1").unwrap().policy_version.unwrap();
        assert_eq!(v1.document.as_deref(), Some(encode_document(DOC).as_str()));
        assert_eq!(v1.is_default_version, Some(false));
        let e = get(&mut env, "v9").unwrap_err();
        assert_eq!(
            e.message,
            format!("Policy {arn} version v9 does not exist or is not attachable.")
        );

        let delete = |env: &mut Env, v: &str| {
            let r = iam::DeletePolicyVersionRequest {
                policy_arn: arn.clone(),
                version_id: v.into(),
            };
            env.run(|c, t| delete_policy_version(c, t, &r))
        };
        let e = delete(&mut env, "v3").unwrap_err();
        assert_eq!(e.code, ErrorCode::DeleteConflict);
        assert_eq!(e.message, "Cannot delete the default version of a policy.");
        assert_eq!(
            delete(&mut env, "v9").unwrap_err().code,
            ErrorCode::NoSuchEntity
        );

        let set = |env: &mut Env, v: &str| {
            let r = iam::SetDefaultPolicyVersionRequest {
                policy_arn: arn.clone(),
                version_id: v.into(),
            };
            env.run(|c, t| set_default_policy_version(c, t, &r))
        };
        set(&mut env, "v1").unwrap();
        assert_eq!(
            set(&mut env, "v7").unwrap_err().code,
            ErrorCode::NoSuchEntity
        );

        let delete_policy_req = iam::DeletePolicyRequest {
            policy_arn: arn.clone(),
        };
        let e = env
            .run(|c, t| delete_policy(c, t, &delete_policy_req))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::DeleteConflict);
        assert!(
            e.message
                .starts_with("This policy has more than one version.")
        );
        for v in ["v2", "v3", "v4", "v5"] {
            delete(&mut env, v).unwrap();
        }
        // Version IDs are never reused.
        assert_eq!(
            env.new_version(&arn, false).unwrap().version_id.as_deref(),
            Some("v6")
        );
        delete(&mut env, "v6").unwrap();
        env.run(|c, t| delete_policy(c, t, &delete_policy_req))
            .unwrap();
        assert_eq!(env.get(&arn).unwrap_err().code, ErrorCode::NoSuchEntity);
    }

    #[test]
    fn usage_counts_entities_and_blocks_delete() {
        let mut env = Env::new();
        let arn = env.create("P", None).arn.unwrap();
        let bound = env.create("Bound", None).arn.unwrap();
        env.put_user("alice", &[&arn, ADMIN], None);
        env.put_user("bob", &[], Some(&bound));
        env.put_role("svc", "/service/", &[&arn], Some(&arn));
        let p = env.get(&arn).unwrap();
        assert_eq!(p.attachment_count, Some(2));
        assert_eq!(p.permissions_boundary_usage_count, Some(1));
        let admin = env.get(ADMIN).unwrap();
        assert_eq!(admin.attachment_count, Some(1));

        for target in [&arn, &bound] {
            let r = iam::DeletePolicyRequest {
                policy_arn: target.clone(),
            };
            let e = env.run(|c, t| delete_policy(c, t, &r)).unwrap_err();
            assert_eq!(e.code, ErrorCode::DeleteConflict);
            assert_eq!(e.message, "Cannot delete a policy attached to entities.");
        }

        let entities = |env: &mut Env, r: iam::ListEntitiesForPolicyRequest| {
            let out = env.run(|c, t| list_entities_for_policy(c, t, &r)).unwrap();
            let mut names: Vec<String> = Vec::new();
            names.extend(
                out.policy_users
                    .unwrap()
                    .into_iter()
                    .map(|u| u.user_name.unwrap()),
            );
            names.extend(
                out.policy_roles
                    .unwrap()
                    .into_iter()
                    .map(|r| r.role_name.unwrap()),
            );
            names.extend(
                out.policy_groups
                    .unwrap()
                    .into_iter()
                    .map(|g| g.group_name.unwrap()),
            );
            (names, out.marker)
        };
        let all = iam::ListEntitiesForPolicyRequest {
            policy_arn: arn.clone(),
            ..Default::default()
        };
        assert_eq!(entities(&mut env, all.clone()).0, ["alice", "svc"]);
        let roles = iam::ListEntitiesForPolicyRequest {
            entity_filter: Some("Role".into()),
            ..all.clone()
        };
        assert_eq!(entities(&mut env, roles).0, ["svc"]);
        let bounded = iam::ListEntitiesForPolicyRequest {
            policy_usage_filter: Some("PermissionsBoundary".into()),
            ..all.clone()
        };
        assert_eq!(entities(&mut env, bounded).0, ["svc"]);
        let under = iam::ListEntitiesForPolicyRequest {
            path_prefix: Some("/service/".into()),
            ..all.clone()
        };
        assert_eq!(entities(&mut env, under).0, ["svc"]);
        let page1 = iam::ListEntitiesForPolicyRequest {
            max_items: Some(1),
            ..all.clone()
        };
        let (names, marker) = entities(&mut env, page1);
        assert_eq!(names, ["alice"]);
        let page2 = iam::ListEntitiesForPolicyRequest {
            marker,
            ..all.clone()
        };
        assert_eq!(entities(&mut env, page2).0, ["svc"]);
        let admin_users = iam::ListEntitiesForPolicyRequest {
            policy_arn: ADMIN.into(),
            ..Default::default()
        };
        assert_eq!(entities(&mut env, admin_users).0, ["alice"]);
        let missing = iam::ListEntitiesForPolicyRequest {
            policy_arn: format!("arn:aws:iam::{ACCOUNT}:policy/Nope"),
            ..Default::default()
        };
        let e = env
            .run(|c, t| list_entities_for_policy(c, t, &missing))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::NoSuchEntity);
    }

    fn names(r: &iam::ListPoliciesResponse) -> Vec<String> {
        r.policies
            .as_ref()
            .unwrap()
            .iter()
            .map(|p| p.policy_name.clone().unwrap())
            .collect()
    }

    #[test]
    fn list_policies_scopes_filters_and_pages() {
        let mut env = Env::new();
        env.create("Zeta", None);
        env.create("alpha", Some("/team/"));
        let bound = env.create("Bound", None).arn.unwrap();
        env.put_user("alice", &[ADMIN], Some(&bound));

        let local = env.list(iam::ListPoliciesRequest {
            scope: Some("Local".into()),
            ..Default::default()
        });
        assert_eq!(names(&local), ["alpha", "Bound", "Zeta"]);
        assert!(local.policies.as_ref().unwrap()[0].description.is_none());
        assert!(local.policies.as_ref().unwrap()[0].tags.is_none());

        let team = env.list(iam::ListPoliciesRequest {
            scope: Some("Local".into()),
            path_prefix: Some("/team/".into()),
            ..Default::default()
        });
        assert_eq!(names(&team), ["alpha"]);

        let attached = env.list(iam::ListPoliciesRequest {
            only_attached: Some(true),
            ..Default::default()
        });
        assert_eq!(names(&attached), ["AdministratorAccess"]);
        let as_boundary = env.list(iam::ListPoliciesRequest {
            only_attached: Some(true),
            policy_usage_filter: Some("PermissionsBoundary".into()),
            ..Default::default()
        });
        assert_eq!(names(&as_boundary), ["Bound"]);
        let aws_attached = env.list(iam::ListPoliciesRequest {
            scope: Some("AWS".into()),
            only_attached: Some(true),
            ..Default::default()
        });
        assert_eq!(names(&aws_attached), ["AdministratorAccess"]);
        assert_eq!(aws_attached.policies.unwrap()[0].attachment_count, Some(1));

        // Scope AWS lists the whole catalogue, page by page.
        let mut marker = None;
        let mut seen = 0;
        loop {
            let page = env.list(iam::ListPoliciesRequest {
                scope: Some("AWS".into()),
                marker: marker.take(),
                max_items: Some(500),
                ..Default::default()
            });
            seen += page.policies.as_ref().unwrap().len();
            match page.marker {
                Some(m) => marker = Some(m),
                None => break,
            }
        }
        assert_eq!(seen, aws_managed::catalogue().policies.len());
        let job = env.list(iam::ListPoliciesRequest {
            scope: Some("AWS".into()),
            path_prefix: Some("/job-function/".into()),
            ..Default::default()
        });
        assert!(names(&job).contains(&"Billing".to_owned()));
        let all = env.list(iam::ListPoliciesRequest {
            max_items: Some(5000),
            ..Default::default()
        });
        assert_eq!(
            all.policies.unwrap().len(),
            aws_managed::catalogue().policies.len() + 3
        );
    }

    #[test]
    fn aws_managed_policies_are_read_only() {
        let mut env = Env::new();
        let admin = env.get(ADMIN).unwrap();
        assert_eq!(admin.path.as_deref(), Some("/"));
        let id = admin.policy_id.unwrap();
        assert!(id.starts_with("ANPA") && id.len() == 21);
        assert_eq!(env.get(ADMIN).unwrap().policy_id.unwrap(), id, "stable");
        let default = admin.default_version_id.unwrap();
        let r = iam::GetPolicyVersionRequest {
            policy_arn: ADMIN.into(),
            version_id: default.clone(),
        };
        let v = env.run(|c, t| get_policy_version(c, t, &r)).unwrap();
        let doc = v.policy_version.unwrap().document.unwrap();
        assert!(doc.contains("%22Effect%22"), "{doc}");
        let versions = iam::ListPolicyVersionsRequest {
            policy_arn: ADMIN.into(),
            ..Default::default()
        };
        let listed = env
            .run(|c, t| list_policy_versions(c, t, &versions))
            .unwrap();
        assert_eq!(listed.versions.unwrap()[0].version_id, Some(default));

        let e = env.new_version(ADMIN, true).unwrap_err();
        assert_eq!(e.code, ErrorCode::AccessDenied);
        assert!(e.message.contains("iam:CreatePolicyVersion on resource: policy arn:aws:iam::aws:policy/AdministratorAccess"), "{}", e.message);
        let r = iam::DeletePolicyRequest {
            policy_arn: ADMIN.into(),
        };
        assert_eq!(
            env.run(|c, t| delete_policy(c, t, &r)).unwrap_err().code,
            ErrorCode::AccessDenied
        );
        let r = iam::TagPolicyRequest {
            policy_arn: ADMIN.into(),
            tags: vec![iam::Tag {
                key: "k".into(),
                value: "v".into(),
            }],
        };
        let e = env.run(|c, t| tag_policy(c, t, &r)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        let missing = "arn:aws:iam::aws:policy/NoSuchPolicy";
        assert_eq!(env.get(missing).unwrap_err().code, ErrorCode::NoSuchEntity);
    }

    #[test]
    fn policy_arns_are_validated() {
        for ok in [
            ADMIN,
            "arn:aws:iam::aws:policy/job-function/Billing",
            "arn:aws:iam::123456789012:policy/a/b/My_Policy+=,.@-",
        ] {
            assert!(is_policy_arn(ok), "{ok}");
        }
        for bad in [
            "arn:aws:iam::aws:policy/arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:s3:::bucket/policy/x",
            "arn:aws:iam::12345:policy/P",
            "arn:aws:iam::123456789012:policy/",
            "not an arn at all, really",
        ] {
            assert!(!is_policy_arn(bad), "{bad}");
        }
        let mut env = Env::new();
        let e = env.get("arn:aws:iam::123456789012:user/alice").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(
            e.message,
            "ARN arn:aws:iam::123456789012:user/alice is not valid."
        );
        let state = env.tx.state();
        assert!(check_attachable(state, ACCOUNT, ADMIN).is_ok());
        let missing = format!("arn:aws:iam::{ACCOUNT}:policy/Nope");
        let e = check_attachable(state, ACCOUNT, &missing)
            .unwrap_err()
            .to_api(Service::Iam);
        assert_eq!(e.code, ErrorCode::NoSuchEntity);
        assert_eq!(
            e.message,
            format!("Policy {missing} does not exist or is not attachable.")
        );
        let e = check_attachable(state, ACCOUNT, "arn:aws:iam::aws:policy/x:y")
            .unwrap_err()
            .to_api(Service::Iam);
        assert_eq!(e.code, ErrorCode::InvalidInput);
    }

    #[test]
    fn policies_survive_a_restart() {
        let mut env = Env::new();
        let arn = env.create("Kept", Some("/k/")).arn.unwrap();
        env.new_version(&arn, true).unwrap();
        let kek = Kek::generate();
        let mut records: Vec<oxiam_store::Record> = Vec::new();
        let (changes, _) = std::mem::replace(
            &mut env.tx,
            Tx::new(Arc::new(State::default()), Arc::new(Kek::generate())),
        )
        .finish()
        .unwrap();
        for c in changes {
            match c {
                oxiam_store::Change::Put(r) => {
                    records.retain(|o| o.key != r.key);
                    records.push(r);
                }
                oxiam_store::Change::Delete { .. } => unreachable!(),
            }
        }
        let state = State::from_records(&records, 1, &kek).unwrap();
        let p = state.policy_by_arn(&arn).unwrap();
        assert_eq!(p.default_version, "v2");
        assert_eq!(p.versions.len(), 2);
        assert_eq!(p.next_version, 3);
        assert_eq!(p.tags[0].key, "team");
    }

    #[test]
    fn tags_merge_remove_and_page() {
        let mut env = Env::new();
        let arn = env.create("P", None).arn.unwrap();
        let tag = iam::TagPolicyRequest {
            policy_arn: arn.clone(),
            tags: vec![
                iam::Tag {
                    key: "TEAM".into(),
                    value: "red".into(),
                },
                iam::Tag {
                    key: "env".into(),
                    value: "prod".into(),
                },
            ],
        };
        env.run(|c, t| tag_policy(c, t, &tag)).unwrap();
        let list = iam::ListPolicyTagsRequest {
            policy_arn: arn.clone(),
            max_items: Some(1),
            ..Default::default()
        };
        let p1 = env.run(|c, t| list_policy_tags(c, t, &list)).unwrap();
        assert_eq!(p1.tags.len(), 1);
        assert_eq!(p1.tags[0].key, "TEAM");
        assert_eq!(p1.tags[0].value, "red");
        assert_eq!(p1.is_truncated, Some(true));
        let untag = iam::UntagPolicyRequest {
            policy_arn: arn.clone(),
            tag_keys: vec!["team".into()],
        };
        env.run(|c, t| untag_policy(c, t, &untag)).unwrap();
        let all = iam::ListPolicyTagsRequest {
            policy_arn: arn,
            ..Default::default()
        };
        let tags = env.run(|c, t| list_policy_tags(c, t, &all)).unwrap().tags;
        assert_eq!(tags.len(), 1);
        assert_eq!(tags[0].key, "env");
    }
}
