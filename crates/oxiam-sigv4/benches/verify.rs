//! Verification of a typical IAM POST (as the AWS CLI sends `iam create-user`) with a warm
//! signing-key cache: the per-request cost of SigV4 on the server. Target: ≤ 3 µs.
#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oxiam_sigv4::{
    HttpRequest, SecretAccessKey, SigningKeyCache, SigningParams, parse, sign, verify,
};
use time::macros::datetime;

fn bench(c: &mut Criterion) {
    let secret = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let now = datetime!(2026-11-23 08:15:30 UTC);
    let body = b"Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Fdivision%2Fteam%2F&Tags.member.1.Key=cost-center&Tags.member.1.Value=1234";
    let base = [
        ("Host", "127.0.0.1:4599"),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
    ];
    let req = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &base,
        body,
    };
    let params = SigningParams {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret: &secret,
        region: "us-east-1",
        service: "iam",
        timestamp: now,
        session_token: None,
    };
    let added = sign(&req, &params).unwrap();
    let length = body.len().to_string();
    let mut headers: Vec<(&str, &str)> = vec![
        base[0],
        base[1],
        (
            "User-Agent",
            "aws-cli/1.36.0 md/Botocore#1.44.5 ua/2.1 os/linux#6.18 md/arch#x86_64 lang/python#3.11.7",
        ),
        (
            "amz-sdk-invocation-id",
            "5a873648-1064-48af-a2ea-a7fce6db434d",
        ),
        ("amz-sdk-request", "attempt=1; max=5"),
        ("Content-Length", &length),
        ("Accept-Encoding", "identity"),
    ];
    headers.extend(added.iter().map(|(n, v)| (*n, v.as_str())));
    let req = HttpRequest {
        headers: &headers,
        ..req
    };

    let cache = SigningKeyCache::new(1024);
    let parsed = parse(&req).unwrap().unwrap();
    verify(&req, &parsed, &secret, now, &cache).unwrap();

    c.bench_function("parse+verify IAM POST (warm cache)", |b| {
        b.iter(|| {
            let req = black_box(&req);
            let parsed = parse(req).unwrap().unwrap();
            verify(req, &parsed, black_box(&secret), now, &cache).unwrap();
        });
    });
    c.bench_function("parse IAM POST", |b| {
        b.iter(|| parse(black_box(&req)).unwrap().unwrap().timestamp);
    });
    c.bench_function("verify IAM POST (warm cache)", |b| {
        b.iter(|| verify(black_box(&req), black_box(&parsed), &secret, now, &cache).unwrap());
    });
    c.bench_function("verify IAM POST (no cache: derive key)", |b| {
        let off = SigningKeyCache::new(0);
        b.iter(|| verify(black_box(&req), black_box(&parsed), &secret, now, &off).unwrap());
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
