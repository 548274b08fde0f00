#!/bin/sh
# Makes sure Debian's Chromium is installed for the browser test (test/integration/app.browser.test.ts drives it
# with playwright-core). Playwright's own browser download does not work offline; the Debian package does (apt is
# one of the two registries set-up may use). Needs root or sudo; OPG_BROWSER=/path/to/chromium uses another build.
set -eu
browser="${OPG_BROWSER:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
echo "opg: installing Chromium (Debian package chromium) for the browser test…" >&2
if [ "$(id -u)" = 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1; then
  as_root="sudo"
else
  echo "opg: cannot install chromium without root: run \`sudo apt-get install -y chromium\`, or set OPG_BROWSER" >&2
  exit 1
fi
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends chromium >/dev/null
"$browser" --version 2>/dev/null >&2 || true
