#!/usr/bin/env bash
# The project's run command: set-up (only what is missing), build, and start the server on
# the embedded default database (./data/fieldreport.sqlite). Flags are passed through:
#   ./scripts/run.sh --demo          # also load the demo province (idempotent)
#   ./scripts/run.sh --port 7443 --database /var/lib/fieldreport/db.sqlite
# See `.build/debug/fieldreport-server help serve` for every flag and its environment variable.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Builds every product: the server, and the `fieldreport` CLI to talk to it.
swift build
# glibc malloc: two arenas instead of up to eight per core keep the server's RSS ≈ 16 % lower
# under load (docs/PERFORMANCE.md); an operator's own MALLOC_ARENA_MAX wins.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec .build/debug/fieldreport-server "$@"
