//! The guard's rules (`oxiam guard --rules FILE`): method + path pattern → action +
//! resource ARN.
//!
//! The file is TOML (read by the `toml` crate into the serde types below, unknown keys
//! refused), an array of `rule` tables:
//! ```toml
//! # Comments and blank lines are ignored.
//! [[rule]]
//! method = "GET"                       # or "*" for any method (the default)
//! path = "/files/{key+}"               # {name}: one segment; {name+}: the rest (last only)
//! action = "GetFile"                   # "myapp:GetFile"; the --service-prefix is added
//!                                      # when the action has no "service:" prefix
//! resource = "arn:aws:myapp:::file/{key}"
//! ```
//! Any TOML spelling of the same array works (`rule = [{ method = "GET", … }, …]`,
//! literal `'…'` strings, escapes). The first rule that matches a request decides its
//! action and resource; a request no rule matches is denied. Errors give the line and
//! column: of the TOML error, of the bad value, or of the rule that lacks a key.
//!
//! This module is the `oxiam` crate's library part (the rest of the crate is the binary),
//! so that the fuzz targets can reach the parser.

use percent_encoding::percent_decode_str;
use serde::Deserialize;
use toml::Spanned;

/// One rule, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Upper case; `*` matches every method.
    pub method: String,
    pub path: Vec<Segment>,
    pub action: String,
    pub resource: String,
}

/// One segment of a rule's path pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{name}`: one non-empty path segment.
    One(String),
    /// `{name+}`: one or more segments, to the end of the path.
    Rest(String),
}

/// Why a rules file was refused, and where (1-based line and column, in characters).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}, column {column}: {message}")]
pub struct RulesError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl RulesError {
    fn at(text: &str, offset: usize, message: impl Into<String>) -> RulesError {
        let (line, column) = position(text, offset);
        RulesError {
            line,
            column,
            message: message.into(),
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |nl| nl + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    // Characters are the bytes that do not continue a UTF-8 sequence.
    let column = 1 + before
        .get(line_start..)
        .unwrap_or_default()
        .iter()
        .filter(|&&b| b & 0xc0 != 0x80)
        .count();
    (line, column)
}

/// The file as TOML gives it: `[[rule]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<Spanned<RuleTable>>,
}

/// One `[[rule]]` table. Keys are optional here so that a missing one is reported with the
/// rule's position, like the other rule errors, rather than as a bare serde error.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleTable {
    method: Option<String>,
    path: Option<Spanned<String>>,
    action: Option<String>,
    resource: Option<String>,
}

fn parse_path(pattern: &Spanned<String>, text: &str) -> Result<Vec<Segment>, RulesError> {
    let at = |message: &str| RulesError::at(text, pattern.span().start, message);
    let body = pattern
        .get_ref()
        .strip_prefix('/')
        .ok_or_else(|| at("`path` must start with `/`"))?;
    let parts: Vec<&str> = body.split('/').collect();
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if let Some(name) = p.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                if let Some(name) = name.strip_suffix('+') {
                    if i != last {
                        return Err(at("`{name+}` must be the last segment"));
                    }
                    return Ok(Segment::Rest(name.to_owned()));
                }
                Ok(Segment::One(name.to_owned()))
            } else {
                Ok(Segment::Literal((*p).to_owned()))
            }
        })
        .collect()
}

/// Parses a rules file; `service_prefix` completes actions written without one.
pub fn parse(text: &str, service_prefix: &str) -> Result<Vec<Rule>, RulesError> {
    let file: RulesFile = toml::from_str(text).map_err(|e| {
        // toml gives a span for its syntax and type errors; one without a span (none is
        // known) is placed at the start rather than dropped.
        let offset = e.span().map_or(0, |s| s.start);
        RulesError::at(text, offset, e.message().trim_end())
    })?;
    file.rule
        .into_iter()
        .map(|table| {
            let start = table.span().start;
            let table = table.into_inner();
            let missing =
                |what: &str| RulesError::at(text, start, format!("the rule has no `{what}`"));
            let action = table.action.ok_or_else(|| missing("action"))?;
            let action = if action.contains(':') {
                action
            } else {
                format!("{service_prefix}:{action}")
            };
            let path = table.path.ok_or_else(|| missing("path"))?;
            Ok(Rule {
                method: table
                    .method
                    .unwrap_or_else(|| "*".into())
                    .to_ascii_uppercase(),
                path: parse_path(&path, text)?,
                action,
                resource: table.resource.ok_or_else(|| missing("resource"))?,
            })
        })
        .collect()
}

/// What a request matched: the action and the resource ARN with captures substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub action: String,
    pub resource: String,
}

impl Rule {
    /// Captures of `path` (raw, percent-encoded) when this rule matches; values decoded.
    fn captures(&self, method: &str, path: &str) -> Option<Vec<(&str, String)>> {
        if self.method != "*" && !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let mut parts = path.strip_prefix('/')?.split('/');
        let mut out = Vec::new();
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|c| c.into_owned())
        };
        for seg in &self.path {
            match seg {
                Segment::Literal(l) => {
                    if decode(parts.next()?)? != *l {
                        return None;
                    }
                }
                Segment::One(name) => {
                    let v = decode(parts.next()?)?;
                    if v.is_empty() {
                        return None;
                    }
                    out.push((name.as_str(), v));
                }
                Segment::Rest(name) => {
                    let rest: Vec<String> = parts.by_ref().map(decode).collect::<Option<_>>()?;
                    if rest.is_empty() || rest.iter().all(String::is_empty) {
                        return None;
                    }
                    out.push((name.as_str(), rest.join("/")));
                }
            }
        }
        parts.next().is_none().then_some(out)
    }
}

/// The first rule matching `method` and `path`.
pub fn find(rules: &[Rule], method: &str, path: &str) -> Option<Matched> {
    rules.iter().find_map(|r| {
        let caps = r.captures(method, path)?;
        let mut resource = r.resource.clone();
        for (name, value) in &caps {
            resource = resource.replace(&format!("{{{name}}}"), value);
        }
        Some(Matched {
            action: r.action.clone(),
            resource,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
# music files
[[rule]]
method = "GET"
path = "/files/{key+}"   # greedy
action = "GetFile"
resource = "arn:aws:myapp:::file/{key}"

[[rule]]
method = "put"
path = "/files/{owner}/{name}"
action = "other:PutFile"
resource = "arn:aws:myapp:::file/{owner}/{name}#x"
"#;

    #[test]
    fn rules_parse_and_match_first_wins() {
        let rules = parse(RULES, "myapp").unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(
            find(&rules, "GET", "/files/audio/a%20b.mp3"),
            Some(Matched {
                action: "myapp:GetFile".into(),
                resource: "arn:aws:myapp:::file/audio/a b.mp3".into()
            })
        );
        assert_eq!(
            find(&rules, "PUT", "/files/alice/x.mp3").unwrap().resource,
            "arn:aws:myapp:::file/alice/x.mp3#x"
        );
        assert_eq!(find(&rules, "PUT", "/files/alice/x/y"), None);
        assert_eq!(find(&rules, "GET", "/files/"), None);
        assert_eq!(find(&rules, "DELETE", "/files/a"), None);
        assert_eq!(find(&rules, "GET", "/other"), None);
    }

    #[test]
    fn bad_files_name_the_line() {
        assert_eq!(parse("path = \"/x\"", "p").unwrap_err().line, 1);
        assert_eq!(parse("[[rule]]\nfoo = \"x\"", "p").unwrap_err().line, 2);
        assert_eq!(parse("[[rule]]\npath = x", "p").unwrap_err().line, 2);
        // The error points at the bad value now (line 2), not at its rule's header.
        assert_eq!(
            parse(
                "[[rule]]\npath = \"/{a+}/b\"\naction=\"a\"\nresource=\"r\"",
                "p"
            )
            .unwrap_err()
            .line,
            2
        );
        assert!(parse("[[rule]]\npath = \"/x\"\nresource = \"r\"", "p").is_err());
    }

    /// Valid TOML that the hand-written parser this module had before refused; each reads
    /// as the same rules as `RULES`.
    #[test]
    fn any_toml_spelling_of_the_rules_reads_the_same() {
        let expected = parse(RULES, "myapp").unwrap();
        let spellings = [
            // Literal strings, one with a `#` inside (the old comment stripper cut it).
            r#"
[[rule]]
method = 'GET'
path = '/files/{key+}'
action = 'GetFile'
resource = 'arn:aws:myapp:::file/{key}'

[[rule]]
method = "put"
path = "/files/{owner}/{name}"
action = "other:PutFile"
resource = 'arn:aws:myapp:::file/{owner}/{name}#x'   # a comment after a literal string
"#,
            // An array of inline tables split across lines, comments inside, `\u` escapes.
            r#"
rule = [
  { method = "GET", path = "/files/{key+}", action = "GetFile", resource = "arn:aws:myapp:::file/{key}" },  # first
  # the second one, over two lines (TOML 1.1)
  { method = "\u0070ut", path = "/files/{owner}/{name}", action = "other:PutFile",
    resource = "arn:aws:myapp:::file/{owner}/{name}\u0023x" },
]
"#,
            // Spaced headers, quoted keys, CRLF line ends, a multi-line string whose
            // line-ending backslash joins its lines, a comment after the header.
            "[[ rule ]]  # files\r\n\"method\" = \"GET\"\r\npath = \"\"\"/files/\\\r\n    {key+}\"\"\"\r\naction = \"GetFile\"\r\nresource = \"arn:aws:myapp:::file/{key}\"\r\n[[ rule ]]\r\n'method' = \"put\"\r\npath = \"/files/{owner}/{name}\"\r\naction = \"other:PutFile\"\r\nresource = \"arn:aws:myapp:::file/{owner}/{name}#x\"\r\n",
        ];
        for text in spellings {
            assert_eq!(parse(text, "myapp"), Ok(expected.clone()), "{text}");
        }
        // No rule at all is a valid (if useless) file: every request is denied.
        assert_eq!(parse("# nothing yet\n", "p"), Ok(vec![]));
    }

    #[test]
    fn bad_toml_is_refused_with_line_column_and_reason() {
        // (file, line, column, the start of the message)
        let cases = [
            ("[[rule]]\npath = \"/x", 2, 11, "invalid basic string"),
            (
                "[[rule]]\npath = \"/x\"\npath = \"/y\"",
                3,
                1,
                "duplicate key",
            ),
            (
                "[[rule]]\nmethod = 1\npath = \"/x\"\naction = \"a\"\nresource = \"r\"",
                2,
                10,
                "invalid type: integer `1`, expected a string",
            ),
            // One table instead of an array of them.
            (
                "[rule]\npath = \"/x\"",
                1,
                1,
                "invalid type: map, expected a sequence",
            ),
            ("[[rule]]\nfoo = \"x\"", 2, 1, "unknown field `foo`"),
            ("service = \"x\"\n", 1, 1, "unknown field `service`"),
            (
                "[[rule]]\n  path = \"x\"\naction = \"a\"\nresource = \"r\"",
                2,
                10,
                "`path` must start with `/`",
            ),
            // The second rule lacks its resource: the error points at its header.
            (
                "[[rule]]\npath = \"/x\"\naction = \"a\"\nresource = \"r\"\n\n  [[rule]]\npath = \"/x\"\naction = \"a\"",
                6,
                3,
                "the rule has no `resource`",
            ),
            // Columns count characters, not bytes.
            (
                "[[rule]]\npath = \"/é\" é",
                2,
                13,
                "unexpected key or value",
            ),
        ];
        for (text, line, column, message) in cases {
            let e = parse(text, "p").unwrap_err();
            assert_eq!((e.line, e.column), (line, column), "{text:?}: {e}");
            assert!(e.message.starts_with(message), "{text:?}: {e}");
        }
        assert_eq!(
            parse("[[rule]]\nfoo = \"x\"", "p").unwrap_err().to_string(),
            "line 2, column 1: unknown field `foo`, expected one of `method`, `path`, `action`, \
             `resource`"
        );
    }
}
