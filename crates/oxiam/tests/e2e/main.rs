//! The end-to-end test binary: the real `oxiam` binary driven over HTTP by the real AWS CLI.
//! (boto3 scenarios live in tests/python, run by the same test command.)

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed step must fail the test loudly"
)]

mod support;

mod account;
mod authorization;
mod cli;
mod credentials;
mod enforcement;
mod entities;
mod multinode;
mod policies;
mod providers_and_service_credentials;
mod scenario;
mod simulator;
mod sts;
mod web_identity;
