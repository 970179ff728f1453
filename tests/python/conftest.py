"""Starts the real oxiam binary for boto3 tests (path in OXIAM_BIN, set by scripts/test.sh),
and fails, rather than skips, a test whose tool (openssl, ssh-keygen) is missing."""
import os
import shutil
import subprocess
import tempfile
import time

import boto3
import pytest

ACCOUNT = "123456789012"
ROOT_KEY = "AKIAOXIAMPYTESTROOT1"
ROOT_SECRET = "oxiamPyTestRootSecret000000000000000000000"[:40]


class Oxiam:
    def __init__(self, args):
        self.data = tempfile.TemporaryDirectory()
        env = dict(os.environ, OXIAM_ACCOUNT_ID=ACCOUNT, OXIAM_ROOT_ACCESS_KEY_ID=ROOT_KEY,
                   OXIAM_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET, RUST_LOG="warn")
        binary = os.environ.get("OXIAM_BIN", os.path.join(os.path.dirname(__file__), "../../target/debug/oxiam"))
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data.name, *args],
            stdout=subprocess.PIPE, env=env, text=True)
        deadline = time.time() + 60
        self.endpoint = None
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("oxiam listening on "):
                self.endpoint = line.split()[-1]
                break
        assert self.endpoint, "oxiam did not start"

    def client(self, service, key=ROOT_KEY, secret=ROOT_SECRET, token=None):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            aws_session_token=token,
                            config=boto3.session.Config(retries={"max_attempts": 1}))

    def halt(self):
        """Stops the server and keeps its data directory (to look at what it left on disk)."""
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def stop(self):
        self.halt()
        self.data.cleanup()


@pytest.fixture
def oxiam():
    server = Oxiam([])
    yield server
    server.stop()


def require_program(name, package):
    """Fails the calling test when `name` is not on PATH: a skipped test would look green while
    testing nothing. The test command installs the package (scripts/debian-packages.sh)."""
    if shutil.which(name) is None:
        pytest.fail(f"`{name}` is missing: run scripts/debian-packages.sh (as root it installs "
                    f"Debian's '{package}' package), or install '{package}' yourself",
                    pytrace=False)


@pytest.fixture
def openssl_cli():
    require_program("openssl", "openssl")


@pytest.fixture
def ssh_keygen_cli():
    require_program("ssh-keygen", "openssh-client")
