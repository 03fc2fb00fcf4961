#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the fuzzers with clang and run them for N seconds in all (default
# 30): two thirds for the request decoder (seeds: the real request
# vectors), one third for produce-side record batch validation (seeds:
# tests/fuzz/make_batch_seeds.py; codecs: the plugins of this build).
#   tests/fuzz/run.sh [seconds] [build-dir]
set -eu
SECONDS_TO_RUN=${1:-30}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-$SRC/build-fuzz}
BATCH_SECONDS=$((SECONDS_TO_RUN / 3))
BATCH_SECONDS=$((BATCH_SECONDS > 0 ? BATCH_SECONDS : 1))
REQUEST_SECONDS=$((SECONDS_TO_RUN - BATCH_SECONDS))
REQUEST_SECONDS=$((REQUEST_SECONDS > 0 ? REQUEST_SECONDS : 1))

cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang \
      -DSAMSA_FUZZ=ON -DSAMSA_BUILD_TESTS=ON >/dev/null
ninja -C "$BUILD" fuzz_request fuzz_batch codec-gzip codec-snappy codec-lz4 \
      codec-zstd

CORPUS=$BUILD/fuzz-corpus/request
SEEDS=$BUILD/fuzz-seeds/request
/usr/bin/python3 "$SRC/tests/fuzz/make_seeds.py" "$SEEDS"
mkdir -p "$CORPUS"
# -rss_limit_mb: a decode that tries to allocate a lot fails the run.
"$BUILD/tests/fuzz/fuzz_request" -max_total_time="$REQUEST_SECONDS" \
    -rss_limit_mb=1024 -max_len=65536 -timeout=10 -print_final_stats=1 \
    "$CORPUS" "$SEEDS"

CORPUS=$BUILD/fuzz-corpus/batch
SEEDS=$BUILD/fuzz-seeds/batch
/usr/bin/python3 "$SRC/tests/fuzz/make_batch_seeds.py" "$SEEDS"
mkdir -p "$CORPUS"
SAMSA_TEST_PLUGIN_DIR=$BUILD/plugins \
"$BUILD/tests/fuzz/fuzz_batch" -max_total_time="$BATCH_SECONDS" \
    -rss_limit_mb=1024 -max_len=16384 -timeout=10 -print_final_stats=1 \
    "$CORPUS" "$SEEDS"
