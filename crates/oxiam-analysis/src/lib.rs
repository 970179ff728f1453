//! Policy analysis: questions about what policies grant, answered over the engine's reading
//! of a policy (`oxiam-policy`) and the finite set of actions of the service catalogue
//! (`oxiam-catalogue`). Pure: no I/O, no clock; the server and the `oxiam` binary call it.
//!
//! - [`diff`]: what policy B grants that policy A does not (`oxiam policy diff`), sound:
//!   it may over-report, never under-report.
//! - [`checks`]: IAM Access Analyzer's custom policy checks (`CheckNoNewAccess`,
//!   `CheckAccessNotGranted`, `CheckNoPublicAccess`) on the diff's reading of statements;
//!   sound: never PASS when access exists.
//! - [`generate`]: least-privilege policies from the actions a principal used (Access
//!   Analyzer's policy generation).
//! - [`validate`]: IAM Access Analyzer's ValidatePolicy — a document in, findings out
//!   (issue code, type, AWS's message, learn-more link, path and span).
//! - `pattern` (`*`/`?` languages: exact inclusion and intersection), `condition`
//!   (condition implication), `principal` (principal inclusion): what the diff and the
//!   checks build on.

pub mod checks;
mod condition;
pub mod diff;
pub mod generate;
mod pattern;
mod principal;
pub mod validate;
