//! ARNs: `arn:partition:service:region:account-id:resource`, split into six segments, and
//! ARN patterns matched segment by segment (a `*` in one segment never spans a `:` into the
//! next), as AWS documents for `Resource` and the `Arn*` condition operators.

use crate::wildcard::{Pattern, Shape, Syntax};

/// The six segments of an ARN; `resource` keeps any further colons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    /// `aws`, `aws-cn`, `aws-us-gov`, …
    pub partition: &'a str,
    /// Service namespace, e.g. `s3`.
    pub service: &'a str,
    /// Region, empty for global services.
    pub region: &'a str,
    /// 12-digit account ID, empty for some services (S3 buckets).
    pub account: &'a str,
    /// Everything after the fifth colon.
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits `s` into its six segments; `None` unless it starts with `arn:` and has at
    /// least six segments.
    pub fn parse(s: &'a str) -> Option<Self> {
        let rest = s.strip_prefix("arn:")?;
        // The four colons after `arn:` (a byte scan: the text before the resource is short).
        let mut colons = [0usize; 4];
        let mut found = 0;
        for (i, &b) in rest.as_bytes().iter().enumerate() {
            if b == b':' {
                if let Some(slot) = colons.get_mut(found) {
                    *slot = i;
                }
                found += 1;
                if found == colons.len() {
                    break;
                }
            }
        }
        if found < colons.len() {
            return None;
        }
        let [a, b, c, d] = colons;
        Some(Self {
            partition: rest.get(..a)?,
            service: rest.get(a + 1..b)?,
            region: rest.get(b + 1..c)?,
            account: rest.get(c + 1..d)?,
            resource: rest.get(d + 1..)?,
        })
    }
}

/// Partitions AWS knows; resource ARNs in any other partition are rejected.
pub(crate) const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// A compiled ARN pattern (from `Resource`, `NotResource` or an `Arn*` condition value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArnPattern {
    /// `*`.
    Any,
    /// The five segments after `arn:`, each matched on its own. One allocation (the text)
    /// unless a segment needs a glob.
    Segments(Box<ArnSegments>),
    /// Not an ARN: matched as one wildcard string.
    Whole(Pattern),
}

/// The text of an ARN pattern and how each of its five segments after `arn:` matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArnSegments {
    text: Box<str>,
    /// Byte ranges of partition, service, region, account and resource in `text`;
    /// `None` for segments the pattern leaves out (padded with `*`).
    ranges: [Option<(usize, usize)>; 5],
    shapes: [Shape; 5],
}

impl ArnPattern {
    /// Compiles `src`. Patterns with fewer than six segments are padded with `*`, as AWS
    /// reads `arn:aws:s3` as `arn:aws:s3:*:*:*`.
    pub(crate) fn compile(src: &str, syntax: Syntax) -> Self {
        if src == "*" {
            return Self::Any;
        }
        let segs = Segments::split(src);
        if segs.get(0) != Some("arn") || segs.len() < 2 {
            return Self::Whole(Pattern::compile(src, syntax));
        }
        let mut ranges = [None; 5];
        let mut shapes = [Shape::Any, Shape::Any, Shape::Any, Shape::Any, Shape::Any];
        for (i, (range, shape)) in ranges.iter_mut().zip(shapes.iter_mut()).enumerate() {
            if let Some((start, s)) = segs.span(i + 1) {
                *range = Some((start, start + s.len()));
                *shape = Shape::of(s, syntax);
            }
        }
        Self::Segments(Box::new(ArnSegments {
            text: src.into(),
            ranges,
            shapes,
        }))
    }

    /// The keys of the pattern's variables, lowercased (`${key}`, `${key, 'default'}`;
    /// the escapes `${*}`, `${?}`, `${$}` name none).
    pub(crate) fn variable_keys(&self) -> Vec<String> {
        match self {
            Self::Any => Vec::new(),
            Self::Whole(p) => p.variable_keys().into_iter().map(str::to_owned).collect(),
            // A byte search first: most patterns have no variable.
            Self::Segments(s) if !s.text.contains('$') => Vec::new(),
            Self::Segments(s) => {
                let mut out = Vec::new();
                let mut rest = &*s.text;
                while let Some(start) = rest.find("${") {
                    let after = rest.get(start + 2..).unwrap_or("");
                    let Some(close) = after.find('}') else { break };
                    let inner = after.get(..close).unwrap_or("");
                    let key = inner.split(',').next().unwrap_or("").trim();
                    if !matches!(key, "*" | "?" | "$" | "") {
                        out.push(key.to_ascii_lowercase());
                    }
                    rest = after.get(close + 1..).unwrap_or("");
                }
                out
            }
        }
    }

    /// Matches the request's resource (or a condition's context value).
    pub(crate) fn matches<'v>(
        &self,
        text: &str,
        vars: &dyn Fn(&str, u64) -> Option<&'v str>,
    ) -> bool {
        match self {
            Self::Segments(_) => self.matches_split(text, Arn::parse(text).as_ref(), vars),
            _ => self.matches_split(text, None, vars),
        }
    }

    /// `matches` with the text already split (`arn` is `Arn::parse(text)`), so a request's
    /// resource is split once for all statements.
    pub(crate) fn matches_split<'v>(
        &self,
        text: &str,
        arn: Option<&Arn<'_>>,
        vars: &dyn Fn(&str, u64) -> Option<&'v str>,
    ) -> bool {
        match self {
            Self::Any => true,
            Self::Segments(p) => {
                let Some(arn) = arn else {
                    return false;
                };
                let seg = |i: usize, value: &str| {
                    let (Some(shape), Some(range)) = (p.shapes.get(i), p.ranges.get(i)) else {
                        return true;
                    };
                    let src = range.and_then(|(a, b)| p.text.get(a..b)).unwrap_or("*");
                    shape.matches(src, value, false, vars)
                };
                // Most selective segments first.
                seg(1, arn.service)
                    && seg(4, arn.resource)
                    && seg(3, arn.account)
                    && seg(2, arn.region)
                    && seg(0, arn.partition)
            }
            Self::Whole(p) => p.matches(text, false, vars),
        }
    }
}

/// The first six colon-separated segments of a pattern (the sixth keeps further colons),
/// split without allocating; colons inside `${…}` do not split (a variable's key has one).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segments<'a> {
    src: &'a str,
    /// Start offsets of the segments; segment i ends where i+1 starts (minus the colon).
    starts: [usize; 6],
    len: usize,
}

impl<'a> Segments<'a> {
    pub(crate) fn split(src: &'a str) -> Self {
        let mut starts = [0usize; 6];
        let mut len = 1;
        let mut depth = 0usize;
        let bytes = src.as_bytes();
        let mut i = 0usize;
        while i < bytes.len() && len < 6 {
            if bytes.get(i..i + 2) == Some(b"${") {
                depth += 1;
                i += 2;
                continue;
            }
            match bytes.get(i) {
                Some(b'}') if depth > 0 => depth -= 1,
                Some(b':') if depth == 0 => {
                    if let Some(slot) = starts.get_mut(len) {
                        *slot = i + 1;
                    }
                    len += 1;
                }
                _ => {}
            }
            i += 1;
        }
        Self { src, starts, len }
    }

    /// Number of segments (1 to 6).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Segment `i` with its start offset.
    pub(crate) fn span(&self, i: usize) -> Option<(usize, &'a str)> {
        if i >= self.len {
            return None;
        }
        let start = *self.starts.get(i)?;
        let end = if i + 1 < self.len {
            self.starts.get(i + 1)?.checked_sub(1)?
        } else {
            self.src.len()
        };
        Some((start, self.src.get(start..end)?))
    }

    /// Segment `i`.
    pub(crate) fn get(&self, i: usize) -> Option<&'a str> {
        self.span(i).map(|(_, s)| s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };

    fn none(_: &str, _: u64) -> Option<&'static str> {
        None
    }

    fn m(p: &str, t: &str) -> bool {
        ArnPattern::compile(p, S).matches(t, &none)
    }

    #[test]
    fn parses_six_segments() {
        let a = Arn::parse("arn:aws:s3:::bucket/key:with:colons").unwrap();
        assert_eq!(a.service, "s3");
        assert_eq!(a.region, "");
        assert_eq!(a.resource, "bucket/key:with:colons");
        assert!(Arn::parse("arn:aws:s3::bucket").is_none());
        assert!(Arn::parse("urn:aws:s3:::b").is_none());
    }

    #[test]
    fn segment_wise_matching() {
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b"));
        assert!(!m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket2/a"));
        assert!(m(
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-1"
        ));
        // A star does not cross into the next segment.
        assert!(!m("arn:*:s3:::b", "arn:aws:sts::1:x:s3:::b"));
        assert!(m("arn:aws:iam::*:*", "arn:aws:iam::123456789012:user/x"));
        // The resource segment keeps its colons.
        assert!(m(
            "arn:aws:logs:*:*:log-group:*",
            "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s"
        ));
        // Short patterns are padded with `*`.
        assert!(m("arn:aws:s3", "arn:aws:s3:::anything"));
        assert!(!m("arn:aws:s3", "arn:aws:sqs:us-east-1:1:q"));
        // Resources are case-sensitive.
        assert!(!m("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket"));
        // A non-ARN resource only matches `*` or a non-ARN pattern.
        assert!(m("*", "not-an-arn"));
        assert!(!m("arn:aws:s3:::*", "not-an-arn"));
        assert!(m("abc*", "abcdef"));
    }

    #[test]
    fn variables_may_contain_colons() {
        let p = ArnPattern::compile("arn:aws:iam::*:user/${aws:username}", S);
        let vars = |k: &str, _: u64| (k == "aws:username").then_some("bob");
        assert!(p.matches("arn:aws:iam::123456789012:user/bob", &vars));
        assert!(!p.matches("arn:aws:iam::123456789012:user/eve", &vars));
    }
}
