"""boto3 against the real oxiam server: service-specific credentials (CodeCommit, Amazon
Keyspaces) — passwords shown only on create and reset, quotas, errors, authorization."""
import botocore.exceptions
import pytest

from conftest import ACCOUNT

CC = "codecommit.amazonaws.com"
KS = "cassandra.amazonaws.com"


def raises(code, fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    err = e.value.response["Error"]
    assert err["Code"] == code, err
    return err["Message"]


def test_create_list_reset_update_delete(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="jo")
    c = iam.create_service_specific_credential(UserName="jo", ServiceName=CC)["ServiceSpecificCredential"]
    assert c["ServiceUserName"] == f"jo-at-{ACCOUNT}"
    assert len(c["ServicePassword"]) == 44
    assert c["ServiceSpecificCredentialId"].startswith("ACCA")
    assert c["Status"] == "Active" and c["UserName"] == "jo" and c["ServiceName"] == CC
    cid = c["ServiceSpecificCredentialId"]
    listed = iam.list_service_specific_credentials(UserName="jo")["ServiceSpecificCredentials"]
    assert [x["ServiceSpecificCredentialId"] for x in listed] == [cid]
    assert "ServicePassword" not in listed[0]
    assert listed[0]["ServiceUserName"] == f"jo-at-{ACCOUNT}"
    reset = iam.reset_service_specific_credential(UserName="jo", ServiceSpecificCredentialId=cid)
    reset = reset["ServiceSpecificCredential"]
    assert reset["ServiceUserName"] == c["ServiceUserName"]
    assert reset["ServicePassword"] != c["ServicePassword"] and len(reset["ServicePassword"]) == 44
    iam.update_service_specific_credential(UserName="jo", ServiceSpecificCredentialId=cid,
                                           Status="Inactive")
    k = iam.create_service_specific_credential(UserName="jo", ServiceName=KS)["ServiceSpecificCredential"]
    assert [x["Status"] for x in iam.list_service_specific_credentials(
        UserName="jo", ServiceName=CC)["ServiceSpecificCredentials"]] == ["Inactive"]
    page = iam.list_service_specific_credentials(UserName="jo", MaxItems=1)
    assert page["IsTruncated"]
    rest = iam.list_service_specific_credentials(UserName="jo", Marker=page["Marker"])
    assert "IsTruncated" not in rest, "AWS leaves IsTruncated out of a complete list"
    assert {x["ServiceSpecificCredentialId"] for x in page["ServiceSpecificCredentials"]
            + rest["ServiceSpecificCredentials"]} == {cid, k["ServiceSpecificCredentialId"]}
    assert raises("DeleteConflict", iam.delete_user, UserName="jo") == (
        "Cannot delete entity, must remove referenced objects first.")
    iam.delete_service_specific_credential(UserName="jo", ServiceSpecificCredentialId=cid)
    iam.delete_service_specific_credential(UserName="jo",
                                           ServiceSpecificCredentialId=k["ServiceSpecificCredentialId"])
    raises("NoSuchEntity", iam.reset_service_specific_credential, UserName="jo",
           ServiceSpecificCredentialId=cid)
    raises("NoSuchEntity", iam.delete_service_specific_credential, UserName="jo",
           ServiceSpecificCredentialId=cid)
    iam.delete_user(UserName="jo")


def test_quota_and_errors(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="jo")
    for _ in range(2):
        iam.create_service_specific_credential(UserName="jo", ServiceName=CC)
    raises("LimitExceeded", iam.create_service_specific_credential, UserName="jo", ServiceName=CC)
    iam.create_service_specific_credential(UserName="jo", ServiceName=KS)
    # AWS answers NoSuchEntity for a service without service-specific credentials.
    message = raises("NoSuchEntity", iam.create_service_specific_credential, UserName="jo",
                     ServiceName="lambda.amazonaws.com")
    assert message == ("No such service lambda.amazonaws.com is supported for Service Specific "
                       "Credentials")
    raises("NoSuchEntity", iam.create_service_specific_credential, UserName="ghost", ServiceName=CC)


def test_users_manage_their_own(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="me")
    iam.create_user(UserName="you")
    key = iam.create_access_key(UserName="me")["AccessKey"]
    me = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    msg = raises("AccessDenied", me.create_service_specific_credential, UserName="me", ServiceName=CC)
    assert "iam:CreateServiceSpecificCredential on resource: user me" in msg
    iam.put_user_policy(UserName="me", PolicyName="own", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*ServiceSpecificCredential*",'
        f'"Resource":"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"}}}}'))
    cid = me.create_service_specific_credential(UserName="me", ServiceName=CC)[
        "ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    # Without a user name: the caller's own.
    assert [c["ServiceSpecificCredentialId"] for c in
            me.list_service_specific_credentials()["ServiceSpecificCredentials"]] == [cid]
    me.reset_service_specific_credential(ServiceSpecificCredentialId=cid)
    raises("AccessDenied", me.create_service_specific_credential, UserName="you", ServiceName=CC)
