#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cluster tests: a local cluster made by `tools/dev.sh cluster` (nodes on
# free loopback ports, data in a temp dir), real clients against it.
# Needs a build in $SAMSA_BUILD_DIR (default: build/).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export SAMSA_BUILD_DIR=${SAMSA_BUILD_DIR:-$HERE/../../build}
# Apache Kafka's admin tools (kafka-tools and its dependencies, pinned in
# java/pom.xml) copied into java/lib; only the first run needs Maven Central.
if command -v mvn >/dev/null && [ ! -f "$HERE/java/lib/kafka-tools-3.8.0.jar" ]; then
    (cd "$HERE/java" && mvn -q -B dependency:copy-dependencies \
        -DoutputDirectory=lib -DincludeScope=runtime)
fi
cd "$HERE"
# Debian's python3-kafka lives in the system interpreter.
# Test files named on the command line (run.sh 0901_x_test.py, or
# file::test) run alone; otherwise the whole directory.
WHERE=.
for a in "$@"; do
    case $a in -*) ;; *) if [ -e "${a%%::*}" ]; then WHERE=; fi ;; esac
done
# shellcheck disable=SC2086
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" $WHERE
