#!/usr/bin/env bash
# Runs moto's own IAM and STS tests (moto 5.2.6, from its PyPI sdist) in moto's server mode
# against the real oxiam binary (tests/moto/oxiam_moto.py is the harness; the tests moto
# gets wrong about AWS, each with AWS's documentation, are in tests/moto/expected-failures.txt).
# Installs, once, a venv target/moto-venv with moto's pinned requirements
# (tests/moto/requirements.txt) and unpacks the sdist's tests into target/moto.
# OXIAM_BIN names the binary (default target/debug/oxiam); extra arguments go to pytest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version=5.2.6
sdist_sha256=247351594cfa4917ec74834a0be62915804d568ad3b667988194668ad39c44a7
venv="$root/target/moto-venv"
req="$root/tests/moto/requirements.txt"
stamp="$venv/.requirements"
src="$root/target/moto/moto-$version"

mkdir -p "$root/target"
exec 9>"$root/target/.moto-venv.lock"
flock 9
if ! { [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp"; }; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  cp "$req" "$stamp"
  echo "moto-tests: installed moto==$version and its test requirements into target/moto-venv"
fi
if [ ! -f "$src/.unpacked" ]; then
  rm -rf "$root/target/moto"
  mkdir -p "$root/target/moto"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    --dest "$root/target/moto" "moto==$version"
  echo "$sdist_sha256  $root/target/moto/moto-$version.tar.gz" | sha256sum --check --quiet
  # Only the tests (and their pytest settings): moto itself is the installed package.
  tar -xzf "$root/target/moto/moto-$version.tar.gz" -C "$root/target/moto" \
    "moto-$version/tests" "moto-$version/pyproject.toml"
  touch "$src/.unpacked"
fi
flock -u 9

export OXIAM_BIN="${OXIAM_BIN:-$root/target/debug/oxiam}"
cd "$src"
PYTHONPATH="$root/tests/moto" exec "$venv/bin/python" -m pytest -p oxiam_moto -p no:cacheprovider \
  -q -rfE --no-header --color=no tests/test_iam tests/test_sts "$@"
