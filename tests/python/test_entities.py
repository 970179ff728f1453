"""boto3 against the real oxiam server: groups, roles, instance profiles — shapes, pagination,
quotas and errors."""
import json

import botocore.exceptions
import pytest

from conftest import ACCOUNT

TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def pages(call, list_key, name_key, page_size, **kw):
    """Follows Marker by hand; returns the names and the number of pages."""
    seen, marker, count = [], None, 0
    while True:
        args = dict(kw, MaxItems=page_size)
        if marker:
            args["Marker"] = marker
        page = call(**args)
        count += 1
        seen += [x[name_key] for x in page[list_key]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            return seen, count
        marker = page["Marker"]


def test_group_members_and_lists_paginate(oxiam):
    iam = oxiam.client("iam")
    iam.create_group(GroupName="team")
    for i in range(5):
        iam.create_user(UserName=f"member{i}")
        iam.add_user_to_group(GroupName="team", UserName=f"member{i}")
    for i in range(4):
        iam.create_group(GroupName=f"extra{i}", Path="/x/")
    members, count = pages(iam.get_group, "Users", "UserName", 2, GroupName="team")
    assert members == [f"member{i}" for i in range(5)] and count == 3
    via_paginator = [u["UserName"] for p in iam.get_paginator("get_group").paginate(
        GroupName="team", PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert via_paginator == members
    groups, count = pages(iam.list_groups, "Groups", "GroupName", 2)
    assert groups == ["extra0", "extra1", "extra2", "extra3", "team"] and count == 3
    groups, _ = pages(iam.list_groups, "Groups", "GroupName", 3, PathPrefix="/x/")
    assert groups == [f"extra{i}" for i in range(4)]
    for g in ["extra1", "team", "extra3"]:
        iam.add_user_to_group(GroupName=g, UserName="member0")
    mine, count = pages(iam.list_groups_for_user, "Groups", "GroupName", 2, UserName="member0")
    assert mine == ["extra1", "extra3", "team"] and count == 2
    r = iam.get_group(GroupName="team")
    assert r["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/team"
    assert r["Group"]["GroupId"].startswith("AGPA")
    assert r["IsTruncated"] is False


def test_groups_per_user_quota(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="joiner")
    for i in range(11):
        iam.create_group(GroupName=f"g{i:02}")
    for i in range(10):
        iam.add_user_to_group(GroupName=f"g{i:02}", UserName="joiner")
    # Re-adding is idempotent, even at the quota.
    iam.add_user_to_group(GroupName="g00", UserName="joiner")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.add_user_to_group(GroupName="g10", UserName="joiner")
    assert error_of(e) == ("LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10")
    assert len(iam.list_groups_for_user(UserName="joiner")["Groups"]) == 10


def test_group_errors(oxiam):
    iam = oxiam.client("iam")
    iam.create_group(GroupName="ops")
    iam.create_user(UserName="olga")
    iam.add_user_to_group(GroupName="ops", UserName="olga")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_group(GroupName="OPS")
    assert error_of(e) == ("EntityAlreadyExists", 409, "Group with name OPS already exists.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_group(GroupName="nope")
    assert error_of(e) == ("NoSuchEntity", 404, "The group with name nope cannot be found.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_group(GroupName="ops")
    assert error_of(e) == ("DeleteConflict", 409,
                           "Cannot delete entity, must remove users from group first.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_user(UserName="olga")
    assert error_of(e) == ("DeleteConflict", 409,
                           "Cannot delete entity, must remove users from group first.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_groups_for_user(UserName="nobody")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_role_shapes(oxiam):
    iam = oxiam.client("iam")
    created = iam.create_role(RoleName="svc", AssumeRolePolicyDocument=TRUST, Path="/a/",
                              Tags=[{"Key": "k", "Value": "v"}])["Role"]
    # As AWS answers CreateRole: no MaxSessionDuration (GetRole has it).
    assert "MaxSessionDuration" not in created
    assert iam.get_role(RoleName="svc")["Role"]["MaxSessionDuration"] == 3600
    assert created["RoleId"].startswith("AROA") and len(created["RoleId"]) == 21
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/a/svc"
    assert created["Tags"] == [{"Key": "k", "Value": "v"}]
    assert "RoleLastUsed" not in created
    # boto3 URL-decodes and parses the document.
    assert created["AssumeRolePolicyDocument"] == json.loads(TRUST)
    got = iam.get_role(RoleName="svc")["Role"]
    assert got["RoleLastUsed"] == {}
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    assert got["CreateDate"] == created["CreateDate"]
    listed = iam.list_roles()["Roles"]
    assert [r["RoleName"] for r in listed] == ["svc"]
    assert "Tags" not in listed[0] and "RoleLastUsed" not in listed[0]
    assert listed[0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert iam.update_role(RoleName="svc", MaxSessionDuration=43200)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert iam.get_role(RoleName="svc")["Role"]["MaxSessionDuration"] == 43200


def test_user_shapes_in_lists_leave_out_boundary_and_tags(oxiam):
    """ListUsers (and GetGroup's members) "return a subset of the available attributes …
    does not return … PermissionsBoundary, Tags" (ListUsers, IAM API Reference; moto's
    test_user_resource_returns_subset_of_available_attributes, verified against AWS)."""
    iam = oxiam.client("iam")
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/b"
    iam.create_policy(PolicyName="b", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    made = iam.create_user(UserName="u", Path="/p/", PermissionsBoundary=boundary,
                           Tags=[{"Key": "k", "Value": "v"}])["User"]
    got = iam.get_user(UserName="u")["User"]
    for user in (made, got):
        assert user["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
        assert user["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="u")
    for listed in (iam.list_users(PathPrefix="/p/")["Users"][0],
                   iam.get_group(GroupName="g")["Users"][0]):
        assert listed["UserName"] == "u"
        assert "PermissionsBoundary" not in listed and "Tags" not in listed


def test_get_policy_always_has_tags(oxiam):
    """GetPolicy answers an empty `Tags` list for a policy without tags, where CreatePolicy
    and ListPolicies leave `Tags` out (moto's
    test_policy_resource_returns_subset_of_available_attributes, verified against AWS)."""
    iam = oxiam.client("iam")
    doc = json.dumps({"Version": "2012-10-17",
                      "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    made = iam.create_policy(PolicyName="p", PolicyDocument=doc)["Policy"]
    assert "Tags" not in made
    assert iam.get_policy(PolicyArn=made["Arn"])["Policy"]["Tags"] == []
    assert "Tags" not in iam.list_policies(Scope="Local")["Policies"][0]
    tagged = iam.create_policy(PolicyName="t", PolicyDocument=doc,
                               Tags=[{"Key": "k", "Value": "v"}])["Policy"]
    assert tagged["Tags"] == [{"Key": "k", "Value": "v"}]
    assert iam.get_policy(PolicyArn=tagged["Arn"])["Policy"]["Tags"] == [{"Key": "k", "Value": "v"}]


def test_roles_paginate(oxiam):
    iam = oxiam.client("iam")
    for i in range(5):
        iam.create_role(RoleName=f"role{i}", AssumeRolePolicyDocument=TRUST)
    names, count = pages(iam.list_roles, "Roles", "RoleName", 2)
    assert names == [f"role{i}" for i in range(5)] and count == 3
    via_paginator = [r["RoleName"] for p in iam.get_paginator("list_roles").paginate(
        PaginationConfig={"PageSize": 4}) for r in p["Roles"]]
    assert via_paginator == names
    iam.tag_role(RoleName="role0", Tags=[{"Key": f"t{i}", "Value": ""} for i in range(5)])
    tags, count = pages(iam.list_role_tags, "Tags", "Key", 2, RoleName="role0")
    assert tags == [f"t{i}" for i in range(5)] and count == 3


def test_role_errors(oxiam):
    iam = oxiam.client("iam")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_role(RoleName="R", AssumeRolePolicyDocument=TRUST)
    assert error_of(e) == ("EntityAlreadyExists", 409, "Role with name R already exists.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_role(RoleName="x", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=50000)
    code, status, message = error_of(e)
    assert (code, status) == ("ValidationError", 400)
    assert "Member must have value less than or equal to 43200" in message
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_role(RoleName="x", AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    assert error_of(e)[:2] == ("MalformedPolicyDocument", 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.update_role_description(RoleName="missing", Description="d")
    assert error_of(e) == ("NoSuchEntity", 404, "The role with name missing cannot be found.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary="arn:aws:iam::aws:policy/Nope")
    assert error_of(e) == ("NoSuchEntity", 404,
                           "Scope ARN: arn:aws:iam::aws:policy/Nope does not exist or is not attachable.")
    # A boundary in another account is not attachable either.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary="arn:aws:iam::999999999999:policy/p")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    assert "PermissionsBoundary" not in iam.get_role(RoleName="r")["Role"]


def test_service_linked_role_errors_and_status(oxiam):
    iam = oxiam.client("iam")
    role = iam.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticLoadBalancing"
    assert role["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    name = role["RoleName"]
    # AWS attaches the service's own managed policy, and it cannot be detached by the account.
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert attached == [{
        "PolicyName": "AWSElasticLoadBalancingServiceRolePolicy",
        "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AWSElasticLoadBalancingServiceRolePolicy",
    }]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.detach_role_policy(RoleName=name, PolicyArn=attached[0]["PolicyArn"])
    assert error_of(e)[0] == "UnmodifiableEntity"
    for call in (lambda: iam.delete_role(RoleName=name),
                 lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=TRUST),
                 lambda: iam.put_role_permissions_boundary(
                     RoleName=name, PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert error_of(e) == ("UnmodifiableEntity", 400,
                               f"Cannot perform the operation on the protected role '{name}' - "
                               "this role is only modifiable by AWS")
    # Its description may change, as AWS allows.
    assert iam.update_role_description(RoleName=name, Description="lb")["Role"]["Description"] == "lb"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_service_linked_role(AWSServiceName="not-a-service.example.com")
    assert error_of(e)[:2] == ("InvalidInput", 400)
    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED" and "Reason" not in status
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_service_linked_role_deletion_status(DeletionTaskId=task + "x")
    assert error_of(e)[:2] == ("NoSuchEntity", 404)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_service_linked_role(RoleName=name)
    assert error_of(e)[:2] == ("NoSuchEntity", 404)


def test_instance_profiles_paginate_and_carry_full_roles(oxiam):
    iam = oxiam.client("iam")
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST, Description="d")
    for i in range(5):
        iam.create_instance_profile(InstanceProfileName=f"ip{i}", Tags=[{"Key": "n", "Value": str(i)}])
    for i in (1, 3, 4):
        iam.add_role_to_instance_profile(InstanceProfileName=f"ip{i}", RoleName="worker")
    names, count = pages(iam.list_instance_profiles, "InstanceProfiles", "InstanceProfileName", 2)
    assert names == [f"ip{i}" for i in range(5)] and count == 3
    names, count = pages(iam.list_instance_profiles_for_role, "InstanceProfiles",
                         "InstanceProfileName", 2, RoleName="worker")
    assert names == ["ip1", "ip3", "ip4"] and count == 2
    profile = iam.get_instance_profile(InstanceProfileName="ip1")["InstanceProfile"]
    assert profile["InstanceProfileId"].startswith("AIPA")
    assert profile["Tags"] == [{"Key": "n", "Value": "1"}]
    (role,) = profile["Roles"]
    assert role["RoleName"] == "worker" and role["Description"] == "d"
    assert role["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/worker"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName="ip1", RoleName="worker")
    assert error_of(e) == ("LimitExceeded", 409,
                           "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_instance_profile(InstanceProfileName="ip1")
    assert error_of(e) == ("DeleteConflict", 409,
                           "Cannot delete entity, must remove roles from instance profile first.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_instance_profile(InstanceProfileName="ghost")
    assert error_of(e) == ("NoSuchEntity", 404, "Instance Profile ghost cannot be found.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.add_role_to_instance_profile(InstanceProfileName="ip0", RoleName="ghost")
    assert error_of(e) == ("NoSuchEntity", 404, "The role with name ghost cannot be found.")
    iam.tag_instance_profile(InstanceProfileName="ip0", Tags=[{"Key": f"t{i}", "Value": ""} for i in range(3)])
    tags, count = pages(iam.list_instance_profile_tags, "Tags", "Key", 2, InstanceProfileName="ip0")
    assert tags == ["n", "t0", "t1", "t2"] and count == 2
