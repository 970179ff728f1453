//! STS operations.

use oxiam_protocol::sts;

use crate::authn::Caller;

/// GetCallerIdentity needs no permission in AWS: it always answers who the caller is.
pub fn get_caller_identity(caller: &Caller) -> sts::GetCallerIdentityResponse {
    sts::GetCallerIdentityResponse {
        user_id: Some(caller.user_id.clone()),
        account: Some(caller.account.clone()),
        arn: Some(caller.arn.clone()),
    }
}
