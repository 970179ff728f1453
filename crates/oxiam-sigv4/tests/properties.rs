//! Properties: whatever the request, sign → verify succeeds (header and presigned), and any
//! single-byte change to a signed part of it makes verification fail.
#![expect(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

use oxiam_sigv4::{
    HttpRequest, SecretAccessKey, SigningKeyCache, SigningParams, parse, presign, sign, verify,
};
use proptest::prelude::*;
use proptest::sample::Index;
use time::{OffsetDateTime, macros::datetime};

const T: OffsetDateTime = datetime!(2026-11-23 08:15:30 UTC);
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

#[derive(Debug, Clone)]
struct Req {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn with<R>(&self, f: impl FnOnce(&HttpRequest<'_>) -> R) -> R {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        f(&HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        })
    }
}

fn secret() -> SecretAccessKey {
    SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
}

fn params<'s>(secret: &'s SecretAccessKey, token: Option<&'static str>) -> SigningParams<'s> {
    SigningParams {
        access_key_id: "AKIAIOSFODNN7EXAMPLE",
        secret,
        region: "us-east-1",
        service: "iam",
        timestamp: T,
        session_token: token,
    }
}

/// The request with its signature added, as the server receives it.
fn signed(req: &Req, token: Option<&'static str>) -> Req {
    let s = secret();
    let added = req.with(|r| sign(r, &params(&s, token))).unwrap();
    let mut out = req.clone();
    out.headers
        .extend(added.into_iter().map(|(n, v)| (n.to_owned(), v)));
    out
}

fn presigned(req: &Req, expires: u32) -> Req {
    let s = secret();
    let query = req
        .with(|r| presign(r, &params(&s, Some("tok/+=")), expires))
        .unwrap();
    Req {
        query,
        ..req.clone()
    }
}

fn accepts(req: &Req, now: OffsetDateTime) -> Result<(), String> {
    req.with(|r| {
        let parsed = parse(r).map_err(|e| e.to_string())?.ok_or("unsigned")?;
        verify(r, &parsed, &secret(), now, &SigningKeyCache::new(2)).map_err(|e| e.to_string())
    })
}

/// Any request shape: paths with dot segments, spaces, escapes and UTF-8; free-form query and
/// header values.
fn any_request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
        "(/[a-zA-Z0-9._~ %ü+*-]{0,8}){0,4}/?",
        "([a-zA-Z0-9 %ü+*~._-]{1,6}(=[a-zA-Z0-9 %ü+*~/=._-]{0,8})?&){0,4}",
        prop::collection::vec(("x-[a-z0-9-]{1,10}", "[ -~]{0,24}"), 0..4),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(method, path, query, extra, body)| {
            let mut headers = vec![("Host".to_owned(), "iam.amazonaws.com".to_owned())];
            headers.extend(extra);
            Req {
                method: method.to_owned(),
                path,
                query,
                headers,
                body,
            }
        })
}

/// Requests whose text is alphanumeric around fixed separators, so that a changed byte is
/// never one that canonicalisation forgives (header-name case, whitespace runs, `+` vs `%20`).
fn plain_request() -> impl Strategy<Value = Req> {
    (
        prop::sample::select(vec!["GET", "POST"]),
        "(/[a-zA-Z0-9]{1,6}){1,3}",
        "[a-zA-Z0-9]{1,5}=[a-zA-Z0-9]{1,5}(&[a-zA-Z0-9]{1,5}=[a-zA-Z0-9]{1,5}){0,2}",
        prop::collection::vec(("x-[a-z]{1,8}", "[a-zA-Z0-9]{1,12}"), 0..3),
        prop::collection::vec(any::<u8>(), 1..48),
    )
        .prop_map(|(method, path, query, extra, body)| {
            let mut headers = vec![("Host".to_owned(), "iam.amazonaws.com".to_owned())];
            headers.extend(extra);
            Req {
                method: method.to_owned(),
                path,
                query,
                headers,
                body,
            }
        })
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Method,
    Path,
    Query,
    HeaderValue,
    Body,
    Signature,
}

/// Replaces one alphanumeric byte of `s` (chosen by `at`) with another; false if none.
fn change_alnum(s: &mut String, at: Index, with: Index) -> bool {
    // Not the hex digits of a %XX escape: `%2F` → `%2f` encodes the same byte, and SigV4
    // canonicalisation rightly treats them alike (found by this test's shrinker).
    let bytes = s.as_bytes();
    let in_escape = |i: usize| (i >= 1 && bytes[i - 1] == b'%') || (i >= 2 && bytes[i - 2] == b'%');
    let positions: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|&(i, b)| b.is_ascii_alphanumeric() && !in_escape(i))
        .map(|(i, _)| i)
        .collect();
    if positions.is_empty() {
        return false;
    }
    let i = positions[at.index(positions.len())];
    let old = s.as_bytes()[i];
    let choices: Vec<u8> = ALNUM.iter().copied().filter(|&c| c != old).collect();
    let new = choices[with.index(choices.len())];
    s.replace_range(i..=i, std::str::from_utf8(&[new]).unwrap());
    true
}

fn mutate(req: &mut Req, part: Part, which: Index, at: Index, with: Index) -> bool {
    match part {
        Part::Method => change_alnum(&mut req.method, at, with),
        Part::Path => change_alnum(&mut req.path, at, with),
        Part::Query => change_alnum(&mut req.query, at, with),
        Part::HeaderValue => {
            let candidates: Vec<usize> = (0..req.headers.len())
                .filter(|&i| !req.headers[i].0.eq_ignore_ascii_case("authorization"))
                .collect();
            let i = candidates[which.index(candidates.len())];
            change_alnum(&mut req.headers[i].1, at, with)
        }
        Part::Body => {
            let i = at.index(req.body.len());
            req.body[i] ^= 1 + u8::try_from(with.index(255)).unwrap();
            true
        }
        Part::Signature => {
            let auth = req
                .headers
                .iter_mut()
                .find(|(n, _)| n == "Authorization")
                .unwrap();
            let (head, sig) = auth.1.split_once("Signature=").unwrap();
            let mut sig = sig.to_owned();
            let changed = change_alnum(&mut sig, at, with);
            auth.1 = format!("{head}Signature={sig}");
            changed
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_round_trips(req in any_request(), token in prop::option::of(Just("FQoG/ab+c=="))) {
        let signed = signed(&req, token);
        prop_assert_eq!(accepts(&signed, T), Ok(()));
    }

    #[test]
    fn presign_then_verify_round_trips(req in any_request(), expires in 1u32..=604_800) {
        let req = Req { body: Vec::new(), ..req };
        let signed = presigned(&req, expires);
        prop_assert_eq!(accepts(&signed, T), Ok(()));
    }

    #[test]
    fn any_single_byte_change_fails(
        req in plain_request(),
        part in prop::sample::select(vec![
            Part::Method, Part::Path, Part::Query, Part::HeaderValue, Part::Body, Part::Signature,
        ]),
        which in any::<Index>(),
        at in any::<Index>(),
        with in any::<Index>(),
    ) {
        let mut tampered = signed(&req, None);
        prop_assert_eq!(accepts(&tampered, T), Ok(()));
        prop_assume!(mutate(&mut tampered, part, which, at, with));
        prop_assert!(accepts(&tampered, T).is_err(), "{:?} change accepted: {:?}", part, tampered);
    }

    #[test]
    fn any_single_byte_change_to_a_presigned_url_fails(
        req in plain_request(),
        at in any::<Index>(),
        with in any::<Index>(),
    ) {
        let req = Req { body: Vec::new(), ..req };
        let mut tampered = presigned(&req, 900);
        prop_assert_eq!(accepts(&tampered, T), Ok(()));
        // Any alphanumeric byte of the query, the X-Amz-* parameters included.
        prop_assume!(change_alnum(&mut tampered.query, at, with));
        prop_assert!(accepts(&tampered, T).is_err(), "change accepted: {}", tampered.query);
    }

    #[test]
    fn parse_and_verify_never_panic(
        method in "\\PC{0,6}",
        path in "\\PC{0,16}",
        query in "(X-Amz-[A-Za-z]{0,12}=[\\PC%]{0,20}&?){0,6}",
        auth in "(AWS4-HMAC-SHA256 )?(Credential=[\\PC/]{0,30}, ?)?(SignedHeaders=[a-z;-]{0,20}, ?)?(Signature=[0-9a-f]{0,64})?",
        date in "[0-9TZ]{0,17}",
        body in prop::collection::vec(any::<u8>(), 0..32),
    ) {
        let headers = [("Host", "h"), ("Authorization", auth.as_str()), ("X-Amz-Date", date.as_str())];
        for headers in [&headers[..], &headers[..1]] {
            let req = HttpRequest { method: &method, path: &path, query: &query, headers, body: &body };
            if let Ok(Some(parsed)) = parse(&req) {
                let _ = verify(&req, &parsed, &secret(), T, &SigningKeyCache::new(1));
            }
        }
    }
}
