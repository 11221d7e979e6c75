#!/usr/bin/env bash
# Long fuzzing runs of the libFuzzer targets (tests/fuzz/), one after another.
# Usage: scripts/fuzz.sh [SECONDS] [target...]
#   SECONDS  per target (default 600); targets: names of tests/fuzz/targets.txt (default all)
# Builds ./build-fuzz if needed (scripts/build.sh fuzz; TIDELOG_JOBS bounds the jobs).
# Each target fuzzes build-fuzz/fuzz-corpus/<name> (seeded from tests/fuzz/corpus/<name>,
# kept between runs); crashes, leaks, timeouts and OOMs go to build-fuzz/fuzz-artifacts/
# and the run goes on for the time left. Logs: build-fuzz/fuzz-logs/<name>.log.
# Prints a table at the end and writes it to build-fuzz/fuzz-report.json (rewritten
# after every target): target, seconds, execs, execs_per_sec, corpus_files, cov, ft, crashes.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
shift $(($# > 0 ? 1 : 0))
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds == 0)); then
  echo "usage: $0 [SECONDS] [target...]" >&2
  exit 2
fi
build=build-fuzz
fuzz_dir=tests/fuzz
mapfile -t known < <(grep -E '^[a-z]' "$fuzz_dir/targets.txt" | awk '{print $1}')
targets=("$@")
((${#targets[@]} > 0)) || targets=("${known[@]}")
for t in "${targets[@]}"; do
  if ! printf '%s\n' "${known[@]}" | grep -qx "$t"; then
    echo "unknown target '$t'; known: ${known[*]}" >&2
    exit 2
  fi
done

jobs=${TIDELOG_JOBS:-2}
if [[ ! -f "$build/build.ninja" ]]; then
  TIDELOG_JOBS=$jobs scripts/build.sh fuzz || exit 1
else
  cmake --build "$build" -j "$jobs" || exit 1
fi

mkdir -p "$build/fuzz-corpus" "$build/fuzz-artifacts" "$build/fuzz-logs"
report_json="$build/fuzz-report.json"
rows=()  # "target seconds execs execs_per_sec corpus_files cov ft crashes"

write_report() {
  {
    echo "["
    local i=0
    for row in "${rows[@]}"; do
      read -r t s e eps c cov ft cr <<<"$row"
      ((i > 0)) && echo ","
      printf '  {"target": "%s", "seconds": %s, "execs": %s, "execs_per_sec": %s, ' \
        "$t" "$s" "$e" "$eps"
      printf '"corpus_files": %s, "cov": %s, "ft": %s, "crashes": %s}' "$c" "$cov" "$ft" "$cr"
      i=$((i + 1))
    done
    echo
    echo "]"
  } >"$report_json.tmp" && mv "$report_json.tmp" "$report_json"
}

print_table() {
  printf '%-20s %8s %12s %9s %8s %7s %8s %8s\n' target seconds execs exec/s corpus cov ft crashes
  for row in "${rows[@]}"; do
    read -r t s e eps c cov ft cr <<<"$row"
    printf '%-20s %8s %12s %9s %8s %7s %8s %8s\n' "$t" "$s" "$e" "$eps" "$c" "$cov" "$ft" "$cr"
  done
}

count_artifacts() {
  find "$build/fuzz-artifacts" -maxdepth 1 -type f \
    \( -name "$1-crash-*" -o -name "$1-leak-*" -o -name "$1-timeout-*" -o -name "$1-oom-*" \) |
    wc -l
}

# A signal to this script stops the run in progress and reports what was done.
# The fuzzer runs in the background (wait, not a foreground job), so a signal
# that reaches only the fuzzer is told apart: that run is resumed.
stopping=0
child=
trap 'stopping=1; [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null' INT TERM

for name in "${targets[@]}"; do
  binary="$build/$fuzz_dir/tidelog_fuzz_$name"
  corpus="$build/fuzz-corpus/$name"
  log="$build/fuzz-logs/$name.log"
  mkdir -p "$corpus"
  cp -n "$fuzz_dir/corpus/$name"/* "$corpus/" 2>/dev/null || true
  dict=$(awk -v n="$name" '$1 == n {print $2}' "$fuzz_dir/targets.txt")
  args=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$build/fuzz-artifacts/$name-")
  [[ "$dict" != "-" ]] && args+=(-dict="$fuzz_dir/dict/$dict")

  echo "== $name: ${seconds}s (log $log)"
  : >"$log"
  crashes_before=$(count_artifacts "$name")
  start=$(date +%s)
  execs=0 cov=0 ft=0 runs=0 interruptions=0
  while true; do
    left=$((seconds - ($(date +%s) - start)))
    ((left > 0)) || break
    runs=$((runs + 1))
    run_artifacts=$(count_artifacts "$name")
    offset=$(stat -c %s "$log")
    # libFuzzer stops at the first crash: run again for the time left.
    timeout --signal=INT $((left + 120)) "$binary" "${args[@]}" -max_total_time="$left" \
      "$corpus" >>"$log" 2>&1 &
    child=$!
    wait "$child"
    rc=$?
    while kill -0 "$child" 2>/dev/null; do  # the wait was cut short by our trap
      wait "$child"
      rc=$?
    done
    child=
    run_output=$(tail -c +$((offset + 1)) "$log")
    n=$(grep -oE '^stat::number_of_executed_units: [0-9]+' <<<"$run_output" | tail -1 |
      awk '{print $2}')
    [[ -n "$n" ]] || n=$(grep -oE '^#[0-9]+' <<<"$run_output" | tail -1 | tr -d '#')
    execs=$((execs + ${n:-0}))
    last=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$run_output" | tail -1)
    if [[ -n "$last" ]]; then
      cov=$(awk '{print $2}' <<<"$last")
      ft=$(awk '{print $4}' <<<"$last")
    fi
    ((rc == 0 || stopping)) && break
    if (($(count_artifacts "$name") == run_artifacts)); then
      if grep -q 'libFuzzer: run interrupted' <<<"$run_output"; then
        interruptions=$((interruptions + 1))  # signalled from outside: resume
        echo "   $name was interrupted from outside; resuming for the time left" >&2
      else
        echo "   $name exited with $rc and left no artifact; see $log" >&2
        break
      fi
    fi
    ((runs >= 50)) && break  # crashing at once, over and over
  done
  elapsed=$(($(date +%s) - start))
  crashes=$(($(count_artifacts "$name") - crashes_before))
  files=$(find "$corpus" -maxdepth 1 -type f | wc -l)
  eps=$((elapsed > 0 ? execs / elapsed : execs))
  rows+=("$name $elapsed $execs $eps $files $cov $ft $crashes")
  echo "   $name: ${elapsed}s, $execs execs ($eps/s), corpus $files, cov $cov, ft $ft," \
    "crashes $crashes, interruptions $interruptions"
  write_report
  if ((stopping)); then
    echo
    echo "interrupted"
    print_table
    exit 130
  fi
done

echo
print_table
echo "report: $report_json; artifacts: $build/fuzz-artifacts/"
