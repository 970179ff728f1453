"""Responses element by element as AWS gives them (issue 15, section 2), through boto3: what a
listing leaves out, what the account root's GetUser holds, what each Create/Get returns."""
import json

from conftest import ACCOUNT

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "sts:AssumeRole"}]})
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
TAGS = [{"Key": "team", "Value": "blue"}]


def populated(iam):
    boundary = iam.create_policy(PolicyName="boundary", PolicyDocument=POLICY,
                                 Description="the boundary", Tags=TAGS)["Policy"]["Arn"]
    iam.create_user(UserName="alice", PermissionsBoundary=boundary, Tags=TAGS)
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST, Description="app role",
                    PermissionsBoundary=boundary, Tags=TAGS)
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.create_instance_profile(InstanceProfileName="web", Tags=TAGS)
    iam.create_virtual_mfa_device(VirtualMFADeviceName="phone", Tags=TAGS)
    return boundary


def test_listings_leave_out_what_aws_leaves_out(oxiam):
    # AWS's API reference: "IAM resource-listing operations return a subset of the available
    # attributes": ListUsers has no PermissionsBoundary and no Tags; ListRoles no
    # PermissionsBoundary, RoleLastUsed or Tags; ListPolicies, ListInstanceProfiles and
    # ListVirtualMFADevices no Tags.
    iam = oxiam.client("iam")
    boundary = populated(iam)
    [user] = iam.list_users()["Users"]
    assert set(user) == {"Path", "UserName", "UserId", "Arn", "CreateDate"}
    [role] = iam.list_roles()["Roles"]
    assert set(role) == {"Path", "RoleName", "RoleId", "Arn", "CreateDate",
                         "AssumeRolePolicyDocument", "Description", "MaxSessionDuration"}
    [policy] = iam.list_policies(Scope="Local")["Policies"]
    assert "Tags" not in policy and "Description" not in policy
    assert policy["PermissionsBoundaryUsageCount"] == 2
    [profile] = iam.list_instance_profiles()["InstanceProfiles"]
    assert "Tags" not in profile
    [device] = iam.list_virtual_mfa_devices()["VirtualMFADevices"]
    assert set(device) == {"SerialNumber"}
    # A group's members are listed the same way as ListUsers lists them (AWS does not say;
    # oxiam treats GetGroup's users as a listing).
    [member] = iam.get_group(GroupName="devs")["Users"]
    assert set(member) == {"Path", "UserName", "UserId", "Arn", "CreateDate"}
    # The Get operations give everything.
    full = iam.get_user(UserName="alice")["User"]
    assert full["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": boundary}
    assert full["Tags"] == TAGS
    got = iam.get_role(RoleName="app")["Role"]
    assert got["Tags"] == TAGS and got["RoleLastUsed"] == {}
    assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert iam.get_policy(PolicyArn=boundary)["Policy"]["Description"] == "the boundary"


def test_the_account_roots_get_user_has_no_name_and_no_path(oxiam):
    # AWS answers the root's GetUser with its ARN, the account ID as UserId and the creation
    # date: no UserName, no Path (the model calls both required).
    user = oxiam.client("iam").get_user()["User"]
    assert set(user) == {"UserId", "Arn", "CreateDate"}
    assert user["UserId"] == ACCOUNT
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_a_password_policy_set_without_options_reads_as_aws_answers_it(oxiam):
    # Recorded from AWS (https://github.com/aws/aws-cli/issues/7265): after
    # `update-account-password-policy` with no options, GetAccountPasswordPolicy has these
    # seven members: no MaxPasswordAge, no PasswordReusePrevention, no HardExpiry.
    iam = oxiam.client("iam")
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False}
    # HardExpiry is there when the update gave it, false as true.
    iam.update_account_password_policy(HardExpiry=False, MaxPasswordAge=90)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["HardExpiry"], policy["ExpirePasswords"], policy["MaxPasswordAge"]) == (
        False, True, 90)
