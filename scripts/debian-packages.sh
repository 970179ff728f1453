#!/usr/bin/env bash
# Makes sure the Debian packages the tests drive are installed:
# - chromium, for the console's browser tests (tests/python/test_console.py, driven by
#   playwright with executable_path=/usr/bin/chromium: playwright never downloads a browser);
# - openssl, which makes the certificates and keys of the certificate and web identity tests;
# - openssh-client, whose ssh-keygen checks the SSH public key tests.
# Installs the missing ones with apt-get when running as root; otherwise fails with a message
# saying what to install. The tests fail, rather than skip, when one is missing.
set -euo pipefail
chromium="${OXIAM_CHROMIUM:-/usr/bin/chromium}"

missing() {
  [ -x "$chromium" ] || echo chromium
  command -v openssl >/dev/null || echo openssl
  command -v ssh-keygen >/dev/null || echo openssh-client
}

mapfile -t packages < <(missing)
if [ "${#packages[@]}" = 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  echo "debian-packages: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${packages[@]}" >/dev/null
  mapfile -t packages < <(missing)
  if [ "${#packages[@]}" = 0 ]; then
    exit 0
  fi
  echo "debian-packages: still missing after apt-get install: ${packages[*]}" >&2
  exit 1
fi
echo "debian-packages: missing ${packages[*]}: install them as root" \
  "(apt-get install ${packages[*]}), or run this script as root" >&2
if [ ! -x "$chromium" ]; then
  echo "debian-packages: or set OXIAM_CHROMIUM to a chromium binary" >&2
fi
exit 1
