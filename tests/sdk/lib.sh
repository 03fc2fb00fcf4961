# SPDX-License-Identifier: Apache-2.0
# tests/sdk/lib.sh - shared helpers for the SDK and packaging tests.
# Sourced; expects `set -eu`.

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# A scratch dir removed on exit.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/samsa-sdk-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# install_tree BUILD_DIR PREFIX: the whole tree, as `cmake --install` does.
install_tree() {
    cmake --install "$1" --prefix "$2" >"$WORK/install.log" 2>&1 ||
        { cat "$WORK/install.log" >&2; fail "cmake --install $1"; }
}

# ---- the connector test kit (out_of_tree.sh, packages.sh) -----------------

# kit_preload KIT_SO: PRELOAD=(LD_PRELOAD=...) when the kit is an ASan
# build's (its runtime must be loaded first; the tests run through it are
# built without sanitizers, as an author's are), else PRELOAD=().
kit_preload() {
    PRELOAD=()
    if readelf -d "$1" | grep -q 'libasan'; then
        PRELOAD=("LD_PRELOAD=$(cc -print-file-name=libasan.so) $(cc -print-file-name=libubsan.so)")
    fi
}

# template_test P BUILD SRC NAME: the template built in BUILD (against the
# SDK at P) registered test_SRC with ctest; it passes through P's kit.
template_test() {
    ctest --test-dir "$2" -N | grep -q "Total Tests: 1" ||
        fail "$2: test_$3 is not registered with ctest (Samsa::testkit?)"
    env "${PRELOAD[@]}" SAMSA_PLUGIN_DIR="$1/lib/samsa/plugins" \
        "$2/test_$3" "$2/plugins/$4.so" >"$WORK/test_$3.log" 2>&1 ||
        { cat "$WORK/test_$3.log" >&2; fail "test_$3 through the kit at $1"; }
}

# cli_sink_test P SINK_LINES_SO: P's `samsa connector test` reports what
# sink-lines was given, and sink-lines wrote it.
cli_sink_test() {
    local str=org.apache.kafka.connect.storage.StringConverter
    printf 'apple\nbanana\n' >"$WORK/in.txt"
    rm -f "$WORK/orders.txt"
    "$1/bin/samsa" --plugin-dir "$1/lib/samsa/plugins" connector test "$2" \
        --set topics=orders --set "file=$WORK/orders.txt" \
        --set "value.converter=$str" --lines "$WORK/in.txt" \
        >"$WORK/sink.jsonl" 2>"$WORK/sink.err" ||
        { cat "$WORK/sink.err" >&2; fail "$1: samsa connector test (sink)"; }
    python3 - "$WORK/sink.jsonl" <<'PY' || fail "sink-lines was not given the two records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["topic"], r["offset"], r["value"]) for r in recs] == \
    [("orders", 0, "apple"), ("orders", 1, "banana")], recs
PY
    [ "$(cat "$WORK/orders.txt")" = "$(printf 'orders/0/0: apple\norders/0/1: banana')" ] ||
        fail "sink-lines wrote: $(cat "$WORK/orders.txt")"
}
