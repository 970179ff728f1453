//! The library part of the `oxiam` package: the code of the binary that other crates call
//! directly. The binary itself (`main.rs`: `serve`, `policy`, `guard`, `audit`, …) uses it
//! as `oxiam::…`.
//!
//! - [`guard_rules`]: the parser and matcher of `oxiam guard`'s rules file, here so the
//!   fuzz targets (`fuzz/`, a workspace of their own) can reach it without the guard's
//!   proxy.

pub mod guard_rules;
