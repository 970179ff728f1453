//! `oxiam guard`: a reverse proxy that puts oxiam's authorization in front of any HTTP
//! service.
//!
//! Each request is matched against the rules ([`oxiam::guard_rules`], a TOML file of
//! method and path pattern → action and resource ARN), then its SigV4 material (method,
//! path, query, headers, SHA-256 of the body) goes to oxiam's decision API through
//! `oxiam-client`, signed with the guard's own credentials (which need `oxiam:Authorize`).
//! Allowed requests are forwarded to the upstream with the principal in
//! `X-Oxiam-Principal-Arn`, `X-Oxiam-Principal-Account` and `X-Oxiam-Principal-User-Id`
//! (any such headers sent by the client are removed first, so the upstream can trust
//! them); the others get an AWS-style `AccessDenied` (403, XML), whose message carries the
//! encoded authorization message for `aws sts decode-authorization-message`.
//!
//! With `--auth-request` there is no upstream: the guard answers nginx's `auth_request`
//! subrequests with 200 (and the principal headers) or 403. nginx passes the original
//! method and URI in `X-Original-Method` and `X-Original-URI` (see the README); the
//! subrequest has no body, so the body hash is the client's `x-amz-content-sha256` header
//! when present (the signature then binds that hash, not the bytes nginx forwards).
//!
//! Over a network, run the guard's link to oxiam over HTTPS (`--oxiam-url https://…`,
//! `--oxiam-ca-file` for a private CA): whoever can rewrite a plain-HTTP answer can allow
//! anything. The guard's own listener speaks HTTPS with `--tls-cert`/`--tls-key`, and an
//! `https://` upstream is verified like oxiam (`--upstream-ca-file`). When oxiam cannot be
//! reached or its certificate is not trusted, the guard answers 503 and forwards nothing.
//!
//! With `--data-dir` (or `--store` and `--kek`) the guard decides in process instead: it
//! opens the installation's store and follows its changes like a node, and asks
//! `oxiam_server::front::authorization::decide_local` — the decision API's own code, audit record
//! included — without an HTTP call or credentials of its own. That removes one of the
//! three round trips of a proxied request; it needs the store and its key-encryption key,
//! so it suits a guard on oxiam's machine (or on the PostgreSQL network of its nodes).
//!
//! With `--report-only` the guard forwards what the policies deny (explicit or implicit
//! deny) instead of answering 403, and logs each would-be denial at `warn` (target
//! `oxiam::guard`, `decision=ReportOnlyDeny`) with the denial's action, resource, message (`denial_message`)
//! and deciding policy type: a service is put behind the guard this way first, its traffic
//! recorded (the decision API's audit log has every denial too), its policies written, and
//! then enforced. What is not a policy decision stays refused: a request no rule matches,
//! a signature that does not verify, an unavailable authorizer. Allows that oxiam itself
//! relaxed because the client's account is report-only are logged the same way.
//!
//! Clients sign for the service name given by `--service-prefix` (awscurl `--service
//! myapp`, botocore `SigV4Auth(credentials, "myapp", region)`). Bodies are buffered
//! (up to `--max-body-bytes`) because their hash is part of the signature.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use http_body_util::Full;
use oxiam::guard_rules as rules;
use oxiam_client::{
    Client, ClientRequest, Credentials, DecisionRequest, DecisionResult, Endpoint, Pool,
};
use oxiam_server::front::tls::TlsListener;

/// `oxiam guard` options.
#[derive(Debug, clap::Args)]
pub struct GuardArgs {
    /// Address to listen on (port 0 picks a free port and prints it).
    #[arg(long, env = "OXIAM_GUARD_LISTEN", default_value = "127.0.0.1:8462")]
    listen: SocketAddr,
    /// The service to protect, `http://host:port` or `https://host[:port]`. Required
    /// unless --auth-request.
    #[arg(
        long,
        env = "OXIAM_GUARD_UPSTREAM",
        required_unless_present = "auth_request"
    )]
    upstream: Option<String>,
    /// Answer nginx `auth_request` subrequests (200/403) instead of proxying.
    #[arg(long)]
    auth_request: bool,
    /// The service prefix of actions (`myapp` → `myapp:GetFile`), and the service name
    /// clients sign for.
    #[arg(long, env = "OXIAM_GUARD_SERVICE_PREFIX")]
    service_prefix: String,
    /// The rules file (method + path pattern → action + resource).
    #[arg(long, env = "OXIAM_GUARD_RULES")]
    rules: PathBuf,
    /// Where oxiam listens: http://… on loopback or a trusted network, https://… otherwise.
    #[arg(long, env = "OXIAM_URL", default_value = "http://127.0.0.1:8461")]
    oxiam_url: String,
    /// PEM file of CA certificates to trust, besides the Mozilla roots, for an https://
    /// --oxiam-url (oxiam's certificate from a private CA).
    #[arg(long, env = "OXIAM_CA_FILE")]
    oxiam_ca_file: Option<PathBuf>,
    /// PEM file of CA certificates to trust, besides the Mozilla roots, for an https://
    /// --upstream.
    #[arg(long, env = "OXIAM_GUARD_UPSTREAM_CA_FILE")]
    upstream_ca_file: Option<PathBuf>,
    /// Serve HTTPS (TLS 1.2/1.3) only, with this PEM certificate chain (leaf first).
    /// Needs --tls-key.
    #[arg(long, env = "OXIAM_GUARD_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert. Needs --tls-cert.
    #[arg(long, env = "OXIAM_GUARD_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The guard's own access key ID (default: AWS_ACCESS_KEY_ID).
    #[arg(long, env = "OXIAM_GUARD_ACCESS_KEY_ID")]
    access_key_id: Option<String>,
    /// The guard's own secret access key (default: AWS_SECRET_ACCESS_KEY; prefer the
    /// environment: command lines are visible to other users).
    #[arg(long, env = "OXIAM_GUARD_SECRET_ACCESS_KEY", hide_env_values = true)]
    secret_access_key: Option<String>,
    /// Region the guard signs its calls for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    region: String,
    /// Take `aws:SourceIp` from the first `X-Forwarded-For` address (only behind a proxy
    /// that sets it) instead of the connection's peer.
    #[arg(long)]
    trust_forwarded_for: bool,
    /// Seconds a decision is reused for the very same signed request (0: off).
    #[arg(long, default_value_t = 5)]
    cache_ttl: u64,
    /// Largest request body accepted.
    #[arg(long, default_value_t = 64 << 20)]
    max_body_bytes: usize,
    /// Decide in this process instead of calling --oxiam-url: open this installation's
    /// SQLite data directory (the one `oxiam serve --data-dir` uses) and follow its changes
    /// like a node. Saves the guard's HTTP call to oxiam; needs read access to the store and
    /// its key-encryption key, so run it as oxiam's user on oxiam's machine.
    #[arg(long, env = "OXIAM_GUARD_DATA_DIR", conflicts_with = "store")]
    data_dir: Option<PathBuf>,
    /// Decide in this process from the installation's PostgreSQL store
    /// (`postgres://…`, as `oxiam serve --store`), following its changes like a node.
    /// Needs --kek.
    #[arg(long, env = "OXIAM_GUARD_STORE", requires = "kek")]
    store: Option<String>,
    /// The key-encryption key of --store (base64 of 32 bytes, as `oxiam serve --kek`), or
    /// of --data-dir when its key is not in the directory.
    #[arg(long, env = "OXIAM_KEK", hide_env_values = true)]
    kek: Option<String>,
    /// Where an in-process guard appends its decision records (decisions.jsonl). Default:
    /// the installation's <data-dir>/audit with --data-dir; with --store, needed for a file.
    #[arg(long, env = "OXIAM_AUDIT_DIR")]
    audit_dir: Option<PathBuf>,
    /// Forward requests the policies deny, logging each would-be denial (target
    /// `oxiam::guard`, `decision=ReportOnlyDeny`), instead of answering 403. Requests no
    /// rule matches and unauthenticated ones are still refused.
    #[arg(long, env = "OXIAM_GUARD_REPORT_ONLY")]
    report_only: bool,
    /// Worker threads: 0 is one per core; 1 runs everything on one thread, which cuts the
    /// guard's latency (no wakeups between threads) where one core keeps up with the load.
    #[arg(long, env = "OXIAM_GUARD_THREADS", default_value_t = 0)]
    threads: usize,
}

/// How often an in-process guard persists access keys' last-used facts (as `serve` does).
const LAST_USED_FLUSH: Duration = Duration::from_secs(10);

/// The principal headers set on forwarded requests (and auth_request answers).
const PRINCIPAL_ARN: &str = "x-oxiam-principal-arn";
const PRINCIPAL_ACCOUNT: &str = "x-oxiam-principal-account";
const PRINCIPAL_USER_ID: &str = "x-oxiam-principal-user-id";

/// Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

#[derive(Debug)]
struct Guard {
    rules: Vec<rules::Rule>,
    service_prefix: String,
    decider: Decider,
    upstream: Option<Pool>,
    trust_forwarded_for: bool,
    /// `--report-only`: policy denials are forwarded and logged.
    report_only: bool,
}

/// Who decides.
enum Decider {
    /// oxiam's decision API, over HTTP(S), with the guard's own credentials.
    Remote(Box<Client>),
    /// This process, from the store it follows like a node (`--data-dir`/`--store`).
    Local {
        app: Arc<oxiam_server::app::App>,
        /// Who asked, in the audit log.
        caller: String,
    },
}

impl std::fmt::Debug for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Decider::Remote(c) => f.debug_tuple("Remote").field(c).finish(),
            Decider::Local { caller, .. } => {
                f.debug_struct("Local").field("caller", caller).finish()
            }
        }
    }
}

impl Decider {
    async fn decide(&self, question: DecisionRequest) -> Result<DecisionResult, String> {
        match self {
            Decider::Remote(client) => match client.decide(vec![question]).await {
                Ok(mut d) if d.len() == 1 => Ok(d.remove(0)),
                Ok(_) => Err("the authorizer answered no decision".into()),
                Err(e) => Err(e.to_string()),
            },
            // A few microseconds of CPU (signature check and evaluation on the snapshot):
            // done on the request's task, like the decision API does.
            Decider::Local { app, caller } => {
                oxiam_server::front::authorization::decide_local(app, caller, &question)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// Opens the installation's store for in-process decisions, refusing to create one: a
/// guard pointed at the wrong directory must fail, not start an empty installation that
/// denies everyone (or bootstrap a root nobody knows).
fn open_local(args: &GuardArgs) -> Result<Option<Arc<oxiam_server::app::App>>, String> {
    let config = match (&args.data_dir, &args.store) {
        (None, None) => return Ok(None),
        (Some(dir), _) => {
            if !dir.join("oxiam.db").is_file() {
                return Err(format!(
                    "--data-dir {}: no oxiam installation there (no oxiam.db); start                      `oxiam serve --data-dir` on it first",
                    dir.display()
                ));
            }
            oxiam_server::model::config::Config {
                data_dir: Some(dir.clone()),
                kek_base64: args.kek.clone(),
                audit_dir: args.audit_dir.clone(),
                ..oxiam_server::model::config::Config::default()
            }
        }
        (None, Some(url)) => oxiam_server::model::config::Config {
            store_url: Some(url.clone()),
            kek_base64: args.kek.clone(),
            audit_dir: args.audit_dir.clone(),
            ..oxiam_server::model::config::Config::default()
        },
    };
    let (app, first) = oxiam_server::app::App::open(config).map_err(|e| e.to_string())?;
    if first.is_some() {
        return Err("the store held no installation (it has been initialised now); start                     `oxiam serve` on it and restart the guard"
            .into());
    }
    Ok(Some(app))
}

pub fn run(args: GuardArgs) -> std::process::ExitCode {
    use std::process::ExitCode;
    let text = match std::fs::read_to_string(&args.rules) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("oxiam guard: cannot read {}: {e}", args.rules.display());
            return ExitCode::from(2);
        }
    };
    let rules = match rules::parse(&text, &args.service_prefix) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("oxiam guard: {}: {e}", args.rules.display());
            return ExitCode::from(2);
        }
    };
    // Before the runtime: the PostgreSQL client blocks on a runtime of its own.
    let local = match open_local(&args) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("oxiam guard: {e}");
            return ExitCode::from(2);
        }
    };
    let decider = match local {
        Some(app) => Decider::Local {
            app,
            caller: format!("oxiam guard ({})", args.service_prefix),
        },
        None => match remote_client(&args) {
            Ok(c) => Decider::Remote(Box::new(c)),
            Err(code) => return code,
        },
    };
    let upstream = match (&args.upstream, args.auth_request) {
        (_, true) => None,
        (Some(u), false) => match upstream_pool(u, args.upstream_ca_file.as_deref()) {
            Ok(pool) => Some(pool),
            Err(e) => {
                eprintln!("oxiam guard: --upstream/--upstream-ca-file: {e}");
                return ExitCode::from(2);
            }
        },
        (None, false) => {
            eprintln!("oxiam guard: --upstream or --auth-request is required");
            return ExitCode::from(2);
        }
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => match oxiam_server::front::tls::server_config(cert, key) {
            Ok(config) => Some(config),
            Err(e) => {
                eprintln!("oxiam guard: {e}");
                return ExitCode::from(2);
            }
        },
        _ => None,
    };
    // In process, the guard is a node: it follows other processes' commits (a key
    // deactivated or a policy detached through oxiam reaches it within the follower's
    // delay) and persists access keys' last-used facts as a server does.
    let _follower = match &decider {
        Decider::Local { app, .. } => match app.spawn_follower() {
            Ok(f) => {
                let app = Arc::clone(app);
                let flusher = std::thread::Builder::new()
                    .name("oxiam-guard-last-used".into())
                    .spawn(move || {
                        loop {
                            std::thread::sleep(LAST_USED_FLUSH);
                            if let Err(e) = app.flush_last_used() {
                                tracing::warn!(error = %e, "could not persist access key last-used facts");
                            }
                        }
                    });
                if let Err(e) = flusher {
                    eprintln!("oxiam guard: cannot start a thread: {e}");
                    return ExitCode::FAILURE;
                }
                Some(f)
            }
            Err(e) => {
                eprintln!("oxiam guard: cannot follow the store: {e}");
                return ExitCode::FAILURE;
            }
        },
        Decider::Remote(_) => None,
    };
    let guard = Arc::new(Guard {
        rules,
        service_prefix: args.service_prefix.clone(),
        decider,
        upstream,
        trust_forwarded_for: args.trust_forwarded_for,
        report_only: args.report_only,
    });
    let built = if args.threads == 1 {
        // One thread: no worker hands a woken task or connection to another.
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        if args.threads > 1 {
            b.worker_threads(args.threads);
        }
        b.enable_all().build()
    };
    let runtime = match built {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oxiam guard: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(args.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("oxiam guard: cannot listen on {}: {e}", args.listen);
                return ExitCode::FAILURE;
            }
        };
        let addr = listener.local_addr().unwrap_or(args.listen);
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("oxiam guard listening on {scheme}://{addr}");
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(args.max_body_bytes))
            .with_state(guard)
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = match tls {
            None => axum::serve(listener, app).await,
            // `tap_io` only makes axum hand the peer address over as ConnectInfo.
            Some(config) => {
                axum::serve(TlsListener::new(listener, config).tap_io(|_| {}), app).await
            }
        };
        match served {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("oxiam guard: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn remote_client(args: &GuardArgs) -> Result<Client, std::process::ExitCode> {
    use std::process::ExitCode;
    let env = |k: &str| std::env::var(k).ok();
    let (Some(key), Some(secret)) = (
        args.access_key_id
            .clone()
            .or_else(|| env("AWS_ACCESS_KEY_ID")),
        args.secret_access_key
            .clone()
            .or_else(|| env("AWS_SECRET_ACCESS_KEY")),
    ) else {
        eprintln!(
            "oxiam guard: no credentials: set OXIAM_GUARD_ACCESS_KEY_ID and \
             OXIAM_GUARD_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), \
             or decide in process with --data-dir/--store"
        );
        return Err(ExitCode::from(2));
    };
    let token = env("AWS_SESSION_TOKEN");
    let client = Client::new(
        &args.oxiam_url,
        Credentials::new(&key, &secret, token.as_deref()),
        &args.region,
    )
    .and_then(|c| match &args.oxiam_ca_file {
        Some(path) => c.with_ca_pem(&read_ca(path)?),
        None => Ok(c),
    });
    match client {
        Ok(c) => Ok(c.with_cache_ttl(Duration::from_secs(args.cache_ttl))),
        Err(e) => {
            eprintln!("oxiam guard: --oxiam-url/--oxiam-ca-file: {e}");
            Err(ExitCode::from(2))
        }
    }
}

async fn handle(
    State(guard): State<Arc<Guard>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let peer = peer.map(|Extension(ConnectInfo(a))| a.ip().to_canonical());
    let request_id = oxiam_server::model::ids::request_id();
    // nginx auth_request: the original request is described by headers.
    let (method_s, path_and_query) = if guard.upstream.is_none() {
        let m = header_str(&headers, "x-original-method").unwrap_or(method.as_str());
        let u = header_str(&headers, "x-original-uri")
            .map_or_else(|| path_and_query(&uri), str::to_owned);
        (m.to_owned(), u)
    } else {
        (method.as_str().to_owned(), path_and_query(&uri))
    };
    let (path, query) = path_and_query
        .split_once('?')
        .map_or((path_and_query.as_str(), ""), |(p, q)| (p, q));
    let Some(matched) = rules::find(&guard.rules, &method_s, path) else {
        return access_denied(
            "AccessDenied",
            "No rule of the guard matches this request.",
            &request_id,
        );
    };
    let body_sha256 = if guard.upstream.is_none() {
        header_str(&headers, "x-amz-content-sha256")
            .filter(|h| h.len() == 64)
            .map(str::to_owned)
    } else {
        Some(oxiam_client::body_sha256(&body))
    };
    let source_ip = source_ip(&headers, peer, guard.trust_forwarded_for);
    let question = DecisionRequest {
        request: ClientRequest {
            method: method_s.clone(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers: headers
                .iter()
                .filter(|(k, _)| !k.as_str().starts_with("x-original-"))
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect(),
            body_sha256,
        },
        action: matched.action.clone(),
        resource: matched.resource.clone(),
        source_ip: source_ip.map(|ip| ip.to_string()),
        signing_name: Some(guard.service_prefix.clone()),
        ..DecisionRequest::default()
    };
    let decision = match guard.decider.decide(question).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(request_id, error = %e, "no decision");
            return unavailable(&request_id, "the authorizer is unavailable");
        }
    };
    // `--report-only` lets the policies' denials through, nothing else.
    let forward_anyway = guard.report_only && is_policy_denial(&decision);
    if !(decision.allowed || forward_anyway) {
        return denied(&decision, &request_id);
    }
    if !decision.allowed || decision.is_report_only_denial() {
        log_would_deny(&decision, &matched, &request_id);
    }
    match &guard.upstream {
        None => {
            let mut resp = StatusCode::OK.into_response();
            set_principal(resp.headers_mut(), &decision);
            resp
        }
        Some(pool) => {
            forward(
                pool,
                method,
                &path_and_query,
                headers,
                body,
                &decision,
                &request_id,
            )
            .await
        }
    }
}

/// Whether a denial is the policies' (what `--report-only` lets through), not an
/// authentication failure.
fn is_policy_denial(d: &DecisionResult) -> bool {
    matches!(d.decision.as_str(), "ExplicitDeny" | "ImplicitDeny")
}

/// The would-be denial of a request forwarded anyway (by `--report-only`, or because the
/// client's account is report-only): everything the 403 would have said.
fn log_would_deny(d: &DecisionResult, matched: &rules::Matched, request_id: &str) {
    let would_be = d.would_be_decision.as_deref().unwrap_or(&d.decision);
    tracing::warn!(target: "oxiam::guard", request_id,
        principal = d.principal.as_ref().map_or("-", |p| p.arn.as_str()),
        action = matched.action, resource = matched.resource,
        decision = oxiam_client::REPORT_ONLY_DENY, would_be,
        denied_by = d.denied_by.as_deref().unwrap_or("-"),
        denial_message = d.message.as_deref().unwrap_or("-"), "report-only: would be denied");
}

/// A CA bundle file's bytes (certificates are public: no secrecy needed).
fn read_ca(path: &Path) -> Result<Vec<u8>, oxiam_client::Error> {
    std::fs::read(path)
        .map_err(|e| oxiam_client::Error::Tls(format!("cannot read {}: {e}", path.display())))
}

/// The pool to the protected service; over HTTPS, trusting `ca_file`'s CAs too.
fn upstream_pool(url: &str, ca_file: Option<&Path>) -> Result<Pool, oxiam_client::Error> {
    let endpoint = Endpoint::parse(url)?;
    let extra = match ca_file {
        Some(_) if !endpoint.https => {
            return Err(oxiam_client::Error::Url(
                "a CA bundle was given for an http:// upstream (use https://)".to_owned(),
            ));
        }
        Some(path) => oxiam_client::tls::ca_certificates(&read_ca(path)?)?,
        None => Vec::new(),
    };
    endpoint.pool(&extra)
}

fn path_and_query(uri: &Uri) -> String {
    uri.path_and_query()
        .map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn source_ip(headers: &HeaderMap, peer: Option<IpAddr>, trust_xff: bool) -> Option<IpAddr> {
    if trust_xff
        && let Some(ip) = header_str(headers, "x-forwarded-for")
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(ip);
    }
    peer
}

fn set_principal(h: &mut HeaderMap, d: &DecisionResult) {
    let Some(p) = &d.principal else {
        return;
    };
    for (name, value) in [
        (PRINCIPAL_ARN, &p.arn),
        (PRINCIPAL_ACCOUNT, &p.account),
        (PRINCIPAL_USER_ID, &p.user_id),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    }
}

async fn forward(
    pool: &Pool,
    method: Method,
    path_and_query: &str,
    headers: HeaderMap,
    body: Bytes,
    decision: &DecisionResult,
    request_id: &str,
) -> Response {
    let mut builder = axum::http::Request::builder()
        .method(method)
        .uri(path_and_query);
    let mut out = HeaderMap::new();
    for (k, v) in &headers {
        let name = k.as_str();
        // The principal headers are the guard's to set: never pass a client's through.
        if HOP_BY_HOP.contains(&name) || name.starts_with("x-oxiam-") || name == "host" {
            continue;
        }
        out.append(k.clone(), v.clone());
    }
    if let Ok(h) = HeaderValue::from_str(pool.authority()) {
        out.insert(header::HOST, h);
    }
    set_principal(&mut out, decision);
    if let Some(h) = builder.headers_mut() {
        *h = out;
    }
    let req = match builder.body(Full::new(body)) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(request_id, error = %e, "cannot build the upstream request");
            return unavailable(request_id, "the request cannot be forwarded");
        }
    };
    match pool.send(req).await {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            for h in HOP_BY_HOP {
                parts.headers.remove(*h);
            }
            Response::from_parts(parts, Body::from(body))
        }
        Err(e) => {
            tracing::error!(request_id, error = %e, "the upstream did not answer");
            let mut r = unavailable(request_id, "the upstream service did not answer");
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            r
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// AWS's REST XML error, as S3 writes it.
fn error_xml(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
        xml_escape(code),
        xml_escape(message),
        xml_escape(request_id)
    );
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml"),
    );
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

fn access_denied(code: &str, message: &str, request_id: &str) -> Response {
    error_xml(StatusCode::FORBIDDEN, code, message, request_id)
}

/// A denial: AccessDenied with AWS's message and, as EC2 does, the encoded message; an
/// authentication failure keeps its own code (`SignatureDoesNotMatch`, `ExpiredToken`…)
/// and, for a malformed presigned URL, S3's status (400).
fn denied(d: &DecisionResult, request_id: &str) -> Response {
    let code = d.error_code.as_deref().unwrap_or("AccessDenied");
    let mut message = d.message.clone().unwrap_or_else(|| "Access Denied".into());
    if let Some(m) = &d.encoded_message {
        message.push_str(". Encoded authorization failure message: ");
        message.push_str(m);
    }
    let status = if code == "AuthorizationQueryParametersError" {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::FORBIDDEN
    };
    error_xml(status, code, &message, request_id)
}

fn unavailable(request_id: &str, message: &str) -> Response {
    error_xml(
        StatusCode::SERVICE_UNAVAILABLE,
        "ServiceUnavailable",
        message,
        request_id,
    )
}
