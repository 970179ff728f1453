//! The `oxiam` binary.
fn main() {}
