//! ARNs: `arn:partition:service:region:account-id:resource`, split into six segments, and
//! ARN patterns matched segment by segment (a `*` in one segment never spans a `:` into the
//! next), as AWS documents for `Resource` and the `Arn*` condition operators.

use crate::wildcard::{Pattern, Syntax};

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
        let mut it = s.splitn(6, ':');
        if it.next()? != "arn" {
            return None;
        }
        Some(Self {
            partition: it.next()?,
            service: it.next()?,
            region: it.next()?,
            account: it.next()?,
            resource: it.next()?,
        })
    }

    fn segments(&self) -> [&'a str; 5] {
        [
            self.partition,
            self.service,
            self.region,
            self.account,
            self.resource,
        ]
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
    /// The five segments after `arn:`, each its own pattern.
    Segments(Box<[Pattern; 5]>),
    /// Not an ARN: matched as one wildcard string.
    Whole(Pattern),
}

impl ArnPattern {
    /// Compiles `src`. Patterns with fewer than six segments are padded with `*`, as AWS
    /// reads `arn:aws:s3` as `arn:aws:s3:*:*:*`.
    pub(crate) fn compile(src: &str, syntax: Syntax) -> Self {
        if src == "*" {
            return Self::Any;
        }
        let segments = split_outside_variables(src);
        match segments.first() {
            Some(&"arn") if segments.len() >= 2 => {
                let seg = |i: usize| {
                    segments
                        .get(i)
                        .map_or(Pattern::Any, |s| Pattern::compile(s, syntax))
                };
                Self::Segments(Box::new([seg(1), seg(2), seg(3), seg(4), seg(5)]))
            }
            _ => Self::Whole(Pattern::compile(src, syntax)),
        }
    }

    /// Matches the request's resource (or a condition's context value).
    pub(crate) fn matches<'v>(&self, text: &str, vars: &dyn Fn(&str) -> Option<&'v str>) -> bool {
        match self {
            Self::Any => true,
            Self::Segments(pats) => match Arn::parse(text) {
                Some(arn) => pats
                    .iter()
                    .zip(arn.segments())
                    .all(|(p, s)| p.matches(s, false, vars)),
                None => false,
            },
            Self::Whole(p) => p.matches(text, false, vars),
        }
    }
}

/// Splits at the first five colons that are not inside a `${…}` (a variable's default may
/// contain a colon, and keys always do: `${aws:username}`).
pub(crate) fn split_outside_variables(src: &str) -> Vec<&str> {
    let mut out = Vec::with_capacity(6);
    let mut depth = 0usize;
    let mut start = 0usize;
    let bytes = src.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        if bytes.get(i..i + 2) == Some(b"${") {
            depth += 1;
            i += 2;
            continue;
        }
        match bytes.get(i) {
            Some(b'}') if depth > 0 => depth -= 1,
            Some(b':') if depth == 0 && out.len() < 5 => {
                out.push(src.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(src.get(start..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };

    fn none(_: &str) -> Option<&'static str> {
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
        let vars = |k: &str| (k == "aws:username").then_some("bob");
        assert!(p.matches("arn:aws:iam::123456789012:user/bob", &vars));
        assert!(!p.matches("arn:aws:iam::123456789012:user/eve", &vars));
    }
}
