//! `oxiam policy validate|eval`: the command module is compiled into this test and driven
//! through its clap definition, with output captured.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail the test on unexpected input"
)]

#[path = "../src/policy_cmd.rs"]
mod policy_cmd;
// `policy who-can` lives in its own module, which `policy_cmd` dispatches to (it needs a
// server; tests/python/test_who_can.py drives it).
#[path = "../src/who_can_cmd.rs"]
mod who_can_cmd;

use std::path::{Path, PathBuf};

use clap::Parser;
use policy_cmd::{PolicyCommand, run_to};

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    cmd: PolicyCommand,
}

/// Runs `oxiam policy <args>`: (exit code, stdout, stderr).
fn policy(args: &[&str]) -> (u8, String, String) {
    let cli = Cli::try_parse_from(std::iter::once("policy").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_to(cli.cmd, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

const READ_BUCKET: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
    {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/secret/*"}
  ]
}"#;

#[test]
fn validate_accepts_a_valid_policy() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "ok.json", READ_BUCKET);
    let (code, out, _) = policy(&["validate", s(&f)]);
    assert_eq!(code, 0);
    assert_eq!(out, format!("{}: OK\n", f.display()));
}

#[test]
fn validate_reports_aws_messages_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.json",
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\",\n    \"Resource\": \"bucket\"}\n}\n",
    );
    let good = write(dir.path(), "good.json", READ_BUCKET);
    let (code, out, _) = policy(&["validate", s(&good), s(&bad)]);
    assert_eq!(code, 1);
    assert!(out.contains(&format!("{}: OK", good.display())), "{out}");
    assert!(
        out.contains(&format!(
            "{}:4:17: error: Resource bucket must be in ARN format or \"*\". ($.Statement.Resource)",
            bad.display()
        )),
        "{out}"
    );
}

#[test]
fn validate_uses_the_kind() {
    let dir = tempfile::tempdir().unwrap();
    let trust = write(
        dir.path(),
        "trust.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
    );
    assert_eq!(policy(&["validate", "--kind", "trust", s(&trust)]).0, 0);
    let (code, out, _) = policy(&["validate", "--kind", "identity", s(&trust)]);
    assert_eq!(code, 1);
    assert!(
        out.contains("Policy document should not specify a principal."),
        "{out}"
    );
}

#[test]
fn validate_json_output() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"Version":"2012-10-17","Statement":[]}"#,
    );
    let (code, out, _) = policy(&["validate", "--json", s(&bad)]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["valid"], false);
    assert_eq!(v[0]["findings"][0]["message"], "Syntax errors in policy.");
    assert_eq!(v[0]["findings"][0]["code"], "MalformedPolicyDocument");
    assert_eq!(v[0]["findings"][0]["line"], 1);
}

#[test]
fn validate_missing_file_is_a_usage_error() {
    let (code, _, err) = policy(&["validate", "/nonexistent/policy.json"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("cannot read `/nonexistent/policy.json`"),
        "{err}"
    );
}

#[test]
fn eval_allow_and_explicit_deny_name_the_statement() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "read.json", READ_BUCKET);
    let (code, out, _) = policy(&[
        "eval",
        "--policy",
        s(&p),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::bucket/a.txt",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "ALLOW\n  allowed by identity-based policy `{}`, statement 0 (Sid `Read`)\n",
            p.display()
        )
    );
    let (code, out, _) = policy(&[
        "eval",
        "--policy",
        s(&p),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::bucket/secret/k",
    ]);
    assert_eq!(code, 0, "a denial is still a successful evaluation");
    assert!(out.starts_with("DENY (explicit)\n"), "{out}");
    assert!(out.contains("statement 1 (Sid `NoSecrets`)"), "{out}");
}

#[test]
fn eval_implicit_deny_says_which_policy_type_failed() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "read.json", READ_BUCKET);
    let b = write(
        dir.path(),
        "boundary.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#,
    );
    let (_, out, _) = policy(&[
        "eval",
        "--policy",
        s(&p),
        "--boundary",
        s(&b),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::bucket/a",
    ]);
    assert_eq!(
        out,
        "DENY (implicit)\n  no permissions boundary allows `s3:GetObject`\n"
    );
    let (_, out, _) = policy(&["eval", "--action", "s3:GetObject"]);
    assert_eq!(
        out,
        "DENY (implicit)\n  no identity-based policy allows `s3:GetObject`\n"
    );
}

#[test]
fn eval_json_cross_account() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "read.json", READ_BUCKET);
    let bucket = write(
        dir.path(),
        "bucket.json",
        r#"{"Version":"2012-10-17","Statement":{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}}"#,
    );
    let args = |with_bucket: bool| {
        let mut a = vec![
            "eval",
            "--json",
            "--policy",
            s(&p),
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::bucket/a",
            "--resource-account",
            "444455556666",
            "--principal",
            "arn:aws:sts::111122223333:assumed-role/Reader/job-1",
        ];
        if with_bucket {
            a.extend(["--resource-policy", s(&bucket)]);
        }
        a
    };
    let (code, out, _) = policy(&args(false));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "ImplicitDeny");
    assert_eq!(v["denied_by"]["policy_type"], "Resource");
    let (_, out, _) = policy(&args(true));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decision"], "Allow");
    assert_eq!(v["reasons"][0]["policy_type"], "Resource");
    assert_eq!(v["reasons"][0]["sid"], "Partner");
    assert_eq!(v["reasons"][1]["policy_type"], "Identity");
    assert_eq!(v["reasons"][1]["statement"], 0);
}

#[test]
fn eval_context_keys_single_and_multivalued() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "tags.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*",
            "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Team","Name"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}"#,
    );
    let eval = |ctx: &[&str]| {
        let mut a = vec!["eval", "--policy", s(&p), "--action", "ec2:CreateTags"];
        for c in ctx {
            a.extend(["--context", c]);
        }
        policy(&a).1
    };
    assert!(eval(&["aws:SourceIp=10.1.1.1", "aws:TagKeys=[Team,Name]"]).starts_with("ALLOW"));
    assert!(
        eval(&[
            "aws:SourceIp=10.1.1.1",
            "aws:TagKeys=Team",
            "aws:TagKeys=Owner"
        ])
        .starts_with("DENY")
    );
    assert!(eval(&["aws:SourceIp=192.0.2.1", "aws:TagKeys=[Team]"]).starts_with("DENY"));
    assert!(
        eval(&["aws:SourceIp=10.1.1.1"]).starts_with("ALLOW"),
        "ForAllValues holds for a missing key"
    );
}

#[test]
fn eval_trust_policy_with_service_principal() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(
        dir.path(),
        "trust.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
    );
    let run = |principal: &str| {
        policy(&[
            "eval",
            "--trust-policy",
            s(&t),
            "--action",
            "sts:AssumeRole",
            "--resource",
            "arn:aws:iam::123456789012:role/fn",
            "--principal",
            principal,
        ])
        .1
    };
    assert!(run("lambda.amazonaws.com").starts_with("ALLOW"));
    assert!(run("ec2.amazonaws.com").starts_with("DENY (implicit)"));
}

#[test]
fn eval_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.json",
        "{\"Version\": \"2012-10-17\", \"Statement\": [}",
    );
    let (code, out, err) = policy(&["eval", "--policy", s(&bad), "--action", "s3:GetObject"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains(&format!("{}:1:", bad.display())) && err.contains("Syntax errors in policy."),
        "{err}"
    );
    let (code, _, err) = policy(&["eval", "--action", "s3:GetObject", "--principal", "bob"]);
    assert_eq!(code, 2);
    assert!(err.contains("`--principal bob`"), "{err}");
    let (code, _, err) = policy(&["eval", "--action", "s3:GetObject", "--context", "novalue"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected key=value"), "{err}");
}

#[test]
fn run_returns_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "ok.json", READ_BUCKET);
    let cli = Cli::try_parse_from(["policy", "validate", s(&f)]).unwrap();
    assert_eq!(policy_cmd::run(cli.cmd), std::process::ExitCode::SUCCESS);
}

/// The real binary, as `main.rs` wires `oxiam policy …`.
fn oxiam(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
        .arg("policy")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn binary_exit_codes_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", READ_BUCKET);
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}"#,
    );
    let out = oxiam(&["validate", s(&good)]);
    assert_eq!(out.status.code(), Some(0));
    let out = oxiam(&["validate", s(&good), s(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("error: Policy statement must contain actions."),
        "{stdout}"
    );
    let out = oxiam(&[
        "eval",
        "--policy",
        s(&good),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::bucket/secret/x",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("DENY (explicit)")
    );
    let out = oxiam(&["eval", "--action", "s3:GetObject", "--principal", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
}
