//! Untrusted certificates and private keys, as IAM's certificate operations receive them
//! (`UploadServerCertificate`, `UploadSigningCertificate`): the bytes as DER, as the one
//! block of a PEM text under each label those operations read, and as PEM text themselves.
//! Nothing may panic; a certificate that parses has the fixture chain's operations run on
//! it; DER and the same DER wrapped in PEM must give the same certificate.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use oxiam_server::model::x509::{Certificate, PublicKey, check_chain, match_private_key};

/// The test chain of `oxiam_server::model::x509` (an RSA root, a P-256 intermediate, an RSA leaf).
const FIXTURES: [&str; 3] = [
    include_str!("../../crates/oxiam-server/tests/data/x509/root.pem"),
    include_str!("../../crates/oxiam-server/tests/data/x509/inter.pem"),
    include_str!("../../crates/oxiam-server/tests/data/x509/leaf.pem"),
];

/// The fixture certificates, and one public key of each kind a private key can be matched
/// against (P-384 and Ed25519 are not in the fixture chain).
fn known() -> &'static (Vec<Certificate>, Vec<PublicKey>) {
    static KNOWN: OnceLock<(Vec<Certificate>, Vec<PublicKey>)> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let certs: Vec<Certificate> = FIXTURES
            .iter()
            .filter_map(|pem| Certificate::one_from_pem(pem).ok())
            .collect();
        assert_eq!(certs.len(), FIXTURES.len(), "the fixtures parse");
        // The leaf's RSA key and the intermediate's P-256 key.
        let keys = certs
            .iter()
            .skip(1)
            .map(|c| c.key.clone())
            .chain([
                PublicKey::P384(vec![4; 97]),
                PublicKey::Ed25519(vec![0; 32]),
            ])
            .collect();
        (certs, keys)
    })
}

fn exercise(cert: &Certificate, certs: &[Certificate]) {
    let _ = cert.check_validity(0);
    let _ = cert.check_validity(cert.not_before);
    let _ = cert.check_rsa_size(2048, 4096, "2048-4096");
    let _ = cert.is_issued_by(cert);
    let _ = check_chain(cert, certs);
    for issuer in certs {
        let _ = cert.is_issued_by(issuer);
        let _ = issuer.is_issued_by(cert);
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        STANDARD.encode(der)
    )
}

fuzz_target!(|data: &[u8]| {
    let (certs, keys) = known();
    // One public key per input, chosen by its length: ring takes milliseconds to check a
    // well-formed RSA private key, and trying all four keys on every input would cost
    // four times the executions.
    let key = &keys[data.len() % keys.len()];
    let from_der = Certificate::from_der(data);
    if let Ok(cert) = &from_der {
        assert_eq!(cert.der, data, "a certificate keeps its DER verbatim");
        exercise(cert, certs);
    }
    // The same bytes as a one-block PEM body: the same certificate, or the same refusal
    // (an empty block holds empty DER, which is malformed either way).
    let from_pem = Certificate::one_from_pem(&pem("CERTIFICATE", data));
    assert_eq!(from_der, from_pem, "DER and PEM disagree");
    for label in ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"] {
        let _ = match_private_key(&pem(label, data), key);
    }
    // The bytes as PEM text: bundles, chains, keys, whatever surrounds them.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(chain) = Certificate::from_pem(text) {
            assert!(!chain.is_empty());
            for cert in &chain {
                exercise(cert, certs);
            }
            if let Some((first, rest)) = chain.split_first() {
                let _ = check_chain(first, rest);
            }
        }
        let _ = Certificate::one_from_pem(text);
        let _ = match_private_key(text, key);
    }
});
