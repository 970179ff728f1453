"""boto3 against the real oxiam server: the IAM policy simulator (SimulatePrincipalPolicy,
SimulateCustomPolicy, GetContextKeysFor*Policy) — shapes, positions, missing context keys,
boundaries, resource policies, pagination, errors — and a differential test: on random
policies the simulator's answer is what the server then enforces."""
import json
import random

import botocore.exceptions
import pytest

from conftest import ACCOUNT

USER = f"arn:aws:iam::{ACCOUNT}:user/"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def raises(code, fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    err = e.value.response["Error"]
    assert err["Code"] == code, err
    return err["Message"]


def user_client(oxiam, iam, name, **kw):
    iam.create_user(UserName=name, **kw)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])


POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Read",
      "Effect": "Allow",
      "Action": "iam:Get*",
      "Resource": "*"
    },
    {
      "Effect": "Deny",
      "Action": "iam:GetRole",
      "Resource": "*",
      "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}
    }
  ]
}"""


def test_simulate_principal_policy_reports_statements_and_positions(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="ana", Tags=[{"Key": "team", "Value": "red"}])
    iam.put_user_policy(UserName="ana", PolicyName="read", PolicyDocument=POLICY)
    iam.attach_user_policy(UserName="ana", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    r = iam.simulate_principal_policy(
        PolicySourceArn=USER + "ana", ActionNames=["iam:GetUser", "iam:GetRole", "iam:CreateUser"])
    results = {e["EvalActionName"]: e for e in r["EvaluationResults"]}
    assert r["IsTruncated"] is False
    get_user = results["iam:GetUser"]
    assert get_user["EvalDecision"] == "allowed"
    assert get_user["EvalResourceName"] == "*"
    first = get_user["MatchedStatements"][0]
    assert first["SourcePolicyId"] == "read"
    assert first["SourcePolicyType"] == "user"
    assert first["StartPosition"] == {"Line": 4, "Column": 5}
    assert first["EndPosition"] == {"Line": 9, "Column": 6}
    # The deny's condition key is missing: the simulator says so, and the deny does not apply.
    get_role = results["iam:GetRole"]
    assert get_role["EvalDecision"] == "allowed"
    assert get_role["MissingContextValues"] == ["aws:RequestedRegion"]
    assert results["iam:CreateUser"]["EvalDecision"] == "implicitDeny"
    assert results["iam:CreateUser"]["MatchedStatements"] == []
    # With the key given, the deny applies and is the matched statement.
    r = iam.simulate_principal_policy(
        PolicySourceArn=USER + "ana", ActionNames=["iam:GetRole"],
        ContextEntries=[{"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": ["eu-west-1"],
                         "ContextKeyType": "string"}])
    e = r["EvaluationResults"][0]
    assert e["EvalDecision"] == "explicitDeny"
    assert e["MatchedStatements"][0]["StartPosition"] == {"Line": 10, "Column": 5}
    assert e["MissingContextValues"] == []


def test_simulate_principal_policy_groups_managed_and_boundary(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="bo", PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.create_group(GroupName="admins")
    iam.add_user_to_group(GroupName="admins", UserName="bo")
    iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    r = iam.simulate_principal_policy(PolicySourceArn=USER + "bo",
                                      ActionNames=["iam:ListUsers", "iam:CreateUser"])
    allowed, capped = r["EvaluationResults"]
    assert allowed["EvalDecision"] == "allowed"
    assert {"SourcePolicyId": "AdministratorAccess", "SourcePolicyType": "aws-managed"}.items() \
        <= allowed["MatchedStatements"][0].items()
    assert allowed["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert capped["EvalDecision"] == "implicitDeny"
    assert capped["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    # A simulated boundary replaces the attached one.
    r = iam.simulate_principal_policy(
        PolicySourceArn=USER + "bo", ActionNames=["iam:CreateUser"],
        PermissionsBoundaryPolicyInputList=[doc({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})])
    assert r["EvaluationResults"][0]["EvalDecision"] == "allowed"
    # The group itself can be simulated; PolicyInputList adds to the principal's policies.
    r = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:group/admins", ActionNames=["s3:GetObject"],
        PolicyInputList=[doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})])
    e = r["EvaluationResults"][0]
    assert e["EvalDecision"] == "explicitDeny"
    assert e["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"


def test_simulate_custom_policy_resources_resource_policy_and_pagination(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="cy")
    policy = doc({"Effect": "Allow", "Action": "s3:GetObject",
                  "Resource": "arn:aws:s3:::bucket/${aws:username}/*"})
    r = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::bucket/cy/a", "arn:aws:s3:::bucket/zed/a"],
        CallerArn=USER + "cy", MaxItems=3)
    assert r["IsTruncated"] is True
    decisions = [(e["EvalActionName"], e["EvalResourceName"], e["EvalDecision"])
                 for e in r["EvaluationResults"]]
    r2 = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["s3:GetObject", "s3:PutObject"],
        ResourceArns=["arn:aws:s3:::bucket/cy/a", "arn:aws:s3:::bucket/zed/a"],
        CallerArn=USER + "cy", MaxItems=3, Marker=r["Marker"])
    assert r2["IsTruncated"] is False
    decisions += [(e["EvalActionName"], e["EvalResourceName"], e["EvalDecision"])
                  for e in r2["EvaluationResults"]]
    assert decisions == [
        ("s3:GetObject", "arn:aws:s3:::bucket/cy/a", "allowed"),
        ("s3:GetObject", "arn:aws:s3:::bucket/zed/a", "implicitDeny"),
        ("s3:PutObject", "arn:aws:s3:::bucket/cy/a", "implicitDeny"),
        ("s3:PutObject", "arn:aws:s3:::bucket/zed/a", "implicitDeny"),
    ]
    first = r["EvaluationResults"][0]
    assert first["ResourceSpecificResults"][0]["EvalResourceName"] == "arn:aws:s3:::bucket/cy/a"
    assert first["ResourceSpecificResults"][0]["EvalResourceDecision"] == "allowed"
    assert first["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    assert first["MatchedStatements"][0]["SourcePolicyType"] == "none"
    # Without a caller, the variable's key is missing.
    r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"],
                                   ResourceArns=["arn:aws:s3:::bucket/cy/a"])
    assert r["EvaluationResults"][0]["MissingContextValues"] == ["aws:username"]
    assert r["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    # A resource policy naming the caller grants alone in the same account.
    bucket_policy = doc({"Effect": "Allow", "Principal": {"AWS": USER + "cy"},
                         "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"})
    r = iam.simulate_custom_policy(
        PolicyInputList=[doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"})],
        ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::shared/x"],
        ResourcePolicy=bucket_policy, CallerArn=USER + "cy")
    e = r["EvaluationResults"][0]
    assert e["EvalDecision"] == "allowed"
    assert e["MatchedStatements"][0]["SourcePolicyType"] == "resource"
    assert e["MatchedStatements"][0]["SourcePolicyId"] == "ResourcePolicy"
    # Another account owns the resource: both sides must allow.
    r = iam.simulate_custom_policy(
        PolicyInputList=[doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"})],
        ActionNames=["s3:GetObject"], ResourceArns=["arn:aws:s3:::shared/x"],
        ResourcePolicy=bucket_policy, CallerArn=USER + "cy",
        ResourceOwner="arn:aws:iam::210987654321:root")
    e = r["EvaluationResults"][0]
    assert e["EvalDecision"] == "implicitDeny"
    assert e["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}


def test_context_entry_types_and_errors(oxiam):
    iam = oxiam.client("iam")
    policy = doc({"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
                  "Condition": {"NumericLessThan": {"ec2:Count": "3"},
                                "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                                "ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}})

    def sim(entries):
        r = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["ec2:RunInstances"],
                                       ContextEntries=entries)
        return r["EvaluationResults"][0]

    entries = [
        {"ContextKeyName": "ec2:Count", "ContextKeyValues": ["2"], "ContextKeyType": "numeric"},
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["x", "b"], "ContextKeyType": "stringList"},
    ]
    assert sim(entries)["EvalDecision"] == "allowed"
    assert sim(entries[:2])["MissingContextValues"] == ["aws:TagKeys"]
    assert sim(entries[:2])["EvalDecision"] == "implicitDeny"
    for bad in [{"ContextKeyName": "ec2:Count", "ContextKeyValues": ["many"], "ContextKeyType": "numeric"},
                {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["nope"], "ContextKeyType": "ip"},
                {"ContextKeyName": "aws:k", "ContextKeyValues": ["1", "2"], "ContextKeyType": "string"},
                {"ContextKeyName": "aws:k", "ContextKeyValues": ["maybe"], "ContextKeyType": "boolean"}]:
        raises("InvalidInput", iam.simulate_custom_policy, PolicyInputList=[policy],
               ActionNames=["ec2:RunInstances"], ContextEntries=[bad])
    raises("InvalidInput", iam.simulate_custom_policy, PolicyInputList=["{not json"],
           ActionNames=["iam:GetUser"])
    raises("InvalidInput", iam.simulate_custom_policy, PolicyInputList=[policy],
           ActionNames=["iam:GetUser"], ResourcePolicy=doc({"Effect": "Allow", "Principal": "*",
                                                           "Action": "*", "Resource": "*"}))
    raises("NoSuchEntity", iam.simulate_principal_policy, PolicySourceArn=USER + "ghost",
           ActionNames=["iam:GetUser"])
    # Another account's principal: not the root's to simulate.
    raises("AccessDenied", iam.simulate_principal_policy,
           PolicySourceArn="arn:aws:iam::999999999999:user/x", ActionNames=["iam:GetUser"])
    raises("NoSuchEntity", iam.get_context_keys_for_principal_policy,
           PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:role/ghost")


def test_get_context_keys(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="di")
    iam.put_user_policy(UserName="di", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
    extra = doc({"Effect": "Allow", "Action": "ec2:*", "Resource": "*",
                 "Condition": {"StringEquals": {"ec2:Region": "x", "aws:username": "y"}}})
    r = iam.get_context_keys_for_principal_policy(PolicySourceArn=USER + "di", PolicyInputList=[extra])
    assert r["ContextKeyNames"] == ["aws:username", "aws:MultiFactorAuthPresent", "ec2:Region"]
    r = iam.get_context_keys_for_custom_policy(PolicyInputList=[extra])
    assert r["ContextKeyNames"] == ["ec2:Region", "aws:username"]
    raises("InvalidInput", iam.get_context_keys_for_custom_policy, PolicyInputList=["[]"])


def test_simulator_is_authorized_like_every_operation(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="target")
    eve = user_client(oxiam, iam, "eve")
    msg = raises("AccessDenied", eve.simulate_principal_policy, PolicySourceArn=USER + "target",
                 ActionNames=["iam:GetUser"])
    assert f"iam:SimulatePrincipalPolicy on resource: {USER}target" in msg
    raises("AccessDenied", eve.simulate_custom_policy, PolicyInputList=[POLICY],
           ActionNames=["iam:GetUser"])
    iam.put_user_policy(UserName="eve", PolicyName="sim", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:SimulatePrincipalPolicy", "Resource": USER + "target"},
        {"Effect": "Allow", "Action": ["iam:SimulateCustomPolicy", "iam:GetContextKeysForCustomPolicy"],
         "Resource": "*"}))
    assert eve.simulate_principal_policy(PolicySourceArn=USER + "target",
                                         ActionNames=["iam:GetUser"])["EvaluationResults"]
    raises("AccessDenied", eve.simulate_principal_policy, PolicySourceArn=USER + "eve",
           ActionNames=["iam:GetUser"])
    assert eve.simulate_custom_policy(PolicyInputList=[POLICY], ActionNames=["iam:GetUser"])
    assert eve.get_context_keys_for_custom_policy(PolicyInputList=[POLICY])["ContextKeyNames"]


# The differential test: IAM actions oxiam serves, each with the resource it authorizes on
# and the call that exercises it as the simulated user.
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
CASES = [
    ("iam:GetUser", USER + "other", lambda c: c.get_user(UserName="other")),
    ("iam:GetUser", USER + "sim", lambda c: c.get_user(UserName="sim")),
    ("iam:ListUserTags", USER + "other", lambda c: c.list_user_tags(UserName="other")),
    ("iam:ListAccessKeys", USER + "sim", lambda c: c.list_access_keys(UserName="sim")),
    ("iam:ListUsers", USER, lambda c: c.list_users()),
    ("iam:ListGroups", f"arn:aws:iam::{ACCOUNT}:group/", lambda c: c.list_groups()),
    ("iam:ListRoles", f"arn:aws:iam::{ACCOUNT}:role/", lambda c: c.list_roles()),
    ("iam:GetRole", ROLE, lambda c: c.get_role(RoleName="app")),
    ("iam:ListRoleTags", ROLE, lambda c: c.list_role_tags(RoleName="app")),
    ("iam:GetAccountSummary", "*", lambda c: c.get_account_summary()),
]
ACTIONS = ["iam:GetUser", "iam:Get*", "iam:List*", "iam:ListUser*", "iam:*", "*", "iam:GetRole",
           "iam:ListRoles", "iam:GetAccountSummary", "s3:*", "iam:?etUser"]
RESOURCES = ["*", USER + "*", USER + "sim", USER + "other", ROLE, f"arn:aws:iam::{ACCOUNT}:role/*",
             "arn:aws:iam::*:user/${aws:username}", f"arn:aws:iam::{ACCOUNT}:*", USER]
CONDITIONS = [
    None,
    {"StringEquals": {"aws:username": "sim"}},
    {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
    {"StringEquals": {"aws:PrincipalTag/team": "red"}},
    {"StringLike": {"aws:ResourceTag/env": "prod*"}},
    {"Null": {"aws:ResourceTag/env": "true"}},
]


def random_statement(rng):
    st = {"Effect": rng.choice(["Allow", "Allow", "Deny"]),
          rng.choice(["Action", "Action", "Action", "NotAction"]):
              rng.sample(ACTIONS, rng.randint(1, 3)),
          rng.choice(["Resource", "Resource", "NotResource"]):
              rng.sample(RESOURCES, rng.randint(1, 2))}
    cond = rng.choice(CONDITIONS)
    if cond:
        st["Condition"] = cond
    return st


def random_policy(rng):
    return doc(*[random_statement(rng) for _ in range(rng.randint(1, 3))])


def test_simulator_agrees_with_enforcement_on_random_policies(oxiam):
    iam = oxiam.client("iam")
    rng = random.Random(20261123)
    iam.create_user(UserName="other", Tags=[{"Key": "env", "Value": "production"}])
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}),
        Tags=[{"Key": "env", "Value": "dev"}])
    sim = user_client(oxiam, iam, "sim", Tags=[{"Key": "team", "Value": "blue"}])
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="sim")
    compared, allowed = 0, 0
    for round_ in range(12):  # noqa: B007 (used in messages)
        for name in iam.list_user_policies(UserName="sim")["PolicyNames"]:
            iam.delete_user_policy(UserName="sim", PolicyName=name)
        for name in iam.list_group_policies(GroupName="g")["PolicyNames"]:
            iam.delete_group_policy(GroupName="g", PolicyName=name)
        if iam.get_user(UserName="sim")["User"].get("PermissionsBoundary"):
            iam.delete_user_permissions_boundary(UserName="sim")
        iam.put_user_policy(UserName="sim", PolicyName="u", PolicyDocument=random_policy(rng))
        if rng.random() < 0.5:
            iam.put_group_policy(GroupName="g", PolicyName="g", PolicyDocument=random_policy(rng))
        if rng.random() < 0.3:
            iam.put_user_permissions_boundary(
                UserName="sim", PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        for action, resource, call in CASES:
            r = iam.simulate_principal_policy(PolicySourceArn=USER + "sim", ActionNames=[action],
                                              ResourceArns=[resource], ContextEntries=[
                                                  {"ContextKeyName": "aws:ResourceTag/env",
                                                   "ContextKeyValues": [tag],
                                                   "ContextKeyType": "string"}
                                                  for tag in resource_tag(resource)])
            simulated = r["EvaluationResults"][0]["EvalDecision"] == "allowed"
            try:
                call(sim)
                enforced = True
            except botocore.exceptions.ClientError as e:
                assert e.response["Error"]["Code"] == "AccessDenied", e.response
                enforced = False
            assert simulated == enforced, (round_, action, resource,
                                           iam.get_user_policy(UserName="sim", PolicyName="u"))
            compared += 1
            allowed += enforced
    assert compared == 12 * len(CASES)
    # Both outcomes occur often enough for the comparison to mean something.
    assert compared // 5 < allowed < compared * 4 // 5, allowed


def resource_tag(resource):
    """The aws:ResourceTag/env enforcement sees for a resource (the simulator is told)."""
    return {USER + "other": ["production"], ROLE: ["dev"]}.get(resource, [])
