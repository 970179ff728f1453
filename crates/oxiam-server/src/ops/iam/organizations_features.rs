//! ListOrganizationsFeatures: the centralized root access features (`RootCredentialsManagement`,
//! `RootSessions`) an organization's management account or IAM's delegated administrator
//! has enabled for its member accounts.
//!
//! oxiam hosts no AWS Organizations yet, so every account is standalone, and AWS answers a
//! standalone account with `OrganizationNotFoundException`. The Enable*/Disable* operations
//! of the same features (`EnableOrganizationsRootCredentialsManagement`, …) belong here once
//! accounts can form an organization.

use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::iam;

use super::Ctx;
use crate::model::error::{ServerError, api};
use crate::state::Tx;

/// AWS's description of `OrganizationNotFoundException` in the IAM API reference. AWS
/// publishes no wire message of its own for it; oxiam sends this one.
const NO_ORGANIZATION: &str =
    "The request was rejected because no organization is associated with your account.";

/// ListOrganizationsFeatures. The features are the organization's, so an account that
/// belongs to none has none to list: AWS refuses the call rather than returning an empty
/// list (Terraform's `aws_iam_organizations_features` reads this error as "no such
/// resource").
pub fn list_organizations_features(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListOrganizationsFeaturesRequest,
) -> Result<iam::ListOrganizationsFeaturesResponse, ServerError> {
    Err(api(
        ErrorCode::OrganizationNotFoundException,
        NO_ORGANIZATION,
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use oxiam_protocol::Service;
    use oxiam_store::crypto::Kek;

    use super::*;
    use crate::auth::authn::Caller;
    use crate::model::quotas::Quotas;
    use crate::state::State;

    #[test]
    fn a_standalone_account_has_no_organization() {
        let caller = Caller::root("123456789012", "AKIAROOT");
        let quotas = Quotas::default();
        let env = crate::auth::decide::RequestEnv::now();
        let ctx = Ctx {
            caller: &caller,
            quotas: &quotas,
            env: &env,
        };
        let mut tx = Tx::new(Arc::new(State::default()), Arc::new(Kek::generate()));
        let e = list_organizations_features(&ctx, &mut tx, &Default::default())
            .unwrap_err()
            .to_api(Service::Iam);
        assert_eq!(e.code, ErrorCode::OrganizationNotFoundException);
        assert_eq!(e.code.code(), "OrganizationNotFoundException");
        assert_eq!(e.code.http_status(), 400);
        assert!(e.code.is_sender_fault());
        assert_eq!(e.message, NO_ORGANIZATION);
    }
}
