#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/sdk/out_of_tree.sh BUILD_DIR SOURCE_DIR
#
# A plugin author's view: install the tree to a temporary prefix, copy the
# SDK's example and templates somewhere core/ is out of reach, build them
# with find_package(Samsa) (CMAKE_PREFIX_PATH=prefix) and once with
# pkg-config only, then have the installed `samsa plugin describe` accept
# each .so and drive_plugin run their ops. The connector templates then
# go through the installed test kit: their own tests (test_*.c, linked
# with Samsa::testkit, and once with pkg-config's samsa-testkit) and the
# installed `samsa connector test`, whose JSON lines are checked.
set -eu
BUILD=$1
SRC=$2
. "$SRC/tests/sdk/lib.sh"

P=$WORK/prefix
install_tree "$BUILD" "$P"
for f in include/samsa/plugin.h include/samsa/connect.h \
         lib/cmake/Samsa/SamsaConfig.cmake lib/cmake/Samsa/SamsaPlugin.cmake \
         lib/cmake/Samsa/SamsaConfigVersion.cmake lib/pkgconfig/samsa-plugin.pc \
         share/samsa/sdk/templates/source-connector/CMakeLists.txt \
         share/samsa/sdk/templates/sink-connector/CMakeLists.txt \
         share/samsa/sdk/examples/partitioner-first-byte/CMakeLists.txt \
         share/samsa/sdk/templates/source-connector/test_sequence.c \
         share/samsa/sdk/templates/sink-connector/test_lines.c \
         include/samsa_testkit.h lib/samsa/libsamsa-testkit.so \
         lib/pkgconfig/samsa-testkit.pc; do
    [ -f "$P/$f" ] || fail "not installed: $f"
done

# Author sources: the copies in the installed SDK, moved away from the tree.
cp -r "$P/share/samsa/sdk/templates/source-connector" \
      "$P/share/samsa/sdk/templates/sink-connector" \
      "$P/share/samsa/sdk/examples/partitioner-first-byte" "$WORK/"
EMPTY=$WORK/empty-conf.d
mkdir "$EMPTY"
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)

describe() { # describe SO NAME
    "$P/bin/samsa" plugin describe "$1" --conf-dir "$EMPTY" \
        --plugin-dir "$P/lib/samsa/plugins" >"$WORK/describe.out" 2>&1 ||
        { cat "$WORK/describe.out" >&2; fail "samsa plugin describe $1"; }
    grep -q "^$2 " "$WORK/describe.out" ||
        { cat "$WORK/describe.out" >&2; fail "describe did not name $2"; }
}

build_cmake() { # build_cmake DIR NAME
    cmake -S "$WORK/$1" -B "$WORK/$1/build" "${GEN[@]}" \
        -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" \
        -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCMAKE_INSTALL_PREFIX="$WORK/i" \
        >"$WORK/$1.log" 2>&1 &&
        cmake --build "$WORK/$1/build" >>"$WORK/$1.log" 2>&1 ||
        { cat "$WORK/$1.log" >&2; fail "CMake build of $1"; }
    # Only the installed headers were on the include path.
    if grep -q -e "$SRC" "$WORK/$1/build/compile_commands.json"; then
        fail "$1 compiled with paths into the source tree"
    fi
    grep -q -e "-I$P/include" -e "-isystem $P/include" \
        "$WORK/$1/build/compile_commands.json" ||
        fail "$1 not compiled against $P/include"
    local so="$WORK/$1/build/plugins/$2.so"
    [ -f "$so" ] || fail "$so not built"
    describe "$so" "$2"
    # Only the descriptor is exported.
    local syms
    syms=$(nm -D --defined-only "$so" | awk '$2 == "T" {print $3}')
    [ "$syms" = samsa_plugin_descriptor ] || fail "$2 exports: $syms"
}

build_cmake source-connector source-sequence
build_cmake sink-connector sink-lines
build_cmake partitioner-first-byte partitioner-first-byte
# `cmake --install` of a plugin goes to the plugin dir of the Samsa that
# find_package() found ($P/lib/samsa/plugins), not to the plugin project's
# own CMAKE_INSTALL_PREFIX.
cmake --install "$WORK/partitioner-first-byte/build" >"$WORK/pinst.log" 2>&1 ||
    { cat "$WORK/pinst.log" >&2; fail "cmake --install of the example"; }
[ -f "$P/lib/samsa/plugins/partitioner-first-byte.so" ] ||
    fail "example not installed into $P/lib/samsa/plugins"

# pkg-config only: the example's Makefile, and the test driver.
export PKG_CONFIG_PATH=$P/lib/pkgconfig
[ "$(pkg-config --variable=plugindir samsa-plugin)" -ef "$P/lib/samsa/plugins" ] ||
    fail "plugindir is $(pkg-config --variable=plugindir samsa-plugin)"
make -C "$WORK/partitioner-first-byte" CFLAGS="-O2 -Wall -Wextra -Werror" \
    >"$WORK/make.log" 2>&1 || { cat "$WORK/make.log" >&2; fail "make"; }
describe "$WORK/partitioner-first-byte/partitioner-first-byte.so" \
    partitioner-first-byte
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -o "$WORK/drive_plugin" "$SRC/tests/sdk/drive_plugin.c" \
    $(pkg-config --cflags samsa-plugin) -std=gnu11 -ldl ||
    fail "drive_plugin does not build against the installed headers"
"$WORK/drive_plugin" source "$WORK/source-connector/build/plugins/source-sequence.so"
"$WORK/drive_plugin" sink "$WORK/sink-connector/build/plugins/sink-lines.so" \
    "$WORK/sink-lines.txt"
"$WORK/drive_plugin" partitioner \
    "$WORK/partitioner-first-byte/partitioner-first-byte.so"

# ---- the connector templates through the installed test kit -------------
KIT=$P/lib/samsa/libsamsa-testkit.so
nm -D --defined-only "$KIT" | awk '$2 == "T" {print $3}' | grep -v '^samsa_testkit_' &&
    fail "libsamsa-testkit.so exports more than samsa_testkit_*"
kit_preload "$KIT"
for t in source-connector:sequence:source-sequence sink-connector:lines:sink-lines; do
    IFS=: read -r dir src name <<<"$t"
    [ -x "$WORK/$dir/build/test_$src" ] ||
        fail "$dir: test_$src not built (Samsa::testkit missing?)"
    template_test "$P" "$WORK/$dir/build" "$src" "$name"
done
# pkg-config: the same sink test, linked through samsa-testkit.pc (its
# rpath finds the library), finding the plugins beside it by default.
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -o "$WORK/test_lines_pc" \
    "$WORK/sink-connector/test_lines.c" $(pkg-config --cflags --libs samsa-testkit) ||
    fail "test_lines.c does not build with pkg-config samsa-testkit"
env -u SAMSA_PLUGIN_DIR "${PRELOAD[@]}" "$WORK/test_lines_pc" \
    "$WORK/sink-connector/build/plugins/sink-lines.so" >"$WORK/pc.log" 2>&1 ||
    { cat "$WORK/pc.log" >&2; fail "test_lines linked with pkg-config"; }

# The installed CLI: what sink-lines was given, what source-sequence made.
cli_sink_test "$P" "$WORK/sink-connector/build/plugins/sink-lines.so"
STR=org.apache.kafka.connect.storage.StringConverter
"$P/bin/samsa" --plugin-dir "$P/lib/samsa/plugins" connector test \
    "$WORK/source-connector/build/plugins/source-sequence.so" \
    --option topic=numbers --option records_per_poll=4 --option interval_ms=0 \
    --option max_records=10 --set "key.converter=$STR" \
    --set "value.converter=$STR" --max-records 10 \
    >"$WORK/source.jsonl" 2>"$WORK/source.err" ||
    { cat "$WORK/source.err" >&2; fail "samsa connector test (source)"; }
python3 - "$WORK/source.jsonl" <<'PY' || fail "source-sequence did not produce 10 records"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["topic"], r["offset"], r["key"], r["value"]) for r in recs] == \
    [("numbers", i, "key-0-%d" % i, "record %d of task 0" % i)
     for i in range(10)], recs
PY
# A refused connector: exit 1 and the reason, no output.
rc=0
"$P/bin/samsa" --plugin-dir "$P/lib/samsa/plugins" connector test \
    "$WORK/sink-connector/build/plugins/sink-lines.so" --set topics=t \
    --set file=/nonexistent/dir/x --lines "$WORK/in.txt" \
    >"$WORK/fail.jsonl" 2>"$WORK/fail.err" || rc=$?
[ "$rc" = 1 ] && grep -q "cannot open /nonexistent/dir/x" "$WORK/fail.err" ||
    { cat "$WORK/fail.err" >&2; fail "a failing sink: exit $rc"; }
echo "out-of-tree SDK build and test kit: ok"
