#!/usr/bin/env bash
# Configures and builds Tidelog. Usage: scripts/build.sh [release|asan] [build-dir]
#   release (default): optimised build in ./build
#   asan:              Debug + AddressSanitizer/UndefinedBehaviorSanitizer in ./build-asan
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
case "$kind" in
  release) dir=${2:-build}; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=${2:-build-asan}; flags=(-DCMAKE_BUILD_TYPE=Debug -DTIDELOG_SANITIZE=ON -DTIDELOG_BUILD_BENCH=OFF) ;;
  *) echo "usage: $0 [release|asan] [build-dir]" >&2; exit 2 ;;
esac
jobs=${TIDELOG_JOBS:-$(nproc)}
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
