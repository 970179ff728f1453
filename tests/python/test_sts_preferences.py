"""boto3 against the real oxiam server: SetSecurityTokenServicePreferences, reflected in
GetAccountSummary, authorized like every IAM operation."""
import botocore.exceptions
import pytest


def summary_version(iam):
    return iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"]


def test_token_version_is_set_and_reported(oxiam):
    iam = oxiam.client("iam")
    assert summary_version(iam) == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert summary_version(iam) == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert summary_version(iam) == 1
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v3Token")
    assert e.value.response["Error"]["Code"] == "ValidationError"


def test_setting_the_token_version_needs_permission(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="ops")
    key = iam.create_access_key(UserName="ops")["AccessKey"]
    ops = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ops.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert "iam:SetSecurityTokenServicePreferences on resource: *" in e.value.response["Error"]["Message"]
    iam.put_user_policy(UserName="ops", PolicyName="sts", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow",'
        '"Action":"iam:SetSecurityTokenServicePreferences","Resource":"*"}}'))
    ops.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert summary_version(iam) == 2
