//! IAM Access Analyzer's custom policy checks: `CheckNoNewAccess`, `CheckAccessNotGranted`
//! and `CheckNoPublicAccess`, with AWS's inputs, results, messages and errors, answered
//! over the diff's reading of statements (`crate::diff`).
//!
//! # Map
//! - inputs: [`PolicyType`] (`AccessCheckPolicyType`), [`Access`], [`ResourceType`]
//!   (`AccessCheckResourceType`, every value of the 2019-11-01 model).
//! - results: [`CheckResponse`] (`result`, `message`, `reasons`), [`CheckResult`],
//!   [`ReasonSummary`]; AWS's wording in [`messages`].
//! - errors: [`CheckError`], each with the AWS error code the server sends
//!   ([`CheckError::code`]).
//! - [`check_no_new_access`]: the diff of the two documents; each new-policy statement
//!   with a new grant is a reason.
//! - [`check_access_not_granted`]: each `Allow` statement that may reach a listed action on
//!   a listed resource, unless an unconditional `Deny` removes all of it.
//! - [`check_no_public_access`]: each `Allow` statement that names everyone (or a web
//!   identity provider) for an action of the resource type's service, unless a condition
//!   limits the callers to known accounts, organizations, networks or sources, or a `Deny`
//!   does.
//!
//! # Soundness
//! Each check answers PASS only when no request the engine would allow breaks the rule;
//! whatever it cannot decide is a FAIL with the statement that raised it, as AWS answers
//! FAIL for "might allow". `tests/checks_soundness.rs` holds this against the engine.

use oxiam_catalogue::Catalogue;
use oxiam_policy::{Operator, PolicyError, PolicyKind, SetQualifier, messages as policy_messages};

use crate::condition::Entry;
use crate::diff::{
    Bits, Resources, Statement, Universe, covers_actions, covers_resources,
    covers_statement_resources, new_grants, statements,
};
use crate::pattern::{actions_meet, resource_includes, resources_meet, split_segments};
use crate::principal::PrincipalSpec;

/// AWS's messages and reason descriptions.
pub mod messages {
    /// `CheckNoNewAccess`, FAIL.
    pub const NEW_ACCESS: &str =
        "The modified permissions grant new access compared to your existing policy.";
    /// `CheckNoNewAccess`, PASS. AWS does not document it; this mirrors the FAIL wording.
    pub const NO_NEW_ACCESS: &str =
        "The modified permissions do not grant new access compared to your existing policy.";
    /// `CheckAccessNotGranted`, FAIL.
    pub const ACCESS_GRANTED: &str = "The policy document grants access to perform one or more of the listed actions or resources.";
    /// `CheckAccessNotGranted`, PASS.
    pub const ACCESS_NOT_GRANTED: &str =
        "The policy document does not grant access to perform the listed actions or resources.";
    /// `CheckNoPublicAccess`, FAIL.
    pub const PUBLIC_ACCESS: &str =
        "The resource policy grants public access for the given resource type.";
    /// `CheckNoPublicAccess`, PASS.
    pub const NO_PUBLIC_ACCESS: &str =
        "The resource policy does not grant public access for the given resource type.";
}

/// `AccessCheckPolicyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    /// `IDENTITY_POLICY`.
    IdentityPolicy,
    /// `RESOURCE_POLICY` (trust policies included).
    ResourcePolicy,
}

impl PolicyType {
    /// From the wire value.
    pub fn from_wire(s: &str) -> Result<PolicyType, CheckError> {
        match s {
            "IDENTITY_POLICY" => Ok(PolicyType::IdentityPolicy),
            "RESOURCE_POLICY" => Ok(PolicyType::ResourcePolicy),
            _ => Err(CheckError::enum_value(
                "policyType",
                s,
                &["IDENTITY_POLICY", "RESOURCE_POLICY"],
            )),
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::IdentityPolicy => "IDENTITY_POLICY",
            PolicyType::ResourcePolicy => "RESOURCE_POLICY",
        }
    }

    fn kind(self) -> PolicyKind {
        match self {
            PolicyType::IdentityPolicy => PolicyKind::Identity,
            PolicyType::ResourcePolicy => PolicyKind::Resource,
        }
    }
}

macro_rules! resource_types {
    ($($variant:ident = $wire:literal => [$($prefix:literal),+],)+) => {
        /// `AccessCheckResourceType`: the resource types `CheckNoPublicAccess` knows.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ResourceType {
            $(
                #[doc = concat!("`", $wire, "`.")]
                $variant,
            )+
        }

        impl ResourceType {
            /// Every value, in the model's order.
            pub const ALL: &[ResourceType] = &[$(ResourceType::$variant),+];

            /// The wire value.
            pub fn as_str(self) -> &'static str {
                match self { $(ResourceType::$variant => $wire,)+ }
            }

            /// The service prefixes whose actions reach a resource of this type.
            pub fn service_prefixes(self) -> &'static [&'static str] {
                match self { $(ResourceType::$variant => &[$($prefix),+],)+ }
            }
        }
    };
}

resource_types! {
    DynamoDbTable = "AWS::DynamoDB::Table" => ["dynamodb"],
    DynamoDbStream = "AWS::DynamoDB::Stream" => ["dynamodb"],
    EfsFileSystem = "AWS::EFS::FileSystem" => ["elasticfilesystem"],
    OpenSearchServiceDomain = "AWS::OpenSearchService::Domain" => ["es"],
    KinesisStream = "AWS::Kinesis::Stream" => ["kinesis"],
    KinesisStreamConsumer = "AWS::Kinesis::StreamConsumer" => ["kinesis"],
    KmsKey = "AWS::KMS::Key" => ["kms"],
    LambdaFunction = "AWS::Lambda::Function" => ["lambda"],
    S3Bucket = "AWS::S3::Bucket" => ["s3"],
    S3AccessPoint = "AWS::S3::AccessPoint" => ["s3"],
    S3ExpressDirectoryBucket = "AWS::S3Express::DirectoryBucket" => ["s3express"],
    S3Glacier = "AWS::S3::Glacier" => ["glacier"],
    S3OutpostsBucket = "AWS::S3Outposts::Bucket" => ["s3-outposts"],
    S3OutpostsAccessPoint = "AWS::S3Outposts::AccessPoint" => ["s3-outposts"],
    SecretsManagerSecret = "AWS::SecretsManager::Secret" => ["secretsmanager"],
    SnsTopic = "AWS::SNS::Topic" => ["sns"],
    SqsQueue = "AWS::SQS::Queue" => ["sqs"],
    IamAssumeRolePolicyDocument = "AWS::IAM::AssumeRolePolicyDocument" => ["sts"],
    S3TablesTableBucket = "AWS::S3Tables::TableBucket" => ["s3tables"],
    ApiGatewayRestApi = "AWS::ApiGateway::RestApi" => ["execute-api"],
    CodeArtifactDomain = "AWS::CodeArtifact::Domain" => ["codeartifact"],
    BackupBackupVault = "AWS::Backup::BackupVault" => ["backup"],
    CloudTrailDashboard = "AWS::CloudTrail::Dashboard" => ["cloudtrail"],
    CloudTrailEventDataStore = "AWS::CloudTrail::EventDataStore" => ["cloudtrail"],
    S3TablesTable = "AWS::S3Tables::Table" => ["s3tables"],
    S3ExpressAccessPoint = "AWS::S3Express::AccessPoint" => ["s3express"],
}

impl ResourceType {
    /// From the wire value.
    pub fn from_wire(s: &str) -> Result<ResourceType, CheckError> {
        ResourceType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = ResourceType::ALL.iter().map(|t| t.as_str()).collect();
                CheckError::enum_value("resourceType", s, &all)
            })
    }
}

/// `Access`: what must not be granted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// Action names or patterns (`s3:PutObject`, `iam:*`).
    pub actions: Vec<String>,
    /// ARNs, with wildcards only in the resource part.
    pub resources: Vec<String>,
}

/// `PASS` or `FAIL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckResult {
    /// The rule holds for every request.
    Pass,
    /// Some request may break it.
    Fail,
}

impl CheckResult {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckResult::Pass => "PASS",
            CheckResult::Fail => "FAIL",
        }
    }
}

/// `ReasonSummary`: a statement that made the check fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonSummary {
    /// AWS's sentence naming the statement by `Sid`, or by index when it has none.
    pub description: String,
    /// Position in the `Statement` list, from 0.
    pub statement_index: Option<usize>,
    /// The statement's `Sid`.
    pub statement_id: Option<String>,
}

/// The response of any of the three checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResponse {
    pub result: CheckResult,
    /// AWS's message for the result.
    pub message: &'static str,
    /// Empty for PASS.
    pub reasons: Vec<ReasonSummary>,
}

/// Why a check could not run.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CheckError {
    /// A policy document the engine does not accept (`InvalidParameterException`).
    #[error("invalid `{field}`: {}", error.message())]
    InvalidPolicyDocument {
        /// `newPolicyDocument`, `existingPolicyDocument` or `policyDocument`.
        field: &'static str,
        error: PolicyError,
    },
    /// A parameter AWS's rules reject (`InvalidParameterException`).
    #[error("{message}")]
    InvalidParameter { message: String },
    /// A value outside the model's constraints (`ValidationException`,
    /// `fieldValidationFailed`).
    #[error("{message}")]
    Validation {
        /// The member's path (`access`, `access.0.actions`).
        field: String,
        message: String,
    },
}

impl CheckError {
    /// The AWS error code: `InvalidParameterException` or `ValidationException`.
    pub fn code(&self) -> &'static str {
        match self {
            CheckError::InvalidPolicyDocument { .. } | CheckError::InvalidParameter { .. } => {
                "InvalidParameterException"
            }
            CheckError::Validation { .. } => "ValidationException",
        }
    }

    fn enum_value(field: &str, value: &str, allowed: &[&str]) -> CheckError {
        CheckError::Validation {
            field: field.to_owned(),
            message: format!(
                "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                allowed.join(", ")
            ),
        }
    }

    fn length(field: String, max: usize) -> CheckError {
        CheckError::Validation {
            message: format!(
                "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
            ),
            field,
        }
    }

    fn invalid(message: String) -> CheckError {
        CheckError::InvalidParameter { message }
    }
}

/// The model's limits on `access`.
pub mod limits {
    /// Entries in `access`.
    pub const ACCESS_ENTRIES: usize = 1;
    /// Actions in one entry.
    pub const ACTIONS: usize = 100;
    /// Resources in one entry.
    pub const RESOURCES: usize = 100;
    /// Characters in one resource.
    pub const RESOURCE_LENGTH: usize = 2048;
}

/// Parses `text` as `kind`. Resource policies may leave out `Resource` here (AWS's own
/// `CheckNoPublicAccess` example does): the statement then reaches every resource.
fn parse(text: &str, kind: PolicyKind, field: &'static str) -> Result<(), CheckError> {
    let blocking = oxiam_policy::validate(text, kind)
        .into_iter()
        .filter(|f| f.severity == oxiam_policy::Severity::Error)
        .any(|f| {
            !(kind == PolicyKind::Resource && f.message == policy_messages::RESOURCES_REQUIRED)
        });
    if !blocking {
        return Ok(());
    }
    match oxiam_policy::Policy::parse(text, kind) {
        Ok(_) => Ok(()),
        Err(error) => Err(CheckError::InvalidPolicyDocument { field, error }),
    }
}

/// A reason naming `s` as AWS does: `… with sid: X.` or `… with index: N.`.
fn reason(lead: &str, s: &Statement) -> ReasonSummary {
    let description = match &s.sid {
        Some(sid) if !sid.is_empty() => format!("{lead} with sid: {sid}."),
        _ => format!("{lead} with index: {}.", s.index),
    };
    ReasonSummary {
        description,
        statement_index: Some(s.index),
        statement_id: s.sid.clone().filter(|s| !s.is_empty()),
    }
}

fn response(reasons: Vec<ReasonSummary>, pass: &'static str, fail: &'static str) -> CheckResponse {
    if reasons.is_empty() {
        CheckResponse {
            result: CheckResult::Pass,
            message: pass,
            reasons,
        }
    } else {
        CheckResponse {
            result: CheckResult::Fail,
            message: fail,
            reasons,
        }
    }
}

// ---------------------------------------------------------------------------------------
// CheckNoNewAccess.

/// `CheckNoNewAccess`: FAIL when `new_policy` may allow a request `existing_policy` does
/// not (new actions, resources, principals, weaker conditions, removed denies), with the
/// new policy's statements that grant it; PASS only when provably not.
pub fn check_no_new_access(
    new_policy: &str,
    existing_policy: &str,
    policy_type: PolicyType,
    catalogue: &Catalogue,
) -> Result<CheckResponse, CheckError> {
    let kind = policy_type.kind();
    parse(new_policy, kind, "newPolicyDocument")?;
    // A reference resource policy may use wildcards in `AWS` principals (AWS User Guide,
    // "How custom policy checks work"); the engine accepts none, so it validates the rest.
    let reference = match policy_type {
        PolicyType::ResourcePolicy => without_principal_wildcards(existing_policy),
        PolicyType::IdentityPolicy => None,
    };
    parse(
        reference.as_deref().unwrap_or(existing_policy),
        kind,
        "existingPolicyDocument",
    )?;
    let grants = new_grants(existing_policy, new_policy, catalogue);
    let mut indices: Vec<usize> = grants.iter().map(|(i, _)| *i).collect();
    indices.sort_unstable();
    indices.dedup();
    let universe = Universe::new(catalogue);
    let new = statements(new_policy, &universe);
    let reasons = indices
        .iter()
        .filter_map(|i| new.get(*i))
        .map(|s| reason("New access in the statement", s))
        .collect();
    Ok(response(
        reasons,
        messages::NO_NEW_ACCESS,
        messages::NEW_ACCESS,
    ))
}

/// `text` with every `AWS` principal that has a wildcard (other than `*` itself) replaced
/// by a valid one, for validation only; `None` when there is none or `text` is not JSON.
fn without_principal_wildcards(text: &str) -> Option<String> {
    let mut doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let mut changed = false;
    let mut fix = |v: &mut serde_json::Value| {
        if let serde_json::Value::String(s) = v
            && s != "*"
            && s.contains(['*', '?'])
        {
            *s = "arn:aws:iam::000000000000:root".to_owned();
            changed = true;
        }
    };
    let statements: Vec<&mut serde_json::Value> = match doc.get_mut("Statement")? {
        serde_json::Value::Array(list) => list.iter_mut().collect(),
        one => vec![one],
    };
    for s in statements {
        match s.get_mut("Principal").and_then(|p| p.get_mut("AWS")) {
            Some(serde_json::Value::Array(list)) => list.iter_mut().for_each(&mut fix),
            Some(one) => fix(one),
            None => {}
        }
    }
    changed.then(|| doc.to_string())
}

// ---------------------------------------------------------------------------------------
// CheckAccessNotGranted.

/// An `Access` entry checked and read over the catalogue.
struct Wanted {
    /// Catalogue actions the listed actions name (all when none are listed).
    bits: Bits,
    /// Listed patterns that stand for actions outside the catalogue.
    outside: Vec<String>,
    /// No actions listed: any action.
    any_action: bool,
    resources: Vec<String>,
}

/// AWS's rules for one `access` entry.
fn check_entry(n: usize, entry: &Access) -> Result<(), CheckError> {
    if entry.actions.is_empty() && entry.resources.is_empty() {
        return Err(CheckError::invalid(
            "Each access entry must specify at least one action or resource.".to_owned(),
        ));
    }
    if entry.actions.len() > limits::ACTIONS {
        return Err(CheckError::length(
            format!("access.{n}.member.actions"),
            limits::ACTIONS,
        ));
    }
    if entry.resources.len() > limits::RESOURCES {
        return Err(CheckError::length(
            format!("access.{n}.member.resources"),
            limits::RESOURCES,
        ));
    }
    for a in &entry.actions {
        let valid = a == "*"
            || a.split_once(':').is_some_and(|(service, name)| {
                !service.is_empty() && !name.is_empty() && !name.contains(':')
            });
        if !valid {
            return Err(CheckError::invalid(format!("The action {a} is not valid.")));
        }
    }
    for r in &entry.resources {
        if r.chars().count() > limits::RESOURCE_LENGTH {
            return Err(CheckError::length(
                format!("access.{n}.member.resources.member"),
                limits::RESOURCE_LENGTH,
            ));
        }
        let segments = split_segments(r);
        let wildcard_outside_id = segments.iter().take(5).any(|s| s.contains(['*', '?']));
        if segments.first().copied() != Some("arn") || segments.len() < 6 || wildcard_outside_id {
            return Err(CheckError::invalid(format!(
                "The resource {r} is not valid. Use an ARN with wildcards only in the resource ID."
            )));
        }
    }
    Ok(())
}

impl Wanted {
    fn new(entry: &Access, universe: &Universe<'_>) -> Wanted {
        let mut bits = universe.empty();
        let mut outside = Vec::new();
        for p in &entry.actions {
            if universe.matching(p, &mut bits) && !outside_pattern(p, universe) {
                continue;
            }
            outside.push(p.clone());
        }
        if entry.actions.is_empty() {
            bits.invert(universe.actions.len());
        }
        Wanted {
            bits,
            outside,
            any_action: entry.actions.is_empty(),
            resources: entry.resources.clone(),
        }
    }

    /// `s` may reach a wanted action.
    fn meets_actions(&self, s: &Statement) -> bool {
        if self.any_action || self.bits.ones().any(|i| s.reach.has(i)) {
            return true;
        }
        self.outside.iter().any(|p| {
            if s.not_action {
                !s.actions
                    .iter()
                    .any(|x| crate::pattern::action_includes(x, p))
            } else {
                s.actions.iter().any(|x| actions_meet(x, p))
            }
        })
    }

    /// `s` may reach a wanted resource.
    fn meets_resources(&self, s: &Statement) -> bool {
        if self.resources.is_empty() {
            return true;
        }
        self.resources.iter().any(|r| {
            if s.not_resource {
                !s.resources.iter().any(|x| resource_includes(x, r))
            } else {
                s.resources.iter().any(|x| resources_meet(x, r))
            }
        })
    }

    /// Deny `d` surely removes everything of the wanted access that allow `s` grants.
    fn removed_by(&self, d: &Statement, s: &Statement) -> bool {
        if !d.cond.is_empty() || !d.principal.covers(&s.principal) {
            return false;
        }
        let actions = if self.any_action {
            covers_actions(d, s)
        } else {
            self.bits
                .ones()
                .filter(|&i| s.reach.has(i))
                .all(|i| d.reach.has(i))
                && (self.outside.is_empty() || d.actions.iter().any(|a| a == "*") && !d.not_action)
        };
        let resources = if self.resources.is_empty() {
            covers_statement_resources(d, s)
        } else {
            self.resources
                .iter()
                .all(|r| covers_resources(d, &Resources::Pattern(r.clone())))
        };
        actions && resources
    }
}

/// A listed action pattern stands for actions the catalogue may not list: a wildcard in the
/// service, or a service the catalogue does not know.
fn outside_pattern(p: &str, universe: &Universe<'_>) -> bool {
    let service = p.split_once(':').map_or(p, |(s, _)| s);
    service.contains(['*', '?']) || universe.catalogue.service(service).is_none()
}

/// `CheckAccessNotGranted`: FAIL when `policy` may grant a listed action on a listed
/// resource (only actions: on any resource; only resources: any action), with the
/// statements that may grant it.
pub fn check_access_not_granted(
    policy: &str,
    access: &[Access],
    policy_type: PolicyType,
    catalogue: &Catalogue,
) -> Result<CheckResponse, CheckError> {
    if access.len() > limits::ACCESS_ENTRIES {
        return Err(CheckError::length(
            "access".to_owned(),
            limits::ACCESS_ENTRIES,
        ));
    }
    if access.is_empty() {
        return Err(CheckError::invalid(
            "The access list must contain at least one entry.".to_owned(),
        ));
    }
    for (n, entry) in access.iter().enumerate() {
        check_entry(n, entry)?;
    }
    parse(policy, policy_type.kind(), "policyDocument")?;
    let universe = Universe::new(catalogue);
    let list = statements(policy, &universe);
    let wanted: Vec<Wanted> = access.iter().map(|e| Wanted::new(e, &universe)).collect();
    let reasons = list
        .iter()
        .filter(|s| !s.deny)
        .filter(|s| {
            wanted.iter().any(|w| {
                w.meets_actions(s)
                    && w.meets_resources(s)
                    && !list.iter().any(|d| d.deny && w.removed_by(d, s))
            })
        })
        .map(|s| {
            reason(
                "One or more of the listed actions or resources in the statement",
                s,
            )
        })
        .collect();
    Ok(response(
        reasons,
        messages::ACCESS_NOT_GRANTED,
        messages::ACCESS_GRANTED,
    ))
}

// ---------------------------------------------------------------------------------------
// CheckNoPublicAccess.

/// Condition keys that, tested against fixed values, limit who can call to known accounts,
/// organizations, networks or sources (AWS "What does public mean" in the S3 user guide;
/// Access Analyzer's list of keys that make a policy not public).
const LIMITING_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceowner",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "kms:calleraccount",
];

/// A value fixed at write time for `key`: no wildcard, no policy variable; an address range
/// no wider than a /8 (IPv4) or /32 (IPv6), as S3 counts wider ranges as public; an ARN
/// pattern whose account is fixed (it names principals or sources of one account); a
/// `aws:userid` of one role's sessions (`AROA…:*`).
fn fixed(key: &str, op: Operator, v: &str) -> bool {
    if v.is_empty() || v.contains("${") {
        return false;
    }
    let is_account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    match op {
        Operator::StringLike | Operator::StringNotLike if key == "aws:userid" => v
            .strip_suffix(":*")
            .is_some_and(|id| !id.is_empty() && !id.contains(['*', '?', ':'])),
        Operator::ArnLike
        | Operator::ArnNotLike
        | Operator::StringLike
        | Operator::StringNotLike
            if matches!(key, "aws:principalarn" | "aws:sourcearn") =>
        {
            let segments = split_segments(v);
            segments.first().copied() == Some("arn")
                && segments.get(4).copied().is_some_and(is_account)
                && segments.iter().take(4).all(|s| !s.contains(['*', '?']))
        }
        Operator::IpAddress | Operator::NotIpAddress => {
            let min = if v.contains(':') { 32 } else { 8 };
            v.split_once('/')
                .is_none_or(|(_, bits)| bits.parse::<u32>().is_ok_and(|b| b >= min))
        }
        Operator::StringEquals
        | Operator::StringNotEquals
        | Operator::StringEqualsIgnoreCase
        | Operator::StringNotEqualsIgnoreCase => true,
        _ => !v.contains(['*', '?']),
    }
}

/// `e`, on an `Allow`, admits only callers with a fixed value of a limiting key (or, for a
/// web identity provider `provider`, of its `aud`/`sub`): false for a missing key.
fn limits_callers(e: &Entry, keys: &dyn Fn(&str) -> bool) -> bool {
    use Operator as O;
    keys(&e.key)
        && matches!(
            e.op,
            O::StringEquals
                | O::StringEqualsIgnoreCase
                | O::StringLike
                | O::ArnEquals
                | O::ArnLike
                | O::IpAddress
        )
        && !e.if_exists
        && matches!(e.set, SetQualifier::None | SetQualifier::ForAnyValue)
        && !e.values.is_empty()
        && e.values.iter().all(|v| fixed(&e.key, e.op, v))
}

/// `e`, on a `Deny`, applies to every caller without a fixed value of a limiting key.
fn denies_others(e: &Entry) -> bool {
    use Operator as O;
    LIMITING_KEYS.contains(&e.key.as_str())
        && matches!(
            e.op,
            O::StringNotEquals
                | O::StringNotEqualsIgnoreCase
                | O::StringNotLike
                | O::ArnNotEquals
                | O::ArnNotLike
                | O::NotIpAddress
        )
        && e.set == SetQualifier::None
        && !e.values.is_empty()
        && e.values.iter().all(|v| fixed(&e.key, e.op, v))
}

/// The callers of allow `s` include the public: everyone, everyone but a few
/// (`NotPrincipal`), or users of a web identity provider not limited by its `aud`/`sub`.
fn names_the_public(s: &Statement) -> bool {
    let limited = |key: &dyn Fn(&str) -> bool| s.cond.0.iter().any(|e| limits_callers(e, key));
    if limited(&|k: &str| LIMITING_KEYS.contains(&k)) {
        return false;
    }
    match &s.principal {
        PrincipalSpec::Holder => false,
        PrincipalSpec::Not(_) => true,
        PrincipalSpec::Is(p) if p.anyone => true,
        PrincipalSpec::Is(p) => p.entries.iter().any(|(kind, value)| {
            if kind != "Federated" || value.contains(":saml-provider/") {
                return false;
            }
            let host = value
                .split_once(":oidc-provider/")
                .map_or(value.as_str(), |(_, h)| h)
                .to_ascii_lowercase();
            let aud = format!("{host}:aud");
            let sub = format!("{host}:sub");
            !limited(&|k: &str| k == aud || k == sub)
        }),
    }
}

/// `CheckNoPublicAccess`: FAIL when resource policy `policy` may let the public perform an
/// action on a resource of `resource_type`, with the statements that may.
pub fn check_no_public_access(
    policy: &str,
    resource_type: ResourceType,
    catalogue: &Catalogue,
) -> Result<CheckResponse, CheckError> {
    let kind = if resource_type == ResourceType::IamAssumeRolePolicyDocument {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    };
    parse(policy, kind, "policyDocument")?;
    let universe = Universe::new(catalogue);
    let list = statements(policy, &universe);
    let mut service_bits = universe.empty();
    let mut unknown = Vec::new();
    for prefix in resource_type.service_prefixes() {
        if !universe.matching(&format!("{prefix}:*"), &mut service_bits) {
            unknown.push(format!("{prefix}:*"));
        }
    }
    let reaches_service = |s: &Statement| {
        service_bits.ones().any(|i| s.reach.has(i))
            // Services the catalogue does not list: any action of theirs.
            || s.outside.iter().any(|a| unknown.iter().any(|u| actions_meet(a, u)))
            || (s.not_action && !unknown.is_empty())
    };
    let reasons = list
        .iter()
        .filter(|s| !s.deny && names_the_public(s) && reaches_service(s))
        .filter(|s| {
            // A deny for everyone, on all of the statement's actions of the service and all
            // of its resources, that spares only callers with fixed limiting values.
            !list.iter().any(|d| {
                d.deny
                    && d.principal.is_everyone()
                    && d.cond.0.iter().all(denies_others)
                    && service_bits
                        .ones()
                        .filter(|&i| s.reach.has(i))
                        .all(|i| d.reach.has(i))
                    && unknown.is_empty()
                    && covers_statement_resources(d, s)
            })
        })
        .map(|s| reason("Public access granted in the following statement", s))
        .collect();
    Ok(response(
        reasons,
        messages::NO_PUBLIC_ACCESS,
        messages::PUBLIC_ACCESS,
    ))
}

#[cfg(test)]
mod tests;
