//! Task 2 of SigV4: the string to sign.
//!
//! ```text
//! StringToSign =
//!   Algorithm '\n' RequestDateTime '\n' CredentialScope '\n' HexEncode(Hash(CanonicalRequest))
//! ```

use crate::canonical_request::Sink;
use crate::parse::{ALGORITHM, TERMINATOR};

/// The credential scope, e.g. `20150830/us-east-1/iam/aws4_request`.
#[must_use]
pub fn credential_scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/{TERMINATOR}")
}

/// The string to sign as text, e.g. to compare with a test vector's `.sts`.
#[must_use]
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request_sha256: &[u8; 32]) -> String {
    let mut out = Vec::with_capacity(128);
    write(
        &mut out,
        amz_date,
        ScopeParts::Whole(scope),
        canonical_request_sha256,
    );
    String::from_utf8_lossy(&out).into_owned()
}

/// The scope either whole or in its parts, so verification writes it without joining.
pub(crate) enum ScopeParts<'s> {
    Whole(&'s str),
    Parts {
        date: &'s str,
        region: &'s str,
        service: &'s str,
    },
}

/// Streams the string to sign into `sink` (an HMAC on the hot path).
pub(crate) fn write<S: Sink>(
    sink: &mut S,
    amz_date: &str,
    scope: ScopeParts<'_>,
    canonical_request_sha256: &[u8; 32],
) {
    // <Algorithm>\n
    sink.put(ALGORITHM.as_bytes());
    sink.put(b"\n");
    // <RequestDateTime>\n
    sink.put(amz_date.as_bytes());
    sink.put(b"\n");
    // <CredentialScope>\n
    match scope {
        ScopeParts::Whole(scope) => sink.put(scope.as_bytes()),
        ScopeParts::Parts {
            date,
            region,
            service,
        } => {
            for part in [date, region, service] {
                sink.put(part.as_bytes());
                sink.put(b"/");
            }
            sink.put(TERMINATOR.as_bytes());
        }
    }
    sink.put(b"\n");
    // <HashedCanonicalRequest>
    let mut hex = [0u8; 64];
    // A 32-byte input always fits 64 hex digits.
    if hex::encode_to_slice(canonical_request_sha256, &mut hex).is_ok() {
        sink.put(&hex);
    }
}
