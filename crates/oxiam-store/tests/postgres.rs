//! The PostgreSQL backend against a real server: the conformance suite, plus what only a
//! shared database has (several stores on one schema, migrations racing at start-up,
//! notifications, connections killed under the store).
//!
//! The server is `OXIAM_TEST_POSTGRES_URL`, by default the one this project's machines and
//! CI run (`postgres://postgres@127.0.0.1:5432/test`, trust auth). Each test works in a fresh
//! schema that it drops at the end. These tests FAIL when the server is unreachable: a
//! skipped backend would look green while being untested.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] fns: a failed unwrap is a failed test"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use oxiam_store::conformance::CHECKS;
use oxiam_store::postgres::{PostgresStore, SCHEMA_VERSION};
use oxiam_store::{Change, MigrationError, Record, Store, StoreError};

fn server_url() -> String {
    std::env::var("OXIAM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh schema name, dropped by [`Schema`]'s drop.
struct Schema {
    name: String,
}

impl Schema {
    fn new() -> Schema {
        Schema {
            name: format!("t_{:016x}", rand::random::<u64>()),
        }
    }

    fn url(&self) -> String {
        format!("{}?schema={}", server_url(), self.name)
    }

    fn open(&self) -> PostgresStore {
        PostgresStore::open(&self.url()).unwrap_or_else(|e| {
            panic!(
                "PostgreSQL at {} is required for these tests: {}",
                server_url(),
                error_chain(&e)
            )
        })
    }

    fn raw(&self) -> postgres::Client {
        postgres::Client::connect(&server_url(), postgres::NoTls).unwrap()
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&server_url(), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn put(table: &str, key: &str, value: &[u8]) -> Change {
    Change::Put(Record {
        table: table.into(),
        key: key.into(),
        value: value.to_vec(),
    })
}

fn run_checks(store: &dyn Store) {
    let failures: Vec<String> = CHECKS
        .iter()
        .filter_map(|(name, check)| check(store).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn conformance() {
    let schema = Schema::new();
    let store = schema.open();
    run_checks(&store);
    // A rerun on the used schema still passes and leaves nothing behind.
    run_checks(&store);
    assert!(store.load_all().unwrap().records.is_empty());
}

#[test]
fn the_unreachable_server_is_an_error_not_a_hang() {
    // Port 1 on loopback: nothing listens there.
    let err =
        PostgresStore::open("postgres://postgres@127.0.0.1:1/test?schema=t_nobody").unwrap_err();
    assert!(
        matches!(err, StoreError::Backend { .. }),
        "{}",
        error_chain(&err)
    );
}

#[test]
fn two_stores_on_one_schema_see_each_other_and_conflict() {
    let schema = Schema::new();
    let (a, b) = (schema.open(), schema.open());
    assert_eq!(a.commit(0, &[put("user", "AIDA1", b"alice")]).unwrap(), 1);
    assert!(matches!(
        b.commit(0, &[put("user", "AIDA1", b"mallory")]),
        Err(StoreError::Conflict { current: 1 })
    ));
    let seen = b.changes_since(0).unwrap();
    assert_eq!(seen, vec![(1, vec![put("user", "AIDA1", b"alice")])]);
    assert_eq!(b.commit(1, &[put("user", "AIDA2", b"bob")]).unwrap(), 2);
    let loaded = a.load_all().unwrap();
    assert_eq!(loaded.seq, 2);
    assert_eq!(loaded.records.len(), 2);
}

#[test]
fn racing_commits_on_many_connections_admit_exactly_one_per_sequence() {
    let schema = Schema::new();
    let stores: Vec<Arc<PostgresStore>> = (0..4).map(|_| Arc::new(schema.open())).collect();
    let winners: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, store)| {
                s.spawn(move || {
                    match store.commit(0, &[put("user", "same-name", format!("{i}").as_bytes())]) {
                        Ok(seq) => {
                            assert_eq!(seq, 1);
                            true
                        }
                        Err(StoreError::Conflict { current: 1 }) => false,
                        Err(e) => panic!("{}", error_chain(&e)),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(winners.iter().filter(|w| **w).count(), 1, "{winners:?}");
    assert_eq!(stores[0].changes_since(0).unwrap().len(), 1);
}

#[test]
fn nodes_starting_together_migrate_once() {
    let schema = Schema::new();
    let url = schema.url();
    let opened: Vec<Result<PostgresStore, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| s.spawn(|| PostgresStore::open(&url)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for store in &opened {
        if let Err(e) = store {
            panic!("{}", error_chain(e));
        }
    }
    let mut raw = schema.raw();
    let version: i64 = raw
        .query_one(
            &format!("SELECT version FROM \"{}\".schema_version", schema.name),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(version, SCHEMA_VERSION);
    let heads: i64 = raw
        .query_one(
            &format!("SELECT count(*) FROM \"{}\".head", schema.name),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(heads, 1);
}

#[test]
fn a_schema_from_a_newer_oxiam_is_refused() {
    let schema = Schema::new();
    drop(schema.open());
    schema
        .raw()
        .execute(
            &format!("UPDATE \"{}\".schema_version SET version = $1", schema.name),
            &[&(SCHEMA_VERSION + 1)],
        )
        .unwrap();
    let err = PostgresStore::open(&schema.url()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Migration(MigrationError::DatabaseTooNew { found, .. }) if found == SCHEMA_VERSION + 1
        ),
        "{}",
        error_chain(&err)
    );
}

#[test]
fn reopen_keeps_records_sequence_feed_and_meta() {
    let schema = Schema::new();
    {
        let store = schema.open();
        store.commit(0, &[put("user", "AIDA1", b"alice")]).unwrap();
        store.put_meta("default_account", "123456789012").unwrap();
    }
    let store = schema.open();
    let loaded = store.load_all().unwrap();
    assert_eq!(loaded.seq, 1);
    assert_eq!(loaded.records.len(), 1);
    assert_eq!(
        store.get_meta("default_account").unwrap().as_deref(),
        Some("123456789012")
    );
    assert_eq!(store.changes_since(0).unwrap().len(), 1);
}

#[test]
fn a_commit_on_another_store_wakes_a_waiter() {
    // Far longer than a notification takes: a wait that returns before half of it was woken
    // by the commit's notification, since a timeout returns only at (about) its end.
    const LONG: Duration = Duration::from_secs(120);
    let schema = Schema::new();
    let (writer, follower) = (schema.open(), schema.open());
    // The first call connects the listener and returns: the caller polls then. From here on
    // a notification is queued on the listening connection even if it comes before the wait.
    follower
        .wait_for_changes(0, Duration::from_secs(1))
        .unwrap();
    let (seq, (waited, seen)) = std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let started = Instant::now();
            follower.wait_for_changes(0, LONG).unwrap();
            (started.elapsed(), follower.changes_since(0).unwrap())
        });
        let seq = writer.commit(0, &[put("user", "AIDA1", b"alice")]).unwrap();
        (seq, waiter.join().unwrap())
    });
    assert!(
        waited < LONG / 2,
        "the wait ran to its timeout ({waited:?} of {LONG:?}): the commit's notification \
         never woke it"
    );
    let seen: Vec<u64> = seen.iter().map(|(seq, _)| *seq).collect();
    assert_eq!(seen, [seq], "the woken waiter sees the new commit");
}

/// Terminates every backend whose application name is `name` (each test that kills
/// connections gives its stores a name of its own, so parallel tests are spared).
fn terminate_backends(raw: &mut postgres::Client, name: &str) -> usize {
    raw.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = $1 AND pid <> pg_backend_pid()",
        &[&name],
    )
    .unwrap()
    .len()
}

#[test]
fn killed_connections_are_replaced_and_the_listener_reconnects() {
    let schema = Schema::new();
    let url = format!("{}&application_name={}", schema.url(), schema.name);
    let store = PostgresStore::open(&url).unwrap();
    store.commit(0, &[put("user", "AIDA1", b"alice")]).unwrap();
    store.wait_for_changes(1, Duration::ZERO).unwrap();
    let killed = terminate_backends(&mut schema.raw(), &schema.name);
    assert!(killed >= 2, "pooled and listening connections: {killed}");
    // Reads and commits retry once on a fresh connection.
    assert_eq!(store.load_all().unwrap().seq, 1);
    assert_eq!(store.commit(1, &[put("user", "AIDA2", b"bob")]).unwrap(), 2);
    // The listener reports its loss (or returns), and the next wait reconnects it.
    let _ = store.wait_for_changes(2, Duration::from_millis(100));
    store
        .wait_for_changes(2, Duration::from_millis(100))
        .unwrap();
    assert_eq!(store.changes_since(1).unwrap().len(), 1);
}
