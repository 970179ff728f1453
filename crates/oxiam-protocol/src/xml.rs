//! A minimal XML writer for AWS Query responses: elements, escaped text, nothing else.
//!
//! Responses are small and written in one pass, so the writer appends to a `String`; there is
//! no attribute support beyond the `xmlns` of the root element, which is all the envelope needs.

/// Appends XML to a string, escaping text.
#[derive(Debug, Default, Clone)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// `<name xmlns="namespace">`.
    pub fn start_with_namespace(&mut self, name: &str, namespace: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" xmlns=\"");
        escape_into(&mut self.buf, namespace);
        self.buf.push_str("\">");
    }

    /// `<name>`.
    pub fn start(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `</name>`.
    pub fn end(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `<name/>`.
    pub fn empty(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str("/>");
    }

    /// Escaped character data.
    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.buf, text);
    }

    /// `<name>text</name>` with `text` escaped.
    pub fn element(&mut self, name: &str, text: &str) {
        self.start(name);
        self.text(text);
        self.end(name);
    }

    /// The document written so far.
    pub fn finish(self) -> String {
        self.buf
    }
}

/// Escapes the five XML special characters, and writes other control characters that XML 1.0
/// allows (tab, newline, carriage return) as character references so they survive attribute
/// normalisation and line-ending translation. Characters XML 1.0 forbids outright (other
/// C0 controls) cannot be represented and are replaced by U+FFFD.
fn escape_into(out: &mut String, text: &str) {
    // Copy runs of ordinary characters in one go; most text has nothing to escape.
    let mut run_start = 0;
    for (i, c) in text.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&apos;",
            '\r' => "&#xD;",
            '\n' | '\t' => continue,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => "\u{FFFD}",
            _ => continue,
        };
        out.push_str(text.get(run_start..i).unwrap_or_default());
        out.push_str(replacement);
        run_start = i + c.len_utf8();
    }
    out.push_str(text.get(run_start..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_namespace() {
        let mut w = XmlWriter::new();
        w.start_with_namespace("R", "urn:a&b");
        w.element("T", "<a & 'b' \"c\">\r\n\u{1}");
        w.empty("L");
        w.end("R");
        assert_eq!(
            w.finish(),
            "<R xmlns=\"urn:a&amp;b\"><T>&lt;a &amp; &apos;b&apos; &quot;c&quot;&gt;&#xD;\n\u{FFFD}</T><L/></R>"
        );
    }
}
