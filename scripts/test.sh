#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest: the
# GoogleTest units (engine, storage, crash test, HTTP, SigV4, protocol codecs)
# and the end-to-end tests that drive a real tidelogd with boto3 and the AWS CLI.
#
# TIDELOG_SANITIZE=1 (CI does this) also
#   - builds Debug+ASan/UBSan and runs the unit tests there;
#   - builds with ThreadSanitizer and runs the concurrency, reshard,
#     subscription, group-commit and I/O-error units and end-to-end tests
#     against a TSan tidelogd;
#   - builds the libFuzzer targets (Clang 14) and runs each over its seed
#     corpus and then for TIDELOG_FUZZ_SECONDS (default 20).
# TIDELOG_CRASH_CYCLES=N runs the crash tests (engine and broker) for N kill
# cycles; TIDELOG_POWER_POINTS=N cuts the power at N points in the power-loss
# tests. The long versions of all of these: tests/faults/report.py.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
ctest --test-dir build --output-on-failure -j "${TIDELOG_TEST_JOBS:-2}" --timeout 900
if [ "${TIDELOG_SANITIZE:-0}" = 1 ]; then
  scripts/build.sh asan
  LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp ${LSAN_OPTIONS:-}" \
    ctest --test-dir build-asan --output-on-failure -j "${TIDELOG_TEST_JOBS:-2}" --timeout 900 \
    -E "^e2e"
  scripts/build.sh tsan
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp ${TSAN_OPTIONS:-}" \
    ctest --test-dir build-tsan --output-on-failure -j "${TIDELOG_TEST_JOBS:-2}" --timeout 900 \
    -R "$(cat tests/tsan-tests.txt | grep -v '^#' | paste -sd '|')"
  scripts/build.sh fuzz
  ctest --test-dir build-fuzz --output-on-failure -j "${TIDELOG_TEST_JOBS:-2}" --timeout 900 -L fuzz
fi
