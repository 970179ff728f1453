//! Behaviour of CreateServiceLinkedRole, DeleteServiceLinkedRole and
//! GetServiceLinkedRoleDeletionStatus against AWS's catalogue.

use oxiam_protocol::error::ApiError;

use super::*;
use crate::model::quotas::Quotas;

const ACCOUNT: &str = "123456789012";
const ELB: &str = "elasticloadbalancing.amazonaws.com";

struct Env {
    quotas: Quotas,
    tx: Tx,
}

impl Env {
    fn new() -> Env {
        Env {
            quotas: Quotas::default(),
            tx: crate::ops::iam::test_support::empty_tx(),
        }
    }

    fn run<T>(
        &mut self,
        f: impl FnOnce(&Ctx<'_>, &mut Tx) -> Result<T, ServerError>,
    ) -> Result<T, ApiError> {
        crate::ops::iam::test_support::as_root_with(ACCOUNT, &self.quotas, &mut self.tx, f)
    }

    fn create(
        &mut self,
        service: &str,
        suffix: Option<&str>,
        description: Option<&str>,
    ) -> Result<iam::Role, ApiError> {
        let r = iam::CreateServiceLinkedRoleRequest {
            aws_service_name: service.into(),
            description: description.map(Into::into),
            custom_suffix: suffix.map(Into::into),
        };
        self.run(|c, t| create_service_linked_role(c, t, &r))
            .map(|out| out.role.unwrap())
    }

    fn get(&mut self, name: &str) -> Result<iam::Role, ApiError> {
        let r = iam::GetRoleRequest {
            role_name: name.into(),
        };
        self.run(|c, t| get_role(c, t, &r)).map(|out| out.role)
    }

    fn attached(&mut self, name: &str) -> Vec<(String, String)> {
        let r = iam::ListAttachedRolePoliciesRequest {
            role_name: name.into(),
            ..Default::default()
        };
        self.run(|c, t| super::super::attached::list_attached_role_policies(c, t, &r))
            .unwrap()
            .attached_policies
            .unwrap_or_default()
            .into_iter()
            .map(|p| (p.policy_name.unwrap(), p.policy_arn.unwrap()))
            .collect()
    }

    fn delete(&mut self, name: &str) -> Result<String, ApiError> {
        let r = iam::DeleteServiceLinkedRoleRequest {
            role_name: name.into(),
        };
        self.run(|c, t| delete_service_linked_role(c, t, &r))
            .map(|out| out.deletion_task_id)
    }

    fn status(
        &mut self,
        task: &str,
    ) -> Result<iam::GetServiceLinkedRoleDeletionStatusResponse, ApiError> {
        let r = iam::GetServiceLinkedRoleDeletionStatusRequest {
            deletion_task_id: task.into(),
        };
        self.run(|c, t| get_service_linked_role_deletion_status(c, t, &r))
    }
}

fn decoded(document: Option<&String>) -> String {
    percent_encoding::percent_decode_str(document.unwrap())
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[test]
fn creates_the_role_aws_creates() {
    let mut env = Env::new();
    let created = env.create(ELB, None, None).unwrap();
    let name = "AWSServiceRoleForElasticLoadBalancing";
    assert_eq!(created.role_name, name);
    assert_eq!(
        created.path,
        "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    );
    assert_eq!(
        created.arn,
        format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/{ELB}/{name}")
    );
    assert!(created.role_id.starts_with("AROA"), "{}", created.role_id);
    assert_eq!(
        created.description.as_deref(),
        Some("Allows ELB to call AWS services on your behalf.")
    );
    // As CreateRole's: the create response has no MaxSessionDuration (GetRole has it).
    assert_eq!(created.max_session_duration, None);
    // CreateServiceLinkedRole shows the grant with lists; GetRole the stored strings.
    assert_eq!(
        decoded(created.assume_role_policy_document.as_ref()),
        r#"{"Version":"2012-10-17","Statement":[{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["elasticloadbalancing.amazonaws.com"]}}]}"#
    );
    let got = env.get(name).unwrap();
    assert_eq!(
        decoded(got.assume_role_policy_document.as_ref()),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"elasticloadbalancing.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
    );
    assert_eq!(got.path, created.path);
    assert_eq!(got.role_id, created.role_id);
    assert_eq!(got.description, created.description);
    assert_eq!(
        env.attached(name),
        [(
            "AWSElasticLoadBalancingServiceRolePolicy".to_owned(),
            "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy"
                .to_owned()
        )]
    );
}

#[test]
fn every_catalogue_service_can_be_created() {
    let mut env = Env::new();
    env.quotas.roles_per_account = 10_000;
    for slr in service_linked_roles::catalogue() {
        let role = env.create(&slr.service_name, None, None).unwrap();
        assert_eq!(role.role_name, slr.role_name);
        assert_eq!(role.path, slr.path());
        assert_eq!(role.description, slr.description);
        let arns: Vec<String> = env
            .attached(&slr.role_name)
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        assert_eq!(arns, slr.policy_arns(), "{}", slr.service_name);
    }
}

#[test]
fn a_request_description_replaces_aws_default() {
    let mut env = Env::new();
    let role = env.create(ELB, None, Some("for the front")).unwrap();
    assert_eq!(role.description.as_deref(), Some("for the front"));
    // A service whose default AWS does not set has none.
    let role = env.create("backup.amazonaws.com", None, None).unwrap();
    assert_eq!(role.description, None);
}

#[test]
fn custom_suffix_only_where_aws_accepts_it() {
    let mut env = Env::new();
    let role = env
        .create("autoscaling.amazonaws.com", Some("fleet"), None)
        .unwrap();
    assert_eq!(role.role_name, "AWSServiceRoleForAutoScaling_fleet");
    assert_eq!(role.path, "/aws-service-role/autoscaling.amazonaws.com/");
    let role = env
        .create("connect.amazonaws.com", Some("desk"), None)
        .unwrap();
    assert_eq!(role.role_name, "AWSServiceRoleForAmazonConnect_desk");

    let err = env.create(ELB, Some("two"), None).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert_eq!(
        err.message,
        "Custom suffix is not allowed for elasticloadbalancing.amazonaws.com"
    );
    // Nothing was created.
    assert!(
        env.get("AWSServiceRoleForElasticLoadBalancing_two")
            .is_err()
    );
}

#[test]
fn a_second_role_of_one_name_is_refused_with_aws_words() {
    let mut env = Env::new();
    env.create("ecs.amazonaws.com", None, None).unwrap();
    let err = env.create("ecs.amazonaws.com", None, None).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert_eq!(
        err.message,
        "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix."
    );
    // With a suffix, the same service makes a second role.
    env.create("autoscaling.amazonaws.com", None, None).unwrap();
    env.create("autoscaling.amazonaws.com", Some("b"), None)
        .unwrap();
}

#[test]
fn a_service_without_a_service_linked_role_is_refused() {
    let mut env = Env::new();
    for service in [
        "example.amazonaws.com",
        "ELASTICLOADBALANCING.amazonaws.com",
        "s3.amazonaws.com",
    ] {
        let err = env.create(service, None, None).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidInput, "{service}");
        assert_eq!(err.message, format!("Invalid service name: {service}"));
    }
    assert_eq!(env.tx.state().count_of::<Role>(ACCOUNT), 0);
}

#[test]
fn deletion_is_a_task_whose_status_can_be_asked() {
    let mut env = Env::new();
    let name = "AWSServiceRoleForElasticLoadBalancing";
    env.create(ELB, None, None).unwrap();
    let task = env.delete(name).unwrap();
    // task/aws-service-role/<service principal>/<role name>/<task UUID>
    let prefix = format!("task/aws-service-role/{ELB}/{name}/");
    let uuid = task
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{task}"));
    assert_eq!(uuid.len(), 36, "{task}");
    assert_eq!(
        uuid.char_indices()
            .filter(|(_, c)| *c == '-')
            .map(|(i, _)| i)
            .collect::<Vec<_>>(),
        [8, 13, 18, 23]
    );
    let status = env.status(&task).unwrap();
    assert_eq!(status.status, "SUCCEEDED");
    assert!(status.reason.is_none());
    assert_eq!(env.get(name).unwrap_err().code, ErrorCode::NoSuchEntity);
    // The role can be made again, and its deletion is another task.
    env.create(ELB, None, None).unwrap();
    assert_ne!(env.delete(name).unwrap(), task);

    assert_eq!(env.delete(name).unwrap_err().code, ErrorCode::NoSuchEntity);
    let err = env.status(&format!("{task}x")).unwrap_err();
    assert_eq!(err.code, ErrorCode::NoSuchEntity);
}

#[test]
fn an_ordinary_role_is_not_deleted_as_service_linked() {
    let mut env = Env::new();
    let r = iam::CreateRoleRequest {
        role_name: "plain".into(),
        assume_role_policy_document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.into(),
        ..Default::default()
    };
    env.run(|c, t| create_role(c, t, &r)).unwrap();
    assert_eq!(
        env.delete("plain").unwrap_err().code,
        ErrorCode::InvalidInput
    );
    assert!(env.get("plain").is_ok());
}
