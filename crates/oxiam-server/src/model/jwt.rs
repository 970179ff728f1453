//! JSON Web Tokens (RFC 7519) as web identity federation uses them: compact JWS
//! (RFC 7515) with RS256 or ES256 signatures (RFC 7518 §3.3, §3.4), keys as JWKs
//! (RFC 7517).
//!
//! Only the two algorithms AWS accepts from OIDC providers are verified; `none`, the HMAC
//! family and everything else are refused before any key is looked at, so a token cannot
//! choose a weaker check than its issuer's keys imply (the classic `alg` confusion).
//! Signatures are verified by `ring`; nothing here trusts a claim before that.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, EcdsaKeyPair, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
    UnparsedPublicKey,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a token was refused before its claims were looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a compact JWS of three base64url parts")]
    Malformed,
    #[error("the token header or claims are not a JSON object")]
    BadJson,
    #[error("the signing algorithm `{0}` is not accepted (RS256 and ES256 are)")]
    UnsupportedAlgorithm(String),
    #[error("the key does not fit the token's algorithm")]
    KeyMismatch,
    #[error("the token signature does not verify")]
    BadSignature,
    #[error("the token could not be signed")]
    Signing,
}

/// The algorithms accepted, by their JWS names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA P-256 with SHA-256, signature as the fixed 64-byte `r || s`.
    Es256,
}

impl Algorithm {
    fn from_name(name: &str) -> Result<Algorithm, JwtError> {
        match name {
            "RS256" => Ok(Algorithm::Rs256),
            "ES256" => Ok(Algorithm::Es256),
            other => Err(JwtError::UnsupportedAlgorithm(other.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }
}

/// One public key of a JWKS. Members this code does not use are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "use")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// RSA modulus and exponent, base64url big-endian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve and point coordinates, base64url big-endian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A JWK Set document (`{"keys": [...]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The key a token names by `kid`; a token without `kid` may use the only key of a
    /// set that has one.
    pub fn find(&self, kid: Option<&str>) -> Option<&Jwk> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None => match self.keys.as_slice() {
                [only] => Some(only),
                _ => None,
            },
        }
    }
}

/// A token split and decoded, not yet verified.
#[derive(Debug, Clone)]
pub struct Unverified {
    pub algorithm: Algorithm,
    pub kid: Option<String>,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`: what the signature covers.
    signing_input: String,
    signature: Vec<u8>,
    pub claims: Map<String, Value>,
}

fn b64(part: &str) -> Result<Vec<u8>, JwtError> {
    // Some issuers pad; RFC 7515 says not to, but the padding carries no meaning.
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed)
}

fn object(bytes: &[u8]) -> Result<Map<String, Value>, JwtError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::BadJson),
    }
}

/// Splits and decodes `token`, refusing any algorithm but RS256 and ES256.
pub fn parse(token: &str) -> Result<Unverified, JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let head = object(&b64(header)?)?;
    let alg = head.get("alg").and_then(Value::as_str).unwrap_or("none");
    let algorithm = Algorithm::from_name(alg)?;
    let kid = head.get("kid").and_then(Value::as_str).map(str::to_owned);
    let claims = object(&b64(payload)?)?;
    Ok(Unverified {
        algorithm,
        kid,
        signing_input: format!("{header}.{payload}"),
        signature: b64(signature)?,
        claims,
    })
}

fn component(value: Option<&String>) -> Result<Vec<u8>, JwtError> {
    value.map_or(Err(JwtError::KeyMismatch), |v| {
        URL_SAFE_NO_PAD
            .decode(v.trim_end_matches('='))
            .map_err(|_| JwtError::KeyMismatch)
    })
}

impl Unverified {
    /// Verifies the signature with `key`, which must be a signing key of the token's
    /// algorithm (an RSA key for RS256, a P-256 key for ES256).
    pub fn verify(self, key: &Jwk) -> Result<Map<String, Value>, JwtError> {
        if key.use_.as_deref().is_some_and(|u| u != "sig")
            || key
                .alg
                .as_deref()
                .is_some_and(|a| a != self.algorithm.name())
        {
            return Err(JwtError::KeyMismatch);
        }
        let message = self.signing_input.as_bytes();
        let verified = match self.algorithm {
            Algorithm::Rs256 => {
                if key.kty != "RSA" {
                    return Err(JwtError::KeyMismatch);
                }
                let n = component(key.n.as_ref())?;
                let e = component(key.e.as_ref())?;
                RsaPublicKeyComponents { n: &n, e: &e }.verify(
                    &RSA_PKCS1_2048_8192_SHA256,
                    message,
                    &self.signature,
                )
            }
            Algorithm::Es256 => {
                if key.kty != "EC" || key.crv.as_deref() != Some("P-256") {
                    return Err(JwtError::KeyMismatch);
                }
                let x = component(key.x.as_ref())?;
                let y = component(key.y.as_ref())?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(JwtError::KeyMismatch);
                }
                // SEC 1 uncompressed point: 0x04 || X || Y.
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                    .verify(message, &self.signature)
            }
        };
        verified.map_err(|_| JwtError::BadSignature)?;
        Ok(self.claims)
    }
}

/// The curve and coordinate length of the ECDSA algorithms this module signs with.
fn curve(alg: &str) -> Option<(&'static str, usize)> {
    match alg {
        "ES256" => Some(("P-256", 32)),
        "ES384" => Some(("P-384", 48)),
        _ => None,
    }
}

/// The public JWK of an ECDSA key pair for `alg` (`ES256`: P-256, `ES384`: P-384), named
/// `kid`.
pub fn ec_jwk(key: &EcdsaKeyPair, alg: &str, kid: &str) -> Jwk {
    use ring::signature::KeyPair as _;
    let point = key.public_key().as_ref();
    let (crv, len) = curve(alg).unwrap_or(("", 0));
    // SEC 1 uncompressed point: 0x04 || X || Y.
    Jwk {
        kty: "EC".to_owned(),
        kid: Some(kid.to_owned()),
        use_: Some("sig".to_owned()),
        alg: Some(alg.to_owned()),
        crv: Some(crv.to_owned()),
        x: point.get(1..=len).map(|x| URL_SAFE_NO_PAD.encode(x)),
        y: point
            .get(len + 1..=2 * len)
            .map(|y| URL_SAFE_NO_PAD.encode(y)),
        ..Jwk::default()
    }
}

/// Signs `claims` as a JWT with the ECDSA key `key` of algorithm `alg` (`ES256` or
/// `ES384`, matching the key's curve), naming it `kid` in the header.
pub fn sign_ec(
    key: &EcdsaKeyPair,
    alg: &str,
    kid: &str,
    claims: &Value,
) -> Result<String, JwtError> {
    let header = serde_json::json!({"alg": alg, "typ": "JWT", "kid": kid});
    let header = URL_SAFE_NO_PAD.encode(header.to_string());
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let rng = ring::rand::SystemRandom::new();
    let signature = key
        .sign(&rng, input.as_bytes())
        .map_err(|_| JwtError::Signing)?;
    Ok(format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING;

    use super::*;

    fn key_pair() -> EcdsaKeyPair {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
    }

    #[test]
    fn es256_round_trip_and_tampering() {
        let key = key_pair();
        let jwk = ec_jwk(&key, "ES256", "k1");
        let token = sign_ec(&key, "ES256", "k1", &serde_json::json!({"sub": "alice"})).unwrap();
        let parsed = parse(&token).unwrap();
        assert_eq!(parsed.kid.as_deref(), Some("k1"));
        let claims = parsed.verify(&jwk).unwrap();
        assert_eq!(claims["sub"], "alice");

        // Another key, or claims changed after signing, do not verify.
        let other = ec_jwk(&key_pair(), "ES256", "k1");
        assert_eq!(
            parse(&token).unwrap().verify(&other).unwrap_err(),
            JwtError::BadSignature
        );
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"sub":"mallory"}"#);
        parts[1] = &forged;
        assert_eq!(
            parse(&parts.join(".")).unwrap().verify(&jwk).unwrap_err(),
            JwtError::BadSignature
        );
        // An RSA key for an ES256 token is refused without trying.
        let rsa = Jwk {
            kty: "RSA".into(),
            ..Jwk::default()
        };
        assert_eq!(
            parse(&token).unwrap().verify(&rsa).unwrap_err(),
            JwtError::KeyMismatch
        );
    }

    #[test]
    fn only_rs256_and_es256_are_accepted() {
        for alg in ["none", "HS256", "RS512", "PS256", "ES384"] {
            let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}"}}"#));
            let token = format!("{header}.e30.");
            assert_eq!(
                parse(&token).unwrap_err(),
                JwtError::UnsupportedAlgorithm(alg.into())
            );
        }
        let no_alg = URL_SAFE_NO_PAD.encode("{}");
        assert!(matches!(
            parse(&format!("{no_alg}.e30.")),
            Err(JwtError::UnsupportedAlgorithm(_))
        ));
        assert_eq!(parse("a.b").unwrap_err(), JwtError::Malformed);
        assert_eq!(parse("a.b.c.d").unwrap_err(), JwtError::Malformed);
    }

    #[test]
    fn jwks_find_by_kid_or_the_only_key() {
        let a = Jwk {
            kid: Some("a".into()),
            ..Jwk::default()
        };
        let set = Jwks {
            keys: vec![a.clone()],
        };
        assert_eq!(set.find(Some("a")), Some(&a));
        assert_eq!(set.find(Some("b")), None);
        assert_eq!(set.find(None), Some(&a));
        let two = Jwks {
            keys: vec![a.clone(), a],
        };
        assert_eq!(two.find(None), None);
    }
}
