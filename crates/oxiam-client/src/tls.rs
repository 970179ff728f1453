//! HTTPS for the pool: rustls on ring, server certificates verified against Mozilla's roots
//! (webpki-roots) plus any CA the operator adds (`Client::with_ca_pem`, the guard's
//! `--oxiam-ca-file` / `--upstream-ca-file`), with the host name or IP address of the URL
//! checked against the certificate's subject alternative names.
//!
//! Why this matters: a service that asks oxiam for decisions over plain HTTP on a network
//! can be told `"allowed": true` by anyone who can rewrite the answer. Over HTTPS only the
//! holder of a certificate the client trusts can answer.
//!
//! [`client_config`] is also what oxiam-server uses to fetch OIDC issuers' keys.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::Error;

/// The ALPN protocol both sides speak: the pool is HTTP/1.1 only.
pub const ALPN_HTTP1: &[u8] = b"http/1.1";

/// The certificates of a PEM bundle (at least one), to trust as extra roots.
pub fn ca_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(format!("not a PEM certificate bundle: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Tls(
            "no certificate (-----BEGIN CERTIFICATE-----) in the CA bundle".to_owned(),
        ));
    }
    Ok(certs)
}

/// The TLS client settings: the Mozilla roots plus `extra`, TLS 1.2 and 1.3 (rustls's safe
/// defaults), ring as the crypto provider, ALPN `http/1.1`.
pub fn client_config(extra: &[CertificateDer<'static>]) -> Result<Arc<ClientConfig>, Error> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in extra {
        roots
            .add(cert.clone())
            .map_err(|e| Error::Tls(format!("unusable CA certificate: {e}")))?;
    }
    let mut config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP1.to_vec()];
    Ok(Arc::new(config))
}

/// Opens TLS sessions to one server, verifying its certificate for one name.
#[derive(Clone)]
pub struct Connector {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// A connector for `host` (a DNS name, an IPv4 address or a bracketed IPv6 address, as
    /// in a URL): the certificate must name it.
    pub fn new(config: Arc<ClientConfig>, host: &str) -> Result<Connector, Error> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare.to_owned())
            .map_err(|_| Error::Url(format!("`{host}` is not a host name TLS can verify")))?;
        Ok(Connector { config, name })
    }

    /// The TLS handshake over `tcp`. Fails when the server's certificate does not chain to
    /// a trusted root or does not name the host: the caller never talks to that server.
    pub async fn connect(&self, tcp: TcpStream) -> Result<TlsStream<TcpStream>, Error> {
        tokio_rustls::TlsConnector::from(Arc::clone(&self.config))
            .connect(self.name.clone(), tcp)
            .await
            .map_err(|e| Error::Tls(format!("{}: {e}", self.host())))
    }

    fn host(&self) -> String {
        match &self.name {
            ServerName::DnsName(d) => d.as_ref().to_owned(),
            ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
            other => format!("{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CA: &[u8] = include_bytes!("../../../tests/fixtures/tls/ca.pem");

    #[test]
    fn ca_bundles_need_a_certificate() {
        assert_eq!(ca_certificates(CA).unwrap().len(), 1);
        let err = ca_certificates(b"just text\n").unwrap_err().to_string();
        assert!(err.contains("no certificate"), "{err}");
        let key = include_bytes!("../../../tests/fixtures/tls/localhost.key");
        assert!(ca_certificates(key).is_err());
    }

    #[test]
    fn configs_speak_http1_and_trust_extra_roots() {
        let config = client_config(&ca_certificates(CA).unwrap()).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert!(Connector::new(Arc::clone(&config), "localhost").is_ok());
        assert!(Connector::new(Arc::clone(&config), "127.0.0.1").is_ok());
        assert!(Connector::new(Arc::clone(&config), "[::1]").is_ok());
        assert!(Connector::new(config, "not a host").is_err());
    }
}
