//! `*`/`?` patterns as languages, decided exactly: inclusion (every string one pattern
//! matches, the other matches too) and intersection (some string both match), for actions
//! (case-insensitive), `Resource` patterns (segment-wise ARN patterns as the engine reads
//! them) and condition values.
//!
//! # Map
//! - [`Glob`]: a pattern as symbols; [`Glob::includes`] and [`Glob::meets`] run a product
//!   of the two patterns' automata over a finite alphabet — the literal characters of both
//!   patterns and one stand-in for every other character (no pattern tells two
//!   characters it does not name apart, so one stand-in decides for all of them).
//! - [`ResourceShape`], [`resource_includes`], [`resources_meet`]: `Resource` patterns.
//! - [`action_includes`], [`actions_meet`]: `Action` patterns.
//!
//! # Soundness
//! Policy variables (`${aws:username}`) have values only at request time. On the including
//! side a variable matches nothing (a subset of what it can be), on the included side and
//! in intersections anything (a superset), so a "yes, included" and a "no, disjoint" are
//! never wrong. A search that exceeds its budget answers "not included" and "may meet".

use std::collections::{HashSet, VecDeque};

/// One symbol of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Sym {
    Lit(char),
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    One,
    /// Matches nothing: a policy variable on the including side.
    Never,
}

/// How a pattern is read: as the including side or the included side (see the module's
/// soundness note).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Including,
    Included,
}

/// How a pattern's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (not for `StringEquals`).
    pub(crate) wildcards: bool,
    /// `${…}` is a policy variable.
    pub(crate) variables: bool,
    /// Compare ASCII letters case-insensitively (actions, `…IgnoreCase`).
    pub(crate) fold: bool,
}

impl Syntax {
    /// `Resource` patterns and `StringLike` values.
    pub(crate) const RESOURCE: Syntax = Syntax {
        wildcards: true,
        variables: true,
        fold: false,
    };
    /// `Action` patterns.
    pub(crate) const ACTION: Syntax = Syntax {
        wildcards: true,
        variables: false,
        fold: true,
    };
}

/// A `*`/`?` pattern as symbols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Glob(pub(crate) Vec<Sym>);

/// States a search may visit before it gives up (and answers conservatively).
const BUDGET: usize = 200_000;

impl Glob {
    pub(crate) fn new(src: &str, role: Role, syntax: Syntax) -> Glob {
        let mut out = Vec::with_capacity(src.len());
        let mut chars = src.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' if syntax.wildcards => out.push(Sym::Star),
                '?' if syntax.wildcards => out.push(Sym::One),
                '$' if syntax.variables && chars.peek() == Some(&'{') => {
                    for c in chars.by_ref() {
                        if c == '}' {
                            break;
                        }
                    }
                    out.push(match role {
                        Role::Included => Sym::Star,
                        Role::Including => Sym::Never,
                    });
                }
                // ASCII only, as the engine folds (`eq_ignore_ascii_case`).
                c if syntax.fold => out.push(Sym::Lit(c.to_ascii_lowercase())),
                c => out.push(Sym::Lit(c)),
            }
        }
        Glob(out)
    }

    /// The characters the two patterns name, and `None` for every other character.
    fn alphabet(&self, other: &Glob) -> Vec<Option<char>> {
        let mut chars: Vec<char> = self
            .0
            .iter()
            .chain(&other.0)
            .filter_map(|s| match s {
                Sym::Lit(c) => Some(*c),
                _ => None,
            })
            .collect();
        chars.sort_unstable();
        chars.dedup();
        chars
            .into_iter()
            .map(Some)
            .chain(std::iter::once(None))
            .collect()
    }

    /// The positions reachable from `set` without reading (past `*`s), sorted.
    fn close(&self, mut set: Vec<usize>) -> Vec<usize> {
        let mut i = 0;
        while let Some(&p) = set.get(i) {
            if self.0.get(p) == Some(&Sym::Star) && !set.contains(&(p + 1)) {
                set.push(p + 1);
            }
            i += 1;
        }
        set.sort_unstable();
        set
    }

    /// The positions after reading `c` (`None`: a character no pattern names) from `set`.
    fn step(&self, set: &[usize], c: Option<char>) -> Vec<usize> {
        let mut next = Vec::new();
        for &p in set {
            match self.0.get(p) {
                Some(Sym::Lit(l)) if Some(*l) == c => next.push(p + 1),
                Some(Sym::One) => next.push(p + 1),
                Some(Sym::Star) => next.push(p),
                _ => {}
            }
        }
        next.sort_unstable();
        next.dedup();
        self.close(next)
    }

    fn accepts(&self, set: &[usize]) -> bool {
        set.contains(&self.0.len())
    }

    /// Every string `included` matches, `self` matches too. Exact within the budget.
    pub(crate) fn includes(&self, included: &Glob) -> bool {
        if self.0 == included.0 && !self.0.contains(&Sym::Never) {
            return true;
        }
        let alphabet = self.alphabet(included);
        let (a, b) = (self, included);
        let start = (b.close(vec![0]), a.close(vec![0]));
        let mut seen: HashSet<(Vec<usize>, Vec<usize>)> = HashSet::new();
        let mut queue = VecDeque::from([start]);
        while let Some((sb, sa)) = queue.pop_front() {
            if b.accepts(&sb) && !a.accepts(&sa) {
                return false;
            }
            if sb.is_empty() || !seen.insert((sb.clone(), sa.clone())) {
                continue;
            }
            if seen.len() > BUDGET {
                return false;
            }
            for &c in &alphabet {
                let nb = b.step(&sb, c);
                if !nb.is_empty() {
                    queue.push_back((nb, a.step(&sa, c)));
                }
            }
        }
        true
    }

    /// Some string matches both. Exact within the budget.
    pub(crate) fn meets(&self, other: &Glob) -> bool {
        let alphabet = self.alphabet(other);
        let start = (self.close(vec![0]), other.close(vec![0]));
        let mut seen: HashSet<(Vec<usize>, Vec<usize>)> = HashSet::new();
        let mut queue = VecDeque::from([start]);
        while let Some((x, y)) = queue.pop_front() {
            if self.accepts(&x) && other.accepts(&y) {
                return true;
            }
            if x.is_empty() || y.is_empty() || !seen.insert((x.clone(), y.clone())) {
                continue;
            }
            if seen.len() > BUDGET {
                return true;
            }
            for &c in &alphabet {
                queue.push_back((self.step(&x, c), other.step(&y, c)));
            }
        }
        false
    }
}

/// Action pattern `a` includes action pattern `b` (case-insensitive).
pub(crate) fn action_includes(a: &str, b: &str) -> bool {
    Glob::new(a, Role::Including, Syntax::ACTION).includes(&Glob::new(
        b,
        Role::Included,
        Syntax::ACTION,
    ))
}

/// Action patterns `a` and `b` match some common action.
pub(crate) fn actions_meet(a: &str, b: &str) -> bool {
    Glob::new(a, Role::Included, Syntax::ACTION).meets(&Glob::new(
        b,
        Role::Included,
        Syntax::ACTION,
    ))
}

/// A `Resource` pattern as the engine reads it (`oxiam_policy::arn::ArnPattern`).
#[derive(Debug, Clone)]
pub(crate) enum ResourceShape {
    /// `*`.
    Any,
    /// `arn:…`: five segments matched one by one (short patterns padded with `*`).
    Segments(Box<[Glob; 5]>),
    /// Anything else: the whole string.
    Whole(Glob),
}

impl ResourceShape {
    pub(crate) fn new(src: &str, role: Role) -> ResourceShape {
        let glob = |s: &str| Glob::new(s, role, Syntax::RESOURCE);
        if src == "*" {
            return ResourceShape::Any;
        }
        let segments = split_segments(src);
        if segments.first().copied() != Some("arn") || segments.len() < 2 {
            return ResourceShape::Whole(glob(src));
        }
        let seg = |i: usize| glob(segments.get(i).copied().unwrap_or("*"));
        ResourceShape::Segments(Box::new([seg(1), seg(2), seg(3), seg(4), seg(5)]))
    }

    /// As one whole-string pattern matching at least what this matches.
    fn as_whole(&self) -> Glob {
        match self {
            ResourceShape::Any => Glob(vec![Sym::Star]),
            ResourceShape::Whole(g) => g.clone(),
            ResourceShape::Segments(segs) => {
                let mut out: Vec<Sym> = "arn".chars().map(Sym::Lit).collect();
                for s in segs.iter() {
                    out.push(Sym::Lit(':'));
                    out.extend(s.0.iter().copied());
                }
                Glob(out)
            }
        }
    }
}

/// The first six `:`-separated segments (the sixth keeps further colons); colons inside
/// `${…}` do not split.
pub(crate) fn split_segments(src: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut prev = '\0';
    for (i, c) in src.char_indices() {
        match c {
            '{' if prev == '$' => depth += 1,
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 && out.len() < 5 => {
                out.push(src.get(start..i).unwrap_or_default());
                start = i + 1;
            }
            _ => {}
        }
        prev = c;
    }
    out.push(src.get(start..).unwrap_or_default());
    out
}

/// Every resource `b` matches, `a` matches (case-sensitive).
pub(crate) fn resource_includes(a: &str, b: &str) -> bool {
    if a == b {
        // The same text is the same set, variables included: both are read for the same
        // request.
        return true;
    }
    let (a, b) = (
        ResourceShape::new(a, Role::Including),
        ResourceShape::new(b, Role::Included),
    );
    match (&a, &b) {
        (ResourceShape::Any, _) => true,
        // Segment-wise: a product of languages includes another when each factor does
        // (the included factors are never empty: `Never` only appears when including).
        (ResourceShape::Segments(x), ResourceShape::Segments(y)) => {
            x.iter().zip(y.iter()).all(|(x, y)| x.includes(y))
        }
        // An ARN pattern matches only ARNs; `*` or a whole-string pattern may match others.
        (ResourceShape::Segments(_), _) => false,
        (ResourceShape::Whole(x), _) => x.includes(&b.as_whole()),
    }
}

/// Resource patterns `a` and `b` may match a common resource (exact up to variables, which
/// may be anything).
pub(crate) fn resources_meet(a: &str, b: &str) -> bool {
    let (a, b) = (
        ResourceShape::new(a, Role::Included),
        ResourceShape::new(b, Role::Included),
    );
    match (&a, &b) {
        (ResourceShape::Any, _) | (_, ResourceShape::Any) => true,
        (ResourceShape::Segments(x), ResourceShape::Segments(y)) => {
            x.iter().zip(y.iter()).all(|(x, y)| x.meets(y))
        }
        _ => a.as_whole().meets(&b.as_whole()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(a: &str, b: &str) -> bool {
        Glob::new(a, Role::Including, Syntax::RESOURCE).includes(&Glob::new(
            b,
            Role::Included,
            Syntax::RESOURCE,
        ))
    }

    #[test]
    fn glob_inclusion_is_exact() {
        assert!(inc("bucket/*", "bucket/a/*"));
        assert!(!inc("bucket/a/*", "bucket/*"));
        assert!(inc("*", "*"));
        assert!(inc("a?c", "abc"));
        assert!(inc("a?c", "a?c"));
        assert!(!inc("a?c", "a*c"));
        assert!(!inc("abc", "ab?"));
        // What a symbol-by-symbol comparison misses.
        assert!(inc("?*", "*?"));
        assert!(inc("*a*", "*a*a*"));
        assert!(inc("a**b", "a*b"));
        assert!(!inc("*a*a*", "*a*"));
        assert!(inc("a*", "a${aws:username}"));
        assert!(!inc("a${aws:username}", "ab"));
        assert!(!inc("Bucket", "bucket"));
    }

    #[test]
    fn glob_intersection_is_exact() {
        let meets = |a: &str, b: &str| {
            Glob::new(a, Role::Included, Syntax::RESOURCE).meets(&Glob::new(
                b,
                Role::Included,
                Syntax::RESOURCE,
            ))
        };
        assert!(meets("a*", "*b"));
        assert!(!meets("a*", "b*"));
        assert!(meets("a?c", "*c"));
        assert!(!meets("a?", "a??"));
        assert!(meets("x${aws:username}", "xy"));
    }

    #[test]
    fn resource_patterns_segment_wise() {
        assert!(resource_includes("arn:aws:s3:::*", "arn:aws:s3:::b/*"));
        assert!(resource_includes("arn:aws:s3", "arn:aws:s3:::b/*"));
        assert!(!resource_includes("arn:*:s3:::b", "arn:aws:sts::1:x"));
        assert!(resource_includes("*", "anything"));
        assert!(!resource_includes("arn:aws:s3:::*", "*"));
        assert!(resource_includes("arn:*", "arn:aws:s3:::b"));
        assert!(!resource_includes("arn:aws:s3:::*", "abc*"));
        assert!(resources_meet("arn:aws:s3:::b/*", "arn:aws:s3:::*/x"));
        assert!(!resources_meet("arn:aws:s3:::a/*", "arn:aws:s3:::b/*"));
        assert!(!resources_meet("arn:aws:s3:::a", "arn:aws:sqs:::a"));
    }

    #[test]
    fn actions_fold_case() {
        assert!(action_includes("S3:Get*", "s3:getobject"));
        assert!(actions_meet("s3:*Object", "s3:Get*"));
        assert!(!actions_meet("s3:Get*", "iam:*"));
    }
}
