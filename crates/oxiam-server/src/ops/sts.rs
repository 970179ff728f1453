//! STS handlers: temporary credentials.
//!
//! - [`assume_role`]: `AssumeRole` (the trust policy and the caller's identity policies).
//! - [`federation`]: `GetSessionToken`, `GetFederationToken`.
//! - [`scoped`]: `GetScopedCredentials` (the calling session, scoped down).
//! - [`delegation`]: `GetDelegatedAccessToken` (a delegation request's trade-in token).
//! - [`web_identity`]: `AssumeRoleWithWebIdentity` (unsigned; OIDC ID tokens).
//! - [`outbound`]: oxiam as an OIDC issuer (`GetWebIdentityToken` and the IAM operations
//!   that enable it per account).
//! - [`limits`]: what session requests may carry (policies, tags, MFA).
//! - Below: `GetCallerIdentity`, `GetAccessKeyInfo`, `DecodeAuthorizationMessage` (opens
//!   the messages of the authorization API, `crate::auth::message`), and [`issue`].
//!
//! Sessions themselves (`crate::model::session`), their tokens (`crate::state::token_keys`),
//! authenticating and authorizing them (`crate::auth::session_authn`, `session_decide`)
//! live on the floors below.

pub mod assume_role;
pub mod delegation;
pub mod federation;
pub mod limits;
pub mod outbound;
pub mod scoped;
pub mod web_identity;

use oxiam_policy::{ParseOptions, Policy, PolicyKind};
use oxiam_protocol::sts;

use crate::app::App;

use crate::model::error::{ServerError, validation};
use crate::model::ids;
use crate::model::session::{Session, SessionPrincipal};
use crate::model::{Epoch, Role, Tag, to_datetime};
use crate::ops::iam::Ctx;
use crate::state::{State, Tx};

/// GetCallerIdentity needs no permission in AWS: it always answers who the caller is.
pub fn get_caller_identity(
    _app: &App,
    ctx: &Ctx<'_>,
    _r: &sts::GetCallerIdentityRequest,
) -> Result<sts::GetCallerIdentityResponse, ServerError> {
    let caller = ctx.caller;
    Ok(sts::GetCallerIdentityResponse {
        user_id: Some(caller.user_id.clone()),
        account: Some(caller.account.clone()),
        arn: Some(caller.arn.clone()),
    })
}

/// Opens a message the authorization API encoded for one of this deployment's denials.
pub fn decode_authorization_message(
    app: &App,
    _ctx: &Ctx<'_>,
    r: &sts::DecodeAuthorizationMessageRequest,
) -> Result<sts::DecodeAuthorizationMessageResponse, ServerError> {
    Ok(sts::DecodeAuthorizationMessageResponse {
        decoded_message: Some(crate::auth::message::decode(
            &app.snapshot(),
            &r.encoded_message,
        )?),
    })
}

/// The account of any access key ID: long-term keys from the snapshot, temporary ones from
/// the ID itself (they carry their account).
pub fn get_access_key_info(
    _ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &sts::GetAccessKeyInfoRequest,
) -> Result<sts::GetAccessKeyInfoResponse, ServerError> {
    let state = tx.state();
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

/// A role's trust policy, with the name denials give it; `None` when its document no longer
/// compiles (it was validated when set): such a role trusts no one.
pub fn trust_policy(role: &Role) -> Option<Policy> {
    let options = ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    Policy::parse_with(&role.assume_role_policy, PolicyKind::Trust, &options).ok()
}

/// The actions a role's trust policy must allow for a session: `assume` itself, then
/// `sts:TagSession` when the session gets tags and `sts:SetSourceIdentity` when it gets a
/// source identity.
pub fn trust_actions(
    assume: &'static str,
    tags: &[Tag],
    source_identity: Option<&String>,
) -> Vec<&'static str> {
    let mut actions = vec![assume];
    if !tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    actions
}

/// What a role session is given, checked in AWS's order: the duration against the role's
/// `MaxSessionDuration`, then the session policies and tags (see [`limits::session_input`]).
pub fn role_session_input(
    state: &State,
    role: &Role,
    seconds: i32,
    policy: Option<&String>,
    policy_arns: Option<&[sts::PolicyDescriptorType]>,
    tags: Vec<Tag>,
) -> Result<limits::SessionInput, ServerError> {
    if seconds > role.max_session_duration {
        return Err(validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    limits::session_input(state, &role.account, policy, policy_arns, tags)
}

/// A session of `principal` in `account`, `seconds` long from `now`, with the policies and
/// tags the request passed (`input`) and no transitive tags, source identity or MFA yet:
/// what every issuing handler starts from. [`issue`] gives it its key.
pub fn new_session(
    account: &str,
    principal: SessionPrincipal,
    now: Epoch,
    seconds: i32,
    input: limits::SessionInput,
) -> Session {
    Session {
        policy: input.policy,
        policy_arns: input.policy_arns,
        tags: input.tags,
        ..Session::new(
            account,
            principal,
            String::new(),
            crate::state::new_secret(),
            now,
            now + i64::from(seconds),
        )
    }
}

/// A session of `role` named `session_name`, as AssumeRole* issue it; see [`new_session`].
pub fn role_session(
    role: &Role,
    session_name: &str,
    now: Epoch,
    seconds: i32,
    input: limits::SessionInput,
) -> Session {
    let principal = SessionPrincipal::AssumedRole {
        role_id: role.id.clone(),
        role_name: role.name.clone(),
        role_path: role.path.clone(),
        session_name: session_name.to_owned(),
    };
    new_session(&role.account, principal, now, seconds, input)
}

/// The `AssumedRoleUser` of an AssumeRole* response.
pub fn assumed_role_user(session: &Session) -> sts::AssumedRoleUser {
    sts::AssumedRoleUser {
        assumed_role_id: session.user_id(),
        arn: session.arn(|_| None).unwrap_or_default(),
    }
}

/// Issues the credentials of `session`: a fresh `ASIA…` key ID and secret, sealed with the
/// current token key. `session`'s key and secret are replaced.
pub fn issue(app: &App, mut session: Session) -> Result<(sts::Credentials, Session), ServerError> {
    session.access_key_id = ids::session_access_key_id(&session.account);
    session.secret = crate::state::new_secret();
    let key = app.token_key()?;
    let token = key.seal(&session)?;
    let credentials = sts::Credentials {
        access_key_id: session.access_key_id.clone(),
        secret_access_key: session.secret.expose().to_owned(),
        session_token: token,
        expiration: to_datetime(session.expires),
    };
    Ok((credentials, session))
}
