#!/usr/bin/env bash
# Installs what is missing, builds, and starts the broker on its embedded
# default: RocksDB under ./data, listening on 127.0.0.1:4567. Extra arguments
# go to tidelogd (see `build/server/daemon/tidelogd --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
exec build/server/daemon/tidelogd --listen 127.0.0.1:4567 --data-dir ./data "$@"
