#!/usr/bin/env python3
"""Engine/raw ratio table of tidelog_bench (stdlib only).

Runs tidelog_bench --benchmark_format=json (or reads a saved JSON file) and
prints, per (batch, size, durability, threads) and per read size, the engine's
and the raw RocksDB baseline's records/s and their ratio (engine / raw).

  bench/micro/ratios.py [--bench PATH] [--json FILE] [--target 0.8] [-- bench args...]
"""
import argparse
import json
import subprocess
import sys

DEFAULT_BENCH = "/work/build-bench/bench/micro/tidelog_bench"


def parse_name(run_name):
    """'EngineAppend/batch:1/size:100/durability:sync/min_time:0.500/real_time/threads:8'
    -> ('EngineAppend', {'batch': '1', 'size': '100', 'durability': 'sync', 'threads': '8'})"""
    parts = run_name.split("/")
    params = {}
    for p in parts[1:]:
        if ":" in p:
            k, v = p.split(":", 1)
            if k != "min_time":
                params[k] = v
    params.setdefault("threads", "1")
    return parts[0], params


def collect(benchmarks):
    """{(family, frozen params): items_per_second}; median when repeated."""
    runs, medians = {}, {}
    for b in benchmarks:
        if "items_per_second" not in b or b.get("error_occurred"):
            continue
        family, params = parse_name(b.get("run_name", b["name"]))
        key = (family, tuple(sorted(params.items())))
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[key] = b["items_per_second"]
        else:
            runs.setdefault(key, []).append(b["items_per_second"])
    out = {k: sum(v) / len(v) for k, v in runs.items()}
    out.update(medians)
    return out


def fmt_rate(v):
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if v >= scale:
            return f"{v / scale:.2f}{unit}"
    return f"{v:.0f}"


def table(rates, engine_family, raw_family, columns, target=None):
    rows = []
    for (family, params), engine in rates.items():
        if family != engine_family:
            continue
        raw = rates.get((raw_family, params))
        if raw is None:
            continue
        p = dict(params)
        rows.append(([p.get(c, "") for c in columns], engine, raw))
    if not rows:
        return []

    def sort_key(row):
        return [int(v) if v.isdigit() else v for v in row[0]]

    rows.sort(key=sort_key)
    header = columns + ["engine rec/s", "raw rec/s", "engine/raw"]
    lines = [header]
    misses = []
    for values, engine, raw in rows:
        ratio = engine / raw
        mark = ""
        if target is not None and dict(zip(columns, values)).get("batch") == "500":
            mark = "  ok" if ratio >= target else f"  < {target}"
            if ratio < target:
                misses.append(values)
        lines.append(values + [fmt_rate(engine), fmt_rate(raw), f"{ratio:.2f}x{mark}"])
    widths = [max(len(str(l[i])) for l in lines) for i in range(len(header))]
    for l in lines:
        print("  ".join(str(v).rjust(w) for v, w in zip(l, widths)))
    print()
    return misses


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--bench", default=DEFAULT_BENCH, help="tidelog_bench binary")
    ap.add_argument("--json", help="read this saved --benchmark_format=json output instead")
    ap.add_argument("--target", type=float, default=0.8, help="minimum engine/raw at batch 500")
    ap.add_argument("bench_args", nargs="*", help="extra tidelog_bench arguments (after --)")
    args = ap.parse_args()

    if args.json:
        with open(args.json) as f:
            doc = json.load(f)
    else:
        cmd = [args.bench, "--benchmark_format=json"]
        if not any(a.startswith("--benchmark_filter") for a in args.bench_args):
            cmd.append("--benchmark_filter=^(Engine|Raw)")
        cmd += args.bench_args
        print("running:", " ".join(cmd), file=sys.stderr)
        doc = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout)

    rates = collect(doc.get("benchmarks", []))
    print("Appends (PutRecords vs WriteBatch + DB::Write):")
    misses = table(rates, "EngineAppend", "RawAppend",
                   ["durability", "size", "batch", "threads"], args.target)
    print("Reads (GetRecords drain vs iterator scan):")
    table(rates, "EngineRead", "RawRead", ["records", "size"])
    if misses:
        print(f"{len(misses)} batch-500 configuration(s) below {args.target}x", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
