//! Unit tests of the delegation request handlers: template rendering, the token sealed at
//! rest, and the lifecycle as each side's root drives it.

use oxiam_protocol::error::ErrorCode;

use super::*;
use crate::ops::iam::test_support::{as_root, empty_tx};

const PARTNER: &str = "210987654321";
const CUSTOMER: &str = "123456789012";
const STRANGER: &str = "333344445555";
/// An AWS managed policy: a template without placeholders.
const READ_ONLY: &str = "arn:aws:iam::aws:policy/IAMReadOnlyAccess";

fn param(name: &str, values: &[&str], list: bool) -> DelegationParameter {
    DelegationParameter {
        name: name.into(),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        list,
    }
}

#[test]
fn templates_fill_whole_values_parts_of_strings_and_keys() {
    let template = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Bucket}}/*",
        "Condition":{"StringEquals":{"aws:ResourceTag/{{TagKey}}":"{{Teams}}"}}}]}"#;
    let out = render(
        template,
        &[
            param("Bucket", &["logs"], false),
            param("TagKey", &["team"], false),
            param("Teams", &["red", "blue"], true),
        ],
    )
    .unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    let st = &v["Statement"][0];
    assert_eq!(st["Resource"], "arn:aws:s3:::logs/*");
    assert_eq!(
        st["Condition"]["StringEquals"]["aws:ResourceTag/team"],
        serde_json::json!(["red", "blue"])
    );
}

#[test]
fn a_value_cannot_change_the_documents_structure() {
    let template = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Bucket}}"}]}"#;
    let evil = r#"x"},{"Effect":"Allow","Action":"*","Resource":"*"#;
    let out = render(template, &[param("Bucket", &[evil], false)]).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Statement"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["Statement"][0]["Resource"],
        format!("arn:aws:s3:::{evil}")
    );
}

#[test]
fn templates_refuse_missing_unused_and_misplaced_parameters() {
    let template = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{Bucket}}"}]}"#;
    let msg = |r: Result<String, ServerError>| r.unwrap_err().to_api(oxiam_protocol::Service::Iam);
    let e = msg(render(template, &[]));
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(
        e.message.contains("needs parameter Bucket"),
        "{}",
        e.message
    );
    let e = msg(render(
        template,
        &[
            param("Bucket", &["b"], false),
            param("Extra", &["x"], false),
        ],
    ));
    assert_eq!(
        e.message,
        "Parameter Extra is not used by the policy template."
    );
    let e = msg(render(template, &[param("Bucket", &["a", "b"], true)]));
    assert!(
        e.message
            .contains("stringList can only stand for a whole value")
    );
    let e = msg(render(template, &[param("Bucket", &["a", "b"], false)]));
    assert_eq!(
        e.message,
        "Parameter Bucket of type string must have exactly one value."
    );
    assert!(render("not json", &[]).is_err());
}

fn request(only_send_by_owner: Option<bool>) -> iam::CreateDelegationRequestRequest {
    iam::CreateDelegationRequestRequest {
        owner_account_id: Some(CUSTOMER.into()),
        description: "read IAM".into(),
        permissions: iam::DelegationPermission {
            policy_template_arn: Some(READ_ONLY.into()),
            parameters: None,
        },
        request_message: None,
        requestor_workflow_id: "flow-1".into(),
        redirect_url: None,
        notification_channel: format!("arn:aws:sns:us-east-1:{PARTNER}:updates"),
        session_duration: 900,
        only_send_by_owner,
    }
}

fn id_req<T: Default>(f: impl FnOnce(&mut T, String), id: &str) -> T {
    let mut r = T::default();
    f(&mut r, id.to_owned());
    r
}

fn state_of(tx: &mut Tx, account: &str, id: &str) -> String {
    let r = id_req(
        |r: &mut iam::GetDelegationRequestRequest, id| r.delegation_request_id = id,
        id,
    );
    as_root(account, tx, |c, t| get_delegation_request(c, t, &r))
        .unwrap()
        .delegation_request
        .unwrap()
        .state
        .unwrap()
}

#[test]
fn the_lifecycle_moves_only_where_aws_says() {
    let mut tx = empty_tx();
    let created = as_root(PARTNER, &mut tx, |c, t| {
        create_delegation_request(c, t, &request(None))
    })
    .unwrap();
    let id = created.delegation_request_id.unwrap();
    assert!(id.len() >= 16 && id.chars().all(|c| c.is_alphanumeric() || c == '-'));
    // The same workflow ID again: EntityAlreadyExists.
    let again = as_root(PARTNER, &mut tx, |c, t| {
        create_delegation_request(c, t, &request(None))
    })
    .unwrap_err();
    assert_eq!(again.code, ErrorCode::EntityAlreadyExists);
    assert_eq!(state_of(&mut tx, CUSTOMER, &id), "UNASSIGNED");

    let assoc = id_req(
        |r: &mut iam::AssociateDelegationRequestRequest, id| r.delegation_request_id = id,
        &id,
    );
    let accept = id_req(
        |r: &mut iam::AcceptDelegationRequestRequest, id| r.delegation_request_id = id,
        &id,
    );
    // Targeted to the customer: another account does not see it.
    let e = as_root(STRANGER, &mut tx, |c, t| {
        associate_delegation_request(c, t, &assoc)
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::NoSuchEntity);
    // Not accepted before it is associated.
    let e = as_root(CUSTOMER, &mut tx, |c, t| {
        accept_delegation_request(c, t, &accept)
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    as_root(CUSTOMER, &mut tx, |c, t| {
        associate_delegation_request(c, t, &assoc)
    })
    .unwrap();
    // The partner cannot accept for the customer.
    let e = as_root(PARTNER, &mut tx, |c, t| {
        accept_delegation_request(c, t, &accept)
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::AccessDenied);
    as_root(CUSTOMER, &mut tx, |c, t| {
        accept_delegation_request(c, t, &accept)
    })
    .unwrap();
    assert_eq!(state_of(&mut tx, PARTNER, &id), "ACCEPTED");
    let update = iam::UpdateDelegationRequestRequest {
        delegation_request_id: id.clone(),
        notes: Some("late".into()),
    };
    let e = as_root(CUSTOMER, &mut tx, |c, t| {
        update_delegation_request(c, t, &update)
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);

    let (d, token) = as_root(CUSTOMER, &mut tx, |c, t| finalize(c, t, &id)).unwrap();
    assert_eq!(d.state, DelegationState::Finalized);
    assert_eq!(d.approver, Some(SessionPrincipal::Root));
    assert!(token.expose().starts_with(&format!("{id}.")));
    assert!(
        d.expires - d.updated == 900,
        "the token lasts SessionDuration"
    );
    // Finalized cannot be rolled back.
    let reject = iam::RejectDelegationRequestRequest {
        delegation_request_id: id.clone(),
        notes: None,
    };
    let e = as_root(CUSTOMER, &mut tx, |c, t| {
        reject_delegation_request(c, t, &reject)
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(as_root(CUSTOMER, &mut tx, |c, t| finalize(c, t, &id)).is_err());
}

#[test]
fn pending_requests_expire() {
    let mut tx = empty_tx();
    let id = as_root(PARTNER, &mut tx, |c, t| {
        create_delegation_request(c, t, &request(Some(true)))
    })
    .unwrap()
    .delegation_request_id
    .unwrap();
    let d = DelegationRequest::clone(tx.state().delegation_requests.get(&id).unwrap());
    assert_eq!(d.state_at(d.expires - 1), DelegationState::Unassigned);
    assert_eq!(d.state_at(d.expires), DelegationState::Expired);
    assert_eq!(d.expires - d.created, PENDING_SECONDS);
}

#[test]
fn the_token_is_sealed_at_rest_and_never_printed() {
    let mut tx = empty_tx();
    let id = as_root(PARTNER, &mut tx, |c, t| {
        create_delegation_request(c, t, &request(None))
    })
    .unwrap()
    .delegation_request_id
    .unwrap();
    let mut d = DelegationRequest::clone(tx.state().delegation_requests.get(&id).unwrap());
    let secret = crate::model::ids::secret_access_key();
    d.token = Some(TradeInToken {
        secret: ServicePassword::new(secret.clone()),
        used: false,
    });
    assert!(!format!("{d:?}").contains(&secret));
    let kek = Kek::generate();
    let bytes = d.encode(&kek).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains(&secret));
    let record = Record {
        table: DelegationRequest::TABLE.into(),
        key: d.key(),
        value: bytes,
    };
    assert_eq!(DelegationRequest::decode(&record, &kek).unwrap(), d);
    assert!(DelegationRequest::decode(&record, &Kek::generate()).is_err());
}
