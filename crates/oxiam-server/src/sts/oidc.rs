//! The signing keys of OIDC issuers, for `AssumeRoleWithWebIdentity`: found through the
//! issuer's discovery document (`<issuer>/.well-known/openid-configuration` → `jwks_uri`,
//! OpenID Connect Discovery 1.0 §4) and cached per node.
//!
//! A cached key set is used for [`TTL`]; a token naming a key the set lacks (the issuer
//! rotated) refetches it, but at most once per [`REFETCH_INTERVAL`] per issuer, so tokens
//! with made-up `kid`s cannot turn oxiam into a load generator against the issuer. Times
//! are read from the STS clock, so tests move them with the dev-mode clock.
//!
//! Fetches are bounded by [`TIMEOUT`] and [`MAX_DOCUMENT_BYTES`]. Only plain HTTP is spoken,
//! and only to loopback issuers (local and test issuers, which have no certificate):
//! HTTPS issuers are reported as unreachable until a TLS client is added.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

use super::jwt::{Jwk, Jwks};

/// How long a fetched key set is used without asking the issuer again.
pub const TTL: i64 = 3600;
/// The least time between two fetches of one issuer's keys for an unknown `kid`.
pub const REFETCH_INTERVAL: i64 = 60;
/// Connect + request + response, per document.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents and key sets are a few KB; a larger answer is not one.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why an issuer's keys could not be had (`IDPCommunicationError`). Messages are for logs.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("issuer URL `{0}` is not one oxiam can fetch (plain HTTP to loopback only)")]
    Unsupported(String),
    #[error("fetching `{url}` failed: {reason}")]
    Http { url: String, reason: String },
    #[error("`{url}` did not answer 200 but {status}")]
    Status { url: String, status: u16 },
    #[error("`{url}` is not the expected JSON document: {reason}")]
    Document { url: String, reason: String },
    #[error("the fetch was not run on the server runtime")]
    NoRuntime,
}

/// The outcome of looking a key up.
#[derive(Debug)]
pub enum Lookup {
    Found(Box<Jwk>),
    /// The issuer's current key set has no such key.
    UnknownKey,
}

#[derive(Debug, Clone)]
struct Cached {
    keys: Arc<Jwks>,
    fetched_at: i64,
}

/// Key sets by issuer URL.
#[derive(Debug, Default)]
pub struct KeyCache {
    issuers: Mutex<HashMap<String, Cached>>,
}

impl KeyCache {
    /// The key `kid` of the issuer at `issuer_url`, fetched when not cached (or stale, or
    /// missing and the set may be refetched). Blocking: call from a blocking thread of the
    /// server runtime.
    pub fn key(&self, issuer_url: &str, kid: Option<&str>, now: i64) -> Result<Lookup, FetchError> {
        let cached = self
            .issuers
            .lock()
            .ok()
            .and_then(|m| m.get(issuer_url).cloned());
        if let Some(c) = &cached {
            let age = now.saturating_sub(c.fetched_at);
            if (0..TTL).contains(&age) {
                if let Some(k) = c.keys.find(kid) {
                    return Ok(Lookup::Found(Box::new(k.clone())));
                }
                if age < REFETCH_INTERVAL {
                    return Ok(Lookup::UnknownKey);
                }
            }
        }
        let keys = Arc::new(fetch_blocking(issuer_url)?);
        if let Ok(mut m) = self.issuers.lock() {
            m.insert(
                issuer_url.to_owned(),
                Cached {
                    keys: Arc::clone(&keys),
                    fetched_at: now,
                },
            );
        }
        Ok(match keys.find(kid) {
            Some(k) => Lookup::Found(Box::new(k.clone())),
            None => Lookup::UnknownKey,
        })
    }

    /// Forgets every cached key set (dev-mode reset).
    pub fn clear(&self) {
        if let Ok(mut m) = self.issuers.lock() {
            m.clear();
        }
    }
}

fn fetch_blocking(issuer_url: &str) -> Result<Jwks, FetchError> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| FetchError::NoRuntime)?;
    handle.block_on(fetch_keys(issuer_url))
}

/// Discovery document, then the key set it points to.
async fn fetch_keys(issuer_url: &str) -> Result<Jwks, FetchError> {
    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        issuer_url.trim_end_matches('/')
    );
    let discovery = get(&discovery_url).await?;
    let document = |reason: String| FetchError::Document {
        url: discovery_url.clone(),
        reason,
    };
    let doc: serde_json::Value =
        serde_json::from_slice(&discovery).map_err(|e| document(e.to_string()))?;
    let jwks_uri = doc
        .get("jwks_uri")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| document("no `jwks_uri`".to_owned()))?;
    let body = get(jwks_uri).await?;
    serde_json::from_slice(&body).map_err(|e| FetchError::Document {
        url: jwks_uri.to_owned(),
        reason: e.to_string(),
    })
}

/// Whether `host` (as in a URL authority, without port) is a loopback address.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// One HTTP/1.1 GET, bounded in time and size.
async fn get(url: &str) -> Result<Bytes, FetchError> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|_| FetchError::Unsupported(url.to_owned()))?;
    let host = uri.host().unwrap_or_default().to_owned();
    if uri.scheme_str() != Some("http") || !is_loopback(&host) {
        return Err(FetchError::Unsupported(url.to_owned()));
    }
    let port = uri.port_u16().unwrap_or(80);
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .unwrap_or_default();
    let path = uri
        .path_and_query()
        .map_or("/", hyper::http::uri::PathAndQuery::as_str)
        .to_owned();
    let http = |reason: String| FetchError::Http {
        url: url.to_owned(),
        reason,
    };
    let exchange = async {
        let connect_host = host.trim_start_matches('[').trim_end_matches(']');
        let stream = tokio::net::TcpStream::connect((connect_host, port))
            .await
            .map_err(|e| http(e.to_string()))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| http(e.to_string()))?;
        let driver = tokio::spawn(connection);
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::USER_AGENT, "oxiam")
            .body(Empty::<Bytes>::new())
            .map_err(|e| http(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| http(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            driver.abort();
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        let body = Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
            .collect()
            .await
            .map_err(|e| http(e.to_string()))?
            .to_bytes();
        driver.abort();
        Ok(body)
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| http("timed out".to_owned()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "localhost", "[::1]", "127.9.9.9"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["example.com", "10.0.0.1", "[2001:db8::1]"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn https_and_remote_issuers_are_not_fetched() {
        let cache = KeyCache::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        for url in ["https://127.0.0.1:1", "http://example.com"] {
            assert!(matches!(
                cache.key(url, None, 0),
                Err(FetchError::Unsupported(_))
            ));
        }
    }
}
