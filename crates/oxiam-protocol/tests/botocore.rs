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
use oxiam_protocol::{iam, sts};

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
    let python = python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/botocore")
        .join(script);
    let output = Command::new(&python)
        .arg(&script)
        .output()
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
