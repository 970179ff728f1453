"""boto3 against the real oxiam server: shapes, pagination, errors, presigned requests."""
import urllib.error
import urllib.request

import botocore.exceptions
import pytest

from conftest import ACCOUNT


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def test_caller_identity_and_request_ids(oxiam):
    sts = oxiam.client("sts")
    r = sts.get_caller_identity()
    assert r["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert r["Account"] == ACCOUNT
    rid = r["ResponseMetadata"]["RequestId"]
    assert len(rid) == 36 and rid.count("-") == 4
    assert r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == rid


def test_list_users_marker_pagination(oxiam):
    iam = oxiam.client("iam")
    for i in range(7):
        iam.create_user(UserName=f"user{i}")
    seen, marker, pages = [], None, 0
    while True:
        kw = {"MaxItems": 3}
        if marker:
            kw["Marker"] = marker
        page = iam.list_users(**kw)
        pages += 1
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert pages == 3
    assert seen == [f"user{i}" for i in range(7)]
    # The paginator agrees.
    names = [u["UserName"] for p in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}) for u in p["Users"]]
    assert names == seen


def test_list_markers_survive_deletes_and_bad_markers_are_refused(oxiam):
    iam = oxiam.client("iam")
    for i in range(5):
        iam.create_user(UserName=f"m{i}")
    first = iam.list_users(MaxItems=2)
    # The page the marker points at starts with m2; deleting m2 moves it to the next user.
    iam.delete_user(UserName="m2")
    rest = iam.list_users(Marker=first["Marker"])
    assert [u["UserName"] for u in rest["Users"]] == ["m3", "m4"]
    for call in (lambda m: iam.list_users(Marker=m), lambda m: iam.list_roles(Marker=m),
                 lambda m: iam.list_groups(Marker=m), lambda m: iam.list_instance_profiles(Marker=m)):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call("not a marker!")
        assert error_of(e) == ("ValidationError", 400, "Invalid Marker.")


def test_errors_have_aws_codes_and_statuses(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="erin")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName="Erin")
    assert error_of(e)[:2] == ("EntityAlreadyExists", 409)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.get_user(UserName="nobody")
    assert error_of(e) == ("NoSuchEntity", 404, "The user with name nobody cannot be found.")
    iam.create_access_key(UserName="erin")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.delete_user(UserName="erin")
    assert error_of(e)[:2] == ("DeleteConflict", 409)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName="x" * 65)
    code, status, msg = error_of(e)
    assert (code, status) == ("ValidationError", 400)
    assert "Member must have length less than or equal to 64" in msg
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.tag_user(UserName="erin", Tags=[{"Key": "k", "Value": "v"}, {"Key": "K", "Value": "w"}])
    assert error_of(e)[:2] == ("InvalidInput", 400)


def test_denied_user_gets_aws_message(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="frank", Path="/team/")
    key = iam.create_access_key(UserName="frank")["AccessKey"]
    frank = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    with pytest.raises(botocore.exceptions.ClientError) as e:
        frank.delete_user(UserName="frank")
    code, status, msg = error_of(e)
    assert (code, status) == ("AccessDenied", 403)
    assert msg == (f"User: arn:aws:iam::{ACCOUNT}:user/team/frank is not authorized to perform: "
                   f"iam:DeleteUser on resource: user frank because no "
                   f"identity-based policy allows the iam:DeleteUser action")
    # Nothing was deleted.
    assert iam.get_user(UserName="frank")["User"]["Path"] == "/team/"


def test_presigned_get_caller_identity(oxiam):
    sts = oxiam.client("sts")
    # As `aws eks get-token` does: botocore signs the model's POST unless told GET.
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert "X-Amz-Signature=" in url
    body = urllib.request.urlopen(url).read().decode()
    assert f"<Arn>arn:aws:iam::{ACCOUNT}:root</Arn>" in body
    tampered = url.replace("X-Amz-Expires=60", "X-Amz-Expires=61")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(tampered)
    assert e.value.code == 403
    assert b"SignatureDoesNotMatch" in e.value.read()


def test_unsigned_request_is_rejected(oxiam):
    req = urllib.request.Request(oxiam.endpoint + "/", data=b"Action=ListUsers&Version=2010-05-08", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in e.value.read()


def test_access_key_last_used_and_status(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="gina")
    key = iam.create_access_key(UserName="gina")["AccessKey"]
    never = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert never["AccessKeyLastUsed"]["ServiceName"] == "N/A"
    assert "LastUsedDate" not in never["AccessKeyLastUsed"]
    oxiam.client("sts", key["AccessKeyId"], key["SecretAccessKey"]).get_caller_identity()
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert used["UserName"] == "gina"
    assert used["AccessKeyLastUsed"]["ServiceName"] == "sts"
    meta = iam.list_access_keys(UserName="gina")["AccessKeyMetadata"]
    assert [m["Status"] for m in meta] == ["Active"]


def test_unsigned_request_with_bad_input_is_an_authentication_error(oxiam):
    # AWS authenticates before it validates: nothing about the input leaks to strangers.
    req = urllib.request.Request(oxiam.endpoint + "/", data=b"Action=CreateUser&Version=2010-05-08&UserName=bad%20name", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req)
    assert e.value.code == 403
    assert b"<Code>MissingAuthenticationToken</Code>" in e.value.read()


def test_signature_scoped_to_another_service_is_refused(oxiam):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from conftest import ROOT_KEY, ROOT_SECRET

    def send(service):
        req = AWSRequest(method="POST", url=oxiam.endpoint + "/", data="Action=ListUsers&Version=2010-05-08",
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        SigV4Auth(Credentials(ROOT_KEY, ROOT_SECRET), service, "us-east-1").add_auth(req)
        prepared = req.prepare()
        r = urllib.request.Request(prepared.url, data=prepared.body.encode(), headers=dict(prepared.headers), method="POST")
        try:
            return 200, urllib.request.urlopen(r).read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    assert send("iam")[0] == 200
    status, body = send("sts")
    assert status in (400, 403), body
    assert b"<Code>SignatureDoesNotMatch</Code>" in body or b"<Code>IncompleteSignature</Code>" in body, body


def test_create_user_boundary_must_exist(oxiam):
    iam = oxiam.client("iam")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.create_user(UserName="hal", PermissionsBoundary=f"arn:aws:iam::{ACCOUNT}:policy/Nope")
    code, status, msg = error_of(e)
    assert (code, status) == ("NoSuchEntity", 404)
    assert "does not exist or is not attachable" in msg
    with pytest.raises(botocore.exceptions.ClientError):
        iam.get_user(UserName="hal")
    u = iam.create_user(UserName="hal", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")["User"]
    assert u["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
