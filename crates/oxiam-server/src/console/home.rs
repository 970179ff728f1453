//! The dashboard (resource counts, the sign-in URL and alias, security recommendations)
//! and "My security credentials" (own password, access keys and MFA).

use std::fmt::Write as _;

use super::html::{self, csrf, error_box, esc, notice, page, table, url};
use super::{Console, ConsoleRequest, Reply};
use crate::model::{KeyOwner, KeyStatus};

/// AWS's recommendation flags access keys unused for 90 days.
const STALE_AFTER: crate::model::Epoch = 90 * 86_400;

pub fn dashboard(c: &Console, r: &ConsoleRequest) -> Reply {
    let mut body = notice(r.q("notice"));
    match call_as!(c, GetAccountSummary, [("Action", "GetAccountSummary")]) {
        Ok(s) => {
            let map = s.summary_map.unwrap_or_default();
            let n = |k: &str| map.get(k).copied().unwrap_or(0);
            body.push_str("<section class=\"tiles\" aria-label=\"IAM resources\">");
            for (label, key, href) in [
                ("Users", "Users", "/console/users"),
                ("User groups", "Groups", "/console/groups"),
                ("Roles", "Roles", "/console/roles"),
                (
                    "Customer managed policies",
                    "Policies",
                    "/console/policies?scope=Local",
                ),
            ] {
                let _ = write!(
                    body,
                    "<a class=\"tile\" href=\"{href}\"><span class=\"count\">{}</span><span>{label}</span></a>",
                    n(key)
                );
            }
            body.push_str("</section>");
            body.push_str(&recommendations(
                c,
                n("AccountMFAEnabled"),
                n("AccountAccessKeysPresent"),
            ));
        }
        Err(e) => body.push_str(&error_box(&e)),
    }
    let aliases = call_as!(c, ListAccountAliases, [("Action", "ListAccountAliases")])
        .map(|a| a.account_aliases);
    let current = aliases.as_ref().ok().and_then(|a| a.first().cloned());
    let alias = match (&aliases, &current) {
        (Ok(_), Some(a)) => format!(
            "{} <form method=\"post\" action=\"/console/account-alias\" class=\"inline\">{}\
             <input type=\"hidden\" name=\"delete\" value=\"{}\">\
             <button type=\"submit\" class=\"link-button\">Delete</button></form>",
            esc(a),
            csrf(c),
            esc(a)
        ),
        (Ok(_), None) => format!(
            "<form method=\"post\" action=\"/console/account-alias\" class=\"row tight\">{}\
             <label for=\"alias\" class=\"sr-only\">Account alias</label>\
             <input id=\"alias\" name=\"alias\" placeholder=\"my-company\" required maxlength=\"63\">\
             <button type=\"submit\">Create alias</button></form>",
            csrf(c)
        ),
        (Err(e), _) => esc(e.code.code()),
    };
    let link = super::users::sign_in_link(c);
    let _ = write!(
        body,
        "<section class=\"card\"><h2>AWS Account</h2><dl class=\"summary\">\
         <dt>Account ID</dt><dd><code>{}</code></dd><dt>Account alias</dt><dd>{}</dd>\
         <dt>Sign-in URL for IAM users in this account</dt><dd><a href=\"{l}\" id=\"signin-url\">{l}</a></dd></dl></section>",
        esc(&c.caller.account),
        alias,
        l = esc(&link),
    );
    Reply::ok(page(c, "Dashboard", "IAM dashboard", &body))
}

/// Creates the account alias (the sign-in URL then names it) or deletes it.
pub fn set_alias(c: &Console, r: &ConsoleRequest) -> Reply {
    let result = if r.f("delete").is_empty() {
        c.call(&[
            ("Action", "CreateAccountAlias"),
            ("AccountAlias", r.f("alias").trim()),
        ])
    } else {
        c.call(&[
            ("Action", "DeleteAccountAlias"),
            ("AccountAlias", r.f("delete")),
        ])
    };
    match result {
        Ok(_) => Reply::Redirect("/console/home?notice=Account+alias+updated".into()),
        Err(e) => html::failed(c, "Dashboard", "Account alias", &e, "/console/home"),
    }
}

/// AWS's security recommendations: root MFA, root access keys, users without MFA, keys
/// not used for 90 days. Counted from what the signed-in principal may list.
fn recommendations(c: &Console, root_mfa: i32, root_keys: i32) -> String {
    let mut items: Vec<(bool, String)> = vec![
        if root_mfa > 0 {
            (true, "The root user has MFA".into())
        } else {
            (false, "Add MFA for the root user".into())
        },
        if root_keys == 0 {
            (true, "The root user has no access keys".into())
        } else {
            (
                false,
                "Delete the root user's access keys: use IAM users or roles instead".into(),
            )
        },
    ];
    let users = call_as!(
        c,
        ListUsers,
        [("Action", "ListUsers"), ("MaxItems", "1000")]
    )
    .map(|u| u.users)
    .unwrap_or_default();
    let state = c.app.snapshot();
    let now = crate::model::now_epoch();
    let listed: std::collections::HashSet<&str> =
        users.iter().map(|u| u.user_id.as_str()).collect();
    let without_mfa = users
        .iter()
        .filter(|u| {
            state.login_profiles.contains_key(&u.user_id)
                && crate::auth::mfa::devices_of_user(&state, &u.user_id)
                    .next()
                    .is_none()
        })
        .count();
    // One pass over the keys (not one per user): the dashboard stays linear.
    let stale_keys = state
        .access_keys
        .values()
        .filter(|k| k.account == c.caller.account && k.status == KeyStatus::Active)
        .filter(|k| matches!(&k.owner, KeyOwner::User(id) if listed.contains(id.as_str())))
        .filter(|k| {
            let used = c.app.key_last_used(&k.id).map(|l| l.date);
            now - used.unwrap_or(k.created) > STALE_AFTER
        })
        .count();
    items.push((
        without_mfa == 0,
        if without_mfa == 0 {
            "Every user with console access has MFA".into()
        } else {
            format!("{without_mfa} user(s) with console access have no MFA")
        },
    ));
    items.push((
        stale_keys == 0,
        if stale_keys == 0 {
            "No active access keys unused for 90 days".into()
        } else {
            format!("{stale_keys} active access key(s) unused for 90 days or more")
        },
    ));
    let mut out = String::from(
        "<section class=\"card\"><h2>Security recommendations</h2><ul class=\"checks\">",
    );
    for (ok, text) in items {
        let _ = write!(
            out,
            "<li class=\"{}\"><span class=\"sr-only\">{}</span>{}</li>",
            if ok { "ok" } else { "warn" },
            if ok { "Done: " } else { "Action needed: " },
            esc(&text)
        );
    }
    out.push_str("</ul></section>");
    out
}

pub fn my_credentials(c: &Console, r: &ConsoleRequest) -> Reply {
    let mut body = notice(r.q("notice"));
    let crate::auth::authn::CallerKind::User { name } = &c.caller.kind else {
        body.push_str(
            "<section class=\"card\"><h2>Console password</h2>\
             <p>The root password is set when oxiam first starts (printed once, or \
             <code>OXIAM_ROOT_PASSWORD</code>).</p>\
             <p><a class=\"button\" href=\"/console/change-password\">Change password</a></p>\
             <p class=\"hint\">Manage the root's access keys with the API.</p></section>",
        );
        body.push_str(&root_mfa_section(c));
        return Reply::ok(page(
            c,
            "My security credentials",
            "My security credentials (root user)",
            &body,
        ));
    };
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Console password</h2>\
         <p><a class=\"button\" href=\"/console/change-password\">Change password</a></p></section>"
    );
    match call_as!(c, ListAccessKeys, [("Action", "ListAccessKeys")]) {
        Ok(k) => {
            let rows: Vec<Vec<String>> = k
                .access_key_metadata
                .iter()
                .map(|k| {
                    vec![
                        format!(
                            "<code>{}</code>",
                            esc(k.access_key_id.as_deref().unwrap_or_default())
                        ),
                        esc(k.status.as_deref().unwrap_or_default()),
                        html::date(k.create_date.as_ref()),
                    ]
                })
                .collect();
            let _ = write!(
                body,
                "<section class=\"card\"><h2>Access keys</h2>{}\
                 <p><a href=\"/console/users/{}\">Manage access keys</a></p></section>",
                table(
                    "Your access keys",
                    &["Access key ID", "Status", "Created"],
                    &rows,
                    "No access keys."
                ),
                url(name)
            );
        }
        Err(e) => body.push_str(&error_box(&e)),
    }
    let mfa = call_as!(c, ListMFADevices, [("Action", "ListMFADevices")]);
    let _ = write!(
        body,
        "<section class=\"card\"><h2>Multi-factor authentication (MFA)</h2>"
    );
    match mfa {
        Ok(m) => {
            let rows: Vec<Vec<String>> = m
                .mfa_devices
                .iter()
                .map(|d| {
                    vec![
                        format!("<code>{}</code>", esc(&d.serial_number)),
                        html::date(Some(&d.enable_date)),
                    ]
                })
                .collect();
            body.push_str(&table(
                "Your MFA devices",
                &["Identifier", "Enabled"],
                &rows,
                "No MFA device.",
            ));
        }
        Err(e) => body.push_str(&error_box(&e)),
    }
    body.push_str(&super::users::assign_mfa_form(c, name));
    Reply::ok(page(
        c,
        "My security credentials",
        "My security credentials",
        &body,
    ))
}

/// The root's MFA card: its device with a remove button, or the assign button.
fn root_mfa_section(c: &Console) -> String {
    let state = c.app.snapshot();
    let mut out =
        String::from("<section class=\"card\"><h2>Multi-factor authentication (MFA)</h2>");
    match crate::auth::mfa::root_device(&state, &c.caller.account) {
        Some(d) => {
            let rows = vec![vec![
                format!("<code>{}</code>", esc(&d.serial)),
                html::date(d.enabled.map(crate::model::to_datetime).as_ref()),
            ]];
            out.push_str(&table(
                "The root user's MFA device",
                &["Identifier", "Enabled"],
                &rows,
                "",
            ));
            let _ = write!(
                out,
                "<form method=\"post\" action=\"/console/security-credentials/mfa/remove\">{}\
                 <button type=\"submit\" class=\"danger\">Remove MFA device</button></form>",
                csrf(c)
            );
        }
        None => {
            let _ = write!(
                out,
                "<p>The root user has no MFA device: anyone with its password can sign in.</p>\
                 <form method=\"post\" action=\"/console/security-credentials/mfa\">{}\
                 <button type=\"submit\" class=\"primary\">Assign MFA device</button></form>",
                csrf(c)
            );
        }
    }
    out.push_str("</section>");
    out
}

const ROOT_MFA_ENABLE: &str = "/console/security-credentials/mfa/enable";

/// Starts the root's virtual device (`root-account-mfa-device`, AWS's name).
pub fn root_mfa_start(c: &Console) -> Reply {
    if !c.is_root() {
        return Reply::Redirect("/console/security-credentials".into());
    }
    match super::users::new_device(c, crate::auth::mfa::ROOT_DEVICE_NAME) {
        Ok(d) => Reply::ok(page(
            c,
            "My security credentials",
            "Set up the root user's virtual MFA device",
            &super::users::mfa_form(c, ROOT_MFA_ENABLE, &d.serial, &d.seed, &d.qr, None),
        )),
        Err(e) => html::failed(
            c,
            "My security credentials",
            "Assign MFA device",
            &e,
            "/console/security-credentials",
        ),
    }
}

/// Enables the root's device with two consecutive codes.
pub fn root_mfa_enable(c: &Console, r: &ConsoleRequest) -> Reply {
    if !c.is_root() {
        return Reply::Redirect("/console/security-credentials".into());
    }
    let account = c.caller.account.clone();
    let result = c.app.write(|tx| {
        crate::ops::iam::mfa::enable_root_device(tx, &account, r.f("code1"), r.f("code2"))
    });
    match result {
        Ok(()) => Reply::Redirect(
            "/console/security-credentials?notice=MFA+device+assigned+to+the+root+user".into(),
        ),
        Err(e) => {
            let e = e.to_api(oxiam_protocol::Service::Iam);
            let title = "Set up the root user's virtual MFA device";
            let active = "My security credentials";
            super::users::mfa_form_failed(c, active, title, ROOT_MFA_ENABLE, r, &e)
        }
    }
}

/// Removes the root's device (sign-in then needs the password only).
pub fn root_mfa_remove(c: &Console) -> Reply {
    if !c.is_root() {
        return Reply::Redirect("/console/security-credentials".into());
    }
    let account = c.caller.account.clone();
    match c
        .app
        .write(|tx| crate::ops::iam::mfa::remove_root_device(tx, &account))
    {
        Ok(()) => Reply::Redirect("/console/security-credentials?notice=MFA+device+removed".into()),
        Err(e) => html::failed(
            c,
            "My security credentials",
            "Remove MFA device",
            &e.to_api(oxiam_protocol::Service::Iam),
            "/console/security-credentials",
        ),
    }
}
