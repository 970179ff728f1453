//! `GetHumanReadableSummary`: a delegation request said in plain English.
//!
//! AWS writes this summary with a large language model, in the console's languages. oxiam
//! writes it deterministically from the request itself, so the same request always reads the
//! same way and nothing is invented: who asks, for how long, why (the description and the
//! message), and then each statement of the permission policy that would be granted — its
//! effect, actions, resources and conditions, as written. English only: another locale is
//! `NOT_SUPPORTED`, with empty content, as AWS's `SummaryState` allows.
//!
//! Who may read it is who may read the request (AWS: "These rules are identical to
//! GetDelegationRequest API behavior").

use oxiam_protocol::iam;
use serde_json::Value;

use super::Ctx;
use super::delegation_requests::{find, target};
use crate::auth::target::Target;
use crate::model::delegation::DelegationRequest;
use crate::model::error::{ServerError, invalid_input};
use crate::model::policy_json;
use crate::ops::Resolver;
use crate::state::Tx;

/// The locale when the request names none, and the only language oxiam writes.
const ENGLISH: &str = "en";

/// The request's ID, when `arn` is a delegation request's ARN (of any account: each side
/// names the request in its own account, see [`target`]).
fn request_id(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let id = resource.strip_prefix("delegation-request/")?;
    let valid = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (valid && !id.is_empty()).then_some(id)
}

/// Authorized as `GetDelegationRequest` is, on the request's ARN in the caller's account; an
/// ARN of anything else is refused by the handler, and authorized on the ARN as sent.
pub fn summary_target(x: &Resolver<'_>, entity_arn: &str) -> Target {
    match request_id(entity_arn) {
        Some(id) => target(x, id),
        None => Target::new(x.action.clone(), entity_arn.to_owned()),
    }
}

pub fn get_human_readable_summary(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetHumanReadableSummaryRequest,
) -> Result<iam::GetHumanReadableSummaryResponse, ServerError> {
    let Some(id) = request_id(&r.entity_arn) else {
        return Err(invalid_input(format!(
            "The entity {} is not supported: only delegation requests have summaries.",
            r.entity_arn
        )));
    };
    let d = find(tx, ctx.caller, id)?;
    let locale = r.locale.clone().unwrap_or_else(|| ENGLISH.to_owned());
    let english = locale == ENGLISH || locale.starts_with("en-") || locale.starts_with("en_");
    let (state, content) = if english {
        ("AVAILABLE", summary(&d))
    } else {
        ("NOT_SUPPORTED", String::new())
    };
    Ok(iam::GetHumanReadableSummaryResponse {
        summary_content: Some(content),
        locale: Some(locale),
        summary_state: Some(state.to_owned()),
    })
}

/// The summary: the request in a sentence, its reasons, then the permissions it grants.
fn summary(d: &DelegationRequest) -> String {
    let whom = d.owner_account.as_deref().map_or_else(
        || "the account that accepts it".to_owned(),
        |a| format!("account {a}"),
    );
    let mut out = format!(
        "Account {} asks for temporary access to {whom} for {}, to act as the identity that \
         accepts the request.",
        d.requestor,
        duration(d.session_duration)
    );
    out.push_str(&format!("\n\nDescription: {}", d.description));
    if let Some(message) = &d.request_message {
        out.push_str(&format!("\nMessage from the requester: {message}"));
    }
    out.push_str(&format!(
        "\n\nPermissions (from policy template {}):",
        d.policy_template_arn
    ));
    match serde_json::from_str::<Value>(&d.permission_policy) {
        Ok(policy) => {
            for statement in policy_json::statements(&policy) {
                out.push_str(&format!("\n- {}", said(statement)));
            }
        }
        // Stored requests hold a policy that parsed when it was made; should one not, the
        // summary says so rather than guess.
        Err(_) => out.push_str("\n- The permission policy could not be read."),
    }
    out
}

/// One statement in a sentence: "Allows iam:GetUser on arn:…, when …".
fn said(statement: &Value) -> String {
    let effect = match statement.get("Effect").and_then(Value::as_str) {
        Some("Deny") => "Denies",
        _ => "Allows",
    };
    let mut out = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => format!("{effect} {}", listed(actions)),
        (None, Some(actions)) => format!("{effect} every action except {}", listed(actions)),
        (None, None) => format!("{effect} no action"),
    };
    match (statement.get("Resource"), statement.get("NotResource")) {
        (Some(resources), _) => out.push_str(&format!(" on {}", listed(resources))),
        (None, Some(resources)) => {
            out.push_str(&format!(" on every resource except {}", listed(resources)))
        }
        (None, None) => {}
    }
    if let Some(Value::Object(conditions)) = statement.get("Condition") {
        let mut when = Vec::new();
        for (operator, keys) in conditions {
            if let Value::Object(keys) = keys {
                for (key, values) in keys {
                    when.push(format!("{key} {operator} {}", listed(values)));
                }
            }
        }
        if !when.is_empty() {
            out.push_str(&format!(", when {}", when.join(" and ")));
        }
    }
    out.push('.');
    out
}

/// A string or a list of them, as "a", "a and b" or "a, b and c".
fn listed(value: &Value) -> String {
    let items: Vec<String> = match value {
        Value::Array(items) => items.iter().map(text).collect(),
        other => vec![text(other)],
    };
    match items.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A session duration in words: "1 hour", "2 hours 30 minutes", "45 minutes", "300 seconds".
fn duration(seconds: i32) -> String {
    let plural = |n: i32, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if rest != 0 || seconds < 60 {
        return plural(seconds, "second");
    }
    match (hours, minutes) {
        (0, m) => plural(m, "minute"),
        (h, 0) => plural(h, "hour"),
        (h, m) => format!("{} {}", plural(h, "hour"), plural(m, "minute")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_delegation_request_arns_name_a_request() {
        assert_eq!(
            request_id("arn:aws:iam::123456789012:delegation-request/abc-123"),
            Some("abc-123")
        );
        for arn in [
            "arn:aws:iam::123456789012:role/abc",
            "arn:aws:iam::12345:delegation-request/abc",
            "arn:aws:iam::123456789012:delegation-request/",
            "delegation-request/abc",
        ] {
            assert_eq!(request_id(arn), None, "{arn}");
        }
    }

    #[test]
    fn statements_read_as_sentences() {
        let allow = json!({"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUserTags"],
            "Resource": "arn:aws:iam::123456789012:user/alice",
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}});
        assert_eq!(
            said(&allow),
            "Allows iam:GetUser and iam:ListUserTags on arn:aws:iam::123456789012:user/alice, \
             when aws:RequestedRegion StringEquals us-east-1 and eu-west-1."
        );
        let deny =
            json!({"Effect": "Deny", "NotAction": "s3:GetObject", "NotResource": ["a", "b", "c"]});
        assert_eq!(
            said(&deny),
            "Denies every action except s3:GetObject on every resource except a, b and c."
        );
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration(3600), "1 hour");
        assert_eq!(duration(9000), "2 hours 30 minutes");
        assert_eq!(duration(2700), "45 minutes");
        assert_eq!(duration(301), "301 seconds");
        assert_eq!(duration(43200), "12 hours");
    }
}
