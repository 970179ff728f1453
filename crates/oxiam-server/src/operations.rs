//! The list of operations oxiam serves: for each, the IAM action and resource it is
//! authorized against, and the handler it dispatches to. An operation missing here answers
//! `NotImplemented` naming itself — never a panic or a silent success.

use oxiam_policy::ContextValue;
use oxiam_protocol::{iam, sts};

use crate::app::App;
use crate::authn::{Caller, CallerKind};
use crate::error::ServerError;
use crate::error::not_implemented;
use crate::iam::{
    Ctx, access_keys, account, attached, credential_report, groups, inline, instance_profiles, mfa,
    oidc_providers, passwords, policies, roles, saml_providers, server_certificates,
    service_credentials, signing_certificates, simulator, ssh_public_keys, sts_preferences, users,
};
use crate::model::Tag;
use crate::state::{State, Tx};

/// A decoded request of either service.
#[derive(Debug, Clone)]
pub enum Request {
    Iam(iam::Request),
    Sts(sts::Request),
}

#[derive(Debug)]
pub enum Response {
    Iam(iam::Response),
    Sts(sts::Response),
}

impl Request {
    /// Whether the operation only reads (IAM's Get* and List*, sts:GetCallerIdentity): it
    /// runs on the published snapshot, without the writer lock or a trip to the blocking pool.
    pub fn is_read_only(&self) -> bool {
        match self {
            Request::Iam(r) => {
                let name = r.operation().name();
                name.starts_with("Get") || name.starts_with("List") || name.starts_with("Simulate")
            }
            Request::Sts(r) => matches!(r, sts::Request::GetCallerIdentity(..)),
        }
    }
}

/// What a request asks to do, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `iam:CreateUser`, `sts:GetCallerIdentity`, …
    pub action: String,
    /// The resource ARN AWS authorizes the action on.
    pub resource: String,
    /// Whether the action needs no permission at all (sts:GetCallerIdentity).
    pub always_allowed: bool,
    /// The condition keys this request sets (`iam:PolicyARN`, `aws:RequestTag/…`,
    /// `aws:ResourceTag/…`, …), besides the global keys the pipeline adds.
    pub keys: Vec<(String, ContextValue)>,
    /// How AccessDenied messages name the resource when not by its ARN: IAM names an
    /// entity the request addresses by name as `user NAME`, `role NAME`, `group NAME`, and
    /// a managed policy as `policy ARN`; created resources and List* prefixes by ARN.
    pub display: Option<String>,
    /// Further actions AWS authorizes for this request ("dependent actions": `iam:PassRole`
    /// on the role added to an instance profile); each must be allowed too.
    pub dependent: Vec<Target>,
}

impl Target {
    pub fn new(action: String, resource: String) -> Target {
        Target {
            action,
            resource,
            always_allowed: false,
            keys: Vec::new(),
            display: None,
            dependent: Vec::new(),
        }
    }

    /// An action that needs no permission (or is decided by its handler).
    pub fn always(action: String, resource: String) -> Target {
        Target {
            always_allowed: true,
            ..Target::new(action, resource)
        }
    }

    /// The resource as AccessDenied messages show it.
    pub fn shown_resource(&self) -> &str {
        self.display.as_deref().unwrap_or(&self.resource)
    }

    pub fn key(&mut self, key: &str, value: impl Into<ContextValue>) {
        self.keys.push((key.to_owned(), value.into()));
    }

    /// `aws:ResourceTag/<key>` for each tag of an existing resource.
    fn resource_tags(&mut self, tags: &[Tag]) {
        for t in tags {
            self.key(&format!("aws:ResourceTag/{}", t.key), t.value.as_str());
        }
    }

    /// `aws:RequestTag/<key>` for each tag in the request, and `aws:TagKeys` (set even when
    /// the request has a `Tags` member without entries, absent when it has none).
    fn request_tags(&mut self, tags: Option<&[iam::Tag]>) {
        let Some(tags) = tags else { return };
        for t in tags {
            self.key(&format!("aws:RequestTag/{}", t.key), t.value.as_str());
        }
        self.tag_keys(tags.iter().map(|t| t.key.clone()).collect());
    }

    fn tag_keys(&mut self, keys: Vec<String>) {
        self.key("aws:TagKeys", keys);
    }

    /// `iam:PermissionsBoundary`: the boundary a request sets, or the one the entity has.
    fn boundary(&mut self, arn: Option<&str>) {
        if let Some(arn) = arn {
            self.key("iam:PermissionsBoundary", arn);
        }
    }
}

/// An IAM entity a request names: its ARN (the real path when it exists, else `/`), and
/// what conditions can see of it.
struct Named {
    arn: String,
    /// `user NAME`, … (see `Target::display`).
    display: Option<String>,
    tags: Vec<Tag>,
    boundary: Option<String>,
}

/// Resolves the entities requests name, in the caller's account.
struct Resolver<'a> {
    state: &'a State,
    caller: &'a Caller,
}

impl Resolver<'_> {
    fn account(&self) -> &str {
        &self.caller.account
    }

    fn user(&self, name: &str) -> Named {
        match self.state.user(self.account(), name) {
            Some(u) => Named {
                arn: u.arn(),
                display: Some(format!("user {name}")),
                tags: u.tags.clone(),
                boundary: u.permissions_boundary.clone(),
            },
            None => self.missing("user", name),
        }
    }

    /// Operations on "the user named, or else the caller itself".
    fn self_or_user(&self, name: Option<&String>) -> Named {
        match (name, &self.caller.kind) {
            (Some(n), _) => self.user(n),
            (None, CallerKind::User { name }) => self.user(name),
            // The root, or session credentials that are not a user's (their handlers refuse
            // the call: "Must specify userName when calling with non-User credentials").
            (None, _) => Named {
                arn: self.caller.arn.clone(),
                display: None,
                tags: Vec::new(),
                boundary: None,
            },
        }
    }

    fn group(&self, name: &str) -> Named {
        match self.state.group(self.account(), name) {
            Some(g) => Named {
                arn: g.arn(),
                display: Some(format!("group {name}")),
                tags: Vec::new(),
                boundary: None,
            },
            None => self.missing("group", name),
        }
    }

    fn role(&self, name: &str) -> Named {
        match self.state.role(self.account(), name) {
            Some(r) => Named {
                arn: r.arn(),
                display: Some(format!("role {name}")),
                tags: r.tags.clone(),
                boundary: r.permissions_boundary.clone(),
            },
            None => self.missing("role", name),
        }
    }

    fn instance_profile(&self, name: &str) -> Named {
        match self.state.instance_profile(self.account(), name) {
            Some(p) => Named {
                arn: p.arn(),
                display: None,
                tags: p.tags.clone(),
                boundary: None,
            },
            None => self.missing("instance-profile", name),
        }
    }

    fn server_certificate(&self, name: &str) -> Named {
        match self
            .state
            .server_certificates
            .get(&State::name_key(self.account(), name))
        {
            Some(c) => Named {
                arn: c.arn(),
                display: None,
                tags: c.tags.clone(),
                boundary: None,
            },
            None => Named {
                arn: self.new_arn("server-certificate", None, name),
                display: None,
                tags: Vec::new(),
                boundary: None,
            },
        }
    }

    /// A managed policy by the ARN the request gives (customer policies carry tags).
    fn policy(&self, arn: &str) -> Named {
        Named {
            arn: arn.to_owned(),
            display: Some(format!("policy {arn}")),
            tags: self
                .state
                .policy_by_arn(arn)
                .map(|p| p.tags.clone())
                .unwrap_or_default(),
            boundary: None,
        }
    }

    fn missing(&self, kind: &str, name: &str) -> Named {
        Named {
            arn: self.new_arn(kind, None, name),
            display: (kind != "instance-profile").then(|| format!("{kind} {name}")),
            tags: Vec::new(),
            boundary: None,
        }
    }

    /// The ARN of an entity a request creates (or names without it existing).
    fn new_arn(&self, kind: &str, path: Option<&String>, name: &str) -> String {
        format!(
            "arn:aws:iam::{}:{kind}{}{name}",
            self.account(),
            path.map_or("/", String::as_str)
        )
    }

    /// The resource of List* operations: the kind's ARN prefix with the path prefix.
    fn prefix(&self, kind: &str, path_prefix: Option<&String>) -> String {
        self.new_arn(kind, path_prefix, "")
    }
}

impl Request {
    pub fn name(&self) -> &'static str {
        match self {
            Request::Iam(r) => r.operation().name(),
            Request::Sts(r) => r.operation().name(),
        }
    }

    /// The action, resource and condition keys of this request, as AWS's service
    /// authorization reference gives them for each operation.
    pub fn target(&self, caller: &Caller, state: &State) -> Target {
        match self {
            Request::Iam(r) => iam_target(r, &Resolver { state, caller }),
            Request::Sts(r) => crate::sts::target(r, caller, state),
        }
    }
}

/// On an existing entity: its ARN and `aws:ResourceTag/…`.
fn on(action: String, e: &Named) -> Target {
    let mut t = Target::new(action, e.arn.clone());
    t.display.clone_from(&e.display);
    t.resource_tags(&e.tags);
    t
}

/// On an existing user or role whose boundary conditions may test (`iam:PermissionsBoundary`
/// is the entity's current boundary: AWS's rule for Put*/Attach*/Detach*/Delete* policies).
fn on_bounded(action: String, e: &Named) -> Target {
    let mut t = on(action, e);
    t.boundary(e.boundary.as_deref());
    t
}

/// Attaching or detaching a managed policy: the entity, `iam:PolicyARN` and its boundary.
fn attachment(action: String, e: &Named, policy_arn: &str) -> Target {
    let mut t = on_bounded(action, e);
    t.key("iam:PolicyARN", policy_arn);
    t
}

fn iam_target(r: &iam::Request, x: &Resolver<'_>) -> Target {
    use iam::Request as Q;
    let action = format!("iam:{}", r.operation().name());
    let account = x.account();
    match r {
        // Users.
        Q::CreateUser(r) => {
            let mut t = Target::new(action, x.new_arn("user", r.path.as_ref(), &r.user_name));
            t.request_tags(r.tags.as_deref());
            t.boundary(r.permissions_boundary.as_deref());
            t
        }
        Q::ListUsers(r) => Target::new(action, x.prefix("user", r.path_prefix.as_ref())),
        Q::GetUser(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::UpdateUser(r) => on(action, &x.user(&r.user_name)),
        Q::DeleteUser(r) => on(action, &x.user(&r.user_name)),
        Q::ListUserTags(r) => on(action, &x.user(&r.user_name)),
        Q::ListGroupsForUser(r) => on(action, &x.user(&r.user_name)),
        Q::TagUser(r) => {
            let mut t = on(action, &x.user(&r.user_name));
            t.request_tags(Some(&r.tags));
            t
        }
        Q::UntagUser(r) => {
            let mut t = on(action, &x.user(&r.user_name));
            t.tag_keys(r.tag_keys.clone());
            t
        }
        Q::PutUserPermissionsBoundary(r) => {
            let mut t = on(action, &x.user(&r.user_name));
            t.boundary(Some(&r.permissions_boundary));
            t
        }
        Q::DeleteUserPermissionsBoundary(r) => on_bounded(action, &x.user(&r.user_name)),
        // Access keys.
        Q::CreateAccessKey(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::ListAccessKeys(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::UpdateAccessKey(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::DeleteAccessKey(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::GetAccessKeyLastUsed(r) => Target::new(
            action,
            key_owner_arn(x.state, account, &r.access_key_id).unwrap_or_else(|| "*".to_owned()),
        ),
        // Groups (groups have no tags).
        Q::CreateGroup(r) => {
            Target::new(action, x.new_arn("group", r.path.as_ref(), &r.group_name))
        }
        Q::ListGroups(r) => Target::new(action, x.prefix("group", r.path_prefix.as_ref())),
        Q::GetGroup(r) => on(action, &x.group(&r.group_name)),
        Q::UpdateGroup(r) => on(action, &x.group(&r.group_name)),
        Q::DeleteGroup(r) => on(action, &x.group(&r.group_name)),
        Q::AddUserToGroup(r) => on(action, &x.group(&r.group_name)),
        Q::RemoveUserFromGroup(r) => on(action, &x.group(&r.group_name)),
        // Roles.
        Q::CreateRole(r) => {
            let mut t = Target::new(action, x.new_arn("role", r.path.as_ref(), &r.role_name));
            t.request_tags(r.tags.as_deref());
            t.boundary(r.permissions_boundary.as_deref());
            t
        }
        Q::ListRoles(r) => Target::new(action, x.prefix("role", r.path_prefix.as_ref())),
        Q::GetRole(r) => on(action, &x.role(&r.role_name)),
        Q::UpdateRole(r) => on(action, &x.role(&r.role_name)),
        Q::UpdateRoleDescription(r) => on(action, &x.role(&r.role_name)),
        Q::UpdateAssumeRolePolicy(r) => on(action, &x.role(&r.role_name)),
        Q::DeleteRole(r) => on(action, &x.role(&r.role_name)),
        Q::ListRoleTags(r) => on(action, &x.role(&r.role_name)),
        Q::ListInstanceProfilesForRole(r) => on(action, &x.role(&r.role_name)),
        Q::TagRole(r) => {
            let mut t = on(action, &x.role(&r.role_name));
            t.request_tags(Some(&r.tags));
            t
        }
        Q::UntagRole(r) => {
            let mut t = on(action, &x.role(&r.role_name));
            t.tag_keys(r.tag_keys.clone());
            t
        }
        Q::PutRolePermissionsBoundary(r) => {
            let mut t = on(action, &x.role(&r.role_name));
            t.boundary(Some(&r.permissions_boundary));
            t
        }
        Q::DeleteRolePermissionsBoundary(r) => on_bounded(action, &x.role(&r.role_name)),
        Q::CreateServiceLinkedRole(r) => {
            let mut t = Target::new(
                action,
                format!(
                    "arn:aws:iam::{account}:role/aws-service-role/{}/",
                    r.aws_service_name
                ),
            );
            t.key("iam:AWSServiceName", r.aws_service_name.as_str());
            t
        }
        Q::DeleteServiceLinkedRole(r) => on(action, &x.role(&r.role_name)),
        // Managed policies.
        Q::CreatePolicy(r) => {
            let mut t = Target::new(action, x.new_arn("policy", r.path.as_ref(), &r.policy_name));
            t.request_tags(r.tags.as_deref());
            t
        }
        Q::ListPolicies(r) => Target::new(action, x.prefix("policy", r.path_prefix.as_ref())),
        Q::GetPolicy(r) => on(action, &x.policy(&r.policy_arn)),
        Q::DeletePolicy(r) => on(action, &x.policy(&r.policy_arn)),
        Q::CreatePolicyVersion(r) => on(action, &x.policy(&r.policy_arn)),
        Q::GetPolicyVersion(r) => on(action, &x.policy(&r.policy_arn)),
        Q::ListPolicyVersions(r) => on(action, &x.policy(&r.policy_arn)),
        Q::DeletePolicyVersion(r) => on(action, &x.policy(&r.policy_arn)),
        Q::SetDefaultPolicyVersion(r) => on(action, &x.policy(&r.policy_arn)),
        Q::ListPolicyTags(r) => on(action, &x.policy(&r.policy_arn)),
        Q::ListEntitiesForPolicy(r) => on(action, &x.policy(&r.policy_arn)),
        Q::TagPolicy(r) => {
            let mut t = on(action, &x.policy(&r.policy_arn));
            t.request_tags(Some(&r.tags));
            t
        }
        Q::UntagPolicy(r) => {
            let mut t = on(action, &x.policy(&r.policy_arn));
            t.tag_keys(r.tag_keys.clone());
            t
        }
        // Attached managed policies.
        Q::AttachUserPolicy(r) => attachment(action, &x.user(&r.user_name), &r.policy_arn),
        Q::DetachUserPolicy(r) => attachment(action, &x.user(&r.user_name), &r.policy_arn),
        Q::AttachGroupPolicy(r) => attachment(action, &x.group(&r.group_name), &r.policy_arn),
        Q::DetachGroupPolicy(r) => attachment(action, &x.group(&r.group_name), &r.policy_arn),
        Q::AttachRolePolicy(r) => attachment(action, &x.role(&r.role_name), &r.policy_arn),
        Q::DetachRolePolicy(r) => attachment(action, &x.role(&r.role_name), &r.policy_arn),
        Q::ListAttachedUserPolicies(r) => on(action, &x.user(&r.user_name)),
        Q::ListAttachedGroupPolicies(r) => on(action, &x.group(&r.group_name)),
        Q::ListAttachedRolePolicies(r) => on(action, &x.role(&r.role_name)),
        // Inline policies.
        Q::PutUserPolicy(r) => on_bounded(action, &x.user(&r.user_name)),
        Q::DeleteUserPolicy(r) => on_bounded(action, &x.user(&r.user_name)),
        Q::GetUserPolicy(r) => on(action, &x.user(&r.user_name)),
        Q::ListUserPolicies(r) => on(action, &x.user(&r.user_name)),
        Q::PutGroupPolicy(r) => on(action, &x.group(&r.group_name)),
        Q::DeleteGroupPolicy(r) => on(action, &x.group(&r.group_name)),
        Q::GetGroupPolicy(r) => on(action, &x.group(&r.group_name)),
        Q::ListGroupPolicies(r) => on(action, &x.group(&r.group_name)),
        Q::PutRolePolicy(r) => on_bounded(action, &x.role(&r.role_name)),
        Q::DeleteRolePolicy(r) => on_bounded(action, &x.role(&r.role_name)),
        Q::GetRolePolicy(r) => on(action, &x.role(&r.role_name)),
        Q::ListRolePolicies(r) => on(action, &x.role(&r.role_name)),
        // Instance profiles.
        Q::CreateInstanceProfile(r) => {
            let mut t = Target::new(
                action,
                x.new_arn(
                    "instance-profile",
                    r.path.as_ref(),
                    &r.instance_profile_name,
                ),
            );
            t.request_tags(r.tags.as_deref());
            t
        }
        Q::ListInstanceProfiles(r) => {
            Target::new(action, x.prefix("instance-profile", r.path_prefix.as_ref()))
        }
        Q::GetInstanceProfile(r) => on(action, &x.instance_profile(&r.instance_profile_name)),
        Q::DeleteInstanceProfile(r) => on(action, &x.instance_profile(&r.instance_profile_name)),
        Q::ListInstanceProfileTags(r) => on(action, &x.instance_profile(&r.instance_profile_name)),
        Q::RemoveRoleFromInstanceProfile(r) => {
            on(action, &x.instance_profile(&r.instance_profile_name))
        }
        Q::AddRoleToInstanceProfile(r) => {
            let mut t = on(action, &x.instance_profile(&r.instance_profile_name));
            // "The caller of this operation must be granted the PassRole permission on the
            // IAM role": the role goes to EC2 instances launched with the profile.
            let mut pass = on("iam:PassRole".to_owned(), &x.role(&r.role_name));
            // PassRole denials name the role by ARN.
            pass.display = None;
            pass.key("iam:PassedToService", "ec2.amazonaws.com");
            t.dependent.push(pass);
            t
        }
        Q::TagInstanceProfile(r) => {
            let mut t = on(action, &x.instance_profile(&r.instance_profile_name));
            t.request_tags(Some(&r.tags));
            t
        }
        Q::UntagInstanceProfile(r) => {
            let mut t = on(action, &x.instance_profile(&r.instance_profile_name));
            t.tag_keys(r.tag_keys.clone());
            t
        }
        // Login profiles and passwords.
        Q::CreateLoginProfile(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::GetLoginProfile(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::DeleteLoginProfile(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::UpdateLoginProfile(r) => on(action, &x.user(&r.user_name)),
        Q::ChangePassword(_) => {
            let own = x.self_or_user(None);
            // `AllowUsersToChangePassword` lets every user change their own password
            // without a policy granting iam:ChangePassword.
            if passwords::users_may_change_password(x.state, account) {
                Target::always(action, own.arn)
            } else {
                on(action, &own)
            }
        }
        // MFA devices: the device's ARN for the device's own operations, the user's for
        // assigning devices to users.
        Q::CreateVirtualMFADevice(r) => {
            let mut t = Target::new(
                action,
                x.new_arn("mfa", r.path.as_ref(), &r.virtual_mfa_device_name),
            );
            t.request_tags(r.tags.as_deref());
            t
        }
        Q::DeleteVirtualMFADevice(r) => mfa_target(action, x, &r.serial_number),
        Q::ListMFADeviceTags(r) => mfa_target(action, x, &r.serial_number),
        Q::TagMFADevice(r) => {
            let mut t = mfa_target(action, x, &r.serial_number);
            t.request_tags(Some(&r.tags));
            t
        }
        Q::UntagMFADevice(r) => {
            let mut t = mfa_target(action, x, &r.serial_number);
            t.tag_keys(r.tag_keys.clone());
            t
        }
        Q::EnableMFADevice(r) => on(action, &x.user(&r.user_name)),
        Q::ResyncMFADevice(r) => on(action, &x.user(&r.user_name)),
        Q::DeactivateMFADevice(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::GetMFADevice(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::ListMFADevices(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        // The policy simulator: on the principal whose policies are simulated.
        Q::SimulatePrincipalPolicy(r) => Target::new(action, r.policy_source_arn.clone()),
        Q::GetContextKeysForPrincipalPolicy(r) => Target::new(action, r.policy_source_arn.clone()),
        // SSH public keys: on their user.
        Q::UploadSSHPublicKey(r) => on(action, &x.user(&r.user_name)),
        Q::GetSSHPublicKey(r) => on(action, &x.user(&r.user_name)),
        Q::UpdateSSHPublicKey(r) => on(action, &x.user(&r.user_name)),
        Q::DeleteSSHPublicKey(r) => on(action, &x.user(&r.user_name)),
        Q::ListSSHPublicKeys(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        // Signing certificates: on their user (or the root, when the caller names none).
        Q::UploadSigningCertificate(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::ListSigningCertificates(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::UpdateSigningCertificate(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::DeleteSigningCertificate(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        // Server certificates: on the certificate's ARN, with its tags.
        Q::UploadServerCertificate(r) => {
            let mut t = Target::new(
                action,
                x.new_arn(
                    "server-certificate",
                    r.path.as_ref(),
                    &r.server_certificate_name,
                ),
            );
            t.request_tags(r.tags.as_deref());
            t
        }
        Q::ListServerCertificates(r) => Target::new(
            action,
            x.prefix("server-certificate", r.path_prefix.as_ref()),
        ),
        Q::GetServerCertificate(r) => on(action, &x.server_certificate(&r.server_certificate_name)),
        Q::DeleteServerCertificate(r) => {
            on(action, &x.server_certificate(&r.server_certificate_name))
        }
        Q::ListServerCertificateTags(r) => {
            on(action, &x.server_certificate(&r.server_certificate_name))
        }
        Q::UpdateServerCertificate(r) => {
            let old = x.server_certificate(&r.server_certificate_name);
            let mut t = on(action.clone(), &old);
            // AWS: the caller needs the permission on the old and on the new name.
            if r.new_server_certificate_name.is_some() || r.new_path.is_some() {
                let (path, name) = old
                    .arn
                    .split_once(":server-certificate")
                    .and_then(|(_, rest)| rest.rsplit_once('/'))
                    .map(|(p, n)| (format!("{p}/"), n.to_owned()))
                    .unwrap_or_else(|| ("/".to_owned(), r.server_certificate_name.clone()));
                let new_arn = x.new_arn(
                    "server-certificate",
                    Some(r.new_path.as_ref().unwrap_or(&path)),
                    r.new_server_certificate_name.as_ref().unwrap_or(&name),
                );
                t.dependent.push(Target::new(action, new_arn));
            }
            t
        }
        Q::TagServerCertificate(r) => {
            let mut t = on(action, &x.server_certificate(&r.server_certificate_name));
            t.request_tags(Some(&r.tags));
            t
        }
        Q::UntagServerCertificate(r) => {
            let mut t = on(action, &x.server_certificate(&r.server_certificate_name));
            t.tag_keys(r.tag_keys.clone());
            t
        }
        // Service-specific credentials: on their user.
        Q::CreateServiceSpecificCredential(r) => on(action, &x.user(&r.user_name)),
        Q::ListServiceSpecificCredentials(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::ResetServiceSpecificCredential(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::UpdateServiceSpecificCredential(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        Q::DeleteServiceSpecificCredential(r) => on(action, &x.self_or_user(r.user_name.as_ref())),
        // Identity providers: on the provider's ARN, with its tags.
        Q::CreateOpenIDConnectProvider(r) => {
            let url = oidc_providers::issuer(&r.url).unwrap_or_else(|_| r.url.clone());
            let arn = format!("arn:aws:iam::{account}:oidc-provider/{url}");
            let mut t = Target::new(action, arn);
            t.request_tags(r.tags.as_deref());
            t
        }
        Q::GetOpenIDConnectProvider(r) => oidc(action, x, &r.open_id_connect_provider_arn),
        Q::DeleteOpenIDConnectProvider(r) => oidc(action, x, &r.open_id_connect_provider_arn),
        Q::AddClientIDToOpenIDConnectProvider(r) => {
            oidc(action, x, &r.open_id_connect_provider_arn)
        }
        Q::RemoveClientIDFromOpenIDConnectProvider(r) => {
            oidc(action, x, &r.open_id_connect_provider_arn)
        }
        Q::UpdateOpenIDConnectProviderThumbprint(r) => {
            oidc(action, x, &r.open_id_connect_provider_arn)
        }
        Q::ListOpenIDConnectProviderTags(r) => oidc(action, x, &r.open_id_connect_provider_arn),
        Q::TagOpenIDConnectProvider(r) => {
            let mut t = oidc(action, x, &r.open_id_connect_provider_arn);
            t.request_tags(Some(&r.tags));
            t
        }
        Q::UntagOpenIDConnectProvider(r) => {
            let mut t = oidc(action, x, &r.open_id_connect_provider_arn);
            t.tag_keys(r.tag_keys.clone());
            t
        }
        Q::CreateSAMLProvider(r) => {
            let arn = format!("arn:aws:iam::{account}:saml-provider/{}", r.name);
            let mut t = Target::new(action, arn);
            t.request_tags(r.tags.as_deref());
            t
        }
        Q::GetSAMLProvider(r) => saml(action, x, &r.saml_provider_arn),
        Q::UpdateSAMLProvider(r) => saml(action, x, &r.saml_provider_arn),
        Q::DeleteSAMLProvider(r) => saml(action, x, &r.saml_provider_arn),
        Q::ListSAMLProviderTags(r) => saml(action, x, &r.saml_provider_arn),
        Q::TagSAMLProvider(r) => {
            let mut t = saml(action, x, &r.saml_provider_arn);
            t.request_tags(Some(&r.tags));
            t
        }
        Q::UntagSAMLProvider(r) => {
            let mut t = saml(action, x, &r.saml_provider_arn);
            t.tag_keys(r.tag_keys.clone());
            t
        }
        // Account-level operations have no resource-level permissions.
        _ => Target::new(action, "*".to_owned()),
    }
}

/// On a virtual MFA device by serial number (its ARN), with its tags when it exists.
fn mfa_target(action: String, x: &Resolver<'_>, serial: &str) -> Target {
    let mut t = Target::new(action, serial.to_owned());
    if let Some(d) = x
        .state
        .mfa_devices
        .get(serial)
        .filter(|d| d.account == x.account())
    {
        t.resource_tags(&d.tags);
    }
    t
}

/// On an OIDC provider named by ARN, with `aws:ResourceTag/…` when it exists.
fn oidc(action: String, x: &Resolver<'_>, arn: &str) -> Target {
    let mut t = Target::new(action, arn.to_owned());
    if let Some(p) = x.state.oidc_providers.get(arn) {
        t.resource_tags(&p.tags);
    }
    t
}

/// On a SAML provider named by ARN, with `aws:ResourceTag/…` when it exists.
fn saml(action: String, x: &Resolver<'_>, arn: &str) -> Target {
    let mut t = Target::new(action, arn.to_owned());
    if let Some(p) = x.state.saml_providers.get(arn) {
        t.resource_tags(&p.tags);
    }
    t
}

fn key_owner_arn(state: &State, account: &str, key_id: &str) -> Option<String> {
    let key = state
        .access_keys
        .get(key_id)
        .filter(|k| k.account == account)?;
    Some(match &key.owner {
        crate::model::KeyOwner::Root => format!("arn:aws:iam::{account}:root"),
        crate::model::KeyOwner::User(id) => state.user_by_id(id)?.arn(),
    })
}

/// Runs the handler of `request`. Blocking: writes go to the store before returning.
pub fn dispatch(app: &App, caller: &Caller, request: &Request) -> Result<Response, ServerError> {
    let ctx = Ctx {
        caller,
        quotas: &app.config.quotas,
    };
    match request {
        // Operations that do slow or outside-the-snapshot work before they write.
        Request::Iam(r) => {
            if let Some(out) = passwords::dispatch(app, &ctx, r)
                .or_else(|| credential_report::dispatch(app, &ctx, r))
                .or_else(|| crate::sts::outbound::dispatch_iam(app, &ctx, r))
            {
                return out.map(Response::Iam);
            }
            // Read outside the write closure: the last-used tracker is not part of the snapshot.
            let used = match r {
                iam::Request::GetAccessKeyLastUsed(q) => app.key_last_used(&q.access_key_id),
                _ => None,
            };
            let run = |tx: &mut Tx| dispatch_iam(&ctx, tx, r, used.clone());
            if request.is_read_only() {
                app.read(run)
            } else {
                app.write(run)
            }
            .map(|response| with_password_last_used(app, response))
            .map(Response::Iam)
        }
        Request::Sts(r) => crate::sts::dispatch(app, caller, r).map(Response::Sts),
    }
}

/// `PasswordLastUsed` of users in a response, including sign-ins not yet flushed to the
/// snapshot (see `App::note_password_used`).
fn with_password_last_used(app: &App, response: iam::Response) -> iam::Response {
    let patch = |u: &mut iam::User| {
        if let Some(at) = app.password_last_used(&u.user_id) {
            u.password_last_used = Some(crate::model::to_datetime(at));
        }
    };
    match response {
        iam::Response::GetUser(mut r) => {
            patch(&mut r.user);
            iam::Response::GetUser(r)
        }
        iam::Response::ListUsers(mut r) => {
            r.users.iter_mut().for_each(patch);
            iam::Response::ListUsers(r)
        }
        other => other,
    }
}

fn dispatch_iam(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    request: &iam::Request,
    used: Option<crate::model::KeyLastUsed>,
) -> Result<iam::Response, ServerError> {
    use iam::{Request as Q, Response as A};
    Ok(match request {
        Q::CreateUser(r) => A::CreateUser(users::create(ctx, tx, r)?),
        Q::GetUser(r) => A::GetUser(users::get(ctx, tx, r)?),
        Q::ListUsers(r) => A::ListUsers(users::list(ctx, tx, r)?),
        Q::UpdateUser(r) => users::update(ctx, tx, r).map(|()| A::UpdateUser)?,
        Q::DeleteUser(r) => users::delete(ctx, tx, r).map(|()| A::DeleteUser)?,
        Q::TagUser(r) => users::tag(ctx, tx, r).map(|()| A::TagUser)?,
        Q::UntagUser(r) => users::untag(ctx, tx, r).map(|()| A::UntagUser)?,
        Q::ListUserTags(r) => A::ListUserTags(users::list_tags(ctx, tx, r)?),
        Q::CreateAccessKey(r) => A::CreateAccessKey(access_keys::create(ctx, tx, r)?),
        Q::ListAccessKeys(r) => A::ListAccessKeys(access_keys::list(ctx, tx, r)?),
        Q::UpdateAccessKey(r) => access_keys::update(ctx, tx, r).map(|()| A::UpdateAccessKey)?,
        Q::DeleteAccessKey(r) => access_keys::delete(ctx, tx, r).map(|()| A::DeleteAccessKey)?,
        Q::GetAccessKeyLastUsed(r) => {
            A::GetAccessKeyLastUsed(access_keys::last_used(ctx, tx, r, used)?)
        }
        Q::PutUserPermissionsBoundary(r) => users::put_user_permissions_boundary(ctx, tx, r)
            .map(|()| A::PutUserPermissionsBoundary)?,
        Q::DeleteUserPermissionsBoundary(r) => users::delete_user_permissions_boundary(ctx, tx, r)
            .map(|()| A::DeleteUserPermissionsBoundary)?,
        Q::CreateGroup(r) => A::CreateGroup(groups::create_group(ctx, tx, r)?),
        Q::GetGroup(r) => A::GetGroup(groups::get_group(ctx, tx, r)?),
        Q::ListGroups(r) => A::ListGroups(groups::list_groups(ctx, tx, r)?),
        Q::UpdateGroup(r) => groups::update_group(ctx, tx, r).map(|()| A::UpdateGroup)?,
        Q::DeleteGroup(r) => groups::delete_group(ctx, tx, r).map(|()| A::DeleteGroup)?,
        Q::AddUserToGroup(r) => {
            groups::add_user_to_group(ctx, tx, r).map(|()| A::AddUserToGroup)?
        }
        Q::RemoveUserFromGroup(r) => {
            groups::remove_user_from_group(ctx, tx, r).map(|()| A::RemoveUserFromGroup)?
        }
        Q::ListGroupsForUser(r) => A::ListGroupsForUser(groups::list_groups_for_user(ctx, tx, r)?),
        Q::CreateRole(r) => A::CreateRole(roles::create_role(ctx, tx, r)?),
        Q::GetRole(r) => A::GetRole(roles::get_role(ctx, tx, r)?),
        Q::ListRoles(r) => A::ListRoles(roles::list_roles(ctx, tx, r)?),
        Q::UpdateRole(r) => A::UpdateRole(roles::update_role(ctx, tx, r)?),
        Q::UpdateRoleDescription(r) => {
            A::UpdateRoleDescription(roles::update_role_description(ctx, tx, r)?)
        }
        Q::UpdateAssumeRolePolicy(r) => {
            roles::update_assume_role_policy(ctx, tx, r).map(|()| A::UpdateAssumeRolePolicy)?
        }
        Q::DeleteRole(r) => roles::delete_role(ctx, tx, r).map(|()| A::DeleteRole)?,
        Q::TagRole(r) => roles::tag_role(ctx, tx, r).map(|()| A::TagRole)?,
        Q::UntagRole(r) => roles::untag_role(ctx, tx, r).map(|()| A::UntagRole)?,
        Q::ListRoleTags(r) => A::ListRoleTags(roles::list_role_tags(ctx, tx, r)?),
        Q::PutRolePermissionsBoundary(r) => roles::put_role_permissions_boundary(ctx, tx, r)
            .map(|()| A::PutRolePermissionsBoundary)?,
        Q::DeleteRolePermissionsBoundary(r) => roles::delete_role_permissions_boundary(ctx, tx, r)
            .map(|()| A::DeleteRolePermissionsBoundary)?,
        Q::CreateServiceLinkedRole(r) => {
            A::CreateServiceLinkedRole(roles::create_service_linked_role(ctx, tx, r)?)
        }
        Q::DeleteServiceLinkedRole(r) => {
            A::DeleteServiceLinkedRole(roles::delete_service_linked_role(ctx, tx, r)?)
        }
        Q::GetServiceLinkedRoleDeletionStatus(r) => A::GetServiceLinkedRoleDeletionStatus(
            roles::get_service_linked_role_deletion_status(ctx, tx, r)?,
        ),
        Q::CreatePolicy(r) => A::CreatePolicy(policies::create_policy(ctx, tx, r)?),
        Q::GetPolicy(r) => A::GetPolicy(policies::get_policy(ctx, tx, r)?),
        Q::ListPolicies(r) => A::ListPolicies(policies::list_policies(ctx, tx, r)?),
        Q::DeletePolicy(r) => policies::delete_policy(ctx, tx, r).map(|()| A::DeletePolicy)?,
        Q::CreatePolicyVersion(r) => {
            A::CreatePolicyVersion(policies::create_policy_version(ctx, tx, r)?)
        }
        Q::GetPolicyVersion(r) => A::GetPolicyVersion(policies::get_policy_version(ctx, tx, r)?),
        Q::ListPolicyVersions(r) => {
            A::ListPolicyVersions(policies::list_policy_versions(ctx, tx, r)?)
        }
        Q::DeletePolicyVersion(r) => {
            policies::delete_policy_version(ctx, tx, r).map(|()| A::DeletePolicyVersion)?
        }
        Q::SetDefaultPolicyVersion(r) => {
            policies::set_default_policy_version(ctx, tx, r).map(|()| A::SetDefaultPolicyVersion)?
        }
        Q::TagPolicy(r) => policies::tag_policy(ctx, tx, r).map(|()| A::TagPolicy)?,
        Q::UntagPolicy(r) => policies::untag_policy(ctx, tx, r).map(|()| A::UntagPolicy)?,
        Q::ListPolicyTags(r) => A::ListPolicyTags(policies::list_policy_tags(ctx, tx, r)?),
        Q::ListEntitiesForPolicy(r) => {
            A::ListEntitiesForPolicy(policies::list_entities_for_policy(ctx, tx, r)?)
        }
        Q::AttachUserPolicy(r) => {
            attached::attach_user_policy(ctx, tx, r).map(|()| A::AttachUserPolicy)?
        }
        Q::DetachUserPolicy(r) => {
            attached::detach_user_policy(ctx, tx, r).map(|()| A::DetachUserPolicy)?
        }
        Q::ListAttachedUserPolicies(r) => {
            A::ListAttachedUserPolicies(attached::list_attached_user_policies(ctx, tx, r)?)
        }
        Q::AttachGroupPolicy(r) => {
            attached::attach_group_policy(ctx, tx, r).map(|()| A::AttachGroupPolicy)?
        }
        Q::DetachGroupPolicy(r) => {
            attached::detach_group_policy(ctx, tx, r).map(|()| A::DetachGroupPolicy)?
        }
        Q::ListAttachedGroupPolicies(r) => {
            A::ListAttachedGroupPolicies(attached::list_attached_group_policies(ctx, tx, r)?)
        }
        Q::AttachRolePolicy(r) => {
            attached::attach_role_policy(ctx, tx, r).map(|()| A::AttachRolePolicy)?
        }
        Q::DetachRolePolicy(r) => {
            attached::detach_role_policy(ctx, tx, r).map(|()| A::DetachRolePolicy)?
        }
        Q::ListAttachedRolePolicies(r) => {
            A::ListAttachedRolePolicies(attached::list_attached_role_policies(ctx, tx, r)?)
        }
        Q::PutUserPolicy(r) => inline::put_user_policy(ctx, tx, r).map(|()| A::PutUserPolicy)?,
        Q::GetUserPolicy(r) => A::GetUserPolicy(inline::get_user_policy(ctx, tx, r)?),
        Q::DeleteUserPolicy(r) => {
            inline::delete_user_policy(ctx, tx, r).map(|()| A::DeleteUserPolicy)?
        }
        Q::ListUserPolicies(r) => A::ListUserPolicies(inline::list_user_policies(ctx, tx, r)?),
        Q::PutGroupPolicy(r) => inline::put_group_policy(ctx, tx, r).map(|()| A::PutGroupPolicy)?,
        Q::GetGroupPolicy(r) => A::GetGroupPolicy(inline::get_group_policy(ctx, tx, r)?),
        Q::DeleteGroupPolicy(r) => {
            inline::delete_group_policy(ctx, tx, r).map(|()| A::DeleteGroupPolicy)?
        }
        Q::ListGroupPolicies(r) => A::ListGroupPolicies(inline::list_group_policies(ctx, tx, r)?),
        Q::PutRolePolicy(r) => inline::put_role_policy(ctx, tx, r).map(|()| A::PutRolePolicy)?,
        Q::GetRolePolicy(r) => A::GetRolePolicy(inline::get_role_policy(ctx, tx, r)?),
        Q::DeleteRolePolicy(r) => {
            inline::delete_role_policy(ctx, tx, r).map(|()| A::DeleteRolePolicy)?
        }
        Q::ListRolePolicies(r) => A::ListRolePolicies(inline::list_role_policies(ctx, tx, r)?),
        Q::CreateInstanceProfile(r) => {
            A::CreateInstanceProfile(instance_profiles::create_instance_profile(ctx, tx, r)?)
        }
        Q::GetInstanceProfile(r) => {
            A::GetInstanceProfile(instance_profiles::get_instance_profile(ctx, tx, r)?)
        }
        Q::ListInstanceProfiles(r) => {
            A::ListInstanceProfiles(instance_profiles::list_instance_profiles(ctx, tx, r)?)
        }
        Q::DeleteInstanceProfile(r) => instance_profiles::delete_instance_profile(ctx, tx, r)
            .map(|()| A::DeleteInstanceProfile)?,
        Q::AddRoleToInstanceProfile(r) => {
            instance_profiles::add_role_to_instance_profile(ctx, tx, r)
                .map(|()| A::AddRoleToInstanceProfile)?
        }
        Q::RemoveRoleFromInstanceProfile(r) => {
            instance_profiles::remove_role_from_instance_profile(ctx, tx, r)
                .map(|()| A::RemoveRoleFromInstanceProfile)?
        }
        Q::ListInstanceProfilesForRole(r) => A::ListInstanceProfilesForRole(
            instance_profiles::list_instance_profiles_for_role(ctx, tx, r)?,
        ),
        Q::TagInstanceProfile(r) => {
            instance_profiles::tag_instance_profile(ctx, tx, r).map(|()| A::TagInstanceProfile)?
        }
        Q::UntagInstanceProfile(r) => instance_profiles::untag_instance_profile(ctx, tx, r)
            .map(|()| A::UntagInstanceProfile)?,
        Q::ListInstanceProfileTags(r) => {
            A::ListInstanceProfileTags(instance_profiles::list_instance_profile_tags(ctx, tx, r)?)
        }
        Q::CreateAccountAlias(r) => {
            account::create_account_alias(ctx, tx, r).map(|()| A::CreateAccountAlias)?
        }
        Q::DeleteAccountAlias(r) => {
            account::delete_account_alias(ctx, tx, r).map(|()| A::DeleteAccountAlias)?
        }
        Q::ListAccountAliases(r) => {
            A::ListAccountAliases(account::list_account_aliases(ctx, tx, r)?)
        }
        Q::GetAccountSummary => A::GetAccountSummary(account::get_account_summary(ctx, tx)?),
        Q::GetAccountAuthorizationDetails(r) => A::GetAccountAuthorizationDetails(
            account::get_account_authorization_details(ctx, tx, r)?,
        ),
        Q::UpdateAccountPasswordPolicy(r) => passwords::update_account_password_policy(ctx, tx, r)
            .map(|()| A::UpdateAccountPasswordPolicy)?,
        Q::GetAccountPasswordPolicy => {
            A::GetAccountPasswordPolicy(passwords::get_account_password_policy(ctx, tx)?)
        }
        Q::DeleteAccountPasswordPolicy => passwords::delete_account_password_policy(ctx, tx)
            .map(|()| A::DeleteAccountPasswordPolicy)?,
        Q::GetLoginProfile(r) => A::GetLoginProfile(passwords::get_login_profile(ctx, tx, r)?),
        Q::DeleteLoginProfile(r) => {
            passwords::delete_login_profile(ctx, tx, r).map(|()| A::DeleteLoginProfile)?
        }
        Q::CreateVirtualMFADevice(r) => {
            A::CreateVirtualMFADevice(mfa::create_virtual_mfa_device(ctx, tx, r)?)
        }
        Q::EnableMFADevice(r) => mfa::enable_mfa_device(ctx, tx, r).map(|()| A::EnableMFADevice)?,
        Q::ResyncMFADevice(r) => mfa::resync_mfa_device(ctx, tx, r).map(|()| A::ResyncMFADevice)?,
        Q::DeactivateMFADevice(r) => {
            mfa::deactivate_mfa_device(ctx, tx, r).map(|()| A::DeactivateMFADevice)?
        }
        Q::DeleteVirtualMFADevice(r) => {
            mfa::delete_virtual_mfa_device(ctx, tx, r).map(|()| A::DeleteVirtualMFADevice)?
        }
        Q::GetMFADevice(r) => A::GetMFADevice(mfa::get_mfa_device(ctx, tx, r)?),
        Q::ListMFADevices(r) => A::ListMFADevices(mfa::list_mfa_devices(ctx, tx, r)?),
        Q::ListVirtualMFADevices(r) => {
            A::ListVirtualMFADevices(mfa::list_virtual_mfa_devices(ctx, tx, r)?)
        }
        Q::TagMFADevice(r) => mfa::tag_mfa_device(ctx, tx, r).map(|()| A::TagMFADevice)?,
        Q::UntagMFADevice(r) => mfa::untag_mfa_device(ctx, tx, r).map(|()| A::UntagMFADevice)?,
        Q::ListMFADeviceTags(r) => A::ListMFADeviceTags(mfa::list_mfa_device_tags(ctx, tx, r)?),
        Q::SimulatePrincipalPolicy(r) => {
            A::SimulatePrincipalPolicy(simulator::simulate_principal_policy(ctx, tx, r)?)
        }
        Q::SimulateCustomPolicy(r) => {
            A::SimulateCustomPolicy(simulator::simulate_custom_policy(ctx, tx, r)?)
        }
        Q::GetContextKeysForPrincipalPolicy(r) => A::GetContextKeysForPrincipalPolicy(
            simulator::get_context_keys_for_principal_policy(ctx, tx, r)?,
        ),
        Q::GetContextKeysForCustomPolicy(r) => A::GetContextKeysForCustomPolicy(
            simulator::get_context_keys_for_custom_policy(ctx, tx, r)?,
        ),
        Q::SetSecurityTokenServicePreferences(r) => {
            sts_preferences::set(ctx, tx, r).map(|()| A::SetSecurityTokenServicePreferences)?
        }
        Q::CreateOpenIDConnectProvider(r) => {
            A::CreateOpenIDConnectProvider(oidc_providers::create(ctx, tx, r)?)
        }
        Q::GetOpenIDConnectProvider(r) => {
            A::GetOpenIDConnectProvider(oidc_providers::get(ctx, tx, r)?)
        }
        Q::ListOpenIDConnectProviders(_) => {
            A::ListOpenIDConnectProviders(oidc_providers::list(ctx, tx)?)
        }
        Q::DeleteOpenIDConnectProvider(r) => {
            oidc_providers::delete(ctx, tx, r).map(|()| A::DeleteOpenIDConnectProvider)?
        }
        Q::AddClientIDToOpenIDConnectProvider(r) => oidc_providers::add_client_id(ctx, tx, r)
            .map(|()| A::AddClientIDToOpenIDConnectProvider)?,
        Q::RemoveClientIDFromOpenIDConnectProvider(r) => {
            oidc_providers::remove_client_id(ctx, tx, r)
                .map(|()| A::RemoveClientIDFromOpenIDConnectProvider)?
        }
        Q::UpdateOpenIDConnectProviderThumbprint(r) => {
            oidc_providers::update_thumbprint(ctx, tx, r)
                .map(|()| A::UpdateOpenIDConnectProviderThumbprint)?
        }
        Q::TagOpenIDConnectProvider(r) => {
            oidc_providers::tag(ctx, tx, r).map(|()| A::TagOpenIDConnectProvider)?
        }
        Q::UntagOpenIDConnectProvider(r) => {
            oidc_providers::untag(ctx, tx, r).map(|()| A::UntagOpenIDConnectProvider)?
        }
        Q::ListOpenIDConnectProviderTags(r) => {
            A::ListOpenIDConnectProviderTags(oidc_providers::list_tags(ctx, tx, r)?)
        }
        Q::CreateSAMLProvider(r) => A::CreateSAMLProvider(saml_providers::create(ctx, tx, r)?),
        Q::GetSAMLProvider(r) => A::GetSAMLProvider(saml_providers::get(ctx, tx, r)?),
        Q::ListSAMLProviders(_) => A::ListSAMLProviders(saml_providers::list(ctx, tx)?),
        Q::UpdateSAMLProvider(r) => A::UpdateSAMLProvider(saml_providers::update(ctx, tx, r)?),
        Q::DeleteSAMLProvider(r) => {
            saml_providers::delete(ctx, tx, r).map(|()| A::DeleteSAMLProvider)?
        }
        Q::TagSAMLProvider(r) => saml_providers::tag(ctx, tx, r).map(|()| A::TagSAMLProvider)?,
        Q::UntagSAMLProvider(r) => {
            saml_providers::untag(ctx, tx, r).map(|()| A::UntagSAMLProvider)?
        }
        Q::ListSAMLProviderTags(r) => {
            A::ListSAMLProviderTags(saml_providers::list_tags(ctx, tx, r)?)
        }
        Q::UploadSSHPublicKey(r) => A::UploadSSHPublicKey(ssh_public_keys::upload(ctx, tx, r)?),
        Q::GetSSHPublicKey(r) => A::GetSSHPublicKey(ssh_public_keys::get(ctx, tx, r)?),
        Q::ListSSHPublicKeys(r) => A::ListSSHPublicKeys(ssh_public_keys::list(ctx, tx, r)?),
        Q::UpdateSSHPublicKey(r) => {
            ssh_public_keys::update(ctx, tx, r).map(|()| A::UpdateSSHPublicKey)?
        }
        Q::DeleteSSHPublicKey(r) => {
            ssh_public_keys::delete(ctx, tx, r).map(|()| A::DeleteSSHPublicKey)?
        }
        Q::CreateServiceSpecificCredential(r) => {
            A::CreateServiceSpecificCredential(service_credentials::create(ctx, tx, r)?)
        }
        Q::ListServiceSpecificCredentials(r) => {
            A::ListServiceSpecificCredentials(service_credentials::list(ctx, tx, r)?)
        }
        Q::ResetServiceSpecificCredential(r) => {
            A::ResetServiceSpecificCredential(service_credentials::reset(ctx, tx, r)?)
        }
        Q::UpdateServiceSpecificCredential(r) => {
            service_credentials::update(ctx, tx, r).map(|()| A::UpdateServiceSpecificCredential)?
        }
        Q::DeleteServiceSpecificCredential(r) => {
            service_credentials::delete(ctx, tx, r).map(|()| A::DeleteServiceSpecificCredential)?
        }
        Q::UploadSigningCertificate(r) => {
            A::UploadSigningCertificate(signing_certificates::upload(ctx, tx, r)?)
        }
        Q::ListSigningCertificates(r) => {
            A::ListSigningCertificates(signing_certificates::list(ctx, tx, r)?)
        }
        Q::UpdateSigningCertificate(r) => {
            signing_certificates::update(ctx, tx, r).map(|()| A::UpdateSigningCertificate)?
        }
        Q::DeleteSigningCertificate(r) => {
            signing_certificates::delete(ctx, tx, r).map(|()| A::DeleteSigningCertificate)?
        }
        Q::UploadServerCertificate(r) => {
            A::UploadServerCertificate(server_certificates::upload(ctx, tx, r)?)
        }
        Q::GetServerCertificate(r) => {
            A::GetServerCertificate(server_certificates::get(ctx, tx, r)?)
        }
        Q::ListServerCertificates(r) => {
            A::ListServerCertificates(server_certificates::list(ctx, tx, r)?)
        }
        Q::UpdateServerCertificate(r) => {
            server_certificates::update(ctx, tx, r).map(|()| A::UpdateServerCertificate)?
        }
        Q::DeleteServerCertificate(r) => {
            server_certificates::delete(ctx, tx, r).map(|()| A::DeleteServerCertificate)?
        }
        Q::TagServerCertificate(r) => {
            server_certificates::tag(ctx, tx, r).map(|()| A::TagServerCertificate)?
        }
        Q::UntagServerCertificate(r) => {
            server_certificates::untag(ctx, tx, r).map(|()| A::UntagServerCertificate)?
        }
        Q::ListServerCertificateTags(r) => {
            A::ListServerCertificateTags(server_certificates::list_tags(ctx, tx, r)?)
        }
        other => return Err(not_implemented(other.operation().name())),
    })
}
