"""boto3 and the AWS CLI against the real oxiam server: signing certificates and server
certificates, with certificates, chains and keys made by the `openssl` CLI in each test."""
import base64
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

import botocore.exceptions
import pytest

from conftest import ACCOUNT, ROOT_KEY, ROOT_SECRET, Oxiam

pytestmark = pytest.mark.usefixtures("openssl_cli")

CA_CONFIG = """[ca]
default_ca = d
[d]
database = {dir}/index.txt
serial = {dir}/serial
new_certs_dir = {dir}
default_md = sha256
policy = p
[p]
commonName = supplied
"""


def raises(code, fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    err = e.value.response["Error"]
    assert err["Code"] == code, err
    return err["Message"]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], check=True, cwd=cwd, capture_output=True)


def read(d, name):
    with open(os.path.join(d, name)) as f:
        return f.read()


def newkey(d, name, kind="rsa"):
    """A private key in PKCS #8 (`BEGIN PRIVATE KEY`)."""
    if kind == "rsa":
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", name, cwd=d)
    else:
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{kind}",
                "-out", name, cwd=d)


def selfsigned(kind="rsa", cn="example.com"):
    """(certificate PEM, PKCS #8 key PEM, traditional key PEM: PKCS #1 or SEC 1)."""
    with tempfile.TemporaryDirectory() as d:
        newkey(d, "k.pem", kind)
        openssl("req", "-x509", "-key", "k.pem", "-out", "c.pem", "-subj", f"/CN={cn}",
                "-days", "30", cwd=d)
        if kind == "rsa":
            openssl("rsa", "-in", "k.pem", "-traditional", "-out", "t.pem", cwd=d)
        else:
            openssl("ec", "-in", "k.pem", "-out", "t.pem", cwd=d)
        return read(d, "c.pem"), read(d, "k.pem"), read(d, "t.pem")


def chain():
    """A root CA, an intermediate it signs, and a leaf the intermediate signs:
    (leaf PEM, leaf key PEM, intermediate PEM, root PEM)."""
    with tempfile.TemporaryDirectory() as d:
        for name in ("root", "inter", "leaf"):
            newkey(d, f"{name}.key")
        openssl("req", "-x509", "-key", "root.key", "-out", "root.pem", "-subj", "/CN=Root CA",
                "-days", "30", cwd=d)
        openssl("req", "-new", "-key", "inter.key", "-out", "inter.csr", "-subj",
                "/CN=Intermediate CA", cwd=d)
        openssl("x509", "-req", "-in", "inter.csr", "-CA", "root.pem", "-CAkey", "root.key",
                "-CAcreateserial", "-out", "inter.pem", "-days", "30", cwd=d)
        openssl("req", "-new", "-key", "leaf.key", "-out", "leaf.csr", "-subj",
                "/CN=www.example.com", cwd=d)
        openssl("x509", "-req", "-in", "leaf.csr", "-CA", "inter.pem", "-CAkey", "inter.key",
                "-CAcreateserial", "-out", "leaf.pem", "-days", "30", cwd=d)
        return read(d, "leaf.pem"), read(d, "leaf.key"), read(d, "inter.pem"), read(d, "root.pem")


def expired():
    """A self-signed certificate valid only in 2020: (certificate PEM, key PEM)."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "ca.cnf"), "w") as f:
            f.write(CA_CONFIG.format(dir=d))
        open(os.path.join(d, "index.txt"), "w").close()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write("01\n")
        newkey(d, "k.pem")
        openssl("req", "-new", "-key", "k.pem", "-out", "r.csr", "-subj", "/CN=old", cwd=d)
        openssl("ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "k.pem",
                "-in", "r.csr", "-out", "c.pem", "-startdate", "20200101000000Z",
                "-enddate", "20210101000000Z", cwd=d)
        return read(d, "c.pem"), read(d, "k.pem")


def pem_only(text):
    """The PEM block of `openssl ca` output, which prefixes a text dump."""
    return text[text.index("-----BEGIN"):]


# ---- Signing certificates ------------------------------------------------------------------


def test_signing_certificates_lifecycle_and_errors(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="signer")
    c1, _, _ = selfsigned()
    c2, _, _ = selfsigned("P-256")
    got = iam.upload_signing_certificate(UserName="signer", CertificateBody=c1)["Certificate"]
    assert got["UserName"] == "signer" and got["Status"] == "Active"
    assert got["CertificateBody"] == c1
    cert_id = got["CertificateId"]
    assert 24 <= len(cert_id) <= 128 and cert_id.isalnum()
    raises("DuplicateCertificate", iam.upload_signing_certificate, UserName="signer",
           CertificateBody=c1)
    iam.upload_signing_certificate(UserName="signer", CertificateBody=c2)
    msg = raises("LimitExceeded", iam.upload_signing_certificate, UserName="signer",
                 CertificateBody=selfsigned()[0])
    assert "2" in msg
    raises("MalformedCertificate", iam.upload_signing_certificate, UserName="signer",
           CertificateBody="not a certificate")
    raises("MalformedCertificate", iam.upload_signing_certificate, UserName="signer",
           CertificateBody="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    old, _ = expired()
    iam.create_user(UserName="other")
    msg = raises("MalformedCertificate", iam.upload_signing_certificate, UserName="other",
                 CertificateBody=pem_only(old))
    assert "expired" in msg
    raises("NoSuchEntity", iam.upload_signing_certificate, UserName="nobody", CertificateBody=c1)

    iam.update_signing_certificate(UserName="signer", CertificateId=cert_id, Status="Inactive")
    listed = iam.list_signing_certificates(UserName="signer")["Certificates"]
    assert {c["CertificateId"]: c["Status"] for c in listed}[cert_id] == "Inactive"
    page = iam.list_signing_certificates(UserName="signer", MaxItems=1)
    assert page["IsTruncated"] and len(page["Certificates"]) == 1
    rest = iam.list_signing_certificates(UserName="signer", Marker=page["Marker"])
    assert len(rest["Certificates"]) == 1 and not rest["IsTruncated"]

    # The credential report shows both certificates (oldest first; uploads within one second
    # are ordered by ID), one of them inactive.
    iam.generate_credential_report()
    report = iam.get_credential_report()["Content"]
    rows = {r["user"]: r for r in csv.DictReader(io.StringIO(report.decode()))}
    assert sorted([rows["signer"]["cert_1_active"], rows["signer"]["cert_2_active"]]) == [
        "false", "true"]
    assert rows["signer"]["cert_1_last_rotated"].endswith("+00:00")
    assert rows["other"]["cert_1_active"] == "false" and rows["other"]["cert_1_last_rotated"] == "N/A"

    raises("DeleteConflict", iam.delete_user, UserName="signer")
    for c in listed:
        iam.delete_signing_certificate(UserName="signer", CertificateId=c["CertificateId"])
    raises("NoSuchEntity", iam.delete_signing_certificate, UserName="signer",
           CertificateId=cert_id)
    raises("NoSuchEntity", iam.update_signing_certificate, UserName="signer",
           CertificateId=cert_id, Status="Active")
    iam.delete_user(UserName="signer")


def test_signing_certificates_default_to_the_caller(oxiam):
    iam = oxiam.client("iam")
    # The root's own certificate.
    iam.upload_signing_certificate(CertificateBody=selfsigned()[0])
    assert len(iam.list_signing_certificates()["Certificates"]) == 1
    assert iam.get_account_summary()["SummaryMap"]["AccountSigningCertificatesPresent"] == 1
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    dev = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    body = selfsigned()[0]
    msg = raises("AccessDenied", dev.upload_signing_certificate, CertificateBody=body)
    assert "iam:UploadSigningCertificate" in msg
    iam.put_user_policy(UserName="dev", PolicyName="own-certs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Action": "iam:*SigningCertificate*",
            "Resource": f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"}}))
    got = dev.upload_signing_certificate(CertificateBody=body)["Certificate"]
    assert got["UserName"] == "dev"
    assert [c["CertificateId"] for c in dev.list_signing_certificates()["Certificates"]] == [
        got["CertificateId"]]
    raises("AccessDenied", dev.list_signing_certificates, UserName="admin")


# ---- Server certificates -------------------------------------------------------------------


def test_server_certificate_with_chain_and_every_key_form(oxiam):
    iam = oxiam.client("iam")
    leaf, leaf_key, inter, root = chain()
    up = iam.upload_server_certificate(
        ServerCertificateName="www", Path="/cloudfront/", CertificateBody=leaf,
        PrivateKey=leaf_key, CertificateChain=inter + root,
        Tags=[{"Key": "env", "Value": "prod"}])
    meta = up["ServerCertificateMetadata"]
    assert meta["ServerCertificateId"].startswith("ASCA") and len(meta["ServerCertificateId"]) == 21
    assert meta["Arn"] == f"arn:aws:iam::{ACCOUNT}:server-certificate/cloudfront/www"
    assert meta["Expiration"] > meta["UploadDate"]
    assert up["Tags"] == [{"Key": "env", "Value": "prod"}]
    got = iam.get_server_certificate(ServerCertificateName="www")["ServerCertificate"]
    assert got["CertificateBody"] == leaf and got["CertificateChain"] == inter + root
    assert got["ServerCertificateMetadata"]["Arn"] == meta["Arn"]
    # A chain that stops at the intermediate is fine too.
    iam.upload_server_certificate(ServerCertificateName="www2", CertificateBody=leaf,
                                  PrivateKey=leaf_key, CertificateChain=inter)
    # PKCS #1 RSA, PKCS #8 EC and SEC 1 EC keys.
    cert, _, pkcs1 = selfsigned("rsa")
    assert "BEGIN RSA PRIVATE KEY" in pkcs1
    iam.upload_server_certificate(ServerCertificateName="rsa1", CertificateBody=cert,
                                  PrivateKey=pkcs1)
    cert, pkcs8, sec1 = selfsigned("P-256")
    assert "BEGIN EC PRIVATE KEY" in sec1
    iam.upload_server_certificate(ServerCertificateName="ec8", CertificateBody=cert,
                                  PrivateKey=pkcs8)
    cert, _, sec1 = selfsigned("P-384")
    iam.upload_server_certificate(ServerCertificateName="ec1", CertificateBody=cert,
                                  PrivateKey=sec1)

    names = [m["ServerCertificateName"]
             for m in iam.list_server_certificates()["ServerCertificateMetadataList"]]
    assert names == ["ec1", "ec8", "rsa1", "www", "www2"]
    only = iam.list_server_certificates(PathPrefix="/cloudfront/")
    assert [m["ServerCertificateName"] for m in only["ServerCertificateMetadataList"]] == ["www"]
    page = iam.list_server_certificates(MaxItems=2)
    seen = [m["ServerCertificateName"] for m in page["ServerCertificateMetadataList"]]
    while page.get("IsTruncated"):
        page = iam.list_server_certificates(MaxItems=2, Marker=page["Marker"])
        seen += [m["ServerCertificateName"] for m in page["ServerCertificateMetadataList"]]
    assert seen == names

    # Rename and move; the old name is gone.
    iam.update_server_certificate(ServerCertificateName="www", NewServerCertificateName="web",
                                  NewPath="/elb/")
    raises("NoSuchEntity", iam.get_server_certificate, ServerCertificateName="www")
    moved = iam.get_server_certificate(ServerCertificateName="web")["ServerCertificate"]
    assert moved["ServerCertificateMetadata"]["Arn"].endswith(":server-certificate/elb/web")
    assert moved["ServerCertificateMetadata"]["ServerCertificateId"] == meta["ServerCertificateId"]
    raises("EntityAlreadyExists", iam.update_server_certificate, ServerCertificateName="web",
           NewServerCertificateName="www2")

    iam.tag_server_certificate(ServerCertificateName="web", Tags=[{"Key": "team", "Value": "a"}])
    iam.untag_server_certificate(ServerCertificateName="web", TagKeys=["env"])
    tags = iam.list_server_certificate_tags(ServerCertificateName="web")["Tags"]
    assert tags == [{"Key": "team", "Value": "a"}]
    assert iam.get_account_summary()["SummaryMap"]["ServerCertificates"] == 5

    iam.delete_server_certificate(ServerCertificateName="web")
    raises("NoSuchEntity", iam.delete_server_certificate, ServerCertificateName="web")
    raises("NoSuchEntity", iam.list_server_certificate_tags, ServerCertificateName="web")
    raises("EntityAlreadyExists", iam.upload_server_certificate, ServerCertificateName="RSA1",
           CertificateBody=leaf, PrivateKey=leaf_key)


def test_server_certificate_refusals(oxiam):
    iam = oxiam.client("iam")
    leaf, leaf_key, inter, root = chain()
    cert, key, _ = selfsigned()
    other_cert, other_key, _ = selfsigned()
    ec_cert, ec_key, _ = selfsigned("P-256")
    old, old_key = expired()

    def upload(code, **kw):
        args = dict(ServerCertificateName="x", CertificateBody=cert, PrivateKey=key)
        args.update(kw)
        return raises(code, iam.upload_server_certificate, **args)

    assert "parse" in upload("MalformedCertificate", CertificateBody="garbage")
    assert "expired" in upload("MalformedCertificate", CertificateBody=pem_only(old),
                               PrivateKey=old_key)
    upload("KeyPairMismatch", PrivateKey=other_key)
    upload("KeyPairMismatch", PrivateKey=ec_key)
    upload("KeyPairMismatch", CertificateBody=ec_cert, PrivateKey=key)
    upload("MalformedCertificate", PrivateKey="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    upload("MalformedCertificate", PrivateKey="not a key")
    # The chain must certify the body, in order, and each certificate must parse.
    msg = upload("MalformedCertificate", CertificateBody=leaf, PrivateKey=leaf_key,
                 CertificateChain=root)
    assert "index within the chain of the invalid certificate is: 0" in msg
    msg = upload("MalformedCertificate", CertificateBody=leaf, PrivateKey=leaf_key,
                 CertificateChain=inter + other_cert)
    assert "is: 1" in msg
    upload("MalformedCertificate", CertificateBody=leaf, PrivateKey=leaf_key,
           CertificateChain="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    # Nothing was stored by any refused upload.
    assert iam.list_server_certificates()["ServerCertificateMetadataList"] == []


def private_exponent(key_pem):
    """The RSA private exponent `d` of a PEM key, as `openssl rsa -text` prints it."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "k.pem"), "w") as f:
            f.write(key_pem)
        out = subprocess.run(["openssl", "rsa", "-in", "k.pem", "-noout", "-text"], check=True,
                             cwd=d, capture_output=True, text=True).stdout
    hex_lines = out.split("privateExponent:")[1].split("prime1:")[0]
    return bytes.fromhex("".join(hex_lines.split()).replace(":", "")).lstrip(b"\0")


def files_under(directory):
    """(path, bytes) of every file under `directory`, however deep."""
    for parent, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(parent, name)
            with open(path, "rb") as f:
                yield path, f.read()


def test_the_private_key_is_never_returned(oxiam):
    iam = oxiam.client("iam")
    cert, key, _ = selfsigned()
    # What would give the key away, away from the PKCS #8 header every RSA key shares (and
    # the modulus, which the stored certificate holds too): bytes of the private exponent, and
    # a whole line of the PEM body (48 DER bytes) that encodes only private-exponent bytes.
    lines = key.strip().splitlines()[1:-1]
    der = base64.b64decode("".join(lines))
    d = private_exponent(key)
    start = der.index(d)
    secret_bytes = d[32:64]
    first = (start + 47) // 48  # the first PEM line wholly inside `d`
    secret_line = lines[first]
    assert start <= first * 48 and (first + 1) * 48 <= start + len(d)
    assert base64.b64decode(secret_line) == der[first * 48:(first + 1) * 48]
    bodies = []

    def capture(http_response, **_):
        bodies.append(http_response.text)

    iam.meta.events.register("after-call.iam", lambda http_response, **kw: capture(http_response))
    iam.upload_server_certificate(ServerCertificateName="secret", CertificateBody=cert,
                                  PrivateKey=key)
    iam.get_server_certificate(ServerCertificateName="secret")
    iam.list_server_certificates()
    iam.list_server_certificate_tags(ServerCertificateName="secret")
    assert len(bodies) == 4
    for body in bodies:
        assert secret_line not in body and "PRIVATE KEY" not in body
    # Nor is it at rest, in any file of the data directory (the database, its write-ahead
    # log, anything else), once the server has stopped.
    oxiam.halt()
    cert_lines = cert.strip().splitlines()[1:-1]
    cert_line = cert_lines[len(cert_lines) // 2]
    on_disk = list(files_under(oxiam.data.name))
    assert any(cert_line.encode() in data for _, data in on_disk), "the search finds stored text"
    for path, data in on_disk:
        assert secret_bytes not in data, f"{path} holds the private key's bytes"
        assert secret_line.encode() not in data, f"{path} holds the private key in base64"


def test_server_certificates_are_authorized_on_their_arn(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="ops")
    k = iam.create_access_key(UserName="ops")["AccessKey"]
    ops = oxiam.client("iam", k["AccessKeyId"], k["SecretAccessKey"])
    cert, key, _ = selfsigned()
    msg = raises("AccessDenied", ops.upload_server_certificate, ServerCertificateName="site",
                 CertificateBody=cert, PrivateKey=key)
    assert "iam:UploadServerCertificate" in msg
    assert f"arn:aws:iam::{ACCOUNT}:server-certificate/site" in msg
    iam.put_user_policy(UserName="ops", PolicyName="certs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Action": ["iam:UploadServerCertificate", "iam:GetServerCertificate"],
            "Resource": f"arn:aws:iam::{ACCOUNT}:server-certificate/site*"}}))
    ops.upload_server_certificate(ServerCertificateName="site", CertificateBody=cert,
                                  PrivateKey=key)
    ops.get_server_certificate(ServerCertificateName="site")
    raises("AccessDenied", ops.delete_server_certificate, ServerCertificateName="site")
    raises("AccessDenied", ops.upload_server_certificate, ServerCertificateName="other",
           CertificateBody=cert, PrivateKey=key)


def test_certificate_quotas_can_be_lowered():
    server = Oxiam(["--quota", "server_certificates_per_account=1",
                    "--quota", "signing_certificates_per_user=1"])
    try:
        iam = server.client("iam")
        cert, key, _ = selfsigned()
        iam.upload_server_certificate(ServerCertificateName="a", CertificateBody=cert,
                                      PrivateKey=key)
        msg = raises("LimitExceeded", iam.upload_server_certificate, ServerCertificateName="b",
                     CertificateBody=cert, PrivateKey=key)
        assert "ServerCertificatesPerAccount: 1" in msg
        summary = iam.get_account_summary()["SummaryMap"]
        assert summary["ServerCertificatesQuota"] == 1
        assert summary["SigningCertificatesPerUserQuota"] == 1
        iam.create_user(UserName="u")
        iam.upload_signing_certificate(UserName="u", CertificateBody=selfsigned()[0])
        raises("LimitExceeded", iam.upload_signing_certificate, UserName="u",
               CertificateBody=selfsigned()[0])
    finally:
        server.stop()


def test_aws_cli_uploads_and_reads_a_server_certificate(oxiam):
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    if not os.path.exists(aws):
        pytest.fail(f"no AWS CLI at {aws}: run the tests with target/venv/bin/python (made by "
                    "`mkdir -p target && flock target/.venv.lock scripts/python-env.sh`)",
                    pytrace=False)
    leaf, leaf_key, inter, _ = chain()
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("c.pem", leaf), ("k.pem", leaf_key), ("ch.pem", inter)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ROOT_KEY, AWS_SECRET_ACCESS_KEY=ROOT_SECRET,
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")

        def cli(*args):
            out = subprocess.run([aws, "--endpoint-url", oxiam.endpoint, "--output", "json",
                                  "iam", *args], env=env, capture_output=True, text=True, cwd=d)
            assert out.returncode == 0, out.stderr
            return json.loads(out.stdout) if out.stdout.strip() else None

        up = cli("upload-server-certificate", "--server-certificate-name", "cli",
                 "--certificate-body", "file://c.pem", "--private-key", "file://k.pem",
                 "--certificate-chain", "file://ch.pem")
        assert up["ServerCertificateMetadata"]["ServerCertificateName"] == "cli"
        got = cli("get-server-certificate", "--server-certificate-name", "cli")
        assert got["ServerCertificate"]["CertificateChain"] == inter
        assert "PrivateKey" not in json.dumps(got)
        signing = cli("upload-signing-certificate", "--certificate-body", "file://c.pem")
        assert signing["Certificate"]["Status"] == "Active"
        cli("delete-server-certificate", "--server-certificate-name", "cli")
        assert cli("list-server-certificates")["ServerCertificateMetadataList"] == []
