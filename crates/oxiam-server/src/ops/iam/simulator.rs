//! The IAM policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and
//! GetContextKeysForPrincipalPolicy / GetContextKeysForCustomPolicy.
//!
//! The simulator never has its own idea of evaluation: a principal's policies come from the
//! functions enforcement uses (`decide::user_policies_traced`, `role_policies_traced`), the
//! context from `decide::context`, and the decision from `oxiam_policy::evaluate`. What it
//! adds is reporting: which statements decided (with their place in the document), which
//! context keys the reachable statements wanted but did not get, and what the permissions
//! boundary alone says.

use std::collections::BTreeMap;

use oxiam_policy::{
    Context, ContextValue, Decision, Effect, NamedPolicy, Policy, PolicyKind, PolicySet,
    PolicyType, Principal, PrincipalType, Request, StatementSource, statement_sources,
};
use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::{Ctx, paginate};
use crate::auth::decide::{self, Origin, RequestEnv};
use crate::model::error::{ServerError, api, invalid_input, no_such_entity};
use crate::ops::Target;
use crate::state::{State, Tx};

/// AWS's quota on the number of policies in `PermissionsBoundaryPolicyInputList`: an
/// entity has one boundary at a time.
const MAX_BOUNDARY_INPUTS: usize = 1;

/// One policy taking part in a simulation, and what reports say about it.
struct Source {
    policy: Policy,
    /// `SourcePolicyId`: the policy's name, `PolicyInputList.N`, `ResourcePolicy`, …
    id: String,
    /// `SourcePolicyType` (the `PolicySourceType` enum).
    source_type: &'static str,
    statements: Vec<StatementSource>,
}

impl Source {
    fn new(policy: Policy, id: String, source_type: &'static str, document: &str) -> Self {
        Source {
            policy,
            id,
            source_type,
            statements: statement_sources(document),
        }
    }

    fn of_origin(policy: &Policy, origin: &Origin<'_>) -> Self {
        Self::new(
            policy.clone(),
            origin.id.to_owned(),
            origin.source_type,
            origin.document,
        )
    }
}

/// Everything a simulation evaluates, materialised once for all actions and resources.
struct Simulation {
    identity: Vec<Source>,
    boundary: Option<Source>,
    resource: Option<Source>,
    /// The simulated caller: ARN, account, kind, user ID and tags (`None`: no caller, so no
    /// principal keys — the simulator reports them as missing).
    caller: Option<Caller>,
    account: String,
    /// The account owning resources whose ARN names none (`ResourceOwner`).
    resource_owner: Option<String>,
    entries: Vec<(String, ContextValue)>,
    /// A stored policy of the principal no longer compiles: enforcement denies every request
    /// of this principal, so the simulator does too.
    fail_closed: bool,
}

struct Caller {
    arn: String,
    kind: PrincipalType,
    role_arn: Option<String>,
    user_id: String,
    tags: Vec<(String, String)>,
}

/// The names policies get inside one evaluation: positions into the simulation's lists, so
/// a reason leads back to its source whatever the policies are called.
const BOUNDARY: &str = "b";
const RESOURCE: &str = "r";

impl Simulation {
    fn evaluate_one(&self, action: &str, resource: &str) -> iam::EvaluationResult {
        let names: Vec<String> = (0..self.identity.len()).map(|i| i.to_string()).collect();
        let identity: Vec<NamedPolicy<'_>> = self
            .identity
            .iter()
            .zip(&names)
            .map(|(s, name)| NamedPolicy {
                name,
                policy: &s.policy,
            })
            .collect();
        let boundary = self.boundary.as_ref().map(|s| NamedPolicy {
            name: BOUNDARY,
            policy: &s.policy,
        });
        let resource_policy = self.resource.as_ref().map(|s| NamedPolicy {
            name: RESOURCE,
            policy: &s.policy,
        });
        let principal = match &self.caller {
            Some(c) => Principal {
                arn: &c.arn,
                account: &self.account,
                kind: c.kind,
                role_arn: c.role_arn.as_deref(),
                user_id: &c.user_id,
            },
            None => Principal {
                arn: "",
                account: &self.account,
                kind: PrincipalType::User,
                role_arn: None,
                user_id: "",
            },
        };
        let mut target = Target::new(action.to_owned(), resource.to_owned());
        target.keys.clone_from(&self.entries);
        let env = RequestEnv::now();
        let context = match &self.caller {
            Some(c) => {
                let tags: Vec<(&str, &str)> = c
                    .tags
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                decide::context(&principal, &tags, &target, &env)
            }
            None => {
                let mut ctx = Context::new();
                for (k, v) in &self.entries {
                    ctx.insert(k, v.clone());
                }
                ctx
            }
        };
        let resource_account = oxiam_policy::arn::Arn::parse(resource)
            .map(|a| a.account)
            .filter(|a| !a.is_empty())
            .or(self.resource_owner.as_deref());
        let request = Request {
            principal,
            action,
            resource,
            resource_account,
            context: &context,
        };
        let set = PolicySet {
            identity: &identity,
            permissions_boundary: boundary,
            resource: resource_policy,
            ..PolicySet::default()
        };
        let decision = if self.fail_closed {
            None
        } else {
            Some(oxiam_policy::evaluate(&request, &set))
        };
        let eval_decision = decision.as_ref().map_or("implicitDeny", decision_name);
        let matched = decision
            .as_ref()
            .map(|d| self.matched(d))
            .unwrap_or_default();
        let missing = self.missing(&request);
        let boundary_detail = boundary.map(|b| {
            let alone = [b];
            let only = PolicySet {
                identity: &alone,
                ..PolicySet::default()
            };
            iam::PermissionsBoundaryDecisionDetail {
                allowed_by_permissions_boundary: Some(
                    !self.fail_closed && oxiam_policy::evaluate(&request, &only).is_allowed(),
                ),
            }
        });
        let details = (resource != "*").then(|| {
            let mut details = BTreeMap::new();
            let cross = resource_account.is_some_and(|a| a != self.account);
            if cross && !self.fail_closed {
                let same = Request {
                    resource_account: None,
                    ..request
                };
                let identity_only = PolicySet {
                    resource: None,
                    ..set
                };
                details.insert(
                    "IAM Policy".to_owned(),
                    decision_name(&oxiam_policy::evaluate(&same, &identity_only)).to_owned(),
                );
                if let Some(r) = resource_policy {
                    let resource_only = PolicySet {
                        resource: Some(r),
                        ..PolicySet::default()
                    };
                    details.insert(
                        "Resource Policy".to_owned(),
                        decision_name(&oxiam_policy::evaluate(&same, &resource_only)).to_owned(),
                    );
                }
            }
            details
        });
        let specific = (resource != "*").then(|| {
            vec![iam::ResourceSpecificResult {
                eval_resource_name: resource.to_owned(),
                eval_resource_decision: eval_decision.to_owned(),
                matched_statements: Some(matched.clone()),
                missing_context_values: Some(missing.clone()),
                eval_decision_details: details.clone(),
                permissions_boundary_decision_detail: boundary_detail.clone(),
            }]
        });
        iam::EvaluationResult {
            eval_action_name: action.to_owned(),
            eval_resource_name: Some(resource.to_owned()),
            eval_decision: eval_decision.to_owned(),
            matched_statements: Some(matched),
            missing_context_values: Some(missing),
            organizations_decision_detail: None,
            permissions_boundary_decision_detail: boundary_detail,
            eval_decision_details: details,
            resource_specific_results: specific,
        }
    }

    fn source(&self, policy_type: PolicyType, name: &str) -> Option<&Source> {
        match policy_type {
            PolicyType::Identity => self.identity.get(name.parse::<usize>().ok()?),
            PolicyType::PermissionsBoundary => self.boundary.as_ref(),
            PolicyType::Resource => self.resource.as_ref(),
            PolicyType::Session | PolicyType::Scp | PolicyType::Rcp => None,
        }
    }

    /// The deciding statements, each with its policy and place in the document.
    fn matched(&self, decision: &Decision<'_>) -> Vec<iam::Statement> {
        decision
            .reasons
            .iter()
            .filter_map(|r| {
                let source = self.source(r.policy_type, r.policy)?;
                let place = source.statements.get(r.statement);
                let position = |l: &oxiam_policy::Location| iam::Position {
                    line: i32::try_from(l.line).ok(),
                    column: i32::try_from(l.column).ok(),
                };
                Some(iam::Statement {
                    source_policy_id: Some(source.id.clone()),
                    source_policy_type: Some(source.source_type.to_owned()),
                    start_position: place.map(|p| position(&p.start)),
                    end_position: place.map(|p| position(&p.end)),
                })
            })
            .collect()
    }

    /// Context keys that statements reaching the request (by action and resource) test,
    /// and that the request does not have: AWS's `MissingContextValues`.
    fn missing(&self, request: &Request<'_>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let sources = self
            .identity
            .iter()
            .chain(self.boundary.as_ref())
            .chain(self.resource.as_ref());
        for s in sources {
            for (i, st) in s.statements.iter().enumerate() {
                // A resource variable without a value matches no resource: judge such a
                // statement by its action alone, so the missing key is reported.
                let unresolved = st
                    .resource_variables
                    .iter()
                    .any(|k| request.context.get(k).is_none());
                let reaches = if unresolved {
                    s.policy.statement_matches_action(i, request.action)
                } else {
                    s.policy.statement_reaches(i, request)
                };
                if !reaches {
                    continue;
                }
                for key in &st.context_keys {
                    if request.context.get(key).is_none()
                        && !out.iter().any(|k| k.eq_ignore_ascii_case(key))
                    {
                        out.push(key.clone());
                    }
                }
            }
        }
        out
    }
}

fn decision_name(d: &Decision<'_>) -> &'static str {
    match d.effect {
        Effect::Allow => "allowed",
        Effect::ExplicitDeny => "explicitDeny",
        Effect::ImplicitDeny => "implicitDeny",
    }
}

/// An IAM entity ARN of the caller's account: `(kind, name)` (`user`, `group`, `role`).
fn entity_arn<'a>(arn: &'a str, account: &str) -> Option<(&'a str, &'a str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (acct, resource) = rest.split_once(':')?;
    if acct != account {
        return None;
    }
    let (kind, path_name) = resource.split_once('/')?;
    let name = path_name.rsplit('/').next()?;
    (!name.is_empty()).then_some((kind, name))
}

fn parse_input(document: &str, kind: PolicyKind, what: &str) -> Result<Policy, ServerError> {
    Policy::parse(document, kind).map_err(|e| {
        // The simulator's inputs are checked like the documents they stand for; AWS
        // answers InvalidInput (MalformedPolicyDocument is not among this API's errors).
        invalid_input(format!("{what}: {}", e.message()))
    })
}

/// `PolicyInputList` (identity policies, `SourcePolicyType` `none`).
fn input_policies(list: Option<&Vec<String>>) -> Result<Vec<Source>, ServerError> {
    list.into_iter()
        .flatten()
        .enumerate()
        .map(|(i, doc)| {
            let id = format!("PolicyInputList.{}", i + 1);
            let p = parse_input(doc, PolicyKind::Identity, &id)?;
            Ok(Source::new(p, id, "none", doc))
        })
        .collect()
}

fn boundary_input(list: Option<&Vec<String>>) -> Result<Option<Source>, ServerError> {
    let list = list.map(Vec::as_slice).unwrap_or_default();
    if list.len() > MAX_BOUNDARY_INPUTS {
        return Err(invalid_input(
            "Only one permissions boundary policy may be simulated at a time.",
        ));
    }
    list.first()
        .map(|doc| {
            let id = "PermissionsBoundaryPolicyInputList.1".to_owned();
            let p = parse_input(doc, PolicyKind::PermissionsBoundary, &id)?;
            Ok(Source::new(p, id, "none", doc))
        })
        .transpose()
}

fn resource_input(doc: Option<&String>) -> Result<Option<Source>, ServerError> {
    doc.map(|doc| {
        let p = parse_input(doc, PolicyKind::Resource, "ResourcePolicy")?;
        Ok(Source::new(p, "ResourcePolicy".to_owned(), "resource", doc))
    })
    .transpose()
}

/// `ResourceOwner`: an account ARN (`arn:aws:iam::ACCOUNT:root`) or a bare account ID.
fn resource_owner(owner: Option<&String>) -> Result<Option<String>, ServerError> {
    let Some(owner) = owner else { return Ok(None) };
    let account = owner
        .strip_prefix("arn:aws:iam::")
        .and_then(|r| r.split_once(':'))
        .map_or(owner.as_str(), |(a, _)| a);
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(account.to_owned()))
    } else {
        Err(invalid_input(format!("Invalid ResourceOwner: {owner}")))
    }
}

/// `CallerArn`: an IAM user (AWS accepts no other kind of caller here).
fn caller_user(state: &State, account: &str, arn: &str) -> Result<Caller, ServerError> {
    match entity_arn(arn, account) {
        Some(("user", name)) => {
            let user = state
                .user(account, name)
                .ok_or_else(|| crate::model::error::no_such_user(name))?;
            Ok(user_caller(user))
        }
        _ => Err(invalid_input(format!(
            "Invalid CallerArn: {arn}. Only IAM user ARNs of this account are supported."
        ))),
    }
}

fn user_caller(user: &crate::model::User) -> Caller {
    Caller {
        arn: user.arn(),
        kind: PrincipalType::User,
        role_arn: None,
        user_id: user.id.clone(),
        tags: user
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone()))
            .collect(),
    }
}

/// `ContextEntries` as condition keys, their values checked against their declared type.
fn context_entries(
    entries: Option<&Vec<iam::ContextEntry>>,
) -> Result<Vec<(String, ContextValue)>, ServerError> {
    let mut out = Vec::new();
    for e in entries.into_iter().flatten() {
        let (Some(name), Some(values), Some(ty)) = (
            &e.context_key_name,
            &e.context_key_values,
            &e.context_key_type,
        ) else {
            return Err(invalid_input(
                "Context entries require ContextKeyName, ContextKeyValues and ContextKeyType.",
            ));
        };
        let (base, list) = match ty.strip_suffix("List") {
            Some(base) => (base, true),
            None => (ty.as_str(), false),
        };
        if !list && values.len() != 1 {
            return Err(invalid_input(format!(
                "Context key {name} of type {ty} takes exactly one value."
            )));
        }
        for v in values {
            if !value_has_type(v, base) {
                return Err(invalid_input(format!(
                    "Invalid value {v} for context key {name} of type {ty}."
                )));
            }
        }
        let value = match values.as_slice() {
            [one] if !list => ContextValue::Single(one.clone()),
            _ => ContextValue::Multi(values.clone()),
        };
        out.push((name.clone(), value));
    }
    Ok(out)
}

fn value_has_type(v: &str, ty: &str) -> bool {
    use base64::Engine as _;
    match ty {
        "numeric" => v.parse::<f64>().is_ok_and(f64::is_finite),
        "boolean" => v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false"),
        "ip" => {
            let (addr, bits) = v.split_once('/').unwrap_or((v, "0"));
            addr.parse::<std::net::IpAddr>().is_ok() && bits.parse::<u8>().is_ok_and(|b| b <= 128)
        }
        "binary" => base64::engine::general_purpose::STANDARD.decode(v).is_ok(),
        "date" => {
            v.parse::<i64>().is_ok()
                || time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                    .is_ok()
                || time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
                    .is_ok()
        }
        // "string"; the protocol decoder already checked the enum.
        _ => true,
    }
}

/// The (action, resource) pairs of a simulation, paged.
/// The members both Simulate* requests have besides their policies (AWS's model gives
/// them the same names and shapes).
trait SimulateRequest {
    fn action_names(&self) -> &[String];
    fn resource_arns(&self) -> Option<&Vec<String>>;
    fn resource_owner(&self) -> Option<&String>;
    fn context_entries(&self) -> Option<&Vec<iam::ContextEntry>>;
    fn marker(&self) -> Option<&str>;
    fn max_items(&self) -> Option<i32>;
}

macro_rules! simulate_request {
    ($($request:ty),*) => {$(
        impl SimulateRequest for $request {
            fn action_names(&self) -> &[String] {
                &self.action_names
            }
            fn resource_arns(&self) -> Option<&Vec<String>> {
                self.resource_arns.as_ref()
            }
            fn resource_owner(&self) -> Option<&String> {
                self.resource_owner.as_ref()
            }
            fn context_entries(&self) -> Option<&Vec<iam::ContextEntry>> {
                self.context_entries.as_ref()
            }
            fn marker(&self) -> Option<&str> {
                self.marker.as_deref()
            }
            fn max_items(&self) -> Option<i32> {
                self.max_items
            }
        }
    )*};
}

simulate_request!(
    iam::SimulatePrincipalPolicyRequest,
    iam::SimulateCustomPolicyRequest
);

/// Simulates the request's actions on its resources (every pair, one page of results)
/// with the policies given, in its context (`ResourceOwner`, `ContextEntries`).
fn simulate(
    request: &impl SimulateRequest,
    account: &str,
    (identity, boundary): PrincipalSources,
    resource: Option<Source>,
    caller: Option<Caller>,
    fail_closed: bool,
) -> Result<iam::SimulatePolicyResponse, ServerError> {
    let sim = Simulation {
        identity,
        boundary,
        resource,
        caller,
        account: account.to_owned(),
        resource_owner: resource_owner(request.resource_owner())?,
        entries: context_entries(request.context_entries())?,
        fail_closed,
    };
    let star = vec!["*".to_owned()];
    let resources = request
        .resource_arns()
        .filter(|r| !r.is_empty())
        .unwrap_or(&star);
    let pairs = request
        .action_names()
        .iter()
        .flat_map(|a| resources.iter().map(move |r| (a, r)))
        .enumerate()
        .map(|(i, pair)| (format!("{i:08}"), pair));
    let page = paginate(pairs, request.marker(), request.max_items())?;
    let truncated = page.is_truncated();
    Ok(iam::SimulatePolicyResponse {
        evaluation_results: Some(
            page.items
                .into_iter()
                .map(|(a, r)| sim.evaluate_one(a, r))
                .collect(),
        ),
        is_truncated: Some(truncated),
        marker: page.next_marker,
    })
}

/// A principal's identity policies and boundary as simulation sources.
type PrincipalSources = (Vec<Source>, Option<Source>);

/// A principal's policies (as enforcement materialises them), with their origins, and the
/// caller it simulates. `None` in the first place: a stored policy is missing or does not
/// compile (enforcement fails closed).
fn principal_sources(
    state: &State,
    account: &str,
    arn: &str,
) -> Result<(Option<PrincipalSources>, Option<Caller>), ServerError> {
    let (kind, name) = entity_arn(arn, account)
        .ok_or_else(|| no_such_entity(format!("No principal found for PolicySourceArn {arn}.")))?;
    let mut origins = Vec::new();
    let (materialised, caller) = match kind {
        "user" => {
            let user = state
                .user(account, name)
                .ok_or_else(|| crate::model::error::no_such_user(name))?;
            (
                decide::user_policies_traced(state, user, Some(&mut origins)),
                Some(user_caller(user)),
            )
        }
        "group" => {
            let group = state.group(account, name).ok_or_else(|| {
                no_such_entity(format!("The group with name {name} cannot be found."))
            })?;
            (
                decide::group_policies_traced(state, group, Some(&mut origins)),
                None,
            )
        }
        "role" => {
            let role = state.role(account, name).ok_or_else(|| {
                no_such_entity(format!("The role with name {name} cannot be found."))
            })?;
            let caller = Caller {
                arn: role.arn(),
                kind: PrincipalType::AssumedRole,
                role_arn: Some(role.arn()),
                user_id: role.id.clone(),
                tags: role
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
            };
            (
                decide::role_policies_traced(state, role, Some(&mut origins)),
                Some(caller),
            )
        }
        _ => {
            return Err(invalid_input(format!(
                "Invalid PolicySourceArn {arn}: it must name a user, group or role."
            )));
        }
    };
    let Some((identity, boundary)) = materialised else {
        return Ok((None, caller));
    };
    if identity.len() != origins.len() {
        // Both come from one walk; a mismatch is a bug, never a partial answer.
        return Err(api(
            ErrorCode::PolicyEvaluation,
            "The policies of the principal could not be evaluated.",
        ));
    }
    let identity: Vec<Source> = identity
        .iter()
        .zip(&origins)
        .map(|(p, o)| Source::of_origin(p.policy, o))
        .collect();
    let boundary = match boundary {
        Some(b) => Some(Source::of_origin(
            b.policy,
            &decide::managed_origin(state, b.name).ok_or_else(|| {
                api(
                    ErrorCode::PolicyEvaluation,
                    "The permissions boundary of the principal could not be evaluated.",
                )
            })?,
        )),
        None => None,
    };
    Ok((Some((identity, boundary)), caller))
}

/// SimulatePrincipalPolicy.
pub fn simulate_principal_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::SimulatePrincipalPolicyRequest,
) -> Result<iam::SimulatePolicyResponse, ServerError> {
    let state = tx.state();
    let account = ctx.caller.account.as_str();
    let (sources, source_caller) = principal_sources(state, account, &r.policy_source_arn)?;
    let fail_closed = sources.is_none();
    let (mut identity, mut boundary) = sources.unwrap_or_default();
    if let Some(excluded) = &r.policy_exclusion_list {
        // PolicyExclusionList: managed policies named by ARN leave the simulation.
        let managed = |s: &Source| matches!(s.source_type, "aws-managed" | "user-managed");
        identity.retain(|s| {
            !excluded.iter().any(|x| {
                managed(s)
                    && x.policy_arn
                        .as_deref()
                        .and_then(|a| a.rsplit('/').next())
                        .is_some_and(|name| name == s.id)
            })
        });
    }
    identity.extend(input_policies(r.policy_input_list.as_ref())?);
    if let Some(b) = boundary_input(r.permissions_boundary_policy_input_list.as_ref())? {
        boundary = Some(b);
    }
    let resource = resource_input(r.resource_policy.as_ref())?;
    let caller = match &r.caller_arn {
        Some(arn) => Some(caller_user(state, account, arn)?),
        None => source_caller.filter(|c| c.kind == PrincipalType::User || resource.is_none()),
    };
    if resource.is_some() && caller.is_none() {
        return Err(invalid_input(
            "CallerArn is required when a ResourcePolicy is given and PolicySourceArn is not a user.",
        ));
    }
    simulate(
        r,
        account,
        (identity, boundary),
        resource,
        caller,
        fail_closed,
    )
}

/// SimulateCustomPolicy: only the policies given.
pub fn simulate_custom_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::SimulateCustomPolicyRequest,
) -> Result<iam::SimulatePolicyResponse, ServerError> {
    let state = tx.state();
    let account = ctx.caller.account.as_str();
    let identity = input_policies(Some(&r.policy_input_list))?;
    let boundary = boundary_input(r.permissions_boundary_policy_input_list.as_ref())?;
    let resource = resource_input(r.resource_policy.as_ref())?;
    let caller = r
        .caller_arn
        .as_ref()
        .map(|arn| caller_user(state, account, arn))
        .transpose()?;
    if resource.is_some() && caller.is_none() {
        return Err(invalid_input(
            "CallerArn is required when a ResourcePolicy is given.",
        ));
    }
    simulate(r, account, (identity, boundary), resource, caller, false)
}

fn keys_of<'a>(documents: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for doc in documents {
        for k in oxiam_policy::context_keys(doc) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&k)) {
                out.push(k);
            }
        }
    }
    out
}

/// GetContextKeysForCustomPolicy.
pub fn get_context_keys_for_custom_policy(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    r: &iam::GetContextKeysForCustomPolicyRequest,
) -> Result<iam::GetContextKeysForPolicyResponse, ServerError> {
    for (i, doc) in r.policy_input_list.iter().enumerate() {
        parse_input(
            doc,
            PolicyKind::Identity,
            &format!("PolicyInputList.{}", i + 1),
        )?;
    }
    Ok(iam::GetContextKeysForPolicyResponse {
        context_key_names: Some(keys_of(r.policy_input_list.iter().map(String::as_str))),
    })
}

/// GetContextKeysForPrincipalPolicy: the principal's policies (and, for a user, its
/// groups'), then the extra ones given.
pub fn get_context_keys_for_principal_policy(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetContextKeysForPrincipalPolicyRequest,
) -> Result<iam::GetContextKeysForPolicyResponse, ServerError> {
    let state = tx.state();
    let account = ctx.caller.account.as_str();
    let (kind, name) = entity_arn(&r.policy_source_arn, account).ok_or_else(|| {
        no_such_entity(format!(
            "No principal found for PolicySourceArn {}.",
            r.policy_source_arn
        ))
    })?;
    let mut origins = Vec::new();
    match kind {
        "user" => {
            let user = state
                .user(account, name)
                .ok_or_else(|| crate::model::error::no_such_user(name))?;
            decide::user_policies_traced(state, user, Some(&mut origins));
        }
        "group" => {
            let group = state.group(account, name).ok_or_else(|| {
                no_such_entity(format!("The group with name {name} cannot be found."))
            })?;
            decide::group_policies_traced(state, group, Some(&mut origins));
        }
        "role" => {
            let role = state.role(account, name).ok_or_else(|| {
                no_such_entity(format!("The role with name {name} cannot be found."))
            })?;
            decide::role_policies_traced(state, role, Some(&mut origins));
        }
        _ => {
            return Err(invalid_input(format!(
                "Invalid PolicySourceArn {}: it must name a user, group or role.",
                r.policy_source_arn
            )));
        }
    }
    for (i, doc) in r.policy_input_list.iter().flatten().enumerate() {
        parse_input(
            doc,
            PolicyKind::Identity,
            &format!("PolicyInputList.{}", i + 1),
        )?;
    }
    let docs = origins
        .iter()
        .map(|o| o.document)
        .chain(r.policy_input_list.iter().flatten().map(String::as_str));
    Ok(iam::GetContextKeysForPolicyResponse {
        context_key_names: Some(keys_of(docs)),
    })
}
