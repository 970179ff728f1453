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
pub use verify::verify;
