//! The SQLite backend: the conformance suite on a file and in memory, plus what only a file
//! has (reopening, migrations, permissions, several processes, bytes on disk).
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] fns: a failed unwrap is a failed test"
)]

use std::fs;
use std::path::{Path, PathBuf};

use oxiam_store::conformance::{self, CHECKS};
use oxiam_store::crypto::Kek;
use oxiam_store::sqlite::SCHEMA_VERSION;
use oxiam_store::sqlite::migrations::APPLICATION_ID;
use oxiam_store::{Change, MigrationError, Record, SqliteStore, Store, StoreError};

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("state").join("oxiam.db")
}

fn put(table: &str, key: &str, value: &[u8]) -> Change {
    Change::Put(Record {
        table: table.into(),
        key: key.into(),
        value: value.to_vec(),
    })
}

/// Runs each check separately so a failure names its check.
fn run_checks(store: &dyn Store) {
    let failures: Vec<String> = CHECKS
        .iter()
        .filter_map(|(name, check)| check(store).err().map(|e| format!("{name}: {e}")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn conformance_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&db_path(&dir)).unwrap();
    run_checks(&store);
}

#[test]
fn conformance_in_memory() {
    let store = SqliteStore::open_in_memory().unwrap();
    run_checks(&store);
}

#[test]
fn conformance_reruns_on_a_used_store_and_cleans_up() {
    let store = SqliteStore::open_in_memory().unwrap();
    store.commit(0, &[put("user", "AIDA1", b"{}")]).unwrap();
    conformance::run_all(&store).unwrap();
    conformance::run_all(&store).unwrap();
    let loaded = store.load_all().unwrap();
    assert_eq!(
        loaded.records,
        vec![Record {
            table: "user".into(),
            key: "AIDA1".into(),
            value: b"{}".to_vec(),
        }]
    );
}

#[test]
fn reopen_keeps_records_sequence_feed_and_meta() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .commit(
                0,
                &[put("user", "AIDA1", b"alice"), put("user", "AIDA2", b"bob")],
            )
            .unwrap();
        store
            .commit(
                1,
                &[Change::Delete {
                    table: "user".into(),
                    key: "AIDA2".into(),
                }],
            )
            .unwrap();
        store.put_meta("default_account", "123456789012").unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let loaded = store.load_all().unwrap();
    assert_eq!(loaded.seq, 2);
    assert_eq!(
        loaded.records,
        vec![Record {
            table: "user".into(),
            key: "AIDA1".into(),
            value: b"alice".to_vec(),
        }]
    );
    assert_eq!(store.changes_since(0).unwrap().len(), 2);
    assert_eq!(
        store.get_meta("default_account").unwrap().as_deref(),
        Some("123456789012")
    );
    assert!(matches!(
        store.commit(1, &[]),
        Err(StoreError::Conflict { current: 2 })
    ));
    assert_eq!(store.commit(2, &[]).unwrap(), 3);
}

#[test]
fn a_new_database_is_migrated_and_marked() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    drop(SqliteStore::open(&path).unwrap());
    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    let app_id: i64 = raw
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    let journal: String = raw
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(
        (version, app_id, journal.as_str()),
        (SCHEMA_VERSION, APPLICATION_ID, "wal")
    );
    let tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(tables, ["feed", "meta", "records"]);
    // Opening again runs no migration twice (it would fail on CREATE TABLE).
    drop(SqliteStore::open(&path).unwrap());
}

#[test]
fn a_database_from_a_newer_oxiam_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    drop(SqliteStore::open(&path).unwrap());
    let newer = SCHEMA_VERSION + 1;
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();

    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Migration(MigrationError::DatabaseTooNew { found, supported })
                if found == newer && supported == SCHEMA_VERSION
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("newer than this oxiam supports"),
        "{err}"
    );
    let raw = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, newer);
}

#[test]
fn a_foreign_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (app_id, user_version) in [(0x1234_i64, 0_i64), (0, 3)] {
        let path = dir
            .path()
            .join(format!("foreign-{app_id}-{user_version}.db"));
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.execute_batch("CREATE TABLE theirs (x)").unwrap();
        raw.pragma_update(None, "application_id", app_id).unwrap();
        raw.pragma_update(None, "user_version", user_version)
            .unwrap();
        drop(raw);
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::Migration(MigrationError::ForeignDatabase { found }) if found == app_id),
            "{err:?}"
        );
    }
}

#[test]
fn a_file_that_is_not_a_database_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    fs::write(&path, vec![0x42; 8192]).unwrap();
    assert!(SqliteStore::open(&path).is_err());
}

#[test]
fn a_failure_at_the_feed_append_rolls_back_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = SqliteStore::open(&path).unwrap();
    store.commit(0, &[put("user", "AIDA1", b"v1")]).unwrap();
    // Make the last statement of a commit fail, after its records were written.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TRIGGER fail_feed BEFORE INSERT ON feed BEGIN SELECT RAISE(ABORT, 'injected'); END;",
    )
    .unwrap();

    let err = store
        .commit(
            1,
            &[put("user", "AIDA1", b"v2"), put("user", "AIDA2", b"new")],
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Backend {
                operation: "appending to the feed",
                ..
            }
        ),
        "{err:?}"
    );
    let loaded = store.load_all().unwrap();
    assert_eq!(loaded.seq, 1);
    assert_eq!(
        loaded.records,
        vec![Record {
            table: "user".into(),
            key: "AIDA1".into(),
            value: b"v1".to_vec(),
        }]
    );

    raw.execute_batch("DROP TRIGGER fail_feed").unwrap();
    assert_eq!(store.commit(1, &[put("user", "AIDA2", b"new")]).unwrap(), 2);
}

#[test]
fn a_corrupt_feed_entry_is_reported_not_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = SqliteStore::open(&path).unwrap();
    store.commit(0, &[put("user", "AIDA1", b"v1")]).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO feed (seq, changes) VALUES (2, x'01ffffff')",
            [],
        )
        .unwrap();
    let err = store.changes_since(0).unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(msg) if msg.contains("feed entry 2")),
        "{err:?}"
    );
    assert_eq!(store.changes_since(2).unwrap(), vec![]);
}

#[test]
fn two_stores_on_one_file_see_each_other_and_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let node_a = SqliteStore::open(&path).unwrap();
    let node_b = SqliteStore::open(&path).unwrap();
    assert_eq!(
        node_a
            .commit(0, &[put("user", "AIDA1", b"from a")])
            .unwrap(),
        1
    );
    assert!(matches!(
        node_b.commit(0, &[put("user", "AIDA1", b"from b")]),
        Err(StoreError::Conflict { current: 1 })
    ));
    let followed = node_b.changes_since(0).unwrap();
    assert_eq!(followed, vec![(1, vec![put("user", "AIDA1", b"from a")])]);
    assert_eq!(
        node_b
            .commit(1, &[put("user", "AIDA1", b"from b")])
            .unwrap(),
        2
    );
    let seen_by_a = node_a.load_all().unwrap();
    assert_eq!(
        (seen_by_a.seq, seen_by_a.records[0].value.as_slice()),
        (2, &b"from b"[..])
    );
}

#[test]
fn racing_nodes_on_one_file_produce_exactly_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let nodes = [
        SqliteStore::open(&path).unwrap(),
        SqliteStore::open(&path).unwrap(),
    ];
    for round in 0..20_u64 {
        let barrier = std::sync::Barrier::new(6);
        let results: Vec<Result<u64, StoreError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6)
                .map(|i| {
                    let (node, barrier) = (&nodes[i % 2], &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        node.commit(round, &[put("race", &format!("{round}/{i}"), b"")])
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let wins = results
            .iter()
            .filter(|r| matches!(r, Ok(n) if *n == round + 1))
            .count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Conflict { current }) if *current == round + 1))
            .count();
        assert_eq!((wins, conflicts), (1, 5), "round {round}: {results:?}");
    }
    let loaded = nodes[1].load_all().unwrap();
    assert_eq!((loaded.seq, loaded.records.len()), (20, 20));
}

#[cfg(unix)]
#[test]
fn database_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = SqliteStore::open(&path).unwrap();
    store.commit(0, &[put("user", "AIDA1", b"v")]).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    for file in files_in(path.parent().unwrap()) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// Every byte the database left on disk (main file, WAL, shared memory).
fn bytes_on_disk(dir: &Path) -> Vec<u8> {
    files_in(dir)
        .iter()
        .flat_map(|f| fs::read(f).unwrap())
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_sealed_secret_never_reaches_the_database_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let kek = Kek::generate();
    // A fresh 40-character secret, as the server generates them.
    let secret: String = rand::Rng::sample_iter(rand::rng(), rand::distr::Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    let key_id = "AKIAQSTORETESTKEY001";
    let aad = format!("access_key/{key_id}");
    let sealed = kek.seal(secret.as_bytes(), aad.as_bytes());
    let value = format!(r#"{{"AccessKeyId":"{key_id}","SecretAccessKey":{sealed:?}}}"#);
    {
        let store = SqliteStore::open(&path).unwrap();
        store
            .commit(0, &[put("access_key", key_id, value.as_bytes())])
            .unwrap();
        // While open (data may sit in the WAL) and after close (checkpointed).
        let on_disk = bytes_on_disk(path.parent().unwrap());
        assert!(
            contains(&on_disk, key_id.as_bytes()),
            "the search must find stored text"
        );
        assert!(
            !contains(&on_disk, secret.as_bytes()),
            "secret in clear text on disk"
        );
    }
    let on_disk = bytes_on_disk(path.parent().unwrap());
    assert!(contains(&on_disk, key_id.as_bytes()));
    assert!(
        !contains(&on_disk, secret.as_bytes()),
        "secret in clear text on disk"
    );
    assert!(
        !contains(&on_disk, &secret.as_bytes()[..20]),
        "half the secret on disk"
    );

    // And the sealed form read back opens to the secret.
    let store = SqliteStore::open(&path).unwrap();
    let stored = store.load_all().unwrap().records.remove(0).value;
    assert_eq!(stored, value.as_bytes());
    assert_eq!(
        kek.open(&sealed, aad.as_bytes()).unwrap().as_slice(),
        secret.as_bytes()
    );
}

#[test]
fn pruning_the_feed_keeps_the_sequence_and_followers_notice_the_gap() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = SqliteStore::open(&path).unwrap();
    for seq in 0..10 {
        store
            .commit(seq, &[put("user", &format!("u{seq}"), b"v")])
            .unwrap();
    }
    assert_eq!(store.prune_feed(3).unwrap(), 7);
    let tail: Vec<u64> = store
        .changes_since(7)
        .unwrap()
        .iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(tail, [8, 9, 10]);
    for behind in [0, 5, 6] {
        assert!(
            matches!(
                store.changes_since(behind),
                Err(StoreError::FeedTruncated { after, oldest: 8 }) if after == behind
            ),
            "changes_since({behind})"
        );
    }
    assert_eq!(store.changes_since(10).unwrap(), vec![]);

    // Pruning everything still keeps the head entry, which carries the sequence.
    assert_eq!(store.prune_feed(0).unwrap(), 2);
    assert_eq!(store.load_all().unwrap().seq, 10);
    assert_eq!(store.load_all().unwrap().records.len(), 10);
    assert!(matches!(
        store.commit(9, &[]),
        Err(StoreError::Conflict { current: 10 })
    ));
    assert_eq!(store.commit(10, &[]).unwrap(), 11);
    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.load_all().unwrap().seq, 11);
    assert_eq!(reopened.changes_since(10).unwrap(), vec![(11, vec![])]);
}
