//! Server certificates (TLS certificates for load balancers and CloudFront):
//! UploadServerCertificate, GetServerCertificate, ListServerCertificates,
//! UpdateServerCertificate, DeleteServerCertificate, TagServerCertificate,
//! UntagServerCertificate, ListServerCertificateTags.
//!
//! An upload is checked as AWS checks it: the body is one X.509 certificate valid now with
//! an RSA (2048–4096 bits) or ECDSA P-256/P-384 key; each certificate of the chain parses
//! and the chain certifies the body (body signed by `chain[0]`, `chain[0]` by `chain[1]`, …;
//! signatures verified); the private key (PKCS #1, PKCS #8 or SEC 1 PEM, unencrypted) is
//! the certificate's. The private key is sealed under the key-encryption key at rest, bound
//! to the certificate's ID, and no operation returns it.

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;
use oxiam_store::Record;
use oxiam_store::crypto::Kek;
use serde::{Deserialize, Serialize};

use super::{Ctx, paginate, remove_tags, tag_page, wire_tags};
use crate::auth::target::Target;
use crate::model::error::{ServerError, already_exists, api, no_such_entity};
use crate::model::ids::{self, IdPrefix};
use crate::model::x509::{self, CertError, Certificate, KeyMatch};
use crate::model::{Epoch, ServerCertificate, ServicePassword, Tag, now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::{Entity, State, Tx, json_decode, json_encode, open_text_field, seal_field};

/// RSA key sizes AWS takes for server certificates. The lower bound is also `ring`'s: it
/// parses no RSA private key under 2048 bits.
const RSA_BITS: (usize, usize, &str) = (2048, 4096, "2048 to 4096 bits");

/// The stored form: the private key sealed.
#[derive(Serialize, Deserialize)]
struct Stored {
    account: String,
    id: String,
    name: String,
    path: String,
    body: String,
    chain: Option<String>,
    sealed_private_key: String,
    expiration: Epoch,
    uploaded: Epoch,
    #[serde(default)]
    tags: Vec<Tag>,
}

/// Binds a sealed key to its certificate: a sealed key moved to another record does not open.
fn aad(id: &str) -> Vec<u8> {
    format!("server_certificate/{id}").into_bytes()
}

impl Entity for ServerCertificate {
    const TABLE: &'static str = "server_certificate";
    fn key(&self) -> String {
        State::name_key(&self.account, &self.name)
    }
    fn account(&self) -> Option<&str> {
        Some(&self.account)
    }
    fn encode(&self, kek: &Kek) -> Result<Vec<u8>, ServerError> {
        let sealed_private_key =
            seal_field(kek, self.private_key.expose().as_bytes(), &aad(&self.id));
        json_encode(&Stored {
            account: self.account.clone(),
            id: self.id.clone(),
            name: self.name.clone(),
            path: self.path.clone(),
            body: self.body.clone(),
            chain: self.chain.clone(),
            sealed_private_key,
            expiration: self.expiration,
            uploaded: self.uploaded,
            tags: self.tags.clone(),
        })
    }
    fn decode(record: &Record, kek: &Kek) -> Result<Self, ServerError> {
        let s: Stored = json_decode(record)?;
        let what = format!("the private key of {}", s.id);
        let key = open_text_field(kek, &s.sealed_private_key, &aad(&s.id), &what)?;
        Ok(ServerCertificate {
            account: s.account,
            id: s.id,
            name: s.name,
            path: s.path,
            body: s.body,
            chain: s.chain,
            private_key: ServicePassword::new(key),
            expiration: s.expiration,
            uploaded: s.uploaded,
            tags: s.tags,
        })
    }
}

fn malformed(message: impl Into<String>) -> ServerError {
    api(ErrorCode::MalformedCertificate, message)
}

fn body_error(e: &CertError) -> ServerError {
    match e {
        CertError::Malformed => malformed(
            "Unable to parse certificate. Please ensure the certificate is in PEM format.",
        ),
        other => malformed(format!("Invalid certificate: {other}.")),
    }
}

fn not_found(name: &str) -> ServerError {
    no_such_entity(format!(
        "The Server Certificate with name {name} cannot be found."
    ))
}

fn exists(name: &str) -> ServerError {
    already_exists(format!(
        "The Server Certificate with name {name} already exists."
    ))
}

fn metadata(c: &ServerCertificate) -> iam::ServerCertificateMetadata {
    iam::ServerCertificateMetadata {
        path: c.path.clone(),
        server_certificate_name: c.name.clone(),
        server_certificate_id: c.id.clone(),
        arn: c.arn(),
        upload_date: Some(to_datetime(c.uploaded)),
        expiration: Some(to_datetime(c.expiration)),
    }
}

fn find<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    name: &str,
) -> Result<&'s ServerCertificate, ServerError> {
    state
        .server_certificates
        .get(&State::name_key(&ctx.caller.account, name))
        .map(|c| &**c)
        .ok_or_else(|| not_found(name))
}

/// Checks body, chain and key as the module's doc says; returns the body's `notAfter`.
fn validate(
    body: &str,
    chain: Option<&str>,
    private_key: &str,
    now: Epoch,
) -> Result<Epoch, ServerError> {
    let cert = Certificate::one_from_pem(body).map_err(|e| body_error(&e))?;
    cert.check_validity(now)
        .and_then(|()| cert.check_rsa_size(RSA_BITS.0, RSA_BITS.1, RSA_BITS.2))
        .map_err(|e| body_error(&e))?;
    if matches!(cert.key, x509::PublicKey::Ed25519(_)) {
        return Err(body_error(&CertError::UnsupportedKey));
    }
    if let Some(chain) = chain {
        let chain = Certificate::from_pem(chain).map_err(|_| {
            malformed("Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.")
        })?;
        x509::check_chain(&cert, &chain).map_err(|e| match e {
            CertError::BrokenChain(i) => malformed(format!(
                "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: {i}"
            )),
            other => body_error(&other),
        })?;
    }
    match x509::match_private_key(private_key, &cert.key) {
        Ok(KeyMatch::Matches) => Ok(cert.not_after),
        Ok(KeyMatch::Mismatch) => Err(api(
            ErrorCode::KeyPairMismatch,
            "Unable to validate certificate and private key pair: the private key does not match the certificate's public key.",
        )),
        Err(_) => Err(malformed(
            "Unable to parse private key. Please ensure the private key is unencrypted and in PEM format.",
        )),
    }
}

pub fn upload_server_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UploadServerCertificateRequest,
) -> Result<iam::UploadServerCertificateResponse, ServerError> {
    let state = tx.state();
    let account = ctx.caller.account.clone();
    if state
        .server_certificates
        .contains_key(&State::name_key(&account, &r.server_certificate_name))
    {
        return Err(exists(&r.server_certificate_name));
    }
    super::check_account_quota::<ServerCertificate>(
        state,
        &account,
        ctx.quotas.server_certificates_per_account,
        "ServerCertificatesPerAccount",
    )?;
    let tags = ctx.new_tags(r.tags.as_deref())?;
    let now = now_epoch();
    let expiration = validate(
        &r.certificate_body,
        r.certificate_chain.as_deref(),
        &r.private_key,
        now,
    )?;
    let record = ServerCertificate {
        account,
        id: ids::unique_id(IdPrefix::ServerCertificate),
        name: r.server_certificate_name.clone(),
        path: r.path.clone().unwrap_or_else(|| "/".to_owned()),
        body: r.certificate_body.clone(),
        chain: r.certificate_chain.clone(),
        private_key: ServicePassword::new(r.private_key.clone()),
        expiration,
        uploaded: now,
        tags,
    };
    let out = iam::UploadServerCertificateResponse {
        server_certificate_metadata: Some(metadata(&record)),
        tags: (!record.tags.is_empty()).then(|| wire_tags(&record.tags)),
    };
    tx.put(record)?;
    Ok(out)
}

pub fn get_server_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetServerCertificateRequest,
) -> Result<iam::GetServerCertificateResponse, ServerError> {
    let c = find(tx.state(), ctx, &r.server_certificate_name)?;
    Ok(iam::GetServerCertificateResponse {
        server_certificate: iam::ServerCertificate {
            server_certificate_metadata: metadata(c),
            certificate_body: c.body.clone(),
            certificate_chain: c.chain.clone(),
            tags: (!c.tags.is_empty()).then(|| wire_tags(&c.tags)),
        },
    })
}

pub fn list_server_certificates(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListServerCertificatesRequest,
) -> Result<iam::ListServerCertificatesResponse, ServerError> {
    let state = tx.state();
    let prefix = r.path_prefix.as_deref().unwrap_or("/");
    let page = paginate(
        State::of_account(&state.server_certificates, &ctx.caller.account)
            .filter(|c| c.path.starts_with(prefix))
            .map(|c| (c.name.to_lowercase(), metadata(c))),
        r.marker.as_deref(),
        r.max_items,
    )?;
    Ok(iam::ListServerCertificatesResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        server_certificate_metadata_list: page.items,
    })
}

/// On the certificate, and on its new ARN too when the request renames or moves it: AWS
/// needs the permission on the old and on the new name.
pub fn update_server_certificate_target(
    r: &iam::UpdateServerCertificateRequest,
    x: &Resolver<'_>,
) -> Target {
    let old = x.server_certificate(&r.server_certificate_name);
    let t = x.on(&old);
    match x.renamed(
        "server-certificate",
        &old,
        r.new_path.as_ref(),
        r.new_server_certificate_name.as_ref(),
    ) {
        Some(new) => t.needs(new),
        None => t,
    }
}

pub fn update_server_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateServerCertificateRequest,
) -> Result<(), ServerError> {
    let state = tx.state();
    let mut c = ServerCertificate::clone(find(state, ctx, &r.server_certificate_name)?);
    let old_key = State::name_key(&c.account, &c.name);
    if let Some(new_name) = &r.new_server_certificate_name {
        let new_key = State::name_key(&c.account, new_name);
        if new_key != old_key && state.server_certificates.contains_key(&new_key) {
            return Err(exists(new_name));
        }
        c.name.clone_from(new_name);
    }
    if let Some(path) = &r.new_path {
        c.path.clone_from(path);
    }
    if c.key() != old_key {
        tx.delete::<ServerCertificate>(&old_key);
    }
    tx.put(c)
}

pub fn delete_server_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteServerCertificateRequest,
) -> Result<(), ServerError> {
    let key = find(tx.state(), ctx, &r.server_certificate_name)?.key();
    tx.delete::<ServerCertificate>(&key);
    Ok(())
}

pub fn tag_server_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::TagServerCertificateRequest,
) -> Result<(), ServerError> {
    let mut c = ServerCertificate::clone(find(tx.state(), ctx, &r.server_certificate_name)?);
    c.tags = ctx.merge_tags(&c.tags, &r.tags)?;
    tx.put(c)
}

pub fn untag_server_certificate(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UntagServerCertificateRequest,
) -> Result<(), ServerError> {
    let mut c = ServerCertificate::clone(find(tx.state(), ctx, &r.server_certificate_name)?);
    c.tags = remove_tags(&c.tags, &r.tag_keys);
    tx.put(c)
}

pub fn list_server_certificate_tags(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListServerCertificateTagsRequest,
) -> Result<iam::ListServerCertificateTagsResponse, ServerError> {
    let c = find(tx.state(), ctx, &r.server_certificate_name)?;
    let page = tag_page(&c.tags, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListServerCertificateTagsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        tags: page.items,
    })
}
