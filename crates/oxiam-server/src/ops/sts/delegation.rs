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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxiam_protocol::Service;
    use oxiam_protocol::iam;

    use super::*;
    use crate::model::delegation::{PENDING_SECONDS, TradeInToken};
    use crate::model::quotas::Quotas;
    use crate::model::session::SessionPrincipal;
    use crate::ops::iam::test_support::with_root;

    const PARTNER: &str = "210987654321";
    const CUSTOMER: &str = "123456789012";

    fn app() -> Arc<App> {
        crate::app::test_support::app(CUSTOMER, None)
    }

    fn finalized(app: &App, state: DelegationState) -> String {
        let now = app.sts.now().unix_timestamp();
        let d = DelegationRequest {
            id: "dr-testtesttesttesttest".into(),
            requestor: PARTNER.into(),
            requestor_workflow_id: "w".into(),
            description: "d".into(),
            request_message: None,
            policy_template_arn: "arn:aws:iam::aws:policy/IAMReadOnlyAccess".into(),
            parameters: Vec::new(),
            permission_policy: r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*"}}"#.into(),
            redirect_url: None,
            notification_channel: format!("arn:aws:sns:us-east-1:{PARTNER}:t"),
            session_duration: 900,
            only_send_by_owner: false,
            owner_account: Some(CUSTOMER.into()),
            owner_id: Some(format!("arn:aws:iam::{CUSTOMER}:root")),
            approver_id: Some(format!("arn:aws:iam::{CUSTOMER}:root")),
            approver: Some(SessionPrincipal::Root),
            state,
            notes: None,
            rejection_reason: None,
            created: now,
            updated: now,
            expires: now + 900,
            token: Some(TradeInToken {
                secret: ServicePassword::new("s".repeat(40)),
                used: false,
            }),
        };
        app.write(|tx| tx.put(d.clone())).unwrap();
        format!("{}.{}", d.id, "s".repeat(40))
    }

    fn exchange(
        app: &App,
        account: &str,
        token: &str,
    ) -> Result<sts::GetDelegatedAccessTokenResponse, ErrorCode> {
        let r = sts::GetDelegatedAccessTokenRequest {
            trade_in_token: token.to_owned(),
        };
        with_root(account, &Quotas::default(), |ctx| {
            get_delegated_access_token(app, ctx, &r)
        })
        .map_err(|e| e.to_api(Service::Sts).code)
    }

    #[test]
    fn a_token_is_traded_once_by_its_partner_only() {
        let app = app();
        let token = finalized(&app, DelegationState::Finalized);
        let refused = Err(ErrorCode::ExpiredTradeInTokenException);
        // Another account, a wrong secret, no separator: refused, and the token not used up.
        assert_eq!(exchange(&app, CUSTOMER, &token).map(drop), refused);
        let wrong = format!("{}x", token.trim_end_matches('s'));
        assert_eq!(exchange(&app, PARTNER, &wrong).map(drop), refused);
        assert_eq!(exchange(&app, PARTNER, "no-separator").map(drop), refused);
        let out = exchange(&app, PARTNER, &token).unwrap();
        assert_eq!(
            out.assumed_principal.as_deref(),
            Some("arn:aws:iam::123456789012:root")
        );
        assert!(out.credentials.unwrap().access_key_id.starts_with("ASIA"));
        assert!(out.packed_policy_size.is_none());
        assert_eq!(exchange(&app, PARTNER, &token).map(drop), refused);
    }

    #[test]
    fn only_a_finalized_unexpired_request_trades() {
        let app = app();
        let token = finalized(&app, DelegationState::Accepted);
        assert_eq!(
            exchange(&app, PARTNER, &token).map(drop),
            Err(ErrorCode::ExpiredTradeInTokenException)
        );
        let token = finalized(&app, DelegationState::Finalized);
        app.sts.set_clock_offset(PENDING_SECONDS);
        assert_eq!(
            exchange(&app, PARTNER, &token).map(drop),
            Err(ErrorCode::ExpiredTradeInTokenException)
        );
    }

    #[test]
    fn without_a_data_directory_no_token_is_sent_and_nothing_changes() {
        let app = app();
        finalized(&app, DelegationState::Accepted);
        let r = iam::SendDelegationTokenRequest {
            delegation_request_id: "dr-testtesttesttesttest".into(),
        };
        let e = with_root(CUSTOMER, &Quotas::default(), |ctx| {
            crate::ops::iam::delegation_requests::send_delegation_token(&app, ctx, &r)
        })
        .unwrap_err()
        .to_api(Service::Iam);
        assert_eq!(e.code, ErrorCode::InvalidInput);
        let state = app.snapshot();
        let d = state
            .delegation_requests
            .get("dr-testtesttesttesttest")
            .unwrap();
        assert_eq!(d.state, DelegationState::Accepted);
    }
}
