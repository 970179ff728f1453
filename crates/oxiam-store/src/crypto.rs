//! Secrets at rest: the key-encryption key ([`Kek`]) and the sealed envelope.
//!
//! Secret access keys must be recoverable (SigV4 needs the secret to recompute a signature),
//! so they cannot be hashed like passwords; they are encrypted with AES-256-GCM under one
//! key-encryption key that lives outside the database (a 0600 file in the data directory, an
//! environment variable or config). A stolen database file alone reveals no secret.
//!
//! Envelope, version 1:
//! ```text
//! sealed = version:u8 (=1) nonce:12 bytes ciphertext tag:16 bytes
//! AEAD associated data = version || aad
//! ```
//! `aad` names the place the secret belongs to (e.g. `access_key/AKIA…`), so a sealed value
//! copied into another record does not open there. The version byte is authenticated too,
//! so a later format cannot be confused with this one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use aes_gcm::aead::AeadInPlace as _;
use aes_gcm::{Aes256Gcm, KeyInit as _, Nonce, Tag};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore as _;
use zeroize::Zeroizing;

/// The key-file name inside the data directory.
pub const KEK_FILE_NAME: &str = "kek";

const KEY_LEN: usize = 32;
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// A key file is 44 base64 characters and a newline; anything much larger is not a key file.
const MAX_KEY_FILE_LEN: u64 = 1024;

/// Why a key could not be loaded or a sealed value not opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("cannot access key file `{path}`")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The key file is readable or writable by other users, so it may already be disclosed.
    #[error(
        "key file `{path}` has mode {mode:03o}, so other users may read it; run `chmod 600` on it (and rotate the key if it was exposed)"
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },
    // The decoder's own message is left out: it quotes a byte of the key.
    #[error("key is not valid base64")]
    KeyEncoding,
    #[error("key must be {KEY_LEN} bytes, got {len}")]
    KeyLength { len: usize },
    #[error("key file `{path}` is larger than a key")]
    KeyFileTooLarge { path: PathBuf },
    #[error("sealed value is {len} bytes, shorter than the envelope")]
    Truncated { len: usize },
    #[error("sealed value has unknown format version {version}")]
    UnsupportedVersion { version: u8 },
    /// Wrong key, wrong associated data or tampered bytes; AEAD cannot tell which.
    #[error("sealed value failed authentication (wrong key, wrong context or tampered)")]
    Decrypt,
}

/// Key-encryption key (AES-256-GCM). Zeroized on drop; `Debug` shows a placeholder.
pub struct Kek {
    // INVARIANT (kek-secret): the key bytes never leave this struct: no Clone, no accessor,
    // no serialization, a redacted Debug.
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(<redacted>)")
    }
}

impl Kek {
    /// Reads `<dir>/kek` or creates it (32 random bytes, base64) with mode 0600.
    ///
    /// Creation is atomic: the key is written to a fresh 0600 temporary file, synced, and
    /// hard-linked into place, which fails if another process created the key meanwhile (its
    /// key is then used). An existing key file that group or others may access is refused.
    pub fn load_or_create(dir: &Path) -> Result<Kek, CryptoError> {
        let path = dir.join(KEK_FILE_NAME);
        match File::open(&path) {
            Ok(file) => return read_key_file(file, &path),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(CryptoError::Io { path, source }),
        }
        create_private_dir(dir)?;
        let kek = Kek::generate();
        let encoded = Zeroizing::new(format!("{}\n", BASE64.encode(kek.key.as_slice())));
        match write_new_key_file(dir, &path, encoded.as_bytes()) {
            Ok(()) => Ok(kek),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                let file = File::open(&path).map_err(|source| CryptoError::Io {
                    path: path.clone(),
                    source,
                })?;
                read_key_file(file, &path)
            }
            Err(source) => Err(CryptoError::Io { path, source }),
        }
    }

    /// From a base64 string (env `OXIAM_KEK` / config). Surrounding whitespace is ignored.
    pub fn from_base64(s: &str) -> Result<Kek, CryptoError> {
        let decoded = Zeroizing::new(
            BASE64
                .decode(s.trim())
                .map_err(|_| CryptoError::KeyEncoding)?,
        );
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if decoded.len() != KEY_LEN {
            return Err(CryptoError::KeyLength { len: decoded.len() });
        }
        key.copy_from_slice(&decoded);
        Ok(Kek { key })
    }

    /// A fresh random key (for tests, `--dev`, and first start).
    pub fn generate() -> Kek {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        // ThreadRng is a CSPRNG (ChaCha12) seeded and periodically reseeded from the OS.
        rand::rng().fill_bytes(key.as_mut_slice());
        Kek { key }
    }

    /// Encrypts `plaintext` into a versioned envelope: 1 byte format version, 12-byte random
    /// nonce, ciphertext and tag. `aad` binds the ciphertext to its place (e.g.
    /// "access_key/AKIA…"); [`Kek::open`] must be given the same `aad`.
    ///
    /// Random 96-bit nonces are safe for far more seals than one deployment makes with one
    /// key (NIST SP 800-38D bounds them at 2^32 per key).
    ///
    /// # Panics
    /// Only if `plaintext` is longer than AES-GCM allows (about 64 GiB).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut sealed = Vec::with_capacity(plaintext.len() + SEAL_OVERHEAD);
        sealed.push(FORMAT_V1);
        sealed.extend_from_slice(&nonce);
        let header_len = sealed.len();
        sealed.extend_from_slice(plaintext);
        let body = sealed.get_mut(header_len..).unwrap_or_default();
        #[expect(
            clippy::expect_used,
            reason = "AES-GCM fails only for plaintexts over 64 GiB, which no caller seals"
        )]
        let tag = self
            .cipher()
            .encrypt_in_place_detached(&Nonce::from(nonce), &bound_aad(aad), body)
            .expect("plaintext within AES-GCM limits");
        sealed.extend_from_slice(&tag);
        sealed
    }

    /// Decrypts an envelope made by [`Kek::seal`] with the same key and `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let truncated = || CryptoError::Truncated { len: sealed.len() };
        let (&version, rest) = sealed.split_first().ok_or_else(truncated)?;
        if version != FORMAT_V1 {
            return Err(CryptoError::UnsupportedVersion { version });
        }
        let (nonce, rest) = rest.split_at_checked(NONCE_LEN).ok_or_else(truncated)?;
        let body_len = rest.len().checked_sub(TAG_LEN).ok_or_else(truncated)?;
        let (ciphertext, tag) = rest.split_at_checked(body_len).ok_or_else(truncated)?;
        let mut plaintext = Zeroizing::new(ciphertext.to_vec());
        self.cipher()
            .decrypt_in_place_detached(
                Nonce::from_slice(nonce),
                &bound_aad(aad),
                plaintext.as_mut_slice(),
                Tag::from_slice(tag),
            )
            .map_err(|_| CryptoError::Decrypt)?;
        Ok(plaintext)
    }

    fn cipher(&self) -> Aes256Gcm {
        // Built per call from the zeroized key rather than cached: aes-gcm 0.10 only scrubs
        // its key schedule with feature flags on three of its sub-crates.
        let key: &[u8; KEY_LEN] = &self.key;
        Aes256Gcm::new(key.into())
    }
}

fn bound_aad(aad: &[u8]) -> Vec<u8> {
    let mut bound = Vec::with_capacity(aad.len() + 1);
    bound.push(FORMAT_V1);
    bound.extend_from_slice(aad);
    bound
}

fn read_key_file(file: File, path: &Path) -> Result<Kek, CryptoError> {
    let io_err = |source| CryptoError::Io {
        path: path.to_owned(),
        source,
    };
    let metadata = file.metadata().map_err(io_err)?;
    check_private(&metadata, path)?;
    if metadata.len() > MAX_KEY_FILE_LEN {
        return Err(CryptoError::KeyFileTooLarge {
            path: path.to_owned(),
        });
    }
    let mut encoded = Zeroizing::new(String::new());
    file.take(MAX_KEY_FILE_LEN)
        .read_to_string(&mut encoded)
        .map_err(io_err)?;
    Kek::from_base64(&encoded)
}

#[cfg(unix)]
fn check_private(metadata: &fs::Metadata, path: &Path) -> Result<(), CryptoError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CryptoError::InsecurePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_metadata: &fs::Metadata, _path: &Path) -> Result<(), CryptoError> {
    Ok(())
}

fn create_private_dir(dir: &Path) -> Result<(), CryptoError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| CryptoError::Io {
        path: dir.to_owned(),
        source,
    })
}

/// Writes `contents` to `path`, failing with `AlreadyExists` if `path` exists.
fn write_new_key_file(dir: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut suffix = [0u8; 8];
    rand::rng().fill_bytes(&mut suffix);
    let tmp = dir.join(format!(
        ".{KEK_FILE_NAME}.{}.tmp",
        u64::from_le_bytes(suffix)
    ));
    let result = write_private_file(&tmp, contents).and_then(|()| fs::hard_link(&tmp, path));
    // The temporary name is ours alone (create_new), so removing it cannot hurt another writer.
    let _ignored = fs::remove_file(&tmp);
    result?;
    sync_dir(dir)
}

fn write_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    // The mode given to open is filtered by the umask; set it exactly before the key is written.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents)?;
    file.sync_all()
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip() {
        let kek = Kek::generate();
        for plaintext in [&b""[..], b"s", &[0u8; 40], &vec![7u8; 100_000]] {
            let sealed = kek.seal(plaintext, b"access_key/AKIA1");
            assert_eq!(sealed.len(), plaintext.len() + SEAL_OVERHEAD);
            assert_eq!(sealed[0], FORMAT_V1);
            let opened = kek.open(&sealed, b"access_key/AKIA1").unwrap();
            assert_eq!(opened.as_slice(), plaintext);
        }
    }

    #[test]
    fn wrong_aad_fails() {
        let kek = Kek::generate();
        let sealed = kek.seal(b"secret", b"access_key/AKIA1");
        assert!(matches!(
            kek.open(&sealed, b"access_key/AKIA2"),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(kek.open(&sealed, b""), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn every_tampered_byte_fails() {
        let kek = Kek::generate();
        let sealed = kek.seal(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", b"k");
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(
                kek.open(&tampered, b"k").is_err(),
                "flip at byte {i} opened"
            );
        }
        assert!(kek.open(&sealed[..sealed.len() - 1], b"k").is_err());
    }

    #[test]
    fn wrong_key_fails() {
        let sealed = Kek::generate().seal(b"secret", b"k");
        assert!(matches!(
            Kek::generate().open(&sealed, b"k"),
            Err(CryptoError::Decrypt)
        ));
    }

    #[test]
    fn short_or_unknown_envelopes_are_errors() {
        let kek = Kek::generate();
        for len in 0..SEAL_OVERHEAD {
            let mut short = vec![0u8; len];
            if let Some(first) = short.first_mut() {
                *first = FORMAT_V1;
            }
            assert!(
                matches!(kek.open(&short, b""), Err(CryptoError::Truncated { .. })),
                "{len}"
            );
        }
        let mut sealed = kek.seal(b"x", b"");
        sealed[0] = 2;
        assert!(matches!(
            kek.open(&sealed, b""),
            Err(CryptoError::UnsupportedVersion { version: 2 })
        ));
    }

    #[test]
    fn nonces_differ() {
        let kek = Kek::generate();
        let nonces: std::collections::HashSet<Vec<u8>> = (0..1000)
            .map(|_| kek.seal(b"same", b"same")[1..1 + NONCE_LEN].to_vec())
            .collect();
        assert_eq!(nonces.len(), 1000);
    }

    #[test]
    fn from_base64_checks_encoding_and_length() {
        let encoded = BASE64.encode([9u8; KEY_LEN]);
        let kek = Kek::from_base64(&format!("  {encoded}\n")).unwrap();
        let same = Kek::from_base64(&encoded).unwrap();
        assert_eq!(
            same.open(&kek.seal(b"x", b"a"), b"a").unwrap().as_slice(),
            b"x"
        );
        assert!(matches!(
            Kek::from_base64("not base64!"),
            Err(CryptoError::KeyEncoding)
        ));
        assert!(matches!(
            Kek::from_base64(&BASE64.encode([1u8; 16])),
            Err(CryptoError::KeyLength { len: 16 })
        ));
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let kek = Kek::from_base64(&BASE64.encode([0xabu8; KEY_LEN])).unwrap();
        let shown = format!("{kek:?}");
        assert_eq!(shown, "Kek(<redacted>)");
    }

    #[cfg(unix)]
    mod key_file {
        use super::*;
        use std::os::unix::fs::PermissionsExt as _;

        fn mode(path: &Path) -> u32 {
            fs::metadata(path).unwrap().permissions().mode() & 0o777
        }

        #[test]
        fn created_0600_and_reloaded() {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("data").join("nested");
            let kek = Kek::load_or_create(&dir).unwrap();
            let path = dir.join(KEK_FILE_NAME);
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&dir), 0o700);
            let contents = fs::read_to_string(&path).unwrap();
            assert_eq!(BASE64.decode(contents.trim()).unwrap().len(), KEY_LEN);
            // Only the key file is left behind, no temporary.
            assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);

            let again = Kek::load_or_create(&dir).unwrap();
            let sealed = kek.seal(b"secret", b"aad");
            assert_eq!(again.open(&sealed, b"aad").unwrap().as_slice(), b"secret");
        }

        #[test]
        fn group_or_world_accessible_key_file_is_refused() {
            let tmp = tempfile::tempdir().unwrap();
            Kek::load_or_create(tmp.path()).unwrap();
            let path = tmp.path().join(KEK_FILE_NAME);
            for bad in [0o644, 0o640, 0o604, 0o660] {
                fs::set_permissions(&path, fs::Permissions::from_mode(bad)).unwrap();
                let err = Kek::load_or_create(tmp.path()).unwrap_err();
                assert!(
                    matches!(err, CryptoError::InsecurePermissions { mode, .. } if mode == bad),
                    "{bad:o}: {err:?}"
                );
                assert!(err.to_string().contains("chmod 600"));
            }
            fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).unwrap();
            assert!(Kek::load_or_create(tmp.path()).is_ok());
        }

        #[test]
        fn garbage_key_file_is_an_error_not_a_new_key() {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().join(KEK_FILE_NAME);
            write_private_file(&path, b"short").unwrap();
            assert!(Kek::load_or_create(tmp.path()).is_err());
            assert_eq!(fs::read(&path).unwrap(), b"short");
        }

        #[test]
        fn concurrent_creators_agree_on_one_key() {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            let keks: Vec<Kek> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| s.spawn(|| Kek::load_or_create(dir).unwrap()))
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let sealed = keks[0].seal(b"one key", b"");
            for kek in &keks {
                assert_eq!(kek.open(&sealed, b"").unwrap().as_slice(), b"one key");
            }
            assert_eq!(fs::read_dir(dir).unwrap().count(), 1);
        }
    }
}
