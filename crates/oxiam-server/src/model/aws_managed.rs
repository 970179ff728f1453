//! The catalogue of AWS managed policies (`arn:aws:iam::aws:policy/…`), shipped as data
//! (data/aws/aws-managed-policies.json, provenance in data/aws/README.md). Read-only and
//! the same in every account; parsed once on first use, each document compiled on first
//! use so start-up stays fast.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use oxiam_policy::{ParseOptions, Policy, PolicyKind};
use serde::Deserialize;

const DATA: &str = include_str!("../../../../data/aws/aws-managed-policies.json");

/// AWS's own policies are not bound by the customer size quota (ReadOnlyAccess is far
/// larger) nor by CreatePolicy's version rule.
const AWS_MANAGED: ParseOptions = ParseOptions {
    size_limit: None,
    require_version_2012: false,
};

/// One AWS managed policy, at its default version.
#[derive(Debug)]
pub struct AwsManagedPolicy {
    pub name: String,
    pub path: String,
    pub arn: String,
    pub default_version: String,
    pub created: time::OffsetDateTime,
    pub updated: time::OffsetDateTime,
    /// The document as JSON text.
    pub document: String,
    compiled: OnceLock<Option<Arc<Policy>>>,
}

impl AwsManagedPolicy {
    /// A stable `ANPA…` ID derived from the ARN: the catalogue does not record AWS's IDs,
    /// and clients expect every policy to have one that does not change between calls.
    pub fn id(&self) -> String {
        use sha2::Digest as _;
        const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let digest = sha2::Sha256::digest(self.arn.as_bytes());
        let tail: String = digest
            .iter()
            .take(17)
            .filter_map(|b| BASE32.get(usize::from(b & 31)).copied().map(char::from))
            .collect();
        format!("{}{tail}", crate::model::ids::IdPrefix::Policy.as_str())
    }

    /// The compiled document; `None` if the engine rejects it (then it grants nothing and
    /// the failure is logged once).
    pub fn policy(&self) -> Option<&Arc<Policy>> {
        self.compiled
            .get_or_init(|| match Policy::parse_with(&self.document, PolicyKind::Identity, &AWS_MANAGED) {
                Ok(p) => Some(Arc::new(p)),
                Err(e) => {
                    tracing::warn!(policy = %self.arn, error = e.message(), "AWS managed policy does not compile");
                    None
                }
            })
            .as_ref()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Raw {
    policy_name: String,
    path: String,
    default_version_id: String,
    create_date: String,
    update_date: String,
    document: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct Catalogue {
    /// In name order, as ListPolicies returns them.
    pub policies: Vec<AwsManagedPolicy>,
    by_arn: HashMap<String, usize>,
}

impl Catalogue {
    pub fn get(&self, arn: &str) -> Option<&AwsManagedPolicy> {
        self.by_arn.get(arn).and_then(|&i| self.policies.get(i))
    }
}

fn parse_date(s: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// The catalogue, loaded on first use.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let raw: Vec<Raw> = match serde_json::from_str(DATA) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "the AWS managed policy catalogue does not parse");
                Vec::new()
            }
        };
        let mut policies: Vec<AwsManagedPolicy> = raw
            .into_iter()
            .map(|r| AwsManagedPolicy {
                arn: format!("arn:aws:iam::aws:policy{}{}", r.path, r.policy_name),
                name: r.policy_name,
                path: r.path,
                default_version: r.default_version_id,
                created: parse_date(&r.create_date),
                updated: parse_date(&r.update_date),
                document: r.document.to_string(),
                compiled: OnceLock::new(),
            })
            .collect();
        policies.sort_by(|a, b| a.name.cmp(&b.name));
        let by_arn = policies
            .iter()
            .enumerate()
            .map(|(i, p)| (p.arn.clone(), i))
            .collect();
        Catalogue { policies, by_arn }
    })
}

/// An AWS managed policy by ARN.
pub fn get(arn: &str) -> Option<&'static AwsManagedPolicy> {
    catalogue().get(arn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_has_the_well_known_policies_and_they_compile() {
        assert!(catalogue().policies.len() > 1500);
        for name in [
            "AdministratorAccess",
            "ReadOnlyAccess",
            "IAMFullAccess",
            "AmazonS3ReadOnlyAccess",
        ] {
            let p = get(&format!("arn:aws:iam::aws:policy/{name}")).unwrap();
            assert!(p.policy().is_some(), "{name} compiles");
        }
        let billing = get("arn:aws:iam::aws:policy/job-function/Billing").unwrap();
        assert_eq!(billing.path, "/job-function/");
        assert!(get("arn:aws:iam::aws:policy/NoSuchPolicy").is_none());
    }
}
