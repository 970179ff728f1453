//! Second factors: the MFA devices of a principal, and checking a TOTP code for a
//! session or a console sign-in. Each accepted code moves the device's `last_step`
//! forward (INVARIANT no-replay, `crate::model::mfa::MfaDevice`), so a code is never
//! accepted twice.

use oxiam_protocol::error::ErrorCode;

use crate::app::App;
use crate::model::error::{ServerError, api};
use crate::model::mfa::MfaDevice;
use crate::model::totp;
use crate::model::{Epoch, now_epoch};
use crate::state::State;

/// Steps either side of the expected one a sign-in code may be from (clock skew).
const VERIFY_WINDOW: i64 = 1;

/// The devices enabled for a user, in serial-number order.
pub fn devices_of_user<'s>(
    state: &'s State,
    user_id: &'s str,
) -> impl Iterator<Item = &'s MfaDevice> + 's {
    state
        .mfa_devices
        .values()
        .filter(move |d| d.user_id.as_deref() == Some(user_id))
        .map(|d| &**d)
}

/// The virtual MFA devices of an account, in serial-number order.
pub fn devices_of_account<'s>(
    state: &'s State,
    account: &str,
) -> impl Iterator<Item = &'s MfaDevice> + 's {
    State::with_prefix(&state.mfa_devices, format!("arn:aws:iam::{account}:mfa/")).map(|d| &**d)
}

/// The virtual MFA device name AWS gives the root's device.
pub const ROOT_DEVICE_NAME: &str = "root-account-mfa-device";

/// The serial number of an account root's virtual MFA device.
pub fn root_serial(account: &str) -> String {
    format!("arn:aws:iam::{account}:mfa/{ROOT_DEVICE_NAME}")
}

/// The root's enabled MFA device. A device assigned to the root holds the account ID as
/// its `user_id` (the root's `aws:userid`), which no IAM user's unique ID can equal, so
/// [`verify_code`] and the no-replay step work for it unchanged.
pub fn root_device<'s>(state: &'s State, account: &str) -> Option<&'s MfaDevice> {
    state
        .mfa_devices
        .get(&root_serial(account))
        .filter(|d| d.account == account && d.user_id.as_deref() == Some(account))
        .map(|d| &**d)
}

/// Checks an MFA code for a session (`SerialNumber` + `TokenCode` of STS calls): the device
/// must be enabled for `user_id` in `account`, the code that of a step near now (allowing
/// for the device's drift) and later than any accepted before. Returns when it was
/// accepted. AWS's two answers (recorded): a serial that is not one of the caller's own
/// devices, and a wrong or replayed code. The first reads the same whether the device
/// exists for someone else or not at all, so it tells nothing about other users' devices.
pub fn verify_code(
    app: &App,
    account: &str,
    user_id: &str,
    serial: &str,
    code: &str,
) -> Result<Epoch, ServerError> {
    let failed = || {
        api(
            ErrorCode::AccessDenied,
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        )
    };
    let not_associated = || {
        api(
            ErrorCode::AccessDenied,
            "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify \
             your MFA serial number is valid and associated with this user.",
        )
    };
    let now = now_epoch();
    app.write(|tx| {
        let d = tx
            .state()
            .mfa_devices
            .get(serial)
            .filter(|d| d.account == account && d.user_id.as_deref() == Some(user_id))
            .ok_or_else(not_associated)?;
        let expected = totp::step_of(now) + d.drift;
        let step = (expected - VERIFY_WINDOW..=expected + VERIFY_WINDOW)
            .filter(|s| *s > d.last_step)
            .find(|s| totp::matches(&d.seed.0, *s, code))
            .ok_or_else(failed)?;
        let mut d = MfaDevice::clone(d);
        d.last_step = step;
        tx.put(d)?;
        Ok(now)
    })
}
