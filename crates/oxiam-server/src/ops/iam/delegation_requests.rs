//! IAM temporary delegation: Create/Get/List/Associate/Accept/Reject/Update
//! DelegationRequest and SendDelegationToken (the trade-in is `ops::sts::delegation`).
//!
//! The lifecycle (AWS's "Understanding the Request Lifecycle"): a partner account creates
//! a request (`UNASSIGNED`); an identity of the customer's account associates it
//! (`ASSIGNED`, that identity is the `OwnerId`), may forward it to an administrator with
//! notes (`UpdateDelegationRequest`: `PENDING_APPROVAL`), accepts it (`ACCEPTED`, the
//! accepting identity is the one the credentials act as) or rejects it (`REJECTED`), and
//! releases the trade-in token (`SendDelegationToken`: `FINALIZED`). A request not
//! finished in time is `EXPIRED`.
//!
//! The permission template (`PolicyTemplateArn`) is a managed policy the partner's account
//! holds (or an AWS managed one) whose document carries `{{Name}}` placeholders; the
//! request's parameters fill them in, and the result is the request's `PermissionPolicy`.
//! The trade-in token goes to the partner's notification channel (see
//! `ops::sts::delegation::deliver`); only its secret is kept, sealed under the KEK.

use oxiam_policy::{ParseOptions, Policy, PolicyKind};
use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;
use oxiam_store::Record;
use oxiam_store::crypto::Kek;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Ctx, paginate};
use crate::auth::authn::{Caller, CallerKind};
use crate::auth::target::Target;
use crate::model::delegation::{
    DelegationParameter, DelegationRequest, DelegationState, PENDING_SECONDS, REQUESTS_PER_ACCOUNT,
    TradeInToken,
};
use crate::model::error::{ServerError, api, invalid_input, no_such_entity};
use crate::model::session::{SessionPrincipal, SessionPrincipal as P};
use crate::model::{Epoch, ServicePassword, to_datetime};
use crate::ops::Resolver;
use crate::state::{Entity, Tx, json_decode, json_encode, open_text_field, seal_field};

/// The resource of every operation on one request (AWS's service authorization reference:
/// `arn:${Partition}:iam::${Account}:delegation-request/${DelegationRequestId}`), in the
/// caller's account: each side authorizes its own identities on its own ARN form.
pub fn target(x: &Resolver<'_>, id: &str) -> Target {
    Target::new(x.action.clone(), arn(x.account(), id))
}

pub fn arn(account: &str, id: &str) -> String {
    format!("arn:aws:iam::{account}:delegation-request/{id}")
}

/// The stored form: the trade-in token's secret sealed under the KEK.
#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    requestor: String,
    workflow: String,
    description: String,
    message: Option<String>,
    template: String,
    parameters: Vec<DelegationParameter>,
    policy: String,
    redirect_url: Option<String>,
    channel: String,
    duration: i32,
    only_send_by_owner: bool,
    owner_account: Option<String>,
    owner_id: Option<String>,
    approver_id: Option<String>,
    approver: Option<SessionPrincipal>,
    state: DelegationState,
    notes: Option<String>,
    rejection_reason: Option<String>,
    created: Epoch,
    updated: Epoch,
    expires: Epoch,
    sealed_token: Option<String>,
    token_used: bool,
}

fn aad(id: &str) -> Vec<u8> {
    format!("delegation_request/{id}").into_bytes()
}

impl Entity for DelegationRequest {
    const TABLE: &'static str = "delegation_request";
    fn key(&self) -> String {
        self.id.clone()
    }
    fn account(&self) -> Option<&str> {
        Some(&self.requestor)
    }
    fn encode(&self, kek: &Kek) -> Result<Vec<u8>, ServerError> {
        let d = self.clone();
        let sealed_token = d
            .token
            .as_ref()
            .map(|t| seal_field(kek, t.secret.expose().as_bytes(), &aad(&d.id)));
        json_encode(&Stored {
            token_used: d.token.as_ref().is_some_and(|t| t.used),
            sealed_token,
            id: d.id,
            requestor: d.requestor,
            workflow: d.requestor_workflow_id,
            description: d.description,
            message: d.request_message,
            template: d.policy_template_arn,
            parameters: d.parameters,
            policy: d.permission_policy,
            redirect_url: d.redirect_url,
            channel: d.notification_channel,
            duration: d.session_duration,
            only_send_by_owner: d.only_send_by_owner,
            owner_account: d.owner_account,
            owner_id: d.owner_id,
            approver_id: d.approver_id,
            approver: d.approver,
            state: d.state,
            notes: d.notes,
            rejection_reason: d.rejection_reason,
            created: d.created,
            updated: d.updated,
            expires: d.expires,
        })
    }
    fn decode(record: &Record, kek: &Kek) -> Result<Self, ServerError> {
        let s: Stored = json_decode(record)?;
        let token = match &s.sealed_token {
            Some(sealed) => {
                let what = format!("the trade-in token of {}", s.id);
                let secret = open_text_field(kek, sealed, &aad(&s.id), &what)?;
                Some(TradeInToken {
                    secret: ServicePassword::new(secret),
                    used: s.token_used,
                })
            }
            None => None,
        };
        Ok(DelegationRequest {
            id: s.id,
            requestor: s.requestor,
            requestor_workflow_id: s.workflow,
            description: s.description,
            request_message: s.message,
            policy_template_arn: s.template,
            parameters: s.parameters,
            permission_policy: s.policy,
            redirect_url: s.redirect_url,
            notification_channel: s.channel,
            session_duration: s.duration,
            only_send_by_owner: s.only_send_by_owner,
            owner_account: s.owner_account,
            owner_id: s.owner_id,
            approver_id: s.approver_id,
            approver: s.approver,
            state: s.state,
            notes: s.notes,
            rejection_reason: s.rejection_reason,
            created: s.created,
            updated: s.updated,
            expires: s.expires,
            token,
        })
    }
}

/// The placeholder syntax of a permission template: `{{Name}}`.
const OPEN: &str = "{{";
const CLOSE: &str = "}}";

/// Fills the `{{Name}}` placeholders of a template's document with the request's
/// parameters. A JSON string that is exactly one placeholder takes the parameter's value:
/// a string, or for a `stringList` the array of its values; a placeholder inside a longer
/// string takes a `string` parameter's value. Substitution works on the parsed document,
/// so no value can change the document's structure. Every placeholder must be given and
/// every parameter used.
pub fn render(template: &str, parameters: &[DelegationParameter]) -> Result<String, ServerError> {
    let mut doc: Value = serde_json::from_str(template)
        .map_err(|_| invalid_input("The policy template is not a JSON document."))?;
    let mut used = vec![false; parameters.len()];
    fill(&mut doc, parameters, &mut used)?;
    if let Some(p) = parameters
        .iter()
        .zip(&used)
        .find(|(_, u)| !**u)
        .map(|(p, _)| p)
    {
        return Err(invalid_input(format!(
            "Parameter {} is not used by the policy template.",
            p.name
        )));
    }
    serde_json::to_string(&doc).map_err(|e| ServerError::Internal(format!("policy JSON: {e}")))
}

fn fill(
    v: &mut Value,
    params: &[DelegationParameter],
    used: &mut [bool],
) -> Result<(), ServerError> {
    match v {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix(OPEN).and_then(|r| r.strip_suffix(CLOSE))
                && !name.contains(OPEN)
                && let Some(i) = params.iter().position(|p| p.name == name)
                && let (Some(p), Some(u)) = (params.get(i), used.get_mut(i))
            {
                *u = true;
                *v = if p.list {
                    Value::Array(p.values.iter().cloned().map(Value::String).collect())
                } else {
                    Value::String(single(p)?.to_owned())
                };
                return Ok(());
            }
            *s = substitute(s, params, used)?;
        }
        Value::Array(items) => {
            for item in items {
                fill(item, params, used)?;
            }
        }
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (k, mut item) in entries {
                fill(&mut item, params, used)?;
                map.insert(substitute(&k, params, used)?, item);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
    Ok(())
}

fn single(p: &DelegationParameter) -> Result<&str, ServerError> {
    match p.values.as_slice() {
        [one] => Ok(one),
        _ => Err(invalid_input(format!(
            "Parameter {} of type string must have exactly one value.",
            p.name
        ))),
    }
}

fn substitute(
    s: &str,
    params: &[DelegationParameter],
    used: &mut [bool],
) -> Result<String, ServerError> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find(OPEN) {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let after = after.get(OPEN.len()..).unwrap_or_default();
        let Some(end) = after.find(CLOSE) else {
            out.push_str(OPEN);
            rest = after;
            continue;
        };
        let name = after.get(..end).unwrap_or_default();
        let i = params.iter().position(|p| p.name == name).ok_or_else(|| {
            invalid_input(format!(
                "The policy template needs parameter {name}, which the request does not give."
            ))
        })?;
        let (Some(p), Some(u)) = (params.get(i), used.get_mut(i)) else {
            continue;
        };
        if p.list {
            return Err(invalid_input(format!(
                "Parameter {name} of type stringList can only stand for a whole value of the policy template."
            )));
        }
        *u = true;
        out.push_str(single(p)?);
        rest = after.get(end + CLOSE.len()..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

/// The document of a template: a managed policy of the requestor's account, or an AWS
/// managed policy.
fn template_document(tx: &Tx, requestor: &str, template_arn: &str) -> Result<String, ServerError> {
    if let Some(p) = crate::model::aws_managed::get(template_arn) {
        return Ok(p.document.clone());
    }
    tx.state()
        .policy_by_arn(template_arn)
        .filter(|p| p.account == requestor)
        .and_then(|p| p.default_document().map(str::to_owned))
        .ok_or_else(|| {
            invalid_input(format!(
                "Policy template {template_arn} does not exist or is not available to this account."
            ))
        })
}

fn parameters(r: &iam::DelegationPermission) -> Result<Vec<DelegationParameter>, ServerError> {
    let mut out: Vec<DelegationParameter> = Vec::new();
    for p in r.parameters.iter().flatten() {
        let name = p
            .name
            .clone()
            .ok_or_else(|| invalid_input("A policy parameter needs a Name."))?;
        if out.iter().any(|o| o.name == name) {
            return Err(invalid_input(format!("Duplicate policy parameter {name}.")));
        }
        out.push(DelegationParameter {
            name,
            values: p.values.clone().unwrap_or_default(),
            list: p.r#type.as_deref() == Some("stringList"),
        });
    }
    Ok(out)
}

/// The SNS topic ARN the notification channel must be.
fn check_channel(channel: &str) -> Result<(), ServerError> {
    let parts: Vec<&str> = channel.split(':').collect();
    let ok = matches!(parts.as_slice(),
        ["arn", "aws", "sns", region, account, topic]
            if !region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && !topic.is_empty());
    if ok {
        Ok(())
    } else {
        Err(invalid_input(format!(
            "NotificationChannel {channel} is not an SNS topic ARN."
        )))
    }
}

pub fn create_delegation_request(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateDelegationRequestRequest,
) -> Result<iam::CreateDelegationRequestResponse, ServerError> {
    let requestor = ctx.caller.account.clone();
    check_channel(&r.notification_channel)?;
    let template_arn = r
        .permissions
        .policy_template_arn
        .clone()
        .ok_or_else(|| invalid_input("Permissions must name a PolicyTemplateArn."))?;
    let params = parameters(&r.permissions)?;
    let policy = render(&template_document(tx, &requestor, &template_arn)?, &params)?;
    let options = ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    Policy::parse_with(&policy, PolicyKind::Identity, &options).map_err(|e| {
        invalid_input(format!(
            "The policy template with its parameters is not a valid policy: {}",
            e.message()
        ))
    })?;
    let state = tx.state();
    // AWS: "IAM maintains a uniqueness check on this workflow id for each request".
    if state
        .delegation_requests
        .values()
        .any(|d| d.requestor == requestor && d.requestor_workflow_id == r.requestor_workflow_id)
    {
        return Err(api(
            ErrorCode::EntityAlreadyExists,
            format!(
                "A delegation request with RequestorWorkflowId {} already exists.",
                r.requestor_workflow_id
            ),
        ));
    }
    super::check_account_quota::<DelegationRequest>(
        state,
        &requestor,
        REQUESTS_PER_ACCOUNT,
        "DelegationRequestsPerAccount",
    )?;
    let now = ctx.env.now.unix_timestamp();
    let id = crate::model::ids::delegation_request_id();
    tx.put(DelegationRequest {
        id: id.clone(),
        requestor,
        requestor_workflow_id: r.requestor_workflow_id.clone(),
        description: r.description.clone(),
        request_message: r.request_message.clone(),
        policy_template_arn: template_arn,
        parameters: params,
        permission_policy: policy,
        redirect_url: r.redirect_url.clone(),
        notification_channel: r.notification_channel.clone(),
        session_duration: r.session_duration,
        only_send_by_owner: r.only_send_by_owner.unwrap_or(false),
        owner_account: r.owner_account_id.clone(),
        owner_id: None,
        approver_id: None,
        approver: None,
        state: DelegationState::Unassigned,
        notes: None,
        rejection_reason: None,
        created: now,
        updated: now,
        expires: now + PENDING_SECONDS,
        token: None,
    })?;
    Ok(iam::CreateDelegationRequestResponse {
        // oxiam's console has no page for delegation requests yet.
        console_deep_link: None,
        delegation_request_id: Some(id),
    })
}

/// Whether `account` may see the request (AWS: anyone while it has no owner account, then
/// the owner account's identities; the requestor always sees its own).
fn visible(d: &DelegationRequest, account: &str) -> bool {
    d.requestor == account || d.owner_account.as_deref().is_none_or(|o| o == account)
}

fn not_found(id: &str) -> ServerError {
    no_such_entity(format!(
        "The delegation request with ID {id} cannot be found."
    ))
}

pub fn find(tx: &Tx, caller: &Caller, id: &str) -> Result<DelegationRequest, ServerError> {
    tx.state()
        .delegation_requests
        .get(id)
        .filter(|d| visible(d, &caller.account))
        .map(|d| DelegationRequest::clone(d))
        .ok_or_else(|| not_found(id))
}

/// The customer's side: only identities of the owner account act on an associated request.
fn as_owner(ctx: &Ctx<'_>, d: &DelegationRequest, action: &str) -> Result<(), ServerError> {
    if d.owner_account.as_deref() == Some(ctx.caller.account.as_str()) && d.owner_id.is_some() {
        return Ok(());
    }
    Err(api(
        ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {} because only the account that owns the delegation request can",
            ctx.caller.arn,
            arn(&ctx.caller.account, &d.id)
        ),
    ))
}

fn wrong_state(d: &DelegationRequest, state: DelegationState, what: &str) -> ServerError {
    invalid_input(format!(
        "Delegation request {} is {} and cannot be {what}.",
        d.id,
        state.as_str()
    ))
}

pub fn shown(d: &DelegationRequest, now: Epoch) -> iam::DelegationRequest {
    iam::DelegationRequest {
        delegation_request_id: Some(d.id.clone()),
        owner_account_id: d.owner_account.clone(),
        description: Some(d.description.clone()),
        request_message: d.request_message.clone(),
        permissions: Some(iam::DelegationPermission {
            policy_template_arn: Some(d.policy_template_arn.clone()),
            parameters: Some(
                d.parameters
                    .iter()
                    .map(|p| iam::PolicyParameter {
                        name: Some(p.name.clone()),
                        values: Some(p.values.clone()),
                        r#type: Some(if p.list { "stringList" } else { "string" }.to_owned()),
                    })
                    .collect(),
            ),
        }),
        permission_policy: Some(d.permission_policy.clone()),
        // Templates in oxiam do not create roles, so no boundary applies.
        role_permission_restriction_arns: None,
        owner_id: d.owner_id.clone(),
        approver_id: d.approver_id.clone(),
        state: Some(d.state_at(now).as_str().to_owned()),
        expiration_time: Some(to_datetime(d.expires)),
        requestor_id: Some(d.requestor.clone()),
        requestor_name: None,
        create_date: Some(to_datetime(d.created)),
        session_duration: Some(d.session_duration),
        redirect_url: d.redirect_url.clone(),
        notes: d.notes.clone(),
        rejection_reason: d.rejection_reason.clone(),
        only_send_by_owner: Some(d.only_send_by_owner),
        updated_time: Some(to_datetime(d.updated)),
    }
}

pub fn get_delegation_request(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetDelegationRequestRequest,
) -> Result<iam::GetDelegationRequestResponse, ServerError> {
    let d = find(tx, ctx.caller, &r.delegation_request_id)?;
    let now = ctx.env.now.unix_timestamp();
    Ok(iam::GetDelegationRequestResponse {
        delegation_request: Some(shown(&d, now)),
        // AWS: "Setting this parameter to true does not guarantee an answer"; oxiam does
        // not run the permission check, and says so.
        permission_check_status: r
            .delegation_permission_check
            .filter(|c| *c)
            .map(|_| "FAILED".to_owned()),
        permission_check_result: None,
    })
}

pub fn list_delegation_requests(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListDelegationRequestsRequest,
) -> Result<iam::ListDelegationRequestsResponse, ServerError> {
    let now = ctx.env.now.unix_timestamp();
    let account = &ctx.caller.account;
    let mut items: Vec<(String, iam::DelegationRequest)> = tx
        .state()
        .delegation_requests
        .values()
        .filter(|d| d.requestor == *account || d.owner_account.as_deref() == Some(account))
        .filter(|d| {
            r.owner_id
                .as_ref()
                .is_none_or(|o| d.owner_id.as_ref() == Some(o))
        })
        .map(|d| (format!("{:020}/{}", d.created, d.id), shown(d, now)))
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let page = paginate(items.into_iter(), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListDelegationRequestsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        delegation_requests: Some(page.items),
    })
}

pub fn associate_delegation_request(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AssociateDelegationRequestRequest,
) -> Result<(), ServerError> {
    let mut d = find(tx, ctx.caller, &r.delegation_request_id)?;
    let now = ctx.env.now.unix_timestamp();
    let state = d.state_at(now);
    if state != DelegationState::Unassigned {
        return Err(wrong_state(&d, state, "associated"));
    }
    d.owner_account = Some(ctx.caller.account.clone());
    d.owner_id = Some(ctx.caller.arn.clone());
    d.state = DelegationState::Assigned;
    d.updated = now;
    tx.put(d)
}

/// Who the delegated credentials act as: the accepting identity. The credentials carry
/// only the request's policy as their session policy, so a session whose own permissions
/// are narrower than its principal's (session policies, a delegation, a federated user's
/// session) cannot accept: the credentials would act with more than it has.
fn approver(caller: &Caller) -> Result<SessionPrincipal, ServerError> {
    if let Some(opened) = &caller.session {
        let s = &opened.session;
        let narrowed = s.policy.is_some() || !s.policy_arns.is_empty() || s.delegation.is_some();
        return match &s.principal {
            P::FederatedUser { .. } => Err(invalid_input(
                "A federated user session cannot accept a delegation request.",
            )),
            _ if narrowed => Err(invalid_input(
                "A session with session policies or delegated permissions cannot accept a delegation request.",
            )),
            p => Ok(p.clone()),
        };
    }
    match caller.kind {
        CallerKind::Root => Ok(P::Root),
        CallerKind::User { .. } => Ok(P::User {
            user_id: caller.user_id.clone(),
        }),
        CallerKind::AssumedRole { .. } | CallerKind::FederatedUser { .. } => Err(invalid_input(
            "This identity cannot accept a delegation request.",
        )),
    }
}

/// One step of the owner's side of the lifecycle: the request, in one of `from` (else
/// InvalidInput saying it cannot be `verb`), acted on by the owner account (`action`
/// names the denial), changed by `step`, stamped and stored.
fn owner_step(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    id: &str,
    (from, verb, action): (&[DelegationState], &str, &str),
    step: impl FnOnce(&mut DelegationRequest) -> Result<(), ServerError>,
) -> Result<(), ServerError> {
    let mut d = find(tx, ctx.caller, id)?;
    let now = ctx.env.now.unix_timestamp();
    let state = d.state_at(now);
    if !from.contains(&state) {
        return Err(wrong_state(&d, state, verb));
    }
    as_owner(ctx, &d, action)?;
    step(&mut d)?;
    d.updated = now;
    tx.put(d)
}

pub fn accept_delegation_request(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AcceptDelegationRequestRequest,
) -> Result<(), ServerError> {
    use DelegationState::{Accepted, Assigned, PendingApproval};
    let from = [Assigned, PendingApproval];
    let step = (&from[..], "accepted", "iam:AcceptDelegationRequest");
    owner_step(ctx, tx, &r.delegation_request_id, step, |d| {
        d.approver = Some(approver(ctx.caller)?);
        d.approver_id = Some(ctx.caller.arn.clone());
        d.state = Accepted;
        Ok(())
    })
}

pub fn reject_delegation_request(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::RejectDelegationRequestRequest,
) -> Result<(), ServerError> {
    use DelegationState::{Accepted, Assigned, PendingApproval, Rejected};
    let from = [Assigned, PendingApproval, Accepted];
    let step = (&from[..], "rejected", "iam:RejectDelegationRequest");
    owner_step(ctx, tx, &r.delegation_request_id, step, |d| {
        d.state = Rejected;
        d.rejection_reason = r.notes.clone();
        Ok(())
    })
}

/// UpdateDelegationRequest: the owner forwards an assigned request to an administrator
/// with notes (`PENDING_APPROVAL`), or changes the notes of a forwarded one.
pub fn update_delegation_request(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateDelegationRequestRequest,
) -> Result<(), ServerError> {
    use DelegationState::{Assigned, PendingApproval};
    let from = [Assigned, PendingApproval];
    let step = (&from[..], "updated", "iam:UpdateDelegationRequest");
    owner_step(ctx, tx, &r.delegation_request_id, step, |d| {
        d.state = PendingApproval;
        d.notes = r.notes.clone();
        Ok(())
    })
}

/// SendDelegationToken's change to the request: `FINALIZED`, the delegation period
/// (`SessionDuration` from now) started, a new trade-in token. Returns the request and the
/// token as the partner presents it; `ops::sts::delegation::send_delegation_token` delivers it.
pub fn finalize(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    id: &str,
) -> Result<(DelegationRequest, ServicePassword), ServerError> {
    let mut d = find(tx, ctx.caller, id)?;
    let now = ctx.env.now.unix_timestamp();
    let state = d.state_at(now);
    if state != DelegationState::Accepted {
        return Err(wrong_state(&d, state, "sent"));
    }
    as_owner(ctx, &d, "iam:SendDelegationToken")?;
    if d.only_send_by_owner && d.owner_id.as_deref() != Some(ctx.caller.arn.as_str()) {
        return Err(api(
            ErrorCode::AccessDenied,
            format!(
                "User: {} is not authorized to perform: iam:SendDelegationToken on resource: {} because only the owner of the delegation request may send its token",
                ctx.caller.arn,
                arn(&ctx.caller.account, &d.id)
            ),
        ));
    }
    let secret = ServicePassword::new(crate::model::ids::secret_access_key());
    let presented = ServicePassword::new(format!("{}.{}", d.id, secret.expose()));
    d.token = Some(TradeInToken {
        secret,
        used: false,
    });
    d.state = DelegationState::Finalized;
    d.expires = now + i64::from(d.session_duration);
    d.updated = now;
    tx.put(d.clone())?;
    Ok((d, presented))
}

/// SendDelegationToken: finalizes the request, then delivers the trade-in token to the
/// partner's notification channel (`deliver`).
pub fn send_delegation_token(
    app: &crate::app::App,
    ctx: &Ctx<'_>,
    r: &iam::SendDelegationTokenRequest,
) -> Result<(), ServerError> {
    // Refused before anything changes: a token with nowhere to go would be lost.
    let outbox = outbox_dir(app).ok_or_else(|| {
        invalid_input("This deployment has no data directory to deliver delegation tokens to.")
    })?;
    let (d, token) = app.write(|tx| finalize(ctx, tx, &r.delegation_request_id))?;
    deliver(&outbox, &d, &token).map_err(|e| {
        ServerError::Internal(format!(
            "cannot deliver the token of delegation request {}: {e}",
            d.id
        ))
    })
}

/// Where notifications go: `<data dir>/notifications/` (oxiam has no SNS).
fn outbox_dir(app: &crate::app::App) -> Option<std::path::PathBuf> {
    app.config
        .data_dir
        .as_ref()
        .map(|d| d.join("notifications"))
}

/// The file of one topic: `arn:aws:sns:us-east-1:111122223333:partner` →
/// `arn_aws_sns_us-east-1_111122223333_partner.jsonl`.
pub fn topic_file(topic_arn: &str) -> String {
    format!("{}.jsonl", topic_arn.replace(':', "_"))
}

/// Appends the message SNS would publish to the topic, in the form SNS delivers to its
/// subscribers (`Type`, `MessageId`, `TopicArn`, `Subject`, `Message`, `Timestamp`), one
/// JSON line per message; the file is readable by its owner only.
fn deliver(
    dir: &std::path::Path,
    d: &DelegationRequest,
    token: &ServicePassword,
) -> std::io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(dir)?;
    let message = serde_json::json!({
        "delegationRequestId": d.id,
        "requestorWorkflowId": d.requestor_workflow_id,
        "state": DelegationState::Finalized.as_str(),
        "tradeInToken": token.expose(),
        "expirationTime": crate::model::to_datetime(d.expires).to_iso8601(),
    });
    let notification = serde_json::json!({
        "Type": "Notification",
        "MessageId": crate::model::ids::delegation_request_id(),
        "TopicArn": d.notification_channel,
        "Subject": "IAM delegation request finalized",
        "Message": message.to_string(),
        "Timestamp": crate::model::to_datetime(d.updated).to_iso8601(),
    });
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(dir.join(topic_file(&d.notification_channel)))?;
    writeln!(file, "{notification}")
}

#[cfg(test)]
mod tests;
