//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`, `${*}`): where
//! they may appear (`Resource`, `Condition`) and their form — a closing brace, a name
//! without spaces, a default in single quotes, something between the braces. A finding
//! about one variable is located by a `substring` path element after the string's path
//! (start and length in characters of the string's value); its span is the variable's
//! text when the string has no escapes, else the whole string.

use super::grammar::Entry;
use super::json::Node;
use super::{Ctx, IssueCode, Path};

/// Reports `${…}` in an element that takes no variables (`Action`, `Principal`, …).
pub(crate) fn unsupported_here(ctx: &mut Ctx<'_>, entry: &Entry<'_, '_>) {
    if let Some(start) = entry.text.find("${") {
        let end = entry
            .text
            .get(start..)
            .and_then(|rest| rest.find('}'))
            .map_or(entry.text.len(), |e| start + e + 1);
        let at = substring(ctx, &entry.path, entry.node, entry.text, start, end);
        ctx.report(
            IssueCode::VariableUnsupportedInElement,
            "Policy variables are supported in the Resource and Condition elements. Remove the policy variable from this element.".into(),
            vec![at],
        );
    }
}

/// Checks the form of every variable of `text` (a `Resource` entry or a condition value).
pub(crate) fn check(ctx: &mut Ctx<'_>, path: &Path, node: &Node<'_>, text: &str) {
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find("${")) {
        let start = from + found;
        let inner_start = start + 2;
        let Some(close) = text.get(inner_start..).and_then(|rest| rest.find('}')) else {
            let at = substring(ctx, path, node, text, start, text.len());
            ctx.report(
                IssueCode::MissingBraceInVariable,
                "The policy variable is missing a closing curly brace. Add } after the variable text.".into(),
                vec![at],
            );
            return;
        };
        let end = inner_start + close + 1;
        let inner = text.get(inner_start..end - 1).unwrap_or("");
        let (name, default) = match inner.split_once(',') {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let problem = if inner.trim().is_empty() {
            Some((
                IssueCode::EmptyVariable,
                "Empty policy variable. Remove the variable structure or provide a variable within the structure.",
            ))
        } else if name.trim() != name || name.contains(char::is_whitespace) {
            Some((
                IssueCode::UnsupportedSpaceInVariable,
                "A space is not supported within the policy variable text. Remove the space.",
            ))
        } else if default.is_some_and(|d| {
            let d = d.trim_start();
            !(d.len() >= 2 && d.starts_with('\'') && d.ends_with('\''))
        }) {
            Some((
                IssueCode::MissingQuoteInVariable,
                "The policy variable default value must begin and end with a single quote. Add the missing quote.",
            ))
        } else {
            None
        };
        if let Some((code, details)) = problem {
            let at = substring(ctx, path, node, text, start, end);
            ctx.report(code, details.into(), vec![at]);
        }
        from = end;
    }
}

/// The location of bytes `start..end` of the string `text`, the value of `node` at `path`.
fn substring(
    ctx: &Ctx<'_>,
    path: &Path,
    node: &Node<'_>,
    text: &str,
    start: usize,
    end: usize,
) -> super::Location {
    let chars = |to: usize| text.get(..to).map_or(0, |s| s.chars().count());
    let (first, last) = (chars(start), chars(end));
    let path = path.substring(first, last - first);
    // Without escapes the value's text is the source between the quotes.
    if node.end.saturating_sub(node.start) == text.len() + 2 {
        ctx.location(&path, node.start + 1 + start, node.start + 1 + end)
    } else {
        ctx.node_location(&path, node)
    }
}
