#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tools/check-format.sh - fail when a C file of the tree (tracked, or new and
# not ignored: checked before it is committed) is not clang-formatted (the
# root .clang-format). Generated protocol code is left as generated.
#   tools/check-format.sh          check
#   tools/check-format.sh --fix    reformat in place
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.c' '*.h' |
    grep -v '^core/protocol/generated/')
if [ "${1:-}" = "--fix" ]; then
    clang-format -i "${files[@]}"
    exit 0
fi
bad=0
for f in "${files[@]}"; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not clang-formatted: $f (run tools/check-format.sh --fix)"
        bad=1
    fi
done
if [ "$bad" -eq 0 ]; then
    echo "${#files[@]} files clang-formatted"
fi
exit "$bad"
