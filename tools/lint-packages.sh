#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tools/lint-packages.sh [BUILD_DIR] - build the distribution packages the
# way a distro would (prefix /usr, release, no tests) with CPack, then hold
# them to lintian (.deb) and rpmlint (.rpm): any error fails. Warnings are
# printed. rpmlint reads packaging/rpmlint.toml (why each filter exists).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-packages}
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_BUILD_TYPE=Release -DSAMSA_BUILD_TESTS=OFF >/dev/null
ninja -C "$BUILD" >/dev/null
rm -f "$BUILD"/*.deb "$BUILD"/*.rpm
(cd "$BUILD" && cpack -G "DEB;RPM" >/dev/null)
rc=0
# lintian refuses to run some checks as root unless told it is fine.
lintian --allow-root --fail-on error "$BUILD"/*.deb || rc=1
rpmlint -c "$ROOT/packaging/rpmlint.toml" "$BUILD"/*.rpm || rc=1
[ "$rc" = 0 ] && echo "packages: lintian and rpmlint report no errors"
exit "$rc"
