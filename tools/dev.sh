#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tools/dev.sh - the two set-up commands of the README.
#
#   tools/dev.sh run    install what is missing, build, start a single-node
#                       broker on 127.0.0.1:9092 (data in ./data) and return
#                       once it listens (--foreground keeps it attached;
#                       --secure adds SSL 9093, SASL_SSL 9094 and
#                       SASL_PLAINTEXT 9095 with keys and an admin user in
#                       data/secure/). Overrides, all optional, for a
#                       second broker or a test: SAMSA_RUN_PORT=P (the
#                       listeners on P, P+1, P+2, P+3 instead of
#                       9092..9095), SAMSA_RUN_HTTP_PORT=H (/metrics and the
#                       console on H, 0 = any free port, instead of 8083),
#                       SAMSA_RUN_DIR=D (data, pid, log and secure/ under D
#                       instead of ./data), SAMSA_BUILD_DIR=B (use the
#                       binaries built in B as they are, no install/build)
#   tools/dev.sh test   install what is missing, build, run the whole suite:
#                       unit tests, the same under ASan+UBSan, integration
#                       tests with real clients, the generated-code check,
#                       and a bounded fuzz run
#   tools/dev.sh cluster start N | kill I | start-node I | add-node | status | stop
#                       a local cluster of N nodes on 127.0.0.1 (data under
#                       data/cluster/); `start` prints the bootstrap list
#                       on its last line. Scripts depend on this interface.
#
# Needs root (or sudo) for apt-get on a fresh Debian 12 machine.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

BUILD_PKGS="build-essential cmake ninja-build pkg-config libyaml-dev libzstd-dev
 liblz4-dev libsnappy-dev zlib1g-dev libssl-dev libcmocka-dev libraft-dev libuv1-dev
 libmicrohttpd-dev libsystemd-dev libjansson-dev libcurl4-openssl-dev openssl
 libisal-dev libpq-dev"
TEST_PKGS="clang clang-format libclang-rt-14-dev librdkafka-dev kcat python3 python3-pytest
 python3-pytest-xdist python3-kafka
 python3-confluent-kafka python3-prometheus-client python3-selenium chromium
 chromium-driver lz4 zstd gzip procps iproute2 rpm file llvm strace lintian rpmlint
 debootstrap python3-jwt python3-cryptography postgresql curl"
# curl: the README's Kafka Connect quickstart is run as written (0900);
# file: cpack -G DEB runs it (shlibdeps); llvm: llvm-symbolizer, so
# clang sanitizer/libFuzzer reports name functions; strace: the
# flush-before-ack ordering test (0740); python3-jwt and
# python3-cryptography: the OAUTHBEARER tests sign their own tokens (0850);
# debootstrap: the chroot in
# which tests/sdk/chroot_upgrade.sh installs and upgrades the .deb;
# python3-pytest-xdist: the integration and cluster suites run several
# test files at once (see cmd_test).

# Each line carries the minutes:seconds since the command started, so a
# CI log shows what every stage costs.
log() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

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

# --secure: a CA and a broker certificate (openssl, EC P-256), the super
# user admin with a generated password (PLAIN users file; SCRAM credentials
# set once the broker listens), both sasl plugins, and client settings for
# Kafka's Java tools and for librdkafka, all under data/secure/ (made once,
# kept across runs).
secure_setup() { # secure_setup <dev yaml>
    local dir="$RUN_DIR/secure" conf=$1
    mkdir -p "$dir/conf.d"
    chmod 700 "$dir"
    if [ ! -f "$dir/ca.pem" ] || [ ! -f "$dir/broker.pem" ]; then
        log "making a CA and a broker certificate in $dir/"
        (cd "$dir" &&
         openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null &&
         openssl req -x509 -new -key ca.key -days 3650 -subj "/CN=Samsa dev CA" -out ca.pem &&
         openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out broker.key 2>/dev/null &&
         openssl req -new -key broker.key -subj "/CN=localhost" -out broker.csr &&
         printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >broker.ext &&
         openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
             -days 3650 -extfile broker.ext -out broker.pem 2>/dev/null &&
         rm -f broker.csr broker.ext)
    fi
    if [ ! -s "$dir/admin.password" ]; then
        (umask 077 && openssl rand -hex 16 >"$dir/admin.password")
    fi
    local pw
    pw=$(cat "$dir/admin.password")
    (umask 077 && printf 'admin:%s\n' "$pw" >"$dir/plain-users")
    find "$dir/conf.d" -name '*.yaml' -delete
    for f in "$ROOT"/conf.d/*.yaml; do
        [ "$(basename "$f")" = samsa.yaml ] || cp "$f" "$dir/conf.d/"
    done
    cat >"$dir/conf.d/40-sasl-plain.yaml" <<EOF2
plugins:
  - name: plain
    plugin: sasl-plain
    config: {users_file: $dir/plain-users}
EOF2
    cat >"$dir/conf.d/42-authorizer-acl.yaml" <<EOF2
plugins:
  - name: acl
    plugin: authorizer-acl
    config: {super_users: ["User:admin"]}
EOF2
    cat >"$dir/conf.d/41-sasl-scram.yaml" <<EOF2
plugins:
  - name: scram-sha-256
    plugin: sasl-scram
    config: {mechanism: SCRAM-SHA-256}
  - name: scram-sha-512
    plugin: sasl-scram
    config: {mechanism: SCRAM-SHA-512}
EOF2
    (umask 077 && cat >"$dir/client.properties" <<EOF2
# Kafka's Java tools: --command-config data/secure/client.properties
bootstrap.servers=127.0.0.1:$((RUN_PORT + 2))
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$pw";
ssl.truststore.type=PEM
ssl.truststore.location=$dir/ca.pem
EOF2
    cat >"$dir/samsa-cli.properties" <<EOF2
# samsa ... -b 127.0.0.1:$((RUN_PORT + 3)) --command-config data/secure/samsa-cli.properties
# (SASL_PLAINTEXT; client.properties works too, on $((RUN_PORT + 2)))
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.username=admin
sasl.password=$pw
EOF2
    cat >"$dir/librdkafka.properties" <<EOF2
# kcat -F data/secure/librdkafka.properties (librdkafka, confluent-kafka)
bootstrap.servers=127.0.0.1:$((RUN_PORT + 2))
security.protocol=SASL_SSL
sasl.mechanisms=SCRAM-SHA-512
sasl.username=admin
sasl.password=$pw
ssl.ca.location=$dir/ca.pem
EOF2
    )
    # The dev YAML keeps conf.d/samsa.yaml's line numbers: the listeners
    # line is replaced in place, the rest appended.
    local p=$RUN_PORT
    sed -i "s|^listeners: .*|listeners: [\"PLAINTEXT://127.0.0.1:$p\", \"SSL://127.0.0.1:$((p + 1))\", \"SASL_SSL://127.0.0.1:$((p + 2))\", \"SASL_PLAINTEXT://127.0.0.1:$((p + 3))\"]  # tools/dev.sh run --secure|" "$conf"
    cat >>"$conf" <<EOF2
conf_dir: $dir/conf.d                       # tools/dev.sh run --secure
ssl_keystore_location: $dir/broker.pem
ssl_key_location: $dir/broker.key
EOF2
}

# Once the broker listens: admin's SCRAM credentials (both mechanisms),
# set by admin itself over SASL_PLAINTEXT with PLAIN (the authorizer lets
# only the super user change credentials).
secure_users() {
    local pw
    local p=$RUN_PORT
    pw=$(cat "$RUN_DIR/secure/admin.password")
    "$RUN_BUILD/tools/cli/samsa" user set admin --password "$pw" \
        --mechanism both -b "127.0.0.1:$((p + 3))" \
        --command-config "$RUN_DIR/secure/samsa-cli.properties" >/dev/null
    log "secure listeners: SSL 127.0.0.1:$((p + 1)), SASL_SSL $((p + 2)), SASL_PLAINTEXT $((p + 3)) (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)"
    log "super user admin, password in $RUN_DIR/secure/admin.password; ACLs deny everyone else by default"
    log "try: kcat -F $RUN_DIR/secure/librdkafka.properties -L"
}

cmd_run() {
    local secure=0 foreground=0
    for a in "$@"; do
        case "$a" in
            --secure) secure=1 ;;
            --foreground) foreground=1 ;;
            *) echo "usage: tools/dev.sh run [--secure] [--foreground]" >&2; return 2 ;;
        esac
    done
    # The overrides (see the top of this file); unset, the broker is the
    # README's: 9092.., 8083, ./data, build/ rebuilt as RelWithDebInfo.
    RUN_PORT=${SAMSA_RUN_PORT:-9092}
    RUN_DIR=${SAMSA_RUN_DIR:-$ROOT/data}
    if [ -n "${SAMSA_BUILD_DIR:-}" ]; then
        RUN_BUILD=$SAMSA_BUILD_DIR
    else
        install_missing "$BUILD_PKGS"
        build "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
        RUN_BUILD=$ROOT/build
    fi
    local bin="$RUN_BUILD/core/samsad"
    # A development broker forms consumer groups at once, as Kafka's sample
    # server.properties does: conf.d/samsa.yaml (the installed file, which
    # keeps Kafka's 3 s initial rebalance delay) plus
    # group_initial_rebalance_delay_ms: 0 unless it sets that key itself.
    # The copy keeps conf.d/samsa.yaml's line numbers for error messages.
    mkdir -p "$RUN_DIR"
    local conf="$RUN_DIR/samsa-dev.yaml"
    cp "$ROOT/conf.d/samsa.yaml" "$conf"
    if ! grep -q '^group_initial_rebalance_delay_ms:' "$conf"; then
        printf 'group_initial_rebalance_delay_ms: 0  # tools/dev.sh run\n' >>"$conf"
    fi
    if [ -n "${SAMSA_RUN_PORT:-}" ]; then
        sed -i "s|^listeners: .*|listeners: [\"127.0.0.1:$RUN_PORT\"]  # SAMSA_RUN_PORT|" "$conf"
    fi
    if [ -n "${SAMSA_RUN_HTTP_PORT:-}" ]; then
        printf 'http_listeners: ["127.0.0.1:%s"]  # SAMSA_RUN_HTTP_PORT\n' "$SAMSA_RUN_HTTP_PORT" >>"$conf"
    fi
    if [ -n "${SAMSA_RUN_DIR:-}" ]; then
        printf 'data_dir: %s  # SAMSA_RUN_DIR\n' "$RUN_DIR" >>"$conf"
    fi
    if [ "$secure" = 1 ]; then
        secure_setup "$conf"
    fi
    if [ "$foreground" = 1 ]; then
        if [ "$secure" = 1 ]; then
            (for _ in $(seq 1 100); do
                 if (exec 3<>/dev/tcp/127.0.0.1/$((RUN_PORT + 3))) 2>/dev/null; then
                     secure_users; exit 0
                 fi
                 sleep 0.1
             done) &
        fi
        exec "$bin" --config "$conf"
    fi
    local pidf="$RUN_DIR/samsad.pid"
    if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
        log "samsad already running (pid $(cat "$pidf"))"
        return 0
    fi
    nohup "$bin" --config "$conf" >"$RUN_DIR/samsad.log" 2>&1 &
    echo $! >"$pidf"
    for _ in $(seq 1 100); do
        if (exec 3<>/dev/tcp/127.0.0.1/"$RUN_PORT") 2>/dev/null; then
            log "samsad listening on 127.0.0.1:$RUN_PORT (pid $(cat "$pidf"), log $RUN_DIR/samsad.log)"
            if [ "$secure" = 1 ]; then
                secure_users
            fi
            log "stop it with: kill \$(cat $pidf)"
            return 0
        fi
        if ! kill -0 "$(cat "$pidf")" 2>/dev/null; then
            cat "$RUN_DIR/samsad.log" >&2
            log "samsad exited"
            return 1
        fi
        sleep 0.1
    done
    log "samsad did not start listening in 10 s; see $RUN_DIR/samsad.log"
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

suite_args() { # suite_args N: pytest arguments, N workers (1: no xdist)
    if [ "$1" -gt 1 ]; then
        echo "--durations=10 -n $1 --dist loadfile"
    else
        echo "--durations=10"
    fi
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
    log "packages (.deb and .rpm) pass lintian and rpmlint"
    "$ROOT/tools/lint-packages.sh"
    log "the .deb in a clean Debian 12 chroot: apt install, produce, upgrade, consume"
    "$ROOT/tests/sdk/chroot_upgrade.sh" "$ROOT/build-packages"
    if [ -d "$ROOT/../shared/kafka-protocol/messages" ]; then
        log "generated protocol code matches ../shared/kafka-protocol"
        python3 "$ROOT/tools/protogen/protogen.py" --check
    fi
    if [ -x "$ROOT/tests/fuzz/run.sh" ]; then
        log "fuzzing the request decoder (bounded)"
        "$ROOT/tests/fuzz/run.sh" "${FUZZ_SECONDS:-30}"
    fi
    if [ -x "$ROOT/tests/integration/run.sh" ]; then
        # These tests wait on round trips, client timeouts, sessions and
        # JVM starts far more than they use the CPU: pytest-xdist runs
        # several test files at once, each test with brokers of its own on
        # free ports (--dist loadfile keeps a file's tests, and a broker
        # they share, on one worker); the ten slowest tests of each suite
        # are listed, to keep the CI budget in sight. SAMSA_TEST_WORKERS=1:
        # one at a time.
        local it_jobs cluster_jobs
        it_jobs=$(suite_args "${SAMSA_TEST_WORKERS:-4}")
        cluster_jobs=$(suite_args "${SAMSA_TEST_WORKERS:-2}")
        log "integration tests with real clients"
        # shellcheck disable=SC2086
        "$ROOT/tests/integration/run.sh" $it_jobs
        log "cluster tests: three nodes in one metadata quorum (tools/dev.sh cluster)"
        # shellcheck disable=SC2086
        "$ROOT/tests/cluster/run.sh" $cluster_jobs
        log "integration tests again, samsad built with ASan+UBSan (leaks fail the exit code)"
        # shellcheck disable=SC2086
        SAMSA_BUILD_DIR="$ROOT/build-asan" SAMSA_IT_MILLION=50000 \
            ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
            "$ROOT/tests/integration/run.sh" $it_jobs
    fi
    log "the whole suite passed"
}

# ---------------------------------------------------------------- cluster
# Nodes 1..N, each broker+controller (a voter of the metadata quorum), on
# free loopback ports; everything under $CLUSTER_DIR (data/cluster, or
# $SAMSA_CLUSTER_DIR). cluster.env keeps N and the ports so kill,
# start-node, status and stop work from any later shell. With
# SAMSA_BUILD_DIR set (tests), that build is used as it is.
CLUSTER_DIR=${SAMSA_CLUSTER_DIR:-$ROOT/data/cluster}

cluster_bin() {
    if [ -n "${SAMSA_BUILD_DIR:-}" ]; then
        CLUSTER_BUILD=$SAMSA_BUILD_DIR
    else
        install_missing "$BUILD_PKGS"
        build "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
        CLUSTER_BUILD=$ROOT/build
    fi
}

free_ports() { # free_ports COUNT: COUNT free loopback TCP ports
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

cluster_load() {
    if [ ! -f "$CLUSTER_DIR/cluster.env" ]; then
        log "no cluster in $CLUSTER_DIR (tools/dev.sh cluster start N)"
        return 1
    fi
    # shellcheck disable=SC1091
    . "$CLUSTER_DIR/cluster.env"
}

node_port() { local v="PORT_$1"; echo "${!v}"; }
node_role() { local v="ROLE_$1"; echo "${!v:-broker,controller}"; }
node_is_broker() { case "$(node_role "$1")" in *broker*) return 0 ;; esac; return 1; }
node_pid() { cat "$CLUSTER_DIR/node$1/samsad.pid" 2>/dev/null || true; }
node_alive() {
    local p
    p=$(node_pid "$1")
    [ -n "$p" ] && kill -0 "$p" 2>/dev/null
}

node_launch() {
    local i=$1 dir="$CLUSTER_DIR/node$1"
    if node_alive "$i"; then
        log "node $i already runs (pid $(node_pid "$i"))"
        return 0
    fi
    nohup "$CLUSTER_BUILD/core/samsad" --config "$dir/samsa.yaml" \
        >>"$dir/samsad.log" 2>&1 &
    echo $! >"$dir/samsad.pid"
}

# Node I serves once its Metadata answer lists WANT live brokers and a
# controller (so it registered and follows the quorum).
node_serves() { # node_serves I WANT
    local out
    out=$("$CLUSTER_BUILD/tools/cli/samsa" cluster info -b "127.0.0.1:$(node_port "$1")" 2>/dev/null) \
        || return 1
    echo "$out" | grep -q "^Brokers: $2\$" && ! echo "$out" | grep -q '^Controller: -1$'
}

wait_serving() { # wait_serving WANT NODE...
    local want=$1 i
    shift
    local deadline=$((SECONDS + ${SAMSA_CLUSTER_TIMEOUT:-60}))
    for i in "$@"; do
        until node_serves "$i" "$want"; do
            if ! node_alive "$i"; then
                tail -20 "$CLUSTER_DIR/node$i/samsad.log" >&2
                log "node $i exited (log: $CLUSTER_DIR/node$i/samsad.log)"
                return 1
            fi
            if [ $SECONDS -ge $deadline ]; then
                log "node $i does not serve $want brokers after ${SAMSA_CLUSTER_TIMEOUT:-60} s"
                return 1
            fi
            sleep 0.2
        done
    done
}

bootstrap_list() { # the broker nodes'
    local list="" i
    for i in $(seq 1 "$N"); do
        node_is_broker "$i" || continue
        list="$list${list:+,}127.0.0.1:$(node_port "$i")"
    done
    echo "$list"
}

write_node_yaml() { # write_node_yaml I VOTERS [ROLES]
    local i=$1 dir="$CLUSTER_DIR/node$1" cp="CONTROLLER_PORT_$1"
    mkdir -p "$dir/data"
    cat >"$dir/samsa.yaml" <<YAML
# Node $i of a local cluster made by tools/dev.sh cluster start $N.
node_id: $i
cluster_id: $CLUSTER_ID
process_roles: ${3:-broker,controller}
controller_quorum_voters: $2
listeners: ["PLAINTEXT://127.0.0.1:$(node_port "$i")", "CONTROLLER://127.0.0.1:${!cp}"]
data_dir: $dir/data
YAML
    # The local cluster's defaults, each unless SAMSA_CLUSTER_YAML (more
    # broker keys for every node, e.g. tests' shorter timers) sets it: a key
    # given twice is a config error.
    local irf=$((BROKERS < 3 ? BROKERS : 3)) kv
    for kv in "reactors: 1" "broker_heartbeat_interval_ms: 500" \
        "broker_session_timeout_ms: 3000" 'http_listeners: ["127.0.0.1:0"]' \
        "group_initial_rebalance_delay_ms: 0" \
        "offsets_topic_replication_factor: $irf" \
        "transaction_state_log_replication_factor: $irf"; do
        grep -q "^${kv%%:*}:" <<<"${SAMSA_CLUSTER_YAML:-}" ||
            printf '%s\n' "$kv" >>"$dir/samsa.yaml"
    done
    if [ -n "${SAMSA_CLUSTER_YAML:-}" ]; then
        printf '%s\n' "$SAMSA_CLUSTER_YAML" >>"$dir/samsa.yaml"
    fi
}

cluster_start() {
    local n=${1:-} i
    case "$n" in ''|*[!0-9]*) log "usage: tools/dev.sh cluster start N"; return 2 ;; esac
    [ "$n" -ge 1 ] || { log "N must be at least 1"; return 2; }
    cluster_bin
    if [ -f "$CLUSTER_DIR/cluster.env" ]; then
        cluster_load
        for i in $(seq 1 "$N"); do
            if node_alive "$i"; then
                log "a cluster already runs in $CLUSTER_DIR (tools/dev.sh cluster stop)"
                return 1
            fi
        done
    fi
    local roles=()
    read -r -a roles <<<"${SAMSA_CLUSTER_ROLES:-}"
    if [ "${#roles[@]}" -ne 0 ] && [ "${#roles[@]}" -ne "$n" ]; then
        log "SAMSA_CLUSTER_ROLES names ${#roles[@]} roles for $n nodes"
        return 2
    fi
    rm -rf "$CLUSTER_DIR"
    mkdir -p "$CLUSTER_DIR"
    local ports voters="" brokers=0
    read -r -a ports <<<"$(free_ports $((2 * n)))"
    {
        echo "N=$n"
        echo "CLUSTER_ID=$(python3 -c 'import uuid; print(uuid.uuid4())')"
        for i in $(seq 1 "$n"); do
            echo "PORT_$i=${ports[$((2 * i - 2))]}"
            echo "CONTROLLER_PORT_$i=${ports[$((2 * i - 1))]}"
            echo "ROLE_$i=${roles[$((i - 1))]:-broker,controller}"
        done
    } >"$CLUSTER_DIR/cluster.env"
    cluster_load
    for i in $(seq 1 "$n"); do
        local cp="CONTROLLER_PORT_$i"
        case "$(node_role "$i")" in
            broker|broker,controller|controller,broker|controller) ;;
            *) log "node $i: role '$(node_role "$i")' is not broker, controller or broker,controller"
               return 2 ;;
        esac
        case "$(node_role "$i")" in
            *controller*) voters="$voters${voters:+,}$i@127.0.0.1:${!cp}" ;;
        esac
        if node_is_broker "$i"; then brokers=$((brokers + 1)); fi
    done
    if [ -z "$voters" ] || [ "$brokers" -eq 0 ]; then
        log "SAMSA_CLUSTER_ROLES needs a controller and a broker"
        return 2
    fi
    { echo "VOTERS=$voters"; echo "BROKERS=$brokers"; } >>"$CLUSTER_DIR/cluster.env"
    cluster_load
    for i in $(seq 1 "$n"); do
        write_node_yaml "$i" "$voters" "$(node_role "$i")"
        node_launch "$i"
    done
    wait_serving "$brokers" $(seq 1 "$n") || return 1
    log "cluster of $n nodes serving (data in $CLUSTER_DIR; tools/dev.sh cluster stop)"
    bootstrap_list
}

cluster_node_arg() { # cluster_node_arg VERB I
    case "${2:-}" in ''|*[!0-9]*) log "usage: tools/dev.sh cluster $1 I"; return 2 ;; esac
    if [ "$2" -lt 1 ] || [ "$2" -gt "$N" ]; then
        log "no node $2 (nodes 1..$N)"
        return 2
    fi
}

cluster_kill() {
    cluster_load
    cluster_node_arg kill "${1:-}" || return
    local i=$1
    node_alive "$i" || { log "node $i is not running"; return 1; }
    kill -9 "$(node_pid "$i")"
    while node_alive "$i"; do sleep 0.05; done
    log "node $i killed (SIGKILL)"
}

cluster_start_node() {
    cluster_load
    cluster_node_arg start-node "${1:-}" || return
    local i=$1 want=0 k
    cluster_bin
    node_launch "$i"
    # Serving again: registered, and among the live brokers it reports.
    for k in $(seq 1 "$N"); do
        if node_alive "$k" && node_is_broker "$k"; then want=$((want + 1)); fi
    done
    wait_serving "$want" "$i" || return 1
    log "node $i serving on 127.0.0.1:$(node_port "$i")"
}

# A broker-only node N+1 joins the running cluster: it follows the
# metadata log as a non-voting member, registers and serves.
cluster_add_node() {
    cluster_load
    local i=$((N + 1)) want=1 k ports
    cluster_bin
    read -r -a ports <<<"$(free_ports 2)"
    {
        echo "N=$i"
        echo "PORT_$i=${ports[0]}"
        echo "CONTROLLER_PORT_$i=${ports[1]}"
        echo "ROLE_$i=broker"
        echo "BROKERS=$((${BROKERS:-$N} + 1))"
    } >>"$CLUSTER_DIR/cluster.env"
    for k in $(seq 1 "$N"); do
        if node_alive "$k" && node_is_broker "$k"; then want=$((want + 1)); fi
    done
    cluster_load
    write_node_yaml "$i" "$VOTERS" broker
    node_launch "$i"
    wait_serving "$want" "$i" || return 1
    log "node $i (broker only) serving on 127.0.0.1:$(node_port "$i")"
    bootstrap_list
}

cluster_status() {
    cluster_load
    local i out
    CLUSTER_BUILD=${SAMSA_BUILD_DIR:-$ROOT/build}
    for i in $(seq 1 "$N"); do
        if node_alive "$i"; then
            out=$("$CLUSTER_BUILD/tools/cli/samsa" cluster info -b "127.0.0.1:$(node_port "$i")" 2>/dev/null \
                  | sed -n 's/^Controller: \(.*\)/controller \1/p;s/^Brokers: \(.*\)/brokers \1/p' \
                  | paste -sd' ' -)
            echo "node $i: running pid $(node_pid "$i") 127.0.0.1:$(node_port "$i") ${out:-not answering}$(node_is_broker "$i" || echo " (controller only)")"
        else
            echo "node $i: stopped 127.0.0.1:$(node_port "$i")"
        fi
    done
}

cluster_stop() {
    cluster_load
    local i t
    for i in $(seq 1 "$N"); do
        if node_alive "$i"; then kill -TERM "$(node_pid "$i")"; fi
    done
    for i in $(seq 1 "$N"); do
        t=0
        while node_alive "$i" && [ $t -lt 100 ]; do sleep 0.1; t=$((t + 1)); done
        if node_alive "$i"; then kill -9 "$(node_pid "$i")"; fi
        rm -f "$CLUSTER_DIR/node$i/samsad.pid"
    done
    log "cluster stopped (data kept in $CLUSTER_DIR)"
}

cmd_cluster() {
    local sub=${1:-}
    shift || true
    case "$sub" in
        start) cluster_start "$@" ;;
        kill) cluster_kill "$@" ;;
        start-node) cluster_start_node "$@" ;;
        add-node) cluster_add_node ;;
        status) cluster_status ;;
        stop) cluster_stop ;;
        *) echo "usage: tools/dev.sh cluster start N | kill I | start-node I | add-node | status | stop" >&2
           return 2 ;;
    esac
}

case "${1:-}" in
    run) shift; cmd_run "$@" ;;
    test) shift; cmd_test "$@" ;;
    cluster) shift; cmd_cluster "$@" ;;
    *) echo "usage: tools/dev.sh run [--secure] [--foreground] | test | cluster ..." >&2; exit 2 ;;
esac
