//! A small JSON parser that keeps the byte offset of every value and key, so validation errors
//! point at the place in the document. It keeps duplicate keys (validation rejects them) and
//! bounds nesting depth so hostile input cannot exhaust the stack.

/// A JSON value with the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node<'a> {
    pub offset: usize,
    pub value: Value<'a>,
}

/// A JSON value. Numbers keep their source text: policy values are compared as strings or
/// parsed by the operator that uses them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    /// The number's source text.
    Number(&'a str),
    /// Borrowed from the source unless the string has escapes.
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<Member<'a>>),
}

/// One `"key": value` pair of an object.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member<'a> {
    pub key: Cow<'a, str>,
    pub key_offset: usize,
    pub value: Node<'a>,
}

/// Where and why the text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub reason: &'static str,
}

use std::borrow::Cow;

/// Deeper documents are not policies; the bound keeps recursion safe.
const MAX_DEPTH: usize = 64;

/// Parses one JSON document (surrounding whitespace allowed).
pub(crate) fn parse(src: &str) -> Result<Node<'_>, SyntaxError> {
    let mut p = Parser {
        src: src.as_bytes(),
        text: src,
        pos: 0,
    };
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos != p.src.len() {
        return Err(p.err("unexpected text after the document"));
    }
    Ok(node)
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, reason: &'static str) -> SyntaxError {
        SyntaxError {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, b: u8, reason: &'static str) -> Result<(), SyntaxError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(reason))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("document nested too deeply"));
        }
        let offset = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(_) => return Err(self.err("expected a value")),
            None => return Err(self.err("unexpected end of document")),
        };
        Ok(Node { offset, value })
    }

    fn literal(&mut self, word: &'static str, value: Value<'a>) -> Result<Value<'a>, SyntaxError> {
        if self.src.get(self.pos..self.pos + word.len()) == Some(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn number(&mut self) -> Result<Value<'a>, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        // int = zero / ( digit1-9 *DIGIT )
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("invalid number")),
        }
        // frac = decimal-point 1*DIGIT
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number"));
            }
            self.digits();
        }
        // exp = e [ minus / plus ] 1*DIGIT
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("invalid number"));
            }
            self.digits();
        }
        Ok(Value::Number(self.text.get(start..self.pos).unwrap_or("")))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        self.expect(b'"', "expected a string")?;
        let start = self.pos;
        // Fast path: no escapes, borrow the source.
        let rest = self.src.get(start..).unwrap_or(&[]);
        self.pos = start + plain_run(rest);
        if self.peek() == Some(b'"') {
            let s = self.text.get(start..self.pos).unwrap_or("");
            self.pos += 1;
            return Ok(Cow::Borrowed(s));
        }
        let mut out = String::from(self.text.get(start..self.pos).unwrap_or(""));
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // The run ends at an ASCII byte, so it is a whole UTF-8 sequence.
            out.push_str(self.text.get(run_start..self.pos).unwrap_or(""));
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.err("control character in string")),
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4()?;
                let c = if (0xD800..0xDC00).contains(&hi) {
                    // A high surrogate must be followed by `\u` and a low surrogate.
                    if self.src.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(self.err("unpaired surrogate"));
                    }
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(self.err("unpaired surrogate"));
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                let c = char::from_u32(c).ok_or_else(|| self.err("invalid escape"))?;
                out.push(c);
                return Ok(());
            }
            _ => return Err(self.err("invalid escape")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.err("invalid escape")),
            };
            v = v * 16 + u32::from(d);
            self.pos += 1;
        }
        Ok(v)
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, SyntaxError> {
        self.expect(b'[', "expected `[`")?;
        // Most policy arrays are short lists of actions or resources.
        let mut items = Vec::with_capacity(8);
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, SyntaxError> {
        self.expect(b'{', "expected `{`")?;
        // Policy objects have a handful of members: one allocation for most.
        let mut members = Vec::with_capacity(6);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_ws();
            let key_offset = self.pos;
            let key = self.string()?;
            self.skip_ws();
            self.expect(b':', "expected `:`")?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push(Member {
                key,
                key_offset,
                value,
            });
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
    }
}

/// Length of the run of string bytes at the start of `bytes` that need no attention: up to
/// the first `"`, `\\` or control character. Eight bytes at a time (SWAR): policy strings
/// are ARNs and action names tens of bytes long.
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is below `n` (n ≤ 128): the classic "has less" bit trick; exact for
    // "is there such a byte", which is all that is asked here.
    let has_less = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH != 0;
    let mut done = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let stop = has_less(w ^ (ONES * u64::from(b'"')), 1)
            || has_less(w ^ (ONES * u64::from(b'\\')), 1)
            || has_less(w, 0x20);
        if stop {
            break;
        }
        done += 8;
    }
    let tail = bytes.get(done..).unwrap_or(&[]);
    done + tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(tail.len())
}

/// The JSON path (`$.Statement[1].Resource[0]`) of the value or key that starts at `offset`.
/// Paths are built only for findings, so compiling valid documents formats nothing.
pub(crate) fn path_at(root: &Node<'_>, offset: usize) -> String {
    let mut path = String::from("$");
    let mut node = root;
    while node.offset != offset {
        match &node.value {
            Value::Object(members) => {
                // Members are in document order: the last one starting at or before the
                // offset contains it.
                let Some(m) = members.iter().rev().find(|m| m.key_offset <= offset) else {
                    break;
                };
                if m.key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    && !m.key.is_empty()
                {
                    path.push('.');
                    path.push_str(&m.key);
                } else {
                    path.push_str(&format!("[{:?}]", m.key));
                }
                if offset < m.value.offset {
                    break;
                }
                node = &m.value;
            }
            Value::Array(items) => {
                let Some((i, item)) = items
                    .iter()
                    .enumerate()
                    .rev()
                    .find(|(_, n)| n.offset <= offset)
                else {
                    break;
                };
                path.push_str(&format!("[{i}]"));
                node = item;
            }
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => break,
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_run_stops_where_a_byte_scan_does() {
        let naive = |b: &[u8]| {
            b.iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .unwrap_or(b.len())
        };
        let stops: [u8; 8] = [b'"', b'\\', 0, 0x1f, b'\n', 0x20, 0x7f, 0xff];
        for len in 0..40 {
            for at in 0..=len {
                for &stop in &stops {
                    let mut text: Vec<u8> = (0..len)
                        .map(|i| b"arn:aws:s3:::b/\xc3\xa9"[i % 17])
                        .collect();
                    if let Some(c) = text.get_mut(at) {
                        *c = stop;
                    }
                    assert_eq!(plain_run(&text), naive(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn parses_nested_values_with_offsets() {
        let n = parse(r#" {"a": [1, "x\u00e9\n", true, null], "b": {}} "#).unwrap();
        assert_eq!(n.offset, 1);
        let Value::Object(m) = n.value else { panic!() };
        assert_eq!(m[0].key, "a");
        assert_eq!(m[0].key_offset, 2);
        let Value::Array(items) = &m[0].value.value else {
            panic!()
        };
        assert_eq!(items[0].value, Value::Number("1"));
        assert_eq!(items[1].value, Value::String("xé\n".into()));
        assert_eq!(items[1].offset, 11);
        assert_eq!(items[2].value, Value::Bool(true));
        assert_eq!(items[3].value, Value::Null);
    }

    #[test]
    fn keeps_duplicate_keys() {
        let n = parse(r#"{"a":1,"a":2}"#).unwrap();
        let Value::Object(m) = n.value else { panic!() };
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn rejects_bad_json_with_offset() {
        assert_eq!(parse(r#"{"a" 1}"#).unwrap_err().offset, 5);
        assert_eq!(parse("[1,]").unwrap_err().offset, 3);
        assert!(parse("01").is_err());
        assert!(parse("\"\\ud800\"").is_err());
        assert!(parse("{} x").is_err());
        assert!(parse("").is_err());
        assert!(parse(&"[".repeat(1000)).is_err());
        assert!(parse("\"a\u{1}\"").is_err());
    }

    #[test]
    fn paths_from_offsets() {
        let src = r#"{"Statement": [{"Action": "a"}, {"Resource": ["x", "y"], "a b": 1}]}"#;
        let root = parse(src).unwrap();
        let at = |needle: &str| path_at(&root, src.find(needle).unwrap());
        assert_eq!(at(r#""y""#), "$.Statement[1].Resource[1]");
        assert_eq!(at(r#""Resource""#), "$.Statement[1].Resource");
        assert_eq!(at(r#"{"Action""#), "$.Statement[0]");
        assert_eq!(at("1}"), "$.Statement[1][\"a b\"]");
        assert_eq!(path_at(&root, 0), "$");
    }

    #[test]
    fn decodes_surrogate_pairs() {
        let n = parse(r#""\ud83d\ude00""#).unwrap();
        assert_eq!(n.value, Value::String("😀".into()));
    }
}
