//! Reads a case in the corpus format (`tests/cases/README.md`) into engine inputs, runs it,
//! and reports the outcome in the corpus's own terms. Shared by `cases.rs` (the corpus) and
//! `differential.rs` (generated cases against the oracle).

use oxiam_policy::{
    Context, ContextValue, Effect, NamedPolicy, Policy, PolicyKind, PolicySet, Principal,
    PrincipalType, Request, evaluate,
};
use serde_json::{Map, Value};

/// A policy of the case, parsed.
#[derive(Debug)]
pub struct Loaded {
    pub name: String,
    pub policy: Policy,
}

/// The request's principal, owned.
#[derive(Debug)]
pub struct PrincipalSpec {
    pub arn: String,
    pub account: String,
    pub kind: PrincipalType,
    pub role_arn: Option<String>,
    pub user_id: String,
    pub tags: Vec<(String, String)>,
}

/// An evaluation case, parsed and ready to run.
#[derive(Debug)]
pub struct EvalCase {
    pub identity: Vec<Loaded>,
    pub boundary: Option<Loaded>,
    pub session: Vec<Loaded>,
    pub scope_down: Vec<Loaded>,
    pub resource: Option<Loaded>,
    pub scps: Vec<Vec<Loaded>>,
    pub rcps: Vec<Vec<Loaded>>,
    pub principal: PrincipalSpec,
    pub action: String,
    pub resource_arn: String,
    pub resource_account: Option<String>,
    /// The request context as the case gives it (principal-implied keys are added at run time).
    pub context: Vec<(String, ContextValue)>,
}

/// What the engine decided, in the corpus's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub decision: &'static str,
    /// Each deciding statement as `policy#index`, and also `policy#Sid` when it has one.
    pub statements: Vec<String>,
}

/// Rejects keys a case may not have, so a typo cannot silently drop an expectation.
pub fn only_keys(obj: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "unknown key `{k}` in {what} (allowed: {allowed:?})"
        )),
        None => Ok(()),
    }
}

fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    v.as_object()
        .ok_or_else(|| format!("{what} must be an object"))
}

fn string(v: Option<&Value>, what: &str) -> Result<String, String> {
    v.and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{what} must be a string"))
}

/// The `kind` spellings of validation cases and of `resource.kind`.
pub fn policy_kind(kind: &str) -> Result<PolicyKind, String> {
    Ok(match kind {
        // A managed policy is an identity policy with the managed-policy quota (the default).
        "identity" | "managed" => PolicyKind::Identity,
        "resource" => PolicyKind::Resource,
        "trust" => PolicyKind::Trust,
        "boundary" => PolicyKind::PermissionsBoundary,
        "session" => PolicyKind::Session,
        "scp" => PolicyKind::Scp,
        "rcp" => PolicyKind::Rcp,
        other => return Err(format!("unknown policy kind `{other}`")),
    })
}

/// A document given as a JSON object or as raw text.
pub fn document_text(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Object(_) => serde_json::to_string(v).map_err(|e| e.to_string()),
        _ => Err("document must be an object or a string".into()),
    }
}

fn load(v: &Value, default_kind: PolicyKind, what: &str) -> Result<Loaded, String> {
    let obj = object(v, what)?;
    only_keys(obj, &["name", "document", "kind"], what)?;
    let name = string(obj.get("name"), &format!("{what}.name"))?;
    let kind = match obj.get("kind") {
        Some(k) => policy_kind(k.as_str().ok_or("kind must be a string")?)?,
        None => default_kind,
    };
    let text = document_text(
        obj.get("document")
            .ok_or(format!("{what} has no document"))?,
    )?;
    // Evaluation cases test evaluation: parse without size quotas, which validation cases cover.
    let options = oxiam_policy::ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    let policy = Policy::parse_with(&text, kind, &options)
        .map_err(|e| format!("policy `{name}` ({kind:?}) does not parse: {e}"))?;
    Ok(Loaded { name, policy })
}

fn load_list(v: Option<&Value>, kind: PolicyKind, what: &str) -> Result<Vec<Loaded>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(|p| load(p, kind, what)).collect(),
        Some(_) => Err(format!("{what} must be an array")),
    }
}

fn load_levels(
    v: Option<&Value>,
    kind: PolicyKind,
    what: &str,
) -> Result<Vec<Vec<Loaded>>, String> {
    match v {
        None => Ok(Vec::new()),
        Some(Value::Array(levels)) => levels
            .iter()
            .map(|l| load_list(Some(l), kind, what))
            .collect(),
        Some(_) => Err(format!("{what} must be an array of arrays")),
    }
}

fn principal_type(s: &str) -> Result<PrincipalType, String> {
    Ok(match s {
        "User" => PrincipalType::User,
        "AssumedRole" => PrincipalType::AssumedRole,
        "FederatedUser" => PrincipalType::FederatedUser,
        "Account" => PrincipalType::Account,
        "Service" => PrincipalType::Service,
        "Anonymous" => PrincipalType::Anonymous,
        "WebIdentity" => PrincipalType::WebIdentity,
        "Saml" => PrincipalType::Saml,
        other => return Err(format!("unknown principal type `{other}`")),
    })
}

fn context_value(v: &Value) -> Result<ContextValue, String> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(format!(
            "context value {v} is not a string, number or boolean"
        )),
    };
    match v {
        Value::Array(items) => Ok(ContextValue::Multi(
            items.iter().map(scalar).collect::<Result<_, _>>()?,
        )),
        other => Ok(ContextValue::Single(scalar(other)?)),
    }
}

impl EvalCase {
    /// Reads `policies` and `request` of a case.
    pub fn from_json(case: &Map<String, Value>) -> Result<Self, String> {
        let empty = Value::Object(Map::new());
        let policies = object(case.get("policies").unwrap_or(&empty), "policies")?;
        only_keys(
            policies,
            &[
                "identity",
                "permissions_boundary",
                "session",
                "scope_down",
                "resource",
                "scps",
                "rcps",
            ],
            "policies",
        )?;
        let request = object(case.get("request").ok_or("no request")?, "request")?;
        only_keys(
            request,
            &[
                "principal",
                "action",
                "resource",
                "resource_account",
                "context",
            ],
            "request",
        )?;
        let p = object(
            request.get("principal").ok_or("no request.principal")?,
            "principal",
        )?;
        only_keys(
            p,
            &["arn", "type", "user_id", "role_arn", "tags"],
            "principal",
        )?;
        let arn = string(p.get("arn"), "principal.arn")?;
        let kind = principal_type(&string(p.get("type"), "principal.type")?)?;
        let account = match kind {
            PrincipalType::Service
            | PrincipalType::Anonymous
            | PrincipalType::WebIdentity
            | PrincipalType::Saml => String::new(),
            _ => arn.split(':').nth(4).unwrap_or("").to_owned(),
        };
        let tags = match p.get("tags") {
            None => Vec::new(),
            Some(t) => object(t, "principal.tags")?
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        v.as_str().ok_or("tag values are strings")?.to_owned(),
                    ))
                })
                .collect::<Result<_, String>>()?,
        };
        let principal = PrincipalSpec {
            arn,
            account,
            kind,
            role_arn: p
                .get("role_arn")
                .map(|v| string(Some(v), "principal.role_arn"))
                .transpose()?,
            user_id: p
                .get("user_id")
                .map(|v| string(Some(v), "principal.user_id"))
                .transpose()?
                .unwrap_or_default(),
            tags,
        };
        let context = match request.get("context") {
            None => Vec::new(),
            Some(c) => object(c, "request.context")?
                .iter()
                .map(|(k, v)| Ok((k.clone(), context_value(v)?)))
                .collect::<Result<_, String>>()?,
        };
        Ok(Self {
            identity: load_list(policies.get("identity"), PolicyKind::Identity, "identity")?,
            boundary: policies
                .get("permissions_boundary")
                .map(|b| load(b, PolicyKind::PermissionsBoundary, "permissions_boundary"))
                .transpose()?,
            session: load_list(policies.get("session"), PolicyKind::Session, "session")?,
            scope_down: load_list(
                policies.get("scope_down"),
                PolicyKind::Session,
                "scope_down",
            )?,
            resource: policies
                .get("resource")
                .map(|r| load(r, PolicyKind::Resource, "resource"))
                .transpose()?,
            scps: load_levels(policies.get("scps"), PolicyKind::Scp, "scps")?,
            rcps: load_levels(policies.get("rcps"), PolicyKind::Rcp, "rcps")?,
            principal,
            action: string(request.get("action"), "request.action")?,
            resource_arn: string(request.get("resource"), "request.resource")?,
            resource_account: request
                .get("resource_account")
                .map(|v| string(Some(v), "request.resource_account"))
                .transpose()?,
            context,
        })
    }
}

fn named(l: &Loaded) -> NamedPolicy<'_> {
    NamedPolicy {
        name: &l.name,
        policy: &l.policy,
    }
}

impl EvalCase {
    /// Runs the case; context keys in `drop` are left out of the request.
    pub fn run(&self, drop: &[String]) -> Outcome {
        let p = &self.principal;
        let principal = Principal {
            arn: &p.arn,
            account: &p.account,
            kind: p.kind,
            role_arn: p.role_arn.as_deref(),
            user_id: &p.user_id,
        };
        let tags: Vec<(&str, &str)> = p
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut context = Context::for_principal(&principal, &tags);
        for (k, v) in &self.context {
            context.insert(k, v.clone());
        }
        for k in drop {
            context.remove(k);
        }
        let identity: Vec<NamedPolicy<'_>> = self.identity.iter().map(named).collect();
        let session: Vec<NamedPolicy<'_>> = self.session.iter().map(named).collect();
        let scope_down: Vec<NamedPolicy<'_>> = self.scope_down.iter().map(named).collect();
        let scp_levels: Vec<Vec<NamedPolicy<'_>>> = self
            .scps
            .iter()
            .map(|l| l.iter().map(named).collect())
            .collect();
        let rcp_levels: Vec<Vec<NamedPolicy<'_>>> = self
            .rcps
            .iter()
            .map(|l| l.iter().map(named).collect())
            .collect();
        let scps: Vec<&[NamedPolicy<'_>]> = scp_levels.iter().map(Vec::as_slice).collect();
        let rcps: Vec<&[NamedPolicy<'_>]> = rcp_levels.iter().map(Vec::as_slice).collect();
        let set = PolicySet {
            identity: &identity,
            permissions_boundary: self.boundary.as_ref().map(named),
            session: &session,
            scope_down: &scope_down,
            resource: self.resource.as_ref().map(named),
            scps: &scps,
            rcps: &rcps,
        };
        let request = Request {
            principal,
            action: &self.action,
            resource: &self.resource_arn,
            resource_account: self.resource_account.as_deref(),
            context: &context,
        };
        let decision = evaluate(&request, &set);
        let mut statements = Vec::new();
        for r in decision.reasons.iter() {
            statements.push(format!("{}#{}", r.policy, r.statement));
            if let Some(sid) = r.sid {
                statements.push(format!("{}#{sid}", r.policy));
            }
        }
        Outcome {
            decision: match decision.effect {
                Effect::Allow => "Allow",
                Effect::ExplicitDeny => "ExplicitDeny",
                Effect::ImplicitDeny => "ImplicitDeny",
            },
            statements,
        }
    }
}
