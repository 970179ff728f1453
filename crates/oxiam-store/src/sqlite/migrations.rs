//! Versioned schema migrations for the SQLite backend.
//!
//! The schema version is SQLite's `PRAGMA user_version`; migration `N` (1-based) brings the
//! database from version `N-1` to `N`. Each step runs in its own `BEGIN IMMEDIATE`
//! transaction together with the version bump, so a failed or interrupted step leaves the
//! database at the previous version, and two processes opening a new file at once do not
//! both run a step. Migrations are append-only: a released step is never edited.

use rusqlite::{Connection, TransactionBehavior};

use crate::MigrationError;

/// `PRAGMA application_id` of an oxiam store ("oxim"), so a foreign database is refused
/// instead of being given our tables.
pub const APPLICATION_ID: i64 = 0x6f78_696d;

/// The migrations, in order; index 0 is schema version 1.
const MIGRATIONS: &[&str] = &[
    // 1: the record store, the change feed, metadata.
    // INVARIANT (seq-is-feed-head): `feed.seq` is the commit sequence; the store's sequence
    // is MAX(seq), so the feed is never emptied of its last entry.
    "CREATE TABLE records (
         tbl   TEXT NOT NULL,
         key   TEXT NOT NULL,
         value BLOB NOT NULL,
         PRIMARY KEY (tbl, key)
     );
     CREATE TABLE feed (
         seq     INTEGER PRIMARY KEY,
         changes BLOB NOT NULL
     );
     CREATE TABLE meta (
         key   TEXT PRIMARY KEY NOT NULL,
         value TEXT NOT NULL
     );",
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database to [`SCHEMA_VERSION`], refusing foreign or newer databases.
pub(crate) fn run(conn: &mut Connection) -> Result<(), MigrationError> {
    run_steps(conn, MIGRATIONS)
}

fn run_steps(conn: &mut Connection, steps: &[&str]) -> Result<(), MigrationError> {
    let latest = i64::try_from(steps.len()).unwrap_or(i64::MAX);
    for (version, sql) in (1..).zip(steps) {
        let step_err = |source: rusqlite::Error| MigrationError::Step {
            version,
            source: Box::new(source),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(step_err)?;
        let current = check_version(&tx, latest).map_err(|err| match err {
            CheckError::Sqlite(source) => step_err(source),
            CheckError::Refused(refused) => refused,
        })?;
        if current >= version {
            continue;
        }
        tx.execute_batch(sql).map_err(step_err)?;
        tx.pragma_update(None, "user_version", version)
            .map_err(step_err)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(step_err)?;
        tx.commit().map_err(step_err)?;
    }
    Ok(())
}

enum CheckError {
    Sqlite(rusqlite::Error),
    Refused(MigrationError),
}

impl From<rusqlite::Error> for CheckError {
    fn from(err: rusqlite::Error) -> Self {
        CheckError::Sqlite(err)
    }
}

/// The current schema version, after checking the database is ours and not too new.
fn check_version(conn: &Connection, latest: i64) -> Result<i64, CheckError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let application_id: i64 = conn.pragma_query_value(None, "application_id", |row| row.get(0))?;
    let fresh = version == 0 && application_id == 0;
    if !fresh && application_id != APPLICATION_ID {
        return Err(CheckError::Refused(MigrationError::ForeignDatabase {
            found: application_id,
        }));
    }
    if version > latest {
        return Err(CheckError::Refused(MigrationError::DatabaseTooNew {
            found: version,
            supported: latest,
        }));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    fn has_table(conn: &Connection, name: &str) -> bool {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    }

    #[test]
    fn steps_run_in_order_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        let v1 = ["CREATE TABLE a (x)"];
        run_steps(&mut conn, &v1).unwrap();
        assert_eq!(version(&conn), 1);
        // A binary with one more step upgrades, running only the new step.
        let v2 = ["CREATE TABLE a (x)", "CREATE TABLE b (y)"];
        run_steps(&mut conn, &v2).unwrap();
        run_steps(&mut conn, &v2).unwrap();
        assert_eq!(version(&conn), 2);
        assert!(has_table(&conn, "a") && has_table(&conn, "b"));
        // The older binary now refuses the database.
        assert!(matches!(
            run_steps(&mut conn, &v1),
            Err(MigrationError::DatabaseTooNew {
                found: 2,
                supported: 1
            })
        ));
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version_intact() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = [
            "CREATE TABLE a (x)",
            "CREATE TABLE b (y); INSERT INTO no_such_table VALUES (1)",
        ];
        let err = run_steps(&mut conn, &steps).unwrap_err();
        assert!(
            matches!(err, MigrationError::Step { version: 2, .. }),
            "{err:?}"
        );
        assert_eq!(version(&conn), 1);
        assert!(has_table(&conn, "a"));
        assert!(!has_table(&conn, "b"), "half of step 2 was kept");
    }

    #[test]
    fn the_real_migrations_reach_schema_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        assert_eq!(version(&conn), SCHEMA_VERSION);
        for table in ["records", "feed", "meta"] {
            assert!(has_table(&conn, table), "{table}");
        }
    }
}
