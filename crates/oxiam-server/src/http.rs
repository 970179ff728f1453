//! HTTP front: the AWS API endpoint on every path (AWS Query, and IAM Access Analyzer's
//! REST-JSON routes, see `front::pipeline`), plus oxiam's own endpoints and the
//! web console under `/console`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::serve::ListenerExt as _;
use oxiam_protocol::error::ErrorCode;
use tokio::net::TcpListener;

use crate::app::App;
use crate::front::pipeline::{self, HttpIn, HttpOut};
use crate::front::tls::{Tls, TlsListener};

/// Larger than any valid IAM request (the largest are policy documents of ~128 KB).
const MAX_BODY_BYTES: usize = 1 << 20;
/// How often key last-used facts are written to the store.
const LAST_USED_FLUSH: Duration = Duration::from_secs(10);

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/_oxiam/health", get(health))
        .route("/_oxiam/reset", post(reset))
        .route("/moto-api/reset", post(reset))
        .route("/_oxiam/clock", post(clock))
        .route(crate::front::authorization::PATH, post(decisions))
        .route(oxiam_protocol::authorization::WHO_CAN_PATH, post(who_can))
        .route(
            crate::front::enforcement::PATH,
            get(enforcement).put(enforcement),
        )
        .route(
            "/oidc/{issuer}/.well-known/openid-configuration",
            get(outbound_discovery),
        )
        .route("/oidc/{issuer}/.well-known/jwks.json", get(outbound_jwks))
        .route("/console", any(console))
        .route("/console/", any(console))
        .route("/console/{*rest}", any(console))
        .fallback(aws)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(app)
}

/// The request as the pipeline and the authorization API read it (headers that are not
/// visible ASCII are dropped: SigV4 cannot have signed them as sent).
struct Incoming(HttpIn);

impl<S: Send + Sync> FromRequest<S> for Incoming {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        let tls = req.extensions().get::<Tls>().is_some();
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or_default().to_owned();
        let headers = req
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Incoming(HttpIn {
            method,
            path,
            query,
            headers,
            body: body.to_vec(),
            peer,
            tls,
        }))
    }
}

async fn aws(State(app): State<Arc<App>>, Incoming(http): Incoming) -> Response {
    to_response(pipeline::handle(app, http).await)
}

/// The authorization API for other services (see [`crate::front::authorization`]). Decisions
/// read only the snapshot, so they run on the async worker without a thread hop.
async fn decisions(State(app): State<Arc<App>>, Incoming(http): Incoming) -> Response {
    json_answer(crate::front::authorization::handle(&app, &http))
}

/// The account's enforcement mode (see [`crate::front::enforcement`]); a `PUT` writes to
/// the store, so it runs on the blocking pool.
async fn enforcement(State(app): State<Arc<App>>, Incoming(http): Incoming) -> Response {
    let answer =
        tokio::task::spawn_blocking(move || crate::front::enforcement::handle(&app, &http)).await;
    answer.map_or_else(
        |_| StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        json_answer,
    )
}

/// Who can perform an action on a resource (see [`crate::front::who_can`]): reads only the
/// snapshot, but walks every principal of the account, so it runs off the async workers.
async fn who_can(State(app): State<Arc<App>>, Incoming(http): Incoming) -> Response {
    let answer =
        tokio::task::spawn_blocking(move || crate::front::who_can::handle(&app, &http)).await;
    answer.map_or_else(
        |_| StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        json_answer,
    )
}

/// A JSON answer of oxiam's own operations, with its request ID.
fn json_answer(answer: crate::front::authorization::Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, answer.body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(&answer.request_id) {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

/// The web console: every `/console` path (see [`crate::console`]).
async fn console(
    State(app): State<Arc<App>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    tls: Option<Extension<Tls>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let peer = peer.map(|Extension(ConnectInfo(addr))| addr.ip().to_canonical());
    crate::console::handle(app, peer, tls.is_some(), method, uri, headers, body).await
}

/// Liveness and the store's state, one `name: value` per line after the first: `ok`, or
/// `degraded` while the store is unreachable (the node still authenticates and authorizes
/// from its snapshot, so it stays in a load balancer's pool: 200 either way).
async fn health(State(app): State<Arc<App>>) -> String {
    let status = app.store_status();
    format!(
        "{}\nstore: {}\nseq: {}\n",
        if status.reachable { "ok" } else { "degraded" },
        if status.reachable {
            "reachable"
        } else {
            "unreachable"
        },
        status.seq
    )
}

/// Dev mode only: wipe all state (oxiam's own path and the one moto's server mode uses).
async fn reset(State(app): State<Arc<App>>) -> Response {
    if !app.config.dev {
        return to_response(pipeline::plain_error(
            ErrorCode::AccessDenied,
            "reset is only available in dev mode (oxiam serve --dev)",
        ));
    }
    let app2 = Arc::clone(&app);
    match tokio::task::spawn_blocking(move || app2.reset()).await {
        Ok(Ok(())) => (StatusCode::OK, "{\"status\": \"ok\"}\n").into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "reset failed");
            to_response(pipeline::plain_error(
                ErrorCode::ServiceFailure,
                "reset failed",
            ))
        }
        Err(e) => {
            tracing::error!(error = %e, "reset task failed");
            to_response(pipeline::plain_error(
                ErrorCode::ServiceFailure,
                "reset failed",
            ))
        }
    }
}

/// Dev mode only: moves the clock STS issues and expires sessions by, so expiry can be
/// tested without waiting. `?advance=SECONDS` adds to the offset, `?offset=SECONDS` sets
/// it (0: the system clock again); the answer is the offset in force. SigV4's own clock
/// window stays on the system clock, so clients keep signing with their real time.
async fn clock(State(app): State<Arc<App>>, uri: Uri) -> Response {
    if !app.config.dev {
        return to_response(pipeline::plain_error(
            ErrorCode::AccessDenied,
            "the clock is only adjustable in dev mode (oxiam serve --dev)",
        ));
    }
    for pair in uri.query().unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Ok(seconds) = value.parse::<i64>() else {
            continue;
        };
        match name {
            "offset" => app.sts.set_clock_offset(seconds),
            "advance" => app
                .sts
                .set_clock_offset(app.sts.clock_offset().saturating_add(seconds)),
            _ => {}
        }
    }
    let body = format!("{{\"offset_seconds\": {}}}\n", app.sts.clock_offset());
    (StatusCode::OK, body).into_response()
}

/// The OIDC discovery document of an account's outbound issuer (404 unless enabled).
async fn outbound_discovery(State(app): State<Arc<App>>, Path(issuer): Path<String>) -> Response {
    if !crate::ops::sts::outbound::is_enabled_issuer(&app.snapshot(), &issuer) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let url = crate::ops::sts::outbound::issuer_url(&app, &issuer);
    json(crate::ops::sts::outbound::discovery(&url).to_string())
}

/// The key set outbound tokens verify with (404 unless the issuer is enabled).
async fn outbound_jwks(State(app): State<Arc<App>>, Path(issuer): Path<String>) -> Response {
    let state = app.snapshot();
    if !crate::ops::sts::outbound::is_enabled_issuer(&state, &issuer) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match serde_json::to_string(&crate::ops::sts::outbound::jwks(&state)) {
        Ok(body) => json(body),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn json(body: String) -> Response {
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn to_response(out: HttpOut) -> Response {
    let status = StatusCode::from_u16(out.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, out.body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(out.content_type),
    );
    if let Ok(v) = HeaderValue::from_str(&out.request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(code) = out.error_type {
        h.insert("x-amzn-errortype", HeaderValue::from_static(code));
    }
    resp
}

/// Serves until ctrl-c / SIGTERM, flushing key last-used facts periodically and at the end,
/// and following other nodes' commits while it runs (when the store can have other writers).
/// With `tls`, the listener speaks HTTPS only (see [`crate::front::tls`]).
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        let _ = app.bound.set(addr);
    }
    let follower = if app.has_other_writers() {
        Some(app.spawn_follower().map_err(std::io::Error::other)?)
    } else {
        None
    };
    let flusher = {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(LAST_USED_FLUSH);
            loop {
                tick.tick().await;
                let app = Arc::clone(&app);
                if let Ok(Err(e)) = tokio::task::spawn_blocking(move || app.flush_last_used()).await
                {
                    tracing::warn!(error = %e, "could not persist access key last-used facts");
                }
            }
        })
    };
    let router = router(Arc::clone(&app));
    let result = match tls {
        None => {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
        }
        Some(config) => {
            // `tap_io` changes nothing: axum gives a `TapIo` listener's address as
            // `ConnectInfo<SocketAddr>`, which our own listener type cannot have.
            axum::serve(
                TlsListener::new(listener, config).tap_io(|_| {}),
                router
                    .layer(Extension(Tls))
                    .into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown_signal())
            .await
        }
    };
    flusher.abort();
    if let Some(follower) = follower {
        // Joining waits for at most one wait for changes.
        let _ = tokio::task::spawn_blocking(move || follower.stop()).await;
    }
    if let Err(e) = tokio::task::spawn_blocking(move || app.flush_last_used())
        .await
        .unwrap_or(Ok(()))
    {
        tracing::warn!(error = %e, "could not persist access key last-used facts at shutdown");
    }
    result
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
