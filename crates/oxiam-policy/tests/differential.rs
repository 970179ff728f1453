//! Differential test: the engine against an independent oracle, the npm package
//! `@cloud-copilot/iam-simulate` (pinned in `scripts/oracle/package-lock.json`, installed under
//! `target/oracle` by `scripts/oracle/install.sh`, run as an external node process by
//! `scripts/oracle/run.mjs`; never vendored).
//!
//! A fixed seed generates a few thousand random but meaningful cases (`support/generate.rs`);
//! both sides decide each, and the test fails on any disagreement that no category listed in
//! `tests/oracle/DISAGREEMENTS.md` explains. Each category is triaged there against AWS's
//! docs and has a rewrite here that applies the oracle's reading of its rule; a disagreement
//! is explained when the engine, on the rewritten case, gives the oracle's answer.
//! Cases the oracle refuses as input are counted, not compared (too many fails the test, as
//! the generator would have drifted from realistic input).
//!
//! Knobs: `OXIAM_DIFF_CASES` (default 5000), `OXIAM_DIFF_SEED` (default the committed seed;
//! another seed explores new cases).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
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
use serde_json::{Value, json};

/// The committed seed.
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

/// A kind of disagreement triaged in `DISAGREEMENTS.md` (listed there as `category:<tag>`),
/// with a rewrite that applies the oracle's reading of the rule in question to a case. A
/// disagreement is explained by a set of listed categories when the engine, run on the case
/// rewritten by them, gives the oracle's answer; anything else is a new disagreement.
struct Category {
    tag: &'static str,
    /// Rewrites the case in place; false if the case has nothing the category is about.
    rewrite: fn(&mut Value) -> bool,
}

const CATEGORIES: &[Category] = &[
    Category {
        tag: "no-value-resource-entry",
        rewrite: drop_no_value_resource_entries,
    },
    Category {
        tag: "no-value-not-resource",
        rewrite: void_no_value_not_resource,
    },
    Category {
        tag: "no-value-inverted-operator",
        rewrite: no_value_inverted_operator_is_true,
    },
    Category {
        tag: "no-value-inverted-operator-voided",
        rewrite: void_no_value_inverted_operator,
    },
    Category {
        tag: "star-principal-role-session",
        rewrite: star_grant_to_role,
    },
];

/// The categories `DISAGREEMENTS.md` lists.
fn triaged() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/DISAGREEMENTS.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let re = regex_lite::Regex::new(r"category:([a-z-]+)").unwrap();
    re.captures_iter(&text).map(|c| c[1].to_owned()).collect()
}

/// Every policy document of a case.
fn documents(case: &mut Value) -> Vec<&mut Value> {
    let mut out = Vec::new();
    let Some(p) = case.get_mut("policies").and_then(Value::as_object_mut) else {
        return out;
    };
    for (key, v) in p.iter_mut() {
        let mut named: Vec<&mut Value> = match (key.as_str(), v) {
            ("identity" | "session", Value::Array(list)) => list.iter_mut().collect(),
            ("scps" | "rcps", Value::Array(levels)) => levels
                .iter_mut()
                .filter_map(Value::as_array_mut)
                .flat_map(|l| l.iter_mut())
                .collect(),
            (_, v @ Value::Object(_)) => vec![v],
            _ => Vec::new(),
        };
        out.extend(named.drain(..).filter_map(|n| n.get_mut("document")));
    }
    out
}

/// The statements of a document as a list (a single-object `Statement` becomes a list).
fn statements(doc: &mut Value) -> Option<&mut Vec<Value>> {
    let st = doc.get_mut("Statement")?;
    if st.is_object() {
        *st = Value::Array(vec![st.take()]);
    }
    st.as_array_mut()
}

/// Does `text` use a policy variable whose key the request context lacks (no default)?
fn has_no_value_variable(text: &str, context: &serde_json::Map<String, Value>) -> bool {
    text.split("${").skip(1).any(|rest| {
        let inner = rest.split('}').next().unwrap_or("");
        if inner.contains(',') || matches!(inner, "*" | "?" | "$") {
            return false;
        }
        !context.keys().any(|k| k.eq_ignore_ascii_case(inner))
    })
}

fn entries(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn context_of(case: &Value) -> serde_json::Map<String, Value> {
    case.pointer("/request/context")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// A statement that never applies, for a document whose every statement was removed.
fn filler(like: &Value) -> Value {
    let mut s = serde_json::Map::new();
    s.insert("Effect".into(), json!("Deny"));
    if like.get("Principal").is_some() || like.get("NotPrincipal").is_some() {
        s.insert("Principal".into(), json!("*"));
    }
    s.insert("Action".into(), json!("none:none"));
    if like.get("Resource").is_some() || like.get("NotResource").is_some() {
        s.insert("Resource".into(), json!("arn:aws:s3:::none"));
    }
    Value::Object(s)
}

/// Removes the statements `drop` selects; keeps a filler if none is left.
fn remove_statements(case: &mut Value, drop: &dyn Fn(&Value) -> bool) -> bool {
    let mut changed = false;
    for doc in documents(case) {
        let Some(list) = statements(doc) else {
            continue;
        };
        let Some(first) = list.first().cloned() else {
            continue;
        };
        let before = list.len();
        list.retain(|s| !drop(s));
        changed |= list.len() != before;
        if list.is_empty() {
            list.push(filler(&first));
        }
    }
    changed
}

/// The oracle's reading in many cases: a `NotResource` with an entry that has a no-value
/// variable voids its statement.
fn void_no_value_not_resource(case: &mut Value) -> bool {
    let ctx = context_of(case);
    remove_statements(case, &|s| {
        s.get("NotResource")
            .is_some_and(|r| entries(r).iter().any(|e| has_no_value_variable(e, &ctx)))
    })
}

/// The documented reading (which the oracle mostly follows): an entry of `Resource` or
/// `NotResource` with a no-value variable matches no resource, and the other entries still
/// count. The rewrite drops such entries; a list left empty gets an entry that matches
/// nothing (so a `NotResource` statement then applies to every resource).
fn drop_no_value_resource_entries(case: &mut Value) -> bool {
    let ctx = context_of(case);
    let mut changed = false;
    for doc in documents(case) {
        let Some(list) = statements(doc) else {
            continue;
        };
        for s in list.iter_mut() {
            for key in ["Resource", "NotResource"] {
                let Some(r) = s.get(key) else { continue };
                let all = entries(r);
                let kept: Vec<String> = all
                    .iter()
                    .filter(|e| !has_no_value_variable(e, &ctx))
                    .map(|e| (*e).to_owned())
                    .collect();
                if kept.len() == all.len() {
                    continue;
                }
                changed = true;
                let kept = if kept.is_empty() {
                    vec!["arn:aws:s3:::none".to_owned()]
                } else {
                    kept
                };
                s[key] = json!(kept);
            }
        }
    }
    changed
}

fn is_inverted(op: &str) -> bool {
    let base = op.rsplit(':').next().unwrap_or(op);
    base.starts_with("StringNot") || base.starts_with("ArnNot")
}

/// The condition entries (operator, key) of a statement that are an inverted operator with a
/// no-value variable in their values.
fn no_value_inverted(s: &Value, ctx: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(ops) = s.get("Condition").and_then(Value::as_object) else {
        return out;
    };
    for (op, block) in ops {
        let Some(keys) = block.as_object().filter(|_| is_inverted(op)) else {
            continue;
        };
        for (key, v) in keys {
            if entries(v).iter().any(|e| has_no_value_variable(e, ctx)) {
                out.push((op.clone(), key.clone()));
            }
        }
    }
    out
}

/// The documented reading (which the oracle follows when the key is absent): an inverted
/// operator whose value has a no-value variable is true, so the rewrite drops that entry.
fn no_value_inverted_operator_is_true(case: &mut Value) -> bool {
    let ctx = context_of(case);
    let mut changed = false;
    for doc in documents(case) {
        let Some(list) = statements(doc) else {
            continue;
        };
        for s in list.iter_mut() {
            for (op, key) in no_value_inverted(s, &ctx) {
                changed = true;
                if let Some(ops) = s.get_mut("Condition").and_then(Value::as_object_mut)
                    && let Some(block) = ops.get_mut(&op).and_then(Value::as_object_mut)
                {
                    block.remove(&key);
                    if block.is_empty() {
                        ops.remove(&op);
                    }
                }
            }
        }
    }
    changed
}

/// The oracle's reading when the key is present: an inverted operator whose value has a
/// no-value variable voids its statement.
fn void_no_value_inverted_operator(case: &mut Value) -> bool {
    let ctx = context_of(case);
    remove_statements(case, &|s| !no_value_inverted(s, &ctx).is_empty())
}

/// The oracle's reading: for a role session, a same-account grant to `"*"` is a grant through
/// the role ARN (limited by session policies and boundaries).
fn star_grant_to_role(case: &mut Value) -> bool {
    if case
        .pointer("/request/principal/type")
        .and_then(Value::as_str)
        != Some("AssumedRole")
    {
        return false;
    }
    let Some(role) = case
        .pointer("/request/principal/role_arn")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return false;
    };
    let mut changed = false;
    if let Some(doc) = case.pointer_mut("/policies/resource/document") {
        for s in statements(doc).into_iter().flatten() {
            let star = matches!(s.get("Principal"), Some(p) if *p == json!("*") || *p == json!({"AWS": "*"}));
            if star {
                s["Principal"] = json!({"AWS": role});
                changed = true;
            }
        }
    }
    changed
}

/// The engine's decision for `case`, with context keys the oracle dropped left out.
fn engine(case: &Value, ignored: &[String]) -> String {
    let got = catch_unwind(AssertUnwindSafe(|| {
        let eval = EvalCase::from_json(case.as_object().unwrap())?;
        Ok::<_, String>(eval.run(ignored).decision)
    }));
    match got {
        Ok(Ok(d)) => d.to_owned(),
        Ok(Err(e)) => format!("error: {e}"),
        Err(_) => "panic".to_owned(),
    }
}

/// The smallest set of listed categories whose rewrites make the engine give `want`.
fn explain(
    case: &Value,
    ignored: &[String],
    want: &str,
    listed: &BTreeSet<String>,
) -> Option<String> {
    let usable: Vec<&Category> = CATEGORIES
        .iter()
        .filter(|c| listed.contains(c.tag))
        .collect();
    let mut subsets: Vec<u32> = (1..(1u32 << usable.len())).collect();
    subsets.sort_by_key(|m| m.count_ones());
    for mask in subsets {
        let mut rewritten = case.clone();
        let mut all_apply = true;
        for (i, c) in usable.iter().enumerate() {
            if mask & (1 << i) != 0 {
                all_apply &= (c.rewrite)(&mut rewritten);
            }
        }
        if all_apply && engine(&rewritten, ignored) == want {
            let tags: Vec<&str> = usable
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, c)| c.tag)
                .collect();
            return Some(tags.join("+"));
        }
    }
    None
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
    let listed = triaged();

    let (mut agreed, mut refused) = (0, 0);
    let mut explained = std::collections::BTreeMap::<String, usize>::new();
    let mut new = Vec::new();
    let mut decisions = std::collections::BTreeMap::<String, usize>::new();
    for (i, (case, answer)) in cases.iter().zip(&answers).enumerate() {
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
        *decisions.entry(want.to_owned()).or_default() += 1;
        let got = engine(case, &ignored);
        if got == want {
            agreed += 1;
        } else if let Some(tags) = explain(case, &ignored, want, &listed) {
            *explained.entry(tags).or_default() += 1;
        } else {
            new.push(format!(
                "diff:{seed}:{i}: oracle {want}, engine {got}\n  {case}"
            ));
        }
    }
    let triaged_total: usize = explained.values().sum();
    println!(
        "differential: {n} cases (seed {seed}): {agreed} agree, {triaged_total} disagreements \
         explained by triaged categories {explained:?}, {} new, {refused} refused by the oracle; \
         oracle decisions {decisions:?}",
        new.len()
    );
    assert!(
        refused * 100 <= n * MAX_REFUSED_PERCENT,
        "the oracle refused {refused} of {n} generated cases: the generator drifted from valid input"
    );
    assert!(
        new.is_empty(),
        "{} disagreements with the oracle that no category triaged in tests/oracle/DISAGREEMENTS.md \
         explains (decide which side matches AWS's docs, then add a category there and here):\n{}",
        new.len(),
        new.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
}
