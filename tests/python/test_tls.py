"""HTTPS end to end: `oxiam serve --tls-cert/--tls-key` driven by boto3 and the AWS CLI,
and `oxiam guard` talking to oxiam over HTTPS (`--oxiam-ca-file`), serving HTTPS itself.

`aws:SecureTransport` (at the end): true over this HTTPS listener, false over a plain
`oxiam serve`, on the IAM/STS API, AssumeRole, the authorization API and the console.

The certificates are the test-only fixtures of tests/fixtures/tls (README there): a test CA,
a leaf for `localhost` and 127.0.0.1 it issued, and an unrelated CA for the denials.
"""
import html
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import urllib.parse

import boto3
import botocore.exceptions
import pytest

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET, Oxiam
from test_authorization import EXAMPLE, allow, error_code, policy, sign, start

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "../fixtures/tls")
CA = os.path.join(FIXTURES, "ca.pem")
OTHER_CA = os.path.join(FIXTURES, "other-ca.pem")
CERT = os.path.join(FIXTURES, "localhost.pem")
KEY = os.path.join(FIXTURES, "localhost.key")
BINARY = os.environ.get("OXIAM_BIN", os.path.join(HERE, "../../target/debug/oxiam"))
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
ROOT_PASSWORD = "Tls-Root-Pa55word!"


class TlsOxiam:
    """`oxiam serve` over HTTPS with the fixture certificate."""

    def __init__(self):
        self.data = tempfile.TemporaryDirectory()
        env = dict(os.environ, OXIAM_ACCOUNT_ID=ACCOUNT, OXIAM_ROOT_ACCESS_KEY_ID=ROOT_KEY,
                   OXIAM_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET, OXIAM_ROOT_PASSWORD=ROOT_PASSWORD,
                   OXIAM_TLS_CERT=CERT, OXIAM_TLS_KEY=KEY, RUST_LOG="warn")
        self.proc, self.endpoint = start(
            [BINARY, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data.name],
            env, "oxiam listening on ")
        self.port = urllib.parse.urlsplit(self.endpoint).port

    def client(self, service, verify=CA, host="127.0.0.1", key=ROOT_KEY, secret=ROOT_SECRET):
        return boto3.client(service, endpoint_url=f"https://{host}:{self.port}",
                            region_name="us-east-1", verify=verify,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=boto3.session.Config(retries={"max_attempts": 1}))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
        self.data.cleanup()


@pytest.fixture(scope="module")
def oxiam():
    server = TlsOxiam()
    yield server
    server.stop()


def https(host, port, method, path, body=None, headers=None, ca=CA):
    """One request over HTTPS verified against `ca`; (status, headers, body)."""
    conn = http.client.HTTPSConnection(host, port, timeout=30,
                                       context=ssl.create_default_context(cafile=ca))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def test_the_printed_endpoint_is_https_and_boto3_verifies_it(oxiam):
    assert oxiam.endpoint == f"https://127.0.0.1:{oxiam.port}"
    for host in ("127.0.0.1", "localhost"):
        sts = oxiam.client("sts", host=host)
        assert sts.get_caller_identity()["Account"] == ACCOUNT


def test_the_aws_cli_with_a_ca_bundle(oxiam):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_KEY, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
               AWS_DEFAULT_REGION="us-east-1")
    env.pop("AWS_CA_BUNDLE", None)
    base = [AWS, "--endpoint-url", oxiam.endpoint, "--output", "json"]
    out = subprocess.run([*base, "--ca-bundle", CA, "iam", "create-user", "--user-name", "cli"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '"UserName": "cli"' in out.stdout
    # The same call trusting only an unrelated CA never reaches oxiam.
    out = subprocess.run([*base, "--ca-bundle", OTHER_CA, "iam", "get-user", "--user-name", "cli"],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "SSL" in out.stderr or "certificate" in out.stderr, out.stderr


def test_clients_that_do_not_trust_the_ca_refuse_to_talk(oxiam):
    for verify in (OTHER_CA, True):  # an unrelated CA; the system roots
        with pytest.raises(botocore.exceptions.SSLError):
            oxiam.client("sts", verify=verify).get_caller_identity()


def test_plain_http_to_the_tls_port_gets_no_answer(oxiam):
    conn = http.client.HTTPConnection("127.0.0.1", oxiam.port, timeout=30)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        conn.request("GET", "/_oxiam/health")
        conn.getresponse()
    conn.close()
    # The listener keeps serving TLS clients.
    status, _, body = https("127.0.0.1", oxiam.port, "GET", "/_oxiam/health")
    assert status == 200 and body.startswith(b"ok")


def test_source_ip_reaches_policies_over_tls(oxiam):
    iam = oxiam.client("iam")
    keys = {}
    for name, cidr in (("local-only", "127.0.0.0/8"), ("elsewhere-only", "10.0.0.0/8")):
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy(
            allow("iam:ListUsers", "*", Condition={"IpAddress": {"aws:SourceIp": cidr}})))
        k = iam.create_access_key(UserName=name)["AccessKey"]
        keys[name] = (k["AccessKeyId"], k["SecretAccessKey"])
    local = oxiam.client("iam", key=keys["local-only"][0], secret=keys["local-only"][1])
    assert "Users" in local.list_users()
    with pytest.raises(botocore.exceptions.ClientError) as e:
        oxiam.client("iam", key=keys["elsewhere-only"][0],
                     secret=keys["elsewhere-only"][1]).list_users()
    assert e.value.response["Error"]["Code"] == "AccessDenied"


def test_console_session_cookies_are_secure_over_tls(oxiam):
    form = urllib.parse.urlencode({"account": ACCOUNT, "password": ROOT_PASSWORD})
    status, headers, _ = https("127.0.0.1", oxiam.port, "POST", "/console/root", form,
                               {"Content-Type": "application/x-www-form-urlencoded"})
    cookies = headers.get_all("Set-Cookie") or []
    assert status in (302, 303), status
    assert cookies and all("; Secure" in c for c in cookies), cookies


class GuardedFiles:
    """The music-files service behind a guard that asks the TLS oxiam for decisions."""

    def __init__(self, oxiam):
        iam = oxiam.client("iam")
        self.creds = {}
        for name, document in (("tls-guard", policy(allow("oxiam:Authorize", "*"))),
                               ("tls-reader", policy(allow("myapp:*", "*")))):
            iam.create_user(UserName=name)
            iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=document)
            k = iam.create_access_key(UserName=name)["AccessKey"]
            self.creds[name] = (k["AccessKeyId"], k["SecretAccessKey"])
        self.oxiam = oxiam
        self.files = tempfile.TemporaryDirectory()
        self.service, self.service_url = start(
            [sys.executable, os.path.join(EXAMPLE, "file_service.py"), "--port", "0",
             "--root", self.files.name], dict(os.environ), "file service listening on ")
        self.guards = []

    def guard(self, *extra, oxiam_url=None, upstream=None):
        """Starts a guard with TLS on its own listener; returns its port."""
        key, secret = self.creds["tls-guard"]
        env = dict(os.environ, OXIAM_GUARD_ACCESS_KEY_ID=key, OXIAM_GUARD_SECRET_ACCESS_KEY=secret,
                   RUST_LOG="warn")
        proc, url = start(
            [BINARY, "guard", "--listen", "127.0.0.1:0", "--upstream", upstream or self.service_url,
             "--service-prefix", "myapp", "--rules", os.path.join(EXAMPLE, "rules.toml"),
             "--oxiam-url", oxiam_url or f"https://localhost:{self.oxiam.port}",
             "--tls-cert", CERT, "--tls-key", KEY, "--cache-ttl", "0", *extra],
            env, "oxiam guard listening on ")
        self.guards.append(proc)
        assert url.startswith("https://127.0.0.1:")
        return urllib.parse.urlsplit(url).port

    def put(self, port, name, body):
        """A PUT signed by the reader, sent to the guard over HTTPS."""
        req = sign("PUT", f"https://localhost:{port}/files/audio/{name}",
                   self.creds["tls-reader"], body)
        return https("localhost", port, "PUT", f"/files/audio/{name}", body, dict(req.headers))

    def stored(self, name):
        return os.path.exists(os.path.join(self.files.name, "audio", name))

    def stop(self):
        for p in [*self.guards, self.service]:
            p.terminate()
            p.wait(timeout=30)
        self.files.cleanup()


@pytest.fixture(scope="module")
def guarded(oxiam):
    g = GuardedFiles(oxiam)
    yield g
    g.stop()


def test_the_guard_asks_oxiam_over_https_and_forwards_allowed_requests(guarded):
    port = guarded.guard("--oxiam-ca-file", CA)
    status, headers, _ = guarded.put(port, "song.mp3", b"la la la")
    assert status == 201
    assert headers["X-Served-For"] == f"arn:aws:iam::{ACCOUNT}:user/tls-reader"
    assert guarded.stored("song.mp3")
    # A wrong signature is still a denial, over TLS as over HTTP.
    req = sign("PUT", f"https://localhost:{port}/files/audio/forged.mp3",
               (guarded.creds["tls-reader"][0], "x" * 40), b"x")
    status, _, body = https("localhost", port, "PUT", "/files/audio/forged.mp3", b"x",
                            dict(req.headers))
    assert status == 403 and error_code(body) == "SignatureDoesNotMatch"
    assert not guarded.stored("forged.mp3")


@pytest.mark.parametrize("ca", [OTHER_CA, None], ids=["unrelated-ca", "mozilla-roots-only"])
def test_a_guard_that_does_not_trust_oxiams_certificate_forwards_nothing(guarded, ca):
    port = guarded.guard(*(["--oxiam-ca-file", ca] if ca else []))
    name = f"never-{'other' if ca else 'roots'}.mp3"
    status, _, body = guarded.put(port, name, b"x")
    assert status == 503 and error_code(body) == "ServiceUnavailable"
    assert not guarded.stored(name)


def run(args, **env):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, RUST_LOG="warn", **env))


def test_bad_certificate_and_key_files_stop_serve_and_guard(tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("TOP-SECRET-KEY-MATERIAL\n")
    missing = tmp_path / "missing.pem"
    serve = ["serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "data")]
    out = run([*serve, "--tls-cert", str(missing), "--tls-key", KEY])
    assert out.returncode == 2
    assert f"cannot read the certificate file {missing}" in out.stderr
    assert "listening" not in out.stdout
    out = run([*serve, "--tls-cert", CERT, "--tls-key", str(junk)])
    assert out.returncode == 2
    assert f"{junk}: no usable private key" in out.stderr
    assert "TOP-SECRET" not in out.stderr + out.stdout
    out = run([*serve, "--tls-cert", str(junk), "--tls-key", KEY])
    assert out.returncode == 2 and "no certificate" in out.stderr
    out = run([*serve, "--tls-cert", CERT])
    assert out.returncode == 2 and "--tls-key" in out.stderr

    guard = ["guard", "--listen", "127.0.0.1:0", "--auth-request", "--service-prefix", "myapp",
             "--rules", os.path.join(EXAMPLE, "rules.toml")]
    keys = {"OXIAM_GUARD_ACCESS_KEY_ID": ROOT_KEY, "OXIAM_GUARD_SECRET_ACCESS_KEY": ROOT_SECRET}
    out = run([*guard, "--tls-cert", CERT, "--tls-key", str(junk)], **keys)
    assert out.returncode == 2 and f"{junk}: no usable private key" in out.stderr
    assert "TOP-SECRET" not in out.stderr + out.stdout
    out = run([*guard, "--oxiam-url", "https://localhost:1", "--oxiam-ca-file", str(junk)], **keys)
    assert out.returncode == 2 and "no certificate" in out.stderr
    # A CA file for a plain-HTTP oxiam is a mistake, not something to ignore.
    out = run([*guard, "--oxiam-url", "http://127.0.0.1:1", "--oxiam-ca-file", CA], **keys)
    assert out.returncode == 2 and "https://" in out.stderr


def test_the_guard_forwards_to_an_https_upstream_it_verifies(guarded):
    """An HTTPS upstream (a minimal Python server with the fixture certificate)."""
    import http.server
    import threading

    class Upstream(http.server.BaseHTTPRequestHandler):
        def do_PUT(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(201)
            self.send_header("X-Served-For", self.headers.get("X-Oxiam-Principal-Arn", ""))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    upstream = f"https://localhost:{server.server_address[1]}"
    try:
        for ca, expected in ((CA, 201), (OTHER_CA, 502)):
            port = guarded.guard("--oxiam-ca-file", CA, "--upstream-ca-file", ca,
                                 upstream=upstream)
            status, headers, _ = guarded.put(port, "up.mp3", b"x")
            assert status == expected, ca
            if expected == 201:
                assert headers["X-Served-For"] == f"arn:aws:iam::{ACCOUNT}:user/tls-reader"
    finally:
        server.shutdown()


# aws:SecureTransport: true when the request came over this TLS listener, false over a plain
# `oxiam serve` (the `plain` server below, same users and policies), on every path that
# authorizes: the IAM and STS API, AssumeRole's own decision, the authorization API (the
# service's own call; the client's transport as the service reports it) and the console.
# Each test holds for both ways AWS documents to require TLS: its deny statement beside an
# allow, and an allow conditioned on the key being true (which fails if the key were
# missing rather than true over TLS).

DENY_INSECURE = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Action": "*", "Resource": "*",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
TLS_ONLY = ("deny-unless-secure", "allow-only-if-secure")
CONSOLE_PASSWORD = "Tls-Console-Pa55word!"


def tls_only(kind, *actions):
    """A policy allowing `actions` over TLS only, said the `kind` way."""
    if kind == "deny-unless-secure":
        return policy(DENY_INSECURE, allow(list(actions), "*"))
    return policy(allow(list(actions), "*",
                        Condition={"Bool": {"aws:SecureTransport": "true"}}))


def refused_because(kind, action):
    """The end of AWS's AccessDenied message when the TLS-only policy denies `action`."""
    if kind == "deny-unless-secure":
        return "with an explicit deny in an identity-based policy"
    return f"because no identity-based policy allows the {action} action"


@pytest.fixture(scope="module")
def plain():
    """A plain-HTTP `oxiam serve` (conftest's), the HTTP half of the comparisons."""
    server = Oxiam([])
    yield server
    server.stop()


def user_on(server, name, document, password=None):
    """Creates `name` with the inline policy `document`; returns its access key."""
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="transport", PolicyDocument=document)
    if password:
        iam.create_login_profile(UserName=name, Password=password)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return k["AccessKeyId"], k["SecretAccessKey"]


def as_user(server, service, creds):
    return server.client(service, key=creds[0], secret=creds[1])


def fetch(server, method, path, body=None, headers=None):
    """One request to `server` over its own transport: HTTPS (verified) or plain HTTP."""
    port = urllib.parse.urlsplit(server.endpoint).port
    if server.endpoint.startswith("https://"):
        return https("127.0.0.1", port, method, path, body, headers)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def denied(call):
    """The AccessDenied a boto3 call raises: its message."""
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    assert e.value.response["Error"]["Code"] == "AccessDenied", e.value.response
    return e.value.response["Error"]["Message"]


def claiming_https(client):
    """`client` adding `X-Forwarded-Proto: https` (unsigned) to every request: a header
    anyone can send, which must not make a plain connection secure."""
    def add(request, **_):
        request.headers["X-Forwarded-Proto"] = "https"
    client.meta.events.register("before-send", add)
    return client


@pytest.mark.parametrize("kind", TLS_ONLY)
def test_secure_transport_on_the_iam_api(oxiam, plain, kind):
    name = f"iam-{kind}"
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    over_tls = as_user(oxiam, "iam", user_on(oxiam, name, tls_only(kind, "iam:GetUser")))
    over_http = as_user(plain, "iam", user_on(plain, name, tls_only(kind, "iam:GetUser")))

    # boto3 over HTTPS: the key is true, so the TLS-only policy allows.
    assert over_tls.get_user()["User"]["Arn"] == arn
    # What the policy does not allow is refused for that reason alone, not by the TLS deny.
    assert denied(over_tls.list_users).endswith(
        "because no identity-based policy allows the iam:ListUsers action")

    # The same user and policy over plain HTTP: the key is false (IAM names a user resource
    # `user NAME` in this message, as AWS does).
    message = denied(over_http.get_user)
    assert message == (f"User: {arn} is not authorized to perform: iam:GetUser on resource: "
                       f"user {name} {refused_because(kind, 'iam:GetUser')}")
    # A client's X-Forwarded-Proto proves nothing about the connection.
    assert denied(claiming_https(over_http).get_user) == message


@pytest.mark.parametrize("kind", TLS_ONLY)
def test_secure_transport_on_sts_get_federation_token(oxiam, plain, kind):
    name = f"fed-{kind}"
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    document = tls_only(kind, "sts:GetFederationToken")
    over_tls = as_user(oxiam, "sts", user_on(oxiam, name, document))
    over_http = as_user(plain, "sts", user_on(plain, name, document))

    creds = over_tls.get_federation_token(Name="tls-fed")["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert denied(lambda: over_http.get_federation_token(Name="tls-fed")) == (
        f"User: {arn} is not authorized to perform: sts:GetFederationToken on resource: "
        f"arn:aws:sts::{ACCOUNT}:federated-user/tls-fed "
        f"{refused_because(kind, 'sts:GetFederationToken')}")


def trusting_role(server, name, **condition):
    """A role trusting the account (so the caller's identity policy decides), or, with a
    `Condition`, trusting it on that condition; returns its ARN."""
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, **condition}
    return server.client("iam").create_role(
        RoleName=name, AssumeRolePolicyDocument=policy(statement))["Role"]["Arn"]


@pytest.mark.parametrize("kind", TLS_ONLY)
def test_secure_transport_on_sts_assume_role_identity_policy(oxiam, plain, kind):
    """AssumeRole is decided by its own handler (trust and identity policies together):
    the caller's identity policy must see the connection's TLS there too."""
    name, role = f"assumer-{kind}", f"role-{kind}"
    document = tls_only(kind, "sts:AssumeRole")
    over_tls = as_user(oxiam, "sts", user_on(oxiam, name, document))
    over_http = as_user(plain, "sts", user_on(plain, name, document))
    role_arn = trusting_role(oxiam, role)
    assert trusting_role(plain, role) == role_arn

    assumed = over_tls.assume_role(RoleArn=role_arn, RoleSessionName="tls")
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/tls"
    assert denied(lambda: over_http.assume_role(RoleArn=role_arn, RoleSessionName="tls")) == (
        f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: "
        f"sts:AssumeRole on resource: {role_arn}")


def test_secure_transport_in_a_trust_policy(oxiam, plain):
    name, role = "assumer-any", "role-tls-trust"
    document = policy(allow("sts:AssumeRole", "*"))
    over_tls = as_user(oxiam, "sts", user_on(oxiam, name, document))
    over_http = as_user(plain, "sts", user_on(plain, name, document))
    secure = {"Condition": {"Bool": {"aws:SecureTransport": "true"}}}
    role_arn = trusting_role(oxiam, role, **secure)
    trusting_role(plain, role, **secure)

    assert over_tls.assume_role(RoleArn=role_arn, RoleSessionName="tls")["Credentials"]
    assert denied(lambda: over_http.assume_role(RoleArn=role_arn, RoleSessionName="tls")) == (
        f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: "
        f"sts:AssumeRole on resource: {role_arn}")


def question(creds, **extra):
    """A decision about a GET the client `creds` signed for `myapp` (never sent anywhere)."""
    req = sign("GET", "https://files.example/files/x", creds)
    headers = [[k.lower(), v] for k, v in req.headers.items()]
    headers.append(["host", "files.example"])
    return dict({"request": {"method": "GET", "path": "/files/x", "headers": headers},
                 "action": "myapp:GetFile", "resource": "arn:aws:myapp:::file/x",
                 "sourceIp": "127.0.0.1"}, **extra)


def decide(server, service, questions):
    """The authorization API of `server`, called by `service` over the server's transport."""
    body = json.dumps({"decisions": questions}).encode()
    req = sign("POST", server.endpoint + "/authorization/v1/decisions", service, body,
               {"Content-Type": "application/json"}, service="oxiam")
    status, _, out = fetch(server, "POST", "/authorization/v1/decisions", body, dict(req.headers))
    return status, json.loads(out)


@pytest.mark.parametrize("kind", TLS_ONLY)
def test_the_authorization_api_takes_the_clients_transport_from_the_service(oxiam, plain, kind):
    """`secureTransport` (how the client reached the service) decides the key for the
    client's request; the service's own connection to oxiam does not."""
    name = f"client-{kind}"
    refused = "ExplicitDeny" if kind == "deny-unless-secure" else "ImplicitDeny"
    # The service calls over HTTPS (the TLS server) and over plain HTTP (the plain one):
    # either way the answers follow the client's transport alone.
    for server in (oxiam, plain):
        service = user_on(server, f"svc-{kind}", policy(allow("oxiam:Authorize", "*")))
        client = user_on(server, name, tls_only(kind, "myapp:GetFile"))
        status, out = decide(server, service, [question(client, secureTransport=True),
                                               question(client, secureTransport=False),
                                               question(client)])
        assert status == 200, out
        assert [d["decision"] for d in out["decisions"]] == ["Allow", refused, refused], out
        assert out["decisions"][1]["message"] == (
            f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: "
            f"myapp:GetFile on resource: arn:aws:myapp:::file/x "
            f"{refused_because(kind, 'myapp:GetFile')}")


@pytest.mark.parametrize("kind", TLS_ONLY)
def test_the_services_own_call_is_subject_to_secure_transport(oxiam, plain, kind):
    """The service's call of the authorization API is itself authorized (`oxiam:Authorize`)
    with the key of its own connection to oxiam."""
    name = f"tls-svc-{kind}"
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    document = tls_only(kind, "oxiam:Authorize")
    over_tls = (user_on(oxiam, name, document),
                user_on(oxiam, f"reader-{kind}", policy(allow("myapp:*", "*"))))
    over_http = (user_on(plain, name, document),
                 user_on(plain, f"reader-{kind}", policy(allow("myapp:*", "*"))))

    service, client = over_tls
    status, out = decide(oxiam, service, [question(client, secureTransport=True)])
    assert status == 200, out
    assert out["decisions"][0]["decision"] == "Allow"

    # Over plain HTTP the whole call is refused, whatever it says of its client's transport.
    service, client = over_http
    status, out = decide(plain, service, [question(client, secureTransport=True)])
    assert status == 403, out
    assert out["error"]["code"] == "AccessDenied"
    assert out["error"]["message"] == (
        f"User: {arn} is not authorized to perform: oxiam:Authorize on resource: * "
        f"{refused_because(kind, 'oxiam:Authorize')}")


def console_sign_in(server, user):
    """Signs `user` in to the console as a browser would (the sign-in page, then its form);
    returns the session cookie (name=value)."""
    status, _, page = fetch(server, "GET", f"/console/{ACCOUNT}")
    assert status == 200 and b'name="username"' in page
    form = urllib.parse.urlencode({"account": ACCOUNT, "username": user,
                                   "password": CONSOLE_PASSWORD})
    status, headers, _ = fetch(server, "POST", f"/console/{ACCOUNT}", form,
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303 and headers["Location"] == "/console/home", status
    (cookie,) = [c.split(";")[0] for c in headers.get_all("Set-Cookie")
                 if c.startswith("oxiam-console=")]
    return cookie


@pytest.mark.parametrize("kind", TLS_ONLY)
def test_console_calls_see_the_connections_transport(oxiam, plain, kind):
    """The console's IAM calls carry the page's own connection: the requests a browser
    makes (sign-in page, its form, the users page), sent with http.client over real TLS."""
    name = f"console-{kind}"
    for server in (oxiam, plain):
        user_on(server, name, tls_only(kind, "iam:ListUsers"), password=CONSOLE_PASSWORD)

    # Over HTTPS the users page lists the users.
    cookie = console_sign_in(oxiam, name)
    status, _, page = fetch(oxiam, "GET", "/console/users", headers={"Cookie": cookie})
    page = html.unescape(page.decode())
    assert status == 200, page
    assert f'<a href="/console/users/{name}">{name}</a>' in page
    assert 'role="alert"' not in page

    # Over plain HTTP the same user's page shows AWS's AccessDenied, also when the browser
    # (or anyone) claims `X-Forwarded-Proto: https`: only the connection counts.
    cookie = console_sign_in(plain, name)
    for extra in ({}, {"X-Forwarded-Proto": "https"}):
        status, _, page = fetch(plain, "GET", "/console/users",
                                headers={"Cookie": cookie, **extra})
        page = html.unescape(page.decode())
        assert status == 403, page
        assert ('<div class="alert error" role="alert"><strong>AccessDenied</strong><p>'
                f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: "
                f"iam:ListUsers on resource: arn:aws:iam::{ACCOUNT}:user/ "
                f"{refused_because(kind, 'iam:ListUsers')}</p></div>") in page, page
        assert f'<a href="/console/users/{name}">' not in page
