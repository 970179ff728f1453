#!/usr/bin/env python3
"""Console page benchmark: starts oxiam (OXIAM_BIN, default target/release/oxiam), seeds
users over the API with boto3, signs in as the root over HTTP and times the main pages
(server render + transfer on loopback) and the policy validator endpoint.
Figures are printed, not asserted. Run with the repo's venv:
  target/venv/bin/python scripts/bench/console.py [USERS] [REPEATS]
"""
import http.client
import os
import statistics
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../tests/python"))
os.environ.setdefault("OXIAM_BIN", os.path.join(os.path.dirname(__file__), "../../target/release/oxiam"))
os.environ["OXIAM_ROOT_PASSWORD"] = "Bench-Root-Pa55word!"
from conftest import ACCOUNT, Oxiam  # noqa: E402

USERS = int(sys.argv[1]) if len(sys.argv) > 1 else 500
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 50


def main():
    server = Oxiam(["--quota", f"users_per_account={USERS + 100}"])
    try:
        iam = server.client("iam")
        for i in range(USERS):
            iam.create_user(UserName=f"user{i:05d}")
        iam.create_access_key(UserName="user00000")
        host = urllib.parse.urlparse(server.endpoint).netloc
        conn = http.client.HTTPConnection(host)
        body = urllib.parse.urlencode({"account": ACCOUNT, "password": os.environ["OXIAM_ROOT_PASSWORD"]})
        started = time.perf_counter()
        conn.request("POST", "/console/root", body, {"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        r.read()
        signin_ms = (time.perf_counter() - started) * 1000
        cookie = r.getheader("Set-Cookie").split(";")[0]
        print(f"users: {USERS}, repeats: {REPEATS}, binary: {os.environ['OXIAM_BIN']}")
        print(f"root sign-in (argon2id verify): {signin_ms:.1f} ms")
        for path in ["/console/home", "/console/users", "/console/users/user00000",
                     "/console/groups", "/console/policies?scope=AWS", "/console/create-user"]:
            times, size = [], 0
            for _ in range(REPEATS):
                t = time.perf_counter()
                conn.request("GET", path, headers={"Cookie": cookie})
                resp = conn.getresponse()
                data = resp.read()
                times.append((time.perf_counter() - t) * 1000)
                size = len(data)
                assert resp.status == 200, (path, resp.status)
            print(f"GET {path:32} median {statistics.median(times):6.2f} ms  "
                  f"p95 {sorted(times)[int(len(times) * 0.95) - 1]:6.2f} ms  {size / 1024:5.1f} KB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
