"""Lowered quotas (`--quota NAME=VALUE`) are enforced for the limits of issue 5: identity
providers per account, SSH keys, service-specific credentials and MFA devices per user
(certificates: test_certificates.py)."""
import pytest

from conftest import Oxiam
from test_credentials import enable, new_device
from test_providers import METADATA, THUMB, raises


@pytest.fixture
def tight():
    server = Oxiam([
        "--quota", "oidc_providers_per_account=1",
        "--quota", "saml_providers_per_account=1",
        "--quota", "ssh_public_keys_per_user=1",
        "--quota", "service_credentials_per_user_per_service=1",
        "--quota", "mfa_devices_per_user=1",
    ])
    yield server
    server.stop()


ED25519 = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm/RAlphM3+hUG6wWfcO5bIUIaqMLa2ywxcOK1wMWbh a",
           "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHzO2JXV8A3MHM4t5BtRmXW6Z0dTPyAJ2wF5hP9Pl0Qk b")


def test_lowered_quotas_are_enforced(tight):
    iam = tight.client("iam")
    iam.create_open_id_connect_provider(Url="https://one.example.com", ThumbprintList=[THUMB])
    msg = raises("LimitExceeded", iam.create_open_id_connect_provider,
                 Url="https://two.example.com", ThumbprintList=[THUMB])
    assert "OpenIdConnectProvidersPerAccount: 1" in msg
    iam.create_saml_provider(Name="one", SAMLMetadataDocument=METADATA)
    msg = raises("LimitExceeded", iam.create_saml_provider, Name="two",
                 SAMLMetadataDocument=METADATA)
    assert "SamlProvidersPerAccount: 1" in msg

    iam.create_user(UserName="u")
    iam.upload_ssh_public_key(UserName="u", SSHPublicKeyBody=ED25519[0])
    msg = raises("LimitExceeded", iam.upload_ssh_public_key, UserName="u",
                 SSHPublicKeyBody=ED25519[1])
    assert "PublicKeysPerUser: 1" in msg

    iam.create_service_specific_credential(UserName="u", ServiceName="codecommit.amazonaws.com")
    msg = raises("LimitExceeded", iam.create_service_specific_credential, UserName="u",
                 ServiceName="codecommit.amazonaws.com")
    assert "ServiceSpecificCredentialsPerUserPerService: 1" in msg

    serial, seed, _ = new_device(iam, "first")
    enable(iam, "u", serial, seed)
    serial2, seed2, _ = new_device(iam, "second")
    msg = raises("LimitExceeded", lambda: enable(iam, "u", serial2, seed2))
    assert "MFADevicesPerUser: 1" in msg


def test_an_unknown_quota_is_refused_at_start():
    with pytest.raises(AssertionError):
        Oxiam(["--quota", "certificates_per_user=3"])


def test_a_lowered_tag_quota_is_enforced_on_create_and_tag():
    server = Oxiam(["--quota", "tags_per_entity=2"])
    try:
        iam = server.client("iam")
        two = [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
        iam.create_user(UserName="u", Tags=two)
        msg = raises("LimitExceeded", iam.tag_user, UserName="u",
                     Tags=[{"Key": "c", "Value": "3"}])
        assert msg == "The number of tags has reached the maximum limit of 2."
        # Changing a tag's value adds none.
        iam.tag_user(UserName="u", Tags=[{"Key": "A", "Value": "changed"}])
        raises("LimitExceeded", iam.create_policy, PolicyName="p", PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", '
            '"Resource": "*"}]}'), Tags=two + [{"Key": "c", "Value": "3"}])
        raises("LimitExceeded", iam.create_open_id_connect_provider,
               Url="https://one.example.com", ThumbprintList=[THUMB],
               Tags=two + [{"Key": "c", "Value": "3"}])
    finally:
        server.stop()
