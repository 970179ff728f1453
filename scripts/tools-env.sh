#!/usr/bin/env bash
# Creates the venvs of the security tools that judge oxiam from outside
# (tests/python/test_security_tools.py), every package pinned:
# - target/tools-venv: prowler and cloudsplaining (scripts/tools-requirements.txt). Their own
#   venv: prowler pins its own boto3 and some 250 packages, which must not move the AWS CLI
#   and boto3 of target/venv.
# - target/scoutsuite-venv: ScoutSuite (scripts/scoutsuite-requirements.txt), whose old
#   Azure and Google SDK pins cannot share a venv with prowler's.
# Idempotent: a venv that already matches its requirements is left alone. `--no-compile`:
# the tools bring the SDKs of a dozen clouds (1.4 GB each); byte-compiling them all would add
# another 1 GB and minutes for modules an AWS scan never imports.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

install_venv() {
  local venv="$root/target/$1" req="$root/scripts/$2"
  local stamp="$venv/.requirements"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
    return 0
  fi
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir --no-compile -r "$req"
  cp "$req" "$stamp"
  echo "tools-env: installed $(grep -iE '^(prowler|cloudsplaining|scoutsuite)==' "$req" | tr '\n' ' ')"
}

install_venv tools-venv tools-requirements.txt
install_venv scoutsuite-venv scoutsuite-requirements.txt
