//! Console sign-in (`oxiam_server::auth::signin`) against an in-memory server: every outcome, the
//! brute-force lockout, MFA with replay refused, and `PasswordLastUsed` in GetUser, ListUsers
//! and the credential report, before and after the flush that makes it durable.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code: a failed step must fail the test loudly"
)]

use std::sync::Arc;

use oxiam_protocol::iam;
use oxiam_server::auth::authn::Caller;
use oxiam_server::auth::decide::RequestEnv;
use oxiam_server::auth::signin::{SignInError, SignInRequest, sign_in};
use oxiam_server::model::totp;
use oxiam_server::ops::table::dispatch;
use oxiam_server::ops::{Request, Response};
use oxiam_server::{App, Config};

const PASSWORD: &str = "Correct-Horse-9";

struct Fixture {
    app: Arc<App>,
    root: Caller,
}

impl Fixture {
    fn new() -> Fixture {
        let (app, _) = App::open(Config::default()).unwrap();
        let root = Caller::root(&app.default_account, "AKIATEST");
        Fixture { app, root }
    }

    fn call(&self, r: iam::Request) -> Result<iam::Response, String> {
        match dispatch(&self.app, &self.root, &RequestEnv::now(), &Request::Iam(r)) {
            Ok(Response::Iam(r)) => Ok(r),
            Ok(other) => panic!("not an IAM response: {other:?}"),
            Err(e) => Err(format!("{:?}", e.to_api(oxiam_protocol::Service::Iam).code)),
        }
    }

    /// A user with a console password.
    fn user(&self, name: &str, reset_required: bool) {
        self.call(iam::Request::CreateUser(iam::CreateUserRequest {
            user_name: name.into(),
            ..Default::default()
        }))
        .unwrap();
        self.call(iam::Request::CreateLoginProfile(
            iam::CreateLoginProfileRequest {
                user_name: Some(name.into()),
                password: Some(PASSWORD.into()),
                password_reset_required: Some(reset_required),
                ..Default::default()
            },
        ))
        .unwrap();
    }

    fn sign_in(
        &self,
        user: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<String, SignInError> {
        sign_in(
            &self.app,
            &SignInRequest {
                account: &self.app.default_account,
                user,
                password,
                mfa_code: code,
            },
        )
        .map(|s| s.user_name)
    }

    fn password_last_used(&self, name: &str) -> Option<String> {
        match self
            .call(iam::Request::GetUser(iam::GetUserRequest {
                user_name: Some(name.into()),
            }))
            .unwrap()
        {
            iam::Response::GetUser(r) => r.user.password_last_used.map(|d| format!("{d:?}")),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_right_password_signs_in_and_password_last_used_follows() {
    let f = Fixture::new();
    f.user("alice", false);
    assert!(f.password_last_used("alice").is_none());
    assert_eq!(f.sign_in("alice", PASSWORD, None).unwrap(), "alice");
    // Case-insensitive user names, as everywhere in IAM; by alias as well as by ID.
    assert_eq!(f.sign_in("ALICE", PASSWORD, None).unwrap(), "alice");
    // Visible at once (the pending sign-in overlays the snapshot)…
    let seen = f.password_last_used("alice");
    assert!(seen.is_some());
    match f
        .call(iam::Request::ListUsers(iam::ListUsersRequest::default()))
        .unwrap()
    {
        iam::Response::ListUsers(r) => assert!(r.users[0].password_last_used.is_some()),
        other => panic!("{other:?}"),
    }
    // …and durable after the flush.
    f.app.flush_last_used().unwrap();
    let user = f
        .app
        .snapshot()
        .user(&f.app.default_account, "alice")
        .cloned()
        .unwrap();
    assert!(user.password_last_used.is_some());
    assert_eq!(f.password_last_used("alice"), seen);
    // The credential report's password_last_used column.
    f.call(iam::Request::GenerateCredentialReport(
        iam::GenerateCredentialReportRequest,
    ))
    .unwrap();
    let csv = match f
        .call(iam::Request::GetCredentialReport(
            iam::GetCredentialReportRequest,
        ))
        .unwrap()
    {
        iam::Response::GetCredentialReport(r) => String::from_utf8(r.content.unwrap()).unwrap(),
        other => panic!("{other:?}"),
    };
    let row = csv.lines().find(|l| l.starts_with("alice,")).unwrap();
    let last_used = row.split(',').nth(4).unwrap();
    assert!(last_used.ends_with("+00:00"), "{row}");
}

#[test]
fn wrong_and_unknown_read_the_same() {
    let f = Fixture::new();
    f.user("bob", false);
    for (account, user, password) in [
        (f.app.default_account.as_str(), "bob", "wrong-Password-1"),
        (f.app.default_account.as_str(), "nobody", PASSWORD),
        ("000000000000", "bob", PASSWORD),
    ] {
        let r = sign_in(
            &f.app,
            &SignInRequest {
                account,
                user,
                password,
                mfa_code: None,
            },
        );
        assert!(matches!(r, Err(SignInError::InvalidCredentials)), "{r:?}");
    }
    // A user without a console password cannot sign in.
    f.call(iam::Request::CreateUser(iam::CreateUserRequest {
        user_name: "nopass".into(),
        ..Default::default()
    }))
    .unwrap();
    assert!(matches!(
        f.sign_in("nopass", PASSWORD, None),
        Err(SignInError::InvalidCredentials)
    ));
    // The root signs in by email, which oxiam's root does not have yet.
    assert!(matches!(
        f.sign_in("root@example.com", PASSWORD, None),
        Err(SignInError::RootNotSupported)
    ));
    assert!(f.password_last_used("bob").is_none());
}

#[test]
fn an_account_alias_names_the_account() {
    let f = Fixture::new();
    f.user("carol", false);
    f.call(iam::Request::CreateAccountAlias(
        iam::CreateAccountAliasRequest {
            account_alias: "example-corp".into(),
        },
    ))
    .unwrap();
    let r = sign_in(
        &f.app,
        &SignInRequest {
            account: "example-corp",
            user: "carol",
            password: PASSWORD,
            mfa_code: None,
        },
    );
    assert_eq!(r.unwrap().user_name, "carol");
}

#[test]
fn five_wrong_passwords_lock_the_user_even_against_the_right_one() {
    let f = Fixture::new();
    f.user("dave", false);
    f.user("erin", false);
    for _ in 0..5 {
        assert!(matches!(
            f.sign_in("dave", "wrong-Password-1", None),
            Err(SignInError::InvalidCredentials)
        ));
    }
    match f.sign_in("dave", PASSWORD, None) {
        Err(SignInError::Locked { retry_after }) => assert!(retry_after > 0 && retry_after <= 300),
        other => panic!("{other:?}"),
    }
    // ChangePassword shares the guard: the lock holds there too.
    let dave = Caller {
        kind: oxiam_server::auth::authn::CallerKind::User {
            name: "dave".into(),
        },
        ..f.root.clone()
    };
    let r = dispatch(
        &f.app,
        &dave,
        &RequestEnv::now(),
        &Request::Iam(iam::Request::ChangePassword(iam::ChangePasswordRequest {
            old_password: PASSWORD.into(),
            new_password: "Another-Horse-8".into(),
        })),
    );
    let code = r.err().map(|e| e.to_api(oxiam_protocol::Service::Iam).code);
    assert_eq!(code, Some(oxiam_protocol::error::ErrorCode::LimitExceeded));
    // Other users are not affected.
    assert_eq!(f.sign_in("erin", PASSWORD, None).unwrap(), "erin");
}

#[test]
fn reset_required_and_expired_passwords_are_distinct_outcomes() {
    let f = Fixture::new();
    f.user("frank", true);
    f.user("grace", false);
    match f.sign_in("frank", PASSWORD, None) {
        Err(SignInError::PasswordResetRequired(s)) => assert_eq!(s.user_name, "frank"),
        other => panic!("{other:?}"),
    }
    // The password did sign frank in (to the change step).
    assert!(f.password_last_used("frank").is_some());
    // A wrong password is still just wrong.
    assert!(matches!(
        f.sign_in("frank", "wrong-Password-1", None),
        Err(SignInError::InvalidCredentials)
    ));

    let policy = |hard_expiry| {
        iam::Request::UpdateAccountPasswordPolicy(iam::UpdateAccountPasswordPolicyRequest {
            max_password_age: Some(1),
            hard_expiry: Some(hard_expiry),
            ..Default::default()
        })
    };
    f.call(policy(false)).unwrap();
    assert_eq!(f.sign_in("grace", PASSWORD, None).unwrap(), "grace");
    // Two days later (dev mode's clock) the one-day password has expired.
    f.app.sts.set_clock_offset(2 * 86_400);
    assert!(matches!(
        f.sign_in("grace", PASSWORD, None),
        Err(SignInError::PasswordExpired(_))
    ));
    f.call(policy(true)).unwrap();
    assert!(matches!(
        f.sign_in("grace", PASSWORD, None),
        Err(SignInError::PasswordHardExpired)
    ));
}

fn base32_decode(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut acc, mut out) = (0u32, 0u64, Vec::new());
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = alphabet.iter().position(|a| *a == c).unwrap() as u64;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

#[test]
fn a_user_with_mfa_needs_a_fresh_code() {
    let f = Fixture::new();
    f.user("heidi", false);
    let device = match f
        .call(iam::Request::CreateVirtualMFADevice(
            iam::CreateVirtualMFADeviceRequest {
                virtual_mfa_device_name: "heidi".into(),
                ..Default::default()
            },
        ))
        .unwrap()
    {
        iam::Response::CreateVirtualMFADevice(r) => r.virtual_mfa_device,
        other => panic!("{other:?}"),
    };
    let seed = base32_decode(std::str::from_utf8(&device.base32_string_seed.unwrap()).unwrap());
    let now = totp::step_of(time::OffsetDateTime::now_utc().unix_timestamp());
    f.call(iam::Request::EnableMFADevice(iam::EnableMFADeviceRequest {
        user_name: "heidi".into(),
        serial_number: device.serial_number.clone(),
        authentication_code1: totp::code_at(&seed, now - 2),
        authentication_code2: totp::code_at(&seed, now - 1),
    }))
    .unwrap();
    assert!(matches!(
        f.sign_in("heidi", PASSWORD, None),
        Err(SignInError::MfaRequired)
    ));
    // An old code (already used to enable the device) is refused.
    assert!(matches!(
        f.sign_in("heidi", PASSWORD, Some(&totp::code_at(&seed, now - 1))),
        Err(SignInError::MfaInvalid)
    ));
    let code = totp::code_at(&seed, now);
    let signed = sign_in(
        &f.app,
        &SignInRequest {
            account: &f.app.default_account,
            user: "heidi",
            password: PASSWORD,
            mfa_code: Some(&code),
        },
    )
    .unwrap();
    assert_eq!(
        signed.mfa_serial.as_deref(),
        Some(device.serial_number.as_str())
    );
    // The same code again is a replay.
    assert!(matches!(
        f.sign_in("heidi", PASSWORD, Some(&code)),
        Err(SignInError::MfaInvalid)
    ));
    // A wrong password with a code is a wrong password (the code is not even looked at).
    assert!(matches!(
        f.sign_in("heidi", "wrong-Password-1", Some(&code)),
        Err(SignInError::InvalidCredentials)
    ));
}
