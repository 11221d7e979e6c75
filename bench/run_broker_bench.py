#!/usr/bin/env python3
# Issue 4's broker benchmark: runs tidelogd (and kinesalite) under tidelog_load, prints targets vs measured, writes JSON + SVG.
"""Measures tidelogd against issue 4's targets (sync durability, 4 shards,
quotas off, load tool on the same machine) and prints one table.

Phases, each against a fresh broker on 127.0.0.1:0 in a temp data dir:
  1. raw RocksDB baseline: tidelog_bench RawAppend batch:500 size:100 sync;
     and the disk's append+fdatasync latency, which bounds PutRecord: each of
     8 blocking connections has one request waiting for a group's fsync, so
     requests/s <= 8 / fsync latency
  2. tidelogd: PutRecords, PutRecord, GetRecords drain, put-to-get, then the
     PutRecords sweeps over batch size and connections; VmRSS/VmHWM sampled
  3. a second tidelogd: N shards (default 10,000) in streams of 100 shards:
     creation time, memory per shard, restart time
  4. kinesalite (npm, Node.js) when present: the same load modes and sweeps
  5. protocols (run_protocol_bench.py, after phase 2): PutRecords and
     PutRecord through h2load over HTTP/1.1, h2c, TLS+HTTP/1.1 and TLS+h2,
     a fresh tidelogd per cell; ratios against h2load's HTTP/1.1 of the same run
Results: OUT/broker-bench.json, OUT/broker-bench.txt, OUT/broker-bench-sweep.svg,
OUT/protocol-bench.json, OUT/protocol-bench.txt.
"""
import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_svg  # noqa: E402
from bench_procs import Procs  # noqa: E402
import run_protocol_bench  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINESALITE_VERSION = "3.3.3"
RAW_FILTER = "^RawAppend/batch:500/size:100/durability:sync/"
STREAM_SHARDS = 100  # shards per stream in the many-shards phase
RSS_LIMIT_KIB = 256 * 1024

# Durations (seconds) and sizes per profile.
PROFILES = {
    "full": dict(main=20, sweep=8, peer_main=6, peer_sweep=4, prefill=1_000_000,
                 peer_prefill=50_000, p2g_rate=1000, raw_min_time=2, raw_reps=3),
    "quick": dict(main=3, sweep=1.5, peer_main=2, peer_sweep=1, prefill=100_000,
                  peer_prefill=10_000, p2g_rate=500, raw_min_time=0.5, raw_reps=1),
}
BATCHES = [1, 10, 100, 500]
CONNECTIONS = [1, 2, 4, 8, 16]

T0 = time.monotonic()


def log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


# ---- processes --------------------------------------------------------------

# Procs (every child process, stopped on any exit) is in bench_procs.py.


PROCS = Procs()


def on_signal(signum, frame):
    if PROCS.interrupted:
        return  # already stopping
    PROCS.interrupted = True
    raise KeyboardInterrupt(signal.Signals(signum).name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_size(path):
    with contextlib.suppress(OSError):
        return os.path.getsize(path)
    return 0


def wait_for_line(path, needle, proc, timeout, offset=0):
    """Waits until `needle` appears in file `path` past byte `offset`; returns that line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError), open(path, "rb") as f:
            f.seek(offset)
            for line in f.read().decode(errors="replace").splitlines():
                if needle in line:
                    return line.strip()
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}: {tail(path)}")
        time.sleep(0.005)
    raise RuntimeError(f"{proc.args[0]} not ready after {timeout}s: {tail(path)}")


def tail(path, n=8):
    with contextlib.suppress(OSError), open(path, errors="replace") as f:
        return " | ".join(f.read().strip().splitlines()[-n:])
    return "(no log)"


def read_status_kib(pid):
    """{'VmRSS': kib, 'VmHWM': kib} of a live process, {} if gone."""
    out = {}
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0])
    return out


class RssSampler:
    """Samples VmRSS every 100 ms in a thread; peak per phase label."""

    def __init__(self, pid):
        self.pid, self.phase, self.peaks = pid, "idle", {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_event.wait(0.1):
            rss = read_status_kib(self.pid).get("VmRSS")
            if rss is not None:
                self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)

    def stop(self):
        self.stop_event.set()
        self.thread.join()
        return self.peaks


class Tidelogd:
    def __init__(self, binary, data_dir, log_path):
        self.log_path = log_path
        offset = log_size(log_path)
        self.started = time.monotonic()
        with open(log_path, "a") as log_file:
            self.proc = PROCS.spawn(
                [binary, "--listen", "127.0.0.1:0", "--data-dir", data_dir, "--durability",
                 "sync", "--quotas", "off", "--stream-transition-ms", "0"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file)
        line = wait_for_line(log_path, "tidelogd: listening on", self.proc, 120, offset)
        self.ready_s = time.monotonic() - self.started
        self.endpoint = line.rsplit(" ", 1)[1]
        self.pid = self.proc.pid

    def stop(self):
        """(seconds, exit code); the code is -9 when it ignored SIGTERM for 30 s."""
        return PROCS.stop(self.proc, timeout=30)


class Kinesalite:
    def __init__(self, node, cli, db_dir, log_path):
        self.log_path = log_path
        port = free_port()
        args = [node, cli, "--port", str(port), "--createStreamMs", "0", "--deleteStreamMs", "0",
                "--updateStreamMs", "0", "--shardLimit", "1000"]
        if db_dir:
            args += ["--path", db_dir]
        offset = log_size(log_path)
        with open(log_path, "a") as log_file:
            self.proc = PROCS.spawn(args, stdin=subprocess.DEVNULL, stdout=log_file,
                                    stderr=subprocess.STDOUT)
        wait_for_line(log_path, "Listening at", self.proc, 60, offset)
        self.endpoint = f"127.0.0.1:{port}"
        self.pid = self.proc.pid

    def stop(self):
        return PROCS.stop(self.proc, timeout=15)


# ---- load tool and micro bench ---------------------------------------------

def run_load(tool, endpoint, mode, duration, connections=8, batch=500, record_bytes=100,
             prefill=None, rate=None, poll_ms=None, label=""):
    args = [tool, mode, "--endpoint", endpoint, "--duration", str(duration),
            "--connections", str(connections), "--batch", str(batch),
            "--record-size", str(record_bytes), "--shards", "4", "--json"]
    if prefill is not None:
        args += ["--prefill", str(prefill)]
    if rate is not None:
        args += ["--rate", str(rate)]
    if poll_ms is not None:
        args += ["--poll-interval-ms", str(poll_ms)]
    log(f"{label or mode}: {' '.join(args[1:])}")
    timeout = duration * 3 + (prefill or 0) / 2000 + 120
    p = PROCS.spawn(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        PROCS.stop(p, timeout=5)
        return {"ok": False, "error": f"timed out after {timeout:.0f}s", "args": args[1:]}
    PROCS.procs.remove(p)
    result = {"ok": p.returncode == 0, "rc": p.returncode, "args": args[1:]}
    for line in reversed(out.splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                result.update(json.loads(line))
            break
    if "records_per_s" not in result:
        result["ok"] = False
    if not result["ok"]:
        text = [l for l in (out + err).splitlines() if l.strip()]
        result["error"] = " | ".join(text[-4:]) or f"exit {p.returncode}"
        log(f"  FAILED: {result['error']}")
    else:
        log(f"  {result['records_per_s']:,.0f} records/s, p50 {result['p50_ms']:.2f} ms, "
            f"p99 {result['p99_ms']:.2f} ms")
    return result


def raw_baseline(bench, tmp_root, min_time, reps):
    """Median records/s of raw RocksDB sync WriteBatch(500 x 100 B) appends."""
    args = [bench, f"--benchmark_filter={RAW_FILTER}", "--benchmark_format=json",
            f"--io_min_time={min_time}", f"--benchmark_repetitions={reps}"]
    log("raw RocksDB baseline: " + " ".join(args[1:]))
    env = dict(os.environ, TMPDIR=tmp_root)
    p = PROCS.spawn(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True, env=env)
    out, err = p.communicate(timeout=600)
    PROCS.procs.remove(p)
    try:
        doc = json.loads(out)
    except ValueError:
        return {"ok": False, "error": (err or out).strip()[-300:]}
    runs = [b for b in doc.get("benchmarks", []) if b.get("run_type") == "iteration"]
    if not runs:
        return {"ok": False, "error": f"no benchmark matched {RAW_FILTER}"}
    rates = [b["items_per_second"] for b in runs]
    result = {"ok": True, "name": runs[0]["name"], "records_per_s": statistics.median(rates),
              "runs": rates}
    log(f"  raw RocksDB sync: {result['records_per_s']:,.0f} records/s (median of {len(rates)})")
    return result


def fsync_probe(tmp_root, count=2000, record_bytes=1100):
    """Latency of one append of `record_bytes` plus fdatasync, as a WAL entry
    of a 1 KiB PutRecord costs, on the disk of the broker's data dir."""
    path = os.path.join(tmp_root, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    buf = b"x" * record_bytes
    samples = []
    try:
        for _ in range(count):
            t = time.perf_counter()
            os.write(fd, buf)
            os.fdatasync(fd)
            samples.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        os.unlink(path)
    us = statistics.median(samples) * 1e6
    log(f"disk append+fdatasync: median {us:.0f} us over {count}")
    return {"ok": True, "median_us": us, "count": count, "record_bytes": record_bytes}


# ---- Kinesis JSON calls for the many-shards phase ----------------------------

class Kinesis:
    """Unsigned AWS JSON 1.1 calls (tidelogd runs with authentication off)."""

    def __init__(self, endpoint):
        host, port = endpoint.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def call(self, op, body):
        self.conn.request("POST", "/", json.dumps(body), {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202." + op})
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{op}: HTTP {r.status} {data[:300]!r}")
        return json.loads(data) if data else {}

    def close(self):
        self.conn.close()


def open_shards(k):
    return k.call("DescribeLimits", {})["OpenShardCount"]


def many_shards(tidelogd_bin, tmp_root, logs_dir, total):
    """Creates `total` shards across streams of STREAM_SHARDS; times creation and restart."""
    data_dir = os.path.join(tmp_root, "shards-data")
    log_path = os.path.join(logs_dir, "tidelogd-shards.log")
    streams = [(f"bench-shards-{i:05d}", min(STREAM_SHARDS, total - i * STREAM_SHARDS))
               for i in range((total + STREAM_SHARDS - 1) // STREAM_SHARDS)]
    r = {"shards": total, "streams": len(streams), "shards_per_stream": STREAM_SHARDS}
    d = Tidelogd(tidelogd_bin, data_dir, log_path)
    try:
        time.sleep(1)
        r["rss_before_kib"] = read_status_kib(d.pid).get("VmRSS")
        log(f"many shards: creating {total} shards in {len(streams)} streams")
        k = Kinesis(d.endpoint)
        t = time.monotonic()
        for name, n in streams:
            k.call("CreateStream", {"StreamName": name, "ShardCount": n})
        r["create_calls_s"] = time.monotonic() - t
        # Streams are ACTIVE on return; check all of them and the account's shard count.
        deadline = time.monotonic() + 300
        for name, _ in streams:
            while k.call("DescribeStreamSummary", {"StreamName": name})[
                    "StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ACTIVE after 300 s")
                time.sleep(0.02)
        if open_shards(k) != total:
            raise RuntimeError(f"DescribeLimits: {open_shards(k)} open shards, expected {total}")
        r["create_s"] = time.monotonic() - t
        k.close()
        time.sleep(1)
        st = read_status_kib(d.pid)
        r["rss_after_create_kib"], r["hwm_after_create_kib"] = st.get("VmRSS"), st.get("VmHWM")
        r["bytes_per_shard"] = (r["rss_after_create_kib"] - r["rss_before_kib"]) * 1024 / total
        log(f"  created in {r['create_s']:.2f}s; RSS {r['rss_before_kib']} -> "
            f"{r['rss_after_create_kib']} KiB ({r['bytes_per_shard']:.0f} B/shard)")
    finally:
        r["shutdown_s"], r["shutdown_rc"] = d.stop()
    t = time.monotonic()
    d = Tidelogd(tidelogd_bin, data_dir, log_path)
    try:
        r["restart_listening_s"] = time.monotonic() - t
        k = Kinesis(d.endpoint)
        n = open_shards(k)
        last = k.call("DescribeStreamSummary", {"StreamName": streams[-1][0]})
        r["restart_s"] = time.monotonic() - t
        k.close()
        if n != total or last["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
            raise RuntimeError(f"after restart: {n} open shards, expected {total}")
        time.sleep(1)
        r["rss_after_restart_kib"] = read_status_kib(d.pid).get("VmRSS")
        log(f"  shutdown {r['shutdown_s']:.2f}s, restart to serving {r['restart_s']:.3f}s, "
            f"RSS after restart {r['rss_after_restart_kib']} KiB")
    finally:
        d.stop()
    shutil.rmtree(data_dir, ignore_errors=True)
    r["ok"] = True
    return r


# ---- phases -----------------------------------------------------------------

def target_loads(res, tool, endpoint, poll_ms, sampler, main, prefill, rate):
    """The four target loads, into res[key] as each ends (so an interrupt keeps the rest)."""
    for key, kw in [
        ("putrecords", dict(mode="putrecords", batch=500, record_bytes=100)),
        ("putrecord", dict(mode="putrecord", record_bytes=1024)),
        ("getrecords", dict(mode="getrecords", record_bytes=100, prefill=prefill)),
        ("put_to_get", dict(mode="put-to-get", record_bytes=100, rate=rate, poll_ms=poll_ms)),
    ]:
        if sampler:
            sampler.phase = key
        res[key] = run_load(tool, endpoint, duration=main, connections=8, label=key, **kw)


def sweeps(tool, endpoint, duration, sampler):
    """PutRecords 100 B: batch sweep at 8 connections, connection sweep at batch 500."""
    cache = {}

    def point(batch, conns):
        if (batch, conns) not in cache:
            if sampler:
                sampler.phase = "sweeps"
            cache[(batch, conns)] = run_load(tool, endpoint, "putrecords", duration,
                                             connections=conns, batch=batch, record_bytes=100,
                                             label=f"sweep batch {batch} x {conns} conn")
        return cache[(batch, conns)]

    def entry(x, r):
        return {"x": x, "records_per_s": r.get("records_per_s") if r["ok"] else None,
                "p50_ms": r.get("p50_ms"), "p99_ms": r.get("p99_ms") if r["ok"] else None,
                "calls_per_s": r.get("calls_per_s"), "ok": r["ok"]}

    return {"batch": [entry(b, point(b, 8)) for b in BATCHES],
            "connections": [entry(c, point(500, c)) for c in CONNECTIONS]}


def ensure_kinesalite(build_dir):
    """Installs kinesalite into build/peers with npm. Returns (node, cli, note) or (None, None, why)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return None, None, "node/npm not found"
    prefix = os.path.join(build_dir, "peers")
    pkg_dir = os.path.join(prefix, "node_modules", "kinesalite")
    cli = os.path.join(pkg_dir, "cli.js")

    def installed_version():
        with contextlib.suppress(OSError, ValueError), open(os.path.join(pkg_dir, "package.json")) as f:
            return json.load(f).get("version")

    if installed_version() != KINESALITE_VERSION:
        log(f"npm install --prefix {prefix} kinesalite@{KINESALITE_VERSION}")
        os.makedirs(prefix, exist_ok=True)
        try:
            p = subprocess.run([npm, "install", "--prefix", prefix, "--no-audit", "--no-fund",
                                f"kinesalite@{KINESALITE_VERSION}"], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            return None, None, "npm install timed out"
        if p.returncode != 0 or installed_version() != KINESALITE_VERSION:
            return None, None, "npm install failed: " + " | ".join(
                (p.stderr or p.stdout).strip().splitlines()[-3:])
    return node, cli, f"kinesalite {KINESALITE_VERSION}"


def leveldown_works(node, build_dir):
    """kinesalite stores in LevelDB only if leveldown's native module loads (else memdown)."""
    mod = os.path.join(build_dir, "peers", "node_modules", "leveldown")
    try:
        p = subprocess.run([node, "-e", f"require({json.dumps(mod)})"], capture_output=True,
                           text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return False, "loading leveldown timed out"
    if p.returncode == 0:
        return True, ""
    return False, (p.stderr.strip().splitlines() or ["?"])[-1]


# ---- table ------------------------------------------------------------------

def fmt_num(v, unit):
    if v is None:
        return "error"
    if unit == "rec/s" or unit == "req/s":
        return f"{v:,.0f} {unit}"
    if unit == "ms":
        return f"{v:.2f} ms"
    if unit == "us":
        return f"{v:.0f} us"
    if unit == "x":
        return f"{v:.2f}x"
    if unit == "MiB":
        return f"{v:.1f} MiB"
    if unit == "s":
        return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"
    if unit == "B":
        return f"{v:,.0f} B"
    return f"{v}"


def build_rows(res):
    """(figure, target text, op, target value, measured, unit, peer value)."""
    t, k, raw, sh = res["tidelog"], res.get("kinesalite") or {}, res["raw"], res.get("shards")
    poll = res["settings"]["poll_interval_ms"]
    rate = res["settings"]["p2g_rate"]

    def val(src, key, field):
        r = src.get(key) if src else None
        return r.get(field) if r and r.get("ok") else None

    fsync_us = (res.get("fsync") or {}).get("median_us")
    put_rps = val(t, "putrecords", "records_per_s")
    raw_rps = raw.get("records_per_s") if raw.get("ok") else None
    vs_raw = put_rps / raw_rps if put_rps and raw_rps else None
    rows = [
        ("PutRecords 500 x 100 B, 8 conn", ">= 400,000", ">=", 400_000, put_rps, "rec/s",
         val(k, "putrecords", "records_per_s")),
        ("  / raw RocksDB sync WriteBatch", ">= 0.50x", ">=", 0.5, vs_raw, "x", None),
        ("  raw RocksDB sync 500 x 100 B", "-", None, None, raw_rps, "rec/s", None),
        ("  PutRecords call p99", "-", None, None, val(t, "putrecords", "p99_ms"), "ms",
         val(k, "putrecords", "p99_ms")),
        ("PutRecord 1 KiB, 8 conn", ">= 50,000", ">=", 50_000,
         val(t, "putrecord", "records_per_s"), "req/s", val(k, "putrecord", "records_per_s")),
        ("  disk append+fdatasync (median)", "-", None, None, fsync_us, "us", None),
        ("  ceiling: 8 conn / fdatasync", "-", None, None,
         8 / (fsync_us / 1e6) if fsync_us else None, "req/s", None),
        ("PutRecord 1 KiB p99", "< 2 ms", "<", 2.0, val(t, "putrecord", "p99_ms"), "ms",
         val(k, "putrecord", "p99_ms")),
        ("  PutRecord 1 KiB p50", "-", None, None, val(t, "putrecord", "p50_ms"), "ms",
         val(k, "putrecord", "p50_ms")),
        ("GetRecords drain 100 B, Limit 10000", ">= 1,000,000", ">=", 1_000_000,
         val(t, "getrecords", "records_per_s"), "rec/s", val(k, "getrecords", "records_per_s")),
        (f"put-to-get p50 ({rate}/s, poll {poll} ms)", "< 1 ms", "<", 1.0,
         val(t, "put_to_get", "p50_ms"), "ms", val(k, "put_to_get", "p50_ms")),
        (f"put-to-get p99 ({rate}/s, poll {poll} ms)", "< 5 ms", "<", 5.0,
         val(t, "put_to_get", "p99_ms"), "ms", val(k, "put_to_get", "p99_ms")),
    ]
    hwm = res.get("tidelog_rss", {}).get("hwm_target_loads_kib")
    khwm = (res.get("kinesalite_rss") or {}).get("hwm_kib")
    rows.append(("tidelogd peak RSS (VmHWM), loads above", "<= 256 MiB", "<=", 256.0,
                 hwm / 1024 if hwm else None, "MiB", khwm / 1024 if khwm else None))
    hwm_all = res.get("tidelog_rss", {}).get("hwm_all_kib")
    rows.append(("  ... incl. sweeps up to 16 conn", "-", None, None,
                 hwm_all / 1024 if hwm_all else None, "MiB", None))
    if sh is not None:
        n = sh.get("shards", 0)
        ok = sh.get("ok")
        rows += [
            (f"{n:,} shards ({sh.get('streams')} streams): create", "-", None, None,
             sh.get("create_s") if ok else None, "s", None),
            (f"{n:,} shards: restart to serving", "-", None, None,
             sh.get("restart_s") if ok else None, "s", None),
            (f"{n:,} shards: memory per shard", "-", None, None,
             sh.get("bytes_per_shard") if ok else None, "B", None),
        ]
    return rows


def render_table(res):
    peers = res.get("kinesalite") is not None
    head = ["figure", "target", "measured", "met", "ratio"]
    if peers:
        head += ["kinesalite", "tidelog/kinesalite"]
    lines, unmet = [], 0
    for fig, target, op, tv, m, unit, pv in build_rows(res):
        if op is None:
            met, ratio = "-", "-"
        elif m is None:
            met, ratio = "n/a", "-"
        else:
            good = m >= tv if op == ">=" else (m < tv if op == "<" else m <= tv)
            met = "met" if good else "NOT MET"
            unmet += not good
            r = m / tv if op == ">=" else (tv / m if m > 0 else float("inf"))
            ratio = f"{r:.2f}x"
        row = [fig, target, fmt_num(m, unit), met, ratio]
        if peers:
            row.append(fmt_num(pv, unit) if pv is not None else "-")
            row.append(f"{m / pv:.2f}x" if pv and m is not None else "-")
        lines.append(row)
    widths = [max(len(str(r[i])) for r in lines + [head]) for i in range(len(head))]
    right = {2, 4, 5, 6}

    def fmt(r):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    out = [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in lines]
    return "\n".join(out), unmet


def protocol_section(res, proto):
    """The protocol table, its notes, and h2load's HTTP/1.1 PutRecords beside tidelog_load's."""
    if proto.get("error") or proto.get("not_run"):
        return run_protocol_bench.notes(proto)
    lines = [proto.get("table", "(no cells)"), ""] + run_protocol_bench.notes(proto)
    h1 = next((r for r in proto.get("rows", []) if r["protocol"] == "h1" and
               r["workload"] == "putrecords" and r.get("records_per_s")), None)
    tl = res["tidelog"].get("putrecords") or {}
    if h1 and tl.get("ok"):
        lines.append(f"HTTP/1.1 PutRecords 500 x 100 B, 8 connections: tidelog_load "
                     f"{tl['records_per_s']:,.0f} records/s (p99 {tl['p99_ms']:.2f} ms, phase 2) "
                     f"vs h2load --h1 {h1['records_per_s']:,.0f} records/s (p99 "
                     f"{h1['p99_ms']:.2f} ms): {h1['records_per_s'] / tl['records_per_s']:.2f}x")
    return lines


# ---- main -------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short durations: a smoke run (~2 min)")
    ap.add_argument("--no-peers", action="store_true", help="skip kinesalite")
    ap.add_argument("--out", default=None, help="results directory (default BUILD/bench-results)")
    ap.add_argument("--build", default=os.path.join(REPO, "build"), help="build directory")
    ap.add_argument("--shards", type=int, default=10_000,
                    help="shards of the many-shards phase (default 10000; 0 skips it)")
    ap.add_argument("--poll-interval-ms", type=int, default=1,
                    help="put-to-get reader's pause after an empty GetRecords (default 1)")
    ap.add_argument("--no-protocols", action="store_true",
                    help="skip the protocol phase (h2load: HTTP/1.1, h2c, TLS)")
    ap.add_argument("--h2load", default="h2load", help="h2load binary of the protocol phase")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is not met")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    build = os.path.abspath(args.build)
    out_dir = os.path.abspath(args.out or os.path.join(build, "bench-results"))
    tool = os.path.join(build, "bench/load/tidelog_load")
    bench = os.path.join(build, "bench/micro/tidelog_bench")
    tidelogd_bin = os.path.join(build, "server/daemon/tidelogd")
    for b in (tool, bench, tidelogd_bin):
        if not os.access(b, os.X_OK):
            sys.exit(f"missing {b}: build first (scripts/build.sh release)")
    prof = PROFILES["quick" if args.quick else "full"]
    os.makedirs(out_dir, exist_ok=True)
    logs_dir = os.path.join(out_dir, "logs")
    os.makedirs(logs_dir, exist_ok=True)
    for f in os.listdir(logs_dir):
        with contextlib.suppress(OSError):
            os.remove(os.path.join(logs_dir, f))

    tmp_root = tempfile.mkdtemp(prefix="tidelog-broker-bench-")
    res = {"settings": {"profile": "quick" if args.quick else "full", **prof,
                        "poll_interval_ms": args.poll_interval_ms, "shards": args.shards,
                        "tmpdir": tmp_root, "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                        "cpus": os.cpu_count()},
           "tidelog": {}, "kinesalite": None, "raw": {"ok": False}, "shards": None,
           "sweeps": {}, "protocols": {}}
    res["settings"]["p2g_rate"] = prof["p2g_rate"]
    interrupted = False
    try:
        # 1. Raw RocksDB baseline, on the same disk as the broker's data dir.
        res["raw"] = raw_baseline(bench, tmp_root, prof["raw_min_time"], prof["raw_reps"])
        res["fsync"] = fsync_probe(tmp_root)

        # 2. tidelogd under the target loads and the sweeps.
        d = Tidelogd(tidelogd_bin, os.path.join(tmp_root, "tidelogd-data"),
                     os.path.join(logs_dir, "tidelogd.log"))
        log(f"tidelogd pid {d.pid} on {d.endpoint} (ready in {d.ready_s:.2f}s)")
        sampler = RssSampler(d.pid)
        hwm_target = hwm_all = None
        try:
            target_loads(res["tidelog"], tool, d.endpoint, args.poll_interval_ms, sampler,
                         prof["main"], prof["prefill"], prof["p2g_rate"])
            hwm_target = read_status_kib(d.pid).get("VmHWM")
            res["sweeps"]["Tidelog"] = sweeps(tool, d.endpoint, prof["sweep"], sampler)
            hwm_all = read_status_kib(d.pid).get("VmHWM")
        finally:
            peaks = sampler.stop()
            shutdown_s, rc = d.stop()
            res["tidelog_rss"] = {"hwm_target_loads_kib": hwm_target, "hwm_all_kib": hwm_all,
                                  "sampled_peak_rss_kib_by_phase": peaks,
                                  "shutdown_s": shutdown_s, "exit_code": rc}
        if rc != 0:
            res["broker_exit_problem"] = f"tidelogd exited {rc} after SIGTERM ({shutdown_s:.1f} s)"
        log(f"tidelogd VmHWM {hwm_target} KiB (target loads), {hwm_all} KiB (with sweeps); "
            f"stopped in {shutdown_s:.2f}s, exit {rc}")

        # 5. (run here, next to phase 2 in time) The protocols, through h2load.
        if args.no_protocols:
            res["protocols"] = {"not_run": "skipped (--no-protocols)"}
        else:
            try:
                run_protocol_bench.run(res["protocols"], tidelogd_bin, tmp_root, logs_dir,
                                       res["settings"]["profile"], args.h2load, PROCS, log)
            except RuntimeError as e:  # its probe broker did not start
                res["protocols"]["error"] = str(e)
                log(f"protocols FAILED: {e}")

        # 3. Many shards.
        if args.shards > 0:
            try:
                res["shards"] = many_shards(tidelogd_bin, tmp_root, logs_dir, args.shards)
            except (RuntimeError, OSError, ValueError, KeyError) as e:
                log(f"many shards FAILED: {e!r}")
                res["shards"] = {"ok": False, "shards": args.shards, "error": str(e)}

        # 4. kinesalite.
        if args.no_peers:
            res["kinesalite_note"] = "skipped (--no-peers)"
        else:
            node, cli, note = ensure_kinesalite(build)
            if node is None:
                res["kinesalite_note"] = f"not run: {note}"
                log(f"kinesalite {res['kinesalite_note']}")
            else:
                lvl, why = leveldown_works(node, build)
                db = os.path.join(tmp_root, "kinesalite-db") if lvl else None
                note += " (LevelDB store, no fsync)" if lvl else \
                    f" (in-memory: leveldown does not load: {why})"
                res["kinesalite_note"] = note
                log(note)
                try:
                    k = Kinesalite(node, cli, db, os.path.join(logs_dir, "kinesalite.log"))
                except (RuntimeError, OSError) as e:
                    res["kinesalite_note"] = f"not run: did not start: {e}"
                    log(f"kinesalite {res['kinesalite_note']}")
                else:
                    ksampler = RssSampler(k.pid)
                    try:
                        res["kinesalite"] = {}
                        target_loads(res["kinesalite"], tool, k.endpoint, args.poll_interval_ms,
                                     ksampler, prof["peer_main"], prof["peer_prefill"],
                                     prof["p2g_rate"])
                        res["kinesalite_rss"] = {"hwm_kib": read_status_kib(k.pid).get("VmHWM")}
                        res["sweeps"]["kinesalite"] = sweeps(tool, k.endpoint, prof["peer_sweep"],
                                                             ksampler)
                    finally:
                        res.setdefault("kinesalite_rss", {})["sampled_peak_rss_kib_by_phase"] = \
                            ksampler.stop()
                        k.stop()
    except KeyboardInterrupt as e:
        interrupted = True
        log(f"interrupted ({e or 'SIGINT'}): stopping every process started")
    finally:
        PROCS.stop_all()
        shutil.rmtree(tmp_root, ignore_errors=True)

    res["settings"]["elapsed_s"] = round(time.monotonic() - T0, 1)
    res["sweep_subtitle"] = (
        f"PutRecords of 100 B records, 4 shards, tidelogd sync durability, quotas off\n"
        f"batch sweep at 8 connections, connection sweep at batch 500; "
        f"{prof['sweep']} s per Tidelog point"
        + (f", {prof['peer_sweep']} s per kinesalite point" if "kinesalite" in res["sweeps"] else ""))
    table, unmet = render_table(res)
    res["table"] = table
    proto = run_protocol_bench.finish(res["protocols"])
    run_protocol_bench.write_results(proto, out_dir, interrupted)
    unmet += proto.get("targets", {}).get("FAIL", 0)
    json_path = os.path.join(out_dir, "broker-bench.json")
    svg_path = os.path.join(out_dir, "broker-bench-sweep.svg")
    with open(json_path, "w") as f:
        json.dump(res, f, indent=1)
    if res["sweeps"]:
        with open(svg_path, "w") as f:
            f.write(plot_svg.sweep_svg(res["sweeps"], res["sweep_subtitle"]))
    header = (f"tidelogd broker benchmark ({res['settings']['profile']} run, "
              f"{res['settings']['elapsed_s']} s, {os.cpu_count()} CPUs, load tool on the same "
              f"machine; sync durability, 4 shards, quotas off)")
    notes = [f"kinesalite: {res.get('kinesalite_note', '-')}"]
    if res["raw"].get("ok"):
        notes.append(f"raw baseline: {res['raw']['name']}, median of {len(res['raw']['runs'])}")
    else:
        notes.append(f"raw baseline FAILED: {res['raw'].get('error')}")
    failed = [f"{sys_}/{key}: {r.get('error')}" for sys_, d in
              (("tidelog", res["tidelog"]), ("kinesalite", res["kinesalite"] or {}))
              for key, r in d.items() if not r.get("ok")]
    if res["shards"] and not res["shards"].get("ok"):
        failed.append(f"shards: {res['shards'].get('error')}")
    failed += [f"protocols/{r['workload']}/{r['protocol']}: {r.get('why', r['status'])}"
               for r in proto.get("rows", []) if r["status"] in ("failed", "partly failed")]
    if proto.get("error"):
        failed.append(f"protocols: {proto['error']}")
    notes += [f"FAILED {f}" for f in failed]
    if res["shards"] and res["shards"].get("ok") and res["shards"].get("shutdown_rc") != 0:
        res["broker_exit_problem"] = (f"many-shards tidelogd exited {res['shards']['shutdown_rc']}"
                                      " after SIGTERM")
    if res.get("broker_exit_problem"):
        notes.append("WARNING " + res["broker_exit_problem"])
    if interrupted:
        notes.append("INTERRUPTED: figures after the interrupt are missing")
    notes.append("ratio: measured/target for >= targets, target/measured for < targets "
                 "(>= 1.00x is met)")
    text = "\n".join([header, "", table, ""] + notes + [
        "", "Protocols (h2load as the load generator for every protocol, same run):", ""]
        + protocol_section(res, proto) + [
        "", f"results: {json_path}",
        f"         {os.path.join(out_dir, 'protocol-bench.json')}",
        f"plot:    {svg_path}" if res["sweeps"] else "plot:    (no sweep data)"])
    with open(os.path.join(out_dir, "broker-bench.txt"), "w") as f:
        f.write(text + "\n")
    print(text)
    if interrupted:
        return 130
    if failed or (res["shards"] and not res["shards"].get("ok")) or not res["raw"].get("ok"):
        return 1
    return 1 if args.strict and unmet else 0


if __name__ == "__main__":
    sys.exit(main())
