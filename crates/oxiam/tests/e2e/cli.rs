//! AWS CLI against a real server: identities, keys, errors, persistence, dev mode.

use std::fs;

use crate::support::{ACCOUNT, Creds, ROOT_SECRET, Server};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn root_caller_identity_is_the_account_root() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let id = s.ok(&Creds::root(), &["sts", "get-caller-identity"]);
    assert_eq!(id["Arn"], format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(id["Account"], ACCOUNT);
    assert_eq!(id["UserId"], ACCOUNT);
    let me = s.ok(&Creds::root(), &["iam", "get-user"]);
    assert_eq!(me["User"]["Arn"], format!("arn:aws:iam::{ACCOUNT}:root"));
}

#[test]
fn user_lifecycle_with_paths_rename_and_tags() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let root = Creds::root();
    let u = s.ok(
        &root,
        &[
            "iam",
            "create-user",
            "--user-name",
            "alice",
            "--path",
            "/eng/",
            "--tags",
            "Key=team,Value=blue",
        ],
    );
    assert_eq!(u["User"]["UserName"], "alice");
    assert_eq!(u["User"]["Path"], "/eng/");
    assert_eq!(
        u["User"]["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/eng/alice")
    );
    let id = u["User"]["UserId"].as_str().unwrap();
    assert!(id.starts_with("AIDA") && id.len() == 21, "{id}");
    assert_eq!(u["User"]["Tags"][0]["Key"], "team");

    // Names are unique case-insensitively.
    let err = s.fails(
        &root,
        &["iam", "create-user", "--user-name", "ALICE"],
        "EntityAlreadyExists",
    );
    assert!(
        err.contains("User with name ALICE already exists."),
        "{err}"
    );

    let got = s.ok(&root, &["iam", "get-user", "--user-name", "alice"]);
    assert_eq!(got["User"]["UserId"], id);

    s.ok(
        &root,
        &[
            "iam",
            "update-user",
            "--user-name",
            "alice",
            "--new-user-name",
            "alicia",
            "--new-path",
            "/ops/",
        ],
    );
    let err = s.fails(
        &root,
        &["iam", "get-user", "--user-name", "alice"],
        "NoSuchEntity",
    );
    assert!(
        err.contains("The user with name alice cannot be found."),
        "{err}"
    );
    let renamed = s.ok(&root, &["iam", "get-user", "--user-name", "alicia"]);
    assert_eq!(
        renamed["User"]["Arn"],
        format!("arn:aws:iam::{ACCOUNT}:user/ops/alicia")
    );
    assert_eq!(
        renamed["User"]["UserId"], id,
        "a rename keeps the unique ID"
    );

    s.ok(
        &root,
        &[
            "iam",
            "tag-user",
            "--user-name",
            "alicia",
            "--tags",
            "Key=cost,Value=42",
            "Key=Team,Value=red",
        ],
    );
    let tags = s.ok(&root, &["iam", "list-user-tags", "--user-name", "alicia"]);
    let tags = tags["Tags"].as_array().unwrap();
    assert_eq!(tags.len(), 2, "Team replaced team: {tags:?}");
    assert!(
        tags.iter()
            .any(|t| t["Key"] == "Team" && t["Value"] == "red")
    );
    s.ok(
        &root,
        &[
            "iam",
            "untag-user",
            "--user-name",
            "alicia",
            "--tag-keys",
            "cost",
        ],
    );
    let tags = s.ok(&root, &["iam", "list-user-tags", "--user-name", "alicia"]);
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 1);

    s.ok(&root, &["iam", "delete-user", "--user-name", "alicia"]);
    s.fails(
        &root,
        &["iam", "delete-user", "--user-name", "alicia"],
        "NoSuchEntity",
    );
}

#[test]
fn list_users_paginates_and_filters_by_path() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let root = Creds::root();
    for (name, path) in [
        ("u1", "/a/"),
        ("u2", "/a/"),
        ("u3", "/b/"),
        ("u4", "/a/b/"),
        ("u5", "/"),
    ] {
        s.ok(
            &root,
            &["iam", "create-user", "--user-name", name, "--path", path],
        );
    }
    // The CLI follows Marker/IsTruncated page by page.
    let all = s.ok(&root, &["iam", "list-users", "--page-size", "2"]);
    let names: Vec<&str> = all["Users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["UserName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["u1", "u2", "u3", "u4", "u5"]);
    let first = s.ok(&root, &["iam", "list-users", "--max-items", "2"]);
    assert_eq!(first["Users"].as_array().unwrap().len(), 2);
    let token = first["NextToken"]
        .as_str()
        .expect("NextToken when truncated");
    let rest = s.ok(&root, &["iam", "list-users", "--starting-token", token]);
    assert_eq!(rest["Users"].as_array().unwrap().len(), 3);
    let a = s.ok(&root, &["iam", "list-users", "--path-prefix", "/a/"]);
    let names: Vec<&str> = a["Users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["UserName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["u1", "u2", "u4"]);
}

#[test]
fn access_keys_work_at_once_and_stop_at_once() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", "bob"]);
    let k = s.ok(&root, &["iam", "create-access-key", "--user-name", "bob"]);
    let key = k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = k["AccessKey"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("AKIA") && key.len() == 20, "{key}");
    assert_eq!(secret.len(), 40);
    assert_eq!(k["AccessKey"]["Status"], "Active");
    let bob = Creds {
        key: key.clone(),
        secret: secret.clone(),
    };

    let id = s.ok(&bob, &["sts", "get-caller-identity"]);
    assert_eq!(id["Arn"], format!("arn:aws:iam::{ACCOUNT}:user/bob"));
    assert!(id["UserId"].as_str().unwrap().starts_with("AIDA"));

    // A user without policies is denied every IAM call, as in AWS.
    let err = s.fails(&bob, &["iam", "list-users"], "AccessDenied");
    assert!(
        err.contains(&format!(
            "User: arn:aws:iam::{ACCOUNT}:user/bob is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{ACCOUNT}:user/"
        )),
        "{err}"
    );
    s.fails(
        &bob,
        &["iam", "create-user", "--user-name", "mallory"],
        "AccessDenied",
    );
    s.fails(&bob, &["iam", "get-user"], "AccessDenied");

    // Last used is real: any signed use counts, denied ones too (the last was IAM).
    let used = s.ok(
        &root,
        &["iam", "get-access-key-last-used", "--access-key-id", &key],
    );
    assert_eq!(used["UserName"], "bob");
    assert_eq!(used["AccessKeyLastUsed"]["ServiceName"], "iam");
    assert_eq!(used["AccessKeyLastUsed"]["Region"], "us-east-1");
    assert!(used["AccessKeyLastUsed"]["LastUsedDate"].is_string());

    let listed = s.ok(&root, &["iam", "list-access-keys", "--user-name", "bob"]);
    assert_eq!(listed["AccessKeyMetadata"][0]["AccessKeyId"], key.as_str());
    assert!(
        listed["AccessKeyMetadata"][0]
            .get("SecretAccessKey")
            .is_none()
    );

    s.ok(&root, &["iam", "create-access-key", "--user-name", "bob"]);
    let err = s.fails(
        &root,
        &["iam", "create-access-key", "--user-name", "bob"],
        "LimitExceeded",
    );
    assert!(err.contains("AccessKeysPerUser: 2"), "{err}");

    s.ok(
        &root,
        &[
            "iam",
            "update-access-key",
            "--user-name",
            "bob",
            "--access-key-id",
            &key,
            "--status",
            "Inactive",
        ],
    );
    let err = s.fails(
        &bob,
        &["sts", "get-caller-identity"],
        "InvalidClientTokenId",
    );
    assert!(
        err.contains("The security token included in the request is invalid."),
        "{err}"
    );
    s.ok(
        &root,
        &[
            "iam",
            "update-access-key",
            "--user-name",
            "bob",
            "--access-key-id",
            &key,
            "--status",
            "Active",
        ],
    );
    s.ok(&bob, &["sts", "get-caller-identity"]);

    let err = s.fails(
        &root,
        &["iam", "delete-user", "--user-name", "bob"],
        "DeleteConflict",
    );
    assert!(err.contains("must delete access keys first"), "{err}");

    s.ok(
        &root,
        &[
            "iam",
            "delete-access-key",
            "--user-name",
            "bob",
            "--access-key-id",
            &key,
        ],
    );
    s.fails(
        &bob,
        &["sts", "get-caller-identity"],
        "InvalidClientTokenId",
    );
    s.fails(
        &root,
        &[
            "iam",
            "delete-access-key",
            "--user-name",
            "bob",
            "--access-key-id",
            &key,
        ],
        "NoSuchEntity",
    );
}

#[test]
fn bad_credentials_and_bad_input_get_aws_errors() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let root = Creds::root();
    let wrong_secret = Creds {
        key: root.key.clone(),
        secret: "x".repeat(40),
    };
    s.fails(
        &wrong_secret,
        &["sts", "get-caller-identity"],
        "SignatureDoesNotMatch",
    );
    let unknown = Creds {
        key: "AKIAUNKNOWNUNKNOWN00".into(),
        secret: ROOT_SECRET.into(),
    };
    s.fails(&unknown, &["iam", "list-users"], "InvalidClientTokenId");

    let err = s.fails(
        &root,
        &["iam", "create-user", "--user-name", "bad name!"],
        "ValidationError",
    );
    assert!(
        err.contains("at 'userName' failed to satisfy constraint"),
        "{err}"
    );
    s.fails(
        &root,
        &["iam", "get-user", "--user-name", "nobody"],
        "NoSuchEntity",
    );
    // An operation without a handler names itself.
    let err = s.fails(
        &root,
        &[
            "iam",
            "generate-organizations-access-report",
            "--entity-path",
            "o-a1b2c3d4e5/r-ab12/123456789012",
        ],
        "NotImplemented",
    );
    assert!(err.contains("GenerateOrganizationsAccessReport"), "{err}");
}

#[test]
fn state_survives_restart_and_secrets_are_encrypted_at_rest() {
    let dir = tmp();
    let s = Server::start(dir.path());
    assert!(
        s.stdout_head
            .iter()
            .any(|l| l.contains("AWS_SECRET_ACCESS_KEY=")),
        "first start shows root credentials: {:?}",
        s.stdout_head
    );
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", "carol"]);
    let k = s.ok(&root, &["iam", "create-access-key", "--user-name", "carol"]);
    let secret = k["AccessKey"]["SecretAccessKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let carol = Creds {
        key: k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: secret.clone(),
    };
    s.ok(&carol, &["sts", "get-caller-identity"]);
    s.stop();

    // No secret in clear anywhere in the data directory except the key-encryption key file.
    for path in crate::support::files_under(dir.path()) {
        let bytes = fs::read(&path).unwrap();
        let hay = String::from_utf8_lossy(&bytes);
        assert!(
            !hay.contains(&secret),
            "{} holds a secret in clear",
            path.display()
        );
        assert!(
            !hay.contains(ROOT_SECRET),
            "{} holds the root secret in clear",
            path.display()
        );
    }
    let kek_mode = fs::metadata(dir.path().join("kek")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(kek_mode.permissions().mode() & 0o777, 0o600);

    let s = Server::start(dir.path());
    assert!(
        !s.stdout_head
            .iter()
            .any(|l| l.contains("AWS_SECRET_ACCESS_KEY=")),
        "no second account: {:?}",
        s.stdout_head
    );
    let id = s.ok(&carol, &["sts", "get-caller-identity"]);
    assert_eq!(id["Arn"], format!("arn:aws:iam::{ACCOUNT}:user/carol"));
    let used = s.ok(
        &root,
        &[
            "iam",
            "get-access-key-last-used",
            "--access-key-id",
            &carol.key,
        ],
    );
    assert!(
        used["AccessKeyLastUsed"]["LastUsedDate"].is_string(),
        "last use persisted at shutdown: {used}"
    );
}

#[test]
fn dev_mode_accepts_unknown_keys_as_account_roots_and_resets() {
    let s = Server::start_dev();
    let any = Creds {
        key: "AKIAANYTHINGATALL000".into(),
        secret: "whatever".into(),
    };
    let id = s.ok(&any, &["sts", "get-caller-identity"]);
    assert_eq!(id["Arn"], format!("arn:aws:iam::{ACCOUNT}:root"));
    let acct = Creds {
        key: "210987654321".into(),
        secret: "whatever".into(),
    };
    let id = s.ok(&acct, &["sts", "get-caller-identity"]);
    assert_eq!(id["Account"], "210987654321");
    s.ok(&acct, &["iam", "create-user", "--user-name", "dave"]);
    // Accounts are separate.
    s.fails(
        &any,
        &["iam", "get-user", "--user-name", "dave"],
        "NoSuchEntity",
    );
    let status = std::process::Command::new("curl")
        .args([
            "-sf",
            "-X",
            "POST",
            &format!("{}/moto-api/reset", s.endpoint),
        ])
        .status()
        .unwrap();
    assert!(status.success());
    s.fails(
        &acct,
        &["iam", "get-user", "--user-name", "dave"],
        "NoSuchEntity",
    );
}

#[test]
fn reset_is_refused_outside_dev_mode() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let out = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "POST",
            &format!("{}/_oxiam/reset", s.endpoint),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "403");
    s.ok(&Creds::root(), &["sts", "get-caller-identity"]);
}

#[test]
fn quotas_are_configurable_and_bad_quota_settings_are_refused() {
    let s = Server::start_with(
        &[
            "--dev",
            "--quota",
            "users_per_account=2,access_keys_per_user=1",
        ],
        true,
        None,
    );
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", "a"]);
    s.ok(&root, &["iam", "create-user", "--user-name", "b"]);
    let msg = s.fails(
        &root,
        &["iam", "create-user", "--user-name", "c"],
        "LimitExceeded",
    );
    assert!(msg.contains("UsersPerAccount: 2"), "{msg}");
    s.ok(&root, &["iam", "create-access-key", "--user-name", "a"]);
    s.fails(
        &root,
        &["iam", "create-access-key", "--user-name", "a"],
        "LimitExceeded",
    );
    s.stop();

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
        .args(["serve", "--dev", "--quota", "users_per_acount=3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown quota `users_per_acount`"), "{err}");
}

/// A node that cannot start as configured says why as it is, not as an internal failure.
#[test]
fn start_up_errors_are_said_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(["--oidc-ca-file", "/nonexistent/ca.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("oxiam: cannot start: cannot read /nonexistent/ca.pem"),
        "{err}"
    );
    assert!(!err.contains("internal"), "{err}");
}

/// `--service-catalogue` adds custom services at start-up (the banner names them); a file
/// that does not parse, or takes an AWS prefix, stops the start with the file and the reason.
#[test]
fn service_catalogue_files_are_loaded_or_refused_at_start() {
    let dir = tmp();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        path
    };
    let good = write(
        "myapp.json",
        r#"{"services":[{"prefix":"myapp","name":"My App",
            "actions":[{"name":"GetFile","accessLevel":"Read","resourceTypes":[{"name":"file","required":true}]},
                       {"name":"PutFile","accessLevel":"Write","resourceTypes":[{"name":"file","required":true}]}],
            "resourceTypes":[{"name":"file","arn":"arn:${Partition}:myapp:::file/${Path}"}]}]}"#,
    );
    let s = Server::start_with(
        &["--dev", "--service-catalogue", good.to_str().unwrap()],
        true,
        None,
    );
    assert!(
        s.stdout_head
            .iter()
            .any(|l| l == "custom services: myapp (2 actions)"),
        "{:?}",
        s.stdout_head
    );
    s.ok(&Creds::root(), &["sts", "get-caller-identity"]);
    s.stop();

    let taken = write(
        "s3.json",
        r#"{"services":[{"prefix":"s3","name":"My S3"}]}"#,
    );
    let broken = write(
        "broken.json",
        r#"{"services":[{"prefix":"myapp","name":"My App","actions":[{"name":"GetFile","accessLevel":"Reed"}]}]}"#,
    );
    for (file, why) in [
        (
            &taken,
            "service prefix `s3` is taken by Amazon S3".to_owned(),
        ),
        (
            &broken,
            "malformed catalogue: unknown variant `Reed`, expected one of".to_owned(),
        ),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
            .args([
                "serve",
                "--dev",
                "--listen",
                "127.0.0.1:0",
                "--service-catalogue",
            ])
            .arg(file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // A server that starts anyway must fail the test, not hang it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("oxiam started with {}", file.display());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        let expected = format!(
            "oxiam: cannot start: --service-catalogue {}: {why}",
            file.display()
        );
        assert!(err.contains(&expected), "{err}");
    }
}
