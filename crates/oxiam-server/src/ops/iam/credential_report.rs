//! `GenerateCredentialReport` and `GetCredentialReport`: the account's credential report, a
//! CSV with AWS's columns, one row per user and one for the root (`<root_account>`).
//!
//! A report stays current for four hours, as in AWS: generating again within that time
//! keeps the report there is; after it, `GetCredentialReport` answers `ReportExpired` until
//! a new one is generated. Reports are generated synchronously, so the first call answers
//! `STARTED` and the report is already complete.

use std::collections::HashMap;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::Ctx;
use crate::app::App;
use crate::model::error::{ServerError, api};
use crate::model::passwords::AccountPasswordPolicy;
use crate::model::{CredentialReport, Epoch, KeyLastUsed, KeyOwner, KeyStatus, to_datetime};
use crate::state::{State, Tx};

/// How long a report is current (AWS: four hours).
pub const REPORT_LIFETIME_SECONDS: i64 = 4 * 3600;

/// The columns, in AWS's order.
pub const COLUMNS: [&str; 22] = [
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
];

const NA: &str = "N/A";
/// A password never used (or not since AWS started recording it), as the report writes it.
const NO_INFORMATION: &str = "no_information";

/// ISO 8601 as the report writes times: `2024-05-01T12:00:00+00:00`.
fn iso(epoch: Epoch) -> String {
    let t = to_datetime(epoch).0;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A CSV field: quoted when it holds a comma, quote or line break (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The ten access-key columns of one owner's (at most two) keys, oldest first.
fn key_columns(
    state: &State,
    account: &str,
    owner: &KeyOwner,
    used: &HashMap<String, KeyLastUsed>,
) -> Vec<String> {
    let mut keys: Vec<_> = state.keys_of(account, owner).collect();
    keys.sort_by_key(|k| (k.created, k.id.clone()));
    let mut out = Vec::with_capacity(10);
    for i in 0..2 {
        match keys.get(i) {
            Some(k) => {
                let u = used.get(&k.id);
                out.push((k.status == KeyStatus::Active).to_string());
                out.push(iso(k.created));
                out.push(u.map_or_else(|| NA.to_owned(), |u| iso(u.date)));
                out.push(u.map_or_else(|| NA.to_owned(), |u| u.region.clone()));
                out.push(u.map_or_else(|| NA.to_owned(), |u| u.service.clone()));
            }
            None => out.extend(["false", NA, NA, NA, NA].map(str::to_owned)),
        }
    }
    out
}

/// `cert_1_active`, `cert_1_last_rotated`, `cert_2_active`, `cert_2_last_rotated`: one
/// owner's (at most two) signing certificates, oldest first; "last rotated" is the upload.
fn cert_columns(state: &State, account: &str, user_id: Option<&str>) -> Vec<String> {
    let mut certs: Vec<_> =
        super::signing_certificates::of_owner(state, account, user_id).collect();
    certs.sort_by_key(|c| (c.uploaded, c.id.clone()));
    let mut out = Vec::with_capacity(4);
    for i in 0..2 {
        match certs.get(i) {
            Some(c) => {
                out.push(c.active.to_string());
                out.push(iso(c.uploaded));
            }
            None => out.extend(["false", NA].map(str::to_owned)),
        }
    }
    out
}

/// The report's CSV for `account`.
///
/// `used` holds the access keys' last use and `signed_in` the users' last console sign-in
/// (user ID → when), both including what is not yet flushed to the snapshot.
pub fn render(
    state: &State,
    account: &str,
    used: &HashMap<String, KeyLastUsed>,
    signed_in: &HashMap<String, Epoch>,
) -> String {
    let policy: Option<&AccountPasswordPolicy> = state.password_policies.get(account).map(|p| &**p);
    let mut rows = vec![COLUMNS.join(",")];
    let (created, root_signed_in) = state
        .accounts
        .get(account)
        .map(|a| (a.created, a.root_password_last_used))
        .unwrap_or_default();
    // The root's row as AWS writes it (IAM User Guide, "Getting credential reports"): it
    // always has a password, so its password columns are `not_supported` rather than the
    // `N/A` of a user without one, except `password_last_used`, which is a date or
    // `no_information` (never signed in). Parsers rely on it: prowler's
    // `iam_avoid_root_usage` reads any other value as a date.
    let mut root = vec![
        "<root_account>".to_owned(),
        format!("arn:aws:iam::{account}:root"),
        iso(created),
        "not_supported".to_owned(),
        signed_in
            .get(account)
            .copied()
            .or(root_signed_in)
            .map_or_else(|| NO_INFORMATION.to_owned(), iso),
        "not_supported".to_owned(),
        "not_supported".to_owned(),
        crate::auth::mfa::root_device(state, account)
            .is_some()
            .to_string(),
    ];
    root.extend(key_columns(state, account, &KeyOwner::Root, used));
    root.extend(cert_columns(state, account, None));
    rows.push(root.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
    for user in state.users_of(account) {
        let profile = state.login_profiles.get(&user.id);
        let mut row = vec![
            user.name.clone(),
            user.arn(),
            iso(user.created),
            profile.is_some().to_string(),
            match (
                profile,
                signed_in.get(&user.id).copied().or(user.password_last_used),
            ) {
                (None, _) => NA.to_owned(),
                (Some(_), Some(at)) => iso(at),
                (Some(_), None) => NO_INFORMATION.to_owned(),
            },
            profile.map_or_else(|| NA.to_owned(), |p| iso(p.changed)),
            profile
                .and_then(|p| p.expires(policy))
                .map_or_else(|| NA.to_owned(), iso),
            crate::auth::mfa::devices_of_user(state, &user.id)
                .next()
                .is_some()
                .to_string(),
        ];
        row.extend(key_columns(
            state,
            account,
            &KeyOwner::User(user.id.clone()),
            used,
        ));
        row.extend(cert_columns(state, account, Some(&user.id)));
        rows.push(row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
    }
    let mut csv = rows.join("\n");
    csv.push('\n');
    csv
}

fn generate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    now: Epoch,
    used: &HashMap<String, KeyLastUsed>,
    signed_in: &HashMap<String, Epoch>,
) -> Result<iam::GenerateCredentialReportResponse, ServerError> {
    let account = &ctx.caller.account;
    let current = tx
        .state()
        .credential_reports
        .get(account)
        .is_some_and(|r| now - r.generated < REPORT_LIFETIME_SECONDS);
    if current {
        return Ok(iam::GenerateCredentialReportResponse {
            state: Some("COMPLETE".to_owned()),
            description: None,
        });
    }
    let report = CredentialReport {
        account: account.clone(),
        generated: now,
        content: render(tx.state(), account, used, signed_in),
    };
    tx.put(report)?;
    Ok(iam::GenerateCredentialReportResponse {
        state: Some("STARTED".to_owned()),
        description: Some("No report exists. Starting a new report generation task".to_owned()),
    })
}

fn read_report(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    now: Epoch,
) -> Result<iam::GetCredentialReportResponse, ServerError> {
    let report = tx
        .state()
        .credential_reports
        .get(&ctx.caller.account)
        .ok_or_else(|| {
            api(
                ErrorCode::ReportNotPresent,
                "The request was rejected because the credential report does not exist. To generate a credential report, use GenerateCredentialReport.",
            )
        })?;
    if now - report.generated >= REPORT_LIFETIME_SECONDS {
        return Err(api(
            ErrorCode::ReportExpired,
            "The request was rejected because the most recent credential report has expired. To generate a new credential report, use GenerateCredentialReport.",
        ));
    }
    Ok(iam::GetCredentialReportResponse {
        content: Some(report.content.as_bytes().to_vec()),
        report_format: Some("text/csv".to_owned()),
        generated_time: Some(to_datetime(report.generated)),
    })
}

/// Both operations, with what they need from outside the snapshot: the STS clock (which
/// dev mode can move, so tests see reports expire) and the access keys' last use.
/// `GenerateCredentialReport`: gathers the last-use facts this node has not flushed yet,
/// then writes the report (within four hours of the last one, keeps that one).
pub fn generate_credential_report(
    app: &App,
    ctx: &Ctx<'_>,
    _r: &iam::GenerateCredentialReportRequest,
) -> Result<iam::GenerateCredentialReportResponse, ServerError> {
    let now = app.sts.now().unix_timestamp();
    let state = app.snapshot();
    let used: HashMap<String, KeyLastUsed> = state
        .access_keys
        .values()
        .filter(|k| k.account == ctx.caller.account)
        .filter_map(|k| app.key_last_used(&k.id).map(|u| (k.id.clone(), u)))
        .collect();
    // Users' sign-ins by user ID, the root's by account ID (App::note_password_used).
    let signed_in: HashMap<String, Epoch> = state
        .users_of(&ctx.caller.account)
        .map(|u| &u.id)
        .chain([&ctx.caller.account])
        .filter_map(|id| app.password_last_used(id).map(|t| (id.clone(), t)))
        .collect();
    app.write(|tx| generate(ctx, tx, now, &used, &signed_in))
}

/// `GetCredentialReport`, expired by the STS clock (which dev mode can move).
pub fn get_credential_report(
    app: &App,
    ctx: &Ctx<'_>,
    _r: &iam::GetCredentialReportRequest,
) -> Result<iam::GetCredentialReportResponse, ServerError> {
    let now = app.sts.now().unix_timestamp();
    app.read(|tx| read_report(ctx, tx, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::Config;

    /// The report of a fresh account, parsed: column name → cell, per row's `user`.
    fn report_of_fresh_account() -> HashMap<String, HashMap<&'static str, String>> {
        let (app, _) = App::open(Config::default()).unwrap();
        let csv = render(
            &app.snapshot(),
            &app.default_account,
            &HashMap::new(),
            &HashMap::new(),
        );
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some(COLUMNS.join(",").as_str()));
        lines
            .map(|l| {
                let row: HashMap<_, _> = COLUMNS
                    .iter()
                    .copied()
                    .zip(l.split(',').map(str::to_owned))
                    .collect();
                (row.get("user").cloned().unwrap(), row)
            })
            .collect()
    }

    #[test]
    fn root_row_is_as_aws_writes_it() {
        let report = report_of_fresh_account();
        let root = report.get("<root_account>").unwrap();
        let cell = |c: &str| root.get(c).unwrap().as_str();
        assert_eq!(cell("password_enabled"), "not_supported");
        // A date or `no_information`, never `N/A`: the root always has a password.
        assert_eq!(cell("password_last_used"), "no_information");
        assert_eq!(cell("password_last_changed"), "not_supported");
        assert_eq!(cell("password_next_rotation"), "not_supported");
        assert_eq!(cell("mfa_active"), "false");
        // The root's key from the configuration, never used yet; no certificate.
        assert_eq!(cell("access_key_1_active"), "true");
        assert_eq!(cell("access_key_1_last_used_date"), "N/A");
        assert_eq!(cell("access_key_2_active"), "false");
        assert_eq!(cell("cert_1_active"), "false");
        assert_eq!(cell("cert_1_last_rotated"), "N/A");
    }
}
