//! The catalogue of service-linked roles AWS creates, one per service principal, shipped as
//! data (data/aws/service-linked-roles.json, provenance in data/aws/README.md): the role
//! name, the AWS managed policies AWS attaches, whether `CustomSuffix` is accepted, and the
//! description AWS gives. Read-only and the same in every account; parsed once on first
//! use. `CreateServiceLinkedRole` knows only the services listed here, as AWS knows only
//! its own.

use std::sync::OnceLock;

use serde::Deserialize;

const DATA: &str = include_str!("../../../../data/aws/service-linked-roles.json");

/// The path prefix AWS reserves for service-linked roles.
pub const PATH_PREFIX: &str = "/aws-service-role/";

/// The ARN prefix of the AWS managed policies attached to service-linked roles.
const POLICY_ARN_PREFIX: &str = "arn:aws:iam::aws:policy/aws-service-role/";

/// One service's service-linked role, as AWS creates it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceLinkedRole {
    /// The service principal, the request's `AWSServiceName` (`elasticloadbalancing.amazonaws.com`).
    pub service_name: String,
    /// `AWSServiceRoleFor…`; a custom suffix follows after `_`.
    pub role_name: String,
    /// The AWS managed policies AWS attaches, by name (all under `/aws-service-role/`).
    pub policies: Vec<String>,
    /// Whether the service accepts `CustomSuffix`.
    pub custom_suffix: bool,
    /// The description AWS gives the role when the request gives none.
    #[serde(default)]
    pub description: Option<String>,
    /// Where the entry comes from (see data/aws/README.md).
    #[serde(default)]
    pub sources: Vec<String>,
    /// The fields no source states, filled in by AWS's naming conventions.
    #[serde(default)]
    pub inferred: Vec<String>,
}

impl ServiceLinkedRole {
    /// `/aws-service-role/<service principal>/`.
    pub fn path(&self) -> String {
        format!("{PATH_PREFIX}{}/", self.service_name)
    }

    /// The ARNs of the attached AWS managed policies, in the catalogue's order.
    pub fn policy_arns(&self) -> Vec<String> {
        self.policies
            .iter()
            .map(|name| format!("{POLICY_ARN_PREFIX}{name}"))
            .collect()
    }

    /// The trust policy AWS keeps on the role, as GetRole and ListRoles return it: one
    /// statement, the principal and the action as single strings.
    pub fn trust_policy(&self) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":{}}},"Action":"sts:AssumeRole"}}]}}"#,
            json_string(&self.service_name)
        )
    }

    /// The trust policy as CreateServiceLinkedRole's response shows it: the same grant with
    /// the keys in alphabetical order and the principal and the action as one-element lists.
    /// AWS's responses differ from its later GetRole on this (AWS's Auto Scaling guide's
    /// example, and create-service-linked-role outputs of `es` and `ecs` published in 2021
    /// and 2024, against the string form of ListRoles).
    pub fn trust_policy_as_created(&self) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{{"Service":[{}]}}}}]}}"#,
            json_string(&self.service_name)
        )
    }
}

/// `s` as a JSON string literal.
fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The catalogue, sorted by service principal, loaded on first use.
pub fn catalogue() -> &'static [ServiceLinkedRole] {
    static CATALOGUE: OnceLock<Vec<ServiceLinkedRole>> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut roles: Vec<ServiceLinkedRole> = match serde_json::from_str(DATA) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "the service-linked role catalogue does not parse");
                Vec::new()
            }
        };
        roles.sort_by(|a, b| a.service_name.cmp(&b.service_name));
        roles
    })
}

/// The service-linked role of the service principal `service` (case-sensitive, as AWS's
/// service principals are).
pub fn get(service: &str) -> Option<&'static ServiceLinkedRole> {
    let roles = catalogue();
    roles
        .binary_search_by(|r| r.service_name.as_str().cmp(service))
        .ok()
        .and_then(|i| roles.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Every entry, against the rules AWS's service-linked roles follow and the managed
    /// policy catalogue.
    #[test]
    fn every_entry_is_a_well_formed_service_linked_role() {
        let roles = catalogue();
        assert!(roles.len() > 250, "{} entries", roles.len());
        let mut names = HashSet::new();
        for r in roles {
            let s = &r.service_name;
            // A service principal, within AWSServiceName's pattern [\w+=,.@-]+.
            assert!(s.ends_with(".amazonaws.com"), "{s}");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)),
                "{s}"
            );
            // AWSServiceRoleFor… (or the few AWS names otherwise), a valid role name with
            // room for no more than 64 characters.
            assert!(
                r.role_name.starts_with("AWSServiceRoleFor")
                    || r.role_name == "AWSMigrationHubStrategyServiceRolePolicy",
                "{}",
                r.role_name
            );
            assert!(r.role_name.len() <= 64, "{}", r.role_name);
            assert!(
                r.role_name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)),
                "{}",
                r.role_name
            );
            assert!(names.insert(r.role_name.as_str()), "{} twice", r.role_name);
            assert_eq!(r.path(), format!("/aws-service-role/{s}/"));
            // The attached policies are AWS managed policies under /aws-service-role/.
            assert!(!r.policies.is_empty(), "{s} has no policy");
            for arn in r.policy_arns() {
                let p = crate::model::aws_managed::get(&arn)
                    .unwrap_or_else(|| panic!("{s}: {arn} is not in the managed catalogue"));
                assert_eq!(p.path, "/aws-service-role/", "{arn}");
            }
            // The trust policy lets the service, and only it, assume the role.
            for (doc, form) in [
                (r.trust_policy(), "stored"),
                (r.trust_policy_as_created(), "created"),
            ] {
                let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
                assert_eq!(v["Version"], "2012-10-17");
                let statements = v["Statement"].as_array().unwrap();
                assert_eq!(statements.len(), 1, "{s}");
                let st = &statements[0];
                assert_eq!(st["Effect"], "Allow");
                if form == "stored" {
                    assert_eq!(st["Action"], "sts:AssumeRole", "{s}");
                    assert_eq!(st["Principal"]["Service"], s.as_str());
                } else {
                    assert_eq!(st["Action"], serde_json::json!(["sts:AssumeRole"]));
                    assert_eq!(st["Principal"]["Service"], serde_json::json!([s]));
                }
                oxiam_policy::Policy::parse_with(
                    &doc,
                    oxiam_policy::PolicyKind::Trust,
                    &oxiam_policy::ParseOptions::for_kind(oxiam_policy::PolicyKind::Trust),
                )
                .unwrap_or_else(|e| panic!("{s}: {}", e.message()));
            }
            // Provenance: every entry names a source or says what it infers.
            assert!(
                !r.sources.is_empty() || r.inferred.iter().any(|f| f == "RoleName"),
                "{s}"
            );
            for field in &r.inferred {
                assert!(
                    ["ServiceName", "RoleName", "Policies", "CustomSuffix"]
                        .contains(&field.as_str()),
                    "{s}: {field}"
                );
            }
        }
        // One entry per principal, and lookup finds each.
        for r in roles {
            assert!(std::ptr::eq(get(&r.service_name).unwrap(), r));
        }
        assert!(get("example.amazonaws.com").is_none());
        assert!(get("ELASTICLOADBALANCING.amazonaws.com").is_none());
    }

    #[test]
    fn well_known_services_are_as_aws_creates_them() {
        let elb = get("elasticloadbalancing.amazonaws.com").unwrap();
        assert_eq!(elb.role_name, "AWSServiceRoleForElasticLoadBalancing");
        assert_eq!(
            elb.policy_arns(),
            ["arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy"]
        );
        assert!(!elb.custom_suffix);
        assert_eq!(
            elb.description.as_deref(),
            Some("Allows ELB to call AWS services on your behalf.")
        );
        assert_eq!(
            elb.trust_policy(),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"elasticloadbalancing.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
        );
        assert!(get("autoscaling.amazonaws.com").unwrap().custom_suffix);
        assert_eq!(
            get("cloud9.amazonaws.com").unwrap().role_name,
            "AWSServiceRoleForAWSCloud9"
        );
        assert_eq!(
            get("dynamodb.application-autoscaling.amazonaws.com")
                .unwrap()
                .role_name,
            "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"
        );
    }
}
