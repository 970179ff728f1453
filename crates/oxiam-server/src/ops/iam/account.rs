//! Account aliases, GetAccountSummary, GetAccountAuthorizationDetails.

use std::collections::BTreeMap;

use oxiam_protocol::iam;

use super::{
    Ctx, encode_document, instance_profiles, paginate, providers, roles, wire_boundary, wire_tags,
};
use crate::model::aws_managed::{self, AwsManagedPolicy};
use crate::model::error::{ServerError, already_exists, no_such_entity};
use crate::model::{
    Account, Group, InlinePolicies, InstanceProfile, KeyOwner, ManagedPolicy, OidcProvider, Role,
    SamlProvider, User, to_datetime,
};
use crate::state::{State, Tx};

/// CreateAccountAlias. An account has at most one alias: creating another replaces it, as
/// AWS does (observed: AWS swaps the alias, it does not answer LimitExceeded). Aliases are
/// unique across every account of the deployment, as AWS's are across its partition. The
/// pattern and length (`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`, 3–63) are checked by the
/// protocol decoder.
pub fn create_account_alias(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateAccountAliasRequest,
) -> Result<(), ServerError> {
    let state = tx.state();
    if state
        .accounts
        .values()
        .any(|a| a.alias.as_deref() == Some(r.account_alias.as_str()))
    {
        return Err(already_exists(format!(
            "The account alias {} already exists.",
            r.account_alias
        )));
    }
    let mut account = own_account(state, &ctx.caller.account)?;
    account.alias = Some(r.account_alias.clone());
    tx.put(account)
}

/// DeleteAccountAlias: the alias named must be the account's own.
pub fn delete_account_alias(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteAccountAliasRequest,
) -> Result<(), ServerError> {
    let mut account = own_account(tx.state(), &ctx.caller.account)?;
    if account.alias.as_deref() != Some(r.account_alias.as_str()) {
        return Err(no_such_entity(format!(
            "The account alias {} cannot be found.",
            r.account_alias
        )));
    }
    account.alias = None;
    tx.put(account)
}

pub fn list_account_aliases(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListAccountAliasesRequest,
) -> Result<iam::ListAccountAliasesResponse, ServerError> {
    let alias = own_account(tx.state(), &ctx.caller.account)?.alias;
    let page = paginate(
        alias.into_iter().map(|a| (a.clone(), a)),
        r.marker.as_deref(),
        r.max_items,
    )?;
    Ok(iam::ListAccountAliasesResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        account_aliases: page.items,
    })
}

fn own_account(state: &State, id: &str) -> Result<Account, ServerError> {
    state
        .accounts
        .get(id)
        .map(|a| Account::clone(a))
        .ok_or_else(|| ServerError::Internal(format!("the caller's account {id} has no record")))
}

/// A quota AWS reports that oxiam does not make configurable: AWS's documented default.
const POLICY_VERSIONS_IN_USE_QUOTA: i32 = 10_000;

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// GetAccountSummary: every key of AWS's SummaryMap (the `summaryKeyType` enum), usage
/// counted from the snapshot and quotas from the deployment's configuration, and oxiam's
/// `ReportOnlyEnforcement`.
pub fn get_account_summary(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    _r: &iam::GetAccountSummaryRequest,
) -> Result<iam::GetAccountSummaryResponse, ServerError> {
    let state = tx.state();
    let account = ctx.caller.account.as_str();
    let q = ctx.quotas;
    let users = || State::of_account(&state.users, account);
    let groups = || State::of_account(&state.groups, account);
    let roles = || State::of_account(&state.roles, account);
    // Managed policies attached to users, groups and roles, AWS managed ones included.
    let attachments = users().map(|u| u.attached_policies.len()).sum::<usize>()
        + groups().map(|g| g.attached_policies.len()).sum::<usize>()
        + roles().map(|r| r.attached_policies.len()).sum::<usize>();
    let root_keys = state.keys_of(account, &KeyOwner::Root).next().is_some();
    let entries: [(&str, i32); 35] = [
        ("Users", count(users().count())),
        ("UsersQuota", count(q.users_per_account)),
        ("Groups", count(groups().count())),
        ("GroupsQuota", count(q.groups_per_account)),
        ("Roles", count(roles().count())),
        ("RolesQuota", count(q.roles_per_account)),
        (
            "Policies",
            count(State::of_account(&state.policies, account).count()),
        ),
        (
            "PoliciesQuota",
            count(q.customer_managed_policies_per_account),
        ),
        ("PolicyVersionsInUse", count(attachments)),
        ("PolicyVersionsInUseQuota", POLICY_VERSIONS_IN_USE_QUOTA),
        (
            "InstanceProfiles",
            count(State::of_account(&state.instance_profiles, account).count()),
        ),
        (
            "InstanceProfilesQuota",
            count(q.instance_profiles_per_account),
        ),
        (
            "ServerCertificates",
            count(state.count_of::<crate::model::ServerCertificate>(account)),
        ),
        (
            "ServerCertificatesQuota",
            count(q.server_certificates_per_account),
        ),
        (
            "Providers",
            count(
                providers::of_account::<OidcProvider>(state, account).count()
                    + providers::of_account::<SamlProvider>(state, account).count(),
            ),
        ),
        (
            "MFADevices",
            count(crate::auth::mfa::devices_of_account(state, account).count()),
        ),
        (
            "MFADevicesInUse",
            count(
                crate::auth::mfa::devices_of_account(state, account)
                    .filter(|d| d.user_id.is_some())
                    .count(),
            ),
        ),
        (
            "AccountMFAEnabled",
            i32::from(crate::auth::mfa::root_device(state, account).is_some()),
        ),
        ("AccountAccessKeysPresent", i32::from(root_keys)),
        (
            "AccountPasswordPresent",
            i32::from(
                state
                    .accounts
                    .get(account)
                    .is_some_and(|a| a.root_password.is_some()),
            ),
        ),
        (
            "AccountSigningCertificatesPresent",
            i32::from(
                super::signing_certificates::of_owner(state, account, None)
                    .next()
                    .is_some(),
            ),
        ),
        ("AccessKeysPerUserQuota", count(q.access_keys_per_user)),
        (
            "SigningCertificatesPerUserQuota",
            count(q.signing_certificates_per_user),
        ),
        ("GroupsPerUserQuota", count(q.groups_per_user)),
        (
            "AttachedPoliciesPerUserQuota",
            count(q.managed_policies_per_entity),
        ),
        (
            "AttachedPoliciesPerGroupQuota",
            count(q.managed_policies_per_entity),
        ),
        (
            "AttachedPoliciesPerRoleQuota",
            count(q.managed_policies_per_entity),
        ),
        ("UserPolicySizeQuota", count(q.user_inline_policy_size)),
        ("GroupPolicySizeQuota", count(q.group_inline_policy_size)),
        ("RolePolicySizeQuota", count(q.role_inline_policy_size)),
        ("PolicySizeQuota", count(q.managed_policy_size)),
        ("AssumeRolePolicySizeQuota", count(q.role_trust_policy_size)),
        (
            "VersionsPerPolicyQuota",
            count(q.versions_per_managed_policy),
        ),
        (
            "GlobalEndpointTokenVersion",
            super::sts_preferences::global_endpoint_token_version(state, account),
        ),
        // oxiam's own key (not in AWS's `summaryKeyType`): 1 when the account's policy
        // denials are reported, not enforced. The map's keys are strings on the wire, and
        // botocore parses a map without checking its keys against the enum, so boto3 and
        // the CLI show it like the others.
        (
            "ReportOnlyEnforcement",
            i32::from(crate::auth::authz::is_report_only(state, account)),
        ),
    ];
    let summary: BTreeMap<String, i32> = entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    Ok(iam::GetAccountSummaryResponse {
        summary_map: Some(summary),
    })
}

/// What one GetAccountAuthorizationDetails item is; the list is users, then groups, then
/// roles, then customer managed policies, then AWS managed policies in use in the account.
enum Detail {
    User(iam::UserDetail),
    Group(iam::GroupDetail),
    Role(Box<iam::RoleDetail>),
    Policy(iam::ManagedPolicyDetail),
}

/// GetAccountAuthorizationDetails with its `Filter` (none means every kind) and
/// `Marker`/`MaxItems` over the one list of all details. AWS managed policies are listed
/// only when attached to an entity of the account or used as a permissions boundary there,
/// as AWS does.
pub fn get_account_authorization_details(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetAccountAuthorizationDetailsRequest,
) -> Result<iam::GetAccountAuthorizationDetailsResponse, ServerError> {
    let state = tx.state();
    let account = ctx.caller.account.as_str();
    let filter = r.filter.as_deref().unwrap_or_default();
    let wants = |kind: &str| filter.is_empty() || filter.iter().any(|f| f == kind);
    let usage = PolicyUsage::of(state, account);

    // Sort keys keep the kinds in AWS's order and each kind in name order.
    let mut items: Vec<(String, Detail)> = Vec::new();
    if wants("User") {
        items.extend(State::of_account(&state.users, account).map(|u| {
            (
                format!("0/{}", u.name.to_lowercase()),
                user_detail(state, u),
            )
        }));
    }
    if wants("Group") {
        items.extend(
            State::of_account(&state.groups, account)
                .map(|g| (format!("1/{}", g.name.to_lowercase()), group_detail(g))),
        );
    }
    if wants("Role") {
        items.extend(State::of_account(&state.roles, account).map(|role| {
            (
                format!("2/{}", role.name.to_lowercase()),
                Detail::Role(Box::new(role_detail(state, role))),
            )
        }));
    }
    if wants("LocalManagedPolicy") {
        items.extend(State::of_account(&state.policies, account).map(|p| {
            (
                format!("3/{}", p.name.to_lowercase()),
                local_policy_detail(p, &usage),
            )
        }));
    }
    if wants("AWSManagedPolicy") {
        items.extend(
            aws_managed::catalogue()
                .policies
                .iter()
                .enumerate()
                .filter(|(_, p)| usage.in_use(&p.arn))
                .map(|(i, p)| (format!("4/{i:06}"), aws_policy_detail(p, &usage))),
        );
    }
    let page = paginate(items.into_iter(), r.marker.as_deref(), r.max_items)?;

    let mut out = iam::GetAccountAuthorizationDetailsResponse {
        user_detail_list: Some(Vec::new()),
        group_detail_list: Some(Vec::new()),
        role_detail_list: Some(Vec::new()),
        policies: Some(Vec::new()),
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker.clone(),
    };
    for item in page.items {
        match item {
            Detail::User(d) => out.user_detail_list.get_or_insert_default().push(d),
            Detail::Group(d) => out.group_detail_list.get_or_insert_default().push(d),
            Detail::Role(d) => out.role_detail_list.get_or_insert_default().push(*d),
            Detail::Policy(d) => out.policies.get_or_insert_default().push(d),
        }
    }
    Ok(out)
}

/// How often each managed policy ARN is attached in the account, and used as a boundary.
#[derive(Default)]
struct PolicyUsage {
    attachments: BTreeMap<String, usize>,
    boundaries: BTreeMap<String, usize>,
}

impl PolicyUsage {
    fn of(state: &State, account: &str) -> PolicyUsage {
        let mut usage = PolicyUsage::default();
        let mut attach = |arns: &[String]| {
            for arn in arns {
                *usage.attachments.entry(arn.clone()).or_default() += 1;
            }
        };
        for u in State::of_account(&state.users, account) {
            attach(&u.attached_policies);
        }
        for g in State::of_account(&state.groups, account) {
            attach(&g.attached_policies);
        }
        for r in State::of_account(&state.roles, account) {
            attach(&r.attached_policies);
        }
        let boundaries = State::of_account(&state.users, account)
            .filter_map(|u| u.permissions_boundary.clone())
            .chain(
                State::of_account(&state.roles, account)
                    .filter_map(|r| r.permissions_boundary.clone()),
            );
        for arn in boundaries {
            *usage.boundaries.entry(arn).or_default() += 1;
        }
        usage
    }

    fn attachment_count(&self, arn: &str) -> i32 {
        count(self.attachments.get(arn).copied().unwrap_or_default())
    }

    fn boundary_count(&self, arn: &str) -> i32 {
        count(self.boundaries.get(arn).copied().unwrap_or_default())
    }

    fn in_use(&self, arn: &str) -> bool {
        self.attachments.contains_key(arn) || self.boundaries.contains_key(arn)
    }
}

fn inline_list(policies: &InlinePolicies) -> Vec<iam::PolicyDetail> {
    policies
        .iter()
        .map(|(name, document)| iam::PolicyDetail {
            policy_name: Some(name.clone()),
            policy_document: Some(encode_document(document)),
        })
        .collect()
}

/// Attached managed policies; a policy's name is the last segment of its ARN.
fn attached_list(arns: &[String]) -> Vec<iam::AttachedPolicy> {
    arns.iter()
        .map(|arn| iam::AttachedPolicy {
            policy_name: arn.rsplit('/').next().map(str::to_owned),
            policy_arn: Some(arn.clone()),
        })
        .collect()
}

fn user_detail(state: &State, u: &User) -> Detail {
    let groups = State::of_account(&state.groups, &u.account)
        .filter(|g| g.members.contains(&u.id))
        .map(|g| g.name.clone())
        .collect();
    Detail::User(iam::UserDetail {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: Some(u.id.clone()),
        arn: Some(u.arn()),
        create_date: Some(to_datetime(u.created)),
        user_policy_list: Some(inline_list(&u.inline_policies)),
        group_list: Some(groups),
        attached_managed_policies: Some(attached_list(&u.attached_policies)),
        permissions_boundary: wire_boundary(u.permissions_boundary.as_ref()),
        tags: Some(wire_tags(&u.tags)),
    })
}

fn group_detail(g: &Group) -> Detail {
    Detail::Group(iam::GroupDetail {
        path: Some(g.path.clone()),
        group_name: Some(g.name.clone()),
        group_id: Some(g.id.clone()),
        arn: Some(g.arn()),
        create_date: Some(to_datetime(g.created)),
        group_policy_list: Some(inline_list(&g.inline_policies)),
        attached_managed_policies: Some(attached_list(&g.attached_policies)),
    })
}

fn role_last_used(role: &Role) -> iam::RoleLastUsed {
    iam::RoleLastUsed {
        last_used_date: role.last_used.as_ref().map(|(at, _)| to_datetime(*at)),
        region: role.last_used.as_ref().map(|(_, region)| region.clone()),
    }
}

/// A role as it appears inside an instance profile.
/// A profile in a role's details: its roles in full (as CreateRole gives them, without
/// RoleLastUsed), in name order.
fn wire_instance_profile(state: &State, p: &InstanceProfile) -> iam::InstanceProfile {
    let roles = State::of_account(&state.roles, &p.account)
        .filter(|r| p.roles.contains(&r.id))
        .map(|r| roles::wire_role(r, roles::Detail::Create))
        .collect();
    instance_profiles::wire_profile_with(p, roles, true)
}

fn role_detail(state: &State, role: &Role) -> iam::RoleDetail {
    let profiles = State::of_account(&state.instance_profiles, &role.account)
        .filter(|p| p.roles.contains(&role.id))
        .map(|p| wire_instance_profile(state, p))
        .collect();
    iam::RoleDetail {
        path: Some(role.path.clone()),
        role_name: Some(role.name.clone()),
        role_id: Some(role.id.clone()),
        arn: Some(role.arn()),
        create_date: Some(to_datetime(role.created)),
        assume_role_policy_document: Some(encode_document(&role.assume_role_policy)),
        instance_profile_list: Some(profiles),
        role_policy_list: Some(inline_list(&role.inline_policies)),
        attached_managed_policies: Some(attached_list(&role.attached_policies)),
        permissions_boundary: wire_boundary(role.permissions_boundary.as_ref()),
        tags: Some(wire_tags(&role.tags)),
        role_last_used: Some(role_last_used(role)),
    }
}

fn local_policy_detail(p: &ManagedPolicy, usage: &PolicyUsage) -> Detail {
    let arn = p.arn();
    let versions = p
        .versions
        .iter()
        .map(|v| iam::PolicyVersion {
            document: Some(encode_document(&v.document)),
            version_id: Some(v.id.clone()),
            is_default_version: Some(v.id == p.default_version),
            create_date: Some(to_datetime(v.created)),
        })
        .collect();
    Detail::Policy(iam::ManagedPolicyDetail {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.id.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version.clone()),
        attachment_count: Some(usage.attachment_count(&arn)),
        permissions_boundary_usage_count: Some(usage.boundary_count(&arn)),
        is_attachable: Some(true),
        description: p.description.clone(),
        create_date: Some(to_datetime(p.created)),
        update_date: Some(to_datetime(p.updated)),
        policy_version_list: Some(versions),
        arn: Some(arn),
    })
}

/// AWS managed policies carry only their default version in the catalogue.
fn aws_policy_detail(p: &AwsManagedPolicy, usage: &PolicyUsage) -> Detail {
    Detail::Policy(iam::ManagedPolicyDetail {
        policy_name: Some(p.name.clone()),
        policy_id: Some(p.id()),
        arn: Some(p.arn.clone()),
        path: Some(p.path.clone()),
        default_version_id: Some(p.default_version.clone()),
        attachment_count: Some(usage.attachment_count(&p.arn)),
        permissions_boundary_usage_count: Some(usage.boundary_count(&p.arn)),
        is_attachable: Some(true),
        description: None,
        create_date: Some(oxiam_protocol::types::DateTime(p.created)),
        update_date: Some(oxiam_protocol::types::DateTime(p.updated)),
        policy_version_list: Some(vec![iam::PolicyVersion {
            document: Some(encode_document(&p.document)),
            version_id: Some(p.default_version.clone()),
            is_default_version: Some(true),
            create_date: Some(oxiam_protocol::types::DateTime(p.updated)),
        }]),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxiam_protocol::error::ErrorCode;
    use oxiam_store::crypto::Kek;

    use super::*;
    use crate::auth::authn::Caller;
    use crate::model::fixtures::{self, ACCOUNT};
    use crate::model::quotas::Quotas;
    use crate::model::{PolicyVersion, Tag};

    const OTHER: &str = "210987654321";
    const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
    const DOC: &str =
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;

    fn tx() -> Tx {
        let mut tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        for id in [ACCOUNT, OTHER] {
            tx.put(Account {
                id: id.into(),
                created: 0,
                alias: None,
                root_password: None,
                root_password_last_used: None,
                enforcement: crate::model::EnforcementMode::Enforce,
            })
            .unwrap();
        }
        tx
    }

    fn code(e: ServerError) -> ErrorCode {
        e.to_api(oxiam_protocol::Service::Iam).code
    }

    fn run<T>(
        account: &str,
        tx: &mut Tx,
        f: impl FnOnce(&Ctx<'_>, &mut Tx) -> Result<T, ServerError>,
    ) -> Result<T, ServerError> {
        let caller = Caller::root(account, "AKIATEST");
        let quotas = Quotas::default();
        let ctx = Ctx {
            caller: &caller,
            quotas: &quotas,
            env: &crate::auth::decide::RequestEnv::now(),
        };
        f(&ctx, tx)
    }

    fn alias_req(a: &str) -> iam::CreateAccountAliasRequest {
        iam::CreateAccountAliasRequest {
            account_alias: a.into(),
        }
    }

    fn aliases(tx: &mut Tx, account: &str) -> Vec<String> {
        run(account, tx, |c, t| {
            list_account_aliases(c, t, &iam::ListAccountAliasesRequest::default())
        })
        .unwrap()
        .account_aliases
    }

    #[test]
    fn aliases_are_one_per_account_replaced_and_unique_across_accounts() {
        let mut tx = tx();
        assert!(aliases(&mut tx, ACCOUNT).is_empty());
        run(ACCOUNT, &mut tx, |c, t| {
            create_account_alias(c, t, &alias_req("example-corp"))
        })
        .unwrap();
        assert_eq!(aliases(&mut tx, ACCOUNT), vec!["example-corp"]);
        // Another alias replaces the first.
        run(ACCOUNT, &mut tx, |c, t| {
            create_account_alias(c, t, &alias_req("example-two"))
        })
        .unwrap();
        assert_eq!(aliases(&mut tx, ACCOUNT), vec!["example-two"]);
        // Taken, by another account or by this one.
        for account in [OTHER, ACCOUNT] {
            let e = run(account, &mut tx, |c, t| {
                create_account_alias(c, t, &alias_req("example-two"))
            })
            .unwrap_err();
            assert_eq!(code(e), ErrorCode::EntityAlreadyExists);
        }
        assert!(aliases(&mut tx, OTHER).is_empty());
        // Only the account's own alias can be deleted.
        let delete = |a: &str| iam::DeleteAccountAliasRequest {
            account_alias: a.into(),
        };
        let e = run(OTHER, &mut tx, |c, t| {
            delete_account_alias(c, t, &delete("example-two"))
        })
        .unwrap_err();
        assert_eq!(code(e), ErrorCode::NoSuchEntity);
        run(ACCOUNT, &mut tx, |c, t| {
            delete_account_alias(c, t, &delete("example-two"))
        })
        .unwrap();
        assert!(aliases(&mut tx, ACCOUNT).is_empty());
        // Free again for anyone.
        run(OTHER, &mut tx, |c, t| {
            create_account_alias(c, t, &alias_req("example-two"))
        })
        .unwrap();
        assert_eq!(aliases(&mut tx, OTHER), vec!["example-two"]);
    }

    /// A small account: alice (in admins, inline policy, boundary), the admins group with
    /// AdministratorAccess, a role with a profile, a customer managed policy attached to it.
    fn company(tx: &mut Tx) -> String {
        let policy = ManagedPolicy {
            account: ACCOUNT.into(),
            id: "ANPATESTPOLICY0000001".into(),
            name: "Bucket".into(),
            path: "/team/".into(),
            created: 10,
            updated: 20,
            description: Some("one bucket".into()),
            default_version: "v2".into(),
            versions: vec![
                PolicyVersion {
                    id: "v1".into(),
                    document: DOC.into(),
                    created: 10,
                },
                PolicyVersion {
                    id: "v2".into(),
                    document: DOC.into(),
                    created: 20,
                },
            ],
            next_version: 3,
            tags: Vec::new(),
        };
        let policy_arn = policy.arn();
        tx.put(policy).unwrap();
        tx.put(User {
            tags: vec![Tag {
                key: "team".into(),
                value: "blue".into(),
            }],
            permissions_boundary: Some(policy_arn.clone()),
            inline_policies: [("own".to_owned(), DOC.to_owned())].into(),
            attached_policies: vec![ADMIN.into()],
            ..fixtures::user("alice", "AIDAALICE000000000001")
        })
        .unwrap();
        tx.put(User {
            account: OTHER.into(),
            attached_policies: vec!["arn:aws:iam::aws:policy/IAMFullAccess".into()],
            ..fixtures::user("mallory", "AIDAOTHER000000000001")
        })
        .unwrap();
        tx.put(Group {
            id: "AGPAADMINS00000000001".into(),
            members: vec!["AIDAALICE000000000001".into()],
            attached_policies: vec![ADMIN.into()],
            ..fixtures::group("admins")
        })
        .unwrap();
        tx.put(Role {
            path: "/service/".into(),
            assume_role_policy: r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#.into(),
            attached_policies: vec![policy_arn.clone()],
            ..fixtures::role("app", "AROAAPP00000000000001")
        })
        .unwrap();
        tx.put(InstanceProfile {
            account: ACCOUNT.into(),
            id: "AIPAAPP00000000000001".into(),
            name: "app-profile".into(),
            path: "/".into(),
            created: 0,
            roles: vec!["AROAAPP00000000000001".into()],
            tags: Vec::new(),
        })
        .unwrap();
        policy_arn
    }

    #[test]
    fn summary_counts_the_account_and_reports_every_key() {
        let mut tx = tx();
        company(&mut tx);
        let map = run(ACCOUNT, &mut tx, |c, tx| {
            get_account_summary(c, tx, &iam::GetAccountSummaryRequest)
        })
        .unwrap()
        .summary_map
        .unwrap();
        assert_eq!(map.len(), 35);
        for (k, v) in [
            ("Users", 1),
            ("Groups", 1),
            ("Roles", 1),
            ("Policies", 1),
            ("InstanceProfiles", 1),
            ("PolicyVersionsInUse", 3),
            ("UsersQuota", 5000),
            ("GroupsQuota", 300),
            ("RolesQuota", 1000),
            ("PoliciesQuota", 1500),
            ("AttachedPoliciesPerRoleQuota", 10),
            ("AssumeRolePolicySizeQuota", 2048),
            ("PolicyVersionsInUseQuota", 10000),
            ("AccountAccessKeysPresent", 0),
            ("GlobalEndpointTokenVersion", 1),
            ("ReportOnlyEnforcement", 0),
        ] {
            assert_eq!(map[k], v, "{k}");
        }
    }

    #[test]
    fn summary_reports_the_enforcement_mode_of_the_callers_account() {
        let mut tx = tx();
        let mut account = own_account(tx.state(), ACCOUNT).unwrap();
        account.enforcement = crate::model::EnforcementMode::ReportOnly;
        tx.put(account).unwrap();
        let summary = |tx: &mut Tx, id: &str| {
            run(id, tx, |c, tx| {
                get_account_summary(c, tx, &iam::GetAccountSummaryRequest)
            })
            .unwrap()
            .summary_map
            .unwrap()["ReportOnlyEnforcement"]
        };
        assert_eq!(summary(&mut tx, ACCOUNT), 1);
        assert_eq!(summary(&mut tx, OTHER), 0);
    }

    fn details(
        tx: &mut Tx,
        filter: &[&str],
        marker: Option<String>,
        max: Option<i32>,
    ) -> iam::GetAccountAuthorizationDetailsResponse {
        let r = iam::GetAccountAuthorizationDetailsRequest {
            filter: (!filter.is_empty()).then(|| filter.iter().map(|s| s.to_string()).collect()),
            max_items: max,
            marker,
        };
        run(ACCOUNT, tx, |c, t| {
            get_account_authorization_details(c, t, &r)
        })
        .unwrap()
    }

    #[test]
    fn authorization_details_list_everything_of_the_account() {
        let mut tx = tx();
        let policy_arn = company(&mut tx);
        let d = details(&mut tx, &[], None, None);
        assert_eq!(d.is_truncated, Some(false));
        let users = d.user_detail_list.unwrap();
        assert_eq!(users.len(), 1, "only the caller's account");
        let alice = &users[0];
        assert_eq!(
            alice.group_list.as_deref(),
            Some(&["admins".to_owned()][..])
        );
        let inline = alice.user_policy_list.as_ref().unwrap();
        assert_eq!(inline[0].policy_name.as_deref(), Some("own"));
        assert_eq!(
            inline[0].policy_document.as_deref(),
            Some(encode_document(DOC).as_str())
        );
        assert_eq!(
            alice.attached_managed_policies.as_ref().unwrap()[0]
                .policy_name
                .as_deref(),
            Some("AdministratorAccess")
        );
        assert_eq!(
            alice
                .permissions_boundary
                .as_ref()
                .unwrap()
                .permissions_boundary_arn,
            Some(policy_arn.clone())
        );
        assert_eq!(alice.tags.as_ref().unwrap()[0].key, "team");

        let role = &d.role_detail_list.unwrap()[0];
        assert!(
            role.assume_role_policy_document
                .as_ref()
                .unwrap()
                .starts_with("%7B%22Version%22")
        );
        let profiles = role.instance_profile_list.as_ref().unwrap();
        assert_eq!(profiles[0].instance_profile_name, "app-profile");
        assert_eq!(profiles[0].roles[0].role_name, "app");

        // The customer policy, then AdministratorAccess (in use); not IAMFullAccess, which
        // only another account uses, nor the rest of the catalogue.
        let policies = d.policies.unwrap();
        let arns: Vec<_> = policies.iter().map(|p| p.arn.clone().unwrap()).collect();
        assert_eq!(arns, vec![policy_arn.clone(), ADMIN.to_owned()]);
        let local = &policies[0];
        assert_eq!(local.attachment_count, Some(1));
        assert_eq!(local.permissions_boundary_usage_count, Some(1));
        let versions = local.policy_version_list.as_ref().unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1].is_default_version, Some(true));
        assert_eq!(policies[1].attachment_count, Some(2));
        assert!(policies[1].policy_id.as_ref().unwrap().starts_with("ANPA"));
        assert_eq!(policies[1].policy_id.as_ref().unwrap().len(), 21);
    }

    #[test]
    fn authorization_details_filter_and_pages() {
        let mut tx = tx();
        company(&mut tx);
        let d = details(&mut tx, &["Role", "AWSManagedPolicy"], None, None);
        assert!(d.user_detail_list.unwrap().is_empty());
        assert!(d.group_detail_list.unwrap().is_empty());
        assert_eq!(d.role_detail_list.unwrap().len(), 1);
        assert_eq!(d.policies.unwrap().len(), 1);

        // Five items (user, group, role, two policies), two per page.
        let mut marker = None;
        let mut seen = 0;
        let mut pages = 0;
        loop {
            let d = details(&mut tx, &[], marker, Some(2));
            seen += d.user_detail_list.unwrap().len()
                + d.group_detail_list.unwrap().len()
                + d.role_detail_list.unwrap().len()
                + d.policies.unwrap().len();
            pages += 1;
            marker = d.marker;
            if d.is_truncated != Some(true) {
                break;
            }
        }
        assert_eq!((seen, pages), (5, 3));
    }
}
