//! Unit tests of the delegation request handlers.
