//! SAML 2.0 identity providers: Create/Get/List/Update/DeleteSAMLProvider,
//! Tag/Untag/ListSAMLProviderTags.
//!
//! The metadata document must be SAML 2.0 metadata of an identity provider: an
//! `md:EntityDescriptor` with an `entityID` and an `md:IDPSSODescriptor` that supports the
//! SAML 2.0 protocol and names a `SingleSignOnService`. It is parsed with `roxmltree`,
//! which refuses DTDs (so no entity expansion). Its `validUntil` becomes `ValidUntil`.

use oxiam_protocol::iam;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Ctx, not_supported_yet, providers, wire_tags};
use crate::auth::target::Target;
use crate::model::error::{ServerError, invalid_input};
use crate::model::{SamlProvider, now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::Tx;

/// The SAML 2.0 metadata namespace.
const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// The SAML 2.0 protocol, which an IdP descriptor must list in `protocolSupportEnumeration`.
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";

/// Why a metadata document is not IdP metadata (for the log-free error message).
fn bad_metadata(why: &str) -> ServerError {
    invalid_input(format!("Could not parse metadata: {why}"))
}

/// Checks `xml` as SAML 2.0 IdP metadata; returns its `validUntil` (epoch seconds).
pub fn check_metadata(xml: &str) -> Result<Option<i64>, ServerError> {
    let doc = roxmltree::Document::parse(xml).map_err(|_| bad_metadata("not well-formed XML"))?;
    let root = doc.root_element();
    // An EntitiesDescriptor may wrap the entity; AWS takes a single IdP entity.
    let entity = if root.has_tag_name((MD, "EntitiesDescriptor")) {
        let mut entities = root
            .children()
            .filter(|n| n.has_tag_name((MD, "EntityDescriptor")));
        match (entities.next(), entities.next()) {
            (Some(e), None) => e,
            _ => return Err(bad_metadata("expected exactly one EntityDescriptor")),
        }
    } else if root.has_tag_name((MD, "EntityDescriptor")) {
        root
    } else {
        return Err(bad_metadata(
            "the root element is not a SAML 2.0 EntityDescriptor",
        ));
    };
    if entity.attribute("entityID").is_none_or(str::is_empty) {
        return Err(bad_metadata("the EntityDescriptor has no entityID"));
    }
    let idp = entity
        .children()
        .find(|n| n.has_tag_name((MD, "IDPSSODescriptor")))
        .ok_or_else(|| bad_metadata("no IDPSSODescriptor"))?;
    let protocols = idp.attribute("protocolSupportEnumeration").unwrap_or("");
    if !protocols.split_whitespace().any(|p| p == PROTOCOL) {
        return Err(bad_metadata(
            "the IDPSSODescriptor does not support SAML 2.0",
        ));
    }
    let sso = idp.children().any(|n| {
        n.has_tag_name((MD, "SingleSignOnService"))
            && n.attribute("Binding").is_some()
            && n.attribute("Location").is_some()
    });
    if !sso {
        return Err(bad_metadata(
            "the IDPSSODescriptor has no SingleSignOnService",
        ));
    }
    entity
        .attribute("validUntil")
        .or_else(|| root.attribute("validUntil"))
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339)
                .map(OffsetDateTime::unix_timestamp)
                .map_err(|_| bad_metadata("validUntil is not a date"))
        })
        .transpose()
}

/// Private keys for encrypted assertions are not kept by oxiam (it does not decrypt SAML
/// assertions yet): refuse rather than accept and drop them.
fn no_private_keys(add: Option<&String>) -> Result<(), ServerError> {
    match add {
        Some(_) => Err(invalid_input(
            "AddPrivateKey is not supported: this deployment does not decrypt SAML assertions.",
        )),
        None => Ok(()),
    }
}

/// Trusted identity propagation (a context provider, an IAM Identity Center instance) is not
/// implemented yet: refuse it rather than accept and drop it.
fn no_identity_propagation(
    context_provider: Option<&iam::ContextProvider>,
    identity_center_instance_arn: Option<&String>,
) -> Result<(), ServerError> {
    not_supported_yet("ContextProvider", context_provider.is_some())?;
    not_supported_yet(
        "IdentityCenterInstanceArn",
        identity_center_instance_arn.is_some(),
    )
}

fn uuid() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        h.get(..8).unwrap_or(""),
        h.get(8..12).unwrap_or(""),
        h.get(12..16).unwrap_or(""),
        h.get(16..20).unwrap_or(""),
        h.get(20..).unwrap_or("")
    )
}

/// On a SAML provider named by ARN, with `aws:ResourceTag/…` when it exists.
pub fn target(x: &Resolver<'_>, arn: &str) -> Target {
    providers::target::<SamlProvider>(x, arn)
}

pub fn create_saml_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateSAMLProviderRequest,
) -> Result<iam::CreateSAMLProviderResponse, ServerError> {
    no_private_keys(r.add_private_key.as_ref())?;
    no_identity_propagation(
        r.context_provider.as_ref(),
        r.identity_center_instance_arn.as_ref(),
    )?;
    let valid_until = check_metadata(&r.saml_metadata_document)?;
    let provider = SamlProvider {
        account: ctx.caller.account.clone(),
        name: r.name.clone(),
        uuid: uuid(),
        metadata: r.saml_metadata_document.clone(),
        valid_until,
        assertion_encryption_mode: r.assertion_encryption_mode.clone(),
        created: now_epoch(),
        tags: ctx.new_tags(r.tags.as_deref())?,
    };
    let (arn, tags) = providers::create(
        ctx,
        tx,
        provider,
        format!("SAMLProvider {} already exists.", r.name),
        ctx.quotas.saml_providers_per_account,
        "SamlProvidersPerAccount",
    )?;
    Ok(iam::CreateSAMLProviderResponse {
        saml_provider_arn: Some(arn),
        tags,
    })
}

pub fn get_saml_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetSAMLProviderRequest,
) -> Result<iam::GetSAMLProviderResponse, ServerError> {
    let p: &SamlProvider = providers::find(tx.state(), ctx, &r.saml_provider_arn)?;
    Ok(iam::GetSAMLProviderResponse {
        saml_provider_uuid: Some(p.uuid.clone()),
        saml_metadata_document: Some(p.metadata.clone()),
        create_date: Some(to_datetime(p.created)),
        valid_until: p.valid_until.map(to_datetime),
        tags: Some(wire_tags(&p.tags)),
        assertion_encryption_mode: p.assertion_encryption_mode.clone(),
        private_key_list: None,
        context_provider: None,
        saml_key_hashes: None,
        identity_center_instance_arn: None,
        identity_store_arn: None,
    })
}

pub fn list_saml_providers(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    _r: &iam::ListSAMLProvidersRequest,
) -> Result<iam::ListSAMLProvidersResponse, ServerError> {
    Ok(iam::ListSAMLProvidersResponse {
        saml_provider_list: Some(
            providers::of_account::<SamlProvider>(tx.state(), &ctx.caller.account)
                .map(|p| iam::SAMLProviderListEntry {
                    arn: Some(p.arn()),
                    valid_until: p.valid_until.map(to_datetime),
                    create_date: Some(to_datetime(p.created)),
                    is_trusted_identity_propagation_enabled: None,
                })
                .collect(),
        ),
    })
}

pub fn update_saml_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateSAMLProviderRequest,
) -> Result<iam::UpdateSAMLProviderResponse, ServerError> {
    no_private_keys(r.add_private_key.as_ref())?;
    // `RemoveContextProvider` and `RemoveIdentityCenterInstance` are no-ops: no provider
    // has either.
    no_identity_propagation(
        r.context_provider.as_ref(),
        r.identity_center_instance_arn.as_ref(),
    )?;
    let mut p = SamlProvider::clone(providers::find(tx.state(), ctx, &r.saml_provider_arn)?);
    if let Some(doc) = &r.saml_metadata_document {
        p.valid_until = check_metadata(doc)?;
        p.metadata.clone_from(doc);
    }
    if let Some(mode) = &r.assertion_encryption_mode {
        p.assertion_encryption_mode = Some(mode.clone());
    }
    let arn = p.arn();
    tx.put(p)?;
    Ok(iam::UpdateSAMLProviderResponse {
        saml_provider_arn: Some(arn),
    })
}

pub fn delete_saml_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteSAMLProviderRequest,
) -> Result<(), ServerError> {
    providers::delete::<SamlProvider>(ctx, tx, &r.saml_provider_arn)
}

pub fn tag_saml_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::TagSAMLProviderRequest,
) -> Result<(), ServerError> {
    providers::tag::<SamlProvider>(ctx, tx, &r.saml_provider_arn, &r.tags)
}

pub fn untag_saml_provider(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UntagSAMLProviderRequest,
) -> Result<(), ServerError> {
    providers::untag::<SamlProvider>(ctx, tx, &r.saml_provider_arn, &r.tag_keys)
}

pub fn list_saml_provider_tags(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListSAMLProviderTagsRequest,
) -> Result<iam::ListSAMLProviderTagsResponse, ServerError> {
    let arn = &r.saml_provider_arn;
    let page = providers::tags::<SamlProvider>(ctx, tx, arn, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListSAMLProviderTagsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        tags: page.items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const METADATA: &str = r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml" validUntil="2030-01-01T00:00:00Z">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#;

    #[test]
    fn idp_metadata_is_accepted_with_its_valid_until() {
        assert_eq!(check_metadata(METADATA).unwrap(), Some(1_893_456_000));
        let wrapped = format!(
            r#"<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">{}</EntitiesDescriptor>"#,
            METADATA.trim_start_matches(r#"<?xml version="1.0"?>"#)
        );
        assert!(check_metadata(&wrapped).is_ok());
    }

    #[test]
    fn other_documents_are_refused() {
        let cases = [
            "not xml".to_owned(),
            METADATA.replace("IDPSSODescriptor", "SPSSODescriptor"),
            METADATA.replace("SAML:2.0:metadata", "SAML:1.1:metadata"),
            METADATA.replace(r#"entityID="https://idp.example.com/saml""#, ""),
            METADATA.replace("urn:oasis:names:tc:SAML:2.0:protocol", "urn:other"),
            METADATA.replace("SingleSignOnService", "ArtifactResolutionService"),
            METADATA.replace("2030-01-01T00:00:00Z", "someday"),
            // Valid metadata but for a DTD (its entity expands to the entity ID): refused
            // only because DTDs are (no entity expansion, no external fetches).
            METADATA
                .replace(
                    r#"<?xml version="1.0"?>"#,
                    r#"<?xml version="1.0"?>
<!DOCTYPE md:EntityDescriptor [<!ENTITY id "https://idp.example.com/saml">]>"#,
                )
                .replace(
                    r#"entityID="https://idp.example.com/saml""#,
                    r#"entityID="&id;""#,
                ),
        ];
        for doc in cases {
            assert!(check_metadata(&doc).is_err(), "{doc}");
        }
    }
}
