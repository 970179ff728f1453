//! `Condition` blocks read for comparison: whether one statement's conditions imply
//! another's (every request context that satisfies the first satisfies the second), decided
//! entry by entry with the engine's semantics (`oxiam-policy`'s `condition` module).
//!
//! # Map
//! - [`Entry`]: one `"operator": {"key": values}` pair, split like the engine splits it
//!   (qualifier, base operator, `…IfExists`).
//! - [`Conditions`]: a statement's entries (all must hold); [`Conditions::implies`].
//!
//! # Soundness
//! `a.implies(b)` is true only when it holds for every context: each entry of `b` is
//! implied by one entry of `a` with the same key, by the rules of [`Entry::implies`]. Any
//! pair it cannot compare counts as "does not imply", which makes a check FAIL, never PASS.

use oxiam_policy::{Operator, SetQualifier, parse_operator};
use serde_json::Value;

use crate::pattern::{Glob, ResourceShape, Role, Syntax, resource_includes};

/// One condition entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) set: SetQualifier,
    pub(crate) op: Operator,
    pub(crate) if_exists: bool,
    /// ASCII-lowercased (keys are case-insensitive).
    pub(crate) key: String,
    /// The values as text (numbers and booleans in their JSON form).
    pub(crate) values: Vec<String>,
}

/// A statement's condition entries; all must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Conditions(pub(crate) Vec<Entry>);

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Conditions {
    /// Reads a statement's `Condition` element (already validated by the engine). An
    /// operator this does not know becomes an entry no other entry implies.
    pub(crate) fn read(block: Option<&Value>) -> Conditions {
        let mut out = Vec::new();
        let Some(Value::Object(ops)) = block else {
            return Conditions(out);
        };
        for (name, keys) in ops {
            let Value::Object(keys) = keys else { continue };
            let (set, op, if_exists) =
                parse_operator(name).unwrap_or((SetQualifier::None, Operator::Null, false));
            let known = parse_operator(name).is_some();
            for (key, values) in keys {
                let values: Vec<String> = match values {
                    Value::Array(a) => a.iter().filter_map(text).collect(),
                    v => text(v).into_iter().collect(),
                };
                out.push(Entry {
                    set,
                    op,
                    if_exists,
                    // An unknown operator keeps a key nothing else has.
                    key: if known {
                        key.to_ascii_lowercase()
                    } else {
                        format!("\u{0}{name}\u{0}{key}")
                    },
                    values,
                });
            }
        }
        Conditions(out)
    }

    /// No entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every context satisfying `self` satisfies `other`.
    pub(crate) fn implies(&self, other: &Conditions) -> bool {
        other
            .0
            .iter()
            .all(|e| self.0.iter().any(|s| s.key == e.key && s.implies(e)))
    }
}

/// The family of an operator: entries of one family compare values the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    StringIgnoreCase,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

fn family(op: Operator) -> Family {
    use Operator as O;
    match op {
        O::StringEquals | O::StringNotEquals | O::StringLike | O::StringNotLike => Family::String,
        O::StringEqualsIgnoreCase | O::StringNotEqualsIgnoreCase => Family::StringIgnoreCase,
        O::NumericEquals
        | O::NumericNotEquals
        | O::NumericLessThan
        | O::NumericLessThanEquals
        | O::NumericGreaterThan
        | O::NumericGreaterThanEquals => Family::Numeric,
        O::DateEquals
        | O::DateNotEquals
        | O::DateLessThan
        | O::DateLessThanEquals
        | O::DateGreaterThan
        | O::DateGreaterThanEquals => Family::Date,
        O::Bool => Family::Bool,
        O::BinaryEquals => Family::Binary,
        O::IpAddress | O::NotIpAddress => Family::Ip,
        O::ArnEquals | O::ArnLike | O::ArnNotEquals | O::ArnNotLike => Family::Arn,
        O::Null => Family::Null,
    }
}

/// A numeric bound: the set of numbers a numeric operator's values match.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Range {
    /// `< x` (`strict`) or `≤ x`.
    Below { x: f64, strict: bool },
    /// `> x` or `≥ x`.
    Above { x: f64, strict: bool },
}

impl Entry {
    /// What the entry yields for a missing (or empty) key.
    fn when_missing(&self) -> bool {
        if self.op == Operator::Null {
            return self.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        }
        match self.set {
            _ if self.if_exists => true,
            SetQualifier::None => self.op.is_negated(),
            SetQualifier::ForAnyValue => false,
            SetQualifier::ForAllValues => true,
        }
    }

    /// `self` holds ⇒ `other` holds, for every context (same key assumed).
    pub(crate) fn implies(&self, other: &Entry) -> bool {
        if self == other {
            return true;
        }
        // A missing key may satisfy `self`; then it must satisfy `other`.
        if self.when_missing() && !other.when_missing() {
            return false;
        }
        if self.op == Operator::Null || other.op == Operator::Null {
            // `Null` only with `Null`: the answers `self` accepts, `other` accepts.
            return self.op == other.op
                && self.values.iter().all(|v| {
                    other
                        .values
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case("true") == v.eq_ignore_ascii_case("true"))
                });
        }
        // A present key: each qualifier turns the per-value predicate into the answer the
        // same way, so per-value implication carries over between equal qualifiers.
        if self.set != other.set || family(self.op) != family(other.op) {
            return false;
        }
        match (self.op.is_negated(), other.op.is_negated()) {
            // Positive: the values `self` matches are among those `other` matches.
            (false, false) => matched_within(self, other),
            // Negated: the values `other` matches (and so rejects) `self` rejects too.
            (true, true) => matched_within(other, self),
            _ => false,
        }
    }
}

/// Every context value `x` matches (in the positive sense of its operator), `y` matches.
fn matched_within(x: &Entry, y: &Entry) -> bool {
    match family(x.op) {
        Family::String | Family::StringIgnoreCase => {
            let syntax = |e: &Entry| Syntax {
                wildcards: matches!(e.op, Operator::StringLike | Operator::StringNotLike),
                variables: true,
                fold: family(e.op) == Family::StringIgnoreCase,
            };
            x.values.iter().all(|v| {
                let included = Glob::new(v, Role::Included, syntax(x));
                y.values
                    .iter()
                    .any(|w| Glob::new(w, Role::Including, syntax(y)).includes(&included))
            })
        }
        Family::Arn => x.values.iter().all(|v| {
            // `ArnEquals` and `ArnLike` match alike: segment-wise with wildcards.
            matches!(
                ResourceShape::new(v, Role::Included),
                ResourceShape::Segments(_)
            ) && y.values.iter().any(|w| resource_includes(w, v))
        }),
        Family::Bool => x.values.iter().all(|v| {
            y.values
                .iter()
                .any(|w| w.eq_ignore_ascii_case(v) && !w.contains("${"))
        }),
        Family::Numeric => numeric_within(x, y),
        // Dates, binary values and addresses: the same operator and a subset of the same
        // values (as written) match a subset of values.
        Family::Date | Family::Binary | Family::Ip => {
            x.op == y.op
                && x.values.iter().all(|v| y.values.contains(v))
                && !x.values.iter().any(|v| v.contains("${"))
        }
        Family::Null => false,
    }
}

/// Numbers: values were validated by the engine, which reads them with `str::parse` after
/// trimming, so reading them the same way gives the engine's numbers.
fn numbers(e: &Entry) -> Option<Vec<f64>> {
    e.values
        .iter()
        .map(|v| v.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
        .collect()
}

fn numeric_within(x: &Entry, y: &Entry) -> bool {
    use Operator as O;
    let (Some(xs), Some(ys)) = (numbers(x), numbers(y)) else {
        return false;
    };
    // The values an operator matches: the union over its policy values.
    let range = |op: Operator, ns: &[f64]| -> Option<Range> {
        let max = ns.iter().copied().reduce(f64::max)?;
        let min = ns.iter().copied().reduce(f64::min)?;
        match op {
            O::NumericLessThan => Some(Range::Below {
                x: max,
                strict: true,
            }),
            O::NumericLessThanEquals => Some(Range::Below {
                x: max,
                strict: false,
            }),
            O::NumericGreaterThan => Some(Range::Above {
                x: min,
                strict: true,
            }),
            O::NumericGreaterThanEquals => Some(Range::Above {
                x: min,
                strict: false,
            }),
            _ => None,
        }
    };
    let in_range = |n: f64, r: Range| match r {
        Range::Below { x, strict } => n < x || (!strict && n == x),
        Range::Above { x, strict } => n > x || (!strict && n == x),
    };
    let equality = |op: Operator| matches!(op, O::NumericEquals | O::NumericNotEquals);
    match (equality(x.op), equality(y.op)) {
        // A finite set inside another set or a range.
        (true, true) => xs.iter().all(|n| ys.contains(n)),
        (true, false) => range(y.op, &ys).is_some_and(|r| xs.iter().all(|&n| in_range(n, r))),
        (false, true) => false,
        (false, false) => match (range(x.op, &xs), range(y.op, &ys)) {
            (Some(Range::Below { x: a, strict: sa }), Some(Range::Below { x: b, strict: sb })) => {
                a < b || (a == b && (sa || !sb))
            }
            (Some(Range::Above { x: a, strict: sa }), Some(Range::Above { x: b, strict: sb })) => {
                a > b || (a == b && (sa || !sb))
            }
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conds(json: &str) -> Conditions {
        Conditions::read(Some(&serde_json::from_str(json).unwrap()))
    }

    #[test]
    fn identical_and_stronger_conditions_imply() {
        let mfa = conds(r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#);
        assert!(mfa.implies(&mfa));
        assert!(mfa.implies(&Conditions::default()));
        assert!(!Conditions::default().implies(&mfa));
        let two = conds(r#"{"StringEquals":{"aws:username":["a","b"]}}"#);
        let one = conds(r#"{"StringEquals":{"AWS:UserName":"a"}}"#);
        assert!(one.implies(&two));
        assert!(!two.implies(&one));
        let like = conds(r#"{"StringLike":{"aws:username":"a*"}}"#);
        assert!(one.implies(&like));
        assert!(!like.implies(&one));
        let not_two = conds(r#"{"StringNotEquals":{"aws:username":["a","b"]}}"#);
        let not_one = conds(r#"{"StringNotEquals":{"aws:username":"a"}}"#);
        assert!(not_two.implies(&not_one));
        assert!(!not_one.implies(&not_two));
        // Extra entries only narrow.
        let both =
            conds(r#"{"StringEquals":{"aws:username":"a"},"Bool":{"aws:SecureTransport":"true"}}"#);
        assert!(both.implies(&one) && !one.implies(&both));
    }

    #[test]
    fn numeric_ranges() {
        let lt10 = conds(r#"{"NumericLessThan":{"s3:max-keys":"10"}}"#);
        let lt20 = conds(r#"{"NumericLessThan":{"s3:max-keys":20}}"#);
        let le10 = conds(r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#);
        let eq5 = conds(r#"{"NumericEquals":{"s3:max-keys":"5"}}"#);
        assert!(lt10.implies(&lt20) && !lt20.implies(&lt10));
        assert!(lt10.implies(&le10) && !le10.implies(&lt10));
        assert!(eq5.implies(&lt10) && !lt10.implies(&eq5));
    }

    #[test]
    fn missing_keys_and_qualifiers() {
        let ie = conds(r#"{"StringEqualsIfExists":{"k:k":"a"}}"#);
        let plain = conds(r#"{"StringEquals":{"k:k":"a"}}"#);
        assert!(plain.implies(&ie) && !ie.implies(&plain));
        let all = conds(r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}"#);
        let all2 = conds(r#"{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}"#);
        assert!(all.implies(&all2) && !all2.implies(&all));
        // ForAllValues holds for a missing key, ForAnyValue does not.
        let any = conds(r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["a","b"]}}"#);
        assert!(!all.implies(&any));
        let null = conds(r#"{"Null":{"k:k":"true"}}"#);
        assert!(null.implies(&null) && !null.implies(&plain));
        // A variable on the including side matches nothing for sure.
        let var = conds(r#"{"StringLike":{"k:k":"${aws:username}*"}}"#);
        assert!(!plain.implies(&var));
    }
}
