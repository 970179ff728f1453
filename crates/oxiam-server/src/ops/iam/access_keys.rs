//! CreateAccessKey, ListAccessKeys, UpdateAccessKey, DeleteAccessKey, GetAccessKeyLastUsed.

use oxiam_protocol::iam;

use super::{Ctx, paginate, target_user};
use crate::app::App;
use crate::auth::target::Target;
use crate::model::error::{ServerError, limit_exceeded, no_such_entity};
use crate::model::ids::{self, IdPrefix};
use crate::model::{AccessKey, KeyLastUsed, KeyOwner, KeyStatus, now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::{State, Tx, new_secret};

/// The owner a request is about, and the user name AWS reports for it.
fn owner_of(
    ctx: &Ctx<'_>,
    state: &State,
    user_name: Option<&str>,
) -> Result<(KeyOwner, Option<String>), ServerError> {
    Ok(match target_user(state, ctx.caller, user_name)? {
        Some(u) => (KeyOwner::User(u.id.clone()), Some(u.name.clone())),
        None => (KeyOwner::Root, None),
    })
}

fn no_such_key(id: &str) -> ServerError {
    no_such_entity(format!("The Access Key with id {id} cannot be found"))
}

/// The key `id` if it belongs to `owner` in the caller's account.
fn owned_key<'s>(
    ctx: &Ctx<'_>,
    state: &'s State,
    owner: &KeyOwner,
    id: &str,
) -> Result<&'s AccessKey, ServerError> {
    state
        .access_keys
        .get(id)
        .filter(|k| k.account == ctx.caller.account && &k.owner == owner)
        .map(|k| &**k)
        .ok_or_else(|| no_such_key(id))
}

pub fn create_access_key(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateAccessKeyRequest,
) -> Result<iam::CreateAccessKeyResponse, ServerError> {
    let (owner, user_name) = owner_of(ctx, tx.state(), r.user_name.as_deref())?;
    let max = ctx.quotas.access_keys_per_user;
    if tx.state().keys_of(&ctx.caller.account, &owner).count() >= max {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for AccessKeysPerUser: {max}"
        )));
    }
    let key = AccessKey {
        id: ids::access_key_id(IdPrefix::AccessKey),
        account: ctx.caller.account.clone(),
        owner,
        status: KeyStatus::Active,
        created: now_epoch(),
        secret: new_secret(),
    };
    let wire = iam::AccessKey {
        user_name: user_name.unwrap_or_else(|| "root".to_owned()),
        access_key_id: key.id.clone(),
        status: key.status.as_str().to_owned(),
        secret_access_key: key.secret.expose().to_owned(),
        create_date: Some(to_datetime(key.created)),
    };
    tx.put(key)?;
    Ok(iam::CreateAccessKeyResponse { access_key: wire })
}

pub fn list_access_keys(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListAccessKeysRequest,
) -> Result<iam::ListAccessKeysResponse, ServerError> {
    let state = tx.state();
    let (owner, user_name) = owner_of(ctx, state, r.user_name.as_deref())?;
    let mut keys: Vec<&AccessKey> = state
        .keys_of(&ctx.caller.account, &owner)
        .map(|k| &**k)
        .collect();
    keys.sort_by_key(|k| (k.created, k.id.clone()));
    let items = keys.into_iter().map(|k| {
        (
            format!("{:020}/{}", k.created, k.id),
            iam::AccessKeyMetadata {
                user_name: user_name.clone(),
                access_key_id: Some(k.id.clone()),
                status: Some(k.status.as_str().to_owned()),
                create_date: Some(to_datetime(k.created)),
            },
        )
    });
    let page = paginate(items, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListAccessKeysResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        access_key_metadata: page.items,
    })
}

pub fn update_access_key(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateAccessKeyRequest,
) -> Result<(), ServerError> {
    let (owner, _) = owner_of(ctx, tx.state(), r.user_name.as_deref())?;
    let mut key = owned_key(ctx, tx.state(), &owner, &r.access_key_id)?.clone();
    key.status = match r.status.as_str() {
        "Active" => KeyStatus::Active,
        "Inactive" => KeyStatus::Inactive,
        other => {
            // `Expired` is in the model's enum, but no access key can be set to it: refused
            // as the model's own enum check words a refusal.
            let _ = other;
            return Err(crate::model::error::validation(
                "1 validation error detected: Value at 'status' failed to satisfy constraint: Member must satisfy enum value set",
            ));
        }
    };
    tx.put(key)
}

pub fn delete_access_key(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteAccessKeyRequest,
) -> Result<(), ServerError> {
    let (owner, _) = owner_of(ctx, tx.state(), r.user_name.as_deref())?;
    let id = owned_key(ctx, tx.state(), &owner, &r.access_key_id)?
        .id
        .clone();
    tx.delete::<AccessKey>(&id);
    if tx.state().key_last_used.contains_key(&id) {
        tx.delete::<KeyLastUsed>(&id);
    }
    Ok(())
}

/// `GetAccessKeyLastUsed`: the last use this node has not flushed yet, else the stored one.
pub fn get_access_key_last_used(
    app: &App,
    ctx: &Ctx<'_>,
    r: &iam::GetAccessKeyLastUsedRequest,
) -> Result<iam::GetAccessKeyLastUsedResponse, ServerError> {
    // Read outside the snapshot: the last-used tracker is not part of it.
    let used = app.key_last_used(&r.access_key_id);
    app.read(|tx| last_used(ctx, tx, r, used.clone()))
}

/// On the key's owner (a user, or the root); on `*` for a key the caller's account does
/// not have, so the caller learns nothing about other accounts' keys.
pub fn get_access_key_last_used_target(
    r: &iam::GetAccessKeyLastUsedRequest,
    x: &Resolver<'_>,
) -> Target {
    let account = x.account();
    let owner = x
        .state
        .access_keys
        .get(&r.access_key_id)
        .filter(|k| k.account == account)
        .and_then(|key| match &key.owner {
            KeyOwner::Root => Some(format!("arn:aws:iam::{account}:root")),
            KeyOwner::User(id) => x.state.user_by_id(id).map(|u| u.arn()),
        });
    Target::new(x.action.clone(), owner.unwrap_or_else(|| "*".to_owned()))
}

fn last_used(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetAccessKeyLastUsedRequest,
    used: Option<KeyLastUsed>,
) -> Result<iam::GetAccessKeyLastUsedResponse, ServerError> {
    let state = tx.state();
    let key = state
        .access_keys
        .get(&r.access_key_id)
        .filter(|k| k.account == ctx.caller.account)
        .ok_or_else(|| no_such_key(&r.access_key_id))?;
    let user_name = match &key.owner {
        KeyOwner::Root => "root".to_owned(),
        KeyOwner::User(id) => state
            .user_by_id(id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
    };
    let last = match used {
        Some(u) => iam::AccessKeyLastUsed {
            last_used_date: Some(to_datetime(u.date)),
            service_name: u.service,
            region: u.region,
        },
        None => iam::AccessKeyLastUsed {
            last_used_date: None,
            service_name: "N/A".to_owned(),
            region: "N/A".to_owned(),
        },
    };
    Ok(iam::GetAccessKeyLastUsedResponse {
        user_name: Some(user_name),
        access_key_last_used: Some(last),
    })
}
