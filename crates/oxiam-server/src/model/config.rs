//! Server configuration, as the `oxiam serve` command line builds it.

use std::net::SocketAddr;
use std::path::PathBuf;

/// The port oxiam listens on by default (documented in the README and `--help`).
pub const DEFAULT_PORT: u16 = 8461;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Where the SQLite database and the key-encryption key live. `None` with `dev`: memory.
    pub data_dir: Option<PathBuf>,
    /// A PostgreSQL URL (`postgres://…?schema=…`, see `oxiam_store::postgres`): the shared
    /// store of several nodes, used instead of `data_dir`'s SQLite file. Needs `kek_base64`,
    /// the same on every node.
    pub store_url: Option<String>,
    /// Base64 key-encryption key given by env/config instead of `<data_dir>/kek`.
    pub kek_base64: Option<String>,
    /// Local emulator mode: unknown access keys act as an account's root; reset endpoint.
    pub dev: bool,
    /// The account unknown keys map to in dev mode, and the ID of the default account
    /// created on first start (random when not given).
    pub default_account: Option<String>,
    /// Root credentials for the default account on first start (random when not given).
    pub root_access_key_id: Option<String>,
    pub root_secret_access_key: Option<String>,
    /// The root's console password on first start (random, and printed, when not given).
    pub root_password: Option<String>,
    pub quotas: crate::model::quotas::Quotas,
    /// The URL clients reach this server at (`https://iam.example.com`), for the issuer
    /// URLs of outbound web identity tokens. `None`: `http(s)://<bound listen address>`.
    pub public_url: Option<String>,
    /// PEM certificates trusted (besides the Mozilla roots) when fetching OIDC issuers'
    /// keys over HTTPS: for issuers with a private CA.
    pub oidc_ca_file: Option<PathBuf>,
    /// The listener serves HTTPS (`--tls-cert`): the default public URL is then https://.
    pub https: bool,
    /// Where the authorization API's decision log goes (`decisions.jsonl` in it). `None`:
    /// `<data_dir>/audit`, or no file without a data directory (a PostgreSQL node).
    pub audit_dir: Option<PathBuf>,
    /// How long the access advisor keeps what users and roles attempted, in days (AWS
    /// reports at least 400). 0: nothing is recorded.
    pub access_retention_days: u32,
    /// Files of custom services (`myapp:GetFile`) in the AWS service catalogue's JSON form,
    /// added beside AWS's services at start-up (see `App::catalogue`).
    pub service_catalogues: Vec<PathBuf>,
}

/// The access advisor's default retention: AWS's tracking period.
pub const DEFAULT_ACCESS_RETENTION_DAYS: u32 = 400;

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            data_dir: None,
            store_url: None,
            kek_base64: None,
            dev: false,
            default_account: None,
            root_access_key_id: None,
            root_secret_access_key: None,
            root_password: None,
            quotas: crate::model::quotas::Quotas::default(),
            public_url: None,
            oidc_ca_file: None,
            https: false,
            audit_dir: None,
            access_retention_days: DEFAULT_ACCESS_RETENTION_DAYS,
            service_catalogues: Vec::new(),
        }
    }
}
