//! Requests signed by a real SDK (botocore, the engine of the AWS CLI and boto3), recorded by
//! tests/fixtures/gen.py: we must accept each, refuse it altered, and sign it identically.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code"
)]

use std::fs;
use std::path::Path;

use oxiam_sigv4::{
    HttpRequest, SecretAccessKey, SignatureKind, SigningKeyCache, SigningParams, parse, presign,
    sign, verify,
};
use serde_json::Value;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, macros::format_description};

struct Fixture {
    name: String,
    json: Value,
    headers: Vec<(String, String)>,
}

impl Fixture {
    fn str(&self, key: &str) -> &str {
        self.json[key]
            .as_str()
            .unwrap_or_else(|| panic!("{}: {key}", self.name))
    }

    fn opt(&self, key: &str) -> Option<&str> {
        self.json[key].as_str()
    }

    fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    fn timestamp(&self) -> OffsetDateTime {
        let format = format_description!("[year][month][day]T[hour][minute][second]Z");
        PrimitiveDateTime::parse(self.str("timestamp"), format)
            .unwrap()
            .assume_utc()
    }
}

fn fixtures() -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<Fixture> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let json: Value = serde_json::from_str(&fs::read_to_string(&p).unwrap()).unwrap();
            let headers = json["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    (
                        h[0].as_str().unwrap().to_owned(),
                        h[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            Fixture {
                name,
                json,
                headers,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(out.len() >= 6, "fixtures missing");
    out
}

#[test]
fn botocore_signed_requests_verify() {
    let cache = SigningKeyCache::new(16);
    for f in fixtures() {
        let headers = f.header_refs();
        let req = HttpRequest {
            method: f.str("method"),
            path: f.str("path"),
            query: f.str("query"),
            headers: &headers,
            body: f.str("body").as_bytes(),
        };
        let parsed = parse(&req)
            .unwrap()
            .unwrap_or_else(|| panic!("{}: unsigned", f.name));
        assert_eq!(parsed.access_key_id, f.str("access_key_id"), "{}", f.name);
        assert_eq!(parsed.service, f.str("service"), "{}", f.name);
        assert_eq!(parsed.region, f.str("region"), "{}", f.name);
        assert_eq!(
            parsed.session_token.as_deref(),
            f.opt("session_token"),
            "{}",
            f.name
        );
        parsed
            .check_scope(&["us-east-1"], f.str("service"))
            .unwrap();
        let expected_kind = match f.str("kind") {
            "presigned" => SignatureKind::Presigned {
                expires_seconds: 900,
            },
            _ => SignatureKind::Header,
        };
        assert_eq!(parsed.kind, expected_kind, "{}", f.name);

        let secret = SecretAccessKey::new(f.str("secret_access_key"));
        let now = f.timestamp() + Duration::minutes(2);
        verify(&req, &parsed, &secret, now, &cache).unwrap_or_else(|e| panic!("{}: {e}", f.name));

        let wrong = SecretAccessKey::new("x".repeat(40));
        assert_eq!(
            verify(&req, &parsed, &wrong, now, &cache)
                .unwrap_err()
                .aws_code(),
            "SignatureDoesNotMatch",
            "{}",
            f.name
        );
        if !req.body.is_empty() {
            let mut body = req.body.to_vec();
            let last = body.last_mut().unwrap();
            *last ^= 1;
            let tampered = HttpRequest { body: &body, ..req };
            assert!(
                verify(&tampered, &parsed, &secret, now, &cache).is_err(),
                "{}",
                f.name
            );
        }
    }
}

/// Our signer reproduces botocore's signature for the same request and headers.
#[test]
fn we_sign_like_botocore() {
    for f in fixtures() {
        let secret = SecretAccessKey::new(f.str("secret_access_key"));
        let params = SigningParams {
            access_key_id: f.str("access_key_id"),
            secret: &secret,
            region: f.str("region"),
            service: f.str("service"),
            timestamp: f.timestamp(),
            session_token: f.opt("session_token"),
        };
        let all = f.header_refs();
        match f.str("kind") {
            "header" => {
                let authorization = all.iter().find(|(n, _)| *n == "Authorization").unwrap().1;
                let signed = authorization.split("SignedHeaders=").nth(1).unwrap();
                let signed: Vec<&str> = signed.split(',').next().unwrap().split(';').collect();
                // Sign only what botocore signed (it leaves out e.g. User-Agent).
                let headers: Vec<(&str, &str)> = all
                    .iter()
                    .copied()
                    .filter(|(n, _)| signed.iter().any(|s| n.eq_ignore_ascii_case(s)))
                    .collect();
                let req = HttpRequest {
                    method: f.str("method"),
                    path: f.str("path"),
                    query: f.str("query"),
                    headers: &headers,
                    body: f.str("body").as_bytes(),
                };
                let added = sign(&req, &params).unwrap();
                let ours = added.iter().find(|(n, _)| *n == "Authorization").unwrap();
                assert_eq!(ours.1, authorization, "{}", f.name);
            }
            "presigned" => {
                let query = f.str("query");
                let operation = query.split("&X-Amz-Algorithm=").next().unwrap();
                let req = HttpRequest {
                    method: f.str("method"),
                    path: f.str("path"),
                    query: operation,
                    headers: &all,
                    body: b"",
                };
                assert_eq!(presign(&req, &params, 900).unwrap(), query, "{}", f.name);
            }
            other => panic!("{}: kind {other}", f.name),
        }
    }
}
