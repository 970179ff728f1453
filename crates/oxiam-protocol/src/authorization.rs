//! The JSON of oxiam's authorization API, version 1 (`POST /authorization/v1/decisions`, and
//! `POST /authorization/v1/who-can`: which principals can perform an action on a resource):
//! not an AWS protocol, but oxiam's own wire format for services that delegate their
//! authorization to it (the server in `oxiam_server::front::authorization`, the client in
//! `oxiam-client`).
//! Member names are camelCase, as in AWS's JSON APIs; docs/authorization-api.md shows
//! complete examples. Unknown members are ignored, so a newer client can talk to an
//! older server.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The versioned path of the decision endpoint.
pub const PATH: &str = "/authorization/v1/decisions";
/// The signing name (credential scope service) of calls to the API.
pub const SIGNING_NAME: &str = "oxiam";
/// The action a service principal needs to ask.
pub const ACTION: &str = "oxiam:Authorize";
/// Decisions per call.
pub const MAX_BATCH: usize = 100;

/// The body of a call: one or more decisions, answered in the same order.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionsRequest {
    pub decisions: Vec<DecisionRequest>,
}

/// One question: may the client who sent `request` perform `action` on `resource`?
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionRequest {
    /// The client's request as the service received it.
    pub request: ClientRequest,
    /// `service:Action`.
    pub action: String,
    /// The resource ARN (`*` for actions without a resource).
    pub resource: String,
    /// The account owning the resource. Default: the ARN's account field, else the
    /// account of the service principal that asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_account: Option<String>,
    /// The resource's resource-based policy, as a JSON document (string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
    /// The resource's tags (`aws:ResourceTag/<key>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_tags: BTreeMap<String, String>,
    /// Further condition keys (`myapp:Quality`, `aws:RequestTag/…`): a string, a boolean,
    /// an integer or a list of strings each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, serde_json::Value>,
    /// The address the client connected from (`aws:SourceIp`), as the service saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// Whether the client's connection used TLS (`aws:SecureTransport`).
    #[serde(default)]
    pub secure_transport: bool,
    /// The service name the client must have signed for (its credential scope). Default:
    /// the action's prefix (`myapp` for `myapp:GetFile`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_name: Option<String>,
}

/// The SigV4 material of the client's request. The body is not sent: its SHA-256 is.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRequest {
    pub method: String,
    /// The path as received, still percent-encoded.
    pub path: String,
    /// The query string as received, without `?` (presigned URLs carry their signature
    /// here).
    #[serde(default)]
    pub query: String,
    /// Every header as received, `[name, value]`, repeated names as separate pairs. Only
    /// the signed ones (and `Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`) matter.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Hex SHA-256 of the body received; absent: an empty body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_sha256: Option<String>,
}

/// The answer: one result per decision asked, in order.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DecisionsResponse {
    pub decisions: Vec<DecisionResult>,
}

/// One decision.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DecisionResult {
    pub allowed: bool,
    /// `Allow`, `ExplicitDeny`, `ImplicitDeny`, `AuthenticationFailed` when the client's
    /// signature did not verify (then `principal` is absent), or `ReportOnlyDeny`
    /// (see `wouldBeDecision`).
    pub decision: String,
    /// Who signed the client's request, when the signature verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<DecisionPrincipal>,
    /// The statements that decided: for an allow, the allowing statement of each policy
    /// type that had to allow; for an explicit deny, the deny statement.
    #[serde(default)]
    pub reasons: Vec<DecisionReason>,
    /// For denials: AWS's message (`User: … is not authorized to perform: …`), or the
    /// authentication error's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For authentication failures: AWS's error code (`SignatureDoesNotMatch`,
    /// `ExpiredToken`, `InvalidClientTokenId`, `SignatureExpired`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// For policy denials: an opaque message that `sts:DecodeAuthorizationMessage` opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoded_message: Option<String>,
    /// For policy denials: the type of the policy that denied (`identity-based policy`,
    /// `permissions boundary`, `session policy`, `resource-based policy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_by: Option<String>,
    /// Set when the client's account enforces in report-only mode and its policies denied:
    /// the request is allowed (`allowed` is true, `decision` is [`REPORT_ONLY_DENY`]) and
    /// this is what enforcement would have decided (`ExplicitDeny` or `ImplicitDeny`);
    /// `message`, `deniedBy`, `reasons` and `encodedMessage` are those of the denial, for
    /// the service to log. Older servers never send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub would_be_decision: Option<String>,
}

/// `decision` of a request allowed only because its account is in report-only mode.
pub const REPORT_ONLY_DENY: &str = "ReportOnlyDeny";

impl DecisionResult {
    /// Whether this allow is a would-be denial of a report-only account.
    pub fn is_report_only_denial(&self) -> bool {
        self.allowed && self.would_be_decision.is_some()
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DecisionPrincipal {
    pub arn: String,
    pub account: String,
    /// `aws:userid`.
    pub user_id: String,
    /// `aws:PrincipalTag/…`: the principal's tags, overlaid by session tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DecisionReason {
    /// `Allow` or `Deny`.
    pub effect: String,
    /// `identity-based policy`, `permissions boundary`, `session policy`,
    /// `resource-based policy`, …
    pub policy_type: String,
    /// The policy's name (inline), ARN (managed) or `resource-based policy`.
    pub policy: String,
    /// The statement's position in its policy, from 0.
    pub statement: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// The body of an error that concerns the whole call (the service principal's own
/// authentication or permission, a malformed body).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    pub request_id: String,
}

/// The path of "who can do X on Y" (`oxiam policy who-can`).
pub const WHO_CAN_PATH: &str = "/authorization/v1/who-can";
/// Who-can calls are signed for IAM, like the IAM API whose data they reveal.
pub const WHO_CAN_SIGNING_NAME: &str = "iam";
/// The action a caller needs (resource `*`): who-can reveals what
/// `GetAccountAuthorizationDetails` reveals (every principal and policy of the account).
pub const WHO_CAN_ACTION: &str = "iam:GetAccountAuthorizationDetails";

/// The body of a who-can call: which principals of the caller's account can perform
/// `action` on `resource`?
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanRequest {
    /// `service:Action`.
    pub action: String,
    /// The resource ARN (`*` for actions without a resource).
    pub resource: String,
    /// Condition keys to fix (a string, a boolean, an integer or a list of strings each);
    /// every other key is open, and an access that depends on one is `conditional`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub context: BTreeMap<String, serde_json::Value>,
    /// The resource's resource-based policy, as a JSON document (string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
}

/// The answer: every principal that can, root first.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanResponse {
    pub account: String,
    pub action: String,
    pub resource: String,
    pub principals: Vec<WhoCanPrincipal>,
    /// What the answer does not cover and where it is an upper bound.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// One principal that can.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanPrincipal {
    /// ARN, account ID, identity provider ARN, service name, or `*`.
    pub principal: String,
    /// `root`, `user`, `role`, `account`, `foreign-principal`, `web-identity`, `saml`,
    /// `service` or `anyone`.
    #[serde(rename = "type")]
    pub principal_type: String,
    /// `allowed` (whatever the open keys) or `conditional` (see the paths' conditions).
    pub access: String,
    /// True when the finding is an upper bound (role sessions, other accounts).
    #[serde(default)]
    pub upper_bound: bool,
    pub paths: Vec<WhoCanPath>,
}

/// One way a principal gets the access.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanPath {
    /// The steps, in order; empty: directly.
    #[serde(default)]
    pub via: Vec<WhoCanHop>,
    pub access: String,
    pub statements: Vec<WhoCanStatement>,
    #[serde(default)]
    pub conditions: Vec<WhoCanCondition>,
}

/// One step of a path.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanHop {
    /// `group` or `assumeRole`.
    #[serde(rename = "type")]
    pub hop_type: String,
    /// The group's name or the role's ARN.
    pub name: String,
}

/// A deciding statement.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanStatement {
    /// `identity-based policy`, `permissions boundary`, `resource-based policy`, …
    pub policy_type: String,
    pub policy: String,
    pub statement: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// `Allow` or `Deny`.
    pub effect: String,
}

/// A condition on an open key the access depends on: of an `Allow` statement, it must
/// hold; of a `Deny` statement, it must not.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoCanCondition {
    pub policy: String,
    pub statement: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: String,
    pub operator: String,
    pub key: String,
}
