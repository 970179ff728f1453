//! The view of an HTTP request that SigV4 needs, borrowed from whichever HTTP stack received it.

use std::fmt;

/// The parts of an HTTP request SigV4 covers.
#[derive(Clone, Copy)]
pub struct HttpRequest<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as on the wire (still percent-encoded), e.g. `/`.
    pub path: &'a str,
    /// The raw query string without `?`; may be empty.
    pub query: &'a str,
    /// Header names in any case, as received; a name may repeat. For HTTP/2, pass the
    /// `:authority` as `host`.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body as received.
    pub body: &'a [u8],
}

impl<'a> HttpRequest<'a> {
    /// The first value of the header `name` (ASCII case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|&(_, v)| v)
    }

    /// The raw (still percent-encoded) value of the first query parameter whose raw name is
    /// exactly `name`. A parameter without `=` has the empty value.
    #[must_use]
    pub fn query_param(&self, name: &str) -> Option<&'a str> {
        query_pairs(self.query)
            .find(|&(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

/// Header values and query parameters that carry credentials: shown redacted in `Debug`.
const REDACTED_HEADERS: [&str; 2] = ["authorization", "x-amz-security-token"];
const REDACTED_PARAMS: [&str; 2] = ["X-Amz-Signature", "X-Amz-Security-Token"];

/// Prints no signature or session token, so a request can be logged safely.
impl fmt::Debug for HttpRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|&(n, v)| {
                let secret = REDACTED_HEADERS.iter().any(|r| n.eq_ignore_ascii_case(r));
                (n, if secret { "**redacted**" } else { v })
            })
            .collect();
        let query: Vec<(&str, &str)> = query_pairs(self.query)
            .map(|(n, v)| {
                (
                    n,
                    if REDACTED_PARAMS.contains(&n) {
                        "**redacted**"
                    } else {
                        v
                    },
                )
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &query)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// The raw `(name, value)` pairs of a query string, skipping empty segments.
pub(crate) fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| segment.split_once('=').unwrap_or((segment, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_ignores_case_and_takes_first() {
        let headers = [("Host", "a"), ("X-Thing", "1"), ("x-thing", "2")];
        let req = HttpRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        assert_eq!(req.header("host"), Some("a"));
        assert_eq!(req.header("X-THING"), Some("1"));
        assert_eq!(req.header("missing"), None);
    }

    #[test]
    fn debug_redacts_credentials() {
        let headers = [
            ("Authorization", "AWS4-HMAC-SHA256 Signature=abc123"),
            ("Host", "h"),
        ];
        let req = HttpRequest {
            method: "GET",
            path: "/",
            query: "X-Amz-Signature=def456&X-Amz-Security-Token=tok789&Action=X",
            headers: &headers,
            body: b"",
        };
        let shown = format!("{req:?}");
        for secret in ["abc123", "def456", "tok789"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("Action") && shown.contains("Host"),
            "{shown}"
        );
    }

    #[test]
    fn query_params() {
        let req = HttpRequest {
            method: "GET",
            path: "/",
            query: "a=1&&b&c=x%2Fy&a=2",
            headers: &[],
            body: b"",
        };
        assert_eq!(req.query_param("a"), Some("1"));
        assert_eq!(req.query_param("b"), Some(""));
        assert_eq!(req.query_param("c"), Some("x%2Fy"));
        assert_eq!(req.query_param("d"), None);
        assert_eq!(query_pairs(req.query).count(), 4);
    }
}
