"""Parses the golden responses with botocore's own AWS Query parser and checks what it reads.

Run by tests/botocore.rs with the Python of target/venv (scripts/python-env.sh installs
botocore there). Exits non-zero, naming the golden, on the first mismatch.
"""
import datetime
import pathlib
import sys

import botocore.session
from botocore.parsers import QueryParser

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "golden"
session = botocore.session.get_session()
models = {name: session.get_service_model(name) for name in ("iam", "sts")}
REQUEST_ID = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"


def parse(service, operation, file, status=200):
    body = (GOLDEN / file).read_bytes().rstrip(b"\n")
    shape = models[service].operation_model(operation).output_shape
    parsed = QueryParser().parse(
        {"body": body, "status_code": status, "headers": {}}, shape
    )
    assert parsed["ResponseMetadata"]["RequestId"] == REQUEST_ID, (file, parsed)
    return parsed


def utc(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def check(file, condition):
    if not condition:
        sys.exit(f"botocore reads {file} differently than expected")


p = parse("iam", "CreateUser", "create_user.xml")
user = p["User"]
check("create_user.xml", user["UserName"] == "Bob"
      and user["Path"] == "/division_abc/subdivision_xyz/"
      and user["CreateDate"] == utc("2013-01-02T15:04:05Z")
      and user["Tags"] == [{"Key": "Dept", "Value": "R&D <core>"}])

p = parse("iam", "ListUsers", "list_users_truncated.xml")
check("list_users_truncated.xml", p["IsTruncated"] is True
      and p["Marker"] == "AAEAAXJzdGF0ZQ=="
      and [u["UserName"] for u in p["Users"]] == ["Andrew", "Susan"]
      and p["Users"][1]["PasswordLastUsed"] == utc("2014-10-10T14:37:51Z"))

p = parse("iam", "ListUsers", "list_users_empty.xml")
check("list_users_empty.xml", p["Users"] == [] and p["IsTruncated"] is False)

p = parse("iam", "ListAccessKeys", "list_access_keys.xml")
check("list_access_keys.xml",
      [(k["AccessKeyId"], k["Status"]) for k in p["AccessKeyMetadata"]]
      == [("AKIAIOSFODNN7EXAMPLE", "Active"), ("AKIAI44QH8DHBEXAMPLE", "Inactive")])

p = parse("iam", "CreateAccessKey", "create_access_key.xml")
check("create_access_key.xml",
      p["AccessKey"]["SecretAccessKey"] == "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY")

p = parse("iam", "GetAccountSummary", "get_account_summary.xml")
check("get_account_summary.xml", p["SummaryMap"] == {"Users": 27, "UsersQuota": 5000})

p = parse("iam", "DeleteUser", "delete_user.xml")
check("delete_user.xml", set(p) == {"ResponseMetadata"})

p = parse("sts", "GetCallerIdentity", "get_caller_identity.xml")
check("get_caller_identity.xml", p["Account"] == "123456789012"
      and p["Arn"] == "arn:aws:iam::123456789012:user/Alice"
      and p["UserId"] == "AIDACKCEVSQ6C2EXAMPLE")

p = parse("sts", "AssumeRole", "assume_role.xml")
check("assume_role.xml", p["Credentials"]["Expiration"] == utc("2019-11-09T13:34:41Z")
      and p["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/demo/Bob"
      and p["PackedPolicySize"] == 8)

p = parse("iam", "GetUser", "error_iam_no_such_entity.xml", status=404)
check("error_iam_no_such_entity.xml", p["Error"] == {
    "Type": "Sender", "Code": "NoSuchEntity",
    "Message": "The user with name Bob cannot be found."})

p = parse("sts", "AssumeRole", "error_sts_access_denied.xml", status=403)
check("error_sts_access_denied.xml", p["Error"]["Code"] == "AccessDenied"
      and p["Error"]["Message"].startswith("User: arn:aws:iam::123456789012:user/Bob"))

print("botocore parsed every golden as expected")
