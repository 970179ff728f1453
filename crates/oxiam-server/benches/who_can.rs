//! "Who can do X on Y" over an account of 10,000 principals (`auth::who_can::who_can`).
//! Target: ≤ 1 s.
//!
//! The account: 8,000 users, each in two of 200 groups (each group with two of 50 customer
//! managed policies attached and an inline policy, one group in ten with an `IpAddress`
//! condition, one in five with an MFA deny), three users in ten with an inline policy of
//! their own, one in twenty allowed to assume `app-*` roles, one in ten under a boundary;
//! 2,000 roles with one or two managed policies and an inline policy, trusting the account
//! (half), EC2 (three in ten) or an OIDC provider with `aud`/`sub` conditions (one in five).
//! The question: `s3:GetObject` on one object of one of the 50 buckets, with no context keys
//! fixed (so the conditions are open), and the same with `aws:SourceIp` and
//! `aws:MultiFactorAuthPresent` fixed.

#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use oxiam_policy::ContextValue;
use oxiam_server::auth::who_can::{Question, who_can};
use oxiam_server::model::{Group, ManagedPolicy, PolicyVersion, Role, User};
use oxiam_server::state::{State, Tx};
use oxiam_store::crypto::Kek;

const ACCOUNT: &str = "123456789012";
const USERS: usize = 8_000;
const GROUPS: usize = 200;
const ROLES: usize = 2_000;
const MANAGED: usize = 50;

fn doc(statements: &[String]) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn managed(i: usize) -> ManagedPolicy {
    let read = format!(
        r#"{{"Sid":"Read","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:ListBucket"],
            "Resource":["arn:aws:s3:::bucket-{i}","arn:aws:s3:::bucket-{i}/*"]}}"#
    );
    let other = match i % 5 {
        0 => {
            r#"{"Effect":"Allow","Action":["ec2:Describe*","ec2:StartInstances","ec2:StopInstances"],"Resource":"*"}"#
        }
        1 => {
            r#"{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query","dynamodb:PutItem"],"Resource":"arn:aws:dynamodb:*:123456789012:table/app-*"}"#
        }
        2 => r#"{"Effect":"Allow","Action":"logs:*","Resource":"*"}"#,
        3 => {
            r#"{"Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage"],"Resource":"arn:aws:sqs:*:123456789012:queue-*"}"#
        }
        _ => r#"{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}"#,
    };
    ManagedPolicy {
        account: ACCOUNT.into(),
        id: format!("ANPABENCH{i:08}"),
        name: format!("Team{i}"),
        path: "/".into(),
        created: 0,
        updated: 0,
        description: None,
        default_version: "v1".into(),
        versions: vec![PolicyVersion {
            id: "v1".into(),
            document: doc(&[read, other.to_owned()]),
            created: 0,
        }],
        next_version: 2,
        tags: Vec::new(),
    }
}

fn managed_arn(i: usize) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/Team{}", i % MANAGED)
}

fn world() -> State {
    let kek = Arc::new(Kek::generate());
    let mut tx = Tx::new(Arc::new(State::default()), kek);
    for i in 0..MANAGED {
        tx.put(managed(i)).unwrap();
    }
    let mut members: Vec<Vec<String>> = vec![Vec::new(); GROUPS];
    for u in 0..USERS {
        let id = format!("AIDABENCH{u:011}");
        let mut inline = std::collections::BTreeMap::new();
        if u % 10 < 3 {
            inline.insert(
                "own".to_owned(),
                doc(&[format!(
                    r#"{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home-bucket/u{u}/*"}}"#
                )]),
            );
        }
        if u % 20 == 0 {
            inline.insert(
                "assume".to_owned(),
                doc(&[format!(
                    r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::{ACCOUNT}:role/app-*"}}"#
                )]),
            );
        }
        let user = User {
            account: ACCOUNT.into(),
            id: id.clone(),
            name: format!("user{u}"),
            path: "/".into(),
            created: 0,
            tags: Vec::new(),
            permissions_boundary: (u % 10 == 9).then(|| managed_arn(u)),
            password_last_used: None,
            inline_policies: inline.into_iter().collect(),
            attached_policies: Vec::new(),
        };
        tx.put(user).unwrap();
        for g in [u % GROUPS, (u * 7 + 3) % GROUPS] {
            if let Some(m) = members.get_mut(g) {
                m.push(id.clone());
            }
        }
    }
    for (g, m) in members.into_iter().enumerate() {
        let inline = match g % 10 {
            0 => doc(&[r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
                "Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#
                .to_owned()]),
            1 | 2 => doc(&[r#"{"Effect":"Deny","Action":"s3:*","Resource":"*",
                "Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}"#
                .to_owned()]),
            _ => doc(&[r#"{"Effect":"Allow","Action":["iam:GetUser","iam:ListAccessKeys"],"Resource":"arn:aws:iam::*:user/${aws:username}"}"#.to_owned()]),
        };
        tx.put(Group {
            account: ACCOUNT.into(),
            id: format!("AGPABENCH{g:011}"),
            name: format!("group{g}"),
            path: "/".into(),
            created: 0,
            members: m,
            inline_policies: [("team".to_owned(), inline)].into_iter().collect(),
            attached_policies: vec![managed_arn(g), managed_arn(g * 3 + 1)],
        })
        .unwrap();
    }
    for r in 0..ROLES {
        let trust = match r % 10 {
            0..5 => format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
            ),
            5..8 => r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.to_owned(),
            _ => format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}},"StringLike":{{"token.actions.githubusercontent.com:sub":"repo:org/app{r}:*"}}}}}}]}}"#
            ),
        };
        let mut attached = vec![managed_arn(r * 11)];
        if r % 2 == 0 {
            attached.push(managed_arn(r * 13 + 5));
        }
        tx.put(Role {
            account: ACCOUNT.into(),
            id: format!("AROABENCH{r:011}"),
            name: format!("app-{r}"),
            path: "/".into(),
            created: 0,
            assume_role_policy: trust,
            description: None,
            max_session_duration: 3600,
            permissions_boundary: None,
            tags: Vec::new(),
            inline_policies: [(
                "logs".to_owned(),
                doc(&[r#"{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"*"}"#.to_owned()]),
            )]
            .into_iter()
            .collect(),
            attached_policies: attached,
            last_used: None,
            source_role_template: None,
        })
        .unwrap();
    }
    tx.finish().unwrap().1
}

fn bench(c: &mut Criterion) {
    let state = world();
    let open = Question {
        account: ACCOUNT,
        action: "s3:GetObject",
        resource: "arn:aws:s3:::bucket-7/reports/2026.csv",
        context: &[],
        resource_policy: None,
    };
    let found = who_can(&state, &open);
    eprintln!(
        "who_can: {} principals can (of {} users and {} roles)",
        found.principals.len(),
        USERS,
        ROLES
    );
    let mut group = c.benchmark_group("who_can");
    group.sample_size(10);
    group.bench_function("10,000 principals, open context", |b| {
        b.iter(|| black_box(who_can(&state, black_box(&open))));
    });
    let fixed: Vec<(String, ContextValue)> = vec![
        ("aws:SourceIp".to_owned(), "10.1.2.3".into()),
        ("aws:MultiFactorAuthPresent".to_owned(), true.into()),
    ];
    let fixed_q = Question {
        context: &fixed,
        ..open
    };
    group.bench_function("10,000 principals, fixed context", |b| {
        b.iter(|| black_box(who_can(&state, black_box(&fixed_q))));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
