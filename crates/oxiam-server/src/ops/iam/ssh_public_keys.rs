//! SSH public keys of IAM users: UploadSSHPublicKey, GetSSHPublicKey, ListSSHPublicKeys,
//! UpdateSSHPublicKey, DeleteSSHPublicKey.
//!
//! Keys are `ssh-rsa` (at least 2048 bits) or `ssh-ed25519`, uploaded as an OpenSSH line
//! (`ssh-rsa AAAA… comment`) or as PEM (`PUBLIC KEY`, i.e. X.509 SubjectPublicKeyInfo, or
//! `RSA PUBLIC KEY`, PKCS #1). Both are brought to the SSH wire format (RFC 4253 §6.6,
//! RFC 8709), whose MD5 is the fingerprint AWS shows (`xx:xx:…`); `GetSSHPublicKey` returns
//! the key as an OpenSSH line or as SubjectPublicKeyInfo PEM.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use md5::{Digest as _, Md5};
use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::{Ctx, paginate};
use crate::model::error::{ServerError, api, limit_exceeded, no_such_entity, no_such_user};
use crate::model::ids::{self, IdPrefix};
use crate::model::x509::read as der_read;
use crate::model::{SshPublicKey, User, now_epoch, to_datetime};
use crate::state::{State, Tx};

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// `rsaEncryption` (1.2.840.113549.1.1.1), DER-encoded OID contents.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// `id-Ed25519` (1.3.101.112, RFC 8410).
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
const NULL: u8 = 0x05;

/// A parsed public key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    /// Big-endian modulus and exponent, without leading zeros.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    Ed25519([u8; 32]),
}

fn invalid() -> ServerError {
    api(
        ErrorCode::InvalidPublicKey,
        "The request was rejected because the public key is malformed or otherwise invalid.",
    )
}

fn unrecognized() -> ServerError {
    api(
        ErrorCode::UnrecognizedPublicKeyEncoding,
        "The request was rejected because the public key encoding format is unsupported or unrecognized.",
    )
}

fn strip_zeros(b: &[u8]) -> Vec<u8> {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(start..).unwrap_or_default().to_vec()
}

// ---- SSH wire format: string = uint32 length + bytes; mpint = two's complement string.

fn ssh_string<'a>(b: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u32::from_be_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let s = b.get(4..4 + len)?;
    *b = b.get(4 + len..)?;
    Some(s)
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(s);
}

fn put_mpint(out: &mut Vec<u8>, unsigned: &[u8]) {
    // A positive mpint whose high bit is set gets a leading zero byte.
    let mut v = Vec::with_capacity(unsigned.len() + 1);
    if unsigned.first().is_some_and(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(unsigned);
    put_string(out, &v);
}

impl Key {
    fn from_wire(blob: &[u8]) -> Option<Key> {
        let mut b = blob;
        let key = match ssh_string(&mut b)? {
            b"ssh-rsa" => {
                let e = strip_zeros(ssh_string(&mut b)?);
                let n = strip_zeros(ssh_string(&mut b)?);
                Key::Rsa { n, e }
            }
            b"ssh-ed25519" => Key::Ed25519(ssh_string(&mut b)?.try_into().ok()?),
            _ => return None,
        };
        b.is_empty().then_some(key)
    }

    fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Key::Rsa { n, e } => {
                put_string(&mut out, b"ssh-rsa");
                put_mpint(&mut out, e);
                put_mpint(&mut out, n);
            }
            Key::Ed25519(k) => {
                put_string(&mut out, b"ssh-ed25519");
                put_string(&mut out, k);
            }
        }
        out
    }

    fn algorithm(&self) -> &'static str {
        match self {
            Key::Rsa { .. } => "ssh-rsa",
            Key::Ed25519(_) => "ssh-ed25519",
        }
    }

    /// AWS's rules beyond well-formedness.
    fn check(self) -> Result<Key, ServerError> {
        match &self {
            Key::Rsa { n, e } => {
                let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
                if bits < MIN_RSA_BITS || e.is_empty() || n.last().is_some_and(|b| b & 1 == 0) {
                    return Err(invalid());
                }
            }
            Key::Ed25519(_) => {}
        }
        Ok(self)
    }

    /// SubjectPublicKeyInfo, DER.
    fn to_spki(&self) -> Vec<u8> {
        let (algorithm, key) = match self {
            Key::Rsa { n, e } => {
                let mut ints = der_integer(n);
                ints.extend(der_integer(e));
                let mut alg = tlv(OID, OID_RSA);
                alg.extend(tlv(NULL, &[]));
                (tlv(SEQUENCE, &alg), tlv(SEQUENCE, &ints))
            }
            Key::Ed25519(k) => (tlv(SEQUENCE, &tlv(OID, OID_ED25519)), k.to_vec()),
        };
        let mut bits = vec![0u8];
        bits.extend(key);
        let mut body = algorithm;
        body.extend(tlv(BIT_STRING, &bits));
        tlv(SEQUENCE, &body)
    }
}

// ---- DER, only what public keys need.

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = strip_zeros(&len.to_be_bytes());
        out.push(0x80 | u8::try_from(bytes.len()).unwrap_or(0));
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

fn der_integer(unsigned: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(unsigned.len() + 1);
    if unsigned.is_empty() || unsigned.first().is_some_and(|b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(unsigned);
    tlv(INTEGER, &v)
}

fn pkcs1(der: &[u8]) -> Option<Key> {
    let mut outer = der;
    let mut seq = der_read(&mut outer, SEQUENCE)?;
    let n = strip_zeros(der_read(&mut seq, INTEGER)?);
    let e = strip_zeros(der_read(&mut seq, INTEGER)?);
    (seq.is_empty() && outer.is_empty()).then_some(Key::Rsa { n, e })
}

fn spki(der: &[u8]) -> Option<Key> {
    let mut outer = der;
    let mut seq = der_read(&mut outer, SEQUENCE)?;
    let mut alg = der_read(&mut seq, SEQUENCE)?;
    let oid = der_read(&mut alg, OID)?;
    let bits = der_read(&mut seq, BIT_STRING)?;
    if !seq.is_empty() || !outer.is_empty() {
        return None;
    }
    let (&unused, key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    match oid {
        OID_RSA => pkcs1(key),
        OID_ED25519 => Some(Key::Ed25519(key.try_into().ok()?)),
        _ => None,
    }
}

/// Parses an uploaded body: `(key, OpenSSH line to return for the SSH encoding)`.
fn parse(body: &str) -> Result<(Key, String), ServerError> {
    let text = body.trim();
    if let Some(rest) = text.strip_prefix("-----BEGIN ") {
        let (label, rest) = rest.split_once("-----").ok_or_else(unrecognized)?;
        let end = format!("-----END {label}-----");
        let inner = rest.trim().strip_suffix(end.as_str()).ok_or_else(invalid)?;
        let b64: String = inner.split_whitespace().collect();
        let der = B64.decode(b64).map_err(|_| invalid())?;
        let key = match label {
            "PUBLIC KEY" => spki(&der),
            "RSA PUBLIC KEY" => pkcs1(&der),
            _ => return Err(unrecognized()),
        }
        .ok_or_else(invalid)?
        .check()?;
        let line = format!("{} {}", key.algorithm(), B64.encode(key.to_wire()));
        return Ok((key, line));
    }
    let mut parts = text.split_whitespace();
    let (Some(algorithm), Some(b64)) = (parts.next(), parts.next()) else {
        return Err(unrecognized());
    };
    if !matches!(algorithm, "ssh-rsa" | "ssh-ed25519") {
        return Err(unrecognized());
    }
    let blob = B64.decode(b64).map_err(|_| invalid())?;
    let key = Key::from_wire(&blob).ok_or_else(invalid)?.check()?;
    if key.algorithm() != algorithm {
        return Err(invalid());
    }
    Ok((key, text.to_owned()))
}

/// MD5 of the wire-format key, as colon-separated hex pairs (`ssh-keygen -E md5 -l`).
fn fingerprint(blob: &[u8]) -> String {
    Md5::digest(blob)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn pem(der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

fn user<'s>(state: &'s State, ctx: &Ctx<'_>, name: &str) -> Result<&'s Arc<User>, ServerError> {
    state
        .user(&ctx.caller.account, name)
        .ok_or_else(|| no_such_user(name))
}

/// The keys of one user, in key ID order.
pub fn of_user<'s>(
    state: &'s State,
    user_id: &str,
) -> impl Iterator<Item = &'s Arc<SshPublicKey>> + 's {
    State::with_prefix(&state.ssh_public_keys, format!("{user_id}/"))
}

fn find<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    user_name: &str,
    id: &str,
) -> Result<(&'s Arc<User>, &'s Arc<SshPublicKey>), ServerError> {
    let u = user(state, ctx, user_name)?;
    let key = state
        .ssh_public_keys
        .get(&SshPublicKey::store_key(&u.id, id))
        .ok_or_else(|| no_such_entity(format!("The Public Key with id {id} cannot be found.")))?;
    Ok((u, key))
}

fn status(active: bool) -> String {
    if active { "Active" } else { "Inactive" }.to_owned()
}

fn wire(u: &User, k: &SshPublicKey, pem_encoding: bool) -> Result<iam::SSHPublicKey, ServerError> {
    let blob = B64
        .decode(&k.blob)
        .map_err(|e| ServerError::Internal(format!("corrupt SSH key {}: {e}", k.id)))?;
    let body = if pem_encoding {
        let key = Key::from_wire(&blob)
            .ok_or_else(|| ServerError::Internal(format!("corrupt SSH key {}", k.id)))?;
        pem(&key.to_spki())
    } else {
        k.body.clone()
    };
    Ok(iam::SSHPublicKey {
        user_name: u.name.clone(),
        ssh_public_key_id: k.id.clone(),
        fingerprint: fingerprint(&blob),
        ssh_public_key_body: body,
        status: status(k.active),
        upload_date: Some(to_datetime(k.uploaded)),
    })
}

pub fn upload_ssh_public_key(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UploadSSHPublicKeyRequest,
) -> Result<iam::UploadSSHPublicKeyResponse, ServerError> {
    let state = tx.state();
    let u = Arc::clone(user(state, ctx, &r.user_name)?);
    let (key, line) = parse(&r.ssh_public_key_body)?;
    let blob = B64.encode(key.to_wire());
    if of_user(state, &u.id).any(|k| k.blob == blob) {
        return Err(api(
            ErrorCode::DuplicateSSHPublicKey,
            "The request was rejected because the SSH public key is already associated with the specified IAM user.",
        ));
    }
    if of_user(state, &u.id).count() >= ctx.quotas.ssh_public_keys_per_user {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for PublicKeysPerUser: {}",
            ctx.quotas.ssh_public_keys_per_user
        )));
    }
    let record = SshPublicKey {
        account: u.account.clone(),
        user_id: u.id.clone(),
        id: ids::access_key_id(IdPrefix::SshPublicKey),
        blob,
        body: line,
        active: true,
        uploaded: now_epoch(),
    };
    let out = wire(&u, &record, false)?;
    tx.put(record)?;
    Ok(iam::UploadSSHPublicKeyResponse {
        ssh_public_key: Some(out),
    })
}

pub fn get_ssh_public_key(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetSSHPublicKeyRequest,
) -> Result<iam::GetSSHPublicKeyResponse, ServerError> {
    let (u, k) = find(tx.state(), ctx, &r.user_name, &r.ssh_public_key_id)?;
    let pem_encoding = match r.encoding.as_str() {
        "PEM" => true,
        "SSH" => false,
        _ => return Err(unrecognized()),
    };
    Ok(iam::GetSSHPublicKeyResponse {
        ssh_public_key: Some(wire(u, k, pem_encoding)?),
    })
}

pub fn list_ssh_public_keys(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListSSHPublicKeysRequest,
) -> Result<iam::ListSSHPublicKeysResponse, ServerError> {
    let state = tx.state();
    let Some(u) = super::target_user(state, ctx.caller, r.user_name.as_deref())? else {
        // The root has no SSH keys.
        return Ok(iam::ListSSHPublicKeysResponse {
            ssh_public_keys: Some(Vec::new()),
            is_truncated: Some(false),
            marker: None,
        });
    };
    let page = paginate(
        of_user(state, &u.id).map(|k| {
            (
                k.id.clone(),
                iam::SSHPublicKeyMetadata {
                    user_name: u.name.clone(),
                    ssh_public_key_id: k.id.clone(),
                    status: status(k.active),
                    upload_date: to_datetime(k.uploaded),
                },
            )
        }),
        r.marker.as_deref(),
        r.max_items,
    )?;
    Ok(iam::ListSSHPublicKeysResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        ssh_public_keys: Some(page.items),
    })
}

pub fn update_ssh_public_key(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateSSHPublicKeyRequest,
) -> Result<(), ServerError> {
    let (_, k) = find(tx.state(), ctx, &r.user_name, &r.ssh_public_key_id)?;
    let mut k = SshPublicKey::clone(k);
    k.active = r.status == "Active";
    tx.put(k)
}

pub fn delete_ssh_public_key(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteSSHPublicKeyRequest,
) -> Result<(), ServerError> {
    let (u, k) = find(tx.state(), ctx, &r.user_name, &r.ssh_public_key_id)?;
    let key = SshPublicKey::store_key(&u.id, &k.id);
    tx.delete::<SshPublicKey>(&key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ed25519 key from RFC 8410 §10.1's example, as OpenSSH prints it.
    const ED_SPKI_PEM: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

    fn rsa_key(bits: usize) -> Key {
        let mut n = vec![0xc5u8; bits / 8];
        if let Some(last) = n.last_mut() {
            *last |= 1;
        }
        Key::Rsa {
            n,
            e: vec![1, 0, 1],
        }
    }

    #[test]
    fn ed25519_round_trips_between_pem_and_openssh() {
        let (key, line) = parse(ED_SPKI_PEM).unwrap();
        assert!(line.starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"));
        assert_eq!(pem(&key.to_spki()), ED_SPKI_PEM);
        let (again, _) = parse(&format!("{line} alice@example")).unwrap();
        assert_eq!(again, key);
        // The fingerprint is MD5 of the wire blob, as `ssh-keygen -E md5 -l` shows it.
        let fp = fingerprint(&key.to_wire());
        assert_eq!(fp.len(), 47);
        assert_eq!(fp.matches(':').count(), 15);
    }

    #[test]
    fn rsa_keys_in_every_encoding_agree() {
        let key = rsa_key(2048);
        let line = format!("ssh-rsa {}", B64.encode(key.to_wire()));
        assert_eq!(parse(&line).unwrap().0, key);
        assert_eq!(parse(&pem(&key.to_spki())).unwrap().0, key);
        let Key::Rsa { n, e } = &key else { panic!() };
        let mut ints = der_integer(n);
        ints.extend(der_integer(e));
        let pkcs1_pem = pem(&tlv(SEQUENCE, &ints)).replace("PUBLIC KEY", "RSA PUBLIC KEY");
        assert_eq!(parse(&pkcs1_pem).unwrap().0, key);
    }

    #[test]
    fn bad_keys_get_aws_codes() {
        let code = |body: &str| {
            parse(body)
                .unwrap_err()
                .to_api(oxiam_protocol::Service::Iam)
                .code
        };
        let small = format!("ssh-rsa {}", B64.encode(rsa_key(1024).to_wire()));
        assert_eq!(code(&small), ErrorCode::InvalidPublicKey);
        assert_eq!(code("ssh-rsa AAAA!!"), ErrorCode::InvalidPublicKey);
        assert_eq!(
            code("ssh-rsa AAAAC3NzaC1lZDI1NTE5"),
            ErrorCode::InvalidPublicKey
        );
        assert_eq!(
            code("ecdsa-sha2-nistp256 AAAA"),
            ErrorCode::UnrecognizedPublicKeyEncoding
        );
        assert_eq!(code("hello"), ErrorCode::UnrecognizedPublicKeyEncoding);
        assert_eq!(
            code("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
            ErrorCode::UnrecognizedPublicKeyEncoding
        );
    }
}
