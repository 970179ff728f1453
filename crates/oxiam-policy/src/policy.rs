//! Policy documents: parse the JSON, validate it as AWS does (reproducing AWS's
//! `MalformedPolicyDocument` messages and its order of checks), and compile it into
//! statements indexed by service prefix so evaluation touches only candidate statements.
//!
//! Grammar (AWS "Grammar of the IAM JSON policy language"):
//! ```text
//! policy    = { <version_block>? <id_block>? <statement_block> }
//! statement = { <sid_block>? <principal_block>? <effect_block> <action_block>
//!               <resource_block>? <condition_block>? }
//! ```

use std::sync::Arc;

use crate::action::{ActionIndex, ActionPattern, ActionSet, RequestAction, split_colon};
use crate::arn::{ArnPattern, PARTITIONS, Segments};
use crate::condition::{self, Condition};
use crate::error::{ErrorKind, Finding, Location, PolicyError, Severity, Stage, messages};
use crate::json::{self, Member, Node, Value};
use crate::principal::PrincipalSet;
use crate::wildcard::Syntax;

/// What a policy document is used as; decides which elements are required or prohibited and
/// the default size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Identity-based: inline or managed, attached to a user, group or role. No `Principal`.
    Identity,
    /// Resource-based (bucket, queue, key policies…): `Principal` required.
    Resource,
    /// A role's trust policy: `Principal` required, no `Resource`.
    Trust,
    /// A managed policy used as a permissions boundary. No `Principal`.
    PermissionsBoundary,
    /// A session policy passed to `AssumeRole*`/`GetFederationToken`. No `Principal`.
    Session,
    /// An AWS Organizations service control policy. No `Principal`.
    Scp,
    /// An AWS Organizations resource control policy.
    Rcp,
}

impl PolicyKind {
    /// Policies IAM itself stores: its `Sid` rules apply.
    fn is_iam(self) -> bool {
        matches!(
            self,
            Self::Identity | Self::Trust | Self::PermissionsBoundary | Self::Session
        )
    }
}

/// The policy language version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `2008-10-17`, also the default when `Version` is missing: no policy variables.
    V2008_10_17,
    /// `2012-10-17`.
    V2012_10_17,
}

/// AWS's size quotas, in characters not counting white space.
pub mod limits {
    /// Customer managed policy (also used as permissions boundary).
    pub const MANAGED_POLICY: usize = 6_144;
    /// All inline policies of one user, together.
    pub const USER_INLINE: usize = 2_048;
    /// All inline policies of one group, together.
    pub const GROUP_INLINE: usize = 5_120;
    /// All inline policies of one role, together.
    pub const ROLE_INLINE: usize = 10_240;
    /// A role trust policy (default quota; raisable to 4,096).
    pub const TRUST_POLICY: usize = 2_048;
    /// A session policy (inline plain text).
    pub const SESSION_POLICY: usize = 2_048;
    /// A service control policy.
    pub const SCP: usize = 5_120;
    /// A resource control policy.
    pub const RCP: usize = 5_120;
}

/// A size quota: the maximum number of non-white-space characters and the quota's name in
/// AWS's `LimitExceeded` message (`Cannot exceed quota for PolicySize: 6144`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SizeLimit {
    /// Maximum characters, white space not counted.
    pub max_chars: usize,
    /// The quota name in the message.
    pub quota_name: &'static str,
}

/// Knobs the server sets per call site; `ParseOptions::for_kind` gives AWS's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Reject documents larger than this (`None`: no limit).
    pub size_limit: Option<SizeLimit>,
    /// Reject documents without `"Version": "2012-10-17"`, as `CreatePolicy` does.
    pub require_version_2012: bool,
}

impl ParseOptions {
    /// AWS's defaults for a kind. Inline identity policies share a per-entity quota the
    /// server checks across all of them; this applies the managed-policy limit.
    pub fn for_kind(kind: PolicyKind) -> Self {
        let limit = |max_chars, quota_name| {
            Some(SizeLimit {
                max_chars,
                quota_name,
            })
        };
        let size_limit = match kind {
            PolicyKind::Identity | PolicyKind::PermissionsBoundary => {
                limit(limits::MANAGED_POLICY, "PolicySize")
            }
            PolicyKind::Trust => limit(limits::TRUST_POLICY, "ACLSizePerRole"),
            PolicyKind::Session => limit(limits::SESSION_POLICY, "PolicySize"),
            PolicyKind::Scp => limit(limits::SCP, "PolicySize"),
            PolicyKind::Rcp => limit(limits::RCP, "PolicySize"),
            PolicyKind::Resource => None,
        };
        Self {
            size_limit,
            require_version_2012: false,
        }
    }
}

/// A statement's `Effect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementEffect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// A compiled statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sid: Option<Box<str>>,
    pub(crate) effect: StatementEffect,
    /// `(principals, is NotPrincipal)`.
    pub(crate) principal: Option<(PrincipalSet, bool)>,
    pub(crate) actions: ActionSet,
    pub(crate) not_action: bool,
    /// `None`: no resource element (trust policies): matches any resource.
    pub(crate) resources: Option<Box<[ArnPattern]>>,
    pub(crate) not_resource: bool,
    pub(crate) conditions: Box<[Condition]>,
}

impl Statement {
    pub(crate) fn action_matches(&self, action: &RequestAction<'_>) -> bool {
        self.actions.matches(action) != self.not_action
    }

    /// `arn` is the request's resource already split (`None` if it is not an ARN).
    pub(crate) fn resource_matches(
        &self,
        resource: &str,
        arn: Option<&crate::arn::Arn<'_>>,
        variables: &crate::context::Variables<'_>,
    ) -> bool {
        let Some(resources) = &self.resources else {
            return true;
        };
        let vars = |k: &str, hash: u64| variables.get(k, hash);
        // An entry whose variable has no value matches no resource (AWS "Policy variables
        // with no value"); the other entries still count, and for `NotResource` the
        // resource is then outside that entry.
        resources
            .iter()
            .any(|r| r.matches_split(resource, arn, &vars))
            != self.not_resource
    }
}

#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) kind: PolicyKind,
    pub(crate) version: Version,
    pub(crate) id: Option<Box<str>>,
    pub(crate) statements: Box<[Statement]>,
    pub(crate) index: ActionIndex,
    /// Some statement is a Deny: once an allow is known, policies without one can be skipped.
    pub(crate) has_deny: bool,
}

/// A parsed, validated and compiled policy. Cheap to clone (shared), `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) inner: Arc<Compiled>,
}

/// A statement's identity, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementInfo<'a> {
    /// Position in the `Statement` list, from 0.
    pub index: usize,
    /// The `Sid`, if any.
    pub sid: Option<&'a str>,
    /// Allow or Deny.
    pub effect: StatementEffect,
}

impl Policy {
    /// Parses `json` as a policy of `kind` with AWS's default limits for that kind.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        Self::parse_with(json, kind, &ParseOptions::for_kind(kind))
    }

    /// Parses with explicit options (size quota, version requirement).
    pub fn parse_with(
        json: &str,
        kind: PolicyKind,
        options: &ParseOptions,
    ) -> Result<Policy, PolicyError> {
        let (compiled, mut findings) = compile(json, kind, options);
        findings.retain(|f| f.severity == Severity::Error);
        match (compiled, first(findings)) {
            (_, Some(f)) => Err(PolicyError::new(f)),
            (Some(c), None) => Ok(Policy { inner: Arc::new(c) }),
            // compile returns no policy only alongside an error finding.
            (None, None) => Err(PolicyError::new(finding(
                json,
                Stage::Syntax,
                0,
                "$",
                messages::SYNTAX,
            ))),
        }
    }

    /// What the policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.inner.kind
    }

    /// The language version.
    pub fn version(&self) -> Version {
        self.inner.version
    }

    /// The `Id` element.
    pub fn id(&self) -> Option<&str> {
        self.inner.id.as_deref()
    }

    /// Number of statements.
    pub fn statement_count(&self) -> usize {
        self.inner.statements.len()
    }

    /// The statement at `index`.
    pub fn statement(&self, index: usize) -> Option<StatementInfo<'_>> {
        self.inner.statements.get(index).map(|s| StatementInfo {
            index,
            sid: s.sid.as_deref(),
            effect: s.effect,
        })
    }
}

/// All problems AWS would report for `json` as a policy of `kind` (errors first, in the
/// order AWS checks them: the first is the message AWS returns), plus warnings.
pub fn validate(json: &str, kind: PolicyKind) -> Vec<Finding> {
    validate_with(json, kind, &ParseOptions::for_kind(kind))
}

/// `validate` with explicit options.
pub fn validate_with(json: &str, kind: PolicyKind, options: &ParseOptions) -> Vec<Finding> {
    let (_, mut findings) = compile(json, kind, options);
    findings.sort_by_key(|f| (f.severity, f.stage, f.location.offset));
    findings
}

fn first(findings: Vec<Finding>) -> Option<Finding> {
    findings
        .into_iter()
        .min_by_key(|f| (f.stage, f.location.offset))
}

fn finding(src: &str, stage: Stage, offset: usize, path: &str, message: &str) -> Finding {
    let kind = if stage == Stage::Size {
        ErrorKind::LimitExceeded
    } else {
        ErrorKind::MalformedPolicyDocument
    };
    let severity = if stage == Stage::Warning {
        Severity::Warning
    } else {
        Severity::Error
    };
    Finding {
        severity,
        kind,
        message: message.to_owned(),
        location: Location::at(src, offset, path.to_owned()),
        stage,
    }
}

/// Collects findings while compiling.
struct Checker<'s> {
    src: &'s str,
    kind: PolicyKind,
    findings: Vec<Finding>,
    syntax: Syntax,
}

impl Checker<'_> {
    /// Records a finding; its JSON path is filled in from the offset at the end.
    fn report(&mut self, stage: Stage, offset: usize, message: &str) {
        self.findings
            .push(finding(self.src, stage, offset, "", message));
    }

    fn syntax_error(&mut self, offset: usize) {
        self.report(Stage::Syntax, offset, messages::SYNTAX);
    }

    /// Rejects duplicate keys in an object (AWS's parser does not accept them).
    fn no_duplicates(&mut self, members: &[Member]) {
        // Objects in policies are small: a quadratic scan beats hashing.
        for (i, m) in members.iter().enumerate() {
            if members.iter().take(i).any(|prev| prev.key == m.key) {
                self.syntax_error(m.key_offset);
            }
        }
    }
}

/// Characters that are not white space, as AWS counts policy size: bytes that start a UTF-8
/// character and are not ASCII white space (JSON allows no other white space between
/// tokens). Branch-free byte counters over blocks of at most 255 bytes, so the loop
/// vectorizes (a `usize` sum per byte does not).
fn non_white_space_chars(src: &str) -> usize {
    src.as_bytes()
        .chunks(255)
        .map(|block| {
            let kept = block.iter().fold(0u8, |n, &b| {
                let ws = (b == b' ') | (b == b'\t') | (b == b'\n') | (b == b'\r');
                let continuation = (b & 0xC0) == 0x80;
                n.wrapping_add(u8::from(!(ws | continuation)))
            });
            usize::from(kept)
        })
        .sum()
}

/// Parses, validates and compiles. Returns the compiled policy unless the document could not
/// be read at all, and every finding.
fn compile(
    src: &str,
    kind: PolicyKind,
    options: &ParseOptions,
) -> (Option<Compiled>, Vec<Finding>) {
    let mut ck = Checker {
        src,
        kind,
        findings: Vec::new(),
        syntax: Syntax {
            wildcards: true,
            variables: true,
        },
    };
    if let Some(limit) = options.size_limit {
        let size = non_white_space_chars(src);
        if size > limit.max_chars {
            let msg = format!(
                "Cannot exceed quota for {}: {}",
                limit.quota_name, limit.max_chars
            );
            ck.report(Stage::Size, 0, &msg);
            if let Some(f) = ck.findings.last_mut() {
                f.location.path = "$".to_owned();
            }
        }
    }
    let root = match json::parse(src) {
        Ok(n) => n,
        Err(e) => {
            ck.syntax_error(e.offset);
            if let Some(f) = ck.findings.last_mut() {
                f.location.path = "$".to_owned();
            }
            return (None, ck.findings);
        }
    };
    let Value::Object(top) = &root.value else {
        ck.syntax_error(root.offset);
        return (None, ck.findings);
    };
    ck.no_duplicates(top);
    let mut version = None;
    let mut id = None;
    let mut statement_node = None;
    for m in top {
        match m.key.as_ref() {
            "Version" => match &m.value.value {
                Value::String(v) if v == "2012-10-17" => version = Some(Version::V2012_10_17),
                Value::String(v) if v == "2008-10-17" => version = Some(Version::V2008_10_17),
                _ => ck.syntax_error(m.value.offset),
            },
            "Id" => match &m.value.value {
                Value::String(v) => id = Some(v.as_ref().into()),
                _ => ck.syntax_error(m.value.offset),
            },
            "Statement" => statement_node = Some(&m.value),
            _ => ck.syntax_error(m.key_offset),
        }
    }
    let version_given = version.is_some();
    let version = version.unwrap_or(Version::V2008_10_17);
    if options.require_version_2012 && version != Version::V2012_10_17 {
        let offset = top
            .iter()
            .find(|m| m.key == "Version")
            .map_or(root.offset, |m| m.value.offset);
        ck.report(Stage::Version, offset, messages::VERSION);
    }
    ck.syntax.variables = version == Version::V2012_10_17;

    let mut statements = Vec::new();
    match statement_node.map(|n| (n, &n.value)) {
        None => ck.syntax_error(root.offset),
        Some((n, Value::Object(_))) => {
            statements.extend(statement(&mut ck, n));
        }
        Some((n, Value::Array(items))) => {
            if items.is_empty() {
                ck.syntax_error(n.offset);
            }
            for item in items {
                if let Value::Object(_) = item.value {
                    statements.extend(statement(&mut ck, item));
                } else {
                    ck.syntax_error(item.offset);
                }
            }
        }
        Some((n, _)) => ck.syntax_error(n.offset),
    }

    // Sids must be unique within the policy. A sorted list: policies have tens of
    // statements, and hashing each Sid costs more than a few comparisons.
    let mut seen: Vec<&str> = Vec::with_capacity(statements.len());
    for (st, offset) in &statements {
        if let Some(sid) = st.sid.as_deref().filter(|s| !s.is_empty()) {
            match seen.binary_search(&sid) {
                Ok(_) => ck.report(Stage::Sid, *offset, messages::SID_UNIQUE),
                Err(at) => seen.insert(at, sid),
            }
        }
    }
    if !version_given || version == Version::V2008_10_17 {
        let uses_vars = src.contains("${");
        if uses_vars {
            ck.report(Stage::Warning,
                root.offset,
                "policy variables are not substituted in version 2008-10-17 policies (the default when `Version` is missing)");
        }
    }
    for f in &mut ck.findings {
        if f.location.path.is_empty() {
            f.location.path = json::path_at(&root, f.location.offset);
        }
    }
    let statements: Vec<Statement> = statements.into_iter().map(|(s, _)| s).collect();
    let index = ActionIndex::build(statements.iter().map(|s| (&s.actions, s.not_action)));
    let has_deny = statements.iter().any(|s| s.effect == StatementEffect::Deny);
    let compiled = Compiled {
        kind,
        version,
        id,
        statements: statements.into_boxed_slice(),
        index,
        has_deny,
    };
    (Some(compiled), ck.findings)
}

/// A string or an array of strings, with each string's offset. `None` (after reporting a
/// syntax error) for any other shape.
fn strings<'n>(ck: &mut Checker<'_>, node: &'n Node<'_>) -> Option<Vec<(&'n str, usize)>> {
    match &node.value {
        Value::String(s) => Some(vec![(s.as_ref(), node.offset)]),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match &item.value {
                    Value::String(s) => out.push((s.as_ref(), item.offset)),
                    _ => {
                        ck.syntax_error(item.offset);
                        return None;
                    }
                }
            }
            Some(out)
        }
        _ => {
            ck.syntax_error(node.offset);
            None
        }
    }
}

/// The fields a statement may have.
const STATEMENT_FIELDS: [&str; 9] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

/// Validates and compiles one statement object.
fn statement(ck: &mut Checker<'_>, node: &Node<'_>) -> Option<(Statement, usize)> {
    let Value::Object(members) = &node.value else {
        return None;
    };
    ck.no_duplicates(members);
    // One pass over the members instead of a search per field.
    let mut fields: [Option<&Member<'_>>; 9] = [None; 9];
    for m in members {
        let slot = STATEMENT_FIELDS.iter().position(|f| *f == m.key);
        if let Some(field) = slot.and_then(|i| fields.get_mut(i))
            && field.is_none()
        {
            *field = Some(m);
        }
    }
    let get = |k: &str| {
        STATEMENT_FIELDS
            .iter()
            .position(|f| *f == k)
            .and_then(|i| fields.get(i).copied().flatten())
    };
    for m in members {
        if !matches!(
            m.key.as_ref(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        ) {
            ck.syntax_error(m.key_offset);
        }
    }

    // Sid
    let mut sid = None;
    if let Some(m) = get("Sid") {
        match &m.value.value {
            Value::String(s) => {
                if ck.kind.is_iam() && !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    ck.report(Stage::Sid, m.value.offset, messages::SID_ALPHANUMERIC);
                }
                sid = Some(s.as_ref().into());
            }
            _ => ck.syntax_error(m.value.offset),
        }
    }

    // Effect
    let mut effect = StatementEffect::Deny;
    match get("Effect") {
        None => ck.syntax_error(node.offset),
        Some(m) => match &m.value.value {
            Value::String(s) if s == "Allow" => effect = StatementEffect::Allow,
            Value::String(s) if s == "Deny" => effect = StatementEffect::Deny,
            Value::String(s)
                if s.eq_ignore_ascii_case("allow") || s.eq_ignore_ascii_case("deny") =>
            {
                ck.report(Stage::Legacy, m.value.offset, messages::LEGACY);
            }
            _ => ck.syntax_error(m.value.offset),
        },
    }

    // Principal / NotPrincipal
    let principal = principal_element(ck, node, members);

    // Action / NotAction
    let (actions, not_action) = match (get("Action"), get("NotAction")) {
        (Some(_), Some(m)) => {
            ck.syntax_error(m.key_offset);
            (Vec::new(), false)
        }
        (Some(m), None) | (None, Some(m)) => {
            let not = m.key == "NotAction";
            let list = strings(ck, &m.value).unwrap_or_default();
            if list.is_empty() {
                ck.report(Stage::Required, m.value.offset, messages::ACTIONS_REQUIRED);
            }
            for (a, offset) in &list {
                if let Err(msg) = check_action(a) {
                    ck.report(Stage::Action, *offset, &msg);
                }
            }
            (
                list.iter()
                    .map(|(a, _)| ActionPattern::compile(a))
                    .collect(),
                not,
            )
        }
        (None, None) => {
            ck.report(Stage::Required, node.offset, messages::ACTIONS_REQUIRED);
            (Vec::new(), false)
        }
    };

    // Resource / NotResource
    let (resources, not_resource) = match (get("Resource"), get("NotResource")) {
        (Some(_), Some(m)) => {
            ck.syntax_error(m.key_offset);
            (Some(Vec::new()), false)
        }
        (Some(m), None) | (None, Some(m)) => {
            let not = m.key == "NotResource";
            if ck.kind == PolicyKind::Trust {
                let msg = format!("Has prohibited field {}", m.key);
                ck.report(Stage::Principal, m.key_offset, &msg);
            }
            let list = strings(ck, &m.value).unwrap_or_default();
            if list.is_empty() && ck.kind != PolicyKind::Trust {
                ck.report(
                    Stage::Required,
                    m.value.offset,
                    messages::RESOURCES_REQUIRED,
                );
            }
            for (r, offset) in &list {
                if let Err((stage, msg)) = check_resource(r) {
                    ck.report(stage, *offset, &msg);
                }
            }
            let syntax = ck.syntax;
            (
                Some(
                    list.iter()
                        .map(|(r, _)| ArnPattern::compile(r, syntax))
                        .collect(),
                ),
                not,
            )
        }
        (None, None) => {
            if ck.kind != PolicyKind::Trust {
                ck.report(Stage::Required, node.offset, messages::RESOURCES_REQUIRED);
            }
            (None, false)
        }
    };

    // Condition
    let conditions = match get("Condition") {
        Some(m) => condition_element(ck, &m.value),
        None => Vec::new(),
    };

    Some((
        Statement {
            sid,
            effect,
            principal,
            actions: ActionSet::new(actions),
            not_action,
            resources: resources.map(Vec::into_boxed_slice),
            not_resource,
            conditions: conditions.into_boxed_slice(),
        },
        node.offset,
    ))
}

fn principal_element(
    ck: &mut Checker<'_>,
    node: &Node,
    members: &[Member],
) -> Option<(PrincipalSet, bool)> {
    let get = |k: &str| members.iter().find(|m| m.key == k);
    let m = match (get("Principal"), get("NotPrincipal")) {
        (Some(_), Some(m)) => {
            ck.syntax_error(m.key_offset);
            return None;
        }
        (Some(m), None) | (None, Some(m)) => m,
        (None, None) => {
            if matches!(ck.kind, PolicyKind::Trust | PolicyKind::Resource) {
                ck.report(Stage::Required, node.offset, messages::PRINCIPAL_REQUIRED);
            }
            return None;
        }
    };
    let negated = m.key == "NotPrincipal";
    if matches!(
        ck.kind,
        PolicyKind::Identity
            | PolicyKind::PermissionsBoundary
            | PolicyKind::Session
            | PolicyKind::Scp
    ) {
        ck.report(
            Stage::Principal,
            m.key_offset,
            messages::PRINCIPAL_PROHIBITED,
        );
    }
    if negated && ck.kind == PolicyKind::Trust {
        ck.report(
            Stage::Principal,
            m.key_offset,
            "Has prohibited field NotPrincipal",
        );
    }
    let set = match &m.value.value {
        Value::String(s) if s == "*" => PrincipalSet::anyone(),
        Value::Object(kinds) => {
            ck.no_duplicates(kinds);
            let mut set = PrincipalSet::default();
            for k in kinds {
                let Some(values) = strings(ck, &k.value) else {
                    continue;
                };
                for (v, offset) in &values {
                    match set.add(&k.key, v) {
                        Ok(()) => {}
                        Err(None) => {
                            ck.syntax_error(k.key_offset);
                            break;
                        }
                        Err(Some(bad)) => {
                            ck.report(Stage::Principal, *offset, &bad.message);
                        }
                    }
                }
            }
            set
        }
        _ => {
            ck.syntax_error(m.value.offset);
            return None;
        }
    };
    Some((set, negated))
}

fn condition_element(ck: &mut Checker<'_>, node: &Node<'_>) -> Vec<Condition> {
    let Value::Object(ops) = &node.value else {
        ck.syntax_error(node.offset);
        return Vec::new();
    };
    ck.no_duplicates(ops);
    let mut out = Vec::new();
    for op in ops {
        let Value::Object(keys) = &op.value.value else {
            ck.syntax_error(op.value.offset);
            continue;
        };
        let Some((set, operator, if_exists)) = condition::parse_operator(&op.key) else {
            // AWS ignores an unknown operator whose block is empty.
            if !keys.is_empty() {
                ck.syntax_error(op.key_offset);
            }
            continue;
        };
        ck.no_duplicates(keys);
        for k in keys {
            if k.key.is_empty() || k.key.contains(char::is_whitespace) {
                ck.report(Stage::Action, k.key_offset, messages::CONDITION_KEY);
            }
            let Some(raw) = condition_values(ck, &k.value) else {
                continue;
            };
            let offsets: Vec<usize> = raw.iter().map(|(_, o)| *o).collect();
            let values: Vec<&str> = raw.into_iter().map(|(v, _)| v).collect();
            match Condition::compile(
                set,
                operator,
                if_exists,
                &k.key,
                &values,
                ck.syntax.variables,
            ) {
                Ok(c) => out.push(c),
                Err(condition::BadValue(i)) => {
                    let offset = offsets.get(i).copied().unwrap_or(k.value.offset);
                    ck.report(Stage::Legacy, offset, messages::LEGACY);
                }
            }
        }
    }
    out
}

/// Condition values: strings, numbers or booleans, alone or in an array.
fn condition_values<'n>(ck: &mut Checker<'_>, node: &'n Node<'_>) -> Option<Vec<(&'n str, usize)>> {
    fn scalar<'n>(v: &'n Value<'_>) -> Option<&'n str> {
        match v {
            Value::String(s) => Some(s.as_ref()),
            Value::Number(s) => Some(s),
            Value::Bool(true) => Some("true"),
            Value::Bool(false) => Some("false"),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }
    if let Value::Array(items) = &node.value {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match scalar(&item.value) {
                Some(s) => out.push((s, item.offset)),
                None => {
                    ck.syntax_error(item.offset);
                    return None;
                }
            }
        }
        return Some(out);
    }
    match scalar(&node.value) {
        Some(s) => Some(vec![(s, node.offset)]),
        None => {
            ck.syntax_error(node.offset);
            None
        }
    }
}

/// An action as IAM accepts it: `*` or `vendor:name`, one colon, a vendor of letters,
/// digits, `-`, `.`, `_` or wildcards.
fn check_action(a: &str) -> Result<(), String> {
    if a == "*" {
        return Ok(());
    }
    let Some((vendor, name)) = split_colon(a) else {
        return Err(messages::ACTION_VENDOR.to_owned());
    };
    if split_colon(name).is_some() {
        return Err(messages::ACTION_COLON.to_owned());
    }
    let vendor_ok = !vendor.is_empty()
        && vendor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*' | b'?'));
    if !vendor_ok {
        return Err(format!("Vendor {vendor} is not valid"));
    }
    Ok(())
}

/// S3 resource types that live in a region (buckets and objects do not).
const S3_REGIONAL_PREFIXES: &[&str] = &[
    "accesspoint/",
    "access-grants/",
    "async-request/",
    "job/",
    "storage-lens/",
    "storage-lens-group/",
    "outpost/",
    "*",
];

const IAM_RESOURCE_PREFIXES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
    // Accepted by AWS though missing from its message: AWS managed policies use them.
    "role-template/",
    // The service authorization reference's resource type of temporary delegation
    // (`arn:${Partition}:iam::${Account}:delegation-request/${DelegationRequestId}`), newer
    // than the message: without it no policy could name one request.
    "delegation-request/",
];

/// A resource as AWS accepts it, with AWS's message and the check's stage otherwise.
fn check_resource(r: &str) -> Result<(), (Stage, String)> {
    if r == "*" {
        return Ok(());
    }
    let segs = Segments::split(r);
    if segs.len() < 2 {
        return Err((
            Stage::Resource,
            format!("Resource {r} must be in ARN format or \"*\"."),
        ));
    }
    let partition = segs.get(1).unwrap_or("");
    let known = PARTITIONS.contains(&partition) || partition.contains(['*', '?', '$']);
    if !known {
        // AWS shows the resource as it read it: `arn:` and the segments after the first,
        // padded to six with `*`.
        let mut shown: Vec<&str> = vec!["arn"];
        shown.extend((1..segs.len()).filter_map(|i| segs.get(i)));
        while shown.len() < 6 {
            shown.push("*");
        }
        let shown = shown.join(":");
        return Err((
            Stage::Resource,
            format!("Partition \"{partition}\" is not valid for resource \"{shown}\"."),
        ));
    }
    match segs.len() {
        2 => return Err((Stage::Resource, messages::RESOURCE_VENDOR.to_owned())),
        3 => {}
        4 | 5 => return Err((Stage::Legacy, messages::LEGACY.to_owned())),
        _ => {}
    }
    let service = segs.get(2).unwrap_or("");
    if service.is_empty() {
        return Err((Stage::Legacy, messages::LEGACY.to_owned()));
    }
    let region = segs.get(3).unwrap_or("");
    let resource = segs.get(5).unwrap_or("*");
    match service {
        "iam" => {
            if !region.is_empty() {
                return Err((
                    Stage::Resource,
                    format!("IAM resource {r} cannot contain region information."),
                ));
            }
            if resource != "*"
                && resource != "root"
                && !IAM_RESOURCE_PREFIXES
                    .iter()
                    .any(|p| resource.starts_with(p))
            {
                return Err((Stage::Resource, messages::IAM_RESOURCE_PATH.to_owned()));
            }
        }
        // Buckets and objects (no account segment) are global; access points, jobs and
        // access grants are regional and carry an account.
        "s3" if !region.is_empty()
            && !S3_REGIONAL_PREFIXES.iter().any(|p| resource.starts_with(p)) =>
        {
            return Err((
                Stage::Resource,
                format!("Resource {r} can not contain region information."),
            ));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
