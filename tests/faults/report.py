#!/usr/bin/env python3
"""The proof-under-faults report: runs the long versions of the crash, power-loss,
I/O-error, fuzz and soak checks and prints one table of what was tried and what
was lost.

  tests/faults/report.py [--build build] [--cycles 200] [--power-points 2000]
                         [--io-repeat 10] [--fuzz-seconds 600] [--soak-minutes 30]
                         [--skip fuzz,soak,...] [--json FILE]

Each check is a test that fails on any loss, so "lost" is what it reported
missing (0 when it passed). Needs a release build (scripts/build.sh release);
the fuzz step builds ./build-fuzz through scripts/fuzz.sh.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd, env=None, timeout=None):
    """Runs `cmd`, echoing its output; returns (exit code, output, seconds)."""
    print("$ " + " ".join(cmd), flush=True)
    start = time.monotonic()
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if not line.startswith("engine log:"):
                sys.stdout.write(line)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        lines.append("report: timed out\n")
    return proc.returncode, "".join(lines), time.monotonic() - start


def ints(pattern, text):
    return [int(m) for m in re.findall(pattern, text)]


def engine_crash(args):
    exe = os.path.join(args.build, "tests/unit/tidelog_engine_tests")
    rc, out, secs = run([exe, "--gtest_filter=CrashTest.*"],
                        env={"TIDELOG_CRASH_CYCLES": str(args.cycles)})
    acks = ints(r"crash test: (\d+) acks", out)
    return {"check": "engine SIGKILL loop", "tried": f"{args.cycles} kill cycles",
            "checked": f"{acks[0] if acks else '?'} acknowledged records",
            "lost": 0 if rc == 0 else "see log", "ok": rc == 0, "seconds": secs}


def broker_crash(args):
    tidelogd = os.path.join(args.build, "server/daemon/tidelogd")
    rows = []
    for mode in ("Sync", "Async"):
        rc, out, secs = run([sys.executable, "tests/e2e/test_crash_loop.py", "--tidelogd", tidelogd,
                             f"CrashLoop{mode}Test"],
                            env={"TIDELOG_CRASH_CYCLES": str(args.cycles),
                                 "AWS_EC2_METADATA_DISABLED": "true"})
        fields = dict(re.findall(r"(\w+)=(\S+)", "".join(
            l for l in out.splitlines() if "SUMMARY" in l)))
        rows.append({"check": f"broker SIGKILL loop ({mode.lower()})",
                     "tried": f"{fields.get('cycles', '?')} kill cycles, "
                              f"{fields.get('kills_during_reshard', '?')} during a reshard",
                     "checked": f"{fields.get('records_acked', '?')} acknowledged records",
                     "lost": fields.get("records_lost", "?") if rc == 0 or fields else "see log",
                     "ok": rc == 0, "seconds": secs})
    return rows


def power_loss(args):
    rows = []
    for name, exe, flt in (
            ("power loss under the store", "tests/storage/tidelog_storage_tests",
             "PowerLossTest.*:DamagedDirectoryTest.*"),
            ("power loss under the engine", "tests/unit/tidelog_engine_tests",
             "PowerLossEngineTest.*")):
        rc, out, secs = run([os.path.join(args.build, exe), "--gtest_filter=" + flt],
                            env={"TIDELOG_POWER_POINTS": str(args.power_points)})
        m = re.search(r"power cuts: (\d+) points of (\d+) calls, (\d+) acknowledged", out)
        kinds = len(re.findall(r"^\s+\d+\s+\S.* / ", out, re.M))
        rows.append({"check": name,
                     "tried": f"{m.group(1)} cut points ({kinds} kinds)" if m else "?",
                     "checked": f"{m.group(3)} acknowledged records" if m else "?",
                     "lost": 0 if rc == 0 else "see log", "ok": rc == 0, "seconds": secs})
    return rows


def io_errors(args):
    exe = os.path.join(args.build, "tests/unit/tidelog_engine_tests")
    rc, out, secs = run([exe, "--gtest_filter=Errors/IoErrorTest.*",
                         f"--gtest_repeat={args.io_repeat}"])
    runs = re.findall(r"^(EIO|ENOSPC): (\d+) batches tried, (\d+) records acknowledged, "
                      r"(\d+) injected errors; (writes resumed|writes did not)", out, re.M)
    injected = sum(int(r[3]) for r in runs)
    acked = sum(int(r[2]) for r in runs)
    resumed = {k: sum(1 for r in runs if r[0] == k and r[4] == "writes resumed")
               for k in ("EIO", "ENOSPC")}
    total = {k: sum(1 for r in runs if r[0] == k) for k in ("EIO", "ENOSPC")}
    return {"check": "EIO/ENOSPC under load",
            "tried": f"{len(runs)} runs, {injected} injected errors",
            "checked": f"{acked} acknowledged records; resumed without restart: "
                       f"EIO {resumed['EIO']}/{total['EIO']}, "
                       f"ENOSPC {resumed['ENOSPC']}/{total['ENOSPC']}",
            "lost": 0 if rc == 0 else "see log", "ok": rc == 0, "seconds": secs}


def fuzz(args):
    rc, out, secs = run(["scripts/fuzz.sh", str(args.fuzz_seconds)])
    report = os.path.join(ROOT, "build-fuzz", "fuzz-report.json")
    rows = []
    try:
        with open(report) as f:
            targets = json.load(f)
    except (OSError, ValueError):
        targets = []
    for t in targets:
        rows.append({"check": f"fuzz {t['target']}",
                     "tried": f"{t['seconds']} s, {t['execs']} execs",
                     "checked": f"cov {t.get('cov', '?')}, {t.get('corpus_files', '?')} inputs",
                     "lost": t.get("crashes", "?"), "ok": t.get("crashes", 1) == 0,
                     "seconds": t["seconds"]})
    if not rows:
        rows.append({"check": "fuzz", "tried": "?", "checked": "no report", "lost": "?",
                     "ok": False, "seconds": secs})
    return rows


def soak(args):
    out_dir = os.path.join(ROOT, "build", "soak")
    tidelogd = os.path.join(args.build, "server/daemon/tidelogd")
    rc, _, secs = run([sys.executable, "tests/soak/run_soak.py", "--tidelogd", tidelogd,
                       "--minutes", str(args.soak_minutes), "--out", out_dir])
    try:
        with open(os.path.join(out_dir, "soak-summary.json")) as f:
            s = json.load(f)
    except (OSError, ValueError):
        s = {}
    return {"check": "soak", "tried": f"{args.soak_minutes} min, {s.get('restarts', '?')} restarts",
            "checked": f"{s.get('records_checked', '?')} records; RSS/fd/disk flat: "
                       f"{'yes' if rc == 0 else 'no'} (curves in {out_dir})",
            "lost": s.get("records_lost", "?"), "ok": rc == 0, "seconds": secs}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--cycles", type=int, default=200)
    p.add_argument("--power-points", type=int, default=2000)
    p.add_argument("--io-repeat", type=int, default=10)
    p.add_argument("--fuzz-seconds", type=int, default=600)
    p.add_argument("--soak-minutes", type=int, default=30)
    p.add_argument("--skip", default="", help="comma-separated: engine,broker,power,io,fuzz,soak")
    p.add_argument("--json", help="also write the table here")
    args = p.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    steps = [("engine", engine_crash), ("broker", broker_crash), ("power", power_loss),
             ("io", io_errors), ("fuzz", fuzz), ("soak", soak)]
    rows = []
    for name, step in steps:
        if name in skip:
            continue
        result = step(args)
        rows.extend(result if isinstance(result, list) else [result])

    cols = ("check", "tried", "checked", "lost", "seconds")
    table = [[str(r[c]) if c != "seconds" else f"{r[c]:.0f}" for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) for i, c in enumerate(cols)]
    print()
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    print("  ".join("-" * w for w in widths))
    for t in table:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths)))
    failed = [r["check"] for r in rows if not r["ok"]]
    print("\nall checks passed, nothing lost" if not failed else f"\nFAILED: {', '.join(failed)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
