#!/usr/bin/env bash
# Regenerates all wire code from proto/:
#   Sources/CFieldReportWire/        protoc-c output (C structs, descriptors, pack/unpack)
#   Sources/WireBridge/Generated/    Swift value types over the C structs (scripts/bridge_gen.py)
#   Sources/WireFixtures/Generated/  test fixtures for every message type
#   Sources/FieldReportAPI/Generated/ handler protocols and typed clients of fieldreport.v1's services
# With --check, regenerates into a temporary folder and fails on any difference from the
# committed files (CI runs this).
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
[ "${1:-}" = "--check" ] && check=1

command -v protoc-c >/dev/null || { echo "generate: protoc-c is missing (run scripts/setup.sh)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t protos < <(cd proto && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
mkdir -p "$tmp/c/include" "$tmp/craw" "$tmp/bridge" "$tmp/fixtures" "$tmp/stubs"
(cd proto && protoc-c --c_out="$tmp/craw" --descriptor_set_out="$tmp/set.pb" --include_imports --include_source_info -I . "${protos[@]}")
# Lay the C output out as SwiftPM wants it: sources by package path, headers under include/.
(cd "$tmp/craw" && find . -name '*.pb-c.c' | while read -r f; do mkdir -p "$tmp/c/$(dirname "$f")"; cp "$f" "$tmp/c/$f"; done)
(cd "$tmp/craw" && find . -name '*.pb-c.h' | while read -r f; do mkdir -p "$tmp/c/include/$(dirname "$f")"; cp "$f" "$tmp/c/include/$f"; done)
python3 scripts/bridge_gen.py "$tmp/set.pb" "$tmp/bridge" "$tmp/fixtures" "$tmp/stubs" fieldreport.v1

targets=("Sources/CFieldReportWire:$tmp/c" "Sources/WireBridge/Generated:$tmp/bridge" "Sources/WireFixtures/Generated:$tmp/fixtures" "Sources/FieldReportAPI/Generated:$tmp/stubs")
if [ $check -eq 1 ]; then
  status=0
  for t in "${targets[@]}"; do
    dst=${t%%:*}; src=${t#*:}
    if ! diff -r "$src" "$dst" >"$tmp/diff.txt" 2>&1; then
      echo "generate --check: $dst is out of date with proto/ (run scripts/generate.sh):" >&2
      head -40 "$tmp/diff.txt" >&2
      status=1
    fi
  done
  [ $status -eq 0 ] && echo "generate --check: generated code is up to date (${#protos[@]} .proto files)"
  exit $status
fi
for t in "${targets[@]}"; do
  dst=${t%%:*}; src=${t#*:}
  rm -rf "$dst"; mkdir -p "$(dirname "$dst")"; cp -r "$src" "$dst"
done
echo "generate: wrote code for ${#protos[@]} .proto files"
