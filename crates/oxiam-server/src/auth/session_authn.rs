//! Authentication with temporary credentials: an `ASIA…` key ID and `X-Amz-Security-Token`.
//! The token is opened (never looked up), must name the key ID that signed, must not have
//! expired, and its secret must verify the signature. The principal it names must still be
//! there: a session of a deleted role (or of a role deleted and created again) is refused.

use oxiam_protocol::error::ErrorCode;
use oxiam_sigv4::{HttpRequest, Parsed};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use crate::app::App;
use crate::auth::authn::{Caller, CallerKind, invalid_token};
use crate::model::error::{ServerError, api};
use crate::model::session::SessionPrincipal;

fn expired_token() -> ServerError {
    api(
        ErrorCode::ExpiredToken,
        "The security token included in the request is expired",
    )
}

/// `now` is the wall clock SigV4 timestamps are checked against; expiry is judged by the
/// STS clock (`app.sts.now()`), which dev mode may move.
pub fn authenticate(
    app: &App,
    http: &HttpRequest<'_>,
    parsed: &Parsed<'_>,
    token: &str,
    now: OffsetDateTime,
    body_sha256: Option<&[u8; 32]>,
) -> Result<Caller, ServerError> {
    let state = app.snapshot();
    let opened = app
        .sts
        .open(&state, parsed.access_key_id, token)
        .map_err(|_| invalid_token())?;
    let session = &opened.session;
    let same_key: bool = session
        .access_key_id
        .as_bytes()
        .ct_eq(parsed.access_key_id.as_bytes())
        .into();
    if !same_key {
        return Err(invalid_token());
    }
    if app.sts.now().unix_timestamp() >= session.expires {
        return Err(expired_token());
    }
    crate::auth::authn::verify(app, http, parsed, &session.secret, now, body_sha256)?;
    let account = &session.account;
    let (arn, kind) = match &session.principal {
        SessionPrincipal::AssumedRole {
            role_id,
            role_name,
            session_name,
            ..
        } => {
            state
                .role(account, role_name)
                .filter(|r| r.id == *role_id)
                .ok_or_else(invalid_token)?;
            (
                format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
                CallerKind::AssumedRole {
                    role_name: role_name.clone(),
                    session_name: session_name.clone(),
                },
            )
        }
        SessionPrincipal::FederatedUser { name, user_id } => {
            if user_id != account {
                state.user_by_id(user_id).ok_or_else(invalid_token)?;
            }
            (
                format!("arn:aws:sts::{account}:federated-user/{name}"),
                CallerKind::FederatedUser { name: name.clone() },
            )
        }
        SessionPrincipal::User { user_id } => {
            let user = state.user_by_id(user_id).ok_or_else(invalid_token)?;
            (
                user.arn(),
                CallerKind::User {
                    name: user.name.clone(),
                },
            )
        }
        SessionPrincipal::Root => (format!("arn:aws:iam::{account}:root"), CallerKind::Root),
    };
    Ok(Caller {
        account: account.clone(),
        arn,
        user_id: session.user_id(),
        kind,
        access_key_id: session.access_key_id.clone(),
        region: parsed.region.to_owned(),
        session: Some(opened),
    })
}
