"""Service-linked roles through boto3: what CreateServiceLinkedRole makes for a few services,
read back with GetRole element by element as AWS returns it (data/aws/README.md says where
each expectation comes from)."""
import datetime

import botocore.exceptions
import pytest

from conftest import ACCOUNT

# (service principal, role name, attached policy, AWS's default description or None)
SERVICES = [
    ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing",
     "AWSElasticLoadBalancingServiceRolePolicy", "Allows ELB to call AWS services on your behalf."),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS", "AmazonECSServiceRolePolicy",
     "Role to enable Amazon ECS to manage your cluster."),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS", "AmazonRDSServiceRolePolicy",
     "Allows Amazon RDS to manage AWS resources on your behalf"),
    ("backup.amazonaws.com", "AWSServiceRoleForBackup", "AWSBackupServiceLinkedRolePolicyForBackup", None),
    ("dynamodb.application-autoscaling.amazonaws.com",
     "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable",
     "AWSApplicationAutoscalingDynamoDBTablePolicy", None),
    ("cloud9.amazonaws.com", "AWSServiceRoleForAWSCloud9", "AWSCloud9ServiceRolePolicy", None),
]


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def stored_trust(service):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


@pytest.mark.parametrize("service,name,policy,description", SERVICES)
def test_get_role_returns_the_role_aws_creates(oxiam, service, name, policy, description):
    iam = oxiam.client("iam")
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    created = iam.create_service_linked_role(AWSServiceName=service)["Role"]
    # CreateServiceLinkedRole's own response shows the grant with one-element lists.
    assert created["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow",
                       "Principal": {"Service": [service]}}]}

    role = iam.get_role(RoleName=name)["Role"]
    expected_keys = {"Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument",
                     "MaxSessionDuration", "RoleLastUsed"}
    if description is not None:
        expected_keys.add("Description")
    assert set(role) == expected_keys
    assert role["Path"] == f"/aws-service-role/{service}/"
    assert role["RoleName"] == name
    assert role["RoleId"].startswith("AROA") and len(role["RoleId"]) == 21
    assert role["RoleId"] == created["RoleId"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/{service}/{name}"
    assert before <= role["CreateDate"] <= datetime.datetime.now(datetime.timezone.utc)
    # GetRole returns the trust policy AWS keeps: the principal and the action as strings.
    assert role["AssumeRolePolicyDocument"] == stored_trust(service)
    assert list(role["AssumeRolePolicyDocument"]["Statement"][0]) == ["Effect", "Principal", "Action"]
    assert role.get("Description") == description
    assert role["MaxSessionDuration"] == 3600
    assert role["RoleLastUsed"] == {}

    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [{
        "PolicyName": policy, "PolicyArn": f"arn:aws:iam::aws:policy/aws-service-role/{policy}"}]
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    listed = [r for r in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"] if r["RoleName"] == name]
    assert len(listed) == 1 and listed[0]["AssumeRolePolicyDocument"] == stored_trust(service)


def test_custom_suffix_and_description(oxiam):
    iam = oxiam.client("iam")
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                          CustomSuffix="batch", Description="batch fleet")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_batch"
    got = iam.get_role(RoleName="AWSServiceRoleForAutoScaling_batch")["Role"]
    assert got["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert got["Description"] == "batch fleet"
    # Without a suffix, AWS's own name and description.
    got = iam.get_role(RoleName=iam.create_service_linked_role(
        AWSServiceName="autoscaling.amazonaws.com")["Role"]["RoleName"])["Role"]
    assert got["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert got["Description"] == ("Default Service-Linked Role enables access to AWS Services and "
                                  "Resources used or managed by Auto Scaling")
    for service in ("elasticloadbalancing.amazonaws.com", "ecs.amazonaws.com"):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            iam.create_service_linked_role(AWSServiceName=service, CustomSuffix="two")
        assert error_of(e) == ("InvalidInput", 400, f"Custom suffix is not allowed for {service}")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    assert error_of(e) == ("InvalidInput", 400, "Service role name AWSServiceRoleForAutoScaling has been "
                           "taken in this account, please try a different suffix.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="nothing-here.amazonaws.com")
    assert error_of(e)[:2] == ("InvalidInput", 400)


def test_deletion_task(oxiam):
    iam = oxiam.client("iam")
    name = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]["RoleName"]
    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    prefix = f"task/aws-service-role/ecs.amazonaws.com/{name}/"
    assert task.startswith(prefix) and len(task) == len(prefix) + 36
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED" and "Reason" not in status
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_role(RoleName=name)
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
