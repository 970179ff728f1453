//! Signing in and out, and changing a password.
//!
//! - `/console/<account ID or alias>`: IAM users, through [`crate::signin::sign_in`] (argon2id,
//!   lockout, MFA without replay, reset-required and expiry outcomes). When the user has an
//!   MFA device the page asks for a code in a second step, which posts the user name and
//!   password again (the page is `no-store`).
//! - `/console/root`: the account root, by account ID or alias and the root password set on
//!   first start (`Account::root_password`). Unknown accounts cost one hash verification too,
//!   and wrong passwords count against the same lockout as users' (keyed `root:<account>`).
//! - A password that must change (reset required, expired) signs the user in to the
//!   change-password page only; `ChangePassword` there is the API operation, as the user.

use axum::http::StatusCode;
use oxiam_protocol::error::ApiError;

use super::html::{self, bare, csrf, esc};
use super::session::ConsoleSession;
use super::{Console, ConsoleRequest, Reply};
use crate::app::App;
use crate::iam::passwords::{PASSWORD_THROTTLE, PasswordHash};
use crate::model::now_epoch;
use crate::signin::{SignInError, SignInRequest, sign_in};
use crate::sts::session::Mfa;

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

/// The MFA step: the code field, the first step's answers carried along.
fn mfa_page(account: &str, r: &ConsoleRequest, error: Option<&str>) -> Reply {
    let error_html = error.map_or_else(String::new, |e| {
        format!("<div class=\"alert error\" role=\"alert\">{}</div>", esc(e))
    });
    let body = format!(
        "<h1>Multi-factor authentication</h1>{error_html}\
         <p>Enter the code from your authenticator app for <strong>{user}</strong>.</p>\
         <form method=\"post\" action=\"/console/{acct_url}\" class=\"card\">\
         <input type=\"hidden\" name=\"account\" value=\"{acct}\">\
         <input type=\"hidden\" name=\"username\" value=\"{user}\">\
         <input type=\"hidden\" name=\"password\" value=\"{pw}\">\
         <label for=\"mfa\">MFA code</label>\
         <input id=\"mfa\" name=\"mfa\" required inputmode=\"numeric\" pattern=\"[0-9]{{6}}\" \
          autocomplete=\"one-time-code\" autofocus>\
         <button type=\"submit\" class=\"primary\">Submit</button></form>",
        acct_url = html::url(account),
        acct = esc(r.f("account")),
        user = esc(r.f("username")),
        pw = esc(r.f("password")),
    );
    let status = if error.is_some() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    };
    Reply::Html(status, bare("MFA", &body))
}

pub fn submit(app: &App, account: &str, r: &ConsoleRequest) -> Reply {
    if account == "root" {
        return submit_root(app, r);
    }
    let account_field = if r.f("account").is_empty() {
        account
    } else {
        r.f("account")
    };
    let mfa_code = r.form.get("mfa").filter(|c| !c.is_empty());
    let request = SignInRequest {
        account: account_field,
        user: r.f("username"),
        password: r.f("password"),
        mfa_code,
    };
    let (signed_in, must_change) = match sign_in(app, &request) {
        Ok(s) => (s, false),
        Err(SignInError::PasswordResetRequired(s) | SignInError::PasswordExpired(s)) => (*s, true),
        Err(SignInError::MfaRequired) => return mfa_page(account, r, None),
        Err(e @ SignInError::MfaInvalid) => {
            return mfa_page(account, r, Some(&sentence(&e.to_string())));
        }
        Err(SignInError::Server(e)) => {
            tracing::error!(error = %e, "console sign-in failed");
            return page(account, Some("Sign-in failed; try again later."), r);
        }
        Err(e) => return page(account, Some(&sentence(&e.to_string())), r),
    };
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
    let internal = |e: crate::error::ServerError| e.to_api(oxiam_protocol::Service::Iam);
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

pub fn sign_out() -> Reply {
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
    let status = error.map_or(StatusCode::OK, |e| {
        StatusCode::from_u16(e.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    });
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
        return match change_root_password(c, r.f("old"), r.f("new")) {
            Ok(()) => {
                Reply::Redirect("/console/security-credentials?notice=Password+changed".into())
            }
            Err(e) => change_password_page(c, Some(&e)),
        };
    }
    if let Err(e) = c.call(&[
        ("Action", "ChangePassword"),
        ("OldPassword", r.f("old")),
        ("NewPassword", r.f("new")),
    ]) {
        return change_password_page(c, Some(&e));
    }
    let mut session = c.session.clone();
    session.must_change_password = false;
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
