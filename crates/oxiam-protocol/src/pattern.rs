//! The regular expressions of the models' `pattern` constraints.
//!
//! The patterns are Java regular expressions (AWS validates with `String.matches`, a whole-string
//! match). They use `\uXXXX` and `\xXX` escapes, Unicode categories (`\p{L}`, `\p{Z}`, `\p{N}`)
//! and lookaheads — more than `regex-lite` offers, and the full `regex` crate has no lookaround.
//! The subset they use is small, so this module implements it: literals, `.`, classes with
//! ranges, `\d \w \s \p{L} \p{Z} \p{N}`, groups with `|`, `(?:…)`, `(?=…)`, `(?!…)`, `^ $`, and
//! the quantifiers `* + ? {n} {n,} {n,m}`.
//!
//! A pattern is parsed, then compiled to a small program (counted repetitions of groups
//! unrolled) that a bounded backtracker runs: its stack is on the heap and it never tries the
//! same instruction at the same position twice, so matching takes about (instructions × input
//! length) steps (a lookahead's sub-program is run afresh at each position it is asked at) and
//! no input can exhaust the thread's stack — the models have patterns
//! with a repeated group over 16384 characters (`WorkloadIdentityTemplatePathPatternType`)
//! and a single class over a 131072-character policy document, which a quantified character
//! matches in a loop.

use std::collections::HashMap;
use std::sync::OnceLock;

/// A model pattern, compiled on first use. The generated modules hold one `static` per
/// distinct pattern, so each is parsed once per process.
#[derive(Debug)]
pub(crate) struct Pattern {
    source: &'static str,
    compiled: OnceLock<Option<Program>>,
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
            Some(program) => program.matches(text),
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
    /// A lookahead: `(?=…)`, or `(?!…)` when negated.
    Look {
        negated: bool,
        inner: Vec<Vec<Node>>,
    },
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
            // Java's `.` without DOTALL: anything but a line terminator.
            Self::Any => !matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'),
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

/// One instruction of a compiled pattern. Jumps are instruction indices.
#[derive(Debug, Clone)]
enum Inst {
    /// Consumes one character the atom matches.
    Atom(Atom),
    /// Consumes `min..=max` characters the atom matches, as many as possible first.
    Repeat {
        atom: Atom,
        min: u32,
        max: Option<u32>,
    },
    Start,
    End,
    /// Continues at both (order does not matter: only whether some path matches does).
    Split(usize, usize),
    Jump(usize),
    /// Continues at `next` when the sub-program at `body` (ended by `Accept`) matches here —
    /// or, negated, when it does not. Consumes nothing.
    Look {
        negated: bool,
        body: usize,
        next: usize,
    },
    /// The end of the pattern: a match when the whole input is consumed.
    Match,
    /// The end of a lookahead's sub-program: a match wherever it is reached.
    Accept,
}

/// The most instructions a pattern may compile to (counted repetitions of groups are
/// unrolled); the models' largest has a few hundred. Beyond it the pattern does not parse.
const MAX_INSTS: usize = 10_000;

#[derive(Debug)]
struct Program {
    insts: Vec<Inst>,
}

/// Compiles parsed alternatives into a program ending in `Match`.
fn compile(alternatives: &[Vec<Node>]) -> Option<Program> {
    let mut compiler = Compiler { insts: Vec::new() };
    compiler.alternatives(alternatives)?;
    compiler.push(Inst::Match)?;
    Some(Program {
        insts: compiler.insts,
    })
}

struct Compiler {
    insts: Vec<Inst>,
}

impl Compiler {
    fn push(&mut self, inst: Inst) -> Option<usize> {
        if self.insts.len() >= MAX_INSTS {
            return None;
        }
        self.insts.push(inst);
        Some(self.insts.len() - 1)
    }

    /// Points the jump targets of the instruction at `at` that are still `usize::MAX` to
    /// `target`.
    fn patch(&mut self, at: usize, target: usize) {
        match self.insts.get_mut(at) {
            Some(Inst::Split(a, b)) => {
                for t in [a, b] {
                    if *t == usize::MAX {
                        *t = target;
                    }
                }
            }
            Some(Inst::Jump(t) | Inst::Look { next: t, .. }) if *t == usize::MAX => *t = target,
            _ => {}
        }
    }

    fn here(&self) -> usize {
        self.insts.len()
    }

    fn alternatives(&mut self, alternatives: &[Vec<Node>]) -> Option<()> {
        let Some((last, init)) = alternatives.split_last() else {
            return Some(());
        };
        let mut to_end = Vec::new();
        for alternative in init {
            let split = self.push(Inst::Split(self.here() + 1, usize::MAX))?;
            self.sequence(alternative)?;
            to_end.push(self.push(Inst::Jump(usize::MAX))?);
            let next = self.here();
            self.patch(split, next);
        }
        self.sequence(last)?;
        let end = self.here();
        for at in to_end {
            self.patch(at, end);
        }
        Some(())
    }

    fn sequence(&mut self, nodes: &[Node]) -> Option<()> {
        nodes.iter().try_for_each(|node| self.node(node))
    }

    fn node(&mut self, node: &Node) -> Option<()> {
        match node {
            Node::Atom(atom) => {
                self.push(Inst::Atom(atom.clone()))?;
            }
            Node::Start => {
                self.push(Inst::Start)?;
            }
            Node::End => {
                self.push(Inst::End)?;
            }
            Node::Group(alternatives) => self.alternatives(alternatives)?,
            Node::Look { negated, inner } => {
                let look = self.push(Inst::Look {
                    negated: *negated,
                    body: self.here() + 1,
                    next: usize::MAX,
                })?;
                self.alternatives(inner)?;
                self.push(Inst::Accept)?;
                let next = self.here();
                self.patch(look, next);
            }
            Node::Repeat { node, min, max } => {
                if let Node::Atom(atom) = node.as_ref() {
                    self.push(Inst::Repeat {
                        atom: atom.clone(),
                        min: *min,
                        max: *max,
                    })?;
                    return Some(());
                }
                for _ in 0..*min {
                    self.node(node)?;
                }
                match max {
                    None => {
                        let split = self.push(Inst::Split(self.here() + 1, usize::MAX))?;
                        self.node(node)?;
                        self.push(Inst::Jump(split))?;
                        let end = self.here();
                        self.patch(split, end);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.push(Inst::Split(self.here() + 1, usize::MAX))?);
                            self.node(node)?;
                        }
                        let end = self.here();
                        for split in splits {
                            self.patch(split, end);
                        }
                    }
                }
            }
        }
        Some(())
    }
}

/// Work left on the backtracking stack.
enum Frame {
    /// Run from instruction `pc` at byte offset `pos`.
    Step { pc: usize, pos: usize },
    /// After a greedy `Repeat` took `lo..=hi`: run `pc` from `hi`, then from each shorter end
    /// down to `lo`.
    GiveBack { pc: usize, lo: usize, hi: usize },
}

/// A set of bits. Flat for the usual short values; in pages allocated on first use when
/// (instructions × input length) is large — a long value (up to the request size) checked
/// against a long program touches few of its pairs, and must not cost a bit for each.
enum Bits {
    Flat(Vec<u64>),
    Paged(HashMap<usize, Box<[u64; PAGE_WORDS]>>),
}

const PAGE_WORDS: usize = 64;
const PAGE_BITS: usize = PAGE_WORDS * 64;
/// Above this many bits (2 MiB), the set is paged.
const MAX_FLAT_BITS: usize = 1 << 24;

impl Bits {
    fn new(bits: usize) -> Self {
        if bits <= MAX_FLAT_BITS {
            Self::Flat(vec![0; bits.div_ceil(64)])
        } else {
            Self::Paged(HashMap::new())
        }
    }

    fn word(&mut self, bit: usize) -> Option<&mut u64> {
        match self {
            Self::Flat(words) => words.get_mut(bit / 64),
            Self::Paged(pages) => pages
                .entry(bit / PAGE_BITS)
                .or_insert_with(|| Box::new([0; PAGE_WORDS]))
                .get_mut(bit % PAGE_BITS / 64),
        }
    }

    /// Sets `bit`; false when it already was set.
    fn insert(&mut self, bit: usize) -> bool {
        let Some(word) = self.word(bit) else {
            return false;
        };
        let mask = 1u64 << (bit % 64);
        let new = *word & mask == 0;
        *word |= mask;
        new
    }

    fn remove(&mut self, bit: usize) {
        if let Some(word) = self.word(bit) {
            *word &= !(1u64 << (bit % 64));
        }
    }
}

/// The state of one match: which (instruction, position) pairs were tried, and buffers
/// for the runs of lookaheads (one at each position of a repeated group).
struct Matcher<'a> {
    insts: &'a [Inst],
    text: &'a str,
    /// Bit `pc * (text.len() + 1) + pos`: that pair was tried. A pair's outcome does not
    /// depend on how it was reached (no captures, no back-references), so a second try can
    /// only fail again.
    tried: Bits,
    stacks: Vec<Vec<Frame>>,
    marks: Vec<Vec<usize>>,
}

impl Program {
    fn matches(&self, text: &str) -> bool {
        let mut matcher = Matcher {
            insts: &self.insts,
            text,
            tried: Bits::new(self.insts.len().saturating_mul(text.len() + 1)),
            stacks: Vec::new(),
            marks: Vec::new(),
        };
        matcher.run(0, 0, None)
    }
}

impl Matcher<'_> {
    /// Marks (`pc`, `pos`) tried; false when it already was.
    fn try_pair(&mut self, pc: usize, pos: usize, record: &mut Option<&mut Vec<usize>>) -> bool {
        let bit = pc * (self.text.len() + 1) + pos;
        if !self.tried.insert(bit) {
            return false;
        }
        if let Some(record) = record {
            record.push(bit);
        }
        true
    }

    /// Whether the program matches from `pc` at `pos` (reaching `Match` at the end of the
    /// input, or `Accept`). `record` collects the pairs marked, for a lookahead to unmark.
    fn run(&mut self, pc: usize, pos: usize, record: Option<&mut Vec<usize>>) -> bool {
        let mut stack = self.stacks.pop().unwrap_or_default();
        stack.clear();
        stack.push(Frame::Step { pc, pos });
        let matched = self.search(&mut stack, record);
        self.stacks.push(stack);
        matched
    }

    fn search(&mut self, stack: &mut Vec<Frame>, mut record: Option<&mut Vec<usize>>) -> bool {
        let text = self.text;
        // For each unbounded `Repeat`, the last run it gave back: (start, end). From any
        // position in that run the characters up to `end` match and the one at `end` does not,
        // so a later visit inside it has nothing new to try — without this, `(a*)*b` would
        // scan and give back the rest of the input from every position.
        let mut runs: HashMap<usize, (usize, usize)> = HashMap::new();
        while let Some(frame) = stack.pop() {
            let (mut pc, mut pos) = match frame {
                Frame::Step { pc, pos } => (pc, pos),
                Frame::GiveBack { pc, lo, mut hi } => {
                    // When a character must follow, skip the ends it does not follow.
                    if let Some(Inst::Atom(next)) = self.insts.get(pc) {
                        while hi > lo && !char_at(text, hi).is_some_and(|c| next.matches(c)) {
                            match text.get(lo..hi).and_then(|run| run.chars().next_back()) {
                                Some(c) => hi -= c.len_utf8(),
                                None => break,
                            }
                        }
                    }
                    if hi > lo
                        && let Some(c) = text.get(lo..hi).and_then(|run| run.chars().next_back())
                    {
                        stack.push(Frame::GiveBack {
                            pc,
                            lo,
                            hi: hi - c.len_utf8(),
                        });
                    }
                    (pc, hi)
                }
            };
            // Follow one path until it fails, pushing the alternatives it passes.
            while self.try_pair(pc, pos, &mut record) {
                let Some(inst) = self.insts.get(pc) else {
                    break;
                };
                match inst {
                    Inst::Atom(atom) => match char_at(text, pos) {
                        Some(c) if atom.matches(c) => {
                            pc += 1;
                            pos += c.len_utf8();
                        }
                        _ => break,
                    },
                    Inst::Repeat { atom, min, max } => {
                        if max.is_none()
                            && let Some(&(start, end)) = runs.get(&pc)
                            && (start..=end).contains(&pos)
                        {
                            break;
                        }
                        let limit = max.unwrap_or(u32::MAX);
                        let (mut taken, mut end, mut lo) = (0u32, pos, pos);
                        while taken < limit {
                            match char_at(text, end) {
                                Some(c) if atom.matches(c) => {
                                    end += c.len_utf8();
                                    taken += 1;
                                    if taken == *min {
                                        lo = end;
                                    }
                                }
                                _ => break,
                            }
                        }
                        if taken >= *min {
                            match self.insts.get(pc + 1) {
                                // What follows needs the end of the input (or nothing): only
                                // the longest run can do, no shorter one — so a long value
                                // that fails is not given back character by character.
                                Some(Inst::Match | Inst::End) if end < text.len() => {}
                                Some(Inst::Match | Inst::End | Inst::Accept) => {
                                    stack.push(Frame::Step {
                                        pc: pc + 1,
                                        pos: end,
                                    });
                                }
                                _ => stack.push(Frame::GiveBack {
                                    pc: pc + 1,
                                    lo,
                                    hi: end,
                                }),
                            }
                        }
                        if max.is_none() {
                            runs.insert(pc, (pos, end));
                        }
                        break;
                    }
                    Inst::Start if pos == 0 => pc += 1,
                    Inst::End if pos == text.len() => pc += 1,
                    Inst::Start | Inst::End => break,
                    Inst::Split(a, b) => {
                        stack.push(Frame::Step { pc: *b, pos });
                        pc = *a;
                    }
                    Inst::Jump(target) => pc = *target,
                    &Inst::Look {
                        negated,
                        body,
                        next,
                    } => {
                        if self.look(body, pos) == negated {
                            break;
                        }
                        pc = next;
                    }
                    Inst::Match if pos == text.len() => return true,
                    Inst::Match => break,
                    Inst::Accept => return true,
                }
            }
        }
        false
    }

    /// Whether the lookahead sub-program at `body` matches at `pos`. Its pairs are unmarked
    /// afterwards: a pair on the path that succeeded must stay open to the next lookahead
    /// run that reaches it. (The main run asks each lookahead at most once per position:
    /// the `Look` instruction's own pair is marked.)
    fn look(&mut self, body: usize, pos: usize) -> bool {
        let mut marked = self.marks.pop().unwrap_or_default();
        marked.clear();
        let result = self.run(body, pos, Some(&mut marked));
        for &bit in &marked {
            self.tried.remove(bit);
        }
        self.marks.push(marked);
        result
    }
}

/// Parses and compiles a pattern.
fn parse(pattern: &str) -> Option<Program> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parser = Parser { chars, pos: 0 };
    let alternatives = parser.alternatives()?;
    if parser.pos != parser.chars.len() {
        return None;
    }
    compile(&alternatives)
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
                // `None`: a group; `Some(negated)`: a lookahead.
                let look = if self.eat('?') {
                    match self.next()? {
                        '=' => Some(false),
                        '!' => Some(true),
                        ':' => None,
                        _ => return None,
                    }
                } else {
                    None
                };
                let inner = self.alternatives()?;
                if !self.eat(')') {
                    return None;
                }
                match look {
                    Some(negated) => Node::Look { negated, inner },
                    None => Node::Group(inner),
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
            // Java's `\xhh` (exactly two hex digits) and `\x{h…h}`.
            'x' => {
                let hex: String = if self.eat('{') {
                    let start = self.pos;
                    while self.peek().is_some_and(|c| c != '}') {
                        self.pos += 1;
                    }
                    let hex = self.chars.get(start..self.pos)?.iter().collect();
                    if !self.eat('}') {
                        return None;
                    }
                    hex
                } else {
                    let hex = self.chars.get(self.pos..self.pos + 2)?.iter().collect();
                    self.pos += 2;
                    hex
                };
                if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
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
    fn positive_lookahead_and_java_dot() {
        // `WorkloadIdentityTemplatePathPatternType`: segments, at least one `{placeholder}`,
        // no `.` or `..` segment.
        let p = r"^(?=.*\{)(?:\{[A-Za-z0-9:/._-]+\}|(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+)(?:/(?:\{[A-Za-z0-9:/._-]+\}|(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+))*$";
        assert!(matches(p, "{aws:PrincipalTag/team}"));
        assert!(matches(p, "workloads/{team}/..svc"));
        assert!(!matches(p, "workloads/team"), "needs a placeholder");
        assert!(!matches(p, "workloads/../{team}"));
        assert!(!matches(p, "./{team}"));
        assert!(!matches(p, "a//{b}"));
        assert!(matches(r"(?=a)\w+", "ab"));
        assert!(!matches(r"(?=a)\w+", "ba"));
        assert!(matches(r"(?=(?!b)\w)\w", "a"));
        assert!(!matches(r"(?=(?!b)\w)\w", "b"));
        // Java's `.` stops at every line terminator, not only `\n` and `\r`.
        for terminator in ['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'] {
            assert!(!matches(".", &terminator.to_string()));
        }
        assert!(matches(".", "\u{2027}"));
    }

    #[test]
    fn java_x_escapes() {
        // `webIdentityTokenScopeType`: space-separated words of `"`-, `,`- and `\`-free ASCII.
        let p = r"[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+( [\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+)*";
        assert!(matches(p, "openid profile:read"));
        assert!(!matches(p, "openid  profile"));
        assert!(!matches(p, "a,b"));
        assert!(!matches(p, "a\"b"));
        assert!(!matches(p, "a\\b"));
        assert!(!matches(p, " a"));
        assert!(matches(r"\x{1F600}\x41", "\u{1F600}A"));
        assert!(parse(r"\x4").is_none());
        assert!(parse(r"\xG1").is_none());
        assert!(parse(r"\x{}").is_none());
    }

    #[test]
    fn domain_pattern() {
        // `WorkloadIdentityDomainType`: DNS labels of up to 63 characters.
        let p = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){0,31}$";
        assert!(matches(p, "example.com"));
        assert!(matches(p, "a"));
        assert!(matches(p, &"a".repeat(63)));
        assert!(!matches(p, &"a".repeat(64)));
        assert!(!matches(p, "-a.com"));
        assert!(!matches(p, "a-.com"));
        assert!(!matches(p, "a..com"));
        assert!(!matches(p, "Example.com"));
    }

    /// A repeated group over a long input: a recursive matcher needs a stack frame per
    /// repetition and overflows the thread's stack (the server's workers'). The template
    /// path pattern allows 16384 characters, 8192 segments.
    #[test]
    fn long_repeated_group_does_not_recurse() {
        let p = Pattern::new(
            r"^(?=.*\{)(?:\{[A-Za-z0-9:/._-]+\}|(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+)(?:/(?:\{[A-Za-z0-9:/._-]+\}|(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+))*$",
        );
        let segments = format!("{}{{a}}", "a/".repeat(8190));
        assert!(segments.len() <= 16384);
        assert!(p.matches(&segments));
        assert!(!p.matches(&format!("{segments}/")));
        assert!(!p.matches(&format!("{segments}/..")));
        assert!(!p.matches(&"a/".repeat(8192)), "no placeholder");
        // An unclosed placeholder the class could take up to the end, at every segment.
        assert!(!p.matches(&format!("{{{}", "a/".repeat(8191))));
        assert!(!p.matches(&format!("{}{{", "{a}/".repeat(4000))));
        let nested = Pattern::new(r"((/[A-Za-z0-9\.,\+@=_-]+)*)/");
        assert!(nested.matches(&format!("{}/", "/a".repeat(100_000))));
        assert!(!nested.matches(&format!("{}x", "/a".repeat(100_000))));
    }

    /// A value is checked against its pattern whatever its length (the length violation and
    /// the pattern violation are reported together), so every model pattern must take a value
    /// far longer than its maximum (the server reads bodies up to 1 MiB) in bounded time and
    /// memory: about (instructions × length) steps, no stack growth.
    #[test]
    fn every_model_pattern_takes_a_long_value() {
        let values = [
            "a".repeat(1 << 18),
            "a/".repeat(1 << 17),
            format!("{}b", "{a}/".repeat(1 << 16)),
            "a.".repeat(1 << 17),
        ];
        for p in crate::iam::PATTERNS
            .iter()
            .chain(crate::sts::PATTERNS)
            .chain(crate::accessanalyzer::PATTERNS)
        {
            for value in &values {
                p.matches(value);
            }
        }
        assert!(Pattern::new(r"[a/]+").matches(&values[1]));
        assert!(!Pattern::new(r"[a/]+").matches(&format!("{}!", values[1])));
    }

    #[test]
    fn nested_quantifiers_stay_linear() {
        // Exponential for a naive backtracker; each (instruction, position) is tried once here.
        let p = Pattern::new(r"(a*)*b");
        assert!(!p.matches(&"a".repeat(10_000)));
        assert!(p.matches(&format!("{}b", "a".repeat(10_000))));
        let p = Pattern::new(r"(a|aa)+c");
        assert!(!p.matches(&"a".repeat(10_000)));
    }

    #[test]
    fn counted_group_repetition_is_bounded() {
        assert!(matches(r"(ab){2,3}", "abab"));
        assert!(matches(r"(ab){2,3}", "ababab"));
        assert!(!matches(r"(ab){2,3}", "ab"));
        assert!(!matches(r"(ab){2,3}", "abababab"));
        assert!(matches(r"(ab){2,}", "abababab"));
        assert!(matches(r"(ab){0}c", "c"));
        assert!(matches(r"(|a)b", "b"));
        // Unrolling a huge count would be a huge program: such a pattern does not parse.
        assert!(parse(r"((ab){1000}){1000}").is_none());
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
            .chain(crate::accessanalyzer::PATTERNS)
            .copied()
            .collect();
        assert!(all.len() > 30, "the models have dozens of patterns");
        for p in all {
            assert!(p.parses(), "cannot parse model pattern {}", p.source());
        }
    }

    #[test]
    fn unparseable_patterns_match_everything() {
        for bad in ["[abc", "(a", "a{2", r"\q", "*a", r"\p{Lu}", "(?<=a)b"] {
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

        /// `WorkloadIdentityDomainType` spelled out: 1 to 32 DNS labels.
        fn is_domain(s: &str) -> bool {
            let labels: Vec<&str> = s.split('.').collect();
            labels.len() <= 32
                && labels.iter().all(|l| {
                    (1..=63).contains(&l.len())
                        && l.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                })
        }

        /// `WorkloadIdentityTemplatePathPatternType` spelled out: `/`-separated segments,
        /// each a `{placeholder}` or a name other than `.` and `..`, at least one placeholder.
        fn is_template_path(s: &str) -> bool {
            fn name(seg: &str) -> bool {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            }
            fn placeholder_body(body: &str) -> bool {
                !body.is_empty()
                    && body
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ":/._-".contains(c))
            }
            // Placeholders may contain `/`, so split on `/` only outside braces: a segment
            // starting with `{` runs to the next `}`.
            fn segments(s: &str) -> bool {
                if let Some(rest) = s.strip_prefix('{') {
                    let Some((body, after)) = rest.split_once('}') else {
                        return false;
                    };
                    placeholder_body(body)
                        && (after.is_empty() || after.strip_prefix('/').is_some_and(segments))
                } else {
                    match s.split_once('/') {
                        Some((seg, rest)) => name(seg) && segments(rest),
                        None => name(s),
                    }
                }
            }
            s.contains('{') && segments(s)
        }

        proptest! {
            #[test]
            fn domain_pattern_agrees_with_oracle(s in "[a.-]{0,8}|([a-]{1,3}\\.){0,3}[a-]{1,3}") {
                prop_assert_eq!(
                    matches(
                        r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){0,31}$",
                        &s
                    ),
                    is_domain(&s)
                );
            }

            #[test]
            fn template_path_pattern_agrees_with_oracle(s in "[a./{}:-]{0,10}") {
                prop_assert_eq!(
                    matches(
                        r"^(?=.*\{)(?:\{[A-Za-z0-9:/._-]+\}|(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+)(?:/(?:\{[A-Za-z0-9:/._-]+\}|(?!\.{1,2}(?:/|$))[A-Za-z0-9._-]+))*$",
                        &s
                    ),
                    is_template_path(&s)
                );
            }

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
