//! CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, TagUser, UntagUser, ListUserTags.

use oxiam_protocol::iam;

use super::{
    Ctx, find_user, marker_start, paginate, remove_tags, tag_page, target_user, wire_user,
};
use crate::app::App;
use crate::auth::target::Target;
use crate::model::error::{ServerError, already_exists};
use crate::model::ids::{self, IdPrefix};
use crate::model::{KeyOwner, User, now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::{State, Tx};

pub fn create_user(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateUserRequest,
) -> Result<iam::CreateUserResponse, ServerError> {
    let account = &ctx.caller.account;
    if tx.state().user(account, &r.user_name).is_some() {
        return Err(already_exists(format!(
            "User with name {} already exists.",
            r.user_name
        )));
    }
    super::check_account_quota::<User>(
        tx.state(),
        account,
        ctx.quotas.users_per_account,
        "UsersPerAccount",
    )?;
    if let Some(boundary) = &r.permissions_boundary {
        super::roles::check_boundary(tx.state(), account, boundary)?;
    }
    let tags = ctx.new_tags(r.tags.as_deref())?;
    let user = User {
        account: account.clone(),
        id: ids::unique_id(IdPrefix::User),
        name: r.user_name.clone(),
        path: r.path.clone().unwrap_or_else(|| "/".to_owned()),
        created: now_epoch(),
        tags,
        permissions_boundary: r.permissions_boundary.clone(),
        password_last_used: None,
        inline_policies: Default::default(),
        attached_policies: Vec::new(),
    };
    let wire = wire_user(&user, true);
    tx.put(user)?;
    Ok(iam::CreateUserResponse { user: Some(wire) })
}

/// `GetUser`, with sign-ins not yet flushed to the snapshot in `PasswordLastUsed`.
pub fn get_user(
    app: &App,
    ctx: &Ctx<'_>,
    r: &iam::GetUserRequest,
) -> Result<iam::GetUserResponse, ServerError> {
    let mut out = app.read(|tx| get(ctx, tx, r))?;
    with_password_last_used(app, &mut out.user);
    Ok(out)
}

/// `ListUsers`, with `PasswordLastUsed` as [`get_user`] gives it.
pub fn list_users(
    app: &App,
    ctx: &Ctx<'_>,
    r: &iam::ListUsersRequest,
) -> Result<iam::ListUsersResponse, ServerError> {
    let mut out = app.read(|tx| list(ctx, tx, r))?;
    for user in &mut out.users {
        with_password_last_used(app, user);
    }
    Ok(out)
}

/// `PasswordLastUsed` including console sign-ins this node has not flushed to the store
/// yet (see `App::note_password_used`).
fn with_password_last_used(app: &App, user: &mut iam::User) {
    if let Some(at) = app.password_last_used(&user.user_id) {
        user.password_last_used = Some(to_datetime(at));
    }
}

fn get(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetUserRequest,
) -> Result<iam::GetUserResponse, ServerError> {
    let state = tx.state();
    let user = match target_user(state, ctx.caller, r.user_name.as_deref())? {
        Some(u) => wire_user(u, true),
        None => root_user(state, &ctx.caller.account),
    };
    Ok(iam::GetUserResponse { user })
}

/// What GetUser returns for the account root: its ARN and the account ID as user ID.
fn root_user(state: &State, account: &str) -> iam::User {
    iam::User {
        user_id: account.to_owned(),
        arn: format!("arn:aws:iam::{account}:root"),
        create_date: to_datetime(
            state
                .accounts
                .get(account)
                .map(|a| a.created)
                .unwrap_or_default(),
        ),
        ..Default::default()
    }
}

fn list(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListUsersRequest,
) -> Result<iam::ListUsersResponse, ServerError> {
    let prefix = r.path_prefix.as_deref().unwrap_or("/");
    let start = marker_start(r.marker.as_deref())?;
    let users = State::of_account_from(&tx.state().users, &ctx.caller.account, start.as_deref())
        .filter(|u| u.path.starts_with(prefix))
        .map(|u| (u.name.to_lowercase(), wire_user(u, false)));
    let page = paginate(users, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListUsersResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        users: page.items,
    })
}

/// On the user, and on its new ARN too when the request renames or moves it: "the requester
/// must have appropriate permissions on both the source object and the target object"
/// (UpdateUser, IAM API Reference).
pub fn update_user_target(r: &iam::UpdateUserRequest, x: &Resolver<'_>) -> Target {
    let old = x.user(&r.user_name);
    let t = x.on(&old);
    match x.renamed("user", &old, r.new_path.as_ref(), r.new_user_name.as_ref()) {
        Some(new) => t.needs(new),
        None => t,
    }
}

pub fn update_user(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UpdateUserRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let mut user = User::clone(find_user(tx.state(), account, &r.user_name)?);
    let old_key = State::user_key(account, &user.name);
    if let Some(new_name) = &r.new_user_name {
        let renamed_to_other = !new_name.eq_ignore_ascii_case(&user.name);
        if renamed_to_other && tx.state().user(account, new_name).is_some() {
            return Err(already_exists(format!(
                "User with name {new_name} already exists."
            )));
        }
        user.name = new_name.clone();
    }
    if let Some(path) = &r.new_path {
        user.path = path.clone();
    }
    tx.delete::<User>(&old_key);
    tx.put(user)
}

pub fn delete_user(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteUserRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let user = find_user(tx.state(), account, &r.user_name)?;
    check_deletable(tx.state(), user)?;
    let key = State::user_key(account, &user.name);
    let id = user.id.clone();
    tx.delete::<User>(&key);
    // The console revocation of a user who no longer exists is no longer needed (a
    // session of a deleted user has no caller anyway).
    if tx.state().console_revocations.contains_key(&id) {
        tx.delete::<crate::model::ConsoleSessionsValidAfter>(&id);
    }
    Ok(())
}

/// DeleteConflict while the user has credentials, policies or groups, in AWS's order.
fn check_deletable(state: &State, user: &User) -> Result<(), ServerError> {
    let (account, id) = (&user.account, &user.id);
    let owner = KeyOwner::User(id.clone());
    let mut keys = state.keys_of(account, &owner);
    let mut devices = crate::auth::mfa::devices_of_user(state, id);
    let mut ssh_keys = super::ssh_public_keys::of_user(state, id);
    let mut certificates = super::signing_certificates::of_owner(state, account, Some(id));
    let mut credentials = super::service_credentials::of_user(state, id);
    let mut groups = super::groups::groups_of_user(state, account, id);
    super::check_deletable(&[
        (keys.next().is_some(), "delete access keys"),
        (
            state.login_profiles.contains_key(id),
            "delete login profile",
        ),
        (devices.next().is_some(), "delete MFA device"),
        (ssh_keys.next().is_some(), "delete SSH public keys"),
        (certificates.next().is_some(), "delete signing certificates"),
        (
            credentials.next().is_some(),
            // AWS names no kind here (recorded): "must remove referenced objects first".
            "remove referenced objects",
        ),
        (!user.inline_policies.is_empty(), "delete policies"),
        (!user.attached_policies.is_empty(), "detach all policies"),
        (groups.next().is_some(), "remove users from group"),
    ])
}

pub fn tag_user(ctx: &Ctx<'_>, tx: &mut Tx, r: &iam::TagUserRequest) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let mut user = User::clone(find_user(tx.state(), account, &r.user_name)?);
    user.tags = ctx.merge_tags(&user.tags, &r.tags)?;
    tx.put(user)
}

pub fn untag_user(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UntagUserRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let mut user = User::clone(find_user(tx.state(), account, &r.user_name)?);
    user.tags = remove_tags(&user.tags, &r.tag_keys);
    tx.put(user)
}

pub fn list_user_tags(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListUserTagsRequest,
) -> Result<iam::ListUserTagsResponse, ServerError> {
    let user = find_user(tx.state(), &ctx.caller.account, &r.user_name)?;
    let page = tag_page(&user.tags, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListUserTagsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        tags: page.items,
    })
}

pub fn put_user_permissions_boundary(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::PutUserPermissionsBoundaryRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let user = find_user(tx.state(), account, &r.user_name)?;
    // As CreateUser, CreateRole and PutRolePermissionsBoundary check a boundary: AWS words a
    // missing one "Scope ARN: … does not exist or is not attachable." (recorded), not as
    // AttachUserPolicy words a missing policy.
    super::roles::check_boundary(tx.state(), account, &r.permissions_boundary)?;
    let mut user = User::clone(user);
    user.permissions_boundary = Some(r.permissions_boundary.clone());
    tx.put(user)
}

pub fn delete_user_permissions_boundary(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteUserPermissionsBoundaryRequest,
) -> Result<(), ServerError> {
    let user = find_user(tx.state(), &ctx.caller.account, &r.user_name)?;
    // A user without a boundary: nothing to delete, and nothing to write.
    if user.permissions_boundary.is_none() {
        return Ok(());
    }
    let mut user = User::clone(user);
    user.permissions_boundary = None;
    tx.put(user)
}
