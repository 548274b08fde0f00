#!/bin/sh
# Compiles the contracts, then the Solidity tests one folder at a time. Hardhat merges every test file into one
# solc job on a clean build, and solc-js (WASM) runs out of memory on a job that large; folder-sized jobs fit, and
# the compilation cache makes later runs incremental. Extra arguments (e.g. --coverage) go to every build.
set -eu
cd "$(dirname "$0")/.."
hardhat build --no-tests --quiet "$@"
for folder in test/solidity/*/; do
  files=$(find "$folder" -name '*.sol' | sort)
  [ -n "$files" ] && hardhat build --no-contracts --quiet "$@" $files
done
loose=$(find test/solidity -maxdepth 1 -name '*.sol' | sort)
[ -n "$loose" ] && hardhat build --no-contracts --quiet "$@" $loose
echo "opg: contracts and Solidity tests compiled"
