//! Tests of `app`, beside it so that the module itself stays short.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use super::*;

/// Both nodes of a test share one key-encryption key, as nodes of one deployment do.
const KEK: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

fn open(store: Arc<dyn Store>) -> Arc<App> {
    let kek = Kek::from_base64(KEK).unwrap();
    App::with_store(Config::default(), store, kek).unwrap().0
}

fn setting(name: &str, value: &str) -> Setting {
    Setting {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

/// A store that counts commits, can be made to fail them, and can hold one commit until
/// released: the faults a real disk or a second node produce, on demand.
#[derive(Debug)]
struct Faulty {
    inner: SqliteStore,
    commits: AtomicUsize,
    fail: AtomicBool,
    hold: AtomicBool,
    holding: AtomicBool,
}

impl Faulty {
    fn new(inner: SqliteStore) -> Arc<Faulty> {
        Arc::new(Faulty {
            inner,
            commits: AtomicUsize::new(0),
            fail: AtomicBool::new(false),
            hold: AtomicBool::new(false),
            holding: AtomicBool::new(false),
        })
    }
}

impl Store for Faulty {
    fn load_all(&self) -> Result<oxiam_store::Loaded, StoreError> {
        self.inner.load_all()
    }
    fn commit(&self, expected_seq: u64, changes: &[Change]) -> Result<u64, StoreError> {
        while self.hold.load(Ordering::SeqCst) {
            self.holding.store(true, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(1));
        }
        self.holding.store(false, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Backend {
                operation: "committing (injected fault)",
                source: "disk full".into(),
            });
        }
        self.commits.fetch_add(1, Ordering::SeqCst);
        self.inner.commit(expected_seq, changes)
    }
    fn changes_since(&self, after: u64) -> Result<Vec<(u64, Vec<Change>)>, StoreError> {
        self.inner.changes_since(after)
    }
    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get_meta(key)
    }
    fn put_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.inner.put_meta(key, value)
    }
    fn list_meta(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.list_meta()
    }
}

fn wait_for(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..5000 {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn concurrent_writes_are_all_durable_and_published() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oxiam.db");
    let app = open(Arc::new(SqliteStore::open(&path).unwrap()));
    std::thread::scope(|s| {
        for t in 0..8 {
            let app = &app;
            s.spawn(move || {
                for i in 0..25 {
                    app.write(|tx| tx.put(setting(&format!("t{t}-{i}"), "v")))
                        .unwrap();
                }
            });
        }
    });
    let published = app.snapshot();
    let written = published.settings.keys().filter(|k| k.starts_with('t'));
    assert_eq!(written.count(), 200);
    // What a restart reads back from disk is exactly what was published.
    let reopened = open(Arc::new(SqliteStore::open(&path).unwrap()));
    assert_eq!(reopened.snapshot().seq, published.seq);
    assert_eq!(reopened.snapshot().settings, published.settings);
}

#[test]
fn writes_queued_during_a_flush_share_the_next_commit_and_stay_invisible_until_durable() {
    let store = Faulty::new(SqliteStore::open_in_memory().unwrap());
    let app = open(store.clone());
    let before = store.commits.load(Ordering::SeqCst);
    store.hold.store(true, Ordering::SeqCst);
    std::thread::scope(|s| {
        let first = s.spawn(|| app.write(|tx| tx.put(setting("first", "1"))));
        wait_for("the first flush", || store.holding.load(Ordering::SeqCst));
        let queued: Vec<_> = (0..5)
            .map(|i| {
                let app = &app;
                s.spawn(move || app.write(|tx| tx.put(setting(&format!("q{i}"), "1"))))
            })
            .collect();
        wait_for("five queued writes", || {
            app.writer
                .lock()
                .map(|w| w.batch.len() == 5)
                .unwrap_or(false)
        });
        // Neither the flushing write nor the queued ones are visible to readers yet.
        assert!(!app.snapshot().settings.contains_key("first"));
        let seen = app.read(|tx| Ok(tx.state().settings.contains_key("q0")));
        assert!(!seen.unwrap(), "a read saw a write that is not durable");
        store.hold.store(false, Ordering::SeqCst);
        first.join().unwrap().unwrap();
        for q in queued {
            q.join().unwrap().unwrap();
        }
    });
    assert_eq!(
        store.commits.load(Ordering::SeqCst) - before,
        2,
        "one commit per batch"
    );
    let state = app.snapshot();
    assert!(state.settings.contains_key("first") && state.settings.contains_key("q4"));
}

#[test]
fn a_failed_commit_publishes_nothing_and_the_next_write_proceeds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oxiam.db");
    let store = Faulty::new(SqliteStore::open(&path).unwrap());
    let app = open(store.clone());
    let seq = app.snapshot().seq;
    store.fail.store(true, Ordering::SeqCst);
    let err = app.write(|tx| tx.put(setting("lost", "1"))).unwrap_err();
    assert!(err.is_internal(), "{err:?}");
    assert!(!app.snapshot().settings.contains_key("lost"));
    assert_eq!(app.snapshot().seq, seq);
    store.fail.store(false, Ordering::SeqCst);
    app.write(|tx| tx.put(setting("kept", "1"))).unwrap();
    let reopened = open(Arc::new(SqliteStore::open(&path).unwrap()));
    let settings = &reopened.snapshot().settings;
    assert!(settings.contains_key("kept") && !settings.contains_key("lost"));
}

#[test]
fn a_handler_error_leaves_nothing_behind() {
    let app = open(Arc::new(SqliteStore::open_in_memory().unwrap()));
    let r: Result<(), ServerError> = app.write(|tx| {
        tx.put(setting("half", "1"))?;
        Err(ServerError::Conflict)
    });
    assert!(r.is_err());
    assert!(!app.snapshot().settings.contains_key("half"));
    app.write(|tx| tx.put(setting("whole", "1"))).unwrap();
    assert!(!app.snapshot().settings.contains_key("half"));
}

#[test]
fn a_write_that_lost_the_race_to_another_node_is_rerun_on_that_nodes_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oxiam.db");
    let one = open(Arc::new(SqliteStore::open(&path).unwrap()));
    let two = open(Arc::new(SqliteStore::open(&path).unwrap()));
    two.write(|tx| tx.put(setting("from-two", "1"))).unwrap();
    let runs = AtomicUsize::new(0);
    one.write(|tx| {
        runs.fetch_add(1, Ordering::SeqCst);
        let saw = tx.state().settings.contains_key("from-two");
        tx.put(setting("from-one", &format!("saw-two={saw}")))
    })
    .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2, "re-run after the conflict");
    let state = one.snapshot();
    assert_eq!(state.settings["from-one"].value, "saw-two=true");
    assert!(state.settings.contains_key("from-two"));
}

#[test]
fn a_follower_applies_another_nodes_commits_without_a_write_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oxiam.db");
    let one = open(Arc::new(SqliteStore::open(&path).unwrap()));
    let two = open(Arc::new(SqliteStore::open(&path).unwrap()));
    let follower = two.spawn_follower().unwrap();
    one.write(|tx| tx.put(setting("from-one", "1"))).unwrap();
    wait_for("the follower to apply one's commit", || {
        two.snapshot().settings.contains_key("from-one")
    });
    assert_eq!(two.snapshot().seq, one.snapshot().seq);
    assert!(two.store_status().reachable);
    follower.stop();
    // After the follower stopped, two's own write still lands on top of everything.
    two.write(|tx| tx.put(setting("from-two", "1"))).unwrap();
    one.follow().unwrap();
    assert!(one.snapshot().settings.contains_key("from-two"));
}

#[test]
fn a_failing_store_shows_in_the_status_and_recovers() {
    let store = Faulty::new(SqliteStore::open_in_memory().unwrap());
    let app = open(store.clone());
    store.fail.store(true, Ordering::SeqCst);
    assert!(app.write(|tx| tx.put(setting("lost", "1"))).is_err());
    assert!(!app.store_status().reachable);
    store.fail.store(false, Ordering::SeqCst);
    app.write(|tx| tx.put(setting("kept", "1"))).unwrap();
    assert!(app.store_status().reachable);
}

fn attempt<'a>(
    action: &'a str,
    at: crate::model::Epoch,
) -> crate::runtime::access_log::Attempt<'a> {
    crate::runtime::access_log::Attempt {
        account: "123456789012",
        entity_id: "AIDAEXAMPLE",
        kind: EntityKind::User,
        action,
        region: Some("us-east-1"),
        via: crate::model::access::Via::Api,
        at,
    }
}

#[test]
fn access_records_of_two_nodes_add_up_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oxiam.db");
    let one = open(Arc::new(SqliteStore::open(&path).unwrap()));
    let two = open(Arc::new(SqliteStore::open(&path).unwrap()));
    let now = now_epoch();
    // No purge in this test (AIDAEXAMPLE is no user of the store).
    *one.access_purged.lock().unwrap() = now;
    *two.access_purged.lock().unwrap() = now;
    one.access.note(&attempt("s3:GetObject", now - 20));
    one.access.note(&attempt("s3:GetObject", now - 10));
    two.access.note(&attempt("S3:GetObject", now - 15));
    two.access.note(&attempt("iam:GetUser", now - 5));
    one.flush_last_used().unwrap();
    // two commits on top of one's flush (a conflict, re-run on the newer state).
    two.flush_last_used().unwrap();
    let state = two.snapshot();
    let key = AccessRecord::store_key("123456789012", "AIDAEXAMPLE", "s3:getobject");
    let merged = &state.access_records[&key];
    assert_eq!((merged.count, merged.last), (3, now - 10));
    assert_eq!(state.access_records.len(), 2);
    // Flushed once: a second flush adds nothing.
    two.flush_last_used().unwrap();
    assert_eq!(two.snapshot().access_records[&key].count, 3);
}

#[test]
fn the_purge_drops_records_past_the_retention_and_of_deleted_entities() {
    let kek = Kek::from_base64(KEK).unwrap();
    let config = Config {
        access_retention_days: 1,
        ..Config::default()
    };
    let app = App::with_store(
        config,
        Arc::new(SqliteStore::open_in_memory().unwrap()),
        kek,
    )
    .unwrap()
    .0;
    let now = now_epoch();
    app.access.note(&attempt("s3:GetObject", now - 2 * 86_400));
    app.access.note(&crate::runtime::access_log::Attempt {
        entity_id: "AROAGONE",
        kind: EntityKind::Role,
        ..attempt("s3:ListBucket", now)
    });
    // Nothing is purged before the hour is up on this node; then both go (the user
    // `AIDAEXAMPLE` does not exist either).
    *app.access_purged.lock().unwrap() = now;
    app.flush_last_used().unwrap();
    assert_eq!(app.snapshot().access_records.len(), 2);
    *app.access_purged.lock().unwrap() = now - 3600;
    app.flush_last_used().unwrap();
    assert!(app.snapshot().access_records.is_empty());
}

/// `--service-catalogue` files join AWS's services; a bad one stops the start, before
/// any store is opened, with the file and the reason.
#[test]
fn service_catalogue_files_join_aws_or_stop_the_start() {
    use oxiam_catalogue::{AccessLevel, Catalogue};
    let plain = open(Arc::new(SqliteStore::open_in_memory().unwrap()));
    assert!(std::ptr::eq(plain.catalogue(), Catalogue::aws()));
    assert!(plain.catalogue().service("myapp").is_none());

    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let service = |prefix: &str| {
        format!(
            r#"{{"services":[{{"prefix":"{prefix}","name":"Mine",
                    "actions":[{{"name":"GetFile","accessLevel":"Read"}}]}}]}}"#
        )
    };
    let myapp = file("myapp.json", &service("myapp"));
    let other = file("other.json", &service("other"));
    let with = |files: &[&std::path::PathBuf]| {
        App::open(Config {
            service_catalogues: files.iter().map(|p| p.to_path_buf()).collect(),
            ..Config::default()
        })
    };
    let (app, _) = with(&[&myapp, &other]).unwrap();
    let (_, action) = app.catalogue().action("MyApp:getfile").unwrap();
    assert_eq!(action.access_level, AccessLevel::Read);
    assert!(app.catalogue().action("other:GetFile").is_some());
    assert!(app.catalogue().action("s3:GetObject").is_some());

    let start_error = |files: &[&std::path::PathBuf]| match with(files) {
        Err(ServerError::Startup(why)) => why,
        other => panic!("expected a start-up error, got {other:?}"),
    };
    let s3 = file("s3.json", &service("s3"));
    assert_eq!(
        start_error(&[&myapp, &s3]),
        format!(
            "--service-catalogue {}: service prefix `s3` is taken by Amazon S3",
            s3.display()
        )
    );
    assert_eq!(
        start_error(&[&myapp, &myapp]),
        format!(
            "--service-catalogue {}: service prefix `myapp` is taken by Mine",
            myapp.display()
        )
    );
    let broken = file("broken.json", r#"{"services":[{"prefix":"x"}"#);
    assert!(start_error(&[&broken]).starts_with(&format!(
        "--service-catalogue {}: malformed catalogue: ",
        broken.display()
    )));
    let missing = dir.path().join("missing.json");
    assert!(start_error(&[&missing]).starts_with(&format!(
        "--service-catalogue {}: cannot read it: ",
        missing.display()
    )));
    // Refused before the store is opened: no data directory is made.
    let data_dir = dir.path().join("data");
    let refused = App::open(Config {
        data_dir: Some(data_dir.clone()),
        service_catalogues: vec![s3],
        ..Config::default()
    });
    assert!(matches!(refused, Err(ServerError::Startup(_))));
    assert!(!data_dir.exists());
}
