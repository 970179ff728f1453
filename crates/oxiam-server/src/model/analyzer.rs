//! IAM Access Analyzer's analyzers as oxiam keeps them: per account and Region, named, with
//! their type, tags and configuration, in a stored form of oxiam's own (the protocol's
//! types stay on the wire side; `ops::access_analyzer` converts).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Epoch;

/// The CloudFormation-style type name AWS gives analyzers in `ResourceNotFoundException`
/// and `ConflictException` (`resourceType`).
pub const RESOURCE_TYPE: &str = "AWS::AccessAnalyzer::Analyzer";

/// One analyzer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Analyzer {
    pub account: String,
    /// The Region of the request that created it (its credential scope's): analyzers are
    /// regional, as in AWS.
    pub region: String,
    pub name: String,
    /// `ACCOUNT`, `ACCOUNT_UNUSED_ACCESS`, `ACCOUNT_INTERNAL_ACCESS` (organization types need
    /// an organization, which oxiam does not have).
    pub kind: String,
    pub created: Epoch,
    pub tags: BTreeMap<String, String>,
    pub configuration: Option<Configuration>,
    /// The `clientToken` of the CreateAnalyzer call that made it: a retry with the same
    /// token answers the same analyzer instead of a conflict.
    pub client_token: Option<String>,
}

impl Analyzer {
    /// `account/region/name`: names are unique per account and Region (case-sensitive, as
    /// AWS's are).
    pub fn store_key(account: &str, region: &str, name: &str) -> String {
        format!("{account}/{region}/{name}")
    }

    /// `arn:aws:access-analyzer:REGION:ACCOUNT:analyzer/NAME`.
    pub fn arn(&self) -> String {
        arn(&self.region, &self.account, &self.name)
    }
}

/// The ARN of the analyzer `name` of `account` in `region`.
pub fn arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:access-analyzer:{region}:{account}:analyzer/{name}")
}

/// An analyzer's configuration (the model's `AnalyzerConfiguration` union).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Configuration {
    UnusedAccess {
        /// Days without use after which access is unused (AWS's default: 90).
        age: Option<i32>,
        exclusions: Option<Vec<Exclusion>>,
    },
    InternalAccess {
        inclusions: Option<Vec<Inclusion>>,
    },
}

/// Accounts or tagged resources an unused access analyzer leaves out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exclusion {
    pub account_ids: Option<Vec<String>>,
    pub resource_tags: Option<Vec<BTreeMap<String, String>>>,
}

/// What an internal access analyzer covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inclusion {
    pub account_ids: Option<Vec<String>>,
    pub resource_types: Option<Vec<String>>,
    pub resource_arns: Option<Vec<String>>,
}
