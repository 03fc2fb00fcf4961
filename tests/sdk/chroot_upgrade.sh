#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/sdk/chroot_upgrade.sh [BUILD_DIR] - the .deb as a user meets it:
# apt installs samsa_V-1 into a clean Debian 12 (minbase) chroot, pulling
# its dependencies from the mirror this machine's apt uses; samsad runs as
# the unit's ExecStart says (user samsa, --data-dir /var/lib/samsa; no
# systemd in a chroot, so on a free loopback port), takes N records; apt
# upgrades to samsa_V-2 over a locally edited conffile; the edit is kept
# and samsad serves the same N records back.
#
# BUILD_DIR (default build-packages/) is tools/lint-packages.sh's /usr
# build; it is built by that script if absent. Both packages come from it
# (cpack -D CPACK_DEBIAN_PACKAGE_RELEASE=1, then =2: a newer build).
# Needs root (chroot, mount) and debootstrap. The pristine chroot is
# cached as a tarball in /var/cache/samsa-test/ (the first run downloads
# it, later runs unpack it); downloaded .debs are kept next to it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$ROOT/build-packages}
CACHE=/var/cache/samsa-test
BASE=$CACHE/bookworm-minbase.tar.zst
N=200
TOPIC=chroot-upgrade

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || exec sudo "$0" "$@"
command -v debootstrap >/dev/null ||
    fail "debootstrap not installed (apt-get install debootstrap)"
t0=$SECONDS
step() { echo "[$((SECONDS - t0))s] $*"; }

WORK=$(mktemp -d /var/tmp/samsa-chroot.XXXXXX)
CH=$WORK/root
PID=
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        timeout 10 tail --pid="$PID" -f /dev/null || kill -KILL "$PID" || true
    fi
    local m
    for m in proc var/cache/apt/archives; do
        if mountpoint -q "$CH/$m" 2>/dev/null; then
            umount "$CH/$m" || umount -l "$CH/$m" || true
        fi
    done
    # Never delete through a mount that is still there.
    if ! grep -q -F " $CH/" /proc/mounts; then
        rm -rf --one-file-system "$WORK"
    else
        echo "left $WORK: still mounted" >&2
    fi
}
trap cleanup EXIT

# in_chroot SECONDS CMD...: bounded, with a clean environment.
in_chroot() {
    local t=$1
    shift
    timeout "$t" chroot "$CH" /usr/bin/env -i \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root \
        DEBIAN_FRONTEND=noninteractive "$@"
}

# The Debian mirror (not the security one) apt already uses here:
# deb822 "URIs:" in sources.list.d/*.sources, or a one-line "deb" entry.
mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+bookworm[[:space:]].*/\2/p' "$f"
    done
}
MIRROR=$(mirror | grep -v -e security -e '^$' | head -n 1)
[ -n "$MIRROR" ] || fail "no Debian mirror in /etc/apt/sources.list{,.d}"

# ---- the two packages ------------------------------------------------------
step "packages from $BUILD"
if [ -f "$BUILD/CPackConfig.cmake" ]; then
    ninja -C "$BUILD" >"$WORK/ninja.log" 2>&1 ||
        { cat "$WORK/ninja.log" >&2; fail "ninja -C $BUILD"; }
else
    "$ROOT/tools/lint-packages.sh" "$BUILD"
fi
for rel in 1 2; do
    (cd "$BUILD" && timeout 300 cpack -G DEB -B "$WORK/v$rel" \
        -D CPACK_DEBIAN_PACKAGE_RELEASE=$rel) >"$WORK/cpack.log" 2>&1 ||
        { cat "$WORK/cpack.log" >&2; fail "cpack release $rel"; }
done
V1=$(cd "$WORK/v1" && ls samsa_*-1_*.deb)
V2=$(cd "$WORK/v2" && ls samsa_*-2_*.deb)

# ---- the chroot ------------------------------------------------------------
mkdir -p "$CACHE/archives"
if [ ! -f "$BASE" ]; then
    step "debootstrap bookworm from $MIRROR (once; cached as $BASE)"
    (
        flock 9
        if [ ! -f "$BASE" ]; then
            rm -rf "$CACHE/base.tmp"
            timeout 900 debootstrap --variant=minbase bookworm \
                "$CACHE/base.tmp" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
                { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }
            tar -C "$CACHE/base.tmp" --zstd -cf "$BASE.tmp" . &&
                mv "$BASE.tmp" "$BASE"
            rm -rf "$CACHE/base.tmp"
        fi
    ) 9>"$CACHE/lock" || fail "debootstrap"
fi
step "unpack the pristine chroot"
mkdir "$CH"
tar -C "$CH" --zstd -xf "$BASE"
mount -t proc proc "$CH/proc"
# apt's downloads survive the chroot: later runs fetch nothing again.
mount --bind "$CACHE/archives" "$CH/var/cache/apt/archives"
cp /etc/resolv.conf "$CH/etc/resolv.conf"
# No service starts from maintainer scripts (Debian's policy-rc.d).
printf '#!/bin/sh\nexit 101\n' >"$CH/usr/sbin/policy-rc.d"
chmod 0755 "$CH/usr/sbin/policy-rc.d"
cp "$WORK/v1/$V1" "$WORK/v2/$V2" "$CH/tmp/"

step "apt-get install ./$V1"
in_chroot 300 apt-get update -q >"$WORK/apt.log" 2>&1 ||
    { cat "$WORK/apt.log" >&2; fail "apt-get update"; }
in_chroot 300 apt-get install -y -q --no-install-recommends "/tmp/$V1" \
    </dev/null >"$WORK/apt.log" 2>&1 ||
    { cat "$WORK/apt.log" >&2; fail "apt-get install $V1"; }
in_chroot 10 getent passwd samsa >/dev/null || fail "no samsa user"
[ "$(in_chroot 10 stat -c %U /var/lib/samsa)" = samsa ] ||
    fail "/var/lib/samsa missing or not owned by samsa"
in_chroot 10 dpkg-query --control-show samsa conffiles >"$WORK/conffiles"
grep -q -x -F /etc/samsa/samsa.yaml "$WORK/conffiles" ||
    fail "/etc/samsa/samsa.yaml is not a conffile"
[ -f "$CH/etc/samsa/samsa.yaml" ] || fail "no /etc/samsa/samsa.yaml"
EXEC=$(sed -n 's/^ExecStart=//p' "$CH/lib/systemd/system/samsad.service")
[ "$EXEC" = "/usr/bin/samsad --data-dir /var/lib/samsa" ] ||
    fail "unexpected ExecStart: $EXEC"

PORT=
BOOT=
# start_samsad: the unit's ExecStart as user samsa, on a free port.
start_samsad() {
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    BOOT=127.0.0.1:$PORT
    chroot "$CH" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C.UTF-8 setpriv --reuid samsa --regid samsa --init-groups \
        sh -c "cd /var/lib/samsa && exec $EXEC --listen $BOOT --http-listen none" \
        >>"$WORK/samsad.log" 2>&1 &
    PID=$!
    local _
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    cat "$WORK/samsad.log" >&2
    fail "samsad did not listen on $BOOT"
}
stop_samsad() {
    kill -TERM "$PID"
    local rc=0
    timeout 60 tail --pid="$PID" -f /dev/null || fail "samsad ignored SIGTERM"
    wait "$PID" || rc=$?
    PID=
    [ "$rc" = 0 ] || { cat "$WORK/samsad.log" >&2; fail "samsad exited $rc"; }
}
samsa_cli() { in_chroot 60 SAMSA_BOOTSTRAP="$BOOT" samsa "$@"; }

step "samsad as samsa; produce $N records"
start_samsad
samsa_cli cluster info >"$WORK/info" || fail "samsa cluster info"
grep -q -F "$PORT" "$WORK/info" ||
    { cat "$WORK/info" >&2; fail "cluster info does not show port $PORT"; }
samsa_cli topic create "$TOPIC" --partitions 1 >/dev/null ||
    fail "topic create"
seq -f "record %g from $V1" 1 "$N" >"$WORK/records"
samsa_cli produce -t "$TOPIC" --acks all <"$WORK/records" || fail "produce"
stop_samsad
[ -n "$(in_chroot 10 find /var/lib/samsa -type f -user samsa)" ] ||
    fail "samsad wrote nothing under /var/lib/samsa"

step "local conffile edit; apt-get install ./$V2 (upgrade)"
echo "# local edit kept across upgrades" >>"$CH/etc/samsa/samsa.yaml"
in_chroot 300 apt-get install -y -q --no-install-recommends "/tmp/$V2" \
    </dev/null >"$WORK/apt.log" 2>&1 ||
    { cat "$WORK/apt.log" >&2; fail "apt-get install $V2"; }
ver=$(in_chroot 10 dpkg-query -W -f '${Version}' samsa)
case "$V2" in samsa_"$ver"_*) ;; *) fail "installed $ver, not $V2" ;; esac
tail -n 1 "$CH/etc/samsa/samsa.yaml" |
    grep -q -x -F "# local edit kept across upgrades" ||
    fail "the upgrade lost the local edit of /etc/samsa/samsa.yaml"
[ ! -e "$CH/etc/samsa/samsa.yaml.dpkg-new" ] ||
    fail "dpkg left samsa.yaml.dpkg-new: the conffile changed between builds"

step "samsad after the upgrade; consume $N records"
start_samsad
samsa_cli consume -t "$TOPIC" --from-beginning -n "$N" --timeout-ms 20000 \
    >"$WORK/consumed" || fail "consume"
diff -u "$WORK/records" "$WORK/consumed" >&2 ||
    fail "the records read back after the upgrade differ"
stop_samsad
step "chroot install + upgrade: ok"
