//! The keys oxiam signs outbound web identity tokens with (`sts:GetWebIdentityToken`):
//! P-384, the PKCS#8 document zeroized in memory and sealed under the key-encryption key
//! in the store, so every node signs with the same keys and publishes the same JWKS.

use std::sync::Arc;

use oxiam_store::Record;
use oxiam_store::crypto::Kek;
use rand::RngCore as _;
use ring::signature::{ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::model::Epoch;
use crate::model::error::ServerError;
use crate::model::jwt;
use crate::state::{Entity, open_field, seal_field};

/// The one algorithm oxiam signs outbound tokens with.
pub const ALGORITHM: &str = "ES384";
/// How long one key signs new tokens.
pub const ROTATE_AFTER: Epoch = 30 * 24 * 3600;
/// How long a key stays published after it stopped signing: its tokens live an hour at
/// most; the rest is for verifiers that cache key sets.
pub const RETAIN: Epoch = ROTATE_AFTER + 24 * 3600;
/// A signing key: P-384, PKCS#8 in memory (zeroized) and sealed in the store.
#[derive(Clone)]
pub struct OutboundKey {
    /// The JWK `kid`: 16 hex characters.
    pub id: String,
    pub created: Epoch,
    pkcs8: Zeroizing<Vec<u8>>,
    pub pair: Arc<EcdsaKeyPair>,
}

impl std::fmt::Debug for OutboundKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundKey")
            .field("id", &self.id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

fn key_error(what: &str) -> ServerError {
    ServerError::Internal(format!("outbound signing key: {what}"))
}

impl OutboundKey {
    fn from_pkcs8(
        id: String,
        created: Epoch,
        pkcs8: Zeroizing<Vec<u8>>,
    ) -> Result<Self, ServerError> {
        let rng = ring::rand::SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|_| key_error("not a P-384 PKCS#8 key"))?;
        Ok(OutboundKey {
            id,
            created,
            pkcs8,
            pair: Arc::new(pair),
        })
    }

    pub fn generate(created: Epoch) -> Result<Self, ServerError> {
        let rng = ring::rand::SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
            .map_err(|_| key_error("generation failed"))?;
        let mut id = [0u8; 8];
        rand::rng().fill_bytes(&mut id);
        Self::from_pkcs8(
            hex::encode(id),
            created,
            Zeroizing::new(doc.as_ref().to_vec()),
        )
    }

    pub fn jwk(&self) -> jwt::Jwk {
        jwt::ec_jwk(&self.pair, ALGORITHM, &self.id)
    }
}

#[derive(Serialize, Deserialize)]
struct StoredKey {
    id: String,
    created: Epoch,
    sealed_pkcs8: String,
}

fn kek_aad(id: &str) -> Vec<u8> {
    format!("outbound_key/{id}").into_bytes()
}

impl Entity for OutboundKey {
    const TABLE: &'static str = "outbound_key";
    fn key(&self) -> String {
        self.id.clone()
    }
    fn encode(&self, kek: &Kek) -> Result<Vec<u8>, ServerError> {
        let sealed_pkcs8 = seal_field(kek, &self.pkcs8, &kek_aad(&self.id));
        serde_json::to_vec(&StoredKey {
            id: self.id.clone(),
            created: self.created,
            sealed_pkcs8,
        })
        .map_err(|e| key_error(&e.to_string()))
    }
    fn decode(record: &Record, kek: &Kek) -> Result<Self, ServerError> {
        let s: StoredKey =
            serde_json::from_slice(&record.value).map_err(|e| key_error(&e.to_string()))?;
        let what = format!("outbound signing key {}", s.id);
        let plain = open_field(kek, &s.sealed_pkcs8, &kek_aad(&s.id), &what)?;
        Self::from_pkcs8(s.id, s.created, plain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine as _;
    use serde_json::json;

    #[test]
    fn keys_are_sealed_at_rest_and_round_trip() {
        let kek = Kek::generate();
        let key = OutboundKey::generate(7).unwrap();
        let record = Record {
            table: OutboundKey::TABLE.into(),
            key: key.id.clone(),
            value: key.encode(&kek).unwrap(),
        };
        assert!(!String::from_utf8_lossy(&record.value).contains("BEGIN"));
        let back = OutboundKey::decode(&record, &kek).unwrap();
        assert_eq!(back.jwk(), key.jwk());
        assert!(OutboundKey::decode(&record, &Kek::generate()).is_err());
        assert!(!format!("{key:?}").contains("pkcs8"));
        // A token it signs verifies against its published JWK (P-384 coordinates).
        let jwk = key.jwk();
        assert_eq!(jwk.crv.as_deref(), Some("P-384"));
        let token = jwt::sign_ec(&back.pair, ALGORITHM, &back.id, &json!({"sub": "x"})).unwrap();
        let (input, sig) = token.rsplit_once('.').unwrap();
        let point = [
            vec![4u8],
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(jwk.x.unwrap())
                .unwrap(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(jwk.y.unwrap())
                .unwrap(),
        ]
        .concat();
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P384_SHA384_FIXED, point)
            .verify(
                input.as_bytes(),
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(sig)
                    .unwrap(),
            )
            .unwrap();
    }
}
