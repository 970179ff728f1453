"""The access advisor from real traffic: GenerateServiceLastAccessedDetails and the reports
of users, groups, roles and managed policies, ListPoliciesGrantingServiceAccess, through
boto3 and the AWS CLI against the real server. What is recorded is what the server saw:
every call below is a real signed request (allowed or denied), through the IAM API, STS
role sessions and the authorization API."""
import json
import os
import subprocess
import sys
import time

import botocore.exceptions
import pytest

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET
from test_authorization import send, sign

IAM_NAME = "AWS Identity and Access Management"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def keys_of(iam, name):
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def report(iam, arn, granularity="SERVICE_LEVEL"):
    job = iam.generate_service_last_accessed_details(Arn=arn, Granularity=granularity)["JobId"]
    assert len(job) == 36
    for _ in range(50):
        out = iam.get_service_last_accessed_details(JobId=job)
        if out["JobStatus"] != "IN_PROGRESS":
            break
        time.sleep(0.1)
    assert out["JobStatus"] == "COMPLETED"
    return job, out


def by_namespace(out):
    return {s["ServiceNamespace"]: s for s in out["ServicesLastAccessed"]}


def code_of(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def alice(oxiam):
    """alice may use IAM reads and S3; she reads IAM once and tries to create a user once
    (denied: an attempt is recorded too)."""
    iam = oxiam.client("iam")
    iam.create_user(UserName="alice", Path="/eng/")
    iam.put_user_policy(UserName="alice", PolicyName="work",
                        PolicyDocument=policy(allow(["iam:Get*", "iam:List*", "iam:CreateUser"]),
                                              allow("s3:*")))
    iam.put_user_policy(UserName="alice", PolicyName="no-create",
                        PolicyDocument=policy({"Effect": "Deny", "Action": "iam:CreateUser",
                                               "Resource": "*"}))
    own = oxiam.client("iam", *keys_of(iam, "alice"))
    own.get_user()
    own.list_users()
    with pytest.raises(botocore.exceptions.ClientError):
        own.create_user(UserName="mallory")
    return iam


def test_a_user_report_lists_the_allowed_services_and_what_was_attempted(oxiam, alice):
    iam = alice
    arn = f"arn:aws:iam::{ACCOUNT}:user/eng/alice"
    _, out = report(iam, arn)
    assert out["JobType"] == "SERVICE_LEVEL"
    assert out["JobCompletionDate"] >= out["JobCreationDate"]
    services = by_namespace(out)
    # Allowed by an Allow statement: IAM and S3; nothing else (EC2 is not allowed).
    assert set(services) == {"iam", "s3"}
    assert [s["ServiceNamespace"] for s in out["ServicesLastAccessed"]] == ["iam", "s3"]
    used = services["iam"]
    assert used["ServiceName"] == IAM_NAME
    assert used["LastAuthenticatedEntity"] == arn
    assert used["LastAuthenticatedRegion"] == "us-east-1"
    assert used["TotalAuthenticatedEntities"] == 1
    age = time.time() - used["LastAuthenticated"].timestamp()
    assert 0 <= age < 120
    assert "TrackedActionsLastAccessed" not in used, "service level only"
    # Allowed but never attempted: listed without an attempt.
    unused = services["s3"]
    assert unused["ServiceName"] == "Amazon S3"
    for member in ("LastAuthenticated", "LastAuthenticatedEntity", "TotalAuthenticatedEntities"):
        assert member not in unused


def test_action_level_lists_each_action_attempted_denied_ones_too(oxiam, alice):
    _, out = report(alice, f"arn:aws:iam::{ACCOUNT}:user/eng/alice", "ACTION_LEVEL")
    assert out["JobType"] == "ACTION_LEVEL"
    tracked = by_namespace(out)["iam"]["TrackedActionsLastAccessed"]
    names = [a["ActionName"] for a in tracked]
    assert names == ["CreateUser", "GetUser", "ListUsers"]
    for a in tracked:
        assert a["LastAccessedEntity"] == f"arn:aws:iam::{ACCOUNT}:user/eng/alice"
        assert a["LastAccessedRegion"] == "us-east-1"
    assert "TrackedActionsLastAccessed" not in by_namespace(out)["s3"]


def test_group_reports_count_every_member_and_name_the_latest(oxiam):
    iam = oxiam.client("iam")
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="read",
                         PolicyDocument=policy(allow("iam:List*")))
    clients = {}
    for name in ("ann", "bob", "cid"):
        iam.create_user(UserName=name)
        iam.add_user_to_group(GroupName="readers", UserName=name)
        clients[name] = oxiam.client("iam", *keys_of(iam, name))
    clients["ann"].list_groups()
    time.sleep(1.1)  # one second apart: the dates IAM reports have seconds
    clients["bob"].list_users()
    job, out = report(iam, f"arn:aws:iam::{ACCOUNT}:group/readers")
    used = by_namespace(out)["iam"]
    assert used["LastAuthenticatedEntity"] == f"arn:aws:iam::{ACCOUNT}:user/bob"
    assert used["TotalAuthenticatedEntities"] == 2
    details = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="iam")
    assert details["JobStatus"] == "COMPLETED"
    entities = details["EntityDetailsList"]
    assert [e["EntityInfo"]["Name"] for e in entities] == ["bob", "ann", "cid"]
    assert entities[0]["EntityInfo"]["Type"] == "USER"
    assert entities[0]["EntityInfo"]["Id"].startswith("AIDA")
    assert entities[0]["LastAuthenticated"] > entities[1]["LastAuthenticated"]
    assert "LastAuthenticated" not in entities[2], "cid never tried"
    page = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="iam", MaxItems=2)
    assert page["IsTruncated"] and len(page["EntityDetailsList"]) == 2
    rest = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="iam", Marker=page["Marker"])
    assert [e["EntityInfo"]["Name"] for e in rest["EntityDetailsList"]] == ["cid"]


def test_policy_reports_count_the_roles_sessions(oxiam):
    iam = oxiam.client("iam")
    arn = iam.create_policy(PolicyName="lister",
                            PolicyDocument=policy(allow("iam:ListRoles")))["Policy"]["Arn"]
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}))
    iam.attach_role_policy(RoleName="ops", PolicyArn=arn)
    iam.create_user(UserName="runner")
    iam.put_user_policy(UserName="runner", PolicyName="assume",
                        PolicyDocument=policy(allow("sts:AssumeRole")))
    creds = oxiam.client("sts", *keys_of(iam, "runner")).assume_role(
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ops", RoleSessionName="night")["Credentials"]
    oxiam.client("iam", creds["AccessKeyId"], creds["SecretAccessKey"],
                 creds["SessionToken"]).list_roles()
    job, out = report(iam, arn, "ACTION_LEVEL")
    used = by_namespace(out)["iam"]
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/ops"
    assert used["LastAuthenticatedEntity"] == role_arn
    assert [a["ActionName"] for a in used["TrackedActionsLastAccessed"]] == ["ListRoles"]
    assert set(by_namespace(out)) == {"iam"}
    entities = iam.get_service_last_accessed_details_with_entities(
        JobId=job, ServiceNamespace="iam")["EntityDetailsList"]
    assert [(e["EntityInfo"]["Arn"], e["EntityInfo"]["Type"]) for e in entities] == [
        (role_arn, "ROLE")]


def test_the_authorization_api_records_the_services_own_actions(oxiam):
    """An application's `myapp:` actions, decided through the authorization API, show up
    in the report as a service of their own."""
    iam = oxiam.client("iam")
    iam.create_user(UserName="holly")
    iam.put_user_policy(UserName="holly", PolicyName="app",
                        PolicyDocument=policy(allow("myapp:Get*")))
    holly = keys_of(iam, "holly")
    asked = sign("GET", "http://files.example:9000/files/x", holly)
    headers = [[k.lower(), v] for k, v in asked.headers.items()]
    headers.append(["host", "files.example:9000"])
    question = {"request": {"method": "GET", "path": "/files/x", "headers": headers},
                "action": "myapp:GetFile", "resource": "arn:aws:myapp:::file/x"}
    body = json.dumps({"decisions": [question]}).encode()
    status, _, out = send(sign("POST", oxiam.endpoint + "/authorization/v1/decisions",
                               (ROOT_KEY, ROOT_SECRET), body,
                               {"Content-Type": "application/json"}, service="oxiam"))
    assert status == 200 and json.loads(out)["decisions"][0]["allowed"]
    _, out = report(iam, f"arn:aws:iam::{ACCOUNT}:user/holly", "ACTION_LEVEL")
    app = by_namespace(out)["myapp"]
    assert app["ServiceName"] == "myapp"
    assert app["LastAuthenticatedEntity"] == f"arn:aws:iam::{ACCOUNT}:user/holly"
    assert [a["ActionName"] for a in app["TrackedActionsLastAccessed"]] == ["GetFile"]


def test_policies_granting_service_access_name_their_entity(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="dev")
    iam.create_group(GroupName="builders")
    iam.add_user_to_group(GroupName="builders", UserName="dev")
    iam.put_user_policy(UserName="dev", PolicyName="own",
                        PolicyDocument=policy(allow("s3:GetObject")))
    iam.put_group_policy(GroupName="builders", PolicyName="build",
                         PolicyDocument=policy(allow("iam:*"), allow("s3:*")))
    iam.attach_group_policy(GroupName="builders",
                            PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.put_group_policy(GroupName="builders", PolicyName="all-but-iam",
                         PolicyDocument=policy({"Effect": "Allow", "NotAction": "iam:*",
                                                "Resource": "*"}))
    out = iam.list_policies_granting_service_access(
        Arn=f"arn:aws:iam::{ACCOUNT}:user/dev", ServiceNamespaces=["s3", "iam", "ec2"])
    assert out["IsTruncated"] is False
    entries = {e["ServiceNamespace"]: e["Policies"] for e in out["PoliciesGrantingServiceAccess"]}
    assert list(entries) == ["s3", "iam", "ec2"]
    summary = {ns: sorted((p["PolicyName"], p["PolicyType"], p.get("EntityType"),
                           p.get("EntityName"), p.get("PolicyArn")) for p in ps)
               for ns, ps in entries.items()}
    assert summary["s3"] == [
        ("all-but-iam", "INLINE", "GROUP", "builders", None),
        ("build", "INLINE", "GROUP", "builders", None),
        ("own", "INLINE", "USER", "dev", None)]
    assert summary["iam"] == [
        ("IAMReadOnlyAccess", "MANAGED", None, None,
         "arn:aws:iam::aws:policy/IAMReadOnlyAccess"),
        ("build", "INLINE", "GROUP", "builders", None)]
    assert summary["ec2"] == [("all-but-iam", "INLINE", "GROUP", "builders", None)]
    # A group lists only its own policies.
    group = iam.list_policies_granting_service_access(
        Arn=f"arn:aws:iam::{ACCOUNT}:group/builders", ServiceNamespaces=["s3"])
    names = sorted(p["PolicyName"] for p in group["PoliciesGrantingServiceAccess"][0]["Policies"])
    assert names == ["all-but-iam", "build"]


def test_errors(oxiam):
    iam = oxiam.client("iam")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_service_last_accessed_details(JobId="examplef-1305-c245-eba4-71fe298bcda7")
    assert code_of(e) == ("NoSuchEntity", "No such job: examplef-1305-c245-eba4-71fe298bcda7.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT}:user/nobody")
    assert code_of(e) == ("NoSuchEntity", "The user with name nobody cannot be found.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.generate_service_last_accessed_details(
            Arn=f"arn:aws:iam::{ACCOUNT}:policy/nothing-here")
    assert code_of(e) == ("NoSuchEntity",
                          f"Policy arn:aws:iam::{ACCOUNT}:policy/nothing-here was not found.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.generate_service_last_accessed_details(Arn="arn:aws:s3:::some-bucket-name")
    assert code_of(e) == ("InvalidInput", "ARN arn:aws:s3:::some-bucket-name is not valid.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.list_policies_granting_service_access(
            Arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess", ServiceNamespaces=["iam"])
    assert code_of(e) == ("InvalidInput", "Invalid ARN arn:aws:iam::aws:policy/IAMReadOnlyAccess: "
                                          "it must name a user, group or role.")


def test_a_user_without_permission_is_denied_the_report(oxiam, alice):
    iam = alice
    iam.create_user(UserName="eve")
    eve = oxiam.client("iam", *keys_of(iam, "eve"))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        eve.generate_service_last_accessed_details(Arn=f"arn:aws:iam::{ACCOUNT}:user/eng/alice")
    code, message = code_of(e)
    assert code == "AccessDenied"
    assert message.endswith("iam:GenerateServiceLastAccessedDetails on resource: "
                            f"arn:aws:iam::{ACCOUNT}:user/eng/alice because no identity-based "
                            "policy allows the iam:GenerateServiceLastAccessedDetails action")


def test_the_aws_cli_reads_a_report(oxiam, alice):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_KEY, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=oxiam.endpoint)
    aws = [os.path.join(os.path.dirname(sys.executable), "aws")]

    def cli(*args):
        out = subprocess.run([*aws, "iam", *args, "--output", "json"], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    job = cli("generate-service-last-accessed-details", "--arn",
              f"arn:aws:iam::{ACCOUNT}:user/eng/alice")["JobId"]
    got = cli("get-service-last-accessed-details", "--job-id", job)
    assert got["JobStatus"] == "COMPLETED"
    assert {s["ServiceNamespace"] for s in got["ServicesLastAccessed"]} == {"iam", "s3"}
