//! A minimal HTTP/1.1 keep-alive connection pool (hyper's connection API) over plain TCP,
//! or over TLS when made with [`Pool::with_tls`] (see [`crate::tls`]): enough for a service
//! talking to oxiam, or the guard to its upstream.
//!
//! Each connection is driven by the task that sends on it (its hyper `Connection` is polled
//! together with the response), not by a task of its own: a request then costs no wakeup
//! of another task (often on another thread) to write it and none to hand the response
//! back, which on a small machine is most of the latency of a loopback call. An idle
//! connection is polled once when taken from the pool, so one the peer closed meanwhile
//! is dropped then.
//!
//! Opening a connection is limited to 5 s and, when the owner asks
//! ([`Pool::with_response_timeout`]; the decision client does, with 10 s), so is each
//! exchange: a black-holed or hung peer fails the request instead of holding it forever.

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::Error;
use crate::tls::Connector;

/// Idle connections kept per pool; more are closed after use.
const MAX_IDLE: usize = 64;

/// How long opening a connection (TCP, TLS, HTTP/1.1 handshakes) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One HTTP/1.1 connection: the request side and the connection state machine, which only
/// makes progress while the task using it polls it ([`drive`]).
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    conn: Connection<TokioIo<Box<dyn Io>>, Full<Bytes>>,
}

/// A connection's byte stream: TCP, or a TLS session over it. Boxed because a request's
/// cost is dominated by the loopback round trip, not by one indirect call per read.
trait Io: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Io for T {}

/// Connections to one `host:port`.
pub struct Pool {
    authority: String,
    /// `Some`: every connection is TLS, verified by this connector.
    tls: Option<Connector>,
    connect_timeout: Duration,
    /// `Some`: a whole exchange (sending, the response and its body) may take this long.
    response_timeout: Option<Duration>,
    idle: Mutex<Vec<Conn>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("authority", &self.authority)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
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

/// Runs `work` (which uses `conn`'s sender) while polling `conn` itself. `Ok(None)`: the
/// connection ended before `work` finished (the peer closed it).
async fn drive<T>(
    conn: &mut Connection<TokioIo<Box<dyn Io>>, Full<Bytes>>,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<(T, bool), Error> {
    let mut work = pin!(work);
    let mut ended = false;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(r) = work.as_mut().poll(cx) {
            return Poll::Ready(r.map(|t| (t, ended)));
        }
        if !ended {
            match conn.poll_without_shutdown(cx) {
                Poll::Pending => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Http(e))),
                Poll::Ready(Ok(())) => {
                    ended = true;
                    // The dispatcher has answered any request it held (with its response
                    // or an error): `work` can finish now, or never will.
                    if let Poll::Ready(r) = work.as_mut().poll(cx) {
                        return Poll::Ready(r.map(|t| (t, true)));
                    }
                    return Poll::Ready(Err(Error::Io(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the connection closed before the response",
                    ))));
                }
            }
        }
        Poll::Pending
    })
    .await
}

impl Pool {
    /// A pool for `authority` (`host:port`).
    pub fn new(authority: &str) -> Pool {
        Pool {
            authority: authority.to_owned(),
            tls: None,
            connect_timeout: CONNECT_TIMEOUT,
            response_timeout: None,
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

    /// Limits how long opening a connection may take (default 5 s).
    #[must_use]
    pub fn with_connect_timeout(mut self, limit: Duration) -> Pool {
        self.connect_timeout = limit;
        self
    }

    /// Limits how long one exchange may take once connected (default: no limit, since an
    /// upstream may legitimately be slow). The connection is dropped when it fires.
    #[must_use]
    pub fn with_response_timeout(mut self, limit: Duration) -> Pool {
        self.response_timeout = Some(limit);
        self
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    async fn connect(&self) -> Result<Conn, Error> {
        tokio::time::timeout(self.connect_timeout, self.open())
            .await
            .map_err(|_| Error::Timeout("connecting", self.connect_timeout))?
    }

    async fn open(&self) -> Result<Conn, Error> {
        let stream = TcpStream::connect(&self.authority).await?;
        stream.set_nodelay(true)?;
        let io: Box<dyn Io> = match &self.tls {
            None => Box::new(stream),
            Some(tls) => Box::new(tls.connect(stream).await?),
        };
        let (sender, conn) = http1::handshake(TokioIo::new(io)).await?;
        Ok(Conn { sender, conn })
    }

    fn take_idle(&self) -> Option<Conn> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(mut c) = idle.pop() {
            // An idle connection has nothing to do: one that is ready has ended (closed by
            // the peer, or failed) and is dropped. Polling it also reads that ending.
            let mut cx = Context::from_waker(Waker::noop());
            if !c.sender.is_closed() && c.conn.poll_without_shutdown(&mut cx).is_pending() {
                return Some(c);
            }
        }
        None
    }

    fn put_idle(&self, conn: Conn) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
    }

    /// Sends `req` on an idle connection (or a new one) and reads the whole response.
    /// A request that fails on a reused connection (closed by the peer meanwhile) is not
    /// retried: the caller decides, since not every request is idempotent.
    pub async fn send(
        &self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<Bytes>, Error> {
        let mut c = match self.take_idle() {
            Some(c) => c,
            None => self.connect().await?,
        };
        let Conn { sender, conn } = &mut c;
        let exchange = drive(conn, async {
            sender.ready().await?;
            let resp = sender.send_request(req).await?;
            let (parts, body) = resp.into_parts();
            let bytes = body.collect().await?.to_bytes();
            Ok((parts, bytes))
        });
        // On a timeout the connection is dropped with `c`: it may still carry the answer.
        let ((parts, bytes), ended) = match self.response_timeout {
            None => exchange.await?,
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .map_err(|_| Error::Timeout("the response", limit))??,
        };
        let keep = !ended
            && !parts
                .headers
                .get(hyper::header::CONNECTION)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
        if keep {
            self.put_idle(c);
        }
        Ok(hyper::Response::from_parts(parts, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

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

    /// A server that answers `per_conn` GETs on each connection, then closes it when told.
    struct ClosingServer {
        addr: String,
        /// Connections accepted.
        accepted: Arc<AtomicUsize>,
        /// Tells one connection that has answered its GETs to close.
        close: Arc<tokio::sync::Notify>,
        /// Connections closed (FIN sent).
        closed: tokio::sync::watch::Receiver<usize>,
    }

    async fn closing_server(per_conn: usize) -> ClosingServer {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let close = Arc::new(tokio::sync::Notify::new());
        let (closed_tx, closed) = tokio::sync::watch::channel(0);
        let closed_tx = Arc::new(closed_tx);
        let (count, close_rx) = (Arc::clone(&accepted), Arc::clone(&close));
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                let (close_rx, closed_tx) = (Arc::clone(&close_rx), Arc::clone(&closed_tx));
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut answered = 0;
                    let mut chunk = [0u8; 1024];
                    while answered < per_conn {
                        let n = s.read(&mut chunk).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            buf.drain(..end + 4);
                            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                                .await
                                .unwrap();
                            answered += 1;
                        }
                    }
                    close_rx.notified().await;
                    s.shutdown().await.unwrap();
                    drop(s);
                    closed_tx.send_modify(|n| *n += 1);
                });
            }
        });
        ClosingServer {
            addr,
            accepted,
            close,
            closed,
        }
    }

    fn get() -> hyper::Request<Full<Bytes>> {
        hyper::Request::get("/x")
            .header("host", "h")
            .body(Full::new(Bytes::new()))
            .unwrap()
    }

    #[tokio::test]
    async fn a_peer_that_never_answers_times_out() {
        // Accepts TCP connections and never writes a byte: a hung server (or a TLS
        // endpoint that never finishes its handshake).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let limit = Duration::from_millis(200);
        let pool = Pool::new(&addr).with_response_timeout(limit);
        match pool.send(get()).await {
            Err(Error::Timeout(what, l)) => assert_eq!((what, l), ("the response", limit)),
            other => panic!("expected a response timeout, got {other:?}"),
        }
        let config = crate::tls::client_config(&[]).unwrap();
        let connector = crate::tls::Connector::new(config, "localhost").unwrap();
        let pool = Pool::with_tls(&addr, connector).with_connect_timeout(limit);
        match pool.send(get()).await {
            Err(Error::Timeout(what, l)) => assert_eq!((what, l), ("connecting", limit)),
            other => panic!("expected a connect timeout, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn connections_are_reused_and_one_closed_while_idle_is_replaced() {
        let mut server = closing_server(2).await;
        let pool = Pool::new(&server.addr);
        for _ in 0..2 {
            let resp = pool.send(get()).await.unwrap();
            assert_eq!(resp.body().as_ref(), b"ok");
        }
        assert_eq!(
            server.accepted.load(Ordering::SeqCst),
            1,
            "the second GET reused the connection"
        );
        // The server closes the connection while it is idle in the pool. Its FIN is on the
        // client socket once `shutdown` returns (loopback); the runtime's I/O driver then
        // needs a turn (`yield_now` defers the task past one) to report it to the pool.
        server.close.notify_one();
        tokio::time::timeout(Duration::from_secs(10), server.closed.wait_for(|&n| n == 1))
            .await
            .expect("the server closes the idle connection within 10 s")
            .unwrap();
        tokio::task::yield_now().await;
        // The pool must not send on it: the GET goes on a new connection.
        let resp = pool.send(get()).await.unwrap();
        assert_eq!(resp.body().as_ref(), b"ok");
        assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
    }
}
