#!/usr/bin/env bash
# Configures and builds Tidelog. Usage: scripts/build.sh [release|asan|tsan|fuzz] [build-dir]
#   release (default): optimised build in ./build
#   asan:              Debug + AddressSanitizer/UndefinedBehaviorSanitizer in ./build-asan
#   tsan:              RelWithDebInfo + ThreadSanitizer in ./build-tsan
#   fuzz:              Clang 14, the libFuzzer targets of tests/fuzz/ with ASan/UBSan, in ./build-fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
case "$kind" in
  release) dir=${2:-build}; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=${2:-build-asan}; flags=(-DCMAKE_BUILD_TYPE=Debug -DTIDELOG_SANITIZE=ON -DTIDELOG_BUILD_BENCH=OFF) ;;
  tsan) dir=${2:-build-tsan}; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDELOG_TSAN=ON -DTIDELOG_BUILD_BENCH=OFF) ;;
  fuzz) dir=${2:-build-fuzz}
        flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIDELOG_FUZZ=ON -DTIDELOG_BUILD_BENCH=OFF
               -DTIDELOG_BUILD_TESTS=OFF -DCMAKE_CXX_COMPILER=clang++-14) ;;
  *) echo "usage: $0 [release|asan|tsan|fuzz] [build-dir]" >&2; exit 2 ;;
esac
jobs=${TIDELOG_JOBS:-$(nproc)}
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
