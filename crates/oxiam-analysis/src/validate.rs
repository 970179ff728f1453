//! IAM Access Analyzer's ValidatePolicy: a policy document in, findings out — errors,
//! security warnings, general warnings and suggestions, each with AWS's issue code, message
//! (`findingDetails`), learn-more link and locations (JSON path and span), as AWS's "IAM
//! policy validation check reference" lists them. A document that is not JSON is a finding
//! too (`JSON_SYNTAX_ERROR`), never an error: ValidatePolicy answers findings for any text.
//!
//! # Map
//! - [`finding`]: the answer's shapes ([`Finding`], [`Location`], [`PathElement`],
//!   [`Span`], [`Position`]) and the issue-code table ([`IssueCode`]: type, link).
//! - `json`: a JSON reader that keeps the span of every value and key.
//! - `grammar`: the document's structure — top-level and statement elements, their JSON
//!   types, `Version`, `Sid`, `Effect`, required and exclusive elements per policy type —
//!   and the statement views the other checks read.
//! - `principals`: `Principal`/`NotPrincipal` contents.
//! - `actions`: actions against the catalogue (unknown service or action, wildcards in the
//!   service, redundant actions).
//! - `resources`: ARNs (prefix, fields, partition, service case, account, Region, resource
//!   part against the service's ARN formats, redundant resources).
//! - `conditions`: operators, keys (global keys from the catalogue's table, service keys),
//!   key types against operators, values against operators, a key's values together
//!   (several Booleans, numeric bounds, private addresses in `aws:SourceIp`), qualifiers.
//! - `variables`: policy variables' form and the elements that take them.
//! - `statement`: checks across elements and statements (`iam:PassRole` and
//!   `iam:CreateServiceLinkedRole` with broad resources, trust actions against principals,
//!   actions a condition key does not apply to, `aws:ResourceTag` with services that do not
//!   take it, actions and ARNs outside `validatePolicyResourceType`, redundant statements).
//!
//! The modules under `validate/` call each other (the grammar hands statement views to the
//! element checks, which read them): siblings of one folder, as the workspace allows.
//!
//! # Use
//! ```
//! use oxiam_analysis::validate::{IssueCode, PolicyType, validate_policy};
//! use oxiam_catalogue::Catalogue;
//! let findings = validate_policy(
//!     r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}}"#,
//!     PolicyType::IdentityPolicy,
//!     None,
//!     Catalogue::aws(),
//! );
//! let codes: Vec<&str> = findings.iter().map(|f| f.issue_code.as_str()).collect();
//! assert_eq!(codes, ["MISSING_VERSION", "PASS_ROLE_WITH_STAR_IN_RESOURCE"]);
//! assert_eq!(findings[1].finding_type.as_str(), "SECURITY_WARNING");
//! ```
//!
//! # Choices where AWS documents nothing
//! Positions count characters; a syntax error's span is the one character where the text
//! stops being JSON (empty at the end of the text); a finding about a whole statement (a
//! missing element) spans the statement; a finding about the document (no `Version`) spans
//! the document with an empty path; an unknown element or condition key is located by its
//! key (`PathElement::Key`), a bad value by the value (`PathElement::Value`); a policy
//! variable by a `PathElement::Substring` of its string. Where AWS's message has a
//! placeholder the reference page does not show filled, oxiam fills it with the policy's
//! own text (the action, key, service, operator as written).

mod actions;
mod conditions;
pub mod finding;
mod grammar;
mod json;
mod principals;
mod resources;
mod statement;
mod variables;

use std::collections::HashMap;
use std::rc::Rc;

use oxiam_catalogue::Catalogue;

pub use finding::{
    Finding, FindingType, IssueCode, Location, PathElement, Position, REFERENCE_PAGE, Span,
};

use finding::Lines;

/// `PolicyType`: what the document is used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// `IDENTITY_POLICY`: inline or managed policies of users, groups and roles.
    IdentityPolicy,
    /// `RESOURCE_POLICY`: bucket, queue, key policies, role trust policies.
    ResourcePolicy,
    /// `SERVICE_CONTROL_POLICY`: an AWS Organizations SCP.
    ServiceControlPolicy,
    /// `RESOURCE_CONTROL_POLICY`: an AWS Organizations RCP.
    ResourceControlPolicy,
}

impl PolicyType {
    /// AWS's name, `IDENTITY_POLICY`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::IdentityPolicy => "IDENTITY_POLICY",
            PolicyType::ResourcePolicy => "RESOURCE_POLICY",
            PolicyType::ServiceControlPolicy => "SERVICE_CONTROL_POLICY",
            PolicyType::ResourceControlPolicy => "RESOURCE_CONTROL_POLICY",
        }
    }

    /// The type named `name` (AWS's spelling exactly).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            PolicyType::IdentityPolicy,
            PolicyType::ResourcePolicy,
            PolicyType::ServiceControlPolicy,
            PolicyType::ResourceControlPolicy,
        ]
        .into_iter()
        .find(|t| t.as_str() == name)
    }
}

/// `ValidatePolicyResourceType`: the kind of resource a `RESOURCE_POLICY` is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidatePolicyResourceType {
    /// `AWS::S3::Bucket`.
    S3Bucket,
    /// `AWS::S3::AccessPoint`.
    S3AccessPoint,
    /// `AWS::S3::MultiRegionAccessPoint`.
    S3MultiRegionAccessPoint,
    /// `AWS::S3ObjectLambda::AccessPoint`.
    S3ObjectLambdaAccessPoint,
    /// `AWS::IAM::AssumeRolePolicyDocument`: a role trust policy.
    IamAssumeRolePolicyDocument,
    /// `AWS::DynamoDB::Table`.
    DynamoDbTable,
}

impl ValidatePolicyResourceType {
    const ALL: [ValidatePolicyResourceType; 6] = [
        ValidatePolicyResourceType::S3Bucket,
        ValidatePolicyResourceType::S3AccessPoint,
        ValidatePolicyResourceType::S3MultiRegionAccessPoint,
        ValidatePolicyResourceType::S3ObjectLambdaAccessPoint,
        ValidatePolicyResourceType::IamAssumeRolePolicyDocument,
        ValidatePolicyResourceType::DynamoDbTable,
    ];

    /// AWS's name, `AWS::S3::Bucket`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            ValidatePolicyResourceType::S3Bucket => "AWS::S3::Bucket",
            ValidatePolicyResourceType::S3AccessPoint => "AWS::S3::AccessPoint",
            ValidatePolicyResourceType::S3MultiRegionAccessPoint => {
                "AWS::S3::MultiRegionAccessPoint"
            }
            ValidatePolicyResourceType::S3ObjectLambdaAccessPoint => {
                "AWS::S3ObjectLambda::AccessPoint"
            }
            ValidatePolicyResourceType::IamAssumeRolePolicyDocument => {
                "AWS::IAM::AssumeRolePolicyDocument"
            }
            ValidatePolicyResourceType::DynamoDbTable => "AWS::DynamoDB::Table",
        }
    }

    /// The type named `name` (AWS's spelling exactly).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Resource policies of these resources must name resources (a trust policy names none).
    fn requires_resource(self) -> bool {
        !matches!(
            self,
            ValidatePolicyResourceType::IamAssumeRolePolicyDocument
        )
    }
}

/// Validates `document` as a policy of `policy_type` (for a `RESOURCE_POLICY`, of the
/// resource type `resource_type` if given) against `catalogue`, as IAM Access Analyzer's
/// ValidatePolicy does. Total: any text gives findings, in document order within each
/// check family; an empty list means no finding.
pub fn validate_policy(
    document: &str,
    policy_type: PolicyType,
    resource_type: Option<ValidatePolicyResourceType>,
    catalogue: &Catalogue,
) -> Vec<Finding> {
    let mut ctx = Ctx {
        lines: Lines::new(document),
        policy_type,
        // ValidatePolicy reads the resource type only for resource policies.
        resource_type: resource_type.filter(|_| policy_type == PolicyType::ResourcePolicy),
        catalogue,
        variables: true,
        action_names: HashMap::new(),
        findings: Vec::new(),
    };
    match json::parse(document) {
        Ok(root) => {
            size(&mut ctx, document, &root);
            grammar::check(&mut ctx, &root);
        }
        Err(error) => {
            let at = ctx.lines.position(error.offset);
            let end = document
                .get(error.offset..)
                .and_then(|rest| rest.chars().next())
                .map_or(error.offset, |c| error.offset + c.len_utf8());
            ctx.report(
                IssueCode::JsonSyntaxError,
                format!(
                    "Fix the JSON syntax error at index {} line {} column {}.",
                    at.offset, at.line, at.column
                ),
                vec![ctx.location(&Path::root(), error.offset, end)],
            );
        }
    }
    ctx.findings
}

/// Documents larger than the quota of their policy type, in characters without white space
/// as IAM counts them (the managed-policy quota for identity policies; SCPs have their own).
fn size(ctx: &mut Ctx<'_>, document: &str, root: &json::Node<'_>) {
    let chars = document
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
        .count();
    let (code, details) = match ctx.policy_type {
        PolicyType::IdentityPolicy if chars > oxiam_policy::limits::MANAGED_POLICY => (
            IssueCode::PolicySizeExceedsIdentityPolicyQuota,
            "The characters in the identity policy, excluding whitespace, exceed the character maximum for inline and managed policies. We recommend that you use multiple granular policies.",
        ),
        PolicyType::ServiceControlPolicy if chars > oxiam_policy::limits::SCP => (
            IssueCode::PolicySizeExceedsScpQuota,
            "The characters in the service control policy (SCP) exceed the character maximum for SCPs. We recommend that you use multiple granular policies.",
        ),
        _ => return,
    };
    let at = ctx.node_location(&Path::root(), root);
    ctx.report(code, details.into(), vec![at]);
}

/// What every check reads and where findings go.
pub(crate) struct Ctx<'c> {
    lines: Lines<'c>,
    pub(crate) policy_type: PolicyType,
    pub(crate) resource_type: Option<ValidatePolicyResourceType>,
    pub(crate) catalogue: &'c Catalogue,
    /// Policy variables are read as variables (`Version` 2012-10-17).
    pub(crate) variables: bool,
    /// The actions each action pattern names (lower-cased), listed once per validation:
    /// large policies repeat patterns.
    pub(crate) action_names: HashMap<String, Rc<[String]>>,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    pub(crate) fn report(&mut self, code: IssueCode, details: String, locations: Vec<Location>) {
        self.findings.push(Finding {
            finding_type: code.finding_type(),
            issue_code: code,
            finding_details: details,
            learn_more_link: code.learn_more_link(),
            locations,
        });
    }

    /// A location: `path`, spanning bytes `start..end`.
    pub(crate) fn location(&self, path: &Path, start: usize, end: usize) -> Location {
        Location {
            path: path.0.clone(),
            span: self.lines.span(start, end),
        }
    }

    /// A location of a node: its path and its whole span.
    pub(crate) fn node_location(&self, path: &Path, node: &json::Node<'_>) -> Location {
        self.location(path, node.start, node.end)
    }
}

/// A path from the root, built as checks descend.
#[derive(Debug, Clone, Default)]
pub(crate) struct Path(Vec<PathElement>);

impl Path {
    pub(crate) fn root() -> Self {
        Path(Vec::new())
    }

    /// The value of `key` in the object at this path.
    pub(crate) fn value(&self, key: &str) -> Self {
        self.with(PathElement::Value(key.to_owned()))
    }

    /// The key `key` itself in the object at this path.
    pub(crate) fn key(&self, key: &str) -> Self {
        self.with(PathElement::Key(key.to_owned()))
    }

    /// Characters `start..start + length` of the string at this path.
    pub(crate) fn substring(&self, start: usize, length: usize) -> Self {
        self.with(PathElement::Substring { start, length })
    }

    /// Element `i` of the array at this path.
    pub(crate) fn index(&self, i: usize) -> Self {
        self.with(PathElement::Index(i))
    }

    fn with(&self, element: PathElement) -> Self {
        let mut v = self.0.clone();
        v.push(element);
        Path(v)
    }
}

#[cfg(test)]
mod tests;
