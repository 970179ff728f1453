//! IAM operations, one module per kind of entity or concern (`users`, `access_keys`,
//! `groups`, `roles`, `policies` (managed), `attached`, `inline`, `instance_profiles`,
//! `account`, `account_properties`, `providers` (what OIDC and SAML providers share),
//! `organizations_features`, `delegation_requests` (temporary delegation; its trade-in is
//! `ops::sts::delegation`), `delegation_summary` (GetHumanReadableSummary), `access_advisor` (last accessed reports)), and what they all share: pagination, tags, lookups, the
//! DeleteConflict rule and the wire forms of entities.

pub mod access_advisor;
pub mod access_keys;
pub mod account;
pub mod account_properties;
pub mod attached;
pub mod credential_report;
pub mod delegation_requests;
pub mod delegation_summary;
pub mod groups;
pub mod inline;
pub mod instance_profiles;
pub mod mfa;
pub mod oidc_providers;
pub mod organizations_features;
pub mod passwords;
pub mod policies;
pub mod providers;
pub mod role_templates;
pub mod roles;
pub mod saml_providers;
pub mod server_certificates;
pub mod service_credentials;
pub mod signing_certificates;
pub mod simulator;
pub mod ssh_public_keys;
pub mod sts_preferences;
pub mod users;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as MARKER;
use oxiam_protocol::iam;

use crate::auth::authn::{Caller, CallerKind};
use crate::model::error::{
    ServerError, delete_conflict, invalid_input, limit_exceeded, validation,
};
use crate::model::{Tag, User, to_datetime};
use crate::state::State;

/// What handlers get besides the transaction: who is calling, and the request's facts
/// (time, source IP, TLS, region) for the decisions handlers make themselves (a role's
/// trust policy).
#[derive(Debug)]
pub struct Ctx<'a> {
    pub caller: &'a Caller,
    pub quotas: &'a crate::model::quotas::Quotas,
    pub env: &'a crate::auth::decide::RequestEnv,
}

impl Ctx<'_> {
    /// [`merge_tags`] under this deployment's `tags_per_entity` quota.
    pub fn merge_tags(&self, existing: &[Tag], new: &[iam::Tag]) -> Result<Vec<Tag>, ServerError> {
        merge_tags(existing, new, self.quotas.tags_per_entity)
    }

    /// The tags a Create* request gives its new entity.
    pub fn new_tags(&self, tags: Option<&[iam::Tag]>) -> Result<Vec<Tag>, ServerError> {
        self.merge_tags(&[], tags.unwrap_or_default())
    }
}

/// AWS's `LimitExceeded` when the account already holds `max` entities of `E` (`quota` is
/// AWS's name for the quota, e.g. `UsersPerAccount`).
pub fn check_account_quota<E: crate::state::Entity>(
    state: &State,
    account: &str,
    max: usize,
    quota: &str,
) -> Result<(), ServerError> {
    if state.count_of::<E>(account) >= max {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for {quota}: {max}"
        )));
    }
    Ok(())
}

/// AWS's default page size for List* operations.
const DEFAULT_MAX_ITEMS: i32 = 100;

/// One page of a list, with the marker of the next page when truncated.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_marker: Option<String>,
}

impl<T> Page<T> {
    pub fn is_truncated(&self) -> bool {
        self.next_marker.is_some()
    }

    /// The same page with each item converted (to its wire form, once paged).
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_marker: self.next_marker,
        }
    }
}

/// The sort key a marker points at (the first item of its page), for lists that can seek
/// straight to it instead of walking the items before it.
pub fn marker_start(marker: Option<&str>) -> Result<Option<String>, ServerError> {
    marker
        .map(|m| {
            MARKER
                .decode(m)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| validation("Invalid Marker."))
        })
        .transpose()
}

/// Pages `items` (already in list order, each with its sort key). The marker is opaque to
/// clients: the encoded key of the first item of the next page.
pub fn paginate<T>(
    items: impl Iterator<Item = (String, T)>,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<Page<T>, ServerError> {
    let start = marker_start(marker)?;
    let max = usize::try_from(max_items.unwrap_or(DEFAULT_MAX_ITEMS).max(1)).unwrap_or(1);
    let mut out = Vec::new();
    let mut next_marker = None;
    for (key, item) in items {
        if start.as_ref().is_some_and(|s| key < *s) {
            continue;
        }
        if out.len() == max {
            next_marker = Some(MARKER.encode(key.as_bytes()));
            break;
        }
        out.push(item);
    }
    Ok(Page {
        items: out,
        next_marker,
    })
}

/// Refuses a request member oxiam does not implement yet (the models gained it before
/// oxiam did) rather than accepting and dropping it: the caller would believe it in force.
pub fn not_supported_yet(member: &str, given: bool) -> Result<(), ServerError> {
    if given {
        return Err(invalid_input(format!(
            "{member} is not supported by this deployment yet."
        )));
    }
    Ok(())
}

/// The user a request names, or the calling user when it names none. `None` when the
/// caller is the root and names no user: the operation is about the root itself.
pub fn target_user<'s>(
    state: &'s State,
    caller: &Caller,
    user_name: Option<&str>,
) -> Result<Option<&'s std::sync::Arc<User>>, ServerError> {
    let name = match (user_name, &caller.kind) {
        (Some(name), _) => name,
        (None, CallerKind::User { name }) => name.as_str(),
        (None, CallerKind::Root) => return Ok(None),
        (None, CallerKind::AssumedRole { .. } | CallerKind::FederatedUser { .. }) => {
            return Err(validation(
                "Must specify userName when calling with non-User credentials",
            ));
        }
    };
    find_user(state, &caller.account, name).map(Some)
}

/// The user of the caller's account a request names, or AWS's NoSuchEntity.
pub fn find_user<'s>(
    state: &'s State,
    account: &str,
    name: &str,
) -> Result<&'s std::sync::Arc<User>, ServerError> {
    state
        .user(account, name)
        .ok_or_else(|| crate::model::error::no_such_user(name))
}

/// AWS's DeleteConflict for an entity that still has what must go before it: `blockers`
/// pairs what must be done first (`delete access keys`) with whether it still must, in
/// the order AWS checks them; the first that must is the one named.
pub fn check_deletable(blockers: &[(bool, &str)]) -> Result<(), ServerError> {
    match blockers.iter().find(|(blocks, _)| *blocks) {
        Some((_, what)) => Err(delete_conflict(format!(
            "Cannot delete entity, must {what} first."
        ))),
        None => Ok(()),
    }
}

/// A user as responses give it: in full (`CreateUser`, `GetUser`), or as a listing gives it
/// (`ListUsers`, `GetGroup`, `ListVirtualMFADevices`), without the permissions boundary
/// and tags ("IAM resource-listing operations return a subset of the available attributes",
/// AWS's ListUsers reference).
pub fn wire_user(u: &User, full: bool) -> iam::User {
    iam::User {
        path: Some(u.path.clone()),
        user_name: Some(u.name.clone()),
        user_id: u.id.clone(),
        arn: u.arn(),
        create_date: to_datetime(u.created),
        password_last_used: u.password_last_used.map(to_datetime),
        permissions_boundary: wire_boundary(u.permissions_boundary.as_ref()).filter(|_| full),
        tags: (full && !u.tags.is_empty()).then(|| wire_tags(&u.tags)),
    }
}

/// A user's or role's permissions boundary, as responses give it.
pub fn wire_boundary(arn: Option<&String>) -> Option<iam::AttachedPermissionsBoundary> {
    arn.map(|arn| iam::AttachedPermissionsBoundary {
        permissions_boundary_type: Some("PermissionsBoundaryPolicy".to_owned()),
        permissions_boundary_arn: Some(arn.clone()),
    })
}

/// One page of an entity's tags (List*Tags), in the order they were added.
pub fn tag_page(
    tags: &[Tag],
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<Page<iam::Tag>, ServerError> {
    paginate(
        wire_tags(tags)
            .into_iter()
            .enumerate()
            .map(|(i, t)| (format!("{i:04}"), t)),
        marker,
        max_items,
    )
}

pub fn wire_tags(tags: &[Tag]) -> Vec<iam::Tag> {
    tags.iter()
        .map(|t| iam::Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect()
}

/// Merges new tags into existing ones as AWS does: keys compare case-insensitively, a
/// repeated key in one request is an error, an existing key gets the new value, and the
/// result may not exceed the quota.
pub fn merge_tags(
    existing: &[Tag],
    new: &[iam::Tag],
    limit: usize,
) -> Result<Vec<Tag>, ServerError> {
    for (i, t) in new.iter().enumerate() {
        if new
            .iter()
            .skip(i + 1)
            .any(|o| o.key.eq_ignore_ascii_case(&t.key))
        {
            return Err(invalid_input(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    let mut out = existing.to_vec();
    for t in new {
        match out.iter_mut().find(|o| o.key.eq_ignore_ascii_case(&t.key)) {
            Some(o) => {
                o.key = t.key.clone();
                o.value = t.value.clone();
            }
            None => out.push(Tag {
                key: t.key.clone(),
                value: t.value.clone(),
            }),
        }
    }
    if out.len() > limit {
        return Err(limit_exceeded(format!(
            "The number of tags has reached the maximum limit of {limit}."
        )));
    }
    Ok(out)
}

pub fn remove_tags(existing: &[Tag], keys: &[String]) -> Vec<Tag> {
    existing
        .iter()
        .filter(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)))
        .cloned()
        .collect()
}

/// What handler unit tests share: calling a handler as an account's root.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use oxiam_protocol::Service;
    use oxiam_protocol::error::ApiError;
    use oxiam_store::crypto::Kek;

    use super::Ctx;
    use crate::auth::authn::Caller;
    use crate::auth::decide::RequestEnv;
    use crate::model::error::ServerError;
    use crate::model::quotas::Quotas;
    use crate::state::{State, Tx};

    /// A transaction on an empty state.
    pub fn empty_tx() -> Tx {
        Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()))
    }

    /// Runs `f` as `account`'s root with AWS's default quotas; the error as it goes on
    /// the wire.
    pub fn as_root<T>(
        account: &str,
        tx: &mut Tx,
        f: impl FnOnce(&Ctx<'_>, &mut Tx) -> Result<T, ServerError>,
    ) -> Result<T, ApiError> {
        as_root_with(account, &Quotas::default(), tx, f)
    }

    /// [`as_root`] under other quotas.
    pub fn as_root_with<T>(
        account: &str,
        quotas: &Quotas,
        tx: &mut Tx,
        f: impl FnOnce(&Ctx<'_>, &mut Tx) -> Result<T, ServerError>,
    ) -> Result<T, ApiError> {
        with_root(account, quotas, |ctx| f(ctx, tx)).map_err(|e| e.to_api(Service::Iam))
    }

    /// Runs `f` with the context of `account`'s root under `quotas`, for handlers that
    /// write through the app rather than a transaction.
    pub fn with_root<T>(account: &str, quotas: &Quotas, f: impl FnOnce(&Ctx<'_>) -> T) -> T {
        let caller = Caller::root(account, "AKIAROOT");
        let env = RequestEnv::now();
        let ctx = Ctx {
            caller: &caller,
            quotas,
            env: &env,
        };
        f(&ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_markers() {
        let items = || (0..5).map(|i| (format!("k{i}"), i));
        let p1 = paginate(items(), None, Some(2)).unwrap();
        assert_eq!(p1.items, vec![0, 1]);
        let p2 = paginate(items(), p1.next_marker.as_deref(), Some(2)).unwrap();
        assert_eq!(p2.items, vec![2, 3]);
        let p3 = paginate(items(), p2.next_marker.as_deref(), Some(2)).unwrap();
        assert_eq!(p3.items, vec![4]);
        assert!(!p3.is_truncated());
        assert!(paginate(items(), Some("!!not-a-marker"), None).is_err());
    }

    #[test]
    fn tags_merge_case_insensitively() {
        let existing = vec![Tag {
            key: "Team".into(),
            value: "a".into(),
        }];
        let new = vec![iam::Tag {
            key: "team".into(),
            value: "b".into(),
        }];
        let merged = merge_tags(&existing, &new, 50).unwrap();
        assert_eq!(
            merged,
            vec![Tag {
                key: "team".into(),
                value: "b".into()
            }]
        );
        let dup = vec![
            iam::Tag {
                key: "x".into(),
                value: "1".into(),
            },
            iam::Tag {
                key: "X".into(),
                value: "2".into(),
            },
        ];
        assert!(merge_tags(&[], &dup, 50).is_err());
        let many: Vec<iam::Tag> = (0..51)
            .map(|i| iam::Tag {
                key: format!("k{i}"),
                value: String::new(),
            })
            .collect();
        assert!(merge_tags(&[], &many, 50).is_err());
        assert_eq!(remove_tags(&merged, &["TEAM".into()]), vec![]);
    }
}

/// Validates a policy document as AWS does for its kind, with AWS's MalformedPolicyDocument
/// message; returns the compiled policy.
pub fn check_policy(
    document: &str,
    kind: oxiam_policy::PolicyKind,
) -> Result<oxiam_policy::Policy, ServerError> {
    oxiam_policy::Policy::parse(document, kind).map_err(|e| {
        crate::model::error::api(
            oxiam_protocol::error::ErrorCode::MalformedPolicyDocument,
            e.message().to_owned(),
        )
    })
}

/// Characters AWS leaves unescaped when it returns a policy document: RFC 3986 unreserved.
const DOCUMENT_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Policy documents go back URL-encoded, as AWS returns them (SDKs decode them).
pub fn encode_document(document: &str) -> String {
    percent_encoding::utf8_percent_encode(document, DOCUMENT_ESCAPES).to_string()
}

#[cfg(test)]
mod document_tests {
    use super::*;

    #[test]
    fn documents_are_url_encoded_like_aws() {
        assert_eq!(
            encode_document(r#"{"Version": "2012-10-17"}"#),
            "%7B%22Version%22%3A%20%222012-10-17%22%7D"
        );
    }

    #[test]
    fn malformed_documents_get_aws_code() {
        let err = check_policy("{", oxiam_policy::PolicyKind::Identity).unwrap_err();
        let api = err.to_api(oxiam_protocol::Service::Iam);
        assert_eq!(
            api.code,
            oxiam_protocol::error::ErrorCode::MalformedPolicyDocument
        );
    }
}

/// Request members the models gained before oxiam implements them are refused, not dropped.
#[cfg(test)]
mod members_not_supported_yet {

    use oxiam_protocol::error::{ApiError, ErrorCode};

    use super::*;

    use crate::state::Tx;

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#;

    fn run<T>(f: impl FnOnce(&Ctx<'_>, &mut Tx) -> Result<T, ServerError>) -> Result<T, ApiError> {
        super::test_support::as_root("123456789012", &mut super::test_support::empty_tx(), f)
    }

    fn refused<T: std::fmt::Debug>(result: Result<T, ApiError>, member: &str) {
        let e = result.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.starts_with(member), "{}", e.message);
    }

    #[test]
    fn max_signin_session_duration() {
        let mut r = iam::CreateRoleRequest {
            role_name: "r".into(),
            assume_role_policy_document: TRUST.into(),
            ..Default::default()
        };
        assert!(run(|c, t| roles::create_role(c, t, &r)).is_ok());
        r.max_signin_session_duration = Some(3600);
        refused(
            run(|c, t| roles::create_role(c, t, &r)),
            "MaxSigninSessionDuration",
        );
        let update = iam::UpdateRoleRequest {
            role_name: "r".into(),
            max_signin_session_duration: Some(3600),
            ..Default::default()
        };
        refused(
            run(|c, t| roles::update_role(c, t, &update)),
            "MaxSigninSessionDuration",
        );
    }

    #[test]
    fn identity_propagation_on_providers() {
        let context = iam::ContextProvider {
            subject_source_key: "sub".into(),
            ..Default::default()
        };
        let oidc = iam::CreateOpenIDConnectProviderRequest {
            url: "https://idp.example.com".into(),
            context_provider: Some(context.clone()),
            ..Default::default()
        };
        refused(
            run(|c, t| oidc_providers::create_open_id_connect_provider(c, t, &oidc)),
            "ContextProvider",
        );
        let oidc = iam::CreateOpenIDConnectProviderRequest {
            url: "https://idp.example.com".into(),
            identity_center_instance_arn: Some("arn:aws:sso:::instance/ssoins-1".into()),
            ..Default::default()
        };
        refused(
            run(|c, t| oidc_providers::create_open_id_connect_provider(c, t, &oidc)),
            "IdentityCenterInstanceArn",
        );
        let saml = iam::CreateSAMLProviderRequest {
            name: "idp".into(),
            saml_metadata_document: "<md/>".into(),
            context_provider: Some(context),
            ..Default::default()
        };
        refused(
            run(|c, t| saml_providers::create_saml_provider(c, t, &saml)),
            "ContextProvider",
        );
        let update = iam::UpdateSAMLProviderRequest {
            saml_provider_arn: "arn:aws:iam::123456789012:saml-provider/idp".into(),
            identity_center_instance_arn: Some("arn:aws:sso:::instance/ssoins-1".into()),
            ..Default::default()
        };
        refused(
            run(|c, t| saml_providers::update_saml_provider(c, t, &update)),
            "IdentityCenterInstanceArn",
        );
    }
}
