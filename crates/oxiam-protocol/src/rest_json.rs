//! The primitives of the REST-JSON protocol (IAM Access Analyzer), called by the generated
//! `accessanalyzer.rs` so that it stays small.
//!
//! A request is routed by method and path template (`PUT /analyzer/{analyzerName}`); its
//! members come from four places — URI labels, the query string, headers and the JSON
//! body — and [`assemble`] gathers them into one JSON object, so one decoder per shape
//! reads them all. [`Decoder`] walks that object as the Query codec walks parameters:
//! every constraint violation is collected (AWS reports them all at once), a value that is
//! not of its type stops decoding (`cannotParse`).
//!
//! Responses are written through [`JsonEncode`]; timestamps as ISO 8601 strings, the
//! model's `timestampFormat` for this service (botocore's rest-json parser reads both that
//! and epoch seconds).

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::codec::{LenRule, NumRule, StrRule};
use crate::error::{ApiError, ErrorCode};
use crate::types::DateTime;

/// An HTTP request as a REST-JSON service reads it.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The raw path, still percent-encoded.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    pub body: &'a [u8],
}

/// Where a member of an input is read from (the model's `location`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    /// A `{label}` of the path template.
    Uri,
    /// `location: querystring`.
    Query,
}

/// The JSON kind a located member is converted to before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Int,
    Bool,
    /// A list of strings: every occurrence of the query parameter.
    List,
}

/// One member read from outside the body: `(wire name, location, kind)`.
pub(crate) type Binding = (&'static str, Loc, Kind);

/// The labels of `path` against `template` when it matches (`/tags/{resourceArn}` against
/// `/tags/arn%3Aaws%3A…`): each path segment is percent-decoded after splitting, so an ARN
/// sent encoded (`%2F`) stays one segment, as botocore sends non-greedy labels.
pub(crate) fn match_route(
    template: &'static str,
    path: &str,
) -> Option<Vec<(&'static str, String)>> {
    let path = path
        .strip_suffix('/')
        .filter(|p| !p.is_empty())
        .unwrap_or(path);
    let mut labels = Vec::new();
    let mut want = template.split('/');
    let mut have = path.split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return Some(labels),
            (Some(w), Some(h)) => {
                if let Some(label) = w.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                    if h.is_empty() {
                        return None;
                    }
                    labels.push((
                        label,
                        percent_decode_str(h).decode_utf8_lossy().into_owned(),
                    ));
                } else if w != h {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// The error of a request whose method and path name no operation. AWS's REST services
/// answer an unknown route with `UnknownOperationException` (404); oxiam does the same.
pub(crate) fn unknown_operation() -> ApiError {
    ApiError::new(ErrorCode::UnknownOperationException, "")
}

/// The one JSON object the input decoder reads: the body's members, then the labels and
/// query parameters the bindings name (located members win over a body member of the same
/// name, which the model never has).
pub(crate) fn assemble(
    request: &HttpRequest<'_>,
    labels: Vec<(&'static str, String)>,
    bindings: &[Binding],
) -> Result<Value, ApiError> {
    let body = request.body;
    let mut object = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) | Err(_) => return Err(cannot_parse("the request body is not a JSON object")),
        }
    };
    let query: Vec<(String, String)> = form_urlencoded_pairs(request.query);
    for &(name, loc, kind) in bindings {
        let values: Vec<&str> = match loc {
            Loc::Uri => labels
                .iter()
                .filter(|(l, _)| *l == name)
                .map(|(_, v)| v.as_str())
                .collect(),
            Loc::Query => query
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .collect(),
        };
        let Some(first) = values.first() else {
            continue;
        };
        let value = match kind {
            Kind::Str => Value::String((*first).to_owned()),
            Kind::List => Value::Array(
                values
                    .iter()
                    .map(|v| Value::String((*v).to_owned()))
                    .collect(),
            ),
            Kind::Int => match first.trim().parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    return Err(cannot_parse(&format!(
                        "invalid integer value '{first}' for {name}"
                    )));
                }
            },
            Kind::Bool => match *first {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    return Err(cannot_parse(&format!(
                        "invalid boolean value '{first}' for {name}"
                    )));
                }
            },
        };
        object.insert(name.to_owned(), value);
    }
    Ok(Value::Object(object))
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// The error a REST-JSON service sends for one the shared steps (authentication,
/// authorization, internal failure) raised with its AWS Query code: AWS's JSON protocols name
/// the same failures differently (`InvalidClientTokenId` → `UnrecognizedClientException`,
/// `SignatureDoesNotMatch` → `InvalidSignatureException`, `AccessDenied` →
/// `AccessDeniedException`, …). Messages are kept, except where the JSON services' own
/// wording is known (`Missing Authentication Token`, the invalid and expired token ones).
pub fn from_query_error(error: ApiError) -> ApiError {
    let (code, message) = match error.code {
        ErrorCode::InvalidClientTokenId => (
            ErrorCode::UnrecognizedClientException,
            Some("The security token included in the request is invalid."),
        ),
        ErrorCode::SignatureDoesNotMatch
        | ErrorCode::RequestExpired
        | ErrorCode::RequestTimeTooSkewed => (ErrorCode::InvalidSignatureException, None),
        ErrorCode::IncompleteSignature => (ErrorCode::IncompleteSignatureException, None),
        ErrorCode::MissingAuthenticationToken => (
            ErrorCode::MissingAuthenticationTokenException,
            Some("Missing Authentication Token"),
        ),
        ErrorCode::ExpiredToken => (
            ErrorCode::ExpiredTokenException,
            Some("The security token included in the request is expired"),
        ),
        ErrorCode::AccessDenied => (ErrorCode::AccessDeniedException, None),
        ErrorCode::Throttling => (ErrorCode::ThrottlingException, None),
        ErrorCode::ValidationError => (ErrorCode::ValidationException, None),
        ErrorCode::ServiceFailure | ErrorCode::InternalFailure => {
            (ErrorCode::InternalServerException, None)
        }
        _ => return error,
    };
    ApiError {
        code,
        message: message.map_or(error.message, str::to_owned),
        extra: error.extra,
    }
}

/// A request that cannot be read as its shapes: `ValidationException`, reason `cannotParse`
/// (the model's `ValidationExceptionReason`). AWS does not document the message; oxiam says
/// what could not be read.
pub(crate) fn cannot_parse(detail: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ValidationException,
        format!("Cannot parse the request: {detail}"),
    )
    .with("reason", Value::from("cannotParse"))
}

/// Where a value sits, as AWS prints it in validation messages: member names joined by
/// `.`, list items as `name.N.member` (1-based), map values as `name.KEY`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Key(String);

impl Key {
    pub(crate) fn root() -> Self {
        Self::default()
    }

    pub(crate) fn member(&self, name: &str) -> Self {
        if self.0.is_empty() {
            Self(name.to_owned())
        } else {
            Self(format!("{}.{name}", self.0))
        }
    }

    fn item(&self, n: usize) -> Self {
        Self(format!("{}.{n}.member", self.0))
    }
}

/// A decoder of one shape: reads `value` at `key`.
pub(crate) type DecodeFn<T> = fn(&mut Decoder, &Value, &Key) -> T;

/// Decodes one request's assembled JSON, collecting constraint violations.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    /// `(path, message)` of each violation, in the order found.
    violations: Vec<(String, String)>,
    /// The first value that is not of its type.
    malformed: Option<ApiError>,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The decoded value, the first unreadable value, or one `ValidationException` listing
    /// every violation, worded as AWS's JSON services word them ("2 validation errors
    /// detected: Value 'x' at 'analyzerName' failed to satisfy constraint: …; …"), with
    /// `reason: fieldValidationFailed` and one `fieldList` entry per violation.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if let Some(malformed) = self.malformed {
            return Err(malformed);
        }
        let n = self.violations.len();
        if n == 0 {
            return Ok(value);
        }
        let noun = if n == 1 { "error" } else { "errors" };
        let messages: Vec<&str> = self.violations.iter().map(|(_, m)| m.as_str()).collect();
        let fields: Vec<Value> = self
            .violations
            .iter()
            .map(|(name, message)| serde_json::json!({ "name": name, "message": message }))
            .collect();
        Err(ApiError::new(
            ErrorCode::ValidationException,
            format!("{n} validation {noun} detected: {}", messages.join("; ")),
        )
        .with("reason", Value::from("fieldValidationFailed"))
        .with("fieldList", Value::Array(fields)))
    }

    /// A required member of the structure `object`; JSON `null` is absence.
    pub(crate) fn req<T: Default>(
        &mut self,
        object: &Value,
        parent: &Key,
        name: &str,
        decode: DecodeFn<T>,
    ) -> T {
        let key = parent.member(name);
        match object.get(name).filter(|v| !v.is_null()) {
            Some(v) => decode(self, v, &key),
            None => {
                self.null(&key);
                T::default()
            }
        }
    }

    /// An optional member of the structure `object`.
    pub(crate) fn opt<T>(
        &mut self,
        object: &Value,
        parent: &Key,
        name: &str,
        decode: DecodeFn<T>,
    ) -> Option<T> {
        let key = parent.member(name);
        object
            .get(name)
            .filter(|v| !v.is_null())
            .map(|v| decode(self, v, &key))
    }

    /// A structure: its value must be a JSON object.
    pub(crate) fn structure<'v>(&mut self, value: &'v Value, key: &Key) -> &'v Value {
        static EMPTY: Value = Value::Null;
        if value.is_object() {
            value
        } else {
            self.malformed(key, "structure");
            &EMPTY
        }
    }

    /// A union: exactly one member set. Returns the member's name and value.
    pub(crate) fn union<'v>(
        &mut self,
        value: &'v Value,
        key: &Key,
        members: &[&'static str],
    ) -> Option<(&'static str, &'v Value)> {
        let Some(object) = value.as_object() else {
            self.malformed(key, "union");
            return None;
        };
        let set: Vec<(&'static str, &Value)> = members
            .iter()
            .filter_map(|m| object.get(*m).filter(|v| !v.is_null()).map(|v| (*m, v)))
            .collect();
        match set.as_slice() {
            [one] => Some(*one),
            _ => {
                // AWS does not document this wording; oxiam names the rule broken.
                self.violations.push((
                    key.0.clone(),
                    format!(
                        "Value at '{}' failed to satisfy constraint: Member must have exactly one member set",
                        key.0
                    ),
                ));
                None
            }
        }
    }

    pub(crate) fn string(&mut self, value: &Value, key: &Key, rule: &StrRule) -> String {
        let Some(text) = value.as_str() else {
            self.malformed(key, "string");
            return String::new();
        };
        let shown = (!rule.sensitive).then_some(text);
        // AWS measures string lengths in UTF-16 code units (Java's `String.length`).
        self.check_len(key, shown, text.encode_utf16().count(), &rule.len);
        if let Some(pattern) = rule.pattern
            && !pattern.matches(text)
        {
            self.violate(
                key,
                shown,
                &format!(
                    "Member must satisfy regular expression pattern: {}",
                    pattern.source()
                ),
            );
        }
        if !rule.values.is_empty() && !rule.values.contains(&text) {
            // JSON services name the set (unlike IAM's Query answer).
            self.violate(
                key,
                shown,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    rule.values.join(", ")
                ),
            );
        }
        text.to_owned()
    }

    pub(crate) fn int(&mut self, value: &Value, key: &Key, rule: &NumRule) -> i32 {
        let Some(n) = value.as_i64().and_then(|n| i32::try_from(n).ok()) else {
            self.malformed(key, "integer");
            return 0;
        };
        let shown = n.to_string();
        if let Some(min) = rule.min.filter(|&min| i64::from(n) < min) {
            self.violate(
                key,
                Some(&shown),
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
        if let Some(max) = rule.max.filter(|&max| i64::from(n) > max) {
            self.violate(
                key,
                Some(&shown),
                &format!("Member must have value less than or equal to {max}"),
            );
        }
        n
    }

    pub(crate) fn boolean(&mut self, value: &Value, key: &Key) -> bool {
        value.as_bool().unwrap_or_else(|| {
            self.malformed(key, "boolean");
            false
        })
    }

    /// ISO 8601 text or epoch seconds, as AWS's JSON services accept both.
    pub(crate) fn timestamp(&mut self, value: &Value, key: &Key) -> DateTime {
        let parsed = match value {
            Value::String(s) => DateTime::parse_iso8601(s),
            Value::Number(n) => n
                .as_f64()
                .and_then(|s| {
                    #[expect(
                        clippy::cast_possible_truncation,
                        reason = "whole seconds of a timestamp"
                    )]
                    let whole = s.trunc() as i64;
                    time::OffsetDateTime::from_unix_timestamp(whole).ok()
                })
                .map(DateTime),
            _ => None,
        };
        parsed.unwrap_or_else(|| {
            self.malformed(key, "timestamp");
            DateTime::default()
        })
    }

    pub(crate) fn list<T>(
        &mut self,
        value: &Value,
        key: &Key,
        rule: &LenRule,
        item: DecodeFn<T>,
    ) -> Vec<T> {
        let Some(items) = value.as_array() else {
            self.malformed(key, "list");
            return Vec::new();
        };
        let out: Vec<T> = items
            .iter()
            .enumerate()
            .map(|(i, v)| item(self, v, &key.item(i + 1)))
            .collect();
        // AWS quotes a list of scalars as Java prints it, `[a, b]`.
        let scalars: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
        let shown = scalars.map(|values| format!("[{}]", values.join(", ")));
        self.check_len(key, shown.as_deref(), out.len(), rule);
        out
    }

    pub(crate) fn map<T>(
        &mut self,
        value: &Value,
        key: &Key,
        rule: &LenRule,
        entry_key: DecodeFn<String>,
        entry_value: DecodeFn<T>,
    ) -> BTreeMap<String, T> {
        let Some(object) = value.as_object() else {
            self.malformed(key, "map");
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (k, v) in object {
            let name = entry_key(self, &Value::String(k.clone()), key);
            let v = entry_value(self, v, &key.member(k));
            out.insert(name, v);
        }
        self.check_len(key, None, out.len(), rule);
        out
    }

    fn check_len(&mut self, key: &Key, shown: Option<&str>, len: usize, rule: &LenRule) {
        let len = len as u64;
        if let Some(min) = rule.min.filter(|&min| len < min) {
            self.violate(
                key,
                shown,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if let Some(max) = rule.max.filter(|&max| len > max) {
            self.violate(
                key,
                shown,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    fn malformed(&mut self, key: &Key, kind: &str) {
        if self.malformed.is_none() {
            self.malformed = Some(cannot_parse(&format!(
                "the value at '{}' is not a {kind}",
                key.0
            )));
        }
    }

    fn null(&mut self, key: &Key) {
        self.violations.push((
            key.0.clone(),
            format!(
                "Value null at '{}' failed to satisfy constraint: Member must not be null",
                key.0
            ),
        ));
    }

    fn violate(&mut self, key: &Key, shown: Option<&str>, constraint: &str) {
        let message = match shown {
            Some(value) => format!(
                "Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
                key.0
            ),
            None => format!(
                "Value at '{}' failed to satisfy constraint: {constraint}",
                key.0
            ),
        };
        self.violations.push((key.0.clone(), message));
    }
}

/// A value that writes itself as JSON.
pub(crate) trait JsonEncode {
    fn to_json(&self) -> Value;
}

impl JsonEncode for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl JsonEncode for i32 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl JsonEncode for bool {
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl JsonEncode for DateTime {
    /// The model's `timestampFormat: iso8601`.
    fn to_json(&self) -> Value {
        Value::String(self.to_iso8601())
    }
}

impl<T: JsonEncode> JsonEncode for Vec<T> {
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(JsonEncode::to_json).collect())
    }
}

impl<T: JsonEncode> JsonEncode for BTreeMap<String, T> {
    fn to_json(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
    }
}

/// A required member of a structure.
pub(crate) fn field<T: JsonEncode>(object: &mut Map<String, Value>, name: &str, value: &T) {
    object.insert(name.to_owned(), value.to_json());
}

/// An optional member: left out when absent.
pub(crate) fn opt_field<T: JsonEncode>(
    object: &mut Map<String, Value>,
    name: &str,
    value: Option<&T>,
) {
    if let Some(v) = value {
        object.insert(name.to_owned(), v.to_json());
    }
}

/// The member of a union: `{"name": value}`.
pub(crate) fn union_member<T: JsonEncode>(name: &str, value: &T) -> Value {
    let mut object = Map::new();
    object.insert(name.to_owned(), value.to_json());
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_labels_and_decode_them() {
        assert_eq!(
            match_route("/analyzer/{analyzerName}", "/analyzer/my%20a"),
            Some(vec![("analyzerName", "my a".to_owned())])
        );
        assert_eq!(
            match_route(
                "/tags/{resourceArn}",
                "/tags/arn%3Aaws%3Aaccess-analyzer%3Aus-east-1%3A1%3Aanalyzer%2Fa"
            ),
            Some(vec![(
                "resourceArn",
                "arn:aws:access-analyzer:us-east-1:1:analyzer/a".to_owned()
            )])
        );
        assert_eq!(
            match_route("/analyzer/{analyzerName}", "/analyzer/a/b"),
            None
        );
        assert_eq!(match_route("/analyzer/{analyzerName}", "/analyzer/"), None);
        assert_eq!(match_route("/analyzer", "/analyzer"), Some(vec![]));
        assert_eq!(match_route("/analyzer", "/analyzers"), None);
    }

    #[test]
    fn assemble_reads_query_kinds_and_rejects_bad_bodies() {
        let req = HttpRequest {
            method: "GET",
            path: "/analyzer",
            query: "maxResults=5&type=ACCOUNT&tagKeys=a&tagKeys=b%20c",
            body: b"",
        };
        let bindings = [
            ("maxResults", Loc::Query, Kind::Int),
            ("type", Loc::Query, Kind::Str),
            ("tagKeys", Loc::Query, Kind::List),
        ];
        let v = assemble(&req, vec![], &bindings).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"maxResults": 5, "type": "ACCOUNT", "tagKeys": ["a", "b c"]})
        );
        let bad = HttpRequest {
            query: "maxResults=x",
            ..req
        };
        let err = assemble(&bad, vec![], &bindings).unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationException);
        let body = HttpRequest {
            body: b"[1]",
            query: "",
            ..req
        };
        assert_eq!(
            assemble(&body, vec![], &bindings).unwrap_err().code,
            ErrorCode::ValidationException
        );
    }

    #[test]
    fn violations_are_collected_with_their_paths() {
        let mut d = Decoder::new();
        let rule = StrRule::new(Some(1), Some(3));
        let v = serde_json::json!({"a": "toolong", "n": 7});
        let a = d.req(&v, &Key::root(), "a", |d, v, k| {
            d.string(v, k, &StrRule::new(Some(1), Some(3)))
        });
        let _ = d.req(&v, &Key::root(), "b", |d, v, k| {
            d.string(v, k, &StrRule::new(None, None))
        });
        assert_eq!(a, "toolong");
        let _ = rule;
        let err = d.finish(()).unwrap_err();
        assert_eq!(
            err.message,
            "2 validation errors detected: Value 'toolong' at 'a' failed to satisfy constraint: \
             Member must have length less than or equal to 3; Value null at 'b' failed to satisfy \
             constraint: Member must not be null"
        );
        let fields = err.extra.iter().find(|(k, _)| *k == "fieldList").unwrap();
        assert_eq!(fields.1.as_array().unwrap().len(), 2);
    }

    #[test]
    fn a_value_of_another_type_cannot_be_parsed() {
        let mut d = Decoder::new();
        let v = serde_json::json!({"n": "x"});
        let _ = d.req(&v, &Key::root(), "n", |d, v, k| {
            d.int(v, k, &NumRule::new(None, None))
        });
        let err = d.finish(()).unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationException);
        assert!(err.extra.contains(&("reason", Value::from("cannotParse"))));
    }
}
