"""boto3 against the real oxiam server: managed policies, versions, tags, the AWS catalogue."""
import json

import botocore.exceptions
import pytest

from conftest import ACCOUNT

DOC = {"Version": "2012-10-17",
       "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports/*"}]}
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def create(iam, name, **kw):
    return iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(DOC), **kw)["Policy"]


def test_create_get_and_errors(oxiam):
    iam = oxiam.client("iam")
    p = create(iam, "Readers", Path="/team/", Description="reads reports",
               Tags=[{"Key": "team", "Value": "blue"}])
    arn = f"arn:aws:iam::{ACCOUNT}:policy/team/Readers"
    assert p["Arn"] == arn
    assert p["PolicyId"].startswith("ANPA") and len(p["PolicyId"]) == 21
    assert (p["DefaultVersionId"], p["AttachmentCount"], p["IsAttachable"]) == ("v1", 0, True)
    assert p["PermissionsBoundaryUsageCount"] == 0
    assert p["Tags"] == [{"Key": "team", "Value": "blue"}]
    got = iam.get_policy(PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads reports"
    assert got["CreateDate"] == p["CreateDate"]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        create(iam, "readers")
    assert error_of(e) == ("EntityAlreadyExists", 409,
                           "A policy called readers already exists. Duplicate names are not allowed.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_policy(PolicyName="Bad", PolicyDocument="{not json")
    assert error_of(e)[:2] == ("MalformedPolicyDocument", 400)
    big = dict(DOC, Statement=[{"Effect": "Allow", "Action": [f"s3:Action{i:05}" for i in range(400)],
                                "Resource": "*"}])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_policy(PolicyName="Big", PolicyDocument=json.dumps(big))
    assert error_of(e) == ("LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/Readers")
    assert error_of(e) == ("NoSuchEntity", 404,
                           f"Policy arn:aws:iam::{ACCOUNT}:policy/Readers was not found.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_policy(PolicyArn=f"arn:aws:iam::{ACCOUNT}:user/Readers")
    assert error_of(e) == ("InvalidInput", 400, f"ARN arn:aws:iam::{ACCOUNT}:user/Readers is not valid.")
    # Nothing failed half-way: only the one policy exists.
    assert [x["PolicyName"] for x in iam.list_policies(Scope="Local")["Policies"]] == ["Readers"]


def test_versions(oxiam):
    iam = oxiam.client("iam")
    arn = create(iam, "P")["Arn"]
    for i in range(4):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC), SetAsDefault=(i == 1))
        assert v["PolicyVersion"]["VersionId"] == f"v{i + 2}"
        assert "Document" not in v["PolicyVersion"]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(DOC))
    assert error_of(e) == ("LimitExceeded", 409,
                           "A managed policy can have up to 5 versions. Before you create a new version, "
                           "you must delete an existing version.")
    pages = list(iam.get_paginator("list_policy_versions").paginate(
        PolicyArn=arn, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    ids = [v["VersionId"] for p in pages for v in p["Versions"]]
    assert ids == ["v5", "v4", "v3", "v2", "v1"]
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    # boto3 URL-decodes the document and parses it.
    v1 = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v1["Document"] == DOC
    assert v1["IsDefaultVersion"] is False
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(e) == ("DeleteConflict", 409, "Cannot delete the default version of a policy.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v8")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    for v in ["v2", "v3", "v4", "v5"]:
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_policy_versions(PolicyArn=arn)
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_list_policies_pagination_and_scopes(oxiam):
    iam = oxiam.client("iam")
    for i in range(5):
        create(iam, f"pol{i}", Path="/a/" if i % 2 else "/")
    names = [p["PolicyName"] for page in iam.get_paginator("list_policies").paginate(
        Scope="Local", PaginationConfig={"PageSize": 2}) for p in page["Policies"]]
    assert names == [f"pol{i}" for i in range(5)]
    page = iam.list_policies(Scope="Local", MaxItems=2)
    assert page["IsTruncated"] is True
    rest = iam.list_policies(Scope="Local", Marker=page["Marker"])
    assert [p["PolicyName"] for p in rest["Policies"]] == ["pol2", "pol3", "pol4"]
    assert "Description" not in rest["Policies"][0]
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local", PathPrefix="/a/")["Policies"]] == ["pol1", "pol3"]
    aws = [p for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
    assert len(aws) > 1500
    by_name = {p["PolicyName"]: p for p in aws}
    assert by_name["ReadOnlyAccess"]["Arn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert by_name["Billing"]["Path"] == "/job-function/"
    assert by_name["AdministratorAccess"]["AttachmentCount"] == 0
    assert iam.list_policies(OnlyAttached=True)["Policies"] == []
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_policies(Scope="Everything")
    assert error_of(e)[:2] == ("ValidationError", 400)


def test_aws_managed_policies_are_read_only(oxiam):
    iam = oxiam.client("iam")
    admin = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    v = iam.get_policy_version(PolicyArn=ADMIN, VersionId=admin["DefaultVersionId"])["PolicyVersion"]
    assert v["Document"]["Statement"][0]["Effect"] == "Allow"
    assert v["IsDefaultVersion"] is True
    for call in [lambda: iam.delete_policy(PolicyArn=ADMIN),
                 lambda: iam.create_policy_version(PolicyArn=ADMIN, PolicyDocument=json.dumps(DOC)),
                 lambda: iam.delete_policy_version(PolicyArn=ADMIN, VersionId="v1"),
                 lambda: iam.set_default_policy_version(PolicyArn=ADMIN, VersionId="v1")]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert error_of(e)[:2] == ("AccessDenied", 403)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.tag_policy(PolicyArn=ADMIN, Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(e)[:2] == ("InvalidInput", 400)
    entities = iam.list_entities_for_policy(PolicyArn=ADMIN)
    assert (entities["PolicyUsers"], entities["PolicyGroups"], entities["PolicyRoles"]) == ([], [], [])
    assert entities["IsTruncated"] is False


def test_tags(oxiam):
    iam = oxiam.client("iam")
    arn = create(iam, "T")["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(5)])
    tags = [t for page in iam.get_paginator("list_policy_tags").paginate(
        PolicyArn=arn, PaginationConfig={"PageSize": 2}) for t in page["Tags"]]
    assert [t["Key"] for t in tags] == [f"k{i}" for i in range(5)]
    iam.untag_policy(PolicyArn=arn, TagKeys=["K0", "k1"])
    assert len(iam.list_policy_tags(PolicyArn=arn)["Tags"]) == 3
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])
    assert error_of(e)[:2] == ("InvalidInput", 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.tag_policy(PolicyArn=arn, Tags=[{"Key": f"n{i}", "Value": ""} for i in range(48)])
    assert error_of(e)[:2] == ("LimitExceeded", 409)


def test_user_without_permissions_is_denied(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="mallory")
    key = iam.create_access_key(UserName="mallory")["AccessKey"]
    mallory = oxiam.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        mallory.create_policy(PolicyName="Admin", PolicyDocument=json.dumps(DOC))
    code, status, message = error_of(e)
    assert (code, status) == ("AccessDenied", 403)
    assert f"arn:aws:iam::{ACCOUNT}:user/mallory is not authorized to perform: iam:CreatePolicy" in message
    with pytest.raises(botocore.exceptions.ClientError) as e:
        mallory.get_policy_version(PolicyArn=ADMIN, VersionId="v1")
    assert error_of(e)[:2] == ("AccessDenied", 403)
    assert iam.list_policies(Scope="Local")["Policies"] == []
