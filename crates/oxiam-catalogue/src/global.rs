//! AWS's global condition keys (`aws:SourceIp`, `aws:PrincipalTag/${TagKey}`, …) with the
//! types of their values. Services do not list them in the Service Authorization Reference
//! (except the tagging keys), so the generated catalogue does not have them: this is a
//! hand-written table.
//!
//! Source: AWS IAM User Guide, "AWS global condition context keys"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>),
//! each key's "Data type" line, read December 2026. A key documented with two data types
//! (`aws:EpochTime`: Date, Numeric) lists both, the first as AWS lists it; so does one that
//! policies read both ways (`aws:AssumedRoot`).

use crate::model::KeyType;

/// A global condition key and the types its values may be compared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalConditionKey {
    /// AWS's spelling: `aws:SourceIp`; a template ends in `/${TagKey}`.
    pub name: &'static str,
    /// The documented data types, the first as AWS lists it first; never empty.
    pub types: &'static [KeyType],
}

impl GlobalConditionKey {
    /// The first documented type.
    pub fn key_type(&self) -> KeyType {
        self.types.first().copied().unwrap_or(KeyType::String)
    }

    /// Whether the key is a template (`aws:RequestTag/${TagKey}`) that needs a tag key.
    pub fn is_template(&self) -> bool {
        self.name.ends_with("/${TagKey}")
    }
}

const fn key(name: &'static str, types: &'static [KeyType]) -> GlobalConditionKey {
    GlobalConditionKey { name, types }
}

use KeyType::{Arn, ArrayOfString, Bool, Date, IpAddress, Numeric, String};

/// Every global key, grouped as AWS's page groups them.
pub(crate) const GLOBAL_KEYS: &[GlobalConditionKey] = &[
    // Properties of the principal.
    key("aws:PrincipalArn", &[Arn]),
    key("aws:PrincipalAccount", &[String]),
    key("aws:PrincipalOrgPaths", &[ArrayOfString]),
    key("aws:PrincipalOrgID", &[String]),
    key("aws:PrincipalTag/${TagKey}", &[String]),
    key("aws:PrincipalIsAWSService", &[Bool]),
    key("aws:PrincipalServiceName", &[String]),
    key("aws:PrincipalServiceNamesList", &[ArrayOfString]),
    key("aws:PrincipalType", &[String]),
    key("aws:userid", &[String]),
    key("aws:username", &[String]),
    // Policies test it with `Bool` and with string operators alike; both are accepted
    // rather than report a type mismatch AWS might not.
    key("aws:AssumedRoot", &[String, Bool]),
    // Properties of a role session.
    key("aws:FederatedProvider", &[String]),
    key("aws:TokenIssueTime", &[Date]),
    key("aws:MultiFactorAuthAge", &[Numeric]),
    key("aws:MultiFactorAuthPresent", &[Bool]),
    key("aws:ChatbotSourceArn", &[Arn]),
    key("aws:Ec2InstanceSourceVpc", &[String]),
    key("aws:Ec2InstanceSourcePrivateIPv4", &[IpAddress]),
    key("aws:SourceIdentity", &[String]),
    // Properties of the network.
    key("aws:SourceIp", &[IpAddress]),
    key("aws:SourceVpc", &[String]),
    key("aws:SourceVpcArn", &[Arn]),
    key("aws:SourceVpce", &[String]),
    key("aws:VpceAccount", &[String]),
    key("aws:VpceOrgID", &[String]),
    key("aws:VpceOrgPaths", &[ArrayOfString]),
    key("aws:VpcSourceIp", &[IpAddress]),
    // Properties of the resource.
    key("aws:ResourceAccount", &[String]),
    key("aws:ResourceOrgID", &[String]),
    key("aws:ResourceOrgPaths", &[ArrayOfString]),
    key("aws:ResourceTag/${TagKey}", &[String]),
    // Properties of the request.
    key("aws:CalledVia", &[ArrayOfString]),
    key("aws:CalledViaFirst", &[String]),
    key("aws:CalledViaLast", &[String]),
    key("aws:ViaAWSService", &[Bool]),
    key("aws:CurrentTime", &[Date]),
    key("aws:EpochTime", &[Date, Numeric]),
    key("aws:referer", &[String]),
    key("aws:RequestedRegion", &[String]),
    key("aws:RequestTag/${TagKey}", &[String]),
    key("aws:TagKeys", &[ArrayOfString]),
    key("aws:SecureTransport", &[Bool]),
    key("aws:SourceAccount", &[String]),
    key("aws:SourceArn", &[Arn]),
    key("aws:SourceOrgID", &[String]),
    key("aws:SourceOrgPaths", &[ArrayOfString]),
    key("aws:UserAgent", &[String]),
    // Not on the page: the legacy key Amazon SNS and Amazon SQS documentation still uses in
    // topic and queue policies (`"AWS:SourceOwner"`), kept so those policies validate.
    key("aws:SourceOwner", &[String]),
];

/// The global key `name` (any case); `aws:PrincipalTag/team` finds its template. A template's
/// tag key is one character or more: `aws:PrincipalTag/` alone is not a key.
pub(crate) fn find(name: &str) -> Option<&'static GlobalConditionKey> {
    GLOBAL_KEYS
        .iter()
        .find(|k| match k.name.strip_suffix("${TagKey}") {
            Some(lead) => name
                .get(..lead.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(lead) && name.len() > lead.len()),
            None => k.name.eq_ignore_ascii_case(name),
        })
}
