//! The data-driven corpus: every `tests/cases/**/*.json` file is one case (format in
//! `tests/cases/README.md`), written from AWS's documentation. One test binary discovers them,
//! runs each (a panic in the engine is caught and charged to its file), prints one line per
//! case and the totals, and fails naming every failing file.
//!
//! A case marked `"known_failure": "FINDINGS.md#anchor"` records an engine defect: it is
//! expected to fail, and its anchor must exist in `tests/FINDINGS.md`. If it passes, it is
//! reported as fixed (and fails the run when `OXIAM_STRICT_KNOWN_FAILURES=1`), so the marker
//! gets removed. `OXIAM_CASE=<substring>` runs only matching files; `OXIAM_CASES_DIR=<dir>`
//! runs the cases of another directory (e.g. to check a triage of generated cases).
#![expect(clippy::unwrap_used, reason = "test harness: a panic is a failed test")]

#[path = "support/case.rs"]
mod case;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use case::{EvalCase, document_text, only_keys, policy_kind};
use oxiam_policy::Policy;
use serde_json::{Map, Value};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Runs one case; `Ok(())` when the engine does what the case expects.
fn run(case: &Map<String, Value>) -> Result<(), String> {
    // Every case says what it checks and which AWS page (or quoted AWS answer) it comes from.
    for key in ["description", "source"] {
        if case
            .get(key)
            .and_then(Value::as_str)
            .is_none_or(|s| s.trim().is_empty())
        {
            return Err(format!("the case has no `{key}`"));
        }
    }
    if case.contains_key("expect_error") {
        return run_validation(case);
    }
    only_keys(
        case,
        &[
            "description",
            "source",
            "policies",
            "request",
            "expect",
            "known_failure",
        ],
        "case",
    )?;
    let expect = case
        .get("expect")
        .and_then(Value::as_object)
        .ok_or("no expect object")?;
    only_keys(expect, &["decision", "statements"], "expect")?;
    let want = expect
        .get("decision")
        .and_then(Value::as_str)
        .ok_or("no expect.decision")?;
    if !["Allow", "ExplicitDeny", "ImplicitDeny"].contains(&want) {
        return Err(format!("bad expect.decision `{want}`"));
    }
    let eval = EvalCase::from_json(case)?;
    let got = eval.run(&[]);
    if got.decision != want {
        return Err(format!(
            "expected {want}, got {} (reasons {:?})",
            got.decision, got.statements
        ));
    }
    if let Some(stmts) = expect.get("statements") {
        let stmts = stmts
            .as_array()
            .ok_or("expect.statements must be an array")?;
        for s in stmts {
            let s = s.as_str().ok_or("statements are strings")?;
            if !got.statements.iter().any(|g| g == s) {
                return Err(format!(
                    "{want} as expected, but `{s}` is not among its reasons {:?}",
                    got.statements
                ));
            }
        }
    }
    Ok(())
}

fn run_validation(case: &Map<String, Value>) -> Result<(), String> {
    only_keys(
        case,
        &[
            "description",
            "source",
            "kind",
            "document",
            "expect_error",
            "known_failure",
        ],
        "validation case",
    )?;
    let kind = policy_kind(case.get("kind").and_then(Value::as_str).ok_or("no kind")?)?;
    let text = document_text(case.get("document").ok_or("no document")?)?;
    // `"expect_error": null` says the document is valid.
    let want = match case.get("expect_error") {
        Some(Value::Null) => {
            return Policy::parse(&text, kind)
                .map(|_| ())
                .map_err(|e| format!("expected a valid document, got `{}` ({e})", e.message()));
        }
        Some(Value::String(s)) => s.as_str(),
        _ => return Err("expect_error is a string or null".into()),
    };
    match Policy::parse(&text, kind) {
        Ok(_) => Err(format!(
            "expected rejection `{want}`, but the document parsed"
        )),
        Err(e) if e.message().contains(want) => Ok(()),
        Err(e) => Err(format!("expected `{want}`, got `{}` ({e})", e.message())),
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    known: usize,
    failed: Vec<String>,
    fixed: Vec<String>,
}

#[test]
fn corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let findings = std::fs::read_to_string(root.join("FINDINGS.md")).unwrap_or_default();
    let filter = std::env::var("OXIAM_CASE").unwrap_or_default();
    let strict = std::env::var("OXIAM_STRICT_KNOWN_FAILURES").is_ok_and(|v| v == "1");
    let mut paths = Vec::new();
    let dir = std::env::var_os("OXIAM_CASES_DIR").map_or_else(|| root.join("cases"), PathBuf::from);
    files(&dir, &mut paths);
    paths.sort();
    let mut by_area: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for path in paths {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        if !rel.contains(&filter) {
            continue;
        }
        let area = rel.split('/').nth(1).unwrap_or("?").to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed: Result<Map<String, Value>, String> =
            serde_json::from_str(&text).map_err(|e| format!("not a JSON object: {e}"));
        let known = parsed
            .as_ref()
            .ok()
            .and_then(|c| c.get("known_failure"))
            .map(|k| k.as_str().unwrap_or("").to_owned());
        let result = parsed.and_then(|c| {
            catch_unwind(AssertUnwindSafe(|| run(&c))).unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(format!("panicked: {msg}"))
            })
        });
        let tally = by_area.entry(area).or_default();
        match (result, known) {
            (Ok(()), None) => {
                tally.passed += 1;
                println!("ok      {rel}");
            }
            (Err(e), None) => {
                println!("FAILED  {rel}: {e}");
                tally.failed.push(format!("{rel}: {e}"));
            }
            (result, Some(anchor)) => {
                let id = anchor.strip_prefix("FINDINGS.md#").unwrap_or("");
                if id.is_empty() || !findings.contains(&format!("id=\"{id}\"")) {
                    let e = format!(
                        "known_failure `{anchor}` has no `<a id=\"…\">` in tests/FINDINGS.md"
                    );
                    println!("FAILED  {rel}: {e}");
                    tally.failed.push(format!("{rel}: {e}"));
                } else if result.is_ok() {
                    println!("FIXED   {rel}: passes now; remove its known_failure ({anchor})");
                    tally.fixed.push(rel.clone());
                    tally.passed += 1;
                } else {
                    println!("known   {rel}: {anchor}");
                    tally.known += 1;
                }
            }
        }
    }
    println!();
    for (area, t) in &by_area {
        println!(
            "{area:12} {:4} passed, {:3} failed, {:3} known failures",
            t.passed,
            t.failed.len(),
            t.known
        );
        total.passed += t.passed;
        total.known += t.known;
        total.failed.extend(t.failed.iter().cloned());
        total.fixed.extend(t.fixed.iter().cloned());
    }
    let cases = total.passed + total.known + total.failed.len();
    println!(
        "cases: {cases} ({} passed, {} failed, {} known failures in tests/FINDINGS.md, {} fixed)",
        total.passed,
        total.failed.len(),
        total.known,
        total.fixed.len()
    );
    assert!(
        cases > 0 || !filter.is_empty(),
        "no case found under tests/cases"
    );
    assert!(
        total.failed.is_empty(),
        "{} of {cases} cases failed:\n{}",
        total.failed.len(),
        total.failed.join("\n")
    );
    assert!(
        !strict || total.fixed.is_empty(),
        "known failures that pass now (remove their markers):\n{}",
        total.fixed.join("\n")
    );
}
