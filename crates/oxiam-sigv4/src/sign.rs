//! Task 4 of SigV4, client side: signing with an `Authorization` header or a presigned URL.
//! Used by tests, benchmarks and future clients; the server only verifies.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::parse::ALGORITHM;
use crate::string_to_sign::{ScopeParts, credential_scope};
use crate::timestamp::format_iso_basic;
use crate::{Error, HttpRequest, SecretAccessKey, SigningKey, canonical_request, string_to_sign};

/// Who signs, for which scope, and when.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// Its secret.
    pub secret: &'a SecretAccessKey,
    /// The region of the credential scope (`us-east-1` for IAM).
    pub region: &'a str,
    /// The service of the credential scope (`iam`, `sts`).
    pub service: &'a str,
    /// The signing time; any offset, written in UTC.
    pub timestamp: OffsetDateTime,
    /// The session token of temporary credentials; it is signed.
    pub session_token: Option<&'a str>,
}

/// Header names `sign` and `presign` set themselves; the request's own are ignored.
fn is_set_by_signer(name: &str) -> bool {
    ["authorization", "x-amz-date", "x-amz-security-token"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// Signs `req` with an `Authorization` header, signing every header it has (which must
/// include `host`). Returns the headers to add: `Authorization`, `X-Amz-Date`, and
/// `X-Amz-Security-Token` when a session token is given. Any of these already in `req` are
/// replaced, not signed.
///
/// # Errors
/// [`Error::HostNotSigned`] when `req` has no `host` header.
pub fn sign(
    req: &HttpRequest<'_>,
    params: &SigningParams<'_>,
) -> Result<Vec<(&'static str, String)>, Error> {
    let amz_date = format_iso_basic(params.timestamp);
    let mut headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .copied()
        .filter(|(n, _)| !is_set_by_signer(n))
        .collect();
    headers.push(("x-amz-date", &amz_date));
    if let Some(token) = params.session_token {
        headers.push(("x-amz-security-token", token));
    }
    let signed_headers = signed_header_list(&headers)?;
    let view = HttpRequest {
        headers: &headers,
        ..*req
    };
    let signature = signature_hex(&view, &signed_headers, false, &amz_date, params)?;

    let scope = credential_scope(date_of(&amz_date), params.region, params.service);
    let mut out = vec![
        (
            "Authorization",
            format!(
                "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
                params.access_key_id
            ),
        ),
        ("X-Amz-Date", amz_date.clone()),
    ];
    if let Some(token) = params.session_token {
        out.push(("X-Amz-Security-Token", token.to_owned()));
    }
    Ok(out)
}

/// Presigns `req`: returns the complete query string (without `?`) to send instead of
/// `req.query` — the original parameters, then the `X-Amz-*` ones, `X-Amz-Signature` last.
/// Every header of `req` is signed (it must include `host`).
///
/// # Errors
/// [`Error::HostNotSigned`] when `req` has no `host` header; [`Error::ExpiresTooLarge`]
/// beyond seven days.
pub fn presign(
    req: &HttpRequest<'_>,
    params: &SigningParams<'_>,
    expires_seconds: u32,
) -> Result<String, Error> {
    if expires_seconds > crate::parse::MAX_EXPIRES_SECONDS {
        return Err(Error::ExpiresTooLarge);
    }
    let amz_date = format_iso_basic(params.timestamp);
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .copied()
        .filter(|(n, _)| !is_set_by_signer(n))
        .collect();
    let signed_headers = signed_header_list(&headers)?;
    let scope = credential_scope(date_of(&amz_date), params.region, params.service);

    let mut query = String::with_capacity(req.query.len() + 256);
    if !req.query.is_empty() {
        query.push_str(req.query);
        query.push('&');
    }
    let credential = format!("{}/{scope}", params.access_key_id);
    let expires = expires_seconds.to_string();
    let mut auth = vec![
        ("X-Amz-Algorithm", ALGORITHM),
        ("X-Amz-Credential", &credential),
        ("X-Amz-Date", &amz_date),
        ("X-Amz-Expires", &expires),
        ("X-Amz-SignedHeaders", &signed_headers),
    ];
    if let Some(token) = params.session_token {
        auth.push(("X-Amz-Security-Token", token));
    }
    for (i, (name, value)) in auth.iter().enumerate() {
        if i > 0 {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&canonical_request::percent_encode(value));
    }

    let view = HttpRequest {
        query: &query,
        headers: &headers,
        ..*req
    };
    let signature = signature_hex(&view, &signed_headers, true, &amz_date, params)?;
    query.push_str("&X-Amz-Signature=");
    query.push_str(&signature);
    Ok(query)
}

/// Lower-case header names, sorted and de-duplicated, joined by `;`; `host` required.
fn signed_header_list(headers: &[(&str, &str)]) -> Result<String, Error> {
    let mut names: Vec<String> = headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect();
    names.sort_unstable();
    names.dedup();
    if !names.iter().any(|n| n == "host") {
        return Err(Error::HostNotSigned);
    }
    Ok(names.join(";"))
}

fn date_of(amz_date: &str) -> &str {
    amz_date.get(..8).unwrap_or(amz_date)
}

fn signature_hex(
    req: &HttpRequest<'_>,
    signed_headers: &str,
    presigned: bool,
    amz_date: &str,
    params: &SigningParams<'_>,
) -> Result<String, Error> {
    let payload = match req.header("x-amz-content-sha256") {
        Some(declared) => declared.to_owned(),
        None => hex::encode(Sha256::digest(req.body)),
    };
    let mut hasher = Sha256::new();
    canonical_request::write(&mut hasher, req, signed_headers, &payload, presigned)?;
    let canonical_sha256: [u8; 32] = hasher.finalize().into();

    let date = date_of(amz_date);
    let key = SigningKey::derive(params.secret, date, params.region, params.service);
    let mut mac = key.mac();
    let scope = ScopeParts::Parts {
        date,
        region: params.region,
        service: params.service,
    };
    string_to_sign::write(&mut mac, amz_date, scope, &canonical_sha256);
    Ok(hex::encode(hmac::Mac::finalize(mac).into_bytes()))
}
