//! What OpenID Connect and SAML identity providers share ([`Provider`]): both are kept by
//! ARN (`arn:aws:iam::ACCOUNT:KIND/…`), belong to one account and carry tags, and are
//! found, listed, changed, tagged and deleted alike. Their handlers are in
//! `oidc_providers` and `saml_providers`.

use std::sync::Arc;

use oxiam_protocol::iam;

use super::{Ctx, Page, remove_tags, tag_page, wire_tags};
use crate::auth::target::Target;
use crate::model::error::{ServerError, already_exists, limit_exceeded};
use crate::model::{OidcProvider, SamlProvider, Tag};
use crate::ops::Resolver;
use crate::state::{Entity, State, Tx};

/// An identity provider: an entity keyed by its ARN.
pub trait Provider: Entity + Clone {
    /// The ARN's resource type (`oidc-provider`, `saml-provider`).
    const KIND: &'static str;
    fn owner(&self) -> &str;
    fn arn(&self) -> String;
    fn tags(&self) -> &[Tag];
    fn tags_mut(&mut self) -> &mut Vec<Tag>;
    /// AWS's NoSuchEntity for an ARN that names no provider of the caller's account.
    fn not_found(arn: &str) -> ServerError;
}

impl Provider for OidcProvider {
    const KIND: &'static str = "oidc-provider";
    fn owner(&self) -> &str {
        &self.account
    }
    fn arn(&self) -> String {
        OidcProvider::arn(self)
    }
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
    fn not_found(arn: &str) -> ServerError {
        crate::model::error::no_such_entity(format!(
            "OpenIDConnect Provider not found for arn {arn}"
        ))
    }
}

impl Provider for SamlProvider {
    const KIND: &'static str = "saml-provider";
    fn owner(&self) -> &str {
        &self.account
    }
    fn arn(&self) -> String {
        SamlProvider::arn(self)
    }
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
    fn tags_mut(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
    fn not_found(arn: &str) -> ServerError {
        crate::model::error::no_such_entity(format!("Manifest not found for arn {arn}"))
    }
}

/// The provider an ARN names in the caller's account.
pub fn find<'s, P: Provider>(
    state: &'s State,
    ctx: &Ctx<'_>,
    arn: &str,
) -> Result<&'s Arc<P>, ServerError> {
    P::table(state)
        .get(arn)
        .filter(|p| p.owner() == ctx.caller.account)
        .ok_or_else(|| P::not_found(arn))
}

/// The providers of one account, in ARN order.
pub fn of_account<'s, P: Provider>(
    state: &'s State,
    account: &str,
) -> impl Iterator<Item = &'s Arc<P>> + 's {
    State::with_prefix(
        P::table(state),
        format!("arn:aws:iam::{account}:{}/", P::KIND),
    )
}

/// On a provider named by ARN, with `aws:ResourceTag/…` when it exists.
pub fn target<P: Provider>(x: &Resolver<'_>, arn: &str) -> Target {
    let tags = P::table(x.state).get(arn).map(|p| p.tags());
    x.arn_of(arn, tags)
}

/// Stores a new provider, refused as AWS does when its ARN is taken (`exists`: AWS's
/// message) or the account is at its quota (`quota`, named `quota_name`). Returns its ARN
/// and its tags as the Create* response gives them.
pub fn create<P: Provider>(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    provider: P,
    exists: String,
    quota: usize,
    quota_name: &str,
) -> Result<(String, Option<Vec<iam::Tag>>), ServerError> {
    let arn = provider.arn();
    let state = tx.state();
    if P::table(state).contains_key(&arn) {
        return Err(already_exists(exists));
    }
    if of_account::<P>(state, &ctx.caller.account).count() >= quota {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for {quota_name}: {quota}"
        )));
    }
    let tags = (!provider.tags().is_empty()).then(|| wire_tags(provider.tags()));
    tx.put(provider)?;
    Ok((arn, tags))
}

/// Applies `change` to a copy of the provider and stores it.
pub fn update<P: Provider>(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    arn: &str,
    change: impl FnOnce(&mut P) -> Result<(), ServerError>,
) -> Result<(), ServerError> {
    let mut p = P::clone(find(tx.state(), ctx, arn)?);
    change(&mut p)?;
    tx.put(p)
}

pub fn delete<P: Provider>(ctx: &Ctx<'_>, tx: &mut Tx, arn: &str) -> Result<(), ServerError> {
    let key = find::<P>(tx.state(), ctx, arn)?.key();
    tx.delete::<P>(&key);
    Ok(())
}

/// Tag*Provider.
pub fn tag<P: Provider>(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    arn: &str,
    tags: &[iam::Tag],
) -> Result<(), ServerError> {
    update(ctx, tx, arn, |p: &mut P| {
        *p.tags_mut() = ctx.merge_tags(p.tags(), tags)?;
        Ok(())
    })
}

/// Untag*Provider.
pub fn untag<P: Provider>(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    arn: &str,
    keys: &[String],
) -> Result<(), ServerError> {
    update(ctx, tx, arn, |p: &mut P| {
        *p.tags_mut() = remove_tags(p.tags(), keys);
        Ok(())
    })
}

/// List*ProviderTags: one page of the provider's tags.
pub fn tags<P: Provider>(
    ctx: &Ctx<'_>,
    tx: &Tx,
    arn: &str,
    marker: Option<&str>,
    max_items: Option<i32>,
) -> Result<Page<iam::Tag>, ServerError> {
    tag_page(find::<P>(tx.state(), ctx, arn)?.tags(), marker, max_items)
}
