//! Speed of the custom policy checks (target: `CheckNoNewAccess` on two ~6 KB identity
//! policies ≤ 50 ms; measured 0.5–0.65 ms on the 2-core project machine under load), the
//! catalogue already parsed, as in a running server:
//! - `check_no_new_access/6kb_new_grants`: the new policy adds actions, widens a resource
//!   and drops a condition;
//! - `check_no_new_access/6kb_identical`: the same policy twice (every grant covered);
//! - `check_access_not_granted/6kb`, `check_no_public_access/bucket`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oxiam_analysis::checks::{
    Access, PolicyType, ResourceType, check_access_not_granted, check_no_new_access,
    check_no_public_access,
};
use oxiam_catalogue::Catalogue;

const SERVICES: &[&str] = &[
    "s3",
    "ec2",
    "iam",
    "sqs",
    "sns",
    "dynamodb",
    "lambda",
    "kms",
    "logs",
    "cloudwatch",
    "rds",
    "ecr",
];

/// 39 statements of read actions over 12 services, with resources and some conditions:
/// about 5.9 KB without white space. `widen` makes the new version.
fn policy(widen: bool) -> String {
    let mut statements = Vec::new();
    let verbs = ["Get", "List", "Describe"];
    let shapes = SERVICES.iter().cycle().zip(verbs.iter().cycle()).take(39);
    for (i, (service, verb)) in shapes.enumerate() {
        let mut actions = vec![format!("{service}:{verb}*")];
        if widen && i == 5 {
            actions.push("s3:PutObject".to_owned());
        }
        let resource = if widen && i == 7 {
            format!("arn:aws:{service}:*:111122223333:*")
        } else {
            format!("arn:aws:{service}:us-east-1:111122223333:team-{i}-shared-reports/*")
        };
        let condition = if i % 4 == 0 && !(widen && i == 8) {
            r#","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}"#
        } else {
            ""
        };
        statements.push(format!(
            r#"{{"Sid":"Read{i}","Effect":"Allow","Action":{},"Resource":"{resource}"{condition}}}"#,
            serde_json::to_string(&actions).unwrap_or_default()
        ));
    }
    if widen {
        statements.push(
            r#"{"Sid":"Pass","Effect":"Allow","Action":"iam:PassRole","Resource":"*"}"#.to_owned(),
        );
    }
    statements.push(
        r#"{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}"#
            .to_owned(),
    );
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn checks(c: &mut Criterion) {
    let catalogue = Catalogue::aws();
    let (existing, new) = (policy(false), policy(true));
    let mut group = c.benchmark_group("check_no_new_access");
    group.bench_function("6kb_new_grants", |b| {
        b.iter(|| {
            check_no_new_access(
                black_box(&new),
                black_box(&existing),
                PolicyType::IdentityPolicy,
                catalogue,
            )
        });
    });
    group.bench_function("6kb_identical", |b| {
        b.iter(|| {
            check_no_new_access(
                black_box(&existing),
                black_box(&existing),
                PolicyType::IdentityPolicy,
                catalogue,
            )
        });
    });
    group.finish();
    let access = [Access {
        actions: vec!["iam:PassRole".to_owned(), "s3:PutObject".to_owned()],
        resources: vec![],
    }];
    c.bench_function("check_access_not_granted/6kb", |b| {
        b.iter(|| {
            check_access_not_granted(
                black_box(&new),
                &access,
                PolicyType::IdentityPolicy,
                catalogue,
            )
        });
    });
    let bucket = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Vpc","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}"#;
    c.bench_function("check_no_public_access/bucket", |b| {
        b.iter(|| check_no_public_access(black_box(bucket), ResourceType::S3Bucket, catalogue));
    });
}

criterion_group!(benches, checks);
criterion_main!(benches);
