//! Round trips with the real botocore: it must parse our golden responses, and we must decode
//! the requests it serializes.
//!
//! Uses the Python of `target/venv` (created by `scripts/python-env.sh`, which the test command
//! runs first) or `$OXIAM_PYTHON`. Without either, the tests FAIL with how to make the venv:
//! skipped, botocore compatibility would look green while untested.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed expectation should fail the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use oxiam_protocol::query::Params;
use oxiam_protocol::{accessanalyzer as aa, iam, sts};

/// The Python with botocore: `$OXIAM_PYTHON`, else the venv's. Panics, saying how to make the
/// venv, when there is none.
fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("OXIAM_PYTHON") {
        return PathBuf::from(path);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: create the venv with `mkdir -p target && flock target/.venv.lock \
         scripts/python-env.sh` at the workspace root (or set OXIAM_PYTHON to a Python with \
         botocore)",
        venv.display()
    );
    venv
}

fn run(script: &str) -> String {
    run_with(script, &[], b"")
}

/// Runs `script` with `args`, `stdin` as its standard input; its standard output.
fn run_with(script: &str, args: &[&str], stdin: &[u8]) -> String {
    use std::io::Write as _;
    let python = python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/botocore")
        .join(script);
    let mut child = Command::new(&python)
        .arg(&script)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
    assert!(
        output.status.success(),
        "{} failed:\n{}{}",
        script.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn botocore_parses_the_golden_responses() {
    let out = run("parse_goldens.py");
    assert!(out.contains("parsed every golden"), "{out}");
}

#[test]
fn botocore_requests_decode() {
    let out = run("serialize_requests.py");
    let mut decoded = 0;
    for line in out.lines() {
        let mut fields = line.splitn(3, '\t');
        let (service, operation, body) = (
            fields.next().unwrap(),
            fields.next().unwrap(),
            fields.next().unwrap(),
        );
        let params = Params::parse(body.as_bytes()).unwrap();
        match service {
            "iam" => {
                let request = iam::Request::decode(&params)
                    .unwrap_or_else(|e| panic!("{operation}: {e}\n{body}"));
                assert_eq!(request.operation().name(), operation);
                check_iam(&request);
            }
            "sts" => {
                let request = sts::Request::decode(&params)
                    .unwrap_or_else(|e| panic!("{operation}: {e}\n{body}"));
                assert_eq!(request.operation().name(), operation);
                if let sts::Request::AssumeRole(r) = &request {
                    assert_eq!(r.role_arn, "arn:aws:iam::123456789012:role/demo");
                    assert_eq!(
                        r.policy_arns.as_ref().unwrap()[0].arn.as_deref(),
                        Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
                    );
                    assert_eq!(
                        r.transitive_tag_keys.as_deref(),
                        Some(&["project".to_owned()][..])
                    );
                    assert_eq!(r.duration_seconds, Some(3600));
                }
            }
            other => panic!("unknown service {other}"),
        }
        decoded += 1;
    }
    assert!(decoded >= 9, "the script serializes nine requests");
}

fn check_iam(request: &iam::Request) {
    match request {
        iam::Request::CreateUser(r) if r.path.is_some() => {
            let tags = r.tags.as_ref().unwrap();
            assert_eq!(
                (tags[0].key.as_str(), tags[0].value.as_str()),
                ("dept", "R+D / été")
            );
            assert_eq!(tags[1].value, "a b+c");
        }
        iam::Request::CreateUser(r) => assert_eq!(r.tags, Some(vec![])),
        iam::Request::ListUsers(r) => {
            assert_eq!(r.max_items, Some(5));
            assert_eq!(r.marker.as_deref(), Some("m=="));
        }
        iam::Request::UntagUser(r) => assert_eq!(r.tag_keys, ["a", "b"]),
        iam::Request::UpdateAccountPasswordPolicy(r) => {
            assert_eq!(r.require_symbols, Some(true));
            assert_eq!(r.hard_expiry, Some(false));
            assert_eq!(r.minimum_password_length, Some(12));
        }
        iam::Request::PutAccountProperties(r) => {
            assert_eq!(r.properties.get("color").map(String::as_str), Some("blue"));
            assert_eq!(r.properties.len(), 2);
        }
        iam::Request::GetAccountSummary(_) => {}
        other => panic!("unexpected {other:?}"),
    }
}

/// Every Access Analyzer request botocore's REST-JSON serializer writes (labels
/// percent-encoded, query strings, JSON bodies with unions) decodes to its operation.
#[test]
fn botocore_access_analyzer_requests_decode() {
    let out = run_with("accessanalyzer.py", &["serialize"], b"");
    let mut decoded = 0;
    for line in out.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let (operation, method, path, query, body) = (f[0], f[1], f[2], f[3], f[4]);
        let http = oxiam_protocol::rest_json::HttpRequest {
            method,
            path,
            query,
            body: body.as_bytes(),
        };
        let request =
            aa::Request::decode(&http).unwrap_or_else(|e| panic!("{operation}: {e:?}\n{line}"));
        assert_eq!(request.operation().name(), operation);
        match &request {
            aa::Request::CreateAnalyzer(r) => {
                assert_eq!(r.tags.as_ref().unwrap()["team"], "R+D / été");
                let Some(aa::AnalyzerConfiguration::UnusedAccess(u)) = &r.configuration else {
                    panic!("no unusedAccess");
                };
                assert_eq!(u.unused_access_age, Some(30));
            }
            aa::Request::UntagResource(r) => {
                assert_eq!(
                    r.resource_arn,
                    "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/a b"
                );
                assert_eq!(r.tag_keys, ["a", "b c"]);
            }
            aa::Request::ListAnalyzers(r) => {
                assert_eq!(r.next_token.as_deref(), Some("n=="));
                assert_eq!(r.max_results, Some(5));
            }
            aa::Request::GetGeneratedPolicy(r) => {
                assert_eq!(r.include_resource_placeholders, Some(true));
            }
            _ => {}
        }
        decoded += 1;
    }
    assert_eq!(decoded, 12, "{out}");
}

/// botocore's REST-JSON parser reads oxiam's responses (ISO 8601 timestamps, unions, maps)
/// and errors (the code from `x-amzn-ErrorType`, the model's error members).
#[test]
fn botocore_parses_access_analyzer_responses() {
    let created = oxiam_protocol::types::DateTime::parse_iso8601("2026-12-08T01:02:03Z").unwrap();
    let response = aa::Response::GetAnalyzer(aa::GetAnalyzerResponse {
        analyzer: aa::AnalyzerSummary {
            arn: "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/a".into(),
            name: "a".into(),
            r#type: "ACCOUNT_UNUSED_ACCESS".into(),
            created_at: created,
            tags: Some([("k".to_owned(), "v".to_owned())].into()),
            status: "ACTIVE".into(),
            configuration: Some(aa::AnalyzerConfiguration::UnusedAccess(
                aa::UnusedAccessConfiguration {
                    unused_access_age: Some(90),
                    analysis_rule: None,
                },
            )),
            ..Default::default()
        },
    });
    let parsed = run_with(
        "accessanalyzer.py",
        &["parse", "GetAnalyzer", "200", "-"],
        response.to_json().as_bytes(),
    );
    let parsed: serde_json::Value = serde_json::from_str(&parsed).unwrap();
    assert_eq!(
        parsed["analyzer"],
        serde_json::json!({
            "arn": "arn:aws:access-analyzer:us-east-1:123456789012:analyzer/a",
            "name": "a", "type": "ACCOUNT_UNUSED_ACCESS", "createdAt": "2026-12-08T01:02:03Z",
            "tags": {"k": "v"}, "status": "ACTIVE",
            "configuration": {"unusedAccess": {"unusedAccessAge": 90}}
        })
    );

    let error = oxiam_protocol::error::ApiError::new(
        oxiam_protocol::error::ErrorCode::ValidationException,
        "1 validation error detected",
    )
    .with("reason", "fieldValidationFailed".into())
    .with(
        "fieldList",
        serde_json::json!([{"name": "analyzerName", "message": "m"}]),
    );
    let (status, code, body) = error.render_json();
    let parsed = run_with(
        "accessanalyzer.py",
        &["parse", "GetAnalyzer", &status.to_string(), code],
        body.as_bytes(),
    );
    let parsed: serde_json::Value = serde_json::from_str(&parsed).unwrap();
    assert_eq!(parsed["Error"]["Code"], "ValidationException");
    assert_eq!(parsed["Error"]["Message"], "1 validation error detected");
}
