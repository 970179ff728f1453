//! Why a request's signature was refused, worded as AWS words it.
//!
//! The `Display` text of every variant is the message AWS IAM/STS send on the wire (they run on
//! the same request-authentication layer, whose messages are public in error reports), so the
//! server renders it unchanged. That is why these messages start with a capital and end with a
//! period, unlike the rest of the workspace. `reason()` says more for logs, and no variant ever
//! carries a presented or computed signature.

use std::fmt;

/// A refused SigV4 request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An `Authorization` header that is not SigV4 at all (e.g. `Bearer …`).
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,

    /// Both header and query-string authentication in one request.
    #[error(
        "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    )]
    HeaderAndQueryAuthentication,

    /// A component of the `Authorization` header without `=`.
    #[error(
        "'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
    )]
    NotKeyValuePair {
        /// The offending component.
        pair: String,
        /// The whole header, with any `Signature=` value replaced.
        header: String,
    },

    /// `Authorization` lacks parameters, or the request lacks a date.
    #[error("{0}")]
    IncompleteAuthorizationHeader(MissingHeaderParts),

    /// A presigned request lacks `X-Amz-*` parameters.
    #[error("{0}")]
    IncompleteQueryParameters(MissingQueryParameters),

    /// The request date is not in the form its source requires.
    #[error(
        "Date must be in ISO-8601 'basic format'. Got '{0}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )]
    MalformedDate(String),

    /// `host` is not among the signed headers.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,

    /// The date came from `X-Amz-Date`, but that header is not signed.
    #[error("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")]
    AmzDateNotSigned,

    /// An algorithm other than `AWS4-HMAC-SHA256` (e.g. SigV4a).
    #[error("Unsupported AWS 'algorithm': '{0}' (only AWS4-HMAC-SHA256 for now). ")]
    UnsupportedAlgorithm(String),

    /// A credential that is not `keyid/date/region/service/terminator`.
    #[error(
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{0}'"
    )]
    MalformedCredential(String),

    /// The credential scope does not fit the request (date, terminator, region, service).
    #[error("{0}")]
    CredentialScope(Box<ScopeMismatch>),

    /// `X-Amz-Expires` is not a non-negative integer.
    #[error("X-Amz-Expires should be a number")]
    MalformedExpires,

    /// `X-Amz-Expires` exceeds seven days.
    #[error("X-Amz-Expires must be less than a week (in seconds) that is 604800")]
    ExpiresTooLarge,

    /// The request is older than the clock window allows.
    #[error("Signature expired: {timestamp} is now earlier than {earliest} ({now} - {window}.)")]
    SignatureExpired {
        /// The request's timestamp (`X-Amz-Date`).
        timestamp: String,
        /// The earliest timestamp accepted now.
        earliest: String,
        /// The server's clock.
        now: String,
        /// How far back requests are accepted, e.g. `15 min`.
        window: Window,
    },

    /// The request is dated further ahead than the clock window allows.
    #[error(
        "Signature not yet current: {timestamp} is still later than {latest} ({now} + 15 min.)"
    )]
    SignatureNotYetCurrent {
        /// The request's timestamp (`X-Amz-Date`).
        timestamp: String,
        /// The latest timestamp accepted now.
        latest: String,
        /// The server's clock.
        now: String,
    },

    /// A header named in `SignedHeaders` is not in the request.
    #[error("{MISMATCH}")]
    SignedHeaderMissing {
        /// The lower-case header name.
        name: String,
    },

    /// `x-amz-content-sha256` does not hash the body that arrived.
    #[error("{MISMATCH}")]
    PayloadHashMismatch,

    /// `UNSIGNED-PAYLOAD` where it is not allowed (header signing, or a presigned request with a
    /// body, whose parameters would then go unauthenticated).
    #[error("{MISMATCH}")]
    UnsignedPayloadNotAllowed,

    /// An `x-amz-content-sha256` value that is neither a SHA-256 nor `UNSIGNED-PAYLOAD`
    /// (e.g. S3's streaming modes, which IAM and STS do not speak).
    #[error("{MISMATCH}")]
    UnsupportedPayloadHash,

    /// The signature is not the one the secret gives for this request.
    #[error("{MISMATCH}")]
    SignatureDoesNotMatch,
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

impl Error {
    /// The AWS error code sent on the wire for this refusal.
    #[must_use]
    pub fn aws_code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationToken",
            Self::NotKeyValuePair { .. }
            | Self::IncompleteAuthorizationHeader(_)
            | Self::IncompleteQueryParameters(_)
            | Self::MalformedDate(_)
            | Self::UnsupportedAlgorithm(_)
            | Self::MalformedCredential(_)
            | Self::MalformedExpires
            | Self::ExpiresTooLarge => "IncompleteSignature",
            Self::HeaderAndQueryAuthentication
            | Self::HostNotSigned
            | Self::AmzDateNotSigned
            | Self::CredentialScope(_)
            | Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::SignedHeaderMissing { .. }
            | Self::PayloadHashMismatch
            | Self::UnsignedPayloadNotAllowed
            | Self::UnsupportedPayloadHash
            | Self::SignatureDoesNotMatch => "SignatureDoesNotMatch",
        }
    }

    /// The HTTP status AWS IAM/STS answer with: 400 for a malformed signature, 403 otherwise.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        if self.aws_code() == "IncompleteSignature" {
            400
        } else {
            403
        }
    }

    /// A short, secret-free explanation for logs (the wire message is often deliberately vague).
    #[must_use]
    pub fn reason(&self) -> String {
        match self {
            Self::SignedHeaderMissing { name } => {
                format!("signed header `{name}` is absent from the request")
            }
            Self::PayloadHashMismatch => "x-amz-content-sha256 does not match the body".into(),
            Self::UnsignedPayloadNotAllowed => "UNSIGNED-PAYLOAD is not allowed here".into(),
            Self::UnsupportedPayloadHash => "unsupported x-amz-content-sha256 value".into(),
            Self::SignatureDoesNotMatch => "signature does not match".into(),
            other => other.to_string(),
        }
    }
}

/// How far back the clock window reaches, as AWS prints it in "Signature expired".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window(pub u32);

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(60) {
            write!(f, "{} min", self.0 / 60)
        } else {
            write!(f, "{} sec", self.0)
        }
    }
}

/// What an `Authorization` header lacks; AWS lists every missing part in one message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MissingHeaderParts {
    /// No `Credential=`.
    pub credential: bool,
    /// No `Signature=`.
    pub signature: bool,
    /// No `SignedHeaders=`.
    pub signed_headers: bool,
    /// Neither `X-Amz-Date` nor `Date`.
    pub date: bool,
    /// The header as received, with any `Signature=` value replaced.
    pub header: String,
}

impl MissingHeaderParts {
    pub(crate) fn any(&self) -> bool {
        self.credential || self.signature || self.signed_headers || self.date
    }
}

impl fmt::Display for MissingHeaderParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (missing, name) in [
            (self.credential, "Credential"),
            (self.signature, "Signature"),
            (self.signed_headers, "SignedHeaders"),
        ] {
            if missing {
                write!(f, "Authorization header requires '{name}' parameter. ")?;
            }
        }
        if self.date {
            f.write_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
            )?;
        }
        write!(f, "Authorization={}", self.header)
    }
}

/// Which `X-Amz-*` query parameters a presigned request lacks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MissingQueryParameters {
    /// No `X-Amz-Algorithm`.
    pub algorithm: bool,
    /// No `X-Amz-Credential`.
    pub credential: bool,
    /// No `X-Amz-Signature`.
    pub signature: bool,
    /// No `X-Amz-SignedHeaders`.
    pub signed_headers: bool,
    /// No `X-Amz-Date`.
    pub date: bool,
}

impl fmt::Display for MissingQueryParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (missing, name) in [
            (self.algorithm, "X-Amz-Algorithm"),
            (self.credential, "X-Amz-Credential"),
            (self.signature, "X-Amz-Signature"),
            (self.signed_headers, "X-Amz-SignedHeaders"),
            (self.date, "X-Amz-Date"),
        ] {
            if missing {
                write!(f, "AWS query-string parameters must include '{name}'. ")?;
            }
        }
        f.write_str("Re-examine the query-string parameters.")
    }
}

/// The ways a credential scope can be wrong; AWS reports all that apply, in this order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeMismatch {
    /// The region given, when the service does not accept it.
    pub region: Option<String>,
    /// The service expected, when another was given.
    pub service: Option<String>,
    /// The terminator given, when it is not `aws4_request`.
    pub terminator: Option<String>,
    /// `(scope date, request date, request timestamp)` when the dates differ.
    pub date: Option<(String, String, String)>,
}

impl ScopeMismatch {
    pub(crate) fn any(&self) -> bool {
        self.region.is_some()
            || self.service.is_some()
            || self.terminator.is_some()
            || self.date.is_some()
    }
}

impl fmt::Display for ScopeMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(region) = &self.region {
            write!(
                f,
                "Credential should be scoped to a valid region, not '{region}'. "
            )?;
        }
        if let Some(service) = &self.service {
            write!(
                f,
                "Credential should be scoped to correct service: '{service}'. "
            )?;
        }
        if let Some(terminator) = &self.terminator {
            write!(
                f,
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            )?;
        }
        if let Some((scope, date, timestamp)) = &self.date {
            write!(
                f,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope}' != '{date}', from '{timestamp}'."
            )?;
        }
        Ok(())
    }
}
