//! oxiam-policy: the AWS IAM policy language — parse, validate, evaluate — exactly as AWS
//! evaluates it. Pure: no I/O, no async; embeddable by any Rust service.
//!
//! # Map
//! - `policy`: documents → validated, compiled [`Policy`] (`Policy::parse`,
//!   `Policy::parse_with` + [`ParseOptions`]); statements indexed by service prefix so
//!   evaluation touches only candidates. [`validate`] lists every problem, first the one AWS
//!   reports, with AWS's `MalformedPolicyDocument` messages ([`messages`]) and a [`Location`];
//!   size quotas per [`PolicyKind`] ([`limits`], [`SizeLimit`], `LimitExceeded`).
//! - `action`: `Action`/`NotAction` patterns grouped by exact service and each policy's
//!   statements indexed by service, searched by hashes of the lowercased service and name.
//! - `json`: a JSON parser that keeps byte offsets (errors carry line, column, JSON path).
//! - `wildcard`: `*`/`?` patterns and policy variables (`${aws:username}`,
//!   `${aws:x, 'default'}`, `${*}` `${?}` `${$}`), matched without allocation;
//!   [`wildcard_match`] exposes the matcher.
//! - [`arn`]: ARN splitting and segment-wise ARN patterns (`Resource`, `Arn*` operators).
//! - `condition`: every [`Operator`], `…IfExists`, [`SetQualifier`]s, `Null`
//!   ([`parse_operator`] splits an operator name, for tools); values
//!   pre-parsed at compile time (numbers, ISO 8601/epoch dates, CIDRs, base64).
//! - `principal`: `Principal`/`NotPrincipal` and how a statement names the caller
//!   ([`PrincipalMatch`]: exact, via the role, via the account).
//! - `context`: [`Principal`], [`PrincipalType`], [`Context`] (case-insensitive keys,
//!   [`ContextValue`] single or multi) and [`Context::for_principal`], which fills the global
//!   keys a principal implies.
//! - `evaluate`: [`evaluate`]`(&Request, &PolicySet) -> Decision` — explicit deny anywhere;
//!   SCP and RCP gates per level; same-account resource policies (user/session ARN grants
//!   alone, role ARN grants within boundary and session policies, account grants delegate);
//!   cross-account needs both sides; trust policies must allow; identity ∩ boundary ∩
//!   session. [`Decision`] names the deciding statements ([`Reason`]s, inline, no heap) and
//!   for denials the policy type that denied or failed to allow ([`DeniedBy`]).
//! - `report`: for tools (the policy simulator): [`statement_sources`] (each statement's
//!   start and end in the document, its context keys), [`context_keys`], and
//!   `Policy::statement_reaches` (action and resource match, before conditions).
//! - `assume`: for analyses over open context keys: [`OpenCondition`]s of a statement,
//!   `Policy::assuming` (a copy with each open statement decided one way).
//! - `error`: [`PolicyError`] (`message()` is AWS's text, `location()` ours), [`Finding`].
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

mod action;
pub mod arn;
mod assume;
mod condition;
mod context;
mod error;
mod evaluate;
mod json;
mod policy;
mod principal;
mod report;
mod wildcard;

pub use assume::{NamedPrincipal, OpenCondition};
pub use condition::{Operator, SetQualifier, parse_operator};
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
pub use report::{StatementSource, context_keys, statement_sources};

/// Matches `text` against a wildcard `pattern` (`*` any run, `?` one character) as the
/// engine does for actions (`case_insensitive`) and resources; no policy variables. For
/// tools and property tests; the engine compiles patterns once instead.
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let syntax = wildcard::Syntax {
        wildcards: true,
        variables: false,
    };
    wildcard::Pattern::compile(pattern, syntax).matches(text, case_insensitive, &|_, _| None)
}
