#!/usr/bin/env bash
# Makes sure the Debian packages the tests drive are there:
# - chromium, for the console's browser tests (tests/python/test_console.py, driven by
#   playwright with executable_path=$OXIAM_CHROMIUM or /usr/bin/chromium: playwright never
#   downloads a browser);
# - openssl, which makes the certificates and keys of the certificate and web identity tests;
# - openssh-client, whose ssh-keygen checks the SSH public key tests.
# As root, installs the missing ones with apt-get. Otherwise (CI may run as an ordinary user)
# it fetches them and the libraries they need that are not installed with `apt-get download`,
# unpacks them under target/debian/root with `dpkg -x`, and writes target/debian/env, which
# the test command sources: it puts their programs on PATH and names the unpacked chromium in
# OXIAM_CHROMIUM. The tests fail, rather than skip, when one is still missing.
set -euo pipefail
cd "$(dirname "$0")/.."
chromium="${OXIAM_CHROMIUM:-/usr/bin/chromium}"
unpacked="$PWD/target/debian"

missing() {
  [ -x "$chromium" ] || echo chromium
  command -v openssl >/dev/null || echo openssl
  command -v ssh-keygen >/dev/null || echo openssh-client
}

# The packages, with every package they depend on (recursively) that is not installed.
not_installed_closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$@" | grep '^[a-z0-9]' | sort -u |
    while read -r package; do
      status="$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)"
      [ "$status" = "install ok installed" ] || echo "$package"
    done
}

unpack() {
  rm -rf "$unpacked" && mkdir -p "$unpacked/debs" "$unpacked/root"
  mapfile -t closure < <(not_installed_closure "$@")
  echo "debian-packages: unpacking ${#closure[@]} packages under target/debian (not root)"
  (cd "$unpacked/debs" && apt-get download -qq "${closure[@]}" >/dev/null)
  for deb in "$unpacked"/debs/*.deb; do dpkg -x "$deb" "$unpacked/root"; done
  # Libraries are found through LD_LIBRARY_PATH: every unpacked directory holding one.
  libs="$(find "$unpacked/root" -name '*.so*' -printf '%h\n' | sort -u | paste -sd:)"
  cat >"$unpacked/chromium" <<WRAPPER
#!/bin/sh
LD_LIBRARY_PATH="$libs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$unpacked/root/usr/lib/chromium/chromium" "\$@"
WRAPPER
  chmod +x "$unpacked/chromium"
  {
    echo "export PATH=\"$unpacked/root/usr/bin:\$PATH\""
    [ -x "$unpacked/root/usr/lib/chromium/chromium" ] &&
      echo "export OXIAM_CHROMIUM=\"$unpacked/chromium\""
  } >"$unpacked/env"
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
else
  if [ -f "$unpacked/env" ]; then
    # shellcheck disable=SC1091
    source "$unpacked/env"
    chromium="${OXIAM_CHROMIUM:-$chromium}"
  fi
  mapfile -t packages < <(missing)
  if [ "${#packages[@]}" = 0 ]; then
    exit 0
  fi
  unpack "${packages[@]}"
  # shellcheck disable=SC1091
  source "$unpacked/env"
  chromium="${OXIAM_CHROMIUM:-$chromium}"
fi
mapfile -t packages < <(missing)
if [ "${#packages[@]}" = 0 ]; then
  exit 0
fi
echo "debian-packages: still missing: ${packages[*]}" >&2
exit 1
