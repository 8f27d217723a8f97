#!/usr/bin/env bash
# Tests the clients under clients/ against the real server: the Python client's unit tests
# (PROTOCOL.md's example frames) and its end-to-end tests, which start
# `fieldreport-server --demo` on a free loopback port with a temporary database.
#
#   scripts/test-clients.sh            # uses .build/debug/fieldreport-server
#   FIELDREPORT_SERVER_BIN=path scripts/test-clients.sh
#
# Exits non-zero when a test fails. Without a server binary the end-to-end tests are skipped
# (with a message) and only the offline tests run; without python3 everything is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v python3 >/dev/null 2>&1; then
  echo "test-clients: SKIPPED (python3 not found)"
  exit 0
fi

export FIELDREPORT_SERVER_BIN="${FIELDREPORT_SERVER_BIN:-$PWD/.build/debug/fieldreport-server}"
if [[ ! -x "$FIELDREPORT_SERVER_BIN" ]]; then
  echo "test-clients: no server binary at $FIELDREPORT_SERVER_BIN (build it: swift build --product fieldreport-server);"
  echo "test-clients: end-to-end tests SKIPPED, running the offline tests only"
fi

echo "== Python client (clients/python)"
cd clients/python
PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s tests -t . -v
