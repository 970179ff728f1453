//! IAM Access Analyzer's analyzers: CreateAnalyzer, GetAnalyzer, ListAnalyzers,
//! UpdateAnalyzer, DeleteAnalyzer, and the tags of analyzers (TagResource, UntagResource,
//! ListTagsForResource). Analyzers belong to an account and a Region (the request's credential
//! scope), as in AWS; they are ACTIVE from creation, since oxiam analyzes nothing in the
//! background yet.
//!
//! The policy operations (ValidatePolicy, the Check* operations, policy generation) have
//! no entry in the table yet: they answer `NotImplemented` until their handlers, written on
//! `oxiam-analysis`, are wired.
//!
//! AWS does not document the messages of these errors; oxiam's are listed in
//! `tests/python/data/errors.txt` and in the README.

use std::collections::BTreeMap;

use oxiam_protocol::accessanalyzer as aa;
use oxiam_protocol::error::{ApiError, ErrorCode};
use serde_json::Value;

use super::Resolver;
use super::iam::Ctx;
use crate::auth::target::Target;
use crate::model::analyzer::{self, Analyzer, Configuration, Exclusion, Inclusion, RESOURCE_TYPE};
use crate::model::error::{ServerError, api};
use crate::model::to_datetime;
use crate::state::{State, Tx};

/// Analyzers of each account-level type an account may have per Region (AWS's quota, not
/// adjustable: "Maximum account-level analyzers per analyzer type per AWS account per
/// Region: 1").
const ACCOUNT_ANALYZERS_PER_TYPE: usize = 1;
/// ListAnalyzers' page size when `maxResults` is absent.
const DEFAULT_PAGE: usize = 100;
/// AWS's bounds of `unusedAccessAge`, in days (API reference of UnusedAccessConfiguration).
const UNUSED_ACCESS_AGE: std::ops::RangeInclusive<i32> = 1..=365;
/// Tags per analyzer (AWS's tagging quota for Access Analyzer resources).
const TAGS_PER_ANALYZER: usize = 50;

/// The Region analyzers of this call live in: the credential scope's.
pub fn region(ctx: &Ctx<'_>) -> String {
    region_of(&ctx.caller.region)
}

fn region_of(region: &str) -> String {
    if region.is_empty() {
        "us-east-1".to_owned()
    } else {
        region.to_owned()
    }
}

/// The ARN an analyzer named `name` has (or would have) for `caller`.
pub fn analyzer_arn(caller: &crate::auth::authn::Caller, name: &str) -> String {
    analyzer::arn(&region_of(&caller.region), &caller.account, name)
}

/// The tags an existing analyzer has, for `aws:ResourceTag/…` (none when it does not exist).
pub fn tags_of(
    state: &State,
    caller: &crate::auth::authn::Caller,
    name: &str,
) -> Vec<crate::model::Tag> {
    state
        .analyzers
        .get(&Analyzer::store_key(
            &caller.account,
            &region_of(&caller.region),
            name,
        ))
        .map(|a| {
            a.tags
                .iter()
                .map(|(k, v)| crate::model::Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The analyzer name of an analyzer ARN of `caller`'s account and Region.
pub fn name_in_arn<'a>(caller: &crate::auth::authn::Caller, arn: &'a str) -> Option<&'a str> {
    let prefix = analyzer::arn(&region_of(&caller.region), &caller.account, "");
    arn.strip_prefix(&prefix)
        .filter(|n| !n.is_empty() && !n.contains('/'))
}

fn validation(message: impl Into<String>) -> ServerError {
    ServerError::Api(
        ApiError::new(ErrorCode::ValidationException, message).with("reason", Value::from("other")),
    )
}

fn not_found(name: &str) -> ServerError {
    ServerError::Api(
        ApiError::new(
            ErrorCode::ResourceNotFoundException,
            format!("Analyzer {name} not found"),
        )
        .with("resourceId", Value::from(name))
        .with("resourceType", Value::from(RESOURCE_TYPE)),
    )
}

fn find<'s>(ctx: &Ctx<'_>, state: &'s State, name: &str) -> Result<&'s Analyzer, ServerError> {
    state
        .analyzers
        .get(&Analyzer::store_key(
            &ctx.caller.account,
            &region(ctx),
            name,
        ))
        .map(AsRef::as_ref)
        .ok_or_else(|| not_found(name))
}

/// The analyzer a tagging call names by ARN: one of the caller's account and Region.
fn find_by_arn<'s>(
    ctx: &Ctx<'_>,
    state: &'s State,
    arn: &str,
) -> Result<&'s Analyzer, ServerError> {
    match name_in_arn(ctx.caller, arn) {
        Some(name) => find(ctx, state, name),
        None => Err(ServerError::Api(
            ApiError::new(
                ErrorCode::ResourceNotFoundException,
                format!("Resource {arn} not found"),
            )
            .with("resourceId", Value::from(arn)),
        )),
    }
}

pub fn create_analyzer(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &aa::CreateAnalyzerRequest,
) -> Result<aa::CreateAnalyzerResponse, ServerError> {
    let kind = r.r#type.as_str();
    if kind.starts_with("ORGANIZATION") {
        // oxiam has no Organizations: every account is outside an organization, and AWS
        // refuses an organization analyzer to such an account.
        return Err(validation(format!(
            "Analyzers of type {kind} can only be created by an account in an organization"
        )));
    }
    if r.archive_rules
        .as_ref()
        .is_some_and(|rules| !rules.is_empty())
    {
        return Err(api(
            ErrorCode::NotImplemented,
            "oxiam does not implement archive rules yet",
        ));
    }
    let configuration = configuration_for(kind, r.configuration.as_ref())?;
    let tags = r.tags.clone().unwrap_or_default();
    check_tags(&tags)?;
    let region = region(ctx);
    let account = ctx.caller.account.clone();
    let key = Analyzer::store_key(&account, &region, &r.analyzer_name);
    let state = tx.state();
    if let Some(existing) = state.analyzers.get(&key) {
        // A retry of the same call (same client token, same type) answers the analyzer it
        // made, as AWS's idempotent operations do.
        if r.client_token.is_some()
            && existing.client_token == r.client_token
            && existing.kind == kind
        {
            return Ok(aa::CreateAnalyzerResponse {
                arn: Some(existing.arn()),
            });
        }
        return Err(ServerError::Api(
            ApiError::new(
                ErrorCode::ConflictException,
                format!("Analyzer {} already exists", r.analyzer_name),
            )
            .with("resourceId", Value::from(r.analyzer_name.as_str()))
            .with("resourceType", Value::from(RESOURCE_TYPE)),
        ));
    }
    let same_kind = State::with_prefix(&state.analyzers, format!("{account}/{region}/"))
        .filter(|a| a.kind == kind)
        .count();
    if same_kind >= ACCOUNT_ANALYZERS_PER_TYPE {
        return Err(ServerError::Api(
            ApiError::new(
                ErrorCode::ServiceQuotaExceededException,
                format!("Maximum number of analyzers of type {kind} reached"),
            )
            .with("resourceId", Value::from(r.analyzer_name.as_str()))
            .with("resourceType", Value::from(RESOURCE_TYPE)),
        ));
    }
    let created = Analyzer {
        account,
        region,
        name: r.analyzer_name.clone(),
        kind: kind.to_owned(),
        created: ctx.env.now.unix_timestamp(),
        tags,
        configuration,
        client_token: r.client_token.clone(),
    };
    let arn = created.arn();
    tx.put(created)?;
    Ok(aa::CreateAnalyzerResponse { arn: Some(arn) })
}

/// The stored configuration of an analyzer of `kind`: unused access analyzers take an
/// `unusedAccess` configuration (age 90 days when absent, as AWS's default), internal access
/// analyzers an `internalAccess` one; any other pairing is refused.
fn configuration_for(
    kind: &str,
    given: Option<&aa::AnalyzerConfiguration>,
) -> Result<Option<Configuration>, ServerError> {
    match (kind, given) {
        ("ACCOUNT_UNUSED_ACCESS", None) => Ok(Some(Configuration::UnusedAccess {
            age: Some(90),
            exclusions: None,
        })),
        ("ACCOUNT_UNUSED_ACCESS", Some(aa::AnalyzerConfiguration::UnusedAccess(u))) => {
            let age = u.unused_access_age.unwrap_or(90);
            if !UNUSED_ACCESS_AGE.contains(&age) {
                return Err(validation(format!(
                    "unusedAccessAge must be between 1 and 365 days, got {age}"
                )));
            }
            Ok(Some(Configuration::UnusedAccess {
                age: Some(age),
                exclusions: u
                    .analysis_rule
                    .as_ref()
                    .and_then(|rule| rule.exclusions.as_ref())
                    .map(|list| {
                        list.iter()
                            .map(|e| Exclusion {
                                account_ids: e.account_ids.clone(),
                                resource_tags: e.resource_tags.clone(),
                            })
                            .collect()
                    }),
            }))
        }
        ("ACCOUNT_INTERNAL_ACCESS", None) => {
            Ok(Some(Configuration::InternalAccess { inclusions: None }))
        }
        ("ACCOUNT_INTERNAL_ACCESS", Some(aa::AnalyzerConfiguration::InternalAccess(i))) => {
            Ok(Some(Configuration::InternalAccess {
                inclusions: i
                    .analysis_rule
                    .as_ref()
                    .and_then(|rule| rule.inclusions.as_ref())
                    .map(|list| {
                        list.iter()
                            .map(|c| Inclusion {
                                account_ids: c.account_ids.clone(),
                                resource_types: c.resource_types.clone(),
                                resource_arns: c.resource_arns.clone(),
                            })
                            .collect()
                    }),
            }))
        }
        (_, None) => Ok(None),
        (_, Some(_)) => Err(validation(format!(
            "The configuration given is not valid for an analyzer of type {kind}"
        ))),
    }
}

fn to_wire(c: &Configuration) -> aa::AnalyzerConfiguration {
    match c {
        Configuration::UnusedAccess { age, exclusions } => {
            aa::AnalyzerConfiguration::UnusedAccess(aa::UnusedAccessConfiguration {
                unused_access_age: *age,
                analysis_rule: exclusions.as_ref().map(|list| aa::AnalysisRule {
                    exclusions: Some(
                        list.iter()
                            .map(|e| aa::AnalysisRuleCriteria {
                                account_ids: e.account_ids.clone(),
                                resource_tags: e.resource_tags.clone(),
                            })
                            .collect(),
                    ),
                }),
            })
        }
        Configuration::InternalAccess { inclusions } => {
            aa::AnalyzerConfiguration::InternalAccess(aa::InternalAccessConfiguration {
                analysis_rule: inclusions
                    .as_ref()
                    .map(|list| aa::InternalAccessAnalysisRule {
                        inclusions: Some(
                            list.iter()
                                .map(|c| aa::InternalAccessAnalysisRuleCriteria {
                                    account_ids: c.account_ids.clone(),
                                    resource_types: c.resource_types.clone(),
                                    resource_arns: c.resource_arns.clone(),
                                })
                                .collect(),
                        ),
                    }),
            })
        }
    }
}

fn summary(a: &Analyzer) -> aa::AnalyzerSummary {
    aa::AnalyzerSummary {
        arn: a.arn(),
        name: a.name.clone(),
        r#type: a.kind.clone(),
        created_at: to_datetime(a.created),
        last_resource_analyzed: None,
        last_resource_analyzed_at: None,
        tags: Some(a.tags.clone()),
        status: "ACTIVE".to_owned(),
        status_reason: None,
        configuration: a.configuration.as_ref().map(to_wire),
        managed_by: None,
    }
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), ServerError> {
    if tags.len() > TAGS_PER_ANALYZER {
        return Err(validation(format!(
            "A resource can have at most {TAGS_PER_ANALYZER} tags"
        )));
    }
    Ok(())
}

pub fn get_analyzer(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &aa::GetAnalyzerRequest,
) -> Result<aa::GetAnalyzerResponse, ServerError> {
    Ok(aa::GetAnalyzerResponse {
        analyzer: summary(find(ctx, tx.state(), &r.analyzer_name)?),
    })
}

/// The analyzers of the caller's account and Region in name order, one page at a time; the
/// `nextToken` is the name the next page starts at.
pub fn list_analyzers(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &aa::ListAnalyzersRequest,
) -> Result<aa::ListAnalyzersResponse, ServerError> {
    let page = match r.max_results {
        None => DEFAULT_PAGE,
        Some(n) if n >= 1 => usize::try_from(n).unwrap_or(DEFAULT_PAGE),
        Some(_) => return Err(validation("maxResults must be at least 1")),
    };
    let prefix = format!("{}/{}/", ctx.caller.account, region(ctx));
    let state = tx.state();
    let mut all = State::with_prefix(&state.analyzers, prefix)
        .filter(|a| r.r#type.as_deref().is_none_or(|t| t == a.kind))
        .filter(|a| {
            r.next_token
                .as_deref()
                .is_none_or(|from| a.name.as_str() >= from)
        });
    let analyzers: Vec<aa::AnalyzerSummary> = all.by_ref().take(page).map(|a| summary(a)).collect();
    let next_token = all.next().map(|a| a.name.clone());
    Ok(aa::ListAnalyzersResponse {
        analyzers,
        next_token,
    })
}

pub fn update_analyzer(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &aa::UpdateAnalyzerRequest,
) -> Result<aa::UpdateAnalyzerResponse, ServerError> {
    let existing = find(ctx, tx.state(), &r.analyzer_name)?;
    if r.configuration.is_some() && existing.configuration.is_none() {
        return Err(validation(format!(
            "Analyzers of type {} have no configuration to update",
            existing.kind
        )));
    }
    let mut updated = existing.clone();
    if let Some(given) = &r.configuration {
        updated.configuration = configuration_for(&existing.kind, Some(given))?;
    }
    let configuration = updated.configuration.as_ref().map(to_wire);
    tx.put(updated)?;
    Ok(aa::UpdateAnalyzerResponse { configuration })
}

pub fn delete_analyzer(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &aa::DeleteAnalyzerRequest,
) -> Result<(), ServerError> {
    let key = find(ctx, tx.state(), &r.analyzer_name)
        .map(|a| Analyzer::store_key(&a.account, &a.region, &a.name))?;
    tx.delete::<Analyzer>(&key);
    Ok(())
}

pub fn tag_resource(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &aa::TagResourceRequest,
) -> Result<aa::TagResourceResponse, ServerError> {
    let mut updated = find_by_arn(ctx, tx.state(), &r.resource_arn)?.clone();
    updated
        .tags
        .extend(r.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    check_tags(&updated.tags)?;
    tx.put(updated)?;
    Ok(aa::TagResourceResponse {})
}

pub fn untag_resource(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &aa::UntagResourceRequest,
) -> Result<aa::UntagResourceResponse, ServerError> {
    let mut updated = find_by_arn(ctx, tx.state(), &r.resource_arn)?.clone();
    for key in &r.tag_keys {
        updated.tags.remove(key);
    }
    tx.put(updated)?;
    Ok(aa::UntagResourceResponse {})
}

pub fn list_tags_for_resource(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &aa::ListTagsForResourceRequest,
) -> Result<aa::ListTagsForResourceResponse, ServerError> {
    let analyzer = find_by_arn(ctx, tx.state(), &r.resource_arn)?;
    Ok(aa::ListTagsForResourceResponse {
        tags: Some(analyzer.tags.clone()),
    })
}

/// The target of an operation on the analyzer `name`: its ARN and its tags.
pub fn target(x: &Resolver<'_>, name: &str) -> Target {
    Target::new(x.action.clone(), analyzer_arn(x.caller, name))
        .resource_tags(&tags_of(x.state, x.caller, name))
}

/// The target of a tagging operation on the resource `arn`: the ARN as given, with the
/// analyzer's tags when it is one of the caller's.
pub fn arn_target(x: &Resolver<'_>, arn: &str) -> Target {
    let tags = name_in_arn(x.caller, arn)
        .map(|name| tags_of(x.state, x.caller, name))
        .unwrap_or_default();
    Target::new(x.action.clone(), arn).resource_tags(&tags)
}
