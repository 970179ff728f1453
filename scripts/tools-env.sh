#!/usr/bin/env bash
# Creates target/tools-venv with the security tools that judge oxiam from outside (prowler,
# cloudsplaining; tests/python/test_security_tools.py), every package pinned in
# scripts/tools-requirements.txt. Their own venv: prowler pins its own boto3 and some 250
# packages, which must not move the AWS CLI and boto3 of target/venv.
# Idempotent: does nothing when the venv already matches the requirements. `--no-compile`:
# prowler brings the SDKs of a dozen clouds (1.4 GB); byte-compiling them all would add
# another 1 GB and minutes for modules an AWS scan never imports.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/tools-venv"
req="$root/scripts/tools-requirements.txt"
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
  exit 0
fi
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --no-compile -r "$req"
cp "$req" "$stamp"
echo "tools-env: installed $(grep -E '^(prowler|cloudsplaining)==' "$req" | tr '\n' ' ')"
