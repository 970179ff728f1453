//! Differential test: the engine against an independent oracle, the npm package
//! `@cloud-copilot/iam-simulate` (pinned in `scripts/oracle/package-lock.json`, installed under
//! `target/oracle` by `scripts/oracle/install.sh`, run as an external node process by
//! `scripts/oracle/run.mjs`; never vendored).
//!
//! A fixed seed generates a few thousand random but meaningful cases (`support/generate.rs`);
//! both sides decide each, and the test fails on any disagreement not listed in
//! `tests/oracle/DISAGREEMENTS.md`, where every listed one is triaged against AWS's docs.
//! Cases the oracle refuses as input are counted, not compared (too many fails the test, as
//! the generator would have drifted from realistic input).
//!
//! Knobs: `OXIAM_DIFF_CASES` (default 5000), `OXIAM_DIFF_SEED` (default the committed seed;
//! another seed explores new cases, and its disagreements are reported, not allowed).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code,
    reason = "test harness: a panic is a failed test; support modules are shared between tests"
)]

#[path = "support/case.rs"]
mod case;
#[path = "support/generate.rs"]
mod generate;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use case::EvalCase;
use serde_json::Value;

/// The committed seed; `DISAGREEMENTS.md` lists case numbers under this seed.
const SEED: u64 = 20_261_123;
const DEFAULT_CASES: usize = 5000;
/// Above this share of cases refused by the oracle, the generator is producing junk.
const MAX_REFUSED_PERCENT: usize = 5;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn oracle_dir() -> PathBuf {
    std::env::var_os("OXIAM_ORACLE_DIR")
        .map_or_else(|| repo_root().join("target/oracle"), PathBuf::from)
}

/// Fails (never skips) when the oracle cannot run, naming the command that installs it.
fn require_oracle() {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        panic!(
            "the differential test needs node (the policy oracle runs on it): run scripts/test.sh, \
             which installs the oracle with scripts/oracle/install.sh (apt-get install nodejs npm first)"
        );
    }
    let pkg = oracle_dir().join("node_modules/@cloud-copilot/iam-simulate/package.json");
    if !pkg.is_file() {
        panic!(
            "the policy oracle is not installed ({} is missing): run scripts/test.sh, which runs \
             scripts/oracle/install.sh",
            pkg.display()
        );
    }
}

/// Runs every case through the oracle in one node process; one answer per case.
fn oracle(cases: &[Value]) -> Vec<Value> {
    let mut child = Command::new("node")
        .arg(repo_root().join("scripts/oracle/run.mjs"))
        .env("OXIAM_ORACLE_DIR", oracle_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start node scripts/oracle/run.mjs");
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases.iter().map(|c| format!("{c}\n")).collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(input.as_bytes()).unwrap();
    });
    let answers: Vec<Value> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    writer.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "scripts/oracle/run.mjs failed: {status}");
    assert_eq!(
        answers.len(),
        cases.len(),
        "the oracle answered {} of {} cases",
        answers.len(),
        cases.len()
    );
    answers
}

/// The case ids (`diff:<seed>:<index>`) that `DISAGREEMENTS.md` triages.
fn triaged() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/DISAGREEMENTS.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let re = regex_lite::Regex::new(r"diff:\d+:\d+").unwrap();
    re.find_iter(&text).map(|m| m.as_str().to_owned()).collect()
}

#[test]
fn engine_agrees_with_oracle() {
    require_oracle();
    let seed = std::env::var("OXIAM_DIFF_SEED")
        .map_or(SEED, |s| s.parse().expect("OXIAM_DIFF_SEED is a number"));
    let n = std::env::var("OXIAM_DIFF_CASES").map_or(DEFAULT_CASES, |s| {
        s.parse().expect("OXIAM_DIFF_CASES is a number")
    });
    let mut rng = generate::Rng::new(seed);
    let cases: Vec<Value> = (0..n).map(|_| generate::case(&mut rng)).collect();
    let answers = oracle(&cases);
    let allowed = triaged();

    let (mut agreed, mut refused, mut listed) = (0, 0, 0);
    let mut new = Vec::new();
    let mut seen = BTreeSet::new();
    let mut decisions = std::collections::BTreeMap::<String, usize>::new();
    for (i, (case, answer)) in cases.iter().zip(&answers).enumerate() {
        let id = format!("diff:{seed}:{i}");
        let Some(want) = answer.get("decision").and_then(Value::as_str) else {
            refused += 1;
            continue;
        };
        let ignored: Vec<String> = answer
            .get("ignored")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let got = catch_unwind(AssertUnwindSafe(|| {
            let eval = EvalCase::from_json(case.as_object().unwrap())?;
            Ok::<_, String>(eval.run(&ignored).decision)
        }));
        let got = match got {
            Ok(Ok(d)) => d.to_owned(),
            Ok(Err(e)) => format!("error: {e}"),
            Err(_) => "panic".to_owned(),
        };
        *decisions.entry(want.to_owned()).or_default() += 1;
        if got == want {
            agreed += 1;
        } else if allowed.contains(&id) {
            listed += 1;
            seen.insert(id);
        } else {
            new.push(format!("{id}: oracle {want}, engine {got}\n  {case}"));
        }
    }
    println!(
        "differential: {n} cases (seed {seed}): {agreed} agree, {listed} triaged disagreements, \
         {} new disagreements, {refused} refused by the oracle; oracle decisions {decisions:?}",
        new.len()
    );
    // Listed ids of this seed that agree now: the triage is stale (e.g. the engine was fixed).
    let prefix = format!("diff:{seed}:");
    let stale: Vec<&String> = allowed
        .iter()
        .filter(|id| id.starts_with(&prefix) && !seen.contains(*id))
        .filter(|id| id[prefix.len()..].parse::<usize>().is_ok_and(|i| i < n))
        .collect();
    if !stale.is_empty() {
        println!("triaged in DISAGREEMENTS.md but agreeing now (update the file): {stale:?}");
    }
    assert!(
        refused * 100 <= n * MAX_REFUSED_PERCENT,
        "the oracle refused {refused} of {n} generated cases: the generator drifted from valid input"
    );
    assert!(
        new.is_empty(),
        "{} disagreements with the oracle not triaged in tests/oracle/DISAGREEMENTS.md \
         (decide which side matches AWS's docs, then list the id there):\n{}",
        new.len(),
        new.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
}
