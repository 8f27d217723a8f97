#!/usr/bin/env bash
# Leak check of the wire bridge: runs wire-selfcheck (pack and unpack of a fixture of every
# message type, plus malformed input) under valgrind and fails on any definitely-lost byte.
# valgrind 3.19 cannot read Swift 6.3's default DWARF 5, so this builds with DWARF 4 in its
# own scratch folder.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "leak-check: valgrind is missing (run scripts/setup.sh)" >&2; exit 1; }
swift build --product wire-selfcheck --scratch-path .build-leak \
  -Xswiftc -dwarf-version=4 -Xcc -gdwarf-4 2>&1 | grep -E "error|warning: |Compiling|Build" | grep -v "^\[" || true
bin=.build-leak/debug/wire-selfcheck
[ -x "$bin" ] || { echo "leak-check: build failed" >&2; exit 1; }
log=$(mktemp)
if ! valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3 "$bin" 2 >"$log" 2>&1; then
  cat "$log" >&2
  echo "leak-check: FAILED (see valgrind output above)" >&2
  exit 1
fi
grep -E "wire self-check|definitely lost|ERROR SUMMARY" "$log"
rm -f "$log"
echo "leak-check: zero definitely-lost bytes"
