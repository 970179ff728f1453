//! The store conformance suite: what every [`Store`] backend must do, checked the same way.
//!
//! Public so each backend's tests call it (`run_all` on SQLite always, on PostgreSQL when a
//! server is reachable). The checks do not assume an empty store: each works relative to the
//! sequence it finds, writes under its own table and a per-run key prefix, and deletes what
//! it wrote, so a shared test database can be reused across runs.

use std::collections::BTreeMap;

use rand::RngCore as _;

use crate::{Change, Record, Store, StoreError};

/// A check: `Ok` or a message saying what differed.
pub type Check = fn(&dyn Store) -> Result<(), String>;

/// Every check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("round_trip", round_trip),
    ("overwrite", overwrite),
    ("delete", delete),
    ("atomicity", atomicity),
    ("invalid_changes", invalid_changes),
    ("conflict_on_stale_seq", conflict_on_stale_seq),
    ("concurrent_writers", concurrent_writers),
    ("feed_order", feed_order),
    ("changes_since", changes_since),
    ("load_all_is_consistent", load_all_is_consistent),
    ("meta", meta),
    ("large_values", large_values),
    ("binary_values", binary_values),
    ("unicode_keys", unicode_keys),
    ("many_records", many_records),
];

/// Runs every check; `Err` lists each failed check with its message.
pub fn run_all(store: &dyn Store) -> Result<(), String> {
    let failures: Vec<String> = CHECKS
        .iter()
        .filter_map(|(name, check)| check(store).err().map(|msg| format!("{name}: {msg}")))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// Every table the suite writes starts with this, so it never touches real data.
const TABLE: &str = "conformance";

/// Keys unique to one check run, so reruns on a shared database do not collide.
struct Scope {
    prefix: String,
}

impl Scope {
    fn new(check: &str) -> Scope {
        let mut nonce = [0u8; 8];
        rand::rng().fill_bytes(&mut nonce);
        Scope {
            prefix: format!("{check}/{:016x}/", u64::from_le_bytes(nonce)),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn put(&self, name: &str, value: &[u8]) -> Change {
        Change::Put(self.record(name, value))
    }

    fn record(&self, name: &str, value: &[u8]) -> Record {
        Record {
            table: TABLE.into(),
            key: self.key(name),
            value: value.to_vec(),
        }
    }

    fn delete(&self, name: &str) -> Change {
        Change::Delete {
            table: TABLE.into(),
            key: self.key(name),
        }
    }

    /// This scope's records in the store, by key.
    fn load(&self, store: &dyn Store) -> Result<(u64, BTreeMap<String, Vec<u8>>), String> {
        let loaded = store.load_all().map_err(fail("load_all"))?;
        let mine = loaded
            .records
            .into_iter()
            .filter(|r| r.table == TABLE && r.key.starts_with(&self.prefix))
            .map(|r| (r.key, r.value))
            .collect();
        Ok((loaded.seq, mine))
    }

    /// Removes whatever this scope left in the store.
    fn clean_up(&self, store: &dyn Store) -> Result<(), String> {
        let (seq, mine) = self.load(store)?;
        if mine.is_empty() {
            return Ok(());
        }
        let deletes: Vec<Change> = mine
            .into_keys()
            .map(|key| Change::Delete {
                table: TABLE.into(),
                key,
            })
            .collect();
        commit(store, seq, &deletes).map(drop)
    }
}

fn fail(operation: &'static str) -> impl FnOnce(StoreError) -> String {
    move |err| format!("{operation} failed: {}", crate::error_chain(&err))
}

fn seq(store: &dyn Store) -> Result<u64, String> {
    Ok(store.load_all().map_err(fail("load_all"))?.seq)
}

/// Commits and checks the returned sequence is `expected + 1`.
fn commit(store: &dyn Store, expected: u64, changes: &[Change]) -> Result<u64, String> {
    let new_seq = store.commit(expected, changes).map_err(fail("commit"))?;
    ensure(
        new_seq == expected + 1,
        format!("commit at {expected} returned sequence {new_seq}"),
    )?;
    Ok(new_seq)
}

fn ensure(condition: bool, message: impl Into<String>) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(message.into())
    }
}

fn ensure_eq<T: PartialEq + std::fmt::Debug>(
    actual: T,
    expected: T,
    what: &str,
) -> Result<(), String> {
    ensure(
        actual == expected,
        format!("{what}: got {actual:?}, expected {expected:?}"),
    )
}

/// Runs `body` and then removes the scope's records, reporting the first failure.
fn scoped(
    store: &dyn Store,
    check: &str,
    body: impl FnOnce(&Scope) -> Result<(), String>,
) -> Result<(), String> {
    let scope = Scope::new(check);
    let result = body(&scope);
    let cleaned = scope.clean_up(store);
    result.and(cleaned)
}

/// A put is visible in `load_all` with exactly its bytes, and bumps the sequence by one.
pub fn round_trip(store: &dyn Store) -> Result<(), String> {
    scoped(store, "round_trip", |s| {
        let before = seq(store)?;
        let after = commit(store, before, &[s.put("a", b"{\"UserName\":\"alice\"}")])?;
        let (loaded_seq, mine) = s.load(store)?;
        ensure_eq(loaded_seq, after, "sequence after commit")?;
        ensure_eq(
            mine.get(&s.key("a")).map(Vec::as_slice),
            Some(&b"{\"UserName\":\"alice\"}"[..]),
            "stored value",
        )?;
        ensure_eq(mine.len(), 1, "records in scope")
    })
}

/// A later put replaces the value; within one commit the last put of a key wins.
pub fn overwrite(store: &dyn Store) -> Result<(), String> {
    scoped(store, "overwrite", |s| {
        let seq0 = seq(store)?;
        let seq1 = commit(store, seq0, &[s.put("k", b"one")])?;
        let seq2 = commit(store, seq1, &[s.put("k", b"two")])?;
        commit(store, seq2, &[s.put("j", b"x"), s.put("j", b"y")])?;
        let (_, mine) = s.load(store)?;
        ensure_eq(
            mine.get(&s.key("k")).map(Vec::as_slice),
            Some(&b"two"[..]),
            "k",
        )?;
        ensure_eq(
            mine.get(&s.key("j")).map(Vec::as_slice),
            Some(&b"y"[..]),
            "j",
        )?;
        ensure_eq(mine.len(), 2, "records in scope")
    })
}

/// A delete removes the record; deleting an absent record succeeds and is still a commit.
/// Tables are separate key spaces: deleting in one leaves the same key in another.
pub fn delete(store: &dyn Store) -> Result<(), String> {
    scoped(store, "delete", |s| {
        let other_table = Change::Put(Record {
            table: format!("{TABLE}.other"),
            key: s.key("gone"),
            value: b"stays".to_vec(),
        });
        let seq0 = seq(store)?;
        let seq1 = commit(
            store,
            seq0,
            &[s.put("gone", b"1"), s.put("kept", b"2"), other_table],
        )?;
        let seq2 = commit(store, seq1, &[s.delete("gone")])?;
        let (_, mine) = s.load(store)?;
        ensure(
            !mine.contains_key(&s.key("gone")),
            "deleted record still loaded",
        )?;
        ensure(mine.contains_key(&s.key("kept")), "unrelated record lost")?;
        let loaded = store.load_all().map_err(fail("load_all"))?;
        let other = loaded
            .records
            .iter()
            .find(|r| r.table == format!("{TABLE}.other") && r.key == s.key("gone"));
        ensure(
            other.is_some(),
            "delete removed the same key from another table",
        )?;
        commit(store, seq2, &[s.delete("never-existed")])?;
        let seq4 = seq(store)?;
        commit(
            store,
            seq4,
            &[Change::Delete {
                table: format!("{TABLE}.other"),
                key: s.key("gone"),
            }],
        )
        .map(drop)
    })
}

/// A commit that fails part-way writes nothing: no record, no feed entry, no sequence bump.
pub fn atomicity(store: &dyn Store) -> Result<(), String> {
    scoped(store, "atomicity", |s| {
        let seq0 = seq(store)?;
        let seq1 = commit(store, seq0, &[s.put("existing", b"old")])?;
        let bad = Change::Put(Record {
            table: String::new(),
            key: s.key("bad"),
            value: b"x".to_vec(),
        });
        let changes = [
            s.put("first", b"written before the failure"),
            s.put("existing", b"new"),
            s.delete("existing"),
            bad,
            s.put("after", b"never reached"),
        ];
        match store.commit(seq1, &changes) {
            Err(StoreError::InvalidChange(_)) => {}
            other => return Err(format!("commit with an invalid change returned {other:?}")),
        }
        let (loaded_seq, mine) = s.load(store)?;
        ensure_eq(loaded_seq, seq1, "sequence after failed commit")?;
        ensure_eq(mine.len(), 1, "records in scope after failed commit")?;
        ensure_eq(
            mine.get(&s.key("existing")).map(Vec::as_slice),
            Some(&b"old"[..]),
            "existing record after failed commit",
        )?;
        let feed = store.changes_since(seq1).map_err(fail("changes_since"))?;
        ensure(
            feed.is_empty(),
            format!("failed commit left feed entries {feed:?}"),
        )?;
        // The store still accepts the next commit at the unchanged sequence.
        commit(store, seq1, &[s.put("next", b"ok")]).map(drop)
    })
}

/// Bad table names and keys are rejected as `InvalidChange` for puts and deletes.
pub fn invalid_changes(store: &dyn Store) -> Result<(), String> {
    let seq0 = seq(store)?;
    let long_key = "k".repeat(crate::MAX_KEY_LEN + 1);
    let cases = [
        ("empty table", "", "k"),
        ("upper-case table", "Conformance", "k"),
        ("table with slash", "con/formance", "k"),
        ("empty key", TABLE, ""),
        ("over-long key", TABLE, long_key.as_str()),
    ];
    for (what, table, key) in cases {
        for change in [
            Change::Put(Record {
                table: table.into(),
                key: key.into(),
                value: vec![],
            }),
            Change::Delete {
                table: table.into(),
                key: key.into(),
            },
        ] {
            match store.commit(seq0, std::slice::from_ref(&change)) {
                Err(StoreError::InvalidChange(_)) => {}
                other => return Err(format!("{what}: commit returned {other:?}")),
            }
        }
    }
    ensure_eq(seq(store)?, seq0, "sequence after rejected commits")
}

/// A commit at a stale (or future) sequence is a `Conflict` carrying the current sequence and
/// writes nothing.
pub fn conflict_on_stale_seq(store: &dyn Store) -> Result<(), String> {
    scoped(store, "conflict_on_stale_seq", |s| {
        let seq0 = seq(store)?;
        let seq1 = commit(store, seq0, &[s.put("winner", b"w")])?;
        for stale in [seq0, seq1 + 1, seq1 + 100] {
            match store.commit(stale, &[s.put("loser", b"l")]) {
                Err(StoreError::Conflict { current }) => {
                    ensure_eq(current, seq1, "current sequence in Conflict")?;
                }
                other => return Err(format!("commit at {stale} returned {other:?}")),
            }
        }
        let (loaded_seq, mine) = s.load(store)?;
        ensure_eq(loaded_seq, seq1, "sequence after conflicts")?;
        ensure(
            !mine.contains_key(&s.key("loser")),
            "conflicting commit was written",
        )?;
        let feed = store.changes_since(seq1).map_err(fail("changes_since"))?;
        ensure(feed.is_empty(), "conflicting commit reached the feed")
    })
}

/// Writers racing from the same sequence: exactly one wins, the others get `Conflict`.
pub fn concurrent_writers(store: &dyn Store) -> Result<(), String> {
    const WRITERS: usize = 8;
    scoped(store, "concurrent_writers", |s| {
        let seq0 = seq(store)?;
        let barrier = std::sync::Barrier::new(WRITERS);
        let results: Vec<Result<u64, StoreError>> = std::thread::scope(|threads| {
            let handles: Vec<_> = (0..WRITERS)
                .map(|i| {
                    let change = s.put(&format!("writer-{i}"), b"");
                    let barrier = &barrier;
                    threads.spawn(move || {
                        barrier.wait();
                        store.commit(seq0, &[change])
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Ok(u64::MAX)))
                .collect()
        });
        let wins = results
            .iter()
            .filter(|r| matches!(r, Ok(n) if *n == seq0 + 1))
            .count();
        let conflicts = results
            .iter()
            .filter(|r| matches!(r, Err(StoreError::Conflict { current }) if *current == seq0 + 1))
            .count();
        ensure(
            wins == 1 && conflicts == WRITERS - 1,
            format!(
                "expected 1 winner and {} conflicts, got {results:?}",
                WRITERS - 1
            ),
        )?;
        let (_, mine) = s.load(store)?;
        ensure_eq(mine.len(), 1, "records written by racing writers")
    })
}

/// The feed returns each commit as one entry, numbered by its sequence, with exactly the
/// committed changes in commit order.
pub fn feed_order(store: &dyn Store) -> Result<(), String> {
    scoped(store, "feed_order", |s| {
        let seq0 = seq(store)?;
        let batches = vec![
            vec![s.put("a", b"1"), s.put("b", b"2")],
            vec![s.delete("a")],
            vec![],
            vec![s.put("c", b"3"), s.delete("b"), s.put("a", b"4")],
        ];
        let mut expected = Vec::new();
        let mut at = seq0;
        for batch in batches {
            at = commit(store, at, &batch)?;
            expected.push((at, batch));
        }
        let feed = store.changes_since(seq0).map_err(fail("changes_since"))?;
        ensure_eq(feed, expected, "feed entries")
    })
}

/// `changes_since(n)` returns exactly the entries after `n`: the tail, or nothing at or past
/// the head.
pub fn changes_since(store: &dyn Store) -> Result<(), String> {
    scoped(store, "changes_since", |s| {
        let seq0 = seq(store)?;
        let mut at = seq0;
        for i in 0..5 {
            at = commit(store, at, &[s.put(&format!("k{i}"), &[i])])?;
        }
        let all = store.changes_since(seq0).map_err(fail("changes_since"))?;
        let seqs: Vec<u64> = all.iter().map(|(n, _)| *n).collect();
        ensure_eq(
            seqs,
            (seq0 + 1..=seq0 + 5).collect(),
            "sequences since start",
        )?;
        let tail = store
            .changes_since(seq0 + 3)
            .map_err(fail("changes_since"))?;
        ensure_eq(
            tail.as_slice(),
            all.get(3..).unwrap_or_default(),
            "tail after 3",
        )?;
        for past in [at, at + 1, u64::MAX] {
            let none = store.changes_since(past).map_err(fail("changes_since"))?;
            ensure(
                none.is_empty(),
                format!("changes_since({past}) returned {none:?}"),
            )?;
        }
        if seq0 == 0 {
            let from_zero = store.changes_since(0).map_err(fail("changes_since"))?;
            ensure_eq(from_zero, all, "changes_since(0) on a fresh store")?;
        }
        Ok(())
    })
}

/// `load_all` is a snapshot: its sequence matches its records even while a writer commits.
pub fn load_all_is_consistent(store: &dyn Store) -> Result<(), String> {
    const COMMITS: u64 = 200;
    scoped(store, "load_all_is_consistent", |s| {
        // Each commit writes the sequence it creates into two records; a torn snapshot
        // would show them disagreeing with each other or with `seq`.
        let seq0 = seq(store)?;
        let counter = |n: u64| vec![s.put("x", &n.to_le_bytes()), s.put("y", &n.to_le_bytes())];
        let writer_result = std::thread::scope(|threads| {
            let writer = threads.spawn(|| -> Result<(), String> {
                let mut at = seq0;
                for _ in 0..COMMITS {
                    at = commit(store, at, &counter(at + 1))?;
                }
                Ok(())
            });
            let mut observed = Vec::new();
            while !writer.is_finished() {
                observed.push(s.load(store));
            }
            let written = writer
                .join()
                .unwrap_or_else(|_| Err("writer panicked".into()));
            (written, observed)
        });
        let (written, observed) = writer_result;
        written?;
        for snapshot in observed {
            let (snapshot_seq, mine) = snapshot?;
            let read = |name: &str| mine.get(&s.key(name)).cloned();
            let expect = (snapshot_seq > seq0).then(|| snapshot_seq.to_le_bytes().to_vec());
            ensure_eq(read("x"), expect.clone(), "x in snapshot")?;
            ensure_eq(read("y"), expect, "y in snapshot")?;
        }
        Ok(())
    })
}

/// Metadata round trips, overwrites, and stays out of records, feed and sequence.
pub fn meta(store: &dyn Store) -> Result<(), String> {
    let scope = Scope::new("meta");
    let key = scope.key("default_account");
    let seq0 = seq(store)?;
    ensure_eq(
        store.get_meta(&key).map_err(fail("get_meta"))?,
        None,
        "absent meta",
    )?;
    store
        .put_meta(&key, "123456789012")
        .map_err(fail("put_meta"))?;
    ensure_eq(
        store.get_meta(&key).map_err(fail("get_meta"))?.as_deref(),
        Some("123456789012"),
        "meta after put",
    )?;
    store
        .put_meta(&key, "ünïcode ✓")
        .map_err(fail("put_meta"))?;
    ensure_eq(
        store.get_meta(&key).map_err(fail("get_meta"))?.as_deref(),
        Some("ünïcode ✓"),
        "meta after overwrite",
    )?;
    let listed = store.list_meta().map_err(fail("list_meta"))?;
    ensure(
        listed.iter().any(|(k, v)| *k == key && v == "ünïcode ✓"),
        "list_meta misses the entry",
    )?;
    ensure(
        listed.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)),
        "list_meta is not sorted by key",
    )?;
    ensure_eq(
        store
            .get_meta(&scope.key("other"))
            .map_err(fail("get_meta"))?,
        None,
        "unrelated meta key",
    )?;
    ensure_eq(seq(store)?, seq0, "sequence after put_meta")?;
    let feed = store.changes_since(seq0).map_err(fail("changes_since"))?;
    ensure(feed.is_empty(), "put_meta reached the feed")?;
    match store.put_meta("", "x") {
        Err(StoreError::InvalidChange(_)) => Ok(()),
        other => Err(format!("put_meta with an empty key returned {other:?}")),
    }
}

/// A 1 MiB value survives `load_all` and the feed byte for byte.
pub fn large_values(store: &dyn Store) -> Result<(), String> {
    scoped(store, "large_values", |s| {
        let mut big = vec![0u8; 1 << 20];
        rand::rng().fill_bytes(&mut big);
        let seq0 = seq(store)?;
        commit(store, seq0, &[s.put("big", &big), s.put("small", b"s")])?;
        let (_, mine) = s.load(store)?;
        ensure(
            mine.get(&s.key("big")) == Some(&big),
            "1 MiB value changed in load_all",
        )?;
        let feed = store.changes_since(seq0).map_err(fail("changes_since"))?;
        let in_feed = feed.first().and_then(|(_, changes)| changes.first());
        ensure(
            in_feed == Some(&s.put("big", &big)),
            "1 MiB value changed in the feed",
        )
    })
}

/// Values are bytes, not text: NUL, every byte value, invalid UTF-8 and empty values survive.
pub fn binary_values(store: &dyn Store) -> Result<(), String> {
    scoped(store, "binary_values", |s| {
        let every_byte: Vec<u8> = (0..=255).collect();
        let values: [(&str, &[u8]); 4] = [
            ("every-byte", &every_byte),
            ("nul", b"\0\0a\0"),
            ("invalid-utf8", &[0xff, 0xfe, 0xc3, 0x28]),
            ("empty", b""),
        ];
        let changes: Vec<Change> = values.iter().map(|(k, v)| s.put(k, v)).collect();
        let seq0 = seq(store)?;
        commit(store, seq0, &changes)?;
        let (_, mine) = s.load(store)?;
        for (name, value) in values {
            ensure_eq(mine.get(&s.key(name)).map(Vec::as_slice), Some(value), name)?;
        }
        let feed = store.changes_since(seq0).map_err(fail("changes_since"))?;
        ensure_eq(feed, vec![(seq0 + 1, changes)], "feed entry")
    })
}

/// Keys are compared exactly: Unicode, case, spaces and lookalikes are distinct keys.
pub fn unicode_keys(store: &dyn Store) -> Result<(), String> {
    scoped(store, "unicode_keys", |s| {
        let names = [
            "Alice",
            "alice",
            "ALICE",
            "名前",
            "ünïcödé",
            "e\u{301}",
            "\u{e9}",
            "a b",
            "a%20b",
        ];
        let changes: Vec<Change> = names.iter().map(|n| s.put(n, n.as_bytes())).collect();
        let seq0 = seq(store)?;
        commit(store, seq0, &changes)?;
        let (_, mine) = s.load(store)?;
        ensure_eq(mine.len(), names.len(), "distinct keys")?;
        for name in names {
            ensure_eq(
                mine.get(&s.key(name)).map(Vec::as_slice),
                Some(name.as_bytes()),
                name,
            )?;
        }
        Ok(())
    })
}

/// Thousands of records in one commit and across commits all load back.
pub fn many_records(store: &dyn Store) -> Result<(), String> {
    const IN_ONE_COMMIT: usize = 5_000;
    const COMMITS: usize = 100;
    scoped(store, "many_records", |s| {
        let value = |i: usize| format!("{{\"n\":{i}}}").into_bytes();
        let bulk: Vec<Change> = (0..IN_ONE_COMMIT)
            .map(|i| s.put(&format!("bulk/{i:05}"), &value(i)))
            .collect();
        let mut at = seq(store)?;
        at = commit(store, at, &bulk)?;
        for i in 0..COMMITS {
            at = commit(store, at, &[s.put(&format!("single/{i:03}"), &value(i))])?;
        }
        let (loaded_seq, mine) = s.load(store)?;
        ensure_eq(loaded_seq, at, "sequence")?;
        ensure_eq(mine.len(), IN_ONE_COMMIT + COMMITS, "records loaded")?;
        for i in (0..IN_ONE_COMMIT).step_by(97) {
            ensure_eq(
                mine.get(&s.key(&format!("bulk/{i:05}"))),
                Some(&value(i)),
                "bulk record",
            )?;
        }
        Ok(())
    })
}
