//! Service-specific credentials: Create/List/Reset/Update/DeleteServiceSpecificCredential.
//!
//! A user name and password for one service that cannot use SigV4 (CodeCommit over HTTPS
//! Git, Amazon Keyspaces over the Cassandra protocol). The user name is
//! `<user>-at-<account>`; the password is random, returned only by Create and Reset, and
//! stored sealed (AES-256-GCM under the KEK, bound to the credential's ID).

use std::sync::Arc;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;
use oxiam_store::Record;
use oxiam_store::crypto::Kek;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use super::{Ctx, find_user, paginate, target_user};
use crate::model::error::{ServerError, api, limit_exceeded, no_such_entity};
use crate::model::ids::{self, IdPrefix};
use crate::model::{ServicePassword, ServiceSpecificCredential, User, now_epoch, to_datetime};
use crate::state::{Entity, State, Tx, json_decode, json_encode, open_text_field, seal_field};

/// The services AWS issues these credentials for.
pub const SERVICES: [&str; 2] = ["codecommit.amazonaws.com", "cassandra.amazonaws.com"];
/// Password length and alphabet: 44 characters of base64's alphabet without `/`, as the
/// passwords AWS issues look (about 260 bits).
const PASSWORD_LEN: usize = 44;
const PASSWORD_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=";

fn new_password() -> ServicePassword {
    let mut rng = rand::rng();
    ServicePassword::new(
        (0..PASSWORD_LEN)
            .filter_map(|_| {
                PASSWORD_CHARS
                    .get(rng.random_range(0..PASSWORD_CHARS.len()))
                    .map(|&b| char::from(b))
            })
            .collect(),
    )
}

/// The stored form: the password sealed under the KEK.
#[derive(Serialize, Deserialize)]
struct Stored {
    account: String,
    user_id: String,
    id: String,
    service_name: String,
    service_user_name: String,
    active: bool,
    created: i64,
    sealed_password: String,
}

fn aad(id: &str) -> Vec<u8> {
    format!("service_specific_credential/{id}").into_bytes()
}

impl Entity for ServiceSpecificCredential {
    const TABLE: &'static str = "service_specific_credential";
    fn key(&self) -> String {
        ServiceSpecificCredential::store_key(&self.user_id, &self.id)
    }
    fn encode(&self, kek: &Kek) -> Result<Vec<u8>, ServerError> {
        let sealed_password = seal_field(kek, self.password.expose().as_bytes(), &aad(&self.id));
        json_encode(&Stored {
            account: self.account.clone(),
            user_id: self.user_id.clone(),
            id: self.id.clone(),
            service_name: self.service_name.clone(),
            service_user_name: self.service_user_name.clone(),
            active: self.active,
            created: self.created,
            sealed_password,
        })
    }
    fn decode(record: &Record, kek: &Kek) -> Result<Self, ServerError> {
        let s: Stored = json_decode(record)?;
        let what = format!("the password of {}", s.id);
        let password = open_text_field(kek, &s.sealed_password, &aad(&s.id), &what)?;
        Ok(ServiceSpecificCredential {
            account: s.account,
            user_id: s.user_id,
            id: s.id,
            service_name: s.service_name,
            service_user_name: s.service_user_name,
            password: ServicePassword::new(password),
            active: s.active,
            created: s.created,
        })
    }
}

/// The credentials of one user, in ID order.
pub fn of_user<'s>(
    state: &'s State,
    user_id: &str,
) -> impl Iterator<Item = &'s Arc<ServiceSpecificCredential>> + 's {
    State::with_prefix(&state.service_credentials, format!("{user_id}/"))
}

fn status(active: bool) -> String {
    if active { "Active" } else { "Inactive" }.to_owned()
}

/// Stores a credential with a new password and returns its full form, the password
/// included: Create and Reset, the only times it is shown.
fn put_shown(
    tx: &mut Tx,
    u: &User,
    c: ServiceSpecificCredential,
) -> Result<Option<iam::ServiceSpecificCredential>, ServerError> {
    let shown = iam::ServiceSpecificCredential {
        create_date: to_datetime(c.created),
        expiration_date: None,
        service_name: c.service_name.clone(),
        service_user_name: Some(c.service_user_name.clone()),
        service_password: Some(c.password.expose().to_owned()),
        service_credential_alias: None,
        service_credential_secret: None,
        service_specific_credential_id: c.id.clone(),
        user_name: u.name.clone(),
        status: status(c.active),
    };
    tx.put(c)?;
    Ok(Some(shown))
}

/// The user a request names (or the calling user), which must exist.
fn owner<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    name: Option<&str>,
) -> Result<&'s Arc<User>, ServerError> {
    target_user(state, ctx.caller, name)?.ok_or_else(|| {
        crate::model::error::validation(
            "Must specify userName when calling with non-User credentials",
        )
    })
}

fn find<'s>(
    state: &'s State,
    ctx: &Ctx<'_>,
    name: Option<&str>,
    id: &str,
) -> Result<(&'s Arc<User>, &'s Arc<ServiceSpecificCredential>), ServerError> {
    let u = owner(state, ctx, name)?;
    let c = state
        .service_credentials
        .get(&ServiceSpecificCredential::store_key(&u.id, id))
        .ok_or_else(|| {
            no_such_entity(format!(
                "The Service Specific Credential with id {id} cannot be found."
            ))
        })?;
    Ok((u, c))
}

pub fn create_service_specific_credential(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateServiceSpecificCredentialRequest,
) -> Result<iam::CreateServiceSpecificCredentialResponse, ServerError> {
    let state = tx.state();
    let u = Arc::clone(find_user(state, &ctx.caller.account, &r.user_name)?);
    if !SERVICES.contains(&r.service_name.as_str()) {
        // AWS answers NoSuchEntity here (recorded), although the model lists
        // NotSupportedService for the operation.
        return Err(no_such_entity(format!(
            "No such service {} is supported for Service Specific Credentials",
            r.service_name
        )));
    }
    if r.credential_age_days.is_some() {
        // Expiring credentials are Bedrock API keys, a service oxiam does not serve.
        return Err(api(
            ErrorCode::NotSupportedService,
            "CredentialAgeDays is supported only for bedrock.amazonaws.com, which this deployment does not serve.",
        ));
    }
    let existing = of_user(state, &u.id)
        .filter(|c| c.service_name == r.service_name)
        .count();
    if existing >= ctx.quotas.service_credentials_per_user_per_service {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {}",
            ctx.quotas.service_credentials_per_user_per_service
        )));
    }
    let credential = ServiceSpecificCredential {
        account: u.account.clone(),
        user_id: u.id.clone(),
        id: ids::unique_id(IdPrefix::ServiceSpecificCredential),
        service_name: r.service_name.clone(),
        service_user_name: format!("{}-at-{}", u.name, u.account),
        password: new_password(),
        active: true,
        created: now_epoch(),
    };
    Ok(iam::CreateServiceSpecificCredentialResponse {
        service_specific_credential: put_shown(tx, &u, credential)?,
    })
}

pub fn list_service_specific_credentials(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListServiceSpecificCredentialsRequest,
) -> Result<iam::ListServiceSpecificCredentialsResponse, ServerError> {
    let state = tx.state();
    let users: Vec<&Arc<User>> = if r.all_users == Some(true) {
        state.users_of(&ctx.caller.account).collect()
    } else {
        match target_user(state, ctx.caller, r.user_name.as_deref())? {
            Some(u) => vec![u],
            None => Vec::new(),
        }
    };
    let items = users.into_iter().flat_map(|u| {
        of_user(state, &u.id)
            .filter(|c| r.service_name.as_ref().is_none_or(|s| *s == c.service_name))
            .map(move |c| {
                (
                    format!("{}/{}", u.name, c.id),
                    iam::ServiceSpecificCredentialMetadata {
                        user_name: u.name.clone(),
                        status: status(c.active),
                        service_user_name: Some(c.service_user_name.clone()),
                        service_credential_alias: None,
                        create_date: to_datetime(c.created),
                        expiration_date: None,
                        service_specific_credential_id: c.id.clone(),
                        service_name: c.service_name.clone(),
                    },
                )
            })
    });
    let mut items: Vec<_> = items.collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let page = paginate(items.into_iter(), r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListServiceSpecificCredentialsResponse {
        // AWS leaves `IsTruncated` out of a complete list (recorded), unlike the other
        // List* operations; a truncated page says so.
        is_truncated: page.is_truncated().then_some(true),
        marker: page.next_marker,
        service_specific_credentials: Some(page.items),
    })
}

/// ResetServiceSpecificCredential: a new password, the user name unchanged.
pub fn reset_service_specific_credential(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ResetServiceSpecificCredentialRequest,
) -> Result<iam::ResetServiceSpecificCredentialResponse, ServerError> {
    let (u, c) = find(
        tx.state(),
        ctx,
        r.user_name.as_deref(),
        &r.service_specific_credential_id,
    )?;
    let u = Arc::clone(u);
    let c = ServiceSpecificCredential {
        password: new_password(),
        ..ServiceSpecificCredential::clone(c)
    };
    Ok(iam::ResetServiceSpecificCredentialResponse {
        service_specific_credential: put_shown(tx, &u, c)?,
    })
}

pub fn update_service_specific_credential(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateServiceSpecificCredentialRequest,
) -> Result<(), ServerError> {
    let (_, c) = find(
        tx.state(),
        ctx,
        r.user_name.as_deref(),
        &r.service_specific_credential_id,
    )?;
    let mut c = ServiceSpecificCredential::clone(c);
    c.active = r.status == "Active";
    tx.put(c)
}

pub fn delete_service_specific_credential(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteServiceSpecificCredentialRequest,
) -> Result<(), ServerError> {
    let (_, c) = find(
        tx.state(),
        ctx,
        r.user_name.as_deref(),
        &r.service_specific_credential_id,
    )?;
    let key = c.key();
    tx.delete::<ServiceSpecificCredential>(&key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_sealed_at_rest_and_never_printed() {
        let kek = Kek::generate();
        let c = ServiceSpecificCredential {
            account: "123456789012".into(),
            user_id: "AIDAX".into(),
            id: "ACCAX".into(),
            service_name: SERVICES[0].into(),
            service_user_name: "jo-at-123456789012".into(),
            password: new_password(),
            active: true,
            created: 0,
        };
        assert_eq!(c.password.expose().len(), PASSWORD_LEN);
        assert!(!format!("{c:?}").contains(c.password.expose()));
        let bytes = c.encode(&kek).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(c.password.expose()));
        let record = Record {
            table: ServiceSpecificCredential::TABLE.into(),
            key: c.key(),
            value: bytes.clone(),
        };
        assert_eq!(ServiceSpecificCredential::decode(&record, &kek).unwrap(), c);
        // Another KEK cannot open it.
        assert!(ServiceSpecificCredential::decode(&record, &Kek::generate()).is_err());
    }
}
