//! The `Action`/`NotAction` element compiled for lookup. A statement's patterns are grouped
//! by exact service (`ActionSet`), and a policy's statements are indexed by service
//! (`ActionIndex`); both are searched by a hash of the lowercased service, and exact action
//! names by a hash of the name, so a request compares integers on the way and text only to
//! confirm a hit. Some AWS managed policies list 900 actions in one statement.
//!
//! Actions are case-insensitive: patterns are stored lowercased and the request's action is
//! lowercased once per evaluation (`RequestAction`).

use crate::wildcard::{Shape, Syntax};

/// A hash of a lowercased service, action name or context key: computed once per pattern
/// at compile time and once per request. It reads the length and the first and last eight
/// bytes only (constant time): keys that differ only in their middle collide, which costs a
/// text comparison, never a wrong answer (every user confirms a hit on the text).
pub(crate) fn key_hash(s: &str) -> u64 {
    let b = s.as_bytes();
    let word = |bytes: Option<&[u8]>| {
        let mut w = [0u8; 8];
        if let Some(bytes) = bytes {
            w.copy_from_slice(bytes);
        }
        u64::from_le_bytes(w)
    };
    let (head, tail) = if b.len() >= 8 {
        (word(b.get(..8)), word(b.get(b.len() - 8..)))
    } else {
        // Short keys: all of it, one byte at a time.
        let all = b.iter().fold(0u64, |w, &x| (w << 8) | u64::from(x));
        (all, 0)
    };
    let len = u64::try_from(b.len()).unwrap_or(u64::MAX);
    let h = (head ^ tail.rotate_left(23) ^ len.rotate_left(56)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^ (h >> 29)
}

/// `s.split_once(':')` by a byte scan: actions are short, and a `memchr` call costs more
/// than the scan.
pub(crate) fn split_colon(s: &str) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == b':')?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The request's action, lowercased, split at its first `:` and hashed once per evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestAction<'a> {
    pub(crate) service: &'a str,
    pub(crate) name: &'a str,
    service_hash: u64,
    name_hash: u64,
}

impl<'a> RequestAction<'a> {
    /// `action` must be lowercased.
    pub(crate) fn new(action: &'a str) -> Self {
        let (service, name) = split_colon(action).unwrap_or((action, ""));
        Self {
            service,
            name,
            service_hash: key_hash(service),
            name_hash: key_hash(name),
        }
    }
}

/// Actions have wildcards but no variables.
const ACTION: Syntax = Syntax {
    wildcards: true,
    variables: false,
};

/// One compiled `Action` entry: one allocation (the text) unless a side needs a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ActionPattern {
    /// The action as written, lowercased.
    text: Box<str>,
    /// Byte index of the `:` (the text's length if there is none).
    colon: usize,
    service: Shape,
    name: Shape,
    /// `key_hash` of the service side (used when `service` is `Shape::Exact`).
    service_hash: u64,
    /// `key_hash` of the name side (used when `name` is `Shape::Exact`).
    name_hash: u64,
}

impl ActionPattern {
    pub(crate) fn compile(src: &str) -> Self {
        // INVARIANT (lowercase-actions): patterns are stored lowercased; matching takes a
        // lowercased request action, so comparisons are plain byte comparisons.
        let lower = src.to_ascii_lowercase();
        // One pass over the bytes: the colon and each side's first wildcard.
        let mut colon = None;
        let mut wildcards = [None; 2];
        for (i, &b) in lower.as_bytes().iter().enumerate() {
            let (side, at) = match colon {
                None if b == b':' => {
                    colon = Some(i);
                    continue;
                }
                None => (0, i),
                Some(c) => (1, i - c - 1),
            };
            if matches!(b, b'*' | b'?')
                && let Some(w @ None) = wildcards.get_mut(side)
            {
                *w = Some(at);
            }
        }
        let [service_wild, name_wild] = wildcards;
        let text = lower.as_str();
        let (colon, service, name) = match colon {
            _ if text == "*" => (text.len(), Shape::Any, Shape::Any),
            Some(c) => {
                let (s, n) = (text.get(..c).unwrap_or(""), text.get(c + 1..).unwrap_or(""));
                (
                    c,
                    Shape::from_first_special(s, service_wild, ACTION),
                    Shape::from_first_special(n, name_wild, ACTION),
                )
            }
            None => (
                text.len(),
                Shape::from_first_special(text, service_wild, ACTION),
                Shape::Exact,
            ),
        };
        let mut pattern = Self {
            text: lower.into_boxed_str(),
            colon,
            service,
            name,
            service_hash: 0,
            name_hash: 0,
        };
        pattern.service_hash = key_hash(pattern.service_text());
        pattern.name_hash = key_hash(pattern.name_text());
        pattern
    }

    fn service_text(&self) -> &str {
        self.text.get(..self.colon).unwrap_or("")
    }

    fn name_text(&self) -> &str {
        self.text.get(self.colon + 1..).unwrap_or("")
    }

    /// The exact service prefix this pattern is limited to, if any.
    fn service_key(&self) -> Option<&str> {
        match self.service {
            Shape::Exact => Some(self.service_text()),
            Shape::Any | Shape::Prefix | Shape::Glob(_) => None,
        }
    }

    fn name_matches(&self, action: &RequestAction<'_>) -> bool {
        match &self.name {
            Shape::Exact => self.name_hash == action.name_hash && self.name_text() == action.name,
            shape => shape.matches(self.name_text(), action.name, false, &|_, _| None),
        }
    }

    fn matches(&self, action: &RequestAction<'_>) -> bool {
        let service = match &self.service {
            Shape::Exact => {
                self.service_hash == action.service_hash && self.service_text() == action.service
            }
            shape => shape.matches(self.service_text(), action.service, false, &|_, _| None),
        };
        service && self.name_matches(action)
    }

    /// How `ActionSet` orders patterns: wildcard services first, then by service hash,
    /// wildcard names before exact ones, then by name hash. Integers only, so sorting long
    /// lists is cheap; patterns with equal keys may come in any order (see `ActionSet`).
    fn order(&self) -> (bool, u64, bool, u64) {
        let service = matches!(self.service, Shape::Exact);
        let name = matches!(self.name, Shape::Exact);
        (
            service,
            if service { self.service_hash } else { 0 },
            name,
            if name { self.name_hash } else { 0 },
        )
    }
}

/// The patterns of one exact service inside an `ActionSet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ServiceRun {
    hash: u64,
    /// `patterns[start..names]` have wildcard names, `patterns[names..end]` exact ones.
    start: usize,
    names: usize,
    end: usize,
}

/// A statement's `Action` or `NotAction` list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActionSet {
    /// INVARIANT (actions-by-service): sorted by `ActionPattern::order`: the patterns
    /// without an exact service first (`..wild`), then the runs of `runs`. Within one service
    /// hash, wildcard names come first, then exact names by name hash. Texts are not
    /// ordered: two services with one hash may interleave (in runs of one service each),
    /// and names with one hash are all checked.
    patterns: Box<[ActionPattern]>,
    wild: usize,
    /// Maximal runs of patterns of one exact service, sorted by service hash.
    runs: Box<[ServiceRun]>,
}

impl ActionSet {
    pub(crate) fn new(mut patterns: Vec<ActionPattern>) -> Self {
        // INVARIANT (actions-by-service): established here.
        patterns.sort_by_cached_key(ActionPattern::order);
        let wild = patterns.partition_point(|a| a.service_key().is_none());
        let mut runs: Vec<ServiceRun> = Vec::new();
        for (i, p) in patterns.iter().enumerate().skip(wild) {
            let same = runs
                .last()
                .and_then(|r| patterns.get(r.start))
                .is_some_and(|first| {
                    first.service_hash == p.service_hash && first.service_text() == p.service_text()
                });
            if !same {
                runs.push(ServiceRun {
                    hash: p.service_hash,
                    start: i,
                    names: i,
                    end: i,
                });
            }
            if let Some(run) = runs.last_mut() {
                run.end = i + 1;
                if !matches!(p.name, Shape::Exact) {
                    run.names = i + 1;
                }
            }
        }
        Self {
            patterns: patterns.into_boxed_slice(),
            wild,
            runs: runs.into_boxed_slice(),
        }
    }

    /// True if some pattern matches `action`.
    pub(crate) fn matches(&self, action: &RequestAction<'_>) -> bool {
        let wild = self.patterns.get(..self.wild).unwrap_or(&[]);
        if wild.iter().any(|p| p.matches(action)) {
            return true;
        }
        let from = self.runs.partition_point(|r| r.hash < action.service_hash);
        let runs = self.runs.get(from..).unwrap_or(&[]);
        for run in runs.iter().take_while(|r| r.hash == action.service_hash) {
            let globs = self.patterns.get(run.start..run.names).unwrap_or(&[]);
            let names = self.patterns.get(run.names..run.end).unwrap_or(&[]);
            let Some(first) = globs.first().or(names.first()) else {
                continue;
            };
            // A different service with the same hash.
            if first.service_text() != action.service {
                continue;
            }
            if globs.iter().any(|p| p.name_matches(action)) {
                return true;
            }
            let at = names.partition_point(|p| p.name_hash < action.name_hash);
            let same_hash = names.get(at..).unwrap_or(&[]).iter();
            if same_hash
                .take_while(|p| p.name_hash == action.name_hash)
                .any(|p| p.name_text() == action.name)
            {
                return true;
            }
        }
        false
    }

    /// True if every pattern names an exact service (the statement can be indexed).
    fn all_exact_services(&self) -> bool {
        self.wild == 0
    }

    /// The exact services, each once.
    fn services(&self) -> impl Iterator<Item = (u64, &str)> {
        self.runs.iter().filter_map(|r| {
            self.patterns
                .get(r.start)
                .map(|p| (r.hash, p.service_text()))
        })
    }
}

/// A policy's statements grouped by the service prefix of their actions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ActionIndex {
    /// INVARIANT (sorted-services): sorted by (hash, lowercased service), each service once;
    /// each list ascending.
    by_service: Box<[ServiceStatements<Box<[u32]>>]>,
    /// Statements every request must look at: `NotAction`, `*`, wildcard services.
    always: Box<[u32]>,
}

/// The statements whose actions name one exact service.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ServiceStatements<L> {
    hash: u64,
    service: Box<str>,
    statements: L,
}

impl ActionIndex {
    /// `statements` yields each statement's actions and whether they are a `NotAction`.
    pub(crate) fn build<'s>(statements: impl Iterator<Item = (&'s ActionSet, bool)>) -> Self {
        let mut by_service: Vec<ServiceStatements<Vec<u32>>> = Vec::new();
        let mut always = Vec::new();
        for (i, (actions, not_action)) in statements.enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            if not_action || !actions.all_exact_services() {
                always.push(i);
                continue;
            }
            for (hash, key) in actions.services() {
                match by_service.binary_search_by(|e| (e.hash, &*e.service).cmp(&(hash, key))) {
                    Ok(pos) => {
                        if let Some(e) = by_service.get_mut(pos)
                            && e.statements.last() != Some(&i)
                        {
                            e.statements.push(i);
                        }
                    }
                    Err(pos) => by_service.insert(
                        pos,
                        ServiceStatements {
                            hash,
                            service: key.into(),
                            statements: vec![i],
                        },
                    ),
                }
            }
        }
        // INVARIANT (sorted-services): inserted at binary-search positions; statement
        // indices pushed in increasing order, each once.
        Self {
            by_service: by_service
                .into_iter()
                .map(|e| ServiceStatements {
                    hash: e.hash,
                    service: e.service,
                    statements: e.statements.into_boxed_slice(),
                })
                .collect(),
            always: always.into_boxed_slice(),
        }
    }

    /// Candidate statements for `action`: its service's list and `always`.
    pub(crate) fn candidates(&self, action: &RequestAction<'_>) -> (&[u32], &[u32]) {
        let from = self
            .by_service
            .partition_point(|e| e.hash < action.service_hash);
        let hit = self
            .by_service
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .take_while(|e| e.hash == action.service_hash)
            .find(|e| &*e.service == action.service)
            .map_or(&[][..], |e| &e.statements[..]);
        (hit, &self.always)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(patterns: &[&str]) -> ActionSet {
        ActionSet::new(patterns.iter().map(|p| ActionPattern::compile(p)).collect())
    }

    fn m(s: &ActionSet, action: &str) -> bool {
        s.matches(&RequestAction::new(&action.to_ascii_lowercase()))
    }

    #[test]
    fn exact_wildcard_and_mixed_services() {
        let s = set(&[
            "s3:GetObject",
            "S3:PutObject",
            "s3:List*",
            "ec2:Describe*",
            "iam:*",
            "*:Get*",
            "s3*:Delete?ucket",
            "sts",
        ]);
        for yes in [
            "s3:getobject",
            "S3:PUTOBJECT",
            "s3:ListBucket",
            "ec2:DescribeInstances",
            "iam:CreateUser",
            "kms:GetKeyPolicy",
            "s3express:DeleteBucket",
            "sts",
        ] {
            assert!(m(&s, yes), "{yes}");
        }
        for no in [
            "s3:DeleteObject",
            "s3:HeadObject",
            "ec2:RunInstances",
            "kms:Decrypt",
            "sts:AssumeRole",
            "s3",
            "",
        ] {
            assert!(!m(&s, no), "{no}");
        }
        assert!(m(&set(&["*"]), "anything:AtAll"));
        assert!(!m(&set(&[]), "s3:GetObject"));
    }

    #[test]
    fn one_pass_compile_agrees_with_separate_passes() {
        for src in [
            "s3:GetObject",
            "S3:Get*",
            "*",
            "*:Describe*",
            "ec2:*",
            "s3*:Put?bject",
            "iam",
            "a:b:c",
            ":x",
            "x:",
            "",
            "kms:*Key*",
        ] {
            let p = ActionPattern::compile(src);
            let lower = src.to_ascii_lowercase();
            let (s, n) = split_colon(&lower).unwrap_or((&lower, ""));
            assert_eq!((p.service_text(), p.name_text()), (s, n), "{src}");
            assert_eq!(
                (p.service_hash, p.name_hash),
                (key_hash(s), key_hash(n)),
                "{src}"
            );
            if lower != "*" {
                assert_eq!(p.service, Shape::of(s, ACTION), "{src}");
                if split_colon(&lower).is_some() {
                    assert_eq!(p.name, Shape::of(n, ACTION), "{src}");
                }
            }
        }
    }

    #[test]
    fn long_lists_are_searched_by_name() {
        let names: Vec<String> = (0..900).map(|i| format!("ec2:Action{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let s = set(&refs);
        assert!(names.iter().all(|n| m(&s, n)));
        assert!(!m(&s, "ec2:Action900"));
        assert!(!m(&s, "ec3:Action1"));
    }
}
