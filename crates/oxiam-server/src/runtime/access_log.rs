//! The access advisor's records not yet in the store: every node notes each attempt in
//! memory (a map lookup on the request path) and flushes them with the access keys' last
//! use (`App::flush_last_used`), merging into the stored record of each entity × action.

use std::collections::HashMap;
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

/// Attempts since the last flush, by store key (at most one pending record per entity ×
/// action, whatever the traffic).
#[derive(Debug, Default)]
pub struct AccessLog {
    pending: Mutex<HashMap<String, AccessRecord>>,
}

impl AccessLog {
    /// Notes an attempt: a new pending record, or the pending one advanced.
    pub fn note(&self, a: &Attempt<'_>) {
        let key = AccessRecord::store_key(a.account, a.entity_id, a.action);
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        match pending.get_mut(&key) {
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
            None => {
                pending.insert(
                    key,
                    AccessRecord {
                        account: a.account.to_owned(),
                        entity_id: a.entity_id.to_owned(),
                        kind: a.kind,
                        action: a.action.to_owned(),
                        last: a.at,
                        region: a.region.map(str::to_owned),
                        via: a.via,
                        count: 1,
                    },
                );
            }
        }
    }

    /// Takes every pending record (to be merged into the store).
    pub fn drain(&self) -> Vec<AccessRecord> {
        match self.pending.lock() {
            Ok(mut m) => m.drain().map(|(_, r)| r).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Puts records a failed flush took back, merged with what came since.
    pub fn restore(&self, records: Vec<AccessRecord>) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        for r in records {
            let key = AccessRecord::store_key(&r.account, &r.entity_id, &r.action);
            let merged = match pending.get(&key) {
                Some(newer) => newer.merged(&r),
                None => r,
            };
            pending.insert(key, merged);
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
