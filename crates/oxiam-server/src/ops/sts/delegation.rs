//! `GetDelegatedAccessToken`: a partner trades the token of a finalized delegation request
//! (`ops::iam::delegation_requests`) for temporary credentials in the customer's account.
//!
//! The credentials act as the identity that accepted the request (AWS: "This is the
//! identity that gets mapped to the delegated credential"), limited by the request's
//! permission policy as a session policy, so they can do what both allow. They end when the
//! delegation period ends (`SessionDuration` after the token was sent).

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::sts;

use super::limits::SessionInput;
use crate::app::App;
use crate::model::ServicePassword;
use crate::model::delegation::{DelegationRequest, DelegationState};
use crate::model::error::{ServerError, api};
use crate::ops::iam::Ctx;

/// AWS's message. oxiam gives it for every token it does not exchange (unknown, another
/// account's, used, expired), so a caller learns nothing about tokens it does not hold.
const EXPIRED: &str = "The trade-in token provided in the request has expired and can no longer be exchanged for credentials. Request a new token and retry the operation.";

fn refused() -> ServerError {
    api(ErrorCode::ExpiredTradeInTokenException, EXPIRED)
}

/// Checks the token against the request it names and marks it used, in one write: two
/// exchanges of one token cannot both succeed.
fn redeem(
    app: &App,
    ctx: &Ctx<'_>,
    presented: &str,
    now: i64,
) -> Result<DelegationRequest, ServerError> {
    let (id, secret) = presented.split_once('.').ok_or_else(refused)?;
    let secret = ServicePassword::new(secret.to_owned());
    app.write(|tx| {
        let mut d = tx
            .state()
            .delegation_requests
            .get(id)
            .map(|d| DelegationRequest::clone(d))
            .ok_or_else(refused)?;
        // Only the partner that made the request may trade its token.
        let token = d
            .token
            .as_mut()
            .filter(|_| d.requestor == ctx.caller.account)
            .ok_or_else(refused)?;
        // INVARIANT (token-compare): constant time (`ServicePassword`'s `PartialEq`).
        let matches = token.secret == secret;
        if !matches || token.used || d.state != DelegationState::Finalized || now >= d.expires {
            return Err(refused());
        }
        token.used = true;
        tx.put(d.clone())?;
        Ok(d)
    })
}

pub fn get_delegated_access_token(
    app: &App,
    ctx: &Ctx<'_>,
    r: &sts::GetDelegatedAccessTokenRequest,
) -> Result<sts::GetDelegatedAccessTokenResponse, ServerError> {
    let now = app.sts.now().unix_timestamp();
    let d = redeem(app, ctx, &r.trade_in_token, now)?;
    let (Some(account), Some(principal), Some(approver_arn)) = (
        d.owner_account.clone(),
        d.approver.clone(),
        d.approver_id.clone(),
    ) else {
        return Err(ServerError::Internal(format!(
            "finalized delegation request {} has no approver",
            d.id
        )));
    };
    let seconds = i32::try_from((d.expires - now).max(1)).unwrap_or(d.session_duration);
    let input = SessionInput {
        policy: Some(d.permission_policy.clone()),
        ..SessionInput::default()
    };
    let session = crate::model::session::Session {
        delegation: Some(d.id.clone()),
        ..super::new_session(&account, principal, now, seconds, input)
    };
    let (credentials, _) = super::issue(app, session)?;
    Ok(sts::GetDelegatedAccessTokenResponse {
        credentials: Some(credentials),
        // Deprecated, "not populated for GetDelegatedAccessToken".
        packed_policy_size: None,
        assumed_principal: Some(approver_arn),
    })
}
