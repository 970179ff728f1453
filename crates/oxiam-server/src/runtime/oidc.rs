//! The signing keys of OIDC issuers, for `AssumeRoleWithWebIdentity`: found through the
//! issuer's discovery document (`<issuer>/.well-known/openid-configuration` → `jwks_uri`,
//! OpenID Connect Discovery 1.0 §4) and cached per node.
//!
//! A cached key set is used for [`TTL`]; a token naming a key the set lacks (the issuer
//! rotated) refetches it, but at most once per [`REFETCH_INTERVAL`] per issuer, so tokens
//! with made-up `kid`s cannot turn oxiam into a load generator against the issuer; an issuer
//! that failed to answer is not asked again for [`FAILURE_BACKOFF`]. Times
//! are read from the STS clock, so tests move them with the dev-mode clock.
//!
//! Fetches are bounded by [`TIMEOUT`] and [`MAX_DOCUMENT_BYTES`]. Issuers are fetched over
//! HTTPS (rustls, certificates checked against the Mozilla roots plus any the operator adds
//! with `--oidc-ca-file`); plain HTTP only to loopback issuers (local and test issuers).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt as _, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::model::jwt::{Jwk, Jwks};

/// How long a fetched key set is used without asking the issuer again.
pub const TTL: i64 = 3600;
/// The least time between two fetches of one issuer's keys for an unknown `kid`.
pub const REFETCH_INTERVAL: i64 = 60;
/// After a failed fetch, requests naming the issuer fail at once for this long rather than
/// each waiting out the timeout against an issuer that is down.
pub const FAILURE_BACKOFF: i64 = 10;
/// Connect + request + response, per document.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Discovery documents and key sets are a few KB; a larger answer is not one.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why an issuer's keys could not be had (`IDPCommunicationError`). Messages are for logs.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("issuer URL `{0}` is not one oxiam can fetch (https, or plain http to loopback)")]
    Unsupported(String),
    #[error("fetching `{url}` failed: {reason}")]
    Http { url: String, reason: String },
    #[error("`{url}` did not answer 200 but {status}")]
    Status { url: String, status: u16 },
    #[error("`{url}` is not the expected JSON document: {reason}")]
    Document { url: String, reason: String },
    #[error("`{0}` failed moments ago; not asked again yet")]
    Backoff(String),
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
#[derive(Default)]
pub struct KeyCache {
    issuers: Mutex<HashMap<String, Cached>>,
    /// When each issuer last failed to answer: no new attempt for [`FAILURE_BACKOFF`].
    failures: Mutex<HashMap<String, i64>>,
    /// Roots trusted besides the Mozilla ones (`--oidc-ca-file`), set once at start-up.
    extra_roots: OnceLock<Vec<CertificateDer<'static>>>,
    /// Built on first use.
    tls: OnceLock<Result<Arc<ClientConfig>, String>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").finish_non_exhaustive()
    }
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
        let failed_at = self
            .failures
            .lock()
            .ok()
            .and_then(|m| m.get(issuer_url).copied());
        if let Some(at) = failed_at
            && (0..FAILURE_BACKOFF).contains(&now.saturating_sub(at))
        {
            return Err(FetchError::Backoff(issuer_url.to_owned()));
        }
        let keys = match fetch_blocking(issuer_url, self.tls()) {
            Ok(keys) => Arc::new(keys),
            Err(e) => {
                if let Ok(mut m) = self.failures.lock() {
                    m.insert(issuer_url.to_owned(), now);
                }
                return Err(e);
            }
        };
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

    /// Trusts the certificates of the PEM bundle `pem` too, for issuers with a private CA.
    /// Call before the first fetch.
    pub fn trust_pem(&self, pem: &[u8]) -> Result<usize, String> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("not a PEM certificate bundle: {e}"))?;
        let n = certs.len();
        tls_config(&certs)?;
        self.extra_roots
            .set(certs)
            .map_err(|_| "the extra roots are already set".to_owned())?;
        Ok(n)
    }

    fn tls(&self) -> Option<&Arc<ClientConfig>> {
        self.tls
            .get_or_init(|| tls_config(self.extra_roots.get().map_or(&[], Vec::as_slice)))
            .as_ref()
            .ok()
    }

    /// Forgets every cached key set (dev-mode reset).
    pub fn clear(&self) {
        if let Ok(mut m) = self.issuers.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.failures.lock() {
            m.clear();
        }
    }
}

fn fetch_blocking(issuer_url: &str, tls: Option<&Arc<ClientConfig>>) -> Result<Jwks, FetchError> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| FetchError::NoRuntime)?;
    handle.block_on(fetch_keys(issuer_url, tls))
}

/// Discovery document, then the key set it points to.
async fn fetch_keys(issuer_url: &str, tls: Option<&Arc<ClientConfig>>) -> Result<Jwks, FetchError> {
    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        issuer_url.trim_end_matches('/')
    );
    let discovery = get(&discovery_url, tls).await?;
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
    let body = get(jwks_uri, tls).await?;
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

/// The TLS client settings: the Mozilla roots (webpki-roots) plus the operator's extra
/// roots (`--oidc-ca-file`), ring as the crypto provider.
fn tls_config(extra: &[CertificateDer<'static>]) -> Result<Arc<ClientConfig>, String> {
    oxiam_client::tls::client_config(extra).map_err(|e| e.to_string())
}

/// One HTTP/1.1 GET, bounded in time and size: `https://` to any host (certificate
/// verified against the trusted roots), plain `http://` to loopback hosts only.
async fn get(url: &str, tls: Option<&Arc<ClientConfig>>) -> Result<Bytes, FetchError> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|_| FetchError::Unsupported(url.to_owned()))?;
    let host = uri.host().unwrap_or_default().to_owned();
    let secure = match uri.scheme_str() {
        Some("https") => true,
        Some("http") if is_loopback(&host) => false,
        _ => return Err(FetchError::Unsupported(url.to_owned())),
    };
    let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
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
        let request = hyper::Request::get(path)
            .header(hyper::header::HOST, authority)
            .header(hyper::header::ACCEPT, "application/json")
            .header(hyper::header::USER_AGENT, "oxiam")
            .body(Empty::<Bytes>::new())
            .map_err(|e| http(e.to_string()))?;
        if !secure {
            return exchange(TokioIo::new(stream), request, url).await;
        }
        let config = tls.ok_or_else(|| http("no TLS client configuration".to_owned()))?;
        let name =
            ServerName::try_from(connect_host.to_owned()).map_err(|e| http(e.to_string()))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::clone(config))
            .connect(name, stream)
            .await
            .map_err(|e| http(format!("TLS: {e}")))?;
        exchange(TokioIo::new(stream), request, url).await
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| http("timed out".to_owned()))?
}

/// Sends `request` on a fresh connection over `io` and reads a 200 answer's body.
async fn exchange<T>(
    io: TokioIo<T>,
    request: hyper::Request<Empty<Bytes>>,
    url: &str,
) -> Result<Bytes, FetchError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let http = |reason: String| FetchError::Http {
        url: url.to_owned(),
        reason,
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| http(e.to_string()))?;
    let driver = tokio::spawn(connection);
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| http(e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        Ok(Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
            .collect()
            .await
            .map_err(|e| http(e.to_string()))?
            .to_bytes())
    }
    .await;
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runtime to enter: `KeyCache::key` fetches on the current one, and without one
    /// fails with `NoRuntime` before the checks under test.
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

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
    fn a_failed_issuer_is_not_asked_again_at_once() {
        let cache = KeyCache::default();
        let rt = runtime();
        let _guard = rt.enter();
        let url = "http://example.com";
        assert!(matches!(
            cache.key(url, None, 100),
            Err(FetchError::Unsupported(_))
        ));
        assert!(matches!(
            cache.key(url, None, 100 + FAILURE_BACKOFF - 1),
            Err(FetchError::Backoff(_))
        ));
        assert!(matches!(
            cache.key(url, None, 100 + FAILURE_BACKOFF),
            Err(FetchError::Unsupported(_))
        ));
    }

    #[test]
    fn remote_plain_http_issuers_are_not_fetched() {
        let cache = KeyCache::default();
        let rt = runtime();
        let _guard = rt.enter();
        for url in ["http://example.com", "ftp://127.0.0.1"] {
            assert!(matches!(
                cache.key(url, None, 0),
                Err(FetchError::Unsupported(_))
            ));
        }
    }
}
