//! Task 1 of SigV4: the canonical request.
//!
//! ```text
//! CanonicalRequest =
//!   HTTPRequestMethod '\n' CanonicalURI '\n' CanonicalQueryString '\n'
//!   CanonicalHeaders '\n' SignedHeaders '\n' HexEncode(Hash(RequestPayload))
//! ```
//! Everything is written into a `Sink`, so verification streams the canonical request
//! straight into SHA-256 instead of building it, and tests can still see it as text.

use std::borrow::Cow;

use hmac::Mac;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};

use crate::{Error, HttpRequest, request::query_pairs};

/// Where canonical text goes: a hasher on the hot path, a buffer in tests.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        Digest::update(self, bytes);
    }
}

impl Sink for hmac::Hmac<Sha256> {
    fn put(&mut self, bytes: &[u8]) {
        Mac::update(self, bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The canonical request as text, e.g. to compare with a test vector's `.creq`.
///
/// `signed_headers` is the `SignedHeaders` value (`host;x-amz-date`), `payload_hash` the last
/// line (hex SHA-256 or `UNSIGNED-PAYLOAD`); `presigned` leaves `X-Amz-Signature` out of the
/// query, as query signing requires.
///
/// # Errors
/// [`Error::SignedHeaderMissing`] when a signed header is not in the request.
pub fn canonical_request(
    req: &HttpRequest<'_>,
    signed_headers: &str,
    payload_hash: &str,
    presigned: bool,
) -> Result<String, Error> {
    let mut out = Vec::with_capacity(256);
    write(&mut out, req, signed_headers, payload_hash, presigned)?;
    // INVARIANT (utf8-preserved): every piece written is either ASCII or a whole `&str` taken
    // from the request, so the bytes are UTF-8; the lossy path is never taken.
    Ok(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into()))
}

/// Streams the canonical request into `sink`.
pub(crate) fn write<S: Sink>(
    sink: &mut S,
    req: &HttpRequest<'_>,
    signed_headers: &str,
    payload_hash: &str,
    presigned: bool,
) -> Result<(), Error> {
    // <HTTPMethod>\n
    sink.put(req.method.as_bytes());
    sink.put(b"\n");
    // <CanonicalURI>\n
    write_uri(sink, req.path);
    sink.put(b"\n");
    // <CanonicalQueryString>\n
    write_query(sink, req.query, presigned);
    sink.put(b"\n");
    // <CanonicalHeaders>\n — each header line ends in '\n', then the blank separator line
    write_headers(sink, req.headers, signed_headers)?;
    sink.put(b"\n");
    // <SignedHeaders>\n
    sink.put(signed_headers.as_bytes());
    sink.put(b"\n");
    // <HashedPayload>
    sink.put(payload_hash.as_bytes());
    Ok(())
}

/// The canonical URI for every service but S3: dot segments resolved, runs of `/` collapsed
/// (RFC 3986 §5.2.4 plus AWS's rule), then each byte outside the unreserved set
/// percent-encoded. The path arrives already encoded once, so encoding it again is the
/// "double encoding" AWS specifies for non-S3 services: `%2F` on the wire signs as `%252F`.
fn write_uri<S: Sink>(sink: &mut S, path: &str) {
    if path.is_empty() || path == "/" {
        sink.put(b"/");
        return;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            kept => segments.push(kept),
        }
    }
    if path.starts_with('/') {
        sink.put(b"/");
    }
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 {
            sink.put(b"/");
        }
        write_encoded(sink, segment.as_bytes());
    }
    if path.ends_with('/') && !segments.is_empty() {
        sink.put(b"/");
    }
}

/// Parameters re-encoded the one canonical way (so `%7E`, `~` and a raw UTF-8 `ሴ` all sign
/// alike), sorted by encoded name then value, `name=value` joined by `&`.
fn write_query<S: Sink>(sink: &mut S, query: &str, presigned: bool) {
    if query.is_empty() {
        return;
    }
    let mut params: Vec<(Cow<'_, str>, Cow<'_, str>)> = query_pairs(query)
        .map(|(name, value)| (canonical_component(name), canonical_component(value)))
        .filter(|(name, _)| !(presigned && name == "X-Amz-Signature"))
        .collect();
    params.sort_unstable();
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            sink.put(b"&");
        }
        sink.put(name.as_bytes());
        sink.put(b"=");
        sink.put(value.as_bytes());
    }
}

/// One line per signed header, in `SignedHeaders` order: `name:value[,value…]`, each value
/// trimmed with inner whitespace runs collapsed to one space, repeated headers joined by `,`
/// in the order received.
fn write_headers<S: Sink>(
    sink: &mut S,
    headers: &[(&str, &str)],
    signed_headers: &str,
) -> Result<(), Error> {
    for name in signed_headers.split(';') {
        sink.put(name.as_bytes());
        sink.put(b":");
        let mut found = false;
        for (_, value) in headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)) {
            if found {
                sink.put(b",");
            }
            found = true;
            for (i, word) in value.split_ascii_whitespace().enumerate() {
                if i > 0 {
                    sink.put(b" ");
                }
                sink.put(word.as_bytes());
            }
        }
        if !found {
            return Err(Error::SignedHeaderMissing {
                name: name.to_ascii_lowercase(),
            });
        }
        sink.put(b"\n");
    }
    Ok(())
}

/// RFC 3986 unreserved characters, the only ones SigV4 leaves unencoded.
const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

const fn hex_upper(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'A' + nibble - 10
    }
}

/// Writes `input` percent-encoded, passing runs of unreserved bytes through in one piece.
fn write_encoded<S: Sink>(sink: &mut S, input: &[u8]) {
    let mut rest = input;
    while !rest.is_empty() {
        let run = rest
            .iter()
            .position(|&b| !is_unreserved(b))
            .unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(run);
        if !plain.is_empty() {
            sink.put(plain);
        }
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        sink.put(&[b'%', hex_upper(b >> 4), hex_upper(b & 0xF)]);
        rest = tail;
    }
}

/// `s` with every byte outside the unreserved set percent-encoded (upper-case hex), as SigV4
/// wants query names and values.
#[must_use]
pub fn percent_encode(s: &str) -> String {
    encode_bytes(s.as_bytes())
}

fn encode_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(hex_upper(b >> 4)));
            out.push(char::from(hex_upper(b & 0xF)));
        }
    }
    out
}

/// A query name or value in canonical form: borrowed when it already is (the common case for
/// SDK-built requests), else decoded and encoded again.
fn canonical_component(raw: &str) -> Cow<'_, str> {
    if is_canonical(raw.as_bytes()) {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(encode_bytes(&decode_query_component(raw)))
}

/// Decodes a query name or value as `application/x-www-form-urlencoded`: `+` is a space.
/// Client compatibility: botocore sends GET parameters through `urlencode` (space → `+`) but
/// signs them with the space as `%20`, and AWS accepts that, so `+` must sign as `%20`. A
/// literal plus arrives as `%2B` from every SDK.
pub(crate) fn decode_query_component(raw: &str) -> Cow<'_, [u8]> {
    if raw.contains('+') {
        let spaced = raw.replace('+', " ");
        Cow::Owned(percent_decode_str(&spaced).collect())
    } else {
        percent_decode_str(raw).into()
    }
}

/// True when `raw` is exactly what encoding its decoded form would give.
fn is_canonical(raw: &[u8]) -> bool {
    let mut rest = raw;
    while let Some((&b, tail)) = rest.split_first() {
        if is_unreserved(b) {
            rest = tail;
            continue;
        }
        let [b'%', hi, lo, ..] = *rest else {
            return false;
        };
        let upper_hex = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
        if !upper_hex(hi) || !upper_hex(lo) {
            return false;
        }
        let value = (hex_value(hi) << 4) | hex_value(lo);
        if is_unreserved(value) {
            return false;
        }
        rest = tail.get(2..).unwrap_or_default();
    }
    true
}

const fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        b'a'..=b'f' => c - b'a' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(path: &str) -> String {
        let mut out = Vec::new();
        write_uri(&mut out, path);
        String::from_utf8(out).unwrap()
    }

    fn query(q: &str, presigned: bool) -> String {
        let mut out = Vec::new();
        write_query(&mut out, q, presigned);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn uri_normalisation() {
        assert_eq!(uri(""), "/");
        assert_eq!(uri("/"), "/");
        assert_eq!(uri("//"), "/");
        assert_eq!(uri("/./"), "/");
        assert_eq!(uri("/example/.."), "/");
        assert_eq!(uri("/a/b/../../.."), "/");
        assert_eq!(uri("//example//"), "/example/");
        assert_eq!(uri("/./example"), "/example");
        assert_eq!(uri("/a/./b/../c/"), "/a/c/");
    }

    #[test]
    fn uri_double_encodes() {
        assert_eq!(uri("/example space/"), "/example%20space/");
        assert_eq!(uri("/ሴ"), "/%E1%88%B4");
        assert_eq!(uri("/%E1%88%B4"), "/%25E1%2588%25B4");
        assert_eq!(uri("/a%2Fb"), "/a%252Fb");
        assert_eq!(uri("/-._~AZaz09"), "/-._~AZaz09");
        assert_eq!(uri("/$delete"), "/%24delete");
    }

    #[test]
    fn query_canonicalisation() {
        assert_eq!(query("", false), "");
        assert_eq!(query("b=2&a=1", false), "a=1&b=2");
        assert_eq!(query("a=2&a=1", false), "a=1&a=2");
        assert_eq!(query("Param1", false), "Param1=");
        assert_eq!(query("ሴ=bar", false), "%E1%88%B4=bar");
        assert_eq!(query("%e1%88%b4=%7E", false), "%E1%88%B4=~");
        assert_eq!(query("k=a b+c%2B", false), "k=a%20b%20c%2B");
        assert_eq!(
            query("X-Amz-Signature=abc&X-Amz-Date=1", true),
            "X-Amz-Date=1",
            "presigned requests do not sign their own signature"
        );
        assert_eq!(query("X-Amz-Signature=abc", false), "X-Amz-Signature=abc");
        // Sorting is by encoded name, so `%E1…` sorts after `P…`.
        assert_eq!(
            query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1", false),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
    }

    #[test]
    fn canonical_check() {
        assert!(is_canonical(b"abc-._~%2F%E1"));
        assert!(!is_canonical(b"%2f"));
        assert!(!is_canonical(b"%7E"));
        assert!(!is_canonical(b"%2"));
        assert!(!is_canonical(b"a b"));
        assert!(!is_canonical(b"+"));
    }

    #[test]
    fn headers_trim_collapse_and_join() {
        let headers = [
            ("Host", "example.com"),
            ("My-Header1", "  a   b \t c  "),
            ("my-header1", "d"),
        ];
        let mut out = Vec::new();
        write_headers(&mut out, &headers, "host;my-header1").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "host:example.com\nmy-header1:a b c,d\n"
        );
        let mut out = Vec::new();
        assert_eq!(
            write_headers(&mut out, &headers, "host;x-amz-date"),
            Err(Error::SignedHeaderMissing {
                name: "x-amz-date".into()
            })
        );
    }
}
