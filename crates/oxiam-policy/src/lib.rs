//! oxiam-policy: the AWS IAM policy language — parse, validate, evaluate — exactly as AWS
//! evaluates it. Pure: no I/O, no async; embeddable by any Rust service.
//!
//! # Map
//! - [`policy`](crate::Policy): documents → validated, compiled [`Policy`] (statements indexed
//!   by service prefix); [`validate`] lists every problem with AWS's `MalformedPolicyDocument`
//!   messages; size quotas per [`PolicyKind`] ([`limits`], [`ParseOptions`]).
//! - `json`: a JSON parser that keeps byte offsets, so errors carry a [`Location`]
//!   (line, column, JSON path).
//! - `wildcard`: `*`/`?` patterns and policy variables (`${aws:username}`,
//!   `${aws:x, 'default'}`, `${*}`), matched without allocation.
//! - [`arn`]: ARN splitting and segment-wise ARN patterns (`Resource`, `Arn*` operators).
//! - `condition`: every condition operator, `…IfExists`, `ForAllValues:`/`ForAnyValue:`,
//!   `Null`; values pre-parsed at compile time.
//! - `principal`: the `Principal`/`NotPrincipal` element and how it names the caller
//!   ([`PrincipalMatch`]).
//! - `context`: [`Principal`], [`Context`] (case-insensitive condition keys) and
//!   [`Context::for_principal`], which fills the global keys a principal implies.
//! - `evaluate`: [`evaluate`] — the AWS decision flow over a [`PolicySet`], returning a
//!   [`Decision`] with the deciding statements.
//! - `error`: [`PolicyError`], [`Finding`], AWS's message texts ([`messages`]).
//!
//! # Use
//! ```
//! use oxiam_policy::*;
//! let policy = Policy::parse(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow",
//!     "Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:username}/*"}}"#,
//!     PolicyKind::Identity).unwrap();
//! let principal = Principal { arn: "arn:aws:iam::111122223333:user/alice",
//!     account: "111122223333", kind: PrincipalType::User, role_arn: None,
//!     user_id: "AIDAEXAMPLE" };
//! let context = Context::for_principal(&principal, &[]);
//! let request = Request { principal, action: "s3:GetObject",
//!     resource: "arn:aws:s3:::bucket/alice/notes.txt", resource_account: None,
//!     context: &context };
//! let identity = [NamedPolicy { name: "AliceHome", policy: &policy }];
//! let decision = evaluate(&request, &PolicySet { identity: &identity, ..PolicySet::default() });
//! assert_eq!(decision.effect, Effect::Allow);
//! ```

pub mod arn;
mod condition;
mod context;
mod error;
mod evaluate;
mod json;
mod policy;
mod principal;
mod wildcard;

pub use condition::{Operator, SetQualifier};
pub use context::{Context, ContextValue, Principal, PrincipalType};
pub use error::{ErrorKind, Finding, Location, PolicyError, Severity, messages};
pub use evaluate::{
    Decision, DeniedBy, Effect, MAX_REASONS, NamedPolicy, PolicySet, PolicyType, Reason, Reasons,
    Request, evaluate,
};
pub use policy::{
    ParseOptions, Policy, PolicyKind, SizeLimit, StatementEffect, StatementInfo, Version, limits,
    validate, validate_with,
};
pub use principal::PrincipalMatch;

/// Matches `text` against a wildcard `pattern` (`*` any run, `?` one character) as the
/// engine does for actions (`case_insensitive`) and resources; no policy variables. For
/// tools and property tests; the engine compiles patterns once instead.
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let syntax = wildcard::Syntax {
        wildcards: true,
        variables: false,
    };
    wildcard::Pattern::compile(pattern, syntax).matches(text, case_insensitive, &|_| None)
}
