//! A temporary-credential session: what its sealed session token carries, so that any node
//! authenticates and authorizes a request signed with it without a lookup.

use oxiam_sigv4::SecretAccessKey;
use serde::{Deserialize, Serialize};

use crate::model::{Epoch, Tag};

/// Who a session acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionPrincipal {
    /// An `AssumeRole` session. The role is named by unique ID as well as by name, so a
    /// role deleted and created again under the same name does not revive old sessions.
    AssumedRole {
        role_id: String,
        role_name: String,
        role_path: String,
        session_name: String,
    },
    /// A `GetFederationToken` session of the IAM user `user_id`, named `name`; of the
    /// account root when `user_id` is the account's ID.
    FederatedUser { name: String, user_id: String },
    /// A `GetSessionToken` session of an IAM user: the user's own permissions.
    User { user_id: String },
    /// A `GetSessionToken` session of the account root.
    Root,
}

/// The MFA facts of a session (`aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mfa {
    pub serial_number: String,
    pub authenticated_at: Epoch,
}

/// The payload of a session token. Field names are short because every byte is carried
/// by every request the session signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    #[serde(rename = "a")]
    pub account: String,
    #[serde(rename = "p")]
    pub principal: SessionPrincipal,
    #[serde(rename = "k")]
    pub access_key_id: String,
    #[serde(rename = "s", with = "secret_text")]
    pub secret: SecretAccessKey,
    #[serde(rename = "i")]
    pub issued: Epoch,
    #[serde(rename = "e")]
    pub expires: Epoch,
    /// The inline session policy (`Policy`), as sent.
    #[serde(rename = "sp", default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed session policies (`PolicyArns`).
    #[serde(rename = "sa", default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// Session tags: the request's and the inherited transitive ones.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    /// Keys of `tags` that pass on to sessions this one assumes (role chaining).
    #[serde(rename = "tt", default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// `SourceIdentity`: once set, every chained session carries it unchanged.
    #[serde(rename = "si", default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<Mfa>,
    /// Whether this session was assumed with the credentials of another role session.
    #[serde(rename = "c", default, skip_serializing_if = "std::ops::Not::not")]
    pub chained: bool,
    /// The scope-down policies of `GetScopedCredentials` calls, oldest first, as sent: each
    /// caps the session on its own (see [`MAX_SCOPE_DOWN`]).
    #[serde(rename = "sd", default, skip_serializing_if = "Vec::is_empty")]
    pub scope_down: Vec<String>,
    /// Filler that brings the token up to a requested `MinimumSessionTokenSize`; no meaning.
    #[serde(rename = "z", default, skip_serializing_if = "String::is_empty")]
    pub padding: String,
    /// The delegation request whose trade-in token issued this session
    /// (`GetDelegatedAccessToken`): it acts as the identity that accepted the request,
    /// limited to the request's permission policy, and is not a `GetSessionToken` session.
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub delegation: Option<String>,
}

/// The most scope-down policies a session carries (`ScopedPoliciesCount`'s documented
/// limit of three layers).
pub const MAX_SCOPE_DOWN: usize = 3;

impl Session {
    /// A session of `principal` in `account` from `issued` to `expires`, signing with
    /// `access_key_id` and `secret`, that carries nothing else yet: no session policies or
    /// tags, no transitive keys, source identity, MFA, chaining, scope-down, padding or
    /// delegation. Every issuer starts from it and sets what its request adds.
    pub fn new(
        account: &str,
        principal: SessionPrincipal,
        access_key_id: String,
        secret: SecretAccessKey,
        issued: Epoch,
        expires: Epoch,
    ) -> Session {
        Session {
            account: account.to_owned(),
            principal,
            access_key_id,
            secret,
            issued,
            expires,
            policy: None,
            policy_arns: Vec::new(),
            tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            source_identity: None,
            mfa: None,
            chained: false,
            scope_down: Vec::new(),
            padding: String::new(),
            delegation: None,
        }
    }

    /// The session's ARN: `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`,
    /// `arn:aws:sts::ACCT:federated-user/NAME`, or the user's or root's own ARN.
    pub fn arn(&self, user_arn: impl FnOnce(&str) -> Option<String>) -> Option<String> {
        let account = &self.account;
        Some(match &self.principal {
            SessionPrincipal::AssumedRole {
                role_name,
                session_name,
                ..
            } => format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
            SessionPrincipal::FederatedUser { name, .. } => {
                format!("arn:aws:sts::{account}:federated-user/{name}")
            }
            SessionPrincipal::User { user_id } => user_arn(user_id)?,
            SessionPrincipal::Root => format!("arn:aws:iam::{account}:root"),
        })
    }

    /// The role's ARN, for role sessions (`aws:PrincipalArn`).
    pub fn role_arn(&self) -> Option<String> {
        match &self.principal {
            SessionPrincipal::AssumedRole {
                role_name,
                role_path,
                ..
            } => Some(format!(
                "arn:aws:iam::{}:role{role_path}{role_name}",
                self.account
            )),
            _ => None,
        }
    }

    /// `aws:userid`: `AROA…:session` for role sessions, `ACCT:name` for federated users.
    pub fn user_id(&self) -> String {
        match &self.principal {
            SessionPrincipal::AssumedRole {
                role_id,
                session_name,
                ..
            } => format!("{role_id}:{session_name}"),
            SessionPrincipal::FederatedUser { name, .. } => format!("{}:{name}", self.account),
            SessionPrincipal::User { user_id } => user_id.clone(),
            SessionPrincipal::Root => self.account.clone(),
        }
    }

    /// The session tags that pass on through role chaining.
    pub fn transitive_tags(&self) -> impl Iterator<Item = &Tag> {
        self.tags.iter().filter(|t| {
            self.transitive_tag_keys
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&t.key))
        })
    }
}

/// The secret travels inside the sealed token only; in memory it stays a
/// [`SecretAccessKey`] (zeroized, redacted in `Debug`).
mod secret_text {
    use oxiam_sigv4::SecretAccessKey;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: &SecretAccessKey, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.expose())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<SecretAccessKey, D::Error> {
        String::deserialize(de).map(SecretAccessKey::new)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn role_session() -> Session {
        let principal = SessionPrincipal::AssumedRole {
            role_id: "AROAEXAMPLE".into(),
            role_name: "app".into(),
            role_path: "/svc/".into(),
            session_name: "job-1".into(),
        };
        let secret = SecretAccessKey::new("s".repeat(40));
        Session {
            tags: vec![
                Tag {
                    key: "team".into(),
                    value: "red".into(),
                },
                Tag {
                    key: "env".into(),
                    value: "dev".into(),
                },
            ],
            transitive_tag_keys: vec!["Team".into()],
            ..Session::new(
                "123456789012",
                principal,
                "ASIAEXAMPLE".into(),
                secret,
                1_000,
                4_600,
            )
        }
    }

    #[test]
    fn names_follow_aws() {
        let s = role_session();
        assert_eq!(
            s.arn(|_| None).unwrap(),
            "arn:aws:sts::123456789012:assumed-role/app/job-1"
        );
        assert_eq!(
            s.role_arn().unwrap(),
            "arn:aws:iam::123456789012:role/svc/app"
        );
        assert_eq!(s.user_id(), "AROAEXAMPLE:job-1");
        let keys: Vec<&str> = s.transitive_tags().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["team"], "transitive keys compare case-insensitively");
    }

    #[test]
    fn debug_hides_the_secret_and_serde_round_trips() {
        let s = role_session();
        assert!(!format!("{s:?}").contains(&"s".repeat(40)));
        let text = serde_json::to_string(&s).unwrap();
        let back: Session = serde_json::from_str(&text).unwrap();
        assert_eq!(back, s);
    }
}
