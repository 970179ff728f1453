//! "Who can do X on Y": for one account, an action, a resource and the condition keys the
//! asker fixes, every principal that can perform it, with the deciding statements and the
//! path (direct, via a group, via assuming a role). AWS has no such operation; oxiam holds
//! every principal and policy of the account, so it answers from the snapshot with the
//! engine itself (`oxiam_policy::evaluate`), never with a second reading of policies.
//!
//! Soundness over open keys: a condition key the asker did not fix (and the principal does
//! not imply) may take any value. Each principal is judged twice on copies of its policies
//! (`Policy::assuming`): once with every open allow holding and every open deny not
//! applying (the upper bound), once the other way round (the lower bound). Allowed by the
//! lower bound: `allowed`; by the upper bound only: `conditional`, with the open conditions
//! listed; by neither: it cannot, for any value of the open keys. No principal that can is
//! left out.
//!
//! Principals, in the order of the answer:
//! - the account root (always, in its own account, unless a deny of the resource policy);
//! - users: their own and their groups' policies, their permissions boundary;
//! - roles: their policies and boundary, judged as a session whose name, session tags and
//!   session policies are unknown (session policies only narrow: the role is the upper
//!   bound of its sessions), then who can assume them, transitively (role chaining):
//!   users and roles of the account, other accounts and their principals, OIDC and SAML
//!   providers and AWS services named by the trust policy, each judged by the engine;
//! - principals outside the account named by the asker's resource policy.
//!
//! Organizations: [`OrganizationPolicies`] is the seam where SCPs and RCPs join the policy
//! set; today it is empty (no organization is analysed).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use oxiam_policy::{
    Context, ContextValue, Decision, Effect, NamedPolicy, Policy, PolicyKind, PolicySet,
    PolicyType, Principal, PrincipalType, Request, StatementEffect,
};

use crate::auth::decide::managed_policy;
use crate::model::{InlinePolicies, Role, User};
use crate::state::State;

/// One question.
#[derive(Debug, Clone, Copy)]
pub struct Question<'q> {
    /// The account whose principals are examined.
    pub account: &'q str,
    /// `service:Action`.
    pub action: &'q str,
    /// The resource ARN (or `*`).
    pub resource: &'q str,
    /// Condition keys the asker fixes; every other key is open.
    pub context: &'q [(String, ContextValue)],
    /// The resource's resource-based policy, if the asker gives one.
    pub resource_policy: Option<&'q Policy>,
}

/// Whether a principal can for every value of the open keys, or only for some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// For some values of the open keys only (the conditions say which).
    Conditional,
    /// Whatever the open keys are.
    Allowed,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Allowed => "allowed",
            Access::Conditional => "conditional",
        }
    }
}

/// What kind of principal a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Root,
    User,
    Role,
    /// Another account, delegated: its principals whose own policies allow it.
    Account,
    /// A user, role or session of another account, named by ARN.
    ForeignPrincipal,
    /// An OIDC identity provider (`AssumeRoleWithWebIdentity`).
    WebIdentity,
    /// A SAML provider (`AssumeRoleWithSAML`).
    Saml,
    /// An AWS service principal.
    Service,
    /// `"Principal": "*"`: anyone.
    Anyone,
}

impl Kind {
    /// The order of kinds in the answer.
    fn rank(self) -> u8 {
        match self {
            Kind::Root => 0,
            Kind::User => 1,
            Kind::Role => 2,
            Kind::Account => 3,
            Kind::ForeignPrincipal => 4,
            Kind::WebIdentity => 5,
            Kind::Saml => 6,
            Kind::Service => 7,
            Kind::Anyone => 8,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Root => "root",
            Kind::User => "user",
            Kind::Role => "role",
            Kind::Account => "account",
            Kind::ForeignPrincipal => "foreign-principal",
            Kind::WebIdentity => "web-identity",
            Kind::Saml => "saml",
            Kind::Service => "service",
            Kind::Anyone => "anyone",
        }
    }
}

/// One deciding statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deciding {
    pub policy_type: PolicyType,
    /// Inline policy name, managed policy ARN, `trust policy of <role ARN>` or
    /// `resource policy`.
    pub policy: String,
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: StatementEffect,
}

/// A condition reading an open key that the access depends on: an allowing statement's
/// condition that must hold, or a deny statement's that must not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub policy: String,
    pub statement: usize,
    pub sid: Option<String>,
    pub effect: StatementEffect,
    /// The operator as written (`StringEquals`, `IpAddressIfExists`); `Resource` when the
    /// statement's resource names the open key in a variable.
    pub operator: String,
    pub key: String,
}

/// One step from the principal towards the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    /// A policy of this group (by name) decided.
    Group(String),
    /// The principal assumes this role (ARN), then acts as it.
    AssumeRole(String),
}

/// One way a principal gets the access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// Empty: directly.
    pub via: Vec<Hop>,
    pub access: Access,
    /// Per step (each assumption, then the action), the deciding statements.
    pub statements: Vec<Deciding>,
    pub conditions: Vec<Open>,
}

/// One principal that can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// ARN, account ID, provider ARN or service name.
    pub principal: String,
    pub kind: Kind,
    /// The best access over its paths.
    pub access: Access,
    pub paths: Vec<Path>,
    /// The finding is an upper bound (role sessions: session policies may narrow it;
    /// other accounts: their own identity policies must allow too).
    pub upper_bound: bool,
}

/// The answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    pub principals: Vec<Finding>,
}

/// Service control and resource control policies that apply to the question, one slice
/// per organization level. The seam for Organizations: empty until it is analysed here.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrganizationPolicies<'a> {
    pub scps: &'a [&'a [NamedPolicy<'a>]],
    pub rcps: &'a [&'a [NamedPolicy<'a>]],
}

/// The SCPs and RCPs of `account` (none yet; see [`OrganizationPolicies`]).
fn organization_policies<'s>(_state: &'s State, _account: &str) -> OrganizationPolicies<'s> {
    OrganizationPolicies::default()
}

/// Adds the asker's keys to a subject's context (they win over the implied ones), and
/// notes whether an identity policy could allow `sts:AssumeRole` at all.
fn prepare<'s>(mut s: Subject<'s>, q: &Question<'_>) -> (Subject<'s>, bool) {
    for (k, v) in q.context {
        s.context.insert(k, v.clone());
    }
    let may_assume = s.identity.iter().any(|np| {
        (0..np.policy.statement_count()).any(|i| {
            np.policy
                .statement(i)
                .is_some_and(|st| st.effect == StatementEffect::Allow)
                && np.policy.statement_matches_action(i, "sts:AssumeRole")
        })
    });
    (s, may_assume)
}

/// How many roles deep assumption chains are followed.
const MAX_CHAIN: usize = 8;

/// One principal's policies, materialised with where each identity policy comes from.
struct Subject<'s> {
    principal: Principal<'s>,
    /// The context the principal implies, then the asker's keys.
    context: Context,
    identity: Vec<NamedPolicy<'s>>,
    /// Parallel to `identity`: the group a policy comes from.
    groups: Vec<Option<&'s str>>,
    boundary: Option<NamedPolicy<'s>>,
}

/// One step judged: how, and why.
#[derive(Debug, Clone)]
struct Judged {
    access: Access,
    statements: Vec<Deciding>,
    conditions: Vec<Open>,
    group: Option<String>,
}

/// Answers `q` over `state`.
pub fn who_can(state: &State, q: &Question<'_>) -> Answer {
    let org = organization_policies(state, q.account);
    let resource_account = resource_account(q.resource);
    let resource = q.resource_policy.map(|p| NamedPolicy {
        name: "resource policy",
        policy: p,
    });
    let step = Step {
        action: q.action,
        resource: q.resource,
        resource_account,
        policy: resource,
        trust_of: None,
    };
    let mut out = Findings::default();

    // The account root: full access to its own account's resources.
    let root_arn = format!("arn:aws:iam::{}:root", q.account);
    let root = Subject {
        principal: Principal::root(&root_arn, q.account),
        context: Context::for_principal(&Principal::root(&root_arn, q.account), &[]),
        identity: Vec::new(),
        groups: Vec::new(),
        boundary: None,
    };
    let (root, _) = prepare(root, q);
    if let Some(j) = judge(&root, &step, &org) {
        out.push(&root_arn, Kind::Root, false, path(Vec::new(), &[&j]));
    }

    let users: Vec<&User> = state.users_of(q.account).map(|u| &**u).collect();
    let user_arns: Vec<String> = users.iter().map(|u| u.arn()).collect();
    let user_short: Vec<String> = user_arns.iter().map(|a| without_path(a)).collect();
    let mut user_subjects = Vec::with_capacity(users.len());
    for (user, arn) in users.iter().zip(&user_arns) {
        let Some(s) = user_subject(state, user, arn) else {
            // A policy that does not compile denies everything (enforcement fails closed).
            user_subjects.push(None);
            continue;
        };
        let s = prepare(s, q);
        if let Some(j) = judge(&s.0, &step, &org) {
            let via = j.group.iter().map(|g| Hop::Group(g.clone())).collect();
            out.push(arn, Kind::User, false, path(via, &[&j]));
        }
        user_subjects.push(Some(s));
    }

    let roles: Vec<&Role> = State::of_account_from(&state.roles, q.account, None)
        .map(|r| &**r)
        .collect();
    let role_arns: Vec<String> = roles.iter().map(|r| r.arn()).collect();
    let role_short: Vec<String> = role_arns.iter().map(|a| without_path(a)).collect();
    let session_arns: Vec<String> = roles
        .iter()
        .map(|r| format!("arn:aws:sts::{}:assumed-role/{}/session", r.account, r.name))
        .collect();
    let mut role_subjects = Vec::with_capacity(roles.len());
    for ((role, arn), session) in roles.iter().zip(&role_arns).zip(&session_arns) {
        role_subjects.push(role_subject(state, role, arn, session).map(|s| prepare(s, q)));
    }
    // What each role can reach: its own path to the action, then, growing, the chains of
    // roles it can assume that lead there. (index of role, path of that role to X)
    let mut reach: Vec<Vec<Path>> = vec![Vec::new(); roles.len()];
    for (i, s) in role_subjects.iter().enumerate() {
        if let Some((s, _)) = s
            && let Some(j) = judge(s, &step, &org)
            && let Some(r) = reach.get_mut(i)
        {
            r.push(path(Vec::new(), &[&j]));
        }
    }
    // Breadth first from the roles that can: who can assume each, then who can assume
    // those. A role is expanded once, with its shortest chains.

    let mut expanded = vec![false; roles.len()];
    let mut frontier: Vec<usize> = (0..roles.len())
        .filter(|i| reach.get(*i).is_some_and(|r| !r.is_empty()))
        .collect();

    for _depth in 0..MAX_CHAIN {
        let mut next = Vec::new();
        for &i in &frontier {
            if expanded.get(i).copied().unwrap_or(true) {
                continue;
            }
            if let Some(e) = expanded.get_mut(i) {
                *e = true;
            }
            // Trust policies are compiled for the roles expanded only.
            let (Some(role_arn), Some(Some(trust)), Some(to_x)) = (
                role_arns.get(i),
                roles.get(i).map(|r| trust_policy(r)),
                reach.get(i).cloned(),
            ) else {
                continue;
            };
            let trust_name = format!("trust policy of {role_arn}");
            let assume = Step {
                action: "sts:AssumeRole",
                resource: role_arn,
                resource_account: None,
                policy: Some(NamedPolicy {
                    name: &trust_name,
                    policy: &trust,
                }),
                trust_of: Some(role_arn),
            };
            let named = trust_principals(&trust, q.account);
            // Who the engine needs to judge: everyone when the trust policy may name anyone;
            // those it names by ARN (roles' ARNs may lack the path, as session ARNs do);
            // when it names the account, those whose identity policies could allow
            // `sts:AssumeRole` at all (the account delegates to them).
            let admits = |arn: &str, short: &str, may_assume: bool| {
                named.everyone
                    || (named.account && may_assume)
                    || (!named.arns.is_empty()
                        && (named.arns.contains(arn) || named.arns.contains(short)))
            };
            for ((s, arn), short) in user_subjects.iter().zip(&user_arns).zip(&user_short) {
                if let Some((s, may_assume)) = s
                    && admits(arn, short, *may_assume)
                    && let Some(j) = judge(s, &assume, &org)
                {
                    for p in &to_x {
                        out.push(arn, Kind::User, false, chain(&j, role_arn, p));
                    }
                }
            }
            for (k, ((s, arn), short)) in role_subjects
                .iter()
                .zip(&role_arns)
                .zip(&role_short)
                .enumerate()
            {
                if k == i {
                    continue;
                }
                if let Some((s, may_assume)) = s
                    && admits(arn, short, *may_assume)
                    && let Some(j) = judge(s, &assume, &org)
                {
                    let mut new = false;
                    if let Some(r) = reach.get_mut(k) {
                        for p in &to_x {
                            let c = chain(&j, role_arn, p);
                            if !r.iter().any(|x| x.via == c.via) {
                                r.push(c);
                                new = true;
                            }
                        }
                    }
                    if new && !expanded.get(k).copied().unwrap_or(true) {
                        next.push(k);
                    }
                }
            }
            for (principal, kind) in &named.outside {
                let Some(j) = judge_outside(principal, *kind, q, &assume, &org) else {
                    continue;
                };
                for p in &to_x {
                    out.push(principal, *kind, true, chain(&j, role_arn, p));
                }
            }
        }
        frontier = next;
        if frontier.is_empty() {
            break;
        }
    }
    for ((r, arn), paths) in roles.iter().zip(&role_arns).zip(reach) {
        let _ = r;
        for p in paths {
            out.push(arn, Kind::Role, true, p);
        }
    }
    // Principals outside the account named by the asker's resource policy.
    if let Some(rp) = q.resource_policy {
        let named = trust_principals(rp, q.account);
        for (principal, kind) in &named.outside {
            if let Some(j) = judge_outside(principal, *kind, q, &step, &org) {
                out.push(principal, *kind, true, path(Vec::new(), &[&j]));
            }
        }
    }
    let mut out = out.list;
    // A stable order: the root, users, roles, then the principals outside the account;
    // by name within each kind.
    out.sort_by(|a, b| (a.kind.rank(), &a.principal).cmp(&(b.kind.rank(), &b.principal)));
    Answer { principals: out }
}

/// What is being asked of the engine in one step.
struct Step<'a> {
    action: &'a str,
    resource: &'a str,
    resource_account: Option<&'a str>,
    policy: Option<NamedPolicy<'a>>,
    /// For an assumption: the role (its trust policy is `policy`).
    trust_of: Option<&'a str>,
}

/// The account of an ARN resource, when it names one (`arn:aws:s3:::b` names none).
fn resource_account(resource: &str) -> Option<&str> {
    oxiam_policy::arn::Arn::parse(resource)
        .map(|a| a.account)
        .filter(|a| !a.is_empty())
}

fn path(via: Vec<Hop>, steps: &[&Judged]) -> Path {
    Path {
        via,
        access: steps
            .iter()
            .map(|j| j.access)
            .min()
            .unwrap_or(Access::Allowed),
        statements: steps.iter().flat_map(|j| j.statements.clone()).collect(),
        conditions: steps.iter().flat_map(|j| j.conditions.clone()).collect(),
    }
}

/// `assume` (into `role`), then `then` (what the role does from there).
fn chain(assume: &Judged, role: &str, then: &Path) -> Path {
    let mut via: Vec<Hop> = assume.group.iter().map(|g| Hop::Group(g.clone())).collect();
    via.push(Hop::AssumeRole(role.to_owned()));
    via.extend(then.via.iter().cloned());
    let mut statements = assume.statements.clone();
    statements.extend(then.statements.iter().cloned());
    let mut conditions = assume.conditions.clone();
    conditions.extend(then.conditions.iter().cloned());
    Path {
        via,
        access: assume.access.min(then.access),
        statements,
        conditions,
    }
}

/// The findings so far, one per principal, with an index by principal.
#[derive(Default)]
struct Findings {
    list: Vec<Finding>,
    index: HashMap<(u8, String), usize>,
}

impl Findings {
    /// Adds a path to the principal's finding.
    fn push(&mut self, principal: &str, kind: Kind, upper_bound: bool, p: Path) {
        let key = (kind.rank(), principal.to_owned());
        if let Some(f) = self.index.get(&key).and_then(|&i| self.list.get_mut(i)) {
            f.access = f.access.max(p.access);
            if !f.paths.contains(&p) {
                f.paths.push(p);
            }
            return;
        }
        self.index.insert(key, self.list.len());
        self.list.push(Finding {
            principal: principal.to_owned(),
            kind,
            access: p.access,
            paths: vec![p],
            upper_bound,
        });
    }
}

/// A role's trust policy; `None` when it no longer compiles (such a role trusts no one,
/// as `AssumeRole` enforces).
fn trust_policy(role: &Role) -> Option<Policy> {
    let options = oxiam_policy::ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    Policy::parse_with(&role.assume_role_policy, PolicyKind::Trust, &options).ok()
}

fn push_policies<'s>(
    state: &'s State,
    table: &'static str,
    key: &str,
    attached: &'s [String],
    group: Option<&'s str>,
    s: &mut Subject<'s>,
) -> Option<()> {
    for (name, policy) in state.compiled.inline(table, key) {
        s.identity.push(NamedPolicy {
            name,
            policy: policy?,
        });
        s.groups.push(group);
    }
    for arn in attached {
        s.identity.push(NamedPolicy {
            name: arn,
            policy: managed_policy(state, arn)?,
        });
        s.groups.push(group);
    }
    Some(())
}

fn boundary<'s>(state: &'s State, arn: Option<&'s String>) -> Option<Option<NamedPolicy<'s>>> {
    match arn {
        Some(arn) => Some(Some(NamedPolicy {
            name: arn,
            policy: managed_policy(state, arn)?,
        })),
        None => Some(None),
    }
}

/// A user's policies and implied keys, as enforcement materialises them
/// (`decide::user_policies`), with the group of each policy.
fn user_subject<'s>(state: &'s State, user: &'s User, arn: &'s str) -> Option<Subject<'s>> {
    let principal = Principal {
        arn,
        account: &user.account,
        kind: PrincipalType::User,
        role_arn: None,
        user_id: &user.id,
    };
    let tags: Vec<(&str, &str)> = user
        .tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    let mut s = Subject {
        principal,
        context: Context::for_principal(&principal, &tags),
        identity: Vec::new(),
        groups: Vec::new(),
        boundary: None,
    };
    let key = State::user_key(&user.account, &user.name);
    let _: &InlinePolicies = &user.inline_policies;
    push_policies(state, "user", &key, &user.attached_policies, None, &mut s)?;
    for group_key in state.compiled.groups_of(&user.id) {
        // INVARIANT (groups-of-user) keeps every key present.
        let group = state.groups.get(group_key)?;
        push_policies(
            state,
            "group",
            group_key,
            &group.attached_policies,
            Some(&group.name),
            &mut s,
        )?;
    }
    s.boundary = boundary(state, user.permissions_boundary.as_ref())?;
    Some(s)
}

/// A session of the role whose name, session tags and session policies are unknown: the
/// session's `aws:userid` and every `aws:PrincipalTag/…` stay open (session tags override
/// the role's tags).
fn role_subject<'s>(
    state: &'s State,
    role: &'s Role,
    role_arn: &'s str,
    session_arn: &'s str,
) -> Option<Subject<'s>> {
    let principal = Principal {
        arn: session_arn,
        account: &role.account,
        kind: PrincipalType::AssumedRole,
        role_arn: Some(role_arn),
        user_id: &role.id,
    };
    let mut context = Context::for_principal(&principal, &[]);
    context.remove("aws:userid");
    let mut s = Subject {
        principal,
        context,
        identity: Vec::new(),
        groups: Vec::new(),
        boundary: None,
    };
    let key = State::name_key(&role.account, &role.name);
    push_policies(state, "role", &key, &role.attached_policies, None, &mut s)?;
    s.boundary = boundary(state, role.permissions_boundary.as_ref())?;
    Some(s)
}

/// Judges one principal outside the account (named by a trust or resource policy) on that
/// policy alone: its own account's policies are not analysed, so the finding is an upper
/// bound.
fn judge_outside(
    principal: &str,
    kind: Kind,
    q: &Question<'_>,
    step: &Step<'_>,
    org: &OrganizationPolicies<'_>,
) -> Option<Judged> {
    let account = principal
        .split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or(principal);
    let root_arn;
    let (p, action) = match kind {
        Kind::Account => {
            root_arn = format!("arn:aws:iam::{account}:root");
            (Principal::root(&root_arn, account), step.action)
        }
        Kind::ForeignPrincipal | Kind::Anyone => {
            let role_arn;
            let (k, role) = if principal.contains(":role/") {
                role_arn = Some(principal);
                (PrincipalType::AssumedRole, role_arn)
            } else {
                (PrincipalType::User, None)
            };
            let acct = if kind == Kind::Anyone { "" } else { account };
            let p = Principal {
                arn: principal,
                account: acct,
                kind: k,
                role_arn: role,
                user_id: "",
            };
            (p, step.action)
        }
        Kind::WebIdentity => (
            Principal {
                arn: principal,
                account: "",
                kind: PrincipalType::WebIdentity,
                role_arn: None,
                user_id: "",
            },
            if step.trust_of.is_some() {
                "sts:AssumeRoleWithWebIdentity"
            } else {
                step.action
            },
        ),
        Kind::Saml => (
            Principal {
                arn: principal,
                account: "",
                kind: PrincipalType::Saml,
                role_arn: None,
                user_id: "",
            },
            if step.trust_of.is_some() {
                "sts:AssumeRoleWithSAML"
            } else {
                step.action
            },
        ),
        Kind::Service => (Principal::service(principal), step.action),
        Kind::Root | Kind::User | Kind::Role => return None,
    };
    let mut context = Context::for_principal(&p, &[]);
    if matches!(kind, Kind::ForeignPrincipal | Kind::Anyone) {
        context.remove("aws:userid");
    }
    // The other side's identity is not known: judge the policy's grant alone, in the
    // same-account reading where a grant naming the principal needs nothing else; an
    // account root of another account stands for its delegated principals.
    let (s, _) = prepare(
        Subject {
            principal: p,
            context,
            identity: Vec::new(),
            groups: Vec::new(),
            boundary: None,
        },
        q,
    );
    let local = Step {
        action,
        resource: step.resource,
        resource_account: None,
        policy: step.policy,
        trust_of: step.trust_of,
    };
    // A principal outside the account needs the policy to name it: `judge` with no
    // identity policies only allows through the policy's own grant.
    judge(&s, &local, org)
}

/// The role ARN of a session ARN of `account` (`arn:aws:sts::A:assumed-role/R/s` →
/// `arn:aws:iam::A:role/R`, without the role's path, which session ARNs leave out); any
/// other ARN as it is.
fn session_role(arn: &str, account: &str) -> String {
    let prefix = format!("arn:aws:sts::{account}:assumed-role/");
    match arn.strip_prefix(&prefix).and_then(|r| r.split_once('/')) {
        Some((role, _)) => format!("arn:aws:iam::{account}:role/{role}"),
        None => arn.to_owned(),
    }
}

/// `arn:aws:iam::A:role/path/name` → `arn:aws:iam::A:role/name` (users likewise).
fn without_path(arn: &str) -> String {
    match (arn.split_once(":role/"), arn.split_once(":user/")) {
        (Some((head, rest)), _) => {
            format!("{head}:role/{}", rest.rsplit('/').next().unwrap_or(rest))
        }
        (None, Some((head, rest))) => {
            format!("{head}:user/{}", rest.rsplit('/').next().unwrap_or(rest))
        }
        (None, None) => arn.to_owned(),
    }
}

/// Judges `s` on one step: `None` when it cannot for any value of the open keys.
fn judge(s: &Subject<'_>, step: &Step<'_>, org: &OrganizationPolicies<'_>) -> Option<Judged> {
    let context = &s.context;
    let request = Request {
        principal: s.principal,
        action: step.action,
        resource: step.resource,
        resource_account: step.resource_account,
        context,
    };
    let open = |key: &str| context.get(key).is_none();
    let reads = s
        .identity
        .iter()
        .chain(s.boundary.iter())
        .chain(step.policy.iter())
        .any(|p| p.policy.reads_open_keys(&open));
    if !reads {
        return evaluate(&request, s, step, org, None, |d| {
            (d.effect == Effect::Allow).then(|| judged(s, d, Access::Allowed, Vec::new()))
        });
    }
    // Copies with each open statement decided one way, then the other.
    let bound = |holds: StatementEffect| Bound::new(s, step, &open, holds);
    let lower = bound(StatementEffect::Deny);
    let allowed = evaluate(&request, s, step, org, Some(&lower), |d| {
        (d.effect == Effect::Allow).then(|| judged(s, d, Access::Allowed, Vec::new()))
    });
    if allowed.is_some() {
        return allowed;
    }
    let upper = bound(StatementEffect::Allow);
    evaluate(&request, s, step, org, Some(&upper), |d| {
        (d.effect == Effect::Allow).then(|| {
            let conditions = open_conditions(s, step, d, &request, &open);
            judged(s, d, Access::Conditional, conditions)
        })
    })
}

/// The policies of one subject and step with every open statement decided one way.
struct Bound {
    identity: Vec<Option<Policy>>,
    boundary: Option<Policy>,
    resource: Option<Policy>,
}

impl Bound {
    fn new(
        s: &Subject<'_>,
        step: &Step<'_>,
        open: &dyn Fn(&str) -> bool,
        holds: StatementEffect,
    ) -> Bound {
        let holds = |e: StatementEffect| e == holds;
        Bound {
            identity: s
                .identity
                .iter()
                .map(|p| p.policy.assuming(open, &holds))
                .collect(),
            boundary: s.boundary.and_then(|p| p.policy.assuming(open, &holds)),
            resource: step.policy.and_then(|p| p.policy.assuming(open, &holds)),
        }
    }
}

/// Evaluates `request` on the subject's and step's policies (or their copies in `bound`)
/// and hands the decision to `then`.
fn evaluate<'p, R>(
    request: &Request<'_>,
    s: &Subject<'p>,
    step: &Step<'p>,
    org: &OrganizationPolicies<'p>,
    bound: Option<&'p Bound>,
    then: impl FnOnce(&Decision<'_>) -> R,
) -> R {
    let swap = |np: NamedPolicy<'p>, copy: Option<&'p Policy>| NamedPolicy {
        name: np.name,
        policy: copy.unwrap_or(np.policy),
    };
    let identity: Vec<NamedPolicy<'p>> = match bound {
        None => s.identity.clone(),
        Some(b) => s
            .identity
            .iter()
            .zip(&b.identity)
            .map(|(np, c)| swap(*np, c.as_ref()))
            .collect(),
    };
    let boundary = s
        .boundary
        .map(|np| swap(np, bound.and_then(|b| b.boundary.as_ref())));
    let resource = step
        .policy
        .map(|np| swap(np, bound.and_then(|b| b.resource.as_ref())));
    let set = PolicySet {
        identity: &identity,
        permissions_boundary: boundary,
        resource,
        scps: org.scps,
        rcps: org.rcps,
        ..PolicySet::default()
    };
    then(&oxiam_policy::evaluate(request, &set))
}

fn judged(s: &Subject<'_>, d: &Decision<'_>, access: Access, conditions: Vec<Open>) -> Judged {
    let mut group = None;
    let statements = d
        .reasons
        .iter()
        .map(|r| {
            if r.policy_type == PolicyType::Identity
                && let Some(g) = s
                    .identity
                    .iter()
                    .zip(&s.groups)
                    .find(|(np, _)| std::ptr::eq(np.name, r.policy))
                    .and_then(|(_, g)| *g)
            {
                group = Some(g.to_owned());
            }
            Deciding {
                policy_type: r.policy_type,
                policy: r.policy.to_owned(),
                statement: r.statement,
                sid: r.sid.map(str::to_owned),
                effect: r.effect,
            }
        })
        .collect();
    Judged {
        access,
        statements,
        conditions,
        group,
    }
}

/// The open conditions a conditional access depends on: those of the allowing statements
/// (they must hold), and those of every deny statement the request reaches whose open
/// conditions or resource could make it apply (they must not).
fn open_conditions(
    s: &Subject<'_>,
    step: &Step<'_>,
    d: &Decision<'_>,
    request: &Request<'_>,
    open: &dyn Fn(&str) -> bool,
) -> Vec<Open> {
    let all: Vec<&NamedPolicy<'_>> = s
        .identity
        .iter()
        .chain(s.boundary.iter())
        .chain(step.policy.iter())
        .collect();
    let mut out = Vec::new();
    let mut add = |np: &NamedPolicy<'_>, i: usize| {
        let (conds, resource) = np.policy.open_conditions(i, open);
        let Some(info) = np.policy.statement(i) else {
            return;
        };
        let mk = |operator: String, key: String| Open {
            policy: np.name.to_owned(),
            statement: i,
            sid: info.sid.map(str::to_owned),
            effect: info.effect,
            operator,
            key,
        };
        for c in conds {
            out.push(mk(c.operator, c.key));
        }
        if resource {
            out.push(mk("Resource".to_owned(), "(policy variable)".to_owned()));
        }
    };
    for r in d.reasons.iter() {
        if let Some(np) = all.iter().find(|np| std::ptr::eq(np.name, r.policy)) {
            add(np, r.statement);
        }
    }
    for np in &all {
        for i in 0..np.policy.statement_count() {
            let is_deny = np
                .policy
                .statement(i)
                .is_some_and(|st| st.effect == StatementEffect::Deny);
            if !is_deny || !np.policy.statement_matches_action(i, request.action) {
                continue;
            }
            let (conds, resource) = np.policy.open_conditions(i, open);
            let reached = resource || np.policy.statement_reaches(i, request);
            if reached && (!conds.is_empty() || resource) {
                add(np, i);
            }
        }
    }
    out
}

/// The principals a trust or resource policy names, sorted: is the account itself
/// trusted (any of its principals whose identity policies allow it may), which of its
/// users and roles are named, and who outside the account is.
struct Named {
    /// Anyone (`*`), `NotPrincipal`, or unique IDs: any principal may be named.
    everyone: bool,
    /// The account itself: it delegates to its principals' identity policies.
    account: bool,
    arns: BTreeSet<String>,
    outside: Vec<(String, Kind)>,
}

/// Reads the `Principal` of every `Allow` statement of a trust or resource policy. Only a
/// pre-selection: every candidate is then judged by the engine on the whole policy.
fn trust_principals(policy: &Policy, account: &str) -> Named {
    let mut named = Named {
        everyone: false,
        account: false,
        arns: BTreeSet::new(),
        outside: Vec::new(),
    };
    let mut outside: BTreeMap<String, Kind> = BTreeMap::new();
    for p in policy.principals() {
        use oxiam_policy::NamedPrincipal as N;
        match p {
            N::Anyone => {
                named.everyone = true;
                outside.insert("*".to_owned(), Kind::Anyone);
            }
            N::Account(a) if a == account => named.account = true,
            N::Account(a) => {
                outside.insert(a, Kind::Account);
            }
            N::Arn(arn) if arn.split(':').nth(4) == Some(account) => {
                // `assumed-role/R/session` names a session of role R: judged on its role.
                named.arns.insert(session_role(&arn, account));
            }
            N::Arn(arn) => {
                outside.insert(arn, Kind::ForeignPrincipal);
            }
            // A unique ID or `NotPrincipal` may name any principal of the account: judge
            // them all.
            N::UniqueId(_) | N::Excluding => named.everyone = true,
            N::Federated(v) => {
                let kind = if v.contains(":saml-provider/") {
                    Kind::Saml
                } else {
                    Kind::WebIdentity
                };
                outside.insert(v, kind);
            }
            N::Service(v) => {
                outside.insert(v, Kind::Service);
            }
        }
    }
    named.outside = outside.into_iter().collect();
    named
}

#[cfg(test)]
mod tests;
