#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test with ctest: the
# GoogleTest units (engine, storage, crash test, HTTP, SigV4, protocol codecs)
# and the end-to-end tests that drive a real tidelogd with boto3 and the AWS CLI.
#
# TIDELOG_SANITIZE=1 also builds Debug+ASan/UBSan and runs the unit tests there
# (CI does this). TIDELOG_CRASH_CYCLES=N runs the crash test for N kill cycles.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
ctest --test-dir build --output-on-failure -j "${TIDELOG_TEST_JOBS:-2}" --timeout 900
if [ "${TIDELOG_SANITIZE:-0}" = 1 ]; then
  scripts/build.sh asan
  ctest --test-dir build-asan --output-on-failure -j "${TIDELOG_TEST_JOBS:-2}" --timeout 900 \
    -E "^e2e"
fi
