//! The `Condition` element: every AWS condition operator, the `…IfExists` variants, the
//! `ForAllValues:`/`ForAnyValue:` set qualifiers, and `Null`. Values are parsed once at compile
//! time (numbers, dates, CIDRs, base64), so evaluation only compares.
//!
//! Semantics (AWS "Condition operators" and "Multivalued context keys"):
//! - several keys in one operator block, and several operator blocks: all must hold (AND);
//! - several values for one key: any may match (OR); a negated operator (`StringNotEquals`,
//!   `NotIpAddress`, …) holds when the context value matches none of them;
//! - a missing key: positive operators are false, negated operators are true, `…IfExists`
//!   is true;
//! - `ForAnyValue:` is false for a missing or empty key, `ForAllValues:` is true for one;
//! - a single-valued operator on a multivalued key holds if any value matches (negated: if
//!   none does).

use std::net::IpAddr;

use base64::Engine as _;

use crate::arn::ArnPattern;
use crate::context::{Context, ContextValue, Variables};
use crate::wildcard::{Pattern, Syntax};

/// The base operator, without qualifier or `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// Exact, case-sensitive.
    StringEquals,
    /// Negated `StringEquals`.
    StringNotEquals,
    /// Exact, ignoring case.
    StringEqualsIgnoreCase,
    /// Negated `StringEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// Case-sensitive with `*` and `?`.
    StringLike,
    /// Negated `StringLike`.
    StringNotLike,
    /// `=` on numbers.
    NumericEquals,
    /// `≠` on numbers.
    NumericNotEquals,
    /// `<`.
    NumericLessThan,
    /// `≤`.
    NumericLessThanEquals,
    /// `>`.
    NumericGreaterThan,
    /// `≥`.
    NumericGreaterThanEquals,
    /// Same instant.
    DateEquals,
    /// Different instant.
    DateNotEquals,
    /// Before.
    DateLessThan,
    /// At or before.
    DateLessThanEquals,
    /// After.
    DateGreaterThan,
    /// At or after.
    DateGreaterThanEquals,
    /// `true`/`false`, ignoring case.
    Bool,
    /// Base64 byte comparison.
    BinaryEquals,
    /// Inside one of the CIDR blocks.
    IpAddress,
    /// Inside none of the CIDR blocks.
    NotIpAddress,
    /// Segment-wise ARN match with wildcards.
    ArnEquals,
    /// Same as `ArnEquals`.
    ArnLike,
    /// Negated `ArnEquals`.
    ArnNotEquals,
    /// Negated `ArnLike`.
    ArnNotLike,
    /// Key absent (`true`) or present (`false`).
    Null,
}

const OPERATORS: &[(&str, Operator)] = &[
    ("StringEquals", Operator::StringEquals),
    ("StringNotEquals", Operator::StringNotEquals),
    ("StringEqualsIgnoreCase", Operator::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        Operator::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", Operator::StringLike),
    ("StringNotLike", Operator::StringNotLike),
    ("NumericEquals", Operator::NumericEquals),
    ("NumericNotEquals", Operator::NumericNotEquals),
    ("NumericLessThan", Operator::NumericLessThan),
    ("NumericLessThanEquals", Operator::NumericLessThanEquals),
    ("NumericGreaterThan", Operator::NumericGreaterThan),
    (
        "NumericGreaterThanEquals",
        Operator::NumericGreaterThanEquals,
    ),
    ("DateEquals", Operator::DateEquals),
    ("DateNotEquals", Operator::DateNotEquals),
    ("DateLessThan", Operator::DateLessThan),
    ("DateLessThanEquals", Operator::DateLessThanEquals),
    ("DateGreaterThan", Operator::DateGreaterThan),
    ("DateGreaterThanEquals", Operator::DateGreaterThanEquals),
    ("Bool", Operator::Bool),
    ("BinaryEquals", Operator::BinaryEquals),
    ("IpAddress", Operator::IpAddress),
    ("NotIpAddress", Operator::NotIpAddress),
    ("ArnEquals", Operator::ArnEquals),
    ("ArnLike", Operator::ArnLike),
    ("ArnNotEquals", Operator::ArnNotEquals),
    ("ArnNotLike", Operator::ArnNotLike),
    ("Null", Operator::Null),
];

impl Operator {
    /// True for operators that hold when the value matches none of the policy values.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Self::StringNotEquals
                | Self::StringNotEqualsIgnoreCase
                | Self::StringNotLike
                | Self::NumericNotEquals
                | Self::DateNotEquals
                | Self::NotIpAddress
                | Self::ArnNotEquals
                | Self::ArnNotLike
        )
    }

    /// AWS's name of the operator.
    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(n, _)| n)
    }
}

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    /// No qualifier: the key is treated as single-valued.
    None,
    /// Every value of the key must satisfy the operator (true for a missing or empty key).
    ForAllValues,
    /// At least one value must satisfy the operator (false for a missing or empty key).
    ForAnyValue,
}

/// A full operator name split into its parts: `ForAnyValue:StringLikeIfExists` →
/// (`ForAnyValue`, `StringLike`, if-exists); `None` for a name AWS does not accept. Public
/// for tools that read conditions as the engine does (policy analysis).
pub fn parse_operator(name: &str) -> Option<(SetQualifier, Operator, bool)> {
    let (set, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
        (SetQualifier::ForAllValues, r)
    } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (SetQualifier::ForAnyValue, r)
    } else {
        (SetQualifier::None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let op = OPERATORS
        .iter()
        .find(|(n, _)| *n == base)
        .map(|(_, op)| *op)?;
    if op == Operator::Null && if_exists {
        return None;
    }
    Some((set, op, if_exists))
}

/// Compiled values of one condition key.
#[derive(Debug, Clone, PartialEq)]
enum Values {
    /// String operators; `ignore_case` for the `…IgnoreCase` ones.
    Strings {
        patterns: Box<[Pattern]>,
        ignore_case: bool,
    },
    Numbers(Box<[f64]>),
    /// Nanoseconds since the Unix epoch.
    Dates(Box<[i128]>),
    Bools(Box<[Box<str>]>),
    Binary(Box<[Vec<u8>]>),
    Cidrs(Box<[Cidr]>),
    Arns(Box<[ArnPattern]>),
    /// `Null`: the wanted answer to "is the key absent?" for each value.
    Null(Box<[bool]>),
}

/// One `"operator": { "key": values }` entry, compiled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub(crate) op: Operator,
    pub(crate) set: SetQualifier,
    pub(crate) if_exists: bool,
    /// INVARIANT (lowercase-key): ASCII-lowercased, for `Context::get_hashed`.
    key: Box<str>,
    /// `key_hash(key)`.
    key_hash: u64,
    values: Values,
}

/// A condition value AWS's parser rejects (`The policy failed legacy parsing`); the index
/// of the offending value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadValue(pub usize);

impl Condition {
    /// A condition that always (`holds`) or never holds: `Null` with every or no answer
    /// wanted.
    pub(crate) fn constant(holds: bool) -> Self {
        let wanted: Box<[bool]> = if holds {
            Box::new([true, false])
        } else {
            Box::new([])
        };
        Self {
            op: Operator::Null,
            set: SetQualifier::None,
            if_exists: false,
            key: "".into(),
            key_hash: crate::action::key_hash(""),
            values: Values::Null(wanted),
        }
    }

    /// The condition key (lowercased).
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The operator as written: set qualifier, name, `IfExists`.
    pub(crate) fn operator_name(&self) -> String {
        let set = match self.set {
            SetQualifier::None => "",
            SetQualifier::ForAnyValue => "ForAnyValue:",
            SetQualifier::ForAllValues => "ForAllValues:",
        };
        let if_exists = if self.if_exists { "IfExists" } else { "" };
        format!("{set}{}{if_exists}", self.op.name())
    }

    /// True if the condition reads a key for which `open` is true: its own key or a
    /// variable in its values. The constant condition reads none.
    pub(crate) fn reads(&self, open: &dyn Fn(&str) -> bool) -> bool {
        if self.key.is_empty() {
            return false;
        }
        if open(&self.key) {
            return true;
        }
        match &self.values {
            Values::Strings { patterns, .. } => patterns
                .iter()
                .any(|p| p.variable_keys().iter().any(|k| open(k))),
            Values::Arns(patterns) => patterns
                .iter()
                .any(|p| p.variable_keys().iter().any(|k| open(k))),
            Values::Numbers(_)
            | Values::Dates(_)
            | Values::Bools(_)
            | Values::Binary(_)
            | Values::Cidrs(_)
            | Values::Null(_) => false,
        }
    }
    /// Compiles one key's values for `op`. `variables` is false in 2008-10-17 policies.
    pub(crate) fn compile(
        set: SetQualifier,
        op: Operator,
        if_exists: bool,
        key: &str,
        raw: &[&str],
        variables: bool,
    ) -> Result<Self, BadValue> {
        use Operator as O;
        let each = |f: &dyn Fn(&str) -> Option<()>| -> Result<(), BadValue> {
            raw.iter()
                .enumerate()
                .try_for_each(|(i, v)| f(v).ok_or(BadValue(i)))
        };
        let values = match op {
            O::StringEquals
            | O::StringNotEquals
            | O::StringEqualsIgnoreCase
            | O::StringNotEqualsIgnoreCase
            | O::StringLike
            | O::StringNotLike => {
                let syntax = Syntax {
                    wildcards: matches!(op, O::StringLike | O::StringNotLike),
                    variables,
                };
                Values::Strings {
                    patterns: raw.iter().map(|v| Pattern::compile(v, syntax)).collect(),
                    ignore_case: matches!(
                        op,
                        O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase
                    ),
                }
            }
            O::NumericEquals
            | O::NumericNotEquals
            | O::NumericLessThan
            | O::NumericLessThanEquals
            | O::NumericGreaterThan
            | O::NumericGreaterThanEquals => {
                each(&|v| parse_number(v).map(|_| ()))?;
                Values::Numbers(raw.iter().filter_map(|v| parse_number(v)).collect())
            }
            O::DateEquals
            | O::DateNotEquals
            | O::DateLessThan
            | O::DateLessThanEquals
            | O::DateGreaterThan
            | O::DateGreaterThanEquals => {
                each(&|v| parse_date(v).map(|_| ()))?;
                Values::Dates(raw.iter().filter_map(|v| parse_date(v)).collect())
            }
            O::Bool => Values::Bools(raw.iter().map(|v| v.to_ascii_lowercase().into()).collect()),
            O::BinaryEquals => {
                each(&|v| decode_base64(v).map(|_| ()))?;
                Values::Binary(raw.iter().filter_map(|v| decode_base64(v)).collect())
            }
            O::IpAddress | O::NotIpAddress => {
                each(&|v| Cidr::parse(v).map(|_| ()))?;
                Values::Cidrs(raw.iter().filter_map(|v| Cidr::parse(v)).collect())
            }
            O::ArnEquals | O::ArnLike | O::ArnNotEquals | O::ArnNotLike => {
                let syntax = Syntax {
                    wildcards: true,
                    variables,
                };
                Values::Arns(raw.iter().map(|v| ArnPattern::compile(v, syntax)).collect())
            }
            O::Null => Values::Null(raw.iter().map(|v| v.eq_ignore_ascii_case("true")).collect()),
        };
        let key = key.to_ascii_lowercase();
        Ok(Self {
            op,
            set,
            if_exists,
            key_hash: crate::action::key_hash(&key),
            key: key.into_boxed_str(),
            values,
        })
    }

    /// Evaluates the condition against the request context.
    #[cfg(test)]
    pub(crate) fn evaluate(&self, ctx: &Context) -> bool {
        self.evaluate_with(ctx, &Variables::new(ctx))
    }

    /// `evaluate` with the evaluation's resolved policy variables.
    pub(crate) fn evaluate_with(&self, ctx: &Context, variables: &Variables<'_>) -> bool {
        // A policy value whose variable has no value matches nothing: positive operators
        // are false for it, inverted ones true (AWS "Policy variables with no value").
        let value = ctx.get_hashed(&self.key, self.key_hash);
        // An empty multivalued key counts as missing for every operator.
        let present = value.filter(|v| !v.is_empty());
        if let Values::Null(wanted) = &self.values {
            let absent = present.is_none();
            return wanted.contains(&absent);
        }
        let negated = self.op.is_negated();
        let Some(value) = present else {
            return match self.set {
                _ if self.if_exists => true,
                SetQualifier::None => negated,
                SetQualifier::ForAnyValue => false,
                SetQualifier::ForAllValues => true,
            };
        };
        let vars = |k: &str, hash: u64| variables.get(k, hash);
        let holds = |v: &str| self.matches_any(v, &vars) != negated;
        match (self.set, value) {
            (SetQualifier::None, ContextValue::Single(v)) => holds(v),
            // A single-valued operator on a multivalued key: positive operators hold if any
            // value matches, negated ones if no value matches.
            (SetQualifier::None, ContextValue::Multi(vs)) => {
                let any = vs.iter().any(|v| self.matches_any(v, &vars));
                any != negated
            }
            (SetQualifier::ForAnyValue, v) => v.values().any(holds),
            (SetQualifier::ForAllValues, v) => v.values().all(holds),
        }
    }

    /// True if the context value `v` matches at least one policy value, in the positive
    /// sense of the operator (`StringNotEquals` → equals).
    fn matches_any<'v>(&self, v: &str, vars: &dyn Fn(&str, u64) -> Option<&'v str>) -> bool {
        use Operator as O;
        match &self.values {
            Values::Strings {
                patterns,
                ignore_case,
            } => patterns.iter().any(|p| p.matches(v, *ignore_case, vars)),
            Values::Numbers(ns) => {
                let Some(x) = parse_number(v) else {
                    return false;
                };
                ns.iter().any(|n| match self.op {
                    O::NumericLessThan => x < *n,
                    O::NumericLessThanEquals => x <= *n,
                    O::NumericGreaterThan => x > *n,
                    O::NumericGreaterThanEquals => x >= *n,
                    _ => x == *n,
                })
            }
            Values::Dates(ds) => {
                let Some(x) = parse_date(v) else {
                    return false;
                };
                ds.iter().any(|d| match self.op {
                    O::DateLessThan => x < *d,
                    O::DateLessThanEquals => x <= *d,
                    O::DateGreaterThan => x > *d,
                    O::DateGreaterThanEquals => x >= *d,
                    _ => x == *d,
                })
            }
            Values::Bools(bs) => bs.iter().any(|b| b.eq_ignore_ascii_case(v)),
            Values::Binary(bs) => match decode_base64(v) {
                Some(x) => bs.contains(&x),
                None => false,
            },
            Values::Cidrs(cs) => match parse_ip(v) {
                Some(ip) => cs.iter().any(|c| c.contains(ip)),
                None => false,
            },
            Values::Arns(ps) => ps.iter().any(|p| p.matches(v, vars)),
            Values::Null(_) => false,
        }
    }
}

/// Numbers as AWS accepts them: integers and decimals, optionally signed.
fn parse_number(s: &str) -> Option<f64> {
    let s = s.trim();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let ok = !digits.is_empty()
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.');
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Dates: epoch seconds (a signed integer that fits in 64 bits) or ISO 8601
/// `YYYY[-MM[-DD]][T[H]H[:MM[:SS[.fraction]]]][Z|±HH[[:]MM]]`. Returns nanoseconds since
/// the epoch.
pub(crate) fn parse_date(s: &str) -> Option<i128> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && digits.len() > 4 {
        let secs: i64 = s.parse().ok()?;
        return Some(i128::from(secs) * 1_000_000_000);
    }
    parse_iso8601(s)
}

fn parse_iso8601(s: &str) -> Option<i128> {
    let mut r = Reader {
        s: s.as_bytes(),
        i: 0,
    };
    let year = r.number(1, 4)?;
    let (mut month, mut day) = (1, 1);
    if r.eat(b'-') {
        month = r.number(2, 2)?;
        if r.eat(b'-') {
            day = r.number(2, 2)?;
        }
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let (mut h, mut mi, mut sec, mut nanos) = (0, 0, 0, 0i128);
    let mut offset_secs = 0i64;
    if r.eat(b'T') || r.eat(b't') {
        if let Some(hh) = r.number(1, 2) {
            h = hh;
            if r.eat(b':') {
                mi = r.number(2, 2)?;
                if r.eat(b':') {
                    sec = r.number(2, 2)?;
                    if r.eat(b'.') {
                        let start = r.i;
                        let frac = r.number(1, 9)?;
                        let width = u32::try_from(r.i - start).ok()?;
                        nanos = i128::from(frac) * 10i128.pow(9 - width);
                    }
                }
            }
        }
        if h > 24 || mi > 59 || sec > 60 {
            return None;
        }
        if r.eat(b'Z') || r.eat(b'z') {
        } else if let Some(sign) = r.sign() {
            let oh = r.number(2, 2)?;
            r.eat(b':');
            let om = r.number(2, 2).unwrap_or(0);
            if oh > 23 || om > 59 {
                return None;
            }
            offset_secs = sign * (oh * 3600 + om * 60);
        }
    }
    if r.i != r.s.len() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset_secs;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn sign(&mut self) -> Option<i64> {
        if self.eat(b'+') {
            Some(1)
        } else if self.eat(b'-') {
            Some(-1)
        } else {
            None
        }
    }

    /// Between `min` and `max` decimal digits.
    fn number(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.i;
        let mut v = 0i64;
        while self.i - start < max {
            match self.s.get(self.i) {
                Some(b) if b.is_ascii_digit() => {
                    v = v * 10 + i64::from(b - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// An IPv4 or IPv6 CIDR block; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    /// The network address, IPv4 in the low 32 bits.
    network: u128,
    /// Mask over the address bits.
    mask: u128,
    v4: bool,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = addr.trim().parse().ok()?;
        let (bits, v4, value) = match ip {
            IpAddr::V4(a) => (32u32, true, u128::from(u32::from(a))),
            IpAddr::V6(a) => (128u32, false, u128::from(a)),
        };
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u32>().ok().filter(|p| *p <= bits)?,
            None => bits,
        };
        let all = if bits == 128 {
            u128::MAX
        } else {
            (1u128 << bits) - 1
        };
        let mask = if prefix == 0 {
            0
        } else {
            all & !((1u128 << (bits - prefix)).wrapping_sub(1))
        };
        Some(Self {
            network: value & mask,
            mask,
            v4,
        })
    }

    fn contains(&self, ip: (u128, bool)) -> bool {
        ip.1 == self.v4 && ip.0 & self.mask == self.network
    }
}

/// A request's source IP (an address, or an address with a prefix length, which is ignored).
fn parse_ip(s: &str) -> Option<(u128, bool)> {
    let addr = s
        .bytes()
        .position(|b| b == b'/')
        .and_then(|i| s.get(..i))
        .unwrap_or(s)
        .trim();
    // The common case without the generic parser (which tries several forms).
    if let Some(v4) = parse_ipv4(addr) {
        return Some((u128::from(v4), true));
    }
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some((u128::from(u32::from(a)), true)),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => Some((u128::from(u32::from(v4)), true)),
            None => Some((u128::from(a), false)),
        },
    }
}

/// A dotted-quad IPv4 address exactly as `Ipv4Addr::from_str` accepts it (four decimal
/// octets of one to three digits, no leading zero, each at most 255), read in one pass.
fn parse_ipv4(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut value = 0u32;
    for n in 0..4 {
        if n > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut octet = 0u32;
        while let Some(&d) = b.get(i) {
            if !d.is_ascii_digit() || i - start == 3 {
                break;
            }
            octet = octet * 10 + u32::from(d - b'0');
            i += 1;
        }
        let digits = i - start;
        if digits == 0 || octet > 255 || (digits > 1 && b.get(start) == Some(&b'0')) {
            return None;
        }
        value = (value << 8) | octet;
    }
    (i == b.len()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_fast_path_agrees_with_std() {
        for s in [
            "203.0.113.25",
            "0.0.0.0",
            "255.255.255.255",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "1.2.3.04",
            "1.2.3.0",
            "1234.1.1.1",
            "1..2.3",
            "1.2.3.4 ",
            "",
            "::1",
            "a.b.c.d",
            "1.2.3.-4",
            "+1.2.3.4",
            "10.000.0.1",
        ] {
            let std = s.parse::<std::net::Ipv4Addr>().ok().map(u32::from);
            assert_eq!(parse_ipv4(s), std, "{s:?}");
        }
    }

    fn cond(op: &str, key: &str, values: &[&str]) -> Condition {
        let (set, op, if_exists) = parse_operator(op).unwrap();
        let raw: Vec<&str> = values.to_vec();
        Condition::compile(set, op, if_exists, key, &raw, true).unwrap()
    }

    fn ctx(pairs: &[(&str, ContextValue)]) -> Context {
        let mut c = Context::new();
        for (k, v) in pairs {
            c.insert(k, v.clone());
        }
        c
    }

    fn single(k: &str, v: &str) -> Context {
        ctx(&[(k, v.into())])
    }

    #[test]
    fn operator_names() {
        assert_eq!(
            parse_operator("ForAnyValue:StringLikeIfExists"),
            Some((SetQualifier::ForAnyValue, Operator::StringLike, true))
        );
        assert!(parse_operator("ForAnyValue::StringEquals").is_none());
        assert!(parse_operator("NullIfExists").is_none());
        assert!(parse_operator("stringequals").is_none());
        assert_eq!(Operator::ArnNotLike.name(), "ArnNotLike");
    }

    #[test]
    fn string_operators() {
        let c = cond("StringEquals", "aws:username", &["alice", "bob"]);
        assert!(c.evaluate(&single("aws:username", "bob")));
        assert!(!c.evaluate(&single("aws:username", "Bob")));
        assert!(!c.evaluate(&Context::new()));
        let n = cond("StringNotEquals", "aws:username", &["alice", "bob"]);
        assert!(!n.evaluate(&single("aws:username", "bob")));
        assert!(n.evaluate(&single("aws:username", "carol")));
        // Negated operators hold when the key is missing.
        assert!(n.evaluate(&Context::new()));
        let ic = cond("StringEqualsIgnoreCase", "k:k", &["ABC"]);
        assert!(ic.evaluate(&single("k:k", "abc")));
        let nic = cond("StringNotEqualsIgnoreCase", "k:k", &["ABC"]);
        assert!(!nic.evaluate(&single("k:k", "abc")));
        let like = cond("StringLike", "s3:prefix", &["home/*", "a?c"]);
        assert!(like.evaluate(&single("s3:prefix", "home/x/y")));
        assert!(like.evaluate(&single("s3:prefix", "abc")));
        assert!(!like.evaluate(&single("s3:prefix", "Home/x")));
        let notlike = cond("StringNotLike", "s3:prefix", &["home/*"]);
        assert!(notlike.evaluate(&single("s3:prefix", "x")));
        assert!(!notlike.evaluate(&single("s3:prefix", "home/")));
        // StringEquals does not expand wildcards.
        let lit = cond("StringEquals", "k:k", &["a*"]);
        assert!(!lit.evaluate(&single("k:k", "abc")));
        assert!(lit.evaluate(&single("k:k", "a*")));
        // Key names are case-insensitive.
        assert!(c.evaluate(&single("AWS:USERNAME", "alice")));
    }

    #[test]
    fn variables_in_condition_values() {
        let c = cond(
            "StringEquals",
            "ec2:ResourceTag/Owner",
            &["${aws:username}"],
        );
        let good = ctx(&[
            ("aws:username", "al".into()),
            ("ec2:ResourceTag/Owner", "al".into()),
        ]);
        let bad = ctx(&[
            ("aws:username", "al".into()),
            ("ec2:ResourceTag/Owner", "bo".into()),
        ]);
        assert!(c.evaluate(&good));
        assert!(!c.evaluate(&bad));
    }

    #[test]
    fn if_exists() {
        let c = cond("StringEqualsIfExists", "ec2:InstanceType", &["t2.micro"]);
        assert!(c.evaluate(&Context::new()));
        assert!(c.evaluate(&single("ec2:InstanceType", "t2.micro")));
        assert!(!c.evaluate(&single("ec2:InstanceType", "m5.large")));
        let b = cond("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"]);
        assert!(b.evaluate(&Context::new()));
        assert!(!b.evaluate(&single("aws:MultiFactorAuthPresent", "true")));
    }

    #[test]
    fn numeric_operators() {
        let lt = cond("NumericLessThan", "s3:max-keys", &["10"]);
        assert!(lt.evaluate(&single("s3:max-keys", "9")));
        assert!(!lt.evaluate(&single("s3:max-keys", "10")));
        assert!(!lt.evaluate(&single("s3:max-keys", "abc")));
        let le = cond("NumericLessThanEquals", "k:n", &["10"]);
        assert!(le.evaluate(&single("k:n", "10.0")));
        let gt = cond("NumericGreaterThan", "k:n", &["1.5"]);
        assert!(gt.evaluate(&single("k:n", "2")));
        let ge = cond("NumericGreaterThanEquals", "k:n", &["-3"]);
        assert!(ge.evaluate(&single("k:n", "-3")));
        let ne = cond("NumericNotEquals", "k:n", &["1", "2"]);
        assert!(ne.evaluate(&single("k:n", "3")));
        assert!(!ne.evaluate(&single("k:n", "2")));
        let eq = cond("NumericEquals", "k:n", &["7"]);
        assert!(eq.evaluate(&single("k:n", "7")));
        let raw = vec!["ten"];
        assert_eq!(
            Condition::compile(
                SetQualifier::None,
                Operator::NumericEquals,
                false,
                "k",
                &raw,
                true
            ),
            Err(BadValue(0))
        );
    }

    #[test]
    fn date_operators_and_formats() {
        let d = |s| parse_date(s).unwrap() / 1_000_000_000;
        assert_eq!(d("1970-01-01T00:00:00Z"), 0);
        assert_eq!(d("2019-07-01T13:20:15Z"), 1_561_987_215);
        assert_eq!(d("1561987215"), 1_561_987_215);
        assert_eq!(d("2016-12-13T21:20:37.593194+00:00"), 1_481_664_037);
        assert_eq!(d("2020-01-01"), 1_577_836_800);
        assert_eq!(d("2020-01-01T01:00:00+01:00"), 1_577_836_800);
        assert_eq!(d("-292275054"), -292_275_054);
        assert!(parse_date("2016-12-13t2:00:00.593194+23").is_some());
        assert!(parse_date("01T").is_some());
        assert!(parse_date("234-13").is_none());
        assert!(parse_date("sdfdsf").is_none());
        assert!(parse_date("2016-12-13t2:00:00.593194+1").is_none());
        assert!(parse_date("2016-12-13t2:00:00.1999999999+10:59").is_none());
        assert!(parse_date("9223372036854775808").is_none());
        assert!(parse_date("2021-02-29").is_none());
        let before = cond("DateLessThan", "aws:CurrentTime", &["2020-01-01T00:00:00Z"]);
        assert!(before.evaluate(&single("aws:CurrentTime", "2019-12-31T23:59:59Z")));
        assert!(!before.evaluate(&single("aws:CurrentTime", "2020-01-01T00:00:00Z")));
        // Epoch context values compare with ISO policy values.
        assert!(before.evaluate(&single("aws:CurrentTime", "1577836799")));
        let after = cond("DateGreaterThanEquals", "aws:EpochTime", &["1577836800"]);
        assert!(after.evaluate(&single("aws:EpochTime", "2020-01-01T00:00:00Z")));
        let ne = cond("DateNotEquals", "k:d", &["2020-01-01T00:00:00Z"]);
        assert!(ne.evaluate(&single("k:d", "2020-01-02T00:00:00Z")));
        let le = cond("DateLessThanEquals", "k:d", &["2020-01-01T00:00:00Z"]);
        assert!(le.evaluate(&single("k:d", "2020-01-01T00:00:00Z")));
        let gt = cond("DateGreaterThan", "k:d", &["2020-01-01T00:00:00Z"]);
        assert!(!gt.evaluate(&single("k:d", "2020-01-01T00:00:00Z")));
        let eq = cond("DateEquals", "k:d", &["2020-01-01T00:00:00Z"]);
        assert!(eq.evaluate(&single("k:d", "2020-01-01T00:00:00.000Z")));
    }

    #[test]
    fn bool_and_binary() {
        let b = cond("Bool", "aws:SecureTransport", &["true"]);
        assert!(b.evaluate(&single("aws:SecureTransport", "TRUE")));
        assert!(!b.evaluate(&single("aws:SecureTransport", "false")));
        assert!(!b.evaluate(&Context::new()));
        let bin = cond("BinaryEquals", "k:b", &["QmluYXJ5VmFsdWU="]);
        assert!(bin.evaluate(&single("k:b", "QmluYXJ5VmFsdWU=")));
        assert!(!bin.evaluate(&single("k:b", "QmluYXJ5VmFsdWV=")));
        let raw = vec!["!!"];
        assert!(
            Condition::compile(
                SetQualifier::None,
                Operator::BinaryEquals,
                false,
                "k",
                &raw,
                true
            )
            .is_err()
        );
    }

    #[test]
    fn ip_operators() {
        let ip = cond(
            "IpAddress",
            "aws:SourceIp",
            &["203.0.113.0/24", "2001:db8::/32"],
        );
        assert!(ip.evaluate(&single("aws:SourceIp", "203.0.113.7")));
        assert!(!ip.evaluate(&single("aws:SourceIp", "203.0.114.7")));
        assert!(ip.evaluate(&single("aws:SourceIp", "2001:db8:1::5")));
        assert!(!ip.evaluate(&single("aws:SourceIp", "2001:db9::5")));
        assert!(!ip.evaluate(&single("aws:SourceIp", "garbage")));
        let not = cond("NotIpAddress", "aws:SourceIp", &["10.0.0.0/8"]);
        assert!(not.evaluate(&single("aws:SourceIp", "11.0.0.1")));
        assert!(!not.evaluate(&single("aws:SourceIp", "10.1.2.3")));
        let host = cond("IpAddress", "aws:SourceIp", &["192.0.2.1"]);
        assert!(host.evaluate(&single("aws:SourceIp", "192.0.2.1")));
        assert!(!host.evaluate(&single("aws:SourceIp", "192.0.2.2")));
        let all = cond("IpAddress", "aws:SourceIp", &["0.0.0.0/0"]);
        assert!(all.evaluate(&single("aws:SourceIp", "8.8.8.8")));
        assert!(!all.evaluate(&single("aws:SourceIp", "::1")));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
    }

    #[test]
    fn arn_operators() {
        let a = cond(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:sns:*:123456789012:topic-*"],
        );
        assert!(a.evaluate(&single(
            "aws:SourceArn",
            "arn:aws:sns:us-east-1:123456789012:topic-a"
        )));
        assert!(!a.evaluate(&single(
            "aws:SourceArn",
            "arn:aws:sns:us-east-1:999999999999:topic-a"
        )));
        let e = cond("ArnEquals", "aws:SourceArn", &["arn:aws:s3:::bucket"]);
        assert!(e.evaluate(&single("aws:SourceArn", "arn:aws:s3:::bucket")));
        let n = cond(
            "ArnNotLike",
            "aws:PrincipalArn",
            &["arn:aws:iam::*:role/Admin"],
        );
        assert!(n.evaluate(&single("aws:PrincipalArn", "arn:aws:iam::1:role/Dev")));
        assert!(!n.evaluate(&single("aws:PrincipalArn", "arn:aws:iam::1:role/Admin")));
        let ne = cond(
            "ArnNotEquals",
            "aws:PrincipalArn",
            &["arn:aws:iam::1:role/Admin"],
        );
        assert!(ne.evaluate(&Context::new()));
    }

    #[test]
    fn null_operator() {
        let t = cond("Null", "aws:TokenIssueTime", &["true"]);
        assert!(t.evaluate(&Context::new()));
        assert!(!t.evaluate(&single("aws:TokenIssueTime", "x")));
        let f = cond("Null", "aws:TokenIssueTime", &["false"]);
        assert!(f.evaluate(&single("aws:TokenIssueTime", "x")));
        assert!(!f.evaluate(&Context::new()));
        // An empty multivalued key is null.
        assert!(t.evaluate(&ctx(&[("aws:TagKeys", ContextValue::Multi(vec![]))])));
    }

    #[test]
    fn set_qualifiers_truth_table() {
        let keys = |v: &[&str]| ctx(&[("aws:TagKeys", ContextValue::from(v))]);
        let all = cond("ForAllValues:StringEquals", "aws:TagKeys", &["a", "b"]);
        assert!(all.evaluate(&keys(&["a"])));
        assert!(all.evaluate(&keys(&["a", "b"])));
        assert!(!all.evaluate(&keys(&["a", "c"])));
        // Missing or empty key: ForAllValues holds.
        assert!(all.evaluate(&Context::new()));
        assert!(all.evaluate(&keys(&[])));
        let any = cond("ForAnyValue:StringEquals", "aws:TagKeys", &["a", "b"]);
        assert!(any.evaluate(&keys(&["c", "b"])));
        assert!(!any.evaluate(&keys(&["c", "d"])));
        assert!(!any.evaluate(&Context::new()));
        assert!(!any.evaluate(&keys(&[])));
        // Negated operators inside qualifiers apply per value.
        let any_not = cond("ForAnyValue:StringNotEquals", "aws:TagKeys", &["a"]);
        assert!(any_not.evaluate(&keys(&["a", "b"])));
        assert!(!any_not.evaluate(&keys(&["a"])));
        let all_not = cond("ForAllValues:StringNotLike", "aws:TagKeys", &["x*"]);
        assert!(all_not.evaluate(&keys(&["a", "b"])));
        assert!(!all_not.evaluate(&keys(&["a", "xy"])));
        // ForAnyValue with IfExists holds for a missing key.
        let any_ie = cond("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", &["a"]);
        assert!(any_ie.evaluate(&Context::new()));
        // A single-valued operator on a multivalued key.
        let single_op = cond("StringEquals", "aws:TagKeys", &["a"]);
        assert!(single_op.evaluate(&keys(&["b", "a"])));
        let single_neg = cond("StringNotEquals", "aws:TagKeys", &["a"]);
        assert!(!single_neg.evaluate(&keys(&["b", "a"])));
        assert!(single_neg.evaluate(&keys(&["b", "c"])));
    }
}
