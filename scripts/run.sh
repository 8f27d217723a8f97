#!/usr/bin/env bash
# The project's run command: set-up (only what is missing), build, and start.
# Until the server lands (issue 5) this builds and runs the wire bridge's self-check.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build --product wire-selfcheck
exec .build/debug/wire-selfcheck "$@"
