#!/usr/bin/env bash
# Tests of the C client (run by scripts/test-clients.sh, or `make -C clients/c test`):
#   1. build/test_client offline   PROTOCOL.md's example frames and a scripted fake server
#                                  sending malformed frames;
#   2. with the server binary: start `fieldreport-server --demo` on a free loopback port with a
#      temporary database, run the example (build/report_demo) and build/test_client e2e, which
#      ends by sending the server SIGTERM to check the GOAWAY drain; then build/test_client idle
#      against a second server with a 1 s idle timeout (GOAWAY IDLE_TIMEOUT).
# Every program runs under valgrind (--leak-check=full, definite leaks and memory errors fail
# the run) when valgrind is installed (scripts/setup.sh installs it); without it they run bare,
# with a warning.
#   FIELDREPORT_SERVER_BIN   the server (default: .build/debug/fieldreport-server)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
server_bin="${FIELDREPORT_SERVER_BIN:-$repo/.build/debug/fieldreport-server}"

if command -v make >/dev/null 2>&1; then
  make -s all
else # the same build as the Makefile, without make
  cc="${CC:-cc}"
  flags=(-std=c11 -Wall -Wextra -Werror -O1 -g -Iinclude -I"$repo/Sources/CFieldReportWire/include")
  mkdir -p build
  mapfile -t wire < <(ls "$repo"/Sources/CFieldReportWire/rpc/v1/*.pb-c.c "$repo"/Sources/CFieldReportWire/fieldreport/v1/*.pb-c.c)
  "$cc" "${flags[@]}" examples/report_demo.c src/fieldreport_client.c "${wire[@]}" -lprotobuf-c -lpthread -o build/report_demo
  "$cc" "${flags[@]}" tests/test_client.c src/fieldreport_client.c "${wire[@]}" -lprotobuf-c -lpthread -o build/test_client
fi

run=()
if command -v valgrind >/dev/null 2>&1; then
  run=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=3)
else
  echo "c-client: WARNING: valgrind not found (scripts/setup.sh installs it): running without the leak check"
fi

echo "-- C client: framing and malformed-frame tests"
"${run[@]}" ./build/test_client offline

if [[ ! -x "$server_bin" ]]; then
  echo "c-client: no server binary at $server_bin: end-to-end tests SKIPPED"
  exit 0
fi

dir="$(mktemp -d "${TMPDIR:-/tmp}/fieldreport-ctest-XXXXXX")"
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
export FIELDREPORT_DEMO_PASSWORD="Demo-c-$RANDOM$RANDOM"

# start_server NAME [flags...]: a `--demo` server on a free loopback port with a fresh database;
# sets pid and port.
start_server() {
  local name="$1"; shift
  mkdir -p "$dir/$name"
  (cd "$dir/$name" && exec "$server_bin" --demo --host 127.0.0.1 --port 0 --database "$dir/$name/fieldreport.sqlite" \
    --scrypt-log-n 10 "$@" >"$dir/$name/server.log" 2>&1) &
  pid=$!
  port=""
  for _ in $(seq 1 600); do # up to 120 s on a loaded machine
    port="$(sed -n 's/^fieldreport-server listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$dir/$name/server.log" | head -1)"
    [[ -n "$port" ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/$name/server.log" >&2; echo "c-client: the server exited" >&2; exit 1; }
    sleep 0.2
  done
  [[ -n "$port" ]] || { cat "$dir/$name/server.log" >&2; echo "c-client: the server did not start" >&2; exit 1; }
  echo "-- C client: server ($name) on 127.0.0.1:$port"
}

# stop_server: SIGTERM (unless it already exited) and wait up to 30 s.
stop_server() {
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "c-client: the server did not exit after SIGTERM" >&2
    exit 1
  fi
  wait "$pid" || true
  pid=""
}

# --drain-seconds 2: the drain test's open WatchEvents stream would otherwise hold it 30 s.
start_server main --drain-seconds 2

echo "-- C client: example (clients/c/examples/report_demo.c)"
FIELDREPORT_PASSWORD="$FIELDREPORT_DEMO_PASSWORD" "${run[@]}" ./build/report_demo --port "$port" --events 2

echo "-- C client: end-to-end tests (ending with the server's drain: SIGTERM from the test)"
FIELDREPORT_SERVER_PID="$pid" "${run[@]}" ./build/test_client e2e "$port"
stop_server

start_server idle --idle-timeout-seconds 1
echo "-- C client: idle timeout (GOAWAY IDLE_TIMEOUT)"
"${run[@]}" ./build/test_client idle "$port"
stop_server

echo "c-client: all tests passed${run:+ (valgrind: no errors, no definite leaks)}"
