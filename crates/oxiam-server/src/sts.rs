//! STS: temporary credentials.
//!
//! Map:
//! - [`session`]: what a session token carries ([`Session`](session::Session)).
//! - [`token`]: sealing sessions into tokens, the token keys in the store and their rotation.
//! - [`runtime`]: per node: the STS clock (movable in dev mode) and recently opened sessions.
//! - [`authn`]: authenticating a request signed with temporary credentials.
//! - [`decide`]: authorizing it: the session's principal's policies ∩ session policies, and
//!   the session's condition keys; what session credentials may not call at all.
//! - [`jwt`], [`oidc`]: web identity tokens (RS256/ES256 JWTs) and their issuers' keys.
//! - [`outbound`]: oxiam as an OIDC issuer (`GetWebIdentityToken` and the IAM operations
//!   that enable it per account).
//! - Handlers: [`assume_role`], [`federation`] (`GetSessionToken`, `GetFederationToken`),
//!   [`web_identity`] (`AssumeRoleWithWebIdentity`, unsigned), and `GetCallerIdentity`,
//!   `GetAccessKeyInfo` below; `DecodeAuthorizationMessage` opens the messages of the
//!   authorization API (`crate::authorization::message`).

pub mod assume_role;
pub mod authn;
pub mod decide;
pub mod federation;
pub mod jwt;
pub mod limits;
pub mod oidc;
pub mod outbound;
pub mod runtime;
pub mod session;
pub mod token;
pub mod web_identity;

use oxiam_protocol::sts;

use crate::app::App;
use crate::authn::Caller;
use oxiam_protocol::error::ErrorCode;

use crate::error::{ServerError, api, not_implemented, validation};
use crate::ids;
use crate::model::to_datetime;
use crate::operations::Target;
use crate::state::State;
use session::Session;

/// The action and resource AWS authorizes each STS operation on. `AssumeRole` is decided
/// by its handler (trust policy and identity policies together), `GetCallerIdentity` and
/// `GetSessionToken` need no permission.
pub fn target(r: &sts::Request, caller: &Caller, state: &State) -> Target {
    let action = format!("sts:{}", r.operation().name());
    match r {
        sts::Request::GetCallerIdentity(_) | sts::Request::GetSessionToken(_) => {
            Target::always(action, "*".to_owned())
        }
        sts::Request::AssumeRole(q) => Target::always(action, q.role_arn.clone()),
        sts::Request::GetFederationToken(q) => federation::target(q, caller, state),
        sts::Request::GetWebIdentityToken(q) => {
            let mut t = Target::new(action, "*".to_owned());
            t.key("sts:IdentityTokenAudience", q.audience.clone());
            t.key(
                "sts:DurationSeconds",
                i64::from(q.duration_seconds.unwrap_or(300)),
            );
            t.key("sts:SigningAlgorithm", q.signing_algorithm.as_str());
            if let Some(tags) = &q.tags {
                for tag in tags {
                    t.key(&format!("aws:RequestTag/{}", tag.key), tag.value.as_str());
                }
                t.key(
                    "aws:TagKeys",
                    tags.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
                );
            }
            t
        }
        _ => Target::new(action, "*".to_owned()),
    }
}

/// Runs an STS operation. Blocking: issuing may rotate the token key (a store write).
pub fn dispatch(
    app: &App,
    caller: &Caller,
    request: &sts::Request,
) -> Result<sts::Response, ServerError> {
    use sts::{Request as Q, Response as A};
    Ok(match request {
        Q::GetCallerIdentity(_) => A::GetCallerIdentity(get_caller_identity(caller)),
        Q::GetAccessKeyInfo(r) => A::GetAccessKeyInfo(get_access_key_info(&app.snapshot(), r)?),
        Q::AssumeRole(r) => A::AssumeRole(assume_role::assume_role(app, caller, r)?),
        Q::GetSessionToken(r) => A::GetSessionToken(federation::get_session_token(app, caller, r)?),
        Q::GetFederationToken(r) => {
            A::GetFederationToken(federation::get_federation_token(app, caller, r)?)
        }
        Q::DecodeAuthorizationMessage(r) => {
            A::DecodeAuthorizationMessage(sts::DecodeAuthorizationMessageResponse {
                decoded_message: Some(crate::authorization::message::decode(
                    &app.snapshot(),
                    &r.encoded_message,
                )?),
            })
        }
        Q::GetWebIdentityToken(r) => {
            A::GetWebIdentityToken(outbound::get_web_identity_token(app, caller, r)?)
        }
        other => return Err(not_implemented(other.operation().name())),
    })
}

/// The operations AWS serves without a signature: their token or assertion is the
/// credential, and their handler decides with the role's trust policy alone.
pub fn is_unsigned(action: Option<&str>) -> bool {
    matches!(
        action,
        Some("AssumeRoleWithWebIdentity" | "AssumeRoleWithSAML")
    )
}

/// Runs an unsigned operation (see [`is_unsigned`]). Blocking: it may fetch an issuer's
/// keys and rotate the token key.
pub fn dispatch_unsigned(
    app: &App,
    request: &sts::Request,
    env: &crate::decide::RequestEnv,
) -> Result<sts::Response, ServerError> {
    use sts::{Request as Q, Response as A};
    Ok(match request {
        Q::AssumeRoleWithWebIdentity(r) => {
            A::AssumeRoleWithWebIdentity(web_identity::assume_role_with_web_identity(app, r, env)?)
        }
        // No crate we could vet verifies XML signatures soundly and leanly: samael (0.0.x)
        // binds libxmlsec1 through unsafe FFI and leaves signature-wrapping defence to its
        // caller; hand-rolled canonicalization is how SAML bypasses happen. Refusing
        // clearly beats half-verifying an assertion that grants a role.
        Q::AssumeRoleWithSAML(_) => {
            return Err(api(
                ErrorCode::NotImplemented,
                "oxiam does not implement AssumeRoleWithSAML: it has no vetted XML signature verifier, and it does not accept SAML assertions it cannot verify",
            ));
        }
        other => return Err(not_implemented(other.operation().name())),
    })
}

/// GetCallerIdentity needs no permission in AWS: it always answers who the caller is.
pub fn get_caller_identity(caller: &Caller) -> sts::GetCallerIdentityResponse {
    sts::GetCallerIdentityResponse {
        user_id: Some(caller.user_id.clone()),
        account: Some(caller.account.clone()),
        arn: Some(caller.arn.clone()),
    }
}

/// The account of any access key ID: long-term keys from the snapshot, temporary ones from
/// the ID itself (they carry their account).
pub fn get_access_key_info(
    state: &State,
    r: &sts::GetAccessKeyInfoRequest,
) -> Result<sts::GetAccessKeyInfoResponse, ServerError> {
    let account = state
        .access_keys
        .get(&r.access_key_id)
        .map(|k| k.account.clone())
        .or_else(|| ids::account_of_session_key(&r.access_key_id));
    match account {
        Some(account) => Ok(sts::GetAccessKeyInfoResponse {
            account: Some(account),
        }),
        None => Err(validation(format!(
            "The access key ID {} is not one this service issued.",
            r.access_key_id
        ))),
    }
}

/// Issues the credentials of `session`: a fresh `ASIA…` key ID and secret, sealed with the
/// current token key. `session`'s key and secret are replaced.
pub fn issue(app: &App, mut session: Session) -> Result<(sts::Credentials, Session), ServerError> {
    session.access_key_id = ids::session_access_key_id(&session.account);
    session.secret = crate::state::new_secret();
    let key = token::signing_key(app)?;
    let token = key.seal(&session)?;
    let credentials = sts::Credentials {
        access_key_id: session.access_key_id.clone(),
        secret_access_key: session.secret.expose().to_owned(),
        session_token: token,
        expiration: to_datetime(session.expires),
    };
    Ok((credentials, session))
}
