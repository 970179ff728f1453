//! AssumeRole: a role session for an IAM user or another role session (role chaining), in
//! the same account or across accounts.
//!
//! Authorization is one policy-engine decision with the role's trust policy as the
//! resource policy and the caller's identity policies, boundary and session policies as
//! the identity side: in the same account a trust policy naming the caller suffices, one
//! naming only the account delegates to the caller's identity policies; across accounts
//! both must allow. Passing session tags needs `sts:TagSession`, a source identity
//! `sts:SetSourceIdentity`, each decided the same way. In a report-only account a denied
//! assumption of one of its own roles goes through and is recorded (a role that does not
//! exist, or of another account, is denied as always).

use oxiam_policy::NamedPolicy;
use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::sts;

use super::limits::{check_mfa, check_tags};
use crate::app::App;
use crate::auth::authn::{Caller, CallerKind};
use crate::auth::decide::{Outcome, RequestEnv};
use crate::auth::target::Target;
use crate::model::error::{ServerError, api, validation};
use crate::model::session::Session;
use crate::model::{Role, Tag};
use crate::ops::iam::Ctx;
use crate::state::State;

/// A session's default length, and the cap of role chaining.
const ONE_HOUR: i32 = 3600;
/// The most tags a session carries, its own and inherited ones together.
const MAX_SESSION_TAGS: usize = 50;
/// RoleLastUsed is rewritten at most this often per role: AWS too reports it late, and a
/// store write per AssumeRole would cap its rate.
const LAST_USED_GRANULARITY: i64 = 60;

fn not_authorized(caller: &Caller, action: &str, role_arn: &str) -> ServerError {
    api(
        ErrorCode::AccessDenied,
        format!(
            "User: {} is not authorized to perform: {action} on resource: {role_arn}",
            caller.arn
        ),
    )
}

/// An ARN that does not parse is invalid input (400), not a role the caller may not assume
/// (403); AWS's wording, as its role-assuming calls give it.
pub(crate) fn check_role_arn(arn: &str) -> Result<(), ServerError> {
    if arn.starts_with("arn:") && arn.split(':').count() >= 6 {
        Ok(())
    } else {
        Err(validation("Request ARN is invalid"))
    }
}

/// The role a role ARN names (`arn:aws:iam::ACCT:role/PATH/NAME`), path included.
pub(crate) fn find_role<'s>(state: &'s State, arn: &str) -> Option<&'s std::sync::Arc<Role>> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, path_name) = rest.split_once(":role/")?;
    let name = path_name.rsplit('/').next()?;
    state.role(account, name).filter(|r| r.arn() == arn)
}

/// The session's source identity: set once, then inherited unchanged by every chained
/// session.
fn source_identity(
    parent: Option<&Session>,
    requested: Option<&String>,
) -> Result<Option<String>, ServerError> {
    if let Some(s) = requested
        && s.to_ascii_lowercase().starts_with("aws:")
    {
        return Err(validation(
            "SourceIdentity must not begin with the reserved prefix aws:",
        ));
    }
    match (parent.and_then(|p| p.source_identity.as_ref()), requested) {
        (Some(set), Some(new)) if set != new => Err(validation(format!(
            "The source identity of the calling session ({set}) cannot be changed."
        ))),
        (Some(set), _) => Ok(Some(set.clone())),
        (None, new) => Ok(new.cloned()),
    }
}

/// The session tags: the request's, plus the calling session's transitive tags, which
/// cannot be overridden; and the transitive keys, which must name tags of the request.
fn session_tags(
    parent: Option<&Session>,
    r: &sts::AssumeRoleRequest,
) -> Result<(Vec<Tag>, Vec<String>), ServerError> {
    let mut tags = check_tags(r.tags.as_deref().unwrap_or_default())?;
    let mut transitive = Vec::new();
    for key in r.transitive_tag_keys.as_deref().unwrap_or_default() {
        if !tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
            return Err(validation(format!(
                "The transitive tag key {key} is not one of the session tags passed in the request."
            )));
        }
        transitive.push(key.clone());
    }
    if let Some(parent) = parent {
        for inherited in parent.transitive_tags() {
            if tags
                .iter()
                .any(|t| t.key.eq_ignore_ascii_case(&inherited.key))
            {
                // InvalidParameterValue, as AWS answers it (recorded).
                return Err(api(
                    ErrorCode::InvalidParameterValue,
                    format!(
                        "The session tag {} is transitive in the calling session and cannot be overridden.",
                        inherited.key
                    ),
                ));
            }
            tags.push(inherited.clone());
            transitive.push(inherited.key.clone());
        }
    }
    if tags.len() > MAX_SESSION_TAGS {
        return Err(validation(format!(
            "A session can have at most {MAX_SESSION_TAGS} tags, inherited transitive tags included."
        )));
    }
    Ok((tags, transitive))
}

/// The condition keys of the trust decision: the request's parameters as AWS names them.
fn trust_target(
    r: &sts::AssumeRoleRequest,
    role_arn: &str,
    source_identity: Option<&String>,
) -> Target {
    let mut t = Target::new("sts:AssumeRole".to_owned(), role_arn.to_owned());
    t.key("sts:RoleSessionName", r.role_session_name.as_str());
    if let Some(e) = &r.external_id {
        t.key("sts:ExternalId", e.as_str());
    }
    if let Some(si) = source_identity {
        t.key("sts:SourceIdentity", si.as_str());
    }
    t = t.session_tags(r.tags.as_deref());
    if let Some(keys) = &r.transitive_tag_keys {
        t.key("sts:TransitiveTagKeys", keys.clone());
    }
    t
}

pub fn assume_role(
    app: &App,
    ctx: &Ctx<'_>,
    r: &sts::AssumeRoleRequest,
) -> Result<sts::AssumeRoleResponse, ServerError> {
    let caller = ctx.caller;
    let chained = match &caller.kind {
        CallerKind::Root => {
            return Err(api(
                ErrorCode::AccessDenied,
                "Roles may not be assumed by root accounts.",
            ));
        }
        CallerKind::AssumedRole { .. } => true,
        CallerKind::User { .. } | CallerKind::FederatedUser { .. } => false,
    };
    let new_mfa = check_mfa(app, caller, r.serial_number.as_ref(), r.token_code.as_ref())?;
    let state = app.snapshot();
    check_role_arn(&r.role_arn)?;
    let denied = |action: &str| not_authorized(caller, action, &r.role_arn);
    // A role that does not exist is denied like one that does not trust the caller: the
    // answer does not reveal which roles exist.
    let role = find_role(&state, &r.role_arn).ok_or_else(|| denied("sts:AssumeRole"))?;
    let parent = caller.session.as_deref().map(|o| &o.session);
    let source_identity = source_identity(parent, r.source_identity.as_ref())?;
    let (tags, transitive_tag_keys) = session_tags(parent, r)?;

    let trust = super::trust_policy(role).ok_or_else(|| denied("sts:AssumeRole"))?;
    let trust = NamedPolicy {
        name: "trust policy",
        policy: &trust,
    };
    // The request's own facts (source IP, TLS, region): trust and identity policies of the
    // caller both see them, as for any other call.
    let env: &RequestEnv = ctx.env;
    let mut target = trust_target(r, &r.role_arn, source_identity.as_ref());
    // A code given with this request authenticates it: trust policies see MFA as present.
    // (A caller whose own session used MFA has the keys from its session.)
    if new_mfa.is_some() {
        target.key("aws:MultiFactorAuthPresent", true);
        target.key("aws:MultiFactorAuthAge", 0i64);
    }
    for action in super::trust_actions("sts:AssumeRole", &tags, source_identity.as_ref()) {
        action.clone_into(&mut target.action);
        let outcome = crate::auth::session_decide::decision(
            caller,
            &target,
            env,
            &state,
            Some((trust, role.account.as_str())),
        );
        let (explicit, by) = match outcome {
            Outcome::Allow => continue,
            Outcome::ExplicitDeny(by) => (true, by),
            Outcome::ImplicitDeny(by) => (false, by),
        };
        // Report-only: a role of the caller's own report-only account is assumed anyway
        // and the denial recorded. INVARIANT (report-only-own-account): a role of another
        // account is decided by its trust policy as always.
        if role.account == caller.account
            && crate::auth::authz::is_report_only(&state, &caller.account)
        {
            let would = crate::auth::authz::WouldDeny {
                action: action.to_owned(),
                resource: r.role_arn.clone(),
                decision: if explicit {
                    "ExplicitDeny"
                } else {
                    "ImplicitDeny"
                },
                denied_by: by.as_str(),
                message: match denied(action) {
                    ServerError::Api(a) => a.message,
                    other => other.to_string(),
                },
            };
            crate::auth::authz::record_would_deny(
                app,
                crate::model::access::Via::Api,
                caller,
                &would,
                env,
            );
            continue;
        }
        return Err(denied(action));
    }

    let seconds = r.duration_seconds.unwrap_or(ONE_HOUR);
    if chained && seconds > ONE_HOUR {
        return Err(validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        ));
    }
    let input = super::role_session_input(
        &state,
        role,
        seconds,
        r.policy.as_ref(),
        r.policy_arns.as_deref(),
        tags,
    )?;

    let now = app.sts.now().unix_timestamp();
    let packed_policy_size = input.packed_percent;
    let session = Session {
        transitive_tag_keys,
        source_identity: source_identity.clone(),
        // A code given now, or else the MFA of the caller's own session, carries over.
        mfa: new_mfa.or_else(|| parent.and_then(|p| p.mfa.clone())),
        chained,
        ..super::role_session(role, &r.role_session_name, now, seconds, input)
    };
    let (credentials, session) = super::issue(app, session)?;
    note_role_used(app, role, &caller.region, now);
    Ok(sts::AssumeRoleResponse {
        credentials: Some(credentials),
        assumed_role_user: Some(super::assumed_role_user(&session)),
        packed_policy_size,
        source_identity,
        ..Default::default()
    })
}

/// Records the role's last use (`GetRole`'s `RoleLastUsed`) when the stored one is older
/// than [`LAST_USED_GRANULARITY`]. A failure here does not fail the AssumeRole.
fn note_role_used(app: &App, role: &Role, region: &str, now: i64) {
    if role
        .last_used
        .as_ref()
        .is_some_and(|(at, _)| (now - at).abs() < LAST_USED_GRANULARITY)
    {
        return;
    }
    let region = if region.is_empty() {
        "us-east-1"
    } else {
        region
    };
    let written = app.write(|tx| {
        let Some(current) = tx
            .state()
            .role(&role.account, &role.name)
            .filter(|r| r.id == role.id)
        else {
            return Ok(());
        };
        let mut updated = Role::clone(current);
        updated.last_used = Some((now, region.to_owned()));
        tx.put(updated)
    });
    if let Err(e) = written {
        tracing::warn!(error = %e, role = %role.arn(), "could not record the role's last use");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::session::tests::role_session;

    #[test]
    fn source_identity_is_set_once() {
        let mut parent = role_session();
        assert_eq!(source_identity(None, None).unwrap(), None);
        assert_eq!(
            source_identity(None, Some(&"alice".into()))
                .unwrap()
                .as_deref(),
            Some("alice")
        );
        assert!(source_identity(None, Some(&"aws:x".into())).is_err());
        parent.source_identity = Some("alice".into());
        assert_eq!(
            source_identity(Some(&parent), None).unwrap().as_deref(),
            Some("alice")
        );
        assert!(source_identity(Some(&parent), Some(&"alice".into())).is_ok());
        assert!(source_identity(Some(&parent), Some(&"bob".into())).is_err());
    }

    #[test]
    fn transitive_tags_propagate_and_cannot_be_overridden() {
        let parent = role_session(); // team=red transitive, env=dev not
        let tag = |k: &str, v: &str| sts::Tag {
            key: k.into(),
            value: v.into(),
        };
        let mut r = sts::AssumeRoleRequest {
            tags: Some(vec![tag("project", "x")]),
            transitive_tag_keys: Some(vec!["PROJECT".into()]),
            ..Default::default()
        };
        let (tags, keys) = session_tags(Some(&parent), &r).unwrap();
        let names: Vec<&str> = tags.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(names, ["project", "team"]);
        assert_eq!(keys, ["PROJECT", "team"]);
        r.tags = Some(vec![tag("TEAM", "blue")]);
        r.transitive_tag_keys = None;
        assert!(session_tags(Some(&parent), &r).is_err(), "override refused");
        assert!(session_tags(None, &r).is_ok());
        r.transitive_tag_keys = Some(vec!["other".into()]);
        assert!(session_tags(None, &r).is_err(), "transitive keys ⊆ tags");
    }
}
