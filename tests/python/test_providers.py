"""boto3 against the real oxiam server: OpenID Connect and SAML identity providers — every
operation, errors, quotas, tags (with pagination), GetAccountSummary, authorization."""
import botocore.exceptions
import pytest

from conftest import ACCOUNT

THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
OIDC = f"arn:aws:iam::{ACCOUNT}:oidc-provider/"
SAML = f"arn:aws:iam::{ACCOUNT}:saml-provider/"

# The model's minimum for SAMLMetadataDocument is 1,000 characters: real metadata carries
# a signing certificate.
CERT = "MIIC" + "A" * 1000
METADATA = f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    entityID="https://idp.example.com/saml" validUntil="2030-01-01T00:00:00Z">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{CERT}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def raises(code, fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    err = e.value.response["Error"]
    assert err["Code"] == code, err
    return err["Message"]


def test_oidc_provider_lifecycle(oxiam):
    iam = oxiam.client("iam")
    r = iam.create_open_id_connect_provider(
        Url="https://token.example.com/tenant/", ClientIDList=["app", "app", "cli"],
        ThumbprintList=[THUMB], Tags=[{"Key": "env", "Value": "dev"}])
    arn = r["OpenIDConnectProviderArn"]
    assert arn == OIDC + "token.example.com/tenant"
    assert r["Tags"] == [{"Key": "env", "Value": "dev"}]
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.example.com/tenant"
    assert got["ClientIDList"] == ["app", "cli"]
    assert got["ThumbprintList"] == [THUMB]
    assert got["CreateDate"]
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="web")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="app")
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn,
                                                   ThumbprintList=[THUMB, "f" * 40])
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["cli", "web"]
    assert got["ThumbprintList"] == [THUMB, "f" * 40]
    iam.create_open_id_connect_provider(Url="https://a.example.com", ThumbprintList=[THUMB])
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == \
        [OIDC + "a.example.com", arn]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 2
    # Tags, paged.
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                     Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(3)])
    page = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, MaxItems=2)
    assert page["IsTruncated"] and len(page["Tags"]) == 2
    rest = iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn, Marker=page["Marker"])
    assert [t["Key"] for t in page["Tags"] + rest["Tags"]] == ["env", "k0", "k1", "k2"]
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["ENV", "k0"])
    assert [t["Key"] for t in iam.list_open_id_connect_provider_tags(
        OpenIDConnectProviderArn=arn)["Tags"]] == ["k1", "k2"]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    raises("NoSuchEntity", iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    # "This operation is idempotent; it does not fail or return an error if you call the
    # operation for a provider that does not exist" (DeleteOpenIDConnectProvider, IAM API
    # Reference; moto's test_delete_open_id_connect_provider).
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    raises("NoSuchEntity", iam.add_client_id_to_open_id_connect_provider,
           OpenIDConnectProviderArn=arn, ClientID="x")


def test_oidc_provider_errors_and_quotas(oxiam):
    iam = oxiam.client("iam")
    iam.create_open_id_connect_provider(Url="https://id.example.com", ThumbprintList=[THUMB])
    msg = raises("EntityAlreadyExists", iam.create_open_id_connect_provider,
                 Url="https://id.example.com/", ThumbprintList=[THUMB])
    assert "https://id.example.com" in msg
    raises("InvalidInput", iam.create_open_id_connect_provider, Url="http://id.example.com",
           ThumbprintList=[THUMB])
    raises("InvalidInput", iam.create_open_id_connect_provider, Url="https://x.example.com",
           ThumbprintList=["z" * 40])
    raises("InvalidInput", iam.create_open_id_connect_provider, Url="https://x.example.com",
           ThumbprintList=[f"{i:040x}" for i in range(6)])
    raises("LimitExceeded", iam.create_open_id_connect_provider, Url="https://x.example.com",
           ClientIDList=[f"c{i}" for i in range(101)], ThumbprintList=[THUMB])
    arn = iam.create_open_id_connect_provider(
        Url="https://x.example.com", ClientIDList=[f"c{i}" for i in range(100)],
        ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    raises("LimitExceeded", iam.add_client_id_to_open_id_connect_provider,
           OpenIDConnectProviderArn=arn, ClientID="one-more")
    raises("InvalidInput", iam.update_open_id_connect_provider_thumbprint,
           OpenIDConnectProviderArn=arn, ThumbprintList=["g" * 40])


def test_update_oidc_provider(oxiam):
    iam = oxiam.client("iam")
    arn = iam.create_open_id_connect_provider(
        Url="https://token.example.com", ClientIDList=["app"],
        ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    before = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    # Trusted identity propagation only: thumbprints and client IDs are left alone. The
    # provider has neither setting, so removing one changes nothing.
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn, RemoveContextProvider=True)
    iam.update_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                        RemoveIdentityCenterInstance=True)
    after = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    for key in ["Url", "ClientIDList", "ThumbprintList", "CreateDate"]:
        assert after[key] == before[key], key
    # AWS's rules: a setting and its Remove flag not both; one setting a request.
    context = {"SubjectSourceKey": "sub"}
    center = f"arn:aws:sso:::instance/ssoins-{'0' * 16}"
    assert raises("InvalidInput", iam.update_open_id_connect_provider,
                  OpenIDConnectProviderArn=arn, ContextProvider=context,
                  RemoveContextProvider=True) == \
        "ContextProvider and RemoveContextProvider cannot both be specified."
    raises("InvalidInput", iam.update_open_id_connect_provider, OpenIDConnectProviderArn=arn,
           IdentityCenterInstanceArn=center, RemoveIdentityCenterInstance=True)
    raises("InvalidInput", iam.update_open_id_connect_provider, OpenIDConnectProviderArn=arn,
           RemoveContextProvider=True, RemoveIdentityCenterInstance=True)
    # Refused, not dropped, as by CreateOpenIDConnectProvider.
    assert raises("InvalidInput", iam.update_open_id_connect_provider,
                  OpenIDConnectProviderArn=arn, ContextProvider=context) == \
        "ContextProvider is not supported by this deployment yet."
    raises("InvalidInput", iam.update_open_id_connect_provider, OpenIDConnectProviderArn=arn,
           IdentityCenterInstanceArn=center)
    ghost = OIDC + "ghost.example.com"
    assert raises("NoSuchEntity", iam.update_open_id_connect_provider,
                  OpenIDConnectProviderArn=ghost, RemoveContextProvider=True) == \
        f"OpenIDConnect Provider not found for arn {ghost}"
    # Authorized on the provider's ARN, like every OIDC provider operation.
    iam.create_user(UserName="fed")
    key = iam.create_access_key(UserName="fed")["AccessKey"]
    fed = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    msg = raises("AccessDenied", fed.update_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert f"iam:UpdateOpenIDConnectProvider on resource: {arn}" in msg


def test_saml_provider_lifecycle(oxiam):
    iam = oxiam.client("iam")
    r = iam.create_saml_provider(SAMLMetadataDocument=METADATA, Name="corp",
                                 Tags=[{"Key": "env", "Value": "prod"}])
    arn = r["SAMLProviderArn"]
    assert arn == SAML + "corp"
    assert r["Tags"] == [{"Key": "env", "Value": "prod"}]
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == METADATA
    assert got["ValidUntil"].year == 2030
    assert len(got["SAMLProviderUUID"]) == 36
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn] and listed[0]["ValidUntil"].year == 2030
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 1
    updated = METADATA.replace("2030-01-01", "2031-06-01")
    assert iam.update_saml_provider(SAMLMetadataDocument=updated, SAMLProviderArn=arn)["SAMLProviderArn"] == arn
    assert iam.get_saml_provider(SAMLProviderArn=arn)["ValidUntil"].year == 2031
    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "team", "Value": "id"}])
    page = iam.list_saml_provider_tags(SAMLProviderArn=arn, MaxItems=1)
    assert page["IsTruncated"]
    rest = iam.list_saml_provider_tags(SAMLProviderArn=arn, Marker=page["Marker"])
    assert [t["Key"] for t in page["Tags"] + rest["Tags"]] == ["env", "team"]
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["env"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "team", "Value": "id"}]
    raises("EntityAlreadyExists", iam.create_saml_provider, SAMLMetadataDocument=METADATA, Name="corp")
    iam.delete_saml_provider(SAMLProviderArn=arn)
    raises("NoSuchEntity", iam.get_saml_provider, SAMLProviderArn=arn)
    raises("NoSuchEntity", iam.update_saml_provider, SAMLProviderArn=arn, SAMLMetadataDocument=METADATA)


@pytest.mark.parametrize("broken", [
    METADATA.replace("IDPSSODescriptor", "SPSSODescriptor"),
    METADATA.replace("SAML:2.0:metadata", "SAML:9.9:metadata"),
    METADATA.replace("SingleSignOnService", "ArtifactResolutionService"),
    METADATA.replace("</md:EntityDescriptor>", ""),
    "<html>" + "x" * 1000 + "</html>",
])
def test_saml_metadata_must_be_idp_metadata(oxiam, broken):
    iam = oxiam.client("iam")
    msg = raises("InvalidInput", iam.create_saml_provider, SAMLMetadataDocument=broken, Name="bad")
    assert msg.startswith("Could not parse metadata")


def test_providers_are_authorized_on_their_arn(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="fed")
    key = iam.create_access_key(UserName="fed")["AccessKey"]
    fed = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    msg = raises("AccessDenied", fed.create_saml_provider, SAMLMetadataDocument=METADATA, Name="corp")
    assert f"iam:CreateSAMLProvider on resource: {SAML}corp" in msg
    msg = raises("AccessDenied", fed.create_open_id_connect_provider, Url="https://id.example.com",
                 ThumbprintList=[THUMB])
    assert f"iam:CreateOpenIDConnectProvider on resource: {OIDC}id.example.com" in msg
    iam.put_user_policy(UserName="fed", PolicyName="p", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*OpenIDConnectProvider*",'
        f'"Resource":"{OIDC}id.example.com"}},'
        '{"Effect":"Allow","Action":"iam:ListOpenIDConnectProviders","Resource":"*"}]}'))
    arn = fed.create_open_id_connect_provider(Url="https://id.example.com",
                                              ThumbprintList=[THUMB])["OpenIDConnectProviderArn"]
    assert fed.list_open_id_connect_providers()["OpenIDConnectProviderList"] == [{"Arn": arn}]
    raises("AccessDenied", fed.create_open_id_connect_provider, Url="https://other.example.com",
           ThumbprintList=[THUMB])
    fed.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
