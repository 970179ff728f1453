//! The policy simulator through the real AWS CLI: its decisions and matched statements agree
//! with enforcement of the same policy; context keys of a custom policy.

use crate::support::{ACCOUNT, Creds, Server};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn simulator_through_the_cli_agrees_with_enforcement() {
    let dir = tmp();
    let s = Server::start(dir.path());
    let root = Creds::root();
    s.ok(&root, &["iam", "create-user", "--user-name", "sim"]);
    let doc = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:List*", "Resource": "*"},
    {"Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"}
  ]
}"#;
    s.ok(
        &root,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "sim",
            "--policy-name",
            "p",
            "--policy-document",
            doc,
        ],
    );
    let out = s.ok(
        &root,
        &[
            "iam",
            "simulate-principal-policy",
            "--policy-source-arn",
            &format!("arn:aws:iam::{ACCOUNT}:user/sim"),
            "--action-names",
            "iam:ListUsers",
            "iam:ListRoles",
            "iam:GetUser",
        ],
    );
    let results = out["EvaluationResults"].as_array().unwrap();
    let decisions: Vec<&str> = results
        .iter()
        .map(|r| r["EvalDecision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["allowed", "explicitDeny", "implicitDeny"]);
    let deny = &results[1]["MatchedStatements"][0];
    assert_eq!(deny["SourcePolicyId"], "p");
    assert_eq!(deny["StartPosition"]["Line"], 5);
    assert_eq!(deny["StartPosition"]["Column"], 5);
    // Enforcement agrees.
    let key = s.ok(&root, &["iam", "create-access-key", "--user-name", "sim"]);
    let sim = Creds {
        key: key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    s.ok(&sim, &["iam", "list-users"]);
    s.fails(&sim, &["iam", "list-roles"], "AccessDenied");
    s.fails(
        &sim,
        &["iam", "get-user", "--user-name", "sim"],
        "AccessDenied",
    );
    let keys = s.ok(
        &root,
        &["iam", "get-context-keys-for-custom-policy", "--policy-input-list",
          r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}"#],
    );
    assert_eq!(keys["ContextKeyNames"][0], "aws:SecureTransport");
}
