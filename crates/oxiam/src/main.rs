//! The `oxiam` binary: a thin command line over library code.
//!
//! - `oxiam serve`: the IAM/STS service (embedded SQLite by default; `--dev` for a local
//!   emulator that keeps state in memory).
//! - `oxiam migrate`: copies a SQLite installation into a new PostgreSQL schema.
//! - `oxiam policy …`: offline policy tools (see `policy_cmd`), and `policy who-can`, which
//!   asks a running oxiam (see `who_can_cmd`).
//! - `oxiam guard …`: a reverse proxy (or nginx `auth_request` endpoint) that authorizes
//!   requests to another service with oxiam's decision API (see `guard`; its rules file
//!   parser is in the package's library part, `oxiam::guard_rules`, for the fuzz targets).
//! - `oxiam audit …`: queries the decision log of the authorization API.

mod guard;
mod policy_cmd;
mod who_can_cmd;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use oxiam_server::model::config::DEFAULT_PORT;
use oxiam_server::{App, Config, FirstStart};

#[derive(Debug, Parser)]
#[command(name = "oxiam", version, about = "Self-hosted AWS IAM and STS", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the IAM/STS service. Point AWS clients at it with --endpoint-url or AWS_ENDPOINT_URL.
    Serve(Box<ServeArgs>),
    /// Offline policy tools: validate documents, evaluate a request against policies.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// Protect an HTTP service: authorize each SigV4-signed request with oxiam, then proxy it.
    Guard(Box<guard::GuardArgs>),
    /// Query the authorization API's decision log (JSON lines, oldest first).
    Audit(AuditArgs),
    /// Copy a whole installation from SQLite into an empty PostgreSQL schema: IDs, dates,
    /// policy versions and sealed secrets as they are. Run the nodes with the source's
    /// key-encryption key afterwards (OXIAM_KEK="$(cat DATA_DIR/kek)").
    Migrate(MigrateArgs),
}

#[derive(Debug, clap::Args)]
struct AuditArgs {
    /// The server's data directory (the log is <data-dir>/audit/decisions.jsonl).
    #[arg(long, env = "OXIAM_DATA_DIR", default_value = "oxiam-data")]
    data_dir: PathBuf,
    /// The server's --audit-dir, when it was given one (the log is <audit-dir>/decisions.jsonl).
    #[arg(long, env = "OXIAM_AUDIT_DIR")]
    audit_dir: Option<PathBuf>,
    /// Only decisions about this principal ARN.
    #[arg(long)]
    principal: Option<String>,
    /// Only decisions for this action (`myapp:GetFile`).
    #[arg(long)]
    action: Option<String>,
    /// Only decisions at or after this time (RFC 3339, e.g. 2026-11-23T14:00:00Z).
    #[arg(long)]
    since: Option<String>,
    /// `allow`, `deny` (every denial, report-only would-be denials included) or a decision
    /// name (`ExplicitDeny`, `ReportOnlyDeny`…).
    #[arg(long)]
    decision: Option<String>,
}

#[derive(Debug, clap::Args)]
struct MigrateArgs {
    /// The source: sqlite:PATH of an oxiam.db (stop the server using it first).
    #[arg(long)]
    from: String,
    /// The target: postgres://USER@HOST:PORT/DB?schema=NAME, an empty or new schema.
    #[arg(long)]
    to: String,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port and prints it).
    #[arg(long, env = "OXIAM_LISTEN", default_value_t = SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)))]
    listen: SocketAddr,
    /// Directory for the SQLite database (oxiam.db) and the key-encryption key (kek).
    #[arg(long, env = "OXIAM_DATA_DIR", default_value = "oxiam-data")]
    data_dir: PathBuf,
    /// Shared PostgreSQL store instead of <data-dir>/oxiam.db, for several nodes:
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME] (schema default oxiam).
    /// Needs --kek / OXIAM_KEK, the same on every node.
    #[arg(long, env = "OXIAM_STORE", hide_env_values = true)]
    store: Option<String>,
    /// Key-encryption key (base64 of 32 bytes) instead of <data-dir>/kek.
    #[arg(long, env = "OXIAM_KEK", hide_env_values = true)]
    kek: Option<String>,
    /// Local emulator mode: state in memory, requests signed with unknown access keys act as
    /// an account's root (the key's account when the key ID is 12 digits, else the default
    /// account), POST /_oxiam/reset (and /moto-api/reset) wipes all state.
    #[arg(long)]
    dev: bool,
    /// In --dev mode, keep state in --data-dir instead of in memory.
    #[arg(long, requires = "dev")]
    persist: bool,
    /// ID of the default account created on first start (12 digits; random if not given).
    #[arg(long, env = "OXIAM_ACCOUNT_ID")]
    account_id: Option<String>,
    /// Root access key ID of the default account, used on first start only.
    #[arg(long, env = "OXIAM_ROOT_ACCESS_KEY_ID")]
    root_access_key_id: Option<String>,
    /// Root secret access key of the default account, used on first start only (prefer the
    /// environment variable: command lines are visible to other users).
    #[arg(long, env = "OXIAM_ROOT_SECRET_ACCESS_KEY", hide_env_values = true)]
    root_secret_access_key: Option<String>,
    /// The root's console password (sign-in at /console/root), used on first start only;
    /// random and printed once when not given.
    #[arg(long, env = "OXIAM_ROOT_PASSWORD", hide_env_values = true)]
    root_password: Option<String>,
    /// Raise or lower an IAM quota, as AWS lets customers adjust theirs: NAME=VALUE, repeatable
    /// or comma-separated (e.g. users_per_account=20000). Names: users_per_account,
    /// groups_per_account, roles_per_account, customer_managed_policies_per_account,
    /// instance_profiles_per_account, groups_per_user, managed_policies_per_entity,
    /// versions_per_managed_policy, access_keys_per_user, tags_per_entity,
    /// roles_per_instance_profile, aliases_per_account, user_inline_policy_size,
    /// group_inline_policy_size, role_inline_policy_size, managed_policy_size,
    /// role_trust_policy_size. Defaults are AWS's.
    #[arg(
        long = "quota",
        env = "OXIAM_QUOTAS",
        value_delimiter = ',',
        value_name = "NAME=VALUE"
    )]
    quotas: Vec<String>,
    /// The URL clients reach this server at (e.g. https://iam.example.com): the base of the
    /// issuer URLs of outbound web identity tokens. Default: http://<listen address>
    /// (https:// with --tls-cert).
    #[arg(long, env = "OXIAM_PUBLIC_URL")]
    public_url: Option<String>,
    /// PEM file of CA certificates to trust, besides the Mozilla roots, when fetching OIDC
    /// issuers' keys over HTTPS (AssumeRoleWithWebIdentity with a private-CA issuer).
    #[arg(long, env = "OXIAM_OIDC_CA_FILE")]
    oidc_ca_file: Option<PathBuf>,
    /// Directory of the authorization API's decision log (decisions.jsonl). Default:
    /// <data-dir>/audit; with --store each node writes its own log only when given this.
    #[arg(long, env = "OXIAM_AUDIT_DIR")]
    audit_dir: Option<PathBuf>,
    /// How many days the access advisor keeps what each user and role attempted (last time
    /// and count per action; GenerateServiceLastAccessedDetails). 0 records nothing.
    #[arg(long, env = "OXIAM_ACCESS_RETENTION_DAYS", default_value_t = oxiam_server::model::config::DEFAULT_ACCESS_RETENTION_DAYS)]
    access_retention_days: u32,
    /// A JSON file of services oxiam authorizes for others (`myapp:GetFile`): their actions
    /// with access levels, resource types, condition keys, in the form of the AWS catalogue
    /// (data/aws/service-catalogue.json; only `services` is needed). Repeatable or
    /// comma-separated. They join AWS's services; a file that does not parse, or a prefix
    /// AWS or another file has, stops the start.
    #[arg(
        long = "service-catalogue",
        env = "OXIAM_SERVICE_CATALOGUES",
        value_delimiter = ',',
        value_name = "FILE"
    )]
    service_catalogues: Vec<PathBuf>,
    #[command(flatten)]
    tls: TlsArgs,
    /// Log format.
    #[arg(long, env = "OXIAM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// HTTPS for a listener (`oxiam serve`, `oxiam guard`).
#[derive(Debug, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS (TLS 1.2/1.3) only, with this PEM certificate chain (leaf first).
    /// Needs --tls-key.
    #[arg(long, env = "OXIAM_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert. Keep it readable by
    /// oxiam only. Needs --tls-cert.
    #[arg(long, env = "OXIAM_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// The server's TLS settings, `None` for plain HTTP; a message for the operator when the
    /// files cannot be used.
    pub fn server_config(&self) -> Result<Option<Arc<rustls::ServerConfig>>, String> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => oxiam_server::front::tls::server_config(cert, key)
                .map(Some)
                .map_err(|e| e.to_string()),
            _ => Ok(None),
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Policy(cmd) => policy_cmd::run(cmd),
        Command::Guard(args) => {
            init_logging(LogFormat::Text);
            guard::run(*args)
        }
        Command::Audit(args) => audit(&args),
        Command::Migrate(args) => migrate(&args),
    }
}

fn audit(args: &AuditArgs) -> ExitCode {
    use oxiam_server::runtime::audit;
    let filter = audit::Filter {
        principal: args.principal.clone(),
        action: args.action.clone(),
        since: args.since.clone(),
        decision: args.decision.clone(),
    };
    let file = match &args.audit_dir {
        Some(dir) => audit::file_in(dir),
        None => audit::path(&args.data_dir),
    };
    let mut out = std::io::stdout().lock();
    let result = audit::query(&file, &filter, |r| {
        if let Ok(line) = serde_json::to_string(r) {
            let _ = writeln!(out, "{line}");
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oxiam audit: {}: {e}", file.display());
            ExitCode::FAILURE
        }
    }
}

fn migrate(args: &MigrateArgs) -> ExitCode {
    use oxiam_store::{PostgresStore, SqliteStore, Store as _};
    let Some(path) = args.from.strip_prefix("sqlite:") else {
        eprintln!("oxiam migrate: --from must be sqlite:PATH");
        return ExitCode::from(2);
    };
    if !oxiam_store::postgres::is_postgres_url(&args.to) {
        eprintln!("oxiam migrate: --to must be a postgres:// URL");
        return ExitCode::from(2);
    }
    let path = std::path::Path::new(path);
    // Opening would create an empty database: a typo must not migrate nothing.
    if !path.is_file() {
        eprintln!("oxiam migrate: {} is not a file", path.display());
        return ExitCode::FAILURE;
    }
    let copied = SqliteStore::open(path).and_then(|source| {
        let loaded = source.load_all()?;
        let meta = source.list_meta()?;
        Ok((loaded, meta))
    });
    let (loaded, meta) = match copied {
        Ok(x) => x,
        Err(e) => {
            eprintln!(
                "oxiam migrate: reading {}: {}",
                path.display(),
                oxiam_store::error_chain(&e)
            );
            return ExitCode::FAILURE;
        }
    };
    let target = match PostgresStore::open(&args.to) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "oxiam migrate: opening the target: {}",
                oxiam_store::error_chain(&e)
            );
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = target.import(&loaded, &meta) {
        eprintln!("oxiam migrate: {}", oxiam_store::error_chain(&e));
        return ExitCode::FAILURE;
    }
    println!(
        "copied {} records and {} metadata entries at sequence {} into {target:?}",
        loaded.records.len(),
        meta.len(),
        loaded.seq
    );
    println!(
        "start the nodes with the source's key-encryption key: OXIAM_KEK=\"$(cat {})\"",
        path.with_file_name("kek").display()
    );
    ExitCode::SUCCESS
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logging(args.log_format);
    if let Some(id) = &args.account_id
        && !(id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
    {
        eprintln!("oxiam: --account-id must be 12 digits, got `{id}`");
        return ExitCode::from(2);
    }
    let mut quotas = oxiam_server::model::quotas::Quotas::default();
    for setting in &args.quotas {
        if let Err(e) = quotas.set(setting) {
            eprintln!("oxiam: --quota: {e}");
            return ExitCode::from(2);
        }
    }
    if let Some(url) = &args.store {
        if !oxiam_store::postgres::is_postgres_url(url) {
            eprintln!("oxiam: --store must be a postgres:// URL (the default store is --data-dir)");
            return ExitCode::from(2);
        }
        if args.dev {
            eprintln!("oxiam: --store cannot be combined with --dev");
            return ExitCode::from(2);
        }
    }
    // Before anything is opened: a bad certificate or key must not leave a half-started node.
    let tls = match args.tls.server_config() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("oxiam: {e}");
            return ExitCode::from(2);
        }
    };
    let config = Config {
        https: tls.is_some(),
        quotas,
        listen: args.listen,
        data_dir: (args.store.is_none() && (!args.dev || args.persist))
            .then(|| args.data_dir.clone()),
        store_url: args.store,
        kek_base64: args.kek,
        dev: args.dev,
        default_account: args.account_id,
        root_access_key_id: args.root_access_key_id,
        root_secret_access_key: args.root_secret_access_key,
        public_url: args.public_url,
        oidc_ca_file: args.oidc_ca_file,
        audit_dir: args.audit_dir,
        root_password: args.root_password,
        access_retention_days: args.access_retention_days,
        service_catalogues: args.service_catalogues,
    };
    // Before the runtime: the PostgreSQL client blocks on a runtime of its own, which
    // tokio does not allow inside another runtime's async context.
    let (app, first) = match App::open(config.clone()) {
        Ok(x) => x,
        Err(e) => {
            match &e {
                oxiam_server::model::error::ServerError::Startup(why) => {
                    eprintln!("oxiam: cannot start: {why}");
                }
                other => eprintln!(
                    "oxiam: cannot open the store: {}",
                    oxiam_store::error_chain(other)
                ),
            }
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oxiam: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(config.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("oxiam: cannot listen on {}: {e}", config.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().unwrap_or(config.listen);
        announce(&config, &app, first.as_ref(), addr);
        match oxiam_server::http::serve(app, listener, tls).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("oxiam: server error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Tells the operator where oxiam listens and, on first start, the root credentials (once:
/// they are not logged and cannot be shown again).
fn announce(config: &Config, app: &App, first: Option<&FirstStart>, addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let scheme = if config.https { "https" } else { "http" };
    let endpoint = format!("{scheme}://{addr}");
    let _ = writeln!(out, "oxiam listening on {endpoint}");
    match (app.store_description(), &config.data_dir) {
        (Some(store), _) => {
            let _ = writeln!(out, "state: {store}");
        }
        (None, Some(dir)) => {
            let _ = writeln!(out, "state: {}", dir.join("oxiam.db").display());
        }
        (None, None) => {
            let _ = writeln!(out, "state: in memory (dev mode; lost at exit)");
        }
    }
    if !config.service_catalogues.is_empty() {
        let aws = oxiam_catalogue::Catalogue::aws();
        let custom: Vec<String> = app
            .catalogue()
            .services()
            .filter(|s| aws.service(&s.prefix).is_none())
            .map(|s| format!("{} ({} actions)", s.prefix, s.actions.len()))
            .collect();
        let _ = writeln!(out, "custom services: {}", custom.join(", "));
    }
    if config.dev {
        let _ = writeln!(
            out,
            "dev mode: any access key is accepted as the root of an account (12-digit key IDs \
             select that account, others the default account {}); POST {endpoint}/_oxiam/reset wipes all state",
            app.default_account
        );
    }
    if let Some(first) = first {
        let _ = writeln!(
            out,
            "\nCreated account {} on first start. Its root credentials are shown only now:\n\
             \n  export AWS_ACCESS_KEY_ID={}\n  export AWS_SECRET_ACCESS_KEY={}\n  \
             export AWS_DEFAULT_REGION=us-east-1\n  export AWS_ENDPOINT_URL={endpoint}\n  \
             aws sts get-caller-identity\n\n\
             Console: {endpoint}/console/root (account {} and root password {})\n",
            first.account,
            first.access_key_id,
            first.secret_access_key.expose(),
            first.account,
            first.root_password.expose()
        );
    }
    let _ = out.flush();
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
