//! The access advisor's records not yet in the store: every node notes each attempt in
//! memory (a map lookup on the request path) and flushes them with the access keys' last
//! use (`App::flush_last_used`), merging into the stored record of each entity × action.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Mutex;

use crate::model::Epoch;
use crate::model::access::{AccessRecord, EntityKind, Via};

/// One attempt to note.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub account: &'a str,
    pub entity_id: &'a str,
    pub kind: EntityKind,
    pub action: &'a str,
    pub region: Option<&'a str>,
    pub via: Via,
    pub at: Epoch,
}

/// The record of a bucket for this entity × action (actions compare case-insensitively).
fn same<'r>(
    records: &'r mut [AccessRecord],
    account: &str,
    entity_id: &str,
    action: &str,
) -> Option<&'r mut AccessRecord> {
    records.iter_mut().find(|r| {
        r.entity_id == entity_id && r.account == account && r.action.eq_ignore_ascii_case(action)
    })
}

/// Attempts since the last flush (at most one pending record per entity × action, whatever
/// the traffic), bucketed by a keyed hash of the store key computed without allocating, so
/// a repeated attempt — the usual case — costs a hash, a lock and a compare.
#[derive(Debug, Default)]
pub struct AccessLog {
    pending: Mutex<HashMap<u64, Vec<AccessRecord>>>,
    /// Random keys: a caller choosing action names cannot aim them at one bucket.
    hasher: RandomState,
}

impl AccessLog {
    /// The hash of `account/entity ID/lower-cased action` (the store key), without building
    /// it.
    fn bucket(&self, account: &str, entity_id: &str, action: &str) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write(account.as_bytes());
        h.write_u8(b'/');
        h.write(entity_id.as_bytes());
        h.write_u8(b'/');
        for b in action.bytes() {
            h.write_u8(b.to_ascii_lowercase());
        }
        h.finish()
    }

    /// Notes an attempt: a new pending record, or the pending one advanced.
    pub fn note(&self, a: &Attempt<'_>) {
        let bucket = self.bucket(a.account, a.entity_id, a.action);
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        let records = pending.entry(bucket).or_default();
        match same(records, a.account, a.entity_id, a.action) {
            Some(r) => {
                r.count = r.count.saturating_add(1);
                if a.at >= r.last {
                    r.last = a.at;
                    r.via = a.via;
                    if r.region.as_deref() != a.region {
                        r.region = a.region.map(str::to_owned);
                    }
                }
            }
            None => records.push(AccessRecord {
                account: a.account.to_owned(),
                entity_id: a.entity_id.to_owned(),
                kind: a.kind,
                action: a.action.to_owned(),
                last: a.at,
                region: a.region.map(str::to_owned),
                via: a.via,
                count: 1,
            }),
        }
    }

    /// Takes every pending record (to be merged into the store).
    pub fn drain(&self) -> Vec<AccessRecord> {
        match self.pending.lock() {
            Ok(mut m) => m.drain().flat_map(|(_, r)| r).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Puts records a failed flush took back, merged with what came since.
    pub fn restore(&self, records: Vec<AccessRecord>) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        for r in records {
            let bucket = self.bucket(&r.account, &r.entity_id, &r.action);
            let records = pending.entry(bucket).or_default();
            match same(records, &r.account, &r.entity_id, &r.action) {
                Some(newer) => *newer = newer.merged(&r),
                None => records.push(r),
            }
        }
    }

    pub fn clear(&self) {
        if let Ok(mut m) = self.pending.lock() {
            m.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(action: &str, at: Epoch) -> Attempt<'_> {
        Attempt {
            account: "123456789012",
            entity_id: "AIDAEXAMPLE",
            kind: EntityKind::User,
            action,
            region: Some("us-east-1"),
            via: Via::Api,
            at,
        }
    }

    #[test]
    fn one_pending_record_per_entity_and_action() {
        let log = AccessLog::default();
        log.note(&attempt("s3:GetObject", 10));
        log.note(&attempt("S3:GETOBJECT", 30));
        log.note(&Attempt {
            region: Some("eu-west-1"),
            via: Via::Guard,
            ..attempt("s3:GetObject", 20)
        });
        log.note(&attempt("iam:GetUser", 5));
        let drained = log.drain();
        assert_eq!(drained.len(), 2);
        let get = drained
            .iter()
            .find(|r| r.action.eq_ignore_ascii_case("s3:getobject"))
            .unwrap();
        assert_eq!((get.count, get.last, get.via), (3, 30, Via::Api));
        assert_eq!(get.region.as_deref(), Some("us-east-1"));
        assert!(log.drain().is_empty(), "drained once");
    }

    #[test]
    fn a_failed_flush_gives_its_records_back() {
        let log = AccessLog::default();
        log.note(&attempt("s3:GetObject", 10));
        let taken = log.drain();
        log.note(&attempt("s3:GetObject", 40));
        log.restore(taken);
        let back = log.drain();
        assert_eq!(back.len(), 1);
        assert_eq!((back[0].count, back[0].last), (2, 40));
    }
}
