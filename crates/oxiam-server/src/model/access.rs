//! What principals tried to do: the access advisor's first-hand data.
//!
//! oxiam sees every request it authorizes, so it records — per IAM user or role and per
//! action — when the last attempt was, from which Region, through which path, and how many
//! attempts there were. Attempts, not only successes: AWS's last-accessed data "includes all
//! attempts to access an AWS API, not just the successful ones".
//!
//! - [`AccessRecord`]: one entity × action, the stored record (merged across nodes: the
//!   latest attempt wins, counts add up).
//! - [`Via`]: the path a request came through.
//! - [`AccessReport`]: a generated last-accessed report (`GenerateServiceLastAccessedDetails`),
//!   kept whole so a job reads the same on every node and after its entity changes.

use serde::{Deserialize, Serialize};

use super::Epoch;

/// How a request reached oxiam's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// oxiam's own IAM and STS API.
    Api,
    /// The web console, for its signed-in principal.
    Console,
    /// `POST /authorization/v1/decisions`, for another service's client.
    AuthorizationApi,
    /// `oxiam guard`, in process.
    Guard,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Api => "api",
            Via::Console => "console",
            Via::AuthorizationApi => "authorization-api",
            Via::Guard => "guard",
        }
    }
}

/// The kind of IAM entity an attempt is recorded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityKind {
    User,
    Role,
}

/// The last attempt of one IAM user or role at one action, and how many there were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    pub account: String,
    /// The entity's unique ID (`AIDA…`, `AROA…`): a user or role recreated under the same
    /// name starts with no history, as a new entity.
    pub entity_id: String,
    pub kind: EntityKind,
    /// The action as the request named it (`s3:GetObject`); matched case-insensitively.
    pub action: String,
    pub last: Epoch,
    /// The Region of the last attempt's credential scope, when it had one.
    pub region: Option<String>,
    pub via: Via,
    pub count: u64,
}

impl AccessRecord {
    /// `account/entity ID/lower-cased action`: one entity's records are one key range.
    pub fn store_key(account: &str, entity_id: &str, action: &str) -> String {
        format!("{account}/{entity_id}/{}", action.to_ascii_lowercase())
    }

    /// The key prefix of one entity's records.
    pub fn entity_prefix(account: &str, entity_id: &str) -> String {
        format!("{account}/{entity_id}/")
    }

    /// The service namespace of the action (`s3` of `s3:GetObject`), lower-cased.
    pub fn namespace(&self) -> String {
        namespace_of(&self.action)
    }

    /// `self` merged with `other`, a record of the same key: the later attempt's facts, the
    /// sum of the counts. Commutative, so nodes may merge in any order.
    pub fn merged(&self, other: &AccessRecord) -> AccessRecord {
        let latest = if (other.last, &other.action) > (self.last, &self.action) {
            other
        } else {
            self
        };
        AccessRecord {
            count: self.count.saturating_add(other.count),
            ..latest.clone()
        }
    }
}

/// The lower-cased service prefix of `service:Action` (the whole text when it has no colon).
pub fn namespace_of(action: &str) -> String {
    action
        .split_once(':')
        .map_or(action, |(ns, _)| ns)
        .to_ascii_lowercase()
}

/// `SERVICE_LEVEL` or `ACTION_LEVEL`, as the request asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Granularity {
    ServiceLevel,
    ActionLevel,
}

/// A generated last-accessed report: the job and its result, computed when generated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessReport {
    pub job_id: String,
    pub account: String,
    /// The user, group, role or policy ARN the report is about.
    pub arn: String,
    pub granularity: Granularity,
    pub created: Epoch,
    /// The users and roles whose attempts count (a group's members, a policy's users and
    /// roles), by ARN.
    pub entities: Vec<ReportEntity>,
    /// Every service the entity's permissions policies allow, sorted by namespace.
    pub services: Vec<ServiceAccess>,
}

/// A user or role of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportEntity {
    pub arn: String,
    pub name: String,
    pub id: String,
    pub path: String,
    pub kind: EntityKind,
}

/// One service of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAccess {
    pub namespace: String,
    pub name: String,
    /// The entities that attempted to access the service, most recent first.
    pub entities: Vec<EntityAccess>,
    /// Action level: the actions attempted, by name, each with its latest attempt.
    pub actions: Vec<ActionAccess>,
}

/// One entity's latest attempt at a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityAccess {
    pub arn: String,
    pub last: Epoch,
    pub region: Option<String>,
}

/// The latest attempt at one action of a service, by any of the report's entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionAccess {
    /// The action's name without its prefix (`GetObject`), as AWS lists tracked actions.
    pub name: String,
    pub entity_arn: String,
    pub last: Epoch,
    pub region: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(action: &str, last: Epoch, region: &str, count: u64) -> AccessRecord {
        AccessRecord {
            account: "123456789012".into(),
            entity_id: "AIDAEXAMPLE".into(),
            kind: EntityKind::User,
            action: action.into(),
            last,
            region: Some(region.into()),
            via: Via::Api,
            count,
        }
    }

    #[test]
    fn merging_keeps_the_latest_attempt_and_adds_the_counts_in_any_order() {
        let a = record("s3:GetObject", 100, "us-east-1", 3);
        let b = record("s3:getobject", 200, "eu-west-1", 4);
        let ab = a.merged(&b);
        assert_eq!(ab, b.merged(&a));
        assert_eq!((ab.last, ab.count), (200, 7));
        assert_eq!(ab.region.as_deref(), Some("eu-west-1"));
        assert_eq!(ab.action, "s3:getobject");
    }

    #[test]
    fn keys_group_an_entity_and_ignore_the_action_case() {
        assert_eq!(
            AccessRecord::store_key("1", "AIDA", "S3:GetObject"),
            AccessRecord::store_key("1", "AIDA", "s3:getobject")
        );
        assert!(
            AccessRecord::store_key("1", "AIDA", "s3:x")
                .starts_with(&AccessRecord::entity_prefix("1", "AIDA"))
        );
        assert_eq!(namespace_of("S3:GetObject"), "s3");
        assert_eq!(namespace_of("*"), "*");
    }
}
