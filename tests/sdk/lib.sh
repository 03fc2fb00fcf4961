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
