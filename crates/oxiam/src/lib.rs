//! The library part of the `oxiam` package: the code of the binary that other crates call
//! directly. The binary itself (`main.rs`: `serve`, `policy`, `guard`, `audit`, …) uses it
//! as `oxiam::…`.
//!
//! - [`guard_rules`]: the parser and matcher of `oxiam guard`'s rules file, here so the
//!   fuzz targets (`fuzz/`, a workspace of their own) can reach it without the guard's
//!   proxy.
//! - [`policy_diff`]: `oxiam policy diff A B`, what policy B grants that A does not, here so
//!   its property test can call it.

pub mod guard_rules;
pub mod policy_diff;
