//! `GetScopedCredentials`: new credentials for the calling session itself — same principal,
//! ARN, session name, tags, source identity and MFA — with fewer permissions (a scope-down
//! policy), a shorter life (`DurationSeconds`), or both.
//!
//! The scope-down policy is appended to the session's own list (`Session::scope_down`),
//! which travels sealed in the new session token like every other session fact; from then
//! on the policy engine caps every request of the new credentials by each of the listed
//! policies, one layer apiece (`oxiam_policy::PolicySet::scope_down`). A call without
//! `Policy` only shortens the life and adds no layer, so it is allowed past the limit of
//! [`MAX_SCOPE_DOWN`] layers.
//!
//! Checks, in order: at least one of `Policy` and `DurationSeconds`; temporary credentials
//! (`InvalidSubjectCredentials` for long-term keys); the policy document
//! (`MalformedPolicyDocument`); the layer limit (`AccessDenied`); the calling session's
//! remaining life (`InsufficientSessionLifetime`); the token's size (`PackedPolicyTooLarge`).

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::sts;

use super::limits::check_policy;
use crate::app::App;
use crate::model::error::{ServerError, api, validation};
use crate::model::session::{MAX_SCOPE_DOWN, Session};
use crate::ops::iam::Ctx;

/// The largest session token oxiam issues, in bytes: what `SessionTokenUtilization` is a
/// percentage of and past which `PackedPolicyTooLarge` refuses the call. AWS publishes no
/// number ("make no assumptions about the maximum size"); 8 KiB holds a role session at
/// its session-policy and tag quotas plus one full (2,048-character) scope-down policy,
/// and is twice the largest `MinimumSessionTokenSize` a client may ask for.
pub const MAX_SESSION_TOKEN_SIZE: usize = 8192;

pub fn get_scoped_credentials(
    app: &App,
    ctx: &Ctx<'_>,
    r: &sts::GetScopedCredentialsRequest,
) -> Result<sts::GetScopedCredentialsResponse, ServerError> {
    if r.policy.is_none() && r.duration_seconds.is_none() {
        return Err(validation(
            "A request must provide at least one of Policy or DurationSeconds.",
        ));
    }
    let caller = ctx.caller;
    let Some(opened) = caller.session.as_deref() else {
        return Err(api(
            ErrorCode::InvalidSubjectCredentials,
            "GetScopedCredentials can only be called with temporary security credentials, \
             not with the long-term credentials of an IAM user or the root user.",
        ));
    };
    let parent = &opened.session;
    if let Some(document) = &r.policy {
        check_policy(document)?;
        if parent.scope_down.len() >= MAX_SCOPE_DOWN {
            return Err(api(
                ErrorCode::AccessDenied,
                format!(
                    "User: {} is not authorized to perform: sts:GetScopedCredentials on resource: * \
                     because the session already has the maximum of {MAX_SCOPE_DOWN} scope down \
                     policies",
                    caller.arn
                ),
            ));
        }
    }
    let now = app.sts.now().unix_timestamp();
    let remaining = parent.expires - now;
    let expires = match r.duration_seconds {
        // Without DurationSeconds the credentials end when the calling session does.
        None => parent.expires,
        Some(seconds) if i64::from(seconds) > remaining => {
            return Err(api(
                ErrorCode::InsufficientSessionLifetime,
                format!(
                    "The requested DurationSeconds ({seconds}) is greater than the remaining \
                     lifetime of the calling session ({remaining} seconds)."
                ),
            ));
        }
        Some(seconds) => now + i64::from(seconds),
    };
    let mut scope_down = parent.scope_down.clone();
    scope_down.extend(r.policy.iter().cloned());
    let session = Session {
        issued: now,
        expires,
        scope_down,
        padding: String::new(),
        ..parent.clone()
    };
    let minimum = r
        .minimum_session_token_size
        .and_then(|m| usize::try_from(m).ok())
        .unwrap_or(0);
    let (credentials, session) = issue_sized(app, session, minimum)?;
    if let Some(description) = &r.scoped_session_description {
        // AWS records the description in CloudTrail; oxiam's log is where it can be read.
        tracing::info!(arn = %caller.arn, description = %description, "scoped session issued");
    }
    let size = credentials.session_token.len();
    Ok(sts::GetScopedCredentialsResponse {
        credentials: Some(credentials),
        session_info: Some(sts::ScopedSession {
            // The identity is the calling session's: its ID and ARN, unchanged.
            scoped_session_id: caller.user_id.clone(),
            arn: caller.arn.clone(),
        }),
        session_token_utilization: Some(percent_of_max(size)),
        session_token_size: Some(i32::try_from(size).unwrap_or(i32::MAX)),
        scoped_policies_count: Some(i32::try_from(session.scope_down.len()).unwrap_or(i32::MAX)),
        source_identity: session.source_identity,
    })
}

/// [`super::issue`], refusing a token over [`MAX_SESSION_TOKEN_SIZE`] and padding one under
/// `minimum` bytes up to at least `minimum`.
fn issue_sized(
    app: &App,
    session: Session,
    minimum: usize,
) -> Result<(sts::Credentials, Session), ServerError> {
    let (mut credentials, mut session) = super::issue(app, session)?;
    let size = credentials.session_token.len();
    if size > MAX_SESSION_TOKEN_SIZE {
        return Err(api(
            ErrorCode::PackedPolicyTooLarge,
            format!(
                "The session token is {size} bytes, more than the maximum allowed size of \
                 {MAX_SESSION_TOKEN_SIZE} bytes."
            ),
        ));
    }
    let short = minimum.saturating_sub(size);
    if short > 0 {
        // Base64 writes 4 characters per 3 bytes: 3/4 of the shortfall in filler (the
        // field's own `,"z":""` only adds) makes the token at least `minimum` long.
        session.padding = " ".repeat((short * 3).div_ceil(4));
        credentials.session_token = app.token_key()?.seal(&session)?;
    }
    Ok((credentials, session))
}

/// `SessionTokenUtilization`: the share of [`MAX_SESSION_TOKEN_SIZE`] a token of `size`
/// bytes uses, in percent, rounded up.
fn percent_of_max(size: usize) -> i32 {
    let percent = size.saturating_mul(100).div_ceil(MAX_SESSION_TOKEN_SIZE);
    i32::try_from(percent.min(100)).unwrap_or(100)
}
