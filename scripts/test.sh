#!/usr/bin/env bash
# The project's test command: set-up (only what is missing), the generated-code check, the
# debug and release builds, the whole test suite, and the wire bridge's leak check. CI runs
# exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "== generated code is up to date"
./scripts/generate.sh --check
echo "== contract rules (comments on every element, protobuf-c subset)"
python3 scripts/check_proto_comments.py
echo "== build (warnings are errors)"
swift build --build-tests -Xswiftc -warnings-as-errors
echo "== release build (whole package)"
# The optimizer sees code the debug build never runs through (a Swift 6.3.1 crash in a release
# build once went unnoticed: CLISession.caseID(for:)); run.sh builds release into the same .build.
swift build -c release
echo "== leak check (valgrind)"
./scripts/leak-check.sh
echo "== clients in other languages (Python and C, against the real server binary)"
./scripts/test-clients.sh
echo "== fuzzing, briefly (libFuzzer + AddressSanitizer; docs/FUZZING.md)"
./scripts/fuzz.sh --time 10
echo "== swift test"
# One test at a time (≈ 3 min here): run in parallel on two cores, tests starved each other
# (timing-sensitive ones failed on CI), and hundreds of sockets held at once by concurrent
# tests pushed descriptor numbers past 1,357, where Foundation's Process.run() crashed while
# spawning a child. `swift test --skip-build` without the flag still runs them in parallel
# for a quick local check.
# Swift Testing captures a backtrace for every Swift error thrown while a test runs; the
# servers under test throw (and map) errors on every refused call, and the wire tests throw
# thousands: that capture made the suite CPU-bound for tens of seconds. A failing test still
# reports the error and where it was recorded.
# FIELDREPORT_REQUIRE_POSTGRES: the PostgreSQL variants of the store tests (a throwaway cluster
# in a temporary folder, Tests/TestSupport/PostgresTestCluster.swift) must run; without it a
# machine lacking PostgreSQL would skip them.
# FIELDREPORT_REQUIRE_CHROMIUM: the report test that renders `fieldreport report`'s page in
# Debian's headless chromium (scripts/setup.sh installs it) must run, not skip.
FIELDREPORT_REQUIRE_POSTGRES=1 FIELDREPORT_REQUIRE_CHROMIUM=1 SWT_SWIFT_ERROR_BACKTRACING_ENABLED=0 swift test --skip-build --no-parallel 2>&1 | tee .build/test-output.txt | grep -vE '^(◇|Test Case .* started|Test Suite .* started)'
status=${PIPESTATUS[0]}
exit "$status"
