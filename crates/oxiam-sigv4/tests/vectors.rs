//! AWS's published SigV4 test suite (tests/vectors/README.md): every case is signed and
//! verified, and each intermediate step is compared with the suite's files.
#![expect(clippy::unwrap_used, reason = "test code")]

use std::fs;
use std::path::{Path, PathBuf};

use oxiam_sigv4::canonical_request::canonical_request;
use oxiam_sigv4::string_to_sign::{credential_scope, string_to_sign};
use oxiam_sigv4::{
    HttpRequest, SecretAccessKey, SignatureKind, SigningKeyCache, SigningParams, parse, sign,
    verify,
};
use sha2::{Digest, Sha256};
use time::macros::datetime;

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A raw `.req`: request line, headers (folded lines kept with their line break), body.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_raw(text: &str) -> RawRequest {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let uri = rest.strip_suffix(" HTTP/1.1").unwrap();
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    RawRequest {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            cases(&path, out);
        } else if path.extension().is_some_and(|e| e == "req") {
            out.push(path);
        }
    }
}

fn sibling(req: &Path, ext: &str) -> String {
    fs::read_to_string(req.with_extension(ext)).unwrap()
}

/// The value of a header line in a `.creq`, e.g. the session token the suite signs.
fn creq_header<'c>(creq: &'c str, name: &str) -> Option<&'c str> {
    creq.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
}

#[test]
fn aws_sigv4_test_suite() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/aws4_testsuite");
    let mut files = Vec::new();
    cases(&root, &mut files);
    files.sort();
    assert!(files.len() >= 30, "suite incomplete: {} cases", files.len());

    let secret = SecretAccessKey::new(SECRET);
    let cache = SigningKeyCache::new(16);
    let mut checked = Vec::new();
    for file in &files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let raw = parse_raw(&fs::read_to_string(file).unwrap());
        let creq = sibling(file, "creq");
        let sts = sibling(file, "sts");
        let authz = sibling(file, "authz");

        // The suite's token: signed when its `.creq` has the header.
        let token = creq_header(&creq, "x-amz-security-token");
        let mut headers: Vec<(&str, &str)> = raw
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if let Some(token) = token
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"))
        {
            headers.push(("X-Amz-Security-Token", token));
        }
        let req = HttpRequest {
            method: &raw.method,
            path: &raw.path,
            query: &raw.query,
            headers: &headers,
            body: &raw.body,
        };

        // Task 1 and 2 against `.creq` and `.sts`.
        let signed_headers = authz
            .split("SignedHeaders=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap();
        let payload = hex::encode(Sha256::digest(&raw.body));
        let ours = canonical_request(&req, signed_headers, &payload, false).unwrap();
        assert_eq!(ours, creq, "{name}: canonical request");
        let scope = credential_scope("20150830", "us-east-1", "service");
        let creq_hash: [u8; 32] = Sha256::digest(ours.as_bytes()).into();
        assert_eq!(
            string_to_sign("20150830T123600Z", &scope, &creq_hash),
            sts,
            "{name}: sts"
        );

        // Signing gives the suite's Authorization header.
        let params = SigningParams {
            access_key_id: ACCESS_KEY_ID,
            secret: &secret,
            region: "us-east-1",
            service: "service",
            timestamp: datetime!(2015-08-30 12:36:00 UTC),
            session_token: token,
        };
        let added = sign(&req, &params).unwrap();
        let authorization = added.iter().find(|(n, _)| *n == "Authorization").unwrap();
        assert_eq!(authorization.1, authz, "{name}: authorization");

        // Verifying accepts the suite's signed request.
        let mut signed = headers.clone();
        signed.push(("Authorization", &authz));
        let req = HttpRequest {
            headers: &signed,
            ..req
        };
        let parsed = parse(&req).unwrap().expect("signed");
        assert_eq!(parsed.kind, SignatureKind::Header);
        assert_eq!(parsed.access_key_id, ACCESS_KEY_ID);
        assert_eq!(parsed.session_token.as_deref(), token);
        let now = datetime!(2015-08-30 12:40:00 UTC);
        verify(&req, &parsed, &secret, now, &cache).unwrap_or_else(|e| panic!("{name}: {e}"));
        // …and refuses it under another secret.
        let wrong = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ");
        assert!(
            verify(&req, &parsed, &wrong, now, &cache).is_err(),
            "{name}: wrong secret"
        );
        checked.push(name);
    }
    for expected in [
        "get-vanilla",
        "post-x-www-form-urlencoded",
        "get-utf8",
        "get-space",
        "get-slashes",
        "get-relative-relative",
        "post-sts-header-before",
        "get-vanilla-with-session-token",
        "get-header-value-multiline",
    ] {
        assert!(checked.iter().any(|c| c == expected), "{expected} not run");
    }
}
