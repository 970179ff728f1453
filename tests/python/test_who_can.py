"""Who can do X on Y, end to end: entities made with boto3 on the real server, then the real
`oxiam policy who-can` binary and `POST /authorization/v1/who-can` signed with botocore."""
import json
import os
import subprocess
import tempfile

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET
from test_authorization import allow, policy, send, sign

BIN = os.environ.get("OXIAM_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/oxiam"))
OBJECT = "arn:aws:s3:::bucket/key"


def arn(kind, name):
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def world(oxiam):
    """alice reads the bucket through group readers; bob only from the office network; carol
    has every permission but a boundary to IAM; dave assumes role reader; erin may read
    nothing; auditor may call GetAccountAuthorizationDetails; nobody may not."""
    iam = oxiam.client("iam")
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="read",
                         PolicyDocument=policy(allow("s3:GetObject", "arn:aws:s3:::bucket/*")))
    iam.create_policy(PolicyName="IamOnly", PolicyDocument=policy(allow("iam:*", "*")))
    for name in ["alice", "bob", "carol", "dave", "erin", "auditor", "nobody"]:
        iam.create_user(UserName=name)
    iam.add_user_to_group(GroupName="readers", UserName="alice")
    iam.put_user_policy(UserName="bob", PolicyName="office", PolicyDocument=policy(
        allow("s3:GetObject", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    iam.put_user_policy(UserName="carol", PolicyName="all", PolicyDocument=policy(allow("*", "*")))
    iam.put_user_permissions_boundary(UserName="carol",
                                      PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/IamOnly")
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": arn("user", "dave")}}]}))
    iam.put_role_policy(RoleName="reader", PolicyName="read",
                        PolicyDocument=policy(allow("s3:GetObject", "*")))
    iam.put_user_policy(UserName="auditor", PolicyName="audit", PolicyDocument=policy(
        allow("iam:GetAccountAuthorizationDetails", "*")))
    keys = {}
    for name in ["auditor", "nobody"]:
        k = iam.create_access_key(UserName=name)["AccessKey"]
        keys[name] = (k["AccessKeyId"], k["SecretAccessKey"])
    return keys


def cli(oxiam, *args, creds=(ROOT_KEY, ROOT_SECRET)):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=creds[0], AWS_SECRET_ACCESS_KEY=creds[1],
               AWS_REGION="us-east-1")
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run([BIN, "policy", "who-can", "--endpoint", oxiam.endpoint, *args],
                          capture_output=True, text=True, env=env, timeout=60)


def api(oxiam, body, creds=(ROOT_KEY, ROOT_SECRET)):
    req = sign("POST", oxiam.endpoint + "/authorization/v1/who-can", creds,
               json.dumps(body).encode(), {"Content-Type": "application/json"}, service="iam")
    status, _, out = send(req)
    return status, json.loads(out)


def by_principal(answer):
    return {p["principal"]: p for p in answer["principals"]}


def test_the_cli_lists_exactly_who_can_with_paths_and_conditions(oxiam):
    keys = world(oxiam)
    run = cli(oxiam, "--action", "s3:GetObject", "--resource", OBJECT, "--json",
              creds=keys["auditor"])
    assert run.returncode == 1, run.stderr
    found = by_principal(json.loads(run.stdout))
    assert sorted(found) == sorted([f"arn:aws:iam::{ACCOUNT}:root", arn("user", "alice"),
                                    arn("user", "bob"), arn("user", "dave"),
                                    arn("role", "reader")])
    alice = found[arn("user", "alice")]
    assert alice["access"] == "allowed"
    assert alice["paths"][0]["via"] == [{"type": "group", "name": "readers"}]
    assert alice["paths"][0]["statements"] == [{
        "policyType": "identity-based policy", "policy": "read", "statement": 0,
        "effect": "Allow"}]
    bob = found[arn("user", "bob")]
    assert bob["access"] == "conditional"
    assert [(c["operator"], c["key"]) for c in bob["paths"][0]["conditions"]] == \
        [("IpAddress", "aws:sourceip")]
    dave = found[arn("user", "dave")]
    assert dave["paths"][0]["via"] == [{"type": "assumeRole", "name": arn("role", "reader")}]
    assert found[arn("role", "reader")]["upperBound"] is True

    # The context decides bob: in the office he can, elsewhere not.
    run = cli(oxiam, "--action", "s3:GetObject", "--resource", OBJECT, "--json",
              "--context", "aws:SourceIp=10.1.2.3", creds=keys["auditor"])
    assert by_principal(json.loads(run.stdout))[arn("user", "bob")]["access"] == "allowed"
    run = cli(oxiam, "--action", "s3:GetObject", "--resource", OBJECT, "--json",
              "--context", "aws:SourceIp=192.168.1.1", creds=keys["auditor"])
    assert arn("user", "bob") not in by_principal(json.loads(run.stdout))

    # Text output, grouped by principal; carol's boundary leaves her out of S3 but not IAM.
    run = cli(oxiam, "--action", "iam:ListUsers", "--resource", "*", creds=keys["auditor"])
    assert run.returncode == 1, run.stderr
    assert f"user {arn('user', 'carol')}: allowed\n  directly (allowed)\n" in run.stdout
    assert "Allow all: statement 0 [identity-based policy]" in run.stdout
    assert "Allow arn:aws:iam::123456789012:policy/IamOnly: statement 0 [permissions boundary]" \
        in run.stdout

    # Only the root can: exit status 0.
    run = cli(oxiam, "--action", "ec2:RunInstances", "--resource", "*", creds=keys["auditor"])
    assert run.returncode == 0, run.stderr
    assert "No principal besides the account root can." in run.stdout


def test_a_resource_policy_file_is_combined_with_identity_policies(oxiam):
    world(oxiam)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": arn("user", "erin")},
             "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"},
            {"Effect": "Deny", "Principal": {"AWS": arn("user", "alice")},
             "Action": "s3:*", "Resource": "*"}]}))
    try:
        run = cli(oxiam, "--action", "s3:GetObject", "--resource", OBJECT, "--json",
                  "--resource-policy", f.name)
    finally:
        os.unlink(f.name)
    assert run.returncode == 1, run.stderr
    found = by_principal(json.loads(run.stdout))
    assert found[arn("user", "erin")]["paths"][0]["statements"][0]["policyType"] == \
        "resource-based policy"
    assert arn("user", "alice") not in found


def test_the_http_operation_needs_get_account_authorization_details(oxiam):
    keys = world(oxiam)
    status, body = api(oxiam, {"action": "s3:GetObject", "resource": OBJECT},
                       creds=keys["nobody"])
    assert status == 403
    assert body["error"]["code"] == "AccessDenied"
    assert body["error"]["message"].startswith(
        f"User: {arn('user', 'nobody')} is not authorized to perform: "
        "iam:GetAccountAuthorizationDetails on resource: ")
    run = cli(oxiam, "--action", "s3:GetObject", "--resource", OBJECT, creds=keys["nobody"])
    assert run.returncode == 2
    assert "AccessDenied" in run.stderr

    status, body = api(oxiam, {"action": "s3:GetObject", "resource": OBJECT},
                       creds=keys["auditor"])
    assert status == 200
    assert body["account"] == ACCOUNT
    assert arn("user", "alice") in by_principal(body)
    assert arn("user", "nobody") not in by_principal(body)


def test_bad_input_is_a_json_validation_error(oxiam):
    world(oxiam)
    status, body = api(oxiam, {"action": "", "resource": OBJECT})
    assert (status, body["error"]["code"]) == (400, "ValidationError")
    assert body["error"]["message"] == "`action` and `resource` are required"
    status, body = api(oxiam, {"action": "GetObject", "resource": OBJECT})
    assert status == 400
    assert body["error"]["message"] == "`action` GetObject is not of the form service:Action"
    status, body = api(oxiam, {"action": "s3:GetObject", "resource": OBJECT,
                               "resourcePolicy": "{not json"})
    assert status == 400
    assert body["error"]["message"].startswith("`resourcePolicy`: ")
    run = cli(oxiam, "--action", "s3:GetObject", "--resource", OBJECT, "--context", "novalue")
    assert run.returncode == 2
    assert "`--context novalue`: expected key=value" in run.stderr
