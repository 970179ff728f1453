//! The guard's rules: method + path pattern → action + resource ARN.
//!
//! File format: the subset of TOML the rules need, read by a small parser here rather than
//! a TOML crate (one more dependency to compile on every CI run for ~80 lines):
//! ```toml
//! # Comments and blank lines are ignored.
//! [[rule]]
//! method = "GET"                       # or "*" for any method
//! path = "/files/{key+}"               # {name}: one segment; {name+}: the rest (last only)
//! action = "GetFile"                   # "myapp:GetFile"; the --service-prefix is added
//!                                      # when the action has no "service:" prefix
//! resource = "arn:aws:myapp:::file/{key}"
//! ```
//! Values are double-quoted strings (escapes `\"` and `\\`). The first rule that matches a
//! request decides its action and resource; a request no rule matches is denied.

use percent_encoding::percent_decode_str;

/// One rule, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Upper case; `*` matches every method.
    pub method: String,
    pub path: Vec<Segment>,
    pub action: String,
    pub resource: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{name}`: one non-empty path segment.
    One(String),
    /// `{name+}`: one or more segments, to the end of the path.
    Rest(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct RulesError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> RulesError {
    RulesError {
        line,
        message: message.into(),
    }
}

fn parse_string(raw: &str, line: usize) -> Result<String, RulesError> {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(|| err(line, "values are double-quoted strings"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                _ => return Err(err(line, "only \\\" and \\\\ escapes are supported")),
            },
            '"' => return Err(err(line, "unescaped `\"` inside a string")),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn parse_path(pattern: &str, line: usize) -> Result<Vec<Segment>, RulesError> {
    let body = pattern
        .strip_prefix('/')
        .ok_or_else(|| err(line, "`path` must start with `/`"))?;
    let parts: Vec<&str> = body.split('/').collect();
    let last = parts.len().saturating_sub(1);
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if let Some(name) = p.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
                if let Some(name) = name.strip_suffix('+') {
                    if i != last {
                        return Err(err(line, "`{name+}` must be the last segment"));
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
    #[derive(Default)]
    struct Partial {
        line: usize,
        method: Option<String>,
        path: Option<String>,
        action: Option<String>,
        resource: Option<String>,
    }
    let finish = |p: Partial| -> Result<Rule, RulesError> {
        let missing = |what: &str| err(p.line, format!("the rule has no `{what}`"));
        let action = p.action.clone().ok_or_else(|| missing("action"))?;
        let action = if action.contains(':') {
            action
        } else {
            format!("{service_prefix}:{action}")
        };
        let path = p.path.clone().ok_or_else(|| missing("path"))?;
        Ok(Rule {
            method: p
                .method
                .clone()
                .unwrap_or_else(|| "*".into())
                .to_ascii_uppercase(),
            path: parse_path(&path, p.line)?,
            action,
            resource: p.resource.clone().ok_or_else(|| missing("resource"))?,
        })
    };
    let mut rules = Vec::new();
    let mut current: Option<Partial> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if line == "[[rule]]" {
            if let Some(p) = current.take() {
                rules.push(finish(p)?);
            }
            current = Some(Partial {
                line: n,
                ..Partial::default()
            });
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| err(n, "expected `[[rule]]` or `key = \"value\"`"))?;
        let p = current
            .as_mut()
            .ok_or_else(|| err(n, "a key outside a `[[rule]]` table"))?;
        let value = parse_string(value.trim(), n)?;
        let slot = match key.trim() {
            "method" => &mut p.method,
            "path" => &mut p.path,
            "action" => &mut p.action,
            "resource" => &mut p.resource,
            other => return Err(err(n, format!("unknown key `{other}`"))),
        };
        if slot.replace(value).is_some() {
            return Err(err(n, "the key is set twice in one rule"));
        }
    }
    if let Some(p) = current.take() {
        rules.push(finish(p)?);
    }
    Ok(rules)
}

/// The line without a `#` comment (a `#` inside a string stays).
fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string => {
                escaped = !escaped;
                continue;
            }
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => return line.get(..i).unwrap_or(line),
            _ => {}
        }
        escaped = false;
    }
    line
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
        assert_eq!(
            parse(
                "[[rule]]\npath = \"/{a+}/b\"\naction=\"a\"\nresource=\"r\"",
                "p"
            )
            .unwrap_err()
            .line,
            1
        );
        assert!(parse("[[rule]]\npath = \"/x\"\nresource = \"r\"", "p").is_err());
    }
}
