//! Console sign-in: [`sign_in`] checks an account (ID or alias), a user name, a password and,
//! when the user has an MFA device, a TOTP code, and tells the console what happened. The
//! console (issue 7) is its caller; nothing in the API calls it.
//!
//! - Passwords are verified against the argon2id hash in constant time. An unknown account,
//!   user or login profile costs one hash verification too and reads the same as a wrong
//!   password, so neither timing nor answer tells which users exist.
//! - Brute force: the guard `ChangePassword` uses ([`PASSWORD_THROTTLE`]): after 5 wrong
//!   passwords (or MFA codes) in a row a user is locked for 5 minutes from the last one,
//!   whatever is presented; guesses on either path count against the other. Per node, in
//!   memory (see `crate::model::passwords::Throttle`).
//! - MFA: a user with an enabled device must give a code; a code is accepted once (the
//!   device's no-replay step, `mfa::verify_code`). The console asks for it in a second
//!   step ([`sign_in_mfa`]), after the password, with a sealed pending token in between.
//! - A right password that must be changed is a distinct outcome: reset required by an
//!   administrator (`PasswordResetRequired`), expired under `MaxPasswordAge` (the user may
//!   change it), or expired with `HardExpiry` (only an administrator can reset it).
//! - A sign-in with the right password (and code) records the user's `PasswordLastUsed`,
//!   also when the password must now be changed (the user is signed in to change it), but
//!   not under `HardExpiry`. Batched like access keys' last use
//!   (`App::note_password_used`, durable on the next flush).
//! - This is IAM users' sign-in. The account root signs in through the console's own root
//!   page (account ID or alias + `Account::root_password`, console/signin.rs); a user name
//!   that looks like an email address (AWS's root sign-in) answers
//!   [`SignInError::RootNotSupported`] here.

use std::sync::LazyLock;

use crate::app::App;
use crate::auth::mfa;
use crate::model::error::ServerError;
use crate::model::passwords::{PASSWORD_THROTTLE, PasswordHash};
use crate::model::{Epoch, now_epoch};

/// What the console presents.
#[derive(Clone)]
pub struct SignInRequest<'a> {
    /// The 12-digit account ID or the account alias.
    pub account: &'a str,
    /// An IAM user name, or the root's email address.
    pub user: &'a str,
    pub password: &'a str,
    pub mfa_code: Option<&'a str>,
}

impl std::fmt::Debug for SignInRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("account", &self.account)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("mfa_code", &self.mfa_code.map(|_| "<redacted>"))
            .finish()
    }
}

/// A signed-in IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub account: String,
    pub user_id: String,
    pub user_name: String,
    pub arn: String,
    /// The serial number of the MFA device the code was checked against, if any (the
    /// console session then has `aws:MultiFactorAuthPresent`).
    pub mfa_serial: Option<String>,
    pub at: Epoch,
}

/// Why a sign-in did not succeed. The first three say nothing about which part was wrong.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown account, unknown user, no console password, or a wrong password.
    #[error("the account ID or alias, user name or password is incorrect")]
    InvalidCredentials,
    /// Too many wrong attempts; try again in `retry_after` seconds.
    #[error("too many failed sign-in attempts; try again in {retry_after} seconds")]
    Locked { retry_after: i64 },
    /// The password was right and the user has an MFA device: a code is needed.
    #[error("an MFA code is required")]
    MfaRequired,
    /// The MFA code was wrong or already used.
    #[error("the MFA code is not valid")]
    MfaInvalid,
    /// The password was right but an administrator requires a new one first.
    #[error("the password must be changed before signing in")]
    PasswordResetRequired(Box<SignedIn>),
    /// The password was right but has expired (`MaxPasswordAge`); the user must change it.
    #[error("the password has expired and must be changed")]
    PasswordExpired(Box<SignedIn>),
    /// The password has expired and the policy's `HardExpiry` lets only an administrator
    /// reset it.
    #[error("the password has expired; an administrator must reset it")]
    PasswordHardExpired,
    /// Root sign-in by email: the root uses the console's root page instead.
    #[error("root sign-in is not supported: the account root has no console password")]
    RootNotSupported,
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// Verified against when there is no real hash, so a miss costs what a wrong password
/// costs. `None` only if argon2 itself fails (then so would every real verification).
static DECOY: LazyLock<Option<PasswordHash>> =
    LazyLock::new(|| PasswordHash::new("oxiam decoy password").ok());

fn decoy_verify(password: &str) {
    if let Some(h) = DECOY.as_ref() {
        // The result is irrelevant: only the time spent matters.
        let _spent = h.verify(password);
    }
}

/// Signs a user in; see the module's doc for each outcome.
pub fn sign_in(app: &App, r: &SignInRequest<'_>) -> Result<SignedIn, SignInError> {
    if r.user.contains('@') {
        return Err(SignInError::RootNotSupported);
    }
    let state = app.snapshot();
    let account = state
        .accounts
        .values()
        .find(|a| a.id == r.account || a.alias.as_deref() == Some(r.account))
        .map(|a| a.id.clone());
    let found = account.as_deref().and_then(|account| {
        let user = state.user(account, r.user)?;
        let profile = state.login_profiles.get(&user.id)?;
        Some((user, profile))
    });
    let Some((user, profile)) = found else {
        decoy_verify(r.password);
        return Err(SignInError::InvalidCredentials);
    };
    let now = now_epoch();
    let throttle = &*PASSWORD_THROTTLE;
    if let Some(retry_after) = throttle.locked_for(&user.id, now) {
        return Err(SignInError::Locked { retry_after });
    }
    if !profile.password.verify(r.password)? {
        throttle.failed(&user.id, now);
        return Err(SignInError::InvalidCredentials);
    }
    second_factor(app, &state, user, profile, r.mfa_code, now)
}

/// The second step of a sign-in whose password was checked earlier (the console's sealed
/// pending token says so): the user's MFA code, under the same lockout, then the same
/// outcomes as [`sign_in`].
pub fn sign_in_mfa(app: &App, user_id: &str, code: &str) -> Result<SignedIn, SignInError> {
    let state = app.snapshot();
    let found = state
        .user_by_id(user_id)
        .and_then(|u| Some((u, state.login_profiles.get(&u.id)?)));
    let Some((user, profile)) = found else {
        return Err(SignInError::InvalidCredentials);
    };
    let now = now_epoch();
    if let Some(retry_after) = PASSWORD_THROTTLE.locked_for(&user.id, now) {
        return Err(SignInError::Locked { retry_after });
    }
    second_factor(app, &state, user, profile, Some(code), now)
}

fn second_factor(
    app: &App,
    state: &crate::state::State,
    user: &crate::model::User,
    profile: &crate::model::passwords::LoginProfile,
    code: Option<&str>,
    now: Epoch,
) -> Result<SignedIn, SignInError> {
    let throttle = &*PASSWORD_THROTTLE;
    let devices: Vec<String> = mfa::devices_of_user(state, &user.id)
        .map(|d| d.serial.clone())
        .collect();
    let mfa_serial = match (devices.is_empty(), code) {
        (true, _) => None,
        (false, None) => return Err(SignInError::MfaRequired),
        (false, Some(code)) => {
            let accepted = devices.into_iter().find(|serial| {
                mfa::verify_code(app, &user.account, &user.id, serial, code).is_ok()
            });
            if accepted.is_none() {
                throttle.failed(&user.id, now);
                return Err(SignInError::MfaInvalid);
            }
            accepted
        }
    };
    throttle.succeeded(&user.id);
    let signed_in = SignedIn {
        account: user.account.clone(),
        user_id: user.id.clone(),
        user_name: user.name.clone(),
        arn: user.arn(),
        mfa_serial,
        at: now,
    };
    // Expiry runs on the STS clock, which dev mode can move (as `ChangePassword`'s does).
    let policy = state.password_policies.get(&user.account).map(|p| &**p);
    let expired = profile
        .expires(policy)
        .is_some_and(|e| e <= app.sts.now().unix_timestamp());
    if expired && policy.is_some_and(|p| p.hard_expiry == Some(true)) {
        return Err(SignInError::PasswordHardExpired);
    }
    // The password signed the user in (to the change-password step, if it must change).
    app.note_password_used(&user.id, now);
    if expired {
        return Err(SignInError::PasswordExpired(Box::new(signed_in)));
    }
    if profile.reset_required {
        return Err(SignInError::PasswordResetRequired(Box::new(signed_in)));
    }
    Ok(signed_in)
}
