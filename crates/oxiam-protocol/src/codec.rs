//! The primitives the generated decoders and encoders call.
//!
//! Decoding walks a request's [`Params`] with a [`Key`]: the wire name of a member
//! (`Tags.member.1.Key`) together with the name AWS prints for it in validation messages
//! (`tags.1.member.key`). Constraint violations are collected, not returned at the first one,
//! because AWS reports them all at once ("2 validation errors detected: …; …").
//!
//! Encoding writes members through [`XmlEncode`]: a structure writes its members as elements,
//! a list writes `<member>` elements, a map `<entry><key/><value/></entry>` elements.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::error::{ApiError, ErrorCode};
use crate::pattern::Pattern;
use crate::query::Params;
use crate::types::DateTime;
use crate::xml::XmlWriter;

/// Where a value sits: its wire name and the name AWS prints in validation messages.
#[derive(Debug, Clone, Default)]
pub(crate) struct Key {
    wire: String,
    path: String,
}

impl Key {
    /// The input structure of an operation: its members are top-level parameters.
    pub(crate) fn root() -> Self {
        Self::default()
    }

    /// A structure member: `Parent.Name` on the wire, `parent.name` in messages, where AWS
    /// prints a member name with its first letter in lower case (`UserName` → `userName`,
    /// `SAMLAssertion` → `sAMLAssertion`).
    fn member(&self, wire: &str) -> Self {
        let mut chars = wire.chars();
        let lower_first: String = chars
            .next()
            .map(|c| c.to_ascii_lowercase())
            .into_iter()
            .chain(chars)
            .collect();
        if self.wire.is_empty() {
            Self {
                wire: wire.to_owned(),
                path: lower_first,
            }
        } else {
            Self {
                wire: format!("{}.{wire}", self.wire),
                path: format!("{}.{lower_first}", self.path),
            }
        }
    }

    /// List item `n` (1-based): `Name.member.n` on the wire, `name.n.member` in messages (the
    /// order AWS prints).
    fn item(&self, n: u32) -> Self {
        Self {
            wire: format!("{}.member.{n}", self.wire),
            path: format!("{}.{n}.member", self.path),
        }
    }

    /// Map entry `n`'s key or value: `Name.entry.n.key` on the wire.
    fn entry(&self, n: u32, part: &str) -> Self {
        Self {
            wire: format!("{}.entry.{n}.{part}", self.wire),
            path: format!("{}.{n}.{part}", self.path),
        }
    }
}

/// A decoder of one shape: reads the value at `Key`, records violations in the `Decoder`.
pub(crate) type DecodeFn<T> = fn(&mut Decoder<'_>, &Key) -> T;

/// Constraints of a `string` shape, built by the generated code with the `const fn`s below.
#[derive(Debug)]
pub(crate) struct StrRule {
    /// Length bounds, in UTF-16 code units.
    pub(crate) len: LenRule,
    pub(crate) pattern: Option<&'static Pattern>,
    pub(crate) values: &'static [&'static str],
    /// Sensitive values are left out of messages, as AWS does.
    pub(crate) sensitive: bool,
}

impl StrRule {
    /// Length bounds, in UTF-16 code units.
    pub(crate) const fn new(min: Option<u64>, max: Option<u64>) -> Self {
        Self {
            len: LenRule::new(min, max),
            pattern: None,
            values: &[],
            sensitive: false,
        }
    }

    pub(crate) const fn pattern(self, pattern: &'static Pattern) -> Self {
        Self {
            pattern: Some(pattern),
            ..self
        }
    }

    /// The values of an `enum` shape.
    pub(crate) const fn values(self, values: &'static [&'static str]) -> Self {
        Self { values, ..self }
    }

    pub(crate) const fn sensitive(self) -> Self {
        Self {
            sensitive: true,
            ..self
        }
    }
}

/// Constraints of an `integer` or `long` shape.
#[derive(Debug)]
pub(crate) struct NumRule {
    pub(crate) min: Option<i64>,
    pub(crate) max: Option<i64>,
}

impl NumRule {
    pub(crate) const fn new(min: Option<i64>, max: Option<i64>) -> Self {
        Self { min, max }
    }
}

/// Length constraints of a `list`, `map` or `blob` shape (and of a `string`'s, see
/// [`StrRule`]).
#[derive(Debug)]
pub(crate) struct LenRule {
    pub(crate) min: Option<u64>,
    pub(crate) max: Option<u64>,
}

impl LenRule {
    pub(crate) const fn new(min: Option<u64>, max: Option<u64>) -> Self {
        Self { min, max }
    }
}

/// Decodes one request's parameters, collecting constraint violations.
#[derive(Debug)]
pub(crate) struct Decoder<'a> {
    params: &'a Params,
    violations: Vec<String>,
    /// The first value that could not be read as its type at all.
    malformed: Option<ApiError>,
    /// A path or path prefix outside its pattern: IAM words this one on its own, not as a
    /// constraint violation (see [`Decoder::path_invalid`]).
    path_invalid: Option<ApiError>,
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(params: &'a Params) -> Self {
        Self {
            params,
            violations: Vec::new(),
            malformed: None,
            path_invalid: None,
        }
    }

    /// The decoded value, the first `MalformedInput`, or the aggregated `ValidationError`.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if let Some(malformed) = self.malformed {
            return Err(malformed);
        }
        if let Some(path_invalid) = self.path_invalid {
            return Err(path_invalid);
        }
        let n = self.violations.len();
        if n == 0 {
            return Ok(value);
        }
        let noun = if n == 1 { "error" } else { "errors" };
        Err(ApiError::new(
            ErrorCode::ValidationError,
            format!(
                "{n} validation {noun} detected: {}",
                self.violations.join("; ")
            ),
        ))
    }

    /// A required scalar member (present when its exact name is).
    pub(crate) fn req<T: Default>(&mut self, parent: &Key, wire: &str, decode: DecodeFn<T>) -> T {
        let key = parent.member(wire);
        if self.scalar_present(&key) {
            decode(self, &key)
        } else {
            self.null(&key);
            T::default()
        }
    }

    /// An optional scalar member.
    pub(crate) fn opt<T>(&mut self, parent: &Key, wire: &str, decode: DecodeFn<T>) -> Option<T> {
        let key = parent.member(wire);
        self.scalar_present(&key).then(|| decode(self, &key))
    }

    /// Whether a scalar member is present. Names nested below a scalar (`UserName.1=…`, a
    /// scalar sent as a list) are `MalformedInput`, as AWS answers them.
    fn scalar_present(&mut self, key: &Key) -> bool {
        if self.params.get(&key.wire).is_some() {
            return true;
        }
        if self.params.has_name_or_children(&key.wire) && self.malformed.is_none() {
            self.malformed = Some(ApiError::new(
                ErrorCode::MalformedInput,
                format!(
                    "Start of list found where not expected for parameter {}",
                    key.wire
                ),
            ));
        }
        false
    }

    /// A required structure, list or map member (present when its name or a name nested
    /// below it is; botocore sends an empty list as `Name=`).
    pub(crate) fn req_nested<T: Default>(
        &mut self,
        parent: &Key,
        wire: &str,
        decode: DecodeFn<T>,
    ) -> T {
        let key = parent.member(wire);
        if self.params.has_name_or_children(&key.wire) {
            decode(self, &key)
        } else {
            self.null(&key);
            T::default()
        }
    }

    /// An optional structure, list or map member.
    pub(crate) fn opt_nested<T>(
        &mut self,
        parent: &Key,
        wire: &str,
        decode: DecodeFn<T>,
    ) -> Option<T> {
        let key = parent.member(wire);
        self.params
            .has_name_or_children(&key.wire)
            .then(|| decode(self, &key))
    }

    pub(crate) fn string(&mut self, key: &Key, rule: &StrRule) -> String {
        let value = self.params.get(&key.wire).unwrap_or_default();
        let shown = (!rule.sensitive).then_some(value);
        // AWS measures string lengths in UTF-16 code units (Java's `String.length`).
        self.check_len(key, shown, value.encode_utf16().count(), &rule.len);
        if let Some(pattern) = rule.pattern
            && !pattern.matches(value)
            && !self.path_invalid(key)
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
        if !rule.values.is_empty() && !rule.values.contains(&value) {
            // As IAM and STS answer it (recorded from AWS): neither the value nor the set is
            // named, unlike the length and pattern constraints.
            self.violate(key, None, "Member must satisfy enum value set");
        }
        value.to_owned()
    }

    pub(crate) fn int(&mut self, key: &Key, rule: &NumRule) -> i32 {
        let value = self.number(
            key,
            rule,
            "integer",
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        );
        i32::try_from(value).unwrap_or_default()
    }

    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "called by generated code only when a model has a shape of this kind"
        )
    )]
    pub(crate) fn long(&mut self, key: &Key, rule: &NumRule) -> i64 {
        self.number(key, rule, "long", i64::MIN, i64::MAX)
    }

    fn number(&mut self, key: &Key, rule: &NumRule, kind: &str, lo: i64, hi: i64) -> i64 {
        let text = self.params.get(&key.wire).unwrap_or_default();
        let Some(value) = text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|v| (lo..=hi).contains(v))
        else {
            self.malformed(key, text, kind);
            return 0;
        };
        if let Some(min) = rule.min.filter(|&min| value < min) {
            self.violate(
                key,
                Some(text),
                &format!("Member must have value greater than or equal to {min}"),
            );
        }
        if let Some(max) = rule.max.filter(|&max| value > max) {
            self.violate(
                key,
                Some(text),
                &format!("Member must have value less than or equal to {max}"),
            );
        }
        value
    }

    pub(crate) fn boolean(&mut self, key: &Key) -> bool {
        let text = self.params.get(&key.wire).unwrap_or_default();
        if text.eq_ignore_ascii_case("true") {
            true
        } else if text.eq_ignore_ascii_case("false") {
            false
        } else {
            self.malformed(key, text, "boolean");
            false
        }
    }

    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "called by generated code only when a model has a shape of this kind"
        )
    )]
    pub(crate) fn timestamp(&mut self, key: &Key) -> DateTime {
        let text = self.params.get(&key.wire).unwrap_or_default();
        // botocore's query serializer sends ISO 8601; epoch seconds are accepted as other AWS
        // SDKs may send them.
        let parsed = DateTime::parse_iso8601(text).or_else(|| {
            text.parse::<i64>()
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .map(DateTime)
        });
        parsed.unwrap_or_else(|| {
            self.malformed(key, text, "timestamp");
            DateTime::default()
        })
    }

    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "called by generated code only when a model has a shape of this kind"
        )
    )]
    pub(crate) fn blob(&mut self, key: &Key, rule: &LenRule) -> Vec<u8> {
        let text = self.params.get(&key.wire).unwrap_or_default();
        match BASE64.decode(text.trim()) {
            Ok(bytes) => {
                self.check_len(key, None, bytes.len(), rule);
                bytes
            }
            Err(_) => {
                self.malformed(key, text, "base64 blob");
                Vec::new()
            }
        }
    }

    /// A list: items `Name.member.1`, `Name.member.2`, … in index order.
    pub(crate) fn list<T>(&mut self, key: &Key, rule: &LenRule, item: DecodeFn<T>) -> Vec<T> {
        let indices = self.indices(&format!("{}.member.", key.wire));
        let keys: Vec<Key> = indices.into_iter().map(|n| key.item(n)).collect();
        let items: Vec<T> = keys.iter().map(|k| item(self, k)).collect();
        if rule.min.is_some() || rule.max.is_some() {
            // AWS quotes a list as Java prints it, `[a, b]`; that is only meaningful for lists
            // of scalars, so lists of structures are not quoted.
            let scalars: Option<Vec<&str>> =
                keys.iter().map(|k| self.params.get(&k.wire)).collect();
            let shown = scalars.map(|values| format!("[{}]", values.join(", ")));
            self.check_len(key, shown.as_deref(), items.len(), rule);
        }
        items
    }

    /// A map: entries `Name.entry.N.key` / `Name.entry.N.value`.
    pub(crate) fn map<V>(
        &mut self,
        key: &Key,
        rule: &LenRule,
        entry_key: DecodeFn<String>,
        entry_value: DecodeFn<V>,
    ) -> BTreeMap<String, V>
    where
        V: Default,
    {
        let indices = self.indices(&format!("{}.entry.", key.wire));
        let mut map = BTreeMap::new();
        for n in indices {
            let k = self.req_nested_at(&key.entry(n, "key"), entry_key);
            let v = self.req_nested_at(&key.entry(n, "value"), entry_value);
            map.insert(k, v);
        }
        self.check_len(key, None, map.len(), rule);
        map
    }

    fn req_nested_at<T: Default>(&mut self, key: &Key, decode: DecodeFn<T>) -> T {
        if self.params.has_name_or_children(&key.wire) {
            decode(self, key)
        } else {
            self.null(key);
            T::default()
        }
    }

    /// The distinct numeric indices `N` of the names `prefix` + `N` (+ `.…`), ascending.
    /// Names with a non-numeric index are not items and are ignored, as unknown parameters are.
    fn indices(&self, prefix: &str) -> Vec<u32> {
        let mut indices: Vec<u32> = self
            .params
            .with_prefix(prefix)
            .filter_map(|(name, _)| {
                let rest = name.get(prefix.len()..)?;
                let digits = rest.split('.').next()?;
                digits.parse::<u32>().ok()
            })
            .collect();
        indices.sort_unstable();
        indices.dedup();
        indices
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

    /// A value that is not of its member's type: AWS's query deserializer rejects the request
    /// with `MalformedInput` before any constraint is checked.
    fn malformed(&mut self, key: &Key, text: &str, kind: &str) {
        if self.malformed.is_none() {
            self.malformed = Some(ApiError::new(
                ErrorCode::MalformedInput,
                format!("Invalid {kind} value '{text}' for parameter {}", key.wire),
            ));
        }
    }

    fn null(&mut self, key: &Key) {
        self.violations.push(format!(
            "Value null at '{}' failed to satisfy constraint: Member must not be null",
            key.path
        ));
    }

    /// Records one violation; `shown` is the value to quote, `None` for values AWS leaves
    /// out (sensitive strings, lists, blobs).
    /// IAM's own answer to a `path` or `pathPrefix` outside its pattern (recorded from AWS:
    /// "The specified value for path is invalid. It must begin and end with / and contain
    /// only alphanumeric characters and/or / characters.", for CreateRole, CreateUser and
    /// CreateVirtualMFADevice; the pathPrefix wording for ListPolicies and ListRoles), in
    /// place of the generic constraint violation. Whether `key` is such a member.
    fn path_invalid(&mut self, key: &Key) -> bool {
        let rule = match key.path.as_str() {
            "path" => "begin and end with /",
            "pathPrefix" => "begin with the / character",
            _ => return false,
        };
        if self.path_invalid.is_none() {
            self.path_invalid = Some(ApiError::new(
                ErrorCode::ValidationError,
                format!(
                    "The specified value for {} is invalid. It must {rule} and contain only \
                     alphanumeric characters and/or / characters.",
                    key.path
                ),
            ));
        }
        true
    }

    fn violate(&mut self, key: &Key, shown: Option<&str>, constraint: &str) {
        let message = match shown {
            Some(value) => format!(
                "Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
                key.path
            ),
            None => format!(
                "Value at '{}' failed to satisfy constraint: {constraint}",
                key.path
            ),
        };
        self.violations.push(message);
    }
}

/// Reads `Action` and checks `Version`: the operation a request names.
pub(crate) fn operation<T>(
    params: &Params,
    api_version: &str,
    from_name: fn(&str) -> Option<T>,
) -> Result<T, ApiError> {
    let action = match params.get("Action") {
        Some(action) if !action.is_empty() => action,
        _ => {
            return Err(ApiError::new(
                ErrorCode::MissingAction,
                "The request must contain the parameter Action.",
            ));
        }
    };
    let version = params.get("Version").unwrap_or(api_version);
    match from_name(action) {
        Some(operation) if version == api_version => Ok(operation),
        _ => Err(ApiError::new(
            ErrorCode::InvalidAction,
            format!("Could not find operation {action} for version {version}"),
        )),
    }
}

/// A value that writes itself as XML content.
/// An operation's input type (generated for every operation): the operation it belongs to,
/// what its handler produces (`()` for operations without an output) and how that becomes
/// the service's response. Lets one table of handlers wrap every result the same way.
pub trait Input {
    type Output;
    type Response;
    /// The operation's name, as clients send it in `Action`.
    const OPERATION: &'static str;
    fn respond(output: Self::Output) -> Self::Response;
}

pub(crate) trait XmlEncode {
    /// The content: text for scalars, child elements for structures, lists and maps.
    fn encode(&self, w: &mut XmlWriter);

    /// `<name>content</name>`.
    fn encode_element(&self, name: &str, w: &mut XmlWriter) {
        w.start(name);
        self.encode(w);
        w.end(name);
    }
}

impl XmlEncode for String {
    fn encode(&self, w: &mut XmlWriter) {
        w.text(self);
    }
}

impl XmlEncode for i32 {
    fn encode(&self, w: &mut XmlWriter) {
        w.text(&self.to_string());
    }
}

impl XmlEncode for i64 {
    fn encode(&self, w: &mut XmlWriter) {
        w.text(&self.to_string());
    }
}

impl XmlEncode for bool {
    fn encode(&self, w: &mut XmlWriter) {
        w.text(if *self { "true" } else { "false" });
    }
}

impl XmlEncode for DateTime {
    fn encode(&self, w: &mut XmlWriter) {
        w.text(&self.to_iso8601());
    }
}

/// A list or map element: an empty one is `<Name/>`, so clients see an empty collection
/// rather than a missing one.
fn collection_element(c: &impl XmlEncode, is_empty: bool, name: &str, w: &mut XmlWriter) {
    if is_empty {
        w.empty(name);
    } else {
        w.start(name);
        c.encode(w);
        w.end(name);
    }
}

impl<T: XmlEncode> XmlEncode for Vec<T> {
    fn encode(&self, w: &mut XmlWriter) {
        for item in self {
            item.encode_element("member", w);
        }
    }

    fn encode_element(&self, name: &str, w: &mut XmlWriter) {
        collection_element(self, self.is_empty(), name, w);
    }
}

impl<V: XmlEncode> XmlEncode for BTreeMap<String, V> {
    fn encode(&self, w: &mut XmlWriter) {
        for (key, value) in self {
            w.start("entry");
            key.encode_element("key", w);
            value.encode_element("value", w);
            w.end("entry");
        }
    }

    fn encode_element(&self, name: &str, w: &mut XmlWriter) {
        collection_element(self, self.is_empty(), name, w);
    }
}

/// A `blob` member: base64 on the wire.
pub(crate) struct Blob<'a>(pub(crate) &'a [u8]);

impl XmlEncode for Blob<'_> {
    fn encode(&self, w: &mut XmlWriter) {
        w.text(&BASE64.encode(self.0));
    }
}

/// Writes a required member.
pub(crate) fn field<T: XmlEncode>(w: &mut XmlWriter, name: &str, value: &T) {
    value.encode_element(name, w);
}

/// Writes an optional member; `None` is left out.
pub(crate) fn opt_field<T: XmlEncode>(w: &mut XmlWriter, name: &str, value: &Option<T>) {
    if let Some(value) = value {
        value.encode_element(name, w);
    }
}

/// Writes a required `blob` member.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "called by generated code only when a model has a shape of this kind"
    )
)]
pub(crate) fn blob_field(w: &mut XmlWriter, name: &str, value: &[u8]) {
    Blob(value).encode_element(name, w);
}

/// Writes an optional `blob` member.
pub(crate) fn opt_blob_field(w: &mut XmlWriter, name: &str, value: &Option<Vec<u8>>) {
    if let Some(value) = value {
        Blob(value).encode_element(name, w);
    }
}

/// The response envelope:
///
/// ```text
/// <{Operation}Response xmlns="NS"><{resultWrapper}>…</{resultWrapper}>
///   <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{Operation}Response>
/// ```
///
/// Operations without an output shape have only `ResponseMetadata`.
pub(crate) fn envelope(
    operation: &str,
    namespace: &str,
    request_id: &str,
    result: Option<(&str, &dyn XmlEncode)>,
) -> String {
    let mut w = XmlWriter::new();
    let root = format!("{operation}Response");
    w.start_with_namespace(&root, namespace);
    if let Some((wrapper, result)) = result {
        result.encode_element(wrapper, &mut w);
    }
    w.start("ResponseMetadata");
    w.element("RequestId", request_id);
    w.end("ResponseMetadata");
    w.end(&root);
    w.finish()
}

/// Prints `***` in place of a sensitive value in `Debug` output.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoder(query: &str) -> Params {
        Params::parse(query.as_bytes()).unwrap()
    }

    fn key(name: &str) -> Key {
        Key::root().member(name)
    }

    // The models have no input blobs, longs or timestamps today; these primitives are
    // generated against as soon as one does.

    #[test]
    fn blobs_are_base64() {
        let params = decoder("B=aGVsbG8%3D&Bad=%21%21");
        let mut d = Decoder::new(&params);
        let rule = LenRule::new(Some(1), Some(4));
        assert_eq!(d.blob(&key("B"), &rule), b"hello");
        let err = d.finish(()).unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert!(err.message.contains("Value at 'b'"), "{}", err.message);
        assert!(
            err.message.contains("less than or equal to 4"),
            "{}",
            err.message
        );

        let mut d = Decoder::new(&params);
        assert!(d.blob(&key("Bad"), &rule).is_empty());
        assert_eq!(d.finish(()).unwrap_err().code, ErrorCode::MalformedInput);
    }

    #[test]
    fn longs_and_timestamps() {
        let params = decoder("L=-9000000000&T=2024-05-01T12%3A00%3A00.5Z&E=1714564800&X=soon");
        let mut d = Decoder::new(&params);
        let rule = NumRule::new(None, Some(0));
        assert_eq!(d.long(&key("L"), &rule), -9_000_000_000);
        assert_eq!(d.timestamp(&key("T")).to_iso8601(), "2024-05-01T12:00:00Z");
        assert_eq!(d.timestamp(&key("E")).to_iso8601(), "2024-05-01T12:00:00Z");
        assert!(d.finish(()).is_ok());

        let mut d = Decoder::new(&params);
        let _ = d.timestamp(&key("X"));
        let err = d.finish(()).unwrap_err();
        assert_eq!(err.code, ErrorCode::MalformedInput);
        assert_eq!(
            err.message,
            "Invalid timestamp value 'soon' for parameter X"
        );
    }

    #[test]
    fn blob_members_are_written_as_base64() {
        let mut w = XmlWriter::new();
        blob_field(&mut w, "Seed", b"hello");
        opt_blob_field(&mut w, "None", &None);
        opt_blob_field(&mut w, "Png", &Some(vec![0xff, 0x00]));
        assert_eq!(w.finish(), "<Seed>aGVsbG8=</Seed><Png>/wA=</Png>");
    }

    #[test]
    fn redacted_prints_stars() {
        assert_eq!(format!("{:?}", Some(Redacted)), "Some(***)");
    }
}
