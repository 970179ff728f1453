//! Account aliases, GetAccountSummary, GetAccountAuthorizationDetails.

use oxiam_protocol::iam;

use super::Ctx;
use crate::error::{ServerError, not_implemented};
use crate::state::Tx;

pub fn create_account_alias(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::CreateAccountAliasRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("CreateAccountAlias"))
}

pub fn delete_account_alias(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::DeleteAccountAliasRequest,
) -> Result<(), ServerError> {
    Err(not_implemented("DeleteAccountAlias"))
}

pub fn list_account_aliases(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::ListAccountAliasesRequest,
) -> Result<iam::ListAccountAliasesResponse, ServerError> {
    Err(not_implemented("ListAccountAliases"))
}

pub fn get_account_summary(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
) -> Result<iam::GetAccountSummaryResponse, ServerError> {
    Err(not_implemented("GetAccountSummary"))
}

pub fn get_account_authorization_details(
    _ctx: &Ctx<'_>,
    _tx: &mut Tx,
    _r: &iam::GetAccountAuthorizationDetailsRequest,
) -> Result<iam::GetAccountAuthorizationDetailsResponse, ServerError> {
    Err(not_implemented("GetAccountAuthorizationDetails"))
}
