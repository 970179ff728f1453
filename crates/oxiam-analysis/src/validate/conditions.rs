//! The `Condition` element: operators (with `ForAllValues:`/`ForAnyValue:` and `IfExists`),
//! keys (AWS's global keys from the catalogue's table, service keys from the catalogue),
//! each key's type against the operator, each value against the operator, qualifiers
//! against single- and multivalued keys, policy variables.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use oxiam_catalogue::KeyType;

use super::grammar::{Element, Statement, data_type_mismatch};
use super::json::{Member, Node, Value};
use super::{Ctx, IssueCode, Location, Path, variables};

/// The kind of values an operator compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

const OPERATORS: [(&str, Family); 27] = [
    ("StringEquals", Family::String),
    ("StringNotEquals", Family::String),
    ("StringEqualsIgnoreCase", Family::String),
    ("StringNotEqualsIgnoreCase", Family::String),
    ("StringLike", Family::String),
    ("StringNotLike", Family::String),
    ("NumericEquals", Family::Numeric),
    ("NumericNotEquals", Family::Numeric),
    ("NumericLessThan", Family::Numeric),
    ("NumericLessThanEquals", Family::Numeric),
    ("NumericGreaterThan", Family::Numeric),
    ("NumericGreaterThanEquals", Family::Numeric),
    ("DateEquals", Family::Date),
    ("DateNotEquals", Family::Date),
    ("DateLessThan", Family::Date),
    ("DateLessThanEquals", Family::Date),
    ("DateGreaterThan", Family::Date),
    ("DateGreaterThanEquals", Family::Date),
    ("Bool", Family::Bool),
    ("BinaryEquals", Family::Binary),
    ("IpAddress", Family::Ip),
    ("NotIpAddress", Family::Ip),
    ("ArnEquals", Family::Arn),
    ("ArnLike", Family::Arn),
    ("ArnNotEquals", Family::Arn),
    ("ArnNotLike", Family::Arn),
    ("Null", Family::Null),
];

/// `ForAllValues:` / `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    None,
    ForAllValues,
    ForAnyValue,
}

/// An operator name split: `ForAnyValue:StringLikeIfExists`.
struct Operator<'a> {
    name: &'a str,
    base: &'a str,
    family: Family,
    qualifier: Qualifier,
    if_exists: bool,
}

fn parse_operator(name: &str) -> Option<Operator<'_>> {
    let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
        (Qualifier::ForAllValues, r)
    } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
        (Qualifier::ForAnyValue, r)
    } else {
        (Qualifier::None, name)
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (rest, false),
    };
    let (_, family) = OPERATORS.iter().find(|(n, _)| *n == base)?;
    Some(Operator {
        name,
        base,
        family: *family,
        qualifier,
        if_exists,
    })
}

pub(crate) fn check(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    let Some(condition) = &s.condition else {
        return;
    };
    let Value::Object(blocks) = &condition.member.value.value else {
        return;
    };
    if blocks.is_empty() {
        let at = ctx.node_location(&condition.path, &condition.member.value);
        ctx.report(
            IssueCode::EmptyObjectCondition,
            "This condition block is empty and it does not affect the policy. Specify conditions."
                .into(),
            vec![at],
        );
    }
    for block in blocks {
        operator_block(ctx, condition, block);
    }
}

fn operator_block(ctx: &mut Ctx<'_>, condition: &Element<'_, '_>, block: &Member<'_>) {
    let Some(op) = parse_operator(&block.key) else {
        let at = ctx.location(
            &condition.path.key(&block.key),
            block.key_start,
            block.key_end,
        );
        ctx.report(
            IssueCode::InvalidConditionOperator,
            format!(
                "The condition operator {} is not valid. Use a valid condition operator.",
                block.key
            ),
            vec![at],
        );
        return;
    };
    let path = condition.path.value(op.name);
    if op.family == Family::Null {
        let key_at = ctx.location(&condition.path.key(op.name), block.key_start, block.key_end);
        if op.if_exists {
            ctx.report(
                IssueCode::NullWithIfExists,
                "The Null condition operator cannot be used with the IfExists suffix. Update the operator or the suffix.".into(),
                vec![key_at.clone()],
            );
        }
        if op.qualifier != Qualifier::None {
            ctx.report(
                IssueCode::NullWithQualifier,
                "Avoid using the Null condition operator with the ForAllValues or ForAnyValue qualifiers because they always return a true or false respectively.".into(),
                vec![key_at],
            );
        }
    }
    let Value::Object(keys) = &block.value.value else {
        data_type_mismatch(ctx, &path, &block.value, "Object");
        return;
    };
    for (i, key) in keys.iter().enumerate() {
        let twin = keys
            .iter()
            .take(i)
            .any(|k| k.key != key.key && k.key.eq_ignore_ascii_case(&key.key));
        if twin {
            let at = ctx.location(&path.key(&key.key), key.key_start, key.key_end);
            ctx.report(
                IssueCode::DuplicateKeysWithDifferentCase,
                format!(
                    "The condition key {} appears more than once with different capitalization in the same condition block. Remove the duplicate condition keys.",
                    key.key
                ),
                vec![at],
            );
        }
        condition_key(ctx, &op, &path, key);
    }
}

/// What a key's values are, as far as the catalogue knows.
enum KeyInfo {
    /// Known, with its types.
    Known(Vec<KeyType>),
    /// Accepted without a type (an identity provider's key: `accounts.google.com:sub`).
    Untyped,
    /// Reported.
    Invalid,
}

fn key_info(ctx: &mut Ctx<'_>, path: &Path, key: &Member<'_>) -> KeyInfo {
    let name = key.key.as_ref();
    let at = ctx.location(&path.key(name), key.key_start, key.key_end);
    let Some((prefix, rest)) = name
        .split_once(':')
        .filter(|(p, r)| !p.is_empty() && !r.is_empty())
    else {
        ctx.report(
            IssueCode::InvalidConditionKeyFormat,
            "The condition key format is not valid. Use the format service:keyname.".into(),
            vec![at],
        );
        return KeyInfo::Invalid;
    };
    if prefix.eq_ignore_ascii_case("aws") {
        if rest.eq_ignore_ascii_case("ARN") {
            ctx.report(
                IssueCode::UnsupportedGlobalConditionKey,
                format!("The condition key {name} is not supported. Use aws:PrincipalArn or aws:SourceArn instead."),
                vec![at],
            );
            return KeyInfo::Invalid;
        }
        let tag = ["RequestTag", "ResourceTag", "PrincipalTag"]
            .iter()
            .find(|t| rest.trim_end_matches('/').eq_ignore_ascii_case(t));
        if let Some(tag) = tag {
            ctx.report(
                IssueCode::MissingTagKeyInCondition,
                format!("The condition key {name} must include a tag key to control access based on tags. Use the format aws:{tag}/tag-key and specify a key name for tag-key."),
                vec![at],
            );
            return KeyInfo::Invalid;
        }
        if let Some(global) = ctx.catalogue.global_condition_key(name) {
            return KeyInfo::Known(global.types.to_vec());
        }
        if let Some(listed) = ctx.catalogue.condition_key(name) {
            return KeyInfo::Known(vec![listed.key_type]);
        }
        ctx.report(
            IssueCode::InvalidGlobalConditionKey,
            format!("The condition key {name} does not exist. Use a valid condition key."),
            vec![at],
        );
        return KeyInfo::Invalid;
    }
    if let Some(listed) = ctx.catalogue.condition_key(name) {
        return KeyInfo::Known(vec![listed.key_type]);
    }
    if ctx.catalogue.service(prefix).is_some() {
        ctx.report(
            IssueCode::InvalidServiceConditionKey,
            format!("The condition key {name} does not exist in the service {prefix}. Use a valid condition key."),
            vec![at],
        );
        return KeyInfo::Invalid;
    }
    // Identity providers' keys (`token.actions.githubusercontent.com:sub`,
    // `oidc.eks.….amazonaws.com/id/…:aud`) name the provider, not a service; the catalogue
    // lists only some providers.
    if prefix.contains(['.', '/']) {
        return KeyInfo::Untyped;
    }
    ctx.report(
        IssueCode::InvalidService,
        format!("The service {prefix} does not exist. Use a valid service name."),
        vec![at],
    );
    KeyInfo::Invalid
}

fn condition_key(ctx: &mut Ctx<'_>, op: &Operator<'_>, path: &Path, key: &Member<'_>) {
    let info = key_info(ctx, path, key);
    let name = key.key.as_ref();
    let path = path.value(name);
    let value_at = ctx.node_location(&path, &key.value);

    // The values, each with its path and node.
    let values: Vec<(String, &Node<'_>, Path)> = match &key.value.value {
        Value::Array(items) => {
            let kinds = |f: fn(&Value<'_>) -> bool| items.iter().any(|i| f(&i.value));
            let mixed = [
                kinds(|v| matches!(v, Value::String(_))),
                kinds(|v| matches!(v, Value::Number(_))),
                kinds(|v| matches!(v, Value::Bool(_))),
            ]
            .iter()
            .filter(|k| **k)
            .count()
                > 1;
            if mixed {
                ctx.report(
                    IssueCode::InvalidConditionDataType,
                    "The condition value data types do not match. Use condition values of the same JSON data type.".into(),
                    vec![value_at.clone()],
                );
            }
            if items.is_empty() {
                let (code, details) = match (op.qualifier, op.if_exists) {
                    (Qualifier::ForAllValues, _) => (
                        IssueCode::EmptyArrayConditionForAllValues,
                        "The ForAllValues prefix with an empty condition key matches only if the key is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.",
                    ),
                    (Qualifier::ForAnyValue, _) => (
                        IssueCode::EmptyArrayConditionForAnyValue,
                        "The ForAnyValue prefix with an empty condition key never matches the request context and it does not affect the policy. Specify conditions.",
                    ),
                    (Qualifier::None, true) => (
                        IssueCode::EmptyArrayConditionIfExists,
                        "The IfExists suffix with an empty condition key matches only if the key is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.",
                    ),
                    (Qualifier::None, false) => (
                        IssueCode::EmptyArrayCondition,
                        "There are no values for the condition key and it does not affect the policy. Specify conditions.",
                    ),
                };
                ctx.report(code, details.into(), vec![value_at.clone()]);
            }
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match scalar(&item.value) {
                    Some(text) => Some((text, item, path.index(i))),
                    None => {
                        data_type_mismatch(ctx, &path.index(i), item, "String");
                        None
                    }
                })
                .collect()
        }
        other => match scalar(other) {
            Some(text) => vec![(text, &key.value, path.clone())],
            None => {
                data_type_mismatch(ctx, &path, &key.value, "String");
                return;
            }
        },
    };

    if let KeyInfo::Known(types) = &info {
        let elements: Vec<KeyType> = types.iter().map(|t| t.element()).collect();
        if op.family != Family::Null && !elements.iter().any(|t| compatible(op.family, *t)) {
            let expected = elements.first().copied().unwrap_or(KeyType::String);
            ctx.report(
                IssueCode::TypeMismatch,
                format!(
                    "Use the operator type {expected} instead of operator {} for the condition key {name}.",
                    op.name
                ),
                vec![value_at],
            );
            return;
        }
        let multivalued = types.iter().all(|t| t.is_array());
        if op.qualifier == Qualifier::ForAllValues && !multivalued {
            ctx.report(
                IssueCode::ForAllValuesWithSingleValuedKey,
                format!("Using ForAllValues qualifier with the single-valued condition key {name} can be overly permissive. We recommend that you remove ForAllValues:."),
                vec![value_at.clone()],
            );
        }
        if op.qualifier == Qualifier::None && multivalued && op.family != Family::Null {
            ctx.report(
                IssueCode::MissingQualifier,
                "The request context key has multiple values. Use the ForAllValues or ForAnyValue condition key qualifiers in your policy.".into(),
                vec![value_at.clone()],
            );
        }
    }

    for (text, node, path) in &values {
        condition_value(ctx, op, text, node, path);
        if op.family == Family::String && is_service_principal_key(name) {
            service_principal(ctx, text, node, path);
        }
        if op.family == Family::String
            && name.eq_ignore_ascii_case("aws:RequestedRegion")
            && !text.contains(['*', '?'])
            && !text.contains("${")
            && !super::resources::is_region_shaped(text)
        {
            let at = ctx.node_location(path, node);
            ctx.report(
                IssueCode::InvalidRegion,
                format!("The Region {text} is not valid. Update the condition value to a suported Region."),
                vec![at],
            );
        }
    }
    value_set(ctx, op, name, &values, value_at);
}

/// Checks of a key's values together: several Booleans, numeric bounds of which one
/// decides, private addresses in `aws:SourceIp`.
fn value_set(
    ctx: &mut Ctx<'_>,
    op: &Operator<'_>,
    name: &str,
    values: &[(String, &Node<'_>, Path)],
    at: Location,
) {
    match op.family {
        Family::Bool if values.len() > 1 => ctx.report(
            IssueCode::InvalidConditionMultipleBoolean,
            format!("The condition key {name} does not support multiple Boolean values. Use a single Boolean value."),
            vec![at],
        ),
        Family::Numeric if values.len() > 1 && values.iter().all(|(v, _, _)| is_number(v)) => {
            let bound = match op.base {
                "NumericLessThan" | "NumericLessThanEquals" => "greatest",
                "NumericGreaterThan" | "NumericGreaterThanEquals" => "least",
                _ => return,
            };
            ctx.report(
                IssueCode::RedundantConditionValueNum,
                format!(
                    "Multiple values in {} are redundant. Replace with the {bound} single value for {name}.",
                    op.name
                ),
                vec![at],
            );
        }
        Family::Ip if name.eq_ignore_ascii_case("aws:SourceIp") => {
            let blocks: Vec<(IpAddr, u32)> = values.iter().filter_map(|(v, _, _)| parse_cidr(v)).collect();
            let private = blocks.iter().filter(|(a, p)| is_private(*a, *p)).count();
            if private == 0 {
                return;
            }
            let negated = op.base == "NotIpAddress";
            let (code, details) = match (private == blocks.len(), negated) {
                (true, false) => (
                    IssueCode::PrivateIpAddress,
                    "aws:SourceIp works only for public IP address ranges. The values for condition key aws:SourceIp include only private IP addresses and will not have the desired effect. Update the value to include only public IP addresses.",
                ),
                (true, true) => (
                    IssueCode::PrivateNotIpAddress,
                    "The values for condition key aws:SourceIp include only private IP addresses and has no effect. aws:SourceIp works only for public IP address ranges. Update the value to include only public IP addresses.",
                ),
                (false, false) => (
                    IssueCode::PrivateIpAddressSubset,
                    "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses will not have the desired effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp.",
                ),
                (false, true) => (
                    IssueCode::PrivateNotIpAddressSubset,
                    "The values for condition key aws:SourceIp include a mix of private and public IP addresses. The private addresses have no effect. aws:SourceIp works only for public IP address ranges. To define permissions for private IP ranges, use aws:VpcSourceIp.",
                ),
            };
            ctx.report(code, details.into(), vec![at]);
        }
        _ => {}
    }
}

fn condition_value(ctx: &mut Ctx<'_>, op: &Operator<'_>, text: &str, node: &Node<'_>, path: &Path) {
    let at = ctx.node_location(path, node);
    if text.contains("${") {
        if !matches!(op.family, Family::String | Family::Arn) {
            ctx.report(
                IssueCode::InvalidVariableForOperator,
                "Policy variables can only be used with String and ARN operators.".into(),
                vec![at],
            );
            return;
        }
        if ctx.variables {
            variables::check(ctx, path, node, text);
        } else {
            ctx.report(
                IssueCode::VariableUnsupportedInVersion,
                "To include variables in your policy, use the policy version 2012-10-17 or later."
                    .into(),
                vec![at.clone()],
            );
        }
    }
    let (valid, code, details) = match op.family {
        Family::Bool => (
            text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false"),
            IssueCode::TypeMismatchBoolean,
            "Add a valid Boolean value (true or false) for the condition operator.",
        ),
        Family::Numeric => (
            is_number(text),
            IssueCode::TypeMismatchNumber,
            "Add a valid numeric value for the condition operator.",
        ),
        Family::Date => (
            is_date(text),
            IssueCode::TypeMismatchDate,
            "The date condition operator is used with an invalid value. Specify a valid date using YYYY-MM-DD or other ISO 8601 date/time format.",
        ),
        Family::Ip => (
            is_ip_range(text),
            IssueCode::TypeMismatchIpRange,
            "The condition operator is used with an invalid IP range value. Specify the IP range in standard CIDR format.",
        ),
        Family::String
            if matches!(
                op.base,
                "StringEquals"
                    | "StringNotEquals"
                    | "StringEqualsIgnoreCase"
                    | "StringNotEqualsIgnoreCase"
            ) =>
        {
            (
                !without_variables(text).contains(['*', '?']),
                IssueCode::WildcardWithoutLikeOperator,
                "Your condition value includes a * or ? character. If you meant to use a wildcard (*, ?), update the condition operator to include Like.",
            )
        }
        _ => return,
    };
    if !valid {
        ctx.report(code, details.into(), vec![at]);
        return;
    }
    // Epoch seconds are valid dates, but AWS recommends the W3C form.
    if op.family == Family::Date && text.bytes().all(|b| b.is_ascii_digit()) && text.len() != 4 {
        ctx.report(
            IssueCode::InvalidDateValue,
            format!("The date {text} might not resolve as expected. We recommend that you use the YYYY-MM-DD format."),
            vec![at],
        );
        return;
    }
    if op.family == Family::Ip
        && let Some((address, prefix)) = parse_cidr(text)
        && let Some(network) = masked(address, prefix)
    {
        ctx.report(
            IssueCode::ImproveIpRange,
            format!("The non-zero bits in the IP address after the masked bits are ignored. Replace address {text} with {network}/{prefix}."),
            vec![at],
        );
    }
}

/// Keys whose values are service principals (`ecs-tasks.amazonaws.com`).
fn is_service_principal_key(name: &str) -> bool {
    [
        "aws:PrincipalServiceName",
        "aws:PrincipalServiceNamesList",
        "aws:CalledVia",
        "aws:CalledViaFirst",
        "aws:CalledViaLast",
        "iam:PassedToService",
        "iam:AWSServiceName",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(name))
}

/// A service principal is `service-name.amazonaws.com` (`.amazonaws.com.cn` in China);
/// patterns and variables are not checked.
fn service_principal(ctx: &mut Ctx<'_>, text: &str, node: &Node<'_>, path: &Path) {
    if text.contains(['*', '?']) || text.contains("${") {
        return;
    }
    let name = text
        .strip_suffix(".amazonaws.com")
        .or_else(|| text.strip_suffix(".amazonaws.com.cn"));
    let valid = name.is_some_and(|n| {
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    });
    if !valid {
        let at = ctx.node_location(path, node);
        ctx.report(
            IssueCode::InvalidServicePrincipalFormat,
            format!("The service principal {text} does not match the expected format. Use the service-name.amazonaws.com format."),
            vec![at],
        );
    }
}

/// A condition value as text: strings, numbers and booleans are all compared as text.
fn scalar(value: &Value<'_>) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string()),
        Value::Number(n) => Some((*n).to_owned()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Operators of `family` compare keys of (element) type `key`. String operators also take
/// ARN keys (an ARN is a string); ARN operators take only ARNs.
fn compatible(family: Family, key: KeyType) -> bool {
    match family {
        Family::String => matches!(key, KeyType::String | KeyType::Arn),
        Family::Arn => key == KeyType::Arn,
        Family::Numeric => key == KeyType::Numeric,
        Family::Date => key == KeyType::Date,
        Family::Bool => key == KeyType::Bool,
        Family::Binary => key == KeyType::Binary,
        Family::Ip => key == KeyType::IpAddress,
        Family::Null => true,
    }
}

/// `text` with each `${…}` removed.
fn without_variables(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(rest.get(..start).unwrap_or(""));
        match rest.get(start..).and_then(|r| r.find('}')) {
            Some(end) => rest = rest.get(start + end + 1..).unwrap_or(""),
            None => {
                out.push_str(rest.get(start..).unwrap_or(""));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A decimal number: `-12`, `3.5`.
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// A date as AWS's date operators read it: epoch seconds, or ISO 8601
/// (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`, then `Thh:mm`, `:ss`, `.fff`, `Z` or `±hh:mm`).
fn is_date(text: &str) -> bool {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.len() != 4 {
        return true;
    }
    let (date, time) = text.split_once('T').unwrap_or((text, ""));
    let parts: Vec<&str> = date.split('-').collect();
    let number = |s: &str, len: usize, max: u32| {
        s.len() == len
            && s.bytes().all(|b| b.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    let date_ok = match parts.as_slice() {
        [y] => number(y, 4, 9999),
        [y, m] => number(y, 4, 9999) && number(m, 2, 12),
        [y, m, d] => number(y, 4, 9999) && number(m, 2, 12) && number(d, 2, 31),
        _ => false,
    };
    if !date_ok {
        return false;
    }
    if time.is_empty() {
        return !text.ends_with('T');
    }
    let (clock, zone) = match time.find(['Z', '+', '-']) {
        Some(i) => (time.get(..i).unwrap_or(""), time.get(i..).unwrap_or("")),
        None => (time, ""),
    };
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, "0"));
    let hms: Vec<&str> = hms.split(':').collect();
    let clock_ok = match hms.as_slice() {
        [h, m] => number(h, 2, 24) && number(m, 2, 59),
        [h, m, s] => number(h, 2, 24) && number(m, 2, 59) && number(s, 2, 60),
        _ => false,
    } && !fraction.is_empty()
        && fraction.bytes().all(|b| b.is_ascii_digit());
    let zone_ok = match zone {
        "" | "Z" => true,
        z => z.get(1..).is_some_and(|hm| {
            let (h, m) = hm.split_once(':').unwrap_or((hm, "00"));
            number(h, 2, 23) && number(m, 2, 59)
        }),
    };
    clock_ok && zone_ok
}

/// An IPv4 or IPv6 address or CIDR block.
fn is_ip_range(text: &str) -> bool {
    parse_cidr(text).is_some()
}

/// An address or CIDR block: the address and the prefix length (the full length for a
/// bare address).
fn parse_cidr(text: &str) -> Option<(IpAddr, u32)> {
    let (address, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let address: IpAddr = if let Ok(v4) = address.parse::<Ipv4Addr>() {
        IpAddr::V4(v4)
    } else {
        IpAddr::V6(address.parse::<Ipv6Addr>().ok()?)
    };
    let max = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u32>().ok().filter(|n| *n <= max)?
        }
        Some(_) => return None,
    };
    Some((address, prefix))
}

/// The block with the bits after the prefix cleared: `10.0.0.1/8` → `10.0.0.0/8`; `None`
/// when none are set.
fn masked(address: IpAddr, prefix: u32) -> Option<IpAddr> {
    let (bits, full) = match address {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    };
    let host = full - prefix.min(full);
    let mask = if host >= 128 { 0 } else { u128::MAX << host };
    let network = bits
        & mask
        & if full == 32 {
            u128::from(u32::MAX)
        } else {
            u128::MAX
        };
    if network == bits {
        return None;
    }
    Some(match address {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(u32::try_from(network).unwrap_or(0))),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(network)),
    })
}

/// Inside the private IPv4 ranges of RFC 1918 (10/8, 172.16/12, 192.168/16), which
/// `aws:SourceIp` never holds: requests from private addresses come through a VPC endpoint
/// and carry `aws:VpcSourceIp` instead.
fn is_private(address: IpAddr, prefix: u32) -> bool {
    let IpAddr::V4(a) = address else {
        return false;
    };
    let bits = u32::from(a);
    [(0x0A00_0000u32, 8u32), (0xAC10_0000, 12), (0xC0A8_0000, 16)]
        .iter()
        .any(|(net, len)| prefix >= *len && bits >> (32 - len) == net >> (32 - len))
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn values_parse_as_their_operators_read_them() {
        for ok in [
            "2020-01-01",
            "2020-01-01T12:00:00Z",
            "2020-01-01T12:00:00.5+02:00",
            "2020",
            "1700000000",
            "2020-06",
        ] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in [
            "yesterday",
            "2020-13-01",
            "2020-01-01T",
            "2020-01-01T25",
            "",
            "20-01-01",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
        for ok in ["10.0.0.0/8", "203.0.113.7", "2001:db8::/32", "0.0.0.0/0"] {
            assert!(is_ip_range(ok), "{ok}");
        }
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "example.com",
            "10.0.0.0/",
            "::1/129",
        ] {
            assert!(!is_ip_range(bad), "{bad}");
        }
        for ok in ["1", "-3", "2.50"] {
            assert!(is_number(ok), "{ok}");
        }
        for bad in ["one", "1.", ".5", "", "1e3", "NaN"] {
            assert!(!is_number(bad), "{bad}");
        }
        assert_eq!(without_variables("a${aws:username}b*"), "ab*");
        let block = |t: &str| parse_cidr(t).unwrap();
        let (a, p) = block("10.1.2.3/8");
        assert_eq!(masked(a, p).unwrap().to_string(), "10.0.0.0");
        let (a, p) = block("10.0.0.0/8");
        assert_eq!(masked(a, p), None);
        let (a, p) = block("2001:db8::1/32");
        assert_eq!(masked(a, p).unwrap().to_string(), "2001:db8::");
        let (a, p) = block("0.0.0.0/0");
        assert_eq!(masked(a, p), None);
        for private in [
            "10.0.0.0/8",
            "172.16.5.0/24",
            "192.168.1.1",
            "172.31.255.255/32",
        ] {
            let (a, p) = block(private);
            assert!(is_private(a, p), "{private}");
        }
        for public in [
            "11.0.0.0/8",
            "172.32.0.0/16",
            "0.0.0.0/0",
            "10.0.0.0/7",
            "2001:db8::/32",
        ] {
            let (a, p) = block(public);
            assert!(!is_private(a, p), "{public}");
        }
        let op = parse_operator("ForAnyValue:StringLikeIfExists").unwrap();
        assert_eq!(
            (op.base, op.qualifier, op.if_exists),
            ("StringLike", Qualifier::ForAnyValue, true)
        );
        assert!(parse_operator("StringEqual").is_none());
        assert!(parse_operator("stringequals").is_none());
    }
}
