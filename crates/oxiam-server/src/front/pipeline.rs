//! The request pipeline, one function per step, in the order a request goes through them:
//! decode → authenticate → authorize → dispatch → encode → audit.
//!
//! Decoding is split around authentication as AWS does it: the form is parsed and the
//! service chosen first, but the operation's members are validated only for an
//! authenticated caller, so an unsigned request learns nothing about input validation.
//!
//! Two protocols share the steps: AWS Query (IAM, STS: [`handle`]) and REST-JSON (IAM
//! Access Analyzer: [`handle_rest_json`]). A request goes to Access Analyzer when its SigV4
//! credential scope names the service `access-analyzer`, or, unsigned, when its method and
//! path are one of Access Analyzer's routes (so it is refused in that service's envelope);
//! every other request is AWS Query, as before.

use std::sync::Arc;
use std::time::Instant;

use oxiam_protocol::error::{ApiError, ErrorCode};
use oxiam_protocol::query::Params;
use oxiam_protocol::{Service, accessanalyzer, iam, rest_json, sts};
use time::OffsetDateTime;

use crate::app::App;
use crate::auth::authn::{self, Caller};
use crate::auth::authz;
use crate::auth::decide::RequestEnv;
use crate::auth::target::Target;
use crate::model::access::Via;
use crate::model::error::{ServerError, not_implemented};
use crate::model::ids;
use crate::ops::Mode;
use crate::ops::table::{self as ops, Request, Response};
use crate::runtime::access_log::Attempt;

/// An HTTP request as received, owned so it can cross into the blocking pool.
#[derive(Debug)]
pub struct HttpIn {
    pub method: String,
    /// Raw path, still percent-encoded.
    pub path: String,
    /// Raw query string without '?'.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The peer address of the connection, when known (`aws:SourceIp`).
    pub peer: Option<std::net::IpAddr>,
    /// The connection came over TLS (`aws:SecureTransport`).
    pub tls: bool,
}

impl HttpIn {
    /// The headers as SigV4 reads them (borrowed from `self`).
    pub fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// The request as SigV4 verifies it, with `headers` from [`HttpIn::header_refs`].
    pub fn sigv4<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> oxiam_sigv4::HttpRequest<'a> {
        oxiam_sigv4::HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers,
            body: &self.body,
        }
    }
}

#[derive(Debug)]
pub struct HttpOut {
    pub status: u16,
    pub body: String,
    pub request_id: String,
    /// `text/xml` (AWS Query) or `application/json` (REST-JSON).
    pub content_type: &'static str,
    /// The `x-amzn-ErrorType` header of a REST-JSON error.
    pub error_type: Option<&'static str>,
}

/// Serves one AWS API call: Access Analyzer's REST-JSON ones, else AWS Query.
pub async fn handle(app: Arc<App>, http: HttpIn) -> HttpOut {
    if is_access_analyzer(&http) {
        return handle_rest_json(app, http).await;
    }
    handle_query(app, http).await
}

/// Whether the request is for IAM Access Analyzer (see the module's map).
fn is_access_analyzer(http: &HttpIn) -> bool {
    match scope_part(http, 3) {
        Some(service) => service == accessanalyzer::SIGNING_NAME,
        None => accessanalyzer::Operation::route(&http.method, &http.path).is_some(),
    }
}

/// Serves one REST-JSON call (IAM Access Analyzer): authenticate → route and decode →
/// authorize → dispatch → encode → audit, the steps of [`handle_query`], with errors in the
/// JSON envelope.
pub async fn handle_rest_json(app: Arc<App>, http: HttpIn) -> HttpOut {
    let request_id = ids::request_id();
    let started = Instant::now();
    let mut seen: Option<(Caller, Target)> = None;
    let result = async {
        let env = request_env(&http);
        let caller = authenticate(&app, &http, accessanalyzer::SIGNING_NAME)?;
        let rest = rest_json::HttpRequest {
            method: &http.method,
            path: &http.path,
            query: &http.query,
            body: &http.body,
        };
        let request = Request::AccessAnalyzer(accessanalyzer::Request::decode(&rest)?);
        let target = authorize(&app, &caller, &request, &env, Via::Api)?;
        seen = Some((caller.clone(), target));
        dispatch(&app, caller, request, env).await
    }
    .await;
    let out = encode_json(&request_id, &result);
    audit(
        &request_id,
        Via::Api.as_str(),
        seen.as_ref(),
        result.as_ref().err(),
        out.status,
        started,
    );
    out
}

/// Serves one AWS Query API call.
async fn handle_query(app: Arc<App>, http: HttpIn) -> HttpOut {
    let request_id = ids::request_id();
    let started = Instant::now();
    let mut service = Service::Iam;
    let mut seen: Option<(Caller, Target)> = None;
    let result = async {
        let params = parse(&http)?;
        service = select_service(&params);
        let env = RequestEnv {
            request_id: Some(request_id.clone()),
            ..request_env(&http)
        };
        if !needs_signature(service, &params) {
            let request = decode(service, &params)?;
            return dispatch_unsigned(&app, request, env).await;
        }
        let caller = authenticate(&app, &http, signing_name(service))?;
        let request = decode(service, &params)?;
        let target = authorize(&app, &caller, &request, &env, Via::Api)?;
        seen = Some((caller.clone(), target));
        dispatch(&app, caller, request, env).await
    }
    .await;
    let out = encode(service, &request_id, &result);
    audit(
        &request_id,
        Via::Api.as_str(),
        seen.as_ref(),
        result.as_ref().err(),
        out.status,
        started,
    );
    out
}

/// The steps after authentication for a caller another front authenticated (the console's
/// signed-in principal): authorize, dispatch, audit — the same functions [`handle`] runs,
/// with the same request facts. Blocking: call it from the blocking pool.
pub fn call_as(
    app: &App,
    caller: &Caller,
    request: &Request,
    env: &RequestEnv,
    via: Via,
) -> Result<Response, ServerError> {
    let request_id = ids::request_id();
    let started = Instant::now();
    let mut seen = None;
    let env = &RequestEnv {
        request_id: Some(request_id.clone()),
        ..env.clone()
    };
    let result = authorize(app, caller, request, env, via).and_then(|target| {
        seen = Some((caller.clone(), target));
        ops::dispatch(app, caller, env, request)
    });
    let status = match &result {
        Ok(_) => 200,
        Err(e) => e.to_api(service_of(request)).code.http_status(),
    };
    audit(
        &request_id,
        via.as_str(),
        seen.as_ref(),
        result.as_ref().err(),
        status,
        started,
    );
    result
}

/// The Query service whose internal-failure code an error of `request` takes (Access
/// Analyzer's errors are translated after, see [`encode_json`]).
fn service_of(request: &Request) -> Service {
    match request {
        Request::Iam(_) | Request::AccessAnalyzer(_) => Service::Iam,
        Request::Sts(_) => Service::Sts,
    }
}

/// Form body and URL query → parameters.
fn parse(http: &HttpIn) -> Result<Params, ServerError> {
    let mut params = Params::parse(http.query.as_bytes())?;
    if http.method.eq_ignore_ascii_case("POST") {
        params.merge(Params::parse(&http.body)?);
    }
    Ok(params)
}

/// IAM or STS: by `Version`, else by an action name only STS has.
fn select_service(params: &Params) -> Service {
    match params.get("Version") {
        Some(v) if v == Service::Sts.version() => Service::Sts,
        Some(v) if v == Service::Iam.version() => Service::Iam,
        _ => match params.get("Action") {
            Some(a)
                if iam::Operation::from_name(a).is_none()
                    && sts::Operation::from_name(a).is_some() =>
            {
                Service::Sts
            }
            _ => Service::Iam,
        },
    }
}

/// Whether the action must be signed: every one but the model's `authtype: none`
/// operations (`AssumeRoleWithWebIdentity`, `AssumeRoleWithSAML`), whose token or assertion
/// is the credential. An unknown action must be signed: authentication comes first.
fn needs_signature(service: Service, params: &Params) -> bool {
    let action = params.get("Action").unwrap_or_default();
    match service {
        Service::Iam => iam::Operation::from_name(action).is_none_or(iam::Operation::is_signed),
        Service::Sts => sts::Operation::from_name(action).is_none_or(sts::Operation::is_signed),
    }
}

/// Parameters → typed request of the service's operation, validated against the model.
fn decode(service: Service, params: &Params) -> Result<Request, ServerError> {
    Ok(match service {
        Service::Iam => Request::Iam(iam::Request::decode(params)?),
        Service::Sts => Request::Sts(sts::Request::decode(params)?),
    })
}

/// The facts of the request policies see besides the caller: when, from where, over what.
pub(crate) fn request_env(http: &HttpIn) -> RequestEnv {
    RequestEnv {
        source_ip: http.peer,
        region: signed_region(http),
        secure_transport: http.tls,
        ..RequestEnv::now()
    }
}

/// The SigV4 service name of a Query service.
fn signing_name(service: Service) -> &'static str {
    match service {
        Service::Iam => "iam",
        Service::Sts => "sts",
    }
}

fn authenticate(app: &App, http: &HttpIn, signing_name: &str) -> Result<Caller, ServerError> {
    let headers = http.header_refs();
    let req = http.sigv4(&headers);
    authn::authenticate(app, &req, signing_name, OffsetDateTime::now_utc())
}

/// The operation's target from the table, decided for `caller`. An operation without an
/// entry answers `NotImplemented` before any decision. The attempt is noted for the access
/// advisor whatever the decision, as AWS records attempts. In a report-only account a
/// policy denial is recorded (under `env.request_id`) and the request goes on.
fn authorize(
    app: &App,
    caller: &Caller,
    request: &Request,
    env: &RequestEnv,
    via: Via,
) -> Result<Target, ServerError> {
    let state = app.snapshot();
    let mut target = request
        .target(caller, &state)
        .ok_or_else(|| not_implemented(request.name()))?;
    note_attempt(app, caller, &target.action, env, via);
    if env.console && caller.session.is_none() {
        // A console session is temporary credentials in AWS: without MFA the key is
        // present and false (policies with `Bool … "false"` deny it), not absent as for
        // long-term keys. With MFA the session's own keys say true.
        target.key("aws:MultiFactorAuthPresent", false);
    }
    if let Some(would) = authz::authorize_reporting(caller, &target, env, &state)? {
        authz::record_would_deny(app, via, caller, &would, env);
    }
    Ok(target)
}

/// Notes `caller`'s attempt at `action` for the access advisor (users and role sessions;
/// nothing when the retention is 0).
pub(crate) fn note_attempt(app: &App, caller: &Caller, action: &str, env: &RequestEnv, via: Via) {
    if app.config.access_retention_days == 0 {
        return;
    }
    let Some((entity_id, kind)) = caller.access_entity() else {
        return;
    };
    let region = env
        .region
        .as_deref()
        .or(Some(caller.region.as_str()))
        .filter(|r| !r.is_empty());
    app.access.note(&Attempt {
        account: &caller.account,
        entity_id,
        kind,
        action,
        region,
        via,
        at: env.now.unix_timestamp(),
    });
}

/// The region of the request's SigV4 credential scope
/// (`Credential=AKID/20150830/us-east-1/iam/aws4_request`, header or presigned query).
fn signed_region(http: &HttpIn) -> Option<String> {
    scope_part(http, 2)
}

/// Part `n` of the request's SigV4 credential scope (`AKID/DATE/REGION/SERVICE/aws4_request`:
/// 2 the region, 3 the service), from the `Authorization` header or a presigned query.
fn scope_part(http: &HttpIn, n: usize) -> Option<String> {
    let from_header = http
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.split("Credential=").nth(1))
        .map(|c| c.split([',', ' ']).next().unwrap_or_default().to_owned());
    let scope = from_header.or_else(|| {
        http.query.split('&').find_map(|kv| {
            let v = kv.strip_prefix("X-Amz-Credential=")?;
            Some(
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned(),
            )
        })
    })?;
    scope.split('/').nth(n).map(str::to_owned)
}

/// Runs the handler; on the blocking pool when its mode blocks (a read of the in-memory
/// snapshot costs less than the thread hop).
async fn dispatch(
    app: &Arc<App>,
    caller: Caller,
    request: Request,
    env: RequestEnv,
) -> Result<Response, ServerError> {
    if !request.mode().is_some_and(Mode::blocks) {
        return ops::dispatch(app, &caller, &env, &request);
    }
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || ops::dispatch(&app, &caller, &env, &request))
        .await
        .map_err(|e| ServerError::Internal(format!("handler task failed: {e}")))?
}

/// An operation that needs no signature: no caller, no identity-side authorization; the
/// handler decides with the role's trust policy.
async fn dispatch_unsigned(
    app: &Arc<App>,
    request: Request,
    env: RequestEnv,
) -> Result<Response, ServerError> {
    if request.mode().is_none() {
        return Err(not_implemented(request.name()));
    }
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || ops::dispatch_unsigned(&app, &request, &env))
        .await
        .map_err(|e| ServerError::Internal(format!("handler task failed: {e}")))?
}

fn encode(service: Service, request_id: &str, result: &Result<Response, ServerError>) -> HttpOut {
    let (status, body) = match result {
        Ok(Response::Iam(r)) => (200, r.to_xml(request_id)),
        Ok(Response::Sts(r)) => (200, r.to_xml(request_id)),
        Ok(Response::AccessAnalyzer(_)) => {
            let internal = ServerError::Internal("a Query call answered as Access Analyzer".into());
            tracing::error!(request_id, error = %internal, "protocol mix-up");
            internal.to_api(service).render(service, request_id)
        }
        Err(e) => e.to_api(service).render(service, request_id),
    };
    HttpOut {
        status,
        body,
        request_id: request_id.to_owned(),
        content_type: "text/xml",
        error_type: None,
    }
}

/// The REST-JSON answer: the output's JSON, or the error in the JSON envelope under its
/// REST-JSON code (see [`rest_json::from_query_error`]).
fn encode_json(request_id: &str, result: &Result<Response, ServerError>) -> HttpOut {
    let error = match result {
        Ok(Response::AccessAnalyzer(r)) => {
            return HttpOut {
                status: 200,
                body: r.to_json(),
                request_id: request_id.to_owned(),
                content_type: "application/json",
                error_type: None,
            };
        }
        Ok(Response::Iam(_) | Response::Sts(_)) => {
            let internal =
                ServerError::Internal("an Access Analyzer call answered as Query".into());
            tracing::error!(request_id, error = %internal, "protocol mix-up");
            internal.to_api(Service::Iam)
        }
        Err(e) => e.to_api(Service::Iam),
    };
    let (status, code, body) = rest_json::from_query_error(error).render_json();
    HttpOut {
        status,
        body,
        request_id: request_id.to_owned(),
        content_type: "application/json",
        error_type: Some(code),
    }
}

/// One event per call, whichever front it came through (`via`: `api`, `console`,
/// `authorization-api`): who, what, on what, and how it ended. Never a secret or signature.
pub(crate) fn audit(
    request_id: &str,
    via: &'static str,
    seen: Option<&(Caller, Target)>,
    error: Option<&ServerError>,
    status: u16,
    started: Instant,
) {
    let (principal, action, resource) = match seen {
        Some((c, t)) => (c.arn.as_str(), t.action.as_str(), t.resource.as_str()),
        None => ("-", "-", "-"),
    };
    let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    match error {
        None => tracing::info!(target: "oxiam::audit", request_id, via, principal, action,
            resource, status, outcome = "ok", elapsed_us),
        Some(e) if e.is_internal() => tracing::error!(target: "oxiam::audit", request_id, via,
            principal, action, resource, status, outcome = "internal_error", error = %e,
            elapsed_us),
        Some(ServerError::Api(ApiError { code, .. })) => tracing::info!(target: "oxiam::audit",
            request_id, via, principal, action, resource, status, outcome = code.code(),
            elapsed_us),
        Some(_) => {}
    }
}

/// For callers outside the AWS API (reset endpoint): an error in the same envelope.
pub fn plain_error(code: ErrorCode, message: &str) -> HttpOut {
    let request_id = ids::request_id();
    let (status, body) = ApiError::new(code, message).render(Service::Iam, &request_id);
    HttpOut {
        status,
        body,
        request_id,
        content_type: "text/xml",
        error_type: None,
    }
}
