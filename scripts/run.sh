#!/usr/bin/env bash
# The project's run command: set-up (only what is missing), build, and start the server on
# the embedded default database (./data/fieldreport.sqlite). Builds and runs the release
# configuration; `--debug` (taken by this script, not passed on) uses the debug build instead.
# Every other flag is passed through to the server:
#   ./scripts/run.sh --demo          # also load the demo province (idempotent)
#   ./scripts/run.sh --port 7443 --database /var/lib/fieldreport/db.sqlite
#   ./scripts/run.sh --debug --demo  # the debug build (.build/debug)
# See `.build/release/fieldreport-server help serve` for every flag and its environment variable.
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=release
args=()
for arg in "$@"; do
  if [ "$arg" = "--debug" ]; then configuration=debug; else args+=("$arg"); fi
done
./scripts/setup.sh
# Builds the server, and the `fieldreport` CLI to talk to it (.build/<configuration>/fieldreport).
# The first release build takes several minutes; later ones rebuild only what changed.
swift build -c "$configuration" --product fieldreport-server
swift build -c "$configuration" --product fieldreport
# The server runs on mimalloc (MemoryAllocator). Should it run on glibc's malloc instead (it
# logs a notice then), two arenas instead of up to eight per core keep its RSS ≈ 16 % lower
# under load (docs/PERFORMANCE.md); an operator's own MALLOC_ARENA_MAX wins.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec ".build/$configuration/fieldreport-server" "${args[@]}"
