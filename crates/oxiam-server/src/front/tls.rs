//! HTTPS listeners, for `oxiam serve --tls-cert/--tls-key` and the guard's own listener.
//!
//! - [`server_config`]: the certificate chain and private key from PEM files, TLS 1.2 and
//!   1.3 (rustls's safe defaults, ring), ALPN `http/1.1`. Errors name the file and what is
//!   wrong with it, never the key's content.
//! - [`TlsListener`]: an axum listener that accepts TCP connections and hands over only
//!   those whose TLS handshake succeeded, with the peer's address (so `aws:SourceIp` and
//!   `ConnectInfo` see the real client). Handshakes run in tasks of their own, bounded by
//!   [`HANDSHAKE_TIMEOUT`]: a client that connects and stays silent holds no one else up.
//! - [`Tls`]: the request extension that says the connection was TLS (the console's
//!   session cookie is then `Secure`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// Time a client has to complete the handshake after connecting.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at most; past this, accepting waits for some to finish.
pub const MAX_PENDING_HANDSHAKES: usize = 1024;

/// Why the certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the {what} file {}: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a PEM certificate chain: {reason}", path.display())]
    BadCertificate { path: PathBuf, reason: String },
    #[error("{}: no certificate (-----BEGIN CERTIFICATE-----) in the file", path.display())]
    NoCertificate { path: PathBuf },
    // The key file's content stays out of messages and logs: only its path is named.
    #[error(
        "{}: no usable private key (PEM PKCS#8, PKCS#1 or SEC1: -----BEGIN PRIVATE KEY-----)",
        path.display()
    )]
    NoKey { path: PathBuf },
    #[error("the certificate and key cannot be used together: {0}")]
    Rejected(String),
}

/// The server's TLS settings from a PEM certificate chain (leaf first) and its private key.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let read = |what, path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Read {
            what,
            path: path.to_owned(),
            source,
        })
    };
    let cert_pem = read("certificate", cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::BadCertificate {
            path: cert.to_owned(),
            reason: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert.to_owned(),
        });
    }
    let key_pem = zeroize::Zeroizing::new(read("private key", key)?);
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| TlsError::NoKey {
        path: key.to_owned(),
    })?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Rejected(e.to_string()))?
            .with_no_client_auth()
            // Also checks that the key is the certificate's (rustls compares the public keys).
            .with_single_cert(chain, key_der)
            .map_err(|e| TlsError::Rejected(e.to_string()))?;
    config.alpn_protocols = vec![oxiam_client::tls::ALPN_HTTP1.to_vec()];
    Ok(Arc::new(config))
}

/// Marks requests that came over TLS (an axum `Extension`).
#[derive(Debug, Clone, Copy)]
pub struct Tls;

/// A TCP listener that yields TLS sessions (see the module docs).
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    handshakes: JoinSet<Option<(TlsStream<TcpStream>, SocketAddr)>>,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("tcp", &self.tcp)
            .field("handshakes", &self.handshakes.len())
            .finish_non_exhaustive()
    }
}

impl TlsListener {
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> TlsListener {
        TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(config),
            handshakes: JoinSet::new(),
        }
    }

    fn start_handshake(&mut self, stream: TcpStream, peer: SocketAddr) {
        let acceptor = self.acceptor.clone();
        self.handshakes.spawn(async move {
            let _ = stream.set_nodelay(true);
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => Some((tls, peer)),
                // Plain HTTP on the TLS port, clients that distrust the certificate, scans:
                // the client's problem, not the server's, so not worth more than debug.
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    None
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    None
                }
            }
        });
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let room = self.handshakes.len() < MAX_PENDING_HANDSHAKES;
            tokio::select! {
                accepted = self.tcp.accept(), if room => match accepted {
                    Ok((stream, peer)) => self.start_handshake(stream, peer),
                    Err(e) => accept_error(e).await,
                },
                Some(done) = self.handshakes.join_next() => {
                    if let Ok(Some(session)) = done {
                        return session;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// As axum's TCP listener does: a connection that died before it was accepted is nothing;
/// anything else (out of file descriptors…) is logged and waited out.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/tls")
            .join(name)
    }

    #[test]
    fn the_fixture_certificate_and_key_load() {
        let config = server_config(&fixture("localhost.pem"), &fixture("localhost.key")).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn bad_files_say_which_and_why_without_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "SECRET-MATERIAL not pem\n").unwrap();
        let cert = fixture("localhost.pem");
        let key = fixture("localhost.key");

        let err = server_config(&dir.path().join("missing.pem"), &key).unwrap_err();
        assert!(
            matches!(
                err,
                TlsError::Read {
                    what: "certificate",
                    ..
                }
            ),
            "{err}"
        );
        let err = server_config(&junk, &key).unwrap_err();
        assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
        let err = server_config(&cert, &junk).unwrap_err();
        assert!(matches!(err, TlsError::NoKey { .. }), "{err}");
        assert!(!err.to_string().contains("SECRET"), "{err}");
        // A key that is not the certificate's.
        let other_key = dir.path().join("other.key");
        std::fs::write(&other_key, OTHER_KEY).unwrap();
        let err = server_config(&cert, &other_key).unwrap_err();
        assert!(matches!(err, TlsError::Rejected(_)), "{err}");
        // A key file given as the certificate: no certificate, and no key bytes echoed.
        let err = server_config(&key, &key).unwrap_err();
        assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
    }

    /// Serves `peer-ip tls?` over HTTPS with the fixture certificate; the bound address.
    async fn echo_server() -> SocketAddr {
        use axum::Extension;
        use axum::extract::ConnectInfo;
        use axum::serve::ListenerExt as _;
        let config = server_config(&fixture("localhost.pem"), &fixture("localhost.key")).unwrap();
        let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let app =
            axum::Router::new()
                .route(
                    "/",
                    axum::routing::get(
                        |ConnectInfo(peer): ConnectInfo<SocketAddr>,
                         tls: Option<Extension<Tls>>| async move {
                            format!("{} {}", peer.ip(), tls.is_some())
                        },
                    ),
                )
                .layer(Extension(Tls));
        let server = axum::serve(
            TlsListener::new(tcp, config).tap_io(|_| {}),
            app.into_make_service_with_connect_info::<SocketAddr>(),
        );
        tokio::spawn(async move { server.await });
        addr
    }

    /// A GET of `/` through oxiam-client's pool to `addr`, verifying the certificate for
    /// `host` against the Mozilla roots plus `ca` (a fixture file).
    async fn get(
        addr: SocketAddr,
        host: &str,
        ca: Option<&str>,
    ) -> Result<String, oxiam_client::Error> {
        use http_body_util::Full;
        use hyper::body::Bytes;
        let extra = match ca {
            Some(f) => oxiam_client::tls::ca_certificates(&std::fs::read(fixture(f)).unwrap())?,
            None => Vec::new(),
        };
        let endpoint = oxiam_client::Endpoint {
            https: true,
            authority: addr.to_string(),
            host: host.to_owned(),
            prefix: String::new(),
        };
        let request = hyper::Request::get("/")
            .header("host", host)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = endpoint.pool(&extra)?.send(request).await?;
        Ok(String::from_utf8_lossy(resp.body()).into_owned())
    }

    #[tokio::test]
    async fn clients_get_through_only_with_the_ca_and_a_name_the_certificate_holds() {
        let addr = echo_server().await;
        // The peer address and the TLS mark reach the handlers.
        assert_eq!(
            get(addr, "localhost", Some("ca.pem")).await.unwrap(),
            "127.0.0.1 true"
        );
        assert_eq!(
            get(addr, "127.0.0.1", Some("ca.pem")).await.unwrap(),
            "127.0.0.1 true"
        );
        // Denials: a name the certificate does not hold, an unrelated CA, no extra CA.
        for (host, ca) in [
            ("oxiam.example", Some("ca.pem")),
            ("127.0.0.2", Some("ca.pem")),
            ("localhost", Some("other-ca.pem")),
            ("localhost", None),
        ] {
            let err = get(addr, host, ca).await.unwrap_err();
            assert!(
                matches!(err, oxiam_client::Error::Tls(_)),
                "{host} {ca:?}: {err}"
            );
        }
        // Plain HTTP to the TLS port gets no HTTP answer; TLS clients are still served.
        let plain = oxiam_client::Pool::new(&addr.to_string());
        let request = hyper::Request::get("/")
            .header("host", "localhost")
            .body(http_body_util::Full::new(hyper::body::Bytes::new()))
            .unwrap();
        assert!(plain.send(request).await.is_err());
        assert!(get(addr, "localhost", Some("ca.pem")).await.is_ok());
    }

    /// A P-256 key that no fixture certificate holds (test only).
    const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgRazN0XFXZoIn5iAN
OhlHIczN+fhwytDrlqobgMomn6ahRANCAARAQ0bAnqtyqjX2qvbzCvT+2JLPhUW7
Xl0lVcz2p41fm3dEsb8jh94WsuNBvh+WR4F4uA5shU3MfDSo0ZX2FmSr
-----END PRIVATE KEY-----
";
}
