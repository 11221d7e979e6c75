#!/usr/bin/env bash
# Installs the Debian 12 packages Tidelog needs to build, test and run, and the
# JavaScript SDK and playwright-core the end-to-end tests use (npm ci in
# tests/e2e/js: the only download outside apt; nothing is downloaded at build
# time). The dashboard test drives Debian's chromium through playwright-core,
# which downloads no browser.
# Idempotent: when everything is present it does nothing (no apt-get update).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config git
  librocksdb-dev libboost1.81-dev liburing-dev
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev libsimdjson-dev libcpptoml-dev libnghttp2-dev
  clang-format clang-tidy clang-14 libclang-rt-14-dev
  libcli11-dev
  curl nghttp2-client openssl
  prometheus
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# The end-to-end tests drive the broker with boto3 and the AWS CLI. Use
# whatever python3 is first on PATH; install Debian's packages if it lacks them.
if ! python3 -c 'import boto3' >/dev/null 2>&1; then missing+=(python3-boto3); fi
if ! command -v aws >/dev/null 2>&1; then missing+=(awscli); fi
# The HTTP/2 protocol test needs the h2 package in the python3 on PATH or in
# Debian's /usr/bin/python3 (CMake picks the first of them that has it).
if ! python3 -c 'import h2' >/dev/null 2>&1 && \
   ! /usr/bin/python3 -c 'import h2' >/dev/null 2>&1; then
  missing+=(python3-h2)
fi
# The CBOR test (test_cbor.py) needs cbor2 the same way.
if ! python3 -c 'import cbor2' >/dev/null 2>&1 && \
   ! /usr/bin/python3 -c 'import cbor2' >/dev/null 2>&1; then
  missing+=(python3-cbor2)
fi
# The JavaScript SDK tests run on Node.js (the SDK wants Node.js 20 or later).
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# tests/e2e/js: node_modules exactly as package-lock.json pins it, again
# whenever the lock file is newer than the last install.
js=tests/e2e/js
if [ ! -f "$js/node_modules/.package-lock.json" ] || \
   [ "$js/package-lock.json" -nt "$js/node_modules/.package-lock.json" ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 20 ]; then
    echo "install-deps: warning: Node.js $(node --version) is older than the 20 the AWS SDK wants" >&2
  fi
  echo "install-deps: npm ci in $js" >&2
  (cd "$js" && npm ci --no-audit --no-fund)
fi
