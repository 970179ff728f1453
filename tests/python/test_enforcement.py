"""boto3 against the real oxiam server: attached and inline policies, user permissions
boundaries (shapes, errors, pagination, quotas) and their enforcement on each identity's own
calls."""
import json
import urllib.parse

import botocore.exceptions
import pytest

from conftest import ACCOUNT

AWS = "arn:aws:iam::aws:policy/"


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def user_client(oxiam, iam, name, **kw):
    iam.create_user(UserName=name, **kw)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])


def raises(code, fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    got, status, msg = error_of(e)
    assert got == code, (got, msg)
    return status, msg


def test_attach_detach_list_user_policies(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="jo")
    assert iam.list_attached_user_policies(UserName="jo")["AttachedPolicies"] == []
    iam.attach_user_policy(UserName="jo", PolicyArn=AWS + "ReadOnlyAccess")
    iam.attach_user_policy(UserName="jo", PolicyArn=AWS + "ReadOnlyAccess")  # no-op
    iam.attach_user_policy(UserName="jo", PolicyArn=AWS + "job-function/Billing")
    r = iam.list_attached_user_policies(UserName="jo")
    assert r["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": AWS + "ReadOnlyAccess"},
        {"PolicyName": "Billing", "PolicyArn": AWS + "job-function/Billing"},
    ]
    assert r["IsTruncated"] is False
    r = iam.list_attached_user_policies(UserName="jo", PathPrefix="/job-function/")
    assert [p["PolicyName"] for p in r["AttachedPolicies"]] == ["Billing"]
    page = iam.list_attached_user_policies(UserName="jo", MaxItems=1)
    assert page["IsTruncated"] is True and len(page["AttachedPolicies"]) == 1
    rest = iam.list_attached_user_policies(UserName="jo", MaxItems=1, Marker=page["Marker"])
    assert rest["IsTruncated"] is False
    assert rest["AttachedPolicies"][0]["PolicyName"] == "Billing"

    status, msg = raises("NoSuchEntity", iam.attach_user_policy, UserName="jo",
                         PolicyArn=AWS + "NoSuchPolicy")
    assert status == 404
    assert msg == f"Policy {AWS}NoSuchPolicy does not exist or is not attachable."
    _, msg = raises("NoSuchEntity", iam.attach_user_policy, UserName="nobody",
                    PolicyArn=AWS + "ReadOnlyAccess")
    assert msg == "The user with name nobody cannot be found."
    _, msg = raises("PolicyNotAttachable", iam.attach_user_policy, UserName="jo",
                    PolicyArn=AWS + "aws-service-role/AWSSupportServiceRolePolicy")
    assert msg == "Cannot attach a Service Role Policy to a Customer User."
    raises("NoSuchEntity", iam.attach_user_policy, UserName="jo",
           PolicyArn="arn:aws:iam::999999999999:policy/Theirs")
    # Not an ARN at all: AWS's ValidationError (recorded), two spaces included.
    _, msg = raises("ValidationError", iam.attach_user_policy, UserName="jo",
                    PolicyArn="not-an-arn-at-all-xyz")
    assert msg == "Invalid ARN:  Could not be parsed!"

    for name in ["IAMReadOnlyAccess", "AmazonS3ReadOnlyAccess", "AmazonEC2ReadOnlyAccess",
                 "IAMFullAccess", "AdministratorAccess", "AmazonSQSReadOnlyAccess",
                 "AmazonSNSReadOnlyAccess", "AmazonDynamoDBReadOnlyAccess"]:
        iam.attach_user_policy(UserName="jo", PolicyArn=AWS + name)
    status, msg = raises("LimitExceeded", iam.attach_user_policy, UserName="jo",
                         PolicyArn=AWS + "CloudWatchReadOnlyAccess")
    assert status == 409 and msg == "Cannot exceed quota for PoliciesPerUser: 10"

    iam.detach_user_policy(UserName="jo", PolicyArn=AWS + "ReadOnlyAccess")
    _, msg = raises("NoSuchEntity", iam.detach_user_policy, UserName="jo",
                    PolicyArn=AWS + "ReadOnlyAccess")
    assert msg == f"Policy {AWS}ReadOnlyAccess was not found."
    assert len(iam.list_attached_user_policies(UserName="jo")["AttachedPolicies"]) == 9
    raises("NoSuchEntity", iam.list_attached_user_policies, UserName="nobody")


def test_attach_to_missing_group_and_role(oxiam):
    iam = oxiam.client("iam")
    _, msg = raises("NoSuchEntity", iam.attach_group_policy, GroupName="g",
                    PolicyArn=AWS + "ReadOnlyAccess")
    assert msg == "The group with name g cannot be found."
    _, msg = raises("NoSuchEntity", iam.attach_role_policy, RoleName="r",
                    PolicyArn=AWS + "ReadOnlyAccess")
    assert msg == "The role with name r cannot be found."
    raises("NoSuchEntity", iam.put_group_policy, GroupName="g", PolicyName="p",
           PolicyDocument=doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))
    raises("NoSuchEntity", iam.list_role_policies, RoleName="r")


def test_inline_user_policies(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="kim")
    document = doc({"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::bucket/a b+c/*"})
    iam.put_user_policy(UserName="kim", PolicyName="p1", PolicyDocument=document)
    iam.put_user_policy(UserName="kim", PolicyName="p0", PolicyDocument=document)
    got = iam.get_user_policy(UserName="kim", PolicyName="p1")
    assert got["UserName"] == "kim" and got["PolicyName"] == "p1"
    # boto3 decodes the URL-encoded document into the JSON sent.
    assert got["PolicyDocument"] == json.loads(document)
    assert iam.list_user_policies(UserName="kim")["PolicyNames"] == ["p0", "p1"]
    page = iam.list_user_policies(UserName="kim", MaxItems=1)
    assert page["PolicyNames"] == ["p0"] and page["IsTruncated"] is True
    rest = iam.list_user_policies(UserName="kim", MaxItems=1, Marker=page["Marker"])
    assert rest["PolicyNames"] == ["p1"] and rest["IsTruncated"] is False

    status, _ = raises("MalformedPolicyDocument", iam.put_user_policy, UserName="kim",
                       PolicyName="bad",
                       PolicyDocument='{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}')
    assert status == 400
    # Inline identity policies may not name a Principal.
    raises("MalformedPolicyDocument", iam.put_user_policy, UserName="kim", PolicyName="bad",
           PolicyDocument=doc({"Effect": "Allow", "Principal": "*", "Action": "*",
                               "Resource": "*"}))
    # All of a user's inline policies share 2,048 characters, white space not counted.
    big = doc({"Effect": "Allow", "Action": "s3:GetObject",
               "Resource": "arn:aws:s3:::" + "x" * 1900})
    status, msg = raises("LimitExceeded", iam.put_user_policy, UserName="kim",
                         PolicyName="big", PolicyDocument=big)
    assert msg == "Maximum policy size of 2048 bytes exceeded for user kim"
    # Replacing a policy counts only its new size.
    iam.delete_user_policy(UserName="kim", PolicyName="p0")
    iam.put_user_policy(UserName="kim", PolicyName="p1", PolicyDocument=big)
    assert iam.list_user_policies(UserName="kim")["PolicyNames"] == ["p1"]
    # Nothing half-done: the rejected policy is not there.
    _, msg = raises("NoSuchEntity", iam.get_user_policy, UserName="kim", PolicyName="big")
    assert msg == "The user policy with name big cannot be found."
    raises("NoSuchEntity", iam.delete_user_policy, UserName="kim", PolicyName="big")
    raises("NoSuchEntity", iam.get_user_policy, UserName="nobody", PolicyName="p1")


def test_inline_policy_document_is_url_encoded_on_the_wire(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="wire")
    document = doc({"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"})
    iam.put_user_policy(UserName="wire", PolicyName="p", PolicyDocument=document)
    raw = {}

    def keep(response_dict, **_):
        raw["body"] = response_dict["body"].decode()

    iam.meta.events.register("before-parse.iam.GetUserPolicy", keep)
    iam.get_user_policy(UserName="wire", PolicyName="p")
    start = raw["body"].index("<PolicyDocument>") + len("<PolicyDocument>")
    encoded = raw["body"][start:raw["body"].index("</PolicyDocument>")]
    assert "{" not in encoded and urllib.parse.unquote(encoded) == document


def test_user_permissions_boundary(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="lee")
    raises("NoSuchEntity", iam.put_user_permissions_boundary, UserName="lee",
           PermissionsBoundary=AWS + "NoSuchPolicy")
    raises("NoSuchEntity", iam.put_user_permissions_boundary, UserName="nobody",
           PermissionsBoundary=AWS + "ReadOnlyAccess")
    iam.put_user_permissions_boundary(UserName="lee", PermissionsBoundary=AWS + "ReadOnlyAccess")
    assert iam.get_user(UserName="lee")["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": AWS + "ReadOnlyAccess",
    }
    iam.delete_user_permissions_boundary(UserName="lee")
    assert "PermissionsBoundary" not in iam.get_user(UserName="lee")["User"]
    raises("NoSuchEntity", iam.delete_user_permissions_boundary, UserName="nobody")


def test_group_less_user_is_denied_until_a_policy_allows(oxiam):
    iam = oxiam.client("iam")
    mia = user_client(oxiam, iam, "mia", Path="/eng/")
    status, msg = raises("AccessDenied", mia.list_attached_user_policies, UserName="mia")
    assert status == 403
    assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/eng/mia is not authorized to perform: "
                   "iam:ListAttachedUserPolicies on resource: user mia because no "
                   "identity-based policy allows the iam:ListAttachedUserPolicies action")
    iam.put_user_policy(UserName="mia", PolicyName="self", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:List*", "iam:Get*"],
         "Resource": "arn:aws:iam::*:user/eng/${aws:username}"}))
    assert mia.list_user_policies(UserName="mia")["PolicyNames"] == ["self"]
    assert mia.get_user_policy(UserName="mia", PolicyName="self")["PolicyName"] == "self"
    # The path is part of the resource: a user under another path is not covered.
    iam.create_user(UserName="ned")
    raises("AccessDenied", mia.get_user, UserName="ned")
    # GetPolicy on an AWS managed policy names it by ARN.
    _, msg = raises("AccessDenied", mia.get_policy, PolicyArn=AWS + "ReadOnlyAccess")
    assert f"iam:GetPolicy on resource: policy {AWS}ReadOnlyAccess because" in msg


def test_boundary_denial_message_and_explicit_deny_message(oxiam):
    iam = oxiam.client("iam")
    ola = user_client(oxiam, iam, "ola")
    iam.attach_user_policy(UserName="ola", PolicyArn=AWS + "AdministratorAccess")
    iam.put_user_permissions_boundary(UserName="ola",
                                      PermissionsBoundary=AWS + "IAMReadOnlyAccess")
    assert ola.get_user()["User"]["UserName"] == "ola"
    _, msg = raises("AccessDenied", ola.create_user, UserName="x")
    assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/ola is not authorized to perform: "
                   f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/x because no "
                   "permissions boundary allows the iam:CreateUser action")
    iam.delete_user_permissions_boundary(UserName="ola")
    iam.put_user_policy(UserName="ola", PolicyName="deny", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"}))
    _, msg = raises("AccessDenied", ola.create_user, UserName="x")
    assert msg.endswith("with an explicit deny in an identity-based policy")
    iam.delete_user_policy(UserName="ola", PolicyName="deny")
    ola.create_user(UserName="x")


def test_create_with_tags_needs_the_tagging_permission(oxiam):
    iam = oxiam.client("iam")
    pia = user_client(oxiam, iam, "pia")
    iam.put_user_policy(UserName="pia", PolicyName="create", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}))
    tags = [{"Key": "team", "Value": "eng"}]
    _, msg = raises("AccessDenied", pia.create_user, UserName="t1", Tags=tags)
    assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/pia is not authorized to perform: "
                   f"iam:TagUser on resource: arn:aws:iam::{ACCOUNT}:user/t1 because no "
                   "identity-based policy allows the iam:TagUser action")
    pia.create_user(UserName="t1")
    iam.put_user_policy(UserName="pia", PolicyName="create", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:CreateUser", "iam:TagUser"], "Resource": "*"}))
    pia.create_user(UserName="t2", Tags=tags)
    assert iam.list_user_tags(UserName="t2")["Tags"] == tags


def test_rename_needs_the_permission_on_the_new_name(oxiam):
    iam = oxiam.client("iam")
    quin = user_client(oxiam, iam, "quin")
    iam.create_user(UserName="bob")
    old = f"arn:aws:iam::{ACCOUNT}:user/bob"
    new = f"arn:aws:iam::{ACCOUNT}:user/robert"
    iam.put_user_policy(UserName="quin", PolicyName="rename", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:UpdateUser", "Resource": old}))
    _, msg = raises("AccessDenied", quin.update_user, UserName="bob", NewUserName="robert")
    assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/quin is not authorized to perform: "
                   f"iam:UpdateUser on resource: {new} because no identity-based policy "
                   "allows the iam:UpdateUser action")
    iam.put_user_policy(UserName="quin", PolicyName="rename", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:UpdateUser", "Resource": [old, new]}))
    quin.update_user(UserName="bob", NewUserName="robert")
    assert iam.get_user(UserName="robert")["User"]["Arn"] == new


def test_root_may_use_aws_managed_policies(oxiam):
    iam = oxiam.client("iam")
    # Whatever the handler answers, authorization lets the root through: AWS managed
    # policies are part of every account.
    try:
        iam.get_policy(PolicyArn=AWS + "ReadOnlyAccess")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] != "AccessDenied", e.response
