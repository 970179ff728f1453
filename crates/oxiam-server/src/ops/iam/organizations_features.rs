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

    use super::*;

    #[test]
    fn a_standalone_account_has_no_organization() {
        let mut tx = crate::ops::iam::test_support::empty_tx();
        let e = crate::ops::iam::test_support::as_root("123456789012", &mut tx, |c, t| {
            list_organizations_features(c, t, &Default::default())
        })
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::OrganizationNotFoundException);
        assert_eq!(e.code.code(), "OrganizationNotFoundException");
        assert_eq!(e.code.http_status(), 400);
        assert!(e.code.is_sender_fault());
        assert_eq!(e.message, NO_ORGANIZATION);
    }
}
