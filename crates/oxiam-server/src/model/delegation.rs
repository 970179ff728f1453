//! IAM temporary delegation: a partner's request for temporary access to a customer's
//! account ([`DelegationRequest`]), its lifecycle ([`DelegationState`]) and the trade-in
//! token the partner exchanges for credentials (`sts:GetDelegatedAccessToken`).
//!
//! The handlers are `ops::iam::delegation_requests` and `ops::sts::delegation`; the README
//! ("Temporary delegation") says who may call what and what oxiam chose where AWS is silent.

use serde::{Deserialize, Serialize};

use crate::model::session::SessionPrincipal;
use crate::model::{Epoch, ServicePassword};

/// How long a request waits for the customer before it expires (AWS: "Request expired due
/// to inactivity or timeout"; AWS does not give the time, oxiam chose seven days).
pub const PENDING_SECONDS: Epoch = 7 * 24 * 3600;

/// Requests a partner account keeps (AWS publishes no quota; oxiam bounds the table).
pub const REQUESTS_PER_ACCOUNT: usize = 1000;

/// A request's state, as AWS spells it (`stateType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DelegationState {
    Unassigned,
    Assigned,
    PendingApproval,
    Accepted,
    Finalized,
    Rejected,
    Expired,
}

impl DelegationState {
    pub fn as_str(self) -> &'static str {
        match self {
            DelegationState::Unassigned => "UNASSIGNED",
            DelegationState::Assigned => "ASSIGNED",
            DelegationState::PendingApproval => "PENDING_APPROVAL",
            DelegationState::Accepted => "ACCEPTED",
            DelegationState::Finalized => "FINALIZED",
            DelegationState::Rejected => "REJECTED",
            DelegationState::Expired => "EXPIRED",
        }
    }
}

/// One `PolicyParameter` of a request (`Type` is `string` or `stringList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelegationParameter {
    pub name: String,
    pub values: Vec<String>,
    pub list: bool,
}

/// The trade-in token of a finalized request: the partner presents
/// `<request ID>.<secret>`; only the secret is kept, sealed at rest (see the Entity impl in
/// `ops::iam::delegation_requests`), and compared in constant time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeInToken {
    pub secret: ServicePassword,
    /// Set when the token was exchanged: it is good for one exchange only.
    pub used: bool,
}

/// A delegation request. Keyed by its ID: requests cross accounts (a partner's request is
/// claimed by an identity of the customer's account), so no account owns the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationRequest {
    pub id: String,
    /// The partner's account (`RequestorId`), which created the request.
    pub requestor: String,
    pub requestor_workflow_id: String,
    pub description: String,
    pub request_message: Option<String>,
    pub policy_template_arn: String,
    pub parameters: Vec<DelegationParameter>,
    /// The template with the parameters substituted (`PermissionPolicy`): what the
    /// customer reviews and what the delegated session is limited to.
    pub permission_policy: String,
    pub redirect_url: Option<String>,
    /// The partner's SNS topic ARN, where the trade-in token goes.
    pub notification_channel: String,
    pub session_duration: i32,
    pub only_send_by_owner: bool,
    /// `OwnerAccountId`: given at creation, or the account of the identity that associated it.
    pub owner_account: Option<String>,
    /// `OwnerId`: the ARN of the identity that associated the request.
    pub owner_id: Option<String>,
    /// `ApproverId`: the ARN of the identity that accepted it.
    pub approver_id: Option<String>,
    /// Who the delegated credentials act as: the identity that accepted the request.
    pub approver: Option<SessionPrincipal>,
    pub state: DelegationState,
    pub notes: Option<String>,
    pub rejection_reason: Option<String>,
    pub created: Epoch,
    pub updated: Epoch,
    /// Until when the request may move on (pending states) or its token may be exchanged
    /// (finalized): `ExpirationTime`.
    pub expires: Epoch,
    pub token: Option<TradeInToken>,
}

impl DelegationRequest {
    /// The state as of `now`: a request not finished by its expiration time is `EXPIRED`
    /// (kept as it was, computed on reading, so no timer has to write it).
    pub fn state_at(&self, now: Epoch) -> DelegationState {
        match self.state {
            DelegationState::Rejected | DelegationState::Expired => self.state,
            DelegationState::Finalized => self.state,
            _ if now >= self.expires => DelegationState::Expired,
            s => s,
        }
    }
}
