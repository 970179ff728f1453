//! SetSecurityTokenServicePreferences: which tokens the STS global endpoint issues for an
//! account — v1 (valid only in Regions enabled by default) or v2 (valid in all Regions).
//! GetAccountSummary reports the choice as `GlobalEndpointTokenVersion` (1 or 2).
//!
//! oxiam has one endpoint and no Regions to enable, so the choice changes no token; it is
//! kept and reported so that tools managing the setting (Terraform's
//! `aws_iam_security_token_service_preferences`) see what they set.

use oxiam_protocol::iam;

use super::Ctx;
use crate::model::Setting;
use crate::model::error::ServerError;
use crate::state::{State, Tx};

/// The version AWS accounts start with.
const DEFAULT_VERSION: i32 = 1;

/// The setting holding one account's choice. Settings are deployment-wide records; the
/// account ID in the name makes this one per account.
fn setting_name(account: &str) -> String {
    format!("sts-global-endpoint-token-version/{account}")
}

/// SetSecurityTokenServicePreferences. The protocol decoder has checked the value against
/// the `globalEndpointTokenVersion` enum (`v1Token`, `v2Token`).
pub fn set_security_token_service_preferences(
    ctx: &Ctx<'_>,
    tx: &mut Tx,
    r: &iam::SetSecurityTokenServicePreferencesRequest,
) -> Result<(), ServerError> {
    tx.put(Setting {
        name: setting_name(&ctx.caller.account),
        value: r.global_endpoint_token_version.clone(),
    })
}

/// `GlobalEndpointTokenVersion` of GetAccountSummary: 1 or 2.
pub fn global_endpoint_token_version(state: &State, account: &str) -> i32 {
    match state.settings.get(&setting_name(account)) {
        Some(s) if s.value == "v2Token" => 2,
        _ => DEFAULT_VERSION,
    }
}
