//! Reading what a request claims: from the `Authorization` header, or from the `X-Amz-*`
//! query parameters of a presigned URL.
//!
//! The checks run in the order AWS's request-authentication layer runs them, so a request with
//! several faults gets the same first complaint from us as from AWS.

use std::borrow::Cow;
use std::fmt;

use time::OffsetDateTime;

use crate::error::{MissingHeaderParts, MissingQueryParameters, ScopeMismatch};
use crate::{Error, HttpRequest, timestamp};

/// The only algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The only credential-scope terminator accepted.
pub const TERMINATOR: &str = "aws4_request";
/// The longest validity a presigned request may ask for (seven days).
pub const MAX_EXPIRES_SECONDS: u32 = 604_800;
/// The validity of a presigned request that names no `X-Amz-Expires` (STS's own window).
pub const DEFAULT_EXPIRES_SECONDS: u32 = 900;

/// How the signature travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureKind {
    /// In the `Authorization` header.
    Header,
    /// In the query string (a presigned URL).
    Presigned {
        /// `X-Amz-Expires`: seconds after `X-Amz-Date` the URL stays valid.
        expires_seconds: u32,
    },
}

/// Where the request's timestamp came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateSource {
    /// The `X-Amz-Date` header.
    AmzDateHeader,
    /// The HTTP `Date` header (used only when `X-Amz-Date` is absent).
    DateHeader,
    /// The `X-Amz-Date` query parameter of a presigned URL.
    Query,
}

/// What a request claims about its signature, borrowed from the request. The two values a
/// presigned URL must percent-encode (`X-Amz-SignedHeaders`, `X-Amz-Security-Token`) are
/// decoded, hence `Cow`.
#[derive(Clone)]
pub struct Parsed<'a> {
    /// The access key id from the credential scope.
    pub access_key_id: &'a str,
    /// The region from the credential scope.
    pub region: &'a str,
    /// The service from the credential scope.
    pub service: &'a str,
    /// The date (`yyyymmdd`) from the credential scope; equal to the timestamp's date.
    pub date: &'a str,
    /// When the request says it was signed.
    pub timestamp: OffsetDateTime,
    /// `SignedHeaders`, e.g. `host;x-amz-date`.
    pub signed_headers: Cow<'a, str>,
    /// The signature as presented (hex). Never log it.
    pub signature: &'a str,
    /// `X-Amz-Security-Token`, from the header or the query.
    pub session_token: Option<Cow<'a, str>>,
    /// Header or presigned.
    pub kind: SignatureKind,
    /// Where [`Parsed::timestamp`] came from.
    pub date_source: DateSource,
    /// The timestamp exactly as it enters the string to sign (`YYYYMMDD'T'HHMMSS'Z'`).
    pub(crate) amz_date: Cow<'a, str>,
}

impl Parsed<'_> {
    /// Checks the credential scope's region and service against what this endpoint serves,
    /// with AWS's messages. An empty `valid_regions` accepts any region.
    ///
    /// # Errors
    /// [`Error::CredentialScope`] naming every part that does not fit.
    pub fn check_scope(&self, valid_regions: &[&str], service: &str) -> Result<(), Error> {
        let mut mismatch = ScopeMismatch::default();
        if !valid_regions.is_empty() && !valid_regions.contains(&self.region) {
            mismatch.region = Some(self.region.to_string());
        }
        if self.service != service {
            mismatch.service = Some(service.to_owned());
        }
        if mismatch.any() {
            Err(Error::CredentialScope(Box::new(mismatch)))
        } else {
            Ok(())
        }
    }

    /// The timestamp as signed, `YYYYMMDD'T'HHMMSS'Z'`.
    #[must_use]
    pub fn amz_date(&self) -> &str {
        &self.amz_date
    }
}

impl fmt::Debug for Parsed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parsed")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("date", &self.date)
            .field("timestamp", &self.timestamp)
            .field("signed_headers", &self.signed_headers)
            .field("signature", &"**redacted**")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "**redacted**"),
            )
            .field("kind", &self.kind)
            .field("date_source", &self.date_source)
            .finish()
    }
}

/// Reads the signature a request claims.
///
/// `Ok(None)` when the request carries no signature at all (anonymous calls such as
/// `AssumeRoleWithWebIdentity` need that); `Err` for a malformed or incomplete one. Nothing is
/// verified here: pass the result to [`crate::verify()`].
///
/// # Errors
/// Any of the `IncompleteSignature` family, [`Error::MissingAuthenticationToken`] for a
/// non-SigV4 `Authorization` header, and the scope checks that need no secret.
pub fn parse<'a>(req: &HttpRequest<'a>) -> Result<Option<Parsed<'a>>, Error> {
    match req.header("authorization") {
        // With a header, other `X-Amz-*` parameters are just query, but an algorithm is a
        // second, conflicting signature.
        Some(_) if req.query_param("X-Amz-Algorithm").is_some() => {
            Err(Error::HeaderAndQueryAuthentication)
        }
        Some(header) => parse_header(req, header).map(Some),
        None if ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"]
            .iter()
            .any(|name| req.query_param(name).is_some()) =>
        {
            parse_query(req).map(Some)
        }
        None => Ok(None),
    }
}

fn parse_header<'a>(req: &HttpRequest<'a>, header: &'a str) -> Result<Parsed<'a>, Error> {
    let header = header.trim();
    if !header.starts_with("AWS4-") {
        return Err(Error::MissingAuthenticationToken);
    }
    let (algorithm, rest) = header
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((header, ""));

    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for pair in components(rest) {
        let Some((key, value)) = pair.split_once('=') else {
            // `Signature= 0a1b…` leaves the signature itself as the bare component.
            return Err(Error::NotKeyValuePair {
                pair: redact_hex_runs(pair),
                header: redact_signature(header),
            });
        };
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        slot.get_or_insert(value);
    }

    let amz_date = req.header("x-amz-date");
    let http_date = req.header("date");
    let mut missing = MissingHeaderParts {
        credential: credential.is_none_or(str::is_empty),
        signature: signature.is_none_or(str::is_empty),
        // An empty `SignedHeaders=` passes here and fails the `host` check below, as on AWS.
        signed_headers: signed_headers.is_none(),
        date: amz_date.is_none() && http_date.is_none(),
        header: String::new(),
    };
    let (Some(credential), Some(signed_headers), Some(signature), false) =
        (credential, signed_headers, signature, missing.any())
    else {
        missing.header = redact_signature(header);
        return Err(Error::IncompleteAuthorizationHeader(missing));
    };

    let (timestamp, amz_date, date_source) = match (amz_date, http_date) {
        (Some(raw), _) => {
            let t = timestamp::parse_iso_basic(raw.trim())
                .ok_or_else(|| Error::MalformedDate(raw.to_owned()))?;
            (t, Cow::Borrowed(raw.trim()), DateSource::AmzDateHeader)
        }
        (None, Some(raw)) => {
            let t = timestamp::parse_rfc1123(raw.trim())
                .ok_or_else(|| Error::MalformedDate(raw.to_owned()))?;
            (
                t,
                Cow::Owned(timestamp::format_iso_basic(t)),
                DateSource::DateHeader,
            )
        }
        (None, None) => {
            missing.header = redact_signature(header);
            return Err(Error::IncompleteAuthorizationHeader(missing));
        }
    };

    check_signed_headers(signed_headers, date_source)?;
    check_algorithm(algorithm)?;
    let [access_key_id, date, region, service, terminator] = split_credential(credential, false)
        .ok_or_else(|| Error::MalformedCredential(credential.to_owned()))?;
    check_terminator_and_date(terminator, date, &amz_date)?;

    Ok(Parsed {
        access_key_id,
        region,
        service,
        date,
        timestamp,
        signed_headers: Cow::Borrowed(signed_headers),
        signature,
        session_token: req
            .header("x-amz-security-token")
            .map(Cow::Borrowed)
            .or_else(|| req.query_param("X-Amz-Security-Token").map(decode)),
        kind: SignatureKind::Header,
        date_source,
        amz_date,
    })
}

/// The `key=value` components of an `Authorization` header after the algorithm, split on
/// commas and ASCII whitespace, empty pieces dropped.
fn components(rest: &str) -> impl Iterator<Item = &str> {
    rest.split(',').flat_map(str::split_ascii_whitespace)
}

fn parse_query<'a>(req: &HttpRequest<'a>) -> Result<Parsed<'a>, Error> {
    let param = |name| req.query_param(name).filter(|v| !v.is_empty());
    let algorithm = param("X-Amz-Algorithm");
    let credential = param("X-Amz-Credential");
    let signature = param("X-Amz-Signature");
    let signed_headers = param("X-Amz-SignedHeaders");
    let amz_date = param("X-Amz-Date");
    let missing = MissingQueryParameters {
        algorithm: algorithm.is_none(),
        credential: credential.is_none(),
        signature: signature.is_none(),
        signed_headers: signed_headers.is_none(),
        date: amz_date.is_none(),
    };
    let (Some(algorithm), Some(credential), Some(signature), Some(signed_headers), Some(raw_date)) =
        (algorithm, credential, signature, signed_headers, amz_date)
    else {
        return Err(Error::IncompleteQueryParameters(missing));
    };

    let amz_date = decode(raw_date);
    let timestamp = timestamp::parse_iso_basic(&amz_date)
        .ok_or_else(|| Error::MalformedDate(amz_date.to_string()))?;
    let signed_headers = decode(signed_headers);
    check_signed_headers(&signed_headers, DateSource::Query)?;
    check_algorithm(&decode(algorithm))?;
    let [access_key_id, date, region, service, terminator] = split_credential(credential, true)
        .ok_or_else(|| Error::MalformedCredential(decode(credential).into_owned()))?;
    check_terminator_and_date(terminator, date, &amz_date)?;

    let expires_seconds = match req.query_param("X-Amz-Expires") {
        None => DEFAULT_EXPIRES_SECONDS,
        Some(raw) => {
            let seconds: u64 = decode(raw).parse().map_err(|_| Error::MalformedExpires)?;
            u32::try_from(seconds)
                .ok()
                .filter(|&s| s <= MAX_EXPIRES_SECONDS)
                .ok_or(Error::ExpiresTooLarge)?
        }
    };

    Ok(Parsed {
        access_key_id,
        region,
        service,
        date,
        timestamp,
        signed_headers,
        signature,
        session_token: req
            .query_param("X-Amz-Security-Token")
            .map(decode)
            .or_else(|| req.header("x-amz-security-token").map(Cow::Borrowed)),
        kind: SignatureKind::Presigned { expires_seconds },
        date_source: DateSource::Query,
        amz_date,
    })
}

/// `host` must be signed; so must `x-amz-date` when the timestamp came from that header.
fn check_signed_headers(signed_headers: &str, source: DateSource) -> Result<(), Error> {
    let signed = |name: &str| {
        signed_headers
            .split(';')
            .any(|h| h.eq_ignore_ascii_case(name))
    };
    if !signed("host") {
        return Err(Error::HostNotSigned);
    }
    if source == DateSource::AmzDateHeader && !signed("x-amz-date") {
        return Err(Error::AmzDateNotSigned);
    }
    Ok(())
}

fn check_algorithm(algorithm: &str) -> Result<(), Error> {
    if algorithm == ALGORITHM {
        Ok(())
    } else {
        Err(Error::UnsupportedAlgorithm(algorithm.to_owned()))
    }
}

/// `keyid/date/region/service/terminator`; trailing slashes are ignored, as AWS does.
///
/// In a query (`encoded`), the separators arrive as `%2F` and are split on without decoding,
/// so the parts borrow from the request; a part that would still need decoding is malformed
/// (no key id, date, region, service or terminator contains an escaped character).
fn split_credential(credential: &str, encoded: bool) -> Option<[&str; 5]> {
    let separator_at = |s: &str| -> Option<(usize, usize)> {
        let slash = s.find('/').map(|i| (i, 1));
        if !encoded {
            return slash;
        }
        let escaped = s
            .as_bytes()
            .windows(3)
            .position(|w| w.eq_ignore_ascii_case(b"%2F"))
            .map(|i| (i, 3));
        match (slash, escaped) {
            (Some(a), Some(b)) => Some(if a.0 < b.0 { a } else { b }),
            (a, b) => a.or(b),
        }
    };
    let mut rest = credential;
    loop {
        let trimmed = rest.strip_suffix('/').or_else(|| {
            let cut = rest.len().checked_sub(3)?;
            let tail = rest.get(cut..)?;
            (encoded && tail.eq_ignore_ascii_case("%2F"))
                .then(|| rest.get(..cut))
                .flatten()
        });
        match trimmed {
            Some(shorter) => rest = shorter,
            None => break,
        }
    }
    let mut parts = [""; 5];
    for (i, slot) in parts.iter_mut().enumerate() {
        if i == 4 {
            *slot = rest;
            break;
        }
        let (at, len) = separator_at(rest)?;
        *slot = rest.get(..at)?;
        rest = rest.get(at + len..)?;
    }
    let clean = |p: &&str| !encoded || !p.contains('%');
    (separator_at(rest).is_none() && parts.iter().all(clean)).then_some(parts)
}

fn check_terminator_and_date(terminator: &str, date: &str, amz_date: &str) -> Result<(), Error> {
    let request_date = amz_date.get(..8).unwrap_or(amz_date);
    let mismatch = ScopeMismatch {
        terminator: (terminator != TERMINATOR).then(|| terminator.to_owned()),
        date: (date != request_date).then(|| {
            (
                date.to_owned(),
                request_date.to_owned(),
                amz_date.to_owned(),
            )
        }),
        ..ScopeMismatch::default()
    };
    if mismatch.any() {
        Err(Error::CredentialScope(Box::new(mismatch)))
    } else {
        Ok(())
    }
}

/// Decodes a query value as form data (`+` is a space), as the canonical query does.
fn decode(raw: &str) -> Cow<'_, str> {
    match crate::canonical_request::decode_query_component(raw) {
        Cow::Borrowed(bytes) => String::from_utf8_lossy(bytes),
        Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// The header for an error message, with the value after `Signature=` replaced: AWS echoes
/// the header, but a signature must never reach a message or a log.
fn redact_signature(header: &str) -> String {
    const KEY: &str = "Signature=";
    let mut out = String::with_capacity(header.len());
    let mut rest = header;
    while let Some(at) = rest.find(KEY) {
        let (head, tail) = rest.split_at(at + KEY.len());
        out.push_str(head);
        // Skip blanks after `=` too: `Signature= 0a1b…` still presents a signature.
        let value = tail.trim_start_matches(|c: char| c.is_ascii_whitespace());
        out.push_str(tail.get(..tail.len() - value.len()).unwrap_or_default());
        let end = value
            .find(|c: char| c == ',' || c.is_ascii_whitespace())
            .unwrap_or(value.len());
        out.push_str(REDACTED);
        rest = value.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    redact_hex_runs(&out)
}

/// Replaces every run of 16 or more hex digits: a signature that lost its `Signature=` (e.g.
/// `Signature 0a1b…`) must not reach a message either. Nothing else in the header (key id,
/// 8-digit date, region, service, header names) is that long a hex run.
fn redact_hex_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(Some('\n')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() >= 16 { REDACTED } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}

/// What stands in for a signature in messages.
const REDACTED: &str = "**redacted**";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(
            redact_signature("AWS4-HMAC-SHA256 Credential=a/b, Signature=abc123, X=y"),
            "AWS4-HMAC-SHA256 Credential=a/b, Signature=**redacted**, X=y"
        );
        assert_eq!(
            redact_signature("AWS4-HMAC-SHA256 Signature=abc123"),
            "AWS4-HMAC-SHA256 Signature=**redacted**"
        );
        assert_eq!(
            redact_signature("AWS4-X Credential=a"),
            "AWS4-X Credential=a"
        );
        assert_eq!(
            redact_signature("AWS4-X Signature= abc, Signature=def"),
            "AWS4-X Signature= **redacted**, Signature=**redacted**"
        );
        assert_eq!(
            redact_signature("AWS4-X Credential=AKID/20150830, Signature 0123456789abcdef0"),
            "AWS4-X Credential=AKID/20150830, Signature **redacted**"
        );
    }

    #[test]
    fn credential_split() {
        let parts = split_credential("AKID/20150830/us-east-1/iam/aws4_request/", false);
        assert_eq!(
            parts,
            Some(["AKID", "20150830", "us-east-1", "iam", "aws4_request"])
        );
        let parts = split_credential("AKID%2F20150830%2fus-east-1/iam%2Faws4_request%2F", true);
        assert_eq!(
            parts,
            Some(["AKID", "20150830", "us-east-1", "iam", "aws4_request"])
        );
        assert_eq!(
            split_credential("AKID%2F20150830%2Fus-east-1%2Fiam%2Faws4_request", false),
            None
        );
        assert_eq!(split_credential("a/b/c/d", false), None);
        assert_eq!(split_credential("a/b/c/d/e/f", false), None);
        assert_eq!(split_credential("a%2Fb%2Fc%2Fd%2Fe%2Ff", true), None);
        assert_eq!(split_credential("a%41%2Fb%2Fc%2Fd%2Fe", true), None);
        assert_eq!(split_credential("", false), None);
    }
}
