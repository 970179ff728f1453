//! `oxiam policy …`: policy tools over `oxiam-policy`, offline but for `who-can`.
//!
//! - `validate FILE… [--kind K] [--json]`: AWS's `MalformedPolicyDocument` messages with
//!   `file:line:column`; exit 1 if any document has an error.
//! - `eval --policy FILE… [--boundary F] [--resource-policy F | --trust-policy F] [--scp F…]
//!   [--rcp F…] [--session-policy F…] --action A [--resource ARN] [--principal ARN]
//!   [--context key=value…] [--json]`: `ALLOW` / `DENY (explicit|implicit)` and the deciding
//!   statements; exit 0 whatever the decision, 2 on usage errors.
//! - `diff A B [--json]`: what identity policy B grants that A does not (`oxiam_analysis::diff`);
//!   exit 0 when nothing, 1 when something, 2 on errors, like `diff`.
//! - `who-can --action A --resource R [--context k=v…] [--resource-policy F] [--endpoint URL]
//!   [--json]`: asks a running oxiam (see `who_can_cmd`); exit 0 when only the root can, 1
//!   when others can, 2 on errors.

use std::fmt;
use std::io::{self, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use oxiam_policy::{
    Context, ContextValue, Decision, Effect, Finding, NamedPolicy, Policy, PolicyKind, PolicySet,
    PolicyType, Principal, PrincipalType, Request, Severity, StatementEffect, evaluate,
};

/// The `policy` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Validate policy documents as AWS would (MalformedPolicyDocument messages).
    Validate {
        /// Policy documents to check (`-` reads standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// What the documents are used as.
        #[arg(long, value_enum, default_value_t = KindArg::Identity)]
        kind: KindArg,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate one request against policies, offline.
    Eval(Box<EvalArgs>),
    /// What identity policy B grants that identity policy A does not, by action and
    /// resource pattern.
    ///
    /// Both files are validated as identity policies (an invalid one is an error with AWS's
    /// message). Each `Allow` statement is expanded over the AWS service catalogue:
    /// `Action` patterns to the actions they match (`*`/`?`, any case), `NotAction` to every
    /// action it leaves out; an action of a service the catalogue does not know
    /// (`myapp:GetFile`) or a pattern over services counts as itself. Each action of B is
    /// listed with each of its `Resource` patterns (`NotResource`: "everything except …"),
    /// its statement's conditions and its access level, unless A covers it: an A `Allow`
    /// statement reaches the action with a resource pattern that includes B's (every
    /// resource B's matches, A's matches), with no conditions or the very same ones, and no
    /// A `Deny` statement could reach it (unless B has the same deny). B's own `Deny`
    /// removes a grant only when it is unconditional and its resources include the grant's;
    /// other denies are noted beside the grant.
    ///
    /// The answer never hides a new grant; in doubt it reports one, with the reason
    /// ("conditions differ", "A's Deny statement 2 may apply"). A service all of whose
    /// actions are new shows as `ec2:* (all N actions)`.
    ///
    /// Exit status: 0 when B grants nothing new, 1 when it does, 2 on errors.
    Diff {
        /// The policy before the change (`-` reads standard input).
        a: PathBuf,
        /// The policy after the change.
        b: PathBuf,
        /// Machine-readable output: `{"new": [{action, access_level, resource | not_resource,
        /// conditions, notes}…], "whole_services": […]}`.
        #[arg(long)]
        json: bool,
    },
    /// Ask a running oxiam which principals of your account can perform an action on a
    /// resource.
    ///
    /// Every user (own and group policies, permissions boundary), every role (its policies
    /// and boundary, as the upper bound of its sessions) and everyone who can assume such a
    /// role (users and roles of the account, other accounts, OIDC and SAML providers, AWS
    /// services), judged by the policy engine, with the deciding statements and the path
    /// (directly, via a group, assuming a role). The account root always can. A condition
    /// key not fixed with --context may take any value: an access that depends on one is
    /// listed as `conditional` with its conditions, never left out.
    ///
    /// Calls POST /authorization/v1/who-can signed with the AWS environment credentials
    /// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), which need
    /// iam:GetAccountAuthorizationDetails.
    ///
    /// Exit status: 0 when only the account root can, 1 when another principal can
    /// (allowed or conditional), 2 on errors (usage, connection, access denied).
    WhoCan(Box<crate::who_can_cmd::WhoCanArgs>),
}

/// Arguments of `policy eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Identity-based policies (inline or managed) of the principal.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// The principal's permissions boundary.
    #[arg(long, value_name = "FILE")]
    pub boundary: Option<PathBuf>,
    /// The resource's resource-based policy.
    #[arg(long, value_name = "FILE", conflicts_with = "trust_policy")]
    pub resource_policy: Option<PathBuf>,
    /// A role trust policy (for `sts:AssumeRole*` requests on the role's ARN).
    #[arg(long, value_name = "FILE")]
    pub trust_policy: Option<PathBuf>,
    /// Service control policies, one file per organization level, root first.
    #[arg(long = "scp", value_name = "FILE")]
    pub scps: Vec<PathBuf>,
    /// Resource control policies, one file per organization level, root first.
    #[arg(long = "rcp", value_name = "FILE")]
    pub rcps: Vec<PathBuf>,
    /// Session policies passed when the session was created.
    #[arg(long = "session-policy", value_name = "FILE")]
    pub session_policies: Vec<PathBuf>,
    /// The action, `service:Action`.
    #[arg(long)]
    pub action: String,
    /// The resource ARN.
    #[arg(long, default_value = "*")]
    pub resource: String,
    /// The account owning the resource (default: the principal's).
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub resource_account: Option<String>,
    /// The caller: a user, root, assumed-role or federated-user ARN, a service
    /// (`ec2.amazonaws.com`) or `anonymous`.
    #[arg(long, default_value = "arn:aws:iam::123456789012:user/oxiam-cli")]
    pub principal: String,
    /// The caller's unique ID (`aws:userid`); derived from the ARN when omitted.
    #[arg(long)]
    pub user_id: Option<String>,
    /// Principal tags, `key=value` (sets `aws:PrincipalTag/key`).
    #[arg(long = "principal-tag", value_name = "KEY=VALUE")]
    pub principal_tags: Vec<String>,
    /// Context keys, `key=value`; repeat a key, or write `key=[a,b]`, for a multivalued key.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// `--kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    /// Identity-based policy (inline or managed).
    Identity,
    /// Resource-based policy.
    Resource,
    /// Role trust policy.
    Trust,
    /// Permissions boundary.
    Boundary,
    /// Session policy.
    Session,
    /// Service control policy.
    Scp,
    /// Resource control policy.
    Rcp,
}

impl From<KindArg> for PolicyKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Identity => Self::Identity,
            KindArg::Resource => Self::Resource,
            KindArg::Trust => Self::Trust,
            KindArg::Boundary => Self::PermissionsBoundary,
            KindArg::Session => Self::Session,
            KindArg::Scp => Self::Scp,
            KindArg::Rcp => Self::Rcp,
        }
    }
}

/// Runs a `policy` subcommand against the process's standard streams.
pub fn run(cmd: PolicyCommand) -> ExitCode {
    let stdout = io::stdout();
    let stderr = io::stderr();
    let code = run_to(cmd, &mut stdout.lock(), &mut stderr.lock());
    ExitCode::from(code)
}

/// Runs a `policy` subcommand, writing to `out` and `err`; returns the exit code
/// (0 success, 1 invalid documents or new grants, 2 usage error).
pub fn run_to(cmd: PolicyCommand, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = match cmd {
        PolicyCommand::Validate { files, kind, json } => validate(&files, kind.into(), json, out),
        PolicyCommand::Diff { a, b, json } => diff(&a, &b, json, out),
        PolicyCommand::WhoCan(args) => return crate::who_can_cmd::run(*args, out, err),
        PolicyCommand::Eval(args) => {
            let EvalArgs {
                policies,
                boundary,
                resource_policy,
                trust_policy,
                scps,
                rcps,
                session_policies,
                action,
                resource,
                resource_account,
                principal,
                user_id,
                principal_tags,
                context,
                json,
            } = *args;
            let files = EvalFiles {
                policies,
                boundary,
                resource_policy,
                trust_policy,
                scps,
                rcps,
                session_policies,
            };
            let req = EvalRequest {
                action,
                resource,
                resource_account,
                principal,
                user_id,
                principal_tags,
                context,
            };
            eval(&files, &req, json, out).map(|()| 0)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Nothing more can be reported if standard error itself fails.
            let _ = writeln!(err, "oxiam policy: {e}");
            2
        }
    }
}

/// Why a command could not run.
#[derive(Debug)]
enum CliError {
    /// A file could not be read.
    Read { path: PathBuf, source: io::Error },
    /// A policy given to `eval` is not a valid policy.
    Policy {
        path: PathBuf,
        error: oxiam_policy::PolicyError,
    },
    /// A malformed argument.
    Usage(String),
    /// Writing the output failed.
    Output(io::Error),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read `{}`: {source}", path.display()),
            Self::Policy { path, error } => {
                let l = error.location();
                write!(
                    f,
                    "{}:{}:{}: {} ({})",
                    path.display(),
                    l.line,
                    l.column,
                    error.message(),
                    l.path
                )
            }
            Self::Usage(m) => f.write_str(m),
            Self::Output(e) => write!(f, "cannot write output: {e}"),
        }
    }
}

impl From<io::Error> for CliError {
    fn from(e: io::Error) -> Self {
        Self::Output(e)
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    let mut text = String::new();
    let res = if path == Path::new("-") {
        io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    res.map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(text)
}

fn validate(
    files: &[PathBuf],
    kind: PolicyKind,
    json: bool,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let mut any_error = false;
    let mut report = Vec::new();
    for path in files {
        let text = read(path)?;
        let findings = oxiam_policy::validate(&text, kind);
        any_error |= findings.iter().any(|f| f.severity == Severity::Error);
        if json {
            report.push(serde_json::json!({
                "file": path.display().to_string(),
                "valid": !findings.iter().any(|f| f.severity == Severity::Error),
                "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
            }));
        } else if findings.is_empty() {
            writeln!(out, "{}: OK", path.display())?;
        } else {
            for f in &findings {
                let sev = match f.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                let l = &f.location;
                writeln!(
                    out,
                    "{}:{}:{}: {sev}: {} ({})",
                    path.display(),
                    l.line,
                    l.column,
                    f.message,
                    l.path
                )?;
            }
        }
    }
    if json {
        writeln!(out, "{}", serde_json::Value::Array(report))?;
    }
    Ok(u8::from(any_error))
}

fn diff(a: &Path, b: &Path, json: bool, out: &mut dyn Write) -> Result<u8, CliError> {
    let (a_text, b_text) = (read(a)?, read(b)?);
    let catalogue = oxiam_catalogue::Catalogue::aws();
    let found =
        oxiam_analysis::diff::diff(&a_text, &b_text, catalogue).map_err(|e| CliError::Policy {
            path: match e.side {
                oxiam_analysis::diff::Side::A => a.to_owned(),
                oxiam_analysis::diff::Side::B => b.to_owned(),
            },
            error: e.error,
        })?;
    if json {
        writeln!(out, "{}", found.to_json())?;
    } else {
        found.write_text(out)?;
    }
    Ok(u8::from(!found.is_empty()))
}

fn finding_json(f: &Finding) -> serde_json::Value {
    serde_json::json!({
        "severity": match f.severity { Severity::Error => "error", Severity::Warning => "warning" },
        "code": match f.kind {
            oxiam_policy::ErrorKind::MalformedPolicyDocument => "MalformedPolicyDocument",
            oxiam_policy::ErrorKind::LimitExceeded => "LimitExceeded",
        },
        "message": f.message,
        "line": f.location.line,
        "column": f.location.column,
        "path": f.location.path,
    })
}

struct EvalFiles {
    policies: Vec<PathBuf>,
    boundary: Option<PathBuf>,
    resource_policy: Option<PathBuf>,
    trust_policy: Option<PathBuf>,
    scps: Vec<PathBuf>,
    rcps: Vec<PathBuf>,
    session_policies: Vec<PathBuf>,
}

struct EvalRequest {
    action: String,
    resource: String,
    resource_account: Option<String>,
    principal: String,
    user_id: Option<String>,
    principal_tags: Vec<String>,
    context: Vec<String>,
}

/// A loaded policy and the name decisions show for it (its file name).
struct Loaded {
    name: String,
    policy: Policy,
}

fn load(path: &Path, kind: PolicyKind) -> Result<Loaded, CliError> {
    let text = read(path)?;
    let policy = Policy::parse(&text, kind).map_err(|error| CliError::Policy {
        path: path.to_owned(),
        error,
    })?;
    Ok(Loaded {
        name: path.display().to_string(),
        policy,
    })
}

fn load_all(paths: &[PathBuf], kind: PolicyKind) -> Result<Vec<Loaded>, CliError> {
    paths.iter().map(|p| load(p, kind)).collect()
}

fn named(l: &Loaded) -> NamedPolicy<'_> {
    NamedPolicy {
        name: &l.name,
        policy: &l.policy,
    }
}

/// The caller as `oxiam-policy` needs it, from an ARN or service name.
struct Caller {
    arn: String,
    account: String,
    kind: PrincipalType,
    role_arn: Option<String>,
    user_id: String,
}

fn caller(arn: &str, user_id: Option<&str>) -> Result<Caller, CliError> {
    let bad = || {
        CliError::Usage(format!(
            "`--principal {arn}`: expected a user, root, assumed-role or federated-user ARN, a service principal or `anonymous`"
        ))
    };
    let mut c = Caller {
        arn: arn.to_owned(),
        account: String::new(),
        kind: PrincipalType::Anonymous,
        role_arn: None,
        user_id: String::new(),
    };
    if arn == "anonymous" {
        c.arn = String::new();
        c.user_id = "anonymous".to_owned();
        return Ok(c);
    }
    if !arn.starts_with("arn:") {
        if arn.ends_with(".amazonaws.com") {
            c.kind = PrincipalType::Service;
            return Ok(c);
        }
        return Err(bad());
    }
    let parsed = oxiam_policy::arn::Arn::parse(arn).ok_or_else(bad)?;
    c.account = parsed.account.to_owned();
    let (kind, default_id) = match (parsed.service, parsed.resource) {
        ("iam", "root") => (PrincipalType::Account, parsed.account.to_owned()),
        ("iam", r) if r.starts_with("user/") => {
            (PrincipalType::User, "AIDAOXIAMCLIEXAMPLE".to_owned())
        }
        ("sts", r) if r.starts_with("assumed-role/") => {
            let rest = r.trim_start_matches("assumed-role/");
            let (role, session) = rest.split_once('/').ok_or_else(bad)?;
            c.role_arn = Some(format!(
                "arn:{}:iam::{}:role/{role}",
                parsed.partition, parsed.account
            ));
            (
                PrincipalType::AssumedRole,
                format!("AROAOXIAMCLIEXAMPLE:{session}"),
            )
        }
        ("sts", r) if r.starts_with("federated-user/") => {
            let name = r.trim_start_matches("federated-user/");
            (
                PrincipalType::FederatedUser,
                format!("{}:{name}", parsed.account),
            )
        }
        _ => return Err(bad()),
    };
    c.kind = kind;
    c.user_id = user_id.map_or(default_id, str::to_owned);
    Ok(c)
}

/// `key=value` → (key, value).
fn key_value(s: &str, flag: &str) -> Result<(String, String), CliError> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| CliError::Usage(format!("`{flag} {s}`: expected key=value")))
}

fn eval(
    files: &EvalFiles,
    req: &EvalRequest,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let identity = load_all(&files.policies, PolicyKind::Identity)?;
    let boundary = files
        .boundary
        .as_deref()
        .map(|p| load(p, PolicyKind::PermissionsBoundary))
        .transpose()?;
    let resource = match (&files.resource_policy, &files.trust_policy) {
        (Some(p), _) => Some(load(p, PolicyKind::Resource)?),
        (None, Some(p)) => Some(load(p, PolicyKind::Trust)?),
        (None, None) => None,
    };
    let scps = load_all(&files.scps, PolicyKind::Scp)?;
    let rcps = load_all(&files.rcps, PolicyKind::Rcp)?;
    let sessions = load_all(&files.session_policies, PolicyKind::Session)?;

    let c = caller(&req.principal, req.user_id.as_deref())?;
    let principal = Principal {
        arn: &c.arn,
        account: &c.account,
        kind: c.kind,
        role_arn: c.role_arn.as_deref(),
        user_id: &c.user_id,
    };
    let tags = req
        .principal_tags
        .iter()
        .map(|t| key_value(t, "--principal-tag"))
        .collect::<Result<Vec<_>, _>>()?;
    let tag_refs: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut context = Context::for_principal(&principal, &tag_refs);
    // key → (values, multivalued?): `key=[a,b]` or a repeated key makes a multivalued key.
    let mut keys: Vec<(String, Vec<String>, bool)> = Vec::new();
    for kv in &req.context {
        let (k, v) = key_value(kv, "--context")?;
        let (values, list) = match v.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            Some("") => (Vec::new(), true),
            Some(list) => (list.split(',').map(|s| s.trim().to_owned()).collect(), true),
            None => (vec![v], false),
        };
        match keys
            .iter_mut()
            .find(|(key, ..)| key.eq_ignore_ascii_case(&k))
        {
            Some((_, existing, multi)) => {
                existing.extend(values);
                *multi = true;
            }
            None => keys.push((k, values, list)),
        }
    }
    for (k, values, multi) in keys {
        let value = if multi {
            ContextValue::Multi(values)
        } else {
            ContextValue::Single(values.concat())
        };
        context.insert(&k, value);
    }

    let identity_named: Vec<NamedPolicy<'_>> = identity.iter().map(named).collect();
    let session_named: Vec<NamedPolicy<'_>> = sessions.iter().map(named).collect();
    let scp_levels: Vec<[NamedPolicy<'_>; 1]> = scps.iter().map(|l| [named(l)]).collect();
    let scp_refs: Vec<&[NamedPolicy<'_>]> = scp_levels.iter().map(|l| &l[..]).collect();
    let rcp_levels: Vec<[NamedPolicy<'_>; 1]> = rcps.iter().map(|l| [named(l)]).collect();
    let rcp_refs: Vec<&[NamedPolicy<'_>]> = rcp_levels.iter().map(|l| &l[..]).collect();
    let set = PolicySet {
        identity: &identity_named,
        permissions_boundary: boundary.as_ref().map(named),
        session: &session_named,
        resource: resource.as_ref().map(named),
        scps: &scp_refs,
        rcps: &rcp_refs,
        scope_down: &[],
    };
    let request = Request {
        principal,
        action: &req.action,
        resource: &req.resource,
        resource_account: req.resource_account.as_deref(),
        context: &context,
    };
    let decision = evaluate(&request, &set);
    if json {
        writeln!(out, "{}", decision_json(&decision))?;
    } else {
        write_decision(&decision, &req.action, out)?;
    }
    Ok(())
}

fn type_name(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Identity => "Identity",
        PolicyType::PermissionsBoundary => "PermissionsBoundary",
        PolicyType::Session => "Session",
        PolicyType::Resource => "Resource",
        PolicyType::Scp => "Scp",
        PolicyType::Rcp => "Rcp",
    }
}

fn decision_json(d: &Decision<'_>) -> serde_json::Value {
    let effect = match d.effect {
        Effect::Allow => "Allow",
        Effect::ExplicitDeny => "ExplicitDeny",
        Effect::ImplicitDeny => "ImplicitDeny",
    };
    let reasons: Vec<serde_json::Value> = d
        .reasons
        .iter()
        .map(|r| {
            serde_json::json!({
                "policy_type": type_name(r.policy_type),
                "policy": r.policy,
                "level": r.level,
                "statement": r.statement,
                "sid": r.sid,
                "effect": match r.effect { StatementEffect::Allow => "Allow", StatementEffect::Deny => "Deny" },
            })
        })
        .collect();
    serde_json::json!({
        "decision": effect,
        "denied_by": d.denied_by.map(|b| serde_json::json!({
            "policy_type": type_name(b.policy_type),
            "level": b.level,
        })),
        "reasons": reasons,
    })
}

fn write_decision(d: &Decision<'_>, action: &str, out: &mut dyn Write) -> io::Result<()> {
    match d.effect {
        Effect::Allow => writeln!(out, "ALLOW")?,
        Effect::ExplicitDeny => writeln!(out, "DENY (explicit)")?,
        Effect::ImplicitDeny => writeln!(out, "DENY (implicit)")?,
    }
    for r in d.reasons.iter() {
        let verb = match r.effect {
            StatementEffect::Allow => "allowed by",
            StatementEffect::Deny => "denied by",
        };
        let level = if matches!(r.policy_type, PolicyType::Scp | PolicyType::Rcp) {
            format!(" (level {})", r.level)
        } else {
            String::new()
        };
        let sid = r.sid.map(|s| format!(" (Sid `{s}`)")).unwrap_or_default();
        writeln!(
            out,
            "  {verb} {} `{}`{level}, statement {}{sid}",
            r.policy_type.as_str(),
            r.policy,
            r.statement,
        )?;
    }
    if d.effect == Effect::ImplicitDeny
        && let Some(b) = d.denied_by
    {
        let level = b
            .level
            .map(|l| format!(" at level {l}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  no {}{level} allows `{action}`",
            b.policy_type.as_str()
        )?;
    }
    Ok(())
}
