//! The document's structure (AWS "Grammar of the IAM JSON policy language"):
//! ```text
//! policy    = { <version_block>? <id_block>? <statement_block> }
//! statement = { <sid_block>? <principal_block>? <effect_block> <action_block>
//!               <resource_block>? <condition_block>? }
//! ```
//! Each element's JSON type, `Version`, `Sid`, `Effect`, the elements each policy type
//! requires or forbids; then the statement views the other check modules read, in document
//! order, and the checks across statements (unique `Sid`s).

use super::json::{Member, Node, Value};
use super::{
    Ctx, IssueCode, Path, PolicyType, actions, conditions, principals, resources, statement,
};

/// A statement's `Effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// One element of a statement and its path (`Statement[i].Action`).
pub(crate) struct Element<'n, 'a> {
    pub member: &'n Member<'a>,
    pub path: Path,
}

/// One string of an element that holds a string or an array of strings.
pub(crate) struct Entry<'n, 'a> {
    pub text: &'n str,
    pub node: &'n Node<'a>,
    pub path: Path,
}

impl<'n, 'a> Element<'n, 'a> {
    /// The element's strings: the value itself, or each string of its array (other JSON
    /// types are left out; `grammar` reports them).
    pub(crate) fn entries(&self) -> Vec<Entry<'n, 'a>> {
        let node = &self.member.value;
        match &node.value {
            Value::String(s) => vec![Entry {
                text: s,
                node,
                path: self.path.clone(),
            }],
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    item.value.as_str().map(|text| Entry {
                        text,
                        node: item,
                        path: self.path.index(i),
                    })
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The element's value is an empty array.
    pub(crate) fn is_empty_array(&self) -> bool {
        matches!(&self.member.value.value, Value::Array(items) if items.is_empty())
    }
}

/// A statement as the checks read it.
pub(crate) struct Statement<'n, 'a> {
    pub node: &'n Node<'a>,
    pub path: Path,
    pub sid: Option<Element<'n, 'a>>,
    pub effect: Option<Effect>,
    pub principal: Option<Element<'n, 'a>>,
    pub not_principal: Option<Element<'n, 'a>>,
    pub action: Option<Element<'n, 'a>>,
    pub not_action: Option<Element<'n, 'a>>,
    pub resource: Option<Element<'n, 'a>>,
    pub not_resource: Option<Element<'n, 'a>>,
    pub condition: Option<Element<'n, 'a>>,
}

impl<'n, 'a> Statement<'n, 'a> {
    /// `Action` or `NotAction`, and whether it is `NotAction`.
    pub(crate) fn actions(&self) -> Option<(&Element<'n, 'a>, bool)> {
        self.action
            .as_ref()
            .map(|e| (e, false))
            .or(self.not_action.as_ref().map(|e| (e, true)))
    }

    /// `Resource` or `NotResource`, and whether it is `NotResource`.
    pub(crate) fn resources(&self) -> Option<(&Element<'n, 'a>, bool)> {
        self.resource
            .as_ref()
            .map(|e| (e, false))
            .or(self.not_resource.as_ref().map(|e| (e, true)))
    }
}

const STATEMENT_ELEMENTS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];
const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];

/// Checks a parsed document.
pub(crate) fn check(ctx: &mut Ctx<'_>, root: &Node<'_>) {
    let Value::Object(members) = &root.value else {
        data_type_mismatch(ctx, &Path::root(), root, "Object");
        return;
    };
    let mut statement = None;
    let mut version = None;
    for m in members {
        match m.key.as_ref() {
            "Version" => version = Some(m),
            "Statement" => statement = Some(m),
            "Id" => {
                if m.value.value.as_str().is_none() {
                    data_type_mismatch(ctx, &Path::root().value("Id"), &m.value, "String");
                }
            }
            _ => invalid_element(ctx, &Path::root(), m),
        }
    }

    match version {
        None => {
            ctx.variables = false;
            let at = ctx.node_location(&Path::root(), root);
            ctx.report(
                IssueCode::MissingVersion,
                "We recommend that you specify the Version element to help you with debugging permission issues.".into(),
                vec![at],
            );
        }
        Some(m) => match m.value.value.as_str() {
            None => data_type_mismatch(ctx, &Path::root().value("Version"), &m.value, "String"),
            Some(v) if !VERSIONS.contains(&v) => {
                let at = ctx.node_location(&Path::root().value("Version"), &m.value);
                ctx.report(
                    IssueCode::InvalidVersion,
                    format!(
                        "The version {v} is not valid. Use one of the following versions: {}",
                        VERSIONS.join(", ")
                    ),
                    vec![at],
                );
            }
            Some(v) => ctx.variables = v == "2012-10-17",
        },
    }

    let Some(statement) = statement else {
        let at = ctx.node_location(&Path::root(), root);
        ctx.report(
            IssueCode::MissingStatement,
            "Add a statement to the policy".into(),
            vec![at],
        );
        return;
    };
    let path = Path::root().value("Statement");
    let nodes: Vec<(&Node<'_>, Path)> = match &statement.value.value {
        Value::Object(_) => vec![(&statement.value, path.clone())],
        Value::Array(items) if items.is_empty() => {
            let at = ctx.node_location(&path, &statement.value);
            ctx.report(
                IssueCode::MissingStatement,
                "Add a statement to the policy".into(),
                vec![at],
            );
            Vec::new()
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                if matches!(item.value, Value::Object(_)) {
                    Some((item, path.index(i)))
                } else {
                    data_type_mismatch(ctx, &path.index(i), item, "Object");
                    None
                }
            })
            .collect(),
        _ => {
            data_type_mismatch(ctx, &path, &statement.value, "Array");
            Vec::new()
        }
    };

    let mut statements = Vec::with_capacity(nodes.len());
    for (node, path) in nodes {
        let view = read_statement(ctx, node, path);
        check_statement(ctx, &view);
        statements.push(view);
    }
    unique_sids(ctx, &statements);
    statement::check_across(ctx, &statements);
}

/// Reads a statement's elements, reporting unknown elements and wrong JSON types.
fn read_statement<'n, 'a>(ctx: &mut Ctx<'_>, node: &'n Node<'a>, path: Path) -> Statement<'n, 'a> {
    let mut view = Statement {
        node,
        path: path.clone(),
        sid: None,
        effect: None,
        principal: None,
        not_principal: None,
        action: None,
        not_action: None,
        resource: None,
        not_resource: None,
        condition: None,
    };
    let Value::Object(members) = &node.value else {
        return view;
    };
    let mut effect = None;
    for m in members {
        let key = m.key.as_ref();
        if !STATEMENT_ELEMENTS.contains(&key) {
            invalid_element(ctx, &path, m);
            continue;
        }
        let element = Element {
            member: m,
            path: path.value(key),
        };
        let value = &m.value;
        match key {
            "Sid" | "Effect" => {
                if value.value.as_str().is_none() {
                    data_type_mismatch(ctx, &element.path, value, "String");
                    continue;
                }
            }
            "Principal" | "NotPrincipal" => {
                if !matches!(value.value, Value::String(_) | Value::Object(_)) {
                    data_type_mismatch(ctx, &element.path, value, "Object");
                    continue;
                }
            }
            "Condition" => {
                if !matches!(value.value, Value::Object(_)) {
                    data_type_mismatch(ctx, &element.path, value, "Object");
                    continue;
                }
            }
            _ => {
                if !string_or_strings(ctx, &element.path, value) {
                    continue;
                }
            }
        }
        match key {
            "Sid" => view.sid = Some(element),
            "Effect" => effect = Some(element),
            "Principal" => view.principal = Some(element),
            "NotPrincipal" => view.not_principal = Some(element),
            "Action" => view.action = Some(element),
            "NotAction" => view.not_action = Some(element),
            "Resource" => view.resource = Some(element),
            "NotResource" => view.not_resource = Some(element),
            _ => view.condition = Some(element),
        }
    }

    if let Some(sid) = &view.sid {
        check_sid(ctx, sid);
    }
    match effect {
        None => {
            let at = ctx.node_location(&path, node);
            ctx.report(
                IssueCode::MissingEffect,
                "Add an Effect element to the policy statement with a value of Allow or Deny."
                    .into(),
                vec![at],
            );
        }
        Some(e) => match e.member.value.value.as_str() {
            Some("Allow") => view.effect = Some(Effect::Allow),
            Some("Deny") => view.effect = Some(Effect::Deny),
            other => {
                let at = ctx.node_location(&e.path, &e.member.value);
                ctx.report(
                    IssueCode::InvalidEffect,
                    format!(
                        "The effect {} is not valid. Use Allow or Deny.",
                        other.unwrap_or_default()
                    ),
                    vec![at],
                );
            }
        },
    }
    view
}

/// A value that must be a string or an array of strings; reports and answers `false`
/// when it is neither, reports the array's non-strings.
fn string_or_strings(ctx: &mut Ctx<'_>, path: &Path, node: &Node<'_>) -> bool {
    match &node.value {
        Value::String(_) => true,
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if item.value.as_str().is_none() {
                    data_type_mismatch(ctx, &path.index(i), item, "String");
                }
            }
            true
        }
        _ => {
            data_type_mismatch(ctx, path, node, "Array");
            false
        }
    }
}

fn check_sid(ctx: &mut Ctx<'_>, sid: &Element<'_, '_>) {
    let Some(text) = sid.member.value.value.as_str() else {
        return;
    };
    if text.is_empty() {
        let at = ctx.node_location(&sid.path, &sid.member.value);
        ctx.report(
            IssueCode::EmptySidValue,
            "Add a value to the empty string in the Sid element.".into(),
            vec![at],
        );
    } else if ctx.policy_type == PolicyType::IdentityPolicy
        && !text.chars().all(|c| c.is_ascii_alphanumeric())
    {
        let at = ctx.node_location(&sid.path, &sid.member.value);
        ctx.report(
            IssueCode::UnsupportedSid,
            "Update the characters in the Sid element to use one of the following character types: [a-z, A-Z, 0-9]".into(),
            vec![at],
        );
    }
}

/// The checks of one statement, element by element, then within the statement.
fn check_statement(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    principals::check(ctx, s);
    required_and_exclusive(ctx, s);
    actions::check(ctx, s);
    resources::check(ctx, s);
    conditions::check(ctx, s);
    statement::check(ctx, s);
}

/// Elements a statement must have, and pairs it cannot have together.
fn required_and_exclusive(ctx: &mut Ctx<'_>, s: &Statement<'_, '_>) {
    for pair in [
        (&s.action, &s.not_action, "Action", "NotAction"),
        (&s.resource, &s.not_resource, "Resource", "NotResource"),
        (&s.principal, &s.not_principal, "Principal", "NotPrincipal"),
    ] {
        if let (Some(a), Some(b), first, second) = pair {
            let locations = vec![
                ctx.node_location(&a.path, &a.member.value),
                ctx.node_location(&b.path, &b.member.value),
            ];
            ctx.report(
                IssueCode::UnsupportedElementCombination,
                format!(
                    "The policy elements {first} and {second} can not be used in the same statement. Remove one of these elements."
                ),
                locations,
            );
        }
    }

    match s.actions() {
        None => {
            let at = ctx.node_location(&s.path, s.node);
            ctx.report(
                IssueCode::MissingAction,
                "Add an Action or NotAction element to the policy statement.".into(),
                vec![at],
            );
        }
        Some((e, _)) if e.is_empty_array() => {
            let at = ctx.node_location(&e.path, &e.member.value);
            ctx.report(
                IssueCode::EmptyArrayAction,
                "This statement includes no actions and does not affect the policy. Specify actions.".into(),
                vec![at],
            );
        }
        Some(_) => {}
    }

    let needs_resource = match ctx.policy_type {
        PolicyType::IdentityPolicy
        | PolicyType::ServiceControlPolicy
        | PolicyType::ResourceControlPolicy => true,
        PolicyType::ResourcePolicy => ctx.resource_type.is_some_and(|t| t.requires_resource()),
    };
    match s.resources() {
        None if needs_resource => {
            let at = ctx.node_location(&s.path, s.node);
            ctx.report(
                IssueCode::MissingResource,
                "Add a Resource or NotResource element to the policy statement.".into(),
                vec![at],
            );
        }
        Some((e, _)) if e.is_empty_array() => {
            let at = ctx.node_location(&e.path, &e.member.value);
            ctx.report(
                IssueCode::EmptyArrayResource,
                "This statement includes no resources and does not affect the policy. Specify resources.".into(),
                vec![at],
            );
        }
        _ => {}
    }
}

/// Statement IDs must be unique in IAM policies and Organizations policies; other resource
/// policies only should have unique ones.
fn unique_sids(ctx: &mut Ctx<'_>, statements: &[Statement<'_, '_>]) {
    let sids: Vec<(&str, &Element<'_, '_>)> = statements
        .iter()
        .filter_map(|s| s.sid.as_ref())
        .filter_map(|e| e.member.value.value.as_str().map(|t| (t, e)))
        .filter(|(t, _)| !t.is_empty())
        .collect();
    for (i, (sid, element)) in sids.iter().enumerate() {
        if !sids.iter().take(i).any(|(earlier, _)| earlier == sid) {
            continue;
        }
        let at = ctx.node_location(&element.path, &element.member.value);
        let (code, details) = match ctx.policy_type {
            PolicyType::ResourcePolicy => (
                IssueCode::UniqueSidsRecommended,
                "We recommend that you use statement IDs that are unique to your policy. Update the Sid value.",
            ),
            _ => (
                IssueCode::UniqueSidsRequired,
                "Duplicate statement IDs are not supported for this policy type. Update the Sid value.",
            ),
        };
        ctx.report(code, details.into(), vec![at]);
    }
}

/// `DATA_TYPE_MISMATCH` at `node`: `expected` is the JSON type the element takes.
pub(crate) fn data_type_mismatch(ctx: &mut Ctx<'_>, path: &Path, node: &Node<'_>, expected: &str) {
    let at = ctx.node_location(path, node);
    ctx.report(
        IssueCode::DataTypeMismatch,
        format!("The text does not match the expected JSON data type {expected}."),
        vec![at],
    );
}

/// `INVALID_POLICY_ELEMENT` at the key of `member`.
fn invalid_element(ctx: &mut Ctx<'_>, parent: &Path, member: &Member<'_>) {
    let at = ctx.location(&parent.key(&member.key), member.key_start, member.key_end);
    ctx.report(
        IssueCode::InvalidPolicyElement,
        format!("The policy element {} is not valid.", member.key),
        vec![at],
    );
}
