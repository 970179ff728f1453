//! The wire formats of the APIs oxiam serves: AWS Query for IAM (2010-05-08) and STS
//! (2011-06-15), REST-JSON for IAM Access Analyzer (2019-11-01).
//!
//! Module map:
//! - [`query`]: `application/x-www-form-urlencoded` bodies and URL query strings → [`query::Params`].
//! - [`xml`]: [`xml::XmlWriter`], the escaping XML writer the response encoders use.
//! - [`error`]: [`error::ErrorCode`] (the generated table of every wire error code with its HTTP
//!   status and fault side) and [`error::ApiError`] with the one function that renders the
//!   AWS Query error envelope.
//! - [`types`]: [`types::DateTime`], the timestamp type of the models.
//! - [`iam`], [`sts`]: generated from `data/models/` by `cargo xtask codegen`: one struct per
//!   model structure, `Operation`, `Request::decode` (decoding plus the model's constraints,
//!   reported as AWS reports them) and `Response::to_xml` (result wrappers and RequestId).
//! - [`rest_json`]: the REST-JSON primitives (routing by method and path template, the JSON
//!   decoder that collects violations, [`rest_json::HttpRequest`], the JSON encoder) that
//!   the generated [`accessanalyzer`] calls.
//! - [`accessanalyzer`]: generated the same way from the REST-JSON model: one struct per
//!   structure, one enum per union, `Operation::route`, `Request::decode` (labels, query
//!   string and body; constraints as one `ValidationException`) and `Response::to_json`.
//! - [`authorization`]: the JSON of oxiam's own authorization API for other services
//!   (`POST /authorization/v1/decisions`), shared by the server and `oxiam-client`.
//! - `codec` (private): the decoding and encoding primitives the generated code calls, so the
//!   generated files stay small.
//! - `pattern` (private): the Java-regex subset of the models' `pattern` constraints.
//!
//! Decoding errors, in the order they are checked: no `Action` → `MissingAction`; an unknown
//! action or another `Version` → `InvalidAction`; a value that is not of its type (`MaxItems=x`,
//! `UserName.1=…`) → `MalformedInput`; otherwise every violated constraint (required, length,
//! pattern, enum, range) in one `ValidationError`, worded as AWS words it.
//!
//! The botocore models are the contract; where AWS behaviour is not in them (validation
//! messages, the common errors), this crate follows AWS's documented or observed behaviour and
//! says so where it does.

pub mod accessanalyzer;
pub mod authorization;
pub mod error;
pub mod iam;
pub mod query;
pub mod rest_json;
pub mod sts;
pub mod types;
pub mod xml;

mod codec;
mod pattern;

pub use codec::Input;

/// The AWS Query service a request is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// AWS Identity and Access Management, API version 2010-05-08.
    Iam,
    /// AWS Security Token Service, API version 2011-06-15.
    Sts,
}

impl Service {
    /// The XML namespace of responses and error envelopes (the model's `xmlNamespace`).
    pub fn namespace(self) -> &'static str {
        match self {
            Self::Iam => iam::XML_NAMESPACE,
            Self::Sts => sts::XML_NAMESPACE,
        }
    }

    /// The API version a request's `Version` parameter must carry when present.
    pub fn version(self) -> &'static str {
        match self {
            Self::Iam => iam::API_VERSION,
            Self::Sts => sts::API_VERSION,
        }
    }
}
