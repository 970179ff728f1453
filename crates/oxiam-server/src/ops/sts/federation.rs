//! Sessions of IAM users and the root: `GetSessionToken` (the caller's own permissions,
//! for MFA-protected calls) and `GetFederationToken` (a federated user whose permissions
//! are the IAM user's, capped by the session policies passed).

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::sts;

use super::limits::{check_mfa, check_tags, session_input};
use crate::app::App;
use crate::auth::authn::CallerKind;
use crate::auth::target::Target;
use crate::model::error::{ServerError, api};
use crate::model::session::{Session, SessionPrincipal};
use crate::ops::Resolver;
use crate::ops::iam::Ctx;

/// `GetSessionToken` of an IAM user: 15 minutes to 36 hours, 12 by default.
const USER_DEFAULT_SECONDS: i32 = 43_200;
/// `GetSessionToken` of the root: at most (and by default) one hour.
const ROOT_MAX_SECONDS: i32 = 3_600;
/// `GetFederationToken`: 12 hours by default.
const FEDERATION_DEFAULT_SECONDS: i32 = 43_200;

/// `sts:GetFederationToken` on `arn:aws:sts::ACCT:federated-user/NAME`, with the request's
/// tags as `aws:RequestTag/…`, and `sts:TagSession` too when it passes tags.
pub fn get_federation_token_target(r: &sts::GetFederationTokenRequest, x: &Resolver<'_>) -> Target {
    let resource = format!("arn:aws:sts::{}:federated-user/{}", x.account(), r.name);
    let mut t = Target::new(x.action.clone(), resource.clone()).session_tags(r.tags.as_deref());
    if r.tags.is_some() {
        let mut tag_session = Target::new("sts:TagSession".to_owned(), resource);
        tag_session.keys.clone_from(&t.keys);
        t.dependent.push(tag_session);
    }
    t
}

pub fn get_session_token(
    app: &App,
    ctx: &Ctx<'_>,
    r: &sts::GetSessionTokenRequest,
) -> Result<sts::GetSessionTokenResponse, ServerError> {
    let caller = ctx.caller;
    if caller.is_session() {
        // Also refused earlier (`session_limits`); kept so the handler stands alone.
        return Err(api(
            ErrorCode::AccessDenied,
            "Cannot call GetSessionToken with session credentials",
        ));
    }
    let mfa = check_mfa(app, caller, r.serial_number.as_ref(), r.token_code.as_ref())?;
    let (principal, seconds) = match &caller.kind {
        // A root session lasts at most an hour; longer requests get the hour.
        CallerKind::Root => (
            SessionPrincipal::Root,
            r.duration_seconds
                .unwrap_or(ROOT_MAX_SECONDS)
                .min(ROOT_MAX_SECONDS),
        ),
        CallerKind::User { .. } => (
            SessionPrincipal::User {
                user_id: caller.user_id.clone(),
            },
            r.duration_seconds.unwrap_or(USER_DEFAULT_SECONDS),
        ),
        CallerKind::AssumedRole { .. } | CallerKind::FederatedUser { .. } => {
            return Err(api(
                ErrorCode::AccessDenied,
                "Cannot call GetSessionToken with session credentials",
            ));
        }
    };
    let now = app.sts.now().unix_timestamp();
    let session = Session {
        mfa,
        ..super::new_session(&caller.account, principal, now, seconds, Default::default())
    };
    let (credentials, _) = super::issue(app, session)?;
    Ok(sts::GetSessionTokenResponse {
        credentials: Some(credentials),
        ..Default::default()
    })
}

pub fn get_federation_token(
    app: &App,
    ctx: &Ctx<'_>,
    r: &sts::GetFederationTokenRequest,
) -> Result<sts::GetFederationTokenResponse, ServerError> {
    let caller = ctx.caller;
    // The root may federate too (AWS advises against it): its federated users stand on
    // the root's permissions (`SessionPrincipal::FederatedUser`'s `user_id` is then the
    // account ID), for an hour at most.
    let (user_id, longest) = match (&caller.kind, caller.is_session()) {
        (CallerKind::User { .. }, false) => (caller.user_id.clone(), i32::MAX),
        (CallerKind::Root, false) => (caller.account.clone(), ROOT_MAX_SECONDS),
        // Role and federated-user callers are always sessions.
        _ => {
            return Err(api(
                ErrorCode::AccessDenied,
                "Cannot call GetFederationToken with session credentials",
            ));
        }
    };
    let state = app.snapshot();
    let tags = check_tags(r.tags.as_deref().unwrap_or_default())?;
    let input = session_input(
        &state,
        &caller.account,
        r.policy.as_ref(),
        r.policy_arns.as_deref(),
        tags,
    )?;
    let principal = SessionPrincipal::FederatedUser {
        name: r.name.clone(),
        user_id,
    };
    // AWS: a root's federation session longer than an hour "defaults to one hour".
    let seconds = r
        .duration_seconds
        .unwrap_or(FEDERATION_DEFAULT_SECONDS)
        .min(longest);
    let packed_policy_size = input.packed_percent;
    let now = app.sts.now().unix_timestamp();
    let session = super::new_session(&caller.account, principal, now, seconds, input);
    let (credentials, session) = super::issue(app, session)?;
    Ok(sts::GetFederationTokenResponse {
        credentials: Some(credentials),
        federated_user: Some(sts::FederatedUser {
            federated_user_id: session.user_id(),
            arn: session.arn(|_| None).unwrap_or_else(|| {
                format!("arn:aws:sts::{}:federated-user/{}", caller.account, r.name)
            }),
        }),
        packed_policy_size,
        ..Default::default()
    })
}
