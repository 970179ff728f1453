//! `oxiam policy diff A B`: what identity policy B grants that identity policy A does not,
//! as (action, resource pattern, conditions) lines a reviewer can read.
//!
//! # Map
//! - [`diff`]: validates both documents with `oxiam-policy`, reads their statements
//!   (`Statement`), expands actions over the service catalogue (`Universe`, one bit per
//!   catalogue action), and for each grant of B's `Allow` statements asks whether A covers
//!   it (`Comparison`). `new_grants` is the same comparison for any policy type, each grant
//!   with the B statement it comes from: `crate::checks` answers `CheckNoNewAccess` with
//!   it and reads statements with `statements`.
//! - statement-level inclusion (`covers_resources`, `covers_actions`, …) over the exact
//!   pattern languages of `crate::pattern`, conditions compared by implication
//!   (`crate::condition`), principals by inclusion (`crate::principal`).
//! - [`Diff`]: the new grants, sorted; [`Diff::write_text`] groups them by service and
//!   collapses a service all of whose actions are new; [`Diff::to_json`].
//!
//! # Soundness
//! The answer may over-report, never under-report: A covers a grant of B only when one A
//! `Allow` statement provably reaches every request of it (its action, a resource pattern
//! that includes B's, principals that include B's, conditions B's imply) and no A `Deny`
//! statement could take any of it away (unless B has a deny at least as strong). Pattern
//! inclusion is exact; condition implication and principal inclusion answer "no" where they
//! cannot decide.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use oxiam_catalogue::{AccessLevel, Catalogue, Service};
use oxiam_policy::{Policy, PolicyError, PolicyKind};
use serde_json::Value;

use crate::condition::Conditions;
use crate::pattern::{action_includes, actions_meet, resource_includes, resources_meet};
use crate::principal::PrincipalSpec;

/// Which of the two documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The policy before the change.
    A,
    /// The policy after the change.
    B,
}

/// Why the two policies could not be compared.
#[derive(Debug, thiserror::Error)]
#[error("policy {side:?} is not a valid identity policy: {}", error.message())]
pub struct DiffError {
    /// The document that failed.
    pub side: Side,
    /// AWS's message and where.
    pub error: PolicyError,
}

/// The resources of one grant: a `Resource` pattern, or everything a `NotResource` list
/// leaves out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resources {
    /// One `Resource` entry.
    Pattern(String),
    /// `NotResource`: every resource except these.
    AllExcept(Vec<String>),
}

impl std::fmt::Display for Resources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resources::Pattern(p) => f.write_str(p),
            Resources::AllExcept(list) => write!(f, "everything except {}", list.join(", ")),
        }
    }
}

/// What a grant's action is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum GrantAction {
    /// An action of the catalogue, spelled as the catalogue spells it.
    Catalogue {
        /// `s3`.
        prefix: String,
        /// `Amazon S3`.
        service: String,
        /// `s3:GetObject`.
        name: String,
        access_level: AccessLevel,
    },
    /// Actions the catalogue does not list: a named action of a service it does not know
    /// (`myapp:GetFile`), a pattern (`myapp:*`, `*`), or with `except` every action outside
    /// the catalogue that a `NotAction` list leaves out.
    Outside {
        pattern: String,
        except: Option<Vec<String>>,
    },
}

impl GrantAction {
    /// The text of the action column.
    pub fn label(&self) -> &str {
        match self {
            GrantAction::Catalogue { name, .. } => name,
            GrantAction::Outside { pattern, .. } => pattern,
        }
    }

    fn prefix(&self) -> &str {
        match self {
            GrantAction::Catalogue { prefix, .. } => prefix,
            GrantAction::Outside { .. } => "",
        }
    }
}

/// One thing B grants that A does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub action: GrantAction,
    pub resources: Resources,
    /// B's statement's `Condition` block, if any.
    pub conditions: Option<Value>,
    /// Why it is reported although A comes close, or what may narrow it.
    pub notes: Vec<String>,
}

impl Grant {
    /// The order of the output: service, action, resources, conditions.
    fn sort_key(&self) -> (bool, String, String, &Resources, String) {
        (
            matches!(self.action, GrantAction::Outside { .. }),
            self.action.prefix().to_ascii_lowercase(),
            self.action.label().to_ascii_lowercase(),
            &self.resources,
            self.conditions
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default(),
        )
    }
}

/// What B grants that A does not, sorted by service, action, resource.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    pub grants: Vec<Grant>,
    /// Services every one of whose catalogue actions is new, with the same resources,
    /// conditions and notes for each: (prefix, number of actions).
    pub whole_services: Vec<(String, usize)>,
}

/// Compares identity policies `a` and `b` (JSON text) over `catalogue`.
pub fn diff(a: &str, b: &str, catalogue: &Catalogue) -> Result<Diff, DiffError> {
    Policy::parse(a, PolicyKind::Identity).map_err(|error| DiffError {
        side: Side::A,
        error,
    })?;
    Policy::parse(b, PolicyKind::Identity).map_err(|error| DiffError {
        side: Side::B,
        error,
    })?;
    let mut grants: Vec<Grant> = new_grants(a, b, catalogue)
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    grants.sort_by(|x, y| x.sort_key().cmp(&y.sort_key()));
    grants.dedup();
    let whole_services = whole_services(catalogue, &grants);
    Ok(Diff {
        grants,
        whole_services,
    })
}

/// What policy `b` grants that policy `a` does not: each grant with the index of the `b`
/// statement it comes from, unsorted. Shared with the checks. The caller has validated both
/// documents: the engine accepted their shape, so reading them cannot fail in a way that
/// matters; a document that is not an object yields no statements.
pub(crate) fn new_grants(a: &str, b: &str, catalogue: &Catalogue) -> Vec<(usize, Grant)> {
    let universe = Universe::new(catalogue);
    let a = statements(a, &universe);
    let b = statements(b, &universe);
    Comparison {
        universe: &universe,
        a: &a,
        b: &b,
    }
    .grants()
}

// ---------------------------------------------------------------------------------------
// The catalogue's actions as bits.

/// Every catalogue action, numbered in catalogue order.
pub(crate) struct Universe<'c> {
    pub(crate) catalogue: &'c Catalogue,
    /// (service, action index in the service), by number.
    pub(crate) actions: Vec<(&'c Service, usize)>,
    /// First number of each service, by the service's address.
    base: HashMap<*const Service, usize>,
}

impl<'c> Universe<'c> {
    pub(crate) fn new(catalogue: &'c Catalogue) -> Self {
        let mut actions = Vec::new();
        let mut base = HashMap::new();
        for service in catalogue.services() {
            base.insert(std::ptr::from_ref(service), actions.len());
            actions.extend((0..service.actions.len()).map(|i| (service, i)));
        }
        Universe {
            catalogue,
            actions,
            base,
        }
    }

    pub(crate) fn empty(&self) -> Bits {
        Bits(vec![0; self.actions.len().div_ceil(64)])
    }

    /// The catalogue actions `pattern` names (IAM's matching, case-insensitive).
    pub(crate) fn matching(&self, pattern: &str, into: &mut Bits) -> bool {
        let mut any = false;
        // The iterator walks services in order and each service's actions in order, so
        // one cursor per service finds each hit's position without a search from the start.
        let mut cursor: Option<(*const Service, usize)> = None;
        for (service, action) in self.catalogue.matching_actions(pattern) {
            let key = std::ptr::from_ref(service);
            let from = match cursor {
                Some((s, at)) if s == key => at,
                _ => 0,
            };
            let Some(offset) = service
                .actions
                .iter()
                .skip(from)
                .position(|a| std::ptr::eq(a, action))
            else {
                continue;
            };
            let at = from + offset;
            cursor = Some((key, at + 1));
            if let Some(base) = self.base.get(&key) {
                into.set(base + at);
                any = true;
            }
        }
        any
    }
}

/// A set of catalogue actions.
#[derive(Debug, Clone)]
pub(crate) struct Bits(Vec<u64>);

impl Bits {
    fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    pub(crate) fn has(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub(crate) fn invert(&mut self, len: usize) {
        for w in &mut self.0 {
            *w = !*w;
        }
        // Clear the bits past the last action.
        let tail = len % 64;
        if tail != 0
            && let Some(last) = self.0.last_mut()
        {
            *last &= (1u64 << tail) - 1;
        }
    }

    pub(crate) fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            (0..64)
                .filter(move |b| word & (1 << b) != 0)
                .map(move |b| w * 64 + b)
        })
    }
}

// ---------------------------------------------------------------------------------------
// Statements.

/// One statement as the diff and the checks need it.
#[derive(Debug)]
pub(crate) struct Statement {
    pub(crate) index: usize,
    pub(crate) sid: Option<String>,
    pub(crate) deny: bool,
    /// `Principal`/`NotPrincipal` (resource policies).
    pub(crate) principal: PrincipalSpec,
    /// `Action` or `NotAction` entries, as written.
    pub(crate) actions: Vec<String>,
    pub(crate) not_action: bool,
    /// The catalogue actions the statement reaches.
    pub(crate) reach: Bits,
    /// `Action` entries the catalogue does not list (unknown service, no match, or a
    /// pattern over services): they stand for themselves.
    pub(crate) outside: Vec<String>,
    pub(crate) resources: Vec<String>,
    pub(crate) not_resource: bool,
    /// `None` when absent or empty.
    conditions: Option<Value>,
    /// The same, read for comparison.
    pub(crate) cond: Conditions,
}

impl Statement {
    fn name(&self) -> String {
        match &self.sid {
            Some(sid) => format!("statement {} (Sid `{sid}`)", self.index),
            None => format!("statement {}", self.index),
        }
    }

    /// Its resources as grant items: each `Resource` entry, or the `NotResource` list.
    fn items(&self) -> Vec<Resources> {
        if self.not_resource {
            vec![Resources::AllExcept(self.resources.clone())]
        } else {
            self.resources
                .iter()
                .map(|r| Resources::Pattern(r.clone()))
                .collect()
        }
    }
}

/// A string or a list of strings (`Action`, `Resource`, …).
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn statements(text: &str, universe: &Universe<'_>) -> Vec<Statement> {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let list = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    list.iter()
        .enumerate()
        .map(|(index, s)| {
            let not_action = s.get("NotAction").is_some();
            let actions = strings(s.get(if not_action { "NotAction" } else { "Action" }));
            let not_resource = s.get("NotResource").is_some();
            let mut resources = strings(s.get(if not_resource {
                "NotResource"
            } else {
                "Resource"
            }));
            if resources.is_empty() && !not_resource {
                // No resource element (the engine allows none only where it means any).
                resources.push("*".to_owned());
            }
            let mut reach = universe.empty();
            let mut outside = Vec::new();
            for p in &actions {
                let matched = universe.matching(p, &mut reach);
                let service = p.split_once(':').map_or(p.as_str(), |(s, _)| s);
                if !matched
                    || has_wildcard(service)
                    || universe.catalogue.service(service).is_none()
                {
                    outside.push(p.clone());
                }
            }
            if not_action {
                reach.invert(universe.actions.len());
                outside.clear();
            }
            let conditions = s
                .get("Condition")
                .filter(|c| c.as_object().is_none_or(|o| !o.is_empty()))
                .cloned();
            Statement {
                index,
                sid: s.get("Sid").and_then(Value::as_str).map(str::to_owned),
                deny: s.get("Effect").and_then(Value::as_str) == Some("Deny"),
                principal: PrincipalSpec::read(s),
                cond: Conditions::read(conditions.as_ref()),
                actions,
                not_action,
                reach,
                outside,
                resources,
                not_resource,
                conditions,
            }
        })
        .collect()
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

// ---------------------------------------------------------------------------------------
// Statement-level inclusion, over `pattern`'s exact pattern languages.

/// Statement `s`'s resources include every resource of `item`.
pub(crate) fn covers_resources(s: &Statement, item: &Resources) -> bool {
    match (s.not_resource, item) {
        (false, Resources::Pattern(p)) => s.resources.iter().any(|r| resource_includes(r, p)),
        (false, Resources::AllExcept(_)) => s.resources.iter().any(|r| r == "*"),
        (true, Resources::Pattern(p)) => s.resources.iter().all(|r| !resources_meet(r, p)),
        // `s` leaves out no more than `item` does.
        (true, Resources::AllExcept(list)) => s
            .resources
            .iter()
            .all(|r| list.iter().any(|l| resource_includes(l, r))),
    }
}

/// Statement `s`'s resources may share a resource with `item`.
fn may_overlap(s: &Statement, item: &Resources) -> bool {
    match (s.not_resource, item) {
        (false, Resources::Pattern(p)) => s.resources.iter().any(|r| resources_meet(r, p)),
        // A `NotResource` on either side leaves too much to rule anything out.
        _ => true,
    }
}

/// Statement `d`'s resources include every resource of statement `e`.
pub(crate) fn covers_statement_resources(d: &Statement, e: &Statement) -> bool {
    e.items().iter().all(|item| covers_resources(d, item))
}

/// Statement `s` surely reaches every action of the outside grant `g`.
fn covers_outside(s: &Statement, g: &GrantAction) -> bool {
    let GrantAction::Outside { pattern, except } = g else {
        return false;
    };
    match (s.not_action, except) {
        (false, None) => s.actions.iter().any(|a| action_includes(a, pattern)),
        (false, Some(_)) => s.actions.iter().any(|a| action_includes(a, "*")),
        (true, None) => s.actions.iter().all(|a| !actions_meet(a, pattern)),
        (true, Some(list)) => s
            .actions
            .iter()
            .all(|a| list.iter().any(|l| action_includes(l, a))),
    }
}

/// Statement `e`'s actions include every action of statement `d` (for any catalogue).
pub(crate) fn covers_actions(e: &Statement, d: &Statement) -> bool {
    match (e.not_action, d.not_action) {
        (false, false) => d
            .actions
            .iter()
            .all(|x| e.actions.iter().any(|y| action_includes(y, x))),
        (true, true) => e
            .actions
            .iter()
            .all(|y| d.actions.iter().any(|x| action_includes(x, y))),
        (true, false) => d
            .actions
            .iter()
            .all(|x| e.actions.iter().all(|y| !actions_meet(x, y))),
        (false, true) => e.actions.iter().any(|y| action_includes(y, "*")),
    }
}

/// Statement `s` may reach some action of the outside grant `g`.
fn may_reach_outside(s: &Statement, g: &GrantAction) -> bool {
    let GrantAction::Outside { pattern, except } = g else {
        return false;
    };
    if s.not_action || except.is_some() {
        return true;
    }
    s.actions.iter().any(|a| actions_meet(a, pattern))
}

// ---------------------------------------------------------------------------------------
// The comparison.

struct Comparison<'u, 'c> {
    universe: &'u Universe<'c>,
    a: &'u [Statement],
    b: &'u [Statement],
}

/// An action of a grant: a catalogue action by number, or an outside one.
enum Key<'g> {
    Id(usize),
    Outside(&'g GrantAction),
}

impl Comparison<'_, '_> {
    fn grants(&self) -> Vec<(usize, Grant)> {
        let mut grants: Vec<(usize, Grant)> = Vec::new();
        for sb in self.b.iter().filter(|s| !s.deny) {
            for item in sb.items() {
                // What depends only on the statement and the resources, once.
                let allows: Vec<(&Statement, bool)> = self
                    .a
                    .iter()
                    .filter(|sa| {
                        !sa.deny
                            && covers_resources(sa, &item)
                            && sa.principal.covers(&sb.principal)
                    })
                    .map(|sa| (sa, sb.cond.implies(&sa.cond)))
                    .collect();
                let a_denies: Vec<&Statement> = self
                    .a
                    .iter()
                    .filter(|d| d.deny && may_overlap(d, &item))
                    .collect();
                let b_denies: Vec<&Statement> = self
                    .b
                    .iter()
                    .filter(|d| d.deny && may_overlap(d, &item))
                    .collect();
                let outside: Vec<GrantAction> = if sb.not_action {
                    vec![GrantAction::Outside {
                        pattern: "*".to_owned(),
                        except: Some(sb.actions.clone()),
                    }]
                } else {
                    sb.outside
                        .iter()
                        .map(|p| GrantAction::Outside {
                            pattern: p.clone(),
                            except: None,
                        })
                        .collect()
                };
                let keys = sb
                    .reach
                    .ones()
                    .map(Key::Id)
                    .chain(outside.iter().map(Key::Outside));
                for key in keys {
                    if let Some(g) = self.judge(&key, sb, &item, &allows, &a_denies, &b_denies) {
                        grants.push((sb.index, g));
                    }
                }
            }
        }
        grants
    }

    /// The grant of `key` on `item` by B's statement `sb`, unless A covers it or B's own
    /// unconditional deny removes it.
    fn judge(
        &self,
        key: &Key<'_>,
        sb: &Statement,
        item: &Resources,
        allows: &[(&Statement, bool)],
        a_denies: &[&Statement],
        b_denies: &[&Statement],
    ) -> Option<Grant> {
        let reaches = |s: &Statement| match key {
            Key::Id(i) => s.reach.has(*i),
            Key::Outside(g) => covers_outside(s, g),
        };
        let may_reach = |s: &Statement| match key {
            Key::Id(i) => s.reach.has(*i),
            Key::Outside(g) => may_reach_outside(s, g),
        };
        // B's own deny that surely removes all of it: whenever `sb` applies, it applies.
        if b_denies.iter().any(|e| {
            reaches(e)
                && covers_resources(e, item)
                && e.principal.covers(&sb.principal)
                && sb.cond.implies(&e.cond)
        }) {
            return None;
        }
        let mut notes = Vec::new();
        // A's denies that could take part of it away, unless B has one at least as strong
        // (same or no conditions, the same actions, resources including the A deny's).
        let blocking: Vec<&Statement> = a_denies
            .iter()
            .copied()
            .filter(|d| may_reach(d))
            .filter(|d| {
                !self.b.iter().filter(|e| e.deny).any(|e| {
                    (reaches(e) || covers_actions(e, d))
                        && d.cond.implies(&e.cond)
                        && e.principal.covers(&d.principal)
                        && covers_statement_resources(e, d)
                })
            })
            .collect();
        let reaching: Vec<&(&Statement, bool)> =
            allows.iter().filter(|(sa, _)| reaches(sa)).collect();
        let allowed = reaching.iter().any(|(_, same)| *same);
        if allowed && blocking.is_empty() {
            return None;
        }
        if allowed {
            for d in &blocking {
                notes.push(format!("A's Deny {} may apply", d.name()));
            }
        } else if !reaching.is_empty() {
            notes.push("conditions differ".to_owned());
        }
        for e in b_denies.iter().filter(|e| may_reach(e)) {
            notes.push(format!("B's Deny {} may remove part of it", e.name()));
        }
        let action = match key {
            Key::Id(i) => {
                let (service, at) = self.universe.actions.get(*i)?;
                let action = service.actions.get(*at)?;
                GrantAction::Catalogue {
                    prefix: service.prefix.clone(),
                    service: service.name.clone(),
                    name: format!("{}:{}", service.prefix, action.name),
                    access_level: action.access_level,
                }
            }
            Key::Outside(g) => (*g).clone(),
        };
        Some(Grant {
            action,
            resources: item.clone(),
            conditions: sb.conditions.clone(),
            notes,
        })
    }
}

/// Services every one of whose actions is new with the same resources, conditions and
/// notes.
fn whole_services(catalogue: &Catalogue, grants: &[Grant]) -> Vec<(String, usize)> {
    // prefix → action name → its (resources, conditions, notes) lines.
    let mut by_service: BTreeMap<&str, BTreeMap<&str, Vec<String>>> = BTreeMap::new();
    for g in grants {
        if let GrantAction::Catalogue { prefix, name, .. } = &g.action {
            by_service
                .entry(prefix)
                .or_default()
                .entry(name)
                .or_default()
                .push(format!("{}|{:?}|{:?}", g.resources, g.conditions, g.notes));
        }
    }
    by_service
        .into_iter()
        .filter_map(|(prefix, actions)| {
            let service = catalogue.service(prefix)?;
            let mut lines = actions.values();
            let first = lines.next()?;
            (actions.len() == service.actions.len() && lines.all(|l| l == first))
                .then(|| (prefix.to_owned(), actions.len()))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Output.

impl Diff {
    /// B grants nothing A does not.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// Readable lines grouped by service:
    /// `+ s3:PutObject  on arn:aws:s3:::reports/*  (Write)`.
    pub fn write_text(&self, out: &mut dyn Write) -> io::Result<()> {
        if self.grants.is_empty() {
            return writeln!(out, "B grants nothing that A does not");
        }
        // (service, action column, resource column, rest).
        let mut rows: Vec<(&GrantAction, String, String, String)> = Vec::new();
        // A whole service shows the lines of its first action, as `prefix:*`.
        let mut first_of_whole: Option<(&str, &str)> = None;
        for g in &self.grants {
            let prefix = g.action.prefix();
            let whole = self
                .whole_services
                .iter()
                .find(|(p, _)| p == prefix && !prefix.is_empty());
            let action = match (whole, &g.action) {
                (Some((p, n)), _) => {
                    match first_of_whole {
                        Some((fp, fa)) if fp == prefix && fa != g.action.label() => continue,
                        Some((fp, _)) if fp == prefix => {}
                        _ => first_of_whole = Some((prefix, g.action.label())),
                    }
                    format!("{p}:* (all {n} actions)")
                }
                (None, GrantAction::Outside { pattern, except }) => match except {
                    Some(list) => format!("{pattern} except {}", list.join(", ")),
                    None => pattern.clone(),
                },
                (None, GrantAction::Catalogue { name, .. }) => name.clone(),
            };
            let mut rest = Vec::new();
            if let (GrantAction::Catalogue { access_level, .. }, None) = (&g.action, whole) {
                rest.push(format!("({access_level})"));
            }
            if let Some(c) = &g.conditions {
                rest.push(format!("if {c}"));
            }
            rest.extend(g.notes.iter().map(|n| format!("({n})")));
            rows.push((&g.action, action, g.resources.to_string(), rest.join(" ")));
        }
        let width_action = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).min(48);
        let width_resource = rows.iter().map(|r| r.2.len()).max().unwrap_or(0).min(48);
        let mut last: Option<&str> = None;
        for (grant, action, resource, rest) in &rows {
            let prefix = grant.prefix();
            if last != Some(prefix) {
                if last.is_some() {
                    writeln!(out)?;
                }
                match grant {
                    GrantAction::Catalogue { service, .. } => {
                        writeln!(out, "{prefix} ({service})")?;
                    }
                    GrantAction::Outside { .. } => {
                        writeln!(out, "actions outside the service catalogue")?;
                    }
                }
                last = Some(prefix);
            }
            let line =
                format!("  + {action:<width_action$}  on {resource:<width_resource$}  {rest}");
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }

    /// The machine-readable form: `{"new": [{action, service, access_level, resource |
    /// not_resource, conditions, notes}], "whole_services": [{service, actions}]}`.
    pub fn to_json(&self) -> Value {
        let grants: Vec<Value> = self
            .grants
            .iter()
            .map(|g| {
                let mut o = serde_json::Map::new();
                match &g.action {
                    GrantAction::Catalogue {
                        prefix,
                        name,
                        access_level,
                        ..
                    } => {
                        o.insert("action".into(), name.clone().into());
                        o.insert("service".into(), prefix.clone().into());
                        o.insert("access_level".into(), access_level.as_str().into());
                    }
                    GrantAction::Outside { pattern, except } => {
                        o.insert("action".into(), pattern.clone().into());
                        o.insert("outside_catalogue".into(), true.into());
                        if let Some(list) = except {
                            o.insert("not_action".into(), list.clone().into());
                        }
                    }
                }
                match &g.resources {
                    Resources::Pattern(p) => o.insert("resource".into(), p.clone().into()),
                    Resources::AllExcept(l) => o.insert("not_resource".into(), l.clone().into()),
                };
                o.insert(
                    "conditions".into(),
                    g.conditions.clone().unwrap_or(Value::Null),
                );
                o.insert("notes".into(), g.notes.clone().into());
                Value::Object(o)
            })
            .collect();
        serde_json::json!({
            "new": grants,
            "whole_services": self.whole_services.iter()
                .map(|(p, n)| serde_json::json!({"service": p, "actions": n}))
                .collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        let mut b = Bits(vec![0; 2]);
        b.set(3);
        b.set(70);
        assert_eq!(b.ones().collect::<Vec<_>>(), vec![3, 70]);
        b.invert(72);
        assert!(!b.has(3) && b.has(71) && !b.has(72));
        assert_eq!(b.ones().count(), 70);
    }
}
