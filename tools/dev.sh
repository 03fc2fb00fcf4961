#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tools/dev.sh - the two set-up commands of the README.
#
#   tools/dev.sh run    install what is missing, build, start a single-node
#                       broker on 127.0.0.1:9092 (data in ./data) and return
#                       once it listens (--foreground keeps it attached)
#   tools/dev.sh test   install what is missing, build, run the whole suite:
#                       unit tests, the same under ASan+UBSan, integration
#                       tests with real clients, the generated-code check,
#                       and a bounded fuzz run
#
# Needs root (or sudo) for apt-get on a fresh Debian 12 machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BUILD_PKGS="build-essential cmake ninja-build pkg-config libyaml-dev libzstd-dev
 liblz4-dev libsnappy-dev zlib1g-dev libssl-dev libcmocka-dev libraft-dev libuv1-dev
 libmicrohttpd-dev libsystemd-dev libjansson-dev libcurl4-openssl-dev"
TEST_PKGS="clang clang-format libclang-rt-14-dev librdkafka-dev kcat python3 python3-pytest python3-kafka
 python3-confluent-kafka python3-prometheus-client python3-selenium chromium
 chromium-driver lz4 zstd gzip procps iproute2 rpm file llvm strace"
# file: cpack -G DEB runs it (shlibdeps); llvm: llvm-symbolizer, so
# clang sanitizer/libFuzzer reports name functions; strace: the
# flush-before-ack ordering test (0740).

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing() {
    local missing=()
    for p in $*; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing: ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

build() { # build <dir> [cmake args...]
    local dir=$1; shift
    cmake -S "$ROOT" -B "$dir" -G Ninja -DSAMSA_WERROR=ON "$@" >/dev/null
    ninja -C "$dir"
}

cmd_run() {
    install_missing "$BUILD_PKGS"
    build "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
    local bin="$ROOT/build/core/samsad"
    # A development broker forms consumer groups at once, as Kafka's sample
    # server.properties does: conf.d/samsa.yaml (the installed file, which
    # keeps Kafka's 3 s initial rebalance delay) plus
    # group_initial_rebalance_delay_ms: 0 unless it sets that key itself.
    # The copy keeps conf.d/samsa.yaml's line numbers for error messages.
    mkdir -p "$ROOT/data"
    local conf="$ROOT/data/samsa-dev.yaml"
    cp "$ROOT/conf.d/samsa.yaml" "$conf"
    if ! grep -q '^group_initial_rebalance_delay_ms:' "$conf"; then
        printf 'group_initial_rebalance_delay_ms: 0  # tools/dev.sh run\n' >>"$conf"
    fi
    if [ "${1:-}" = "--foreground" ]; then
        exec "$bin" --config "$conf"
    fi
    if [ -f "$ROOT/data/samsad.pid" ] && kill -0 "$(cat "$ROOT/data/samsad.pid")" 2>/dev/null; then
        log "samsad already running (pid $(cat "$ROOT/data/samsad.pid"))"
        return 0
    fi
    nohup "$bin" --config "$conf" >"$ROOT/data/samsad.log" 2>&1 &
    echo $! >"$ROOT/data/samsad.pid"
    for _ in $(seq 1 100); do
        if (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null; then
            log "samsad listening on 127.0.0.1:9092 (pid $(cat "$ROOT/data/samsad.pid"), log data/samsad.log)"
            log "stop it with: kill \$(cat data/samsad.pid)"
            return 0
        fi
        if ! kill -0 "$(cat "$ROOT/data/samsad.pid")" 2>/dev/null; then
            cat "$ROOT/data/samsad.log" >&2
            log "samsad exited"
            return 1
        fi
        sleep 0.1
    done
    log "samsad did not start listening in 10 s; see data/samsad.log"
    return 1
}

# franz-go and sarama need Go >= 1.24. An older Go (Debian 12 ships 1.19)
# fetches a released toolchain from the Go module proxy, where the Go
# project publishes each one as the module golang.org/toolchain, and puts it
# first on PATH.
GO_TOOLCHAIN=go1.25.0
ensure_recent_go() {
    local minor
    minor=$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
    if [ -n "$minor" ] && [ "$minor" -ge 24 ]; then
        return 0
    fi
    local mod="golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$(dpkg --print-architecture)"
    local dir
    log "Go ${minor:+1.$minor }is too old for the Go client tests: fetching $GO_TOOLCHAIN"
    dir=$(GOFLAGS=-modcacherw go mod download -json "$mod" \
          | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -f "$dir/bin/go" ] || { log "could not fetch $mod"; return 1; }
    # The module cache keeps no file modes: make the tools runnable again.
    chmod +x "$dir/bin/"* "$dir"/pkg/tool/*/*
    export PATH="$dir/bin:$PATH"
}

cmd_test() {
    install_missing "$BUILD_PKGS $TEST_PKGS"
    # kafkajs runs on Node.js; keep a Node that is already there (its own
    # npm may conflict with Debian's npm package).
    command -v npm >/dev/null || install_missing "nodejs npm"
    # Apache Kafka's Java client runs on a JDK (>= 11: single-file source
    # launch) with its jars fetched by Maven; franz-go and sarama need Go >= 1.24
    # (their go.mod files; Debian 12's golang-go is 1.19, so a Go from
    # /usr/local/go is preferred when there is one).
    { command -v java && command -v mvn; } >/dev/null \
        || install_missing "default-jdk-headless maven"
    if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
        export PATH="$PATH:/usr/local/go/bin"
    fi
    command -v go >/dev/null || install_missing "golang-go"
    ensure_recent_go
    log "formatting (clang-format, .clang-format)"
    "$ROOT/tools/check-format.sh"
    log "build (warnings are errors)"
    build "$ROOT/build"
    log "unit tests"
    ctest --test-dir "$ROOT/build" --output-on-failure -j2
    log "unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
    build "$ROOT/build-asan" -DSAMSA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir "$ROOT/build-asan" --output-on-failure -j2
    if [ -d "$ROOT/../shared/kafka-protocol/messages" ]; then
        log "generated protocol code matches ../shared/kafka-protocol"
        python3 "$ROOT/tools/protogen/protogen.py" --check
    fi
    if [ -x "$ROOT/tests/fuzz/run.sh" ]; then
        log "fuzzing the request decoder (bounded)"
        "$ROOT/tests/fuzz/run.sh" "${FUZZ_SECONDS:-30}"
    fi
    if [ -x "$ROOT/tests/integration/run.sh" ]; then
        log "integration tests with real clients"
        "$ROOT/tests/integration/run.sh"
        log "integration tests again, samsad built with ASan+UBSan (leaks fail the exit code)"
        SAMSA_BUILD_DIR="$ROOT/build-asan" SAMSA_IT_MILLION=50000 \
            ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
            "$ROOT/tests/integration/run.sh"
    fi
}

case "${1:-}" in
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    *) echo "usage: tools/dev.sh run [--foreground] | test" >&2; exit 2 ;;
esac
