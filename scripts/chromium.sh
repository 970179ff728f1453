#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the console's browser tests
# (tests/python/test_console.py, driven by playwright with executable_path=/usr/bin/chromium:
# playwright never downloads a browser). Installs it with apt-get when running as root;
# otherwise fails with a message saying what to install.
set -euo pipefail
bin="${OXIAM_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$bin" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  echo "chromium: installing Debian's chromium package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "chromium: $bin is missing; install Debian's 'chromium' package (sudo apt-get install chromium) or set OXIAM_CHROMIUM" >&2
exit 1
