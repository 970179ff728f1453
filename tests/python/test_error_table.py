"""Every error of tests/python/data/errors.txt, checked through boto3 against one real server:
the code, the HTTP status and the message text exactly (issue 15, section 3). The table's
header says how a line reads; `test_every_message_of_the_handlers_has_a_line` keeps the table
complete."""
import json
import os
import re
import tempfile

import boto3
import botocore.exceptions
from botocore import xform_name
import pytest

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET, Oxiam, require_program
from test_certificates import openssl, read, selfsigned
from test_credentials import enable, new_device, now_step, totp
from test_providers import METADATA
from test_ssh_keys import keygen

HERE = os.path.dirname(__file__)
ROOT = os.path.join(HERE, "..", "..")
TABLE = os.path.join(HERE, "data", "errors.txt")

# The quotas the table's server runs with: low enough for the fixture to reach them.
QUOTAS = ("users_per_account=40,groups_per_account=3,roles_per_account=5,"
          "customer_managed_policies_per_account=3,instance_profiles_per_account=1,"
          "groups_per_user=1,managed_policies_per_entity=1,versions_per_managed_policy=2")

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def trust(principal):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": principal},
        "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]})


class Line:
    def __init__(self, number, text):
        fields = [f.strip() for f in text.split(" | ")]
        assert len(fields) == 6, f"line {number}: six fields expected: {text}"
        self.number = number
        op, self.request, self.code, status, self.message, self.source = fields
        self.operation, _, caller = op.partition(" as ")
        self.caller = caller or "root"
        self.untested = self.request.removeprefix("untested: ") \
            if self.request.startswith("untested: ") else None
        self.status = int(status)
        assert re.fullmatch(r"recorded \S+|documented \S+|chosen", self.source), \
            f"line {number}: source must be `recorded URL`, `documented URL` or `chosen`"

    def __repr__(self):
        return f"{self.number}:{self.operation}"


def read_table():
    lines = []
    with open(TABLE, encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            text = text.rstrip("\n")
            if text.strip() and not text.startswith("#"):
                lines.append(Line(number, text))
    return lines


LINES = read_table()


@pytest.fixture(scope="module")
def world():
    """Two servers and the entities the table's requests name, made once by the root: `main`
    for every line but those of caller `fed`, the root of a server with outbound web identity
    federation enabled (the main server keeps it disabled)."""
    require_program("openssl", "openssl")
    require_program("ssh-keygen", "openssh-client")
    main, fed = Oxiam(["--quota", QUOTAS]), Oxiam([])
    try:
        yield make_world(main, fed)
    finally:
        main.stop()
        fed.stop()


def make_world(server, fed):
    iam = server.client("iam")
    values = {}
    root_arn = f"arn:aws:iam::{ACCOUNT}:root"
    # alice may do anything; her key and sessions are the non-root callers.
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    values["alice_key"] = key["AccessKeyId"]
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.create_role(RoleName="hub", AssumeRolePolicyDocument=trust(root_arn))
    iam.put_role_policy(RoleName="hub", PolicyName="all", PolicyDocument=ALLOW_ALL)
    # IAM Access Analyzer: the account analyzer watch and the unused access analyzer unused.
    analyzer = server.client("accessanalyzer")
    analyzer.create_analyzer(analyzerName="watch", type="ACCOUNT")
    analyzer.create_analyzer(analyzerName="unused", type="ACCOUNT_UNUSED_ACCESS")
    # Trusts only an account this server does not host (a user that does not exist would be
    # an invalid principal).
    iam.create_role(RoleName="closed", AssumeRolePolicyDocument=trust(
        "arn:aws:iam::999999999999:root"))
    policy = iam.create_policy(PolicyName="p", PolicyDocument=ALLOW_ALL)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=policy, PolicyDocument=ALLOW_ALL)
    iam.attach_group_policy(GroupName="devs", PolicyArn=policy)
    iam.create_policy(PolicyName="loose", PolicyDocument=ALLOW_ALL)
    versioned = iam.create_policy(PolicyName="versioned", PolicyDocument=ALLOW_ALL)["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=versioned, PolicyDocument=ALLOW_ALL, SetAsDefault=True)
    # Users that cannot be deleted, one reason each.
    iam.create_user(UserName="keyed")
    iam.create_access_key(UserName="keyed")
    iam.create_access_key(UserName="keyed")
    iam.create_user(UserName="signer")
    iam.create_login_profile(UserName="signer", Password="Correct-Horse-9-battery")
    signer = iam.create_access_key(UserName="signer")["AccessKey"]
    iam.put_user_policy(UserName="signer", PolicyName="all", PolicyDocument=ALLOW_ALL)
    iam.create_user(UserName="profiled")
    iam.create_login_profile(UserName="profiled", Password="Correct-Horse-9-battery")
    iam.create_user(UserName="credentialed")
    iam.create_service_specific_credential(UserName="credentialed",
                                           ServiceName="codecommit.amazonaws.com")
    iam.create_user(UserName="inliner")
    iam.put_user_policy(UserName="inliner", PolicyName="all", PolicyDocument=ALLOW_ALL)
    iam.create_user(UserName="attached")
    iam.attach_user_policy(UserName="attached", PolicyArn=policy)
    iam.create_user(UserName="tagged", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    iam.create_group(GroupName="inline-group")
    iam.put_group_policy(GroupName="inline-group", PolicyName="all", PolicyDocument=ALLOW_ALL)
    iam.create_group(GroupName="attached-group")
    iam.attach_group_policy(GroupName="attached-group", PolicyArn=policy)
    iam.create_role(RoleName="inline-role", AssumeRolePolicyDocument=trust(root_arn))
    iam.put_role_policy(RoleName="inline-role", PolicyName="all", PolicyDocument=ALLOW_ALL)
    iam.create_role(RoleName="attached-role", AssumeRolePolicyDocument=trust(root_arn))
    iam.attach_role_policy(RoleName="attached-role", PolicyArn=policy)
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    iam.create_instance_profile(InstanceProfileName="web")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="hub")
    iam.create_account_alias(AccountAlias="taken-alias")
    # A virtual MFA device enabled for mfa-user; another left unassigned.
    iam.create_user(UserName="mfa-user")
    values["serial"], seed, _ = new_device(iam, "phone")
    enable(iam, "mfa-user", values["serial"], seed)
    values["signer_serial"], signer_seed, _ = new_device(iam, "signer-phone")
    enable(iam, "signer", values["signer_serial"], signer_seed)
    # A code of none of the steps a check accepts around now.
    near = {totp(signer_seed, now_step() + i) for i in range(-4, 5)}
    values["wrong_code"] = next(c for c in (f"{i:06d}" for i in range(20)) if c not in near)
    values["spare_serial"], _, _ = new_device(iam, "spare")
    # A user at the quota of 8 MFA devices.
    iam.create_user(UserName="mfa-full")
    for i in range(8):
        serial, device_seed, _ = new_device(iam, f"full-{i}")
        enable(iam, "mfa-full", serial, device_seed)
    iam.create_open_id_connect_provider(Url="https://token.oxiam.test", ClientIDList=["app"],
                                        ThumbprintList=["a" * 40])
    iam.create_saml_provider(Name="corp", SAMLMetadataDocument=METADATA)
    values["saml"] = METADATA
    # Credentials of alice at their quotas: two signing certificates, five SSH keys, two
    # service-specific credentials for CodeCommit; and a server certificate.
    certs = [selfsigned() for _ in range(4)]
    for body, _, _ in certs[:2]:
        iam.upload_signing_certificate(UserName="alice", CertificateBody=body)
    values["cert"], values["key"] = certs[0][0], certs[0][1]
    values["cert3"], values["key3"] = certs[2][0], certs[2][1]
    iam.upload_server_certificate(ServerCertificateName="web-cert", CertificateBody=certs[0][0],
                                  PrivateKey=certs[0][1])
    ssh = [keygen("ed25519")[0] for _ in range(7)]
    for line in ssh[:5]:
        iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=line)
    values["ssh"], values["ssh6"] = ssh[0], ssh[5]
    # Users that cannot be deleted for an SSH key or a signing certificate.
    iam.create_user(UserName="sshy")
    iam.upload_ssh_public_key(UserName="sshy", SSHPublicKeyBody=ssh[6])
    iam.create_user(UserName="certy")
    iam.upload_signing_certificate(UserName="certy", CertificateBody=certs[3][0])
    for _ in range(2):
        iam.create_service_specific_credential(UserName="alice",
                                               ServiceName="codecommit.amazonaws.com")
    # Fill the user quota: 40 users in all.
    made = len(iam.list_users()["Users"])
    for i in range(40 - made):
        iam.create_user(UserName=f"filler{i}")
    values["not_xml"] = "not XML " * 130
    values["small_cert"], values["small_key"] = small_rsa_certificate()
    values["many_client_ids"] = [f"client{i}" for i in range(101)]
    values["fifty_tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    values["fifty_one_tag_map"] = {f"k{i}": "v" for i in range(51)}
    values["eleven_arns"] = [{"arn": f"arn:aws:iam::aws:policy/P{i}"} for i in range(11)]
    values["big_policy"] = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": f"s3:GetObject{i:04d}x", "Resource": f"arn:aws:s3:::b{i}/*"}
        for i in range(300)]})

    alice = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
    sts_alice = server.client("sts", alice["key"], alice["secret"])

    def session(c):
        return {"key": c["AccessKeyId"], "secret": c["SecretAccessKey"], "token": c["SessionToken"]}

    hub = f"arn:aws:iam::{ACCOUNT}:role/hub"
    creds = {
        "root": (server, {}),
        "alice": (server, alice),
        "signer": (server, {"key": signer["AccessKeyId"], "secret": signer["SecretAccessKey"]}),
        "session": (server, session(sts_alice.get_session_token()["Credentials"])),
        "role": (server, session(sts_alice.assume_role(
            RoleArn=hub, RoleSessionName="sess")["Credentials"])),
        # A role session with a transitive tag (team) and a source identity (alice-id).
        "chained": (server, session(sts_alice.assume_role(
            RoleArn=hub, RoleSessionName="sess", SourceIdentity="alice-id",
            Tags=[{"Key": "team", "Value": "a"}], TransitiveTagKeys=["team"])["Credentials"])),
        "fed": (fed, {}),
    }
    fed.client("iam").enable_outbound_web_identity_federation()
    clients = {}

    def client_for(service, caller):
        if (service, caller) not in clients:
            where, c = creds[caller]
            # Parameter validation off: the server, not boto3, must refuse bad input.
            clients[(service, caller)] = boto3.client(
                service, endpoint_url=where.endpoint, region_name="us-east-1",
                aws_access_key_id=c.get("key", ROOT_KEY),
                aws_secret_access_key=c.get("secret", ROOT_SECRET),
                aws_session_token=c.get("token"),
                config=boto3.session.Config(retries={"max_attempts": 1},
                                            parameter_validation=False))
        return clients[(service, caller)]

    return {"client": client_for, "values": values}


def small_rsa_certificate():
    """A self-signed certificate of a 768-bit RSA key, smaller than AWS takes, and its key."""
    with tempfile.TemporaryDirectory() as d:
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:768",
                "-out", "k.pem", cwd=d)
        openssl("req", "-x509", "-key", "k.pem", "-out", "c.pem", "-subj", "/CN=small",
                "-days", "30", cwd=d)
        return read(d, "c.pem"), read(d, "k.pem")


def error(fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    r = e.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


MODELS = {service: boto3.session.Session().client(
    service, region_name="us-east-1", aws_access_key_id="x",
    aws_secret_access_key="x").meta.service_model
    for service in ("iam", "sts", "accessanalyzer")}
STS_OPERATIONS = set(MODELS["sts"].operation_names)
ACCESS_ANALYZER_OPERATIONS = set(MODELS["accessanalyzer"].operation_names)


def service_of(operation):
    if operation in STS_OPERATIONS:
        return "sts"
    return "accessanalyzer" if operation in ACCESS_ANALYZER_OPERATIONS else "iam"


def documented_errors(operation):
    """The (code, status) pairs botocore's model lists for the operation: the API
    reference's Errors section (a REST-JSON error shape's code is its name)."""
    shapes = MODELS[service_of(operation)].operation_model(operation).error_shapes
    return {(s.metadata["error"].get("code", s.name), s.metadata["error"]["httpStatusCode"])
            for s in shapes}


@pytest.mark.parametrize("line", [line for line in LINES if line.source.startswith("documented")],
                         ids=repr)
def test_documented_lines_are_in_the_models_error_list(line):
    """A line marked `documented` names an error the operation's API reference lists, with
    its status."""
    assert (line.code, line.status) in documented_errors(line.operation)


def fill(text, values):
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def fill_request(text, values):
    """The request's JSON with its `{name}`s: a string inside a JSON string (escaped), any
    other value as JSON."""
    def value(v):
        return json.dumps(v)[1:-1] if isinstance(v, str) else json.dumps(v)
    return json.loads(fill(text, {k: value(v) for k, v in values.items()}))


@pytest.mark.parametrize("line", LINES, ids=repr)
def test_line(world, line):
    if line.untested:
        pytest.skip(line.untested)
    values = world["values"]
    kw = fill_request(line.request, values)
    client = world["client"](service_of(line.operation), line.caller)
    fn = getattr(client, xform_name(line.operation))
    got = error(fn, **kw)
    assert got == (line.code, line.status, fill(line.message, values)), got


# ---- completeness ---------------------------------------------------------------------------

SOURCES = ["crates/oxiam-server/src/ops", "crates/oxiam-server/src/model",
           "crates/oxiam-protocol/src"]
CONSTRUCTORS = re.compile(
    r"\b(invalid_input|no_such_entity|no_such_user|already_exists|limit_exceeded|"
    r"delete_conflict|validation|malformed|api|ApiError::new)\(")
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
# Messages no request can provoke, each with why: they stay in the code as defence, and
# have no line because no AWS behaviour could be observed for them.
UNREACHABLE = {
    "The request processing has failed because of an unknown error, exception or failure.":
        "a store failure or a bug, never provoked on purpose",
    "SourceIdentity must not begin with the reserved prefix aws:":
        "the model's pattern for SourceIdentity ([\\w+=,.@-]*) refuses the colon first",
}


def templates():
    """Yields (file:line, template) for every error constructor call in the handler sources
    whose message is written at the call: the first string literal inside its parentheses.
    Calls whose message comes from a variable (a policy parser's message, a helper's
    argument) have no literal and are not checked here; `#[cfg(test)]` modules and test
    files are skipped."""
    for base in SOURCES:
        for folder, _, files in os.walk(os.path.join(ROOT, base)):
            for name in sorted(files):
                if not name.endswith(".rs") or name.endswith(("tests.rs", "_test.rs")):
                    continue
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                if text.startswith("// @generated"):
                    continue
                text = text.split("#[cfg(test)]\nmod tests")[0]
                for m in CONSTRUCTORS.finditer(text):
                    before = text[text.rfind("\n", 0, m.start()) + 1:m.start()]
                    if re.search(r"\bfn\s*$", before):
                        continue
                    depth, end = 1, m.end()
                    while depth and end < len(text):
                        depth += {"(": 1, ")": -1}.get(text[end], 0)
                        end += 1
                    literal = STRING.search(text, m.end(), end)
                    if literal:
                        line = text.count("\n", 0, m.start()) + 1
                        yield f"{os.path.relpath(path, ROOT)}:{line}", literal.group(1)


def pattern(template):
    """A Rust string literal with `{…}` holes as a regular expression over messages: each hole
    stands for any text, `\\` at a line's end joins lines as Rust does."""
    template = re.sub(r"\\\n\s*", "", template)
    template = template.replace('\\"', '"').replace("\\\\", "\\")
    parts = re.split(r"(\{\{|\}\}|\{[^{}]*\})", template)
    out = ""
    for part in parts:
        if part == "{{":
            out += re.escape("{")
        elif part == "}}":
            out += re.escape("}")
        elif part.startswith("{") and part.endswith("}"):
            out += ".+"
        else:
            out += re.escape(part)
    return re.compile(out, re.S)


def test_every_message_of_the_handlers_has_a_line():
    """The rule: every error constructor call in the IAM/STS handlers
    (crates/oxiam-server/src/ops), the model's errors and the protocol crate — `invalid_input(`,
    `no_such_entity(`, `no_such_user(`, `already_exists(`, `limit_exceeded(`,
    `delete_conflict(`, `validation(`, `malformed(`, `api(` and `ApiError::new(` — that writes
    its message as a string literal must have a line in errors.txt whose message that literal
    matches as a template: each `{…}` hole matches any text, and the literal may be part of the
    message (the codec passes `"boolean"` to the helper that words the message). Lines whose
    request is `untested: WHY` count here but are skipped by `test_line`. A new error
    therefore cannot be added without its line, and so without its AWS wording and source."""
    messages = [fill(line.message, {}) for line in LINES]
    missing = []
    for where, template in templates():
        if template in UNREACHABLE:
            continue
        regex = pattern(template)
        if not any(regex.search(m) for m in messages):
            missing.append(f"{where}: {template}")
    assert not missing, "error messages with no line in errors.txt:\n" + "\n".join(missing)
