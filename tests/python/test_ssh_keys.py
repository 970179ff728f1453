"""boto3 against the real oxiam server: SSH public keys of IAM users, checked against
OpenSSH's own `ssh-keygen` (fingerprints, PEM conversion)."""
import base64
import os
import subprocess
import tempfile

import botocore.exceptions
import pytest

from conftest import ACCOUNT

pytestmark = pytest.mark.usefixtures("ssh_keygen_cli")


def raises(code, fn, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        fn(**kw)
    err = e.value.response["Error"]
    assert err["Code"] == code, err
    return err["Message"]


def keygen(kind, bits=None):
    """A fresh key pair from ssh-keygen: (OpenSSH line, MD5 fingerprint, PKCS8 PEM)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "k")
        args = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "alice@example", "-f", path]
        if bits:
            args += ["-b", str(bits)]
        subprocess.run(args, check=True)
        line = open(path + ".pub").read().strip()
        fp = subprocess.run(["ssh-keygen", "-E", "md5", "-lf", path + ".pub"], check=True,
                            capture_output=True, text=True).stdout.split()[1]
        if kind == "ed25519":
            pem = ed25519_pem(line)
        else:
            pem = subprocess.run(["ssh-keygen", "-e", "-m", "PKCS8", "-f", path + ".pub"],
                                 check=True, capture_output=True, text=True).stdout
    return line, fp.removeprefix("MD5:"), pem


def ed25519_pem(line):
    """SubjectPublicKeyInfo of an Ed25519 key (RFC 8410): a fixed header and the 32 bytes
    (ssh-keygen cannot export Ed25519 keys to PKCS8)."""
    blob = base64.b64decode(line.split()[1])
    spki = bytes.fromhex("302a300506032b6570032100") + blob[-32:]
    return "-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() + "\n-----END PUBLIC KEY-----\n"


def test_upload_get_list_update_delete(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="git")
    rsa_line, rsa_fp, rsa_pem = keygen("rsa", 3072)
    ed_line, ed_fp, ed_pem = keygen("ed25519")
    k1 = iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=rsa_line)["SSHPublicKey"]
    assert k1["SSHPublicKeyId"].startswith("APKA") and len(k1["SSHPublicKeyId"]) == 20
    assert k1["Fingerprint"] == rsa_fp
    assert k1["Status"] == "Active" and k1["UserName"] == "git"
    # Uploaded as PEM, the same key material gets the same fingerprint.
    k2 = iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=ed_pem)["SSHPublicKey"]
    assert k2["Fingerprint"] == ed_fp
    assert k2["SSHPublicKeyBody"].split()[:2] == ed_line.split()[:2]
    got = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=k1["SSHPublicKeyId"], Encoding="SSH")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"] == rsa_line
    got = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=k1["SSHPublicKeyId"], Encoding="PEM")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"].split() == rsa_pem.split()
    got = iam.get_ssh_public_key(UserName="git", SSHPublicKeyId=k2["SSHPublicKeyId"], Encoding="PEM")
    assert got["SSHPublicKey"]["SSHPublicKeyBody"].split() == ed_pem.split()
    iam.update_ssh_public_key(UserName="git", SSHPublicKeyId=k1["SSHPublicKeyId"], Status="Inactive")
    listed = iam.list_ssh_public_keys(UserName="git")["SSHPublicKeys"]
    assert {k["SSHPublicKeyId"]: k["Status"] for k in listed} == {
        k1["SSHPublicKeyId"]: "Inactive", k2["SSHPublicKeyId"]: "Active"}
    page = iam.list_ssh_public_keys(UserName="git", MaxItems=1)
    assert page["IsTruncated"]
    rest = iam.list_ssh_public_keys(UserName="git", Marker=page["Marker"])
    assert len(page["SSHPublicKeys"] + rest["SSHPublicKeys"]) == 2 and not rest["IsTruncated"]
    iam.delete_ssh_public_key(UserName="git", SSHPublicKeyId=k1["SSHPublicKeyId"])
    raises("DeleteConflict", iam.delete_user, UserName="git")
    raises("NoSuchEntity", iam.get_ssh_public_key, UserName="git",
           SSHPublicKeyId=k1["SSHPublicKeyId"], Encoding="SSH")
    raises("NoSuchEntity", iam.delete_ssh_public_key, UserName="git",
           SSHPublicKeyId=k1["SSHPublicKeyId"])
    raises("NoSuchEntity", iam.upload_ssh_public_key, UserName="nobody", SSHPublicKeyBody=rsa_line)
    iam.delete_ssh_public_key(UserName="git", SSHPublicKeyId=k2["SSHPublicKeyId"])
    iam.delete_user(UserName="git")


def test_errors_and_quota(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="git")
    line, _, _ = keygen("ed25519")
    iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=line)
    raises("DuplicateSSHPublicKey", iam.upload_ssh_public_key, UserName="git", SSHPublicKeyBody=line)
    small, _, _ = keygen("rsa", 1024)
    raises("InvalidPublicKey", iam.upload_ssh_public_key, UserName="git", SSHPublicKeyBody=small)
    raises("InvalidPublicKey", iam.upload_ssh_public_key, UserName="git",
           SSHPublicKeyBody="ssh-rsa " + line.split()[1])
    ecdsa, _, _ = keygen("ecdsa")
    raises("UnrecognizedPublicKeyEncoding", iam.upload_ssh_public_key, UserName="git",
           SSHPublicKeyBody=ecdsa)
    for _ in range(4):
        iam.upload_ssh_public_key(UserName="git", SSHPublicKeyBody=keygen("ed25519")[0])
    msg = raises("LimitExceeded", iam.upload_ssh_public_key, UserName="git",
                 SSHPublicKeyBody=keygen("ed25519")[0])
    assert "5" in msg


def test_ssh_keys_are_authorized_on_the_user(oxiam):
    iam = oxiam.client("iam")
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    dev = oxiam.client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    line, _, _ = keygen("ed25519")
    msg = raises("AccessDenied", dev.upload_ssh_public_key, UserName="dev", SSHPublicKeyBody=line)
    assert "iam:UploadSSHPublicKey on resource: user dev" in msg
    iam.put_user_policy(UserName="dev", PolicyName="own-keys", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:*SSHPublicKey*"],'
        f'"Resource":"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"}}}}'))
    dev.upload_ssh_public_key(UserName="dev", SSHPublicKeyBody=line)
    assert len(dev.list_ssh_public_keys()["SSHPublicKeys"]) == 1
    iam.create_user(UserName="other")
    raises("AccessDenied", dev.list_ssh_public_keys, UserName="other")
