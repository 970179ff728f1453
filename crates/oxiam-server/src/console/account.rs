//! Account settings: the account password policy (view, edit, delete), the credential
//! report (generate, download as CSV) and the account's enforcement mode (enforce or
//! report-only; root only). Each action is the IAM operation itself
//! (`UpdateAccountPasswordPolicy` validates the fields and its message is shown as is); the
//! enforcement mode is oxiam's own operation (`front::enforcement::put_mode`).

use std::fmt::Write as _;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam::PasswordPolicy;

use super::html::{self, csrf, error_box, esc, notice, page};
use super::{Console, ConsoleRequest, Reply, done};
use crate::front::enforcement;
use crate::model::EnforcementMode;

const TITLE: &str = "Account settings";

/// The settings page; `error` re-renders the policy form with what was submitted.
pub fn settings(c: &Console, r: &ConsoleRequest) -> Reply {
    let mut body = notice(r.q("notice"));
    let current = call_as!(
        c,
        GetAccountPasswordPolicy,
        [("Action", "GetAccountPasswordPolicy")]
    );
    let (policy, present) = match current {
        Ok(p) => (p.password_policy, true),
        Err(e) if e.code == ErrorCode::NoSuchEntity => (PasswordPolicy::default(), false),
        Err(e) => {
            body.push_str(&error_box(&e));
            (PasswordPolicy::default(), false)
        }
    };
    body.push_str(&enforcement_section(c));
    body.push_str(&policy_form(c, &policy, present, None));
    body.push_str(&report_section(c));
    Reply::ok(page(c, TITLE, TITLE, &body))
}

/// The account's enforcement mode; the switch only for the root (the one principal that
/// may change it).
fn enforcement_section(c: &Console) -> String {
    let mode = enforcement::mode_of(&c.app.snapshot(), &c.caller.account);
    let mut out = format!(
        "<section class=\"card\" id=\"enforcement\"><h2>Policy enforcement</h2>\
         <p>Mode: <strong id=\"enforcement-mode\">{}</strong></p>\
         <p>In report-only mode, requests that this account's policies deny are allowed and \
         recorded as would-be denials (decision <code>ReportOnlyDeny</code> in the audit \
         log). Authentication, root-only operations and other accounts' policies stay \
         enforced.</p>",
        match mode {
            EnforcementMode::Enforce => "Enforce",
            EnforcementMode::ReportOnly => "Report-only",
        }
    );
    if enforcement::is_root(&c.caller) {
        let (next, label) = match mode {
            EnforcementMode::Enforce => (EnforcementMode::ReportOnly, "Switch to report-only"),
            EnforcementMode::ReportOnly => (EnforcementMode::Enforce, "Enforce policies"),
        };
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/console/account-settings/enforcement\">{}\
             <input type=\"hidden\" name=\"mode\" value=\"{}\">\
             <button type=\"submit\" id=\"enforcement-switch\" class=\"{}\">{label}</button>\
             </form>",
            csrf(c),
            next.as_str(),
            if next == EnforcementMode::ReportOnly {
                "danger"
            } else {
                "primary"
            }
        );
    } else {
        out.push_str("<p>Only the account's root user can change the mode.</p>");
    }
    out.push_str("</section>");
    out
}

/// Sets the enforcement mode (root only: others are refused by `put_mode` itself).
pub fn save_enforcement(c: &Console, r: &ConsoleRequest) -> Reply {
    let result = match EnforcementMode::from_name(r.f("mode")) {
        Some(mode) => enforcement::put_mode(&c.app, &c.caller, mode),
        None => Err(crate::model::error::validation(
            "`mode` must be ENFORCE or REPORT_ONLY",
        )),
    };
    match result {
        Ok(EnforcementMode::ReportOnly) => Reply::Redirect(
            "/console/account-settings?notice=Report-only+mode+on:+policy+denials+are+recorded,+not+enforced".into(),
        ),
        Ok(EnforcementMode::Enforce) => Reply::Redirect(
            "/console/account-settings?notice=Policies+are+enforced".into(),
        ),
        Err(e) => html::failed(
            c,
            TITLE,
            TITLE,
            &e.to_api(oxiam_protocol::Service::Iam),
            "/console/account-settings",
        ),
    }
}

fn checkbox(name: &str, label: &str, on: bool) -> String {
    format!(
        "<label class=\"check\"><input type=\"checkbox\" name=\"{name}\" value=\"true\"{}> {label}</label>",
        if on { " checked" } else { "" }
    )
}

fn policy_form(
    c: &Console,
    p: &PasswordPolicy,
    present: bool,
    error: Option<&oxiam_protocol::error::ApiError>,
) -> String {
    let num = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_default();
    let mut out = String::from("<section class=\"card\"><h2>Password policy</h2>");
    if let Some(e) = error {
        out.push_str(&error_box(e));
    }
    out.push_str(if present {
        "<p>A custom password policy applies to IAM users' console passwords.</p>"
    } else {
        "<p id=\"no-policy\">This account uses the default password policy: at least 8 \
         characters, three of upper case, lower case, digits and symbols.</p>"
    });
    let _ = write!(
        out,
        "<form method=\"post\" action=\"/console/account-settings/password-policy\">{csrf}\
         <label for=\"min-length\">Minimum password length (6–128)</label>\
         <input id=\"min-length\" name=\"min\" inputmode=\"numeric\" value=\"{min}\">\
         <fieldset><legend>Require</legend>{up}{low}{num_}{sym}</fieldset>\
         {allow}{hard}\
         <label for=\"max-age\">Password expiration in days (1–1095, empty: never)</label>\
         <input id=\"max-age\" name=\"max_age\" inputmode=\"numeric\" value=\"{age}\">\
         <label for=\"reuse\">Prevent reuse of the last N passwords (1–24, empty: allowed)</label>\
         <input id=\"reuse\" name=\"reuse\" inputmode=\"numeric\" value=\"{reuse}\">\
         <button type=\"submit\" class=\"primary\">Save password policy</button></form>",
        csrf = csrf(c),
        min = esc(&num(p.minimum_password_length)),
        up = checkbox(
            "upper",
            "At least one uppercase letter",
            p.require_uppercase_characters == Some(true)
        ),
        low = checkbox(
            "lower",
            "At least one lowercase letter",
            p.require_lowercase_characters == Some(true)
        ),
        num_ = checkbox(
            "numbers",
            "At least one number",
            p.require_numbers == Some(true)
        ),
        sym = checkbox(
            "symbols",
            "At least one non-alphanumeric character",
            p.require_symbols == Some(true)
        ),
        allow = checkbox(
            "allow_change",
            "Allow users to change their own password",
            p.allow_users_to_change_password == Some(true)
        ),
        hard = checkbox(
            "hard_expiry",
            "Prevent password reuse after expiry (administrator reset required)",
            p.hard_expiry == Some(true)
        ),
        age = esc(&num(p.max_password_age)),
        reuse = esc(&num(p.password_reuse_prevention)),
    );
    if present {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/console/account-settings/password-policy/delete\">{}\
             <button type=\"submit\" class=\"danger\">Delete password policy</button></form>",
            csrf(c)
        );
    }
    out.push_str("</section>");
    out
}

/// Saves the policy: `UpdateAccountPasswordPolicy` with the form's fields.
pub fn save_policy(c: &Console, r: &ConsoleRequest) -> Reply {
    let flag = |name: &str| if r.f(name) == "true" { "true" } else { "false" };
    let mut pairs: Vec<(&str, &str)> = vec![
        ("Action", "UpdateAccountPasswordPolicy"),
        ("RequireUppercaseCharacters", flag("upper")),
        ("RequireLowercaseCharacters", flag("lower")),
        ("RequireNumbers", flag("numbers")),
        ("RequireSymbols", flag("symbols")),
        ("AllowUsersToChangePassword", flag("allow_change")),
        ("HardExpiry", flag("hard_expiry")),
    ];
    for (field, param) in [
        ("min", "MinimumPasswordLength"),
        ("max_age", "MaxPasswordAge"),
        ("reuse", "PasswordReusePrevention"),
    ] {
        let v = r.f(field).trim();
        if !v.is_empty() {
            pairs.push((param, v));
        }
    }
    match done(c.call(&pairs)) {
        Ok(()) => Reply::Redirect("/console/account-settings?notice=Password+policy+saved".into()),
        Err(e) => {
            let int = |name: &str| r.f(name).trim().parse().ok();
            let submitted = PasswordPolicy {
                minimum_password_length: int("min"),
                require_symbols: Some(r.f("symbols") == "true"),
                require_numbers: Some(r.f("numbers") == "true"),
                require_uppercase_characters: Some(r.f("upper") == "true"),
                require_lowercase_characters: Some(r.f("lower") == "true"),
                allow_users_to_change_password: Some(r.f("allow_change") == "true"),
                expire_passwords: None,
                max_password_age: int("max_age"),
                password_reuse_prevention: int("reuse"),
                hard_expiry: Some(r.f("hard_expiry") == "true"),
            };
            let status = html::status_of(&e);
            let body = format!(
                "{}{}",
                policy_form(c, &submitted, true, Some(&e)),
                report_section(c)
            );
            Reply::Html(status, page(c, TITLE, TITLE, &body))
        }
    }
}

pub fn delete_policy(c: &Console) -> Reply {
    match done(c.call(&[("Action", "DeleteAccountPasswordPolicy")])) {
        Ok(()) => {
            Reply::Redirect("/console/account-settings?notice=Password+policy+deleted".into())
        }
        Err(e) => html::failed(c, TITLE, TITLE, &e, "/console/account-settings"),
    }
}

fn report_section(c: &Console) -> String {
    format!(
        "<section class=\"card\"><h2>Credential report</h2>\
         <p>A CSV of every user and the root: passwords, access keys, MFA and their last use \
         (AWS's columns).</p>\
         <form method=\"post\" action=\"/console/credential-report\">{}\
         <button type=\"submit\">Generate report</button></form>\
         <p><a class=\"button\" id=\"download-report\" href=\"/console/credential-report.csv\" \
         download=\"credential-report.csv\">Download report</a></p></section>",
        csrf(c)
    )
}

/// `GenerateCredentialReport` (which finishes at once in oxiam).
pub fn generate_report(c: &Console) -> Reply {
    match done(c.call(&[("Action", "GenerateCredentialReport")])) {
        Ok(()) => {
            Reply::Redirect("/console/account-settings?notice=Credential+report+generated".into())
        }
        Err(e) => html::failed(c, TITLE, TITLE, &e, "/console/account-settings"),
    }
}

/// `GetCredentialReport` as a CSV download.
pub fn download_report(c: &Console) -> Reply {
    match call_as!(c, GetCredentialReport, [("Action", "GetCredentialReport")]) {
        Ok(report) => Reply::Download(
            "credential-report.csv",
            "text/csv; charset=utf-8",
            report.content.unwrap_or_default(),
        ),
        Err(e) => html::failed(c, TITLE, TITLE, &e, "/console/account-settings"),
    }
}
