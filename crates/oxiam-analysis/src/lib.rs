//! Policy analysis: questions about what policies grant, answered over the engine's reading
//! of a policy (`oxiam-policy`) and the finite set of actions of the service catalogue
//! (`oxiam-catalogue`). Pure: no I/O, no clock; the server and the `oxiam` binary call it.
//!
//! - [`diff`]: what policy B grants that policy A does not (`oxiam policy diff`), sound:
//!   it may over-report, never under-report.
//! - [`generate`]: least-privilege policies from the actions a principal used (Access
//!   Analyzer's policy generation).
//! - [`validate`]: IAM Access Analyzer's ValidatePolicy — a document in, findings out
//!   (issue code, type, AWS's message, learn-more link, path and span).

pub mod diff;
pub mod generate;
pub mod validate;
