//! The authorization API for other services: `POST /authorization/v1/decisions`.
//!
//! A service (an object store, a file server, `oxiam guard`) receives a request signed by
//! its client with SigV4 and asks oxiam whether to serve it. It forwards the SigV4
//! material of that request (method, path, query, headers, SHA-256 of the body) with the
//! action, the resource ARN, and optionally the resource's policy, tags and further
//! condition keys. oxiam authenticates the client exactly as it authenticates its own API
//! (long-term keys, `ASIA…` session tokens with their MFA facts, the 15-minute signature
//! window), builds the request context, evaluates every policy with the engine and answers
//! per decision: allowed or not, the principal, the deciding statements, and for denials
//! AWS's message plus an encoded message for `sts:DecodeAuthorizationMessage`.
//!
//! The call itself is signed by the service with its own oxiam credentials, for the
//! signing name `oxiam`, and needs `oxiam:Authorize` (resource `*`): the account root has
//! it, any other principal needs a policy that allows it. A call carries up to
//! [`MAX_BATCH`] decisions. Request and response JSON: `oxiam_protocol::authorization` and
//! docs/authorization-api.md.
//!
//! Replays: a forwarded signature is accepted only inside SigV4's window (±15 minutes for
//! header signatures; a presigned URL until it expires), like oxiam's own API and AWS.
//! There is no replay cache of signatures inside the window: a service legitimately asks
//! again for the same client request (retries, several resources per request, the
//! client's cache expiring), and AWS does not refuse a repeated signature either. What a
//! replay can do is bounded by the window, by TLS between client and service, and by the
//! service signing the host (and the body hash) it received.
//!
//! Cross-account: the resource's account is `resourceAccount`, else the ARN's account
//! field, else the asking service's account. When it is not the client's account, the
//! engine requires both an identity policy in the client's account and the resource policy
//! to allow, as AWS does.
//!
//! Map: `oxiam_protocol::authorization` (the JSON), [`message`] (encoded messages and their
//! decoding), [`audit`] (the decision log), [`policy_cache`] (compiled resource policies).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Instant;

use oxiam_policy::{
    ContextValue, Effect, NamedPolicy, Policy, PolicyType, Reason, StatementEffect,
};
use oxiam_protocol::Service;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::app::App;
use crate::auth::authn::{self, Caller, CallerKind};
use crate::auth::decide::RequestEnv;
use crate::auth::message;
use crate::auth::session_decide::CallerPolicies;
use crate::auth::target::Target;
use crate::front::pipeline::{self, HttpIn};
use crate::model::access::Via;
use crate::model::error::{ServerError, validation};
use crate::model::ids;
use crate::model::session::SessionPrincipal;
use crate::runtime::audit;
use crate::state::State;
pub use oxiam_protocol::authorization::{ACTION, MAX_BATCH, PATH, SIGNING_NAME};
use oxiam_protocol::authorization::{
    DecisionPrincipal, DecisionReason, DecisionRequest, DecisionResult, DecisionsRequest,
    DecisionsResponse, ErrorBody, ErrorDetail, REPORT_ONLY_DENY,
};

/// Largest resource policy accepted (AWS's largest resource policies, S3's, are 20 KB).
pub(crate) const MAX_RESOURCE_POLICY: usize = 20 * 1024;

/// The answer to one call: HTTP status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub request_id: String,
}

/// Serves one call of the decision API.
pub fn handle(app: &App, http: &HttpIn) -> Answer {
    let request_id = ids::request_id();
    let started = Instant::now();
    let now = OffsetDateTime::now_utc();
    // The service and its `oxiam:Authorize` target, once authorized, for the audit record
    // the API pipeline writes for every call.
    let mut seen = None;
    let result = decide_all(app, http, &request_id, now, &mut seen).and_then(|resp| {
        serde_json::to_string(&resp).map_err(|e| ServerError::Internal(e.to_string()))
    });
    let (status, error) = match &result {
        Ok(_) => (200, None),
        Err(e) => (
            e.to_api(oxiam_protocol::Service::Sts).code.http_status(),
            Some(e),
        ),
    };
    pipeline::audit(
        &request_id,
        "authorization-api",
        seen.as_ref(),
        error,
        status,
        started,
    );
    match result {
        Ok(body) => Answer {
            status,
            body,
            request_id,
        },
        Err(e) => error_answer(&e, request_id, "authorization API", Service::Sts),
    }
}

/// The JSON error of oxiam's own operations (decisions, who-can, enforcement). `service`
/// names an internal failure as that service's table does (`InternalFailure` for STS,
/// `ServiceFailure` for IAM); every other error is the same for both.
pub(crate) fn error_answer(
    e: &ServerError,
    request_id: String,
    operation: &str,
    service: Service,
) -> Answer {
    if e.is_internal() {
        tracing::error!(request_id, error = %e, "{operation} call failed");
    }
    let api = e.to_api(service);
    let body = ErrorBody {
        error: ErrorDetail {
            code: api.code.code().to_owned(),
            message: api.message.clone(),
            request_id: request_id.clone(),
        },
    };
    Answer {
        status: api.code.http_status(),
        body: serde_json::to_string(&body).unwrap_or_default(),
        request_id,
    }
}

fn decide_all(
    app: &App,
    http: &HttpIn,
    request_id: &str,
    now: OffsetDateTime,
    seen: &mut Option<(Caller, Target)>,
) -> Result<DecisionsResponse, ServerError> {
    let service = authenticate_service(app, http, now)?;
    let state = app.snapshot();
    // The service's own call, with the facts of its own connection (as the API pipeline).
    let env = RequestEnv {
        now,
        region: Some(service.region.clone()),
        request_id: Some(request_id.to_owned()),
        ..pipeline::request_env(http)
    };
    let target = Target::new(ACTION.to_owned(), "*".to_owned());
    pipeline::note_attempt(app, &service, ACTION, &env, Via::AuthorizationApi);
    if let Some(would) = crate::auth::authz::authorize_reporting(&service, &target, &env, &state)? {
        crate::auth::authz::record_would_deny(app, Via::AuthorizationApi, &service, &would, &env);
    }
    *seen = Some((service.clone(), target));
    let body: DecisionsRequest = serde_json::from_slice(&http.body)
        .map_err(|e| validation(format!("the request body is not a decisions request: {e}")))?;
    if body.decisions.is_empty() || body.decisions.len() > MAX_BATCH {
        return Err(validation(format!(
            "a call carries from 1 to {MAX_BATCH} decisions, not {}",
            body.decisions.len()
        )));
    }
    let mut out = Vec::with_capacity(body.decisions.len());
    for (i, d) in body.decisions.iter().enumerate() {
        let result = decide_one(app, &state, &service.account, d, now, Via::AuthorizationApi)
            .map_err(|e| match e {
                ServerError::Api(mut a) => {
                    a.message = format!("decision {i}: {}", a.message);
                    ServerError::Api(a)
                }
                other => other,
            })?;
        out.push(result);
    }
    let time = now.format(&Rfc3339).unwrap_or_default();
    for (d, r) in body.decisions.iter().zip(&out) {
        record(app, &time, request_id, &service.arn, d, r);
    }
    Ok(DecisionsResponse { decisions: out })
}

/// Decides one question inside another process of the installation (`oxiam guard
/// --data-dir`/`--store`, which follows the store like a node): the same checks and the
/// same audit record as the API, without the HTTP call and the asking service's own
/// signature (holding the store and its key-encryption key is that process's credential).
/// `caller` names it in the audit log; resources without an account belong to the
/// installation's default account.
pub fn decide_local(
    app: &App,
    caller: &str,
    d: &DecisionRequest,
) -> Result<DecisionResult, ServerError> {
    let now = OffsetDateTime::now_utc();
    let request_id = ids::request_id();
    let state = app.snapshot();
    let result = decide_one(app, &state, &app.default_account, d, now, Via::Guard)?;
    let time = now.format(&Rfc3339).unwrap_or_default();
    record(app, &time, &request_id, caller, d, &result);
    Ok(result)
}

/// The audit record of one decision.
fn record(
    app: &App,
    time: &str,
    request_id: &str,
    caller: &str,
    d: &DecisionRequest,
    r: &DecisionResult,
) {
    app.audit.record(audit::Record {
        time: time.to_owned(),
        request_id: request_id.to_owned(),
        caller: caller.to_owned(),
        principal: r
            .principal
            .as_ref()
            .map_or_else(|| "-".to_owned(), |p| p.arn.clone()),
        action: d.action.clone(),
        resource: d.resource.clone(),
        decision: r.decision.clone(),
        reasons: match &r.error_code {
            Some(code) => vec![code.clone()],
            None => r
                .reasons
                .iter()
                .map(|x| match &x.sid {
                    Some(sid) => format!("{}#{}:{sid}", x.policy, x.statement),
                    None => format!("{}#{}", x.policy, x.statement),
                })
                .collect(),
        },
        source_ip: d.source_ip.clone(),
        would_be_decision: r.would_be_decision.clone(),
        denied_by: r.denied_by.clone(),
        message: r.message.clone().filter(|_| r.error_code.is_none()),
        ..audit::Record::default()
    });
}

/// The service principal that calls, by its own signature for `oxiam`.
fn authenticate_service(
    app: &App,
    http: &HttpIn,
    now: OffsetDateTime,
) -> Result<Caller, ServerError> {
    let headers = http.header_refs();
    authn::authenticate(app, &http.sigv4(&headers), SIGNING_NAME, now)
}

/// The service name of `service:Action`.
fn action_prefix(action: &str) -> &str {
    action.split_once(':').map_or(action, |(p, _)| p)
}

fn body_sha256(hex_digest: Option<&str>) -> Result<[u8; 32], ServerError> {
    let Some(h) = hex_digest else {
        return Ok(oxiam_sigv4::verify::EMPTY_SHA256);
    };
    let mut out = [0u8; 32];
    hex::decode_to_slice(h, &mut out)
        .map_err(|_| validation("`bodySha256` must be 64 hexadecimal digits"))?;
    Ok(out)
}

pub(crate) fn context_value(key: &str, v: &serde_json::Value) -> Result<ContextValue, ServerError> {
    use serde_json::Value;
    Ok(match v {
        Value::String(s) => s.as_str().into(),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.to_string().into(),
        },
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                Value::Bool(_) | Value::Number(_) => Ok(i.to_string()),
                _ => Err(validation(format!(
                    "context key `{key}`: list items must be strings"
                ))),
            })
            .collect::<Result<Vec<String>, _>>()?
            .into(),
        Value::Null | Value::Object(_) => {
            return Err(validation(format!(
                "context key `{key}` must be a string, boolean, number or list of strings"
            )));
        }
    })
}

/// Decides one question. `Err` only for a malformed question (the whole call fails with
/// it); every denial is an `Ok` result.
fn decide_one(
    app: &App,
    state: &State,
    service_account: &str,
    d: &DecisionRequest,
    now: OffsetDateTime,
    via: Via,
) -> Result<DecisionResult, ServerError> {
    if d.action.is_empty() || d.resource.is_empty() {
        return Err(validation("`action` and `resource` are required"));
    }
    let hash = body_sha256(d.request.body_sha256.as_deref())?;
    let source_ip: Option<IpAddr> = match &d.source_ip {
        Some(ip) => Some(
            ip.parse()
                .map_err(|_| validation(format!("`sourceIp` {ip} is not an IP address")))?,
        ),
        None => None,
    };
    let resource_policy = resource_policy(app, d.resource_policy.as_deref())?;
    let mut keys: Vec<(String, ContextValue)> = Vec::new();
    for (k, v) in &d.resource_tags {
        keys.push((format!("aws:ResourceTag/{k}"), v.as_str().into()));
    }
    for (k, v) in &d.context {
        keys.push((k.clone(), context_value(k, v)?));
    }

    // Authenticate the client, as oxiam's own API would.
    let headers: Vec<(&str, &str)> = d
        .request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let client_req = oxiam_sigv4::HttpRequest {
        method: &d.request.method,
        path: &d.request.path,
        query: &d.request.query,
        headers: &headers,
        body: &[],
    };
    let signing_name = d
        .signing_name
        .as_deref()
        .unwrap_or_else(|| action_prefix(&d.action));
    let client = match authenticate_client(app, &client_req, signing_name, now, &hash) {
        Ok(c) => c,
        Err(Refusal::Api(e)) => {
            return Ok(authentication_failed(e.code.code(), e.message));
        }
        Err(Refusal::Presigned(code, message)) => {
            return Ok(authentication_failed(code, message.to_owned()));
        }
        Err(Refusal::Internal(e)) => return Err(e),
    };

    let resource_account = d
        .resource_account
        .clone()
        .or_else(|| {
            d.resource
                .split(':')
                .nth(4)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| service_account.to_owned());
    keys.push((
        "aws:ResourceAccount".into(),
        resource_account.as_str().into(),
    ));
    let mut target = Target::new(d.action.clone(), d.resource.clone());
    target.keys = keys;
    let env = RequestEnv {
        now,
        source_ip,
        region: Some(client.region.clone()),
        secure_transport: d.secure_transport,
        console: false,
        request_id: None,
    };
    pipeline::note_attempt(app, &client, &d.action, &env, via);
    let mut result = evaluate(
        app,
        state,
        &client,
        &target,
        &env,
        &resource_account,
        resource_policy.as_deref().zip(d.resource_policy.as_deref()),
    );
    // INVARIANT (report-only-own-account): only a question about the client's own account
    // is relaxed; a resource of another account is decided by its policies as always.
    if !result.allowed
        && resource_account == client.account
        && crate::auth::authz::is_report_only(state, &client.account)
    {
        result.allowed = true;
        result.would_be_decision = Some(std::mem::replace(
            &mut result.decision,
            REPORT_ONLY_DENY.to_owned(),
        ));
    }
    Ok(result)
}

/// The request's `resourcePolicy`, parsed once and cached (decisions and who-can read it
/// alike).
pub(crate) fn resource_policy(
    app: &App,
    doc: Option<&str>,
) -> Result<Option<std::sync::Arc<Policy>>, ServerError> {
    match doc {
        Some(doc) if doc.len() > MAX_RESOURCE_POLICY => {
            Err(validation("`resourcePolicy` is larger than 20 KB"))
        }
        Some(doc) => app
            .resource_policies
            .get_or_parse(doc)
            .map(Some)
            .map_err(|e| validation(format!("`resourcePolicy`: {}", e.message()))),
        None => Ok(None),
    }
}

fn authentication_failed(code: &str, message: String) -> DecisionResult {
    DecisionResult {
        allowed: false,
        decision: "AuthenticationFailed".into(),
        message: Some(message),
        error_code: Some(code.to_owned()),
        ..DecisionResult::default()
    }
}

/// Why a forwarded client request is not authenticated.
enum Refusal {
    /// As oxiam's own API refuses it (`SignatureDoesNotMatch`, `ExpiredToken`…).
    Api(oxiam_protocol::error::ApiError),
    /// A presigned URL refused as S3 refuses it: code and message.
    Presigned(&'static str, &'static str),
    Internal(ServerError),
}

/// Authenticates the client of a forwarded request, as oxiam's own API would, except that
/// a presigned URL out of its validity or asking for more than seven days is refused in
/// S3's words: services behind the authorization API speak REST like S3, and clients
/// (SDKs, browsers following a shared link) know S3's answers. S3 checks the validity
/// before the signature, so an expired URL is "expired" even when it was also altered.
fn authenticate_client(
    app: &App,
    client_req: &oxiam_sigv4::HttpRequest<'_>,
    signing_name: &str,
    now: OffsetDateTime,
    body_sha256: &[u8; 32],
) -> Result<Caller, Refusal> {
    let refused = |e: ServerError| match e {
        ServerError::Api(e) => Refusal::Api(e),
        other => Refusal::Internal(other),
    };
    let parsed = match oxiam_sigv4::parse(client_req) {
        Ok(Some(p)) => p,
        Ok(None) => return Err(refused(authn::missing_authentication_token())),
        Err(oxiam_sigv4::Error::ExpiresTooLarge) => {
            return Err(Refusal::Presigned(
                "AuthorizationQueryParametersError",
                PRESIGNED_TOO_LONG,
            ));
        }
        Err(e) => return Err(refused(authn::sigv4_error(&e))),
    };
    if matches!(parsed.kind, oxiam_sigv4::SignatureKind::Presigned { .. }) {
        match oxiam_sigv4::verify::check_clock(&parsed, now) {
            Err(oxiam_sigv4::Error::SignatureNotYetCurrent { .. }) => {
                return Err(Refusal::Presigned(
                    "AccessDenied",
                    "Request is not yet valid",
                ));
            }
            Err(_) => return Err(Refusal::Presigned("AccessDenied", "Request has expired")),
            Ok(()) => {}
        }
    }
    authn::authenticate_parsed(
        app,
        client_req,
        &parsed,
        signing_name,
        now,
        Some(body_sha256),
    )
    .map_err(refused)
}

/// S3's message for `X-Amz-Expires` beyond seven days.
const PRESIGNED_TOO_LONG: &str = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds";

/// The engine's decision for an authenticated client, with its reasons, principal and,
/// for a denial, AWS's message and the encoded message.
fn evaluate(
    app: &App,
    state: &State,
    client: &Caller,
    target: &Target,
    env: &RequestEnv,
    resource_account: &str,
    resource_policy: Option<(&Policy, &str)>,
) -> DecisionResult {
    let mut result = DecisionResult {
        principal: Some(DecisionPrincipal {
            arn: client.arn.clone(),
            account: client.account.clone(),
            user_id: client.user_id.clone(),
            tags: BTreeMap::new(),
        }),
        ..DecisionResult::default()
    };
    // Fail closed: a principal whose policies are gone or do not compile is denied.
    let Some(p) = crate::auth::session_decide::caller_policies(client, state) else {
        result.decision = "ImplicitDeny".into();
        result.denied_by = Some(PolicyType::Identity.as_str().to_owned());
        result.message = Some(denial_message(client, target, None));
        return result;
    };
    if let Some(principal) = &mut result.principal {
        principal.tags = p
            .tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    }
    let principal = p.principal(client);
    let ctx = p.context(client, &principal, target, env);
    let request = target.request(principal, resource_account, &ctx);
    let policies = p.policy_set(resource_policy.map(|(policy, _)| NamedPolicy {
        name: "resource-based policy",
        policy,
    }));
    let decision = oxiam_policy::evaluate(&request, &policies);
    result.allowed = decision.is_allowed();
    result.decision = match decision.effect {
        Effect::Allow => "Allow",
        Effect::ExplicitDeny => "ExplicitDeny",
        Effect::ImplicitDeny => "ImplicitDeny",
    }
    .into();
    result.reasons = decision
        .reasons
        .iter()
        .map(|r| DecisionReason {
            effect: match r.effect {
                StatementEffect::Allow => "Allow",
                StatementEffect::Deny => "Deny",
            }
            .into(),
            policy_type: r.policy_type.as_str().into(),
            policy: r.policy.into(),
            statement: r.statement,
            sid: r.sid.map(str::to_owned),
        })
        .collect();
    if result.allowed {
        return result;
    }
    result.message = Some(denial_message(client, target, Some(&decision)));
    result.denied_by = Some(
        decision
            .denied_by
            .map_or(PolicyType::Identity, |b| b.policy_type)
            .as_str()
            .to_owned(),
    );
    let tag_keys: Vec<String> = p
        .tags
        .iter()
        .map(|(k, _)| format!("aws:PrincipalTag/{k}"))
        .collect();
    let decoded = message::DecodedMessage {
        allowed: false,
        explicit_deny: decision.effect == Effect::ExplicitDeny,
        matched_statements: message::Items {
            items: decision
                .reasons
                .iter()
                .filter_map(|r| {
                    let document =
                        deciding_document(state, client, &p, r, resource_policy.map(|(_, d)| d))?;
                    // AWS names the role (not the session) a role's policies apply to.
                    let holder = client.user_id.split(':').next().unwrap_or(&client.user_id);
                    let principals = (r.policy_type != PolicyType::Resource).then_some(holder);
                    message::matched_statement(&document, r.statement, principals)
                })
                .collect(),
        },
        failures: message::Items::default(),
        context: message::MessageContext {
            principal: message::MessagePrincipal {
                id: client.user_id.clone(),
                name: match &client.kind {
                    CallerKind::User { name } => Some(name.clone()),
                    _ => None,
                },
                arn: client.arn.clone(),
            },
            action: target.action.clone(),
            resource: target.resource.clone(),
            conditions: message::conditions(
                &ctx,
                target
                    .keys
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .chain(tag_keys.iter().map(String::as_str)),
            ),
        },
    };
    match message::encode(app, &decoded) {
        Ok(m) => result.encoded_message = Some(m),
        Err(e) => tracing::error!(error = %e, "cannot seal an authorization message"),
    }
    result
}

/// The text of the policy a deciding statement is in, as stored (the message lists the
/// statement as written). `None` when it is gone since (the message then omits it).
fn deciding_document(
    state: &State,
    client: &Caller,
    p: &CallerPolicies<'_>,
    reason: &Reason<'_>,
    resource_document: Option<&str>,
) -> Option<String> {
    let managed =
        |arn: &str| crate::auth::decide::managed_origin(state, arn).map(|o| o.document.to_owned());
    match reason.policy_type {
        PolicyType::Resource => resource_document.map(str::to_owned),
        PolicyType::PermissionsBoundary => managed(reason.policy),
        PolicyType::Session => match &client.session {
            // The inline session policy and the scope-down policies have fixed names; the
            // others are managed ARNs.
            Some(opened) if !reason.policy.starts_with("arn:") => {
                match crate::auth::session_decide::SCOPE_DOWN_POLICIES
                    .iter()
                    .position(|n| *n == reason.policy)
                {
                    Some(i) => opened.session.scope_down.get(i).cloned(),
                    None => opened.session.policy.clone(),
                }
            }
            _ => managed(reason.policy),
        },
        PolicyType::Identity => {
            // The reason names the very `NamedPolicy` the engine was given: its position
            // among the identity policies is its position among their origins.
            let index = p
                .identity
                .iter()
                .position(|n| std::ptr::eq(n.name, reason.policy))?;
            let mut origins = Vec::new();
            match &client.kind {
                CallerKind::User { .. } => {
                    let user = state.user_by_id(&client.user_id)?;
                    crate::auth::decide::user_policies_traced(state, user, Some(&mut origins))?;
                }
                CallerKind::FederatedUser { .. } => {
                    let SessionPrincipal::FederatedUser { user_id, .. } =
                        &client.session.as_deref()?.session.principal
                    else {
                        return None;
                    };
                    let user = state.user_by_id(user_id)?;
                    crate::auth::decide::user_policies_traced(state, user, Some(&mut origins))?;
                }
                CallerKind::AssumedRole { role_name, .. } => {
                    let role = state.role(&client.account, role_name)?;
                    crate::auth::decide::role_policies_traced(state, role, Some(&mut origins))?;
                }
                CallerKind::Root => return None,
            }
            origins.get(index).map(|o| o.document.to_owned())
        }
        _ => None,
    }
}

/// AWS's AccessDenied text for a denial by the engine's `decision`.
fn denial_message(
    client: &Caller,
    target: &Target,
    decision: Option<&oxiam_policy::Decision<'_>>,
) -> String {
    let why = match decision.map(|d| (d.effect, d.denied_by.map(|b| b.policy_type))) {
        Some((Effect::ExplicitDeny, Some(PolicyType::Identity))) => {
            "with an explicit deny in an identity-based policy".to_owned()
        }
        Some((Effect::ExplicitDeny, Some(t))) => {
            format!("with an explicit deny in a {}", t.as_str())
        }
        Some((_, Some(t))) => format!(
            "because no {} allows the {} action",
            t.as_str(),
            target.action
        ),
        _ => format!(
            "because no identity-based policy allows the {} action",
            target.action
        ),
    };
    format!(
        "User: {} is not authorized to perform: {} on resource: {} {why}",
        client.arn, target.action, target.resource
    )
}
