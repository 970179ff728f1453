//! The authorization API through the Rust client (`oxiam-client`) against the real server:
//! requests signed with `oxiam-sigv4` as an AWS SDK would sign them; two real accounts
//! (dev mode) for the cross-account rule; the client's decision cache.

use std::time::Duration;

use oxiam_client::{Client, ClientRequest, Credentials, DecisionRequest, DecisionResult};
use oxiam_sigv4::{HttpRequest, SecretAccessKey, SigningParams};
use time::OffsetDateTime;

use crate::support::{ACCOUNT, Creds, Server};

const OTHER: &str = "111122223333";

pub(crate) fn user(s: &Server, admin: &Creds, name: &str, policy: Option<&str>) -> Creds {
    s.ok(admin, &["iam", "create-user", "--user-name", name]);
    if let Some(p) = policy {
        s.ok(
            admin,
            &[
                "iam",
                "put-user-policy",
                "--user-name",
                name,
                "--policy-name",
                "p",
                "--policy-document",
                p,
            ],
        );
    }
    let k = s.ok(admin, &["iam", "create-access-key", "--user-name", name]);
    Creds {
        key: k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned(),
        secret: k["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

/// A question about a GET its client `c` signed now.
pub(crate) fn question(c: &Creds, resource: &str) -> DecisionRequest {
    let secret = SecretAccessKey::new(c.secret.clone());
    let unsigned = [("host", "files.example")];
    let req = HttpRequest {
        method: "GET",
        path: "/f",
        query: "",
        headers: &unsigned,
        body: b"",
    };
    let params = SigningParams {
        access_key_id: &c.key,
        secret: &secret,
        region: "eu-west-1",
        service: "myapp",
        timestamp: OffsetDateTime::now_utc(),
        session_token: None,
    };
    let mut headers = vec![("host".to_owned(), "files.example".to_owned())];
    for (k, v) in oxiam_sigv4::sign(&req, &params).unwrap() {
        headers.push((k.to_owned(), v));
    }
    DecisionRequest {
        request: ClientRequest {
            method: "GET".into(),
            path: "/f".into(),
            headers,
            ..ClientRequest::default()
        },
        action: "myapp:GetFile".into(),
        resource: resource.into(),
        ..DecisionRequest::default()
    }
}

pub(crate) fn decide(client: &Client, questions: Vec<DecisionRequest>) -> Vec<DecisionResult> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(client.decide(questions))
        .unwrap()
}

pub(crate) const GET_ANY: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"myapp:GetFile","Resource":"*"}}"#;

#[test]
fn cross_account_needs_both_sides_and_the_cache_reuses_only_the_same_request() {
    let s = Server::start_dev();
    let root = Creds::root();
    let reader = user(&s, &root, "reader", Some(GET_ANY));
    // Dev mode: a 12-digit key ID is the root of that account.
    let other_root = Creds {
        key: OTHER.into(),
        secret: "x".repeat(40),
    };
    let visitor = user(&s, &other_root, "visitor", Some(GET_ANY));
    let service = Credentials::new(&root.key, &root.secret, None);
    let client = Client::new(&s.endpoint, service.clone(), "us-east-1")
        .unwrap()
        .with_cache_ttl(Duration::from_secs(600));
    let ours = format!("arn:aws:myapp::{ACCOUNT}:file/a");
    let trust_other = serde_json::json!({"Version": "2012-10-17", "Statement": {
        "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{OTHER}:root")},
        "Action": "myapp:GetFile", "Resource": "*"}})
    .to_string();
    let mut with_policy = question(&visitor, &ours);
    with_policy.resource_policy = Some(trust_other);
    let answers = decide(
        &client,
        vec![
            question(&reader, &ours),
            question(&visitor, &ours),
            with_policy,
        ],
    );
    let got: Vec<&str> = answers.iter().map(|a| a.decision.as_str()).collect();
    assert_eq!(got, ["Allow", "ImplicitDeny", "Allow"]);
    let p = answers[1].principal.as_ref().unwrap();
    assert_eq!(p.arn, format!("arn:aws:iam::{OTHER}:user/visitor"));
    assert_eq!(p.account, OTHER);
    assert!(
        answers[1]
            .message
            .as_ref()
            .unwrap()
            .contains("myapp:GetFile")
    );

    // The cache: the very same signed request is answered from it (the policy removed
    // meanwhile does not show)…
    let q = question(&reader, &ours);
    assert!(decide(&client, vec![q.clone()])[0].allowed);
    s.ok(
        &root,
        &[
            "iam",
            "delete-user-policy",
            "--user-name",
            "reader",
            "--policy-name",
            "p",
        ],
    );
    assert!(decide(&client, vec![q.clone()])[0].allowed);
    // …but without the cache, or for any other signature, oxiam decides again.
    let uncached = Client::new(&s.endpoint, service, "us-east-1")
        .unwrap()
        .with_cache_ttl(Duration::ZERO);
    assert!(!decide(&uncached, vec![q])[0].allowed);
    std::thread::sleep(Duration::from_millis(1100));
    assert!(!decide(&client, vec![question(&reader, &ours)])[0].allowed);
}

#[test]
fn a_service_without_oxiam_authorize_is_refused() {
    let s = Server::start_dev();
    let root = Creds::root();
    let nobody = user(&s, &root, "nobody", None);
    let client = Client::new(
        &s.endpoint,
        Credentials::new(&nobody.key, &nobody.secret, None),
        "us-east-1",
    )
    .unwrap();
    let err = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(client.decide(vec![question(&root, "*")]))
        .unwrap_err();
    match err {
        oxiam_client::Error::Api { status, code, .. } => {
            assert_eq!((status, code.as_str()), (403, "AccessDenied"));
        }
        other => panic!("unexpected {other}"),
    }
}
