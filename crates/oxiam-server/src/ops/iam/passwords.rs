//! Console passwords: the account password policy (`UpdateAccountPasswordPolicy`,
//! `GetAccountPasswordPolicy`, `DeleteAccountPasswordPolicy`), login profiles
//! (`CreateLoginProfile`, `GetLoginProfile`, `UpdateLoginProfile`, `DeleteLoginProfile`) and
//! `ChangePassword`.
//!
//! Passwords are hashed with argon2id and never stored reversibly. Hashing is slow on
//! purpose, so the operations that hash or verify run it against the published snapshot
//! *before* taking the writer lock (their mode is `Call`); the write then checks that the login
//! profile it prepared against is still the current one.

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::{Ctx, not_supported_yet, target_user};
use crate::app::App;
use crate::auth::authn::{Caller, CallerKind};
use crate::auth::target::Target;
use crate::model::error::{ServerError, already_exists, api, no_such_entity, validation};
use crate::model::passwords::{
    AccountPasswordPolicy, LoginProfile, MAX_REMEMBERED, PASSWORD_THROTTLE, PasswordHash,
};
use crate::model::{ConsoleSessionsValidAfter, Epoch, User, now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::{State, Tx};

// ---- The account password policy -------------------------------------------------------

/// The symbols AWS's `RequireSymbols` counts.
const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

fn policy_violation() -> ServerError {
    api(
        ErrorCode::PasswordPolicyViolation,
        "Password does not conform to the account password policy.",
    )
}

/// The rules a new password must meet: the account's policy, or AWS's default policy when
/// the account has none (at least 8 characters, three of the four character classes, and
/// not the account's ID or the user's name).
fn check_password(
    state: &State,
    account: &str,
    user_name: &str,
    password: &str,
) -> Result<(), ServerError> {
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let number = password.chars().any(|c| c.is_ascii_digit());
    let symbol = password.chars().any(|c| SYMBOLS.contains(c));
    let length = password.chars().count();
    let ok = match state.password_policies.get(account) {
        Some(p) => {
            i32::try_from(length).unwrap_or(i32::MAX) >= p.minimum_password_length
                && (upper || !p.require_uppercase_characters)
                && (lower || !p.require_lowercase_characters)
                && (number || !p.require_numbers)
                && (symbol || !p.require_symbols)
        }
        None => {
            let classes = [upper, lower, number, symbol]
                .iter()
                .filter(|b| **b)
                .count();
            length >= 8 && classes >= 3 && password != account && password != user_name
        }
    };
    if ok { Ok(()) } else { Err(policy_violation()) }
}

fn bounded(value: Option<i32>, name: &str, min: i32, max: i32) -> Result<Option<i32>, ServerError> {
    match value {
        Some(v) if !(min..=max).contains(&v) => Err(validation(format!(
            "1 validation error detected: Value '{v}' at '{name}' failed to satisfy constraint: Member must have value {}",
            if v < min {
                format!("greater than or equal to {min}")
            } else {
                format!("less than or equal to {max}")
            }
        ))),
        other => Ok(other),
    }
}

pub fn update_account_password_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateAccountPasswordPolicyRequest,
) -> Result<(), ServerError> {
    // AWS's defaults for parameters left out: every omitted one is reset, not kept.
    let policy = AccountPasswordPolicy {
        account: ctx.caller.account.clone(),
        minimum_password_length: bounded(
            r.minimum_password_length,
            "minimumPasswordLength",
            6,
            128,
        )?
        .unwrap_or(6),
        require_symbols: r.require_symbols.unwrap_or(false),
        require_numbers: r.require_numbers.unwrap_or(false),
        require_uppercase_characters: r.require_uppercase_characters.unwrap_or(false),
        require_lowercase_characters: r.require_lowercase_characters.unwrap_or(false),
        allow_users_to_change_password: r.allow_users_to_change_password.unwrap_or(false),
        max_password_age: bounded(r.max_password_age, "maxPasswordAge", 1, 1095)?,
        password_reuse_prevention: bounded(
            r.password_reuse_prevention,
            "passwordReusePrevention",
            1,
            24,
        )?,
        hard_expiry: r.hard_expiry,
    };
    tx.put(policy)
}

fn no_policy(account: &str) -> ServerError {
    no_such_entity(format!(
        "The Password Policy with domain name {account} cannot be found."
    ))
}

pub fn get_account_password_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    _r: &iam::GetAccountPasswordPolicyRequest,
) -> Result<iam::GetAccountPasswordPolicyResponse, ServerError> {
    let account = &ctx.caller.account;
    let p = tx
        .state()
        .password_policies
        .get(account)
        .ok_or_else(|| no_policy(account))?;
    Ok(iam::GetAccountPasswordPolicyResponse {
        password_policy: iam::PasswordPolicy {
            minimum_password_length: Some(p.minimum_password_length),
            require_symbols: Some(p.require_symbols),
            require_numbers: Some(p.require_numbers),
            require_uppercase_characters: Some(p.require_uppercase_characters),
            require_lowercase_characters: Some(p.require_lowercase_characters),
            allow_users_to_change_password: Some(p.allow_users_to_change_password),
            expire_passwords: Some(p.max_password_age.is_some()),
            max_password_age: p.max_password_age,
            password_reuse_prevention: p.password_reuse_prevention,
            hard_expiry: p.hard_expiry,
        },
    })
}

pub fn delete_account_password_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    _r: &iam::DeleteAccountPasswordPolicyRequest,
) -> Result<(), ServerError> {
    let account = ctx.caller.account.clone();
    if !tx.state().password_policies.contains_key(&account) {
        return Err(no_policy(&account));
    }
    tx.delete::<AccountPasswordPolicy>(&account);
    Ok(())
}

/// Whether the account lets users change their own password without an IAM permission
/// (`AllowUsersToChangePassword`): then `iam:ChangePassword` needs no policy.
pub fn users_may_change_password(state: &State, account: &str) -> bool {
    state
        .password_policies
        .get(account)
        .is_some_and(|p| p.allow_users_to_change_password)
}

// ---- Login profiles ---------------------------------------------------------------------

fn no_login_profile(user_name: &str) -> ServerError {
    no_such_entity(format!(
        "Login Profile for User {user_name} cannot be found."
    ))
}

fn wire_profile(user: &User, p: &LoginProfile) -> iam::LoginProfile {
    iam::LoginProfile {
        user_name: user.name.clone(),
        create_date: to_datetime(p.created),
        password_reset_required: Some(p.reset_required),
        max_signin_session_duration: None,
    }
}

/// The user a login-profile request is about (the caller when it names none).
fn profile_user<'s>(
    state: &'s State,
    caller: &Caller,
    user_name: Option<&str>,
) -> Result<&'s std::sync::Arc<User>, ServerError> {
    target_user(state, caller, user_name)?
        .ok_or_else(|| validation("Must specify userName when calling with non-User credentials"))
}

pub fn get_login_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetLoginProfileRequest,
) -> Result<iam::GetLoginProfileResponse, ServerError> {
    let state = tx.state();
    let user = profile_user(state, ctx.caller, r.user_name.as_deref())?;
    let p = state
        .login_profiles
        .get(&user.id)
        .ok_or_else(|| no_login_profile(&user.name))?;
    Ok(iam::GetLoginProfileResponse {
        login_profile: wire_profile(user, p),
    })
}

pub fn delete_login_profile(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteLoginProfileRequest,
) -> Result<(), ServerError> {
    let user = profile_user(tx.state(), ctx.caller, r.user_name.as_deref())?;
    if !tx.state().login_profiles.contains_key(&user.id) {
        return Err(no_login_profile(&user.name));
    }
    let id = user.id.clone();
    tx.delete::<LoginProfile>(&id);
    // No password, no console: the user's open console sessions end too.
    tx.put(ConsoleSessionsValidAfter::now(&id))
}

/// A password set prepared outside the writer lock: the new hash, and the profile (by its
/// last change) it was checked against.
#[derive(Debug)]
struct Prepared {
    user_id: String,
    hash: Option<PasswordHash>,
    /// `changed` of the profile the new password was checked against (reuse prevention).
    against: Option<Epoch>,
}

/// Checks `password` against the policy and (for an existing profile) the passwords it may
/// not reuse, then hashes it. Slow: runs outside the writer lock.
fn prepare_password(state: &State, user: &User, password: &str) -> Result<Prepared, ServerError> {
    check_password(state, &user.account, &user.name, password)?;
    let profile = state.login_profiles.get(&user.id);
    if let Some(p) = profile {
        let remembered = state
            .password_policies
            .get(&user.account)
            .and_then(|pol| pol.password_reuse_prevention)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        // The current password counts as the first remembered one.
        for old in std::iter::once(&p.password)
            .chain(p.previous.iter())
            .take(remembered)
        {
            if old.verify(password)? {
                return Err(policy_violation());
            }
        }
    }
    Ok(Prepared {
        user_id: user.id.clone(),
        hash: Some(PasswordHash::new(password)?),
        against: profile.map(|p| p.changed),
    })
}

fn concurrent() -> ServerError {
    api(
        ErrorCode::ConcurrentModification,
        "The password was changed by another request; try again.",
    )
}

/// The profile `prepared` was checked against, if it is still the current one.
fn current_profile<'s>(
    state: &'s State,
    prepared: &Prepared,
) -> Result<Option<&'s LoginProfile>, ServerError> {
    let p = state.login_profiles.get(&prepared.user_id).map(|p| &**p);
    if p.map(|p| p.changed) != prepared.against {
        return Err(concurrent());
    }
    Ok(p)
}

/// Sets a new password on a profile, remembering the old one.
fn set_password(p: &mut LoginProfile, hash: PasswordHash, now: Epoch) {
    let old = std::mem::replace(&mut p.password, hash);
    p.previous.insert(0, old);
    p.previous.truncate(MAX_REMEMBERED);
    p.changed = now;
}

pub fn create_login_profile(
    app: &App,
    ctx: &Ctx<'_>,
    r: &iam::CreateLoginProfileRequest,
) -> Result<iam::CreateLoginProfileResponse, ServerError> {
    not_supported_yet(
        "MaxSigninSessionDuration",
        r.max_signin_session_duration.is_some(),
    )?;
    let state = app.snapshot();
    let user = profile_user(&state, ctx.caller, r.user_name.as_deref())?;
    if state.login_profiles.contains_key(&user.id) {
        return Err(already_exists(format!(
            "Login Profile for user {} already exists.",
            user.name
        )));
    }
    let password = r
        .password
        .as_deref()
        .ok_or_else(|| validation("Password is required when creating a login profile."))?;
    let prepared = prepare_password(&state, user, password)?;
    app.write(|tx| {
        let state = tx.state();
        let user = state
            .user_by_id(&prepared.user_id)
            .ok_or_else(|| crate::model::error::no_such_user(&user.name))?;
        if state.login_profiles.contains_key(&user.id) {
            return Err(already_exists(format!(
                "Login Profile for user {} already exists.",
                user.name
            )));
        }
        let now = now_epoch();
        let profile = LoginProfile {
            account: user.account.clone(),
            user_id: user.id.clone(),
            created: now,
            password: prepared.hash.clone().ok_or_else(concurrent)?,
            changed: now,
            reset_required: r.password_reset_required.unwrap_or(false),
            previous: Vec::new(),
        };
        let wire = wire_profile(user, &profile);
        tx.put(profile)?;
        Ok(iam::CreateLoginProfileResponse {
            login_profile: wire,
        })
    })
}

pub fn update_login_profile(
    app: &App,
    ctx: &Ctx<'_>,
    r: &iam::UpdateLoginProfileRequest,
) -> Result<(), ServerError> {
    // `ResetMaxSigninSessionDuration` is a no-op: no login profile has one.
    not_supported_yet(
        "MaxSigninSessionDuration",
        r.max_signin_session_duration.is_some(),
    )?;
    let state = app.snapshot();
    let user = state
        .user(&ctx.caller.account, &r.user_name)
        .ok_or_else(|| crate::model::error::no_such_user(&r.user_name))?;
    let Some(profile) = state.login_profiles.get(&user.id) else {
        return Err(no_login_profile(&user.name));
    };
    let prepared = match &r.password {
        Some(password) => prepare_password(&state, user, password)?,
        None => Prepared {
            user_id: user.id.clone(),
            hash: None,
            against: Some(profile.changed),
        },
    };
    app.write(|tx| {
        let mut p = current_profile(tx.state(), &prepared)?
            .ok_or_else(|| no_login_profile(&r.user_name))?
            .clone();
        if let Some(hash) = &prepared.hash {
            set_password(&mut p, hash.clone(), now_epoch());
            // A reset password ends the sessions the old one opened.
            tx.put(ConsoleSessionsValidAfter::now(&p.user_id))?;
        }
        if let Some(reset) = r.password_reset_required {
            p.reset_required = reset;
        }
        tx.put(p)
    })
}

// ---- ChangePassword and its brute-force guard -------------------------------------------

/// On the caller itself. `AllowUsersToChangePassword` lets every user change their own
/// password without a policy granting `iam:ChangePassword`.
pub fn change_password_target(_r: &iam::ChangePasswordRequest, x: &Resolver<'_>) -> Target {
    let own = x.self_or_user(None);
    if users_may_change_password(x.state, x.account()) {
        x.always(&own.arn)
    } else {
        x.on(&own)
    }
}

pub fn change_password(
    app: &App,
    ctx: &Ctx<'_>,
    r: &iam::ChangePasswordRequest,
) -> Result<(), ServerError> {
    let CallerKind::User { name } = &ctx.caller.kind else {
        return Err(api(
            ErrorCode::InvalidUserType,
            "Only IAM Users can change their own password.",
        ));
    };
    let state = app.snapshot();
    let user = state
        .user(&ctx.caller.account, name)
        .ok_or_else(|| crate::model::error::no_such_user(name))?;
    let profile = state
        .login_profiles
        .get(&user.id)
        .ok_or_else(|| no_login_profile(&user.name))?;
    let now = now_epoch();
    let throttle = &*PASSWORD_THROTTLE;
    if let Some(left) = throttle.locked_for(&user.id, now) {
        return Err(api(
            ErrorCode::LimitExceeded,
            format!(
                "Too many invalid passwords for user {}. Try again in {left} seconds.",
                user.name
            ),
        ));
    }
    if !profile.password.verify(&r.old_password)? {
        throttle.failed(&user.id, now);
        return Err(api(
            ErrorCode::AccessDenied,
            "The old password is incorrect.",
        ));
    }
    throttle.succeeded(&user.id);
    // Expiry runs on the STS clock, which dev mode can move (so tests need not wait days).
    let policy = state.password_policies.get(&user.account).map(|p| &**p);
    let expired = profile
        .expires(policy)
        .is_some_and(|e| e <= app.sts.now().unix_timestamp());
    if expired && policy.is_some_and(|p| p.hard_expiry == Some(true)) {
        return Err(api(
            ErrorCode::EntityTemporarilyUnmodifiable,
            "The password has expired and the account password policy requires an administrator to reset it.",
        ));
    }
    let prepared = prepare_password(&state, user, &r.new_password)?;
    app.write(|tx| {
        let mut p = current_profile(tx.state(), &prepared)?
            .ok_or_else(|| no_login_profile(name))?
            .clone();
        set_password(
            &mut p,
            prepared.hash.clone().ok_or_else(concurrent)?,
            now_epoch(),
        );
        p.reset_required = false;
        // Sessions the old password opened end (the console issues the changer a new one).
        tx.put(ConsoleSessionsValidAfter::now(&p.user_id))?;
        tx.put(p)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_with(policy: Option<AccountPasswordPolicy>) -> State {
        let mut s = State::default();
        if let Some(p) = policy {
            s.password_policies
                .insert(p.account.clone(), std::sync::Arc::new(p));
        }
        s
    }

    fn policy() -> AccountPasswordPolicy {
        AccountPasswordPolicy {
            account: "123456789012".into(),
            minimum_password_length: 10,
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            allow_users_to_change_password: false,
            max_password_age: None,
            password_reuse_prevention: None,
            hard_expiry: None,
        }
    }

    #[test]
    fn the_policy_is_enforced() {
        let s = state_with(Some(policy()));
        let check = |pw: &str| check_password(&s, "123456789012", "alice", pw).is_ok();
        assert!(check("Abcdefgh1!"));
        assert!(!check("Abcdefg1!"), "too short");
        assert!(!check("abcdefgh1!"), "no uppercase");
        assert!(!check("ABCDEFGH1!"), "no lowercase");
        assert!(!check("Abcdefghi!"), "no number");
        assert!(!check("Abcdefghi1"), "no symbol");
    }

    #[test]
    fn without_a_policy_aws_default_applies() {
        let s = state_with(None);
        let check = |pw: &str| check_password(&s, "123456789012", "alice", pw).is_ok();
        assert!(check("abcDEF12"));
        assert!(!check("abcDEF1"), "at least 8");
        assert!(!check("abcdefgh1"), "three classes");
        assert!(check("abcdefg1!"));
    }

    #[test]
    fn out_of_range_values_are_validation_errors() {
        assert!(bounded(Some(5), "minimumPasswordLength", 6, 128).is_err());
        assert!(bounded(Some(129), "minimumPasswordLength", 6, 128).is_err());
        assert_eq!(bounded(Some(6), "x", 6, 128).unwrap(), Some(6));
        assert_eq!(bounded(None, "x", 6, 128).unwrap(), None);
    }

    #[test]
    fn expiry_follows_max_age() {
        let p = LoginProfile {
            account: "123456789012".into(),
            user_id: "AIDA".into(),
            created: 0,
            password: PasswordHash::new("x").unwrap(),
            changed: 100,
            reset_required: false,
            previous: Vec::new(),
        };
        assert_eq!(p.expires(None), None);
        let mut pol = policy();
        pol.max_password_age = Some(2);
        assert_eq!(p.expires(Some(&pol)), Some(100 + 2 * 86_400));
    }
}
