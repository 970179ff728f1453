//! Wildcard patterns (`*` any run of characters, `?` exactly one character) with policy
//! variables (`${aws:username}`, `${aws:x, 'default'}`, `${*}` `${?}` `${$}`), compiled once
//! and matched without allocating.
//!
//! A pattern is a list of tokens. Variables are resolved while matching, through a lookup
//! the caller passes, and their values are matched literally: a `*` inside a tag value is
//! a star character, not a wildcard.

/// One piece of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// Characters matched literally.
    Literal(Box<str>),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
    /// `${key}` or `${key, 'default'}`; `key` is lowercased (keys are case-insensitive).
    Variable {
        key: Box<str>,
        /// `key_hash(key)`, for `Context::get_hashed`.
        hash: u64,
        default: Option<Box<str>>,
        /// Ordinal among the pattern's variables, for the per-match resolution cache.
        slot: usize,
    },
}

/// A compiled pattern with fast paths for the shapes policies use most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// `*`: matches everything.
    Any,
    /// No wildcard, no variable.
    Exact(Box<str>),
    /// `prefix*` without variables.
    Prefix(Box<str>),
    /// Anything else.
    Tokens(Box<[Token]>),
}

/// How to read a pattern's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (false for `StringEquals`, where they are literal).
    pub wildcards: bool,
    /// `${…}` are variables (false in version 2008-10-17 policies).
    pub variables: bool,
}

impl Pattern {
    /// Compiles `src`.
    pub(crate) fn compile(src: &str, syntax: Syntax) -> Self {
        // Fast paths for the common shapes, without tokenizing.
        let plain = |s: &str| is_plain(s, syntax);
        if plain(src) {
            return Self::Exact(src.into());
        }
        if syntax.wildcards
            && let Some(head) = src.strip_suffix('*')
            && plain(head)
        {
            return if head.is_empty() {
                Self::Any
            } else {
                Self::Prefix(head.into())
            };
        }
        let tokens = tokenize(src, syntax);
        match tokens.as_slice() {
            [Token::Star] => Self::Any,
            [] => Self::Exact("".into()),
            [Token::Literal(s)] => Self::Exact(s.clone()),
            [Token::Literal(s), Token::Star] => Self::Prefix(s.clone()),
            _ => Self::Tokens(tokens.into_boxed_slice()),
        }
    }

    /// The keys of the pattern's variables (lowercased).
    pub(crate) fn variable_keys(&self) -> Vec<&str> {
        match self {
            Self::Tokens(t) => t
                .iter()
                .filter_map(|t| match t {
                    Token::Variable { key, .. } => Some(&**key),
                    Token::Literal(_) | Token::Star | Token::One => None,
                })
                .collect(),
            Self::Any | Self::Exact(_) | Self::Prefix(_) => Vec::new(),
        }
    }

    /// True if the pattern has variables.
    #[cfg(test)]
    pub(crate) fn has_variables(&self) -> bool {
        match self {
            Self::Tokens(t) => t.iter().any(|t| matches!(t, Token::Variable { .. })),
            Self::Any | Self::Exact(_) | Self::Prefix(_) => false,
        }
    }

    /// Matches `text`. `ignore_case` compares ASCII letters case-insensitively (actions).
    /// `vars` resolves a lowercased variable key; an unresolvable variable without a
    /// default makes the pattern match nothing, as AWS documents.
    pub(crate) fn matches<'v>(
        &self,
        text: &str,
        ignore_case: bool,
        vars: &dyn Fn(&str, u64) -> Option<&'v str>,
    ) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(s) => eq(s.as_bytes(), text.as_bytes(), ignore_case),
            Self::Prefix(p) => text
                .as_bytes()
                .get(..p.len())
                .is_some_and(|head| eq(p.as_bytes(), head, ignore_case)),
            Self::Tokens(t) => glob(t, text.as_bytes(), ignore_case, vars),
        }
    }
}

/// How a piece of pattern text matches, with the text kept by the owner (one allocation
/// for a whole action or ARN instead of one per piece). Only globs and variables compile to
/// tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `*`.
    Any,
    /// The text itself.
    Exact,
    /// The text without its final `*`, as a prefix.
    Prefix,
    /// Anything else.
    Glob(Pattern),
}

impl Shape {
    /// Classifies `src`.
    pub(crate) fn of(src: &str, syntax: Syntax) -> Self {
        Self::from_first_special(src, special_at(src, syntax), syntax)
    }

    /// Classifies `src` whose first wildcard or variable under `syntax` is at byte `first`
    /// (found by the caller's own scan): `Prefix` if it is a final `*`.
    pub(crate) fn from_first_special(src: &str, first: Option<usize>, syntax: Syntax) -> Self {
        match first {
            None => Self::Exact,
            Some(0) if src == "*" => Self::Any,
            Some(i) if i + 1 == src.len() && src.ends_with('*') => Self::Prefix,
            Some(_) => Self::Glob(Pattern::compile(src, syntax)),
        }
    }

    /// Matches `text` against this shape of `src` (the text it was classified from).
    pub(crate) fn matches<'v>(
        &self,
        src: &str,
        text: &str,
        ignore_case: bool,
        vars: &dyn Fn(&str, u64) -> Option<&'v str>,
    ) -> bool {
        match self {
            Self::Any => true,
            Self::Exact => eq(src.as_bytes(), text.as_bytes(), ignore_case),
            Self::Prefix => {
                let head = src
                    .as_bytes()
                    .get(..src.len().saturating_sub(1))
                    .unwrap_or(&[]);
                text.as_bytes()
                    .get(..head.len())
                    .is_some_and(|t| eq(head, t, ignore_case))
            }
            Self::Glob(p) => p.matches(text, ignore_case, vars),
        }
    }
}

/// True if `s` has neither wildcards nor variables under `syntax` (one pass).
fn is_plain(s: &str, syntax: Syntax) -> bool {
    special_at(s, syntax).is_none()
}

/// Byte index of the first wildcard or variable (`${`) in `s` under `syntax`.
fn special_at(s: &str, syntax: Syntax) -> Option<usize> {
    let b = s.as_bytes();
    b.iter().enumerate().position(|(i, &c)| match c {
        b'*' | b'?' => syntax.wildcards,
        b'$' => syntax.variables && b.get(i + 1) == Some(&b'{'),
        _ => false,
    })
}

fn eq(a: &[u8], b: &[u8], ignore_case: bool) -> bool {
    if ignore_case {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// Splits `src` into tokens.
fn tokenize(src: &str, syntax: Syntax) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut lit = String::new();
    let mut rest = src;
    while let Some(c) = rest.chars().next() {
        if syntax.variables
            && rest.starts_with("${")
            && let Some((token, len)) = variable(rest)
        {
            rest = rest.get(len..).unwrap_or("");
            match token {
                Token::Literal(s) => lit.push_str(&s),
                Token::Variable {
                    key, hash, default, ..
                } => {
                    flush(&mut lit, &mut tokens);
                    let slot = tokens
                        .iter()
                        .filter(|t| matches!(t, Token::Variable { .. }))
                        .count();
                    tokens.push(Token::Variable {
                        key,
                        hash,
                        default,
                        slot,
                    });
                }
                other => {
                    flush(&mut lit, &mut tokens);
                    tokens.push(other);
                }
            }
            continue;
        }
        match c {
            '*' if syntax.wildcards => {
                flush(&mut lit, &mut tokens);
                // Consecutive stars mean the same as one.
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            }
            '?' if syntax.wildcards => {
                flush(&mut lit, &mut tokens);
                tokens.push(Token::One);
            }
            _ => lit.push(c),
        }
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    flush(&mut lit, &mut tokens);
    tokens
}

fn flush(lit: &mut String, tokens: &mut Vec<Token>) {
    if !lit.is_empty() {
        tokens.push(Token::Literal(std::mem::take(lit).into_boxed_str()));
    }
}

/// Reads a `${…}` at the start of `s`: the token and its length in bytes. `None` if it is
/// not a well-formed variable, in which case the text is literal.
///
/// Grammar: `${` key [ `,` *SP `'` default `'` *SP ] `}`; the keys `*`, `?`, `$` stand for
/// the literal character.
fn variable(s: &str) -> Option<(Token, usize)> {
    let body = s.get(2..)?;
    let end = body.find('}')?;
    let inner = body.get(..end)?;
    let len = end + 3;
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((key, def)) => {
            let def = def.trim();
            let def = def.strip_prefix('\'')?.strip_suffix('\'')?;
            (key.trim(), Some(def))
        }
    };
    if key.is_empty() || key.contains(char::is_whitespace) {
        return None;
    }
    let token = match key {
        "*" | "?" | "$" => Token::Literal(key.into()),
        _ => {
            let key = key.to_ascii_lowercase();
            Token::Variable {
                hash: crate::action::key_hash(&key),
                key: key.into_boxed_str(),
                default: default.map(Into::into),
                slot: 0,
            }
        }
    };
    Some((token, len))
}

/// Byte length of the UTF-8 character that starts with `b`.
fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Greedy wildcard match with one backtrack point (the last `*`): O(pattern × text) worst
/// case, no allocation. Literals (and variable values) are compared whole; after a failure
/// the last `*` swallows one more character, skipping straight to the next place where the
/// literal after it can start; `?` consumes one whole UTF-8 character.
fn glob<'v>(
    tokens: &[Token],
    text: &[u8],
    ignore_case: bool,
    vars: &dyn Fn(&str, u64) -> Option<&'v str>,
) -> bool {
    let (mut ti, mut si) = (0usize, 0usize);
    // Resolved variable values: backtracking revisits variables, and each lookup is a
    // binary search over the context.
    let mut cache: [Option<Option<&'v str>>; 8] = [None; 8];
    // (token after the star, text position the star currently swallows up to)
    let mut star: Option<(usize, usize)> = None;
    loop {
        let advanced = match tokens.get(ti) {
            Some(Token::Star) => {
                // A final star swallows whatever is left.
                if ti + 1 == tokens.len() {
                    return true;
                }
                star = Some((ti + 1, si));
                ti += 1;
                continue;
            }
            Some(Token::One) => match text.get(si) {
                Some(&b) => {
                    si += char_len(b);
                    true
                }
                None => false,
            },
            Some(Token::Literal(s)) => eat(s.as_bytes(), text, &mut si, ignore_case),
            Some(Token::Variable {
                key,
                hash,
                default,
                slot,
            }) => {
                let resolved = match cache.get_mut(*slot) {
                    Some(Some(v)) => *v,
                    Some(empty) => *empty.insert(vars(key, *hash)),
                    None => vars(key, *hash),
                };
                let Some(value) = resolved.or(default.as_deref()) else {
                    return false;
                };
                eat(value.as_bytes(), text, &mut si, ignore_case)
            }
            None if si >= text.len() => return true,
            None => false,
        };
        if advanced {
            ti += 1;
            continue;
        }
        match star {
            Some((after, swallowed)) if swallowed < text.len() => {
                let mut next = swallowed + text.get(swallowed).map_or(1, |&b| char_len(b));
                // A literal after the star can only start where its first byte is (a UTF-8
                // leading byte, so the skip lands on a character boundary).
                if let Some(Token::Literal(lit)) = tokens.get(after)
                    && let Some(&first) = lit.as_bytes().first()
                {
                    let rest = text.get(next..).unwrap_or(&[]);
                    match rest.iter().position(|&t| same(first, t, ignore_case)) {
                        Some(skip) => next += skip,
                        None => return false,
                    }
                }
                star = Some((after, next));
                ti = after;
                si = next;
            }
            _ => return false,
        }
    }
}

/// Byte equality, ASCII case folded if `ic`.
fn same(p: u8, t: u8, ic: bool) -> bool {
    p == t || (ic && p.eq_ignore_ascii_case(&t))
}

/// Consumes `lit` at `text[*si..]` if it is there.
fn eat(lit: &[u8], text: &[u8], si: &mut usize, ic: bool) -> bool {
    let Some(head) = text.get(*si..*si + lit.len()) else {
        return false;
    };
    if eq(lit, head, ic) {
        *si += lit.len();
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GLOB: Syntax = Syntax {
        wildcards: true,
        variables: true,
    };

    fn none(_: &str, _: u64) -> Option<&'static str> {
        None
    }

    fn m(p: &str, t: &str) -> bool {
        Pattern::compile(p, GLOB).matches(t, false, &none)
    }

    #[test]
    fn star_and_question_mark() {
        assert!(m("*", ""));
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a*", "abc"));
        assert!(!m("a*", "ba"));
        assert!(m("*c", "abc"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbbd"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(!m("a?c", "abbc"));
        assert!(m("a?c", "aéc"));
        assert!(m("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!m("*a*b*c*", "xxaxxcxxbxx"));
        assert!(m("a**b", "ab"));
        assert!(m("??", "ab"));
        assert!(!m("??", "a"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("*ab", "aab"));
        assert!(m("*?", "x"));
        assert!(!m("*?", ""));
    }

    #[test]
    fn case_sensitivity_is_the_callers_choice() {
        let p = Pattern::compile("s3:Get*", GLOB);
        assert!(p.matches("S3:GETOBJECT", true, &none));
        assert!(!p.matches("S3:GETOBJECT", false, &none));
        assert!(Pattern::compile("iam:*User?", GLOB).matches("IAM:createuserS", true, &none));
    }

    #[test]
    fn literal_mode_treats_wildcards_as_characters() {
        let syntax = Syntax {
            wildcards: false,
            variables: true,
        };
        let p = Pattern::compile("a*b", syntax);
        assert!(p.matches("a*b", false, &none));
        assert!(!p.matches("axb", false, &none));
    }

    #[test]
    fn variables_resolve_and_default() {
        let vars = |k: &str, _: u64| match k {
            "aws:username" => Some("alice"),
            "aws:principaltag/team" => Some("a*b"),
            _ => None,
        };
        let p = Pattern::compile("home/${aws:username}/*", GLOB);
        assert!(p.has_variables());
        assert!(p.matches("home/alice/x", false, &vars));
        assert!(!p.matches("home/bob/x", false, &vars));
        // Key names are case-insensitive.
        assert!(Pattern::compile("${AWS:UserName}", GLOB).matches("alice", false, &vars));
        // Values are literal: the star in the tag is not a wildcard.
        let tag = Pattern::compile("${aws:PrincipalTag/team}", GLOB);
        assert!(tag.matches("a*b", false, &vars));
        assert!(!tag.matches("axxb", false, &vars));
        // Unresolvable without default: nothing matches, not even the empty string.
        let missing = Pattern::compile("x${aws:missing}", GLOB);
        assert!(!missing.matches("x", false, &vars));
        let def = Pattern::compile("x${aws:missing, 'dflt'}", GLOB);
        assert!(def.matches("xdflt", false, &vars));
        // Escapes for literal special characters.
        let esc = Pattern::compile("a${*}b${?}c${$}", GLOB);
        assert_eq!(esc, Pattern::Exact("a*b?c$".into()));
        assert!(!esc.matches("axb?c$", false, &vars));
    }

    #[test]
    fn variables_off_in_2008_policies() {
        let syntax = Syntax {
            wildcards: true,
            variables: false,
        };
        let p = Pattern::compile("${aws:username}", syntax);
        assert!(p.matches("${aws:username}", false, &none));
    }

    #[test]
    fn malformed_variables_are_literal() {
        assert!(m("${aws:username", "${aws:username"));
        assert!(m("${}", "${}"));
    }
}
