//! STS with the real AWS CLI: `aws sts assume-role`, then the returned credentials used for
//! STS and IAM calls; cross-account between two accounts (dev mode); sessions surviving a
//! restart (token keys are in the store); expiry on the dev-mode clock.

use serde_json::Value;

use crate::support::{ACCOUNT, Creds, Server};

const OTHER: &str = "111122223333";

fn user_with_key(s: &Server, name: &str) -> Creds {
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", name]);
    let k = s.ok(&root, &["iam", "create-access-key", "--user-name", name]);
    Creds {
        key: k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: k["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

fn trust(principal: &str) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}})
    .to_string()
}

/// Temporary credentials from an `assume-role` (or `get-session-token`) answer.
struct Session {
    creds: Creds,
    token: String,
}

impl Session {
    fn of(answer: &Value) -> Session {
        let c = &answer["Credentials"];
        Session {
            creds: Creds {
                key: c["AccessKeyId"].as_str().unwrap().to_owned(),
                secret: c["SecretAccessKey"].as_str().unwrap().to_owned(),
            },
            token: c["SessionToken"].as_str().unwrap().to_owned(),
        }
    }

    fn run(&self, s: &Server, args: &[&str]) -> (i32, String, String) {
        s.aws_with_token(&self.creds, Some(&self.token), args)
    }

    fn ok(&self, s: &Server, args: &[&str]) -> Value {
        let (code, out, err) = self.run(s, args);
        assert_eq!(code, 0, "aws {args:?} failed: {err}");
        serde_json::from_str(&out).unwrap_or(Value::Null)
    }

    fn fails(&self, s: &Server, args: &[&str], code: &str) -> String {
        let (status, out, err) = self.run(s, args);
        assert_ne!(status, 0, "aws {args:?} unexpectedly succeeded: {out}");
        assert!(err.contains(&format!("({code})")), "aws {args:?}: {err}");
        err
    }
}

fn post(endpoint: &str, path: &str) {
    // The CLI cannot call oxiam's own endpoints; curl is on every test machine.
    let status = std::process::Command::new("curl")
        .args(["-sf", "-X", "POST", &format!("{endpoint}{path}")])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run curl");
    assert!(status.success(), "POST {path}");
}

#[test]
fn assume_role_with_the_cli_and_use_the_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path());
    let root = Creds::root();
    let alice = user_with_key(&s, "alice");
    let alice_arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "reader",
            "--assume-role-policy-document",
            &trust(&alice_arn),
        ],
    );
    s.ok(
        &root,
        &[
            "iam",
            "attach-role-policy",
            "--role-name",
            "reader",
            "--policy-arn",
            "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
        ],
    );
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/reader");
    let answer = s.ok(
        &alice,
        &[
            "sts",
            "assume-role",
            "--role-arn",
            &role_arn,
            "--role-session-name",
            "cli",
        ],
    );
    let session_arn = format!("arn:aws:sts::{ACCOUNT}:assumed-role/reader/cli");
    assert_eq!(answer["AssumedRoleUser"]["Arn"], session_arn.as_str());
    let session = Session::of(&answer);
    assert!(session.creds.key.starts_with("ASIA"));
    let who = session.ok(&s, &["sts", "get-caller-identity"]);
    assert_eq!(who["Arn"], session_arn.as_str());
    assert_eq!(who["Account"], ACCOUNT);
    let roles = session.ok(&s, &["iam", "list-roles"]);
    assert_eq!(roles["Roles"][0]["RoleName"], "reader");
    let err = session.fails(
        &s,
        &["iam", "create-user", "--user-name", "mallory"],
        "AccessDenied",
    );
    assert!(
        err.contains(&format!(
            "User: {session_arn} is not authorized to perform: iam:CreateUser"
        )),
        "{err}"
    );
    // A trust policy naming a user that does not exist is refused, as AWS refuses it.
    let err = s.fails(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "private",
            "--assume-role-policy-document",
            &trust(&format!("arn:aws:iam::{ACCOUNT}:user/nobody")),
        ],
        "MalformedPolicyDocument",
    );
    assert!(
        err.contains(&format!(
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::{ACCOUNT}:user/nobody\""
        )),
        "{err}"
    );
    // Denied: a role that does not trust the caller (only another account).
    s.ok(
        &root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "private",
            "--assume-role-policy-document",
            &trust("arn:aws:iam::999999999999:root"),
        ],
    );
    let err = s.fails(
        &alice,
        &[
            "sts",
            "assume-role",
            "--role-arn",
            &format!("arn:aws:iam::{ACCOUNT}:role/private"),
            "--role-session-name",
            "cli",
        ],
        "AccessDenied",
    );
    assert!(err.contains(&format!(
        "User: {alice_arn} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{ACCOUNT}:role/private"
    )));
    // Token keys are in the store: a session outlives a restart of the server.
    s.stop();
    let s = Server::start(dir.path());
    let who = session.ok(&s, &["sts", "get-caller-identity"]);
    assert_eq!(who["Arn"], session_arn.as_str());
    // A tampered token is refused.
    let mut tampered = session.token.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let bad = Session {
        creds: session.creds.clone(),
        token: String::from_utf8(tampered).unwrap(),
    };
    bad.fails(&s, &["sts", "get-caller-identity"], "InvalidClientTokenId");
}

#[test]
fn cross_account_and_expiry_in_dev_mode() {
    let s = Server::start_dev();
    // Dev mode: a 12-digit key ID is the root of that account.
    let other_root = Creds {
        key: OTHER.into(),
        secret: "x".repeat(40),
    };
    s.ok(
        &other_root,
        &[
            "iam",
            "create-role",
            "--role-name",
            "shared",
            "--assume-role-policy-document",
            &trust(ACCOUNT),
        ],
    );
    let alice = user_with_key(&s, "alice");
    let shared = format!("arn:aws:iam::{OTHER}:role/shared");
    let assume = [
        "sts",
        "assume-role",
        "--role-arn",
        &shared,
        "--role-session-name",
        "x-acct",
        "--duration-seconds",
        "900",
    ];
    // The other account trusts ours, but alice's own policies must allow it too.
    s.fails(&alice, &assume, "AccessDenied");
    let allow = serde_json::json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
        "Action": "sts:AssumeRole", "Resource": shared}})
    .to_string();
    s.ok(
        &Creds::root(),
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "alice",
            "--policy-name",
            "assume",
            "--policy-document",
            &allow,
        ],
    );
    let session = Session::of(&s.ok(&alice, &assume));
    let who = session.ok(&s, &["sts", "get-caller-identity"]);
    assert_eq!(
        who["Arn"],
        format!("arn:aws:sts::{OTHER}:assumed-role/shared/x-acct").as_str()
    );
    let info = s.ok(
        &Creds::root(),
        &[
            "sts",
            "get-access-key-info",
            "--access-key-id",
            &session.creds.key,
        ],
    );
    assert_eq!(info["Account"], OTHER);
    // Fifteen minutes later (on the dev clock) the session has expired.
    post(&s.endpoint, "/_oxiam/clock?advance=900");
    let err = session.fails(&s, &["sts", "get-caller-identity"], "ExpiredToken");
    assert!(err.contains("The security token included in the request is expired"));
    // A reset puts the clock back and forgets every token key.
    post(&s.endpoint, "/_oxiam/reset");
    session.fails(&s, &["sts", "get-caller-identity"], "InvalidClientTokenId");
}
