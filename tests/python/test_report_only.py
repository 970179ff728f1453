"""Report-only enforcement end to end: the account's mode (`/_oxiam/v1/account/enforcement`,
root only), boto3 calls the policies deny going through while it is on and recorded in the
audit log as would-be denials, the decision API answering allow with `wouldBeDecision`,
another account staying out of reach, GetAccountSummary's `ReportOnlyEnforcement`, and the
console's switch and banner.
"""
import json
import os
import time
import urllib.error
import urllib.request

import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET, Oxiam
from test_console import (  # noqa: F401 (fixtures)
    browser, console_server, new_page, shot, sign_in_root, sign_in_user)

PATH = "/_oxiam/v1/account/enforcement"
ROOT = (ROOT_KEY, ROOT_SECRET)


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def send(method, url, creds, body=b"", service="oxiam", headers=None):
    """A botocore-signed request sent with urllib: (status, JSON body)."""
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if creds is not None:
        SigV4Auth(Credentials(*creds), service, "us-east-1").add_auth(req)
    r = urllib.request.Request(req.url, data=req.body or None, method=method,
                               headers=dict(req.headers))
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def get_mode(server, creds=ROOT):
    return send("GET", server.endpoint + PATH, creds)


def put_mode(server, mode, creds=ROOT):
    return send("PUT", server.endpoint + PATH, creds, json.dumps({"mode": mode}).encode(),
                headers={"Content-Type": "application/json"})


def denied(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    r = e.value.response
    assert r["Error"]["Code"] == "AccessDenied", r
    return r["Error"]["Message"]


def audit_records(server, want):
    """The audit log's records once `want(records)` holds (the log is written by a
    background thread in batches); the last read when it never does."""
    path = os.path.join(server.data.name, "audit", "decisions.jsonl")
    deadline = time.time() + 30
    while True:
        records = []
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                records = [json.loads(line) for line in f if line.strip()]
        if want(records) or time.time() > deadline:
            return records
        time.sleep(0.1)


def question(creds, action, resource, **extra):
    """A decision about a GET that `creds` signed for `myapp` (never sent anywhere)."""
    req = AWSRequest(method="GET", url="http://files.example:9000/files/x")
    SigV4Auth(Credentials(*creds), "myapp", "us-east-1").add_auth(req)
    headers = [[k.lower(), v] for k, v in req.headers.items()]
    headers.append(["host", "files.example:9000"])
    q = {"request": {"method": "GET", "path": "/files/x", "headers": headers},
         "action": action, "resource": resource}
    q.update(extra)
    return q


def decide(server, questions, creds=ROOT):
    return send("POST", server.endpoint + "/authorization/v1/decisions", creds,
                json.dumps({"decisions": questions}).encode(),
                headers={"Content-Type": "application/json"})


@pytest.fixture
def world():
    server = Oxiam([])
    iam = server.client("iam")
    iam.create_user(UserName="worker")
    # Allowed to read itself; explicitly denied tagging; nothing else.
    iam.put_user_policy(UserName="worker", PolicyName="p", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:TagUser", "Resource": "*"}))
    key = iam.create_access_key(UserName="worker")["AccessKey"]
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    yield server, iam, server.client("iam", key=creds[0], secret=creds[1]), creds
    server.stop()


def test_report_only_lets_denied_calls_through_records_them_and_switches_back(world):
    server, iam, worker, creds = world
    user_arn = f"arn:aws:iam::{ACCOUNT}:user/worker"
    # Enforce is the default.
    assert get_mode(server) == (200, {"mode": "ENFORCE"})
    assert iam.get_account_summary()["SummaryMap"]["ReportOnlyEnforcement"] == 0
    implicit = denied(worker.list_users)
    assert implicit == (f"User: {user_arn} is not authorized to perform: iam:ListUsers on "
                        f"resource: arn:aws:iam::{ACCOUNT}:user/ because no identity-based "
                        f"policy allows the iam:ListUsers action")
    explicit = denied(worker.tag_user, UserName="worker", Tags=[{"Key": "k", "Value": "v"}])
    assert explicit.endswith("with an explicit deny in an identity-based policy")

    assert put_mode(server, "REPORT_ONLY") == (200, {"mode": "REPORT_ONLY"})
    assert get_mode(server) == (200, {"mode": "REPORT_ONLY"})
    assert iam.get_account_summary()["SummaryMap"]["ReportOnlyEnforcement"] == 1
    # The same calls go through.
    listed_users = worker.list_users()
    assert "worker" in [u["UserName"] for u in listed_users["Users"]]
    worker.tag_user(UserName="worker", Tags=[{"Key": "k", "Value": "v"}])
    assert iam.list_user_tags(UserName="worker")["Tags"] == [{"Key": "k", "Value": "v"}]
    # What the policies allow is not a would-be denial.
    worker.get_user(UserName="worker")

    def would_be(records):
        return {r["action"]: r for r in records if r["decision"] == "ReportOnlyDeny"}
    found = would_be(audit_records(
        server, lambda rs: {"iam:ListUsers", "iam:TagUser"} <= set(would_be(rs))))
    listed, tagged = found["iam:ListUsers"], found["iam:TagUser"]
    assert listed["principal"] == user_arn and listed["via"] == "api"
    assert listed["requestId"] == listed_users["ResponseMetadata"]["RequestId"]
    assert listed["resource"] == f"arn:aws:iam::{ACCOUNT}:user/"
    assert listed["wouldBeDecision"] == "ImplicitDeny"
    assert listed["deniedBy"] == "identity-based policy"
    assert listed["message"] == implicit
    assert tagged["wouldBeDecision"] == "ExplicitDeny" and tagged["message"] == explicit
    assert "iam:GetUser" not in found

    # The switch stays the root's, report-only or not.
    status, body = put_mode(server, "ENFORCE", creds)
    assert status == 403 and body["error"]["code"] == "AccessDenied"
    assert body["error"]["message"] == (
        f"User: {user_arn} is not authorized to perform: oxiam:PutAccountEnforcement on "
        f"resource: arn:aws:iam::{ACCOUNT}:root because only the account's root user can "
        f"change the enforcement mode")
    assert get_mode(server) == (200, {"mode": "REPORT_ONLY"})

    assert put_mode(server, "ENFORCE") == (200, {"mode": "ENFORCE"})
    assert denied(worker.list_users) == implicit
    assert iam.get_account_summary()["SummaryMap"]["ReportOnlyEnforcement"] == 0


def test_the_switch_refuses_bad_input_strangers_and_non_root_principals(world):
    server, iam, _, creds = world
    status, body = put_mode(server, "AUDIT")
    assert (status, body["error"]["code"]) == (400, "ValidationError")
    assert body["error"]["message"] == "`mode` must be ENFORCE or REPORT_ONLY, not `AUDIT`"
    status, body = send("PUT", server.endpoint + PATH, ROOT, b"nope")
    assert (status, body["error"]["code"]) == (400, "ValidationError")
    assert body["error"]["message"].startswith("the request body is not an enforcement setting")
    # Unsigned, or signed with a wrong secret: authentication first.
    status, body = send("PUT", server.endpoint + PATH, None, b'{"mode":"REPORT_ONLY"}')
    assert status == 403 and body["error"]["code"] == "MissingAuthenticationToken"
    status, body = put_mode(server, "REPORT_ONLY", (ROOT_KEY, "x" * 40))
    assert status == 403 and body["error"]["code"] == "SignatureDoesNotMatch"
    # Even an administrator is not the root.
    iam.attach_user_policy(UserName="worker",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    status, body = put_mode(server, "REPORT_ONLY", creds)
    assert (status, body["error"]["code"]) == (403, "AccessDenied")
    # Reading the mode is an ordinary permission, which AdministratorAccess has.
    assert get_mode(server, creds) == (200, {"mode": "ENFORCE"})
    iam.detach_user_policy(UserName="worker",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    status, body = get_mode(server, creds)
    assert (status, body["error"]["code"]) == (403, "AccessDenied")
    assert "oxiam:GetAccountEnforcement" in body["error"]["message"]


def test_the_decision_api_answers_allow_with_the_would_be_denial(world):
    server, _, _, creds = world
    own = question(creds, "myapp:GetFile", f"arn:aws:myapp::{ACCOUNT}:file/a")
    other = question(creds, "myapp:GetFile", "arn:aws:myapp::999999999999:file/b")
    status, body = decide(server, [own, other])
    assert status == 200
    assert [(d["allowed"], d["decision"]) for d in body["decisions"]] == [
        (False, "ImplicitDeny"), (False, "ImplicitDeny")]
    assert "wouldBeDecision" not in body["decisions"][0]
    assert body["decisions"][0]["deniedBy"] == "identity-based policy"

    assert put_mode(server, "REPORT_ONLY")[0] == 200
    status, body = decide(server, [own, other])
    assert status == 200
    mine, theirs = body["decisions"]
    assert (mine["allowed"], mine["decision"], mine["wouldBeDecision"]) == (
        True, "ReportOnlyDeny", "ImplicitDeny")
    assert mine["deniedBy"] == "identity-based policy"
    assert mine["message"].startswith(f"User: arn:aws:iam::{ACCOUNT}:user/worker is not "
                                      f"authorized to perform: myapp:GetFile")
    assert mine["encodedMessage"]
    # Another account's resource: its policies decide, and none allows.
    assert (theirs["allowed"], theirs["decision"]) == (False, "ImplicitDeny")
    assert "wouldBeDecision" not in theirs
    # An unauthenticated client is still refused.
    forged = question((creds[0], "x" * 40), "myapp:GetFile", f"arn:aws:myapp::{ACCOUNT}:file/a")
    status, body = decide(server, [forged])
    assert (body["decisions"][0]["allowed"], body["decisions"][0]["decision"]) == (
        False, "AuthenticationFailed")
    # The worker itself has no oxiam:Authorize: the call goes through, recorded.
    status, body = decide(server, [own], creds)
    assert status == 200 and body["decisions"][0]["decision"] == "ReportOnlyDeny"
    records = audit_records(server, lambda rs: any(
        r["decision"] == "ReportOnlyDeny" and r["action"] == "oxiam:Authorize" for r in rs))
    authorize = next(r for r in records
                     if r["decision"] == "ReportOnlyDeny" and r["action"] == "oxiam:Authorize")
    assert authorize["via"] == "authorization-api"
    asked = [r for r in records if r["action"] == "myapp:GetFile"
             and r["decision"] == "ReportOnlyDeny"]
    assert asked and asked[0]["wouldBeDecision"] == "ImplicitDeny"
    assert asked[0]["message"] == mine["message"]


def test_a_role_of_the_account_is_assumed_despite_its_trust_policy(world):
    server, iam, _, creds = world
    iam.create_role(RoleName="closed", AssumeRolePolicyDocument=policy(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "sts:AssumeRole"}))
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/closed"
    sts = server.client("sts", key=creds[0], secret=creds[1])
    denied(sts.assume_role, RoleArn=role_arn, RoleSessionName="session")
    assert put_mode(server, "REPORT_ONLY")[0] == 200
    assumed = sts.assume_role(RoleArn=role_arn, RoleSessionName="session")
    assert assumed["AssumedRoleUser"]["Arn"].endswith(":assumed-role/closed/session")
    records = audit_records(server, lambda rs: any(r["action"] == "sts:AssumeRole" for r in rs))
    r = next(r for r in records if r["action"] == "sts:AssumeRole")
    assert (r["decision"], r["resource"]) == ("ReportOnlyDeny", role_arn)
    assert r["requestId"] == assumed["ResponseMetadata"]["RequestId"]
    assert r["message"] == (f"User: arn:aws:iam::{ACCOUNT}:user/worker is not authorized to "
                            f"perform: sts:AssumeRole on resource: {role_arn}")
    # A role that does not exist is not made up.
    denied(sts.assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT}:role/ghost",
           RoleSessionName="session")


def test_cross_account_stays_enforced():
    """A report-only account's users reach nothing of another account, and another
    account's users gain nothing in the report-only one."""
    server = Oxiam(["--dev"])
    try:
        other_account = "210987654321"
        iam = server.client("iam")
        other = server.client("iam", key=other_account, secret="x" * 40)
        other.create_role(RoleName="target", AssumeRolePolicyDocument=policy(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other_account}:root"},
             "Action": "sts:AssumeRole"}))
        iam.create_user(UserName="worker")
        key = iam.create_access_key(UserName="worker")["AccessKey"]
        sts = server.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
        assert put_mode(server, "REPORT_ONLY")[0] == 200
        with pytest.raises(botocore.exceptions.ClientError) as e:
            sts.assume_role(RoleArn=f"arn:aws:iam::{other_account}:role/target",
                            RoleSessionName="session")
        assert e.value.response["Error"]["Code"] == "AccessDenied"
        # The enforcing account's decision API question about the report-only account's
        # resource is decided by the enforcing caller's own mode.
        other.create_user(UserName="visitor")
        vkey = other.create_access_key(UserName="visitor")["AccessKey"]
        q = question((vkey["AccessKeyId"], vkey["SecretAccessKey"]), "myapp:GetFile",
                     f"arn:aws:myapp::{ACCOUNT}:file/a")
        status, body = decide(server, [q])
        assert (status, body["decisions"][0]["allowed"]) == (200, False)
    finally:
        server.stop()


def test_the_console_shows_the_mode_and_the_root_switches_it(browser):  # noqa: F811
    server = console_server()
    try:
        iam = server.client("iam")
        iam.create_user(UserName="viewer")
        iam.create_login_profile(UserName="viewer", Password="Viewer-Pa55word!")
        iam.attach_user_policy(UserName="viewer",
                               PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
        ctx, page = new_page(browser, server)
        sign_in_root(page)
        assert page.query_selector("#report-only-banner") is None
        page.goto("/console/account-settings")
        assert page.inner_text("#enforcement-mode") == "Enforce"
        page.click("#enforcement-switch")
        page.wait_for_selector("#report-only-banner")
        assert page.inner_text("#enforcement-mode") == "Report-only"
        assert "REPORT-ONLY" in page.inner_text("#report-only-banner")
        assert get_mode(server) == (200, {"mode": "REPORT_ONLY"})
        shot(page, "30-report-only")
        ctx.close()

        # A user sees the banner and the mode, has no switch, and gets through a denial.
        ctx, page = new_page(browser, server)
        sign_in_user(page, "viewer", "Viewer-Pa55word!")
        page.wait_for_selector("h1:has-text('IAM dashboard')")
        assert page.query_selector("#report-only-banner") is not None
        page.goto("/console/account-settings")
        assert page.query_selector("#enforcement-switch") is None
        assert "Only the account's root user" in page.inner_text("#enforcement")
        page.goto("/console/create-user")
        page.fill("#username", "reported")
        page.click("button:has-text('Next: Review')")
        page.click("button:has-text('Create user')")
        page.wait_for_load_state()
        assert "reported" in [u["UserName"] for u in iam.list_users()["Users"]]
        ctx.close()
        records = audit_records(server, lambda rs: any(
            r["action"] == "iam:CreateUser" and r["decision"] == "ReportOnlyDeny" for r in rs))
        created = next(r for r in records if r["action"] == "iam:CreateUser")
        assert created["via"] == "console" and created["principal"].endswith(":user/viewer")

        ctx, page = new_page(browser, server)
        sign_in_root(page)
        page.goto("/console/account-settings")
        page.click("#enforcement-switch")
        page.wait_for_selector("#enforcement-mode:has-text('Enforce')")
        assert page.query_selector("#report-only-banner") is None
        assert get_mode(server) == (200, {"mode": "ENFORCE"})
        ctx.close()
    finally:
        server.stop()
