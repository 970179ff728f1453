//! The list of operations oxiam serves: for each, the IAM action and resource it is
//! authorized against, and the handler it dispatches to. An operation missing here answers
//! `NotImplemented` naming itself — never a panic or a silent success.

use oxiam_protocol::error::{ApiError, ErrorCode};
use oxiam_protocol::{iam, sts};

use crate::app::App;
use crate::authn::{Caller, CallerKind};
use crate::error::ServerError;
use crate::iam::{Ctx, access_keys, users};
use crate::state::{State, Tx};

/// A decoded request of either service.
#[derive(Debug, Clone)]
pub enum Request {
    Iam(iam::Request),
    Sts(sts::Request),
}

#[derive(Debug)]
pub enum Response {
    Iam(iam::Response),
    Sts(sts::Response),
}

/// What a request asks to do, as policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `iam:CreateUser`, `sts:GetCallerIdentity`, …
    pub action: String,
    /// The resource ARN AWS authorizes the action on.
    pub resource: String,
    /// Whether the action needs no permission at all (sts:GetCallerIdentity).
    pub always_allowed: bool,
}

impl Request {
    pub fn name(&self) -> &'static str {
        match self {
            Request::Iam(r) => r.operation().name(),
            Request::Sts(r) => r.operation().name(),
        }
    }

    /// The action and resource of this request, as AWS's service authorization reference
    /// gives them for each operation.
    pub fn target(&self, caller: &Caller, state: &State) -> Target {
        let account = &caller.account;
        // The ARN of a named user: its real path when it exists, else the root path.
        let user_arn = |name: &str| match state.user(account, name) {
            Some(u) => u.arn(),
            None => format!("arn:aws:iam::{account}:user/{name}"),
        };
        // Operations on "the user named, or else the caller itself".
        let self_or_user = |name: Option<&String>| match (name, &caller.kind) {
            (Some(n), _) => user_arn(n),
            (None, CallerKind::User { .. } | CallerKind::Root) => caller.arn.clone(),
        };
        let (service, resource) = match self {
            Request::Iam(r) => (
                "iam",
                match r {
                    iam::Request::CreateUser(r) => format!(
                        "arn:aws:iam::{account}:user{}{}",
                        r.path.as_deref().unwrap_or("/"),
                        r.user_name
                    ),
                    iam::Request::ListUsers(r) => format!(
                        "arn:aws:iam::{account}:user{}",
                        r.path_prefix.as_deref().unwrap_or("/")
                    ),
                    iam::Request::GetUser(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::UpdateUser(r) => user_arn(&r.user_name),
                    iam::Request::DeleteUser(r) => user_arn(&r.user_name),
                    iam::Request::TagUser(r) => user_arn(&r.user_name),
                    iam::Request::UntagUser(r) => user_arn(&r.user_name),
                    iam::Request::ListUserTags(r) => user_arn(&r.user_name),
                    iam::Request::CreateAccessKey(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::ListAccessKeys(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::UpdateAccessKey(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::DeleteAccessKey(r) => self_or_user(r.user_name.as_ref()),
                    iam::Request::GetAccessKeyLastUsed(r) => {
                        key_owner_arn(state, account, &r.access_key_id)
                            .unwrap_or_else(|| "*".to_owned())
                    }
                    _ => "*".to_owned(),
                },
            ),
            Request::Sts(_) => ("sts", "*".to_owned()),
        };
        Target {
            action: format!("{service}:{}", self.name()),
            resource,
            always_allowed: matches!(self, Request::Sts(sts::Request::GetCallerIdentity(..))),
        }
    }
}

fn key_owner_arn(state: &State, account: &str, key_id: &str) -> Option<String> {
    let key = state
        .access_keys
        .get(key_id)
        .filter(|k| k.account == account)?;
    Some(match &key.owner {
        crate::model::KeyOwner::Root => format!("arn:aws:iam::{account}:root"),
        crate::model::KeyOwner::User(id) => state.user_by_id(id)?.arn(),
    })
}

fn not_implemented(name: &str) -> ServerError {
    ServerError::Api(ApiError::new(
        ErrorCode::NotImplemented,
        format!("oxiam does not implement the operation {name} yet"),
    ))
}

/// Runs the handler of `request`. Blocking: writes go to the store before returning.
pub fn dispatch(app: &App, caller: &Caller, request: &Request) -> Result<Response, ServerError> {
    let ctx = Ctx { caller };
    match request {
        Request::Iam(r) => {
            // Read outside the write closure: the last-used tracker is not part of the snapshot.
            let used = match r {
                iam::Request::GetAccessKeyLastUsed(q) => app.key_last_used(&q.access_key_id),
                _ => None,
            };
            app.write(|tx| dispatch_iam(&ctx, tx, r, used.clone()))
                .map(Response::Iam)
        }
        Request::Sts(r) => match r {
            sts::Request::GetCallerIdentity(..) => Ok(Response::Sts(
                sts::Response::GetCallerIdentity(crate::sts::get_caller_identity(caller)),
            )),
            other => Err(not_implemented(other.operation().name())),
        },
    }
}

fn dispatch_iam(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    request: &iam::Request,
    used: Option<crate::model::KeyLastUsed>,
) -> Result<iam::Response, ServerError> {
    use iam::{Request as Q, Response as A};
    Ok(match request {
        Q::CreateUser(r) => A::CreateUser(users::create(ctx, tx, r)?),
        Q::GetUser(r) => A::GetUser(users::get(ctx, tx, r)?),
        Q::ListUsers(r) => A::ListUsers(users::list(ctx, tx, r)?),
        Q::UpdateUser(r) => users::update(ctx, tx, r).map(|()| A::UpdateUser)?,
        Q::DeleteUser(r) => users::delete(ctx, tx, r).map(|()| A::DeleteUser)?,
        Q::TagUser(r) => users::tag(ctx, tx, r).map(|()| A::TagUser)?,
        Q::UntagUser(r) => users::untag(ctx, tx, r).map(|()| A::UntagUser)?,
        Q::ListUserTags(r) => A::ListUserTags(users::list_tags(ctx, tx, r)?),
        Q::CreateAccessKey(r) => A::CreateAccessKey(access_keys::create(ctx, tx, r)?),
        Q::ListAccessKeys(r) => A::ListAccessKeys(access_keys::list(ctx, tx, r)?),
        Q::UpdateAccessKey(r) => access_keys::update(ctx, tx, r).map(|()| A::UpdateAccessKey)?,
        Q::DeleteAccessKey(r) => access_keys::delete(ctx, tx, r).map(|()| A::DeleteAccessKey)?,
        Q::GetAccessKeyLastUsed(r) => {
            A::GetAccessKeyLastUsed(access_keys::last_used(ctx, tx, r, used)?)
        }
        other => return Err(not_implemented(other.operation().name())),
    })
}
