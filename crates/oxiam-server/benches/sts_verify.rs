//! Verifying a request signed with temporary credentials, as the server does it for every
//! such request: open the session token, verify SigV4 with the session's secret, and decide
//! with the role's policies ∩ the session policy. Target: ≤ 10 µs.
//!
//! "warm": the node opened this token before (the usual case: a session signs many
//! requests); "cold": the first request of a session on this node (AEAD open, JSON decode,
//! session policy compiled).
#![expect(clippy::unwrap_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use oxiam_server::auth::decide::RequestEnv;
use oxiam_server::auth::target::Target;
use oxiam_server::auth::{authn, authz};
use oxiam_server::model::Role;
use oxiam_server::model::session::{Session, SessionPrincipal};
use oxiam_server::{App, Config};
use oxiam_sigv4::{HttpRequest, SecretAccessKey, SigningParams, sign};
use oxiam_store::SqliteStore;
use oxiam_store::crypto::Kek;
use time::OffsetDateTime;

const ACCOUNT: &str = "123456789012";

fn bench(c: &mut Criterion) {
    let config = Config {
        default_account: Some(ACCOUNT.into()),
        ..Config::default()
    };
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let (app, _) = App::with_store(config, store, Kek::generate()).unwrap();
    let role = Role {
        account: ACCOUNT.into(),
        id: "AROABENCHROLE00000001".into(),
        name: "app".into(),
        path: "/".into(),
        created: 0,
        assume_role_policy: String::new(),
        description: None,
        max_session_duration: 3600,
        permissions_boundary: None,
        tags: Vec::new(),
        inline_policies: [(
            "read".to_owned(),
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}}"#
                .to_owned(),
        )]
        .into(),
        attached_policies: vec!["arn:aws:iam::aws:policy/IAMReadOnlyAccess".into()],
        last_used: None,
        source_role_template: None,
    };
    app.write(|tx| tx.put(role.clone())).unwrap();
    let now = app.sts.now().unix_timestamp();
    let session = Session {
        policy: Some(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/*"}}"#
                .into(),
        ),
        ..Session::new(
            ACCOUNT,
            SessionPrincipal::AssumedRole {
                role_id: role.id.clone(),
                role_name: role.name.clone(),
                role_path: role.path.clone(),
                session_name: "bench".into(),
            },
            String::new(),
            SecretAccessKey::new(String::new()),
            now,
            now + 3600,
        )
    };
    let (creds, _) = oxiam_server::ops::sts::issue(&app, session).unwrap();
    let secret = SecretAccessKey::new(creds.secret_access_key.clone());

    let body = b"Action=GetRole&RoleName=app&Version=2010-05-08";
    let base = [
        ("Host", "127.0.0.1:8461"),
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
    let signed_at = OffsetDateTime::now_utc();
    let params = SigningParams {
        access_key_id: &creds.access_key_id,
        secret: &secret,
        region: "us-east-1",
        service: "iam",
        timestamp: signed_at,
        session_token: Some(&creds.session_token),
    };
    let added = sign(&req, &params).unwrap();
    let mut headers = base.to_vec();
    headers.extend(added.iter().map(|(n, v)| (*n, v.as_str())));
    let req = HttpRequest {
        headers: &headers,
        ..req
    };
    let target = Target::new(
        "iam:GetRole".to_owned(),
        format!("arn:aws:iam::{ACCOUNT}:role/app"),
    );
    let env = RequestEnv::now();
    let verify_and_decide = || {
        let caller = authn::authenticate(&app, black_box(&req), "iam", signed_at).unwrap();
        let state = app.snapshot();
        authz::authorize(&caller, black_box(&target), &env, &state).unwrap();
    };
    verify_and_decide();

    c.bench_function(
        "temporary credentials: token + SigV4 + decision (warm)",
        |b| {
            b.iter(verify_and_decide);
        },
    );
    c.bench_function("temporary credentials: token + SigV4 only (warm)", |b| {
        b.iter(|| authn::authenticate(&app, black_box(&req), "iam", signed_at).unwrap());
    });
    let caller = authn::authenticate(&app, &req, "iam", signed_at).unwrap();
    c.bench_function("temporary credentials: decision only", |b| {
        b.iter(|| {
            let state = app.snapshot();
            authz::authorize(black_box(&caller), black_box(&target), &env, &state).unwrap();
        });
    });
    c.bench_function(
        "temporary credentials: token + SigV4 + decision (cold)",
        |b| {
            b.iter(|| {
                app.sts.clear();
                verify_and_decide();
            });
        },
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
