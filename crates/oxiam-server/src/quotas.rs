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
        }
    }
}

/// Policy sizes count characters other than whitespace, as AWS does.
pub fn policy_size(document: &str) -> usize {
    document.chars().filter(|c| !c.is_whitespace()).count()
}
