//! Refusals: each malformed, altered, stale or premature request gets AWS's code and message,
//! and no message ever carries a signature.
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use oxiam_sigv4::{
    Error, HttpRequest, SecretAccessKey, SignatureKind, SigningKeyCache, SigningParams, parse,
    presign, sign, verify,
};
use time::{Duration, OffsetDateTime, macros::datetime};

const T: OffsetDateTime = datetime!(2015-08-30 12:36:00 UTC);
const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const BODY: &[u8] = b"Action=ListUsers&Version=2010-05-08";
const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

fn secret() -> SecretAccessKey {
    SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
}

fn params(secret: &SecretAccessKey) -> SigningParams<'_> {
    SigningParams {
        access_key_id: AKID,
        secret,
        region: "us-east-1",
        service: "iam",
        timestamp: T,
        session_token: None,
    }
}

/// A typical IAM POST, signed: the headers as they go on the wire.
fn signed_headers() -> Vec<(String, String)> {
    let base = [
        ("Host", "iam.amazonaws.com"),
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
        body: BODY,
    };
    let s = secret();
    let mut out: Vec<(String, String)> = base
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    for (n, v) in sign(&req, &params(&s)).unwrap() {
        out.push((n.to_owned(), v));
    }
    out
}

fn refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

fn post<'a>(headers: &'a [(&'a str, &'a str)], body: &'a [u8]) -> HttpRequest<'a> {
    HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers,
        body,
    }
}

/// parse + verify at `now` with the right secret.
fn check(req: &HttpRequest<'_>, now: OffsetDateTime) -> Result<(), Error> {
    let parsed = parse(req)?.expect("signed");
    verify(req, &parsed, &secret(), now, &SigningKeyCache::new(4))
}

fn signature_of(headers: &[(String, String)]) -> String {
    let auth = &headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .unwrap()
        .1;
    auth.rsplit("Signature=").next().unwrap().to_owned()
}

fn assert_refused(result: Result<(), Error>, code: &str, message: &str) -> Error {
    let err = result.expect_err("must be refused");
    assert_eq!(err.aws_code(), code, "{err:?}");
    assert_eq!(err.to_string(), message, "{err:?}");
    err
}

#[test]
fn the_untouched_request_verifies() {
    let h = signed_headers();
    check(&post(&refs(&h), BODY), T).unwrap();
}

#[test]
fn wrong_secret() {
    let h = signed_headers();
    let r = refs(&h);
    let req = post(&r, BODY);
    let parsed = parse(&req).unwrap().unwrap();
    let other = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ");
    let err = verify(&req, &parsed, &other, T, &SigningKeyCache::new(4));
    let err = assert_refused(err, "SignatureDoesNotMatch", MISMATCH);
    assert_eq!(err.http_status(), 403);
}

#[test]
fn a_cached_key_is_not_reused_for_another_secret() {
    let h = signed_headers();
    let r = refs(&h);
    let req = post(&r, BODY);
    let parsed = parse(&req).unwrap().unwrap();
    let cache = SigningKeyCache::new(4);
    verify(&req, &parsed, &secret(), T, &cache).unwrap();
    let other = SecretAccessKey::new("rotated");
    assert!(verify(&req, &parsed, &other, T, &cache).is_err());
    verify(&req, &parsed, &secret(), T, &cache).unwrap();
}

#[test]
fn tampered_body_header_path_query_method() {
    let h = signed_headers();
    let r = refs(&h);
    let body = b"Action=ListUsers&Version=2010-05-09";
    assert_refused(check(&post(&r, body), T), "SignatureDoesNotMatch", MISMATCH);

    let mut h2 = h.clone();
    h2[1].1 = "application/json".into();
    assert_refused(
        check(&post(&refs(&h2), BODY), T),
        "SignatureDoesNotMatch",
        MISMATCH,
    );

    let req = HttpRequest {
        path: "/x",
        ..post(&r, BODY)
    };
    assert_refused(check(&req, T), "SignatureDoesNotMatch", MISMATCH);
    let req = HttpRequest {
        query: "Action=DeleteUser",
        ..post(&r, BODY)
    };
    assert_refused(check(&req, T), "SignatureDoesNotMatch", MISMATCH);
    let req = HttpRequest {
        method: "PUT",
        ..post(&r, BODY)
    };
    assert_refused(check(&req, T), "SignatureDoesNotMatch", MISMATCH);
}

#[test]
fn unsigned_headers_may_change() {
    let mut h = signed_headers();
    h.push(("User-Agent".into(), "aws-cli/2".into()));
    h.push(("X-Amz-Security-Token".into(), "added-after-signing".into()));
    check(&post(&refs(&h), BODY), T).unwrap();
    // Header names are case-insensitive, values compared after trimming.
    let mut h = signed_headers();
    h[0] = ("HOST".into(), "  iam.amazonaws.com ".into());
    check(&post(&refs(&h), BODY), T).unwrap();
}

#[test]
fn tampered_signature() {
    let h = signed_headers();
    let sig = signature_of(&h);
    for replacement in [
        sig.to_uppercase(),
        format!("{}0", &sig[..63]),
        sig[..62].to_owned(),
        format!("{sig}00"),
        "zz".repeat(32),
    ] {
        if replacement == sig {
            continue;
        }
        let mut h2 = h.clone();
        h2[2].1 = h2[2].1.replace(&sig, &replacement);
        assert_refused(
            check(&post(&refs(&h2), BODY), T),
            "SignatureDoesNotMatch",
            MISMATCH,
        );
    }
}

#[test]
fn missing_signed_header() {
    let h = signed_headers();
    let r: Vec<(&str, &str)> = refs(&h)
        .into_iter()
        .filter(|(n, _)| *n != "Content-Type")
        .collect();
    let err = assert_refused(check(&post(&r, BODY), T), "SignatureDoesNotMatch", MISMATCH);
    assert_eq!(
        err,
        Error::SignedHeaderMissing {
            name: "content-type".into()
        }
    );
    assert!(err.reason().contains("content-type"));
}

#[test]
fn clock_skew_boundaries_for_header_signing() {
    let h = signed_headers();
    let r = refs(&h);
    let req = post(&r, BODY);
    let fifteen = Duration::minutes(15);
    let second = Duration::seconds(1);
    check(&req, T + fifteen).unwrap();
    check(&req, T - fifteen).unwrap();
    assert_refused(
        check(&req, T + fifteen + second),
        "SignatureDoesNotMatch",
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T125101Z - 15 min.)",
    );
    assert_refused(
        check(&req, T - fifteen - second),
        "SignatureDoesNotMatch",
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)",
    );
}

fn presigned_query(expires: u32, token: Option<&str>) -> String {
    let s = secret();
    let headers = [("Host", "sts.amazonaws.com")];
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: "Action=GetCallerIdentity&Version=2011-06-15",
        headers: &headers,
        body: b"",
    };
    let p = SigningParams {
        service: "sts",
        session_token: token,
        ..params(&s)
    };
    presign(&req, &p, expires).unwrap()
}

#[test]
fn presigned_window() {
    let query = presigned_query(60, Some("token/+="));
    let headers = [("Host", "sts.amazonaws.com")];
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: &query,
        headers: &headers,
        body: b"",
    };
    let parsed = parse(&req).unwrap().unwrap();
    assert_eq!(
        parsed.kind,
        SignatureKind::Presigned {
            expires_seconds: 60
        }
    );
    assert_eq!(parsed.session_token.as_deref(), Some("token/+="));
    assert_eq!(parsed.service, "sts");
    check(&req, T + Duration::seconds(60)).unwrap();
    check(&req, T - Duration::minutes(15)).unwrap();
    assert_refused(
        check(&req, T + Duration::seconds(61)),
        "SignatureDoesNotMatch",
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T123701Z - 1 min.)",
    );
    assert_refused(
        check(&req, T - Duration::minutes(15) - Duration::seconds(1)),
        "SignatureDoesNotMatch",
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123559Z (20150830T122059Z + 15 min.)",
    );
    // A presigned URL is bound to its query: altering any parameter breaks it.
    let altered = query.replace("GetCallerIdentity", "GetSessionToken");
    let req = HttpRequest {
        query: &altered,
        ..req
    };
    assert_refused(check(&req, T), "SignatureDoesNotMatch", MISMATCH);
}

#[test]
fn presigned_payload_rules() {
    let query = presigned_query(900, None);
    let unsigned = [
        ("Host", "sts.amazonaws.com"),
        ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"),
    ];
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: &query,
        headers: &unsigned,
        body: b"",
    };
    // The signature covered sha256(""), not UNSIGNED-PAYLOAD: refused, but as a mismatch.
    assert_refused(check(&req, T), "SignatureDoesNotMatch", MISMATCH);
    // UNSIGNED-PAYLOAD with a body would leave the body unauthenticated.
    let req = HttpRequest {
        body: b"Action=DeleteUser",
        ..req
    };
    assert_eq!(check(&req, T), Err(Error::UnsignedPayloadNotAllowed));
}

#[test]
fn declared_payload_hash_must_match_the_body() {
    let mut h = signed_headers();
    h.push(("X-Amz-Content-SHA256".into(), "0".repeat(64)));
    assert_eq!(
        check(&post(&refs(&h), BODY), T),
        Err(Error::PayloadHashMismatch)
    );
    let mut h = signed_headers();
    h.push(("X-Amz-Content-SHA256".into(), "UNSIGNED-PAYLOAD".into()));
    assert_eq!(
        check(&post(&refs(&h), BODY), T),
        Err(Error::UnsignedPayloadNotAllowed)
    );
    let mut h = signed_headers();
    h.push((
        "X-Amz-Content-SHA256".into(),
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD".into(),
    ));
    assert_eq!(
        check(&post(&refs(&h), BODY), T),
        Err(Error::UnsupportedPayloadHash)
    );
}

#[test]
fn a_signed_declared_payload_hash_verifies() {
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(BODY));
    let base = [
        ("Host", "iam.amazonaws.com"),
        ("X-Amz-Content-Sha256", sha.as_str()),
    ];
    let req = post(&base, BODY);
    let s = secret();
    let mut h: Vec<(String, String)> = base
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    h.extend(
        sign(&req, &params(&s))
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v)),
    );
    check(&post(&refs(&h), BODY), T).unwrap();
}

/// The request with its `Authorization` header (and possibly date headers) replaced.
fn with_authorization(authorization: &str, date: Option<(&str, &str)>) -> Result<(), Error> {
    let mut headers = vec![
        ("Host", "iam.amazonaws.com"),
        ("Authorization", authorization),
    ];
    headers.extend(date);
    let req = post(&headers, BODY);
    parse(&req).map(|_| ())
}

#[test]
fn malformed_authorization_headers() {
    let date = Some(("X-Amz-Date", "20150830T123600Z"));
    let good_cred = "Credential=AKID/20150830/us-east-1/iam/aws4_request";
    // (Authorization, date header, expected code, expected message)
    type Case<'a> = (String, Option<(&'a str, &'a str)>, &'a str, String);
    let cases: Vec<Case<'_>> = vec![
        (
            "Bearer abc".into(),
            date,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token".into(),
        ),
        (
            "AWS4-HMAC-SHA256".into(),
            date,
            "IncompleteSignature",
            "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256".into(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {good_cred}, SignedHeaders=host;x-amz-date"),
            None,
            "IncompleteSignature",
            format!("Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 {good_cred}, SignedHeaders=host;x-amz-date"),
        ),
        (
            "AWS4-HMAC-SHA256 Credential AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0123abcd".into(),
            date,
            "IncompleteSignature",
            "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential AKID/20150830/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=**redacted**'.".into(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {good_cred}, SignedHeaders=host;x-amz-date, Signature=00"),
            Some(("X-Amz-Date", "2015")),
            "IncompleteSignature",
            "Date must be in ISO-8601 'basic format'. Got '2015'. See http://en.wikipedia.org/wiki/ISO_8601".into(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {good_cred}, SignedHeaders=x-amz-date, Signature=00"),
            date,
            "SignatureDoesNotMatch",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ),
        (
            format!("AWS4-HMAC-SHA256 {good_cred}, SignedHeaders=host, Signature=00"),
            date,
            "SignatureDoesNotMatch",
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ),
        (
            format!("AWS4-ECDSA-P256-SHA256 {good_cred}, SignedHeaders=host;x-amz-date, Signature=00"),
            date,
            "IncompleteSignature",
            "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ".into(),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/iam, SignedHeaders=host;x-amz-date, Signature=00".into(),
            date,
            "IncompleteSignature",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20150830/us-east-1/iam'".into(),
        ),
        (
            "AWS4-HMAC-SHA256 Credential=AKID/20150831/us-east-1/iam/aws5_request, SignedHeaders=host;x-amz-date, Signature=00".into(),
            date,
            "SignatureDoesNotMatch",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150831' != '20150830', from '20150830T123600Z'.".into(),
        ),
    ];
    for (authorization, date, code, message) in cases {
        let err = with_authorization(&authorization, date).expect_err(&authorization);
        assert_eq!(err.aws_code(), code, "{authorization}");
        assert_eq!(err.to_string(), message, "{authorization}");
        let status = if code == "IncompleteSignature" {
            400
        } else {
            403
        };
        assert_eq!(err.http_status(), status);
    }
}

#[test]
fn date_header_is_accepted_when_x_amz_date_is_absent() {
    let base = [
        ("Host", "iam.amazonaws.com"),
        ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"),
    ];
    let req = post(&base, BODY);
    // Sign with date;host only (our signer always adds X-Amz-Date), by hand from the pieces.
    let canonical = oxiam_sigv4::canonical_request::canonical_request(
        &req,
        "date;host",
        &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(BODY)),
        false,
    )
    .unwrap();
    let hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(canonical.as_bytes()).into();
    let scope = oxiam_sigv4::string_to_sign::credential_scope("20150830", "us-east-1", "iam");
    let sts = oxiam_sigv4::string_to_sign::string_to_sign("20150830T123600Z", &scope, &hash);
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(&spec_signing_key()).unwrap();
    hmac::Mac::update(&mut mac, sts.as_bytes());
    let signature = hex::encode(hmac::Mac::finalize(mac).into_bytes());
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/{scope}, SignedHeaders=date;host, Signature={signature}"
    );
    let headers = [base[0], base[1], ("Authorization", auth.as_str())];
    let req = post(&headers, BODY);
    let parsed = parse(&req).unwrap().unwrap();
    assert_eq!(parsed.date_source, oxiam_sigv4::DateSource::DateHeader);
    assert_eq!(parsed.amz_date(), "20150830T123600Z");
    verify(&req, &parsed, &secret(), T, &SigningKeyCache::new(1)).unwrap();
}

/// The signing key derived independently, straight from the spec's four HMACs.
fn spec_signing_key() -> Vec<u8> {
    let k = |key: &[u8], data: &[u8]| {
        let mut m = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(key).unwrap();
        hmac::Mac::update(&mut m, data);
        hmac::Mac::finalize(m).into_bytes().to_vec()
    };
    let secret = secret();
    let k_date = k(format!("AWS4{}", secret.expose()).as_bytes(), b"20150830");
    let k_region = k(&k_date, b"us-east-1");
    let k_service = k(&k_region, b"iam");
    k(&k_service, b"aws4_request")
}

#[test]
fn scope_checks_for_the_endpoint() {
    let h = signed_headers();
    let r = refs(&h);
    let req = post(&r, BODY);
    let parsed = parse(&req).unwrap().unwrap();
    parsed.check_scope(&["us-east-1"], "iam").unwrap();
    parsed.check_scope(&[], "iam").unwrap();
    let err = parsed.check_scope(&["eu-west-1"], "sts").unwrap_err();
    assert_eq!(err.aws_code(), "SignatureDoesNotMatch");
    assert_eq!(
        err.to_string(),
        "Credential should be scoped to a valid region, not 'us-east-1'. Credential should be scoped to correct service: 'sts'. "
    );
}

#[test]
fn header_and_query_authentication_together() {
    let h = signed_headers();
    let r = refs(&h);
    let req = HttpRequest {
        query: "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        ..post(&r, BODY)
    };
    let err = parse(&req).unwrap_err();
    assert_eq!(err.aws_code(), "SignatureDoesNotMatch");
    assert_eq!(
        err.to_string(),
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    );
    // Other X-Amz-* parameters are plain query to a header-signed request (and signed as such).
    let req = HttpRequest {
        query: "X-Amz-Credential=x",
        ..post(&r, BODY)
    };
    assert_eq!(parse(&req).unwrap().unwrap().kind, SignatureKind::Header);
    assert_refused(check(&req, T), "SignatureDoesNotMatch", MISMATCH);
}

#[test]
fn incomplete_presigned_parameters() {
    let headers = [("Host", "sts.amazonaws.com")];
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a",
        headers: &headers,
        body: b"",
    };
    let err = parse(&req).unwrap_err();
    assert_eq!(err.aws_code(), "IncompleteSignature");
    assert_eq!(
        err.to_string(),
        "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );
    let good = presigned_query(900, None);
    for (from, to, expected) in [
        (
            "X-Amz-Expires=900",
            "X-Amz-Expires=abc",
            Error::MalformedExpires,
        ),
        (
            "X-Amz-Expires=900",
            "X-Amz-Expires=-1",
            Error::MalformedExpires,
        ),
        (
            "X-Amz-Expires=900",
            "X-Amz-Expires=604801",
            Error::ExpiresTooLarge,
        ),
    ] {
        let query = good.replace(from, to);
        let req = HttpRequest {
            query: &query,
            ..req
        };
        assert_eq!(parse(&req).unwrap_err(), expected);
    }
}

#[test]
fn no_signature_at_all_is_anonymous() {
    let headers = [("Host", "sts.amazonaws.com")];
    let req = post(
        &headers,
        b"Action=AssumeRoleWithWebIdentity&Version=2011-06-15",
    );
    assert!(parse(&req).unwrap().is_none());
}

#[test]
fn signatures_never_reach_messages_or_debug_output() {
    let h = signed_headers();
    let sig = signature_of(&h);
    let r = refs(&h);
    let req = post(&r, BODY);
    let parsed = parse(&req).unwrap().unwrap();
    assert!(!format!("{parsed:?}").contains(&sig));
    let mut errors = vec![
        verify(
            &req,
            &parsed,
            &SecretAccessKey::new("x"),
            T,
            &SigningKeyCache::new(1),
        )
        .unwrap_err(),
    ];
    for broken in [
        h[2].1.replace("Credential=", "Credential "),
        h[2].1.replace("SignedHeaders=", "Signed="),
        h[2].1.replace("Signature=", "Signature= "),
        h[2].1.replace("Signature=", "Signature "),
        h[2].1
            .replace("Credential=", "Credential=\u{0}")
            .replace("SignedHeaders=", "x "),
    ] {
        let headers = [r[0], r[1], ("Authorization", broken.as_str())];
        errors.push(parse(&post(&headers, BODY)).unwrap_err());
    }
    for err in errors {
        for text in [err.to_string(), err.reason(), format!("{err:?}")] {
            assert!(!text.contains(&sig), "{text}");
        }
    }
}

#[test]
fn garbage_and_invalid_utf8_escapes_do_not_panic() {
    let h = signed_headers();
    let r = refs(&h);
    let garbage_queries = [
        "X-Amz-Algorithm=%FF%FE&X-Amz-Credential=%C3%28%2F%2F&X-Amz-Signature=%&X-Amz-SignedHeaders=%G0&X-Amz-Date=%",
        "X-Amz-Signature",
        "&&&&=&=",
        "%E1%88",
        "X-Amz-Credential=a%2Fb%2Fc%2Fd%2Fe&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00&X-Amz-SignedHeaders=host&X-Amz-Date=20150830T123600Z",
    ];
    for q in garbage_queries {
        let req = HttpRequest {
            method: "GET",
            path: "/%FF/../..",
            query: q,
            headers: &r[..1],
            body: &[0xFF, 0xFE],
        };
        if let Ok(Some(parsed)) = parse(&req) {
            let _ = verify(&req, &parsed, &secret(), T, &SigningKeyCache::new(1));
        }
    }
    for auth in [
        "",
        "AWS4-",
        "AWS4- ,,,= =,",
        "AWS4-HMAC-SHA256 Credential=////////, SignedHeaders=;;;, Signature=ü",
    ] {
        let headers = [("Host", "h"), ("Authorization", auth), ("X-Amz-Date", "ü")];
        let _ = parse(&post(&headers, &[0xC3, 0x28]));
    }
}
