#!/usr/bin/env bash
# Creates target/venv with the AWS CLI, boto3, pytest and playwright pinned in
# scripts/requirements.txt (playwright drives Debian's chromium; it downloads no browser).
# Idempotent: does nothing when the venv already matches the requirements.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/target/venv"
req="$root/scripts/requirements.txt"
stamp="$venv/.requirements"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
cp "$req" "$stamp"
echo "python-env: installed $(grep -v "^#" "$req" | tr "\n" " ")"
