//! IAM and STS quotas, with AWS's documented defaults ("IAM and AWS STS quotas"). One value
//! per quota so operators can raise them as AWS lets customers do.

/// The quotas a deployment enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quotas {
    pub users_per_account: usize,
    pub groups_per_account: usize,
    pub roles_per_account: usize,
    pub customer_managed_policies_per_account: usize,
    pub instance_profiles_per_account: usize,
    pub groups_per_user: usize,
    /// Managed policies attached to one user, group or role.
    pub managed_policies_per_entity: usize,
    pub versions_per_managed_policy: usize,
    pub access_keys_per_user: usize,
    pub tags_per_entity: usize,
    pub roles_per_instance_profile: usize,
    pub aliases_per_account: usize,
    /// Aggregate inline policy size (non-whitespace characters) per entity type.
    pub user_inline_policy_size: usize,
    pub group_inline_policy_size: usize,
    pub role_inline_policy_size: usize,
    /// Managed policy document size (non-whitespace characters).
    pub managed_policy_size: usize,
    /// Role trust policy size (non-whitespace characters).
    pub role_trust_policy_size: usize,
    /// OpenID Connect providers per account.
    pub oidc_providers_per_account: usize,
    /// SAML providers per account.
    pub saml_providers_per_account: usize,
    /// SSH public keys per user.
    pub ssh_public_keys_per_user: usize,
    /// Service-specific credentials per user, for each service.
    pub service_credentials_per_user_per_service: usize,
    /// MFA devices assigned to one user.
    pub mfa_devices_per_user: usize,
    /// Signing certificates per user (and for the account root).
    pub signing_certificates_per_user: usize,
    /// Server certificates per account.
    pub server_certificates_per_account: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            users_per_account: 5000,
            groups_per_account: 300,
            roles_per_account: 1000,
            customer_managed_policies_per_account: 1500,
            instance_profiles_per_account: 1000,
            groups_per_user: 10,
            managed_policies_per_entity: 10,
            versions_per_managed_policy: 5,
            access_keys_per_user: 2,
            tags_per_entity: 50,
            roles_per_instance_profile: 1,
            aliases_per_account: 1,
            user_inline_policy_size: 2048,
            group_inline_policy_size: 5120,
            role_inline_policy_size: 10240,
            managed_policy_size: 6144,
            role_trust_policy_size: 2048,
            oidc_providers_per_account: 100,
            saml_providers_per_account: 100,
            ssh_public_keys_per_user: 5,
            service_credentials_per_user_per_service: 2,
            mfa_devices_per_user: 8,
            signing_certificates_per_user: 2,
            server_certificates_per_account: 20,
        }
    }
}

/// Why a `NAME=VALUE` quota setting was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QuotaError {
    #[error("quota settings look like NAME=VALUE, got `{0}`")]
    Syntax(String),
    #[error("unknown quota `{0}` (known: {known})", known = Quotas::NAMES.join(", "))]
    Unknown(String),
    #[error("quota `{0}` needs a positive whole number, got `{1}`")]
    Value(String, String),
}

impl Quotas {
    /// The names operators set quotas by (`--quota users_per_account=20000`).
    pub const NAMES: &'static [&'static str] = &[
        "users_per_account",
        "groups_per_account",
        "roles_per_account",
        "customer_managed_policies_per_account",
        "instance_profiles_per_account",
        "groups_per_user",
        "managed_policies_per_entity",
        "versions_per_managed_policy",
        "access_keys_per_user",
        "tags_per_entity",
        "roles_per_instance_profile",
        "aliases_per_account",
        "user_inline_policy_size",
        "group_inline_policy_size",
        "role_inline_policy_size",
        "managed_policy_size",
        "role_trust_policy_size",
        "oidc_providers_per_account",
        "saml_providers_per_account",
        "ssh_public_keys_per_user",
        "service_credentials_per_user_per_service",
        "mfa_devices_per_user",
        "signing_certificates_per_user",
        "server_certificates_per_account",
    ];

    fn field(&mut self, name: &str) -> Option<&mut usize> {
        Some(match name {
            "users_per_account" => &mut self.users_per_account,
            "groups_per_account" => &mut self.groups_per_account,
            "roles_per_account" => &mut self.roles_per_account,
            "customer_managed_policies_per_account" => {
                &mut self.customer_managed_policies_per_account
            }
            "instance_profiles_per_account" => &mut self.instance_profiles_per_account,
            "groups_per_user" => &mut self.groups_per_user,
            "managed_policies_per_entity" => &mut self.managed_policies_per_entity,
            "versions_per_managed_policy" => &mut self.versions_per_managed_policy,
            "access_keys_per_user" => &mut self.access_keys_per_user,
            "tags_per_entity" => &mut self.tags_per_entity,
            "roles_per_instance_profile" => &mut self.roles_per_instance_profile,
            "aliases_per_account" => &mut self.aliases_per_account,
            "user_inline_policy_size" => &mut self.user_inline_policy_size,
            "group_inline_policy_size" => &mut self.group_inline_policy_size,
            "role_inline_policy_size" => &mut self.role_inline_policy_size,
            "managed_policy_size" => &mut self.managed_policy_size,
            "role_trust_policy_size" => &mut self.role_trust_policy_size,
            "oidc_providers_per_account" => &mut self.oidc_providers_per_account,
            "saml_providers_per_account" => &mut self.saml_providers_per_account,
            "ssh_public_keys_per_user" => &mut self.ssh_public_keys_per_user,
            "service_credentials_per_user_per_service" => {
                &mut self.service_credentials_per_user_per_service
            }
            "mfa_devices_per_user" => &mut self.mfa_devices_per_user,
            "signing_certificates_per_user" => &mut self.signing_certificates_per_user,
            "server_certificates_per_account" => &mut self.server_certificates_per_account,
            _ => return None,
        })
    }

    /// Applies one `NAME=VALUE` setting, as AWS lets customers raise adjustable quotas.
    pub fn set(&mut self, setting: &str) -> Result<(), QuotaError> {
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| QuotaError::Syntax(setting.to_owned()))?;
        let (name, value) = (name.trim(), value.trim());
        let parsed = value
            .parse::<usize>()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| QuotaError::Value(name.to_owned(), value.to_owned()))?;
        let field = self
            .field(name)
            .ok_or_else(|| QuotaError::Unknown(name.to_owned()))?;
        *field = parsed;
        Ok(())
    }
}

/// Policy sizes count characters other than whitespace, as AWS does.
pub fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_quota_can_be_set_and_bad_settings_are_refused() {
        for name in Quotas::NAMES {
            let mut q = Quotas::default();
            q.set(&format!("{name}=123457")).unwrap();
            assert_ne!(q, Quotas::default(), "{name} changed nothing");
        }
        let mut q = Quotas::default();
        q.set(" users_per_account = 20000 ").unwrap();
        assert_eq!(q.users_per_account, 20000);
        assert_eq!(
            q.set("users_per_account"),
            Err(QuotaError::Syntax("users_per_account".into()))
        );
        assert_eq!(q.set("users=5"), Err(QuotaError::Unknown("users".into())));
        assert_eq!(
            q.set("users_per_account=0"),
            Err(QuotaError::Value("users_per_account".into(), "0".into()))
        );
        assert!(q.set("users_per_account=-1").is_err());
        assert_eq!(
            q.users_per_account, 20000,
            "a refused setting changes nothing"
        );
    }
}
