//! The parser under arbitrary input, as a property test that runs everywhere (the cargo-fuzz
//! target `fuzz/fuzz_targets/policy_parse.rs` goes deeper but needs nightly): JSON-ish
//! strings, random edits of valid policies, and random JSON built from policy vocabulary.
//! For every input and every policy kind: no panic, `Policy::parse` fails exactly when
//! `validate` reports an error, that error's message is `parse`'s, and every location lies
//! inside the document.
#![expect(
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test harness: a panic is a failed test"
)]

use oxiam_policy::{
    Context, NamedPolicy, Policy, PolicyKind, PolicySet, Principal, PrincipalType, Request,
    Severity, evaluate, validate,
};
use proptest::prelude::*;

const KINDS: [PolicyKind; 7] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::PermissionsBoundary,
    PolicyKind::Session,
    PolicyKind::Scp,
    PolicyKind::Rcp,
];

const SEEDS: &[&str] = &[
    r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/${aws:username}/*"],"Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"ForAnyValue:StringLike":{"aws:TagKeys":["env*"]}}}]}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::111122223333:user/${aws:PrincipalTag/team, 'x'}","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}}"#,
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#,
    r#"{"Version":"2008-10-17","Id":"x","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"*"},"Action":"*","Resource":"*","Condition":{"Null":{"aws:SourceArn":"true"},"NumericLessThan":{"s3:max-keys":"10"},"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:t"}}}]}"#,
];

const VOCAB: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "\\u0000",
    " ",
    "\n",
    "Version",
    "2012-10-17",
    "2008-10-17",
    "Statement",
    "Sid",
    "Effect",
    "Allow",
    "Deny",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "AWS",
    "Service",
    "Federated",
    "Condition",
    "StringEquals",
    "ForAllValues:",
    "IfExists",
    "Null",
    "*",
    "?",
    "${",
    "${*}",
    "arn:aws:s3:::",
    "arn:",
    "s3:GetObject",
    "aws:SourceIp",
    "1e309",
    "-0",
    "true",
    "null",
    "\u{1F600}",
    "é",
    "::",
    "/",
];

fn check(text: &str) {
    for kind in KINDS {
        let parsed = Policy::parse(text, kind);
        let findings = validate(text, kind);
        for f in &findings {
            assert!(
                f.location.offset <= text.len(),
                "{kind:?}: location {} past the end ({} bytes)",
                f.location.offset,
                text.len()
            );
            assert!(f.location.line >= 1 && f.location.column >= 1);
        }
        let first_error = findings.iter().find(|f| f.severity == Severity::Error);
        match (&parsed, first_error) {
            (Ok(_), None) => {}
            (Err(e), Some(f)) => assert_eq!(
                e.message(),
                f.message,
                "{kind:?}: parse and validate name different errors"
            ),
            (Ok(_), Some(f)) => panic!("{kind:?}: parse accepted what validate rejects: {f}"),
            (Err(e), None) => panic!("{kind:?}: parse rejected ({e}) what validate accepts"),
        }
    }
}

/// One edit of a document: delete a span, insert a word, or replace a span with a word.
fn edit(doc: &str, at: usize, len: usize, word: &str, op: u8) -> String {
    let chars: Vec<char> = doc.chars().collect();
    let at = at % (chars.len() + 1);
    let end = (at + len).min(chars.len());
    let (insert, resume) = match op % 3 {
        0 => ("", end),
        1 => (word, at),
        _ => (word, end),
    };
    let mut out: String = chars[..at].iter().collect();
    out.push_str(insert);
    out.extend(&chars[resume..]);
    out
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        proptest::sample::select(VOCAB).prop_map(|s| serde_json::json!(s)),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        Just(serde_json::Value::Null),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            proptest::collection::vec((proptest::sample::select(VOCAB), inner), 0..5).prop_map(
                |kv| serde_json::Value::Object(
                    kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )
            ),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn json_ish_strings(words in proptest::collection::vec(proptest::sample::select(VOCAB), 0..40)) {
        check(&words.concat());
    }

    #[test]
    fn arbitrary_text(text in "\\PC{0,200}") {
        check(&text);
    }

    #[test]
    fn edited_valid_documents(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<usize>(), 0usize..6, proptest::sample::select(VOCAB), any::<u8>()), 1..5),
    ) {
        let mut doc = SEEDS[seed].to_owned();
        for (at, len, word, op) in edits {
            doc = edit(&doc, at, len, word, op);
        }
        check(&doc);
    }

    #[test]
    fn random_policy_shaped_json(statements in proptest::collection::vec(json_value(), 0..4), version in proptest::sample::select(VOCAB)) {
        let doc = serde_json::json!({"Version": version, "Statement": statements}).to_string();
        check(&doc);
    }
}

const PRINCIPAL_TYPES: [PrincipalType; 8] = [
    PrincipalType::Account,
    PrincipalType::User,
    PrincipalType::AssumedRole,
    PrincipalType::FederatedUser,
    PrincipalType::Service,
    PrincipalType::Anonymous,
    PrincipalType::WebIdentity,
    PrincipalType::Saml,
];

/// `evaluate` is total: whatever parsed, against whatever request, in every policy slot.
fn evaluate_everywhere(
    doc: &str,
    action: &str,
    resource: &str,
    arn: &str,
    kind: PrincipalType,
    ctx: &[(String, String)],
) {
    let principal = Principal {
        arn,
        account: arn.split(':').nth(4).unwrap_or(""),
        kind,
        role_arn: (kind == PrincipalType::AssumedRole).then_some(arn),
        user_id: arn,
    };
    let mut context = Context::for_principal(&principal, &[]);
    for (k, v) in ctx {
        context.insert(k, v.as_str());
    }
    let request = Request {
        principal,
        action,
        resource,
        resource_account: Some("111122223333"),
        context: &context,
    };
    for policy_kind in [
        PolicyKind::Identity,
        PolicyKind::Resource,
        PolicyKind::Trust,
    ] {
        let Ok(policy) = Policy::parse(doc, policy_kind) else {
            continue;
        };
        let named = [NamedPolicy {
            name: "p",
            policy: &policy,
        }];
        let levels: [&[NamedPolicy<'_>]; 2] = [&named, &named];
        let sets = [
            PolicySet {
                identity: &named,
                ..PolicySet::default()
            },
            PolicySet {
                resource: Some(named[0]),
                ..PolicySet::default()
            },
            PolicySet {
                identity: &named,
                permissions_boundary: Some(named[0]),
                session: &named,
                scope_down: &named,
                resource: Some(named[0]),
                scps: &levels,
                rcps: &levels,
            },
        ];
        for set in &sets {
            let _ = evaluate(&request, set);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn evaluate_is_total(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<usize>(), 0usize..6, proptest::sample::select(VOCAB), any::<u8>()), 0..3),
        action in "(s3|iam|sts|\\PC{0,3}):\\PC{0,12}|\\PC{0,10}",
        resource in "arn:aws:s3:::\\PC{0,20}|arn:\\PC{0,30}|\\*|\\PC{0,10}",
        arn in "arn:aws:(iam|sts)::111122223333:(user|role|assumed-role)/\\PC{0,12}|\\PC{0,16}",
        kind in 0..PRINCIPAL_TYPES.len(),
        ctx in proptest::collection::vec((proptest::sample::select(&["aws:SourceIp", "aws:CurrentTime", "aws:username", "aws:TagKeys", "aws:MultiFactorAuthAge", "aws:SecureTransport", "aws:SourceArn", "s3:prefix"][..]), "\\PC{0,24}"), 0..6),
    ) {
        let mut doc = SEEDS[seed].to_owned();
        for (at, len, word, op) in edits {
            doc = edit(&doc, at, len, word, op);
        }
        let ctx: Vec<(String, String)> = ctx.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        evaluate_everywhere(&doc, &action, &resource, &arn, PRINCIPAL_TYPES[kind], &ctx);
    }
}

#[test]
fn seeds_are_valid_somewhere() {
    // The edit property starts from documents some kind accepts, so edits probe near-valid input.
    for s in SEEDS {
        assert!(
            KINDS.iter().any(|k| Policy::parse(s, *k).is_ok()),
            "seed rejected by every kind: {s}"
        );
    }
}
