//! What tools (the IAM policy simulator, `GetContextKeysFor*Policy`) need to know about a
//! policy besides its decision: where each statement sits in the document, which context
//! keys the policy reads, and which statements a request reaches before conditions.
//!
//! Kept apart from evaluation: these walk the source text again, which the hot path never
//! does. The walk uses the same offset-keeping JSON parser, so positions agree with the
//! locations of validation findings.

use crate::action::RequestAction;
use crate::arn::Arn;
use crate::context::Variables;
use crate::error::Location;
use crate::evaluate::Request;
use crate::json::{self, Node, Value};
use crate::policy::Policy;

/// One statement's place in its document and the context keys it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementSource {
    /// Where the statement's `{` is (1-based line and column).
    pub start: Location,
    /// Just past the statement's closing `}`.
    pub end: Location,
    /// The context keys its conditions test and its policy variables name, as written,
    /// each once (case-insensitively), in document order.
    pub context_keys: Vec<String>,
    /// The keys of the policy variables in its `Resource`/`NotResource` (a subset of
    /// `context_keys`): without a value the statement's resource matches nothing, so a tool
    /// reporting missing keys must not judge it by its resource.
    pub resource_variables: Vec<String>,
}

/// The statements of `json` in document order (the order of `Policy::statement`); empty
/// when the text is not a JSON object with statement objects.
pub fn statement_sources(json: &str) -> Vec<StatementSource> {
    let Ok(root) = json::parse(json) else {
        return Vec::new();
    };
    let Value::Object(top) = &root.value else {
        return Vec::new();
    };
    let Some(statement) = top.iter().find(|m| m.key == "Statement") else {
        return Vec::new();
    };
    let nodes: Vec<&Node<'_>> = match &statement.value.value {
        Value::Object(_) => vec![&statement.value],
        Value::Array(items) => items
            .iter()
            .filter(|n| matches!(n.value, Value::Object(_)))
            .collect(),
        _ => Vec::new(),
    };
    nodes
        .into_iter()
        .map(|node| {
            let mut keys = Vec::new();
            let mut resource_variables = Vec::new();
            if let Value::Object(members) = &node.value {
                for m in members {
                    match m.key.as_ref() {
                        "Condition" => condition_keys(&m.value, &mut keys),
                        "Resource" | "NotResource" => {
                            variables_in(&m.value, &mut resource_variables);
                            for k in &resource_variables {
                                push_key(&mut keys, k.clone());
                            }
                        }
                        _ => {}
                    }
                }
            }
            StatementSource {
                start: Location::at(json, node.offset, String::new()),
                end: Location::at(json, value_end(json, node.offset), String::new()),
                context_keys: keys,
                resource_variables,
            }
        })
        .collect()
}

/// Every context key `json` reads (conditions and policy variables), each once, in
/// document order. What `GetContextKeysForCustomPolicy` lists.
pub fn context_keys(json: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in statement_sources(json) {
        for k in s.context_keys {
            push_key(&mut out, k);
        }
    }
    out
}

fn push_key(out: &mut Vec<String>, key: String) {
    if !out.iter().any(|k| k.eq_ignore_ascii_case(&key)) {
        out.push(key);
    }
}

/// `"Condition": { "operator": { "key": values } }`: the keys, and variables in values.
fn condition_keys(node: &Node<'_>, out: &mut Vec<String>) {
    let Value::Object(operators) = &node.value else {
        return;
    };
    for op in operators {
        let Value::Object(entries) = &op.value.value else {
            continue;
        };
        for e in entries {
            push_key(out, e.key.clone().into_owned());
            variables_in(&e.value, out);
        }
    }
}

/// The keys named by `${key}` / `${key, 'default'}` variables in a string or array of
/// strings. `${*}`, `${?}` and `${$}` are escapes, not keys.
fn variables_in(node: &Node<'_>, out: &mut Vec<String>) {
    let strings: Vec<&str> = match &node.value {
        Value::String(s) => vec![s.as_ref()],
        Value::Array(items) => items
            .iter()
            .filter_map(|n| match &n.value {
                Value::String(s) => Some(s.as_ref()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    for s in strings {
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            let after = rest.get(start + 2..).unwrap_or("");
            let Some(close) = after.find('}') else { break };
            let inner = after.get(..close).unwrap_or("");
            let key = inner.split(',').next().unwrap_or("").trim();
            if !matches!(key, "*" | "?" | "$") && !key.is_empty() {
                push_key(out, key.to_owned());
            }
            rest = after.get(close + 1..).unwrap_or("");
        }
    }
}

/// The byte offset just past the JSON value that starts at `start` in `src` (a document
/// the parser accepted): strings are skipped, brackets counted.
fn value_end(src: &str, start: usize) -> usize {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    let mut in_string = false;
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    src.len()
}

impl Policy {
    /// Whether statement `index` names `action` (any case) in its `Action`/`NotAction`.
    pub fn statement_matches_action(&self, index: usize, action: &str) -> bool {
        let action = action.to_ascii_lowercase();
        self.inner
            .statements
            .get(index)
            .is_some_and(|st| st.action_matches(&RequestAction::new(&action)))
    }

    /// Whether statement `index` reaches `request` by its action and resource, whatever its
    /// conditions and principal say: the statements whose conditions need the request's
    /// context keys.
    pub fn statement_reaches(&self, index: usize, request: &Request<'_>) -> bool {
        let Some(st) = self.inner.statements.get(index) else {
            return false;
        };
        let action = request.action.to_ascii_lowercase();
        st.action_matches(&RequestAction::new(&action))
            && st.resource_matches(
                request.resource,
                Arn::parse(request.resource).as_ref(),
                &Variables::new(request.context),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, PolicyKind, Principal, PrincipalType};

    const DOC: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Home",
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::b/${aws:username}/*"
    },
    {"Effect": "Deny", "Action": "iam:*", "Resource": "*",
     "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"},
                   "StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/Team}", "AWS:username": "x"}}}
  ]
}"#;

    #[test]
    fn statements_have_positions_and_keys() {
        let s = statement_sources(DOC);
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].start.line, s[0].start.column), (4, 5));
        assert_eq!((s[0].end.line, s[0].end.column), (9, 6));
        assert_eq!(s[0].context_keys, ["aws:username"]);
        assert_eq!(s[0].resource_variables, ["aws:username"]);
        assert!(s[1].resource_variables.is_empty());
        assert_eq!((s[1].start.line, s[1].start.column), (10, 5));
        assert_eq!((s[1].end.line, s[1].end.column), (12, 112));
        assert_eq!(
            s[1].context_keys,
            [
                "aws:MultiFactorAuthPresent",
                "aws:PrincipalTag/team",
                "AWS:username"
            ]
        );
        assert_eq!(
            context_keys(DOC),
            [
                "aws:username",
                "aws:MultiFactorAuthPresent",
                "aws:PrincipalTag/team"
            ]
        );
    }

    #[test]
    fn a_single_statement_object_and_escapes() {
        let doc = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${*}/${aws:userid, 'none'}/\"}"}}"#;
        let s = statement_sources(doc);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].start.column, 37);
        assert_eq!(s[0].end.offset, doc.len() - 1);
        assert_eq!(s[0].context_keys, ["aws:userid"]);
        assert!(statement_sources("not json").is_empty());
    }

    #[test]
    fn statements_reach_requests_by_action_and_resource() {
        let p = Policy::parse(DOC, PolicyKind::Identity).unwrap();
        let principal = Principal {
            arn: "arn:aws:iam::111122223333:user/alice",
            account: "111122223333",
            kind: PrincipalType::User,
            role_arn: None,
            user_id: "AIDA",
        };
        let context = Context::for_principal(&principal, &[]);
        let req = |action, resource| Request {
            principal,
            action,
            resource,
            resource_account: None,
            context: &context,
        };
        assert!(p.statement_reaches(0, &req("S3:GetObject", "arn:aws:s3:::b/alice/x")));
        assert!(!p.statement_reaches(0, &req("s3:GetObject", "arn:aws:s3:::b/bob/x")));
        assert!(p.statement_reaches(1, &req("iam:GetUser", "*")));
        assert!(!p.statement_reaches(1, &req("s3:GetObject", "*")));
        assert!(!p.statement_reaches(7, &req("iam:GetUser", "*")));
        assert!(p.statement_matches_action(0, "s3:PutObject"));
        assert!(!p.statement_matches_action(1, "s3:PutObject"));
    }
}
