//! X.509 certificates and private keys, as far as IAM's certificate operations need them:
//! PEM blocks, the certificate's structure (RFC 5280 §4.1), its validity, its public key,
//! whether one certificate signed another, and whether a private key belongs to a
//! certificate.
//!
//! PEM (RFC 7468) is read by `rustls-pki-types`, which rustls already brings in; the DER
//! inside is read by a small reader of our own (the structure IAM looks at is a dozen
//! fields; a full ASN.1 stack would cost more to compile than it saves).
//! Cryptography is `ring`'s: signature verification (RSA PKCS #1 v1.5, ECDSA P-256/P-384,
//! Ed25519) and private-key parsing (PKCS #1, PKCS #8, SEC 1), which also checks that the
//! parts of a key are consistent with each other.

use ring::signature::{self, KeyPair as _, UnparsedPublicKey};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use time::{Date, Month, PrimitiveDateTime, Time};
use zeroize::Zeroizing;

use crate::model::Epoch;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT`, constructed: the certificate's version, an EC key's parameters.
const CONTEXT_0: u8 = 0xa0;
/// `[1] EXPLICIT`, constructed: an EC private key's public key.
const CONTEXT_1: u8 = 0xa1;

// OIDs, as the contents of their DER encoding.
/// rsaEncryption (1.2.840.113549.1.1.1).
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-ecPublicKey (1.2.840.10045.2.1).
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
/// prime256v1 (1.2.840.10045.3.1.7).
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// secp384r1 (1.3.132.0.34).
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
/// id-Ed25519 (1.3.101.112), both key and signature algorithm.
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// sha{1,256,384,512}WithRSAEncryption (1.2.840.113549.1.1.{5,11,12,13}).
const OID_RSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];
const OID_RSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const OID_RSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c];
const OID_RSA_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d];
/// ecdsa-with-SHA{256,384} (1.2.840.10045.4.3.{2,3}).
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];

/// Why a certificate, chain or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    #[error("unable to parse certificate. Please ensure the certificate is in PEM format")]
    Malformed,
    #[error("the certificate is not valid until {0}")]
    NotYetValid(String),
    #[error("the certificate expired on {0}")]
    Expired(String),
    #[error("the certificate's public key type is not supported")]
    UnsupportedKey,
    #[error("the certificate's {0}-bit RSA key is outside the supported sizes ({1})")]
    RsaKeySize(usize, &'static str),
    #[error("unable to parse private key")]
    MalformedKey,
    #[error("the certificate chain is not valid: certificate {0} is not signed by the next")]
    BrokenChain(usize),
}

/// The public key of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// The PKCS #1 `RSAPublicKey` DER (what `ring` verifies with) and the modulus size.
    Rsa {
        der: Vec<u8>,
        bits: usize,
    },
    /// An uncompressed point (`04 || x || y`).
    P256(Vec<u8>),
    P384(Vec<u8>),
    Ed25519(Vec<u8>),
}

/// A parsed certificate. Names are kept as their DER bytes: a chain links when the issuer
/// of one is byte-for-byte the subject of the next (RFC 5280 §7.1 allows more lenient
/// matching; CAs emit the same encoding in practice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub der: Vec<u8>,
    tbs: Vec<u8>,
    signature_algorithm: Vec<u8>,
    signature: Vec<u8>,
    issuer: Vec<u8>,
    subject: Vec<u8>,
    pub not_before: Epoch,
    pub not_after: Epoch,
    pub key: PublicKey,
}

// ---- PEM ----------------------------------------------------------------------------------

/// The DER contents of every `CERTIFICATE` block of `text`, in order (RFC 7468, read by
/// `rustls-pki-types`, as the TLS listener reads its files). Text outside the blocks and
/// blocks of other labels are ignored (as OpenSSL does, so bundles with comments work);
/// an unterminated block or one that is not base64 makes the whole text malformed.
fn certificate_ders(text: &str) -> Result<Vec<CertificateDer<'static>>, CertError> {
    CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| CertError::Malformed)
}

/// The one private key of a PEM text: `RSA PRIVATE KEY` (PKCS #1), `PRIVATE KEY` (PKCS #8)
/// or `EC PRIVATE KEY` (SEC 1). Blocks of other labels are skipped, so an encrypted key
/// (`ENCRYPTED PRIVATE KEY`) is no key at all; none, two, or a broken block is malformed.
/// The DER is wiped from memory when dropped.
fn private_key_der(text: &str) -> Result<Zeroizing<PrivateKeyDer<'static>>, CertError> {
    let mut keys = PrivateKeyDer::pem_slice_iter(text.as_bytes()).map(|k| k.map(Zeroizing::new));
    match (keys.next(), keys.next()) {
        (Some(Ok(key)), None) => Ok(key),
        _ => Err(CertError::MalformedKey),
    }
}

// ---- DER ----------------------------------------------------------------------------------

/// One element: its tag, its contents, and its whole encoding (tag and length included).
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    whole: &'a [u8],
}

/// Reads the next element of `b` and moves past it. Definite lengths only (DER).
fn read_any<'a>(b: &mut &'a [u8]) -> Option<Tlv<'a>> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let content = b.get(header..end)?;
    let whole = b.get(..end)?;
    *b = b.get(end..)?;
    Some(Tlv {
        tag,
        content,
        whole,
    })
}

/// Reads the next element, which must have tag `tag`, and returns its contents (also the
/// DER reader of the SSH public keys' PEM form).
pub fn read<'a>(b: &mut &'a [u8], tag: u8) -> Option<&'a [u8]> {
    let tlv = read_any(b)?;
    (tlv.tag == tag).then_some(tlv.content)
}

/// Reads the next element if it has tag `tag`.
fn read_optional<'a>(b: &mut &'a [u8], tag: u8) -> Option<&'a [u8]> {
    if b.first() == Some(&tag) {
        read(b, tag)
    } else {
        None
    }
}

/// A BIT STRING's bits, which must fill whole bytes.
fn bits(content: &[u8]) -> Option<&[u8]> {
    match content.split_first()? {
        (0, rest) => Some(rest),
        _ => None,
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(start..).unwrap_or_default()
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`: the OID
/// and the parameters' encoding.
fn algorithm<'a>(b: &mut &'a [u8]) -> Option<(&'a [u8], &'a [u8])> {
    let mut seq = read(b, SEQUENCE)?;
    let oid = read(&mut seq, OID)?;
    Some((oid, seq))
}

/// Two decimal digits.
fn digits(s: &[u8], at: usize) -> Option<u8> {
    let d = s.get(at..at + 2)?;
    let (a, b) = (d.first()?, d.get(1)?);
    if !a.is_ascii_digit() || !b.is_ascii_digit() {
        return None;
    }
    Some((a - b'0') * 10 + (b - b'0'))
}

/// `Time ::= CHOICE { utcTime UTCTime, generalTime GeneralizedTime }`, in the forms RFC 5280
/// §4.1.2.5 allows (`YYMMDDHHMMSSZ`, `YYYYMMDDHHMMSSZ`), as seconds since the epoch.
fn read_time(b: &mut &[u8]) -> Option<Epoch> {
    let tlv = read_any(b)?;
    let s = tlv.content;
    let (year, rest) = match tlv.tag {
        // RFC 5280: YY >= 50 is 19YY, else 20YY.
        UTC_TIME if s.len() == 13 => {
            let yy = i32::from(digits(s, 0)?);
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        GENERALIZED_TIME if s.len() == 15 => {
            let year = i32::from(digits(s, 0)?) * 100 + i32::from(digits(s, 2)?);
            (year, s.get(4..)?)
        }
        _ => return None,
    };
    if rest.last() != Some(&b'Z') {
        return None;
    }
    let month = Month::try_from(digits(rest, 0)?).ok()?;
    let date = Date::from_calendar_date(year, month, digits(rest, 2)?).ok()?;
    let time = Time::from_hms(digits(rest, 4)?, digits(rest, 6)?, digits(rest, 8)?).ok()?;
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// `SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey
/// BIT STRING }`. `None` when malformed; `Some(None)` when well-formed but of a kind IAM
/// does not take.
fn read_spki(b: &mut &[u8]) -> Option<Option<PublicKey>> {
    let mut seq = read(b, SEQUENCE)?;
    let (oid, mut params) = algorithm(&mut seq)?;
    let key = bits(read(&mut seq, BIT_STRING)?)?.to_vec();
    Some(match oid {
        OID_RSA => {
            let mut k = key.as_slice();
            let mut rsa = read(&mut k, SEQUENCE)?;
            let n = strip_zeros(read(&mut rsa, INTEGER)?);
            read(&mut rsa, INTEGER)?;
            // A zero modulus is no key (and its size would underflow): malformed.
            let top = n.first()?;
            let bits = n.len() * 8 - top.leading_zeros() as usize;
            Some(PublicKey::Rsa { der: key, bits })
        }
        OID_EC => match read(&mut params, OID)? {
            OID_P256 => Some(PublicKey::P256(key)),
            OID_P384 => Some(PublicKey::P384(key)),
            _ => None,
        },
        OID_ED25519 => Some(PublicKey::Ed25519(key)),
        _ => None,
    })
}

/// ISO 8601, for error messages.
pub fn iso(epoch: Epoch) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| epoch.to_string())
}

impl Certificate {
    /// Parses one DER certificate (RFC 5280 §4.1).
    pub fn from_der(der: &[u8]) -> Result<Certificate, CertError> {
        Self::parse(der)
            .ok_or(CertError::Malformed)?
            .ok_or(CertError::UnsupportedKey)
    }

    fn parse(der: &[u8]) -> Option<Option<Certificate>> {
        let mut outer = der;
        let mut cert = read(&mut outer, SEQUENCE)?;
        if !outer.is_empty() {
            return None;
        }
        let tbs_tlv = read_any(&mut cert)?;
        if tbs_tlv.tag != SEQUENCE {
            return None;
        }
        let (signature_algorithm, _) = algorithm(&mut cert)?;
        let signature = bits(read(&mut cert, BIT_STRING)?)?.to_vec();
        if !cert.is_empty() {
            return None;
        }
        let mut tbs = tbs_tlv.content;
        read_optional(&mut tbs, CONTEXT_0);
        read(&mut tbs, INTEGER)?;
        let (inner_algorithm, _) = algorithm(&mut tbs)?;
        // RFC 5280 §4.1.1.2: both must name the same algorithm.
        if inner_algorithm != signature_algorithm {
            return None;
        }
        let issuer = read_any(&mut tbs)?;
        let mut validity = read(&mut tbs, SEQUENCE)?;
        let not_before = read_time(&mut validity)?;
        let not_after = read_time(&mut validity)?;
        let subject = read_any(&mut tbs)?;
        if issuer.tag != SEQUENCE || subject.tag != SEQUENCE {
            return None;
        }
        let key = read_spki(&mut tbs)?;
        Some(key.map(|key| Certificate {
            der: der.to_vec(),
            tbs: tbs_tlv.whole.to_vec(),
            signature_algorithm: signature_algorithm.to_vec(),
            signature,
            issuer: issuer.whole.to_vec(),
            subject: subject.whole.to_vec(),
            not_before,
            not_after,
            key,
        }))
    }

    /// The certificates of a PEM text, in order; at least one.
    pub fn from_pem(text: &str) -> Result<Vec<Certificate>, CertError> {
        let blocks = certificate_ders(text)?;
        if blocks.is_empty() {
            return Err(CertError::Malformed);
        }
        blocks
            .iter()
            .map(|der| Certificate::from_der(der))
            .collect()
    }

    /// The one certificate of a PEM text (a body with more than one is malformed).
    pub fn one_from_pem(text: &str) -> Result<Certificate, CertError> {
        let mut certs = Certificate::from_pem(text)?;
        match (certs.pop(), certs.is_empty()) {
            (Some(c), true) => Ok(c),
            _ => Err(CertError::Malformed),
        }
    }

    /// Whether the certificate is valid at `now` (both bounds inclusive, RFC 5280 §4.1.2.5).
    pub fn check_validity(&self, now: Epoch) -> Result<(), CertError> {
        if now < self.not_before {
            return Err(CertError::NotYetValid(iso(self.not_before)));
        }
        if now > self.not_after {
            return Err(CertError::Expired(iso(self.not_after)));
        }
        Ok(())
    }

    /// Refuses RSA keys outside `min..=max` bits.
    pub fn check_rsa_size(
        &self,
        min: usize,
        max: usize,
        sizes: &'static str,
    ) -> Result<(), CertError> {
        match self.key {
            PublicKey::Rsa { bits, .. } if !(min..=max).contains(&bits) => {
                Err(CertError::RsaKeySize(bits, sizes))
            }
            _ => Ok(()),
        }
    }

    /// Whether `issuer` issued this certificate: names link and the signature verifies with
    /// the issuer's key.
    pub fn is_issued_by(&self, issuer: &Certificate) -> bool {
        if self.issuer != issuer.subject {
            return false;
        }
        let sig = self.signature_algorithm.as_slice();
        let alg: &dyn signature::VerificationAlgorithm = match (&issuer.key, sig) {
            (PublicKey::Rsa { .. }, OID_RSA_SHA256) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (PublicKey::Rsa { .. }, OID_RSA_SHA384) => &signature::RSA_PKCS1_2048_8192_SHA384,
            (PublicKey::Rsa { .. }, OID_RSA_SHA512) => &signature::RSA_PKCS1_2048_8192_SHA512,
            (PublicKey::Rsa { .. }, OID_RSA_SHA1) => {
                &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY
            }
            (PublicKey::P256(_), OID_ECDSA_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
            (PublicKey::P256(_), OID_ECDSA_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
            (PublicKey::P384(_), OID_ECDSA_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
            (PublicKey::P384(_), OID_ECDSA_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
            (PublicKey::Ed25519(_), OID_ED25519) => &signature::ED25519,
            _ => return false,
        };
        let key = match &issuer.key {
            PublicKey::Rsa { der, .. } => der,
            PublicKey::P256(k) | PublicKey::P384(k) | PublicKey::Ed25519(k) => k,
        };
        UnparsedPublicKey::new(alg, key)
            .verify(&self.tbs, &self.signature)
            .is_ok()
    }
}

/// Checks that `chain` certifies `cert`: `cert` is signed by `chain[0]`, `chain[0]` by
/// `chain[1]`, and so on. The last one need not be a root (AWS accepts chains that stop at
/// an intermediate), but it must be signed by itself when it claims to be self-issued.
pub fn check_chain(cert: &Certificate, chain: &[Certificate]) -> Result<(), CertError> {
    let mut child = cert;
    for (i, parent) in chain.iter().enumerate() {
        if !child.is_issued_by(parent) {
            return Err(CertError::BrokenChain(i));
        }
        child = parent;
    }
    if child.issuer == child.subject && !chain.is_empty() && !child.is_issued_by(child) {
        return Err(CertError::BrokenChain(chain.len()));
    }
    Ok(())
}

/// Whether a private key matches a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMatch {
    Matches,
    Mismatch,
}

/// Parses a PEM private key (`RSA PRIVATE KEY`: PKCS #1; `PRIVATE KEY`: PKCS #8; `EC PRIVATE
/// KEY`: SEC 1) and tells whether it is the private half of `public`. `ring` checks the
/// key's internal consistency (an RSA key's primes multiply to its modulus, an EC key's
/// point is its scalar times the generator) while parsing.
pub fn match_private_key(pem: &str, public: &PublicKey) -> Result<KeyMatch, CertError> {
    let key = private_key_der(pem)?;
    let der = key.secret_der();
    let rng = ring::rand::SystemRandom::new();
    let same = |derived: &[u8], expected: &[u8]| {
        if derived == expected {
            KeyMatch::Matches
        } else {
            KeyMatch::Mismatch
        }
    };
    match (&*key, public) {
        (PrivateKeyDer::Pkcs1(_), PublicKey::Rsa { der: expected, .. }) => {
            let kp = signature::RsaKeyPair::from_der(der).map_err(|_| CertError::MalformedKey)?;
            Ok(same(kp.public().as_ref(), expected))
        }
        (PrivateKeyDer::Pkcs8(_), PublicKey::Rsa { der: expected, .. }) => {
            match signature::RsaKeyPair::from_pkcs8(der) {
                Ok(kp) => Ok(same(kp.public().as_ref(), expected)),
                Err(_) if is_pkcs8(der) => Ok(KeyMatch::Mismatch),
                Err(_) => Err(CertError::MalformedKey),
            }
        }
        (PrivateKeyDer::Pkcs8(_), PublicKey::P256(expected) | PublicKey::P384(expected)) => {
            let alg = ec_alg(public);
            match signature::EcdsaKeyPair::from_pkcs8(alg, der, &rng) {
                Ok(kp) => Ok(same(kp.public_key().as_ref(), expected)),
                // A PKCS #8 key of another curve or kind does not match this certificate.
                Err(_) if is_pkcs8(der) => Ok(KeyMatch::Mismatch),
                Err(_) => Err(CertError::MalformedKey),
            }
        }
        (PrivateKeyDer::Pkcs8(_), PublicKey::Ed25519(expected)) => {
            match signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
                Ok(kp) => Ok(same(kp.public_key().as_ref(), expected)),
                Err(_) if is_pkcs8(der) => Ok(KeyMatch::Mismatch),
                Err(_) => Err(CertError::MalformedKey),
            }
        }
        (PrivateKeyDer::Sec1(_), PublicKey::P256(expected) | PublicKey::P384(expected)) => {
            let (scalar, own_public) = sec1(der).ok_or(CertError::MalformedKey)?;
            if own_public.is_some_and(|p| p != expected.as_slice()) {
                return Ok(KeyMatch::Mismatch);
            }
            // ring derives the point from the scalar and compares it with the one given.
            Ok(
                match signature::EcdsaKeyPair::from_private_key_and_public_key(
                    ec_alg(public),
                    scalar,
                    expected,
                    &rng,
                ) {
                    Ok(_) => KeyMatch::Matches,
                    Err(_) => KeyMatch::Mismatch,
                },
            )
        }
        // A well-formed key of another kind than the certificate's.
        (PrivateKeyDer::Pkcs1(_), _) if signature::RsaKeyPair::from_der(der).is_ok() => {
            Ok(KeyMatch::Mismatch)
        }
        (PrivateKeyDer::Sec1(_), _) if sec1(der).is_some() => Ok(KeyMatch::Mismatch),
        // Anything else (and forms `rustls-pki-types` may add): not a key AWS takes.
        _ => Err(CertError::MalformedKey),
    }
}

fn ec_alg(public: &PublicKey) -> &'static signature::EcdsaSigningAlgorithm {
    match public {
        PublicKey::P384(_) => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
        _ => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
    }
}

/// Whether `der` is a well-formed PKCS #8 `PrivateKeyInfo` (RFC 5208): `SEQUENCE { version
/// INTEGER, algorithm AlgorithmIdentifier, privateKey OCTET STRING, … }`.
fn is_pkcs8(der: &[u8]) -> bool {
    let parse = || {
        let mut outer = der;
        let mut seq = read(&mut outer, SEQUENCE)?;
        read(&mut seq, INTEGER)?;
        algorithm(&mut seq)?;
        read(&mut seq, OCTET_STRING)?;
        outer.is_empty().then_some(())
    };
    parse().is_some()
}

/// SEC 1 `ECPrivateKey ::= SEQUENCE { version 1, privateKey OCTET STRING, parameters [0]
/// OPTIONAL, publicKey [1] BIT STRING OPTIONAL }`: the scalar and the public point if given.
fn sec1(der: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let mut outer = der;
    let mut seq = read(&mut outer, SEQUENCE)?;
    if read(&mut seq, INTEGER)? != [1] {
        return None;
    }
    let scalar = read(&mut seq, OCTET_STRING)?;
    read_optional(&mut seq, CONTEXT_0);
    let public = match read_optional(&mut seq, CONTEXT_1) {
        Some(mut inner) => Some(bits(read(&mut inner, BIT_STRING)?)?),
        None => None,
    };
    Some((scalar, public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_are_found_among_other_text() {
        let text = "junk\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\nmore\n-----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n";
        let ders = certificate_ders(text).unwrap();
        let ders: Vec<&[u8]> = ders.iter().map(|d| d.as_ref()).collect();
        assert_eq!(ders, [&[1, 2, 3][..], &[4, 5, 6][..]]);
        // Blocks of other labels are skipped; CRLF line ends and spaces inside the base64
        // are fine.
        let mixed = "-----BEGIN PUBLIC KEY-----\r\nBwgJ\r\n-----END PUBLIC KEY-----\r\n-----BEGIN CERTIFICATE-----\r\nAQ ID\r\n-----END CERTIFICATE-----\r\n";
        let ders = certificate_ders(mixed).unwrap();
        assert_eq!(ders.len(), 1);
        assert_eq!(ders[0].as_ref(), [1, 2, 3]);
        assert_eq!(certificate_ders("no pem here").unwrap().len(), 0);
        // Unterminated, not base64, a broken BEGIN line: the whole text is malformed.
        for bad in [
            "-----BEGIN CERTIFICATE-----\nAQID",
            "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----",
            "-----BEGIN CERTIFICATE--\nAQID\n-----END CERTIFICATE-----",
        ] {
            assert_eq!(certificate_ders(bad), Err(CertError::Malformed), "{bad:?}");
        }
    }

    #[test]
    fn one_private_key_block_is_read_whatever_its_form() {
        let pkcs1 = "-----BEGIN RSA PRIVATE KEY-----\nAQID\n-----END RSA PRIVATE KEY-----\n";
        assert!(matches!(
            private_key_der(pkcs1).as_deref(),
            Ok(PrivateKeyDer::Pkcs1(_))
        ));
        assert_eq!(private_key_der(pkcs1).unwrap().secret_der(), [1, 2, 3]);
        let sec1 = pkcs1.replace("RSA", "EC");
        assert!(matches!(
            private_key_der(&sec1).as_deref(),
            Ok(PrivateKeyDer::Sec1(_))
        ));
        let pkcs8 = pkcs1.replace("RSA ", "");
        assert!(matches!(
            private_key_der(&pkcs8).as_deref(),
            Ok(PrivateKeyDer::Pkcs8(_))
        ));
        // Two keys, no key, an encrypted key (no key AWS takes), a broken block.
        for bad in [
            format!("{pkcs1}{pkcs8}"),
            "nothing".to_owned(),
            pkcs8.replace("PRIVATE", "ENCRYPTED PRIVATE"),
            pkcs8.replace("AQID", "A!ID"),
        ] {
            assert!(
                matches!(private_key_der(&bad), Err(CertError::MalformedKey)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn times_parse_in_both_forms() {
        let utc = [
            UTC_TIME, 13, b'2', b'1', b'0', b'1', b'0', b'1', b'0', b'0', b'0', b'0', b'0', b'0',
            b'Z',
        ];
        assert_eq!(read_time(&mut &utc[..]), Some(1_609_459_200));
        let old = [
            UTC_TIME, 13, b'5', b'0', b'0', b'1', b'0', b'1', b'0', b'0', b'0', b'0', b'0', b'0',
            b'Z',
        ];
        assert_eq!(read_time(&mut &old[..]), Some(-631_152_000));
        let gen_time = [
            GENERALIZED_TIME,
            15,
            b'2',
            b'0',
            b'2',
            b'1',
            b'0',
            b'1',
            b'0',
            b'1',
            b'0',
            b'0',
            b'0',
            b'0',
            b'0',
            b'0',
            b'Z',
        ];
        assert_eq!(read_time(&mut &gen_time[..]), Some(1_609_459_200));
        let bad_month = [
            UTC_TIME, 13, b'2', b'1', b'1', b'3', b'0', b'1', b'0', b'0', b'0', b'0', b'0', b'0',
            b'Z',
        ];
        assert_eq!(read_time(&mut &bad_month[..]), None);
    }

    /// Test-only certificates and keys made with the `openssl` CLI, valid for 100 years:
    /// an RSA root signs a P-256 intermediate, which signs an RSA leaf.
    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/data/x509/", $name))
        };
    }
    const ROOT: &str = fixture!("root.pem");
    const INTER: &str = fixture!("inter.pem");
    const LEAF: &str = fixture!("leaf.pem");

    #[test]
    fn a_real_chain_parses_and_verifies_link_by_link() {
        let root = Certificate::one_from_pem(ROOT).unwrap();
        let inter = Certificate::one_from_pem(INTER).unwrap();
        let leaf = Certificate::one_from_pem(LEAF).unwrap();
        assert!(matches!(leaf.key, PublicKey::Rsa { bits: 2048, .. }));
        assert!(matches!(inter.key, PublicKey::P256(_)));
        assert!(leaf.not_before < leaf.not_after);
        leaf.check_validity(leaf.not_before).unwrap();
        assert!(matches!(
            leaf.check_validity(leaf.not_after + 1),
            Err(CertError::Expired(_))
        ));
        assert!(matches!(
            leaf.check_validity(leaf.not_before - 1),
            Err(CertError::NotYetValid(_))
        ));
        // ECDSA signs the leaf, RSA the intermediate; the root signs itself.
        assert!(leaf.is_issued_by(&inter));
        assert!(inter.is_issued_by(&root));
        assert!(root.is_issued_by(&root));
        assert!(!leaf.is_issued_by(&root));
        assert!(!inter.is_issued_by(&leaf));
        check_chain(&leaf, &[inter.clone(), root.clone()]).unwrap();
        check_chain(&leaf, std::slice::from_ref(&inter)).unwrap();
        check_chain(&leaf, &[]).unwrap();
        assert_eq!(
            check_chain(&leaf, std::slice::from_ref(&root)),
            Err(CertError::BrokenChain(0))
        );
        assert_eq!(
            check_chain(&leaf, &[inter.clone(), leaf.clone()]),
            Err(CertError::BrokenChain(1))
        );
        // Both certificates of a bundle, in order.
        let both = Certificate::from_pem(&format!("{INTER}{ROOT}")).unwrap();
        assert_eq!(both, vec![inter, root]);
        assert_eq!(
            Certificate::one_from_pem(&format!("{INTER}{ROOT}")),
            Err(CertError::Malformed)
        );
    }

    #[test]
    fn a_tampered_signature_does_not_verify() {
        let inter = Certificate::one_from_pem(INTER).unwrap();
        let mut leaf = Certificate::one_from_pem(LEAF).unwrap();
        if let Some(b) = leaf.tbs.last_mut() {
            *b ^= 1;
        }
        assert!(!leaf.is_issued_by(&inter));
    }

    #[test]
    fn private_keys_in_every_form_match_their_certificate_only() {
        let inter = Certificate::one_from_pem(INTER).unwrap();
        let leaf = Certificate::one_from_pem(LEAF).unwrap();
        let m = |pem: &str, c: &Certificate| match_private_key(pem, &c.key);
        assert_eq!(m(fixture!("leaf.key"), &leaf), Ok(KeyMatch::Matches));
        assert_eq!(m(fixture!("leaf.pkcs1.key"), &leaf), Ok(KeyMatch::Matches));
        assert_eq!(m(fixture!("inter.key"), &inter), Ok(KeyMatch::Matches));
        assert_eq!(m(fixture!("inter.sec1.key"), &inter), Ok(KeyMatch::Matches));
        // Each key against the other certificate: well-formed, but not its key.
        assert_eq!(m(fixture!("leaf.key"), &inter), Ok(KeyMatch::Mismatch));
        assert_eq!(
            m(fixture!("leaf.pkcs1.key"), &inter),
            Ok(KeyMatch::Mismatch)
        );
        assert_eq!(m(fixture!("inter.key"), &leaf), Ok(KeyMatch::Mismatch));
        assert_eq!(m(fixture!("inter.sec1.key"), &leaf), Ok(KeyMatch::Mismatch));
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(m(encrypted, &leaf), Err(CertError::MalformedKey));
    }

    /// `SubjectPublicKeyInfo` of an RSA key with modulus `n` (INTEGER contents) and exponent 3.
    fn rsa_spki(n: &[u8]) -> Vec<u8> {
        let tlv = |tag: u8, content: &[u8]| {
            let mut out = vec![tag, u8::try_from(content.len()).unwrap()];
            out.extend_from_slice(content);
            out
        };
        let key = [tlv(INTEGER, n), tlv(INTEGER, &[3])].concat();
        let bits = [&[0][..], &tlv(SEQUENCE, &key)].concat();
        let alg = [tlv(OID, OID_RSA), vec![0x05, 0x00]].concat();
        tlv(
            SEQUENCE,
            &[tlv(SEQUENCE, &alg), tlv(BIT_STRING, &bits)].concat(),
        )
    }

    #[test]
    fn rsa_key_sizes_count_the_modulus_bits_and_a_zero_modulus_is_malformed() {
        let size = |n: &[u8]| match read_spki(&mut rsa_spki(n).as_slice()) {
            Some(Some(PublicKey::Rsa { bits, .. })) => Some(bits),
            _ => None,
        };
        assert_eq!(size(&[0x00, 0x80, 0x01]), Some(16));
        assert_eq!(size(&[0x01, 0xff]), Some(9));
        // Found while writing the x509_parse fuzz target: the size of a zero modulus
        // underflowed (a panic with overflow checks, a huge size without).
        assert_eq!(size(&[0x00]), None);
        assert_eq!(size(&[0x00, 0x00]), None);
    }

    #[test]
    fn garbage_is_malformed() {
        assert_eq!(Certificate::from_der(b"hello"), Err(CertError::Malformed));
        assert_eq!(Certificate::from_pem("hello"), Err(CertError::Malformed));
        assert_eq!(
            Certificate::from_pem("-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----"),
            Err(CertError::Malformed)
        );
        assert_eq!(
            match_private_key("nope", &PublicKey::Ed25519(vec![0; 32])),
            Err(CertError::MalformedKey)
        );
    }
}
