//! Decoding and encoding cost of typical IAM and STS calls.
//!
//! `cargo bench -p oxiam-protocol`

#![expect(clippy::unwrap_used, reason = "benchmark set-up fails loudly")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oxiam_protocol::query::Params;
use oxiam_protocol::types::DateTime;
use oxiam_protocol::{iam, sts};

fn create_user_body() -> String {
    let mut body = String::from(
        "Action=CreateUser&Version=2010-05-08&UserName=alice.example&Path=%2Fengineering%2Fplatform%2F",
    );
    for n in 1..=10 {
        body.push_str(&format!(
            "&Tags.member.{n}.Key=key-{n}&Tags.member.{n}.Value=value+number+{n}"
        ));
    }
    body
}

fn decode(c: &mut Criterion) {
    let create_user = create_user_body();
    c.bench_function("parse+decode CreateUser (10 tags)", |b| {
        b.iter(|| {
            let params = Params::parse(black_box(create_user.as_bytes())).unwrap();
            iam::Request::decode(&params).unwrap()
        })
    });
    let list_users = "Action=ListUsers&Version=2010-05-08&PathPrefix=%2F&MaxItems=100";
    c.bench_function("parse+decode ListUsers", |b| {
        b.iter(|| {
            let params = Params::parse(black_box(list_users.as_bytes())).unwrap();
            iam::Request::decode(&params).unwrap()
        })
    });
    let policy = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{}]}}",
        vec!["{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::bucket/*\"}"; 40].join(",")
    );
    let put_policy = format!(
        "Action=PutUserPolicy&UserName=alice&PolicyName=read&PolicyDocument={}",
        policy
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
            .replace(':', "%3A")
    );
    c.bench_function("parse+decode PutUserPolicy (4 KB document)", |b| {
        b.iter(|| {
            let params = Params::parse(black_box(put_policy.as_bytes())).unwrap();
            iam::Request::decode(&params).unwrap()
        })
    });
    let assume_role = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=session-1&DurationSeconds=3600";
    c.bench_function("parse+decode AssumeRole", |b| {
        b.iter(|| {
            let params = Params::parse(black_box(assume_role.as_bytes())).unwrap();
            sts::Request::decode(&params).unwrap()
        })
    });
}

fn encode(c: &mut Criterion) {
    let users: Vec<iam::User> = (0..100)
        .map(|n| iam::User {
            path: Some("/engineering/".into()),
            user_name: Some(format!("user-{n}")),
            user_id: format!("AIDA{n:016}"),
            arn: format!("arn:aws:iam::123456789012:user/engineering/user-{n}"),
            create_date: DateTime::now(),
            ..Default::default()
        })
        .collect();
    let response = iam::Response::ListUsers(iam::ListUsersResponse {
        users,
        is_truncated: Some(true),
        marker: Some("marker".into()),
    });
    c.bench_function("to_xml ListUsers (100 users)", |b| {
        b.iter(|| black_box(&response).to_xml("7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"))
    });
    let identity = sts::Response::GetCallerIdentity(sts::GetCallerIdentityResponse {
        user_id: Some("AIDACKCEVSQ6C2EXAMPLE".into()),
        account: Some("123456789012".into()),
        arn: Some("arn:aws:iam::123456789012:user/Alice".into()),
    });
    c.bench_function("to_xml GetCallerIdentity", |b| {
        b.iter(|| black_box(&identity).to_xml("7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"))
    });
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
