//! Costs the server pays per request (opening a sealed secret or session token) and per
//! write (one commit), and at start-up (loading every record).
#![expect(
    clippy::unwrap_used,
    reason = "benchmark set-up: a failure should abort the run"
)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use oxiam_store::crypto::Kek;
use oxiam_store::{Change, Record, SqliteStore, Store};

fn put(key: usize, value: &[u8]) -> Change {
    Change::Put(Record {
        table: "user".into(),
        key: format!("123456789012/user-{key:06}"),
        value: value.to_vec(),
    })
}

fn crypto(c: &mut Criterion) {
    let kek = Kek::generate();
    let aad = b"access_key/AKIAIOSFODNN7EXAMPLE";
    let secret = [b'S'; 40];
    let token = [b'T'; 1024];
    let sealed_secret = kek.seal(&secret, aad);
    let sealed_token = kek.seal(&token, aad);
    c.bench_function("crypto/seal 40 B secret", |b| {
        b.iter(|| kek.seal(black_box(&secret), aad));
    });
    c.bench_function("crypto/open 40 B secret", |b| {
        b.iter(|| kek.open(black_box(&sealed_secret), aad).unwrap());
    });
    c.bench_function("crypto/open 1 KiB session token", |b| {
        b.iter(|| kek.open(black_box(&sealed_token), aad).unwrap());
    });
}

fn sqlite(c: &mut Criterion) {
    let value = br#"{"UserName":"alice","Path":"/","Arn":"arn:aws:iam::123456789012:user/alice"}"#;

    let memory = SqliteStore::open_in_memory().unwrap();
    let mut seq = 0;
    c.bench_function("sqlite/commit 1 put (memory)", |b| {
        b.iter(|| {
            seq = memory
                .commit(seq, &[put(seq as usize % 1000, value)])
                .unwrap()
        });
    });

    // synchronous=FULL: this measures the file system's fsync as much as SQLite.
    let dir = tempfile::tempdir().unwrap();
    let file = SqliteStore::open(&dir.path().join("bench.db")).unwrap();
    let mut seq = 0;
    let mut group = c.benchmark_group("sqlite");
    group.sample_size(20);
    group.bench_function("commit 1 put (file, fsync)", |b| {
        b.iter(|| {
            seq = file
                .commit(seq, &[put(seq as usize % 1000, value)])
                .unwrap()
        });
    });
    group.finish();

    let loaded = SqliteStore::open_in_memory().unwrap();
    let all: Vec<Change> = (0..10_000).map(|i| put(i, value)).collect();
    loaded.commit(0, &all).unwrap();
    c.bench_function("sqlite/load_all 10k records (memory)", |b| {
        b.iter(|| loaded.load_all().unwrap());
    });
    c.bench_function("sqlite/commit 10k puts in one batch (memory)", |b| {
        b.iter_batched(
            || SqliteStore::open_in_memory().unwrap(),
            |store| store.commit(0, &all).unwrap(),
            BatchSize::PerIteration,
        );
    });
}

criterion_group!(benches, crypto, sqlite);
criterion_main!(benches);
