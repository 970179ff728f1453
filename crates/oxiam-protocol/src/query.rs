//! Decoding of `application/x-www-form-urlencoded` request bodies and URL query strings.
//!
//! AWS Query requests carry every parameter as a `name=value` pair; nested members are spelled
//! out in the names (`Tags.member.1.Key`). [`Params`] keeps the pairs in wire order and an
//! index sorted by name, so the decoders can look a name up and enumerate a name prefix
//! (all `Tags.member.*`) in logarithmic time however many parameters a request carries.

use crate::error::{ApiError, ErrorCode};

/// The decoded parameters of one request: ordered `(name, value)` pairs, percent-decoded,
/// with `+` read as a space.
///
/// `Debug` prints names only: values include passwords, secret keys and SAML assertions.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
    // INVARIANT (sorted-index): `by_name` holds every index of `pairs` exactly once, ordered by
    // name and, among equal names, by position; rebuilt by `reindex` after every change.
    by_name: Vec<usize>,
}

impl Params {
    /// Parses a form-urlencoded body or query string (without the leading `?`).
    ///
    /// Empty segments (`a=1&&b=2`) are skipped and a segment without `=` is a name with an
    /// empty value. A `%` not followed by two hex digits, or a decoded name or value that is
    /// not UTF-8, is a `MalformedQueryString` error.
    pub fn parse(raw: &[u8]) -> Result<Params, ApiError> {
        let mut pairs = Vec::new();
        for segment in raw.split(|&b| b == b'&') {
            if segment.is_empty() {
                continue;
            }
            let (name, value) = match segment.iter().position(|&b| b == b'=') {
                Some(eq) => (segment.get(..eq), segment.get(eq + 1..)),
                None => (Some(segment), Some(&b""[..])),
            };
            let name = decode_component(name.unwrap_or_default())?;
            let value = decode_component(value.unwrap_or_default())?;
            pairs.push((name, value));
        }
        let mut params = Params {
            pairs,
            by_name: Vec::new(),
        };
        params.reindex();
        Ok(params)
    }

    /// Appends `other`'s pairs after this one's: the body parameters of a POST followed by
    /// those of its URL query string. Lookups return the first occurrence of a name.
    pub fn merge(&mut self, other: Params) {
        self.pairs.extend(other.pairs);
        self.reindex();
    }

    /// The value of the first parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let first = self.by_name.partition_point(|&i| self.name_at(i) < name);
        let index = *self.by_name.get(first)?;
        let (found, value) = self.pairs.get(index)?;
        (found == name).then_some(value.as_str())
    }

    /// All pairs in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Pairs whose name starts with `prefix`, ordered by name.
    pub(crate) fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let start = self.by_name.partition_point(|&i| self.name_at(i) < prefix);
        self.by_name
            .get(start..)
            .unwrap_or_default()
            .iter()
            .filter_map(|&i| self.pairs.get(i))
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .take_while(move |(n, _)| n.starts_with(prefix))
    }

    /// Whether a parameter is called `name` or is nested below it (`name.…`).
    pub(crate) fn has_name_or_children(&self, name: &str) -> bool {
        self.get(name).is_some() || self.with_prefix(&format!("{name}.")).next().is_some()
    }

    fn name_at(&self, index: usize) -> &str {
        self.pairs.get(index).map_or("", |(n, _)| n.as_str())
    }

    fn reindex(&mut self) {
        let mut by_name: Vec<usize> = (0..self.pairs.len()).collect();
        // A stable sort keeps equal names in wire order (INVARIANT sorted-index).
        by_name.sort_by(|&a, &b| self.name_at(a).cmp(self.name_at(b)));
        self.by_name = by_name;
    }
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.pairs.iter().map(|(name, _)| name))
            .finish()
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for Params {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(iter: I) -> Self {
        let mut params = Params {
            pairs: iter
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect(),
            by_name: Vec::new(),
        };
        params.reindex();
        params
    }
}

/// Percent-decodes one name or value, `+` being a space (the form-urlencoded rule).
fn decode_component(raw: &[u8]) -> Result<String, ApiError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().and_then(|&h| hex_value(h));
                let lo = bytes.next().and_then(|&l| hex_value(l));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(malformed()),
                }
            }
            other => out.push(other),
        }
    }
    String::from_utf8(out).map_err(|_| malformed())
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

fn malformed() -> ApiError {
    ApiError::new(
        ErrorCode::MalformedQueryString,
        "The query string contains a syntax error.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_and_plus() {
        let p = Params::parse(b"Action=CreateUser&UserName=a%2Bb+c&Path=%2Fx%2F").unwrap();
        assert_eq!(p.get("Action"), Some("CreateUser"));
        assert_eq!(p.get("UserName"), Some("a+b c"));
        assert_eq!(p.get("Path"), Some("/x/"));
        assert_eq!(p.get("Nope"), None);
    }

    #[test]
    fn keeps_wire_order_and_first_wins() {
        let p = Params::parse(b"b=1&a=2&&b=3&flag").unwrap();
        let pairs: Vec<_> = p.iter().collect();
        assert_eq!(pairs, [("b", "1"), ("a", "2"), ("b", "3"), ("flag", "")]);
        assert_eq!(p.get("b"), Some("1"));
        assert_eq!(p.get("flag"), Some(""));
    }

    #[test]
    fn debug_hides_values() {
        let p = Params::parse(b"Action=ChangePassword&NewPassword=hunter2").unwrap();
        assert_eq!(format!("{p:?}"), r#"["Action", "NewPassword"]"#);
    }

    #[test]
    fn merge_appends_after_body() {
        let mut body = Params::parse(b"Action=ListUsers").unwrap();
        body.merge(Params::parse(b"Action=GetUser&Version=2010-05-08").unwrap());
        assert_eq!(body.get("Action"), Some("ListUsers"));
        assert_eq!(body.get("Version"), Some("2010-05-08"));
        assert_eq!(body.len(), 3);
    }

    #[test]
    fn rejects_bad_escapes_and_non_utf8() {
        for raw in [&b"a=%"[..], b"a=%4", b"a=%zz", b"a=%ff", b"%C3%28=1"] {
            let err = Params::parse(raw).unwrap_err();
            assert_eq!(err.code, ErrorCode::MalformedQueryString, "{raw:?}");
        }
    }

    #[test]
    fn prefix_scan_is_ordered_and_bounded() {
        let p = Params::parse(b"Tags.member.2.Key=b&Tag=x&Tags.member.1.Key=a&Tagsz=1").unwrap();
        let names: Vec<_> = p.with_prefix("Tags.").map(|(n, _)| n).collect();
        assert_eq!(names, ["Tags.member.1.Key", "Tags.member.2.Key"]);
        assert!(p.has_name_or_children("Tags"));
        assert!(!p.has_name_or_children("Tags.member.3"));
    }
}
