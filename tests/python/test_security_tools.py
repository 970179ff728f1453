"""Security tools that audit real AWS accounts, run against oxiam as the judge: prowler's IAM
checks (which read the credential report, the password policy and every entity),
cloudsplaining's scan of GetAccountAuthorizationDetails and ScoutSuite's IAM rules. They run
as subprocesses from their own venvs, target/tools-venv and target/scoutsuite-venv
(scripts/tools-env.sh, every version pinned in scripts/tools-requirements.txt and
scripts/scoutsuite-requirements.txt), against an account populated with what they look for.
A missing venv fails the tests: a skip would look green while judging nothing."""
import filecmp
import glob
import json
import os
import re
import subprocess
import tempfile

import pytest

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET, Oxiam, require_program
from test_certificates import selfsigned
from test_authorization import send, sign
from test_credentials import enable, new_device

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
TOOLS_VENV = os.path.join(REPO, "target", "tools-venv")
REQUIREMENTS = os.path.join(REPO, "scripts", "tools-requirements.txt")
SCOUT_VENV = os.path.join(REPO, "target", "scoutsuite-venv")
SCOUT_REQUIREMENTS = os.path.join(REPO, "scripts", "scoutsuite-requirements.txt")

# Checks that make no finding against oxiam, and why. The test fails when one of them starts
# making findings: take it off the list then.
KNOWN_GAPS = {
    # Needs an organization (Organizations DescribeOrganization, IAM ListOrganizationsFeatures);
    # on AWS, an account outside any organization gets no finding either.
    "iam_root_credentials_management_enabled",
}

# The ERROR lines prowler may log, each explained by a gap above or by prowler sending every
# service's calls to oxiam's endpoint (AWS_ENDPOINT_URL), where IAM answers, as AWS's IAM
# endpoint would, that the credential is scoped to another service. Any other ERROR fails.
EXPECTED_ERRORS = [
    r"\(NotImplemented\) when calling the ListOrganizationsFeatures operation",
    r"when calling the (DescribeRegions|DescribeOrganization|DescribeAccount) operation"
    r".*Credential should be scoped to correct service: (&apos;|')iam(&apos;|')",
]

# Findings the populated account must produce: (check, resource name or ARN) → status.
EXPECTED_FINDINGS = {
    # The root: the key these tests sign with, no MFA (the credential report's root row).
    ("iam_root_mfa_enabled", "<root_account>"): "FAIL",
    ("iam_root_hardware_mfa_enabled", "<root_account>"): "FAIL",
    ("iam_no_root_access_key", "<root_account>"): "FAIL",
    ("iam_avoid_root_usage", "<root_account>"): "FAIL",
    # Users: console access with and without MFA, a key never used, admin rights attached.
    ("iam_user_mfa_enabled_console_access", "alice"): "PASS",
    ("iam_user_mfa_enabled_console_access", "bob"): "FAIL",
    ("iam_user_hardware_mfa_enabled", "alice"): "FAIL",
    ("iam_user_no_setup_initial_access_key", "bob"): "FAIL",
    ("iam_rotate_access_key_90_days", "bob"): "PASS",
    ("iam_user_two_active_access_key", "bob"): "PASS",
    ("iam_user_administrator_access_policy", "admin"): "FAIL",
    ("iam_user_administrator_access_policy", "bob"): "PASS",
    ("iam_policy_attached_only_to_group_or_roles", "admin/AdministratorAccess"): "FAIL",
    ("iam_policy_attached_only_to_group_or_roles", "bob"): "PASS",
    # Policies: privilege escalation, administrator rights attached and unattached.
    ("iam_inline_policy_allows_privilege_escalation", "escalator/deploy"): "FAIL",
    ("iam_policy_allows_privilege_escalation", "everything"): "FAIL",
    ("iam_customer_attached_policy_no_administrative_privileges", "everything"): "FAIL",
    ("iam_customer_unattached_policy_no_administrative_privileges", "spare-admin"): "FAIL",
    ("iam_aws_attached_policy_no_administrative_privileges", "AdministratorAccess"): "FAIL",
    ("iam_aws_attached_policy_no_administrative_privileges", "ReadOnlyAccess"): "PASS",
    # Roles: trust policies and what is attached to them.
    ("iam_role_administratoraccess_policy", "breakglass"): "FAIL",
    ("iam_role_administratoraccess_policy", "auditor"): "PASS",
    ("iam_role_cross_account_readonlyaccess_policy", "auditor"): "FAIL",
    ("iam_role_cross_service_confused_deputy_prevention", "app"): "FAIL",
    ("iam_role_cross_service_confused_deputy_prevention", "scoped"): "PASS",
    ("iam_role_service_trust_restricts_source_to_account", "scoped"): "PASS",
    # The password policy and a server certificate.
    ("iam_password_policy_minimum_length_14", ACCOUNT): "FAIL",
    ("iam_password_policy_number", ACCOUNT): "PASS",
    ("iam_no_expired_server_certificates_stored",
     f"arn:aws:iam::{ACCOUNT}:server-certificate/www"): "PASS",
    # The access advisor (GenerateServiceLastAccessedDetails): Bedrock is allowed to admin
    # and to alice (through `everything`), and to the break-glass role; only admin used it
    # (a decision of the authorization API, see record_bedrock_use). prowler reads the first
    # page of a report only (100 services, by namespace), as it would on AWS, so SageMaker is
    # seen where few services are allowed: escalator's.
    ("iam_user_access_not_stale_to_bedrock", "admin"): "PASS",
    ("iam_user_access_not_stale_to_bedrock", "alice"): "FAIL",
    ("iam_user_access_not_stale_to_sagemaker", "escalator"): "FAIL",
    ("iam_role_access_not_stale_to_bedrock", "breakglass"): "FAIL",
    # Long-lived keys with services beyond IAM and STS in the report: admin (everything)
    # and escalator (Lambda); bob's key reaches nothing.
    ("iam_user_with_temporary_credentials", "admin"): "FAIL",
    ("iam_user_with_temporary_credentials", "escalator"): "FAIL",
    ("iam_user_with_temporary_credentials", "bob"): "PASS",
}


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal, **condition):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


def populate(iam):
    """An account with something for each check to find, good and bad."""
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True)
    # alice: console password and a virtual MFA device; in the admins group.
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Alice-Pass-12")
    serial, seed, _ = new_device(iam, "alice")
    enable(iam, "alice", serial, seed)
    # bob: console password without MFA, and an access key never used.
    iam.create_user(UserName="bob")
    iam.create_login_profile(UserName="bob", Password="Bob-Pass-123")
    iam.create_access_key(UserName="bob")
    # admin: AdministratorAccess attached to the user itself.
    iam.create_user(UserName="admin")
    iam.attach_user_policy(UserName="admin",
                           PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_access_key(UserName="admin")
    # escalator: may pass any role to a new Lambda function and invoke it.
    iam.create_user(UserName="escalator")
    iam.put_user_policy(UserName="escalator", PolicyName="deploy", PolicyDocument=doc({
        "Effect": "Allow",
        "Action": ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction",
                   "sagemaker:ListModels"],
        "Resource": "*"}))
    iam.create_access_key(UserName="escalator")
    # Customer managed `*:*`, attached to a group and not attached at all.
    everything = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    arn = iam.create_policy(PolicyName="everything", PolicyDocument=everything)["Policy"]["Arn"]
    iam.create_policy(PolicyName="spare-admin", PolicyDocument=everything)
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=arn)
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    # Roles: Lambda's, unconditional and confined to this account; another account's
    # auditor; this account's break-glass administrator.
    lambda_ = {"Service": "lambda.amazonaws.com"}
    for name, policy_doc, policy in [
        ("app", trust(lambda_), "ReadOnlyAccess"),
        ("scoped", trust(lambda_, StringEquals={"aws:SourceAccount": ACCOUNT}), None),
        ("auditor", trust({"AWS": "arn:aws:iam::111122223333:root"}), "ReadOnlyAccess"),
        ("breakglass", trust({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), "AdministratorAccess"),
    ]:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=policy_doc)
        if policy:
            iam.attach_role_policy(RoleName=name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}")
    cert, key, _ = selfsigned()
    iam.upload_server_certificate(ServerCertificateName="www", CertificateBody=cert,
                                  PrivateKey=key)


def record_bedrock_use(server):
    """admin invokes a Bedrock model through a service that asks oxiam's authorization API
    (signed for `bedrock` with admin's own key): the access advisor records the attempt."""
    iam = server.client("iam")
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    asked = sign("POST", "https://bedrock.example/model/m/invoke", creds, service="bedrock")
    headers = [[k.lower(), v] for k, v in asked.headers.items()]
    headers.append(["host", "bedrock.example"])
    question = {"request": {"method": "POST", "path": "/model/m/invoke", "headers": headers},
                "action": "bedrock:InvokeModel",
                "resource": "arn:aws:bedrock:us-east-1::foundation-model/m"}
    body = json.dumps({"decisions": [question]}).encode()
    status, _, out = send(sign("POST", server.endpoint + "/authorization/v1/decisions",
                               (ROOT_KEY, ROOT_SECRET), body,
                               {"Content-Type": "application/json"}, service="oxiam"))
    assert status == 200 and json.loads(out)["decisions"][0]["allowed"], out
    # admin keeps one key, as populate gave it.
    iam.delete_access_key(UserName="admin", AccessKeyId=key["AccessKeyId"])


def venv_bin(venv, requirements, tools):
    """A tools venv's `bin`; fails, rather than skips, when it is missing or stale."""
    name = os.path.relpath(venv, REPO)
    bin_dir = os.path.join(venv, "bin")
    for tool in tools:
        if not os.path.exists(os.path.join(bin_dir, tool)):
            pytest.fail(f"`{tool}` is missing from {name}: run scripts/tools-env.sh "
                        "(scripts/test.sh does)", pytrace=False)
    stamp = os.path.join(venv, ".requirements")
    if not (os.path.exists(stamp) and filecmp.cmp(stamp, requirements, shallow=False)):
        pytest.fail(f"{name} does not match {os.path.relpath(requirements, REPO)}: run "
                    "scripts/tools-env.sh", pytrace=False)
    return bin_dir


@pytest.fixture(scope="module")
def tools():
    return venv_bin(TOOLS_VENV, REQUIREMENTS, ("prowler", "cloudsplaining"))


@pytest.fixture(scope="module")
def scoutsuite():
    return venv_bin(SCOUT_VENV, SCOUT_REQUIREMENTS, ("scout",))


@pytest.fixture(scope="module")
def account():
    """One populated oxiam for both tools (prowler's scan takes half a minute)."""
    require_program("openssl", "openssl")
    server = Oxiam([])
    populate(server.client("iam"))
    record_bedrock_use(server)
    yield server
    server.stop()


def run(tools, account, tool, *args, cwd):
    """Runs a tool against `account` as its root, with AWS_ENDPOINT_URL sending every
    service's calls to oxiam and no profile or credentials file of whoever runs the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=account.endpoint, AWS_ACCESS_KEY_ID=ROOT_KEY,
               AWS_SECRET_ACCESS_KEY=ROOT_SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               HOME=cwd)
    out = subprocess.run([os.path.join(tools, tool), *args], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, (
        f"{tool} {args[0]} exited {out.returncode}:\n{out.stdout[-4000:]}\n{out.stderr[-4000:]}")
    return out


def prowler_iam_checks(tools):
    """The IAM checks of the installed prowler: the folders with a check's metadata (the
    same list as `prowler --list-checks`, without its half a minute of start-up)."""
    (site,) = glob.glob(os.path.join(os.path.dirname(tools), "lib", "python3*", "site-packages"))
    pattern = os.path.join(site, "prowler", "providers", "aws", "services", "iam", "*",
                           "*.metadata.json")
    return {os.path.basename(os.path.dirname(m)) for m in glob.glob(pattern)}


def test_prowler_runs_every_iam_check(tools, account):
    with tempfile.TemporaryDirectory() as d:
        # -z: failed checks are findings, not a failed run; exit 1 is prowler failing.
        out = run(tools, account, "prowler", "aws", "--service", "iam", "--region", "us-east-1",
                  "-M", "json-ocsf", "-o", d, "-F", "prowler", "--log-level", "ERROR",
                  "--no-banner", "--no-color", "-z", cwd=d)
        with open(os.path.join(d, "prowler.ocsf.json")) as f:
            findings = json.load(f)

    # Every check ran to a verdict: a check that raises says "Something went wrong in
    # <check>", logs the exception and makes no finding.
    lines = (out.stdout + out.stderr).splitlines()
    problems = [line for line in lines if "Something went wrong" in line or (
        (" ERROR: " in line or " CRITICAL: " in line)
        and not any(re.search(p, line) for p in EXPECTED_ERRORS))]
    assert not problems, "\n".join(problems)
    checks = prowler_iam_checks(tools)
    assert f"Executing {len(checks)} checks" in out.stdout, out.stdout
    assert len(checks) >= 50, checks
    with_findings = {f["metadata"]["event_code"] for f in findings}
    assert with_findings <= checks
    assert checks - with_findings == KNOWN_GAPS, (
        f"checks without a finding: {sorted(checks - with_findings)}; "
        f"known gaps: {sorted(KNOWN_GAPS)}")
    statuses = {f["status_code"] for f in findings}
    assert statuses <= {"PASS", "FAIL", "MANUAL"}, statuses

    verdicts = {}
    for f in findings:
        check = f["metadata"]["event_code"]
        for r in f["resources"]:
            for name in (r.get("name"), r.get("uid")):
                verdicts.setdefault((check, name), set()).add(f["status_code"])
    wrong = {k: (want, verdicts.get(k)) for k, want in EXPECTED_FINDINGS.items()
             if verdicts.get(k) != {want}}
    assert not wrong, f"(check, resource): (expected, got) {wrong}"


def test_cloudsplaining_finds_privilege_escalation(tools, account):
    with tempfile.TemporaryDirectory() as d:
        run(tools, account, "cloudsplaining", "download", "-o", d, cwd=d)
        with open(os.path.join(d, "default.json")) as f:
            details = json.load(f)
        os.mkdir(os.path.join(d, "scan"))
        run(tools, account, "cloudsplaining", "scan", "-i", "default.json", "-o", "scan", "-s",
            cwd=d)
        with open(os.path.join(d, "scan", "iam-results-default.json")) as f:
            results = json.load(f)

    # GetAccountAuthorizationDetails as cloudsplaining saved it, documents decoded.
    assert {u["UserName"] for u in details["UserDetailList"]} == {"alice", "bob", "admin",
                                                                  "escalator"}
    assert {g["GroupName"] for g in details["GroupDetailList"]} == {"admins"}
    assert {r["RoleName"] for r in details["RoleDetailList"]} == {"app", "scoped", "auditor",
                                                                  "breakglass"}
    # Attached policies only (cloudsplaining's filter), with their default version.
    assert {p["PolicyName"] for p in details["Policies"]} == {
        "everything", "AdministratorAccess", "ReadOnlyAccess"}
    (escalator,) = [u for u in details["UserDetailList"] if u["UserName"] == "escalator"]
    (inline,) = escalator["UserPolicyList"]
    assert inline["PolicyDocument"]["Statement"][0]["Action"][0] == "iam:PassRole"

    def by_name(kind):
        return {p["PolicyName"]: p for p in results[kind].values()}

    def escalations(policy):
        return {f["type"] for f in policy["PrivilegeEscalation"]["findings"]}

    deploy = by_name("inline_policies")["deploy"]
    assert deploy["AttachedTo"]["users"] == ["escalator"]
    assert "PassExistingRoleToNewLambdaThenInvoke" in escalations(deploy)
    everything = by_name("customer_managed_policies")["everything"]
    assert everything["AttachedTo"]["groups"] == ["admins"]
    assert {"CreateAccessKey", "AttachUserPolicy"} <= escalations(everything)
    assert escalations(by_name("aws_managed_policies")["ReadOnlyAccess"]) == set()


def test_scoutsuite_iam_rules_find_what_is_there(scoutsuite, account):
    """ScoutSuite's AWS provider makes its clients with boto3 and no endpoint of its own, so
    AWS_ENDPOINT_URL sends them to oxiam; `--services iam` fetches only IAM (plus STS's
    GetCallerIdentity for the account ID)."""
    with tempfile.TemporaryDirectory() as d:
        out = run(scoutsuite, account, "scout", "aws", "--services", "iam", "--regions",
                  "us-east-1", "--no-browser", "--force", "--report-dir", d, cwd=d)
        results_dir = os.path.join(d, "scoutsuite-results")

        def load(kind):
            with open(os.path.join(results_dir, f"scoutsuite_{kind}_aws-{ACCOUNT}.js")) as f:
                text = f.read()
            return json.loads(text[text.index("{"):])

        results, exceptions = load("results"), load("exceptions")

    # Every IAM call was answered: ScoutSuite keeps the calls that raised in the exceptions
    # file and goes on.
    assert exceptions == {}, exceptions
    assert " ERROR " not in out.stdout + out.stderr, out.stdout + out.stderr
    iam = results["services"]["iam"]
    users = {u["name"]: u for u in iam["users"].values()}
    assert set(users) == {"alice", "bob", "admin", "escalator"}
    assert {r["name"] for r in iam["roles"].values()} == {"app", "scoped", "auditor",
                                                         "breakglass"}
    assert {g["name"] for g in iam["groups"].values()} == {"admins"}
    flagged = {rule: finding["items"] for rule, finding in iam["findings"].items()
               if finding["flagged_items"]}

    def users_in(rule):
        """The users named in a rule's flagged item paths (iam.users.<id>.…)."""
        ids = {item.split(".")[2] for item in flagged.get(rule, [])}
        return {iam["users"][i]["name"] for i in ids if i in iam["users"]}

    # bob has a console password and no MFA; alice has both.
    assert users_in("iam-user-without-mfa") == {"bob"}
    # escalator's inline policy may pass any role.
    assert users_in("iam-inline-user-policy-allows-iam-PassRole") == {"escalator"}
    # The root: the access key these tests sign with, no MFA (the credential report's row).
    assert "iam-root-account-with-active-keys" in flagged
    assert "iam-root-account-no-mfa" in flagged
    # The password policy: 8 characters, numbers required.
    assert iam["password_policy"]["MinimumPasswordLength"] == 8
    assert "iam-password-policy-minimum-length" in flagged
    # escalator's is the one inline user policy.
    assert users_in("iam-user-with-inline-policies") == {"escalator"}
    # Managed policies that allow `*` on `*`: ScoutSuite reads only attached ones
    # (ListPolicies OnlyAttached=True), so the unattached spare-admin is not among them.
    policies = {flagged_item.split(".")[2] for flagged_item in
                flagged.get("iam-managed-policy-allows-full-privileges", [])}
    names = {iam["policies"][p]["name"] for p in policies}
    assert "everything" in names and "spare-admin" not in names, names
