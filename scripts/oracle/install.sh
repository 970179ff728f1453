#!/usr/bin/env bash
# Installs the differential-test oracle (@cloud-copilot/iam-simulate, pinned in
# package-lock.json beside this script) under target/oracle. Idempotent: when the installed
# tree was made from the same lock file it returns at once. Called by scripts/test.sh.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dest="${OXIAM_ORACLE_DIR:-$repo/target/oracle}"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install.sh: node and npm are required for the policy oracle (apt-get install nodejs npm)" >&2
  exit 1
fi

want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
stamp="$dest/.installed-from"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -d "$dest/node_modules/@cloud-copilot/iam-simulate" ]]; then
  exit 0
fi

mkdir -p "$dest"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
# npm ci installs exactly the lock file, never resolving newer versions.
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"
