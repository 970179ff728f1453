//! The `ErrorCode` table: every error shape of the models plus the common errors of their
//! protocols.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{HEADER, lit};
use crate::json::Json;

struct Entry {
    status: i64,
    sender: bool,
    origin: String,
}

/// Generates `error/code.rs` from the models and `common-errors.json`.
pub fn generate(models: &[(&str, &Json)], common: (&str, &Json)) -> Result<String, String> {
    let mut table: BTreeMap<String, Entry> = BTreeMap::new();
    for &(origin, model) in models {
        for (name, shape) in model.get("shapes").map(Json::as_object).unwrap_or_default() {
            if shape.get("exception").and_then(Json::as_bool) != Some(true) {
                continue;
            }
            let error = shape.get("error");
            // Botocore's defaults for an error shape without an `error` trait (or, in
            // REST-JSON models, without its `code`): the code is the shape name, the status
            // 400, the sender at fault.
            let code = error
                .and_then(|e| e.get("code"))
                .and_then(Json::as_str)
                .unwrap_or(name);
            let status = error
                .and_then(|e| e.get("httpStatusCode"))
                .and_then(Json::as_i64)
                .unwrap_or(400);
            let sender = error
                .and_then(|e| e.get("senderFault"))
                .and_then(Json::as_bool)
                .unwrap_or(status < 500);
            insert(&mut table, code, status, sender, format!("{origin}#{name}"))?;
        }
    }
    let (common_origin, common) = common;
    for entry in common.get("errors").map(Json::as_array).unwrap_or_default() {
        let code = entry
            .get("code")
            .and_then(Json::as_str)
            .ok_or_else(|| format!("{common_origin}: an entry has no code"))?;
        let status = entry
            .get("status")
            .and_then(Json::as_i64)
            .ok_or_else(|| format!("{common_origin}: {code} has no status"))?;
        let sender = match entry.get("type").and_then(Json::as_str) {
            Some("Sender") => true,
            Some("Receiver") => false,
            _ => {
                return Err(format!(
                    "{common_origin}: {code} needs type Sender|Receiver"
                ));
            }
        };
        insert(&mut table, code, status, sender, common_origin.to_owned())?;
    }

    let mut out = String::new();
    let _ = writeln!(out, "{HEADER}");
    out.push_str(
        "//! The wire error codes of IAM, STS and Access Analyzer: the models' error shapes and the \
         common errors\n//! of their protocols (`data/models/common-errors.json`).\n\n",
    );
    out.push_str(
        "/// A wire error code. Variants are named after the code AWS sends in `<Code>`.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum ErrorCode {\n",
    );
    for (code, entry) in &table {
        let _ = writeln!(out, "    /// From `{}`.\n    {code},", entry.origin);
    }
    out.push_str("}\n\nimpl ErrorCode {\n");
    out.push_str("    /// Every code, in alphabetical order.\n    pub const ALL: &'static [ErrorCode] = &[\n");
    for code in table.keys() {
        let _ = writeln!(out, "        Self::{code},");
    }
    out.push_str("    ];\n\n");
    out.push_str("    /// The code as sent in `<Code>`.\n    pub fn code(self) -> &'static str {\n        match self {\n");
    for code in table.keys() {
        let _ = writeln!(out, "            Self::{code} => {},", lit(code));
    }
    out.push_str("        }\n    }\n\n");
    out.push_str("    /// The HTTP status of a response carrying this error.\n    pub fn http_status(self) -> u16 {\n        match self {\n");
    let mut by_status: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for (code, entry) in &table {
        by_status.entry(entry.status).or_default().push(code);
    }
    for (status, codes) in &by_status {
        let arms: Vec<String> = codes.iter().map(|c| format!("Self::{c}")).collect();
        let _ = writeln!(out, "            {} => {status},", arms.join(" | "));
    }
    out.push_str("        }\n    }\n\n");
    out.push_str("    /// Whether the client is at fault (`<Type>Sender</Type>`) rather than the service.\n    pub fn is_sender_fault(self) -> bool {\n");
    let receivers: Vec<String> = table
        .iter()
        .filter(|(_, e)| !e.sender)
        .map(|(c, _)| format!("Self::{c}"))
        .collect();
    if receivers.is_empty() {
        out.push_str("        true\n    }\n\n");
    } else {
        let _ = writeln!(
            out,
            "        !matches!(self, {})\n    }}\n",
            receivers.join(" | ")
        );
    }
    out.push_str("    /// The code named `code`, if the table has it.\n    pub fn from_code(code: &str) -> Option<Self> {\n        Some(match code {\n");
    for code in table.keys() {
        let _ = writeln!(out, "            {} => Self::{code},", lit(code));
    }
    out.push_str("            _ => return None,\n        })\n    }\n}\n");
    Ok(out)
}

fn insert(
    table: &mut BTreeMap<String, Entry>,
    code: &str,
    status: i64,
    sender: bool,
    origin: String,
) -> Result<(), String> {
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(format!(
            "{origin}: error code `{code}` is not an identifier"
        ));
    }
    if !(400..600).contains(&status) {
        return Err(format!("{origin}: {code} has HTTP status {status}"));
    }
    match table.get(code) {
        Some(existing) if existing.status != status || existing.sender != sender => Err(format!(
            "{code} is {} in {} but {status} in {origin}",
            existing.status, existing.origin
        )),
        Some(_) => Ok(()),
        None => {
            table.insert(
                code.to_owned(),
                Entry {
                    status,
                    sender,
                    origin,
                },
            );
            Ok(())
        }
    }
}
