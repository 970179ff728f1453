//! The server's floors import downward only (see the crate's `//!` map): a module may use
//! `crate::X` only when X's floor is at or below its own, and two modules of one floor may
//! not use each other both ways. Sibling files of one folder may use each other freely.
//!
//! The check reads the sources as text: every `crate::X` path outside comments, including
//! the first segments of `use crate::{X, …}` groups.

#![expect(clippy::unwrap_used, reason = "a test: sources it cannot read fail it")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors, lowest first; a folder and its root file (`model.rs` + `model/`) are one
/// module.
const FLOORS: &[(&str, u8)] = &[
    ("model", 1),
    ("state", 2),
    ("runtime", 2),
    ("app", 3),
    ("auth", 4),
    ("ops", 5),
    ("front", 6),
    ("console", 7),
    ("http", 8),
];

fn floor(module: &str) -> Option<u8> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/ops/iam/users.rs` → `ops`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The first segment of every `crate::` path in the code (comments removed).
fn crate_imports(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name = ident(part);
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn no_module_imports_from_a_floor_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut violations = Vec::new();
    let mut edges: BTreeMap<(String, String), PathBuf> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" {
            continue;
        }
        let Some(own) = floor(&module) else {
            violations.push(format!(
                "{}: module `{module}` has no floor in FLOORS (and in the crate's map)",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        if text.contains("super::super::super") {
            violations.push(format!(
                "{}: a `super::` path leaves its folder",
                file.display()
            ));
        }
        for used in crate_imports(&text) {
            if used == module || used == "self" {
                continue;
            }
            match floor(&used) {
                Some(theirs) if theirs <= own => {
                    edges.insert((module.clone(), used), file.clone());
                }
                Some(theirs) => violations.push(format!(
                    "{}: `{module}` (floor {own}) imports `crate::{used}` (floor {theirs})",
                    file.display()
                )),
                None => violations.push(format!(
                    "{}: imports `crate::{used}`, which has no floor",
                    file.display()
                )),
            }
        }
    }
    for ((a, b), file) in &edges {
        if let Some(back) = edges.get(&(b.clone(), a.clone()))
            && a < b
        {
            violations.push(format!(
                "`{a}` and `{b}` import each other ({} and {})",
                file.display(),
                back.display()
            ));
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_check_sees_grouped_and_plain_paths_but_not_comments() {
    let text = "use crate::{app::App, model::Epoch};\n// crate::console is mentioned\nlet x = crate::ops::table::dispatch;";
    let found: Vec<String> = crate_imports(text).into_iter().collect();
    assert_eq!(found, ["app", "model", "ops"]);
}
