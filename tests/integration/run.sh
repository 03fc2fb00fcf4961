#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration tests: real clients against samsad started per test on a free
# loopback port. Needs a build in $SAMSA_BUILD_DIR (default: build/).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export SAMSA_BUILD_DIR=${SAMSA_BUILD_DIR:-$HERE/../../build}
if [ -f "$HERE/js/package.json" ] && [ ! -d "$HERE/js/node_modules" ]; then
    (cd "$HERE/js" && npm ci --no-audit --no-fund --loglevel=error)
fi
# Apache Kafka's Java client (tests/integration/java) and the Go clients
# franz-go and sarama (tests/integration/go): pinned jars copied into java/lib
# and programs built into go/bin. Only the first run needs Maven Central and
# the Go module proxy; later runs use ~/.m2 and the Go module cache.
if command -v mvn >/dev/null && [ ! -f "$HERE/java/lib/kafka-clients-3.8.0.jar" ]; then
    (cd "$HERE/java" && mvn -q -B dependency:copy-dependencies \
        -DoutputDirectory=lib -DincludeScope=runtime)
fi
# Apache Kafka's command-line tools (kafka-acls.sh's AclCommand and the
# others, kafka-tools 4.0.2 with its own 4.0.2 client; kafka-configs.sh's
# ConfigCommand from kafka_2.13) in kafka-tools/lib.
if command -v mvn >/dev/null && [ ! -f "$HERE/kafka-tools/lib/kafka_2.13-4.0.2.jar" ]; then
    (cd "$HERE/kafka-tools" && mvn -q -B dependency:copy-dependencies \
        -DoutputDirectory=lib -DincludeScope=runtime)
fi
if command -v go >/dev/null; then
    (cd "$HERE/go" && go build -o bin/ ./cmd/...)
fi
# Debian's client libraries (python3-kafka, python3-confluent-kafka) live in
# the system interpreter, so run pytest with it rather than any other python.
cd "$HERE"
# Test files named on the command line (run.sh 0901_x_test.py, or
# file::test) run alone; otherwise the whole directory.
WHERE=.
for a in "$@"; do
    case $a in -*) ;; *) if [ -e "${a%%::*}" ]; then WHERE=; fi ;; esac
done
# shellcheck disable=SC2086
exec /usr/bin/python3 -m pytest -q -p no:cacheprovider "$@" $WHERE
