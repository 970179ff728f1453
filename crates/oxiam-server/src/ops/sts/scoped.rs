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
/// number ("make no assumptions about the maximum size"); 8 KiB holds about a role session
/// at its session-policy and tag quotas plus one full (2,048-character) scope-down policy,
/// or an ordinary session plus two, and is twice the largest `MinimumSessionTokenSize` a
/// client may ask for.
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxiam_protocol::Service;
    use oxiam_protocol::error::ApiError;

    use super::*;
    use crate::auth::authn::{Caller, CallerKind};
    use crate::auth::decide::RequestEnv;
    use crate::model::session::tests::role_session;
    use crate::runtime::sessions::OpenedSession;
    use crate::state::token_keys;

    const ACCOUNT: &str = "123456789012";
    const POLICY: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:Get*","Resource":"*"}}"#;

    fn app() -> Arc<App> {
        crate::app::test_support::app(ACCOUNT, None)
    }

    /// A role session with an hour left by `app`'s clock.
    fn session(app: &App) -> Session {
        let now = app.sts.now().unix_timestamp();
        Session {
            issued: now - 60,
            expires: now + 3600,
            source_identity: Some("alice".into()),
            ..role_session()
        }
    }

    fn caller(session: Session) -> Caller {
        Caller {
            account: ACCOUNT.into(),
            arn: session.arn(|_| None).unwrap(),
            user_id: session.user_id(),
            kind: CallerKind::AssumedRole {
                role_name: "app".into(),
                session_name: "job-1".into(),
            },
            access_key_id: session.access_key_id.clone(),
            region: String::new(),
            session: Some(Arc::new(OpenedSession::new("token", session))),
        }
    }

    fn call(
        app: &App,
        caller: &Caller,
        r: &sts::GetScopedCredentialsRequest,
    ) -> Result<sts::GetScopedCredentialsResponse, ApiError> {
        let env = RequestEnv::now();
        let ctx = Ctx {
            caller,
            quotas: &app.config.quotas,
            env: &env,
        };
        get_scoped_credentials(app, &ctx, r).map_err(|e| e.to_api(Service::Sts))
    }

    fn policy(p: &str) -> sts::GetScopedCredentialsRequest {
        sts::GetScopedCredentialsRequest {
            policy: Some(p.into()),
            ..Default::default()
        }
    }

    fn duration(seconds: i32) -> sts::GetScopedCredentialsRequest {
        sts::GetScopedCredentialsRequest {
            duration_seconds: Some(seconds),
            ..Default::default()
        }
    }

    #[test]
    fn the_new_session_is_the_callers_with_the_policy_appended() {
        let app = app();
        let parent = session(&app);
        let c = caller(parent.clone());
        let out = call(&app, &c, &policy(POLICY)).unwrap();
        let credentials = out.credentials.unwrap();
        assert_ne!(credentials.access_key_id, parent.access_key_id);
        assert_eq!(
            out.session_info.unwrap(),
            sts::ScopedSession {
                scoped_session_id: "AROAEXAMPLE:job-1".into(),
                arn: "arn:aws:sts::123456789012:assumed-role/app/job-1".into(),
            }
        );
        assert_eq!(out.scoped_policies_count, Some(1));
        assert_eq!(out.source_identity.as_deref(), Some("alice"));
        let size = credentials.session_token.len();
        assert_eq!(out.session_token_size, Some(i32::try_from(size).unwrap()));
        assert_eq!(out.session_token_utilization, Some(percent_of_max(size)));
        // What the token carries: the calling session's facts, the new key, the new layer.
        let sealed = token_keys::open(&app.snapshot(), &credentials.session_token).unwrap();
        assert_eq!(sealed.access_key_id, credentials.access_key_id);
        assert_eq!(sealed.secret.expose(), credentials.secret_access_key);
        assert_eq!(sealed.scope_down, [POLICY]);
        assert_eq!(
            Session {
                access_key_id: parent.access_key_id.clone(),
                secret: parent.secret.clone(),
                issued: parent.issued,
                scope_down: Vec::new(),
                ..sealed.clone()
            },
            parent,
            "everything else is the calling session's, its expiry included"
        );
        // Recursion appends, oldest first.
        let again = call(&app, &caller(sealed), &policy(POLICY)).unwrap();
        assert_eq!(again.scoped_policies_count, Some(2));
    }

    #[test]
    fn errors_come_in_aws_order() {
        let app = app();
        let code = |r: Result<_, ApiError>| r.map(drop).unwrap_err().code;
        let c = caller(session(&app));
        let none = sts::GetScopedCredentialsRequest::default();
        assert_eq!(code(call(&app, &c, &none)), ErrorCode::ValidationError);
        let root = Caller::root(ACCOUNT, "AKIAROOT");
        assert_eq!(
            code(call(&app, &root, &duration(60))),
            ErrorCode::InvalidSubjectCredentials
        );
        assert_eq!(
            code(call(&app, &c, &policy("{"))),
            ErrorCode::MalformedPolicyDocument
        );
        assert_eq!(
            code(call(&app, &c, &duration(3601))),
            ErrorCode::InsufficientSessionLifetime
        );
        let out = call(&app, &c, &duration(3600)).unwrap();
        assert_eq!(out.scoped_policies_count, Some(0));
        assert_eq!(out.source_identity.as_deref(), Some("alice"));
        // Three layers at most; a call that only shortens the life adds none.
        let full = caller(Session {
            scope_down: vec![POLICY.into(); MAX_SCOPE_DOWN],
            ..session(&app)
        });
        let err = call(&app, &full, &policy(POLICY)).unwrap_err();
        assert_eq!(err.code, ErrorCode::AccessDenied);
        assert!(err.message.contains("maximum of 3"), "{}", err.message);
        let shorter = call(&app, &full, &duration(60)).unwrap();
        assert_eq!(shorter.scoped_policies_count, Some(3));
    }

    #[test]
    fn the_token_is_padded_to_the_minimum_and_refused_past_the_maximum() {
        let app = app();
        let c = caller(session(&app));
        for minimum in [0, 1, 1000, 2047, 2048, 2049, 4095, 4096] {
            let r = sts::GetScopedCredentialsRequest {
                minimum_session_token_size: Some(minimum),
                ..duration(60)
            };
            let out = call(&app, &c, &r).unwrap();
            let token = out.credentials.unwrap().session_token;
            assert!(
                token.len() >= usize::try_from(minimum).unwrap(),
                "{minimum}"
            );
            assert!(
                token.len() < usize::try_from(minimum).unwrap() + 700,
                "{minimum}"
            );
            assert_eq!(
                out.session_token_size,
                Some(i32::try_from(token.len()).unwrap())
            );
            assert!(token_keys::open(&app.snapshot(), &token).is_ok());
        }
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"{}","Effect":"Allow","Action":"*","Resource":"*"}}}}"#,
            "x".repeat(1900)
        );
        let full = caller(Session {
            scope_down: vec![big.clone(); 2],
            ..session(&app)
        });
        let err = call(&app, &full, &policy(&big)).unwrap_err();
        assert_eq!(err.code, ErrorCode::PackedPolicyTooLarge);
        assert!(err.message.contains("8192 bytes"), "{}", err.message);
        assert_eq!(percent_of_max(0), 0);
        assert_eq!(percent_of_max(1), 1);
        assert_eq!(percent_of_max(MAX_SESSION_TOKEN_SIZE), 100);
    }
}
