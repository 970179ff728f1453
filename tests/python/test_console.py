"""The web console in a real browser: Debian's chromium driven by playwright (no browser
download; scripts/debian-packages.sh installs chromium). The flow a new administrator follows,
a denial, CSRF and cookie checks. Screenshots of the main pages go to target/console-artifacts/.
"""
import base64
import csv
import hashlib
import hmac
import io
import os
import struct
import subprocess
import sys
import time

import pytest

from conftest import ACCOUNT, Oxiam

try:
    import playwright.sync_api as playwright_api
except ImportError:  # the `browser` fixture fails every test with what to run
    playwright_api = None

CHROMIUM = os.environ.get("OXIAM_CHROMIUM", "/usr/bin/chromium")
ROOT = os.path.dirname(os.path.abspath(__file__))
ARTIFACTS = os.path.join(ROOT, "../../target/console-artifacts")
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
ROOT_PASSWORD = "Root-Console-Pa55word!"
ADMIN_PASSWORD = "Admin-Pa55word!2026"
EC2_LIST_ONLY = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:List*", "Resource": "*"}]}'


def totp(seed_b32, step):
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    word = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (word % 1_000_000)


def console_server():
    """A server whose root console password is ROOT_PASSWORD."""
    old = os.environ.get("OXIAM_ROOT_PASSWORD")
    os.environ["OXIAM_ROOT_PASSWORD"] = ROOT_PASSWORD
    try:
        return Oxiam([])
    finally:
        if old is None:
            os.environ.pop("OXIAM_ROOT_PASSWORD", None)
        else:
            os.environ["OXIAM_ROOT_PASSWORD"] = old


@pytest.fixture(scope="module")
def server():
    s = console_server()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    # Missing tools fail the tests: skipped, the console would look tested while it is not.
    if playwright_api is None:
        pytest.fail("the playwright Python package is missing: run `mkdir -p target && flock "
                    "target/.venv.lock scripts/python-env.sh` and use target/venv/bin/python",
                    pytrace=False)
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/debian-packages.sh (installs Debian's chromium)")
    os.makedirs(ARTIFACTS, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def new_page(browser, server):
    ctx = browser.new_context(base_url=server.endpoint, accept_downloads=True,
                              viewport={"width": 1280, "height": 900})
    return ctx, ctx.new_page()


def shot(page, name):
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def small(page):
    """Each page stays under 50 KB (the issue's budget); sizes are noted in the artefacts."""
    size = len(page.content().encode())
    with open(os.path.join(ARTIFACTS, "page-sizes.txt"), "a") as f:
        f.write(f"{size}\t{page.url}\n")
    assert size < 50_000, page.url


def sign_in_root(page):
    page.goto("/console/root")
    page.fill("#account", ACCOUNT)
    page.fill("#password", ROOT_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('IAM dashboard')")


def sign_in_user(page, user, password, account=ACCOUNT):
    page.goto(f"/console/{account}")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")


def sign_out(page):
    page.click("button:has-text('Sign out')")
    page.wait_for_selector("h1:has-text('Sign in')")


def test_new_administrator_flow(server, browser):
    iam = server.client("iam")
    ctx, page = new_page(browser, server)

    # The root signs in; the dashboard has counts, the sign-in URL and recommendations.
    page.goto("/console/root")
    shot(page, "01-root-sign-in")
    sign_in_root(page)
    assert page.inner_text("#signin-url") == f"{server.endpoint}/console/{ACCOUNT}"
    assert "Security recommendations" in page.content()
    shot(page, "02-dashboard")
    small(page)

    # Cookie flags: HttpOnly, SameSite=Strict, scoped to /console, expiring; not Secure
    # over plain http.
    (cookie,) = [c for c in ctx.cookies() if c["name"] == "oxiam-console"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/console"
    assert cookie["expires"] > time.time() + 11 * 3600
    assert cookie["secure"] is False

    # Add-user wizard: console (custom password, no reset) + programmatic access + admin.
    page.click("nav >> text=Users")
    page.click("text=Create user")
    page.fill("#username", "admin")
    page.check("input[name=console]")
    page.check("input[name=password_type][value=custom]")
    page.fill("#password", ADMIN_PASSWORD)
    page.uncheck("input[name=reset]")
    page.check("input[name=programmatic]")
    page.check("input[name=policy][value=AdministratorAccess]")
    page.fill("#tk1", "team")
    page.fill("#tv1", "platform")
    shot(page, "03-create-user")
    small(page)
    page.click("button:has-text('Next: Review')")
    page.wait_for_selector("h2:has-text('Review and create')")
    shot(page, "04-create-user-review")
    page.click("button:has-text('Create user')")
    page.wait_for_selector("text=This is the only time")
    shot(page, "05-credentials")
    small(page)
    with page.expect_download() as dl:
        page.click("text=Download .csv")
    download = dl.value
    assert download.suggested_filename == "admin_credentials.csv"
    with open(download.path(), newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["User name", "Password", "Access key ID", "Secret access key",
                       "Console login link"]
    user, password, key_id, secret, link = rows[1]
    assert (user, password, link) == ("admin", ADMIN_PASSWORD,
                                      f"{server.endpoint}/console/{ACCOUNT}")
    assert key_id.startswith("AKIA") and len(secret) == 40

    # The CSV's keys work with the AWS CLI.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=server.endpoint)
    out = subprocess.run([AWS, "sts", "get-caller-identity", "--output", "text",
                          "--query", "Arn"], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"arn:aws:iam::{ACCOUNT}:user/admin"
    out = subprocess.run([AWS, "iam", "list-users", "--output", "text", "--query",
                          "Users[].UserName"], env=env, capture_output=True, text=True, check=True)
    assert "admin" in out.stdout.split()
    assert iam.list_user_tags(UserName="admin")["Tags"] == [{"Key": "team", "Value": "platform"}]

    # An account alias: the sign-in URL names it, and users sign in by it.
    page.click("nav >> text=Dashboard")
    page.fill("#alias", "example-corp")
    page.click("button:has-text('Create alias')")
    page.wait_for_selector("text=Account alias updated")
    assert page.inner_text("#signin-url") == f"{server.endpoint}/console/example-corp"
    assert iam.list_account_aliases()["AccountAliases"] == ["example-corp"]
    shot(page, "02b-dashboard-alias")

    # The admin signs in with the console password, at the alias's URL.
    sign_out(page)
    sign_in_user(page, "admin", ADMIN_PASSWORD, account="example-corp")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    assert "admin @ " + ACCOUNT in page.inner_text("header")

    # A group with ReadOnlyAccess, and a user added to it.
    page.click("nav >> text=User groups")
    page.fill("#group", "readers")
    page.check("input[name=policy][value=ReadOnlyAccess]")
    page.click("button:has-text('Create group')")
    page.wait_for_selector("text=Group created")
    iam.create_user(UserName="dev")
    page.fill("#user", "dev")
    page.click("button:has-text('Add user')")
    page.wait_for_selector("text=User added")
    shot(page, "06-group")
    small(page)
    assert [u["UserName"] for u in iam.get_group(GroupName="readers")["Users"]] == ["dev"]
    assert [p["PolicyName"] for p in iam.list_attached_group_policies(GroupName="readers")[
        "AttachedPolicies"]] == ["ReadOnlyAccess"]

    # The users list and a user's detail.
    page.click("nav >> text=Users")
    page.fill("#q", "ad")
    page.click("button:has-text('Search')")
    assert page.locator("tbody tr").count() == 1
    page.click("tbody >> text=admin")
    page.wait_for_selector("h2:has-text('Access keys')")
    assert key_id in page.content()
    assert "AdministratorAccess" in page.content()
    shot(page, "07-user-detail")
    small(page)

    # A role for Lambda with AmazonEC2ReadOnlyAccess; the trust policy is generated.
    page.click("nav >> text=Roles")
    page.click("text=Create role")
    assert '"Service": "lambda.amazonaws.com"' in page.input_value("#trust")
    page.select_option("#service", "ec2")
    assert '"Service": "ec2.amazonaws.com"' in page.input_value("#trust")
    page.check("#trusted-account")
    page.fill("#account", "111122223333")
    assert '"AWS": "arn:aws:iam::111122223333:root"' in page.input_value("#trust")
    page.check("#trusted-service")
    page.select_option("#service", "lambda")
    assert '"Service": "lambda.amazonaws.com"' in page.input_value("#trust")
    page.check("input[name=policy][value=AmazonEC2ReadOnlyAccess]")
    page.fill("#name", "lambda-ec2-reader")
    shot(page, "08-create-role")
    page.click("button:has-text('Create role')")
    page.wait_for_selector("text=Role created")
    assert "AWS Service: lambda" in page.content()
    shot(page, "09-role")
    small(page)
    role = iam.get_role(RoleName="lambda-ec2-reader")["Role"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(
        RoleName="lambda-ec2-reader")["AttachedPolicies"]] == ["AmazonEC2ReadOnlyAccess"]

    # A policy that allows only EC2 List actions, validated as it is typed.
    page.click("nav >> text=Policies")
    page.select_option("#scope", "AWS")
    page.fill("#q", "ReadOnly")
    page.click("button:has-text('Filter')")
    assert "AWS managed" in page.content() and "ReadOnlyAccess" in page.content()
    shot(page, "10-policies")
    small(page)
    page.click("text=Create policy")
    page.fill("#document", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:List*"}]}')
    # The page checked its starting template already; wait for this document's answer.
    # (The page's CSP forbids eval, so no wait_for_function: the locator polls instead.)
    playwright_api.expect(page.locator("#validation")).to_contain_text("line 1")
    message = page.inner_text("#validation")
    assert message.startswith("MalformedPolicyDocument:") and "line 1" in message, message
    shot(page, "11-policy-editor-error")
    page.fill("#document", EC2_LIST_ONLY)
    page.wait_for_selector("#validation.ok")
    page.fill("#name", "ec2-list-only")
    page.click("button:has-text('Create policy')")
    page.wait_for_selector("text=Policy created")
    assert "ec2:List*" in page.content()
    shot(page, "12-policy")
    small(page)
    arn = f"arn:aws:iam::{ACCOUNT}:policy/ec2-list-only"
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["Document"]["Statement"][0]["Action"] == "ec2:List*"

    # MFA from My security credentials: QR code, seed, two codes.
    page.click("nav >> text=My security credentials")
    page.click("button:has-text('Assign MFA device')")
    qr = page.get_attribute("img[alt^='QR code']", "src")
    assert qr.startswith("data:image/png;base64,iVBOR")
    seed = page.inner_text("#mfa-seed")
    shot(page, "13-mfa")
    small(page)
    step = int(time.time()) // 30
    page.fill("#code1", totp(seed, step - 1))
    page.fill("#code2", totp(seed, step))
    page.click("button:has-text('Add MFA')")
    page.wait_for_selector("text=MFA device assigned")
    assert len(iam.list_mfa_devices(UserName="admin")["MFADevices"]) == 1

    # Sign in again: password, then the MFA code.
    sign_out(page)
    sign_in_user(page, "admin", ADMIN_PASSWORD)
    page.wait_for_selector("h1:has-text('Multi-factor authentication')")
    shot(page, "14-mfa-sign-in")
    page.fill("#mfa", totp(seed, int(time.time()) // 30 + 1))
    page.click("button:has-text('Submit')")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    # The MFA session acts with the user's permissions (and MultiFactorAuthPresent).
    assert "AccessDenied" not in page.content()
    page.goto("/console/users?q=admin")
    assert "admin" in page.inner_text("tbody")
    ctx.close()


def test_denied_action_shows_access_denied(server, browser):
    iam = server.client("iam")
    iam.create_user(UserName="viewer")
    iam.create_login_profile(UserName="viewer", Password="Viewer-Pa55word!")
    iam.attach_user_policy(UserName="viewer", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    ctx, page = new_page(browser, server)
    sign_in_user(page, "viewer", "Viewer-Pa55word!")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    page.goto("/console/create-user")
    page.fill("#username", "sneaky")
    page.click("button:has-text('Next: Review')")
    page.click("button:has-text('Create user')")
    alert = page.inner_text("[role=alert]")
    assert alert.startswith("AccessDenied")
    assert (f"User: arn:aws:iam::{ACCOUNT}:user/viewer is not authorized to perform: "
            f"iam:CreateUser on resource: arn:aws:iam::{ACCOUNT}:user/sneaky") in alert
    shot(page, "15-access-denied")
    assert "sneaky" not in [u["UserName"] for u in iam.list_users()["Users"]]
    ctx.close()


def test_wrong_password_and_unknown_user_read_the_same(server, browser):
    ctx, page = new_page(browser, server)
    sign_in_user(page, "viewer2-nobody", "whatever")
    first = page.inner_text("[role=alert]")
    page.goto("/console/root")
    page.fill("#account", ACCOUNT)
    page.fill("#password", "not the root password")
    page.click("button:has-text('Sign in')")
    assert "incorrect" in page.inner_text("[role=alert]")
    assert "incorrect" in first
    # Signed out, console pages send the browser to the sign-in page.
    page.goto("/console/users")
    assert page.url.endswith(f"/console/{ACCOUNT}")
    ctx.close()


def test_password_reset_required_forces_a_new_password(server, browser):
    iam = server.client("iam")
    iam.create_user(UserName="newbie")
    iam.create_login_profile(UserName="newbie", Password="First-Pa55word!",
                             PasswordResetRequired=True)
    iam.attach_user_policy(UserName="newbie",
                           PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword")
    ctx, page = new_page(browser, server)
    sign_in_user(page, "newbie", "First-Pa55word!")
    page.wait_for_selector("text=Your password must be changed")
    page.goto("/console/users")
    assert page.url.endswith("/console/change-password")
    page.fill("#old", "First-Pa55word!")
    page.fill("#new", "Second-Pa55word!")
    page.fill("#confirm", "Second-Pa55word!")
    page.click("button:has-text('Change password')")
    page.wait_for_selector("text=Password changed")
    sign_out(page)
    sign_in_user(page, "newbie", "Second-Pa55word!")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    ctx.close()


def test_csrf_token_and_origin_are_checked(server, browser):
    iam = server.client("iam")
    ctx, page = new_page(browser, server)
    sign_in_root(page)
    page.goto("/console/groups")
    token = page.get_attribute("input[name=_csrf]", "value")
    # No token: refused.
    r = ctx.request.post("/console/groups", form={"group": "csrf-a"}, max_redirects=0)
    assert r.status == 403
    # A wrong token: refused.
    r = ctx.request.post("/console/groups", form={"group": "csrf-b", "_csrf": "0" * 32},
                         max_redirects=0)
    assert r.status == 403
    # The right token from another site's page: refused.
    r = ctx.request.post("/console/groups", form={"group": "csrf-c", "_csrf": token},
                         headers={"Origin": "http://evil.example"}, max_redirects=0)
    assert r.status == 403
    names = [g["GroupName"] for g in iam.list_groups()["Groups"]]
    assert not {"csrf-a", "csrf-b", "csrf-c"} & set(names)
    # The right token from the console itself: done.
    r = ctx.request.post("/console/groups", form={"group": "csrf-ok", "_csrf": token},
                         max_redirects=0)
    assert r.status == 303
    assert "csrf-ok" in [g["GroupName"] for g in iam.list_groups()["Groups"]]
    # Sign-out clears the cookie.
    sign_out(page)
    assert [c for c in ctx.cookies() if c["name"] == "oxiam-console"] == []
    ctx.close()


def test_access_keys_console_access_and_delete_conflict(server, browser):
    iam = server.client("iam")
    ctx, page = new_page(browser, server)
    sign_in_root(page)
    iam.create_user(UserName="temp")
    key = iam.create_access_key(UserName="temp")["AccessKey"]["AccessKeyId"]
    page.goto("/console/users/temp")
    # Deactivate, then delete the user: AWS's DeleteConflict is shown, nothing is deleted.
    page.click(f"tr:has-text('{key}') >> button:has-text('Deactivate')")
    page.wait_for_selector("text=Access key updated")
    assert iam.list_access_keys(UserName="temp")["AccessKeyMetadata"][0]["Status"] == "Inactive"
    page.click("button:has-text('Delete user')")
    alert = page.inner_text("[role=alert]")
    assert alert.startswith("DeleteConflict"), alert
    shot(page, "16-delete-conflict")
    page.click("text=Back")
    page.click(f"tr:has-text('{key}') >> button:has-text('Delete')")
    page.wait_for_selector("text=Access key updated")
    assert iam.list_access_keys(UserName="temp")["AccessKeyMetadata"] == []
    # Console access with an autogenerated password, shown once; then disabled.
    page.click("button:has-text('Enable console access')")
    password = page.inner_text("#password")
    assert len(password) == 20
    page.click("text=View user")
    assert "Enabled" in page.inner_text("dl.summary")
    page.click("button:has-text('Disable console access')")
    page.wait_for_selector("text=Console access disabled")
    page.click("button:has-text('Delete user')")
    page.wait_for_selector("text=User deleted")
    assert "temp" not in [u["UserName"] for u in iam.list_users()["Users"]]
    ctx.close()


def test_first_start_prints_a_root_password_that_signs_in(browser):
    """Without OXIAM_ROOT_PASSWORD the first start makes one, prints it once, and keeps only
    its argon2id hash."""
    saved = os.environ.pop("OXIAM_ROOT_PASSWORD", None)
    try:
        s = Oxiam([])
    finally:
        if saved is not None:
            os.environ["OXIAM_ROOT_PASSWORD"] = saved
    try:
        line = ""
        while "Console:" not in line:
            line = s.proc.stdout.readline()
            assert line, "no Console line in the first-start output"
        password = line.rstrip().rstrip(")").split("root password ")[1]
        assert len(password) == 20
        ctx, page = new_page(browser, s)
        page.goto("/console/root")
        page.fill("#account", ACCOUNT)
        page.fill("#password", password)
        page.click("button:has-text('Sign in')")
        page.wait_for_selector("h1:has-text('IAM dashboard')")
        ctx.close()
        # The whole data directory, subdirectories (the audit log) included.
        for root, _dirs, names in os.walk(s.data.name):
            for name in names:
                with open(os.path.join(root, name), "rb") as f:
                    assert password.encode() not in f.read(), name
    finally:
        s.stop()


def credential_report(iam):
    while iam.generate_credential_report()["State"] != "COMPLETE":
        time.sleep(0.1)
    content = iam.get_credential_report()["Content"].decode()
    return {row["user"]: row for row in csv.DictReader(io.StringIO(content))}


def test_console_sign_ins_are_the_password_last_used(browser):
    """A console sign-in, the root's as a user's, is the password's last use: GetUser's
    `PasswordLastUsed` and the credential report's `password_last_used` (a date; before any
    sign-in, GetUser has none and the report says `no_information`, test_credentials.py).
    Its own server: the credential report it makes is kept for four hours."""
    server = console_server()
    try:
        password_last_used_after_sign_ins(server, browser)
    finally:
        server.stop()


def password_last_used_after_sign_ins(server, browser):
    iam = server.client("iam")
    iam.create_user(UserName="signer")
    iam.create_login_profile(UserName="signer", Password="Sign3r-Passw0rd!")
    assert "PasswordLastUsed" not in iam.get_user()["User"]
    assert "PasswordLastUsed" not in iam.get_user(UserName="signer")["User"]
    ctx, page = new_page(browser, server)
    sign_in_root(page)
    sign_out(page)
    sign_in_user(page, "signer", "Sign3r-Passw0rd!")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    ctx.close()
    root = iam.get_user()["User"]
    assert root["PasswordLastUsed"] >= root["CreateDate"]
    signer = iam.get_user(UserName="signer")["User"]
    assert signer["PasswordLastUsed"] >= signer["CreateDate"]
    [listed] = [u for u in iam.list_users()["Users"] if u["UserName"] == "signer"]
    assert listed["PasswordLastUsed"] == signer["PasswordLastUsed"]
    report = credential_report(iam)
    assert report["<root_account>"]["password_last_used"] == root["PasswordLastUsed"].isoformat()
    assert report["signer"]["password_last_used"] == signer["PasswordLastUsed"].isoformat()


def test_long_lists_are_paged(server, browser):
    iam = server.client("iam")
    for i in range(55):
        iam.create_user(UserName=f"bulk{i:02d}")
    ctx, page = new_page(browser, server)
    sign_in_root(page)
    page.goto("/console/users?q=bulk")
    assert page.locator("tbody tr").count() == 50
    assert "Showing 1–50 of 55" in page.inner_text(".pager")
    small(page)
    page.click(".pager >> text=Next")
    assert page.locator("tbody tr").count() == 5
    assert "bulk54" in page.inner_text("tbody")
    ctx.close()


def test_wizard_autogenerated_password_with_reset_then_keyboard_sign_in(server, browser):
    iam = server.client("iam")
    ctx, page = new_page(browser, server)
    sign_in_root(page)
    page.goto("/console/create-user")
    page.fill("#username", "intern")
    page.check("input[name=console]")
    # Autogenerated password and "must reset" are the defaults.
    assert page.is_checked("input[name=password_type][value=auto]")
    assert page.is_checked("input[name=reset]")
    page.click("button:has-text('Next: Review')")
    assert "Autogenerated" in page.inner_text("dl.summary")
    page.click("button:has-text('Create user')")
    password = page.inner_text("#password")
    assert len(password) == 20
    assert [p["PolicyName"] for p in iam.list_attached_user_policies(UserName="intern")[
        "AttachedPolicies"]] == ["IAMUserChangePassword"]
    assert iam.get_login_profile(UserName="intern")["LoginProfile"]["PasswordResetRequired"]
    ctx.close()

    # The intern signs in with the keyboard only: the user name field has focus, Tab moves
    # to the password, Enter submits.
    ctx, page = new_page(browser, server)
    page.goto(f"/console/{ACCOUNT}")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("intern")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Your password must be changed")
    shot(page, "17-password-reset")
    page.fill("#old", password)
    page.fill("#new", "short")
    page.fill("#confirm", "short")
    page.click("button:has-text('Change password')")
    assert page.inner_text("[role=alert]").startswith("PasswordPolicyViolation")
    ctx.close()


def test_detach_remove_edit_and_delete(server, browser):
    iam = server.client("iam")
    iam.create_group(GroupName="ops")
    iam.create_user(UserName="opsuser")
    iam.add_user_to_group(GroupName="ops", UserName="opsuser")
    iam.attach_group_policy(GroupName="ops", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    ctx, page = new_page(browser, server)
    sign_in_root(page)

    # A group with members cannot be deleted: AWS's DeleteConflict, then remove and detach.
    page.goto("/console/groups/ops")
    page.click("button:has-text('Delete group')")
    assert page.inner_text("[role=alert]").startswith("DeleteConflict")
    page.click("text=Back")
    page.click("button[aria-label='Remove opsuser']")
    page.wait_for_selector("text=User removed")
    page.click("button[aria-label='Detach ReadOnlyAccess']")
    page.wait_for_selector("text=Policy detached")
    page.click("button:has-text('Delete group')")
    page.wait_for_selector("text=Group deleted")
    assert "ops" not in [g["GroupName"] for g in iam.list_groups()["Groups"]]

    # A role: attach and detach a policy, then delete it.
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust)
    page.goto("/console/roles/worker")
    assert "AWS Service: ec2" in page.content()
    page.fill("#policy", "AmazonS3ReadOnlyAccess")
    page.click("button:has-text('Attach policy')")
    page.wait_for_selector("text=Policy attached")
    assert [p["PolicyName"] for p in iam.list_attached_role_policies(RoleName="worker")[
        "AttachedPolicies"]] == ["AmazonS3ReadOnlyAccess"]
    page.click("button[aria-label='Detach AmazonS3ReadOnlyAccess']")
    page.wait_for_selector("text=Policy detached")
    page.click("button:has-text('Delete role')")
    page.wait_for_selector("text=Role deleted")

    # Editing a customer managed policy makes a new default version.
    arn = iam.create_policy(PolicyName="editable", PolicyDocument=EC2_LIST_ONLY)["Policy"]["Arn"]
    page.goto(f"/console/policy?arn={arn}")
    page.click("text=Edit policy")
    assert "ec2:List*" in page.input_value("#document")
    page.fill("#document", EC2_LIST_ONLY.replace("ec2:List*", "ec2:Describe*"))
    page.wait_for_selector("#validation.ok")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("text=New version saved")
    assert "v2" in page.inner_text("table")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    ctx.close()


def test_mfa_sign_in_satisfies_policies_that_require_mfa(server, browser):
    iam = server.client("iam")
    needs_mfa = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers",'
                 '"Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}')
    for name in ["with-mfa", "without-mfa"]:
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password="Mfa-Test-Pa55word!")
        iam.put_user_policy(UserName=name, PolicyName="needs-mfa", PolicyDocument=needs_mfa)
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="with-mfa")["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    step = int(time.time()) // 30
    iam.enable_mfa_device(UserName="with-mfa", SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=totp(seed, step - 1),
                          AuthenticationCode2=totp(seed, step))

    ctx, page = new_page(browser, server)
    sign_in_user(page, "without-mfa", "Mfa-Test-Pa55word!")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    page.goto("/console/users")
    assert page.inner_text("[role=alert]").startswith("AccessDenied")
    ctx.close()

    ctx, page = new_page(browser, server)
    sign_in_user(page, "with-mfa", "Mfa-Test-Pa55word!")
    page.fill("#mfa", "000000" if totp(seed, step + 1) != "000000" else "111111")
    page.click("button:has-text('Submit')")
    assert "MFA code is not valid" in page.inner_text("[role=alert]")
    page.fill("#mfa", totp(seed, step + 1))
    page.click("button:has-text('Submit')")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    page.goto("/console/users?q=with-mfa")
    assert "with-mfa" in page.inner_text("tbody")
    ctx.close()


def test_root_changes_its_password(server, browser):
    ctx, page = new_page(browser, server)
    sign_in_root(page)
    page.click("nav >> text=My security credentials")
    page.click("text=Change password")
    page.fill("#old", "not it")
    page.fill("#new", "New-Root-Pa55word!")
    page.fill("#confirm", "New-Root-Pa55word!")
    page.click("button:has-text('Change password')")
    assert "old password is incorrect" in page.inner_text("[role=alert]")
    page.fill("#old", ROOT_PASSWORD)
    page.fill("#new", "weak")
    page.fill("#confirm", "weak")
    page.click("button:has-text('Change password')")
    assert page.inner_text("[role=alert]").startswith("PasswordPolicyViolation")
    page.fill("#old", ROOT_PASSWORD)
    page.fill("#new", "New-Root-Pa55word!")
    page.fill("#confirm", "New-Root-Pa55word!")
    page.click("button:has-text('Change password')")
    page.wait_for_selector("text=Password changed")
    sign_out(page)
    page.goto("/console/root")
    page.fill("#account", ACCOUNT)
    page.fill("#password", "New-Root-Pa55word!")
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    # Back to the module's root password, for the other tests.
    page.goto("/console/change-password")
    page.fill("#old", "New-Root-Pa55word!")
    page.fill("#new", ROOT_PASSWORD)
    page.fill("#confirm", ROOT_PASSWORD)
    page.click("button:has-text('Change password')")
    page.wait_for_selector("text=Password changed")
    ctx.close()


def mfa_step_carries_no_password(page):
    """The MFA page holds a sealed pending sign-in, never the password."""
    page.wait_for_selector("h1:has-text('Multi-factor authentication')")
    assert page.locator("input[name=password]").count() == 0
    assert page.locator("input[name=pending]").count() == 1


def test_root_mfa_assign_sign_in_and_remove(server, browser):
    iam = server.client("iam")
    ctx_a, page = new_page(browser, server)
    sign_in_root(page)
    assert "Add MFA for the root user" in page.content()
    page.click("nav >> text=My security credentials")
    page.click("button:has-text('Assign MFA device')")
    page.wait_for_selector("img[alt='QR code of the MFA secret']")
    seed = page.inner_text("#mfa-seed")
    shot(page, "20-root-mfa")
    step = int(time.time()) // 30
    page.fill("#code1", "123456" if totp(seed, step - 1) != "123456" else "654321")
    page.fill("#code2", totp(seed, step))
    page.click("button:has-text('Add MFA')")
    assert page.inner_text("[role=alert]").startswith("InvalidAuthenticationCode")
    page.fill("#code1", totp(seed, step - 1))
    page.fill("#code2", totp(seed, step))
    page.click("button:has-text('Add MFA')")
    page.wait_for_selector("text=MFA device assigned to the root user")
    assert f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device" in page.inner_text("main")

    # The account now says so everywhere.
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["AccountMFAEnabled"] == 1
    assert summary["AccountPasswordPresent"] == 1
    iam.generate_credential_report()
    report = iam.get_credential_report()["Content"].decode()
    (root_row,) = [r for r in csv.DictReader(io.StringIO(report)) if r["user"] == "<root_account>"]
    assert root_row["mfa_active"] == "true"
    page.goto("/console/home")
    assert "The root user has MFA" in page.content()
    assert "Add MFA for the root user" not in page.content()

    # Root sign-in now asks for a code; a wrong one is refused, a used one too.
    ctx_b, page_b = new_page(browser, server)
    page_b.goto("/console/root")
    page_b.fill("#account", ACCOUNT)
    page_b.fill("#password", ROOT_PASSWORD)
    page_b.click("button:has-text('Sign in')")
    mfa_step_carries_no_password(page_b)
    shot(page_b, "21-root-mfa-sign-in")
    code = totp(seed, step + 1)
    page_b.fill("#mfa", "000000" if code != "000000" else "111111")
    page_b.click("button:has-text('Submit')")
    assert "MFA code is not valid" in page_b.inner_text("[role=alert]")
    page_b.fill("#mfa", code)
    page_b.click("button:has-text('Submit')")
    page_b.wait_for_selector("h1:has-text('IAM dashboard')")

    ctx_c, page_c = new_page(browser, server)
    page_c.goto("/console/root")
    page_c.fill("#account", ACCOUNT)
    page_c.fill("#password", ROOT_PASSWORD)
    page_c.click("button:has-text('Sign in')")
    mfa_step_carries_no_password(page_c)
    page_c.fill("#mfa", code)
    page_c.click("button:has-text('Submit')")
    assert "MFA code is not valid" in page_c.inner_text("[role=alert]")
    # A forged pending token is refused: back to the password.
    page_c.evaluate("document.querySelector('input[name=pending]').value = 'forged'")
    page_c.fill("#mfa", code)
    page_c.click("button:has-text('Submit')")
    assert "sign in again" in page_c.inner_text("[role=alert]")
    ctx_c.close()

    # Removing it (from the MFA session) puts everything back.
    page_b.click("nav >> text=My security credentials")
    page_b.click("button:has-text('Remove MFA device')")
    page_b.wait_for_selector("text=MFA device removed")
    assert iam.get_account_summary()["SummaryMap"]["AccountMFAEnabled"] == 0
    ctx_b.close()
    ctx_a.close()
    ctx, page = new_page(browser, server)
    sign_in_root(page)
    ctx.close()


def test_sign_out_and_password_changes_revoke_copied_cookies(server, browser):
    iam = server.client("iam")
    iam.create_user(UserName="tabs")
    iam.attach_user_policy(UserName="tabs", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.create_login_profile(UserName="tabs", Password="Tabs-Pa55word!1")

    def signed_in_pair(password):
        ctx1, page1 = new_page(browser, server)
        sign_in_user(page1, "tabs", password)
        page1.wait_for_selector("h1:has-text('IAM dashboard')")
        ctx2, page2 = new_page(browser, server)
        ctx2.add_cookies([c for c in ctx1.cookies() if c["name"] == "oxiam-console"])
        page2.goto("/console/users?q=tabs")
        assert "tabs" in page2.inner_text("tbody")
        return ctx1, page1, ctx2, page2

    def signed_out(page):
        page.goto("/console/users")
        page.wait_for_selector("h1:has-text('Sign in')")

    # Sign-out in one tab ends the copy in another.
    ctx1, page1, ctx2, page2 = signed_in_pair("Tabs-Pa55word!1")
    sign_out(page1)
    signed_out(page2)
    ctx1.close()
    ctx2.close()

    # Changing the password keeps the changer signed in and ends the copy.
    ctx1, page1, ctx2, page2 = signed_in_pair("Tabs-Pa55word!1")
    iam.update_account_password_policy(AllowUsersToChangePassword=True, MinimumPasswordLength=8)
    page1.goto("/console/change-password")
    page1.fill("#old", "Tabs-Pa55word!1")
    page1.fill("#new", "Tabs-Pa55word!2")
    page1.fill("#confirm", "Tabs-Pa55word!2")
    page1.click("button:has-text('Change password')")
    page1.wait_for_selector("text=Password changed")
    page1.goto("/console/users?q=tabs")
    assert "tabs" in page1.inner_text("tbody")
    signed_out(page2)
    ctx2.close()

    # An administrator's reset ends every session; so does deleting the login profile.
    iam.update_login_profile(UserName="tabs", Password="Tabs-Pa55word!3")
    signed_out(page1)
    ctx1.close()
    ctx1, page1, ctx2, page2 = signed_in_pair("Tabs-Pa55word!3")
    iam.delete_login_profile(UserName="tabs")
    signed_out(page1)
    signed_out(page2)
    ctx1.close()
    ctx2.close()
    iam.delete_account_password_policy()


def test_console_sessions_without_mfa_have_mfa_present_false(server, browser):
    # AWS: console sessions are temporary credentials, so the key is present (false without
    # MFA) and `Bool … "false"` denies them; long-term keys lack it and are not denied.
    iam = server.client("iam")
    deny_without_mfa = ('{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:ListUsers",'
                        '"Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}')
    iam.create_user(UserName="no-mfa-console")
    iam.attach_user_policy(UserName="no-mfa-console",
                           PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.put_user_policy(UserName="no-mfa-console", PolicyName="deny-without-mfa",
                        PolicyDocument=deny_without_mfa)
    iam.create_login_profile(UserName="no-mfa-console", Password="No-Mfa-Pa55word!")
    key = iam.create_access_key(UserName="no-mfa-console")["AccessKey"]
    with_keys = server.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert with_keys.list_users()["Users"]
    ctx, page = new_page(browser, server)
    sign_in_user(page, "no-mfa-console", "No-Mfa-Pa55word!")
    page.wait_for_selector("h1:has-text('IAM dashboard')")
    page.goto("/console/users")
    assert page.inner_text("[role=alert]").startswith("AccessDenied")
    ctx.close()


def test_links_use_the_public_url(browser):
    old = os.environ.get("OXIAM_ROOT_PASSWORD")
    os.environ["OXIAM_ROOT_PASSWORD"] = ROOT_PASSWORD
    try:
        s = Oxiam(["--public-url", "https://iam.example.test/"])
    finally:
        if old is None:
            os.environ.pop("OXIAM_ROOT_PASSWORD", None)
        else:
            os.environ["OXIAM_ROOT_PASSWORD"] = old
    try:
        ctx, page = new_page(browser, s)
        sign_in_root(page)
        assert page.inner_text("#signin-url") == f"https://iam.example.test/console/{ACCOUNT}"
        ctx.close()
    finally:
        s.stop()


def test_account_settings_password_policy_and_credential_report(server, browser):
    iam = server.client("iam")
    ctx, page = new_page(browser, server)
    sign_in_root(page)
    page.click("nav >> text=Account settings")
    page.wait_for_selector("#no-policy")
    shot(page, "22-account-settings")
    small(page)
    # The API's validation, shown as is.
    page.fill("#min-length", "200")
    page.click("button:has-text('Save password policy')")
    assert page.inner_text("[role=alert]").startswith("ValidationError")
    page.fill("#min-length", "14")
    page.check("input[name=symbols]")
    page.check("input[name=allow_change]")
    page.fill("#reuse", "5")
    page.click("button:has-text('Save password policy')")
    page.wait_for_selector("text=Password policy saved")
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14
    assert policy["RequireSymbols"] is True
    assert policy["RequireNumbers"] is False
    assert policy["AllowUsersToChangePassword"] is True
    assert policy["PasswordReusePrevention"] == 5
    assert page.input_value("#min-length") == "14"
    page.click("button:has-text('Delete password policy')")
    page.wait_for_selector("text=Password policy deleted")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_account_password_policy()

    page.click("button:has-text('Generate report')")
    page.wait_for_selector("text=Credential report generated")
    with page.expect_download() as info:
        page.click("#download-report")
    with open(info.value.path()) as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["user"] == "<root_account>"
    assert "admin" in [r["user"] for r in rows]
    ctx.close()


def test_inline_policies_tags_and_boundaries(server, browser):
    iam = server.client("iam")
    iam.create_user(UserName="extras")
    iam.create_role(RoleName="extras-role", AssumeRolePolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'))
    ctx, page = new_page(browser, server)
    sign_in_root(page)

    # A user's inline policy: created in the validating editor, edited, deleted.
    page.goto("/console/users/extras")
    page.click("text=Create inline policy")
    page.fill("#document", '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}')
    page.wait_for_selector("#validation.bad")
    page.fill("#document", EC2_LIST_ONLY)
    page.wait_for_selector("#validation.ok")
    page.fill("#name", "ec2-list")
    shot(page, "23-inline-policy")
    page.click("button:has-text('Save inline policy')")
    page.wait_for_selector("text=Inline policy saved")
    assert iam.list_user_policies(UserName="extras")["PolicyNames"] == ["ec2-list"]
    page.click("a:has-text('ec2-list')")
    assert "ec2:List*" in page.input_value("#document")
    page.fill("#document", EC2_LIST_ONLY.replace("ec2:List*", "ec2:Describe*"))
    page.click("button:has-text('Save inline policy')")
    page.wait_for_selector("text=Inline policy saved")
    doc = iam.get_user_policy(UserName="extras", PolicyName="ec2-list")["PolicyDocument"]
    assert doc["Statement"][0]["Action"] == "ec2:Describe*"
    page.click("button[aria-label='Delete inline policy ec2-list']")
    page.wait_for_selector("text=Inline policy deleted")
    assert iam.list_user_policies(UserName="extras")["PolicyNames"] == []

    # Tags and permissions boundaries, on a user and on a role.
    for detail, get in [("/console/users/extras", lambda: iam.get_user(UserName="extras")["User"]),
                        ("/console/roles/extras-role",
                         lambda: iam.get_role(RoleName="extras-role")["Role"])]:
        page.goto(detail)
        page.fill("#tag-key", "team")
        page.fill("#tag-value", "blue")
        page.click("button:has-text('Add tag')")
        page.wait_for_selector("text=Tag added")
        assert get()["Tags"] == [{"Key": "team", "Value": "blue"}]
        page.fill("#boundary-policy", "ReadOnlyAccess")
        page.click("button:has-text('Set boundary')")
        page.wait_for_selector("text=Permissions boundary set")
        assert get()["PermissionsBoundary"]["PermissionsBoundaryArn"] == \
            "arn:aws:iam::aws:policy/ReadOnlyAccess"
        shot(page, "24-tags-boundary" + ("-role" if "roles" in detail else ""))
        small(page)
        page.click("button[aria-label='Remove tag team']")
        page.wait_for_selector("text=Tag removed")
        page.click("button:has-text('Remove boundary')")
        page.wait_for_selector("text=Permissions boundary removed")
        item = get()
        assert not item.get("Tags")
        assert "PermissionsBoundary" not in item
    # A boundary that does not exist: AWS's error on the page.
    page.goto("/console/users/extras")
    page.fill("#boundary-policy", "arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")
    page.click("button:has-text('Set boundary')")
    assert page.inner_text("[role=alert]").startswith("NoSuchEntity")
    ctx.close()
