#!/usr/bin/env bash
# Runs every test of oxiam. This is the command the README gives and CI runs (.ci/run).
# It installs what the tests need under target/ (a Python venv with the AWS CLI, boto3,
# pytest and playwright; another with prowler and cloudsplaining; the npm policy oracle)
# and the Debian packages the tests drive: chromium, openssl, openssh-client, installed as
# root or else unpacked under target/debian (scripts/debian-packages.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }

step "tools: Python venv with awscli, boto3, pytest (target/venv)"
mkdir -p target && flock target/.venv.lock scripts/python-env.sh

step "tools: prowler and cloudsplaining, the security tools that judge oxiam (target/tools-venv)"
flock target/.tools-venv.lock scripts/tools-env.sh

if [ -x scripts/oracle/install.sh ]; then
  step "tools: policy oracle (npm, target/oracle)"
  scripts/oracle/install.sh
fi

step "tools: chromium, openssl, ssh-keygen (Debian packages)"
scripts/debian-packages.sh
if [ -f target/debian/env ]; then
  # shellcheck disable=SC1091
  source target/debian/env
fi

step "format"
cargo fmt --all --check

step "generated code is up to date (cargo xtask codegen --check)"
cargo xtask codegen --check

step "AWS service catalogue is up to date (cargo xtask catalogue --check; npm pack, cached in target/catalogue)"
cargo xtask catalogue --check

step "lints (clippy, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests (unit, spec vectors, policy corpus, store conformance, AWS CLI end to end)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

step "boto3 end to end (pytest)"
cargo build --locked -p oxiam
OXIAM_BIN="$PWD/target/debug/oxiam" target/venv/bin/python -m pytest -q -p no:cacheprovider tests/python

step "moto's own IAM/STS tests against oxiam (scripts/moto-tests.sh; expected failures in tests/moto)"
scripts/moto-tests.sh
