//! `Action` and `NotAction` against the catalogue: the service prefix exists, the action
//! (or pattern) names at least one of its actions, no partial wildcard in the service, and
//! no entry grants only what another entry of the statement already grants.

use oxiam_catalogue::{Action, Service};
use oxiam_policy::wildcard_match;

use super::grammar::{Entry, Statement};
use super::{Ctx, IssueCode, variables};

pub(crate) fn check(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    let Some((element, _)) = s.actions() else {
        return;
    };
    let entries = element.entries();
    // Each entry's actions, for the redundancy check: `None` where the entry is not a
    // known action or pattern (reported here, never redundant).
    let mut matched: Vec<Option<Vec<String>>> = Vec::with_capacity(entries.len());
    for entry in &entries {
        variables::unsupported_here(ctx, entry);
        matched.push(resolve(ctx, entry));
    }
    for (i, entry) in entries.iter().enumerate() {
        let Some(Some(mine)) = matched.get(i) else {
            continue;
        };
        let redundant = entries.iter().enumerate().any(|(j, other)| {
            if j == i || !matches!(matched.get(j), Some(Some(_))) {
                return false;
            }
            let covers = |pattern: &str, names: &[String]| {
                names.iter().all(|n| wildcard_match(pattern, n, true))
            };
            let theirs = matched.get(j).and_then(|m| m.as_deref()).unwrap_or(&[]);
            // Of two entries with the same actions, the later one is the redundant one.
            covers(other.text, mine) && (j < i || !covers(entry.text, theirs))
        });
        if redundant {
            let at = ctx.node_location(&entry.path, entry.node);
            ctx.report(
                IssueCode::RedundantAction,
                format!(
                    "The action(s) are redundant because they provide similar permissions. Update the policy to remove the redundant action such as: {}.",
                    entry.text
                ),
                vec![at],
            );
        }
    }
}

/// Checks one entry against the catalogue; the `prefix:Name` of every action it names, or
/// `None` when it names none (or is a partial wildcard in the service, not resolved).
fn resolve(ctx: &mut Ctx<'_>, entry: &Entry<'_, '_>) -> Option<Vec<String>> {
    let text = entry.text;
    let at = ctx.node_location(&entry.path, entry.node);
    if text == "*" {
        return Some(names(ctx, text));
    }
    let Some((service, name)) = text.split_once(':') else {
        ctx.report(
            IssueCode::InvalidAction,
            format!("The action {text} does not exist."),
            vec![at],
        );
        return None;
    };
    if service.contains(['*', '?']) {
        if service != "*" {
            ctx.report(
                IssueCode::WildcardInServiceName,
                "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.".into(),
                vec![at],
            );
            return None;
        }
        return Some(names(ctx, text)).filter(|n| !n.is_empty());
    }
    if ctx.catalogue.service(service).is_none() {
        ctx.report(
            IssueCode::InvalidServiceInAction,
            format!("The service {service} specified in the action does not exist."),
            vec![at],
        );
        return None;
    }
    let found = names(ctx, text);
    if found.is_empty() || name.contains(':') {
        ctx.report(
            IssueCode::InvalidAction,
            format!("The action {text} does not exist."),
            vec![at],
        );
        return None;
    }
    Some(found)
}

fn names(ctx: &Ctx<'_>, pattern: &str) -> Vec<String> {
    ctx.catalogue
        .matching_actions(pattern)
        .map(|(service, action)| format!("{}:{}", service.prefix, action.name))
        .collect()
}

/// The statement's `Action` entries that name one action exactly (no wildcard), with it.
pub(crate) fn exact<'c, 'n, 'a>(
    ctx: &Ctx<'c>,
    s: &Statement<'n, 'a>,
) -> Vec<(Entry<'n, 'a>, &'c Service, &'c Action)> {
    let Some(element) = &s.action else {
        return Vec::new();
    };
    element
        .entries()
        .into_iter()
        .filter(|e| !e.text.contains(['*', '?']))
        .filter_map(|e| {
            let (service, action) = ctx.catalogue.action(e.text)?;
            Some((e, service, action))
        })
        .collect()
}
