//! The AWS evaluation flow ("Policy evaluation logic", "Cross-account policy evaluation
//! logic", "How AWS evaluates resource-based policies"): explicit deny anywhere wins; every
//! SCP and RCP level must allow; then the resource-based policy and the identity side
//! (identity ∩ permissions boundary ∩ session policies) decide, with the same-account rules
//! for who the resource policy names; cross-account requests need both sides.
//!
//! Hot path: no allocation. Statements are found through each policy's service index, and
//! reasons go into a fixed inline array.

use crate::action::RequestAction;
use crate::arn::Arn;
use crate::context::{Context, Principal, PrincipalType, Variables};
use crate::policy::{Policy, PolicyKind, Statement, StatementEffect};
use crate::principal::PrincipalMatch;

/// The request to authorize. All context keys, including the ones the principal implies
/// (`Context::for_principal`), are materialised by the caller.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who is asking.
    pub principal: Principal<'a>,
    /// `service:Action`, any case.
    pub action: &'a str,
    /// The resource ARN (or `*` for actions without resource-level permissions).
    pub resource: &'a str,
    /// The account owning the resource; `None` means the principal's own account.
    pub resource_account: Option<&'a str>,
    /// Condition keys.
    pub context: &'a Context,
}

/// A policy and the name reports use for it (policy name or ARN).
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    /// Name shown in decisions.
    pub name: &'a str,
    /// The compiled policy.
    pub policy: &'a Policy,
}

/// Every policy that applies to one request, materialised by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// Identity policies: inline and managed, the principal's own and its groups'.
    pub identity: &'a [NamedPolicy<'a>],
    /// The principal's permissions boundary.
    pub permissions_boundary: Option<NamedPolicy<'a>>,
    /// Session policies (`AssumeRole` `Policy`/`PolicyArns`); empty: none were passed.
    pub session: &'a [NamedPolicy<'a>],
    /// The resource-based policy of the resource, or the role's trust policy.
    pub resource: Option<NamedPolicy<'a>>,
    /// SCPs, one slice per organization level (root, OUs, account), root first. Empty when
    /// SCPs do not apply (no organization, management account, service-linked role).
    pub scps: &'a [&'a [NamedPolicy<'a>]],
    /// RCPs of the resource's account, one slice per level, root first.
    pub rcps: &'a [&'a [NamedPolicy<'a>]],
    /// Scope-down policies (`GetScopedCredentials`), oldest first. Each is a layer of its
    /// own that must allow, whoever else grants: they cap even a resource policy's grant to
    /// the session. Empty: the session was never scoped down.
    pub scope_down: &'a [NamedPolicy<'a>],
}

/// The final decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Allowed.
    Allow,
    /// Denied by a `Deny` statement.
    ExplicitDeny,
    /// Denied because nothing (or not every required policy type) allowed it.
    ImplicitDeny,
}

/// The role a policy played in the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    /// Identity-based policy.
    Identity,
    /// Permissions boundary.
    PermissionsBoundary,
    /// Session policy.
    Session,
    /// Resource-based or trust policy.
    Resource,
    /// Service control policy.
    Scp,
    /// Resource control policy.
    Rcp,
}

impl PolicyType {
    /// Lowercase name for messages and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity-based policy",
            Self::PermissionsBoundary => "permissions boundary",
            Self::Session => "session policy",
            Self::Resource => "resource-based policy",
            Self::Scp => "service control policy",
            Self::Rcp => "resource control policy",
        }
    }
}

/// One statement that decided the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason<'p> {
    /// Which kind of policy it is in.
    pub policy_type: PolicyType,
    /// The policy's name.
    pub policy: &'p str,
    /// For SCPs and RCPs: the organization level (0 = root).
    pub level: usize,
    /// The statement's position in the policy, from 0.
    pub statement: usize,
    /// The statement's `Sid`.
    pub sid: Option<&'p str>,
    /// The statement's effect.
    pub effect: StatementEffect,
}

/// Capacity of the inline reason list.
// INVARIANT (reason-capacity): `decide` pushes at most four reasons (resource, identity,
// boundary, session; scope-down layers only limit, their allows are not reasons); a smaller `Decision` is cheaper to build and return on every call.
pub const MAX_REASONS: usize = 4;

/// The deciding statements, inline (no heap allocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reasons<'p> {
    items: [Option<Reason<'p>>; MAX_REASONS],
    len: usize,
}

impl<'p> Reasons<'p> {
    const EMPTY: Self = Self {
        items: [None; MAX_REASONS],
        len: 0,
    };

    fn push(&mut self, r: Reason<'p>) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = Some(r);
            self.len += 1;
        }
    }

    /// The reasons, in order: for an allow, the resource, identity, boundary and session
    /// statements that allowed; for an explicit deny, the deny statement.
    pub fn iter(&self) -> impl Iterator<Item = &Reason<'p>> {
        self.items.iter().flatten()
    }

    /// Number of reasons.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are none (implicit denies).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// For a denial: the policy type that denied or failed to allow, and its SCP/RCP level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeniedBy {
    /// The policy type.
    pub policy_type: PolicyType,
    /// For SCPs and RCPs, the organization level (0 = root) that had no allow.
    pub level: Option<usize>,
}

/// The result of `evaluate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision<'p> {
    /// Allow, explicit deny or implicit deny.
    pub effect: Effect,
    /// The statements that decided.
    pub reasons: Reasons<'p>,
    /// For denials: which policy type denied (explicit) or failed to allow (implicit).
    pub denied_by: Option<DeniedBy>,
}

impl Decision<'_> {
    /// True for `Effect::Allow`.
    pub fn is_allowed(&self) -> bool {
        self.effect == Effect::Allow
    }
}

/// What one group of policies (one type, or one SCP/RCP level) says about the request.
#[derive(Debug, Clone, Copy, Default)]
struct Scan<'p> {
    deny: Option<Reason<'p>>,
    allow: Option<Reason<'p>>,
    /// For resource policies: the strongest way an allowing statement named the caller.
    grant: Option<PrincipalMatch>,
}

/// The request, pre-split once.
struct Prepared<'r> {
    req: &'r Request<'r>,
    action: RequestAction<'r>,
    arn: Option<Arn<'r>>,
    variables: Variables<'r>,
}

fn scan<'p>(
    prep: &Prepared<'_>,
    policies: &[NamedPolicy<'p>],
    policy_type: PolicyType,
    level: usize,
) -> Scan<'p> {
    let mut out = Scan::default();
    for np in policies {
        let compiled = &*np.policy.inner;
        // With an allow in hand, only a Deny can change this group's answer.
        if !compiled.has_deny && out.allow.is_some() && policy_type != PolicyType::Resource {
            continue;
        }
        let (by_service, always) = compiled.index.candidates(&prep.action);
        for &i in by_service.iter().chain(always) {
            let idx = i as usize;
            let Some(st) = compiled.statements.get(idx) else {
                continue;
            };
            // Once an allow is known, only denies (and stronger resource grants) can change
            // the outcome.
            if st.effect == StatementEffect::Allow
                && out.allow.is_some()
                && (policy_type != PolicyType::Resource || out.grant == Some(PrincipalMatch::Exact))
            {
                continue;
            }
            let Some(how) = applies(st, prep) else {
                continue;
            };
            let reason = Reason {
                policy_type,
                policy: np.name,
                level,
                statement: idx,
                sid: st.sid.as_deref(),
                effect: st.effect,
            };
            match st.effect {
                StatementEffect::Deny => {
                    out.deny = Some(reason);
                    return out;
                }
                StatementEffect::Allow => {
                    if out.allow.is_none() || how > out.grant {
                        out.allow = Some(reason);
                        out.grant = how;
                    }
                }
            }
        }
    }
    out
}

/// If `st` applies to the request: `Some(how the principal matched)` (`Some(None)` when the
/// statement names no principal).
fn applies(st: &Statement, prep: &Prepared<'_>) -> Option<Option<PrincipalMatch>> {
    let req = prep.req;
    if !st.action_matches(&prep.action) {
        return None;
    }
    if !st.resource_matches(req.resource, prep.arn.as_ref(), &prep.variables) {
        return None;
    }
    let how = match &st.principal {
        None => None,
        Some((set, false)) => Some(set.matches(&req.principal)?),
        Some((set, true)) => {
            if set.excludes(&req.principal) {
                return None;
            }
            Some(PrincipalMatch::Exact)
        }
    };
    st.conditions
        .iter()
        .all(|c| c.evaluate_with(req.context, &prep.variables))
        .then_some(how)
}

/// Facts gathered before the decision rule.
#[derive(Debug, Clone, Copy)]
struct Facts<'p> {
    deny: Option<Reason<'p>>,
    scp_gap: Option<usize>,
    rcp_gap: Option<usize>,
    /// The first scope-down policy without an allow.
    scope_gap: Option<usize>,
    same_account: bool,
    resource_required: bool,
    resource: Scan<'p>,
    identity: Option<Reason<'p>>,
    identity_implicit: bool,
    /// `None`: no boundary; `Some(None)`: boundary without an allow.
    boundary: Option<Option<Reason<'p>>>,
    session: Option<Option<Reason<'p>>>,
}

/// Decides `request` against `policies` as AWS does. Pure and total: no I/O, no errors.
pub fn evaluate<'p>(request: &Request<'_>, policies: &PolicySet<'p>) -> Decision<'p> {
    // Actions are case-insensitive: lowercase the request's once (on the stack; only an
    // action longer than the buffer allocates), patterns are stored lowercased.
    let mut buf = [0u8; 128];
    let long;
    let action = match buf.get_mut(..request.action.len()) {
        Some(b) => {
            b.copy_from_slice(request.action.as_bytes());
            b.make_ascii_lowercase();
            // ASCII lowercasing keeps UTF-8 valid.
            std::str::from_utf8(b).unwrap_or(request.action)
        }
        None => {
            long = request.action.to_ascii_lowercase();
            long.as_str()
        }
    };
    let prep = Prepared {
        req: request,
        action: RequestAction::new(action),
        arn: Arn::parse(request.resource),
        variables: Variables::new(request.context),
    };
    let facts = gather(&prep, policies);
    decide(&facts)
}

fn gather<'p>(prep: &Prepared<'_>, policies: &PolicySet<'p>) -> Facts<'p> {
    let p = &prep.req.principal;
    // Principals outside any account (services, identity providers, anonymous callers)
    // have no identity side: only the resource policy can grant them access.
    let same_account = match p.kind {
        PrincipalType::Service
        | PrincipalType::WebIdentity
        | PrincipalType::Saml
        | PrincipalType::Anonymous => true,
        PrincipalType::Account
        | PrincipalType::User
        | PrincipalType::AssumedRole
        | PrincipalType::FederatedUser => prep.req.resource_account.is_none_or(|a| a == p.account),
    };
    let resource_is_trust = policies
        .resource
        .is_some_and(|r| r.policy.kind() == PolicyKind::Trust);
    let mut facts = Facts {
        deny: None,
        scp_gap: None,
        rcp_gap: None,
        scope_gap: None,
        same_account,
        resource_required: resource_is_trust || !same_account,
        resource: Scan::default(),
        identity: None,
        // The account root has full access to its own account's resources.
        identity_implicit: p.kind == PrincipalType::Account,
        boundary: None,
        session: None,
    };
    let levels =
        |levels: &[&[NamedPolicy<'p>]], t: PolicyType, f: &mut Facts<'p>| -> Option<usize> {
            let mut gap = None;
            for (level, group) in levels.iter().enumerate() {
                let s = scan(prep, group, t, level);
                if let Some(d) = s.deny {
                    f.deny = Some(d);
                    return None;
                }
                if s.allow.is_none() && gap.is_none() {
                    gap = Some(level);
                }
            }
            gap
        };
    facts.scp_gap = levels(policies.scps, PolicyType::Scp, &mut facts);
    if facts.deny.is_some() {
        return facts;
    }
    facts.rcp_gap = levels(policies.rcps, PolicyType::Rcp, &mut facts);
    if facts.deny.is_some() {
        return facts;
    }
    // Scope-down policies are session policies, each a layer of its own (an intersection,
    // not the union session policies passed together form).
    for (layer, np) in policies.scope_down.iter().enumerate() {
        let s = scan(prep, std::slice::from_ref(np), PolicyType::Session, layer);
        if s.deny.is_some() {
            facts.deny = s.deny;
            return facts;
        }
        if s.allow.is_none() && facts.scope_gap.is_none() {
            facts.scope_gap = Some(layer);
        }
    }
    if let Some(r) = policies.resource {
        let s = scan(prep, std::slice::from_ref(&r), PolicyType::Resource, 0);
        if s.deny.is_some() {
            facts.deny = s.deny;
            return facts;
        }
        facts.resource = s;
    }
    let s = scan(prep, policies.identity, PolicyType::Identity, 0);
    if s.deny.is_some() {
        facts.deny = s.deny;
        return facts;
    }
    facts.identity = s.allow;
    if let Some(b) = policies.permissions_boundary {
        let s = scan(
            prep,
            std::slice::from_ref(&b),
            PolicyType::PermissionsBoundary,
            0,
        );
        if s.deny.is_some() {
            facts.deny = s.deny;
            return facts;
        }
        facts.boundary = Some(s.allow);
    }
    if policies.session.is_empty() {
        // A `GetFederationToken` session without a session policy has no permissions of its
        // own ("If there is no session policy, the code checks whether the principal is a
        // role session… Otherwise, the request is implicitly denied").
        if p.kind == PrincipalType::FederatedUser {
            facts.session = Some(None);
        }
    } else {
        let s = scan(prep, policies.session, PolicyType::Session, 0);
        if s.deny.is_some() {
            facts.deny = s.deny;
            return facts;
        }
        facts.session = Some(s.allow);
    }
    facts
}

/// The decision rule: one exhaustive match over the gathered facts.
fn decide<'p>(f: &Facts<'p>) -> Decision<'p> {
    let mut reasons = Reasons::EMPTY;
    let boundary_denies = matches!(f.boundary, Some(None));
    let session_denies = matches!(f.session, Some(None));
    let identity_allows = f.identity.is_some() || f.identity_implicit;
    let deny = |t: PolicyType, level: Option<usize>| {
        (
            Effect::ImplicitDeny,
            Some(DeniedBy {
                policy_type: t,
                level,
            }),
        )
    };
    let (effect, denied_by) = match f {
        // An explicit deny in any policy overrides every allow.
        Facts { deny: Some(d), .. } => {
            reasons.push(*d);
            (
                Effect::ExplicitDeny,
                Some(DeniedBy {
                    policy_type: d.policy_type,
                    level: matches!(d.policy_type, PolicyType::Scp | PolicyType::Rcp)
                        .then_some(d.level),
                }),
            )
        }
        // Every SCP level (root, each OU, the account) must allow the action.
        Facts {
            scp_gap: Some(l), ..
        } => deny(PolicyType::Scp, Some(*l)),
        // Every RCP level of the resource's account must allow it.
        Facts {
            rcp_gap: Some(l), ..
        } => deny(PolicyType::Rcp, Some(*l)),
        // Every scope-down policy of the session must allow it, whatever grants it: the
        // scoped credentials never have more than the session they came from.
        Facts {
            scope_gap: Some(_), ..
        } => deny(PolicyType::Session, None),
        // Same account, the resource policy names the IAM user, the role session, the
        // federated user session, a service or everyone: that grant stands alone; implicit
        // denies in identity policies, the boundary or session policies do not limit it.
        Facts {
            same_account: true,
            resource:
                Scan {
                    grant: Some(PrincipalMatch::Exact),
                    allow: Some(r),
                    ..
                },
            ..
        } => {
            reasons.push(*r);
            (Effect::Allow, None)
        }
        // Same account, the resource policy names the role (not the session): the grant
        // joins the role's permissions, so the boundary and session policies still limit it.
        Facts {
            same_account: true,
            resource:
                Scan {
                    grant: Some(PrincipalMatch::Role),
                    allow: Some(r),
                    ..
                },
            ..
        } => match (boundary_denies, session_denies) {
            (true, _) => deny(PolicyType::PermissionsBoundary, None),
            (false, true) => deny(PolicyType::Session, None),
            (false, false) => {
                reasons.push(*r);
                push_limits(&mut reasons, f);
                (Effect::Allow, None)
            }
        },
        // Cross-account requests and trust policies need the resource side to allow; a
        // grant to the account delegates to the account's identity policies.
        Facts {
            resource_required: true,
            resource: Scan { allow: None, .. },
            ..
        } => deny(PolicyType::Resource, None),
        // Nothing on the identity side allows it.
        _ if !identity_allows => deny(PolicyType::Identity, None),
        // The permissions boundary caps identity grants.
        _ if boundary_denies => deny(PolicyType::PermissionsBoundary, None),
        // Session policies cap the session's identity grants.
        _ if session_denies => deny(PolicyType::Session, None),
        // Identity side allows (and the resource side, where it is required).
        _ => {
            if let Some(r) = f.resource.allow {
                reasons.push(r);
            }
            if let Some(r) = f.identity {
                reasons.push(r);
            }
            push_limits(&mut reasons, f);
            (Effect::Allow, None)
        }
    };
    Decision {
        effect,
        reasons,
        denied_by,
    }
}

fn push_limits<'p>(reasons: &mut Reasons<'p>, f: &Facts<'p>) {
    if let Some(Some(r)) = f.boundary {
        reasons.push(r);
    }
    if let Some(Some(r)) = f.session {
        reasons.push(r);
    }
}

#[cfg(test)]
mod tests;
