//! Signing in and out, and changing a password.
//!
//! - `/console/<account ID or alias>`: IAM users, through [`crate::auth::signin::sign_in`] (argon2id,
//!   lockout, MFA without replay, reset-required and expiry outcomes).
//! - `/console/root`: the account root, by account ID or alias and the root password set on
//!   first start (`Account::root_password`). Unknown accounts cost one hash verification too,
//!   and wrong passwords count against the same lockout as users' (keyed `root:<account>`).
//! - MFA step (users with a device, the root with `root-account-mfa-device`): once the
//!   password is right the page asks for a code, carrying a [`Pending`] token — sealed like
//!   the session cookie under its own purpose, naming the account and principal, valid
//!   [`PENDING_LIFETIME`] — never the password. Codes are checked without replay and wrong
//!   ones count against the same lockout as wrong passwords.
//! - Sign-out revokes the principal's console sessions (see `session`), so a copied cookie
//!   dies with it; so does changing the root's password here.
//! - A password that must change (reset required, expired) signs the user in to the
//!   change-password page only; `ChangePassword` there is the API operation, as the user.

use axum::http::StatusCode;
use oxiam_protocol::error::ApiError;
use serde::{Deserialize, Serialize};

use super::html::{self, bare, csrf, esc};
use super::session::ConsoleSession;
use super::{Console, ConsoleRequest, Reply};
use crate::app::App;
use crate::auth::mfa;
use crate::auth::signin::{SignInError, SignInRequest, sign_in, sign_in_mfa};
use crate::model::Epoch;
use crate::model::error::ServerError;
use crate::model::now_epoch;
use crate::model::passwords::{PASSWORD_THROTTLE, PasswordHash};
use crate::model::session::Mfa;
use crate::state::token_keys;

const PENDING_PURPOSE: &[u8] = b"oxiam/console-mfa-pending";
/// How long the MFA step may take after the password was accepted.
pub const PENDING_LIFETIME: Epoch = 300;

/// A sign-in whose password was accepted and which waits for an MFA code. Sealed into the
/// MFA page's form: the browser holds it, not the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    #[serde(rename = "a")]
    pub account: String,
    /// The IAM user's unique ID; `None` for the root.
    #[serde(rename = "u", default)]
    pub user_id: Option<String>,
    /// Shown on the page ("for alice").
    #[serde(rename = "n")]
    pub name: String,
    #[serde(rename = "i")]
    pub issued: Epoch,
}

impl Pending {
    pub fn seal(&self, app: &App) -> Result<String, ServerError> {
        let plain = serde_json::to_vec(self)
            .map_err(|e| ServerError::Internal(format!("encoding a pending sign-in: {e}")))?;
        app.token_key()?.seal_bytes(PENDING_PURPOSE, &plain)
    }

    /// The pending sign-in of a form's token, if it opens and is recent.
    pub fn open(app: &App, value: &str) -> Option<Pending> {
        let plain = token_keys::open_bytes(&app.snapshot(), PENDING_PURPOSE, value).ok()?;
        let p: Pending = serde_json::from_slice(&plain).ok()?;
        let now = app.sts.now().unix_timestamp();
        (p.issued <= now && now - p.issued < PENDING_LIFETIME).then_some(p)
    }
}

/// The sign-in page of `account` (or of the root, for `root`).
pub fn page(account: &str, error: Option<&str>, r: &ConsoleRequest) -> Reply {
    let error_html = error.map_or_else(String::new, |e| {
        format!("<div class=\"alert error\" role=\"alert\">{}</div>", esc(e))
    });
    let body = if account == "root" {
        format!(
            "<h1>Root user sign in</h1>{error_html}\
             <form method=\"post\" action=\"/console/root\" class=\"card\">\
             <label for=\"account\">Account ID or alias</label>\
             <input id=\"account\" name=\"account\" required autocomplete=\"username\" value=\"{}\" autofocus>\
             <label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
             <button type=\"submit\" class=\"primary\">Sign in</button></form>\
             <p class=\"hint\">IAM users sign in at <code>/console/&lt;account ID or alias&gt;</code>.</p>",
            esc(r.f("account"))
        )
    } else {
        format!(
            "<h1>Sign in as IAM user</h1>{error_html}\
             <form method=\"post\" action=\"/console/{acct_url}\" class=\"card\">\
             <label for=\"account\">Account ID or alias</label>\
             <input id=\"account\" name=\"account\" required value=\"{acct}\">\
             <label for=\"username\">IAM user name</label>\
             <input id=\"username\" name=\"username\" required autocomplete=\"username\" value=\"{user}\" autofocus>\
             <label for=\"password\">Password</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\">\
             <button type=\"submit\" class=\"primary\">Sign in</button></form>\
             <p class=\"hint\"><a href=\"/console/root\">Sign in using root user credentials</a></p>",
            acct_url = html::url(account),
            acct = esc(account),
            user = esc(r.f("username")),
        )
    };
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    Reply::Html(status, bare("Sign in", &body))
}

/// The MFA step: the code field and the sealed pending sign-in.
fn mfa_page(account: &str, sealed: &str, name: &str, error: Option<&str>) -> Reply {
    let error_html = error.map_or_else(String::new, |e| {
        format!("<div class=\"alert error\" role=\"alert\">{}</div>", esc(e))
    });
    let body = format!(
        "<h1>Multi-factor authentication</h1>{error_html}\
         <p>Enter the code from your authenticator app for <strong>{user}</strong>.</p>\
         <form method=\"post\" action=\"/console/{acct_url}\" class=\"card\">\
         <input type=\"hidden\" name=\"pending\" value=\"{pending}\">\
         <label for=\"mfa\">MFA code</label>\
         <input id=\"mfa\" name=\"mfa\" required inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" \
          autocomplete=\"one-time-code\" autofocus>\
         <button type=\"submit\" class=\"primary\">Submit</button></form>",
        acct_url = html::url(account),
        user = esc(name),
        pending = esc(sealed),
    );
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    Reply::Html(status, bare("MFA", &body))
}

/// Seals `pending` and shows the MFA page.
fn ask_code(app: &App, account: &str, pending: &Pending, r: &ConsoleRequest) -> Reply {
    match pending.seal(app) {
        Ok(sealed) => mfa_page(account, &sealed, &pending.name, None),
        Err(e) => {
            tracing::error!(error = %e, "sealing a pending sign-in failed");
            page(account, Some("Sign-in failed; try again later."), r)
        }
    }
}

/// The second step: a code for the pending sign-in the form carries.
fn submit_code(app: &App, account: &str, r: &ConsoleRequest) -> Reply {
    let Some(pending) = Pending::open(app, r.f("pending")) else {
        return page(
            account,
            Some("The sign-in took too long or is not valid; sign in again."),
            r,
        );
    };
    let code = r.f("mfa");
    let retry = |msg: &str| mfa_page(account, r.f("pending"), &pending.name, Some(msg));
    let Some(user_id) = &pending.user_id else {
        return root_code(app, &pending, code, r).unwrap_or_else(|m| retry(&m));
    };
    match sign_in_mfa(app, user_id, code) {
        Ok(s) => user_session(app, account, s, false, r),
        Err(SignInError::PasswordResetRequired(s) | SignInError::PasswordExpired(s)) => {
            user_session(app, account, *s, true, r)
        }
        Err(e @ (SignInError::MfaInvalid | SignInError::Locked { .. })) => {
            retry(&sentence(&e.to_string()))
        }
        Err(SignInError::Server(e)) => {
            tracing::error!(error = %e, "console sign-in failed");
            page(account, Some("Sign-in failed; try again later."), r)
        }
        Err(e) => page(account, Some(&sentence(&e.to_string())), r),
    }
}

/// The root's code: its device, no replay, the root's lockout.
fn root_code(app: &App, p: &Pending, code: &str, r: &ConsoleRequest) -> Result<Reply, String> {
    let key = format!("root:{}", p.account);
    let now = now_epoch();
    if let Some(retry_after) = PASSWORD_THROTTLE.locked_for(&key, now) {
        return Err(format!(
            "Too many failed sign-in attempts; try again in {retry_after} seconds."
        ));
    }
    let serial = mfa::root_serial(&p.account);
    match mfa::verify_code(app, &p.account, &p.account, &serial, code) {
        Ok(at) => {
            PASSWORD_THROTTLE.succeeded(&key);
            let session = ConsoleSession::new(
                &p.account,
                None,
                Some(Mfa {
                    serial_number: serial,
                    authenticated_at: at,
                }),
                app.sts.now().unix_timestamp(),
            );
            Ok(start(app, &session, "root", r))
        }
        Err(_) => {
            PASSWORD_THROTTLE.failed(&key, now);
            Err(sentence(&SignInError::MfaInvalid.to_string()))
        }
    }
}

fn user_session(
    app: &App,
    account: &str,
    signed_in: crate::auth::signin::SignedIn,
    must_change: bool,
    r: &ConsoleRequest,
) -> Reply {
    let mfa = signed_in.mfa_serial.map(|serial_number| Mfa {
        serial_number,
        authenticated_at: signed_in.at,
    });
    let mut session = ConsoleSession::new(
        &signed_in.account,
        Some(signed_in.user_id),
        mfa,
        app.sts.now().unix_timestamp(),
    );
    session.must_change_password = must_change;
    start(app, &session, account, r)
}

pub fn submit(app: &App, account: &str, r: &ConsoleRequest) -> Reply {
    if !r.f("pending").is_empty() {
        return submit_code(app, account, r);
    }
    if account == "root" {
        return submit_root(app, r);
    }
    let account_field = if r.f("account").is_empty() {
        account
    } else {
        r.f("account")
    };
    let request = SignInRequest {
        account: account_field,
        user: r.f("username"),
        password: r.f("password"),
        mfa_code: None,
    };
    match sign_in(app, &request) {
        Ok(s) => user_session(app, account, s, false, r),
        Err(SignInError::PasswordResetRequired(s) | SignInError::PasswordExpired(s)) => {
            user_session(app, account, *s, true, r)
        }
        Err(SignInError::MfaRequired) => {
            // The password was right: the user exists in that account.
            let state = app.snapshot();
            let user = state
                .accounts
                .values()
                .find(|a| a.id == account_field || a.alias.as_deref() == Some(account_field))
                .and_then(|a| state.user(&a.id, r.f("username")));
            let Some(user) = user else {
                return page(account, Some("Sign-in failed; try again."), r);
            };
            let pending = Pending {
                account: user.account.clone(),
                user_id: Some(user.id.clone()),
                name: user.name.clone(),
                issued: app.sts.now().unix_timestamp(),
            };
            ask_code(app, account, &pending, r)
        }
        Err(SignInError::Server(e)) => {
            tracing::error!(error = %e, "console sign-in failed");
            page(account, Some("Sign-in failed; try again later."), r)
        }
        Err(e) => page(account, Some(&sentence(&e.to_string())), r),
    }
}

fn submit_root(app: &App, r: &ConsoleRequest) -> Reply {
    let wanted = r.f("account");
    let state = app.snapshot();
    let found = state
        .accounts
        .values()
        .find(|a| a.id == wanted || a.alias.as_deref() == Some(wanted))
        .and_then(|a| Some((a.id.clone(), a.root_password.clone()?)));
    let Some((account, hash)) = found else {
        // The same cost as a wrong password: the answer does not tell which accounts exist.
        if let Ok(decoy) = PasswordHash::new("oxiam decoy root password") {
            let _spent = decoy.verify(r.f("password"));
        }
        return page("root", Some(BAD_ROOT), r);
    };
    let key = format!("root:{account}");
    let now = now_epoch();
    if let Some(retry_after) = PASSWORD_THROTTLE.locked_for(&key, now) {
        return page(
            "root",
            Some(&format!(
                "Too many failed sign-in attempts; try again in {retry_after} seconds."
            )),
            r,
        );
    }
    match hash.verify(r.f("password")) {
        Ok(true) => {
            PASSWORD_THROTTLE.succeeded(&key);
            // As for users (auth::signin), the password counts as used once it is right.
            app.note_password_used(&account, now);
            if mfa::root_device(&state, &account).is_some() {
                let pending = Pending {
                    account: account.clone(),
                    user_id: None,
                    name: "root".into(),
                    issued: app.sts.now().unix_timestamp(),
                };
                return ask_code(app, "root", &pending, r);
            }
            let session = ConsoleSession::new(&account, None, None, app.sts.now().unix_timestamp());
            start(app, &session, "root", r)
        }
        Ok(false) => {
            PASSWORD_THROTTLE.failed(&key, now);
            page("root", Some(BAD_ROOT), r)
        }
        Err(e) => {
            tracing::error!(error = %e, "root password verification failed");
            page("root", Some("Sign-in failed; try again later."), r)
        }
    }
}

/// The root's own password change: no IAM operation exists for it (AWS's is console-only),
/// so it is written here, after the old password is verified (under the root's lockout)
/// and the new one meets AWS's root password rules: 8 to 128 characters, at least three
/// of upper case, lower case, digits and symbols.
fn change_root_password(c: &Console, old: &str, new: &str) -> Result<(), ApiError> {
    use oxiam_protocol::error::ErrorCode;
    let internal = |e: crate::model::error::ServerError| e.to_api(oxiam_protocol::Service::Iam);
    let account = c.caller.account.clone();
    let key = format!("root:{account}");
    let now = now_epoch();
    if let Some(left) = PASSWORD_THROTTLE.locked_for(&key, now) {
        return Err(ApiError::new(
            ErrorCode::LimitExceeded,
            format!("Too many invalid passwords. Try again in {left} seconds."),
        ));
    }
    let current = c
        .app
        .snapshot()
        .accounts
        .get(&account)
        .and_then(|a| a.root_password.clone());
    let Some(current) = current else {
        return Err(ApiError::new(
            ErrorCode::NoSuchEntity,
            "The root user has no console password.",
        ));
    };
    if !current.verify(old).map_err(internal)? {
        PASSWORD_THROTTLE.failed(&key, now);
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            "The old password is incorrect.",
        ));
    }
    PASSWORD_THROTTLE.succeeded(&key);
    let classes = [
        new.chars().any(|ch| ch.is_ascii_uppercase()),
        new.chars().any(|ch| ch.is_ascii_lowercase()),
        new.chars().any(|ch| ch.is_ascii_digit()),
        new.chars().any(|ch| !ch.is_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let len = new.chars().count();
    if !(8..=128).contains(&len) || classes < 3 {
        return Err(ApiError::new(
            ErrorCode::PasswordPolicyViolation,
            "The root password must be 8 to 128 characters with at least three of upper case, \
             lower case, digits and symbols.",
        ));
    }
    let hash = PasswordHash::new(new).map_err(internal)?;
    c.app
        .write(|tx| {
            let Some(a) = tx.state().accounts.get(&account) else {
                return Ok(());
            };
            let mut a = crate::model::Account::clone(a);
            a.root_password = Some(hash.clone());
            tx.put(a)
        })
        .map_err(internal)
}

const BAD_ROOT: &str = "The account ID or alias or the password is incorrect.";

fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), c.as_str()),
        None => String::new(),
    }
}

/// Sets the session cookie and goes to the dashboard (or the change-password page).
fn start(app: &App, session: &ConsoleSession, account: &str, r: &ConsoleRequest) -> Reply {
    match session.seal(app) {
        Ok(value) => {
            let to = if session.must_change_password {
                "/console/change-password"
            } else {
                "/console/home"
            };
            Reply::RedirectWithCookie(to.into(), value)
        }
        Err(e) => {
            tracing::error!(error = %e, "sealing a console session failed");
            page(account, Some("Sign-in failed; try again later."), r)
        }
    }
}

/// Clears the cookie and, for a session that opens with its CSRF token, revokes every
/// console session of its principal (the copy in another tab or browser too).
pub fn sign_out(app: &App, r: &ConsoleRequest) -> Reply {
    use subtle::ConstantTimeEq as _;
    if let Some(s) = super::session::from_request(app, r)
        && bool::from(r.f("_csrf").as_bytes().ct_eq(s.csrf.as_bytes()))
        && let Err(e) = super::session::revoke(app, s.principal())
    {
        tracing::error!(error = %e, "revoking console sessions failed");
    }
    Reply::RedirectWithCookie("/console".into(), String::new())
}

pub fn change_password_page(c: &Console, error: Option<&ApiError>) -> Reply {
    let intro = if c.session.must_change_password {
        "<div class=\"alert info\" role=\"status\">Your password must be changed before you continue.</div>"
    } else {
        ""
    };
    let body = format!(
        "{intro}{err}<form method=\"post\" action=\"/console/change-password\" class=\"card narrow\">{csrf}\
         <label for=\"old\">Current password</label>\
         <input id=\"old\" name=\"old\" type=\"password\" required autocomplete=\"current-password\">\
         <label for=\"new\">New password</label>\
         <input id=\"new\" name=\"new\" type=\"password\" required autocomplete=\"new-password\">\
         <label for=\"confirm\">Confirm new password</label>\
         <input id=\"confirm\" name=\"confirm\" type=\"password\" required autocomplete=\"new-password\">\
         <button type=\"submit\" class=\"primary\">Change password</button></form>",
        err = error.map(html::error_box).unwrap_or_default(),
        csrf = csrf(c),
    );
    let status = html::form_status(error);
    Reply::Html(
        status,
        html::page(c, "My security credentials", "Change password", &body),
    )
}

pub fn change_password(c: &Console, r: &ConsoleRequest) -> Reply {
    if r.f("new") != r.f("confirm") {
        let e = ApiError::new(
            oxiam_protocol::error::ErrorCode::ValidationError,
            "The new passwords do not match.",
        );
        return change_password_page(c, Some(&e));
    }
    if c.is_root() {
        let changed = change_root_password(c, r.f("old"), r.f("new")).and_then(|()| {
            super::session::revoke(&c.app, &c.caller.account)
                .map_err(|e| e.to_api(oxiam_protocol::Service::Iam))
        });
        if let Err(e) = changed {
            return change_password_page(c, Some(&e));
        }
    } else if let Err(e) = c.call(&[
        ("Action", "ChangePassword"),
        ("OldPassword", r.f("old")),
        ("NewPassword", r.f("new")),
    ]) {
        return change_password_page(c, Some(&e));
    }
    // The change revoked the sessions the old password opened, this one included: the
    // changer continues in a new one.
    let mut session = c.session.clone();
    session.must_change_password = false;
    session.reissue(&c.app.snapshot());
    match session.seal(&c.app) {
        Ok(value) => Reply::RedirectWithCookie(
            "/console/security-credentials?notice=Password+changed".into(),
            value,
        ),
        Err(e) => {
            tracing::error!(error = %e, "sealing a console session failed");
            Reply::Redirect("/console/security-credentials".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn app() -> Arc<App> {
        crate::app::test_support::app("123456789012", Some("Root-Pa55word!"))
    }

    #[test]
    fn a_pending_sign_in_opens_only_as_itself_and_only_while_recent() {
        let app = app();
        let now = app.sts.now().unix_timestamp();
        let p = Pending {
            account: "123456789012".into(),
            user_id: Some("AIDAEXAMPLE000000000".into()),
            name: "alice".into(),
            issued: now,
        };
        let sealed = p.seal(&app).unwrap();
        assert_eq!(Pending::open(&app, &sealed), Some(p.clone()));
        assert_eq!(Pending::open(&app, "forged"), None);
        // Not a session cookie, nor a session cookie a pending sign-in.
        let s = ConsoleSession::new("123456789012", None, None, now);
        assert_eq!(Pending::open(&app, &s.seal(&app).unwrap()), None);
        assert!(
            token_keys::open_bytes(&app.snapshot(), b"oxiam/console-session", &sealed).is_err()
        );
        let old = Pending {
            issued: now - PENDING_LIFETIME,
            ..p
        };
        assert_eq!(Pending::open(&app, &old.seal(&app).unwrap()), None);
    }
}
