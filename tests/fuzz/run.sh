#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the request-decoding fuzzer with clang and run it for N seconds
# (default 30) from a seed corpus made of the real request vectors.
#   tests/fuzz/run.sh [seconds] [build-dir]
set -eu
SECONDS_TO_RUN=${1:-30}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-$SRC/build-fuzz}

cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang \
      -DSAMSA_FUZZ=ON -DSAMSA_BUILD_TESTS=ON >/dev/null
ninja -C "$BUILD" fuzz_request

CORPUS=$BUILD/fuzz-corpus/request
SEEDS=$BUILD/fuzz-seeds/request
/usr/bin/python3 "$SRC/tests/fuzz/make_seeds.py" "$SEEDS"
mkdir -p "$CORPUS"
# -rss_limit_mb: a decode that tries to allocate a lot fails the run.
"$BUILD/tests/fuzz/fuzz_request" -max_total_time="$SECONDS_TO_RUN" \
    -rss_limit_mb=1024 -max_len=65536 -timeout=10 -print_final_stats=1 \
    "$CORPUS" "$SEEDS"
