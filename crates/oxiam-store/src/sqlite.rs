//! The embedded default backend: one SQLite file in WAL mode.
//!
//! One connection behind a mutex is enough: the server reads the store only at start-up and
//! when following the feed, and optimistic concurrency admits one commit per sequence number
//! anyway, so a pool would only add writers that wait for SQLite's single write lock. Commits
//! use `BEGIN IMMEDIATE`, so two processes sharing a file (two `oxiam` nodes on one host)
//! still get the optimistic-concurrency guarantee: the sequence is read under the write lock.
//!
//! Tables (see [`migrations`]): `records(tbl, key, value)`, `feed(seq, changes)` with entries
//! encoded by `crate::feed`, and `meta(key, value)`.

pub mod migrations;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior};

use crate::{Change, Loaded, Record, Store, StoreError, feed, validate_change, validate_meta_key};

pub use migrations::SCHEMA_VERSION;

/// How long a statement waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite [`Store`].
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating the file and its directories if needed) the database at `path`:
    /// WAL journal, `synchronous=FULL`, a busy timeout, and migrations to
    /// [`SCHEMA_VERSION`]. A database written by a newer oxiam is refused.
    ///
    /// New directories get mode 0700 and a new database file 0600: it holds sealed secrets
    /// and password hashes, which nobody else needs to read.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        prepare_file(path)?;
        let conn = Connection::open(path).map_err(backend("opening the database"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(backend("setting the busy timeout"))?;
        let journal_mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(backend("enabling WAL"))?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend {
                operation: "enabling WAL",
                source: format!("the file system left journal mode `{journal_mode}`").into(),
            });
        }
        Self::finish_open(conn, Some(path.to_owned()))
    }

    /// A private database in memory, gone when the store is dropped (tests, `--dev`).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(backend("opening the database"))?;
        Self::finish_open(conn, None)
    }

    fn finish_open(mut conn: Connection, path: Option<PathBuf>) -> Result<Self, StoreError> {
        // FULL: a commit acknowledged to an IAM client survives power loss, as AWS's would.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend("setting synchronous"))?;
        migrations::run(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file, `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The connection; recovers from a poisoned lock instead of failing forever.
    ///
    /// A panic while the lock was held can only have interrupted a `rusqlite::Transaction`,
    /// whose drop rolls back during unwinding; if a transaction is somehow still open, it is
    /// rolled back here, so the all-or-nothing invariant holds for the next caller.
    fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        match self.conn.lock() {
            Ok(guard) => Ok(guard),
            Err(poisoned) => {
                let guard = poisoned.into_inner();
                if !guard.is_autocommit() {
                    guard
                        .execute_batch("ROLLBACK")
                        .map_err(backend("rolling back after a panic"))?;
                }
                self.conn.clear_poison();
                Ok(guard)
            }
        }
    }

    /// Deletes old change-feed entries, keeping the newest `keep_last` (at least one, since
    /// the newest entry carries the store's sequence). Returns how many were deleted.
    ///
    /// The feed only serves followers catching up; with one node nobody reads it, yet it
    /// holds a copy of every value ever written. A follower that asks for pruned entries
    /// gets [`StoreError::FeedTruncated`] and reloads.
    pub fn prune_feed(&self, keep_last: u64) -> Result<u64, StoreError> {
        let keep_last = i64::try_from(keep_last.max(1)).unwrap_or(i64::MAX);
        let conn = self.conn()?;
        let deleted = conn
            .execute(
                "DELETE FROM feed WHERE seq <= (SELECT MAX(seq) FROM feed) - ?1",
                [keep_last],
            )
            .map_err(backend("pruning the feed"))?;
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }

    #[cfg(test)]
    pub(crate) fn lock_for_test(&self) -> std::sync::LockResult<MutexGuard<'_, Connection>> {
        self.conn.lock()
    }
}

impl Store for SqliteStore {
    fn load_all(&self) -> Result<Loaded, StoreError> {
        let mut conn = self.conn()?;
        // A read transaction: another process's commit cannot land between the two queries.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(backend("starting a read"))?;
        let seq = current_seq(&tx)?;
        let records = {
            let mut stmt = tx
                .prepare_cached("SELECT tbl, key, value FROM records")
                .map_err(backend("loading records"))?;
            let rows = stmt
                .query_map([], |row| {
                    Ok(Record {
                        table: row.get(0)?,
                        key: row.get(1)?,
                        value: row.get(2)?,
                    })
                })
                .map_err(backend("loading records"))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(backend("loading records"))?
        };
        tx.commit().map_err(backend("ending a read"))?;
        Ok(Loaded { records, seq })
    }

    fn commit(&self, expected_seq: u64, changes: &[Change]) -> Result<u64, StoreError> {
        let entry = feed::encode(changes).map_err(|err| StoreError::Backend {
            operation: "encoding the feed entry",
            source: Box::new(err),
        })?;
        let mut conn = self.conn()?;
        // IMMEDIATE takes the write lock now, so the sequence read below cannot go stale.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(backend("starting a commit"))?;
        let current = current_seq(&tx)?;
        if current != expected_seq {
            return Err(StoreError::Conflict { current });
        }
        let new_seq = to_sql_seq(current)?
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("sequence number exhausted".into()))?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO records (tbl, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
                )
                .map_err(backend("writing a record"))?;
            let mut delete = tx
                .prepare_cached("DELETE FROM records WHERE tbl = ?1 AND key = ?2")
                .map_err(backend("deleting a record"))?;
            for change in changes {
                // INVARIANT (all-or-nothing): any error returns before `tx.commit()`, and
                // dropping `tx` rolls back the changes applied so far.
                validate_change(change)?;
                match change {
                    Change::Put(record) => put
                        .execute((&record.table, &record.key, &record.value))
                        .map_err(backend("writing a record"))?,
                    Change::Delete { table, key } => delete
                        .execute((table, key))
                        .map_err(backend("deleting a record"))?,
                };
            }
        }
        tx.execute(
            "INSERT INTO feed (seq, changes) VALUES (?1, ?2)",
            (new_seq, entry),
        )
        .map_err(backend("appending to the feed"))?;
        tx.commit().map_err(backend("committing"))?;
        from_sql_seq(new_seq)
    }

    fn changes_since(&self, after: u64) -> Result<Vec<(u64, Vec<Change>)>, StoreError> {
        let Ok(after_sql) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let mut conn = self.conn()?;
        // One read transaction, so a concurrent prune cannot fall between the gap check and
        // the read.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(backend("starting a read"))?;
        let oldest: Option<i64> = tx
            .query_row("SELECT MIN(seq) FROM feed", [], |row| row.get(0))
            .map_err(backend("reading the feed"))?;
        let entries = {
            let mut stmt = tx
                .prepare_cached("SELECT seq, changes FROM feed WHERE seq > ?1 ORDER BY seq")
                .map_err(backend("reading the feed"))?;
            let rows = stmt
                .query_map([after_sql], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
                })
                .map_err(backend("reading the feed"))?;
            let mut entries = Vec::new();
            for row in rows {
                let (seq, bytes) = row.map_err(backend("reading the feed"))?;
                let changes = feed::decode(&bytes)
                    .map_err(|err| StoreError::Corrupt(format!("feed entry {seq}: {err}")))?;
                entries.push((from_sql_seq(seq)?, changes));
            }
            entries
        };
        tx.commit().map_err(backend("ending a read"))?;
        if let (Some(oldest), Some((first, _))) = (oldest, entries.first()) {
            let oldest = from_sql_seq(oldest)?;
            // INVARIANT (seq-is-feed-head): sequences are dense, so a gap means pruning.
            if *first != after.saturating_add(1) {
                return Err(StoreError::FeedTruncated { after, oldest });
            }
        }
        Ok(entries)
    }

    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        let conn = self.conn()?;
        conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut stmt| stmt.query_row([key], |row| row.get(0)).optional())
            .map_err(backend("reading metadata"))
    }

    fn put_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        validate_meta_key(key)?;
        let conn = self.conn()?;
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
        .map_err(backend("writing metadata"))?;
        Ok(())
    }

    fn list_meta(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn
            .prepare_cached("SELECT key, value FROM meta ORDER BY key")
            .map_err(backend("reading metadata"))?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(backend("reading metadata"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(backend("reading metadata"))
    }
}

fn current_seq(conn: &Connection) -> Result<u64, StoreError> {
    let seq: i64 = conn
        .query_row("SELECT COALESCE(MAX(seq), 0) FROM feed", [], |row| {
            row.get(0)
        })
        .map_err(backend("reading the sequence"))?;
    from_sql_seq(seq)
}

fn to_sql_seq(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("sequence {seq} out of range")))
}

fn from_sql_seq(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative sequence {seq}")))
}

fn backend(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |err| StoreError::Backend {
        operation,
        source: Box::new(err),
    }
}

/// Creates missing parent directories (0700) and the database file (0600) before SQLite
/// does, because SQLite creates files with the umask's default (usually world-readable) and
/// gives its `-wal` and `-shm` files the main file's mode.
fn prepare_file(path: &Path) -> Result<(), StoreError> {
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| StoreError::Io { path, source }
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(parent).map_err(io_err(parent))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(io_err(path))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str) -> Change {
        Change::Put(Record {
            table: "t".into(),
            key: key.into(),
            value: key.as_bytes().to_vec(),
        })
    }

    #[test]
    fn a_panic_while_locked_does_not_brick_the_store() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(store.commit(0, &[put("a")]).unwrap(), 1);
        std::thread::scope(|s| {
            let result = s
                .spawn(|| {
                    let conn = store.lock_for_test().unwrap();
                    // Leave a transaction open with an uncommitted write, then panic.
                    conn.execute_batch("BEGIN; DELETE FROM records;").unwrap();
                    panic!("injected panic while holding the store lock");
                })
                .join();
            assert!(result.is_err());
        });
        assert!(store.lock_for_test().is_err(), "lock should be poisoned");

        let loaded = store.load_all().unwrap();
        assert_eq!(loaded.seq, 1);
        assert_eq!(
            loaded.records.len(),
            1,
            "the half-done delete was rolled back"
        );
        assert_eq!(store.commit(1, &[put("b")]).unwrap(), 2);
        assert!(store.lock_for_test().is_ok(), "poison cleared");
    }

    #[test]
    fn file_connections_are_durable_and_patient() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("x.db")).unwrap();
        let conn = store.lock_for_test().unwrap();
        let pragma = |name: &str| -> String {
            conn.pragma_query_value(None, name, |r| r.get::<_, rusqlite::types::Value>(0))
                .map(|v| format!("{v:?}"))
                .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        assert_eq!(pragma("synchronous"), "Integer(2)", "FULL");
        assert_eq!(pragma("busy_timeout"), "Integer(5000)");
    }

    #[test]
    fn debug_shows_the_path_only() {
        let store = SqliteStore::open_in_memory().unwrap();
        assert_eq!(format!("{store:?}"), "SqliteStore { path: None, .. }");
    }
}
