#!/usr/bin/env bash
# Builds the libFuzzer targets (Tests/Fuzz: FuzzDecode — every message type of the contract
# through the bridge; FuzzConnection — the server's connection logic over an EmbeddedChannel)
# with `--sanitize=fuzzer --sanitize=address` into .build-fuzz, writes their seed corpora
# (from the generated fixtures) and runs each for the given time.
#   ./scripts/fuzz.sh                 # 60 s per target
#   ./scripts/fuzz.sh --time 600      # 10 minutes per target
#   ./scripts/fuzz.sh --time 10 --jobs 1
# Corpora grow in .build-fuzz/corpus/<target>; a crash leaves its input in
# .build-fuzz/crashes/<target>/ and makes the script fail. Prints each target's executions.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
while [[ $# -gt 0 ]]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# Coverage: -sanitize=fuzzer alone instruments nothing in Swift code with this toolchain;
# the explicit coverage kinds make libFuzzer see edges and comparisons (BUILD-NOTES.md).
export FIELDREPORT_FUZZ=1
swift build --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address \
  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  --product FuzzDecode
swift build --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address \
  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  --product FuzzConnection

bin=.build-fuzz/debug
total=0
for target in FuzzDecode FuzzConnection; do
  corpus=.build-fuzz/corpus/$target
  crashes=.build-fuzz/crashes/$target
  mkdir -p "$corpus" "$crashes"
  FIELDREPORT_FUZZ_WRITE_SEEDS="$corpus" "$bin/$target"
  log=.build-fuzz/$target.log
  # ASan's leak check is off: the harness's shared server and Swift's runtime caches live for
  # the process (the bridge's own leak check is scripts/leak-check.sh under valgrind).
  if ! ASAN_OPTIONS=detect_leaks=0 "$bin/$target" -max_total_time="$seconds" -max_len=$([ "$target" = FuzzDecode ] && echo 70000 || echo 20000) \
      -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $target crashed; the input is in $crashes/" >&2
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "fuzz: $target: ${runs:-0} executions in ${seconds} s, no crash ($(ls "$corpus" | wc -l) inputs in the corpus)"
  total=$((total + ${runs:-0}))
done
echo "fuzz: $total executions in total, no crash"
