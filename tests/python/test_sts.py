"""boto3 against the real oxiam server: STS temporary credentials — AssumeRole (same and
cross-account, chaining, session policies, tags, source identity), the AssumeRole credential
provider of a profile, GetSessionToken, GetFederationToken, GetAccessKeyInfo, expiry on the
dev-mode clock, and the denials."""
import base64
import datetime
import json
import os
import urllib.request

import boto3
import botocore.exceptions
import pytest

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET, Oxiam

OTHER = "111122223333"
TRUST_ACTIONS = ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]


@pytest.fixture
def dev():
    server = Oxiam(["--dev"])
    yield server
    server.stop()


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal, actions=("sts:AssumeRole",), condition=None):
    st = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": list(actions)}
    if condition:
        st["Condition"] = condition
    return doc(st)


def raises(code, fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    err = e.value.response["Error"]
    assert err["Code"] == code, (err["Code"], err["Message"])
    return err["Message"]


def creds_client(server, service, creds):
    return server.client(service, creds["AccessKeyId"], creds["SecretAccessKey"],
                         creds["SessionToken"])


def seconds_left(creds):
    """How long temporary credentials just issued have left (server and test share a clock)."""
    return (creds["Expiration"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()


def user(server, iam, name, policy=None):
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def advance_clock(server, seconds):
    req = urllib.request.Request(f"{server.endpoint}/_oxiam/clock?advance={seconds}",
                                 method="POST")
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())["offset_seconds"]


def user_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def role_arn(name, account=ACCOUNT):
    return f"arn:aws:iam::{account}:role/{name}"


def test_assume_role_and_use_the_credentials(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "alice")
    iam.create_role(RoleName="reader", Path="/app/",
                    AssumeRolePolicyDocument=trust(user_arn("alice")),
                    Tags=[{"Key": "team", "Value": "red"}])
    iam.attach_role_policy(RoleName="reader",
                           PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    sts = oxiam.client("sts", ak, sk)
    out = sts.assume_role(RoleArn=role_arn("app/reader"), RoleSessionName="job-1")
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/job-1"
    role = iam.get_role(RoleName="reader")["Role"]
    assert out["AssumedRoleUser"] == {"Arn": arn, "AssumedRoleId": role["RoleId"] + ":job-1"}
    c = out["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA") and len(c["AccessKeyId"]) == 20
    assert len(c["SecretAccessKey"]) == 40
    assert 3500 < (c["Expiration"] - role["CreateDate"]).total_seconds() < 3700
    assert "PackedPolicySize" not in out
    who = creds_client(oxiam, "sts", c).get_caller_identity()
    assert who["Arn"] == arn and who["UserId"] == role["RoleId"] + ":job-1"
    assert who["Account"] == ACCOUNT
    session_iam = creds_client(oxiam, "iam", c)
    assert [u["UserName"] for u in session_iam.list_users()["Users"]] == ["alice"]
    msg = raises("AccessDenied", session_iam.create_user, UserName="bob")
    assert msg == (f"User: {arn} is not authorized to perform: iam:CreateUser on resource: "
                   f"{user_arn('bob')} because no identity-based policy allows the "
                   "iam:CreateUser action")
    msg = raises("ValidationError", session_iam.get_user)
    assert msg == "Must specify userName when calling with non-User credentials"
    # The role's last use is recorded.
    assert "LastUsedDate" in iam.get_role(RoleName="reader")["Role"]["RoleLastUsed"]
    # GetAccessKeyInfo knows the account of long-term and temporary keys.
    root_sts = oxiam.client("sts")
    assert root_sts.get_access_key_info(AccessKeyId=c["AccessKeyId"])["Account"] == ACCOUNT
    assert root_sts.get_access_key_info(AccessKeyId=ak)["Account"] == ACCOUNT


def test_assume_role_denials(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "alice")
    user(oxiam, iam, "bob")
    iam.create_role(RoleName="bobs", AssumeRolePolicyDocument=trust(user_arn("bob")))
    sts = oxiam.client("sts", ak, sk)
    for arn in [role_arn("bobs"), role_arn("missing"), role_arn("other/bobs")]:
        msg = raises("AccessDenied", sts.assume_role, RoleArn=arn, RoleSessionName="s1")
        assert msg == (f"User: {user_arn('alice')} is not authorized to perform: "
                       f"sts:AssumeRole on resource: {arn}")
    # A trust policy naming only the account delegates to the caller's identity policies.
    iam.create_role(RoleName="acct", AssumeRolePolicyDocument=trust(ACCOUNT))
    raises("AccessDenied", sts.assume_role, RoleArn=role_arn("acct"), RoleSessionName="s1")
    iam.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn("acct")}))
    sts.assume_role(RoleArn=role_arn("acct"), RoleSessionName="s1")
    # ExternalId and RoleSessionName conditions.
    iam.create_role(RoleName="ext", AssumeRolePolicyDocument=trust(
        user_arn("alice"), condition={"StringEquals": {"sts:ExternalId": "abc-123"},
                                      "StringLike": {"sts:RoleSessionName": "ci-*"}}))
    raises("AccessDenied", sts.assume_role, RoleArn=role_arn("ext"), RoleSessionName="ci-1")
    raises("AccessDenied", sts.assume_role, RoleArn=role_arn("ext"), RoleSessionName="ci-1",
           ExternalId="wrong-id")
    raises("AccessDenied", sts.assume_role, RoleArn=role_arn("ext"), RoleSessionName="x1",
           ExternalId="abc-123")
    sts.assume_role(RoleArn=role_arn("ext"), RoleSessionName="ci-1", ExternalId="abc-123")
    # The root may not assume roles; a code of a device that does not exist is refused.
    msg = raises("AccessDenied", oxiam.client("sts").assume_role, RoleArn=role_arn("acct"),
                 RoleSessionName="s1")
    assert msg == "Roles may not be assumed by root accounts."
    raises("AccessDenied", sts.assume_role, RoleArn=role_arn("acct"), RoleSessionName="s1",
           SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/alice", TokenCode="123456")
    # Validation: durations, policies.
    raises("ValidationError", sts.assume_role, RoleArn=role_arn("acct"), RoleSessionName="s1",
           DurationSeconds=7200)
    raises("ValidationError", sts.assume_role, RoleArn=role_arn("acct"),
           RoleSessionName="bad name")
    raises("MalformedPolicyDocument", sts.assume_role, RoleArn=role_arn("acct"),
           RoleSessionName="s1", Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}')
    big = doc({"Effect": "Allow", "Action": "iam:GetRole",
               "Resource": "arn:aws:iam::*:role/" + "r" * 2100})
    msg = raises("PackedPolicyTooLarge", sts.assume_role, RoleArn=role_arn("acct"),
                 RoleSessionName="s1", Policy=big)
    assert msg.startswith("Packed policy consumes ") and msg.endswith("% of allotted space")
    iam.update_role(RoleName="acct", MaxSessionDuration=7200)
    out = sts.assume_role(RoleArn=role_arn("acct"), RoleSessionName="s1", DurationSeconds=7200)
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_session_policies_narrow_and_expiry_follows_the_clock(dev):
    iam = dev.client("iam")
    ak, sk = user(dev, iam, "alice")
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=trust(user_arn("alice")))
    iam.attach_role_policy(RoleName="admin",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    sts = dev.client("sts", ak, sk)
    out = sts.assume_role(RoleArn=role_arn("admin"), RoleSessionName="narrow",
                          DurationSeconds=900,
                          Policy=doc({"Effect": "Allow", "Action": "iam:GetRole",
                                      "Resource": "*"}),
                          PolicyArns=[{"arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}])
    assert 0 < out["PackedPolicySize"] <= 100
    session = creds_client(dev, "iam", out["Credentials"])
    assert session.get_role(RoleName="admin")["Role"]["RoleName"] == "admin"
    msg = raises("AccessDenied", session.list_users)
    assert msg.endswith("because no session policy allows the iam:ListUsers action")
    wide = creds_client(dev, "iam", sts.assume_role(
        RoleArn=role_arn("admin"), RoleSessionName="wide")["Credentials"])
    wide.create_user(UserName="made-by-role")
    # 15 minutes later the narrow session has expired; the hour-long one has not.
    advance_clock(dev, 901)
    msg = raises("ExpiredToken", session.get_role, RoleName="admin")
    assert msg == "The security token included in the request is expired"
    assert wide.get_user(UserName="made-by-role")["User"]["UserName"] == "made-by-role"
    advance_clock(dev, 3600)
    raises("ExpiredToken", wide.list_users)


def test_tampered_token_and_deleted_role_are_refused(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "alice")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust(user_arn("alice")))
    c = oxiam.client("sts", ak, sk).assume_role(RoleArn=role_arn("r"),
                                               RoleSessionName="s1")["Credentials"]
    raw = bytearray(base64.b64decode(c["SessionToken"]))
    raw[len(raw) // 2] ^= 1
    tampered = dict(c, SessionToken=base64.b64encode(bytes(raw)).decode())
    msg = raises("InvalidClientTokenId", creds_client(oxiam, "sts", tampered).get_caller_identity)
    assert msg == "The security token included in the request is invalid."
    # A token presented with another key ID, or a secret that does not match, fails.
    other = dict(c, AccessKeyId="ASIA" + c["AccessKeyId"][4:][::-1])
    raises("InvalidClientTokenId", creds_client(oxiam, "sts", other).get_caller_identity)
    wrong = dict(c, SecretAccessKey="x" * 40)
    raises("SignatureDoesNotMatch", creds_client(oxiam, "sts", wrong).get_caller_identity)
    creds_client(oxiam, "sts", c).get_caller_identity()
    # Deleting the role ends its sessions, and a new role of the same name does not revive them.
    iam.delete_role(RoleName="r")
    raises("InvalidClientTokenId", creds_client(oxiam, "sts", c).get_caller_identity)
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust(user_arn("alice")))
    raises("InvalidClientTokenId", creds_client(oxiam, "sts", c).get_caller_identity)


def test_role_chaining_tags_and_source_identity(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "alice")
    iam.create_role(RoleName="first", AssumeRolePolicyDocument=trust(user_arn("alice"),
                                                                     TRUST_ACTIONS))
    iam.put_role_policy(RoleName="first", PolicyName="chain", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession",
                                       "sts:SetSourceIdentity"], "Resource": "*"}))
    iam.create_role(RoleName="second", MaxSessionDuration=7200,
                    AssumeRolePolicyDocument=trust(role_arn("first"), TRUST_ACTIONS))
    # The second role may read only roles tagged like the session's `team` tag.
    iam.put_role_policy(RoleName="second", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}",
                                        "aws:SourceIdentity": "alice@example.com"}}}))
    iam.tag_role(RoleName="second", Tags=[{"Key": "team", "Value": "red"}])
    sts = oxiam.client("sts", ak, sk)
    first = sts.assume_role(RoleArn=role_arn("first"), RoleSessionName="one",
                            SourceIdentity="alice@example.com",
                            Tags=[{"Key": "team", "Value": "red"},
                                  {"Key": "project", "Value": "x"}],
                            TransitiveTagKeys=["team"])
    assert first["SourceIdentity"] == "alice@example.com"
    first_sts = creds_client(oxiam, "sts", first["Credentials"])
    # Chained sessions last at most an hour.
    msg = raises("ValidationError", first_sts.assume_role, RoleArn=role_arn("second"),
                 RoleSessionName="two", DurationSeconds=3601)
    assert msg == ("The requested DurationSeconds exceeds the 1 hour session limit for roles "
                   "assumed by role chaining.")
    # A transitive tag cannot be overridden (InvalidParameterValue, as AWS answers), the
    # source identity cannot change.
    raises("InvalidParameterValue", first_sts.assume_role, RoleArn=role_arn("second"),
           RoleSessionName="two", Tags=[{"Key": "team", "Value": "blue"}])
    raises("ValidationError", first_sts.assume_role, RoleArn=role_arn("second"),
           RoleSessionName="two", SourceIdentity="mallory")
    second = first_sts.assume_role(RoleArn=role_arn("second"), RoleSessionName="two")
    assert second["SourceIdentity"] == "alice@example.com"
    assert second["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{ACCOUNT}:assumed-role/second/two"
    second_iam = creds_client(oxiam, "iam", second["Credentials"])
    # team=red came through the chain (transitive); the source identity too.
    assert second_iam.get_role(RoleName="second")["Role"]["RoleName"] == "second"
    raises("AccessDenied", second_iam.get_role, RoleName="first")
    # Tags need sts:TagSession in the trust policy.
    iam.create_role(RoleName="notags", AssumeRolePolicyDocument=trust(user_arn("alice")))
    msg = raises("AccessDenied", sts.assume_role, RoleArn=role_arn("notags"),
                 RoleSessionName="s1", Tags=[{"Key": "k", "Value": "v"}])
    assert "sts:TagSession" in msg
    raises("AccessDenied", sts.assume_role, RoleArn=role_arn("notags"), RoleSessionName="s1",
           SourceIdentity="alice")
    raises("ValidationError", sts.assume_role, RoleArn=role_arn("first"), RoleSessionName="s1",
           Tags=[{"Key": "k", "Value": "v"}], TransitiveTagKeys=["other"])


def test_cross_account_needs_both_sides(dev):
    # Dev mode: an unknown 12-digit key ID is the root of that account.
    other_iam = dev.client("iam", OTHER, "x" * 40)
    other_iam.create_role(RoleName="shared", AssumeRolePolicyDocument=trust(ACCOUNT))
    other_iam.attach_role_policy(RoleName="shared",
                                 PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam = dev.client("iam")
    ak, sk = user(dev, iam, "alice")
    sts = dev.client("sts", ak, sk)
    shared = role_arn("shared", OTHER)
    # The trust policy allows the account, but alice's own policies do not allow the call.
    msg = raises("AccessDenied", sts.assume_role, RoleArn=shared, RoleSessionName="x1")
    assert msg == (f"User: {user_arn('alice')} is not authorized to perform: sts:AssumeRole "
                   f"on resource: {shared}")
    iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": shared}))
    out = sts.assume_role(RoleArn=shared, RoleSessionName="x1")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{OTHER}:assumed-role/shared/x1"
    c = out["Credentials"]
    assert dev.client("sts").get_access_key_info(AccessKeyId=c["AccessKeyId"])["Account"] == OTHER
    who = creds_client(dev, "sts", c).get_caller_identity()
    assert who["Account"] == OTHER
    assert creds_client(dev, "iam", c).get_role(RoleName="shared")["Role"]["Arn"] == shared
    # Without the other account's trust, the identity policy alone is not enough.
    other_iam.update_assume_role_policy(RoleName="shared",
                                        PolicyDocument=trust("arn:aws:iam::444455556666:root"))
    raises("AccessDenied", sts.assume_role, RoleArn=shared, RoleSessionName="x1")


def test_assume_role_credential_provider_of_a_profile(oxiam, tmp_path, monkeypatch):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "alice")
    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=trust(user_arn("alice")))
    iam.attach_role_policy(RoleName="deploy",
                           PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    config = tmp_path / "config"
    config.write_text(
        "[profile base]\n"
        f"aws_access_key_id = {ak}\naws_secret_access_key = {sk}\n"
        "[profile deploy]\n"
        f"role_arn = {role_arn('deploy')}\nsource_profile = base\n"
        "role_session_name = from-profile\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_ENDPOINT_URL", oxiam.endpoint)
    for var in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]:
        monkeypatch.delenv(var, raising=False)
    session = boto3.Session(profile_name="deploy")
    who = session.client("sts").get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/from-profile"
    assert session.get_credentials().get_frozen_credentials().token
    assert session.client("iam").get_role(RoleName="deploy")["Role"]["RoleName"] == "deploy"


def test_get_session_token(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "alice", doc({"Effect": "Allow", "Action": "iam:*",
                                            "Resource": "*"}))
    c = oxiam.client("sts", ak, sk).get_session_token(DurationSeconds=900)["Credentials"]
    assert c["AccessKeyId"].startswith("ASIA")
    assert 840 < seconds_left(c) <= 901
    sts = creds_client(oxiam, "sts", c)
    who = sts.get_caller_identity()
    assert who["Arn"] == user_arn("alice")
    assert who["UserId"] == iam.get_user(UserName="alice")["User"]["UserId"]
    msg = raises("AccessDenied", sts.get_session_token)
    assert msg == "Cannot call GetSessionToken with session credentials"
    # Without MFA, GetSessionToken credentials may not call IAM.
    raises("AccessDenied", creds_client(oxiam, "iam", c).list_users)
    raises("AccessDenied", oxiam.client("sts", ak, sk).get_session_token,
           SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/alice", TokenCode="123456")
    raises("ValidationError", oxiam.client("sts", ak, sk).get_session_token,
           DurationSeconds=129601)
    # A user's session may last 36 hours; the root's lasts at most an hour: a longer request
    # (or none, where a user would get 12 hours) gets the hour, a shorter one is kept.
    long = oxiam.client("sts", ak, sk).get_session_token(DurationSeconds=129600)["Credentials"]
    assert 129540 < seconds_left(long) <= 129601
    root_sts = oxiam.client("sts")
    root = root_sts.get_session_token(DurationSeconds=129600)["Credentials"]
    assert 3540 < seconds_left(root) <= 3601
    assert 3540 < seconds_left(root_sts.get_session_token()["Credentials"]) <= 3601
    assert 840 < seconds_left(root_sts.get_session_token(DurationSeconds=900)["Credentials"]) <= 901
    assert creds_client(oxiam, "sts", root).get_caller_identity()["Arn"] == \
        f"arn:aws:iam::{ACCOUNT}:root"


def test_get_federation_token(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "alice", doc({"Effect": "Allow", "Action": "sts:*",
                                            "Resource": "*"}))
    sts = oxiam.client("sts", ak, sk)
    out = sts.get_federation_token(Name="carol", Policy=doc(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    assert out["FederatedUser"] == {
        "FederatedUserId": f"{ACCOUNT}:carol",
        "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/carol"}
    assert out["PackedPolicySize"] > 0
    fed = creds_client(oxiam, "sts", out["Credentials"])
    who = fed.get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/carol"
    assert who["UserId"] == f"{ACCOUNT}:carol"
    raises("AccessDenied", fed.get_federation_token, Name="dave")
    raises("AccessDenied", creds_client(oxiam, "iam", out["Credentials"]).list_users)
    raises("ValidationError", sts.get_federation_token, Name="bad name")
    # The user's own policies must allow sts:GetFederationToken.
    bk, bs = user(oxiam, iam, "bob")
    msg = raises("AccessDenied", oxiam.client("sts", bk, bs).get_federation_token, Name="eve")
    assert (f"sts:GetFederationToken on resource: arn:aws:sts::{ACCOUNT}:federated-user/eve"
            in msg)
