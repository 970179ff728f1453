"""boto3 against the real oxiam server: role templates. GetRoleTemplateVersion reads the
catalogue of AWS-owned templates (data/aws/role-templates.json), AcquireRole makes a real
role from one, and authorization asks for each action AcquireRole performs."""
import json

import boto3
import botocore.exceptions
import pytest

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET

POWER = "arn:aws:iam::aws:role-template/iam.amazonaws.com/PowerUserRoleTemplate:1"
EXAMPLE = "arn:aws:iam::aws:role-template/awsserviceprincipal/Example:1"


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def values(**kwargs):
    return {k: {"Values": v if isinstance(v, list) else [v]} for k, v in kwargs.items()}


def trust(service):
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def test_get_role_template_version_default_and_named_minor(oxiam):
    iam = oxiam.client("iam")
    v = iam.get_role_template_version(TemplateArn=EXAMPLE)["RoleTemplateVersion"]
    # AWS's API reference example, element by element.
    assert v["TemplateArn"] == EXAMPLE
    assert v["TemplateName"] == "Example"
    assert v["MajorVersion"] == 1
    assert v["MinorVersion"] == 1
    assert v["DefaultMinorVersion"] == 1
    assert v["Enabled"] is True
    assert v["RoleNamePattern"] == "Example-@{Department}"
    # A policy document, URL-encoded as IAM sends documents: boto3 decodes it.
    assert v["AssumeRolePolicyDocumentTemplate"] == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": ["ec2.amazonaws.com"]},
                       "Action": ["sts:AssumeRole"]}]}
    assert v["CreateTimestamp"].isoformat() == "2026-06-26T20:43:32+00:00"
    assert v["ParametersDefinition"] == [
        {"Name": "Department", "Type": "String", "IsRequired": True, "Immutable": False}]
    assert iam.get_role_template_version(TemplateArn=EXAMPLE, MinorVersion=1)["RoleTemplateVersion"] == v

    with pytest.raises(iam.exceptions.NoSuchEntityException) as e:
        iam.get_role_template_version(TemplateArn=EXAMPLE, MinorVersion=2)
    assert error_of(e) == ("NoSuchEntity", 404,
                           f"Minor version 2 of the role template with ARN {EXAMPLE} cannot be found.")

    power = iam.get_role_template_version(TemplateArn=POWER)["RoleTemplateVersion"]
    assert power["MinorVersion"] == power["DefaultMinorVersion"] == 0
    assert power["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/PowerUserAccess"]
    assert [p["Name"] for p in power["ParametersDefinition"]] == ["AWSServiceName", "RoleName"]


def test_unknown_and_malformed_templates(oxiam):
    iam = oxiam.client("iam")
    ghost = "arn:aws:iam::aws:role-template/iam.amazonaws.com/Ghost:1"
    for call in (lambda: iam.get_role_template_version(TemplateArn=ghost),
                 lambda: iam.acquire_role(TemplateArn=ghost)):
        with pytest.raises(iam.exceptions.NoSuchEntityException) as e:
            call()
        assert error_of(e) == ("NoSuchEntity", 404, f"The role template with ARN {ghost} cannot be found.")
    with pytest.raises(iam.exceptions.InvalidInputException) as e:
        iam.get_role_template_version(TemplateArn="arn:aws:iam::aws:policy/PowerUserAccess")
    assert error_of(e) == ("InvalidInput", 400, "ARN arn:aws:iam::aws:policy/PowerUserAccess is not valid.")
    with pytest.raises(iam.exceptions.InvalidInputException) as e:
        iam.get_role_template_version(TemplateArn=EXAMPLE, MinorVersion=-1)
    assert error_of(e)[:2] == ("InvalidInput", 400)
    # The model's length constraint on TemplateArn: a ValidationError before anything else
    # (boto3 checks it too, so it is sent without boto3's check).
    unchecked = boto3.client("iam", endpoint_url=oxiam.endpoint, region_name="us-east-1",
                             aws_access_key_id=ROOT_KEY, aws_secret_access_key=ROOT_SECRET,
                             config=boto3.session.Config(parameter_validation=False))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        unchecked.get_role_template_version(TemplateArn="arn:aws:iam::aws:x")
    assert error_of(e)[:2] == ("ValidationError", 400)


def test_acquire_role_makes_the_role_the_template_says(oxiam):
    iam = oxiam.client("iam")
    made = iam.acquire_role(TemplateArn=POWER,
                            ReplacementValues=values(AWSServiceName="lambda.amazonaws.com",
                                                     RoleName="orders-fn"))["Role"]
    assert made["RoleName"] == "orders-fn"
    assert made["Path"] == "/"
    assert made["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/orders-fn"
    assert made["SourceRoleTemplate"] == {"TemplateArn": POWER, "TemplateMinorVersion": 0}

    role = iam.get_role(RoleName="orders-fn")["Role"]
    assert role["RoleId"] == made["RoleId"] and role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == trust("lambda.amazonaws.com")
    assert role["MaxSessionDuration"] == 3600
    assert role["SourceRoleTemplate"] == {"TemplateArn": POWER, "TemplateMinorVersion": 0}
    assert iam.list_attached_role_policies(RoleName="orders-fn")["AttachedPolicies"] == [
        {"PolicyName": "PowerUserAccess", "PolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}]
    assert iam.list_role_policies(RoleName="orders-fn")["PolicyNames"] == []
    listed = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == "orders-fn"]
    assert listed[0]["SourceRoleTemplate"]["TemplateArn"] == POWER
    # A role CreateRole makes carries no SourceRoleTemplate.
    iam.create_role(RoleName="plain", AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
    assert "SourceRoleTemplate" not in iam.get_role(RoleName="plain")["Role"]

    # A real role: it can be assumed by its service only as its trust policy says, and
    # deleted like any other once its policy is detached.
    iam.detach_role_policy(RoleName="orders-fn", PolicyArn="arn:aws:iam::aws:policy/PowerUserAccess")
    iam.delete_role(RoleName="orders-fn")


def test_replacement_values_fill_name_and_path(oxiam):
    iam = oxiam.client("iam")
    # AWS's API reference example: Department=Engineering.
    role = iam.acquire_role(TemplateArn=EXAMPLE, TemplateMinorVersion=1,
                            ReplacementValues=values(Department="Engineering"))["Role"]
    assert role["RoleName"] == "Example-Engineering"
    assert role["Path"] == "/awsserviceprincipal/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/awsserviceprincipal/Example-Engineering"
    got = iam.get_role(RoleName="Example-Engineering")["Role"]
    assert got["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": ["ec2.amazonaws.com"]}
    assert got["SourceRoleTemplate"] == {"TemplateArn": EXAMPLE, "TemplateMinorVersion": 1}
    # The default role name, from AWS's CloudTrail example.
    default = iam.acquire_role(TemplateArn=POWER,
                               ReplacementValues=values(AWSServiceName="iam.amazonaws.com"))["Role"]
    assert default["RoleName"] == "PowerUserRole"


def test_acquiring_again_returns_the_role_and_conflicts_are_refused(oxiam):
    iam = oxiam.client("iam")
    request = dict(TemplateArn=POWER,
                   ReplacementValues=values(AWSServiceName="states.amazonaws.com", RoleName="flow"))
    first = iam.acquire_role(**request)["Role"]
    again = iam.acquire_role(**request)["Role"]
    assert again["RoleId"] == first["RoleId"]
    assert len([r for r in iam.list_roles()["Roles"] if r["RoleName"] == "flow"]) == 1

    # Changed since: no longer the template's role.
    iam.update_assume_role_policy(RoleName="flow", PolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.acquire_role(**request)
    assert error_of(e) == ("NameConflict", 409,
                           "The role name flow conflicts with an existing role in the account.")
    # A role of the name that no template made.
    iam.create_role(RoleName="taken", AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.acquire_role(TemplateArn=POWER,
                         ReplacementValues=values(AWSServiceName="ec2.amazonaws.com", RoleName="taken"))
    assert error_of(e)[:2] == ("NameConflict", 409)


@pytest.mark.parametrize("replacement, code, message", [
    (values(RoleName="x"), "InvalidInput", "Missing value for required parameter AWSServiceName."),
    (values(AWSServiceName="lambda.amazonaws.com", Unused="y"), "InvalidInput",
     "Parameter Unused is not defined in the role template version."),
    (values(AWSServiceName=["lambda.amazonaws.com", "ec2.amazonaws.com"]), "InvalidInput",
     "Parameter AWSServiceName takes exactly one value."),
])
def test_bad_replacement_values(oxiam, replacement, code, message):
    iam = oxiam.client("iam")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.acquire_role(TemplateArn=POWER, ReplacementValues=replacement)
    assert error_of(e) == (code, 400, message)
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"] in ("x", "PowerUserRole")] == []


def test_values_are_validated_as_create_role_validates(oxiam):
    iam = oxiam.client("iam")
    # A role name CreateRole refuses.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.acquire_role(TemplateArn=POWER,
                         ReplacementValues=values(AWSServiceName="lambda.amazonaws.com", RoleName="bad name!"))
    assert error_of(e)[:2] == ("ValidationError", 400)
    assert "roleName" in error_of(e)[2]
    # A value cannot break out of its JSON string into the trust policy.
    hostile = 'lambda.amazonaws.com"},{"AWS":"*'
    iam.acquire_role(TemplateArn=POWER, ReplacementValues=values(AWSServiceName=hostile, RoleName="odd"))
    principal = iam.get_role(RoleName="odd")["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": hostile}
    # An unknown minor version.
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.acquire_role(TemplateArn=POWER, TemplateMinorVersion=5,
                         ReplacementValues=values(AWSServiceName="lambda.amazonaws.com"))


def test_role_manager_setting_does_not_gate_the_api(oxiam):
    # Role manager is a console setting; AWS: "you can also use role templates without role
    # manager". Disabled (the default) or enabled, AcquireRole works the same.
    iam = oxiam.client("iam")
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}
    iam.acquire_role(TemplateArn=EXAMPLE, ReplacementValues=values(Department="Sales"))
    iam.put_account_properties(Properties={"RoleManager/Enabled": "true"})
    iam.acquire_role(TemplateArn=EXAMPLE, ReplacementValues=values(Department="Ops"))
    iam.put_account_properties(Properties={"RoleManager/Enabled": "false"})
    assert {r["RoleName"] for r in iam.list_roles(PathPrefix="/awsserviceprincipal/")["Roles"]} == {
        "Example-Sales", "Example-Ops"}


def test_authorized_by_each_action_acquire_role_performs(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    dev = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    user = f"arn:aws:iam::{ACCOUNT}:user/dev"
    request = dict(TemplateArn=POWER,
                   ReplacementValues=values(AWSServiceName="lambda.amazonaws.com", RoleName="dev-fn"))

    def denied(action, resource):
        return ("AccessDenied", 403,
                f"User: {user} is not authorized to perform: {action} on resource: {resource} "
                f"because no identity-based policy allows the {action} action")

    def allow(actions, condition=None):
        statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
        if condition:
            statement["Condition"] = condition
        iam.put_user_policy(UserName="dev", PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [statement]}))

    with pytest.raises(botocore.exceptions.ClientError) as e:
        dev.get_role_template_version(TemplateArn=POWER)
    assert error_of(e) == denied("iam:GetRoleTemplateVersion", POWER)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dev.acquire_role(**request)
    assert error_of(e) == denied("iam:GetRoleTemplateVersion", POWER)

    allow(["iam:GetRoleTemplateVersion"])
    assert dev.get_role_template_version(TemplateArn=POWER)["RoleTemplateVersion"]["TemplateArn"] == POWER
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dev.acquire_role(**request)
    assert error_of(e) == denied("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/dev-fn")

    allow(["iam:GetRoleTemplateVersion", "iam:CreateRole"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dev.acquire_role(**request)
    assert error_of(e) == denied("iam:AttachRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/dev-fn")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="dev-fn")

    # Allowed only for templated creation (AWS's `iam:RoleTemplateARN` key).
    allow(["iam:GetRoleTemplateVersion", "iam:CreateRole", "iam:AttachRolePolicy", "iam:GetRole"],
          {"StringEquals": {"iam:RoleTemplateARN": POWER}})
    assert dev.acquire_role(**request)["Role"]["RoleName"] == "dev-fn"
    assert dev.acquire_role(**request)["Role"]["RoleName"] == "dev-fn"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dev.create_role(RoleName="direct", AssumeRolePolicyDocument=json.dumps(trust("ec2.amazonaws.com")))
    assert error_of(e) == denied("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/direct")

    # AWS's SCP example, as an identity policy: deny templated role creation.
    iam.put_user_policy(UserName="dev", PolicyName="no-templates", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": "*",
                       "Condition": {"Null": {"iam:RoleTemplateARN": "false"}}}]}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        dev.acquire_role(TemplateArn=POWER,
                         ReplacementValues=values(AWSServiceName="lambda.amazonaws.com", RoleName="dev-fn2"))
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("with an explicit deny in an identity-based policy")
