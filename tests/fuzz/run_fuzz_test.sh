#!/usr/bin/env bash
# ctest driver of one fuzz target (tests/fuzz/CMakeLists.txt):
#   run_fuzz_test.sh run   BINARY SEEDS WORK SECONDS [DICT]  fuzz SECONDS over a copy of SEEDS
#   run_fuzz_test.sh seeds BINARY SEEDS WORK                  run every seed once
# Everything written (corpus, crash artifacts, log) goes under WORK, never SEEDS.
set -euo pipefail
mode=$1 binary=$2 seeds=$3 work=$4
mkdir -p "$work/artifacts"
common=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/artifacts/" -print_final_stats=1)
case "$mode" in
  run)
    seconds=$5 dict=${6:-}
    mkdir -p "$work/corpus"
    cp -n "$seeds"/* "$work/corpus/" 2>/dev/null || true
    args=("${common[@]}" -max_total_time="$seconds")
    [[ -n "$dict" ]] && args+=(-dict="$dict")
    exec "$binary" "${args[@]}" "$work/corpus"
    ;;
  seeds)
    exec "$binary" "${common[@]}" -runs=0 "$seeds"
    ;;
  *)
    echo "usage: $0 run|seeds BINARY SEEDS WORK [SECONDS [DICT]]" >&2
    exit 2
    ;;
esac
