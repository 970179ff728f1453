//! `oxiam policy diff A B`: the real binary on policy pairs a reviewer meets (widened and
//! narrowed resources, new actions and services, `NotAction`, conditions, denies, custom
//! actions, invalid documents), and a randomized check of soundness against the engine:
//! whatever B alone allows and A alone does not, the diff reports.
#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "test helpers fail the test on unexpected input"
)]

use std::path::{Path, PathBuf};

use oxiam_analysis::diff::{Diff, GrantAction, Resources, diff};
use oxiam_catalogue::Catalogue;
use oxiam_policy::{
    Context, Effect, NamedPolicy, Policy, PolicyKind, PolicySet, Principal, PrincipalType, Request,
    evaluate,
};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A policy of the given statements (JSON objects).
fn policy(statements: &[&str]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// Runs `oxiam policy diff A B [extra]` with the two documents: (exit code, stdout, stderr).
fn run(a: &str, b: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let (fa, fb) = (
        write(dir.path(), "a.json", a),
        write(dir.path(), "b.json", b),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
        .args(["policy", "diff"])
        .args(extra)
        .arg(&fa)
        .arg(&fb)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The `+` lines of the text output, spaces squeezed.
fn lines(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| l.trim_start().starts_with('+'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

const GET_A: &str =
    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/a/*"}"#;
const GET_ALL: &str =
    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}"#;

#[test]
fn diff_of_identical_policies_is_empty_with_exit_0() {
    let p = policy(&[
        GET_ALL,
        r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#,
        r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bucket/secret/*"}"#,
        r#"{"Effect":"Allow","Action":"myapp:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#,
    ]);
    let (code, out, err) = run(&p, &p, &[]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "B grants nothing that A does not\n", "")
    );
    let (code, out, _) = run(&p, &p, &["--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["new"], serde_json::json!([]));
}

#[test]
fn diff_reports_a_widened_resource_and_not_a_narrowed_one() {
    let (code, out, _) = run(&policy(&[GET_A]), &policy(&[GET_ALL]), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        lines(&out),
        ["+ s3:GetObject on arn:aws:s3:::bucket/* (Read)"],
        "{out}"
    );
    assert!(out.starts_with("s3 (Amazon S3)\n"), "{out}");
    let (code, out, _) = run(&policy(&[GET_ALL]), &policy(&[GET_A]), &[]);
    assert_eq!((code, lines(&out).len()), (0, 0), "{out}");
}

#[test]
fn diff_of_get_star_to_star_lists_the_other_actions() {
    let a = policy(&[r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}"#]);
    let b = policy(&[r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#]);
    let (code, out, _) = run(&a, &b, &[]);
    assert_eq!(code, 1);
    let l = lines(&out);
    let s3 = Catalogue::aws().service("s3").unwrap();
    let not_get = s3
        .actions
        .iter()
        .filter(|a| !a.name.starts_with("Get"))
        .count();
    assert_eq!(l.len(), not_get, "{out}");
    assert!(l.iter().all(|l| !l.starts_with("+ s3:Get")), "{out}");
    assert!(
        l.contains(&"+ s3:PutObject on * (Write)".to_owned()),
        "{out}"
    );
    // Sorted, deterministic.
    let mut sorted = l.clone();
    sorted.sort_by_key(|l| l.to_ascii_lowercase());
    assert_eq!(l, sorted);
    assert_eq!(run(&a, &b, &[]).1, out);
}

#[test]
fn diff_collapses_a_new_service() {
    let a = policy(&[GET_ALL]);
    let b = policy(&[
        GET_ALL,
        r#"{"Effect":"Allow","Action":"sqs:*","Resource":"*"}"#,
        r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}"#,
    ]);
    let (code, out, _) = run(&a, &b, &[]);
    assert_eq!(code, 1);
    let n = Catalogue::aws().service("sqs").unwrap().actions.len();
    assert_eq!(
        lines(&out),
        [
            "+ iam:PassRole on * (Write)".to_owned(),
            format!("+ sqs:* (all {n} actions) on *"),
        ],
        "{out}"
    );
    let (_, json, _) = run(&a, &b, &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["whole_services"],
        serde_json::json!([{"service": "sqs", "actions": n}])
    );
    assert_eq!(v["new"].as_array().unwrap().len(), n + 1);
    assert_eq!(v["new"][0]["access_level"], "Write");
}

#[test]
fn diff_expands_not_action() {
    // A: everything but IAM; B: everything but IAM's write actions… except PassRole too.
    let a = policy(&[r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#]);
    let b =
        policy(&[r#"{"Effect":"Allow","NotAction":["iam:Create*","iam:Delete*"],"Resource":"*"}"#]);
    let (code, out, _) = run(&a, &b, &[]);
    assert_eq!(code, 1);
    let l = lines(&out);
    assert!(
        l.contains(&"+ iam:PassRole on * (Write)".to_owned()),
        "{out}"
    );
    assert!(l.contains(&"+ iam:GetUser on * (Read)".to_owned()), "{out}");
    assert!(
        !l.iter()
            .any(|l| l.contains("iam:CreateUser") || l.contains("s3:")),
        "{out}"
    );
    // Both leave the same actions outside the catalogue? No: B leaves out less.
    assert!(
        out.contains("actions outside the service catalogue"),
        "{out}"
    );
    // The reverse: B's NotAction leaves out more, so it grants nothing new.
    let (code, out, _) = run(&b, &a, &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn diff_compares_conditions() {
    let cond = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}"#;
    // A condition added in B narrows: nothing new.
    let (code, out, _) = run(&policy(&[GET_ALL]), &policy(&[cond]), &[]);
    assert_eq!(code, 0, "{out}");
    // A condition in A removed in B widens.
    let (code, out, _) = run(&policy(&[cond]), &policy(&[GET_ALL]), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        lines(&out),
        ["+ s3:GetObject on arn:aws:s3:::bucket/* (Read) (conditions differ)"],
        "{out}"
    );
    // The very same condition covers.
    let (code, _, _) = run(&policy(&[cond]), &policy(&[cond]), &[]);
    assert_eq!(code, 0);
}

#[test]
fn diff_a_deny_in_a_makes_a_not_cover() {
    let deny = r#"{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::bucket/secret/*"}"#;
    let (code, out, _) = run(&policy(&[GET_ALL, deny]), &policy(&[GET_ALL]), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        lines(&out),
        [
            "+ s3:GetObject on arn:aws:s3:::bucket/* (Read) (A's Deny statement 1 (Sid `NoSecrets`) may apply)"
        ],
        "{out}"
    );
    // A deny elsewhere does not matter.
    let other = r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}"#;
    let (code, _, _) = run(&policy(&[GET_ALL, other]), &policy(&[GET_ALL]), &[]);
    assert_eq!(code, 0);
    // B's unconditional deny on `*` removes the grant.
    let b = policy(&[
        r#"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::bucket/*"}"#,
        r#"{"Effect":"Deny","NotAction":"s3:GetObject","Resource":"*"}"#,
    ]);
    let (code, out, _) = run(&policy(&[GET_ALL]), &b, &[]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn diff_of_custom_actions() {
    let a = policy(&[r#"{"Effect":"Allow","Action":"myapp:GetFile","Resource":"*"}"#]);
    let b = policy(&[
        r#"{"Effect":"Allow","Action":["myapp:GetFile","myapp:PutFile"],"Resource":"*"}"#,
    ]);
    let (code, out, _) = run(&a, &b, &[]);
    assert_eq!(code, 1);
    assert_eq!(lines(&out), ["+ myapp:PutFile on *"], "{out}");
    assert!(
        out.starts_with("actions outside the service catalogue\n"),
        "{out}"
    );
    let wide = policy(&[r#"{"Effect":"Allow","Action":"myapp:*","Resource":"*"}"#]);
    assert_eq!(run(&wide, &b, &[]).0, 0);
}

#[test]
fn diff_of_an_invalid_document_is_an_error_with_aws_message() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", &policy(&[GET_ALL]));
    let bad = write(
        dir.path(),
        "bad.json",
        &policy(&[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"bucket"}"#]),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
        .args(["policy", "diff"])
        .args([&good, &bad])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.json:1:")
            && err.contains("Resource bucket must be in ARN format or \"*\"."),
        "{err}"
    );
    let missing = dir.path().join("missing.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
        .args(["policy", "diff"])
        .args([&missing, &good])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn diff_help_documents_the_semantics() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oxiam"))
        .args(["policy", "diff", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for needle in ["NotAction", "never hides a new grant", "Exit status: 0"] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}

// ---------------------------------------------------------------------------------------
// Soundness against the engine.

/// A small deterministic generator (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
    fn some<'a>(&mut self, from: &[&'a str]) -> Vec<&'a str> {
        (0..1 + self.below(2)).map(|_| self.pick(from)).collect()
    }
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "iam:PassRole",
    "myapp:GetFile",
    "myapp:PutFile",
];
const ACTION_PATTERNS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:Get*",
    "s3:*",
    "s3:?utObject",
    "s3:*Object",
    "iam:PassRole",
    "iam:*",
    "myapp:GetFile",
    "myapp:*",
    "*",
];
const RESOURCES: &[&str] = &[
    "arn:aws:s3:::b/a/x",
    "arn:aws:s3:::b/c",
    "arn:aws:s3:::bb/a",
    "arn:aws:s3:::b/a/y/x",
    "arn:aws:s3:::c",
    "arn:aws:iam::111122223333:role/r",
    "arn:aws:iam::444455556666:role/q",
];
const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/a/*",
    "arn:aws:s3:::b/a/x",
    "arn:aws:s3:::b?/*",
    "arn:aws:s3:::*",
    "arn:aws:s3:::b/*/x",
    "arn:aws:s3:::*/a*",
    "arn:aws:iam::111122223333:role/r",
    "arn:aws:iam::*:role/*",
    "arn:*:s3:::b/a/*",
    "arn:aws:*:::b*",
];

fn list(items: &[&str]) -> String {
    serde_json::to_string(items).unwrap()
}

fn random_policy(rng: &mut Rng) -> String {
    let statements: Vec<String> = (0..1 + rng.below(3))
        .map(|_| {
            let effect = if rng.below(5) == 0 { "Deny" } else { "Allow" };
            let action = if rng.below(5) == 0 {
                "NotAction"
            } else {
                "Action"
            };
            let resource = if rng.below(7) == 0 {
                "NotResource"
            } else {
                "Resource"
            };
            format!(
                r#"{{"Effect":"{effect}","{action}":{},"{resource}":{}}}"#,
                list(&rng.some(ACTION_PATTERNS)),
                list(&rng.some(RESOURCE_PATTERNS)),
            )
        })
        .collect();
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    policy(&refs)
}

fn allows(policy: &Policy, action: &str, resource: &str) -> bool {
    let principal = Principal {
        arn: "arn:aws:iam::111122223333:user/alice",
        account: "111122223333",
        kind: PrincipalType::User,
        role_arn: None,
        user_id: "AIDAEXAMPLE",
    };
    let context = Context::for_principal(&principal, &[]);
    let request = Request {
        principal,
        action,
        resource,
        resource_account: None,
        context: &context,
    };
    let identity = [NamedPolicy { name: "p", policy }];
    evaluate(
        &request,
        &PolicySet {
            identity: &identity,
            ..PolicySet::default()
        },
    )
    .effect
        == Effect::Allow
}

/// The diff has a grant of `action` whose resources take in `resource`.
fn reported(d: &Diff, action: &str, resource: &str) -> bool {
    d.grants.iter().any(|g| {
        let action_ok = match &g.action {
            GrantAction::Catalogue { name, .. } => name.eq_ignore_ascii_case(action),
            GrantAction::Outside { pattern, except } => {
                oxiam_policy::wildcard_match(pattern, action, true)
                    || except.as_ref().is_some_and(|l| {
                        !l.iter()
                            .any(|p| oxiam_policy::wildcard_match(p, action, true))
                    })
            }
        };
        if !action_ok {
            return false;
        }
        // The engine says whether the grant's resources take in the resource.
        let statement = match &g.resources {
            Resources::Pattern(p) => format!(r#""Resource":{}"#, list(&[p])),
            Resources::AllExcept(l) => {
                let l: Vec<&str> = l.iter().map(String::as_str).collect();
                format!(r#""NotResource":{}"#, list(&l))
            }
        };
        let probe = Policy::parse(
            &policy(&[&format!(r#"{{"Effect":"Allow","Action":"*",{statement}}}"#)]),
            PolicyKind::Identity,
        )
        .unwrap();
        allows(&probe, action, resource)
    })
}

/// Policy pairs tried (each diff expands `*` over the whole catalogue in a debug build).
const PAIRS: usize = 150;

#[test]
fn diff_never_hides_what_the_engine_says_b_newly_allows() {
    let catalogue = Catalogue::aws();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut pairs, mut new_grants) = (0, 0);
    for _ in 0..PAIRS {
        let (a, b) = (random_policy(&mut rng), random_policy(&mut rng));
        let pa = Policy::parse(&a, PolicyKind::Identity).unwrap();
        let pb = Policy::parse(&b, PolicyKind::Identity).unwrap();
        let d = diff(&a, &b, catalogue).unwrap();
        pairs += 1;
        for action in ACTIONS {
            for resource in RESOURCES {
                if allows(&pb, action, resource) && !allows(&pa, action, resource) {
                    new_grants += 1;
                    assert!(
                        reported(&d, action, resource),
                        "B newly allows {action} on {resource} but the diff does not say so\nA: {a}\nB: {b}\n{d:#?}"
                    );
                }
            }
        }
    }
    // The generator must produce cases the check bites on.
    assert!(pairs == PAIRS && new_grants > 100, "{new_grants}");
}
