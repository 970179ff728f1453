//! Task 4 of SigV4, server side: recompute the signature and compare, inside the clock window.

use hmac::Mac;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::error::Window;
use crate::parse::SignatureKind;
use crate::string_to_sign::ScopeParts;
use crate::timestamp::format_iso_basic;
use crate::{
    Error, HttpRequest, Parsed, SecretAccessKey, SigningKeyCache, canonical_request, string_to_sign,
};

/// How far a header-signed request's clock may be from ours, either way; also how far ahead
/// of its `X-Amz-Date` a presigned request may arrive.
pub const CLOCK_SKEW: Duration = Duration::minutes(15);

/// The payload hash a presigned URL may name instead of a SHA-256.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// SHA-256 of the empty string.
pub const EMPTY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Checks the signature (in constant time) and the clock window: ±15 min for header
/// signing; for presigned URLs, not before `X-Amz-Date - 15 min` and not after
/// `X-Amz-Date + X-Amz-Expires`. `now` is the server's clock.
///
/// The credential scope's date and terminator were checked by [`crate::parse()`]; its region
/// and service are the endpoint's to check, with [`Parsed::check_scope`].
///
/// # Errors
/// [`Error::SignatureExpired`] / [`Error::SignatureNotYetCurrent`] outside the window,
/// [`Error::SignedHeaderMissing`], the payload-hash errors, and
/// [`Error::SignatureDoesNotMatch`].
pub fn verify(
    req: &HttpRequest<'_>,
    parsed: &Parsed<'_>,
    secret: &SecretAccessKey,
    now: OffsetDateTime,
    cache: &SigningKeyCache,
) -> Result<(), Error> {
    let body_sha256: [u8; 32] = Sha256::digest(req.body).into();
    verify_with(req, parsed, secret, now, cache, &body_sha256, false)
}

/// [`verify`] for a request received by someone else: a service that forwards its client's
/// request to an authorizer sends the SHA-256 of the body it received, not the body.
/// `req.body` is ignored.
///
/// A presigned URL may sign its payload as `UNSIGNED-PAYLOAD` without saying so in a header,
/// as S3's presigned URLs (botocore's `S3SigV4QueryAuth`, every S3 SDK) do, or as the hash of
/// the body, as other services' (`SigV4QueryAuth`) do: both are tried. A forwarded presigned
/// request may then carry a body its signature does not cover, as with S3 (a presigned
/// `PUT` uploads whatever body comes with it); oxiam's own API never accepts that, since its
/// parameters are in the body.
///
/// # Errors
/// As [`verify`].
pub fn verify_forwarded(
    req: &HttpRequest<'_>,
    parsed: &Parsed<'_>,
    secret: &SecretAccessKey,
    now: OffsetDateTime,
    cache: &SigningKeyCache,
    body_sha256: &[u8; 32],
) -> Result<(), Error> {
    verify_with(req, parsed, secret, now, cache, body_sha256, true)
}

/// The verification of [`verify`] and [`verify_forwarded`]; `forwarded` lets a presigned
/// request leave a non-empty body unsigned.
fn verify_with(
    req: &HttpRequest<'_>,
    parsed: &Parsed<'_>,
    secret: &SecretAccessKey,
    now: OffsetDateTime,
    cache: &SigningKeyCache,
    body_sha256: &[u8; 32],
    forwarded: bool,
) -> Result<(), Error> {
    check_clock(parsed, now)?;

    let presigned = matches!(parsed.kind, SignatureKind::Presigned { .. });
    let mut body_hex = [0u8; 64];
    // 32 bytes always fit 64 hex digits.
    let _ = hex::encode_to_slice(body_sha256, &mut body_hex);
    let unsigned_allowed = presigned && (forwarded || body_sha256 == &EMPTY_SHA256);
    let declared = req.header("x-amz-content-sha256");
    let payload = payload_hash(declared, body_sha256, &body_hex, unsigned_allowed)?;
    let presented = decode_signature(parsed.signature).ok_or(Error::SignatureDoesNotMatch)?;
    if signature_matches(req, parsed, secret, cache, payload, presigned, &presented)? {
        return Ok(());
    }
    // A presigned URL that names no payload hash: S3's convention is `UNSIGNED-PAYLOAD`.
    if declared.is_none()
        && unsigned_allowed
        && signature_matches(
            req,
            parsed,
            secret,
            cache,
            UNSIGNED_PAYLOAD,
            presigned,
            &presented,
        )?
    {
        return Ok(());
    }
    Err(Error::SignatureDoesNotMatch)
}

/// Whether `presented` is the signature of the request with `payload` as its last
/// canonical line (compared in constant time).
fn signature_matches(
    req: &HttpRequest<'_>,
    parsed: &Parsed<'_>,
    secret: &SecretAccessKey,
    cache: &SigningKeyCache,
    payload: &str,
    presigned: bool,
    presented: &[u8; 32],
) -> Result<bool, Error> {
    let mut hasher = Sha256::new();
    canonical_request::write(&mut hasher, req, &parsed.signed_headers, payload, presigned)?;
    let canonical_sha256: [u8; 32] = hasher.finalize().into();

    let key = cache.signing_key(
        parsed.access_key_id,
        secret,
        parsed.date,
        parsed.region,
        parsed.service,
    );
    let mut mac = key.mac();
    let scope = ScopeParts::Parts {
        date: parsed.date,
        region: parsed.region,
        service: parsed.service,
    };
    string_to_sign::write(&mut mac, &parsed.amz_date, scope, &canonical_sha256);
    Ok(mac.verify_slice(presented).is_ok())
}

/// The clock window alone (as [`verify`] checks it first): a service that answers an
/// expired presigned URL in its own words (S3's `Request has expired`) asks this before
/// the signature.
///
/// # Errors
/// [`Error::SignatureExpired`] / [`Error::SignatureNotYetCurrent`].
pub fn check_clock(parsed: &Parsed<'_>, now: OffsetDateTime) -> Result<(), Error> {
    let ts = parsed.timestamp;
    let (window, not_after) = match parsed.kind {
        SignatureKind::Header => (CLOCK_SKEW, ts.checked_add(CLOCK_SKEW)),
        SignatureKind::Presigned { expires_seconds } => (
            Duration::seconds(i64::from(expires_seconds)),
            ts.checked_add(Duration::seconds(i64::from(expires_seconds))),
        ),
    };
    // `now > ts + window`, i.e. `ts < now - window`: too old. The boundary itself is valid.
    if not_after.is_none_or(|limit| now > limit) {
        let earliest = now
            .checked_sub(window)
            .map(format_iso_basic)
            .unwrap_or_default();
        return Err(Error::SignatureExpired {
            timestamp: parsed.amz_date.to_string(),
            earliest,
            now: format_iso_basic(now),
            window: Window(u32::try_from(window.whole_seconds()).unwrap_or(u32::MAX)),
        });
    }
    // `ts > now + 15 min`: from the future, beyond any honest clock skew.
    if now.checked_add(CLOCK_SKEW).is_none_or(|latest| ts > latest) {
        let latest = now
            .checked_add(CLOCK_SKEW)
            .map(format_iso_basic)
            .unwrap_or_default();
        return Err(Error::SignatureNotYetCurrent {
            timestamp: parsed.amz_date.to_string(),
            latest,
            now: format_iso_basic(now),
        });
    }
    Ok(())
}

/// The last line of the canonical request. A declared `x-amz-content-sha256` is signed
/// verbatim, but must also hash the body that arrived: otherwise a signed request could carry
/// any body. `UNSIGNED-PAYLOAD` only where `unsigned_allowed` (presigned URLs without a
/// body, since IAM and STS take their parameters from the body; any forwarded presigned
/// URL, as S3).
fn payload_hash<'x>(
    declared: Option<&'x str>,
    body_sha256: &[u8; 32],
    body_hex: &'x [u8; 64],
    unsigned_allowed: bool,
) -> Result<&'x str, Error> {
    let Some(declared) = declared else {
        return std::str::from_utf8(body_hex).map_err(|_| Error::SignatureDoesNotMatch);
    };
    if declared == UNSIGNED_PAYLOAD {
        return if unsigned_allowed {
            Ok(declared)
        } else {
            Err(Error::UnsignedPayloadNotAllowed)
        };
    }
    let mut claimed = [0u8; 32];
    if declared.len() != 64 || hex::decode_to_slice(declared, &mut claimed).is_err() {
        return Err(Error::UnsupportedPayloadHash);
    }
    if bool::from(claimed.ct_eq(body_sha256)) {
        Ok(declared)
    } else {
        Err(Error::PayloadHashMismatch)
    }
}

/// Exactly 64 lower-case hex digits, as every SigV4 signer writes them; anything else cannot
/// match (and accepting upper case would let a request be altered and still verify).
fn decode_signature(signature: &str) -> Option<[u8; 32]> {
    let lower_hex = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    if signature.len() != 64 || !signature.as_bytes().iter().all(lower_hex) {
        return None;
    }
    let nibble = |c: u8| {
        if c.is_ascii_digit() {
            c - b'0'
        } else {
            c - b'a' + 10
        }
    };
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(signature.as_bytes().chunks_exact(2)) {
        if let [hi, lo] = *pair {
            *byte = (nibble(hi) << 4) | nibble(lo);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_sha256_is_the_hash_of_nothing() {
        let h: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(h, EMPTY_SHA256);
    }

    /// A presigned URL signed as S3's signers sign it: `UNSIGNED-PAYLOAD`, no header.
    fn s3_presigned(secret: &SecretAccessKey, now: OffsetDateTime) -> String {
        use crate::signing_key::SigningKey;
        let headers = [("host", "files.example")];
        let req = HttpRequest {
            method: "PUT",
            path: "/files/a.mp3",
            query: "",
            headers: &headers,
            body: b"",
        };
        let params = crate::SigningParams {
            access_key_id: "AKIAEXAMPLE",
            secret,
            region: "us-east-1",
            service: "myapp",
            timestamp: now,
            session_token: None,
        };
        let signed = crate::presign(&req, &params, 300).unwrap();
        let unsigned_query = signed.split("&X-Amz-Signature=").next().unwrap();
        let view = HttpRequest {
            query: unsigned_query,
            ..req
        };
        let mut hasher = Sha256::new();
        canonical_request::write(&mut hasher, &view, "host", UNSIGNED_PAYLOAD, true).unwrap();
        let canonical: [u8; 32] = hasher.finalize().into();
        let date = format_iso_basic(now);
        let key = SigningKey::derive(secret, &date[..8], "us-east-1", "myapp");
        let mut mac = key.mac();
        let scope = ScopeParts::Parts {
            date: &date[..8],
            region: "us-east-1",
            service: "myapp",
        };
        string_to_sign::write(&mut mac, &date, scope, &canonical);
        let signature = hex::encode(mac.finalize().into_bytes());
        format!("{unsigned_query}&X-Amz-Signature={signature}")
    }

    #[test]
    fn s3_style_presigned_urls_leave_the_payload_unsigned_only_when_forwarded() {
        let secret = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let now = time::macros::datetime!(2026-11-23 08:15:30 UTC);
        let cache = SigningKeyCache::default();
        let query = s3_presigned(&secret, now);
        let headers = [("host", "files.example")];
        let req = |body: &'static [u8]| HttpRequest {
            method: "PUT",
            path: "/files/a.mp3",
            query: &query,
            headers: &headers,
            body,
        };
        let parsed_req = req(b"");
        let parsed = crate::parse(&parsed_req).unwrap().unwrap();
        let hash = |b: &[u8]| -> [u8; 32] { Sha256::digest(b).into() };
        // oxiam's own API: only without a body.
        assert_eq!(verify(&req(b""), &parsed, &secret, now, &cache), Ok(()));
        assert_eq!(
            verify(&req(b"Action=CreateUser"), &parsed, &secret, now, &cache),
            Err(Error::SignatureDoesNotMatch)
        );
        // A forwarded request (a presigned upload): any body, as S3.
        for body in [&b""[..], b"uploaded"] {
            assert_eq!(
                verify_forwarded(&req(b""), &parsed, &secret, now, &cache, &hash(body)),
                Ok(())
            );
        }
        // The rest of the request is still signed.
        let moved = HttpRequest {
            path: "/files/b.mp3",
            ..req(b"")
        };
        assert_eq!(
            verify_forwarded(&moved, &parsed, &secret, now, &cache, &EMPTY_SHA256),
            Err(Error::SignatureDoesNotMatch)
        );
    }

    #[test]
    fn signature_decoding() {
        let hex = "00ff7f80a5".repeat(7);
        let sig = &hex[..64];
        let decoded = decode_signature(sig).unwrap();
        assert_eq!(hex::encode(decoded), sig);
        assert_eq!(decode_signature(&sig.to_uppercase()), None);
        assert_eq!(decode_signature(&sig[..63]), None);
        assert_eq!(decode_signature(&format!("{}g", &sig[..63])), None);
    }
}
