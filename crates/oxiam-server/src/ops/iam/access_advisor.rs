//! The access advisor: `GenerateServiceLastAccessedDetails`,
//! `GetServiceLastAccessedDetails`, `GetServiceLastAccessedDetailsWithEntities` and
//! `ListPoliciesGrantingServiceAccess`, from what oxiam itself authorized (see
//! `model::access` for what is recorded and `runtime::access_log` for how).
//!
//! - Which services a report lists: those an `Allow` statement of the entity's permissions
//!   policies names (`Action` patterns matched against the service catalogue, `NotAction`
//!   by what it leaves out), ignoring conditions, resources, boundaries and resource
//!   policies — AWS: "it only applies permissions policy logic". Services the catalogue
//!   does not know (an application's own `myapp:` actions) count when a pattern names their
//!   prefix literally or matches an action attempted.
//! - Whose attempts: a user's or role's own; a group's members'; for a managed policy, the
//!   users and roles it is attached to and the members of the groups it is attached to.
//! - A report is computed when generated and kept whole (`AccessReport`), so the job reads
//!   the same on every node and after its entity changes. It is complete at once: the
//!   first `Get…` answers `COMPLETED`. Reports are kept [`REPORT_LIFETIME_SECONDS`].
//! - Action level: every service is tracked (oxiam sees every action); each service lists
//!   the actions attempted, not those merely allowed, as AWS leaves out tracked actions
//!   nobody used.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use oxiam_catalogue::Catalogue;
use oxiam_protocol::iam;
use serde_json::Value;

use super::policies::{Found, find};
use super::{Ctx, paginate};
use crate::app::App;
use crate::auth::decide;
use crate::model::access::{
    AccessRecord, AccessReport, ActionAccess, EntityAccess, EntityKind, Granularity, ReportEntity,
    ServiceAccess, namespace_of,
};
use crate::model::error::{ServerError, invalid_input, no_such_entity, no_such_user};
use crate::model::{Epoch, Group, Role, User, ids, now_epoch, policy_json, to_datetime};
use crate::state::{State, Tx};

/// How long a generated report can be read (AWS does not say; oxiam keeps a week).
pub const REPORT_LIFETIME_SECONDS: Epoch = 7 * 86_400;

/// GenerateServiceLastAccessedDetails: this node's unflushed attempts are flushed first,
/// so the report includes the caller's own latest calls.
pub fn generate_service_last_accessed_details(
    app: &App,
    ctx: &Ctx<'_>,
    r: &iam::GenerateServiceLastAccessedDetailsRequest,
) -> Result<iam::GenerateServiceLastAccessedDetailsResponse, ServerError> {
    app.flush_last_used()?;
    let granularity = match r.granularity.as_deref() {
        Some("ACTION_LEVEL") => Granularity::ActionLevel,
        _ => Granularity::ServiceLevel,
    };
    let now = now_epoch();
    let account = ctx.caller.account.clone();
    let retention = i64::from(app.config.access_retention_days) * 86_400;
    let report = app.read(|tx| {
        let subject = Subject::resolve(tx.state(), &account, &r.arn)?;
        Ok(build_report(
            tx.state(),
            app.catalogue(),
            &subject,
            Job {
                id: ids::request_id(),
                account: &account,
                arn: &r.arn,
                granularity,
                now,
                since: now - retention,
            },
        ))
    })?;
    let job_id = report.job_id.clone();
    app.write(|tx| {
        let expired: Vec<String> = tx
            .state()
            .access_reports
            .iter()
            .filter(|(_, old)| now - old.created > REPORT_LIFETIME_SECONDS)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &expired {
            tx.delete::<AccessReport>(k);
        }
        tx.put(report.clone())
    })?;
    Ok(iam::GenerateServiceLastAccessedDetailsResponse {
        job_id: Some(job_id),
    })
}

/// A report of the caller's account by job ID.
fn job<'s>(state: &'s State, ctx: &Ctx<'_>, job_id: &str) -> Result<&'s AccessReport, ServerError> {
    state
        .access_reports
        .get(job_id)
        .map(|r| &**r)
        .filter(|r| r.account == ctx.caller.account)
        .filter(|r| now_epoch() - r.created <= REPORT_LIFETIME_SECONDS)
        .ok_or_else(|| no_such_entity(format!("No such job: {job_id}.")))
}

/// GetServiceLastAccessedDetails.
pub fn get_service_last_accessed_details(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetServiceLastAccessedDetailsRequest,
) -> Result<iam::GetServiceLastAccessedDetailsResponse, ServerError> {
    let report = job(tx.state(), ctx, &r.job_id)?;
    let action_level = report.granularity == Granularity::ActionLevel;
    let page = paginate(
        report.services.iter().map(|s| (s.namespace.clone(), s)),
        r.marker.as_deref(),
        r.max_items,
    )?;
    let truncated = page.is_truncated();
    let marker = page.next_marker.clone();
    let services = page
        .map(|s| {
            let latest = s.entities.first();
            iam::ServiceLastAccessed {
                service_name: s.name.clone(),
                service_namespace: s.namespace.clone(),
                last_authenticated: latest.map(|e| to_datetime(e.last)),
                last_authenticated_entity: latest.map(|e| e.arn.clone()),
                last_authenticated_region: latest.and_then(|e| e.region.clone()),
                total_authenticated_entities: (!s.entities.is_empty())
                    .then(|| i32::try_from(s.entities.len()).unwrap_or(i32::MAX)),
                tracked_actions_last_accessed: (action_level && !s.actions.is_empty()).then(|| {
                    s.actions
                        .iter()
                        .map(|a| iam::TrackedActionLastAccessed {
                            action_name: Some(a.name.clone()),
                            last_accessed_entity: Some(a.entity_arn.clone()),
                            last_accessed_time: Some(to_datetime(a.last)),
                            last_accessed_region: a.region.clone(),
                        })
                        .collect()
                }),
            }
        })
        .items;
    Ok(iam::GetServiceLastAccessedDetailsResponse {
        job_status: "COMPLETED".into(),
        job_type: Some(
            match report.granularity {
                Granularity::ServiceLevel => "SERVICE_LEVEL",
                Granularity::ActionLevel => "ACTION_LEVEL",
            }
            .into(),
        ),
        job_creation_date: to_datetime(report.created),
        services_last_accessed: services,
        job_completion_date: to_datetime(report.created),
        is_truncated: Some(truncated),
        marker,
        error: None,
    })
}

/// GetServiceLastAccessedDetailsWithEntities: every entity of the report, those that
/// attempted the service first (most recent first), then the others by name.
pub fn get_service_last_accessed_details_with_entities(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetServiceLastAccessedDetailsWithEntitiesRequest,
) -> Result<iam::GetServiceLastAccessedDetailsWithEntitiesResponse, ServerError> {
    let report = job(tx.state(), ctx, &r.job_id)?;
    let namespace = r.service_namespace.to_ascii_lowercase();
    let attempts: HashMap<&str, Epoch> = report
        .services
        .iter()
        .find(|s| s.namespace == namespace)
        .map(|s| {
            s.entities
                .iter()
                .map(|e| (e.arn.as_str(), e.last))
                .collect()
        })
        .unwrap_or_default();
    let mut entities: Vec<(&ReportEntity, Option<Epoch>)> = report
        .entities
        .iter()
        .map(|e| (e, attempts.get(e.arn.as_str()).copied()))
        .collect();
    entities.sort_by(|(a, at), (b, bt)| bt.cmp(at).then_with(|| a.arn.cmp(&b.arn)));
    // The page key keeps that order: position, then ARN.
    let page = paginate(
        entities
            .into_iter()
            .enumerate()
            .map(|(i, e)| (format!("{i:08}"), e)),
        r.marker.as_deref(),
        r.max_items,
    )?;
    let truncated = page.is_truncated();
    let marker = page.next_marker.clone();
    Ok(iam::GetServiceLastAccessedDetailsWithEntitiesResponse {
        job_status: "COMPLETED".into(),
        job_creation_date: to_datetime(report.created),
        job_completion_date: to_datetime(report.created),
        entity_details_list: page
            .map(|(e, last)| iam::EntityDetails {
                entity_info: iam::EntityInfo {
                    arn: e.arn.clone(),
                    name: e.name.clone(),
                    r#type: match e.kind {
                        EntityKind::User => "USER",
                        EntityKind::Role => "ROLE",
                    }
                    .into(),
                    id: e.id.clone(),
                    path: Some(e.path.clone()),
                },
                last_authenticated: last.map(to_datetime),
            })
            .items,
        is_truncated: Some(truncated),
        marker,
        error: None,
    })
}

/// ListPoliciesGrantingServiceAccess: per namespace asked, in the order asked, the
/// entity's policies (a user's own and its groups') whose `Allow` statements reach it.
pub fn list_policies_granting_service_access(
    app: &App,
    ctx: &Ctx<'_>,
    r: &iam::ListPoliciesGrantingServiceAccessRequest,
) -> Result<iam::ListPoliciesGrantingServiceAccessResponse, ServerError> {
    // Every entry is in the first answer: no marker was ever handed out; a malformed one is
    // still refused as in every list.
    super::marker_start(r.marker.as_deref())?;
    let account = ctx.caller.account.clone();
    app.read(|tx| {
        let state = tx.state();
        let subject = Subject::resolve(state, &account, &r.arn)?;
        if matches!(subject, Subject::Policy(_)) {
            return Err(invalid_input(format!(
                "Invalid ARN {}: it must name a user, group or role.",
                r.arn
            )));
        }
        let policies = subject.policies(state);
        let granted: Vec<BTreeSet<String>> = policies
            .iter()
            .map(|p| granted_namespaces(app.catalogue(), &[p.document], &[]))
            .collect();
        let entries = r
            .service_namespaces
            .iter()
            .map(|ns| {
                let wanted = ns.to_ascii_lowercase();
                iam::ListPoliciesGrantingServiceAccessEntry {
                    service_namespace: Some(ns.clone()),
                    policies: Some(
                        policies
                            .iter()
                            .zip(&granted)
                            .filter(|(_, g)| g.contains(&wanted))
                            .map(|(p, _)| p.wire())
                            .collect(),
                    ),
                }
            })
            .collect();
        Ok(iam::ListPoliciesGrantingServiceAccessResponse {
            policies_granting_service_access: entries,
            is_truncated: Some(false),
            marker: None,
        })
    })
}

/// What a report or a policy list is about.
enum Subject<'s> {
    User(&'s User),
    Group(&'s Group),
    Role(&'s Role),
    Policy(Found<'s>),
}

/// One permissions policy of an entity, as `ListPoliciesGrantingServiceAccess` names it.
struct Granting<'s> {
    name: &'s str,
    /// Managed policies: the ARN. Inline ones: their entity's type and name.
    arn: Option<String>,
    entity: Option<(&'static str, &'s str)>,
    document: &'s str,
}

impl Granting<'_> {
    fn wire(&self) -> iam::PolicyGrantingServiceAccess {
        iam::PolicyGrantingServiceAccess {
            policy_name: self.name.to_owned(),
            policy_type: if self.arn.is_some() {
                "MANAGED"
            } else {
                "INLINE"
            }
            .into(),
            policy_arn: self.arn.clone(),
            entity_type: self.entity.map(|(t, _)| t.to_owned()),
            entity_name: self.entity.map(|(_, n)| n.to_owned()),
        }
    }
}

/// The inline and attached policies of one user, group or role.
fn push_granting<'s>(
    state: &'s State,
    entity: (&'static str, &'s str),
    inline: &'s crate::model::InlinePolicies,
    attached: &'s [String],
    out: &mut Vec<Granting<'s>>,
) {
    for (name, document) in inline {
        out.push(Granting {
            name,
            arn: None,
            entity: Some(entity),
            document,
        });
    }
    for arn in attached {
        if let Some(o) = decide::managed_origin(state, arn) {
            out.push(Granting {
                name: o.id,
                arn: Some(arn.clone()),
                entity: None,
                document: o.document,
            });
        }
    }
}

/// A group's own policies.
fn push_group<'s>(state: &'s State, g: &'s Group, out: &mut Vec<Granting<'s>>) {
    push_granting(
        state,
        ("GROUP", &g.name),
        &g.inline_policies,
        &g.attached_policies,
        out,
    );
}

impl<'s> Subject<'s> {
    /// The user, group, role or managed policy an ARN names, in `account`.
    fn resolve(state: &'s State, account: &str, arn: &str) -> Result<Subject<'s>, ServerError> {
        if arn.contains(":policy/") {
            return find(state, account, arn).map(Subject::Policy);
        }
        let invalid = || invalid_input(format!("ARN {arn} is not valid."));
        let rest = arn.strip_prefix("arn:aws:iam::").ok_or_else(invalid)?;
        let (arn_account, resource) = rest.split_once(':').ok_or_else(invalid)?;
        let (kind, path_name) = resource.split_once('/').ok_or_else(invalid)?;
        let name = path_name.rsplit('/').next().unwrap_or_default();
        if name.is_empty() || !ids::is_account_id(arn_account) {
            return Err(invalid());
        }
        let here = arn_account == account;
        match kind {
            "user" => state
                .user(account, name)
                .filter(|u| here && u.arn() == arn)
                .map(|u| Subject::User(u))
                .ok_or_else(|| no_such_user(name)),
            "group" => state
                .group(account, name)
                .filter(|g| here && g.arn() == arn)
                .map(|g| Subject::Group(g))
                .ok_or_else(|| {
                    no_such_entity(format!("The group with name {name} cannot be found."))
                }),
            "role" => state
                .role(account, name)
                .filter(|r| here && r.arn() == arn)
                .map(|r| Subject::Role(r))
                .ok_or_else(|| {
                    no_such_entity(format!("The role with name {name} cannot be found."))
                }),
            _ => Err(invalid()),
        }
    }

    /// The permissions policies of the subject (for a user, its groups' too).
    fn policies(&self, state: &'s State) -> Vec<Granting<'s>> {
        let mut out = Vec::new();
        match self {
            Subject::User(u) => {
                push_granting(
                    state,
                    ("USER", &u.name),
                    &u.inline_policies,
                    &u.attached_policies,
                    &mut out,
                );
                for key in state.compiled.groups_of(&u.id) {
                    if let Some(g) = state.groups.get(key) {
                        push_group(state, g, &mut out);
                    }
                }
            }
            Subject::Group(g) => push_group(state, g, &mut out),
            Subject::Role(r) => {
                push_granting(
                    state,
                    ("ROLE", &r.name),
                    &r.inline_policies,
                    &r.attached_policies,
                    &mut out,
                );
            }
            Subject::Policy(p) => {
                if let Some(o) = decide::managed_origin(state, &p.arn()) {
                    out.push(Granting {
                        name: o.id,
                        arn: Some(p.arn()),
                        entity: None,
                        document: o.document,
                    });
                }
            }
        }
        out
    }

    /// The users and roles whose attempts the report counts.
    fn entities(&self, state: &State, account: &str) -> Vec<ReportEntity> {
        let user = |u: &User| ReportEntity {
            arn: u.arn(),
            name: u.name.clone(),
            id: u.id.clone(),
            path: u.path.clone(),
            kind: EntityKind::User,
        };
        let role = |r: &Role| ReportEntity {
            arn: r.arn(),
            name: r.name.clone(),
            id: r.id.clone(),
            path: r.path.clone(),
            kind: EntityKind::Role,
        };
        let members = |g: &Group| -> Vec<ReportEntity> {
            g.members
                .iter()
                .filter_map(|id| state.user_by_id(id))
                .map(|u| user(u))
                .collect()
        };
        let mut out = match self {
            Subject::User(u) => vec![user(u)],
            Subject::Role(r) => vec![role(r)],
            Subject::Group(g) => members(g),
            Subject::Policy(p) => {
                let arn = p.arn();
                let mut out: Vec<ReportEntity> = state
                    .users_of(account)
                    .filter(|u| u.attached_policies.contains(&arn))
                    .map(|u| user(u))
                    .collect();
                out.extend(
                    State::of_account(&state.roles, account)
                        .filter(|r| r.attached_policies.contains(&arn))
                        .map(|r| role(r)),
                );
                for g in State::of_account(&state.groups, account) {
                    if g.attached_policies.contains(&arn) {
                        out.extend(members(g));
                    }
                }
                out
            }
        };
        out.sort_by(|a, b| a.arn.cmp(&b.arn));
        out.dedup_by(|a, b| a.id == b.id);
        out
    }
}

/// What a report job was asked, and when.
struct Job<'a> {
    id: String,
    account: &'a str,
    arn: &'a str,
    granularity: Granularity,
    now: Epoch,
    /// Attempts before this are past the retention.
    since: Epoch,
}

fn build_report(
    state: &State,
    catalogue: &Catalogue,
    subject: &Subject<'_>,
    job: Job<'_>,
) -> AccessReport {
    let entities = subject.entities(state, job.account);
    // Every attempt of the report's entities within the retention, by namespace.
    let mut by_namespace: BTreeMap<String, Vec<(&ReportEntity, &AccessRecord)>> = BTreeMap::new();
    for e in &entities {
        let prefix = AccessRecord::entity_prefix(job.account, &e.id);
        for r in State::with_prefix(&state.access_records, prefix) {
            if r.last >= job.since {
                by_namespace.entry(r.namespace()).or_default().push((e, r));
            }
        }
    }
    let attempted: Vec<&str> = by_namespace
        .values()
        .flatten()
        .map(|(_, r)| r.action.as_str())
        .collect();
    let policies = subject.policies(state);
    let documents: Vec<&str> = policies.iter().map(|p| p.document).collect();
    let granted = granted_namespaces(catalogue, &documents, &attempted);
    let services = granted
        .into_iter()
        .map(|namespace| {
            let attempts = by_namespace
                .get(&namespace)
                .map(Vec::as_slice)
                .unwrap_or_default();
            ServiceAccess {
                name: catalogue
                    .service(&namespace)
                    .map_or_else(|| namespace.clone(), |s| service_name(&s.name)),
                entities: latest_per_entity(attempts),
                actions: match job.granularity {
                    Granularity::ActionLevel => latest_per_action(catalogue, attempts),
                    Granularity::ServiceLevel => Vec::new(),
                },
                namespace,
            }
        })
        .collect();
    AccessReport {
        job_id: job.id,
        account: job.account.to_owned(),
        arn: job.arn.to_owned(),
        granularity: job.granularity,
        created: job.now,
        entities,
        services,
    }
}

/// A service's name as the access advisor gives it: the service authorization reference's
/// name without a trailing abbreviation (`AWS Identity and Access Management (IAM)` →
/// `AWS Identity and Access Management`, as AWS's report names IAM).
fn service_name(name: &str) -> String {
    match name.strip_suffix(')').and_then(|s| s.rsplit_once(" (")) {
        Some((base, short)) if !short.contains(' ') && !base.is_empty() => base.to_owned(),
        _ => name.to_owned(),
    }
}

/// Each entity's latest attempt, most recent first.
fn latest_per_entity(attempts: &[(&ReportEntity, &AccessRecord)]) -> Vec<EntityAccess> {
    let mut latest: HashMap<&str, &AccessRecord> = HashMap::new();
    for (e, r) in attempts {
        let slot = latest.entry(e.arn.as_str()).or_insert(r);
        if r.last > slot.last {
            *slot = r;
        }
    }
    let mut out: Vec<EntityAccess> = latest
        .into_iter()
        .map(|(arn, r)| EntityAccess {
            arn: arn.to_owned(),
            last: r.last,
            region: r.region.clone(),
        })
        .collect();
    out.sort_by(|a, b| b.last.cmp(&a.last).then_with(|| a.arn.cmp(&b.arn)));
    out
}

/// Each action's latest attempt by any entity, by action name; names as the catalogue
/// spells them when it knows the action.
fn latest_per_action(
    catalogue: &Catalogue,
    attempts: &[(&ReportEntity, &AccessRecord)],
) -> Vec<ActionAccess> {
    let mut latest: BTreeMap<String, (&ReportEntity, &AccessRecord)> = BTreeMap::new();
    for (e, r) in attempts {
        let slot = latest
            .entry(r.action.to_ascii_lowercase())
            .or_insert((e, r));
        if r.last > slot.1.last {
            *slot = (e, r);
        }
    }
    latest
        .into_values()
        .map(|(e, r)| ActionAccess {
            name: catalogue.action(&r.action).map_or_else(
                || {
                    r.action
                        .split_once(':')
                        .map_or(r.action.as_str(), |(_, n)| n)
                        .to_owned()
                },
                |(_, a)| a.name.clone(),
            ),
            entity_arn: e.arn.clone(),
            last: r.last,
            region: r.region.clone(),
        })
        .collect()
}

/// The service namespaces (lower-cased) an `Allow` statement of `documents` reaches with
/// some action: the catalogue's actions, a literally named prefix the catalogue does not
/// know, and the `attempted` actions.
fn granted_namespaces(
    catalogue: &Catalogue,
    documents: &[&str],
    attempted: &[&str],
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for document in documents {
        let Ok(policy) = serde_json::from_str::<Value>(document) else {
            continue;
        };
        for statement in policy_json::statements(&policy) {
            if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
                continue;
            }
            if let Some(actions) = statement.get("Action") {
                for pattern in policy_json::strings(actions) {
                    for (service, _) in catalogue.matching_actions(pattern) {
                        out.insert(service.prefix.to_ascii_lowercase());
                    }
                    if let Some((prefix, _)) = pattern.split_once(':')
                        && !prefix.contains(['*', '?'])
                        && catalogue.service(prefix).is_none()
                    {
                        out.insert(prefix.to_ascii_lowercase());
                    }
                    for action in attempted {
                        if oxiam_policy::wildcard_match(pattern, action, true) {
                            out.insert(namespace_of(action));
                        }
                    }
                }
            }
            if let Some(not_actions) = statement.get("NotAction") {
                let patterns = policy_json::strings(not_actions);
                // The catalogue's actions the patterns name; a service is reached when some
                // action of it is not among them.
                let named: HashSet<(&str, &str)> = patterns
                    .iter()
                    .flat_map(|p| catalogue.matching_actions(p))
                    .map(|(s, a)| (s.prefix.as_str(), a.name.as_str()))
                    .collect();
                for service in catalogue.services() {
                    if service
                        .actions
                        .iter()
                        .any(|a| !named.contains(&(service.prefix.as_str(), a.name.as_str())))
                    {
                        out.insert(service.prefix.to_ascii_lowercase());
                    }
                }
                for action in attempted {
                    if !patterns
                        .iter()
                        .any(|p| oxiam_policy::wildcard_match(p, action, true))
                    {
                        out.insert(namespace_of(action));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_lose_a_trailing_abbreviation_only() {
        assert_eq!(
            service_name("AWS Identity and Access Management (IAM)"),
            "AWS Identity and Access Management"
        );
        assert_eq!(service_name("Amazon S3"), "Amazon S3");
        assert_eq!(
            service_name("Amazon Kinesis (with more words)"),
            "Amazon Kinesis (with more words)"
        );
        assert_eq!(service_name("(X)"), "(X)");
    }

    #[test]
    fn allowed_namespaces_follow_action_and_not_action() {
        let catalogue = Catalogue::aws();
        let doc = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":["s3:Get*","myapp:Read"],"Resource":"*"},
            {"Effect":"Deny","Action":"ec2:*","Resource":"*"},
            {"Effect":"Allow","Action":"iam:NoSuchAction*","Resource":"*"}]}"#;
        let got = granted_namespaces(catalogue, &[doc], &["other:Thing"]);
        assert_eq!(got.into_iter().collect::<Vec<_>>(), ["myapp", "s3"]);
        let not = r#"{"Version":"2012-10-17","Statement":
            {"Effect":"Allow","NotAction":["s3:*","iam:*"],"Resource":"*"}}"#;
        let got = granted_namespaces(catalogue, &[not], &["iam:GetUser", "other:Thing"]);
        assert!(!got.contains("s3") && !got.contains("iam"));
        assert!(got.contains("ec2") && got.contains("other"));
        assert_eq!(got.len(), catalogue.services().count() - 2 + 1);
    }
}
