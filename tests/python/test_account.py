"""boto3: account aliases, GetAccountSummary, GetAccountAuthorizationDetails (shapes, pages,
errors, denials), ListOrganizationsFeatures of an account outside any organization."""
import botocore.exceptions
import pytest

from conftest import ACCOUNT, Oxiam

SUMMARY_KEYS = {
    "Users", "UsersQuota", "Groups", "GroupsQuota", "Roles", "RolesQuota", "Policies",
    "PoliciesQuota", "PolicyVersionsInUse", "PolicyVersionsInUseQuota", "InstanceProfiles",
    "InstanceProfilesQuota", "ServerCertificates", "ServerCertificatesQuota", "Providers",
    "MFADevices", "MFADevicesInUse", "AccountMFAEnabled", "AccountAccessKeysPresent",
    "AccountPasswordPresent", "AccountSigningCertificatesPresent", "AccessKeysPerUserQuota",
    "SigningCertificatesPerUserQuota", "GroupsPerUserQuota", "AttachedPoliciesPerUserQuota",
    "AttachedPoliciesPerGroupQuota", "AttachedPoliciesPerRoleQuota", "UserPolicySizeQuota",
    "GroupPolicySizeQuota", "RolePolicySizeQuota", "PolicySizeQuota",
    "AssumeRolePolicySizeQuota", "VersionsPerPolicyQuota", "GlobalEndpointTokenVersion",
    # oxiam's own key: 1 when the account's policy denials are reported, not enforced.
    "ReportOnlyEnforcement",
}


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


@pytest.fixture
def dev():
    server = Oxiam(["--dev"])
    yield server
    server.stop()


def test_aliases_replace_and_are_unique_across_accounts(dev):
    iam = dev.client("iam")
    other = dev.client("iam", key="210987654321", secret="x" * 40)
    assert iam.list_account_aliases()["AccountAliases"] == []
    iam.create_account_alias(AccountAlias="acme-corp")
    iam.create_account_alias(AccountAlias="acme-two")
    r = iam.list_account_aliases()
    assert r["AccountAliases"] == ["acme-two"]
    assert r["IsTruncated"] is False
    pages = list(iam.get_paginator("list_account_aliases").paginate())
    assert [a for p in pages for a in p["AccountAliases"]] == ["acme-two"]

    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.create_account_alias(AccountAlias="acme-two")
    assert error_of(e) == ("EntityAlreadyExists", 409, "The account alias acme-two already exists.")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_account_alias(AccountAlias="Not-Lower")
    code, status, message = error_of(e)
    assert (code, status) == ("ValidationError", 400)
    assert "accountAlias" in message and "regular expression pattern" in message
    with pytest.raises(botocore.exceptions.ClientError) as e:
        other.delete_account_alias(AccountAlias="acme-two")
    assert error_of(e) == ("NoSuchEntity", 404, "The account alias acme-two cannot be found.")

    iam.delete_account_alias(AccountAlias="acme-two")
    other.create_account_alias(AccountAlias="acme-two")
    assert other.list_account_aliases()["AccountAliases"] == ["acme-two"]
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_summary_has_every_key(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="u1")
    m = iam.get_account_summary()["SummaryMap"]
    assert set(m) == SUMMARY_KEYS
    assert m["Users"] == 1 and m["Groups"] == 0 and m["Roles"] == 0 and m["Policies"] == 0
    assert m["UsersQuota"] == 5000 and m["GroupsQuota"] == 300 and m["RolesQuota"] == 1000
    assert m["PoliciesQuota"] == 1500 and m["InstanceProfilesQuota"] == 1000
    assert m["AssumeRolePolicySizeQuota"] == 2048 and m["GroupPolicySizeQuota"] == 5120
    assert m["AccountAccessKeysPresent"] == 1
    assert all(isinstance(v, int) for v in m.values())


def test_authorization_details_pages(oxiam):
    iam = oxiam.client("iam")
    for i in range(5):
        iam.create_user(UserName=f"user{i}", Path="/team/", Tags=[{"Key": "n", "Value": str(i)}])
    seen, marker = [], None
    while True:
        kw = {"MaxItems": 2, "Filter": ["User"]}
        if marker:
            kw["Marker"] = marker
        page = iam.get_account_authorization_details(**kw)
        seen += [u["UserName"] for u in page["UserDetailList"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert seen == [f"user{i}" for i in range(5)]

    merged = iam.get_paginator("get_account_authorization_details").paginate(
        PaginationConfig={"PageSize": 3}).build_full_result()
    users = merged["UserDetailList"]
    assert len(users) == 5
    u = users[0]
    assert u["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/team/user0"
    assert u["UserId"].startswith("AIDA") and u["Path"] == "/team/"
    assert u["Tags"] == [{"Key": "n", "Value": "0"}]
    assert u["GroupList"] == [] and u["UserPolicyList"] == [] and u["AttachedManagedPolicies"] == []
    assert "PermissionsBoundary" not in u
    assert merged["Policies"] == []

    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_account_authorization_details(Marker="!!not-a-marker")
    assert error_of(e)[:2] == ("ValidationError", 400)


def test_account_operations_denied_without_policies(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    nobody = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    for action, call in [
        ("iam:GetAccountSummary", lambda: nobody.get_account_summary()),
        ("iam:GetAccountAuthorizationDetails", lambda: nobody.get_account_authorization_details()),
        ("iam:ListAccountAliases", lambda: nobody.list_account_aliases()),
        ("iam:CreateAccountAlias", lambda: nobody.create_account_alias(AccountAlias="mine")),
        ("iam:ListOrganizationsFeatures", lambda: nobody.list_organizations_features()),
    ]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        code, status, message = error_of(e)
        assert (code, status) == ("AccessDenied", 403)
        assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: "
                           f"{action} on resource: * because no identity-based policy allows the "
                           f"{action} action")
    assert iam.list_account_aliases()["AccountAliases"] == []


def test_organizations_features_of_a_standalone_account(oxiam):
    # oxiam has no Organizations: every account is standalone, and AWS answers it so.
    iam = oxiam.client("iam")
    with pytest.raises(iam.exceptions.OrganizationNotFoundException) as e:
        iam.list_organizations_features()
    assert error_of(e) == (
        "OrganizationNotFoundException", 400,
        "The request was rejected because no organization is associated with your account.")
