//! The account's enforcement mode, oxiam's own operation (AWS has no counterpart):
//! `GET` and `PUT /_oxiam/v1/account/enforcement`, JSON `{"mode":"ENFORCE"|"REPORT_ONLY"}`.
//!
//! The path sits under `/_oxiam/` with oxiam's other own endpoints, versioned like the
//! authorization API, and names the resource (the caller's account) rather than an action,
//! as a REST resource does. Calls are SigV4-signed for the signing name `oxiam` (the
//! authorization API's), authenticated by the same function as the AWS API, and audited by
//! the same function (`via` `enforcement-api`).
//!
//! Who may do what:
//! - `GET` is an ordinary policy decision, `oxiam:GetAccountEnforcement` on the account's
//!   root ARN (`arn:aws:iam::ACCT:root`): the root has it, others need a policy.
//! - `PUT` is the account's safety switch, for its root user only (its own credentials or
//!   an unscoped session of them), whatever any policy says, and in either mode: a
//!   principal that a report-only account lets do everything must not be able to keep it
//!   so. The denial names `oxiam:PutAccountEnforcement`.
//!
//! [`put_mode`] is also what the console's account settings page calls.

use std::time::Instant;

use oxiam_protocol::Service;
use oxiam_protocol::error::ErrorCode;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::app::App;
use crate::auth::authn::{self, Caller, CallerKind};
use crate::auth::target::Target;
use crate::front::authorization::{Answer, error_answer};
use crate::front::pipeline::{self, HttpIn};
use crate::model::access::Via;
use crate::model::error::{ServerError, api, validation};
use crate::model::{Account, EnforcementMode, ids};

/// The path of the operation.
pub const PATH: &str = "/_oxiam/v1/account/enforcement";
/// The action `GET` is authorized as.
pub const GET_ACTION: &str = "oxiam:GetAccountEnforcement";
/// The action `PUT` is named as in its denial (root only, not a policy decision).
pub const PUT_ACTION: &str = "oxiam:PutAccountEnforcement";

/// The body of both the request (`PUT`) and the answer.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnforcementBody {
    /// `ENFORCE` or `REPORT_ONLY`.
    pub mode: String,
}

/// Serves one call (`GET` or `PUT`; the router refuses other methods).
pub fn handle(app: &App, http: &HttpIn) -> Answer {
    let request_id = ids::request_id();
    let started = Instant::now();
    let mut seen = None;
    let result = serve(app, http, &request_id, &mut seen);
    let (status, error) = match &result {
        Ok(_) => (200, None),
        Err(e) => (
            e.to_api(oxiam_protocol::Service::Iam).code.http_status(),
            Some(e),
        ),
    };
    pipeline::audit(
        &request_id,
        "enforcement-api",
        seen.as_ref(),
        error,
        status,
        started,
    );
    match result {
        Ok(mode) => Answer {
            status,
            body: serde_json::to_string(&EnforcementBody {
                mode: mode.as_str().to_owned(),
            })
            .unwrap_or_default(),
            request_id,
        },
        Err(e) => error_answer(&e, request_id, "enforcement", Service::Iam),
    }
}

fn serve(
    app: &App,
    http: &HttpIn,
    request_id: &str,
    seen: &mut Option<(Caller, Target)>,
) -> Result<EnforcementMode, ServerError> {
    let headers = http.header_refs();
    let caller = authn::authenticate(
        app,
        &http.sigv4(&headers),
        oxiam_protocol::authorization::SIGNING_NAME,
        OffsetDateTime::now_utc(),
    )?;
    let env = crate::auth::decide::RequestEnv {
        request_id: Some(request_id.to_owned()),
        ..pipeline::request_env(http)
    };
    let root_arn = format!("arn:aws:iam::{}:root", caller.account);
    if http.method.eq_ignore_ascii_case("PUT") {
        *seen = Some((caller.clone(), Target::new(PUT_ACTION, root_arn)));
        let body: EnforcementBody = serde_json::from_slice(&http.body).map_err(|e| {
            validation(format!(
                "the request body is not an enforcement setting: {e}"
            ))
        })?;
        let mode = EnforcementMode::from_name(&body.mode).ok_or_else(|| {
            validation(format!(
                "`mode` must be ENFORCE or REPORT_ONLY, not `{}`",
                body.mode
            ))
        })?;
        return put_mode(app, &caller, mode);
    }
    let target = Target::new(GET_ACTION, root_arn);
    pipeline::note_attempt(app, &caller, GET_ACTION, &env, Via::Api);
    let state = app.snapshot();
    if let Some(would) = crate::auth::authz::authorize_reporting(&caller, &target, &env, &state)? {
        crate::auth::authz::record_would_deny(app, Via::Api, &caller, &would, &env);
    }
    *seen = Some((caller.clone(), target));
    Ok(mode_of(&state, &caller.account))
}

/// The enforcement mode of `account` (enforce when it has no record).
pub fn mode_of(state: &crate::state::State, account: &str) -> EnforcementMode {
    state
        .accounts
        .get(account)
        .map_or(EnforcementMode::Enforce, |a| a.enforcement)
}

/// Whether `caller` is its account's root user, with unscoped credentials.
pub fn is_root(caller: &Caller) -> bool {
    caller.kind == CallerKind::Root && !crate::auth::session_decide::is_scoped(caller)
}

/// Sets the enforcement mode of `caller`'s account: root only (see the module's map).
/// Blocking (a store write).
pub fn put_mode(
    app: &App,
    caller: &Caller,
    mode: EnforcementMode,
) -> Result<EnforcementMode, ServerError> {
    if !is_root(caller) {
        return Err(api(
            ErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: {PUT_ACTION} on resource: \
                 arn:aws:iam::{}:root because only the account's root user can change the \
                 enforcement mode",
                caller.arn, caller.account
            ),
        ));
    }
    app.write(|tx| {
        let mut account = tx
            .state()
            .accounts
            .get(&caller.account)
            .map(|a| Account::clone(a))
            .ok_or_else(|| {
                ServerError::Internal(format!(
                    "the caller's account {} has no record",
                    caller.account
                ))
            })?;
        if account.enforcement == mode {
            return Ok(());
        }
        account.enforcement = mode;
        tx.put(account)
    })?;
    tracing::warn!(target: "oxiam::audit", account = caller.account, principal = caller.arn,
        mode = mode.as_str(), "enforcement mode set");
    Ok(mode)
}

#[cfg(test)]
mod tests {

    use oxiam_protocol::iam;

    use super::*;
    use crate::app::test_support::app;
    use crate::auth::decide::RequestEnv;
    use crate::front::pipeline::call_as;
    use crate::model::fixtures::{self, ACCOUNT};
    use crate::ops::table::Request;

    fn list_users() -> Request {
        Request::Iam(iam::Request::ListUsers(iam::ListUsersRequest::default()))
    }

    fn code(e: &ServerError) -> ErrorCode {
        e.to_api(oxiam_protocol::Service::Iam).code
    }

    #[test]
    fn a_new_account_enforces_and_only_its_root_changes_the_mode() {
        let app = app(ACCOUNT, None);
        assert_eq!(mode_of(&app.snapshot(), ACCOUNT), EnforcementMode::Enforce);
        let alice = fixtures::user("alice", "AIDAALICE");
        let mut admin = alice.clone();
        admin
            .attached_policies
            .push("arn:aws:iam::aws:policy/AdministratorAccess".into());
        app.write(|tx| tx.put(admin.clone())).unwrap();
        // An administrator is not the root: the switch is not a policy decision.
        let err = put_mode(
            &app,
            &Caller::user(&admin, "AKIAALICE"),
            EnforcementMode::ReportOnly,
        )
        .unwrap_err();
        assert_eq!(code(&err), ErrorCode::AccessDenied);
        assert!(err.to_string().contains(PUT_ACTION), "{err}");
        assert_eq!(mode_of(&app.snapshot(), ACCOUNT), EnforcementMode::Enforce);

        let root = Caller::root(ACCOUNT, "AKIAROOT");
        put_mode(&app, &root, EnforcementMode::ReportOnly).unwrap();
        assert_eq!(
            mode_of(&app.snapshot(), ACCOUNT),
            EnforcementMode::ReportOnly
        );
        // Report-only relaxes policy decisions, not the root-only switch.
        let err = put_mode(
            &app,
            &Caller::user(&alice, "AKIAALICE"),
            EnforcementMode::Enforce,
        )
        .unwrap_err();
        assert_eq!(code(&err), ErrorCode::AccessDenied);
        assert_eq!(
            mode_of(&app.snapshot(), ACCOUNT),
            EnforcementMode::ReportOnly
        );
        put_mode(&app, &root, EnforcementMode::Enforce).unwrap();
        assert_eq!(mode_of(&app.snapshot(), ACCOUNT), EnforcementMode::Enforce);
    }

    #[test]
    fn a_denied_call_goes_through_while_report_only_and_is_denied_again_after() {
        let app = app(ACCOUNT, None);
        let alice = fixtures::user("alice", "AIDAALICE");
        app.write(|tx| tx.put(alice.clone())).unwrap();
        let caller = Caller::user(&alice, "AKIAALICE");
        let env = RequestEnv::now();
        let err = call_as(&app, &caller, &list_users(), &env, Via::Console).unwrap_err();
        assert_eq!(code(&err), ErrorCode::AccessDenied);

        let root = Caller::root(ACCOUNT, "AKIAROOT");
        put_mode(&app, &root, EnforcementMode::ReportOnly).unwrap();
        let listed = call_as(&app, &caller, &list_users(), &env, Via::Console).unwrap();
        let crate::ops::table::Response::Iam(iam::Response::ListUsers(r)) = listed else {
            panic!("not a ListUsers response: {listed:?}");
        };
        assert_eq!(r.users.len(), 1);

        put_mode(&app, &root, EnforcementMode::Enforce).unwrap();
        let err = call_as(&app, &caller, &list_users(), &env, Via::Console).unwrap_err();
        assert_eq!(code(&err), ErrorCode::AccessDenied);
    }

    #[test]
    fn the_mode_is_stored_and_read_back_by_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let open = || {
            crate::app::App::open(crate::model::config::Config {
                data_dir: Some(dir.path().to_path_buf()),
                default_account: Some(ACCOUNT.into()),
                ..crate::model::config::Config::default()
            })
            .unwrap()
            .0
        };
        let first = open();
        assert_eq!(
            mode_of(&first.snapshot(), ACCOUNT),
            EnforcementMode::Enforce
        );
        put_mode(
            &first,
            &Caller::root(ACCOUNT, "AKIAROOT"),
            EnforcementMode::ReportOnly,
        )
        .unwrap();
        drop(first);
        let second = open();
        assert_eq!(
            mode_of(&second.snapshot(), ACCOUNT),
            EnforcementMode::ReportOnly
        );
    }
}
