#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Build the fuzzers with clang and run them for N seconds in all (default
# 30): a third for produce-side record batch validation (seeds:
# tests/fuzz/make_batch_seeds.py; codecs: the plugins of this build), a
# sixth each for SASL SCRAM message parsing (seeds: the RFC 5802 exchange;
# the SASL PLAIN token shares its share, seeds: RFC 4616's examples),
# the OAUTHBEARER client message and JWT structure (seeds: RFC 7515's
# example token in a client first message) and the broker's TLS server
# handshake (seeds: tests/fuzz/seeds/tls, ClientHellos captured from
# `openssl s_client`), the rest for the request decoder (seeds: the real
# request vectors).
#   tests/fuzz/run.sh [seconds] [build-dir]
set -eu
SECONDS_TO_RUN=${1:-30}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${2:-$SRC/build-fuzz}
BATCH_SECONDS=$((SECONDS_TO_RUN / 3))
BATCH_SECONDS=$((BATCH_SECONDS > 0 ? BATCH_SECONDS : 1))
SCRAM_SECONDS=$((SECONDS_TO_RUN / 6))
SCRAM_SECONDS=$((SCRAM_SECONDS > 0 ? SCRAM_SECONDS : 1))
PLAIN_SECONDS=$((SCRAM_SECONDS / 3))
PLAIN_SECONDS=$((PLAIN_SECONDS > 0 ? PLAIN_SECONDS : 1))
OAUTH_SECONDS=$SCRAM_SECONDS
TLS_SECONDS=$SCRAM_SECONDS
REQUEST_SECONDS=$((SECONDS_TO_RUN - BATCH_SECONDS - SCRAM_SECONDS - OAUTH_SECONDS - TLS_SECONDS))
REQUEST_SECONDS=$((REQUEST_SECONDS > 0 ? REQUEST_SECONDS : 1))

cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang \
      -DSAMSA_FUZZ=ON -DSAMSA_BUILD_TESTS=ON >/dev/null
ninja -C "$BUILD" fuzz_request fuzz_batch fuzz_scram fuzz_plain fuzz_oauthbearer fuzz_tls \
      codec-gzip codec-snappy codec-lz4 codec-zstd

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

CORPUS=$BUILD/fuzz-corpus/scram
SEEDS=$BUILD/fuzz-seeds/scram
mkdir -p "$CORPUS" "$SEEDS"
# RFC 5802's example exchange (client-first NUL client-final), and
# librdkafka's shape (its nonce repeated in front of the server's).
printf 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL\0c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=' >"$SEEDS/rfc5802"
printf 'n,a=al=3Dice,n=al=2Cice,r=abc,ext=1\0c=eSws,r=abcabcdef,x=1,p=AAAA' >"$SEEDS/escapes"
"$BUILD/tests/fuzz/fuzz_scram" -max_total_time="$((SCRAM_SECONDS - PLAIN_SECONDS > 0 ? SCRAM_SECONDS - PLAIN_SECONDS : 1))" \
    -rss_limit_mb=512 -max_len=4096 -timeout=10 -print_final_stats=1 \
    "$CORPUS" "$SEEDS"

CORPUS=$BUILD/fuzz-corpus/plain
SEEDS=$BUILD/fuzz-seeds/plain
mkdir -p "$CORPUS" "$SEEDS"
# RFC 4616 section 4's examples: without and with an authzid (the second
# one refused: authzid differs), and an authzid equal to the authcid.
printf '\0tim\0tanstaaftanstaaf' >"$SEEDS/rfc4616"
printf 'Ursel\0Kurt\0xipj3plmq' >"$SEEDS/rfc4616-authzid"
printf 'admin\0admin\0admin-secret' >"$SEEDS/same-authzid"
"$BUILD/tests/fuzz/fuzz_plain" -max_total_time="$PLAIN_SECONDS" \
    -rss_limit_mb=1024 -max_len=1024 -timeout=10 -print_final_stats=1 \
    "$CORPUS" "$SEEDS"

CORPUS=$BUILD/fuzz-corpus/oauthbearer
SEEDS=$BUILD/fuzz-seeds/oauthbearer
mkdir -p "$CORPUS" "$SEEDS"
# RFC 7515 A.3's ES256 example (header, claims, signature) in a Kafka
# client first message, with an authzid and an extension.
JWS='eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q'
printf 'n,,\001auth=Bearer %s\001\001' "$JWS" >"$SEEDS/kafka"
printf 'n,a=alice,\001auth=Bearer %s\001traceId=1\001\001' "$JWS" >"$SEEDS/authzid"
"$BUILD/tests/fuzz/fuzz_oauthbearer" -max_total_time="$OAUTH_SECONDS" \
    -rss_limit_mb=512 -max_len=8192 -timeout=10 -print_final_stats=1 \
    "$CORPUS" "$SEEDS"

CORPUS=$BUILD/fuzz-corpus/tls
mkdir -p "$CORPUS"
# -max_len stays under a socketpair's buffer: the whole input is sent
# before the session reads. Seeds: `openssl s_client` ClientHellos (TLS 1.3
# with its defaults, and -tls1_2), captured from a listening socket.
"$BUILD/tests/fuzz/fuzz_tls" -max_total_time="$TLS_SECONDS" \
    -rss_limit_mb=1024 -max_len=16384 -timeout=10 -print_final_stats=1 \
    "$CORPUS" "$SRC/tests/fuzz/seeds/tls"
