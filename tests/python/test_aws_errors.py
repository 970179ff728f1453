"""Errors as real AWS answers them (issue 15, section 3), recorded from AWS: the code, the
HTTP status and the message text, through boto3."""
import json

import botocore.exceptions
import pytest

from conftest import ACCOUNT

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "sts:AssumeRole"}]})


def error(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def test_a_trust_policy_that_is_not_json(oxiam):
    iam = oxiam.client("iam")
    assert error(iam.create_role, RoleName="r", AssumeRolePolicyDocument="{not json") == (
        "MalformedPolicyDocument", 400, "This policy contains invalid Json")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)
    assert error(iam.update_assume_role_policy, RoleName="r", PolicyDocument="[") == (
        "MalformedPolicyDocument", 400, "This policy contains invalid Json")


def test_a_policy_named_where_its_arn_belongs(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="u")
    assert error(iam.attach_user_policy, UserName="u", PolicyArn="AmazonS3ReadOnlyAccess") == (
        "ValidationError", 400, "Invalid ARN:  Could not be parsed!")


def test_an_enum_member_with_a_bad_value(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]["AccessKeyId"]
    assert error(iam.update_access_key, UserName="u", AccessKeyId=key, Status="Enabled") == (
        "ValidationError", 400,
        "1 validation error detected: Value at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set")


def test_sts_role_arns_that_do_not_parse_are_invalid_input(oxiam):
    sts = oxiam.client("sts")
    iam = oxiam.client("iam")
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]
    user_sts = oxiam.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert error(user_sts.assume_role, RoleArn="not-a-role-arn-at-all",
                 RoleSessionName="session") == ("ValidationError", 400, "Request ARN is invalid")
    # A well-formed ARN of a role that does not exist is still denied, as AWS does.
    code, status, _ = error(user_sts.assume_role,
                            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ghost", RoleSessionName="session")
    assert (code, status) == ("AccessDenied", 403)
    assert sts.get_caller_identity()["Account"] == ACCOUNT


def test_session_tag_errors_are_invalid_parameter_values(oxiam):
    iam = oxiam.client("iam")
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["sts:AssumeRole", "sts:TagSession"]}]}))
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Resource": "*"}]}))
    key = iam.create_access_key(UserName="u")["AccessKey"]
    sts = oxiam.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    role = f"arn:aws:iam::{ACCOUNT}:role/tagged"
    assert error(sts.assume_role, RoleArn=role, RoleSessionName="session",
                 Tags=[{"Key": "team", "Value": "a"}, {"Key": "TEAM", "Value": "b"}]) == (
        "InvalidParameterValue", 400,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    # A transitive tag of the calling session cannot be overridden when chaining.
    first = sts.assume_role(RoleArn=role, RoleSessionName="session",
                            Tags=[{"Key": "team", "Value": "a"}],
                            TransitiveTagKeys=["team"])["Credentials"]
    chained = oxiam.client("sts", first["AccessKeyId"], first["SecretAccessKey"],
                           first["SessionToken"])
    code, status, message = error(chained.assume_role, RoleArn=role, RoleSessionName="session2",
                                  Tags=[{"Key": "Team", "Value": "b"}])
    assert (code, status) == ("InvalidParameterValue", 400), message
