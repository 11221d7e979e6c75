#!/usr/bin/env bash
# Installs the Debian 12 packages Tidelog needs to build, test and run.
# Idempotent: when everything is present it does nothing (no apt-get update).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  librocksdb-dev libboost1.81-dev liburing-dev
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev libsimdjson-dev libcpptoml-dev
  clang-format clang-tidy
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

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
