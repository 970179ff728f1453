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

use super::{Ctx, encode_document, paginate, remove_tags, tag_page, wire_tags};
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
pub(super) enum Found<'s> {
    Customer(&'s Arc<ManagedPolicy>),
    Aws(&'static AwsManagedPolicy),
}

impl Found<'_> {
    pub(super) fn arn(&self) -> String {
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
pub(super) fn find<'s>(
    state: &'s State,
    account: &str,
    arn: &str,
) -> Result<Found<'s>, ServerError> {
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
    tags: ShownTags,
}

/// Whether a response has a policy's `Tags`: CreatePolicy gives them only when the policy
/// has some, GetPolicy always, as an empty `<Tags/>` when there are none (what AWS answers;
/// moto's `test_policy_resource_returns_subset_of_available_attributes`, verified against
/// AWS, checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShownTags {
    No,
    IfAny,
    Always,
}

const LISTED: Detail = Detail {
    description: false,
    tags: ShownTags::No,
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
            tags: match detail.tags {
                ShownTags::Always => Some(wire_tags(&p.tags)),
                ShownTags::IfAny if !p.tags.is_empty() => Some(wire_tags(&p.tags)),
                ShownTags::IfAny | ShownTags::No => None,
            },
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
    super::check_account_quota::<ManagedPolicy>(
        tx.state(),
        account,
        ctx.quotas.customer_managed_policies_per_account,
        "PoliciesPerAccount",
    )?;
    let tags = ctx.new_tags(r.tags.as_deref())?;
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
        tags: ShownTags::IfAny,
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
        tags: ShownTags::Always,
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
    policy.tags = ctx.merge_tags(&policy.tags, &r.tags)?;
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
mod tests;
