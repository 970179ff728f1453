//! Session tokens: a [`Session`] sealed with AES-256-GCM under a token key, and the token
//! keys themselves, which live in the store (sealed under the key-encryption key like access
//! key secrets) so that every node opens every token.
//!
//! Token, version 1, sent base64 (standard alphabet):
//! ```text
//! token = version:u8 (=1) key_id:8 bytes nonce:12 bytes ciphertext tag:16 bytes
//! AEAD associated data = "oxiam/sts-token" || version || key_id
//! plaintext = the session as JSON
//! ```
//! Key rotation: a new key seals tokens every [`ROTATE_AFTER`]; a key is deleted only once
//! every token it can have sealed has expired ([`RETAIN`]), so rotation never cuts a live
//! session short.

use std::sync::Arc;

use aes_gcm::aead::AeadInPlace as _;
use aes_gcm::{Aes256Gcm, KeyInit as _, Nonce, Tag};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use oxiam_store::Record;
use oxiam_store::crypto::Kek;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::model::Epoch;
use crate::model::error::ServerError;
use crate::model::session::Session;
use crate::state::{Entity, State, Table, Tx, open_field, seal_field};

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const AAD_PREFIX: &[u8] = b"oxiam/sts-token";

/// How long one token key seals new tokens.
pub const ROTATE_AFTER: Epoch = 24 * 3600;
/// The longest a session lasts (`GetSessionToken` of an IAM user: 36 hours).
pub const MAX_SESSION_SECONDS: Epoch = 129_600;
/// How long a key is kept after it stopped sealing: until its last token has expired.
pub const RETAIN: Epoch = ROTATE_AFTER + MAX_SESSION_SECONDS;

/// One token key. The key bytes stay in this struct (and, sealed, in the store).
#[derive(Clone)]
pub struct TokenKey {
    /// 16 hex characters: the key ID bytes a token names its key by.
    pub id: String,
    pub created: Epoch,
    id_bytes: [u8; KEY_ID_LEN],
    key: Zeroizing<[u8; 32]>,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("id", &self.id)
            .field("created", &self.created)
            .finish_non_exhaustive()
    }
}

/// Why a token does not open. All of them reach the caller as the same
/// `InvalidClientTokenId`: a client learns nothing about which check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    UnknownKey,
    Tampered,
}

impl TokenKey {
    fn new(id_bytes: [u8; KEY_ID_LEN], key: Zeroizing<[u8; 32]>, created: Epoch) -> TokenKey {
        let cipher = Aes256Gcm::new((&*key).into());
        TokenKey {
            id: hex::encode(id_bytes),
            created,
            id_bytes,
            key,
            cipher,
        }
    }

    /// A fresh random key.
    pub fn generate(created: Epoch) -> TokenKey {
        let mut id = [0u8; KEY_ID_LEN];
        let mut key = Zeroizing::new([0u8; 32]);
        // ThreadRng is a CSPRNG seeded from the OS.
        rand::rng().fill_bytes(&mut id);
        rand::rng().fill_bytes(key.as_mut_slice());
        TokenKey::new(id, key, created)
    }

    /// Seals `session` into a token.
    pub fn seal(&self, session: &Session) -> Result<String, ServerError> {
        let body = Zeroizing::new(
            serde_json::to_vec(session)
                .map_err(|e| ServerError::Internal(format!("encoding a session: {e}")))?,
        );
        self.seal_bytes(AAD_PREFIX, &body)
    }

    /// Seals `plain` in the token format, bound by the associated data to `purpose`: a
    /// blob sealed for one purpose (a console cookie) never opens as another (a session
    /// token).
    pub fn seal_bytes(&self, purpose: &[u8], plain: &[u8]) -> Result<String, ServerError> {
        let mut body = Zeroizing::new(plain.to_vec());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let tag = self
            .cipher
            .encrypt_in_place_detached(
                &Nonce::from(nonce),
                &aad(purpose, &self.id_bytes),
                body.as_mut_slice(),
            )
            .map_err(|_| ServerError::Internal("sealing failed".into()))?;
        let mut out = Vec::with_capacity(1 + KEY_ID_LEN + NONCE_LEN + body.len() + TAG_LEN);
        out.push(VERSION);
        out.extend_from_slice(&self.id_bytes);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out.extend_from_slice(&tag);
        Ok(B64.encode(out))
    }
}

fn aad(purpose: &[u8], key_id: &[u8; KEY_ID_LEN]) -> Vec<u8> {
    let mut out = Vec::with_capacity(purpose.len() + 1 + KEY_ID_LEN);
    out.extend_from_slice(purpose);
    out.push(VERSION);
    out.extend_from_slice(key_id);
    out
}

/// Opens a token with the keys of `state`.
pub fn open(state: &State, token: &str) -> Result<Session, TokenError> {
    let plain = open_bytes(state, AAD_PREFIX, token)?;
    // Authenticated bytes that do not decode were sealed by another version of oxiam.
    serde_json::from_slice(&plain).map_err(|_| TokenError::Malformed)
}

/// Opens a blob [`TokenKey::seal_bytes`] sealed for `purpose`.
pub fn open_bytes(
    state: &State,
    purpose: &[u8],
    token: &str,
) -> Result<Zeroizing<Vec<u8>>, TokenError> {
    let bytes = B64.decode(token).map_err(|_| TokenError::Malformed)?;
    let (&version, rest) = bytes.split_first().ok_or(TokenError::Malformed)?;
    if version != VERSION {
        return Err(TokenError::Malformed);
    }
    let (id, rest) = rest
        .split_at_checked(KEY_ID_LEN)
        .ok_or(TokenError::Malformed)?;
    let (nonce, rest) = rest
        .split_at_checked(NONCE_LEN)
        .ok_or(TokenError::Malformed)?;
    let body_len = rest
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(TokenError::Malformed)?;
    let (ciphertext, tag) = rest
        .split_at_checked(body_len)
        .ok_or(TokenError::Malformed)?;
    let id: [u8; KEY_ID_LEN] = id.try_into().map_err(|_| TokenError::Malformed)?;
    let key = state
        .sts_keys
        .get(&hex::encode(id))
        .ok_or(TokenError::UnknownKey)?;
    let mut plain = Zeroizing::new(ciphertext.to_vec());
    key.cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(nonce),
            &aad(purpose, &id),
            plain.as_mut_slice(),
            Tag::from_slice(tag),
        )
        .map_err(|_| TokenError::Tampered)?;
    Ok(plain)
}

/// The key that seals new tokens at `now`, if one is young enough.
pub fn current(keys: &Table<TokenKey>, now: Epoch) -> Option<Arc<TokenKey>> {
    keys.values()
        .filter(|k| now - k.created < ROTATE_AFTER)
        .max_by_key(|k| k.created)
        .cloned()
}

/// Makes a new sealing key when rotation is due (dropping keys past [`RETAIN`]); the
/// current one otherwise.
pub fn rotate(tx: &mut Tx, now: Epoch) -> Result<Arc<TokenKey>, ServerError> {
    if let Some(k) = current(&tx.state().sts_keys, now) {
        return Ok(k);
    }
    let expired: Vec<String> = tx
        .state()
        .sts_keys
        .values()
        .filter(|k| now - k.created > RETAIN)
        .map(|k| k.id.clone())
        .collect();
    for id in expired {
        tx.delete::<TokenKey>(&id);
    }
    let key = TokenKey::generate(now);
    tx.put(key.clone())?;
    Ok(Arc::new(key))
}

/// The stored form: the key sealed under the key-encryption key, bound to its ID.
#[derive(Serialize, Deserialize)]
struct StoredTokenKey {
    id: String,
    created: Epoch,
    sealed_key: String,
}

fn kek_aad(id: &str) -> Vec<u8> {
    format!("sts_key/{id}").into_bytes()
}

impl Entity for TokenKey {
    const TABLE: &'static str = "sts_key";
    fn key(&self) -> String {
        self.id.clone()
    }
    fn encode(&self, kek: &Kek) -> Result<Vec<u8>, ServerError> {
        let sealed_key = seal_field(kek, self.key.as_slice(), &kek_aad(&self.id));
        serde_json::to_vec(&StoredTokenKey {
            id: self.id.clone(),
            created: self.created,
            sealed_key,
        })
        .map_err(|e| ServerError::Internal(format!("encoding a token key: {e}")))
    }
    fn decode(record: &Record, kek: &Kek) -> Result<Self, ServerError> {
        let corrupt =
            |what: &str| ServerError::Internal(format!("corrupt token key {}: {what}", record.key));
        let s: StoredTokenKey =
            serde_json::from_slice(&record.value).map_err(|e| corrupt(&e.to_string()))?;
        let what = format!("token key {}", s.id);
        let plain = open_field(kek, &s.sealed_key, &kek_aad(&s.id), &what)?;
        let mut key = Zeroizing::new([0u8; 32]);
        let id_bytes: [u8; KEY_ID_LEN] = hex::decode(&s.id)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| corrupt("key ID"))?;
        if plain.len() != key.len() {
            return Err(corrupt("key length"));
        }
        key.copy_from_slice(&plain);
        Ok(TokenKey::new(id_bytes, key, s.created))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::session::tests::role_session;

    fn state_with(key: &TokenKey) -> State {
        let mut tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        tx.put(key.clone()).unwrap();
        tx.finish().unwrap().1
    }

    #[test]
    fn tokens_open_with_their_key_only() {
        let key = TokenKey::generate(0);
        let state = state_with(&key);
        let token = key.seal(&role_session()).unwrap();
        assert_eq!(open(&state, &token).unwrap(), role_session());
        // The secret is not readable in the token.
        assert!(!String::from_utf8_lossy(&B64.decode(&token).unwrap()).contains("ssss"));
        // Another deployment's key (same ID unknown here) does not open it.
        assert_eq!(
            open(&state_with(&TokenKey::generate(0)), &token),
            Err(TokenError::UnknownKey)
        );
        // Any flipped bit is caught.
        let mut bytes = B64.decode(&token).unwrap();
        for i in [0, 3, 12, 25, bytes.len() / 2, bytes.len() - 1] {
            bytes[i] ^= 1;
            assert!(open(&state, &B64.encode(&bytes)).is_err(), "byte {i}");
            bytes[i] ^= 1;
        }
        assert_eq!(open(&state, "not base64!"), Err(TokenError::Malformed));
        // A blob sealed for another purpose does not open as a session, nor the reverse.
        let other = key.seal_bytes(b"oxiam/other", b"{}").unwrap();
        assert_eq!(open(&state, &other), Err(TokenError::Tampered));
        assert!(open_bytes(&state, b"oxiam/other", &token).is_err());
        assert_eq!(&*open_bytes(&state, b"oxiam/other", &other).unwrap(), b"{}");
        assert_eq!(open(&state, ""), Err(TokenError::Malformed));
    }

    #[test]
    fn keys_are_sealed_at_rest_and_round_trip() {
        let kek = Kek::generate();
        let key = TokenKey::generate(42);
        let record = Record {
            table: TokenKey::TABLE.into(),
            key: key.id.clone(),
            value: key.encode(&kek).unwrap(),
        };
        let back = TokenKey::decode(&record, &kek).unwrap();
        assert_eq!((back.id.as_str(), back.created), (key.id.as_str(), 42));
        let token = key.seal(&role_session()).unwrap();
        let state = state_with(&back);
        assert!(open(&state, &token).is_ok());
        assert!(TokenKey::decode(&record, &Kek::generate()).is_err());
        assert!(!format!("{key:?}").contains("key:"));
    }

    #[test]
    fn rotation_keeps_old_keys_until_their_tokens_expired() {
        let mut state = Arc::new(State::default());
        let kek = Arc::new(Kek::generate());
        let mut step = |now: Epoch| {
            let mut tx = Tx::new(Arc::clone(&state), Arc::clone(&kek));
            let k = rotate(&mut tx, now).unwrap();
            if let Some((_, s)) = tx.finish() {
                state = Arc::new(s);
            }
            (k.id.clone(), state.sts_keys.len())
        };
        let (first, n) = step(0);
        assert_eq!(n, 1);
        assert_eq!(step(ROTATE_AFTER - 1), (first.clone(), 1));
        let (second, n) = step(ROTATE_AFTER);
        assert_ne!(second, first);
        assert_eq!(n, 2, "the old key still opens its tokens");
        let (_, n) = step(RETAIN + 1);
        assert_eq!(n, 2, "the first key is dropped, the second kept");
    }
}
