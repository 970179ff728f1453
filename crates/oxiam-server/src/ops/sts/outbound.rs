//! Outbound web identity federation: oxiam as an OIDC issuer. `GetWebIdentityToken` signs
//! a JWT for the caller's identity and an external audience; the IAM operations
//! `Enable`/`Disable`/`GetOutboundWebIdentityFederation(Info)` switch it per account.
//!
//! Each account that enables it gets an issuer `<public URL>/oidc/<issuer ID>` (the ID is
//! random, kept across disable/enable) whose discovery document and JWKS oxiam serves at
//! `<issuer>/.well-known/openid-configuration` and `<issuer>/.well-known/jwks.json`, the
//! paths AWS documents. The public URL is `--public-url`, else `http://<listen address>`.
//!
//! Signing keys are ECDSA P-384 (`ES384`), one per deployment at a time, sealed at rest
//! under the key-encryption key like the STS token keys, and rotated the same way: a new
//! key signs after [`ROTATE_AFTER`]; old keys stay published for [`RETAIN`] so tokens they
//! signed verify until they expire and verifiers' cached key sets stay good. `RS256`, the
//! other algorithm AWS offers, is refused: ring (our signature crate) cannot generate RSA
//! keys.
//!
//! As in AWS, these tokens are not accepted back by `AssumeRoleWithWebIdentity` (it takes
//! RS256/ES256 tokens only).

use std::sync::Arc;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::{iam, sts};
use rand::RngCore as _;
use serde_json::{Map, Value, json};

use crate::app::App;
use crate::auth::authn::{Caller, CallerKind};
use crate::auth::target::Target;
use crate::model::error::{ServerError, api, validation};
use crate::model::jwt::{self, Jwks};
use crate::model::{Epoch, Setting, to_datetime};
use crate::ops::Resolver;
use crate::ops::iam::Ctx;
use crate::state::outbound_keys::{ALGORITHM, OutboundKey, RETAIN, ROTATE_AFTER};
use crate::state::{State, Table, Tx};

/// AWS's default token lifetime.
const DEFAULT_DURATION: i32 = 300;
/// The largest claims set signed. AWS documents no figure; this bounds what request tags
/// can add (50 tags of up to 128 + 256 characters fit).
pub const MAX_PAYLOAD_BYTES: usize = 32 * 1024;
/// The claim namespace AWS nests its own claims under.
const AWS_CLAIMS: &str = "https://sts.amazonaws.com/";

/// The key that signs at `now`, if one is young enough.
fn current(keys: &Table<OutboundKey>, now: Epoch) -> Option<Arc<OutboundKey>> {
    keys.values()
        .filter(|k| now - k.created < ROTATE_AFTER)
        .max_by_key(|k| k.created)
        .cloned()
}

fn signing_key(app: &App, now: Epoch) -> Result<Arc<OutboundKey>, ServerError> {
    if let Some(k) = current(&app.snapshot().outbound_keys, now) {
        return Ok(k);
    }
    app.write(|tx| {
        if let Some(k) = current(&tx.state().outbound_keys, now) {
            return Ok(k);
        }
        let expired: Vec<String> = tx
            .state()
            .outbound_keys
            .values()
            .filter(|k| now - k.created > RETAIN)
            .map(|k| k.id.clone())
            .collect();
        for id in expired {
            tx.delete::<OutboundKey>(&id);
        }
        let key = OutboundKey::generate(now)?;
        tx.put(key.clone())?;
        Ok(Arc::new(key))
    })
}

/// The published key set: every key not yet retired.
pub fn jwks(state: &State) -> Jwks {
    Jwks {
        keys: state.outbound_keys.values().map(|k| k.jwk()).collect(),
    }
}

/// An account's outbound federation, as its setting stores it: `enabled <issuer ID>` or
/// `disabled <issuer ID>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Federation {
    pub issuer_id: String,
    pub enabled: bool,
}

fn setting_name(account: &str) -> String {
    format!("outbound_federation/{account}")
}

fn parse(value: &str) -> Option<Federation> {
    let (state, id) = value.split_once(' ')?;
    Some(Federation {
        issuer_id: id.to_owned(),
        enabled: state == "enabled",
    })
}

pub fn federation(state: &State, account: &str) -> Option<Federation> {
    state
        .settings
        .get(&setting_name(account))
        .and_then(|s| parse(&s.value))
}

/// Whether `issuer_id` is the issuer of an account that has federation enabled.
pub fn is_enabled_issuer(state: &State, issuer_id: &str) -> bool {
    State::with_prefix(&state.settings, setting_name(""))
        .any(|s| parse(&s.value).is_some_and(|f| f.enabled && f.issuer_id == issuer_id))
}

pub fn issuer_url(app: &App, issuer_id: &str) -> String {
    format!("{}/oidc/{issuer_id}", app.public_url())
}

/// The discovery document of `issuer`.
pub fn discovery(issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
    })
}

fn feature_disabled() -> ServerError {
    api(
        ErrorCode::FeatureDisabled,
        "Outbound web identity federation is disabled for this account.",
    )
}

fn put(tx: &mut Tx, account: &str, f: &Federation) -> Result<(), ServerError> {
    let state = if f.enabled { "enabled" } else { "disabled" };
    tx.put(Setting {
        name: setting_name(account),
        value: format!("{state} {}", f.issuer_id),
    })
}

/// The three IAM operations of this feature; `None` for every other operation.
/// `EnableOutboundWebIdentityFederation`: gives the account an issuer (kept across a
/// disable, so tokens' `iss` stays the same) and enables it.
pub fn enable_outbound_web_identity_federation(
    app: &App,
    ctx: &Ctx<'_>,
    _r: &iam::EnableOutboundWebIdentityFederationRequest,
) -> Result<iam::EnableOutboundWebIdentityFederationResponse, ServerError> {
    let account = ctx.caller.account.as_str();
    let f = app.write(|tx| match federation(tx.state(), account) {
        Some(f) if f.enabled => Err(api(
            ErrorCode::FeatureEnabled,
            "Outbound web identity federation is already enabled for this account.",
        )),
        old => {
            let issuer_id = old.map_or_else(new_issuer_id, |f| f.issuer_id);
            let f = Federation {
                issuer_id,
                enabled: true,
            };
            put(tx, account, &f)?;
            Ok(f)
        }
    })?;
    Ok(iam::EnableOutboundWebIdentityFederationResponse {
        issuer_identifier: Some(issuer_url(app, &f.issuer_id)),
    })
}

pub fn disable_outbound_web_identity_federation(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    _r: &iam::DisableOutboundWebIdentityFederationRequest,
) -> Result<(), ServerError> {
    let account = ctx.caller.account.as_str();
    match federation(tx.state(), account) {
        Some(f) if f.enabled => put(
            tx,
            account,
            &Federation {
                enabled: false,
                ..f
            },
        ),
        _ => Err(feature_disabled()),
    }
}

pub fn get_outbound_web_identity_federation_info(
    app: &App,
    ctx: &Ctx<'_>,
    _r: &iam::GetOutboundWebIdentityFederationInfoRequest,
) -> Result<iam::GetOutboundWebIdentityFederationInfoResponse, ServerError> {
    match federation(&app.snapshot(), &ctx.caller.account) {
        Some(f) if f.enabled => Ok(iam::GetOutboundWebIdentityFederationInfoResponse {
            issuer_identifier: Some(issuer_url(app, &f.issuer_id)),
            jwt_vending_enabled: Some(true),
        }),
        _ => Err(feature_disabled()),
    }
}

fn new_issuer_id() -> String {
    let mut id = [0u8; 16];
    rand::rng().fill_bytes(&mut id);
    hex::encode(id)
}

/// The token's subject: the principal's ARN, the role's (not the session's) for role
/// sessions, as AWS does.
fn subject(caller: &Caller) -> String {
    match (&caller.kind, caller.session.as_deref()) {
        (CallerKind::AssumedRole { .. }, Some(opened)) => opened
            .session
            .role_arn()
            .unwrap_or_else(|| caller.arn.clone()),
        _ => caller.arn.clone(),
    }
}

fn tag_object(tags: impl IntoIterator<Item = (String, String)>) -> Map<String, Value> {
    tags.into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

/// `sts:GetWebIdentityToken` on `*`, with the audience, duration, algorithm and request
/// tags as the condition keys AWS documents for it.
pub fn get_web_identity_token_target(
    r: &sts::GetWebIdentityTokenRequest,
    x: &Resolver<'_>,
) -> Target {
    x.any()
        .with("sts:IdentityTokenAudience", r.audience.clone())
        .with(
            "sts:DurationSeconds",
            i64::from(r.duration_seconds.unwrap_or(DEFAULT_DURATION)),
        )
        .with("sts:SigningAlgorithm", r.signing_algorithm.as_str())
        .session_tags(r.tags.as_deref())
}

/// The token options botocore 1.44.18 added: the AWS identity as subject and token type
/// (what oxiam issues) may be named; a scope, the origin identity as subject and SPIFFE
/// JWT-SVIDs are not implemented yet — refused rather than dropped.
fn check_token_options(r: &sts::GetWebIdentityTokenRequest) -> Result<(), ServerError> {
    if r.scope.is_some() {
        return Err(validation("Scope is not supported by this service yet."));
    }
    for (member, value) in [
        ("SubjectMode", &r.subject_mode),
        ("TokenType", &r.token_type),
    ] {
        if let Some(value) = value
            && value != "AWSIdentity"
        {
            return Err(validation(format!(
                "{member} {value} is not supported by this service yet; use AWSIdentity."
            )));
        }
    }
    Ok(())
}

pub fn get_web_identity_token(
    app: &App,
    ctx: &Ctx<'_>,
    r: &sts::GetWebIdentityTokenRequest,
) -> Result<sts::GetWebIdentityTokenResponse, ServerError> {
    let caller = ctx.caller;
    let state = app.snapshot();
    let Some(f) = federation(&state, &caller.account).filter(|f| f.enabled) else {
        return Err(api(
            ErrorCode::OutboundWebIdentityFederationDisabledException,
            "Outbound web identity federation is disabled for this account.",
        ));
    };
    match r.signing_algorithm.as_str() {
        ALGORITHM => {}
        "RS256" => {
            return Err(validation(
                "SigningAlgorithm RS256 is not supported by this service; use ES384.",
            ));
        }
        other => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'signingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ES384, RS256]"
            )));
        }
    }
    check_token_options(r)?;
    let now = app.sts.now().unix_timestamp();
    let seconds = i64::from(r.duration_seconds.unwrap_or(DEFAULT_DURATION));
    let expires = now + seconds;
    if let Some(opened) = &caller.session
        && expires > opened.session.expires
    {
        return Err(api(
            ErrorCode::SessionDurationEscalationException,
            "The requested DurationSeconds would make the token outlive the calling session.",
        ));
    }
    let request_tags = super::limits::check_tags(r.tags.as_deref().unwrap_or_default())?;
    let principal_tags = crate::auth::session_decide::caller_policies(caller, &state)
        .map(|p| {
            p.tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();

    let mut aws = Map::new();
    aws.insert("aws_account".into(), caller.account.clone().into());
    let region = if caller.region.is_empty() {
        "us-east-1"
    } else {
        caller.region.as_str()
    };
    aws.insert("source_region".into(), region.into());
    if !principal_tags.is_empty() {
        aws.insert("principal_tags".into(), tag_object(principal_tags).into());
    }
    if !request_tags.is_empty() {
        aws.insert(
            "request_tags".into(),
            tag_object(request_tags.into_iter().map(|t| (t.key, t.value))).into(),
        );
    }
    let audience: Value = match r.audience.as_slice() {
        [one] => one.clone().into(),
        many => many.to_vec().into(),
    };
    let mut jti = [0u8; 16];
    rand::rng().fill_bytes(&mut jti);
    let claims = json!({
        "iss": issuer_url(app, &f.issuer_id),
        "aud": audience,
        "sub": subject(caller),
        "iat": now,
        "nbf": now,
        "exp": expires,
        "jti": hex::encode(jti),
        AWS_CLAIMS: aws,
    });
    if claims.to_string().len() > MAX_PAYLOAD_BYTES {
        return Err(api(
            ErrorCode::JWTPayloadSizeExceededException,
            "The token's claims exceed the maximum payload size.",
        ));
    }
    let key = signing_key(app, now)?;
    let token = jwt::sign_ec(&key.pair, ALGORITHM, &key.id, &claims)
        .map_err(|e| ServerError::Internal(e.to_string()))?;
    Ok(sts::GetWebIdentityTokenResponse {
        web_identity_token: Some(token),
        expiration: Some(to_datetime(expires)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_form() {
        assert_eq!(
            parse("enabled abc"),
            Some(Federation {
                issuer_id: "abc".into(),
                enabled: true
            })
        );
        assert!(!parse("disabled abc").unwrap().enabled);
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn token_options_oxiam_does_not_implement_are_refused() {
        let mut r = sts::GetWebIdentityTokenRequest {
            audience: vec!["https://api.example.com".into()],
            signing_algorithm: ALGORITHM.into(),
            subject_mode: Some("AWSIdentity".into()),
            token_type: Some("AWSIdentity".into()),
            ..Default::default()
        };
        assert!(check_token_options(&r).is_ok());
        r.token_type = Some("JWT_SVID".into());
        assert!(check_token_options(&r).is_err());
        r.token_type = None;
        r.subject_mode = Some("OriginIdentity".into());
        assert!(check_token_options(&r).is_err());
        r.subject_mode = None;
        r.scope = Some("read".into());
        assert!(check_token_options(&r).is_err());
    }
}
