//! Virtual MFA devices: `CreateVirtualMFADevice`, `EnableMFADevice`, `ResyncMFADevice`,
//! `DeactivateMFADevice`, `DeleteVirtualMFADevice`, `GetMFADevice`, `ListMFADevices`,
//! `ListVirtualMFADevices`, `TagMFADevice`, `UntagMFADevice`, `ListMFADeviceTags`, and the
//! root's device, which AWS enables from the console only.
//!
//! - [`png`]: the QR code of the device's `otpauth://` URI as a PNG.
//! - The device entity is `crate::model::mfa`; verifying a code at sign-in or for a
//!   session is `crate::auth::mfa`.
//!
//! A device's seed is sealed under the key-encryption key at rest. Each accepted code moves
//! the device's `last_step` forward and no code of that step or an earlier one is accepted
//! again, so a code cannot be replayed within its window.

pub mod png;

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use rand::RngCore as _;
use zeroize::Zeroizing;

use super::{Ctx, find_user, paginate, remove_tags, tag_page, target_user, wire_user};
use crate::auth::mfa::{devices_of_account, devices_of_user, root_serial};
use crate::auth::target::Target;
use crate::model::error::{
    ServerError, already_exists, api, delete_conflict, limit_exceeded, no_such_entity,
};
use crate::model::mfa::{MfaDevice, Seed};
use crate::model::totp;
use crate::model::{now_epoch, to_datetime};
use crate::ops::Resolver;
use crate::state::{State, Tx};

/// Bytes of a device seed: 40, a 64-character base32 seed as AWS hands out.
const SEED_BYTES: usize = 40;
/// Steps before the current one a first code may be from at `EnableMFADevice` (the user
/// reads two codes in a row, 30 seconds apart, and may be slow to type them).
const ENABLE_WINDOW: i64 = 10;
/// Steps either side of the current one `ResyncMFADevice` searches: a device whose clock
/// drifted by up to half an hour.
const RESYNC_WINDOW: i64 = 60;
fn no_such_device(serial: &str) -> ServerError {
    no_such_entity(format!(
        "MFA Device with serial number {serial} does not exist."
    ))
}

fn invalid_codes() -> ServerError {
    api(
        ErrorCode::InvalidAuthenticationCode,
        "Authentication code for device is not valid.",
    )
}

/// A device of the caller's account by serial number.
fn device<'s>(state: &'s State, account: &str, serial: &str) -> Result<&'s MfaDevice, ServerError> {
    state
        .mfa_devices
        .get(serial)
        .filter(|d| d.account == account)
        .map(|d| &**d)
        .ok_or_else(|| no_such_device(serial))
}

/// The `otpauth://` URI authenticator apps read from the QR code.
pub fn otpauth_uri(account: &str, name: &str, seed_b32: &str) -> String {
    let label =
        utf8_percent_encode(&format!("oxiam:{name}@{account}"), NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{label}?secret={seed_b32}&issuer=oxiam&algorithm=SHA1&digits=6&period=30"
    )
}

/// On a virtual MFA device by serial number (its ARN), with its tags when it exists.
pub fn device_target(x: &Resolver<'_>, serial: &str) -> Target {
    let tags = x
        .state
        .mfa_devices
        .get(serial)
        .filter(|d| d.account == x.account())
        .map(|d| d.tags.as_slice());
    x.arn_of(serial, tags)
}

pub fn create_virtual_mfa_device(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::CreateVirtualMFADeviceRequest,
) -> Result<iam::CreateVirtualMFADeviceResponse, ServerError> {
    let account = &ctx.caller.account;
    let path = r.path.clone().unwrap_or_else(|| "/".to_owned());
    let serial = format!(
        "arn:aws:iam::{account}:mfa{path}{}",
        r.virtual_mfa_device_name
    );
    if tx.state().mfa_devices.contains_key(&serial) {
        return Err(already_exists(
            "MFADevice entity at the same path and name already exists.",
        ));
    }
    let tags = ctx.new_tags(r.tags.as_deref())?;
    let mut seed = Zeroizing::new(vec![0u8; SEED_BYTES]);
    rand::rng().fill_bytes(&mut seed);
    let seed_b32 = Zeroizing::new(totp::base32(&seed));
    let uri = Zeroizing::new(otpauth_uri(account, &r.virtual_mfa_device_name, &seed_b32));
    let qr = png::qr_png(&uri)?;
    let device = MfaDevice {
        account: account.clone(),
        serial: serial.clone(),
        created: now_epoch(),
        seed: Seed(seed),
        user_id: None,
        enabled: None,
        tags,
        last_step: 0,
        drift: 0,
    };
    let wire_tags = (!device.tags.is_empty()).then(|| super::wire_tags(&device.tags));
    tx.put(device)?;
    Ok(iam::CreateVirtualMFADeviceResponse {
        virtual_mfa_device: iam::VirtualMFADevice {
            serial_number: serial,
            base32_string_seed: Some(seed_b32.as_bytes().to_vec()),
            qr_code_png: Some(qr),
            tags: wire_tags,
            ..Default::default()
        },
    })
}

/// The first of two consecutive steps within `window` of `center` whose codes are `code1`
/// and `code2`, later than `after`.
fn find_pair(
    seed: &[u8],
    center: i64,
    window: i64,
    after: i64,
    code1: &str,
    code2: &str,
) -> Option<i64> {
    (center - window..=center + window)
        .filter(|s| *s > after)
        .find(|s| totp::matches(seed, *s, code1) && totp::matches(seed, *s + 1, code2))
}

pub fn enable_mfa_device(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::EnableMFADeviceRequest,
) -> Result<(), ServerError> {
    let account = &ctx.caller.account;
    let state = tx.state();
    let user = find_user(state, account, &r.user_name)?;
    let d = unassigned(state, account, &r.serial_number)?;
    if devices_of_user(state, &user.id).count() >= ctx.quotas.mfa_devices_per_user {
        return Err(limit_exceeded(format!(
            "Cannot exceed quota for MFADevicesPerUser: {}",
            ctx.quotas.mfa_devices_per_user
        )));
    }
    let (d, user_id) = (d.clone(), user.id.clone());
    enable(
        tx,
        d,
        user_id,
        &r.authentication_code1,
        &r.authentication_code2,
    )
}

/// The device `serial` of the account, which must not be assigned yet.
fn unassigned<'s>(
    state: &'s State,
    account: &str,
    serial: &str,
) -> Result<&'s MfaDevice, ServerError> {
    let d = device(state, account, serial)?;
    if d.user_id.is_some() {
        return Err(already_exists("MFA Device is already in use."));
    }
    Ok(d)
}

/// Assigns the device to `holder` (a user's unique ID, or the account ID for the root)
/// when `code1` and `code2` are two consecutive codes of it not used before.
fn enable(
    tx: &mut Tx,
    mut d: MfaDevice,
    holder: String,
    code1: &str,
    code2: &str,
) -> Result<(), ServerError> {
    let now = totp::step_of(now_epoch());
    // The window ends at the current step: the second code may be one step ahead (skew).
    let first = find_pair(
        &d.seed.0,
        now - ENABLE_WINDOW / 2,
        ENABLE_WINDOW / 2,
        d.last_step,
        code1,
        code2,
    )
    .ok_or_else(invalid_codes)?;
    d.user_id = Some(holder);
    d.enabled = Some(now_epoch());
    d.last_step = first + 1;
    // Codes typed slowly are old, not skewed: drift is learnt by resync only.
    d.drift = 0;
    tx.put(d)
}

/// The device `serial` if it is enabled for the user `user_name` (the caller when `None`).
fn assigned<'s>(
    ctx: &Ctx<'_>,
    state: &'s State,
    user_name: Option<&str>,
    serial: &str,
) -> Result<(&'s MfaDevice, String), ServerError> {
    let user = target_user(state, ctx.caller, user_name)?.ok_or_else(|| no_such_device(serial))?;
    let d = device(state, &ctx.caller.account, serial)?;
    if d.user_id.as_deref() != Some(user.id.as_str()) {
        return Err(no_such_entity(format!(
            "MFA Device with serial number {serial} is not assigned to user {}.",
            user.name
        )));
    }
    Ok((d, user.name.clone()))
}

pub fn resync_mfa_device(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ResyncMFADeviceRequest,
) -> Result<(), ServerError> {
    let (d, _) = assigned(ctx, tx.state(), Some(&r.user_name), &r.serial_number)?;
    let now = totp::step_of(now_epoch());
    let first = find_pair(
        &d.seed.0,
        now,
        RESYNC_WINDOW,
        d.last_step,
        &r.authentication_code1,
        &r.authentication_code2,
    )
    .ok_or_else(invalid_codes)?;
    let mut d = d.clone();
    d.last_step = first + 1;
    d.drift = first + 1 - now;
    tx.put(d)
}

pub fn deactivate_mfa_device(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeactivateMFADeviceRequest,
) -> Result<(), ServerError> {
    let (d, _) = assigned(ctx, tx.state(), r.user_name.as_deref(), &r.serial_number)?;
    let mut d = d.clone();
    d.user_id = None;
    d.enabled = None;
    tx.put(d)
}

pub fn delete_virtual_mfa_device(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::DeleteVirtualMFADeviceRequest,
) -> Result<(), ServerError> {
    let d = device(tx.state(), &ctx.caller.account, &r.serial_number)?;
    if d.user_id.is_some() {
        return Err(delete_conflict(
            "MFA VirtualDevice in use. Must deactivate first.",
        ));
    }
    let key = d.serial.clone();
    tx.delete::<MfaDevice>(&key);
    Ok(())
}

pub fn get_mfa_device(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::GetMFADeviceRequest,
) -> Result<iam::GetMFADeviceResponse, ServerError> {
    let (d, user_name) = assigned(ctx, tx.state(), r.user_name.as_deref(), &r.serial_number)?;
    Ok(iam::GetMFADeviceResponse {
        user_name: Some(user_name),
        serial_number: d.serial.clone(),
        enable_date: d.enabled.map(to_datetime),
        certifications: None,
    })
}

pub fn list_mfa_devices(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListMFADevicesRequest,
) -> Result<iam::ListMFADevicesResponse, ServerError> {
    let state = tx.state();
    let Some(user) = target_user(state, ctx.caller, r.user_name.as_deref())? else {
        // The root has no virtual devices oxiam can enable (EnableMFADevice names a user).
        return Ok(iam::ListMFADevicesResponse {
            is_truncated: Some(false),
            ..Default::default()
        });
    };
    let items = devices_of_user(state, &user.id).map(|d| {
        (
            d.serial.clone(),
            iam::MFADevice {
                user_name: user.name.clone(),
                serial_number: d.serial.clone(),
                enable_date: to_datetime(d.enabled.unwrap_or(d.created)),
            },
        )
    });
    let page = paginate(items, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListMFADevicesResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        mfa_devices: page.items,
    })
}

pub fn list_virtual_mfa_devices(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListVirtualMFADevicesRequest,
) -> Result<iam::ListVirtualMFADevicesResponse, ServerError> {
    let state = tx.state();
    let status = r.assignment_status.as_deref().unwrap_or("Any");
    let items = devices_of_account(state, &ctx.caller.account)
        .filter(|d| match status {
            "Assigned" => d.user_id.is_some(),
            "Unassigned" => d.user_id.is_none(),
            _ => true,
        })
        .map(|d| {
            let user = d.user_id.as_deref().and_then(|id| state.user_by_id(id));
            (
                d.serial.clone(),
                iam::VirtualMFADevice {
                    serial_number: d.serial.clone(),
                    user: user.map(|u| wire_user(u, false)),
                    enable_date: d.enabled.map(to_datetime),
                    ..Default::default()
                },
            )
        });
    let page = paginate(items, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListVirtualMFADevicesResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        virtual_mfa_devices: page.items,
    })
}

pub fn tag_mfa_device(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::TagMFADeviceRequest,
) -> Result<(), ServerError> {
    let mut d = device(tx.state(), &ctx.caller.account, &r.serial_number)?.clone();
    d.tags = ctx.merge_tags(&d.tags, &r.tags)?;
    tx.put(d)
}

pub fn untag_mfa_device(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::UntagMFADeviceRequest,
) -> Result<(), ServerError> {
    let mut d = device(tx.state(), &ctx.caller.account, &r.serial_number)?.clone();
    d.tags = remove_tags(&d.tags, &r.tag_keys);
    tx.put(d)
}

pub fn list_mfa_device_tags(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::ListMFADeviceTagsRequest,
) -> Result<iam::ListMFADeviceTagsResponse, ServerError> {
    let d = device(tx.state(), &ctx.caller.account, &r.serial_number)?;
    let page = tag_page(&d.tags, r.marker.as_deref(), r.max_items)?;
    Ok(iam::ListMFADeviceTagsResponse {
        is_truncated: Some(page.is_truncated()),
        marker: page.next_marker,
        tags: page.items,
    })
}

/// Assigns the root's virtual device (created by `CreateVirtualMFADevice` named
/// [`ROOT_DEVICE_NAME`]) to the root after two consecutive codes, as `EnableMFADevice`
/// does for users. AWS enables the root's device from the console only; so does oxiam.
pub fn enable_root_device(
    tx: &mut Tx,
    account: &str,
    code1: &str,
    code2: &str,
) -> Result<(), ServerError> {
    let d = unassigned(tx.state(), account, &root_serial(account))?.clone();
    enable(tx, d, account.to_owned(), code1, code2)
}

/// Removes the root's MFA device (deactivated and deleted, as AWS's console does).
pub fn remove_root_device(tx: &mut Tx, account: &str) -> Result<(), ServerError> {
    let serial = root_serial(account);
    device(tx.state(), account, &serial)?;
    tx.delete::<MfaDevice>(&serial);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_must_be_consecutive_and_fresh() {
        let seed = b"12345678901234567890";
        let (c1, c2, c3) = (
            totp::code_at(seed, 100),
            totp::code_at(seed, 101),
            totp::code_at(seed, 102),
        );
        assert_eq!(find_pair(seed, 101, 2, 0, &c1, &c2), Some(100));
        assert_eq!(
            find_pair(seed, 101, 2, 0, &c1, &c3),
            None,
            "not consecutive"
        );
        assert_eq!(find_pair(seed, 101, 2, 100, &c1, &c2), None, "already used");
        assert_eq!(
            find_pair(seed, 200, 2, 0, &c1, &c2),
            None,
            "outside the window"
        );
    }

    #[test]
    fn seeds_are_sealed_at_rest_and_bound_to_their_serial() {
        use oxiam_store::crypto::Kek;
        use oxiam_store::{Change, Record};
        use std::sync::Arc;
        let kek = Arc::new(Kek::generate());
        let mut tx = Tx::new(Arc::new(State::default()), Arc::clone(&kek));
        let serial = "arn:aws:iam::123456789012:mfa/a".to_owned();
        tx.put(MfaDevice {
            account: "123456789012".into(),
            serial: serial.clone(),
            created: 0,
            seed: Seed(Zeroizing::new(b"0123456789abcdefghij".to_vec())),
            user_id: None,
            enabled: None,
            tags: Vec::new(),
            last_step: 7,
            drift: 0,
        })
        .unwrap();
        let (changes, _) = tx.finish().unwrap();
        let Change::Put(record) = changes.into_iter().next().unwrap() else {
            unreachable!()
        };
        let stored = String::from_utf8_lossy(&record.value).into_owned();
        assert!(!stored.contains("0123456789abcdefghij"));
        let state = State::from_records(std::slice::from_ref(&record), 1, &kek).unwrap();
        let d = &state.mfa_devices[&serial];
        assert_eq!(&**d.seed.0, b"0123456789abcdefghij");
        assert_eq!(d.last_step, 7);
        let moved = Record {
            value: stored.replace("mfa/a\"", "mfa/b\"").into_bytes(),
            key: "arn:aws:iam::123456789012:mfa/b".into(),
            ..record
        };
        assert!(State::from_records(&[moved], 1, &kek).is_err());
    }

    #[test]
    fn the_uri_names_issuer_and_account() {
        let uri = otpauth_uri("123456789012", "alice-phone", "ABC");
        assert_eq!(
            uri,
            "otpauth://totp/oxiam%3Aalice%2Dphone%40123456789012?secret=ABC&issuer=oxiam&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(
            format!("{:?}", Seed(Zeroizing::new(vec![1, 2]))),
            "Seed(<redacted>)"
        );
    }
}
