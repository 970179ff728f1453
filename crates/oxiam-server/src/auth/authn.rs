//! Authentication: who signed this request. SigV4 material is parsed by `oxiam-sigv4`, the
//! key is looked up in the snapshot (never the database) and the signature verified.

use crate::model::access::EntityKind;
use std::sync::Arc;

use oxiam_protocol::error::{ApiError, ErrorCode};
use oxiam_sigv4::HttpRequest;
use time::OffsetDateTime;

use crate::app::App;
use crate::model::error::{ServerError, api};
use crate::model::ids;
use crate::model::{KeyLastUsed, KeyOwner, KeyStatus, User};
use crate::runtime::sessions::OpenedSession;

/// The authenticated principal of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub arn: String,
    /// `aws:userid`: the account ID for the root, the unique ID for a user.
    pub user_id: String,
    pub kind: CallerKind,
    pub access_key_id: String,
    /// The region of the request's credential scope.
    pub region: String,
    /// Temporary credentials: the session they belong to.
    pub session: Option<Arc<OpenedSession>>,
}

/// What kind of principal signed. A `GetSessionToken` session is its user or root, with
/// `session` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    Root,
    User {
        name: String,
    },
    /// A role session (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`).
    AssumedRole {
        role_name: String,
        session_name: String,
    },
    /// A `GetFederationToken` session (`arn:aws:sts::ACCT:federated-user/NAME`).
    FederatedUser {
        name: String,
    },
}

impl Caller {
    /// The IAM user or role the access advisor records this caller's attempts for: a
    /// user (signing with its keys, a `GetSessionToken` session or the console) or a role
    /// session's role. The root and federated users are no IAM entity's.
    pub fn access_entity(&self) -> Option<(&str, EntityKind)> {
        match &self.kind {
            CallerKind::User { .. } => Some((self.user_id.as_str(), EntityKind::User)),
            CallerKind::AssumedRole { .. } => Some((
                self.user_id
                    .split_once(':')
                    .map_or(self.user_id.as_str(), |(role_id, _)| role_id),
                EntityKind::Role,
            )),
            CallerKind::Root | CallerKind::FederatedUser { .. } => None,
        }
    }

    pub fn root(account: &str, access_key_id: &str) -> Caller {
        Caller {
            account: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:root"),
            user_id: account.to_owned(),
            kind: CallerKind::Root,
            access_key_id: access_key_id.to_owned(),
            region: String::new(),
            session: None,
        }
    }

    /// An IAM user signing with its long-term credentials (`access_key_id`; empty for a
    /// console session).
    pub fn user(user: &User, access_key_id: &str) -> Caller {
        Caller {
            account: user.account.clone(),
            arn: user.arn(),
            user_id: user.id.clone(),
            kind: CallerKind::User {
                name: user.name.clone(),
            },
            access_key_id: access_key_id.to_owned(),
            region: String::new(),
            session: None,
        }
    }

    /// Whether the caller signed with temporary credentials.
    pub fn is_session(&self) -> bool {
        self.session.is_some()
    }
}

pub fn invalid_token() -> ServerError {
    api(
        ErrorCode::InvalidClientTokenId,
        "The security token included in the request is invalid.",
    )
}

/// Verifies the request's signature and returns its caller. `service` is the signing name
/// of the API called (`iam`, `sts`): a signature scoped to another service is refused.
pub fn authenticate(
    app: &App,
    http: &HttpRequest<'_>,
    service: &str,
    now: OffsetDateTime,
) -> Result<Caller, ServerError> {
    authenticate_with(app, http, service, now, None)
}

/// [`authenticate`] a request someone else received (the authorization API): with
/// `body_sha256`, the hash of the body that service received stands for `http.body`.
pub fn authenticate_with(
    app: &App,
    http: &HttpRequest<'_>,
    service: &str,
    now: OffsetDateTime,
    body_sha256: Option<&[u8; 32]>,
) -> Result<Caller, ServerError> {
    let parsed = match oxiam_sigv4::parse(http) {
        Ok(Some(p)) => p,
        Ok(None) => return Err(missing_authentication_token()),
        Err(e) => return Err(sigv4_error(&e)),
    };
    authenticate_parsed(app, http, &parsed, service, now, body_sha256)
}

pub fn missing_authentication_token() -> ServerError {
    api(
        ErrorCode::MissingAuthenticationToken,
        "Request is missing Authentication Token",
    )
}

/// [`authenticate_with`] once the request's SigV4 material is parsed (the authorization
/// API parses first, to answer expired presigned URLs in S3's words).
pub fn authenticate_parsed(
    app: &App,
    http: &HttpRequest<'_>,
    parsed: &oxiam_sigv4::Parsed<'_>,
    service: &str,
    now: OffsetDateTime,
    body_sha256: Option<&[u8; 32]>,
) -> Result<Caller, ServerError> {
    // Any region: clients pointed at a custom endpoint sign with the region they are set to.
    parsed
        .check_scope(&[], service)
        .map_err(|e| sigv4_error(&e))?;
    if let Some(token) = parsed.session_token.as_deref()
        && parsed
            .access_key_id
            .starts_with(ids::IdPrefix::TemporaryAccessKey.as_str())
    {
        return crate::auth::session_authn::authenticate(
            app,
            http,
            parsed,
            token,
            now,
            body_sha256,
        );
    }
    let state = app.snapshot();
    let Some(key) = state.access_keys.get(parsed.access_key_id) else {
        return dev_mode_caller(app, parsed.access_key_id).ok_or_else(invalid_token)?;
    };
    if key.status != KeyStatus::Active || parsed.session_token.is_some() {
        // Temporary credentials are `ASIA…` keys with their token (authenticated above); a
        // session token presented with a long-term key is invalid, as in AWS.
        return Err(invalid_token());
    }
    verify(app, http, parsed, &key.secret, now, body_sha256)?;
    let mut caller = match &key.owner {
        KeyOwner::Root => Caller::root(&key.account, &key.id),
        KeyOwner::User(user_id) => {
            let user = state.user_by_id(user_id).ok_or_else(invalid_token)?;
            Caller::user(user, &key.id)
        }
    };
    parsed.region.clone_into(&mut caller.region);
    app.note_key_used(KeyLastUsed {
        id: key.id.clone(),
        date: now.unix_timestamp(),
        service: parsed.service.to_owned(),
        region: parsed.region.to_owned(),
    });
    Ok(caller)
}

/// In dev mode an unknown key is the root of an account: the key's own account when the key
/// ID is 12 digits (as moto does), else the default account. Its signature cannot be checked.
fn dev_mode_caller(app: &App, key_id: &str) -> Option<Result<Caller, ServerError>> {
    if !app.config.dev {
        return None;
    }
    let account = if ids::is_account_id(key_id) {
        key_id.to_owned()
    } else {
        app.default_account.clone()
    };
    Some(
        app.ensure_account(&account)
            .map(|()| Caller::root(&account, key_id)),
    )
}

/// Checks the signature over the request's body, or over `body_sha256` when given.
pub(crate) fn verify(
    app: &App,
    http: &HttpRequest<'_>,
    parsed: &oxiam_sigv4::Parsed<'_>,
    secret: &oxiam_sigv4::SecretAccessKey,
    now: OffsetDateTime,
    body_sha256: Option<&[u8; 32]>,
) -> Result<(), ServerError> {
    match body_sha256 {
        None => oxiam_sigv4::verify(http, parsed, secret, now, &app.sigv4_cache),
        Some(h) => oxiam_sigv4::verify_forwarded(http, parsed, secret, now, &app.sigv4_cache, h),
    }
    .map_err(|e| sigv4_error(&e))
}

pub fn sigv4_error(e: &oxiam_sigv4::Error) -> ServerError {
    let code = ErrorCode::from_code(e.aws_code()).unwrap_or(ErrorCode::IncompleteSignature);
    ServerError::Api(ApiError::new(code, e.to_string()))
}
