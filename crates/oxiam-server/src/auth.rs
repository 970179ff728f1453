//! Floor 4: who is calling, and may they.
//!
//! - [`authn`]: SigV4 verification against the keys of the snapshot; [`Caller`](authn::Caller).
//!   [`session_authn`]: the same for temporary credentials, opening the session token.
//! - [`target`]: [`Target`](target::Target), what a request asks to do as policies see it.
//! - [`authz`]: the root rule, then the policy engine's decision; AWS's AccessDenied text.
//! - [`decide`]: the bridge to `oxiam_policy`: a principal's policies and the request
//!   context ([`RequestEnv`](decide::RequestEnv)); [`session_decide`]: the same for sessions
//!   (session policies, session tags, what session credentials may never call).
//! - [`who_can`]: who can perform an action on a resource: every principal of an account,
//!   by the engine, sound over the condition keys the asker leaves open.
//! - [`message`]: the encoded denial messages `sts:DecodeAuthorizationMessage` opens.
//! - [`signin`]: console sign-in (password, lockout, MFA) for the console and the API;
//!   [`mfa`]: verifying TOTP codes of a principal's devices, without replay.

pub mod authn;
pub mod authz;
pub mod decide;
pub mod message;
pub mod mfa;
pub mod session_authn;
pub mod session_decide;
pub mod signin;
pub mod target;
pub mod who_can;
