#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/sdk/installed_daemon.sh BUILD_DIR SOURCE_DIR CONFIGURED_PREFIX \
#                               CONF_DIR_FULL PLUGIN_DIR_FULL
#
# The install layout and samsad's compiled-in defaults agree: installed
# under --prefix P, the files land at P + (the FULL path samsad falls back
# to, minus the configured prefix), samsad carries those FULL paths, and
# an installed samsad given only the install tree's conf dir (as
# $SAMSA_CONF_DIR, i.e. the role of its compiled-in default) and plugin dir
# finds ../samsa.yaml and every manifest's plugin, and listens.
set -eu
BUILD=$1
SRC=$2
PREFIX=$3
CONF_FULL=$4
PLUGIN_FULL=$5
. "$SRC/tests/sdk/lib.sh"

P=$WORK/prefix
install_tree "$BUILD" "$P"
case "$CONF_FULL" in
    "$PREFIX"/*) CONF=$P/${CONF_FULL#"$PREFIX"/} ;;
    *) echo "SKIP: $CONF_FULL is outside $PREFIX (a /usr build)"; exit 77 ;;
esac
PLUGINS=$P/${PLUGIN_FULL#"$PREFIX"/}

[ -f "$CONF/samsa.yaml" ] || fail "no $CONF/samsa.yaml"
[ ! -e "$CONF/conf.d/samsa.yaml" ] || fail "samsa.yaml also in conf.d"
ls "$CONF"/conf.d/*.yaml >/dev/null || fail "no manifests in $CONF/conf.d"
ls "$PLUGINS"/*.so >/dev/null || fail "no plugins in $PLUGINS"
grep -a -q -F "$CONF_FULL" "$P/bin/samsad" ||
    fail "samsad does not carry $CONF_FULL"
grep -a -q -F "$PLUGIN_FULL" "$P/bin/samsad" ||
    fail "samsad does not carry $PLUGIN_FULL"

export SAMSA_CONF_DIR=$CONF/conf.d SAMSA_PLUGIN_DIR=$PLUGINS
# Mark the installed samsa.yaml, to see below that samsad read it.
sed -i 's/^# node_id: 1$/node_id: 7/' "$CONF/samsa.yaml"
grep -q '^node_id: 7$' "$CONF/samsa.yaml" || fail "samsa.yaml has no node_id line"
# Every enabled manifest's plugin loads from the installed plugin dir.
"$P/bin/samsa" plugin list >"$WORK/list.log" 2>&1 ||
    { cat "$WORK/list.log" >&2; fail "samsa plugin list"; }
for m in "$CONF"/conf.d/*.yaml; do
    name=$(basename "$m" .yaml)
    grep -q -F -e "$PLUGINS/${name#*-}.so" -e "(disabled in $m:" \
        "$WORK/list.log" ||
        { cat "$WORK/list.log" >&2; fail "${name#*-} not loaded from $PLUGINS"; }
done
"$P/bin/samsad" --check-config >"$WORK/check.log" 2>&1 ||
    { cat "$WORK/check.log" >&2; fail "samsad --check-config"; }

# A free port: the installed samsa.yaml says 9092, which may be taken.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$WORK/data"
"$P/bin/samsad" --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
    --http-listen 127.0.0.1:0 \
    >"$WORK/samsad.log" 2>&1 &
PID=$!
up=0
for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        up=1
        break
    fi
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
done
kill -TERM "$PID" 2>/dev/null || true
rc=0
wait "$PID" || rc=$?
[ "$up" = 1 ] || { cat "$WORK/samsad.log" >&2; fail "samsad did not listen"; }
[ "$rc" = 0 ] || { cat "$WORK/samsad.log" >&2; fail "samsad exited $rc"; }
grep -q "(node 7," "$WORK/samsad.log" ||
    { cat "$WORK/samsad.log" >&2; fail "samsad did not read $CONF/samsa.yaml"; }
echo "installed samsad: ok"
