//! OpenID Connect identity providers: Create/Get/List/DeleteOpenIDConnectProvider,
//! Add/RemoveClientIDTo/FromOpenIDConnectProvider, UpdateOpenIDConnectProviderThumbprint,
//! UpdateOpenIDConnectProvider, Tag/Untag/ListOpenIDConnectProviderTags.
//!
//! A provider is an IAM entity named by its issuer URL: `https://host/path` is stored as
//! `host/path` and the ARN is `arn:aws:iam::ACCOUNT:oidc-provider/host/path`. Lengths of
//! URLs, client IDs and thumbprints are checked by the protocol decoder (the model's
//! min/max); the rules here are AWS's documented ones.

use oxiam_protocol::iam;

use super::{Ctx, not_supported_yet, providers, wire_tags};
use crate::auth::target::Target;
use crate::model::error::{ServerError, invalid_input, limit_exceeded};
use crate::model::{OidcProvider, now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::Tx;

/// AWS's quota: client IDs (audiences) per provider.
pub const MAX_CLIENT_IDS: usize = 100;
/// AWS's quota: thumbprints per provider.
pub const MAX_THUMBPRINTS: usize = 5;

/// `https://host[:port][/path]` → `host[:port][/path]`: the form AWS stores, returns and
/// puts in the ARN. Query strings and fragments are not part of an issuer.
pub fn issuer(url: &str) -> Result<String, ServerError> {
    let bad = || invalid_input(format!("Invalid Open ID Connect Provider URL: {url}"));
    let scheme_len = "https://".len();
    let rest = url
        .get(..scheme_len)
        .filter(|s| s.eq_ignore_ascii_case("https://"))
        .and_then(|_| url.get(scheme_len..))
        .ok_or_else(bad)?;
    let rest = rest.trim_end_matches('/');
    let host = rest.split('/').next().unwrap_or("");
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    if !valid_host || rest.contains(['?', '#', ' ']) {
        return Err(bad());
    }
    Ok(rest.to_owned())
}

fn check_thumbprints(list: &[String]) -> Result<Vec<String>, ServerError> {
    if list.len() > MAX_THUMBPRINTS {
        return Err(invalid_input(format!(
            "Thumbprint list must contain fewer than {} entries.",
            MAX_THUMBPRINTS + 1
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for t in list {
        if t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid_input(format!(
                "Thumbprint {t} is not a SHA-1 thumbprint of 40 hexadecimal digits."
            )));
        }
        if !out.iter().any(|o| o.eq_ignore_ascii_case(t)) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// On an OIDC provider named by ARN, with `aws:ResourceTag/…` when it exists.
pub fn target(x: &Resolver<'_>, arn: &str) -> Target {
    providers::target::<OidcProvider>(x, arn)
}

/// On the ARN the provider will have (`oidc-provider/HOST/PATH`), with the request's tags.
pub fn create_open_id_connect_provider_target(
    r: &iam::CreateOpenIDConnectProviderRequest,
    x: &Resolver<'_>,
) -> Target {
    let url = issuer(&r.url).unwrap_or_else(|_| r.url.clone());
    let arn = format!("arn:aws:iam::{}:oidc-provider/{url}", x.account());
    Target::new(x.action.clone(), arn)
        .request_tags(r.tags.as_deref())
        .with_tagging("iam:TagOpenIDConnectProvider")
}

pub fn create_open_id_connect_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateOpenIDConnectProviderRequest,
) -> Result<iam::CreateOpenIDConnectProviderResponse, ServerError> {
    not_supported_yet("ContextProvider", r.context_provider.is_some())?;
    not_supported_yet(
        "IdentityCenterInstanceArn",
        r.identity_center_instance_arn.is_some(),
    )?;
    let url = issuer(&r.url)?;
    let mut client_ids: Vec<String> = Vec::new();
    for c in r.client_id_list.iter().flatten() {
        if !client_ids.contains(c) {
            client_ids.push(c.clone());
        }
    }
    if client_ids.len() > MAX_CLIENT_IDS {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
        )));
    }
    let thumbprints = check_thumbprints(r.thumbprint_list.as_deref().unwrap_or_default())?;
    let provider = OidcProvider {
        account: ctx.caller.account.clone(),
        url,
        client_ids,
        thumbprints,
        created: now_epoch(),
        tags: ctx.new_tags(r.tags.as_deref())?,
    };
    let exists = format!("Provider with url https://{} already exists.", provider.url);
    let (arn, tags) = providers::create(
        ctx,
        tx,
        provider,
        exists,
        ctx.quotas.oidc_providers_per_account,
        "OpenIdConnectProvidersPerAccount",
    )?;
    Ok(iam::CreateOpenIDConnectProviderResponse {
        open_id_connect_provider_arn: Some(arn),
        tags,
    })
}

pub fn get_open_id_connect_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetOpenIDConnectProviderRequest,
) -> Result<iam::GetOpenIDConnectProviderResponse, ServerError> {
    let p: &OidcProvider = providers::find(tx.state(), ctx, &r.open_id_connect_provider_arn)?;
    Ok(iam::GetOpenIDConnectProviderResponse {
        url: Some(p.url.clone()),
        client_id_list: Some(p.client_ids.clone()),
        thumbprint_list: Some(p.thumbprints.clone()),
        create_date: Some(to_datetime(p.created)),
        tags: Some(wire_tags(&p.tags)),
        context_provider: None,
        identity_center_instance_arn: None,
        identity_store_arn: None,
    })
}

pub fn list_open_id_connect_providers(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    _r: &iam::ListOpenIDConnectProvidersRequest,
) -> Result<iam::ListOpenIDConnectProvidersResponse, ServerError> {
    Ok(iam::ListOpenIDConnectProvidersResponse {
        open_id_connect_provider_list: Some(
            providers::of_account::<OidcProvider>(tx.state(), &ctx.caller.account)
                .map(|p| iam::OpenIDConnectProviderListEntry {
                    arn: Some(p.arn()),
                    is_trusted_identity_propagation_enabled: None,
                })
                .collect(),
        ),
    })
}

/// DeleteOpenIDConnectProvider: "This operation is idempotent; it does not fail or return
/// an error if you call the operation for a provider that does not exist" (IAM API
/// Reference), unlike DeleteSAMLProvider.
pub fn delete_open_id_connect_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteOpenIDConnectProviderRequest,
) -> Result<(), ServerError> {
    let arn = &r.open_id_connect_provider_arn;
    if providers::find::<OidcProvider>(tx.state(), ctx, arn).is_err() {
        return Ok(());
    }
    providers::delete::<OidcProvider>(ctx, tx, arn)
}

/// AddClientIDToOpenIDConnectProvider: adding an ID the provider has is a no-op, as in AWS.
pub fn add_client_id_to_open_id_connect_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::AddClientIDToOpenIDConnectProviderRequest,
) -> Result<(), ServerError> {
    let arn = &r.open_id_connect_provider_arn;
    providers::update(ctx, tx, arn, |p: &mut OidcProvider| {
        if p.client_ids.contains(&r.client_id) {
            return Ok(());
        }
        if p.client_ids.len() >= MAX_CLIENT_IDS {
            return Err(limit_exceeded(format!(
                "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
            )));
        }
        p.client_ids.push(r.client_id.clone());
        Ok(())
    })
}

/// RemoveClientIDFromOpenIDConnectProvider: removing an ID the provider lacks is a no-op.
pub fn remove_client_id_from_open_id_connect_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::RemoveClientIDFromOpenIDConnectProviderRequest,
) -> Result<(), ServerError> {
    let arn = &r.open_id_connect_provider_arn;
    providers::update(ctx, tx, arn, |p: &mut OidcProvider| {
        p.client_ids.retain(|c| *c != r.client_id);
        Ok(())
    })
}

/// UpdateOpenIDConnectProviderThumbprint: replaces the whole list.
pub fn update_open_id_connect_provider_thumbprint(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateOpenIDConnectProviderThumbprintRequest,
) -> Result<(), ServerError> {
    let thumbprints = check_thumbprints(&r.thumbprint_list)?;
    let arn = &r.open_id_connect_provider_arn;
    providers::update(ctx, tx, arn, |p: &mut OidcProvider| {
        p.thumbprints = thumbprints;
        Ok(())
    })
}

/// UpdateOpenIDConnectProvider: sets, changes or removes a provider's trusted identity
/// propagation settings — its context provider and its IAM Identity Center association —
/// never its thumbprints or client IDs (AWS: those have their own operations).
///
/// AWS's rules, checked before the provider is looked up: a setting and its `Remove…` flag
/// not both, and one of the two settings a request. Their messages are oxiam's words (AWS
/// documents the rules, not the messages). oxiam refuses to set either setting, as
/// CreateOpenIDConnectProvider does ([`not_supported_yet`]), so a provider never has them:
/// removing one is a no-op, and so is a request that changes nothing.
pub fn update_open_id_connect_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateOpenIDConnectProviderRequest,
) -> Result<(), ServerError> {
    let remove_context = r.remove_context_provider == Some(true);
    let remove_identity_center = r.remove_identity_center_instance == Some(true);
    if r.context_provider.is_some() && remove_context {
        return Err(invalid_input(
            "ContextProvider and RemoveContextProvider cannot both be specified.",
        ));
    }
    if r.identity_center_instance_arn.is_some() && remove_identity_center {
        return Err(invalid_input(
            "IdentityCenterInstanceArn and RemoveIdentityCenterInstance cannot both be specified.",
        ));
    }
    let changes_context = r.context_provider.is_some() || remove_context;
    let changes_identity_center =
        r.identity_center_instance_arn.is_some() || remove_identity_center;
    if changes_context && changes_identity_center {
        return Err(invalid_input(
            "A request can change either the context provider or the IAM Identity Center \
             association, but not both.",
        ));
    }
    providers::find::<OidcProvider>(tx.state(), ctx, &r.open_id_connect_provider_arn)?;
    not_supported_yet("ContextProvider", r.context_provider.is_some())?;
    not_supported_yet(
        "IdentityCenterInstanceArn",
        r.identity_center_instance_arn.is_some(),
    )
}

pub fn tag_open_id_connect_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::TagOpenIDConnectProviderRequest,
) -> Result<(), ServerError> {
    providers::tag::<OidcProvider>(ctx, tx, &r.open_id_connect_provider_arn, &r.tags)
}

pub fn untag_open_id_connect_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UntagOpenIDConnectProviderRequest,
) -> Result<(), ServerError> {
    providers::untag::<OidcProvider>(ctx, tx, &r.open_id_connect_provider_arn, &r.tag_keys)
}

pub fn list_open_id_connect_provider_tags(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListOpenIDConnectProviderTagsRequest,
) -> Result<iam::ListOpenIDConnectProviderTagsResponse, ServerError> {
    let arn = &r.open_id_connect_provider_arn;
    let page = providers::tags::<OidcProvider>(ctx, tx, arn, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListOpenIDConnectProviderTagsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        tags: page.items,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxiam_protocol::error::{ApiError, ErrorCode};
    use oxiam_store::crypto::Kek;

    use super::*;

    use crate::state::State;

    const ACCOUNT: &str = "123456789012";
    const ARN: &str = "arn:aws:iam::123456789012:oidc-provider/token.example.com";
    const THUMBPRINT: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";

    use crate::ops::iam::test_support::as_root as run;

    /// An account with the provider `token.example.com` (one audience, one thumbprint).
    fn with_provider() -> Tx {
        let mut tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        let r = iam::CreateOpenIDConnectProviderRequest {
            url: "https://token.example.com".into(),
            client_id_list: Some(vec!["sts.amazonaws.com".into()]),
            thumbprint_list: Some(vec![THUMBPRINT.into()]),
            ..Default::default()
        };
        run(ACCOUNT, &mut tx, |c, t| {
            create_open_id_connect_provider(c, t, &r)
        })
        .unwrap();
        tx
    }

    fn update(
        tx: &mut Tx,
        account: &str,
        r: &iam::UpdateOpenIDConnectProviderRequest,
    ) -> Result<(), ApiError> {
        run(account, tx, |c, t| update_open_id_connect_provider(c, t, r))
    }

    fn provider(tx: &mut Tx) -> iam::GetOpenIDConnectProviderResponse {
        let r = iam::GetOpenIDConnectProviderRequest {
            open_id_connect_provider_arn: ARN.into(),
        };
        run(ACCOUNT, tx, |c, t| get_open_id_connect_provider(c, t, &r)).unwrap()
    }

    fn request() -> iam::UpdateOpenIDConnectProviderRequest {
        iam::UpdateOpenIDConnectProviderRequest {
            open_id_connect_provider_arn: ARN.into(),
            ..Default::default()
        }
    }

    fn context_provider() -> iam::ContextProvider {
        iam::ContextProvider {
            subject_source_key: "sub".into(),
            ..Default::default()
        }
    }

    #[test]
    fn update_leaves_thumbprints_and_client_ids_alone() {
        let mut tx = with_provider();
        let before = provider(&mut tx);
        for r in [
            request(),
            iam::UpdateOpenIDConnectProviderRequest {
                remove_context_provider: Some(true),
                ..request()
            },
            iam::UpdateOpenIDConnectProviderRequest {
                remove_identity_center_instance: Some(true),
                ..request()
            },
            iam::UpdateOpenIDConnectProviderRequest {
                remove_context_provider: Some(false),
                remove_identity_center_instance: Some(false),
                ..request()
            },
        ] {
            update(&mut tx, ACCOUNT, &r).unwrap();
            assert_eq!(provider(&mut tx), before, "{r:?}");
        }
        assert_eq!(before.thumbprint_list, Some(vec![THUMBPRINT.to_owned()]));
        assert_eq!(
            before.client_id_list,
            Some(vec!["sts.amazonaws.com".to_owned()])
        );
    }

    #[test]
    fn update_of_a_provider_not_in_the_account_is_no_such_entity() {
        let mut tx = with_provider();
        let ghost = "arn:aws:iam::123456789012:oidc-provider/ghost.example.com";
        for (account, arn) in [(ACCOUNT, ghost), ("210987654321", ARN)] {
            let r = iam::UpdateOpenIDConnectProviderRequest {
                open_id_connect_provider_arn: arn.into(),
                remove_context_provider: Some(true),
                ..Default::default()
            };
            let e = update(&mut tx, account, &r).unwrap_err();
            assert_eq!(e.code, ErrorCode::NoSuchEntity);
            assert_eq!(e.code.http_status(), 404);
            assert_eq!(
                e.message,
                format!("OpenIDConnect Provider not found for arn {arn}")
            );
        }
    }

    #[test]
    fn update_refuses_what_aws_documents_as_invalid() {
        let mut tx = with_provider();
        let arn = "arn:aws:iam::123456789012:oidc-provider/identitycenter.example.com";
        let cases = [
            (
                iam::UpdateOpenIDConnectProviderRequest {
                    context_provider: Some(context_provider()),
                    remove_context_provider: Some(true),
                    ..request()
                },
                "ContextProvider and RemoveContextProvider cannot both be specified.",
            ),
            (
                iam::UpdateOpenIDConnectProviderRequest {
                    identity_center_instance_arn: Some(arn.into()),
                    remove_identity_center_instance: Some(true),
                    ..request()
                },
                "IdentityCenterInstanceArn and RemoveIdentityCenterInstance cannot both be \
                 specified.",
            ),
            (
                iam::UpdateOpenIDConnectProviderRequest {
                    remove_context_provider: Some(true),
                    remove_identity_center_instance: Some(true),
                    ..request()
                },
                "A request can change either the context provider or the IAM Identity Center \
                 association, but not both.",
            ),
            (
                iam::UpdateOpenIDConnectProviderRequest {
                    context_provider: Some(context_provider()),
                    identity_center_instance_arn: Some(arn.into()),
                    ..request()
                },
                "A request can change either the context provider or the IAM Identity Center \
                 association, but not both.",
            ),
            // Trusted identity propagation is not in oxiam yet: refused, as by Create.
            (
                iam::UpdateOpenIDConnectProviderRequest {
                    context_provider: Some(context_provider()),
                    ..request()
                },
                "ContextProvider is not supported by this deployment yet.",
            ),
            (
                iam::UpdateOpenIDConnectProviderRequest {
                    identity_center_instance_arn: Some(arn.into()),
                    ..request()
                },
                "IdentityCenterInstanceArn is not supported by this deployment yet.",
            ),
        ];
        let before = provider(&mut tx);
        for (r, message) in cases {
            let e = update(&mut tx, ACCOUNT, &r).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidInput, "{r:?}");
            assert_eq!(e.code.http_status(), 400);
            assert_eq!(e.message, message);
            assert_eq!(provider(&mut tx), before);
        }
    }

    #[test]
    fn issuers_are_https_urls_without_scheme() {
        assert_eq!(issuer("https://id.example.com/").unwrap(), "id.example.com");
        assert_eq!(
            issuer("HTTPS://id.example.com:8443/tenant/v2").unwrap(),
            "id.example.com:8443/tenant/v2"
        );
        for bad in [
            "http://id.example.com",
            "https://",
            "https://a b",
            "https://x/?q=1",
            "id",
        ] {
            assert!(issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn thumbprints_are_40_hex_digits_at_most_5() {
        let t = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280".to_owned();
        assert_eq!(
            check_thumbprints(&[t.clone(), t.to_uppercase()]).unwrap(),
            vec![t.clone()]
        );
        assert!(check_thumbprints(&["z".repeat(40)]).is_err());
        assert!(check_thumbprints(&vec![t; 6]).is_err());
    }
}
