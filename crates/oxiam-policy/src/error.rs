//! Parse and validation errors: AWS's `MalformedPolicyDocument` message plus the place in the
//! document that caused it, for our own tools.

use std::fmt;

/// Where in the policy document a finding points.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Location {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// Byte offset into the document.
    pub offset: usize,
    /// JSON path of the offending element, e.g. `$.Statement[1].Resource[0]`.
    pub path: String,
}

impl Location {
    /// Computes line and column of `offset` in `src`.
    pub(crate) fn at(src: &str, offset: usize, path: String) -> Self {
        let offset = offset.min(src.len());
        let before = src.get(..offset).unwrap_or("");
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Self {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
            offset,
            path,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} ({})", self.line, self.column, self.path)
    }
}

/// Which AWS error a rejected document maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `MalformedPolicyDocument` (HTTP 400).
    MalformedPolicyDocument,
    /// `LimitExceeded` (HTTP 409): the document is larger than the quota for its kind.
    LimitExceeded,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// AWS rejects the document.
    Error,
    /// AWS accepts the document but it probably does not do what its author meant.
    Warning,
}

/// The stage of AWS's validation that finds a problem. When a document has several problems
/// AWS reports the one found by the earliest stage, so `parse` orders findings by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Stage {
    Size,
    Syntax,
    Version,
    Legacy,
    Resource,
    Action,
    Principal,
    Sid,
    Required,
    Warning,
}

/// One problem in a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Which AWS error this is.
    pub kind: ErrorKind,
    /// The message AWS returns for this problem, verbatim.
    pub message: String,
    /// Where it is.
    pub location: Location,
    pub(crate) stage: Stage,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {sev}: {}", self.location, self.message)
    }
}

/// A policy document that AWS would reject.
///
/// `message()` is the text AWS puts in its `MalformedPolicyDocument` (or `LimitExceeded`)
/// error; `location()` says where in the document the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy document rejected at line {}, column {} (`{}`): {}", .finding.location.line, .finding.location.column, .finding.location.path, .finding.message)]
pub struct PolicyError {
    finding: Finding,
}

impl PolicyError {
    pub(crate) fn new(finding: Finding) -> Self {
        Self { finding }
    }

    /// AWS's error message, e.g. `Syntax errors in policy.`
    pub fn message(&self) -> &str {
        &self.finding.message
    }

    /// Which AWS error code this maps to.
    pub fn kind(&self) -> ErrorKind {
        self.finding.kind
    }

    /// Where in the document the problem is.
    pub fn location(&self) -> &Location {
        &self.finding.location
    }

    /// The whole finding.
    pub fn finding(&self) -> &Finding {
        &self.finding
    }
}

/// AWS's message texts, in one place so tests and the server agree on them.
pub mod messages {
    /// Bad JSON, unknown fields, wrong value types, bad `Effect`, empty `Statement`.
    pub const SYNTAX: &str = "Syntax errors in policy.";
    /// Values AWS's older parser rejects: `Effect` in the wrong case, bad dates, bad ARNs.
    pub const LEGACY: &str = "The policy failed legacy parsing";
    /// Where the caller demands version 2012-10-17 (see `ParseOptions`).
    pub const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
    /// A `Principal` in a policy kind that has none.
    pub const PRINCIPAL_PROHIBITED: &str = "Policy document should not specify a principal.";
    /// Two statements with the same `Sid`.
    pub const SID_UNIQUE: &str = "Statement IDs (SID) in a single policy must be unique.";
    /// A `Sid` with characters IAM does not accept.
    pub const SID_ALPHANUMERIC: &str = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
    /// No `Action`/`NotAction`, or an empty one.
    pub const ACTIONS_REQUIRED: &str = "Policy statement must contain actions.";
    /// No `Resource`/`NotResource`, or an empty one, where the kind needs one.
    pub const RESOURCES_REQUIRED: &str = "Policy statement must contain resources.";
    /// An action (or condition key) without a `vendor:` prefix.
    pub const ACTION_VENDOR: &str =
        "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
    /// An action with two colons.
    pub const ACTION_COLON: &str = "Actions/Condition can contain only one colon.";
    /// A resource ARN without a service.
    pub const RESOURCE_VENDOR: &str =
        "Resource vendor must be fully qualified and cannot contain regexes.";
    /// An IAM resource whose path names no IAM resource type.
    pub const IAM_RESOURCE_PATH: &str = "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";
    /// A condition key AWS does not accept.
    pub const CONDITION_KEY: &str = "Policy has an invalid condition key";
    /// `Missing required field Principal`.
    pub const PRINCIPAL_REQUIRED: &str = "Missing required field Principal";
}
