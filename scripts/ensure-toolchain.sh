#!/bin/sh
# Makes sure dependencies are installed under Node >= 22 (Hardhat 3 refuses Node 20, and npm under Node 20 silently
# skips the EDR native package). The `node` npm package ships Node 22 into node_modules/.bin, which `npm run` puts
# first on PATH, so every script below runs under Node 22 even when the system Node is older.
set -eu
cd "$(dirname "$0")/.."

needs_install=0
if [ ! -x node_modules/.bin/node ] || [ ! -x node_modules/.bin/hardhat ]; then
  needs_install=1
elif [ package-lock.json -nt node_modules/.package-lock.json ]; then
  needs_install=1
elif ! node_modules/.bin/node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 22 ? 0 : 1)'; then
  needs_install=1
fi

if [ "$needs_install" = 1 ]; then
  echo "opg: installing dependencies under Node 22…" >&2
  # `npm install --no-save` installs the locked versions. Not `npm ci`: npm 10/11 leave other platforms' optional
  # native packages (e.g. @nomicfoundation/edr-darwin-arm64) out of the lock file, and `npm ci` then refuses the
  # lock as "out of sync" (npm/cli#4828). --no-save keeps package.json and package-lock.json untouched.
  # onnxruntime-node's install script would download CUDA binaries (and fail offline); the CPU binaries ship in the
  # package. The environment variable, not an .npmrc key, which npm 11 warns about on every npm/npx call.
  ONNXRUNTIME_NODE_INSTALL=skip npx -y -p node@22 -- npm install --no-save --no-audit --no-fund
fi
