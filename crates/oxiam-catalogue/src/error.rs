//! Why a catalogue file, or a merge of catalogues, is refused.

/// A refused catalogue. Messages name the service and entry at fault, for an operator
/// reading `oxiam serve`'s start-up error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// Not JSON, or JSON not of the catalogue's shape (a missing or unknown field, an
    /// unknown access level or key type).
    #[error("malformed catalogue: {message}")]
    Malformed {
        /// 1-based line and column of the problem.
        line: usize,
        column: usize,
        /// What is wrong, with the place.
        message: String,
    },
    /// A name that cannot be what it names (an empty prefix, an action name with `:`, …).
    #[error("{kind} `{name}` is not valid: {reason}")]
    InvalidName {
        kind: &'static str,
        name: String,
        reason: &'static str,
    },
    /// Two services of one file with the same prefix (in any case).
    #[error("service prefix `{prefix}` appears twice")]
    DuplicateService { prefix: String },
    /// Two actions, resource types or condition keys of one service with the same name.
    #[error("service `{prefix}` lists {kind} `{name}` twice")]
    Duplicate {
        prefix: String,
        kind: &'static str,
        name: String,
    },
    /// An action names a resource type its service does not list.
    #[error(
        "action `{prefix}:{action}` names resource type `{name}`, which service `{prefix}` does not list"
    )]
    UnknownResourceType {
        prefix: String,
        action: String,
        name: String,
    },
    /// An action or resource type names a condition key its service does not list.
    #[error("{owner} names condition key `{key}`, which service `{prefix}` does not list")]
    UnknownConditionKey {
        prefix: String,
        /// `action `s3:GetObject`` or `resource type `bucket``.
        owner: String,
        key: String,
    },
    /// A service added to a catalogue that already has its prefix (an AWS service cannot
    /// be replaced or extended).
    #[error("service prefix `{prefix}` is taken by {owner}")]
    PrefixTaken { prefix: String, owner: String },
}
