//! Floor 6: the ways requests arrive, each reaching authorization and dispatch through
//! [`pipeline`].
//!
//! - [`pipeline`]: the AWS Query API — decode → authenticate → authorize → dispatch →
//!   encode → audit — and [`call_as`](pipeline::call_as), the same steps for a caller
//!   already authenticated (the console).
//! - [`authorization`]: the decision API for other services (`/authorization/v1/decisions`).
//! - [`enforcement`]: the account's enforcement mode, enforce or report-only
//!   (`/_oxiam/v1/account/enforcement`).
//! - [`who_can`]: who can perform an action on a resource (`/authorization/v1/who-can`).
//! - [`tls`]: the HTTPS listener (`--tls-cert`/`--tls-key`).

pub mod authorization;
pub mod enforcement;
pub mod pipeline;
pub mod tls;
pub mod who_can;
