#!/usr/bin/env bash
# Set up crashlab on a Debian 12 machine with Node.js 20: the Unicorn 2 library and
# chromium from Debian, the npm dependencies, and the compiled CLI. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
# chromium: the headless browser the HTML page tests drive (through playwright-core, which
# never downloads a browser of its own).
if ! dpkg -s libunicorn2 >/dev/null 2>&1 || ! dpkg -s chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libunicorn2 chromium >/dev/null
fi
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
