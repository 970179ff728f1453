//! oxiam-client: a small client for oxiam's authorization API, for services that decide
//! in-process whether to serve a request their client signed with SigV4.
//!
//! ```no_run
//! # async fn demo() -> Result<(), oxiam_client::Error> {
//! use oxiam_client::{Client, Credentials, DecisionRequest};
//! let client = Client::new(
//!     "http://127.0.0.1:8461",
//!     Credentials::new("AKIA…", "secret…", None),
//!     "us-east-1",
//! )?;
//! let mut question = DecisionRequest::default();
//! question.action = "myapp:GetFile".into();
//! question.resource = "arn:aws:myapp:::file/song.mp3".into();
//! // question.request = the client's method, path, query, headers and body hash.
//! let answers = client.decide(vec![question]).await?;
//! if answers.first().is_some_and(|a| a.allowed) { /* serve */ }
//! # Ok(()) }
//! ```
//!
//! Map:
//! - [`Client`]: signs each call with the service's own credentials (signing name
//!   `oxiam`, [`oxiam_sigv4::sign`]) and sends it over a keep-alive pool ([`pool`]) to an
//!   `http://` or `https://` [`endpoint`].
//! - [`tls`]: HTTPS, verified against Mozilla's roots plus the CAs of
//!   [`Client::with_ca_pem`]. Use it whenever the network between the service and oxiam is
//!   not trusted: over plain HTTP anyone who can rewrite the answer can turn a denial into
//!   `"allowed": true`.
//! - The decision cache: answers are kept for a few seconds (`Client::with_cache_ttl`),
//!   keyed by the SHA-256 of the whole question as sent — the client's method, path,
//!   query, every header (so its signature, key and session token), body hash, action,
//!   resource, resource policy, tags, context and source IP. A cached answer is therefore
//!   only ever reused for the very same signed request: it never crosses credentials,
//!   and it never lets a different request in. A replay of the same signed request within
//!   the TTL gets the answer oxiam would have given anyway (oxiam accepts a signature for
//!   its whole 15-minute window); the TTL bounds how long after a policy change or the
//!   end of the window a cached answer may still be used.
//! - [`Client::who_can`]: who can perform an action on a resource (signed for `iam`).
//! - Types of the API: re-exported from `oxiam_protocol::authorization`.

pub mod endpoint;
pub mod pool;
pub mod tls;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
pub use oxiam_protocol::authorization::{
    ClientRequest, DecisionPrincipal, DecisionReason, DecisionRequest, DecisionResult,
    DecisionsRequest, DecisionsResponse, ErrorBody, MAX_BATCH, PATH, REPORT_ONLY_DENY,
    SIGNING_NAME, WHO_CAN_PATH, WHO_CAN_SIGNING_NAME, WhoCanCondition, WhoCanHop, WhoCanPath,
    WhoCanPrincipal, WhoCanRequest, WhoCanResponse, WhoCanStatement,
};
use oxiam_sigv4::{SecretAccessKey, SigningParams};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use endpoint::Endpoint;
pub use pool::Pool;

/// How long a decision call may take before it fails: oxiam answers in well under a
/// millisecond, so this only ever fires on a hung server or network.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Cached answers kept at most; past this the cache starts over.
const CACHE_CAPACITY: usize = 65_536;

/// What can go wrong calling the API. Denials are not errors: they are answers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad URL: {0}")]
    Url(String),
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    #[error("TLS: {0}")]
    Tls(String),
    #[error("building the request: {0}")]
    Request(String),
    #[error("the authorization API answered {status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the authorization API answered something that is not a decision: {0}")]
    Json(#[from] serde_json::Error),
    #[error("signing: {0}")]
    Sign(#[from] oxiam_sigv4::Error),
    /// Connecting (TCP, TLS and HTTP handshakes) or an answer took longer than allowed: a
    /// black-holed or hung peer must not hold a request forever.
    #[error("{0} took longer than {1:?}")]
    Timeout(&'static str, Duration),
}

/// The service's own oxiam credentials (a long-term key or temporary credentials).
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret: SecretAccessKey,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn new(access_key_id: &str, secret: &str, session_token: Option<&str>) -> Credentials {
        Credentials {
            access_key_id: access_key_id.to_owned(),
            secret: SecretAccessKey::new(secret),
            session_token: session_token.map(str::to_owned),
        }
    }

    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`.
    pub fn from_env() -> Option<Credentials> {
        let key = std::env::var("AWS_ACCESS_KEY_ID").ok()?;
        let secret = std::env::var("AWS_SECRET_ACCESS_KEY").ok()?;
        let token = std::env::var("AWS_SESSION_TOKEN").ok();
        Some(Credentials::new(&key, &secret, token.as_deref()))
    }
}

/// A client of one oxiam endpoint.
#[derive(Debug)]
pub struct Client {
    endpoint: Endpoint,
    pool: Pool,
    path: String,
    credentials: Credentials,
    region: String,
    ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (Instant, DecisionResult)>>,
}

impl Client {
    /// A client of the oxiam at `endpoint` (`http://host:port` or `https://host[:port]`,
    /// the certificate verified against Mozilla's roots), signing as `credentials` for
    /// `region`. Answers are cached for 5 seconds by default.
    pub fn new(endpoint: &str, credentials: Credentials, region: &str) -> Result<Client, Error> {
        let endpoint = Endpoint::parse(endpoint)?;
        Ok(Client {
            pool: endpoint.pool(&[])?.with_response_timeout(ANSWER_TIMEOUT),
            path: format!("{}{PATH}", endpoint.prefix),
            endpoint,
            credentials,
            region: region.to_owned(),
            ttl: Duration::from_secs(5),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Trusts the CA certificates of the PEM bundle `pem` too (a private CA), besides
    /// Mozilla's roots. Only for `https://` endpoints: on plain HTTP there is nothing to
    /// verify, and asking for it is a configuration mistake.
    pub fn with_ca_pem(mut self, pem: &[u8]) -> Result<Client, Error> {
        if !self.endpoint.https {
            return Err(Error::Url(
                "a CA bundle was given for an http:// endpoint (use https://)".to_owned(),
            ));
        }
        self.pool = self.endpoint.pool(&tls::ca_certificates(pem)?)?;
        Ok(self)
    }

    /// Sets how long answers are reused; zero turns the cache off.
    #[must_use]
    pub fn with_cache_ttl(mut self, ttl: Duration) -> Client {
        self.ttl = ttl;
        self
    }

    /// Asks for decisions (any number: calls carry at most [`MAX_BATCH`] each). Answers
    /// come back in the order asked.
    pub async fn decide(
        &self,
        questions: Vec<DecisionRequest>,
    ) -> Result<Vec<DecisionResult>, Error> {
        let mut answers: Vec<Option<DecisionResult>> = Vec::with_capacity(questions.len());
        let mut missing: Vec<(usize, [u8; 32], DecisionRequest)> = Vec::new();
        let now = Instant::now();
        for (i, q) in questions.into_iter().enumerate() {
            // Without a cache the key is not needed: hashing the question costs a JSON
            // encoding of it.
            let key = if self.ttl.is_zero() {
                [0; 32]
            } else {
                cache_key(&q)?
            };
            let hit = if self.ttl.is_zero() {
                None
            } else {
                self.cache.lock().ok().and_then(|c| {
                    c.get(&key)
                        .filter(|(at, _)| now.duration_since(*at) < self.ttl)
                        .map(|(_, r)| r.clone())
                })
            };
            if hit.is_none() {
                missing.push((i, key, q));
            }
            answers.push(hit);
        }
        let mut pending = missing.into_iter().peekable();
        while pending.peek().is_some() {
            let chunk: Vec<(usize, [u8; 32], DecisionRequest)> =
                pending.by_ref().take(MAX_BATCH).collect();
            let (slots, rest): (Vec<(usize, [u8; 32])>, Vec<DecisionRequest>) =
                chunk.into_iter().map(|(i, k, q)| ((i, k), q)).unzip();
            let results = self.call(DecisionsRequest { decisions: rest }).await?;
            if results.len() != slots.len() {
                return Err(Error::Request(format!(
                    "asked {} decisions, got {}",
                    slots.len(),
                    results.len()
                )));
            }
            let at = Instant::now();
            for ((i, key), r) in slots.into_iter().zip(results) {
                if !self.ttl.is_zero()
                    && let Ok(mut c) = self.cache.lock()
                {
                    if c.len() >= CACHE_CAPACITY {
                        c.clear();
                    }
                    c.insert(key, (at, r.clone()));
                }
                if let Some(slot) = answers.get_mut(i) {
                    *slot = Some(r);
                }
            }
        }
        Ok(answers.into_iter().flatten().collect())
    }

    /// One signed call, without the cache.
    pub async fn call(&self, body: DecisionsRequest) -> Result<Vec<DecisionResult>, Error> {
        let json = serde_json::to_vec(&body)?;
        let body = self.post(&self.path, SIGNING_NAME, json).await?;
        let answer: DecisionsResponse = serde_json::from_slice(&body)?;
        Ok(answer.decisions)
    }

    /// Which principals of the credentials' account can perform `action` on `resource`
    /// (`POST /authorization/v1/who-can`, signed for `iam`; the credentials need
    /// `iam:GetAccountAuthorizationDetails`).
    pub async fn who_can(&self, question: &WhoCanRequest) -> Result<WhoCanResponse, Error> {
        let json = serde_json::to_vec(question)?;
        let path = format!("{}{WHO_CAN_PATH}", self.endpoint.prefix);
        let body = self.post(&path, WHO_CAN_SIGNING_NAME, json).await?;
        Ok(serde_json::from_slice(&body)?)
    }

    /// POSTs `json` to `path`, signed for `service`; the body of a 200 answer, or the
    /// API's JSON error.
    async fn post(&self, path: &str, service: &str, json: Vec<u8>) -> Result<Bytes, Error> {
        let host = self.pool.authority().to_owned();
        let unsigned = [
            ("host", host.as_str()),
            ("content-type", "application/json"),
        ];
        let view = oxiam_sigv4::HttpRequest {
            method: "POST",
            path,
            query: "",
            headers: &unsigned,
            body: &json,
        };
        let params = SigningParams {
            access_key_id: &self.credentials.access_key_id,
            secret: &self.credentials.secret,
            region: &self.region,
            service,
            timestamp: OffsetDateTime::now_utc(),
            session_token: self.credentials.session_token.as_deref(),
        };
        let added = oxiam_sigv4::sign(&view, &params)?;
        let body = Bytes::from(json);
        let request = || {
            let mut builder = hyper::Request::builder().method("POST").uri(path);
            for (k, v) in unsigned {
                builder = builder.header(k, v);
            }
            for (k, v) in &added {
                builder = builder.header(*k, v.as_str());
            }
            builder
                .body(Full::new(body.clone()))
                .map_err(|e| Error::Request(e.to_string()))
        };
        // A kept-alive connection the server closed meanwhile fails the first send; asking
        // again is safe (neither call changes anything) and goes out on a fresh connection.
        let resp = match self.pool.send(request()?).await {
            Err(Error::Http(_) | Error::Io(_)) => self.pool.send(request()?).await?,
            other => other?,
        };
        let status = resp.status().as_u16();
        let body = resp.into_body();
        if status != 200 {
            let (code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(e) => (e.error.code, e.error.message),
                Err(_) => (String::new(), String::from_utf8_lossy(&body).into_owned()),
            };
            return Err(Error::Api {
                status,
                code,
                message,
            });
        }
        Ok(body)
    }
}

/// SHA-256 of the whole question as it would be sent.
fn cache_key(q: &DecisionRequest) -> Result<[u8; 32], Error> {
    let json = serde_json::to_vec(q)?;
    Ok(Sha256::digest(&json).into())
}

/// The SHA-256 (hex) of a body, as `ClientRequest::body_sha256` wants it.
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_key_covers_the_signature_and_everything_else() {
        let mut a = DecisionRequest::default();
        a.request
            .headers
            .push(("authorization".into(), "sig-1".into()));
        let mut b = a.clone();
        assert_eq!(cache_key(&a).unwrap(), cache_key(&b).unwrap());
        b.request.headers[0].1 = "sig-2".into();
        assert_ne!(cache_key(&a).unwrap(), cache_key(&b).unwrap());
        let mut c = a.clone();
        c.source_ip = Some("10.0.0.1".into());
        assert_ne!(cache_key(&a).unwrap(), cache_key(&c).unwrap());
        assert!(!format!("{:?}", Credentials::new("AKIA", "very-secret", None)).contains("very"));
    }
}
