//! `Action` and `NotAction` against the catalogue: the service prefix exists, the action
//! (or pattern) names at least one of its actions, no partial wildcard in the service, and
//! no entry grants only what another entry of the statement already grants.

use std::rc::Rc;

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
    let mut matched: Vec<Option<Names>> = Vec::with_capacity(entries.len());
    for entry in &entries {
        variables::unsupported_here(ctx, entry);
        matched.push(resolve(ctx, entry));
    }
    for (i, entry) in entries.iter().enumerate() {
        let Some(Some(mine)) = matched.get(i) else {
            continue;
        };
        let redundant = entries.iter().enumerate().any(|(j, other)| {
            let Some(Some(theirs)) = matched.get(j).filter(|_| j != i) else {
                return false;
            };
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

/// The actions an entry names.
enum Names {
    /// Every action (`*`, `*:*`): not listed, there are tens of thousands.
    All,
    /// `prefix:Name` of each.
    Listed(Rc<[String]>),
}

fn names_everything(pattern: &str) -> bool {
    pattern == "*" || pattern == "*:*"
}

/// Every action `names` lists is one `pattern` names.
fn covers(pattern: &str, names: &Names) -> bool {
    match names {
        Names::All => names_everything(pattern),
        Names::Listed(list) => {
            names_everything(pattern) || list.iter().all(|n| wildcard_match(pattern, n, true))
        }
    }
}

/// Checks one entry against the catalogue; the actions it names, or `None` when it names
/// none (or is a partial wildcard in the service, not resolved).
fn resolve(ctx: &mut Ctx<'_>, entry: &Entry<'_, '_>) -> Option<Names> {
    let text = entry.text;
    let at = ctx.node_location(&entry.path, entry.node);
    if names_everything(text) {
        return Some(Names::All);
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
        let found = names(ctx, text);
        return (!found.is_empty()).then_some(Names::Listed(found));
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
    Some(Names::Listed(found))
}

/// `prefix:Name` of every action `pattern` names, once per pattern and validation.
fn names(ctx: &mut Ctx<'_>, pattern: &str) -> Rc<[String]> {
    let key = pattern.to_ascii_lowercase();
    if let Some(found) = ctx.action_names.get(&key) {
        return Rc::clone(found);
    }
    let found: Rc<[String]> = ctx
        .catalogue
        .matching_actions(pattern)
        .map(|(service, action)| format!("{}:{}", service.prefix, action.name))
        .collect();
    ctx.action_names.insert(key, Rc::clone(&found));
    found
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
