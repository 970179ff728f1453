//! The secret half of an access key, as a type that cannot leak by accident.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret access key: zeroized on drop, `Debug` prints a placeholder, equality is
/// constant time.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretAccessKey(String);

impl SecretAccessKey {
    /// Wraps a secret access key.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for deriving signing keys or sealing it at rest.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares two secrets in time independent of where they first differ.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl PartialEq for SecretAccessKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other)
    }
}

impl Eq for SecretAccessKey {}

impl fmt::Debug for SecretAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretAccessKey(**redacted**)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let secret = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let shown = format!("{secret:?}");
        assert!(!shown.contains("wJalr"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn equality_compares_content() {
        let a = SecretAccessKey::new("abc");
        assert_eq!(a, SecretAccessKey::new("abc"));
        assert_ne!(a, SecretAccessKey::new("abd"));
        assert_ne!(a, SecretAccessKey::new("abcd"));
        assert_eq!(a.expose(), "abc");
    }
}
