//! oxiam-server: the IAM and STS service.
//!
//! Map of the crate, in the order a request meets it:
//! - [`http`]: the HTTP front (axum): the AWS Query endpoint, health, dev-mode reset;
//!   [`tls`]: its HTTPS listener (`--tls-cert`/`--tls-key`).
//! - [`pipeline`]: `handle` — decode → authenticate → authorize → dispatch → encode → audit.
//! - [`authn`]: SigV4 verification against keys in the snapshot (temporary credentials:
//!   `sts::authn`, which opens the session token instead); [`Caller`](authn::Caller).
//! - [`authz`] and [`decide`]: the root rule and the policy engine's decision.
//! - [`authorization`]: the decision API for other services (`/authorization/v1/decisions`),
//!   its encoded denial messages and its audit log.
//! - [`operations`]: the list of operations: action, resource ARN and handler of each.
//! - [`iam`] (`users`, `access_keys`, …) and [`sts`]: the handlers; `sts` also holds the
//!   session tokens, their keys and the authorization of session credentials.
//! - [`state`]: the in-memory snapshot, entity tables and the write transaction.
//! - [`app`]: the running service — snapshot publication, the write path, first start.
//! - [`model`], [`ids`]: entities and AWS identifier formats; [`aws_managed`]: the AWS
//!   managed policy catalogue; [`quotas`]: AWS's quotas; [`config`], [`error`].
//! - [`x509`]: certificates and private keys for the certificate operations.
//! - [`signin`]: console sign-in (password, lockout, MFA), for the console to call.
//! - [`console`]: the web console under `/console/…`, acting through the same operations.

pub mod app;
pub mod authn;
pub mod authorization;
pub mod authz;
pub mod aws_managed;
pub mod config;
pub mod console;
pub mod decide;
pub mod error;
pub mod http;
pub mod iam;
pub mod ids;
pub mod model;
pub mod operations;
pub mod pipeline;
pub mod quotas;
pub mod signin;
pub mod state;
pub mod sts;
pub mod tls;
pub mod x509;

pub use app::{App, FirstStart};
pub use config::Config;
