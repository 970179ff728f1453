//! X.509 signing certificates of IAM users and of the account root:
//! UploadSigningCertificate, ListSigningCertificates, UpdateSigningCertificate,
//! DeleteSigningCertificate.
//!
//! The body must be exactly one PEM certificate that parses as X.509 (see [`crate::model::x509`]),
//! is valid now (`notBefore` ≤ now ≤ `notAfter`) and has an RSA (1024–4096 bits), ECDSA
//! P-256/P-384 or Ed25519 key. The same certificate may belong to one owner in the account
//! only (`DuplicateCertificate`); an owner has at most `signing_certificates_per_user`
//! (AWS: 2). The body is returned as uploaded.

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;
use sha2::{Digest as _, Sha256};

use super::{Ctx, paginate, target_user};
use crate::model::error::{ServerError, api, limit_exceeded, no_such_entity};
use crate::model::ids;
use crate::model::x509::{CertError, Certificate};
use crate::model::{SigningCertificate, now_epoch, to_datetime};
use crate::state::{State, Tx};

/// RSA sizes AWS takes for signing certificates.
const RSA_BITS: (usize, usize, &str) = (1024, 4096, "1024 to 4096 bits");

/// The error AWS answers for a certificate that cannot be used.
pub fn cert_error(e: &CertError) -> ServerError {
    match e {
        CertError::UnsupportedKey | CertError::RsaKeySize(..) => api(
            ErrorCode::InvalidCertificate,
            format!("Invalid certificate: {e}."),
        ),
        CertError::MalformedKey => api(
            ErrorCode::MalformedCertificate,
            "Unable to parse private key. Please ensure the private key is unencrypted and in PEM format.",
        ),
        _ => api(ErrorCode::MalformedCertificate, capitalized(&e.to_string())),
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str()),
        None => String::new(),
    }
}

/// The certificates of one owner (a user's ID, `None` for the root), in ID order.
pub fn of_owner<'s>(
    state: &'s State,
    account: &str,
    user_id: Option<&str>,
) -> impl Iterator<Item = &'s SigningCertificate> + 's {
    let prefix = SigningCertificate::owner_prefix(account, user_id);
    State::with_prefix(&state.signing_certificates, prefix).map(|c| &**c)
}

fn status(active: bool) -> String {
    if active { "Active" } else { "Inactive" }.to_owned()
}

fn wire(user_name: &str, c: &SigningCertificate) -> iam::SigningCertificate {
    iam::SigningCertificate {
        user_name: user_name.to_owned(),
        certificate_id: c.id.clone(),
        certificate_body: c.body.clone(),
        status: status(c.active),
        upload_date: Some(to_datetime(c.uploaded)),
    }
}

/// The owner a request is about: `(user ID or None for the root, the name AWS shows)`.
/// The root's certificates show the account ID as their user name, as AWS does.
fn owner(
    state: &State,
    ctx: &Ctx<'_>,
    name: Option<&str>,
) -> Result<(Option<String>, String), ServerError> {
    Ok(match target_user(state, ctx.caller, name)? {
        Some(u) => (Some(u.id.clone()), u.name.clone()),
        None => (None, ctx.caller.account.clone()),
    })
}

fn not_found(id: &str) -> ServerError {
    no_such_entity(format!("The Certificate with id {id} cannot be found."))
}

pub fn upload_signing_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UploadSigningCertificateRequest,
) -> Result<iam::UploadSigningCertificateResponse, ServerError> {
    let state = tx.state();
    let account = ctx.caller.account.clone();
    let (user_id, user_name) = owner(state, ctx, r.user_name.as_deref())?;
    let cert = Certificate::one_from_pem(&r.certificate_body).map_err(|e| cert_error(&e))?;
    cert.check_validity(now_epoch())
        .and_then(|()| cert.check_rsa_size(RSA_BITS.0, RSA_BITS.1, RSA_BITS.2))
        .map_err(|e| cert_error(&e))?;
    let sha256 = hex::encode(Sha256::digest(&cert.der));
    let duplicate =
        State::of_account(&state.signing_certificates, &account).any(|c| c.sha256 == sha256);
    if duplicate {
        return Err(api(
            ErrorCode::DuplicateCertificate,
            "The request was rejected because the same certificate is associated with an IAM user in the account.",
        ));
    }
    let max = ctx.quotas.signing_certificates_per_user;
    if of_owner(state, &account, user_id.as_deref()).count() >= max {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for CertificatesPerUser: {max}"
        )));
    }
    let record = SigningCertificate {
        account,
        user_id,
        id: ids::signing_certificate_id(),
        body: r.certificate_body.clone(),
        sha256,
        active: true,
        uploaded: now_epoch(),
    };
    let out = wire(&user_name, &record);
    tx.put(record)?;
    Ok(iam::UploadSigningCertificateResponse { certificate: out })
}

pub fn list_signing_certificates(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListSigningCertificatesRequest,
) -> Result<iam::ListSigningCertificatesResponse, ServerError> {
    let state = tx.state();
    let (user_id, user_name) = owner(state, ctx, r.user_name.as_deref())?;
    let page = paginate(
        of_owner(state, &ctx.caller.account, user_id.as_deref())
            .map(|c| (c.id.clone(), wire(&user_name, c))),
        r.marker.as_deref(),
        r.max_items,
    )?;
    Ok(iam::ListSigningCertificatesResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        certificates: page.items,
    })
}

fn find(
    ctx: &Ctx<'_>,
    state: &State,
    user_name: Option<&str>,
    id: &str,
) -> Result<SigningCertificate, ServerError> {
    let (user_id, _) = owner(state, ctx, user_name)?;
    let key = SigningCertificate::store_key(&ctx.caller.account, user_id.as_deref(), id);
    state
        .signing_certificates
        .get(&key)
        .map(|c| SigningCertificate::clone(c))
        .ok_or_else(|| not_found(id))
}

pub fn update_signing_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateSigningCertificateRequest,
) -> Result<(), ServerError> {
    let mut c = find(ctx, tx.state(), r.user_name.as_deref(), &r.certificate_id)?;
    c.active = r.status == "Active";
    tx.put(c)
}

pub fn delete_signing_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteSigningCertificateRequest,
) -> Result<(), ServerError> {
    let c = find(ctx, tx.state(), r.user_name.as_deref(), &r.certificate_id)?;
    let key = SigningCertificate::store_key(&c.account, c.user_id.as_deref(), &c.id);
    tx.delete::<SigningCertificate>(&key);
    Ok(())
}
