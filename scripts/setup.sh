#!/usr/bin/env bash
# Set up crashlab on a Debian 12 machine with Node.js 20: Unicorn 2.1 (Debian unstable's
# libunicorn2t64, fetched into .unicorn/ without touching the machine's apt configuration:
# scripts/fetch-unicorn.sh), Debian 12's own Unicorn 2.0.1 (the fallback) and chromium, the
# npm dependencies, and the compiled CLI. Safe to run again.
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
# After npm ci: the fetch checks the library's version through koffi.
if ! ./scripts/fetch-unicorn.sh; then
  echo "setup: warning: Unicorn 2.1 could not be fetched; crashlab will run on the system's Unicorn 2.0.1, where guests run slower" >&2
fi
npm run --silent build
