//! `Principal` and `NotPrincipal`: which policy types take them, their form (`"*"` or an
//! object of `AWS`, `CanonicalUser`, `Federated`, `Service` keys), wildcards, unique IDs
//! where ARNs are recommended, and `Allow` with `NotPrincipal`.

use super::grammar::{Effect, Element, Entry, Statement, data_type_mismatch};
use super::json::Value;
use super::{Ctx, IssueCode, PolicyType, variables};

const PRINCIPAL_KEYS: [&str; 4] = ["AWS", "CanonicalUser", "Federated", "Service"];

pub(crate) fn check(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    let elements = [&s.principal, &s.not_principal];
    match ctx.policy_type {
        PolicyType::IdentityPolicy => {
            for e in elements.into_iter().flatten() {
                let at = ctx.node_location(&e.path, &e.member.value);
                ctx.report(
                    IssueCode::UnsupportedPrincipal,
                    format!(
                        "The policy type {} does not support the Principal element. Remove the Principal element.",
                        ctx.policy_type.as_str()
                    ),
                    vec![at],
                );
            }
            return;
        }
        PolicyType::ServiceControlPolicy => {
            for e in elements.into_iter().flatten() {
                let at = ctx.node_location(&e.path, &e.member.value);
                ctx.report(
                    IssueCode::ScpSyntaxErrorPrincipal,
                    "SCPs do not support specifying principals. Remove the Principal or NotPrincipal element.".into(),
                    vec![at],
                );
            }
            return;
        }
        PolicyType::ResourcePolicy | PolicyType::ResourceControlPolicy => {}
    }
    if s.principal.is_none() && s.not_principal.is_none() {
        let at = ctx.node_location(&s.path, s.node);
        ctx.report(
            IssueCode::MissingPrincipal,
            "Add a Principal element to the policy statement.".into(),
            vec![at],
        );
    }
    for e in elements.into_iter().flatten() {
        contents(ctx, e);
    }
    if let (Some(e), Some(Effect::Allow)) = (&s.not_principal, s.effect) {
        let at = ctx.node_location(&e.path, &e.member.value);
        ctx.report(
            IssueCode::AllowWithNotPrincipal,
            "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.".into(),
            vec![at],
        );
    }
}

fn contents(ctx: &mut Ctx<'_>, e: &Element<'_, '_>) {
    let members = match &e.member.value.value {
        Value::String(s) if s == "*" => return,
        Value::Object(members) => members,
        _ => {
            let at = ctx.node_location(&e.path, &e.member.value);
            ctx.report(
                IssueCode::InvalidPrincipalFormat,
                "The Principal element contents are not valid. Specify a key-value pair in the Principal element.".into(),
                vec![at],
            );
            return;
        }
    };
    if members.is_empty() {
        let at = ctx.node_location(&e.path, &e.member.value);
        ctx.report(
            IssueCode::EmptyObjectPrincipal,
            "This statement includes no principals and does not affect the policy. Specify principals.".into(),
            vec![at],
        );
    }
    for m in members {
        if !PRINCIPAL_KEYS.contains(&m.key.as_ref()) {
            let at = ctx.location(&e.path.key(&m.key), m.key_start, m.key_end);
            ctx.report(
                IssueCode::InvalidPrincipalKey,
                format!("The principal key {} is not valid.", m.key),
                vec![at],
            );
            continue;
        }
        let path = e.path.value(&m.key);
        let entries: Vec<(&str, &super::json::Node<'_>, super::Path)> = match &m.value.value {
            Value::String(text) => vec![(text, &m.value, path.clone())],
            Value::Array(items) if items.is_empty() => {
                let at = ctx.node_location(&path, &m.value);
                ctx.report(
                    IssueCode::EmptyArrayPrincipal,
                    "This statement includes no principals and does not affect the policy. Specify principals.".into(),
                    vec![at],
                );
                Vec::new()
            }
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| match item.value.as_str() {
                    Some(text) => Some((text, item, path.index(i))),
                    None => {
                        data_type_mismatch(ctx, &path.index(i), item, "String");
                        None
                    }
                })
                .collect(),
            _ => {
                data_type_mismatch(ctx, &path, &m.value, "Array");
                Vec::new()
            }
        };
        for (text, node, path) in entries {
            variables::unsupported_here(
                ctx,
                &Entry {
                    text,
                    node,
                    path: path.clone(),
                },
            );
            let at = ctx.node_location(&path, node);
            if text != "*" && text.contains(['*', '?']) {
                ctx.report(
                    IssueCode::UnsupportedWildcardInPrincipal,
                    "Wildcards (*, ?) are not supported with the principal key. Replace the wildcard with a valid principal value.".into(),
                    vec![at],
                );
            } else if m.key == "AWS" && is_unique_id(text, "AROA") {
                ctx.report(
                    IssueCode::InvalidRoleReference,
                    "The Principal element includes the IAM role ID. We recommend that you use a role ARN instead.".into(),
                    vec![at],
                );
            } else if m.key == "AWS" && is_unique_id(text, "AIDA") {
                ctx.report(
                    IssueCode::InvalidUserReference,
                    "The Principal element includes the IAM user ID. We recommend that you use a user ARN instead.".into(),
                    vec![at],
                );
            }
        }
    }
}

/// An IAM unique ID with this prefix (`AROA…` role, `AIDA…` user): IAM writes them as the
/// prefix and 17 upper-case letters and digits; any length from 16 on is taken as one.
fn is_unique_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() >= 12
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}
