//! Endpoint URLs: `http://host[:port][/prefix]` or `https://host[:port][/prefix]`, split
//! into what the pool connects to and what the certificate must name.

use rustls::pki_types::CertificateDer;

use crate::Error;
use crate::pool::Pool;
use crate::tls;

/// A parsed endpoint URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://`: the pool speaks TLS and verifies the server's certificate.
    pub https: bool,
    /// `host:port`, the port made explicit (80 or 443 when the URL has none).
    pub authority: String,
    /// The host as written in the URL (IPv6 addresses keep their brackets).
    pub host: String,
    /// The path prefix, without a trailing `/` ("" for none).
    pub prefix: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, Error> {
        let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(Error::Url(format!(
                "`{url}`: only http:// and https:// URLs are supported"
            )));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        // The port follows the last `:` after any bracketed IPv6 address.
        let after_host = authority.rfind(']').map_or(0, |i| i.saturating_add(1));
        let (host, port) = match authority.get(after_host..).and_then(|t| t.rfind(':')) {
            Some(i) => authority.split_at(after_host.saturating_add(i)),
            None => (authority, ""),
        };
        if host.is_empty() {
            return Err(Error::Url(format!("`{url}` has no host")));
        }
        let port = match port.strip_prefix(':') {
            Some(p) => p
                .parse::<u16>()
                .map_err(|_| Error::Url(format!("`{url}` has a bad port")))?,
            None if https => 443,
            None => 80,
        };
        Ok(Endpoint {
            https,
            authority: format!("{host}:{port}"),
            host: host.to_owned(),
            prefix: path.trim_end_matches('/').to_owned(),
        })
    }

    /// A connection pool to this endpoint; over HTTPS, trusting the Mozilla roots plus
    /// `extra_roots`.
    pub fn pool(&self, extra_roots: &[CertificateDer<'static>]) -> Result<Pool, Error> {
        if !self.https {
            return Ok(Pool::new(&self.authority));
        }
        let connector = tls::Connector::new(tls::client_config(extra_roots)?, &self.host)?;
        Ok(Pool::with_tls(&self.authority, connector))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_scheme_authority_host_and_prefix() {
        let e = Endpoint::parse("https://iam.example.com/base/").unwrap();
        assert!(e.https);
        assert_eq!(e.authority, "iam.example.com:443");
        assert_eq!(e.host, "iam.example.com");
        assert_eq!(e.prefix, "/base");
        let e = Endpoint::parse("http://127.0.0.1:8461").unwrap();
        assert!(!e.https);
        assert_eq!(
            (e.authority.as_str(), e.prefix.as_str()),
            ("127.0.0.1:8461", "")
        );
        let e = Endpoint::parse("https://[::1]:9000/x").unwrap();
        assert_eq!(
            (e.authority.as_str(), e.host.as_str()),
            ("[::1]:9000", "[::1]")
        );
        assert_eq!(
            Endpoint::parse("http://[::1]").unwrap().authority,
            "[::1]:80"
        );
        for bad in ["ftp://h", "http:///x", "https://h:port", "h:1"] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }
}
