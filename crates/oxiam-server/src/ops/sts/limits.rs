//! Checks shared by the operations that issue sessions: session policies (`Policy`,
//! `PolicyArns`), session tags, the packed-size budget, and MFA parameters.

use oxiam_policy::{ParseOptions, Policy, PolicyKind};
use oxiam_protocol::error::ErrorCode;
use oxiam_protocol::sts;

use crate::model::Tag;
use crate::model::error::{ServerError, api, validation};
use crate::state::State;

/// AWS's limit on managed session policies per request.
pub const MAX_POLICY_ARNS: usize = 10;
/// The packed budget session policies and tags share (AWS: "a packed binary format that
/// has a separate limit"). AWS's packing is not public; oxiam counts the policy's
/// non-white-space characters, the policy ARNs and the tag keys and values against 2,048,
/// the plaintext session policy quota, so a request under AWS's plaintext limits with a
/// few tags fits and one far over it does not.
pub const PACKED_BUDGET: usize = 2048;

/// Session policies and tags a request passes, validated.
#[derive(Debug, Default)]
pub struct SessionInput {
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub tags: Vec<Tag>,
    /// `PackedPolicySize`: present when the request passed a policy, an ARN or a tag.
    pub packed_percent: Option<i32>,
}

/// The MFA facts of a session asked for with `SerialNumber` and `TokenCode`: the code is
/// checked against the caller's enabled device (and cannot be used again). `None` when the
/// request has neither. Only IAM users have MFA devices oxiam can check; anyone else, a
/// half-given pair and a wrong code are all refused alike.
pub fn check_mfa(
    app: &crate::app::App,
    caller: &crate::auth::authn::Caller,
    serial_number: Option<&String>,
    token_code: Option<&String>,
) -> Result<Option<crate::model::session::Mfa>, ServerError> {
    let failed = || {
        api(
            ErrorCode::AccessDenied,
            "MultiFactorAuthentication failed with invalid MFA one time pass code.",
        )
    };
    match (serial_number, token_code) {
        (None, None) => Ok(None),
        (Some(serial), Some(code)) => {
            let is_user = matches!(caller.kind, crate::auth::authn::CallerKind::User { .. });
            if !is_user {
                return Err(failed());
            }
            crate::auth::mfa::verify_code(app, &caller.account, &caller.user_id, serial, code)?;
            Ok(Some(crate::model::session::Mfa {
                serial_number: serial.clone(),
                authenticated_at: app.sts.now().unix_timestamp(),
            }))
        }
        _ => Err(failed()),
    }
}

/// Validates an inline session (or scope-down) policy as AWS does (`MalformedPolicyDocument`).
pub fn check_policy(document: &str) -> Result<(), ServerError> {
    let options = ParseOptions {
        size_limit: None,
        require_version_2012: false,
    };
    Policy::parse_with(document, PolicyKind::Session, &options)
        .map(drop)
        .map_err(|e| api(ErrorCode::MalformedPolicyDocument, e.message().to_owned()))
}

/// Managed session policies must exist: AWS managed, or customer managed in `account`.
fn check_policy_arn(state: &State, account: &str, arn: &str) -> Result<(), ServerError> {
    let exists = crate::model::aws_managed::get(arn).is_some()
        || state
            .policy_by_arn(arn)
            .is_some_and(|p| p.account == account);
    if exists {
        Ok(())
    } else {
        Err(validation(format!(
            "Policy {arn} does not exist or is not attachable."
        )))
    }
}

/// Session tags: keys unique case-insensitively (the model bounds count and sizes).
pub fn check_tags(tags: &[sts::Tag]) -> Result<Vec<Tag>, ServerError> {
    for (i, t) in tags.iter().enumerate() {
        if tags
            .iter()
            .skip(i + 1)
            .any(|o| o.key.eq_ignore_ascii_case(&t.key))
        {
            // InvalidParameterValue, as AWS answers it (recorded), not ValidationError.
            return Err(api(
                ErrorCode::InvalidParameterValue,
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ));
        }
    }
    Ok(tags
        .iter()
        .map(|t| Tag {
            key: t.key.clone(),
            value: t.value.clone(),
        })
        .collect())
}

/// The packed size in percent of [`PACKED_BUDGET`] (rounded up).
pub fn packed_percent(policy: Option<&str>, arns: &[String], tags: &[Tag]) -> usize {
    let policy_chars = policy.map_or(0, |p| p.chars().filter(|c| !c.is_whitespace()).count());
    let arn_chars: usize = arns.iter().map(String::len).sum();
    let tag_chars: usize = tags.iter().map(|t| t.key.len() + t.value.len()).sum();
    let used = policy_chars + arn_chars + tag_chars;
    used.saturating_mul(100).div_ceil(PACKED_BUDGET)
}

/// Validates `Policy`, `PolicyArns` and `Tags` (plus `inherited` tags that count towards
/// the budget too) in AWS's order: documents, then the packed size.
pub fn session_input(
    state: &State,
    account: &str,
    policy: Option<&String>,
    policy_arns: Option<&[sts::PolicyDescriptorType]>,
    tags: Vec<Tag>,
) -> Result<SessionInput, ServerError> {
    if let Some(doc) = policy {
        check_policy(doc)?;
    }
    let descriptors = policy_arns.unwrap_or_default();
    if descriptors.len() > MAX_POLICY_ARNS {
        return Err(validation(format!(
            "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to {MAX_POLICY_ARNS}"
        )));
    }
    let mut arns = Vec::with_capacity(descriptors.len());
    for d in descriptors {
        let Some(arn) = &d.arn else {
            return Err(validation("PolicyArns entries must have an arn"));
        };
        check_policy_arn(state, account, arn)?;
        arns.push(arn.clone());
    }
    let passed = policy.is_some() || !arns.is_empty() || !tags.is_empty();
    let percent = packed_percent(policy.map(String::as_str), &arns, &tags);
    if percent > 100 {
        return Err(api(
            ErrorCode::PackedPolicyTooLarge,
            format!("Packed policy consumes {percent}% of allotted space"),
        ));
    }
    Ok(SessionInput {
        policy: policy.cloned(),
        policy_arns: arns,
        tags,
        packed_percent: passed.then(|| i32::try_from(percent).unwrap_or(i32::MAX)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            key: k.into(),
            value: v.into(),
        }
    }

    #[test]
    fn packed_size_counts_policy_arns_and_tags() {
        assert_eq!(packed_percent(None, &[], &[]), 0);
        let doc = format!("{{ \"a\": \"{}\" }}", "x".repeat(1014));
        // 1,024 characters without white space: half the budget.
        assert_eq!(packed_percent(Some(&doc), &[], &[]), 50);
        assert_eq!(
            packed_percent(Some(&doc), &["y".repeat(1026)], &[tag("k", "")]),
            101
        );
    }

    #[test]
    fn session_input_reports_aws_errors() {
        let state = State::default();
        let code = |r: Result<SessionInput, ServerError>| match r {
            Err(ServerError::Api(e)) => e.code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(session_input(
                &state,
                "1",
                Some(&"{".to_owned()),
                None,
                Vec::new()
            )),
            ErrorCode::MalformedPolicyDocument
        );
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}"}}}}"#,
            "b".repeat(2100)
        );
        let err = session_input(&state, "1", Some(&big), None, Vec::new()).unwrap_err();
        let ServerError::Api(e) = err else { panic!() };
        assert_eq!(e.code, ErrorCode::PackedPolicyTooLarge);
        assert!(
            e.message.starts_with("Packed policy consumes 10"),
            "{}",
            e.message
        );
        let arn = |a: &str| sts::PolicyDescriptorType {
            arn: Some(a.to_owned()),
        };
        assert_eq!(
            code(session_input(
                &state,
                "1",
                None,
                Some(&[arn("arn:aws:iam::1:policy/none")]),
                Vec::new()
            )),
            ErrorCode::ValidationError
        );
        let ok = session_input(
            &state,
            "1",
            None,
            Some(&[arn("arn:aws:iam::aws:policy/ReadOnlyAccess")]),
            vec![tag("team", "red")],
        )
        .unwrap();
        assert_eq!(ok.packed_percent, Some(3));
        let none = session_input(&state, "1", None, None, Vec::new()).unwrap();
        assert_eq!(none.packed_percent, None);
        assert!(
            check_tags(&[
                sts::Tag {
                    key: "A".into(),
                    value: String::new()
                },
                sts::Tag {
                    key: "a".into(),
                    value: String::new()
                }
            ])
            .is_err()
        );
    }
}
