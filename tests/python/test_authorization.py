"""Issue 9 end to end: the music-files example behind `oxiam guard`, and the decision API.

Real SigV4-signed requests (botocore's signer, sent with urllib) go through the guard to
the example file service (examples/music-files/file_service.py); the guard asks oxiam's
decision API. Users: a subscriber (reads audio), a copyright holder (reads, uploads its own
files, reads its label's catalogue by principal tag), an employee (everything, but deletes
need MFA), a role (trusting the employee) for temporary credentials. Resource policies, cross-account, resource
tags and batches are asked of the decision API directly, as a service embedding
oxiam-client would.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from unittest import mock

import pytest
from botocore.auth import S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET, Oxiam

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "../../examples/music-files")
OTHER_ACCOUNT = "999999999999"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource, **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


def sign(method, url, creds, body=b"", headers=None, service="myapp", at=None):
    """A botocore-signed request (AWSRequest); `at` signs with another clock."""
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = SigV4Auth(Credentials(*creds), service, "us-east-1")
    if at is None:
        signer.add_auth(req)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(req)
    return req


def send(req):
    """Sends a signed AWSRequest; returns (status, headers, body)."""
    body = req.body if req.body else None
    r = urllib.request.Request(req.url, data=body, method=req.method, headers=dict(req.headers))
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def start(cmd, env, prefix):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith(prefix):
            return proc, line.split()[-1]
    proc.kill()
    raise AssertionError(f"{cmd[0]} did not start")


class Music:
    """oxiam + the file service + the guard, with the example's users."""

    def __init__(self):
        self.oxiam = Oxiam([])
        iam = self.oxiam.client("iam")
        self.iam = iam
        self.creds = {}

        def user(name, document, tags=()):
            iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in tags])
            if document:
                iam.put_user_policy(UserName=name, PolicyName="music", PolicyDocument=document)
            key = iam.create_access_key(UserName=name)["AccessKey"]
            self.creds[name] = (key["AccessKeyId"], key["SecretAccessKey"])

        # The guard's own identity: it may ask for decisions, nothing else.
        user("music-guard", policy(allow("oxiam:Authorize", "*")))
        user("sam", policy(
            allow("myapp:GetFile", "arn:aws:myapp:::file/audio/*",
                  Condition={"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
            allow("myapp:GetFile", "arn:aws:myapp:::file/shared/*",
                  Condition={"StringEquals": {"aws:ResourceTag/visibility": "public"}})))
        user("holly", policy(
            allow("myapp:GetFile", "arn:aws:myapp:::file/audio/*"),
            allow("myapp:PutFile", "arn:aws:myapp:::file/audio/${aws:username}/*"),
            allow("myapp:GetFile", "arn:aws:myapp:::file/labels/${aws:PrincipalTag/label}/*")),
            tags=[("label", "indie")])
        user("emma", policy(
            allow("myapp:*", "*"),
            {"Sid": "DeletesNeedMFA", "Effect": "Deny", "Action": "myapp:DeleteFile",
             "Resource": "*",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}))
        user("nora", None)
        iam.create_role(
            RoleName="listener",
            AssumeRolePolicyDocument=policy({"Effect": "Allow", "Action": "sts:AssumeRole",
                                             "Principal": {"AWS": arn("emma")}}))
        iam.put_role_policy(RoleName="listener", PolicyName="listen",
                            PolicyDocument=policy(allow("myapp:GetFile", "arn:aws:myapp:::file/audio/*")))

        self.files = tempfile.TemporaryDirectory()
        self.service, self.service_url = start(
            [sys.executable, os.path.join(EXAMPLE, "file_service.py"), "--port", "0",
             "--root", self.files.name], dict(os.environ), "file service listening on ")
        guard_key, guard_secret = self.creds["music-guard"]
        env = dict(os.environ, OXIAM_GUARD_ACCESS_KEY_ID=guard_key,
                   OXIAM_GUARD_SECRET_ACCESS_KEY=guard_secret, RUST_LOG="warn")
        binary = os.environ.get("OXIAM_BIN", os.path.join(HERE, "../../target/debug/oxiam"))
        self.guard, self.url = start(
            [binary, "guard", "--listen", "127.0.0.1:0", "--upstream", self.service_url,
             "--service-prefix", "myapp", "--rules", os.path.join(EXAMPLE, "rules.toml"),
             "--oxiam-url", self.oxiam.endpoint, "--trust-forwarded-for"],
            env, "oxiam guard listening on ")

    def stop(self):
        for p in (self.guard, self.service):
            p.terminate()
            p.wait(timeout=30)
        self.oxiam.stop()
        self.files.cleanup()

    def call(self, who, method, path, body=b"", headers=None, **kw):
        creds = self.creds[who] if isinstance(who, str) else who
        return send(sign(method, self.url + path, creds, body, headers, **kw))

    def decide(self, questions, creds=None):
        """Calls the decision API directly, signed as the guard (or `creds`)."""
        body = json.dumps({"decisions": questions}).encode()
        req = sign("POST", self.oxiam.endpoint + "/authorization/v1/decisions",
                   creds or self.creds["music-guard"], body,
                   {"Content-Type": "application/json"}, service="oxiam")
        status, _, out = send(req)
        return status, json.loads(out)

    def question(self, who, action, resource, **extra):
        """A decision about a GET the client `who` signed (never sent anywhere)."""
        creds = self.creds[who] if isinstance(who, str) else who
        url = "http://files.example:9000/files/x"
        req = sign("GET", url, creds)
        headers = [[k.lower(), v] for k, v in req.headers.items()]
        headers.append(["host", "files.example:9000"])
        q = {"request": {"method": "GET", "path": "/files/x", "headers": headers},
             "action": action, "resource": resource, "sourceIp": "127.0.0.1"}
        q.update(extra)
        return q


@pytest.fixture(scope="module")
def music():
    m = Music()
    yield m
    m.stop()


def arn(name):
    return f"arn:aws:iam::{ACCOUNT}:user/{name}"


def error_code(body):
    text = body.decode()
    return text.split("<Code>")[1].split("</Code>")[0] if "<Code>" in text else text


def test_holders_upload_their_own_files_and_subscribers_read(music):
    status, headers, _ = music.call("holly", "PUT", "/files/audio/holly/song.mp3", b"la la la")
    assert status == 201
    assert headers["X-Served-For"] == arn("holly")
    status, headers, body = music.call("sam", "GET", "/files/audio/holly/song.mp3")
    assert (status, body) == (200, b"la la la")
    # The file service sees the principal the guard put in X-Oxiam-Principal-Arn.
    assert headers["X-Served-For"] == arn("sam")


def test_denials_are_access_denied_with_a_decodable_message(music):
    status, _, body = music.call("sam", "PUT", "/files/audio/sam/mine.mp3", b"x")
    assert status == 403 and error_code(body) == "AccessDenied"
    text = body.decode()
    assert f"User: {arn('sam')} is not authorized to perform: myapp:PutFile" in text
    encoded = text.split("Encoded authorization failure message: ")[1].split("</Message>")[0]
    # The AWS CLI decodes it, as root.
    cli = os.path.join(os.path.dirname(sys.executable), "aws")
    out = subprocess.run(
        [cli, "sts", "decode-authorization-message", "--encoded-message", encoded,
         "--endpoint-url", music.oxiam.endpoint, "--output", "json"],
        env=dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_KEY, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
                 AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                 AWS_SHARED_CREDENTIALS_FILE="/dev/null"),
        capture_output=True, text=True, check=True)
    decoded = json.loads(json.loads(out.stdout)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is False
    assert decoded["context"]["action"] == "myapp:PutFile"
    assert decoded["context"]["resource"] == "arn:aws:myapp:::file/audio/sam/mine.mp3"
    assert decoded["context"]["principal"]["arn"] == arn("sam")
    keys = {c["key"]: c["values"]["items"] for c in decoded["context"]["conditions"]["items"]}
    assert keys["aws:SourceIp"] == [{"value": "127.0.0.1"}]
    # Holders upload only under their own name.
    status, _, _ = music.call("holly", "PUT", "/files/audio/sam/x.mp3", b"x")
    assert status == 403


def test_decoding_needs_permission_and_a_real_message(music):
    sts_sam = music.oxiam.client("sts", *music.creds["sam"])
    with pytest.raises(sts_sam.exceptions.ClientError) as e:
        sts_sam.decode_authorization_message(EncodedMessage="anything")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    sts_root = music.oxiam.client("sts")
    with pytest.raises(sts_root.exceptions.ClientError) as e:
        sts_root.decode_authorization_message(EncodedMessage="bm90IGEgbWVzc2FnZQ==")
    assert e.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"


def test_employees_do_everything_but_delete_without_mfa(music):
    status, _, _ = music.call("emma", "PUT", "/files/labels/indie/catalogue.txt", b"indie")
    assert status == 201
    status, _, body = music.call("emma", "DELETE", "/files/labels/indie/catalogue.txt")
    assert status == 403 and error_code(body) == "AccessDenied"
    assert "with an explicit deny in an identity-based policy" in body.decode()


def test_principal_tags_select_the_holders_label(music):
    music.call("emma", "PUT", "/files/labels/indie/catalogue.txt", b"indie")
    music.call("emma", "PUT", "/files/labels/major/catalogue.txt", b"major")
    status, _, body = music.call("holly", "GET", "/files/labels/indie/catalogue.txt")
    assert (status, body) == (200, b"indie")
    status, _, _ = music.call("holly", "GET", "/files/labels/major/catalogue.txt")
    assert status == 403


def test_source_ip_conditions(music):
    music.call("holly", "PUT", "/files/audio/holly/ip.mp3", b"x")
    status, _, _ = music.call("sam", "GET", "/files/audio/holly/ip.mp3",
                              headers={"X-Forwarded-For": "127.0.0.9"})
    assert status == 200
    status, _, _ = music.call("sam", "GET", "/files/audio/holly/ip.mp3",
                              headers={"X-Forwarded-For": "203.0.113.7"})
    assert status == 403


def test_temporary_credentials_of_a_role(music):
    music.call("holly", "PUT", "/files/audio/holly/role.mp3", b"r")
    sts = music.oxiam.client("sts", *music.creds["emma"])
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/listener",
                        RoleSessionName="player-1")["Credentials"]
    creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    status, headers, body = music.call(creds, "GET", "/files/audio/holly/role.mp3")
    assert (status, body) == (200, b"r")
    assert headers["X-Served-For"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/listener/player-1"
    status, _, _ = music.call(creds, "PUT", "/files/audio/holly/role.mp3", b"no")
    assert status == 403
    # A session token that was tampered with is not accepted.
    bad = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"][:-8] + "AAAAAAA=")
    status, _, body = music.call(bad, "GET", "/files/audio/holly/role.mp3")
    assert status == 403 and error_code(body) == "InvalidClientTokenId"


def test_bad_signatures_replays_and_unsigned_requests_are_rejected(music):
    music.call("holly", "PUT", "/files/audio/holly/sig.mp3", b"s")
    req = sign("GET", music.url + "/files/audio/holly/sig.mp3", music.creds["sam"])
    auth = req.headers["Authorization"]
    req.headers.replace_header("Authorization", auth[:-1] + ("0" if auth[-1] != "0" else "1"))
    status, _, body = send(req)
    assert status == 403 and error_code(body) == "SignatureDoesNotMatch"
    # A wrong secret.
    status, _, body = music.call((music.creds["sam"][0], "x" * 40), "GET",
                                 "/files/audio/holly/sig.mp3")
    assert status == 403 and error_code(body) == "SignatureDoesNotMatch"
    # A request signed 20 minutes ago (a replay after the SigV4 window) is refused.
    old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - \
        datetime.timedelta(minutes=20)
    status, _, body = music.call("sam", "GET", "/files/audio/holly/sig.mp3", at=old)
    assert status == 403 and "expired" in body.decode().lower()
    # The same signed request replayed within the window is what SigV4 allows.
    req = sign("GET", music.url + "/files/audio/holly/sig.mp3", music.creds["sam"])
    assert send(req)[0] == 200 and send(req)[0] == 200
    # A body changed after signing.
    req = sign("PUT", music.url + "/files/audio/holly/sig.mp3", music.creds["holly"], b"one")
    req.data = b"two"
    status, _, body = send(req)
    assert status == 403 and error_code(body) == "SignatureDoesNotMatch"
    # Unsigned, and signed for another service.
    status, _, body = send(AWSRequest(method="GET", url=music.url + "/files/audio/holly/sig.mp3"))
    assert status == 403 and error_code(body) == "MissingAuthenticationToken"
    status, _, _ = music.call("sam", "GET", "/files/audio/holly/sig.mp3", service="s3")
    assert status == 403
    # A path no rule covers.
    assert music.call("emma", "GET", "/admin")[0] == 403


def test_the_decision_api_needs_oxiam_authorize(music):
    status, body = music.decide([music.question("sam", "myapp:GetFile", "*")],
                                creds=music.creds["sam"])
    assert status == 403 and body["error"]["code"] == "AccessDenied"
    status, body = music.decide([music.question("sam", "myapp:GetFile", "*")],
                                creds=(music.creds["sam"][0], "x" * 40))
    assert status == 403 and body["error"]["code"] == "SignatureDoesNotMatch"
    status, body = music.decide([])
    assert status == 400 and body["error"]["code"] == "ValidationError"


def test_batches_answer_in_order_with_principal_and_reasons(music):
    status, body = music.decide([
        music.question("holly", "myapp:GetFile", "arn:aws:myapp:::file/audio/a.mp3"),
        music.question("holly", "myapp:PutFile", "arn:aws:myapp:::file/audio/x/a.mp3"),
        music.question("emma", "myapp:DeleteFile", "arn:aws:myapp:::file/a"),
    ])
    assert status == 200
    a, b, c = body["decisions"]
    assert a["allowed"] and a["decision"] == "Allow"
    assert a["principal"] == {"arn": arn("holly"), "account": ACCOUNT,
                              "userId": a["principal"]["userId"], "tags": {"label": "indie"}}
    assert a["principal"]["userId"].startswith("AIDA")
    assert a["reasons"] == [{"effect": "Allow", "policyType": "identity-based policy",
                             "policy": "music", "statement": 0}]
    assert not b["allowed"] and b["decision"] == "ImplicitDeny" and b["encodedMessage"]
    assert c["decision"] == "ExplicitDeny"
    assert c["reasons"][0]["sid"] == "DeletesNeedMFA"


def test_resource_policies_and_cross_account(music):
    grant_nora = policy({"Effect": "Allow", "Principal": {"AWS": arn("nora")},
                         "Action": "myapp:GetFile", "Resource": "*"})
    trust_account = policy({"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
                            "Action": "myapp:*", "Resource": "*"})
    deny_all = policy({"Effect": "Deny", "Principal": "*", "Action": "myapp:*", "Resource": "*"})
    res = "arn:aws:myapp:::file/audio/a.mp3"
    other = f"arn:aws:myapp::{OTHER_ACCOUNT}:file/audio/a.mp3"
    status, body = music.decide([
        # Same account: a resource policy naming the user is enough (nora has no policy).
        music.question("nora", "myapp:GetFile", res, resourcePolicy=grant_nora),
        music.question("nora", "myapp:GetFile", res),
        # Another account's resource: emma's identity policy alone is not enough...
        music.question("emma", "myapp:GetFile", other),
        # ...with the resource policy trusting emma's account it is...
        music.question("emma", "myapp:GetFile", other, resourcePolicy=trust_account),
        # ...but the resource policy alone is not: nora has no identity policy.
        music.question("nora", "myapp:GetFile", other, resourcePolicy=trust_account),
        # A deny in the resource policy wins over every allow.
        music.question("emma", "myapp:GetFile", res, resourcePolicy=deny_all),
        # resourceAccount names the owner when the ARN has no account field.
        music.question("emma", "myapp:GetFile", res, resourceAccount=OTHER_ACCOUNT),
    ])
    assert status == 200
    got = [d["decision"] for d in body["decisions"]]
    assert got == ["Allow", "ImplicitDeny", "ImplicitDeny", "Allow", "ImplicitDeny",
                   "ExplicitDeny", "ImplicitDeny"]
    assert body["decisions"][3]["reasons"][0]["policyType"] == "resource-based policy"
    status, body = music.decide([music.question("nora", "myapp:GetFile", res,
                                                resourcePolicy="{not json")])
    assert status == 400 and body["error"]["code"] == "ValidationError"


def test_resource_tags_and_extra_context(music):
    shared = "arn:aws:myapp:::file/shared/a.txt"
    status, body = music.decide([
        music.question("sam", "myapp:GetFile", shared, resourceTags={"visibility": "public"}),
        music.question("sam", "myapp:GetFile", shared, resourceTags={"visibility": "private"}),
        music.question("sam", "myapp:GetFile", shared),
        # aws:SourceIp comes from the field the service forwards.
        music.question("sam", "myapp:GetFile", "arn:aws:myapp:::file/audio/a",
                       sourceIp="198.51.100.1"),
    ])
    assert status == 200
    assert [d["allowed"] for d in body["decisions"]] == [True, False, False, False]


def test_every_decision_is_audited(music):
    music.call("sam", "PUT", "/files/audio/sam/audited.mp3", b"x")
    binary = os.environ.get("OXIAM_BIN", os.path.join(HERE, "../../target/debug/oxiam"))
    deadline = time.time() + 30
    while True:
        out = subprocess.run(
            [binary, "audit", "--data-dir", music.oxiam.data.name, "--principal", arn("sam"),
             "--action", "myapp:PutFile", "--decision", "deny"],
            capture_output=True, text=True, check=True).stdout
        records = [json.loads(line) for line in out.splitlines()]
        if any(r["resource"].endswith("sam/audited.mp3") for r in records) or time.time() > deadline:
            break
        time.sleep(0.2)
    r = next(r for r in records if r["resource"].endswith("sam/audited.mp3"))
    assert r["decision"] == "ImplicitDeny"
    assert r["caller"] == arn("music-guard")
    assert r["sourceIp"] == "127.0.0.1"
    allowed = subprocess.run(
        [binary, "audit", "--data-dir", music.oxiam.data.name, "--decision", "allow",
         "--principal", arn("holly")], capture_output=True, text=True, check=True).stdout
    assert all(json.loads(line)["decision"] == "Allow" for line in allowed.splitlines())
    assert "music#0" in allowed


def totp(seed_b32, step):
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    word = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (word % 1_000_000)


def test_employees_delete_with_an_mfa_session(music):
    music.call("emma", "PUT", "/files/audio/emma/old.mp3", b"old")
    dev = music.iam.create_virtual_mfa_device(VirtualMFADeviceName="emma")["VirtualMFADevice"]
    serial, seed = dev["SerialNumber"], dev["Base32StringSeed"].decode()
    step = int(time.time()) // 30
    music.iam.enable_mfa_device(UserName="emma", SerialNumber=serial,
                                AuthenticationCode1=totp(seed, step - 2),
                                AuthenticationCode2=totp(seed, step - 1))
    sts = music.oxiam.client("sts", *music.creds["emma"])
    plain = sts.get_session_token()["Credentials"]
    plain = (plain["AccessKeyId"], plain["SecretAccessKey"], plain["SessionToken"])
    assert music.call(plain, "DELETE", "/files/audio/emma/old.mp3")[0] == 403
    c = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, step))["Credentials"]
    mfa = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    status, headers, _ = music.call(mfa, "DELETE", "/files/audio/emma/old.mp3")
    assert status == 204
    assert headers["X-Served-For"] == arn("emma")


def test_nginx_auth_request_mode(music):
    guard_key, guard_secret = music.creds["music-guard"]
    env = dict(os.environ, OXIAM_GUARD_ACCESS_KEY_ID=guard_key,
               OXIAM_GUARD_SECRET_ACCESS_KEY=guard_secret, RUST_LOG="warn")
    binary = os.environ.get("OXIAM_BIN", os.path.join(HERE, "../../target/debug/oxiam"))
    proc, url = start(
        [binary, "guard", "--listen", "127.0.0.1:0", "--auth-request",
         "--service-prefix", "myapp", "--rules", os.path.join(EXAMPLE, "rules.toml"),
         "--oxiam-url", music.oxiam.endpoint], env, "oxiam guard listening on ")
    try:
        def ask(who, method, uri):
            # The client signed its request to nginx (host music.example); nginx passes the
            # headers, the original method and URI to the auth subrequest.
            req = sign(method, "http://music.example" + uri, music.creds[who])
            headers = dict(req.headers)
            headers.update({"Host": "music.example", "X-Original-Method": method,
                            "X-Original-URI": uri})
            r = urllib.request.Request(url + "/_oxiam_auth", headers=headers)
            try:
                with urllib.request.urlopen(r, timeout=30) as resp:
                    return resp.status, resp.headers
            except urllib.error.HTTPError as e:
                return e.code, e.headers

        status, headers = ask("sam", "GET", "/files/audio/holly/a%20b.mp3")
        assert status == 200
        assert headers["X-Oxiam-Principal-Arn"] == arn("sam")
        assert headers["X-Oxiam-Principal-Account"] == ACCOUNT
        assert headers["X-Oxiam-Principal-User-Id"].startswith("AIDA")
        assert ask("sam", "DELETE", "/files/audio/holly/a.mp3")[0] == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def presign(url, creds, expires=3600, at=None, s3=False, method="GET"):
    """A presigned URL made by botocore: `SigV4QueryAuth` (other services: the payload hash
    is the empty body's) or, with `s3`, `S3SigV4QueryAuth` (`UNSIGNED-PAYLOAD`)."""
    req = AWSRequest(method=method, url=url)
    cls = S3SigV4QueryAuth if s3 else SigV4QueryAuth
    signer = cls(Credentials(*creds), "myapp", "us-east-1", expires=expires)
    if at is None:
        signer.add_auth(req)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at):
            signer.add_auth(req)
    return req.url


def fetch(url, method="GET", body=None):
    r = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(r, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def message_of(body):
    return body.decode().split("<Message>")[1].split("</Message>")[0]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def test_presigned_urls_through_the_guard(music):
    music.call("holly", "PUT", "/files/audio/holly/pre.mp3", b"presigned")
    url = music.url + "/files/audio/holly/pre.mp3"
    for s3 in (False, True):
        status, headers, body = fetch(presign(url, music.creds["sam"], s3=s3))
        assert (status, body) == (200, b"presigned"), body
        assert headers["X-Served-For"] == arn("sam")
    # Authenticated, but not allowed.
    status, _, body = fetch(presign(url, music.creds["nora"]))
    assert status == 403 and error_code(body) == "AccessDenied"
    assert f"User: {arn('nora')} is not authorized" in body.decode()
    # Past X-Amz-Expires: S3's answer (even before the signature is looked at).
    two_hours_ago = utcnow() - datetime.timedelta(hours=2)
    expired = presign(url, music.creds["sam"], expires=3600, at=two_hours_ago)
    status, _, body = fetch(expired)
    assert (status, error_code(body), message_of(body)) == (403, "AccessDenied",
                                                            "Request has expired")
    # Still inside its validity, though signed long ago.
    status, _, _ = fetch(presign(url, music.creds["sam"], expires=3 * 3600, at=two_hours_ago))
    assert status == 200
    # Signed for the future, beyond the 15-minute skew.
    soon = presign(url, music.creds["sam"], at=utcnow() + datetime.timedelta(hours=1))
    status, _, body = fetch(soon)
    assert (status, error_code(body), message_of(body)) == (403, "AccessDenied",
                                                            "Request is not yet valid")
    # More than seven days is refused as S3 refuses it.
    status, _, body = fetch(presign(url, music.creds["sam"], expires=604801))
    assert status == 400 and error_code(body) == "AuthorizationQueryParametersError"
    assert "604800" in message_of(body)
    assert fetch(presign(url, music.creds["sam"], expires=604800))[0] == 200
    # Tampering: another path, another or an added parameter, a wrong secret.
    good = presign(url, music.creds["sam"])
    for bad in (good.replace("/holly/pre.mp3", "/holly/other.mp3"),
                good.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200"),
                good.replace("?", "?extra=1&", 1),
                presign(url, (music.creds["sam"][0], "x" * 40))):
        status, _, body = fetch(bad)
        assert status == 403 and error_code(body) == "SignatureDoesNotMatch", bad
    # A URL without its signature is not signed at all.
    status, _, body = fetch(good.split("&X-Amz-Signature=")[0])
    assert status == 403 and error_code(body) == "IncompleteSignature"


def test_presigned_uploads_follow_s3(music):
    url = music.url + "/files/audio/holly/upload.mp3"
    # S3's presigned PUT leaves the payload unsigned: the body that comes with it is stored.
    status, headers, _ = fetch(presign(url, music.creds["holly"], s3=True, method="PUT"),
                               method="PUT", body=b"uploaded")
    assert status == 201 and headers["X-Served-For"] == arn("holly")
    assert music.call("sam", "GET", "/files/audio/holly/upload.mp3")[2] == b"uploaded"
    # A URL that signed the (empty) payload does not carry another body.
    status, _, body = fetch(presign(url, music.creds["holly"], method="PUT"),
                            method="PUT", body=b"changed")
    assert status == 403 and error_code(body) == "SignatureDoesNotMatch"
    # Uploads elsewhere are still the policy's to allow.
    status, _, body = fetch(presign(music.url + "/files/audio/sam/x.mp3", music.creds["holly"],
                                    s3=True, method="PUT"), method="PUT", body=b"x")
    assert status == 403 and error_code(body) == "AccessDenied"


def test_presigned_urls_of_temporary_credentials(music):
    music.call("holly", "PUT", "/files/audio/holly/temp.mp3", b"t")
    sts = music.oxiam.client("sts", *music.creds["emma"])
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/listener",
                        RoleSessionName="link")["Credentials"]
    creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    url = presign(music.url + "/files/audio/holly/temp.mp3", creds)
    assert "X-Amz-Security-Token=" in url
    status, headers, body = fetch(url)
    assert (status, body) == (200, b"t")
    assert headers["X-Served-For"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/listener/link"
    # The session token is part of what is signed.
    other = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/listener",
                            RoleSessionName="other")["Credentials"]["SessionToken"]
    swapped = url.replace(urllib.parse.quote(c["SessionToken"], safe=""),
                          urllib.parse.quote(other, safe=""))
    assert swapped != url
    assert error_code(fetch(swapped)[2]) in ("InvalidClientTokenId", "SignatureDoesNotMatch")


def test_presigned_urls_stop_with_their_session():
    """A presigned URL of temporary credentials ends with the session (dev mode's STS clock
    moves past its expiry), asked of the decision API directly."""
    from test_sts import advance_clock
    server = Oxiam(["--dev"])
    try:
        iam = server.client("iam")
        iam.create_user(UserName="lee")
        iam.put_user_policy(UserName="lee", PolicyName="read", PolicyDocument=policy(
            allow("myapp:GetFile", "arn:aws:myapp:::file/*")))
        key = iam.create_access_key(UserName="lee")["AccessKey"]
        sts = server.client("sts", key["AccessKeyId"], key["SecretAccessKey"])
        c = sts.get_session_token(DurationSeconds=900)["Credentials"]
        url = presign("http://files.example:9000/files/a%20b.mp3?versionId=3",
                      (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]))
        parts = urllib.parse.urlsplit(url)

        def decide():
            q = {"request": {"method": "GET", "path": parts.path, "query": parts.query,
                             "headers": [["host", parts.netloc]]},
                 "action": "myapp:GetFile", "resource": "arn:aws:myapp:::file/a b.mp3"}
            req = sign("POST", server.endpoint + "/authorization/v1/decisions",
                       (ROOT_KEY, ROOT_SECRET), json.dumps({"decisions": [q]}).encode(),
                       {"Content-Type": "application/json"}, service="oxiam")
            status, _, out = send(req)
            assert status == 200, out
            return json.loads(out)["decisions"][0]

        d = decide()
        assert d["decision"] == "Allow" and d["principal"]["arn"] == arn("lee")
        advance_clock(server, 901)
        d = decide()
        assert (d["decision"], d["errorCode"]) == ("AuthenticationFailed", "ExpiredToken")
    finally:
        server.stop()


def decode(music, encoded, creds=(ROOT_KEY, ROOT_SECRET)):
    sts = music.oxiam.client("sts", *creds)
    return json.loads(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])


def encoded_of(body):
    return body.decode().split("Encoded authorization failure message: ")[1].split("<")[0]


def test_decoded_messages_describe_the_deny_statement(music):
    music.call("emma", "PUT", "/files/audio/emma/keep.mp3", b"k")
    req = sign("DELETE", music.url + "/files/audio/emma/keep.mp3", music.creds["emma"])
    status, _, body = send(req)
    assert status == 403
    m = decode(music, encoded_of(body))
    assert m["allowed"] is False and m["explicitDeny"] is True
    emma_id = music.iam.get_user(UserName="emma")["User"]["UserId"]
    assert m["matchedStatements"]["items"] == [{
        "statementId": "DeletesNeedMFA", "effect": "DENY",
        "principals": {"items": [{"value": emma_id}]}, "principalGroups": {"items": []},
        "actions": {"items": [{"value": "myapp:DeleteFile"}]},
        "resources": {"items": [{"value": "*"}]},
        "conditions": {"items": [{"key": "aws:MultiFactorAuthPresent",
                                  "values": {"items": [{"value": "false"}]}}]}}]
    assert m["failures"] == {"items": []}
    assert m["context"]["principal"] == {"id": emma_id, "name": "emma", "arn": arn("emma")}
    assert m["context"]["action"] == "myapp:DeleteFile"
    assert m["context"]["resource"] == "arn:aws:myapp:::file/audio/emma/keep.mp3"
    keys = {c["key"]: [v["value"] for v in c["values"]["items"]]
            for c in m["context"]["conditions"]["items"]}
    assert keys["aws:username"] == ["emma"] and keys["aws:PrincipalArn"] == [arn("emma")]
    assert keys["aws:SourceIp"] == ["127.0.0.1"]
    # What the client signed with is not in it.
    text = json.dumps(m)
    signature = req.headers["Authorization"].split("Signature=")[1]
    assert signature not in text and music.creds["emma"][1] not in text
    # An implicit deny has no matched statement.
    status, _, body = music.call("sam", "PUT", "/files/audio/sam/no.mp3", b"x")
    m = decode(music, encoded_of(body))
    assert m["explicitDeny"] is False and m["matchedStatements"]["items"] == []


def test_decoded_messages_of_resource_policies_and_sessions(music):
    deny = policy({"Sid": "NoNora", "Effect": "Deny", "Principal": {"AWS": [arn("nora")]},
                   "Action": ["myapp:GetFile", "myapp:PutFile"],
                   "Resource": "arn:aws:myapp:::file/audio/*",
                   "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8"]}}})
    status, body = music.decide([music.question("nora", "myapp:GetFile",
                                                "arn:aws:myapp:::file/audio/a.mp3",
                                                resourcePolicy=deny)])
    assert status == 200 and body["decisions"][0]["decision"] == "ExplicitDeny"
    m = decode(music, body["decisions"][0]["encodedMessage"])
    (stmt,) = m["matchedStatements"]["items"]
    assert stmt["statementId"] == "NoNora"
    assert stmt["principals"] == {"items": [{"value": arn("nora")}]}
    assert stmt["actions"] == {"items": [{"value": "myapp:GetFile"}, {"value": "myapp:PutFile"}]}
    assert stmt["conditions"] == {"items": [{"key": "aws:SourceIp", "values": {
        "items": [{"value": "127.0.0.0/8"}, {"value": "10.0.0.0/8"}]}}]}
    # A role session presigning: the message names the session, never its token.
    sts = music.oxiam.client("sts", *music.creds["emma"])
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/listener",
                        RoleSessionName="leaky")["Credentials"]
    creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    url = presign(music.url + "/files/audio/holly/nope.mp3", creds, s3=True, method="PUT")
    status, _, body = fetch(url, method="PUT", body=b"x")
    assert status == 403 and error_code(body) == "AccessDenied"
    m = decode(music, encoded_of(body))
    assert m["context"]["principal"]["arn"] == \
        f"arn:aws:sts::{ACCOUNT}:assumed-role/listener/leaky"
    assert "name" not in m["context"]["principal"]
    text = json.dumps(m)
    assert c["SessionToken"] not in text and c["SecretAccessKey"] not in text
    assert url.split("X-Amz-Signature=")[1] not in text


def test_decoding_a_real_message_needs_the_permission(music):
    status, _, body = music.call("sam", "PUT", "/files/audio/sam/m.mp3", b"x")
    encoded = encoded_of(body)
    # sam may not decode, not even a message about his own request.
    sts_sam = music.oxiam.client("sts", *music.creds["sam"])
    with pytest.raises(sts_sam.exceptions.ClientError) as e:
        sts_sam.decode_authorization_message(EncodedMessage=encoded)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    # A user allowed sts:DecodeAuthorizationMessage may.
    music.iam.create_user(UserName="auditor")
    music.iam.put_user_policy(UserName="auditor", PolicyName="decode", PolicyDocument=policy(
        allow("sts:DecodeAuthorizationMessage", "*")))
    key = music.iam.create_access_key(UserName="auditor")["AccessKey"]
    m = decode(music, encoded, (key["AccessKeyId"], key["SecretAccessKey"]))
    assert m["context"]["principal"]["arn"] == arn("sam")


def log_fields(line):
    """The `key=value` fields of a text log line (values in quotes unquoted)."""
    return {k: json.loads(v) if v.startswith('"') else v
            for k, v in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line)}


def test_a_report_only_guard_forwards_policy_denials_and_logs_them(music):
    """`oxiam guard --report-only`: what the policies deny is forwarded and logged with the
    denial's details; what is not a policy decision (no rule, a bad signature) is still
    refused."""
    guard_key, guard_secret = music.creds["music-guard"]
    env = dict(os.environ, OXIAM_GUARD_ACCESS_KEY_ID=guard_key,
               OXIAM_GUARD_SECRET_ACCESS_KEY=guard_secret, RUST_LOG="warn", NO_COLOR="1")
    binary = os.environ.get("OXIAM_BIN", os.path.join(HERE, "../../target/debug/oxiam"))
    log = tempfile.NamedTemporaryFile(mode="w+", suffix=".log")
    proc = subprocess.Popen(
        [binary, "guard", "--listen", "127.0.0.1:0",
         "--upstream", music.service_url,
         "--service-prefix", "myapp", "--rules", os.path.join(EXAMPLE, "rules.toml"),
         "--oxiam-url", music.oxiam.endpoint, "--report-only"],
        stdout=subprocess.PIPE, stderr=log, env=env, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("oxiam guard listening on "), line
        url = line.split()[-1]

        def call(who, method, path, body=b""):
            creds = music.creds[who] if isinstance(who, str) else who
            return send(sign(method, url + path, creds, body))

        # nora has no policy: the enforcing guard refuses her, this one forwards.
        assert music.call("nora", "PUT", "/files/audio/nora/r.mp3", b"x")[0] == 403
        status, headers, _ = call("nora", "PUT", "/files/audio/nora/r.mp3", b"reported")
        assert status == 201 and headers["X-Served-For"] == arn("nora")
        status, _, body = call("holly", "GET", "/files/audio/nora/r.mp3")
        assert (status, body) == (200, b"reported")
        # Not policy decisions: refused as by an enforcing guard.
        status, _, body = call("nora", "GET", "/no-rule-matches-this")
        assert status == 403 and error_code(body) == "AccessDenied"
        key, _ = music.creds["nora"]
        status, _, body = call((key, "wrong-secret"), "GET", "/files/audio/nora/r.mp3")
        assert status == 403 and error_code(body) == "SignatureDoesNotMatch"

        deadline = time.time() + 30
        while True:
            log.seek(0)
            text = re.sub(r"\x1b\[[0-9;]*m", "", log.read())
            would = [log_fields(x) for x in text.splitlines()
                     if "report-only: would be denied" in x]
            if would or time.time() > deadline:
                break
            time.sleep(0.1)
        assert len(would) == 1, text
        w = would[0]
        assert w["principal"] == arn("nora") and w["action"] == "myapp:PutFile"
        assert w["resource"] == "arn:aws:myapp:::file/audio/nora/r.mp3"
        assert w["would_be"] == "ImplicitDeny" and w["denied_by"] == "identity-based policy"
        assert w["denial_message"].startswith(f"User: {arn('nora')} is not authorized to perform: "
                                       "myapp:PutFile")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_a_guard_deciding_in_process(music):
    """`oxiam guard --data-dir`: no HTTP call to oxiam and no credentials of its own; it
    follows the installation's store like a node, so IAM changes reach it."""
    binary = os.environ.get("OXIAM_BIN", os.path.join(HERE, "../../target/debug/oxiam"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OXIAM_GUARD_", "AWS_"))}
    env["RUST_LOG"] = "warn"
    proc, url = start(
        [binary, "guard", "--listen", "127.0.0.1:0", "--upstream", music.service_url,
         "--service-prefix", "myapp", "--rules", os.path.join(EXAMPLE, "rules.toml"),
         "--data-dir", music.oxiam.data.name], env, "oxiam guard listening on ")
    try:
        def call(who, method, path, body=b""):
            creds = music.creds[who] if isinstance(who, str) else who
            return send(sign(method, url + path, creds, body))

        status, headers, _ = call("holly", "PUT", "/files/audio/holly/local.mp3", b"local")
        assert status == 201 and headers["X-Served-For"] == arn("holly")
        status, _, body = call("sam", "GET", "/files/audio/holly/local.mp3")
        assert (status, body) == (200, b"local")
        status, _, body = call("sam", "PUT", "/files/audio/sam/local.mp3", b"x")
        assert status == 403 and error_code(body) == "AccessDenied"
        assert "Encoded authorization failure message" in body.decode()
        key, _ = music.creds["sam"]
        status, _, body = call((key, "wrong-secret"), "GET", "/files/audio/holly/local.mp3")
        assert status == 403 and error_code(body) == "SignatureDoesNotMatch"

        # A user created through oxiam after the guard started, then stripped of its
        # policy: the guard sees both changes through the store's change feed.
        music.iam.create_user(UserName="gina")
        music.iam.put_user_policy(UserName="gina", PolicyName="music", PolicyDocument=policy(
            allow("myapp:GetFile", "arn:aws:myapp:::file/audio/*")))
        k = music.iam.create_access_key(UserName="gina")["AccessKey"]
        gina = (k["AccessKeyId"], k["SecretAccessKey"])

        def eventually(expected):
            deadline = time.time() + 30
            while True:
                status = call(gina, "GET", "/files/audio/holly/local.mp3")[0]
                if status == expected or time.time() > deadline:
                    return status

        assert eventually(200) == 200
        music.iam.delete_user_policy(UserName="gina", PolicyName="music")
        assert eventually(403) == 403

        # Its decisions are in the installation's audit log, under the guard's name.
        deadline = time.time() + 30
        while True:
            out = subprocess.run(
                [binary, "audit", "--data-dir", music.oxiam.data.name, "--principal", arn("sam"),
                 "--action", "myapp:PutFile"], capture_output=True, text=True, check=True).stdout
            records = [json.loads(line) for line in out.splitlines()]
            mine = [r for r in records if r["resource"].endswith("sam/local.mp3")]
            if mine or time.time() > deadline:
                break
            time.sleep(0.2)
        assert mine and mine[0]["caller"] == "oxiam guard (myapp)"
        assert mine[0]["decision"] == "ImplicitDeny"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_an_in_process_guard_needs_an_installation(tmp_path):
    binary = os.environ.get("OXIAM_BIN", os.path.join(HERE, "../../target/debug/oxiam"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OXIAM_GUARD_", "AWS_"))}
    r = subprocess.run(
        [binary, "guard", "--listen", "127.0.0.1:0", "--upstream", "http://127.0.0.1:9",
         "--service-prefix", "myapp", "--rules", os.path.join(EXAMPLE, "rules.toml"),
         "--data-dir", str(tmp_path)], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "no oxiam installation there" in r.stderr
    # Nothing was created in the directory it was pointed at.
    assert list(tmp_path.iterdir()) == []


def test_the_roots_federated_users_have_the_roots_access_capped_by_their_policy(music):
    """GetFederationToken called by the account root (AWS allows it, and advises against it):
    the federated user has the root's access to its own account ∩ the session policy, for
    an hour at most; without a session policy, nothing."""
    sts = music.oxiam.client("sts")
    out = sts.get_federation_token(Name="ops", DurationSeconds=7200, Policy=policy(
        allow("myapp:GetFile", "*")))
    assert out["FederatedUser"] == {"FederatedUserId": f"{ACCOUNT}:ops",
                                    "Arn": f"arn:aws:sts::{ACCOUNT}:federated-user/ops"}
    c = out["Credentials"]
    left = c["Expiration"] - datetime.datetime.now(datetime.timezone.utc)
    assert 3500 < left.total_seconds() <= 3600  # asked for two hours, got one
    creds = (c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    who = music.oxiam.client("sts", *creds).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:federated-user/ops"
    status, body = music.decide([
        music.question(creds, "myapp:GetFile", "arn:aws:myapp:::file/audio/a.mp3"),
        music.question(creds, "myapp:DeleteFile", "arn:aws:myapp:::file/audio/a.mp3"),
    ])
    assert status == 200
    get, delete = body["decisions"]
    assert get["allowed"] and get["principal"]["arn"] == who["Arn"]
    assert not delete["allowed"] and delete["decision"] == "ImplicitDeny"
    # Federated users may not call IAM, the root's included.
    with pytest.raises(Exception) as e:
        music.oxiam.client("iam", *creds).list_users()
    assert "AccessDenied" in str(e.value)
    # Without a session policy the federated user has no permissions at all.
    bare = sts.get_federation_token(Name="bare")["Credentials"]
    bare = (bare["AccessKeyId"], bare["SecretAccessKey"], bare["SessionToken"])
    status, body = music.decide([music.question(bare, "myapp:GetFile", "*")])
    assert status == 200 and not body["decisions"][0]["allowed"]
