#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, only if missing.
# Idempotent and quiet when everything is already present.
set -euo pipefail
need=()
# postgresql: the server binaries the tests start a throwaway cluster with (the PostgreSQL store).
# libmimalloc-dev: the memory allocator fieldreport-server is linked with (MemoryAllocator).
# chromium-headless-shell: the browser that renders `fieldreport report`'s HTML page in a test.
for pkg in libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev libsqlite3-dev libmimalloc-dev valgrind pkg-config openssl postgresql chromium-headless-shell; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # Debian's postgresql package creates (and starts) a system cluster "main" on install. The
  # tests start their own throwaway cluster and need none: on a machine that has no PostgreSQL
  # yet, tell postgresql-common not to create it.
  if [[ " ${need[*]} " == *" postgresql "* ]] && [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    $SUDO mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/fieldreport.conf >/dev/null
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
