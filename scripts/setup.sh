#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, only if missing.
# Idempotent and quiet when everything is already present.
set -euo pipefail
need=()
for pkg in libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev libsqlite3-dev valgrind pkg-config openssl; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
