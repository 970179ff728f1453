//! oxiam-server: the IAM and STS service.
//!
//! The crate is built in floors; a module imports only from its own floor or those below
//! it (`tests/layers.rs` fails otherwise), and a type lives on the lowest floor that needs
//! it. In the order a request meets them, top down:
//!
//! | floor | module | what |
//! |---|---|---|
//! | 8 | [`http`] | the router: the AWS Query endpoint on every path, health, dev-mode endpoints, the OIDC issuer documents, the console |
//! | 7 | [`console`] | the web console under `/console/…`, calling operations through `front::pipeline::call_as` |
//! | 6 | [`front`] | the ways requests arrive: the pipeline (decode → authenticate → authorize → dispatch → encode → audit), the authorization API for other services, the account's enforcement mode (enforce or report-only), TLS |
//! | 5 | [`ops`] | the one table of operations (target and handler side by side) and the IAM and STS handlers |
//! | 4 | [`auth`] | callers and targets: SigV4 and session authentication, authorization and the policy engine's decisions (enforced, or reported in a report-only account), sign-in and MFA codes, encoded denial messages |
//! | 3 | [`app`] | the running service: snapshot publication, the one write path, the follower of other nodes' commits; owns the runtimes and the service catalogue (AWS's services and `--service-catalogue`'s) |
//! | 2 | [`state`], [`runtime`] | the in-memory snapshot (one list of entity tables, their stored and sealed forms, the compiled-policy index) and the write transaction; the per-node runtimes (STS clock and opened sessions, OIDC key cache, audit log, resource-policy cache) |
//! | 1 | [`model`] | entities, AWS identifier formats, quotas, errors, configuration, the AWS managed policy and service-linked role catalogues, X.509, JWTs, TOTP |
//!
//! Cycles between sibling files of one folder are fine (`auth::{authn, session_authn}`);
//! cycles across folders are not.

pub mod app;
pub mod auth;
pub mod console;
pub mod front;
pub mod http;
pub mod model;
pub mod ops;
pub mod runtime;
pub mod state;

pub use app::{App, FirstStart};
pub use model::config::Config;
