//! oxiam-store: the durable state of an oxiam deployment.
//!
//! # Why a record store and not a schema of IAM
//! The server keeps the whole IAM state in memory (the authorization snapshot, see
//! DESIGN.md) and only needs the database to survive restarts and to tell other nodes what
//! changed. So the store is a small transactional *record store* with a *change feed*:
//! - a [`Record`] is `(table, key) -> opaque bytes`; the server decides what the bytes mean
//!   (JSON today) and seals secret fields inside them with [`crypto::Kek`] before they get here;
//! - [`Store::commit`] applies a batch of [`Change`]s all-or-nothing, guarded by the store's
//!   sequence number (optimistic concurrency between nodes), and appends the batch to the
//!   change feed under the new sequence number;
//! - [`Store::changes_since`] replays the feed so another node can catch up without reloading.
//!
//! Keeping IAM semantics out of the store means a second backend (PostgreSQL, issue 8) is a
//! few hundred lines, and [`conformance`] checks every backend with the same suite.
//!
//! # Modules
//! - [`sqlite`]: the embedded default backend ([`SqliteStore`]) and its versioned migrations.
//! - [`postgres`]: the shared backend for several nodes ([`PostgresStore`]): its URL, its
//!   migrations under an advisory lock, commits ordered by a row lock, LISTEN/NOTIFY.
//! - [`crypto`]: the key-encryption key and the sealed envelope for secrets at rest.
//! - [`conformance`]: the backend-independent test suite, public so every backend runs it.
//! - `feed`: the compact binary encoding of one change-feed entry (shared by backends).
//!
//! # Example
//! ```
//! use oxiam_store::{Change, Record, SqliteStore, Store, StoreError, crypto::Kek};
//!
//! let store = SqliteStore::open_in_memory()?;
//! let kek = Kek::generate();
//! let sealed = kek.seal(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", b"access_key/AKIAEXAMPLE");
//! let put = Change::Put(Record { table: "access_key".into(), key: "AKIAEXAMPLE".into(), value: sealed });
//! let loaded = store.load_all()?;
//! let seq = store.commit(loaded.seq, &[put.clone()])?;
//! // A second writer that read the old state loses and must catch up.
//! assert!(matches!(store.commit(loaded.seq, &[]), Err(StoreError::Conflict { current }) if current == seq));
//! assert_eq!(store.changes_since(loaded.seq)?, vec![(seq, vec![put])]);
//! # Ok::<(), StoreError>(())
//! ```
//!
//! # Invariants every backend keeps
//! - INVARIANT (seq-is-feed-head): the store's sequence number is the sequence of the last
//!   feed entry (0 for a new store); each successful commit adds exactly one entry, numbered
//!   `expected_seq + 1`.
//! - INVARIANT (all-or-nothing): a commit that returns an error has written nothing: no record
//!   changed and no feed entry was added.

pub mod conformance;
pub mod crypto;
mod feed;
pub mod postgres;
pub mod sqlite;

pub use self::postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// How often [`Store::wait_for_changes`] polls on backends that cannot notify.
pub const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// One persisted entity: `table` names the kind ("user", "access_key", …), `key` is unique
/// within the table, `value` is opaque bytes (the server writes JSON; secret fields inside it
/// are already sealed with [`crypto::Kek`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub table: String,
    pub key: String,
    pub value: Vec<u8>,
}

/// One change in a commit and in the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Insert the record, or replace the value of the record with the same table and key.
    Put(Record),
    /// Remove the record with this table and key; deleting an absent record is not an error
    /// (the entry is still recorded in the feed, so followers converge).
    Delete { table: String, key: String },
}

/// The whole store as of one sequence number (see [`Store::load_all`]).
#[derive(Debug)]
pub struct Loaded {
    /// Every record, in no particular order.
    pub records: Vec<Record>,
    /// The sequence number the records are consistent with.
    pub seq: u64,
}

/// Longest table name a backend accepts, in bytes.
pub const MAX_TABLE_LEN: usize = 64;
/// Longest record key a backend accepts, in bytes (an IAM ARN is at most 2048 characters).
pub const MAX_KEY_LEN: usize = 4096;

/// A transactional record store with a change feed. See the crate documentation.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Everything, at one consistent sequence number.
    fn load_all(&self) -> Result<Loaded, StoreError>;

    /// Atomically applies `changes` if the store's sequence is still `expected_seq`
    /// (optimistic concurrency between nodes), appends them to the change feed as one entry,
    /// and returns the new sequence (`expected_seq + 1`). [`StoreError::Conflict`] if another
    /// writer got there first; nothing is written then. All or nothing: any error means
    /// nothing was written.
    fn commit(&self, expected_seq: u64, changes: &[Change]) -> Result<u64, StoreError>;

    /// Feed entries with sequence > `after`, in order (for other nodes to catch up).
    /// [`StoreError::FeedTruncated`] if some of those entries were pruned: a follower must
    /// never skip a change silently.
    fn changes_since(&self, after: u64) -> Result<Vec<(u64, Vec<Change>)>, StoreError>;

    /// Small key/value metadata outside the feed (e.g. "default_account").
    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError>;

    /// Sets (inserts or replaces) one metadata value. Not part of the feed, no sequence bump.
    fn put_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;

    /// Every metadata entry, sorted by key (for copying a store, `oxiam migrate`).
    fn list_meta(&self) -> Result<Vec<(String, String)>, StoreError>;

    /// Blocks until the store may hold feed entries after `after`, or at most `timeout`.
    /// Followers call [`Store::changes_since`] after every return, so returning early or
    /// spuriously is always correct; a backend that can notify (PostgreSQL) returns as soon
    /// as another node commits. The default polls: it sleeps [`POLL_INTERVAL`] (or
    /// `timeout`, if shorter), which for SQLite costs one indexed query per interval.
    fn wait_for_changes(&self, after: u64, timeout: std::time::Duration) -> Result<(), StoreError> {
        let _ = after;
        std::thread::sleep(timeout.min(POLL_INTERVAL));
        Ok(())
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another writer committed first; reload (or follow the feed) and retry on top of
    /// `current`.
    #[error("store was changed concurrently: it is now at sequence {current}")]
    Conflict { current: u64 },
    /// A change names a table or key the store cannot hold; nothing was written.
    #[error(transparent)]
    InvalidChange(#[from] InvalidChange),
    /// The database or its driver failed.
    #[error("store backend failed while {operation}")]
    Backend {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The data directory or database file could not be prepared.
    #[error("cannot prepare store path `{path}`")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The feed no longer holds the entries right after `after` (older entries were pruned):
    /// the caller is too far behind to catch up and must reload with [`Store::load_all`].
    #[error(
        "change feed no longer holds the entries after sequence {after} (oldest kept: {oldest}); reload the whole state"
    )]
    FeedTruncated { after: u64, oldest: u64 },
    /// Stored bytes do not decode (a damaged database or a foreign writer).
    #[error("store data is corrupt: {0}")]
    Corrupt(String),
    /// The database schema cannot be brought to this binary's version.
    #[error(transparent)]
    Migration(#[from] MigrationError),
}

/// A change that no backend accepts, rejected before anything is written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidChange {
    #[error(
        "table name `{table}` is invalid: use 1 to {MAX_TABLE_LEN} characters from a-z, 0-9, `_`, `-` and `.`"
    )]
    Table { table: String },
    #[error("record key in table `{table}` is empty or longer than {MAX_KEY_LEN} bytes")]
    Key { table: String },
    #[error("metadata key is empty or longer than {MAX_KEY_LEN} bytes")]
    MetaKey,
}

/// Why a database schema cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The database was written by a newer oxiam; running older code on it could lose data.
    #[error(
        "database schema version {found} is newer than this oxiam supports ({supported}); upgrade oxiam or restore a backup"
    )]
    DatabaseTooNew { found: i64, supported: i64 },
    /// The file is a database of some other application.
    #[error("database is not an oxiam store (application id {found:#x})")]
    ForeignDatabase { found: i64 },
    /// One migration step failed; the database stays at the previous version.
    #[error("migration to schema version {version} failed")]
    Step {
        version: i64,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Checks one change against the rules every backend enforces.
///
/// Backends call this while applying each change inside their transaction, so a bad change in
/// the middle of a batch exercises the rollback path rather than being caught up front.
pub(crate) fn validate_change(change: &Change) -> Result<(), InvalidChange> {
    let (table, key) = match change {
        Change::Put(record) => (&record.table, &record.key),
        Change::Delete { table, key } => (table, key),
    };
    validate_table(table)?;
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(InvalidChange::Key {
            table: table.clone(),
        });
    }
    Ok(())
}

fn validate_table(table: &str) -> Result<(), InvalidChange> {
    let valid_char =
        |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'-' | b'.');
    if table.is_empty() || table.len() > MAX_TABLE_LEN || !table.bytes().all(valid_char) {
        return Err(InvalidChange::Table {
            table: table.to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn validate_meta_key(key: &str) -> Result<(), InvalidChange> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(InvalidChange::MetaKey);
    }
    Ok(())
}

/// An error with its sources on one line, for logs and messages (store errors keep the
/// driver's reason in a source).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(table: &str, key: &str) -> Change {
        Change::Put(Record {
            table: table.into(),
            key: key.into(),
            value: vec![],
        })
    }

    #[test]
    fn errors_and_stores_cross_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<StoreError>();
        shareable::<crypto::CryptoError>();
        shareable::<crypto::Kek>();
        shareable::<SqliteStore>();
        shareable::<PostgresStore>();
    }

    #[test]
    fn table_names_follow_the_rule() {
        assert!(validate_change(&put("access_key", "AKIA")).is_ok());
        assert!(validate_change(&put("policy.version-2", "k")).is_ok());
        for bad in ["", "User", "a b", "a/b", &"t".repeat(MAX_TABLE_LEN + 1)] {
            assert!(
                matches!(
                    validate_change(&put(bad, "k")),
                    Err(InvalidChange::Table { .. })
                ),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn keys_must_be_non_empty_and_bounded() {
        assert!(validate_change(&put("t", &"k".repeat(MAX_KEY_LEN))).is_ok());
        for bad in [String::new(), "k".repeat(MAX_KEY_LEN + 1)] {
            let delete = Change::Delete {
                table: "t".into(),
                key: bad,
            };
            assert!(matches!(
                validate_change(&delete),
                Err(InvalidChange::Key { .. })
            ));
        }
        assert!(validate_meta_key("").is_err());
        assert!(validate_meta_key("default_account").is_ok());
    }
}
