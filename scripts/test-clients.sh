#!/usr/bin/env bash
# Tests the clients under clients/ against the real server: the Python client's unit tests
# (PROTOCOL.md's example frames) and its end-to-end tests, which start
# `fieldreport-server --demo` on a free loopback port with a temporary database; then the C
# client's (clients/c/tests/run-tests.sh: build with -Werror, framing and malformed-frame tests,
# the example and end-to-end tests, all under valgrind).
#
#   scripts/test-clients.sh            # uses .build/debug/fieldreport-server
#   FIELDREPORT_SERVER_BIN=path scripts/test-clients.sh
#
# Exits non-zero when a test fails. Without a server binary the end-to-end tests are skipped
# (with a message) and only the offline tests run; without python3 the Python tests are skipped,
# without a C compiler the C tests.
set -euo pipefail
cd "$(dirname "$0")/.."

export FIELDREPORT_SERVER_BIN="${FIELDREPORT_SERVER_BIN:-$PWD/.build/debug/fieldreport-server}"
if [[ ! -x "$FIELDREPORT_SERVER_BIN" ]]; then
  echo "test-clients: no server binary at $FIELDREPORT_SERVER_BIN (build it: swift build --product fieldreport-server);"
  echo "test-clients: end-to-end tests SKIPPED, running the offline tests only"
fi

if command -v python3 >/dev/null 2>&1; then
  echo "== Python client (clients/python)"
  (cd clients/python && PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s tests -t . -v)
else
  echo "test-clients: Python client SKIPPED (python3 not found)"
fi

if command -v "${CC:-cc}" >/dev/null 2>&1; then
  echo "== C client (clients/c)"
  clients/c/tests/run-tests.sh
else
  echo "test-clients: C client SKIPPED (no C compiler: ${CC:-cc} not found)"
fi
