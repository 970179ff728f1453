//! `POST /authorization/v1/who-can`: which principals of the caller's account can perform
//! an action on a resource (the analysis is [`crate::auth::who_can`]; the JSON is
//! `oxiam_protocol::authorization::WhoCan*`).
//!
//! Signed with SigV4 for `iam`, like the IAM API. The caller needs
//! `iam:GetAccountAuthorizationDetails` on `*`: the answer reveals the account's principals
//! and the statements of their policies, which is what that operation reveals; a principal
//! allowed it can compute the answer itself. It goes through the pipeline's steps
//! (authenticate, access-advisor attempt, authorize, audit), and a denial or a malformed
//! question gets the authorization API's JSON error.

use std::time::Instant;

use oxiam_policy::{ContextValue, StatementEffect};
use oxiam_protocol::Service;
use oxiam_protocol::authorization::{
    WHO_CAN_ACTION, WHO_CAN_SIGNING_NAME, WhoCanCondition, WhoCanHop, WhoCanPath, WhoCanPrincipal,
    WhoCanRequest, WhoCanResponse, WhoCanStatement,
};
use time::OffsetDateTime;

use crate::app::App;
use crate::auth::authn::{self, Caller};
use crate::auth::decide::RequestEnv;
use crate::auth::target::Target;
use crate::auth::who_can::{self, Finding, Hop, Kind, Question};
use crate::front::authorization::{Answer, context_value, error_answer, resource_policy};
use crate::front::pipeline::{self, HttpIn};
use crate::model::access::Via;
use crate::model::error::{ServerError, validation};
use crate::model::ids;

/// What every answer says about its own limits.
pub const NOTES: [&str; 4] = [
    "the account root can perform every action on its own account's resources; only an explicit deny in the resource policy stops it",
    "a role is reported as the upper bound of its sessions: session policies can only narrow a session",
    "principals outside the account are judged on this account's trust and resource policies only; their own account's policies must allow too",
    "service control and resource control policies are not taken into account",
];

/// Serves one who-can call.
pub fn handle(app: &App, http: &HttpIn) -> Answer {
    let request_id = ids::request_id();
    let started = Instant::now();
    let mut seen = None;
    let result = answer(app, http, &mut seen).and_then(|resp| {
        serde_json::to_string(&resp).map_err(|e| ServerError::Internal(e.to_string()))
    });
    let (status, error) = match &result {
        Ok(_) => (200, None),
        Err(e) => (
            e.to_api(oxiam_protocol::Service::Iam).code.http_status(),
            Some(e),
        ),
    };
    pipeline::audit(
        &request_id,
        "who-can",
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
        Err(e) => error_answer(&e, request_id, "who-can", Service::Sts),
    }
}

fn answer(
    app: &App,
    http: &HttpIn,
    seen: &mut Option<(Caller, Target)>,
) -> Result<WhoCanResponse, ServerError> {
    let now = OffsetDateTime::now_utc();
    let headers = http.header_refs();
    let caller = authn::authenticate(app, &http.sigv4(&headers), WHO_CAN_SIGNING_NAME, now)?;
    let state = app.snapshot();
    let env = RequestEnv {
        now,
        region: Some(caller.region.clone()),
        ..pipeline::request_env(http)
    };
    let target = Target::new(WHO_CAN_ACTION.to_owned(), "*".to_owned());
    pipeline::note_attempt(app, &caller, WHO_CAN_ACTION, &env, Via::Api);
    *seen = Some((caller.clone(), target.clone()));
    crate::auth::authz::authorize(&caller, &target, &env, &state)?;

    let body: WhoCanRequest = serde_json::from_slice(&http.body)
        .map_err(|e| validation(format!("the request body is not a who-can request: {e}")))?;
    if body.action.is_empty() || body.resource.is_empty() {
        return Err(validation("`action` and `resource` are required"));
    }
    if !body.action.contains(':') {
        return Err(validation(format!(
            "`action` {} is not of the form service:Action",
            body.action
        )));
    }
    let resource_policy = resource_policy(app, body.resource_policy.as_deref())?;
    let mut context: Vec<(String, ContextValue)> = Vec::new();
    for (k, v) in &body.context {
        context.push((k.clone(), context_value(k, v)?));
    }
    let question = Question {
        account: &caller.account,
        action: &body.action,
        resource: &body.resource,
        context: &context,
        resource_policy: resource_policy.as_deref(),
    };
    let found = who_can::who_can(&state, &question);
    Ok(WhoCanResponse {
        account: caller.account.clone(),
        action: body.action,
        resource: body.resource,
        principals: found.principals.iter().map(principal).collect(),
        notes: NOTES.iter().map(|n| (*n).to_owned()).collect(),
    })
}

fn effect(e: StatementEffect) -> String {
    match e {
        StatementEffect::Allow => "Allow".to_owned(),
        StatementEffect::Deny => "Deny".to_owned(),
    }
}

/// The wire form of one finding.
pub fn principal(f: &Finding) -> WhoCanPrincipal {
    WhoCanPrincipal {
        principal: f.principal.clone(),
        principal_type: f.kind.as_str().to_owned(),
        access: f.access.as_str().to_owned(),
        upper_bound: f.upper_bound || f.kind == Kind::Role,
        paths: f
            .paths
            .iter()
            .map(|p| WhoCanPath {
                via: p
                    .via
                    .iter()
                    .map(|h| match h {
                        Hop::Group(g) => WhoCanHop {
                            hop_type: "group".to_owned(),
                            name: g.clone(),
                        },
                        Hop::AssumeRole(r) => WhoCanHop {
                            hop_type: "assumeRole".to_owned(),
                            name: r.clone(),
                        },
                    })
                    .collect(),
                access: p.access.as_str().to_owned(),
                statements: p
                    .statements
                    .iter()
                    .map(|s| WhoCanStatement {
                        policy_type: s.policy_type.as_str().to_owned(),
                        policy: s.policy.clone(),
                        statement: s.statement,
                        sid: s.sid.clone(),
                        effect: effect(s.effect),
                    })
                    .collect(),
                conditions: p
                    .conditions
                    .iter()
                    .map(|c| WhoCanCondition {
                        policy: c.policy.clone(),
                        statement: c.statement,
                        sid: c.sid.clone(),
                        effect: effect(c.effect),
                        operator: c.operator.clone(),
                        key: c.key.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}
