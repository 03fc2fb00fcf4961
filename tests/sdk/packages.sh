#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/sdk/packages.sh deb|rpm BUILD_DIR SOURCE_DIR PREFIX CONF_DIR_FULL \
#                       PLUGIN_DIR_FULL STATE_DIR PLUGINS...
#
# cpack builds the runtime and -dev packages; their contents, conffiles,
# maintainer scripts and dependencies are what DESIGN.md asks for. The
# .debs, unpacked, run the source and sink templates through their test kit.
# Exit 77 (skipped) for rpm when rpmbuild is not installed.
set -eu
KIND=$1
BUILD=$2
SRC=$3
PREFIX=$4
CONF=$5
PLUGINDIR=$6
STATE=$7
shift 7
PLUGINS=("$@")
. "$SRC/tests/sdk/lib.sh"

if [ "$KIND" = rpm ] && ! command -v rpmbuild >/dev/null; then
    echo "SKIP: rpmbuild not installed (apt-get install rpm)"
    exit 77
fi
GEN=$(echo "$KIND" | tr a-z A-Z)
cpack --config "$BUILD/CPackConfig.cmake" -G "$GEN" -B "$WORK/out" \
    >"$WORK/cpack.log" 2>&1 || { cat "$WORK/cpack.log" >&2; fail "cpack"; }

# Every file the runtime package must hold (absolute paths).
expected_runtime() {
    echo "$PREFIX/bin/samsad"
    echo "$PREFIX/bin/samsa"
    for p in "${PLUGINS[@]}"; do echo "$PLUGINDIR/$p.so"; done
    echo "$CONF/samsa.yaml"
    echo "$PREFIX/lib/systemd/system/samsad.service"
    echo "$PREFIX/share/samsa/monitoring/samsa-dashboard.json"
    echo "$PREFIX/share/samsa/monitoring/samsa-alerts.yml"
}
expected_dev() {
    echo "$PREFIX/include/samsa/plugin.h"
    echo "$PREFIX/include/samsa/connect.h"
    echo "/SamsaConfig.cmake"
    echo "/SamsaPlugin.cmake"
    echo "/samsa-plugin.pc"
    echo "/sdk/templates/source-connector/sequence.c"
    echo "/sdk/templates/source-connector/test_sequence.c"
    echo "/sdk/templates/sink-connector/test_lines.c"
    echo "$PREFIX/include/samsa_testkit.h"
    echo "/samsa/libsamsa-testkit.so"
    echo "/samsa-testkit.pc"
    echo "/sdk/CONTRACT.md"
}
has_all() { # has_all LISTING-FILE < expected
    local missing=0 f
    while read -r f; do
        grep -q -F -- "$f" "$1" || { echo "missing: $f" >&2; missing=1; }
    done
    return $missing
}
not_in() { # not_in LISTING-FILE PATTERN...
    local f=$1 pat
    shift
    for pat in "$@"; do
        if grep -q -e "$pat" "$f"; then fail "$f holds $pat"; fi
    done
}

if [ "$KIND" = deb ]; then
    RT=$(ls "$WORK"/out/samsa_*.deb)
    DEV=$(ls "$WORK"/out/samsa-dev_*.deb)
    dpkg-deb -c "$RT" | awk '{print substr($6, 2)}' >"$WORK/rt.list"
    dpkg-deb -c "$DEV" | awk '{print substr($6, 2)}' >"$WORK/dev.list"
    expected_runtime | has_all "$WORK/rt.list" || fail "runtime .deb content"
    expected_dev | has_all "$WORK/dev.list" || fail "samsa-dev .deb content"
    not_in "$WORK/rt.list" '/include/' 'cmake/Samsa'
    # Machine code in samsa-dev: the test kit's library, nothing else.
    not_in "$WORK/dev.list" '/bin/' '/plugins/.*\.so$'
    not_in "$WORK/rt.list" 'libsamsa-testkit'
    # Every file under the config dir is a conffile, and only those.
    # The control area, extracted once (dpkg-deb -I piped into grep -q
    # would die of SIGPIPE and leave its temp dir behind).
    dpkg-deb -e "$RT" "$WORK/control"
    sort "$WORK/control/conffiles" >"$WORK/conffiles"
    grep -F "$CONF/" "$WORK/rt.list" | grep -v '/$' | sort >"$WORK/etc.list"
    diff -u "$WORK/etc.list" "$WORK/conffiles" || fail "conffiles differ"
    grep -q -x -F "$CONF/conf.d/10-storage-segment.yaml" "$WORK/conffiles" ||
        fail "manifests are not conffiles"
    grep -q "useradd --system" "$WORK/control/postinst" ||
        fail "postinst does not create the samsa user"
    grep -q "install -d -o samsa -g samsa -m 0750 $STATE" "$WORK/control/postinst" ||
        fail "postinst does not create $STATE"
    [ -x "$WORK/control/postinst" ] || fail "postinst not executable"
    depends=$(dpkg-deb -f "$RT" Depends)
    for d in libyaml-0-2 zlib1g libc6; do
        echo "$depends" | grep -q "$d" || fail "Depends lacks $d: $depends"
    done
    dpkg-deb -f "$DEV" Depends >"$WORK/dev.depends"
    grep -q "^samsa (= " "$WORK/dev.depends" ||
        fail "samsa-dev does not depend on samsa"
    [ "$(dpkg-deb -f "$RT" Package)" = samsa ] || fail "runtime package name"
    # Apache-2.0, said in each package's DEP-5 copyright file.
    grep -q -x -F "$PREFIX/share/doc/samsa/copyright" "$WORK/rt.list" ||
        fail "runtime .deb has no copyright file"
    grep -q -x -F "$PREFIX/share/doc/samsa-dev/copyright" "$WORK/dev.list" ||
        fail "samsa-dev .deb has no copyright file"
    dpkg-deb --fsys-tarfile "$RT" |
        tar -xO ".$PREFIX/share/doc/samsa/copyright" | grep -q '^License: Apache-2.0$' ||
        fail "copyright does not name Apache-2.0"
    dpkg-deb --fsys-tarfile "$RT" |
        tar -xO ".$PREFIX/lib/systemd/system/samsad.service" >"$WORK/unit"
    # The test kit as the two packages install it (unpacked under R): the
    # source and sink templates, each built against that samsa-dev, pass
    # their tests through that kit, and that samsa's `samsa connector
    # test` runs the sink.
    R=$WORK/root
    dpkg-deb -x "$RT" "$R" && dpkg-deb -x "$DEV" "$R" || fail "dpkg-deb -x"
    kit_preload "$R$PREFIX/lib/samsa/libsamsa-testkit.so"
    for t in source-connector:sequence:source-sequence sink-connector:lines:sink-lines; do
        IFS=: read -r dir src name <<<"$t"
        cp -r "$R$PREFIX/share/samsa/sdk/templates/$dir" "$WORK/$dir"
        cmake -S "$WORK/$dir" -B "$WORK/$dir/build" -DCMAKE_PREFIX_PATH="$R$PREFIX" \
            >"$WORK/$dir.log" 2>&1 && cmake --build "$WORK/$dir/build" \
            >>"$WORK/$dir.log" 2>&1 ||
            { cat "$WORK/$dir.log" >&2; fail "$dir template against the samsa-dev .deb"; }
        template_test "$R$PREFIX" "$WORK/$dir/build" "$src" "$name"
    done
    cli_sink_test "$R$PREFIX" "$WORK/sink-connector/build/plugins/sink-lines.so"
else
    RT=$(ls "$WORK"/out/samsa-[0-9]*.rpm)
    DEV=$(ls "$WORK"/out/samsa-devel-*.rpm)
    rpm -qlp "$RT" 2>/dev/null >"$WORK/rt.list"
    rpm -qlp "$DEV" 2>/dev/null >"$WORK/dev.list"
    expected_runtime | has_all "$WORK/rt.list" || fail "runtime .rpm content"
    expected_dev | has_all "$WORK/dev.list" || fail "samsa-devel .rpm content"
    not_in "$WORK/rt.list" '/include/' '\.build-id' 'libsamsa-testkit'
    rpm -qp --configfiles "$RT" 2>/dev/null | sort >"$WORK/conffiles"
    grep -F "$CONF/" "$WORK/rt.list" | grep '\.yaml$' | sort >"$WORK/etc.list"
    diff -u "$WORK/etc.list" "$WORK/conffiles" || fail "%config files differ"
    for p in "$RT" "$DEV"; do
        [ "$(rpm -qp --qf '%{LICENSE}' "$p" 2>/dev/null)" = Apache-2.0 ] ||
            fail "$p: License is not Apache-2.0"
    done
    rpm -qp --scripts "$RT" 2>/dev/null >"$WORK/scripts"
    grep -q "^preinstall scriptlet" "$WORK/scripts" || fail "no %pre"
    grep -q "useradd --system" "$WORK/scripts" || fail "%pre lacks useradd"
    rpm -qp --requires "$RT" 2>/dev/null | grep -q 'libyaml-0.so' ||
        fail "rpm does not require libyaml"
    rpm -qp --requires "$DEV" 2>/dev/null | grep -q '^samsa = ' ||
        fail "samsa-devel does not require samsa"
    rpm2archive - <"$RT" |
        tar -xzO ".$PREFIX/lib/systemd/system/samsad.service" >"$WORK/unit"
fi

for line in "User=samsa" "Restart=on-failure" \
            "ExecStart=$PREFIX/bin/samsad --data-dir $STATE"; do
    grep -q -x -F "$line" "$WORK/unit" || fail "unit lacks $line"
done
grep -q '^LimitNOFILE=[0-9]' "$WORK/unit" || fail "unit lacks LimitNOFILE"
echo "$KIND packages: ok"
