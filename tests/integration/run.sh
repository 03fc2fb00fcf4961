#!/usr/bin/env bash
# Integration tests: real clients against samsad started per test on a free
# loopback port. Needs a build in $SAMSA_BUILD_DIR (default: build/).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export SAMSA_BUILD_DIR=${SAMSA_BUILD_DIR:-$HERE/../../build}
if [ -f "$HERE/js/package.json" ] && [ ! -d "$HERE/js/node_modules" ]; then
    (cd "$HERE/js" && npm ci --no-audit --no-fund --silent)
fi
# Debian's client libraries (python3-kafka, python3-confluent-kafka) live in
# the system interpreter, so run pytest with it rather than any other python.
cd "$HERE"
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" .
