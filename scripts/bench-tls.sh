#!/usr/bin/env bash
# The cost of TLS end to end: GetCase, and the server's near-trivial Health/Check (the
# transport's own cost, which GetCase's service path hides), at 1 and 64 in flight against the
# same release server build, once on plain TCP and once with TLS (a certificate made by openssl here), alternating
# plain/TLS rounds so both see the same machine load; prints a markdown table with TLS as a
# ratio of plain. Uses release binaries already built (.build/release: `swift build -c release`,
# which ./scripts/test.sh does).
#   ./scripts/bench-tls.sh                 # 2,000 cases, 10 s runs, 2 rounds
#   ./scripts/bench-tls.sh --duration 5 --rounds 1 --cases 500 [--bin .build/debug]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10
ROUNDS=2
CASES=2000
BIN="${BIN:-.build/release}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --cases) CASES="$2"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    *) echo "bench-tls: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in fieldreport-server fieldreport-loadgen; do
  [ -x "$BIN/$tool" ] || { echo "bench-tls: no $BIN/$tool (swift build -c release)" >&2; exit 1; }
done
WORK="$(mktemp -d /tmp/fieldreport-bench-tls.XXXXXX)"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=bench-ca 2>/dev/null
openssl req "${ec[@]}" -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext 2>/dev/null
cd - >/dev/null

export FIELDREPORT_DEMO_PASSWORD="bench-demo-$$-$RANDOM"
export FIELDREPORT_ADMIN_PASSWORD="bench-admin-$$-$RANDOM"
# start MODE: a server on the same database, plain or TLS.
start() {
  local extra=()
  if [ "$1" = tls ]; then extra=(--tls-cert "$WORK/server.pem" --tls-key "$WORK/server.key"); fi
  MALLOC_ARENA_MAX=2 "$BIN/fieldreport-server" --demo --host 127.0.0.1 --port 0 --database "$WORK/fr.sqlite" \
    --log-level error --reports-per-reporter-hour 0 "${extra[@]}" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  PORT=""
  for _ in $(seq 1 300); do
    PORT="$(sed -n 's/^fieldreport-server listening on .*:\([0-9][0-9]*\)$/\1/p' "$WORK/server.log" | head -1)"
    [ -n "$PORT" ] && break
    sleep 0.1
  done
  [ -n "$PORT" ] || { cat "$WORK/server.log" >&2; exit 1; }
  KEY="$(sed -n 's/^Platform API key.*): \(frk_[^ ]*\)$/\1/p' "$WORK/server.log" | head -1)"
  # Printed on the first start only (the database keeps the account).
  if [ -n "$KEY" ]; then export FIELDREPORT_PLATFORM_API_KEY="$KEY"; fi
}
stop() { kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
loadgen() {
  local tls=()
  if [ "$1" = tls ]; then tls=(--ca "$WORK/ca.pem"); fi
  shift
  "$BIN/fieldreport-loadgen" --host 127.0.0.1 --port "$PORT" --timeout 30 --unit SO-TNMT "${tls[@]}" "$@"
}

start plain
loadgen plain --connections 4 --workers 1 --prefill "$CASES" --prefill-concurrency 64 --seed 0 --discover 0 --mix inbox --count 1 --duration 1 >/dev/null
stop
echo "| round | transport | call | in flight | calls/s | p50 µs | p99 µs |"
echo "|---:|---|---|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
  for mode in plain tls; do
    start "$mode"
    for op in get health; do
    for inflight in 1 64; do
      shape=(--connections 1 --workers 1)
      if [ "$inflight" = 64 ]; then shape=(--connections 4 --workers 16); fi
      rm -f "$WORK/run.json"
      loadgen "$mode" "${shape[@]}" --mix "$op" --seed 0 --duration "$DURATION" --json "$WORK/run.json" >/dev/null 2>&1 || true
      python3 - "$WORK/run.json" "$round" "$mode" "$inflight" "$op" <<'PY'
import json, sys
path, round_, mode, inflight, op = sys.argv[1:]
name = {"get": "GetCase", "health": "Health/Check"}[op]
try:
    with open(path) as f:
        run = json.load(f)["operations"][op]
    print(f"| {round_} | {mode} | {name} | {inflight} | {run['calls_per_s']:,.0f} | {run['p50_us']:,.0f} | {run['p99_us']:,.0f} |")
except Exception as error:  # a failed run is a row too
    print(f"| {round_} | {mode} | {name} | {inflight} | failed ({error}) | | |")
PY
    done
    done
    stop
  done
done
