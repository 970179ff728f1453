//! AWS Signature Version 4 for oxiam: parse, canonicalise, verify, sign. Pure: no I/O, no
//! async, no other oxiam crate.
//!
//! The server's authentication step is three calls:
//! ```text
//! parse(&req)?            -> None (anonymous) | Parsed { access_key_id, scope, … }
//! parsed.check_scope(..)? -> region and service fit this endpoint
//! verify(&req, &parsed, &secret, now, &cache)?   (after looking up the key's secret)
//! ```
//!
//! ```
//! use oxiam_sigv4::{HttpRequest, SecretAccessKey, SigningKeyCache, SigningParams};
//! use time::macros::datetime;
//!
//! let secret = SecretAccessKey::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let now = datetime!(2026-11-23 08:15:30 UTC);
//! let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let unsigned = [("Host", "127.0.0.1:4599")];
//! let req = HttpRequest { method: "POST", path: "/", query: "", headers: &unsigned, body };
//! let params = SigningParams {
//!     access_key_id: "AKIAIOSFODNN7EXAMPLE",
//!     secret: &secret,
//!     region: "us-east-1",
//!     service: "sts",
//!     timestamp: now,
//!     session_token: None,
//! };
//! let added = oxiam_sigv4::sign(&req, &params)?;
//! let mut headers = unsigned.to_vec();
//! headers.extend(added.iter().map(|(name, value)| (*name, value.as_str())));
//! let req = HttpRequest { headers: &headers, ..req };
//!
//! // The server side.
//! let parsed = oxiam_sigv4::parse(&req)?.expect("the request is signed");
//! assert_eq!(parsed.access_key_id, "AKIAIOSFODNN7EXAMPLE");
//! parsed.check_scope(&[], "sts")?;
//! let cache = SigningKeyCache::default();
//! oxiam_sigv4::verify(&req, &parsed, &secret, now, &cache)?;
//! # Ok::<(), oxiam_sigv4::Error>(())
//! ```
//!
//! Modules, named after the steps of the AWS specification:
//! - [`parse`](mod@parse): what a request claims (`Authorization` header or `X-Amz-*` query).
//! - [`canonical_request`]: task 1, streamed into SHA-256 on the hot path.
//! - [`string_to_sign`]: task 2.
//! - [`signing_key`]: task 3, and the [`SigningKeyCache`] that makes verification cheap.
//! - [`verify`](mod@verify) and [`sign`](mod@sign): task 4, for the server and for clients.
//! - `error`: [`Error`], whose messages are AWS's own, with [`Error::aws_code`].
//! - `secret`: [`SecretAccessKey`]; `request`: [`HttpRequest`]; `timestamp`: date formats.

pub mod canonical_request;
mod error;
pub mod parse;
mod request;
mod secret;
pub mod sign;
pub mod signing_key;
pub mod string_to_sign;
mod timestamp;
pub mod verify;

pub use error::{Error, MissingHeaderParts, MissingQueryParameters, ScopeMismatch, Window};
pub use parse::{DateSource, Parsed, SignatureKind, parse};
pub use request::HttpRequest;
pub use secret::SecretAccessKey;
pub use sign::{SigningParams, presign, sign};
pub use signing_key::{SigningKey, SigningKeyCache};
pub use verify::{verify, verify_forwarded};
