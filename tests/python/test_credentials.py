"""boto3 against the real oxiam server: console passwords (the account password policy, login
profiles, ChangePassword and its lockout), virtual MFA devices (codes computed here with
hmac/hashlib, independently of the server), MFA in STS with AWS's documented "no MFA, no
access" policy, and the credential report parsed as CSV."""
import base64
import csv
import hashlib
import hmac
import io
import json
import struct
import time
import urllib.request
import zlib

import pytest

from conftest import ACCOUNT, Oxiam
from test_sts import advance_clock, creds_client, doc, raises, role_arn, trust, user, user_arn


@pytest.fixture
def dev():
    server = Oxiam(["--dev"])
    yield server
    server.stop()


# ---- TOTP, computed independently (RFC 6238: HMAC-SHA1, 30 s, 6 digits) ----------------

def totp(seed_b32, step):
    key = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    word = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return "%06d" % (word % 1_000_000)


def test_totp_helper_matches_rfc6238():
    seed = base64.b32encode(b"12345678901234567890").decode()
    # RFC 6238 Appendix B, SHA-1, the last 6 of the 8 digits.
    assert totp(seed, 59 // 30) == "287082"
    assert totp(seed, 1111111109 // 30) == "081804"
    assert totp(seed, 2000000000 // 30) == "279037"


def now_step():
    return int(time.time()) // 30


def new_device(iam, name, **kw):
    dev = iam.create_virtual_mfa_device(VirtualMFADeviceName=name, **kw)["VirtualMFADevice"]
    return dev["SerialNumber"], dev["Base32StringSeed"].decode(), dev


def enable(iam, user_name, serial, seed):
    """Enables with the codes of the two steps before the current one, so the current and
    next steps' codes are still unused for the test's sign-ins."""
    s = now_step()
    iam.enable_mfa_device(UserName=user_name, SerialNumber=serial,
                          AuthenticationCode1=totp(seed, s - 2),
                          AuthenticationCode2=totp(seed, s - 1))


# ---- Password policy ---------------------------------------------------------------------

def test_account_password_policy(oxiam):
    iam = oxiam.client("iam")
    msg = raises("NoSuchEntity", iam.get_account_password_policy)
    assert msg == f"The Password Policy with domain name {ACCOUNT} cannot be found."
    raises("NoSuchEntity", iam.delete_account_password_policy)
    iam.update_account_password_policy()
    p = iam.get_account_password_policy()["PasswordPolicy"]
    assert p["MinimumPasswordLength"] == 6
    assert p["ExpirePasswords"] is False
    assert p["AllowUsersToChangePassword"] is False
    assert "MaxPasswordAge" not in p and "PasswordReusePrevention" not in p
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True,
                                       MaxPasswordAge=90, PasswordReusePrevention=24,
                                       HardExpiry=True, AllowUsersToChangePassword=True)
    p = iam.get_account_password_policy()["PasswordPolicy"]
    assert (p["MinimumPasswordLength"], p["MaxPasswordAge"], p["PasswordReusePrevention"]) == (14, 90, 24)
    assert p["ExpirePasswords"] and p["HardExpiry"] and p["RequireSymbols"]
    for bad in ({"MaxPasswordAge": 1096}, {"PasswordReusePrevention": 25},
                {"MinimumPasswordLength": 129}):
        raises("ValidationError", iam.update_account_password_policy, **bad)
    iam.delete_account_password_policy()
    raises("NoSuchEntity", iam.get_account_password_policy)


def test_login_profiles(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="alice")
    # Without a policy, AWS's default one: 8 characters, three character classes.
    for weak in ("short1A", "alllowercase1", "alice"):
        msg = raises("PasswordPolicyViolation", iam.create_login_profile, UserName="alice",
                     Password=weak)
        assert msg == "Password does not conform to the account password policy."
    raises("NoSuchEntity", iam.create_login_profile, UserName="nobody", Password="Good-Pass-1")
    lp = iam.create_login_profile(UserName="alice", Password="Good-Pass-1",
                                  PasswordResetRequired=True)["LoginProfile"]
    assert lp["UserName"] == "alice" and lp["PasswordResetRequired"] is True
    raises("EntityAlreadyExists", iam.create_login_profile, UserName="alice",
           Password="Good-Pass-2")
    assert iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"]
    iam.update_login_profile(UserName="alice", PasswordResetRequired=False)
    assert not iam.get_login_profile(UserName="alice")["LoginProfile"]["PasswordResetRequired"]
    # The policy applies to every set.
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True)
    raises("PasswordPolicyViolation", iam.update_login_profile, UserName="alice",
           Password="NoNumbersHere")
    raises("PasswordPolicyViolation", iam.update_login_profile, UserName="alice",
           Password="short1")
    iam.update_login_profile(UserName="alice", Password="long-enough-1")
    msg = raises("DeleteConflict", iam.delete_user, UserName="alice")
    assert msg == "Cannot delete entity, must delete login profile first."
    iam.delete_login_profile(UserName="alice")
    msg = raises("NoSuchEntity", iam.get_login_profile, UserName="alice")
    assert msg == "Login Profile for User alice cannot be found."
    raises("NoSuchEntity", iam.delete_login_profile, UserName="alice")
    raises("NoSuchEntity", iam.update_login_profile, UserName="alice", Password="x")
    iam.delete_user(UserName="alice")


def test_change_password_reuse_and_lockout(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "bob")
    iam.create_login_profile(UserName="bob", Password="First-Pass-1")
    bob = oxiam.client("iam", ak, sk)
    # Without AllowUsersToChangePassword a user needs iam:ChangePassword on itself.
    msg = raises("AccessDenied", bob.change_password, OldPassword="First-Pass-1",
                 NewPassword="Second-Pass-2")
    assert "iam:ChangePassword" in msg and user_arn("bob") in msg
    iam.update_account_password_policy(AllowUsersToChangePassword=True,
                                       PasswordReusePrevention=2, MinimumPasswordLength=8)
    msg = raises("AccessDenied", bob.change_password, OldPassword="wrong",
                 NewPassword="Second-Pass-2")
    assert msg == "The old password is incorrect."
    bob.change_password(OldPassword="First-Pass-1", NewPassword="Second-Pass-2")
    # The current and the previous password may not be set again (PasswordReusePrevention 2).
    for old in ("Second-Pass-2", "First-Pass-1"):
        raises("PasswordPolicyViolation", bob.change_password, OldPassword="Second-Pass-2",
               NewPassword=old)
    raises("PasswordPolicyViolation", bob.change_password, OldPassword="Second-Pass-2",
           NewPassword="short")
    # ChangePassword clears PasswordResetRequired.
    iam.update_login_profile(UserName="bob", PasswordResetRequired=True)
    bob.change_password(OldPassword="Second-Pass-2", NewPassword="Third-Pass-3")
    assert not iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"]
    # Brute force: after 5 wrong old passwords in a row, even the right one is refused.
    for _ in range(5):
        raises("AccessDenied", bob.change_password, OldPassword="guess",
               NewPassword="Fourth-Pass-4")
    msg = raises("LimitExceeded", bob.change_password, OldPassword="Third-Pass-3",
                 NewPassword="Fourth-Pass-4")
    assert msg.startswith("Too many invalid passwords for user bob. Try again in ")
    # The root is not an IAM user.
    raises("InvalidUserType", iam.change_password, OldPassword="a", NewPassword="b")


# ---- Virtual MFA devices -----------------------------------------------------------------

def png_rows(png):
    """Checks the PNG's structure (signature, chunk CRCs, zlib stream) and returns its size
    and decompressed scanlines."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + data), kind
        chunks[kind] = chunks.get(kind, b"") + data
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    raw = zlib.decompress(chunks[b"IDAT"])
    assert b"IEND" in chunks
    return width, height, depth, color, raw


def test_virtual_mfa_lifecycle(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="carol")
    serial, seed, dev = new_device(iam, "carol-phone", Path="/team/",
                                   Tags=[{"Key": "k", "Value": "v"}])
    assert serial == f"arn:aws:iam::{ACCOUNT}:mfa/team/carol-phone"
    assert len(seed) == 64 and base64.b32decode(seed)
    width, height, depth, color, raw = png_rows(dev["QRCodePNG"])
    assert width == height and (depth, color) == (1, 0)
    assert len(raw) == height * ((width + 7) // 8 + 1)
    raises("EntityAlreadyExists", iam.create_virtual_mfa_device,
           VirtualMFADeviceName="carol-phone", Path="/team/")
    listed = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial]
    assert "Base32StringSeed" not in listed[0]

    s = now_step()
    msg = raises("InvalidAuthenticationCode", iam.enable_mfa_device, UserName="carol",
                 SerialNumber=serial, AuthenticationCode1=totp(seed, s - 1),
                 AuthenticationCode2=totp(seed, s - 3))
    assert msg == "Authentication code for device is not valid."
    raises("NoSuchEntity", iam.enable_mfa_device, UserName="carol",
           SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/none", AuthenticationCode1="123456",
           AuthenticationCode2="123456")
    enable(iam, "carol", serial, seed)
    raises("EntityAlreadyExists", iam.enable_mfa_device, UserName="carol", SerialNumber=serial,
           AuthenticationCode1=totp(seed, s), AuthenticationCode2=totp(seed, s + 1))
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert assigned[0]["User"]["UserName"] == "carol" and "EnableDate" in assigned[0]
    assert iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"] == []
    summary = iam.get_account_summary()["SummaryMap"]
    assert (summary["MFADevices"], summary["MFADevicesInUse"]) == (1, 1)
    devices = iam.list_mfa_devices(UserName="carol")["MFADevices"]
    assert [(d["UserName"], d["SerialNumber"]) for d in devices] == [("carol", serial)]
    got = iam.get_mfa_device(SerialNumber=serial, UserName="carol")
    assert got["UserName"] == "carol" and got["SerialNumber"] == serial

    # Resync: two consecutive codes, later than the ones already used.
    s = now_step()
    iam.resync_mfa_device(UserName="carol", SerialNumber=serial,
                          AuthenticationCode1=totp(seed, s), AuthenticationCode2=totp(seed, s + 1))
    # The same pair again is a replay.
    raises("InvalidAuthenticationCode", iam.resync_mfa_device, UserName="carol",
           SerialNumber=serial, AuthenticationCode1=totp(seed, s),
           AuthenticationCode2=totp(seed, s + 1))

    msg = raises("DeleteConflict", iam.delete_virtual_mfa_device, SerialNumber=serial)
    assert msg == "MFA VirtualDevice in use. Must deactivate first."
    msg = raises("DeleteConflict", iam.delete_user, UserName="carol")
    assert msg == "Cannot delete entity, must delete MFA device first."

    # Tags.
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": "k2", "Value": "v2"}])
    iam.untag_mfa_device(SerialNumber=serial, TagKeys=["k"])
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "k2", "Value": "v2"}]

    iam.deactivate_mfa_device(UserName="carol", SerialNumber=serial)
    assert iam.list_mfa_devices(UserName="carol")["MFADevices"] == []
    raises("NoSuchEntity", iam.get_mfa_device, SerialNumber=serial, UserName="carol")
    raises("NoSuchEntity", iam.deactivate_mfa_device, UserName="carol", SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    raises("NoSuchEntity", iam.delete_virtual_mfa_device, SerialNumber=serial)
    raises("NoSuchEntity", iam.list_mfa_device_tags, SerialNumber=serial)
    iam.delete_user(UserName="carol")


def test_virtual_mfa_pagination(oxiam):
    iam = oxiam.client("iam")
    for i in range(3):
        new_device(iam, f"d{i}")
    page = iam.list_virtual_mfa_devices(MaxItems=2)
    assert page["IsTruncated"] and len(page["VirtualMFADevices"]) == 2
    rest = iam.list_virtual_mfa_devices(MaxItems=2, Marker=page["Marker"])
    assert not rest["IsTruncated"]
    names = [d["SerialNumber"].rsplit("/", 1)[1]
             for d in page["VirtualMFADevices"] + rest["VirtualMFADevices"]]
    assert names == ["d0", "d1", "d2"]
    paginated = iam.get_paginator("list_virtual_mfa_devices").paginate(
        PaginationConfig={"PageSize": 1})
    assert sum(len(p["VirtualMFADevices"]) for p in paginated) == 3


# ---- MFA in STS ---------------------------------------------------------------------------

# AWS's documented policy "allows MFA-authenticated IAM users to manage their own MFA
# device" and denies everything else without MFA (IAM User Guide, example policies).
BLOCK_WITHOUT_MFA = doc(
    {"Sid": "AllowViewAccountInfo", "Effect": "Allow",
     "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"], "Resource": "*"},
    {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow",
     "Action": ["iam:CreateVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/*"},
    {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow",
     "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:GetUser",
                "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"],
     "Resource": "arn:aws:iam::*:user/${aws:username}"},
    {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
     "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser",
                   "iam:GetMFADevice", "iam:ListMFADevices", "iam:ListVirtualMFADevices",
                   "iam:ResyncMFADevice", "sts:GetSessionToken"],
     "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    # What the user may do once MFA-authenticated.
    {"Sid": "Work", "Effect": "Allow", "Action": ["iam:ListUsers", "sts:AssumeRole"],
     "Resource": "*"},
)


def test_mfa_protected_access_end_to_end(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "dave", BLOCK_WITHOUT_MFA)
    dave = oxiam.client("iam", ak, sk)
    dave_sts = oxiam.client("sts", ak, sk)
    # Long-term keys carry no MFA: the deny applies to everything but managing own MFA.
    raises("AccessDenied", dave.list_users)
    raises("AccessDenied", dave.create_user, UserName="x")
    # Dave sets up his own device, as the policy allows.
    serial, seed, _ = new_device(dave, "dave")
    raises("AccessDenied", dave.enable_mfa_device, UserName="admin", SerialNumber=serial,
           AuthenticationCode1="000000", AuthenticationCode2="000000")
    enable(dave, "dave", serial, seed)
    assert dave.list_mfa_devices()["MFADevices"][0]["SerialNumber"] == serial

    # A session without MFA may not call IAM at all.
    plain = dave_sts.get_session_token()["Credentials"]
    raises("AccessDenied", creds_client(oxiam, "iam", plain).list_users)
    # A wrong code, a device that is not his, a half-given pair: refused alike.
    s = now_step()
    wrong = "%06d" % ((int(totp(seed, s)) + 1) % 1_000_000)
    msg = raises("AccessDenied", dave_sts.get_session_token, SerialNumber=serial,
                 TokenCode=wrong)
    assert msg == "MultiFactorAuthentication failed with invalid MFA one time pass code."
    raises("AccessDenied", dave_sts.get_session_token, SerialNumber=serial)
    raises("AccessDenied", dave_sts.get_session_token,
           SerialNumber=f"arn:aws:iam::{ACCOUNT}:mfa/other", TokenCode=totp(seed, s))
    # The right code: an MFA session that may do the work.
    code = totp(seed, s)
    mfa = dave_sts.get_session_token(SerialNumber=serial, TokenCode=code)["Credentials"]
    assert creds_client(oxiam, "iam", mfa).list_users()["Users"]
    # The same code cannot be used again.
    raises("AccessDenied", dave_sts.get_session_token, SerialNumber=serial, TokenCode=code)

    # AssumeRole: a trust policy that requires MFA.
    iam.create_role(RoleName="admin", AssumeRolePolicyDocument=trust(
        user_arn("dave"), condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    iam.put_role_policy(RoleName="admin", PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*",
         "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}))
    raises("AccessDenied", dave_sts.assume_role, RoleArn=role_arn("admin"),
           RoleSessionName="ses")
    out = dave_sts.assume_role(RoleArn=role_arn("admin"), RoleSessionName="ses",
                               SerialNumber=serial, TokenCode=totp(seed, s + 1))
    role = creds_client(oxiam, "iam", out["Credentials"])
    assert [r["RoleName"] for r in role.list_roles()["Roles"]] == ["admin"]
    # From the MFA session, no new code is needed: the session's MFA counts.
    again = creds_client(oxiam, "sts", mfa).assume_role(RoleArn=role_arn("admin"),
                                                        RoleSessionName="ses2")
    assert creds_client(oxiam, "iam", again["Credentials"]).list_roles()["Roles"]


def set_clock(server, offset):
    req = urllib.request.Request(f"{server.endpoint}/_oxiam/clock?offset={offset}",
                                 method="POST")
    urllib.request.urlopen(req).close()


def test_mfa_age_reaches_policies(dev):
    iam = dev.client("iam")
    ak, sk = user(dev, iam, "erin", doc(
        {"Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice"],
         "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*",
         "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}))
    serial, seed, _ = new_device(iam, "erin")
    enable(iam, "erin", serial, seed)
    sts = dev.client("sts", ak, sk)
    s = now_step()
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, s))
    assert creds_client(dev, "iam", creds["Credentials"]).list_users()["Users"]
    # A session whose MFA sign-in was 3,700 seconds ago (STS's clock set back for it).
    set_clock(dev, -3700)
    old = sts.get_session_token(SerialNumber=serial, TokenCode=totp(seed, s + 1))
    set_clock(dev, 0)
    raises("AccessDenied", creds_client(dev, "iam", old["Credentials"]).list_users)


# ---- Credential report ---------------------------------------------------------------------

COLUMNS = ("user,arn,user_creation_time,password_enabled,password_last_used,"
           "password_last_changed,password_next_rotation,mfa_active,access_key_1_active,"
           "access_key_1_last_rotated,access_key_1_last_used_date,"
           "access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,"
           "access_key_2_last_rotated,access_key_2_last_used_date,"
           "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
           "cert_1_last_rotated,cert_2_active,cert_2_last_rotated").split(",")


def is_iso(s):
    return len(s) == 25 and s[10] == "T" and s.endswith("+00:00")


def test_credential_report(dev):
    iam = dev.client("iam")
    msg = raises("ReportNotPresent", iam.get_credential_report)
    assert "GenerateCredentialReport" in msg
    iam.update_account_password_policy(MaxPasswordAge=30)
    ak, sk = user(dev, iam, "frank")
    time.sleep(1)  # keys are ordered by creation time, to the second
    iam.create_access_key(UserName="frank")
    dev.client("sts", ak, sk).get_caller_identity()
    iam.create_login_profile(UserName="frank", Password="Frank-Pass-1")
    serial, seed, _ = new_device(iam, "frank")
    enable(iam, "frank", serial, seed)
    iam.create_user(UserName="grace")

    out = iam.generate_credential_report()
    assert out["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    text = report["Content"].decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == COLUMNS
    table = {r[0]: dict(zip(COLUMNS, r)) for r in rows[1:]}
    assert set(table) == {"<root_account>", "frank", "grace"}

    root = table["<root_account>"]
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert is_iso(root["user_creation_time"])
    assert root["password_enabled"] == "not_supported"
    assert root["password_last_used"] == "no_information"  # a date or this, never N/A
    assert root["password_last_changed"] == "not_supported"
    assert root["password_next_rotation"] == "not_supported"
    assert root["access_key_1_active"] == "true"  # the root key these tests sign with

    f = table["frank"]
    assert f["arn"] == user_arn("frank") and is_iso(f["user_creation_time"])
    assert f["password_enabled"] == "true"
    assert f["password_last_used"] == "no_information"
    assert is_iso(f["password_last_changed"]) and is_iso(f["password_next_rotation"])
    assert f["password_next_rotation"] > f["password_last_changed"]
    assert f["mfa_active"] == "true"
    assert f["access_key_1_active"] == "true" and is_iso(f["access_key_1_last_rotated"])
    assert is_iso(f["access_key_1_last_used_date"])
    assert f["access_key_1_last_used_region"] == "us-east-1"
    assert f["access_key_1_last_used_service"] == "sts"
    assert f["access_key_2_active"] == "true" and is_iso(f["access_key_2_last_rotated"])
    for col in ("access_key_2_last_used_date", "access_key_2_last_used_region",
                "access_key_2_last_used_service"):
        assert f[col] == "N/A"
    assert (f["cert_1_active"], f["cert_1_last_rotated"]) == ("false", "N/A")
    assert (f["cert_2_active"], f["cert_2_last_rotated"]) == ("false", "N/A")

    g = table["grace"]
    assert (g["password_enabled"], g["password_last_used"], g["password_last_changed"],
            g["password_next_rotation"], g["mfa_active"]) == ("false", "N/A", "N/A", "N/A", "false")
    assert (g["access_key_1_active"], g["access_key_1_last_rotated"]) == ("false", "N/A")

    # Four hours on the report expires; generating again makes a new one.
    advance_clock(dev, 4 * 3600 + 1)
    msg = raises("ReportExpired", iam.get_credential_report)
    assert "GenerateCredentialReport" in msg
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.get_credential_report()["Content"].decode().startswith("user,arn,")


def test_hard_expiry_needs_an_administrator(dev):
    iam = dev.client("iam")
    ak, sk = user(dev, iam, "ivy")
    iam.create_login_profile(UserName="ivy", Password="Ivy-Pass-11")
    iam.update_account_password_policy(AllowUsersToChangePassword=True, MaxPasswordAge=1,
                                       HardExpiry=True)
    ivy = dev.client("iam", ak, sk)
    ivy.change_password(OldPassword="Ivy-Pass-11", NewPassword="Ivy-Pass-22")
    advance_clock(dev, 2 * 86400)
    raises("EntityTemporarilyUnmodifiable", ivy.change_password, OldPassword="Ivy-Pass-22",
           NewPassword="Ivy-Pass-33")
    # Without HardExpiry the user may set a new one.
    iam.update_account_password_policy(AllowUsersToChangePassword=True, MaxPasswordAge=1)
    ivy.change_password(OldPassword="Ivy-Pass-22", NewPassword="Ivy-Pass-33")


def test_denials_and_pagination_of_devices_and_tags(oxiam):
    iam = oxiam.client("iam")
    ak, sk = user(oxiam, iam, "jack")
    jack = oxiam.client("iam", ak, sk)
    for fn, kw in ((jack.create_login_profile, {"UserName": "jack", "Password": "Jack-Pass-1"}),
                   (jack.get_login_profile, {"UserName": "jack"}),
                   (jack.update_account_password_policy, {}),
                   (jack.create_virtual_mfa_device, {"VirtualMFADeviceName": "j"}),
                   (jack.list_virtual_mfa_devices, {}),
                   (jack.generate_credential_report, {}),
                   (jack.get_credential_report, {})):
        msg = raises("AccessDenied", fn, **kw)
        assert "is not authorized to perform: iam:" in msg
    msg = raises("AccessDenied", jack.create_virtual_mfa_device, VirtualMFADeviceName="j",
                 Path="/p/")
    assert f"arn:aws:iam::{ACCOUNT}:mfa/p/j" in msg
    # A device's tags reach conditions as aws:ResourceTag.
    serial, seed, _ = new_device(iam, "jack", Tags=[{"Key": "owner", "Value": "jack"}])
    iam.put_user_policy(UserName="jack", PolicyName="tags", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListMFADeviceTags", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/owner": "jack"}}}))
    assert jack.list_mfa_device_tags(SerialNumber=serial)["Tags"]
    other, _, _ = new_device(iam, "other", Tags=[{"Key": "owner", "Value": "kim"}])
    raises("AccessDenied", jack.list_mfa_device_tags, SerialNumber=other)

    # Pagination: ListMFADevices and ListMFADeviceTags.
    for i in range(3):
        s_i, seed_i, _ = new_device(iam, f"jack-{i}")
        enable(iam, "jack", s_i, seed_i)
    page = iam.list_mfa_devices(UserName="jack", MaxItems=2)
    assert page["IsTruncated"] and len(page["MFADevices"]) == 2
    rest = iam.list_mfa_devices(UserName="jack", Marker=page["Marker"])
    assert [d["SerialNumber"] for d in page["MFADevices"] + rest["MFADevices"]] == [
        f"arn:aws:iam::{ACCOUNT}:mfa/jack-{i}" for i in range(3)]
    iam.tag_mfa_device(SerialNumber=serial, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(4)])
    tags = iam.list_mfa_device_tags(SerialNumber=serial, MaxItems=3)
    assert tags["IsTruncated"] and len(tags["Tags"]) == 3
    more = iam.list_mfa_device_tags(SerialNumber=serial, Marker=tags["Marker"])
    assert len(more["Tags"]) == 2 and not more["IsTruncated"]
    raises("ValidationError", iam.list_virtual_mfa_devices, Marker="!!bad")
