"""boto3 against the real oxiam server: GetAccountProperties and PutAccountProperties (role
manager's `RoleManager/Enabled`), their errors, and `iam:AccountPropertyNamespaces`."""
import json

import botocore.exceptions
import pytest

from conftest import ACCOUNT


def error_of(excinfo):
    e = excinfo.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def test_role_manager_is_disabled_until_enabled(oxiam):
    iam = oxiam.client("iam")
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}
    iam.put_account_properties(Properties={"RoleManager/Enabled": "true"})
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "true"}
    # Other properties of the namespace are accepted and ignored beside Enabled.
    iam.put_account_properties(Properties={"RoleManager/Enabled": "false", "RoleManager/Other": "x"})
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}


@pytest.mark.parametrize("properties, message", [
    ({"RoleManager": "false"}, "Property key must be in format Namespace/PropertyName: RoleManager"),
    ({"RoleManager/Enabled/Other": "false"},
     "Property key must be in format Namespace/PropertyName: RoleManager/Enabled/Other"),
    ({"Probe/Enabled": "false"}, "Unsupported namespace: Probe"),
    ({"RoleManager/Enabled": "false", "Probe/Enabled": "false"},
     "All properties must belong to the same namespace"),
    ({"RoleManager/Other": "false"}, "RoleManager namespace requires Enabled property"),
    ({"RoleManager/Enabled": "FALSE"}, "Enabled must be 'true' or 'false'"),
    ({"RoleManager/Enabled": "yes"}, "Enabled must be 'true' or 'false'"),
])
def test_bad_properties_are_invalid_input(oxiam, properties, message):
    iam = oxiam.client("iam")
    iam.put_account_properties(Properties={"RoleManager/Enabled": "true"})
    with pytest.raises(iam.exceptions.InvalidInputException) as e:
        iam.put_account_properties(Properties=properties)
    assert error_of(e) == ("InvalidInput", 400, message)
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "true"}


def test_keys_outside_the_model_are_validation_errors(oxiam):
    iam = oxiam.client("iam")
    # The model's key pattern (^[A-Za-z][A-Za-z0-9/_-]*$) and length (at most 50).
    for key in ["1RoleManager/Enabled", "RoleManager/En abled", "RoleManager/" + "E" * 40]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            iam.put_account_properties(Properties={key: "true"})
        assert error_of(e)[:2] == ("ValidationError", 400), key
    # An empty map sends no Properties at all: the required member is missing.
    with pytest.raises(botocore.exceptions.ClientError) as e:
        iam.put_account_properties(Properties={})
    assert error_of(e)[:2] == ("ValidationError", 400)
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}


def test_account_properties_are_authorized_by_namespace(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="ops")
    key = iam.create_access_key(UserName="ops")["AccessKey"]
    ops = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    for action, call in [
        ("iam:GetAccountProperties", lambda: ops.get_account_properties()),
        ("iam:PutAccountProperties",
         lambda: ops.put_account_properties(Properties={"RoleManager/Enabled": "true"})),
    ]:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert error_of(e) == (
            "AccessDenied", 403,
            f"User: arn:aws:iam::{ACCOUNT}:user/ops is not authorized to perform: {action} on "
            f"resource: * because no identity-based policy allows the {action} action")
    # AWS's example: permissions scoped to role manager's namespace.
    iam.put_user_policy(UserName="ops", PolicyName="role-manager", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": ["iam:GetAccountProperties", "iam:PutAccountProperties"],
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"iam:AccountPropertyNamespaces": "RoleManager"}},
        },
    }))
    ops.put_account_properties(Properties={"RoleManager/Enabled": "true"})
    assert ops.get_account_properties()["Properties"] == {"RoleManager/Enabled": "true"}
    with pytest.raises(botocore.exceptions.ClientError) as e:
        ops.put_account_properties(Properties={"Probe/Enabled": "true"})
    assert error_of(e)[:2] == ("AccessDenied", 403)
