//! Recording an attempt for the access advisor, as the request path does it for every call
//! of a user or role (`runtime::access_log::AccessLog::note`). Target: ≤ 1 µs.
//!
//! "repeat": the entity × action is already pending (the usual case between flushes);
//! "new": a pending record is created; "2 threads": two request threads noting at once.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use oxiam_server::model::access::{EntityKind, Via};
use oxiam_server::runtime::access_log::{AccessLog, Attempt};

fn attempt<'a>(entity_id: &'a str, action: &'a str) -> Attempt<'a> {
    Attempt {
        account: "123456789012",
        entity_id,
        kind: EntityKind::User,
        action,
        region: Some("us-east-1"),
        via: Via::Api,
        at: 1_765_000_000,
    }
}

fn bench(c: &mut Criterion) {
    let log = AccessLog::default();
    log.note(&attempt("AIDABENCHUSER0000001", "s3:GetObject"));
    c.bench_function("access_log/note repeat", |b| {
        b.iter(|| log.note(black_box(&attempt("AIDABENCHUSER0000001", "s3:GetObject"))));
    });
    // A new action each time (its name formatted in the loop, so this is an upper bound);
    // the log is drained every 100,000 notes, as a flush would, amortized in the figure.
    let fresh = AccessLog::default();
    let mut n: u64 = 0;
    c.bench_function("access_log/note new", |b| {
        b.iter(|| {
            n += 1;
            if n.is_multiple_of(100_000) {
                black_box(fresh.drain());
            }
            let action = format!("myapp:Action{n}");
            fresh.note(black_box(&attempt("AIDABENCHUSER0000002", &action)));
        });
    });
    c.bench_function("access_log/note repeat, 2 threads", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for t in 0..2 {
                    let log = &log;
                    s.spawn(move || {
                        let id = if t == 0 {
                            "AIDABENCHUSER0000001"
                        } else {
                            "AIDABENCHUSER0000003"
                        };
                        for _ in 0..iters {
                            log.note(black_box(&attempt(id, "s3:GetObject")));
                        }
                    });
                }
            });
            // Per attempt: two threads did `iters` each in this time.
            start.elapsed() / 2
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
