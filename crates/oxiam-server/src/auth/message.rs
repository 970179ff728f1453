//! The encoded authorization message of a denial, and `sts:DecodeAuthorizationMessage`.
//!
//! AWS hides why a request was denied from the caller (the reason can reveal policy
//! contents) and gives an opaque message that only a principal allowed
//! `sts:DecodeAuthorizationMessage` can read. Here the message is AWS's `DecodedMessage`
//! JSON sealed with the STS token keys (AES-256-GCM, [`TokenKey::seal_bytes`]) under its own
//! purpose, so it opens on every node, is tamper-evident, and never opens as a session
//! token (nor a token as a message). It stays decodable as long as the key that sealed it
//! is kept (`token_keys::RETAIN`, about 2.5 days).
//!
//! The decoded JSON has AWS's shape:
//! ```json
//! {"allowed":false,"explicitDeny":true,
//!  "matchedStatements":{"items":[{"statementId":"NoUploads","effect":"DENY",
//!     "principals":{"items":[{"value":"AIDA…"}]},"principalGroups":{"items":[]},
//!     "actions":{"items":[{"value":"myapp:PutFile"}]},
//!     "resources":{"items":[{"value":"arn:aws:myapp:::file/*"}]},
//!     "conditions":{"items":[{"key":"aws:SourceIp","values":{"items":[{"value":"10.0.0.0/8"}]}}]}}]},
//!  "failures":{"items":[]},
//!  "context":{"principal":{"id":"AIDA…","name":"bob","arn":"arn:aws:iam::123456789012:user/bob"},
//!   "action":"myapp:PutFile","resource":"arn:aws:myapp:::file/a.mp3",
//!   "conditions":{"items":[{"key":"aws:SourceIp","values":{"items":[{"value":"10.0.0.1"}]}}]}}}
//! ```
//! It says what the request was and which statement denied it, never how it was signed:
//! no signature, no session token, no secret reaches the context (the context holds
//! condition keys only).

use oxiam_policy::Context;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::model::error::{ServerError, api};
use crate::state::State;
use crate::state::token_keys::{self, TokenKey};
use oxiam_protocol::error::ErrorCode;

/// Associated data of encoded messages: distinct from session tokens'.
const PURPOSE: &[u8] = b"oxiam/authz-message";

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DecodedMessage {
    pub allowed: bool,
    pub explicit_deny: bool,
    pub matched_statements: Items<MatchedStatement>,
    pub failures: Items<String>,
    pub context: MessageContext,
}

/// AWS wraps every list of the decoded message in `{"items": [...]}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items { items: Vec::new() }
    }
}

/// A statement that decided the denial (AWS lists the explicit deny; an implicit deny has
/// none), with its elements as written in the policy.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MatchedStatement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<String>,
    /// `ALLOW` or `DENY`, as AWS writes it.
    pub effect: String,
    /// For an identity-based policy, the unique ID of the user or role it applies to; for
    /// a resource-based policy, the statement's `Principal` values.
    pub principals: Items<Value>,
    /// AWS lists the group a group's policy came from; oxiam leaves this empty.
    pub principal_groups: Items<Value>,
    /// `Action` (or `NotAction`) as written.
    pub actions: Items<Value>,
    /// `Resource` (or `NotResource`) as written.
    pub resources: Items<Value>,
    /// The statement's `Condition`: each key with the values it is compared with.
    pub conditions: Items<Condition>,
}

/// One value of a list of the message (`{"value": "…"}`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Value {
    pub value: String,
}

impl Value {
    fn items(values: impl IntoIterator<Item = String>) -> Items<Value> {
        Items {
            items: values.into_iter().map(|value| Value { value }).collect(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageContext {
    pub principal: MessagePrincipal,
    pub action: String,
    pub resource: String,
    pub conditions: Items<Condition>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct MessagePrincipal {
    pub id: String,
    /// The user's name (AWS gives it for IAM users only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arn: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Condition {
    pub key: String,
    pub values: Items<ConditionValue>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ConditionValue {
    pub value: String,
}

/// Statement `index` of `document` as the message lists it: effect, `Sid`, actions,
/// resources, conditions and, for a resource-based policy (`principals: None`), its
/// principals. `None` when the document has no such statement. Off the hot path: only an
/// explicit deny is described, and the text is walked again for it.
pub fn matched_statement(
    document: &str,
    index: usize,
    principals: Option<&str>,
) -> Option<MatchedStatement> {
    use serde_json::Value as Json;
    let root: Json = serde_json::from_str(document).ok()?;
    let statement = match root.get("Statement")? {
        Json::Array(items) => items.get(index)?,
        one @ Json::Object(_) if index == 0 => one,
        _ => return None,
    };
    // A string or a list of strings (anything else is not in a valid policy).
    fn strings(v: Option<&Json>) -> Vec<String> {
        match v {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            Some(Json::Bool(b)) => vec![b.to_string()],
            Some(Json::Number(n)) => vec![n.to_string()],
            _ => Vec::new(),
        }
    }
    let either = |a: &str, b: &str| statement.get(a).or_else(|| statement.get(b));
    let principals = match principals {
        Some(id) => vec![id.to_owned()],
        None => match either("Principal", "NotPrincipal") {
            Some(Json::String(s)) => vec![s.clone()],
            Some(Json::Object(by_type)) => {
                by_type.values().flat_map(|v| strings(Some(v))).collect()
            }
            _ => Vec::new(),
        },
    };
    let conditions = match statement.get("Condition") {
        Some(Json::Object(operators)) => operators
            .values()
            .filter_map(Json::as_object)
            .flat_map(|keys| keys.iter())
            .map(|(key, values)| Condition {
                key: key.clone(),
                values: Items {
                    items: strings(Some(values))
                        .into_iter()
                        .map(|value| ConditionValue { value })
                        .collect(),
                },
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(MatchedStatement {
        statement_id: statement
            .get("Sid")
            .and_then(Json::as_str)
            .map(str::to_owned),
        effect: statement
            .get("Effect")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_ascii_uppercase(),
        principals: Value::items(principals),
        principal_groups: Items::default(),
        actions: Value::items(strings(either("Action", "NotAction"))),
        resources: Value::items(strings(either("Resource", "NotResource"))),
        conditions: Items { items: conditions },
    })
}

/// Global keys as AWS spells them (the context keeps keys lowercased).
const KNOWN_KEYS: &[&str] = &[
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalType",
    "aws:RequestedRegion",
    "aws:ResourceAccount",
    "aws:SecureTransport",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:TokenIssueTime",
    "aws:userid",
    "aws:username",
];

/// The request context as AWS lists it in the message: every key with its values. Keys
/// are spelled as AWS spells them, or as `spelled` (the request's own keys and tags)
/// gives them.
pub fn conditions<'a>(
    ctx: &Context,
    spelled: impl Iterator<Item = &'a str> + Clone,
) -> Items<Condition> {
    let name = |key: &str| -> String {
        KNOWN_KEYS
            .iter()
            .copied()
            .chain(spelled.clone())
            .find(|k| k.eq_ignore_ascii_case(key))
            .unwrap_or(key)
            .to_owned()
    };
    Items {
        items: ctx
            .iter()
            .map(|(key, v)| Condition {
                key: name(key),
                values: Items {
                    items: v
                        .values()
                        .map(|value| ConditionValue {
                            value: value.to_owned(),
                        })
                        .collect(),
                },
            })
            .collect(),
    }
}

/// Seals `message` with the current STS token key.
pub fn encode(app: &App, message: &DecodedMessage) -> Result<String, ServerError> {
    let key = app.token_key()?;
    encode_with(&key, message)
}

pub fn encode_with(key: &TokenKey, message: &DecodedMessage) -> Result<String, ServerError> {
    let json = serde_json::to_vec(message)
        .map_err(|e| ServerError::Internal(format!("encoding a decision message: {e}")))?;
    key.seal_bytes(PURPOSE, &json)
}

/// `sts:DecodeAuthorizationMessage`: the decoded JSON, as it was sealed.
pub fn decode(state: &State, encoded: &str) -> Result<String, ServerError> {
    let invalid = || {
        api(
            ErrorCode::InvalidAuthorizationMessageException,
            "The authorization message is invalid or was not issued by this service.",
        )
    };
    let plain = token_keys::open_bytes(state, PURPOSE, encoded).map_err(|_| invalid())?;
    String::from_utf8(plain.to_vec()).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxiam_store::crypto::Kek;

    use super::*;
    use crate::state::Tx;

    #[test]
    fn matched_statements_are_listed_as_written() {
        let doc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"*","Resource":"*"},
            {"Sid":"NoUploads","Effect":"Deny","NotAction":["myapp:Get*","myapp:List*"],
             "NotResource":"arn:aws:myapp:::file/public/*",
             "Condition":{"Bool":{"aws:SecureTransport":false},
                          "StringEquals":{"myapp:Tier":["gold","silver"]}}}]}"#;
        let m = matched_statement(doc, 1, Some("AIDAEXAMPLE")).unwrap();
        let values = |items: &Items<Value>| -> Vec<String> {
            items.items.iter().map(|v| v.value.clone()).collect()
        };
        assert_eq!(m.statement_id.as_deref(), Some("NoUploads"));
        assert_eq!(m.effect, "DENY");
        assert_eq!(values(&m.principals), ["AIDAEXAMPLE"]);
        assert_eq!(values(&m.actions), ["myapp:Get*", "myapp:List*"]);
        assert_eq!(values(&m.resources), ["arn:aws:myapp:::file/public/*"]);
        let conditions: Vec<(String, Vec<String>)> = m
            .conditions
            .items
            .iter()
            .map(|c| {
                let v = c.values.items.iter().map(|v| v.value.clone()).collect();
                (c.key.clone(), v)
            })
            .collect();
        assert_eq!(
            conditions,
            [
                ("aws:SecureTransport".to_owned(), vec!["false".to_owned()]),
                (
                    "myapp:Tier".to_owned(),
                    vec!["gold".to_owned(), "silver".to_owned()]
                ),
            ]
        );
        // A resource policy's statement lists its own principals; a missing index is None.
        let resource = r#"{"Statement":{"Effect":"Deny","Principal":{"AWS":["arn:aws:iam::111122223333:root"],"Service":"x.amazonaws.com"},"Action":"a:B","Resource":"*"}}"#;
        let m = matched_statement(resource, 0, None).unwrap();
        assert_eq!(
            values(&m.principals),
            ["arn:aws:iam::111122223333:root", "x.amazonaws.com"]
        );
        assert!(matched_statement(resource, 1, None).is_none());
        assert!(matched_statement("{not json", 0, None).is_none());
    }

    #[test]
    fn messages_round_trip_and_garbage_is_invalid() {
        let key = TokenKey::generate(0);
        let mut tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        tx.put(key.clone()).unwrap();
        let state = tx.finish().unwrap().1;
        let mut ctx = Context::new();
        ctx.insert("aws:SourceIp", "10.0.0.1");
        let message = DecodedMessage {
            explicit_deny: true,
            context: MessageContext {
                action: "myapp:GetFile".into(),
                resource: "arn:aws:myapp:::file/a".into(),
                conditions: conditions(&ctx, std::iter::empty()),
                ..MessageContext::default()
            },
            ..DecodedMessage::default()
        };
        let sealed = encode_with(&key, &message).unwrap();
        let json = decode(&state, &sealed).unwrap();
        let back: DecodedMessage = serde_json::from_str(&json).unwrap();
        assert_eq!(back, message);
        assert!(
            json.contains(r#""matchedStatements":{"items":[]}"#),
            "{json}"
        );
        assert!(
            json.contains(r#"{"key":"aws:SourceIp","values":{"items":[{"value":"10.0.0.1"}]}}"#)
        );
        for bad in ["", "garbage", &sealed[..sealed.len() - 4]] {
            let Err(ServerError::Api(e)) = decode(&state, bad) else {
                panic!("{bad} decoded");
            };
            assert_eq!(e.code, ErrorCode::InvalidAuthorizationMessageException);
        }
    }
}
