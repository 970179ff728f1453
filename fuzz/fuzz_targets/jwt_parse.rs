//! Untrusted web identity tokens (`AssumeRoleWithWebIdentity`): split, decoded and verified
//! against fixed keys, or against a key set that is part of the input (an issuer's JWKS is
//! fetched from the network, so it is input too). Input: the token, optionally followed by
//! NUL and a JWKS document. Nothing may panic; a token that parses names RS256 or ES256.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxiam_server::model::jwt::{self, Algorithm, Jwks};

/// The public halves of the test keys `crates/oxiam-server/tests/data/x509/inter.key`
/// (P-256, kid `ec`) and `leaf.key` (RSA 2048, kid `rsa`); the seeds are signed with them,
/// so the fuzzer starts on tokens whose signatures verify.
const JWKS: &str = r#"{"keys":[{"kty":"EC","kid":"ec","use":"sig","alg":"ES256","crv":"P-256","x":"AHFH4pF24PFKRD9AoLPQrlI8TFMFRnWo0dD7m61CpRc","y":"yMPzSd4uh2q9z3C1nPAqqHN5sl3K77snbDRvNFRpzJw"},{"kty":"RSA","kid":"rsa","use":"sig","alg":"RS256","n":"wgHEoSWxr6m6OAqnZOGwZ3lvc_v2VdIaRkIzVlNHvAv_Yo14WVxDVXNV7Cef3VUTlfgo8fWy03v2CXBBT2W-e7F0irGRDS6wPFYtpFy7PRUDfyrVQ0vmvhZJYxfJNuTC5_ccNwiKCaRT9wnK6LrwMLZZLlJ6KvhQJyqbLc-iamxF9jpZeek81Fu2E6s8sPGwR_k1X9wOvUeOxifsAKOj4zMFUMBtrKRrKH_fyZMM1Dxd8Y9Rg3iB1X-VTtl3B0PmvXIquZcpHAh-UItg93s3Ctw90_csPHwaJGB0Tt2IqXzOgSZLO8tXGelB1JGmT4k3gPUOlOJZAi4hKxc95Bo1_Q","e":"AQAB"}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (token, jwks) = text.split_once('\0').unwrap_or((text, JWKS));
    let Ok(unverified) = jwt::parse(token) else {
        return;
    };
    assert!(matches!(
        unverified.algorithm,
        Algorithm::Rs256 | Algorithm::Es256
    ));
    let Ok(set) = serde_json::from_str::<Jwks>(jwks) else {
        return;
    };
    if let Some(key) = set.find(unverified.kid.as_deref()) {
        let _ = unverified.clone().verify(key);
    }
    // Every key of the set, whatever the token names: the wrong kind or curve is refused,
    // never a panic.
    for key in &set.keys {
        let _ = unverified.clone().verify(key);
    }
});
