"""pytest plugin that runs moto's own IAM and STS tests (from moto's PyPI sdist, pinned in
scripts/moto-tests.sh) in moto's server mode against the real oxiam binary.

Map:
- `Backends` keeps one oxiam server running (plus one started ahead, so a reset costs no
  start-up), each on a fresh data directory, account 123456789012 (moto's default account)
  and the root keys the tests sign with.
- `Proxy` is the endpoint the tests talk to (`TEST_SERVER_MODE_ENDPOINT`): it forwards every
  request unchanged to the current server and answers moto's `POST /moto-api/reset` by
  switching to a fresh server. oxiam itself has no moto-only endpoint in this set-up.
- `in_scope` is the stated rule for which tests are about IAM/STS behaviour (see its doc).
- `ExpectedFailures` reads tests/moto/expected-failures.txt: every test listed there must
  fail, every other test must pass (or be skipped by moto itself); a listed test that
  passes, or a listed test that no longer exists, fails the run.

Used by scripts/moto-tests.sh as `pytest -p oxiam_moto`; OXIAM_BIN names the binary.
"""
import ast
import datetime
import http.client
import http.server
import inspect
import os
import shutil
import subprocess
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

ACCOUNT = "123456789012"
ROOT_KEY = "AKIAOXIAMMOTOTESTS01"
ROOT_SECRET = "oxiamMotoTestsRootSecret0000000000000000"
HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "expected-failures.txt"

# Headers that belong to one hop, not to the request or response the proxy passes on.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
              "te", "trailer"}


class Server:
    """One oxiam process on its own fresh data directory."""

    def __init__(self, binary):
        self.data = tempfile.mkdtemp(prefix="oxiam-moto-")
        env = dict(os.environ, OXIAM_ACCOUNT_ID=ACCOUNT, OXIAM_ROOT_ACCESS_KEY_ID=ROOT_KEY,
                   OXIAM_ROOT_SECRET_ACCESS_KEY=ROOT_SECRET, RUST_LOG="error")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        self.address = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("oxiam listening on "):
                host, port = line.split()[-1].removeprefix("http://").rsplit(":", 1)
                self.address = (host, int(port))
                break
        if self.address is None:
            self.stop()
            raise RuntimeError(f"oxiam ({binary}) did not start")
        # The first-start banner follows; drain it so the pipe never fills.
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.data, ignore_errors=True)


class Backends:
    """The current server, and a fresh one started in the background to take over at the
    next reset. A reset with no request since the last one keeps the current server (it is
    still fresh): moto resets when a mock starts and again when it stops."""

    def __init__(self, binary):
        self.binary = binary
        self.lock = threading.Lock()
        self.current = Server(binary)
        self.dirty = False
        self.spare = None
        self.spare_ready = threading.Event()
        self.resets = 0
        self.stopping = []
        self._start_spare()

    def _start_spare(self):
        self.spare_ready.clear()

        def start():
            try:
                self.spare = Server(self.binary)
            except RuntimeError as error:
                self.spare = error
            self.spare_ready.set()

        threading.Thread(target=start, daemon=True).start()

    def address(self):
        with self.lock:
            self.dirty = True
            return self.current.address

    def reset(self):
        with self.lock:
            if not self.dirty:
                return
            self.spare_ready.wait()
            if isinstance(self.spare, RuntimeError):
                raise self.spare
            old, self.current, self.dirty = self.current, self.spare, False
            self.resets += 1
            self._start_spare()
        stopping = threading.Thread(target=old.stop, daemon=True)
        stopping.start()
        self.stopping.append(stopping)

    def close(self):
        self.spare_ready.wait()
        if isinstance(self.spare, Server):
            self.spare.stop()
        self.current.stop()
        for stopping in self.stopping:
            stopping.join()


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, backends):
        self.backends = backends
        super().__init__(("127.0.0.1", 0), ProxyHandler)

    @property
    def endpoint(self):
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.split("?")[0] == "/moto-api/reset":
            self.server.backends.reset()
            self._reply(200, [("Content-Type", "application/json")], b'{"status": "ok"}')
            return
        # The Host header is passed on unchanged: it is part of what the client signed.
        host, port = self.server.backends.address()
        upstream = http.client.HTTPConnection(host, port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            upstream.request(self.command, self.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            data = response.read()
            self._reply(response.status,
                        [(k, v) for k, v in response.getheaders()
                         if k.lower() not in HOP_BY_HOP | {"content-length"}], data)
        finally:
            upstream.close()

    def _reply(self, status, headers, body):
        self.send_response_only(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle


# --- which tests are about IAM/STS behaviour --------------------------------------------

OUT_OF_SCOPE_MODULES = {
    "test_iam_cloudformation.py": "CloudFormation",
    "test_server.py": "moto's own server app (moto.server), not an AWS API",
}
OWN_SERVICES = {"iam", "sts"}
MOTO_INTERNALS = {"get_backend", "iam_backends", "sts_backends", "moto_id_manager"}


def _is_server_mode_test(node):
    """Whether a test of moto's mode is true in server mode: `settings.TEST_SERVER_MODE`
    (True), `settings.TEST_DECORATOR_MODE` (False), either under `not`; None for anything
    else."""
    if isinstance(node, ast.Attribute) and node.attr in ("TEST_SERVER_MODE",
                                                         "TEST_DECORATOR_MODE"):
        return node.attr == "TEST_SERVER_MODE"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _is_server_mode_test(node.operand)
        return None if inner is None else not inner
    return None


def _server_mode_statements(statements):
    """The top-level statements that run in server mode: nothing after an
    `if settings.TEST_SERVER_MODE: raise SkipTest(…)`."""
    for statement in statements:
        yield statement
        if (isinstance(statement, ast.If) and _is_server_mode_test(statement.test)
                and any(isinstance(s, ast.Raise) for s in statement.body)):
            return


def _server_mode_names(node):
    """The names `node` uses in code that runs in server mode: the branch of an
    `if settings.TEST_SERVER_MODE` (or `if not …`) that server mode does not take is left
    out, at any depth."""
    if isinstance(node, ast.If):
        mode = _is_server_mode_test(node.test)
        if mode is not None:
            for child in node.body if mode else node.orelse:
                yield from _server_mode_names(child)
            return
    if isinstance(node, ast.Name):
        yield node.id
    for child in ast.iter_child_nodes(node):
        yield from _server_mode_names(child)


def _service_of(call):
    """The service name of a `boto3.client("x", …)` / `boto3.resource("x", …)` call."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("client", "resource")
            and isinstance(func.value, ast.Name) and func.value.id == "boto3"):
        return None
    args = [a for a in call.args[:1]] + [k.value for k in call.keywords
                                         if k.arg == "service_name"]
    for arg in args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
    return None


def out_of_scope_reason(item):
    """The rule. A collected test is out of scope, with the reason returned, when
    1. its module is about something else than IAM/STS behaviour (OUT_OF_SCOPE_MODULES:
       CloudFormation templates, moto's own server app); or
    2. it (or its test class's setUp) makes a boto3 client or resource of a service other
       than IAM and STS: it tests another service's integration (EC2, S3, Config, DynamoDB…);
       or
    3. in server mode it reads moto's in-process state (`get_backend`, `iam_backends`, …):
       it tests moto's internals, which are not the server under test.
    Code that does not run in server mode (under `if not settings.TEST_SERVER_MODE:`, after
    `if settings.TEST_SERVER_MODE: raise SkipTest(…)`) does not count. Everything else is in
    scope."""
    module = Path(str(item.fspath)).name
    if module in OUT_OF_SCOPE_MODULES:
        return OUT_OF_SCOPE_MODULES[module]
    functions = [getattr(item, "function", None)]
    if item.cls is not None:
        functions += [getattr(item.cls, name, None) for name in ("setUp", "setup_method")]
    for function in filter(None, functions):
        try:
            source = textwrap.dedent(inspect.getsource(function))
        except (OSError, TypeError):
            continue
        tree = ast.parse(source)
        body = tree.body[0].body if tree.body and hasattr(tree.body[0], "body") else []
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                service = _service_of(node)
                if service is not None and service not in OWN_SERVICES:
                    return f"uses another service ({service})"
        for statement in _server_mode_statements(body):
            for name in _server_mode_names(statement):
                if name in MOTO_INTERNALS:
                    return f"reads moto's in-process state ({name})"
    return None


# --- the kept list ----------------------------------------------------------------------

SECTIONS = {
    "moto differs from AWS": "moto",
    "oxiam gaps (to fix)": "gap",
    "undocumented by AWS (to record against AWS)": "undoc",
    "NotImplemented in oxiam": "notimpl",
}


class ExpectedFailures:
    """tests/moto/expected-failures.txt: `## <section>` headings (SECTIONS), then one line
    per test: `<test id> | <reason> | <AWS documentation URL>` (the URL is required in the
    "moto differs from AWS" section). `#` starts a comment line."""

    def __init__(self, path):
        self.entries = {}
        section = None
        for number, raw in enumerate(path.read_text().splitlines(), 1):
            line = raw.strip()
            if line.startswith("## "):
                section = SECTIONS.get(line[3:].strip())
                if section is None:
                    raise ValueError(f"{path.name}:{number}: unknown section `{line[3:]}`")
                continue
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split(" | ")]
            if section is None or len(parts) < 2 or not parts[1]:
                raise ValueError(f"{path.name}:{number}: expected `<test id> | <reason>"
                                 f"[ | <url>]` under a section heading")
            if section == "moto" and (len(parts) < 3 or not parts[2].startswith("https://")):
                raise ValueError(f"{path.name}:{number}: a moto-differs-from-AWS entry needs "
                                 f"the AWS documentation URL")
            if parts[0] in self.entries:
                raise ValueError(f"{path.name}:{number}: `{parts[0]}` is listed twice")
            self.entries[parts[0]] = (section, parts[1])


# --- pytest hooks -----------------------------------------------------------------------

_proxy = None


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Starts oxiam and the proxy, and puts moto in server mode at the proxy, before moto's
    tests' conftest imports moto (moto reads TEST_SERVER_MODE when imported)."""
    global _proxy
    binary = os.environ.get("OXIAM_BIN") or str(HERE.parent.parent / "target/debug/oxiam")
    _proxy = Proxy(Backends(binary))
    threading.Thread(target=_proxy.serve_forever, daemon=True).start()
    os.environ.update({
        "TEST_SERVER_MODE": "true",
        "TEST_SERVER_MODE_ENDPOINT": _proxy.endpoint,
        # The tests sign as the account's root (moto would accept any key).
        "AWS_ACCESS_KEY_ID": ROOT_KEY,
        "AWS_SECRET_ACCESS_KEY": ROOT_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    })
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
    early_config.stash[_expected_key] = ExpectedFailures(EXPECTED)


_expected_key = pytest.StashKey()


def pytest_configure(config):
    # moto's mock would put its fake keys (FOOBARKEY) in the environment; oxiam knows only
    # the root keys above.
    from moto.core.config import default_user_config

    default_user_config.setdefault("core", {})["mock_credentials"] = False
    # Tests frozen in 2012 (freezegun) would sign their requests in 2012, which AWS refuses
    # (a signature is valid 15 minutes): botocore signs with the real clock, as against AWS.
    # freezegun replaces `datetime.datetime` itself, so its ignore list cannot exempt
    # botocore; the signer's clock function is replaced instead, holding the real
    # `datetime.now` in a default argument, where freezegun does not look.
    import botocore.auth

    def real_now(remove_tzinfo=True, _now=datetime.datetime.now, _utc=datetime.timezone.utc):
        now = _now(_utc)
        return now.replace(tzinfo=None) if remove_tzinfo else now

    botocore.auth.get_current_datetime = real_now


def pytest_ignore_collect(collection_path, config):
    if collection_path.name in OUT_OF_SCOPE_MODULES:
        return True
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    """Runs before `-k`/`-m` deselect, so the stale-entry check sees every test in scope."""
    expected = config.stash[_expected_key]
    keep, out = [], []
    for item in items:
        (out if out_of_scope_reason(item) else keep).append(item)
    items[:] = keep
    config.hook.pytest_deselected(items=out)
    config.stash[_scope_key] = (len(keep), len(out))
    known = {item.nodeid for item in keep}
    for item in keep:
        entry = expected.entries.get(item.nodeid)
        if entry is not None:
            # strict: a listed test that passes fails the run (a stale entry).
            item.add_marker(pytest.mark.xfail(reason=f"[{entry[0]}] {entry[1]}",
                                              strict=True, run=True))
    config.stash[_stale_key] = sorted(set(expected.entries) - known)


_scope_key = pytest.StashKey()
_stale_key = pytest.StashKey()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    kept, out = config.stash.get(_scope_key, (0, 0))
    expected = config.stash[_expected_key]
    by_section = {}
    for section, _ in expected.entries.values():
        by_section[section] = by_section.get(section, 0) + 1
    terminalreporter.write_line(
        f"oxiam moto harness: {kept} tests in scope, {out} out of scope (deselected); listed "
        f"as expected failures: {by_section.get('moto', 0)} moto differs from AWS, "
        f"{by_section.get('gap', 0)} oxiam gaps, {by_section.get('undoc', 0)} undocumented by "
        f"AWS, {by_section.get('notimpl', 0)} NotImplemented; "
        f"{_proxy.backends.resets if _proxy else 0} fresh servers")
    stale = config.stash.get(_stale_key, [])
    for nodeid in stale:
        terminalreporter.write_line(f"STALE entry (no such test in scope): {nodeid}", red=True)


def pytest_sessionfinish(session, exitstatus):
    if session.config.stash.get(_stale_key, []) and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_unconfigure(config):
    if _proxy is not None:
        _proxy.shutdown()
        _proxy.backends.close()
