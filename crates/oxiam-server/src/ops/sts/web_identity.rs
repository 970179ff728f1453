//! AssumeRoleWithWebIdentity: a role session for the holder of an OIDC ID token. The call
//! is unsigned: the token is the credential.
//!
//! The token is checked in AWS's order: a JWT signed RS256/ES256 ([`crate::model::jwt`]), whose
//! `iss` names an IAM OIDC provider in the role's account, signed by a key of that issuer's
//! JWKS ([`crate::runtime::oidc`]), within its `exp`/`nbf`/`iat` (with [`CLOCK_SKEW`]), for an
//! audience (`aud`, else `azp`) among the provider's client IDs. Then the role's trust
//! policy decides, with the provider ARN as the `Federated` principal and the token's
//! claims as condition keys named after the provider (`<host/path>:sub`, `:aud`, `:oaud`,
//! `:amr`). Session tags and the source identity come from the token's
//! `https://aws.amazon.com/tags` and `https://aws.amazon.com/source_identity` claims and
//! need `sts:TagSession` / `sts:SetSourceIdentity` in the trust policy, as in AWS.

use oxiam_policy::{NamedPolicy, PolicySet, Principal};
use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::sts;
use serde_json::{Map, Value};

use super::limits::check_tags;
use crate::app::App;
use crate::auth::decide::{Outcome, RequestEnv, context};
use crate::model::error::{ServerError, api};
use crate::model::jwt::{self, JwtError};
use crate::model::session::Session;
use crate::model::{OidcProvider, Tag};
use crate::ops::Target;
use crate::runtime::oidc::{self, Lookup};

/// Tolerated difference between the issuer's clock and oxiam's, for `exp`, `nbf` and `iat`.
pub const CLOCK_SKEW: i64 = 300;
/// A session's default length.
const ONE_HOUR: i32 = 3600;
/// The claim AWS reads session tags from.
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
/// The claim AWS reads the source identity from.
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

fn invalid(message: impl Into<String>) -> ServerError {
    api(ErrorCode::InvalidIdentityToken, message)
}

fn not_authorized(action: &str) -> ServerError {
    api(
        ErrorCode::AccessDenied,
        format!("Not authorized to perform {action}"),
    )
}

/// The issuer as IAM stores providers (`host[:port][/path]`, no scheme, no final `/`), and
/// the URL its keys are fetched from. `http://` is accepted only for loopback issuers
/// (test and local issuers); every other issuer is `https://`.
fn issuer_of(iss: &str) -> Option<(String, String)> {
    let (scheme, rest) = if let Some(rest) = iss.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = iss.strip_prefix("http://") {
        ("http", rest)
    } else {
        ("https", iss)
    };
    let rest = rest.trim_end_matches('/');
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    if rest.is_empty() || (scheme == "http" && !oidc::is_loopback(host)) {
        return None;
    }
    Some((rest.to_owned(), format!("{scheme}://{rest}")))
}

/// A claim as a list of strings (`aud` and `amr` may be a string or an array).
fn strings(claims: &Map<String, Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn numeric(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    let v = claims.get(name)?;
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// `exp` (required), `nbf` and `iat` against `now`, allowing [`CLOCK_SKEW`].
fn check_times(claims: &Map<String, Value>, now: i64) -> Result<(), ServerError> {
    let Some(exp) = numeric(claims, "exp") else {
        return Err(invalid("The web identity token has no exp claim."));
    };
    if now > exp.saturating_add(CLOCK_SKEW) {
        return Err(api(
            ErrorCode::ExpiredTokenException,
            format!(
                "Token expired: current date/time {now} must be before the expiration date/time {exp}"
            ),
        ));
    }
    if let Some(nbf) = numeric(claims, "nbf")
        && nbf > now.saturating_add(CLOCK_SKEW)
    {
        return Err(invalid(format!(
            "Token is not yet valid: current date/time {now} must be after the not-before date/time {nbf}"
        )));
    }
    if let Some(iat) = numeric(claims, "iat")
        && iat > now.saturating_add(CLOCK_SKEW)
    {
        return Err(invalid(format!(
            "Token was issued in the future: issued-at date/time {iat} is after the current date/time {now}"
        )));
    }
    Ok(())
}

/// The audience the token is for: an `aud` value among the provider's client IDs, else
/// its `azp` (authorized party, as Google issues for a client acting for another).
/// Returns it with the other `aud` values (`:oaud`) when `azp` was the match.
fn audience(
    claims: &Map<String, Value>,
    provider: &OidcProvider,
) -> Result<(String, Vec<String>), ServerError> {
    let aud = strings(claims, "aud");
    if let Some(a) = aud.iter().find(|a| provider.client_ids.contains(a)) {
        return Ok((a.clone(), Vec::new()));
    }
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if provider.client_ids.iter().any(|c| c == azp) => Ok((azp.to_owned(), aud)),
        _ => Err(invalid("Incorrect token audience")),
    }
}

/// Session tags and their transitive keys from the `https://aws.amazon.com/tags` claim
/// (`{"principal_tags": {"key": ["value"]}, "transitive_tag_keys": ["key"]}`).
fn token_tags(claims: &Map<String, Value>) -> Result<(Vec<Tag>, Vec<String>), ServerError> {
    let Some(claim) = claims.get(TAGS_CLAIM) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let bad = || {
        invalid(format!(
            "The {TAGS_CLAIM} claim of the web identity token is malformed."
        ))
    };
    let mut wire = Vec::new();
    if let Some(principal_tags) = claim.get("principal_tags") {
        let map = principal_tags.as_object().ok_or_else(bad)?;
        for (key, values) in map {
            // AWS takes the one value of a one-element array.
            let value = match values {
                Value::Array(v) => match v.as_slice() {
                    [Value::String(s)] => s.clone(),
                    _ => return Err(bad()),
                },
                Value::String(s) => s.clone(),
                _ => return Err(bad()),
            };
            wire.push(sts::Tag {
                key: key.clone(),
                value,
            });
        }
    }
    let tags = check_tags(&wire)?;
    let mut transitive = Vec::new();
    if let Some(keys) = claim.get("transitive_tag_keys") {
        for k in keys.as_array().ok_or_else(bad)? {
            let k = k.as_str().ok_or_else(bad)?;
            if !tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)) {
                return Err(bad());
            }
            transitive.push(k.to_owned());
        }
    }
    Ok((tags, transitive))
}

/// The token's claims as the trust policy sees them.
struct Verified {
    provider: std::sync::Arc<OidcProvider>,
    /// `iss` as the token has it (the response's `Provider`).
    iss: String,
    sub: String,
    audience: String,
    other_audiences: Vec<String>,
    claims: Map<String, Value>,
}

/// Everything about the token that does not depend on the role's trust policy.
fn verify_token(app: &App, account: &str, token: &str, now: i64) -> Result<Verified, ServerError> {
    let unverified = jwt::parse(token).map_err(|e| match e {
        JwtError::UnsupportedAlgorithm(alg) => invalid(format!(
            "The web identity token is signed with {alg}; only RS256 and ES256 are accepted."
        )),
        _ => invalid("The web identity token is not a valid JWT."),
    })?;
    let iss = unverified
        .claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let not_found = || {
        invalid(format!(
            "No OpenIDConnect provider found in your account for {iss}"
        ))
    };
    let (url, fetch_url) = issuer_of(&iss).ok_or_else(not_found)?;
    let state = app.snapshot();
    let provider = state
        .oidc_providers
        .get(&format!("arn:aws:iam::{account}:oidc-provider/{url}"))
        .cloned()
        .ok_or_else(not_found)?;
    let key = match app
        .sts
        .oidc_keys
        .key(&fetch_url, unverified.kid.as_deref(), now)
    {
        Ok(Lookup::Found(key)) => key,
        Ok(Lookup::UnknownKey) => {
            return Err(invalid(
                "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
            ));
        }
        Err(e) => {
            tracing::warn!(error = %e, issuer = %fetch_url, "could not fetch the issuer's keys");
            return Err(api(
                ErrorCode::IDPCommunicationError,
                "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
            ));
        }
    };
    let claims = unverified
        .verify(&key)
        .map_err(|_| invalid("The web identity token signature could not be verified."))?;
    check_times(&claims, now)?;
    let (audience, other_audiences) = audience(&claims, &provider)?;
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("The web identity token has no sub claim."))?
        .to_owned();
    Ok(Verified {
        provider,
        iss,
        sub,
        audience,
        other_audiences,
        claims,
    })
}

/// The condition keys of the trust decision.
fn trust_target(
    r: &sts::AssumeRoleWithWebIdentityRequest,
    v: &Verified,
    tags: &[Tag],
    transitive: &[String],
    source_identity: Option<&String>,
) -> Target {
    let mut t = Target::new(
        "sts:AssumeRoleWithWebIdentity".to_owned(),
        r.role_arn.clone(),
    );
    let p = &v.provider.url;
    t.key(&format!("{p}:sub"), v.sub.as_str());
    t.key(&format!("{p}:aud"), v.audience.as_str());
    if !v.other_audiences.is_empty() {
        t.key(&format!("{p}:oaud"), v.other_audiences.clone());
    }
    let amr = strings(&v.claims, "amr");
    if !amr.is_empty() {
        t.key(&format!("{p}:amr"), amr);
    }
    t.key("aws:FederatedProvider", v.provider.arn());
    t.key("sts:RoleSessionName", r.role_session_name.as_str());
    if let Some(si) = source_identity {
        t.key("sts:SourceIdentity", si.as_str());
    }
    if !tags.is_empty() {
        for tag in tags {
            t.key(&format!("aws:RequestTag/{}", tag.key), tag.value.as_str());
        }
        t.key(
            "aws:TagKeys",
            tags.iter().map(|t| t.key.clone()).collect::<Vec<_>>(),
        );
    }
    if !transitive.is_empty() {
        t.key("sts:TransitiveTagKeys", transitive.to_vec());
    }
    t
}

pub fn assume_role_with_web_identity(
    app: &App,
    r: &sts::AssumeRoleWithWebIdentityRequest,
    env: &RequestEnv,
) -> Result<sts::AssumeRoleWithWebIdentityResponse, ServerError> {
    let denied = || not_authorized("sts:AssumeRoleWithWebIdentity");
    super::assume_role::check_role_arn(&r.role_arn)?;
    let account = r
        .role_arn
        .strip_prefix("arn:aws:iam::")
        .and_then(|rest| rest.split_once(':'))
        .map(|(a, _)| a.to_owned())
        .ok_or_else(denied)?;
    let now = app.sts.now().unix_timestamp();
    let verified = verify_token(app, &account, &r.web_identity_token, now)?;

    let state = app.snapshot();
    // A missing role is denied like an untrusting one: the answer does not reveal roles.
    let role = super::assume_role::find_role(&state, &r.role_arn).ok_or_else(denied)?;
    let (tags, transitive) = token_tags(&verified.claims)?;
    let source_identity = match verified.claims.get(SOURCE_IDENTITY_CLAIM) {
        None => None,
        Some(Value::String(s)) if !s.to_ascii_lowercase().starts_with("aws:") => Some(s.clone()),
        Some(_) => {
            return Err(invalid(format!(
                "The {SOURCE_IDENTITY_CLAIM} claim of the web identity token is not a valid source identity."
            )));
        }
    };

    let trust = super::trust_policy(role).ok_or_else(denied)?;
    let trust = NamedPolicy {
        name: "trust policy",
        policy: &trust,
    };
    let provider_arn = verified.provider.arn();
    let principal = Principal {
        arn: &provider_arn,
        account: "",
        kind: oxiam_policy::PrincipalType::WebIdentity,
        role_arn: None,
        user_id: "",
    };
    let mut target = trust_target(r, &verified, &tags, &transitive, source_identity.as_ref());
    let assume = "sts:AssumeRoleWithWebIdentity";
    for action in super::trust_actions(assume, &tags, source_identity.as_ref()) {
        action.clone_into(&mut target.action);
        let ctx = context(&principal, &[], &target, env);
        let request = target.request(principal, &role.account, &ctx);
        let policies = PolicySet {
            resource: Some(trust),
            ..PolicySet::default()
        };
        if Outcome::of(&oxiam_policy::evaluate(&request, &policies)) != Outcome::Allow {
            return Err(not_authorized(action));
        }
    }

    let seconds = r.duration_seconds.unwrap_or(ONE_HOUR);
    let input = super::role_session_input(
        &state,
        role,
        seconds,
        r.policy.as_ref(),
        r.policy_arns.as_deref(),
        tags,
    )?;
    let packed_policy_size = input.packed_percent;
    let session = Session {
        transitive_tag_keys: transitive,
        source_identity: source_identity.clone(),
        ..super::role_session(role, &r.role_session_name, now, seconds, input)
    };
    let (credentials, session) = super::issue(app, session)?;
    Ok(sts::AssumeRoleWithWebIdentityResponse {
        credentials: Some(credentials),
        subject_from_web_identity_token: Some(verified.sub),
        assumed_role_user: Some(super::assumed_role_user(&session)),
        packed_policy_size,
        provider: Some(verified.iss),
        audience: Some(verified.audience),
        source_identity,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: Value) -> Map<String, Value> {
        json.as_object().unwrap().clone()
    }

    #[test]
    fn issuers_map_to_provider_urls() {
        assert_eq!(
            issuer_of("https://token.actions.githubusercontent.com").unwrap(),
            (
                "token.actions.githubusercontent.com".to_owned(),
                "https://token.actions.githubusercontent.com".to_owned()
            )
        );
        assert_eq!(
            issuer_of("accounts.google.com/").unwrap().0,
            "accounts.google.com"
        );
        assert_eq!(
            issuer_of("http://127.0.0.1:8080/realm").unwrap(),
            (
                "127.0.0.1:8080/realm".to_owned(),
                "http://127.0.0.1:8080/realm".to_owned()
            )
        );
        assert!(
            issuer_of("http://example.com").is_none(),
            "plain http only on loopback"
        );
        assert!(issuer_of("").is_none());
    }

    #[test]
    fn times_allow_skew_and_no_more() {
        let c = claims(serde_json::json!({"exp": 1000, "nbf": 500, "iat": 500}));
        assert!(check_times(&c, 1000 + CLOCK_SKEW).is_ok());
        assert!(check_times(&c, 1001 + CLOCK_SKEW).is_err());
        assert!(check_times(&c, 500 - CLOCK_SKEW).is_ok());
        assert!(check_times(&c, 499 - CLOCK_SKEW).is_err());
        assert!(
            check_times(&claims(serde_json::json!({})), 0).is_err(),
            "exp required"
        );
    }

    #[test]
    fn audience_from_aud_or_azp() {
        let provider = OidcProvider {
            account: "123456789012".into(),
            url: "issuer.example".into(),
            client_ids: vec!["app".into()],
            thumbprints: Vec::new(),
            created: 0,
            tags: Vec::new(),
        };
        let c = claims(serde_json::json!({"aud": ["x", "app"]}));
        assert_eq!(audience(&c, &provider).unwrap().0, "app");
        let c = claims(serde_json::json!({"aud": "x", "azp": "app"}));
        assert_eq!(
            audience(&c, &provider).unwrap(),
            ("app".to_owned(), vec!["x".to_owned()])
        );
        let c = claims(serde_json::json!({"aud": "x"}));
        assert!(audience(&c, &provider).is_err());
    }

    #[test]
    fn tags_claim() {
        let c = claims(serde_json::json!({TAGS_CLAIM: {
            "principal_tags": {"team": ["red"], "env": ["dev"]},
            "transitive_tag_keys": ["team"]}}));
        let (tags, transitive) = token_tags(&c).unwrap();
        assert_eq!(tags.len(), 2);
        assert_eq!(transitive, ["team"]);
        let c = claims(serde_json::json!({TAGS_CLAIM: {
            "principal_tags": {"team": ["red"]}, "transitive_tag_keys": ["other"]}}));
        assert!(token_tags(&c).is_err());
        let c = claims(serde_json::json!({TAGS_CLAIM: {"principal_tags": {"team": ["a", "b"]}}}));
        assert!(token_tags(&c).is_err());
    }
}
