//! The regular expressions of the models' `pattern` constraints.
//!
//! The patterns are Java regular expressions (AWS validates with `String.matches`, a whole-string
//! match). They use `\uXXXX` escapes, Unicode categories (`\p{L}`, `\p{Z}`, `\p{N}`) and, once,
//! a negative lookahead — more than `regex-lite` offers, and the full `regex` crate has no
//! lookahead. The subset they use is small, so this module implements it: literals, `.`,
//! classes with ranges, `\d \w \s \p{L} \p{Z} \p{N}`, groups with `|`, `(?:…)`, `(?!…)`,
//! `^ $`, and the quantifiers `* + ? {n} {n,} {n,m}`.
//!
//! Matching backtracks, but a quantified single character (by far the common case, e.g.
//! `[\w+=,.@-]+` or a 131072-character policy document) is matched in a loop, not by
//! recursion, so long inputs cannot exhaust the stack.

use std::sync::OnceLock;

/// A model pattern, compiled on first use. The generated modules hold one `static` per
/// distinct pattern, so each is parsed once per process.
#[derive(Debug)]
pub(crate) struct Pattern {
    source: &'static str,
    compiled: OnceLock<Option<Vec<Vec<Node>>>>,
}

impl Pattern {
    pub(crate) const fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// The pattern as written in the model (and quoted in validation messages).
    pub(crate) fn source(&self) -> &'static str {
        self.source
    }

    /// Whether the pattern matches the whole of `text`. A pattern this module cannot parse
    /// matches everything: the service then accepts more than AWS rather than rejecting valid
    /// input (a test checks that every pattern of both models parses).
    pub(crate) fn matches(&self, text: &str) -> bool {
        match self.compiled.get_or_init(|| parse(self.source)) {
            Some(alternatives) => alternatives
                .iter()
                .any(|seq| match_seq(seq, text, 0, &mut |end| end == text.len())),
            None => true,
        }
    }

    #[cfg(test)]
    pub(crate) fn parses(&self) -> bool {
        self.compiled.get_or_init(|| parse(self.source)).is_some()
    }
}

#[cfg(test)]
fn matches(pattern: &'static str, text: &str) -> bool {
    Pattern::new(pattern).matches(text)
}

#[derive(Debug, Clone)]
enum Node {
    Atom(Atom),
    Start,
    End,
    Group(Vec<Vec<Node>>),
    NotFollowedBy(Vec<Vec<Node>>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

#[derive(Debug, Clone)]
enum Atom {
    Char(char),
    Any,
    Class {
        negated: bool,
        items: Vec<Item>,
        /// Membership of the ASCII characters, precomputed: policy documents of up to
        /// 131072 characters are matched against a class one character at a time.
        ascii: u128,
    },
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Range(char, char),
    Digit,
    Word,
    Space,
    Letter,
    Separator,
    Number,
}

impl Item {
    fn contains(self, c: char) -> bool {
        match self {
            Self::Range(lo, hi) => (lo..=hi).contains(&c),
            Self::Digit => c.is_ascii_digit(),
            // Java's `\w` is ASCII unless UNICODE_CHARACTER_CLASS is set.
            Self::Word => c.is_ascii_alphanumeric() || c == '_',
            Self::Space => matches!(c, ' ' | '\t' | '\n' | '\u{B}' | '\u{C}' | '\r'),
            // `\p{L}`: std has no General_Category lookup; `Alphabetic` is `L` plus letter
            // numbers and some combining marks, so this accepts slightly more than AWS.
            Self::Letter => c.is_alphabetic(),
            // `\p{Z}`: the space, line and paragraph separators of Unicode.
            Self::Separator => matches!(
                c,
                ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
                    ..='\u{200A}' | '\u{2028}' | '\u{2029}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
            ),
            // `\p{N}`: `char::is_numeric` is exactly Nd, Nl and No.
            Self::Number => c.is_numeric(),
        }
    }
}

impl Atom {
    fn class(negated: bool, items: Vec<Item>) -> Self {
        let ascii = (0u8..128)
            .filter(|&b| items.iter().any(|i| i.contains(char::from(b))))
            .fold(0u128, |bits, b| bits | 1 << b);
        Self::Class {
            negated,
            items,
            ascii,
        }
    }

    fn matches(&self, c: char) -> bool {
        match self {
            Self::Char(expected) => *expected == c,
            Self::Any => c != '\n' && c != '\r',
            Self::Class {
                negated,
                items,
                ascii,
            } => {
                let member = match u32::from(c) {
                    code @ 0..128 => ascii >> code & 1 == 1,
                    _ => items.iter().any(|i| i.contains(c)),
                };
                member != *negated
            }
        }
    }
}

/// The character at byte offset `pos`, if any.
fn char_at(s: &str, pos: usize) -> Option<char> {
    s.get(pos..)?.chars().next()
}

/// Matches `nodes` against `s` from byte offset `pos`, calling `k` with each end offset
/// reached until it returns true (continuation-passing backtracking).
fn match_seq(nodes: &[Node], s: &str, pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    let Some((first, rest)) = nodes.split_first() else {
        return k(pos);
    };
    match first {
        Node::Atom(atom) => match char_at(s, pos) {
            Some(c) if atom.matches(c) => match_seq(rest, s, pos + c.len_utf8(), k),
            _ => false,
        },
        Node::Start => pos == 0 && match_seq(rest, s, pos, k),
        Node::End => pos == s.len() && match_seq(rest, s, pos, k),
        Node::Group(alternatives) => alternatives
            .iter()
            .any(|alt| match_seq(alt, s, pos, &mut |p| match_seq(rest, s, p, k))),
        Node::NotFollowedBy(alternatives) => {
            !alternatives
                .iter()
                .any(|alt| match_seq(alt, s, pos, &mut |_| true))
                && match_seq(rest, s, pos, k)
        }
        Node::Repeat { node, min, max } => {
            if let Node::Atom(atom) = node.as_ref() {
                // Greedy loop, then give characters back one at a time.
                let limit = max.map_or(u32::MAX, |m| m);
                let (mut taken, mut end) = (0u32, pos);
                while taken < limit {
                    match char_at(s, end) {
                        Some(c) if atom.matches(c) => {
                            end += c.len_utf8();
                            taken += 1;
                        }
                        _ => break,
                    }
                }
                loop {
                    if taken < *min {
                        return false;
                    }
                    if match_seq(rest, s, end, k) {
                        return true;
                    }
                    let Some(c) = s.get(pos..end).and_then(|run| run.chars().next_back()) else {
                        return false;
                    };
                    end -= c.len_utf8();
                    taken -= 1;
                }
            } else {
                repeat(node, *min, *max, 0, s, pos, rest, k)
            }
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the state of one backtracking step"
)]
fn repeat(
    node: &Node,
    min: u32,
    max: Option<u32>,
    count: u32,
    s: &str,
    pos: usize,
    rest: &[Node],
    k: &mut dyn FnMut(usize) -> bool,
) -> bool {
    if max.is_none_or(|m| count < m) {
        // An iteration must consume input, or `(a*)*` would loop forever.
        let more = match_seq(std::slice::from_ref(node), s, pos, &mut |p| {
            p != pos && repeat(node, min, max, count + 1, s, p, rest, k)
        });
        if more {
            return true;
        }
    }
    count >= min && match_seq(rest, s, pos, k)
}

/// Parses a pattern into its top-level alternatives.
fn parse(pattern: &str) -> Option<Vec<Vec<Node>>> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parser = Parser { chars, pos: 0 };
    let alternatives = parser.alternatives()?;
    (parser.pos == parser.chars.len()).then_some(alternatives)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    // alternatives := sequence ('|' sequence)*
    fn alternatives(&mut self) -> Option<Vec<Vec<Node>>> {
        let mut alternatives = vec![self.sequence()?];
        while self.eat('|') {
            alternatives.push(self.sequence()?);
        }
        Some(alternatives)
    }

    // sequence := (atom quantifier?)*
    fn sequence(&mut self) -> Option<Vec<Node>> {
        let mut nodes = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let node = self.atom()?;
            nodes.push(self.quantified(node)?);
        }
        Some(nodes)
    }

    fn atom(&mut self) -> Option<Node> {
        let node = match self.next()? {
            '^' => Node::Start,
            '$' => Node::End,
            '.' => Node::Atom(Atom::Any),
            '(' => {
                let lookahead = if self.eat('?') {
                    match self.next()? {
                        '!' => true,
                        ':' => false,
                        _ => return None,
                    }
                } else {
                    false
                };
                let inner = self.alternatives()?;
                if !self.eat(')') {
                    return None;
                }
                if lookahead {
                    Node::NotFollowedBy(inner)
                } else {
                    Node::Group(inner)
                }
            }
            '[' => Node::Atom(self.class()?),
            '\\' => Node::Atom(match self.escape()? {
                Escaped::Char(c) => Atom::Char(c),
                Escaped::Item(item) => Atom::class(false, vec![item]),
            }),
            '*' | '+' | '?' | '{' | ')' | ']' => return None,
            c => Node::Atom(Atom::Char(c)),
        };
        Some(node)
    }

    fn quantified(&mut self, node: Node) -> Option<Node> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                self.pos += 1;
                let min = self.number()?;
                let max = if self.eat(',') {
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if !self.eat('}') {
                    return None;
                }
                return Some(Node::Repeat {
                    node: Box::new(node),
                    min,
                    max,
                });
            }
            _ => return Some(node),
        };
        self.pos += 1;
        Some(Node::Repeat {
            node: Box::new(node),
            min,
            max,
        })
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let digits: String = self.chars.get(start..self.pos)?.iter().collect();
        digits.parse().ok()
    }

    // class := '[' '^'? (item | char ('-' char)?)+ ']'
    fn class(&mut self) -> Option<Atom> {
        let negated = self.eat('^');
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = self.next()?;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = match c {
                '\\' => match self.escape()? {
                    Escaped::Char(c) => c,
                    Escaped::Item(item) => {
                        items.push(item);
                        continue;
                    }
                },
                c => c,
            };
            // `-` is a range only between two characters; at the end it is a literal.
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&c| c != ']') {
                self.pos += 1;
                let hi = match self.next()? {
                    '\\' => match self.escape()? {
                        Escaped::Char(c) => c,
                        Escaped::Item(_) => return None,
                    },
                    c => c,
                };
                if hi < lo {
                    return None;
                }
                items.push(Item::Range(lo, hi));
            } else {
                items.push(Item::Range(lo, lo));
            }
        }
        Some(Atom::class(negated, items))
    }

    // After a backslash.
    fn escape(&mut self) -> Option<Escaped> {
        let escaped = match self.next()? {
            'd' => Escaped::Item(Item::Digit),
            'w' => Escaped::Item(Item::Word),
            's' => Escaped::Item(Item::Space),
            'p' => {
                if !self.eat('{') {
                    return None;
                }
                let item = match self.next()? {
                    'L' => Item::Letter,
                    'Z' => Item::Separator,
                    'N' => Item::Number,
                    _ => return None,
                };
                if !self.eat('}') {
                    return None;
                }
                Escaped::Item(item)
            }
            // Java's `\uXXXX`: exactly four hex digits, so `\u10000` is U+1000 then `0`.
            'u' => {
                let hex: String = self.chars.get(self.pos..self.pos + 4)?.iter().collect();
                self.pos += 4;
                Escaped::Char(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?)
            }
            't' => Escaped::Char('\t'),
            'n' => Escaped::Char('\n'),
            'r' => Escaped::Char('\r'),
            c if c.is_ascii_alphanumeric() => return None,
            c => Escaped::Char(c),
        };
        Some(escaped)
    }
}

enum Escaped {
    Char(char),
    Item(Item),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_name_pattern() {
        let p = r"[\w+=,.@-]+";
        assert!(matches(p, "alice"));
        assert!(matches(p, "a.b+c=d,e@f-g_h"));
        assert!(!matches(p, "a b"));
        assert!(!matches(p, ""));
        assert!(!matches(p, "é"), "Java's \\w is ASCII");
    }

    #[test]
    fn path_pattern() {
        let p = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)";
        assert!(matches(p, "/"));
        assert!(matches(p, "/division_abc/subdivision_xyz/"));
        assert!(!matches(p, "/no-trailing"));
        assert!(!matches(p, "//"));
        assert!(!matches(p, "/a b/"));
    }

    #[test]
    fn nested_repeat_pattern() {
        let p = r"((/[A-Za-z0-9\.,\+@=_-]+)*)/";
        assert!(matches(p, "/"));
        assert!(matches(p, "/a/b.c/"));
        assert!(!matches(p, "/a//"));
        assert!(!matches(p, &format!("{}x", "/a".repeat(300))));
    }

    #[test]
    fn unicode_categories() {
        let p = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+";
        assert!(matches(p, "Project Ärger 3 ٣ 日本"));
        assert!(matches(p, "a-b@c"));
        assert!(!matches(p, "a,b"));
        assert!(!matches(p, "a\tb"));
    }

    #[test]
    fn anchors_bounded_repeat_and_lookahead() {
        let p = r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$";
        assert!(matches(p, "my-alias"));
        assert!(!matches(p, "my--alias"));
        assert!(!matches(p, "-alias"));
        assert!(!matches(p, "ab"), "needs at least three characters");
        assert!(matches(p, &"a".repeat(63)));
        assert!(!matches(p, &"a".repeat(64)));
        assert!(matches(r"\d{12}", "123456789012"));
        assert!(!matches(r"\d{12}", "12345678901"));
        assert!(matches(r"v[1-9][0-9]*(\.[A-Za-z0-9-]*)?", "v12.beta-1"));
    }

    #[test]
    fn java_u_escape_takes_four_digits() {
        // `\u10000` is U+1000 followed by `0`, so `[\u10000-\u10FFFF]` covers `0`..U+10FF.
        assert!(matches(r"[\u10000-\u10FFFF]+", "0\u{1000}\u{10FF}F"));
    }

    #[test]
    fn long_input_does_not_recurse() {
        let p = r"[\u0009\u000A\u000D\u0020-\u00FF]+";
        assert!(matches(p, &"x".repeat(200_000)));
        assert!(!matches(p, &format!("{}\u{1}", "x".repeat(200_000))));
    }

    #[test]
    fn every_model_pattern_parses() {
        let all: Vec<&Pattern> = crate::iam::PATTERNS
            .iter()
            .chain(crate::sts::PATTERNS)
            .copied()
            .collect();
        assert!(all.len() > 30, "the models have dozens of patterns");
        for p in all {
            assert!(p.parses(), "cannot parse model pattern {}", p.source());
        }
    }

    #[test]
    fn unparseable_patterns_match_everything() {
        for bad in ["[abc", "(a", "a{2", r"\q", "*a", r"\p{Lu}"] {
            assert!(parse(bad).is_none(), "{bad}");
            assert!(matches(bad, "anything"));
        }
    }

    mod oracle {
        use super::*;
        use proptest::prelude::*;

        fn name_char(c: char) -> bool {
            c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
        }

        /// IAM's path rule spelled out: `/`, or `/` + printable ASCII + `/`.
        fn is_path(s: &str) -> bool {
            s == "/"
                || (s.len() >= 3
                    && s.starts_with('/')
                    && s.ends_with('/')
                    && s.chars().all(|c| ('\u{21}'..='\u{7E}').contains(&c)))
        }

        proptest! {
            #[test]
            fn name_pattern_agrees_with_oracle(s in "[a-c_+=,.@ /é-]{0,12}") {
                prop_assert_eq!(
                    matches(r"[\w+=,.@-]+", &s),
                    !s.is_empty() && s.chars().all(name_char)
                );
                prop_assert_eq!(matches(r"[\w+=,.@-]*", &s), s.chars().all(name_char));
            }

            #[test]
            fn path_pattern_agrees_with_oracle(s in "[/a ~\u{7f}]{0,10}") {
                prop_assert_eq!(
                    matches(r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", &s),
                    is_path(&s)
                );
            }

            #[test]
            fn bounded_repeat_agrees_with_oracle(s in "[0-9a]{0,14}") {
                prop_assert_eq!(
                    matches(r"\d{12}", &s),
                    s.len() == 12 && s.chars().all(|c| c.is_ascii_digit())
                );
            }
        }
    }
}
