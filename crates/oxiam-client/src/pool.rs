//! A minimal HTTP/1.1 keep-alive connection pool (hyper's connection API) over plain TCP,
//! or over TLS when made with [`Pool::with_tls`] (see [`crate::tls`]): enough for a service
//! talking to oxiam, or the guard to its upstream.

use std::sync::Mutex;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::Error;
use crate::tls::Connector;

/// Idle connections kept per pool; more are closed after use.
const MAX_IDLE: usize = 64;

/// Connections to one `host:port`.
#[derive(Debug)]
pub struct Pool {
    authority: String,
    /// `Some`: every connection is TLS, verified by this connector.
    tls: Option<Connector>,
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
}

/// An `http://host:port[/…]` URL split into its authority and path prefix.
pub fn split_http_url(url: &str) -> Result<(String, String), Error> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::Url(format!("`{url}`: only http:// URLs are supported")))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() {
        return Err(Error::Url(format!("`{url}` has no host")));
    }
    Ok((authority.to_owned(), path.trim_end_matches('/').to_owned()))
}

impl Pool {
    /// A pool for `authority` (`host:port`).
    pub fn new(authority: &str) -> Pool {
        Pool {
            authority: authority.to_owned(),
            tls: None,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// A pool for `authority` whose connections are TLS sessions opened by `tls`.
    pub fn with_tls(authority: &str, tls: Connector) -> Pool {
        Pool {
            tls: Some(tls),
            ..Pool::new(authority)
        }
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, Error> {
        let stream = TcpStream::connect(&self.authority).await?;
        stream.set_nodelay(true)?;
        match &self.tls {
            None => handshake(stream).await,
            Some(tls) => handshake(tls.connect(stream).await?).await,
        }
    }

    fn take_idle(&self) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(s) = idle.pop() {
            if !s.is_closed() {
                return Some(s);
            }
        }
        None
    }

    fn put_idle(&self, sender: SendRequest<Full<Bytes>>) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(sender);
        }
    }

    /// Sends `req` on an idle connection (or a new one) and reads the whole response.
    /// A request that fails on a reused connection (closed by the peer meanwhile) is not
    /// retried: the caller decides, since not every request is idempotent.
    pub async fn send(
        &self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<Bytes>, Error> {
        let mut sender = match self.take_idle() {
            Some(s) => s,
            None => self.connect().await?,
        };
        sender.ready().await?;
        let resp = sender.send_request(req).await?;
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await?.to_bytes();
        let keep = !parts
            .headers
            .get(hyper::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if keep {
            self.put_idle(sender);
        }
        Ok(hyper::Response::from_parts(parts, bytes))
    }
}

/// HTTP/1.1 over `io`, the connection driven by a task of its own.
async fn handshake<T>(io: T) -> Result<SendRequest<Full<Bytes>>, Error>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::handshake(TokioIo::new(io)).await?;
    tokio::spawn(async move {
        // The connection ends when either side closes it; nothing to report.
        let _ = conn.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_authority_and_prefix() {
        assert_eq!(
            split_http_url("http://127.0.0.1:8461").unwrap(),
            ("127.0.0.1:8461".to_owned(), String::new())
        );
        assert_eq!(
            split_http_url("http://h:1/base/").unwrap(),
            ("h:1".to_owned(), "/base".to_owned())
        );
        assert!(split_http_url("https://h").is_err());
        assert!(split_http_url("http:///x").is_err());
    }
}
