//! `oxiam policy who-can`: asks a running oxiam which principals of the caller's account can
//! perform an action on a resource (`POST /authorization/v1/who-can`, through
//! `oxiam_client::Client::who_can`), and prints the answer grouped by principal, or as JSON.
//!
//! Credentials come from the standard AWS environment variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), as for `oxiam guard`; the endpoint from
//! `--endpoint`, else `AWS_ENDPOINT_URL_IAM` / `AWS_ENDPOINT_URL`, else the local default.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use oxiam_client::{Client, Credentials, WhoCanRequest, WhoCanResponse};

/// Arguments of `policy who-can`.
#[derive(Debug, clap::Args)]
pub struct WhoCanArgs {
    /// The action, `service:Action`.
    #[arg(long)]
    pub action: String,
    /// The resource ARN (`*` for actions without resource-level permissions).
    #[arg(long)]
    pub resource: String,
    /// Condition keys to fix, `key=value`; repeat a key for a multivalued key. Every other
    /// key stays open: an access that depends on one is reported `conditional`.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// The resource's resource-based policy (JSON file), combined with identity policies
    /// as AWS does.
    #[arg(long, value_name = "FILE")]
    pub resource_policy: Option<PathBuf>,
    /// The oxiam endpoint (default: AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL, or
    /// http://127.0.0.1:8461).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The region to sign for (default: AWS_REGION, AWS_DEFAULT_REGION, or us-east-1).
    #[arg(long)]
    pub region: Option<String>,
    /// Machine-readable output: the API's JSON answer.
    #[arg(long)]
    pub json: bool,
}

/// Why the command failed (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum WhoCanError {
    #[error("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")]
    NoCredentials,
    #[error("`--context {0}`: expected key=value")]
    Context(String),
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Client(#[from] oxiam_client::Error),
    #[error("cannot start the client: {0}")]
    Runtime(std::io::Error),
    #[error("writing the output: {0}")]
    Output(std::io::Error),
}

/// Runs the command; the exit status: 0 when only the account root can, 1 when some other
/// principal can (allowed or conditional), 2 on errors.
pub fn run(args: WhoCanArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    match ask(&args) {
        Ok(answer) => {
            let written = if args.json {
                serde_json::to_string_pretty(&answer)
                    .map_err(std::io::Error::other)
                    .and_then(|s| writeln!(out, "{s}"))
            } else {
                render(&answer, out)
            };
            if let Err(e) = written {
                let _ = writeln!(err, "oxiam policy who-can: {}", WhoCanError::Output(e));
                return 2;
            }
            u8::from(answer.principals.iter().any(|p| p.principal_type != "root"))
        }
        Err(e) => {
            let _ = writeln!(err, "oxiam policy who-can: {e}");
            2
        }
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

fn ask(args: &WhoCanArgs) -> Result<WhoCanResponse, WhoCanError> {
    let credentials = Credentials::from_env().ok_or(WhoCanError::NoCredentials)?;
    let mut context: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for kv in &args.context {
        let (k, v) = kv
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| WhoCanError::Context(kv.clone()))?;
        let v = serde_json::Value::String(v.to_owned());
        // A repeated key is a multivalued key.
        match context.remove(k) {
            None => context.insert(k.to_owned(), v),
            Some(serde_json::Value::Array(mut items)) => {
                items.push(v);
                context.insert(k.to_owned(), serde_json::Value::Array(items))
            }
            Some(first) => context.insert(k.to_owned(), serde_json::Value::Array(vec![first, v])),
        };
    }
    let resource_policy = args
        .resource_policy
        .as_ref()
        .map(|p| {
            std::fs::read_to_string(p).map_err(|source| WhoCanError::Read {
                path: p.clone(),
                source,
            })
        })
        .transpose()?;
    let endpoint = args
        .endpoint
        .clone()
        .or_else(|| env("AWS_ENDPOINT_URL_IAM"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| {
            format!(
                "http://127.0.0.1:{}",
                oxiam_server::model::config::DEFAULT_PORT
            )
        });
    let region = args
        .region
        .clone()
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".to_owned());
    let question = WhoCanRequest {
        action: args.action.clone(),
        resource: args.resource.clone(),
        context,
        resource_policy,
    };
    let client = Client::new(&endpoint, credentials, &region)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(WhoCanError::Runtime)?;
    Ok(runtime.block_on(client.who_can(&question))?)
}

/// The text form: one block per principal, its paths indented under it.
fn render(a: &WhoCanResponse, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "Who can {} on {} in account {}:",
        a.action, a.resource, a.account
    )?;
    for p in &a.principals {
        let bound = if p.upper_bound { " (upper bound)" } else { "" };
        writeln!(
            out,
            "\n{} {}: {}{bound}",
            p.principal_type, p.principal, p.access
        )?;
        for path in &p.paths {
            let via = if path.via.is_empty() {
                "directly".to_owned()
            } else {
                path.via
                    .iter()
                    .map(|h| match h.hop_type.as_str() {
                        "group" => format!("via group {}", h.name),
                        _ => format!("assuming {}", h.name),
                    })
                    .collect::<Vec<_>>()
                    .join(", then ")
            };
            writeln!(out, "  {via} ({})", path.access)?;
            for s in &path.statements {
                let sid = s
                    .sid
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "    {} {}: statement {}{sid} [{}]",
                    s.effect, s.policy, s.statement, s.policy_type
                )?;
            }
            for c in &path.conditions {
                let must = if c.effect == "Deny" {
                    "must not hold"
                } else {
                    "must hold"
                };
                writeln!(
                    out,
                    "    if: {} {} ({}: statement {}, {must})",
                    c.operator, c.key, c.policy, c.statement
                )?;
            }
        }
    }
    if a.principals.iter().all(|p| p.principal_type == "root") {
        writeln!(out, "\nNo principal besides the account root can.")?;
    }
    if !a.notes.is_empty() {
        writeln!(out, "\nNotes:")?;
        for n in &a.notes {
            writeln!(out, "  - {n}")?;
        }
    }
    Ok(())
}
