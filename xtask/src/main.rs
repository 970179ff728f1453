//! `cargo xtask …` maintenance tasks.
fn main() {}
