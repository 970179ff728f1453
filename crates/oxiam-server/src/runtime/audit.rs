//! The audit log of authorization decisions: one JSON line per decision in
//! `<data dir>/audit/decisions.jsonl`, append-only, queried by `oxiam audit`. The
//! authorization API records every decision; the IAM/STS API and the console record the
//! would-be denials of report-only accounts ([`REPORT_ONLY_DENY`]).
//!
//! Why a file and not a store table: decisions are many (tens of thousands per second at
//! full speed) and never change; a store table would put every one of them through the
//! write path and the change feed that every node follows, which exist for entities. An
//! append-only JSON Lines file is what log shippers read as it is, and `oxiam audit`
//! filters it. Records are written by one background thread (the request path only sends
//! on a channel) in batches: it drains the channel, flushes to the OS, then collects for
//! [`BATCH_WINDOW`] (20 ms) before the next write, so a record is lost only if the process
//! dies within that window; it is not fsynced per decision. Batching spares each decision
//! a thread wakeup, which was a third of the decision API's latency on a small machine.
//! Without a data directory (memory mode) decisions go to the tracing log only
//! (target `oxiam::audit`).
//!
//! A record never holds a secret or a signature: principal, action, resource, decision,
//! reasons (policy names and statement positions), source IP, time and request ID.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use serde::{Deserialize, Serialize};

/// How long the writer collects records between two writes.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(20);

/// One decision as recorded.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// RFC 3339, UTC.
    pub time: String,
    pub request_id: String,
    /// The service principal that asked.
    pub caller: String,
    /// The client the decision is about; `-` when its signature did not verify.
    pub principal: String,
    pub action: String,
    pub resource: String,
    /// `Allow`, `ExplicitDeny`, `ImplicitDeny`, `AuthenticationFailed` or
    /// [`REPORT_ONLY_DENY`].
    pub decision: String,
    /// `policy#statement` (with `:sid`) of each deciding statement, or the error code.
    pub reasons: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// The front that decided when it is not the authorization API: `api`, `console`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// For [`REPORT_ONLY_DENY`]: what enforcement would have decided (`ExplicitDeny`,
    /// `ImplicitDeny`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub would_be_decision: Option<String>,
    /// For denials and would-be denials: the policy type that denied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_by: Option<String>,
    /// For denials and would-be denials: the AccessDenied message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The decision of a request a report-only account's policies deny: allowed, recorded.
pub const REPORT_ONLY_DENY: &str = "ReportOnlyDeny";

/// The log's directory under a data directory (the default; `--audit-dir` moves it).
pub fn dir_of(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

/// The file under a data directory.
pub fn path(data_dir: &Path) -> PathBuf {
    file_in(&dir_of(data_dir))
}

/// The file in an audit directory.
pub fn file_in(audit_dir: &Path) -> PathBuf {
    audit_dir.join("decisions.jsonl")
}

/// The writer side: cheap to call from the request path.
#[derive(Debug)]
pub struct AuditLog {
    tx: Option<Mutex<Sender<Record>>>,
}

impl AuditLog {
    /// Logs to tracing only.
    pub fn disabled() -> AuditLog {
        AuditLog { tx: None }
    }

    /// Appends to `file_in(audit_dir)` from a background thread.
    pub fn open(audit_dir: &Path) -> std::io::Result<AuditLog> {
        let file = file_in(audit_dir);
        std::fs::create_dir_all(audit_dir)?;
        let out = OpenOptions::new().create(true).append(true).open(&file)?;
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("oxiam-audit".into())
            .spawn(move || write_loop(&rx, out))?;
        Ok(AuditLog {
            tx: Some(Mutex::new(tx)),
        })
    }

    pub fn record(&self, record: Record) {
        tracing::debug!(target: "oxiam::audit", request_id = record.request_id,
            principal = record.principal, action = record.action, resource = record.resource,
            decision = record.decision, "decision");
        if let Some(tx) = &self.tx
            && let Ok(tx) = tx.lock()
            && tx.send(record).is_err()
        {
            tracing::error!("the audit writer stopped; decisions are no longer recorded");
        }
    }
}

fn write_loop(rx: &Receiver<Record>, mut file: File) {
    let mut batch = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut next = Some(first);
        while let Some(record) = next {
            // A record that cannot be serialized is skipped whole, never half-written.
            let start = batch.len();
            if serde_json::to_writer(&mut batch, &record).is_ok() {
                batch.push(b'\n');
            } else {
                batch.truncate(start);
            }
            next = rx.try_recv().ok();
        }
        // One write per batch of whole lines, on a file opened for appending: several
        // processes may append to the same log (a server, and guards deciding in process),
        // and the kernel places each write whole at the end, so lines never interleave.
        if let Err(e) = file.write_all(&batch) {
            tracing::error!(error = %e, "cannot write the audit log");
        }
        batch.clear();
        // Collect records for a moment before the next write: a sender wakes this thread
        // only when it is blocked in `recv`, so under load requests stop paying for a
        // thread wakeup each (a syscall, and a thread competing for the cores).
        std::thread::sleep(BATCH_WINDOW);
    }
}

/// What `oxiam audit` selects; every given field must match.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub principal: Option<String>,
    pub action: Option<String>,
    /// RFC 3339; records at or after it.
    pub since: Option<String>,
    /// `allow` or `deny` (any denial), or an exact decision name.
    pub decision: Option<String>,
}

impl Filter {
    pub fn matches(&self, r: &Record) -> bool {
        let since_ok = self.since.as_deref().is_none_or(|s| {
            match (
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339),
                time::OffsetDateTime::parse(
                    &r.time,
                    &time::format_description::well_known::Rfc3339,
                ),
            ) {
                (Ok(since), Ok(at)) => at >= since,
                _ => false,
            }
        });
        let decision_ok =
            self.decision
                .as_deref()
                .is_none_or(|d| match d.to_ascii_lowercase().as_str() {
                    "allow" => r.decision == "Allow",
                    "deny" => r.decision != "Allow",
                    _ => r.decision.eq_ignore_ascii_case(d),
                });
        self.principal.as_deref().is_none_or(|p| r.principal == p)
            && self
                .action
                .as_deref()
                .is_none_or(|a| r.action.eq_ignore_ascii_case(a))
            && since_ok
            && decision_ok
    }
}

/// Reads the records of `file` that match `filter`, calling `each` on them in order.
/// Lines that do not parse (a torn last line after a crash) are skipped.
pub fn query(file: &Path, filter: &Filter, mut each: impl FnMut(&Record)) -> std::io::Result<()> {
    let reader = BufReader::new(File::open(file)?);
    for line in reader.lines() {
        let line = line?;
        if let Ok(r) = serde_json::from_str::<Record>(&line)
            && filter.matches(&r)
        {
            each(&r);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_appended_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(&dir_of(dir.path())).unwrap();
        let rec = |p: &str, d: &str, t: &str| Record {
            time: t.into(),
            principal: p.into(),
            action: "myapp:GetFile".into(),
            decision: d.into(),
            ..Record::default()
        };
        log.record(rec("alice", "Allow", "2026-01-01T00:00:00Z"));
        log.record(rec("bob", "ImplicitDeny", "2026-01-02T00:00:00Z"));
        drop(log);
        let file = path(dir.path());
        let found = |f: Filter| {
            // The writer thread drains asynchronously; wait for both lines.
            for _ in 0..200 {
                let mut n = Vec::new();
                query(&file, &Filter::default(), |_| n.push(())).unwrap();
                if n.len() == 2 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let mut out = Vec::new();
            query(&file, &f, |r| out.push(r.principal.clone())).unwrap();
            out
        };
        assert_eq!(found(Filter::default()), ["alice", "bob"]);
        let deny = Filter {
            decision: Some("deny".into()),
            ..Filter::default()
        };
        assert_eq!(found(deny), ["bob"]);
        let since = Filter {
            since: Some("2026-01-01T12:00:00Z".into()),
            ..Filter::default()
        };
        assert_eq!(found(since), ["bob"]);
        let by = Filter {
            principal: Some("alice".into()),
            action: Some("MYAPP:getfile".into()),
            ..Filter::default()
        };
        assert_eq!(found(by), ["alice"]);
    }
}
