#!/usr/bin/env python3
# Protocol benchmark: tidelogd over HTTP/1.1, h2c, TLS+HTTP/1.1 and TLS+h2, all driven by h2load.
"""Compares tidelogd's protocols with one load generator, h2load (nghttp2):

  HTTP/1.1       h2load --h1 http://    -c 8 -m 1
  h2c            h2load      http://    -c 8 -m 1   and  -c 1 -m 8
  TLS+HTTP/1.1   h2load --h1 https://   -c 8 -m 1
  TLS+h2         h2load      https://   -c 8 -m 1   and  -c 1 -m 8

Every protocol has 8 requests in flight in total (HTTP/1.1 cannot pipeline
a POST body with h2load, so it gets 8 connections; h2 runs both as 8
connections of 1 stream and as 1 connection of 8 streams).

Workloads: Kinesis PutRecords of 500 x 100 B records (random partition
keys) and PutRecord of 1 KiB; the request body is built once and h2load
POSTs it unsigned (the broker runs without credentials on 127.0.0.1).

Each cell (workload x protocol x round) gets a fresh tidelogd (`--durability
sync --quotas off`, a 4-shard stream) in a fresh data dir, so every protocol
starts on the same empty RocksDB and no cell pays for the records (and the
compactions) of the cells before it. Cells of one workload run back to back,
and each round reverses the protocol order, so slow drift of the shared
machine falls on every protocol alike; ratios are against the HTTP/1.1 cell
of the same round.

Measured per cell: acknowledged records/s (2xx responses x records per
request / h2load's measured time; every response must be 2xx, and one extra
call checks FailedRecordCount == 0), p50/p99 request latency from h2load's
--log-file, the broker's CPU (utime+stime from /proc/PID/stat) per record,
h2load's own CPU (rusage) and the machine's busy fraction (/proc/stat).
Protocols the broker does not serve (yet) are reported as "not served".
Results: OUT/protocol-bench.json and OUT/protocol-bench.txt.
"""
import argparse
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_procs import Procs  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STREAM = "bench-protocols"
SHARDS = 4
CLK_TCK = os.sysconf("SC_CLK_TCK")

# duration: seconds h2load measures per cell; prime: an unmeasured h2load run
# first (same protocol and concurrency) so connection setup, the first
# memtable and the first WAL file are not in the figures; rounds: repetitions
# of every cell, in reversed protocol order every other round.
PROFILES = {
    "full": dict(duration=15, prime=1, rounds=2),
    "quick": dict(duration=3, prime=1, rounds=1),
}

# key, label, scheme, --h1, clients (-c), streams per client (-m), target family
PROTOCOLS = [
    ("h1", "HTTP/1.1", "http", True, 8, 1, "base"),
    ("h2c", "h2c", "http", False, 8, 1, "h2"),
    ("h2c-1x8", "h2c", "http", False, 1, 8, "h2"),
    ("tls-h1", "TLS+HTTP/1.1", "https", True, 8, 1, "tls"),
    ("tls-h2", "TLS+h2", "https", False, 8, 1, "tls"),
    ("tls-h2-1x8", "TLS+h2", "https", False, 1, 8, "tls"),
]
PROTOCOL_KEYS = [p[0] for p in PROTOCOLS]
EXPECTED_ALPN = {("http", True): "http/1.1", ("http", False): "h2c",
                 ("https", True): "http/1.1", ("https", False): "h2"}

# key, label, Kinesis operation, records per request, record bytes
WORKLOADS = [
    ("putrecords", "PutRecords 500 x 100 B", "PutRecords", 500, 100),
    ("putrecord", "PutRecord 1 KiB", "PutRecord", 1, 1024),
]
WORKLOAD_KEYS = [w[0] for w in WORKLOADS]

# Targets from the issue: records/s ratio vs HTTP/1.1 (same run, same
# workload) and p99 within 1.5x of HTTP/1.1's.
THROUGHPUT_TARGETS = {"h2": 0.9, "tls": 0.7}
P99_MAX_RATIO = 1.5

T0 = time.monotonic()


def default_log(msg):
    print(f"[{time.monotonic() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


# ---- processes --------------------------------------------------------------

# Procs (every child process, stopped on any exit) is in bench_procs.py;
# run_broker_bench.py passes its own instance so that its signal handling
# covers these children too.


def forget(procs, p):
    with contextlib.suppress(ValueError):
        procs.procs.remove(p)


def wait_with_rusage(procs, p, timeout):
    """Reaps `p` with wait4 (so its own CPU time is known). Returns
    (return code or None on timeout, user s, system s)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            forget(procs, p)
            return p.returncode, ru.ru_utime, ru.ru_stime
        if time.monotonic() > deadline:
            procs.stop(p, timeout=5)
            return None, 0.0, 0.0
        time.sleep(0.01)


def proc_cpu_s(pid):
    """utime + stime of a live process, in seconds (None if gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14, 15 of stat(5)


def machine_cpu():
    """(busy ticks, total ticks) over all CPUs since boot."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)  # idle + iowait
    total = sum(vals[:8])  # guest time is already inside user/nice
    return total - idle, total


def tail(path, n=6):
    with contextlib.suppress(OSError), open(path, errors="replace") as f:
        return " | ".join(f.read().strip().splitlines()[-n:])
    return "(no log)"


# ---- broker -----------------------------------------------------------------

class Broker:
    """One tidelogd on 127.0.0.1:0 with `flags` extra (TLS), on its own data dir."""

    def __init__(self, procs, binary, data_dir, log_path, flags):
        self.procs = procs
        offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
        started = time.monotonic()
        with open(log_path, "a") as log_file:
            self.proc = procs.spawn(
                [binary, "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                 "--durability", "sync", "--quotas", "off", "--stream-transition-ms", "0",
                 *flags],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file)
        self.pid = self.proc.pid
        self.endpoint = self.tls_endpoint = self.cert = None
        want_tls_listener = "--listen-tls" in flags
        want_cert = "--tls-self-signed" in flags
        deadline = time.monotonic() + 60
        while True:
            with open(log_path, "rb") as f:
                f.seek(offset)
                for line in f.read().decode(errors="replace").splitlines():
                    if line.startswith("tidelogd: listening on "):
                        self.endpoint = line.rsplit(" ", 1)[1].strip()
                    elif line.startswith("tidelogd: listening for TLS on "):
                        self.tls_endpoint = line.rsplit(" ", 1)[1].strip()
                    elif line.startswith("tidelogd: tls certificate "):
                        self.cert = line.split(" ", 3)[3].strip()
            if self.endpoint and (self.tls_endpoint or not want_tls_listener) and \
                    (self.cert or not want_cert):
                break
            if self.proc.poll() is not None:
                forget(procs, self.proc)
                raise RuntimeError(f"tidelogd exited {self.proc.returncode}: {tail(log_path)}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"tidelogd not ready after 60 s: {tail(log_path)}")
            time.sleep(0.005)
        self.ready_s = time.monotonic() - started

    def call(self, op, body, timeout=60):
        req = urllib.request.Request(
            f"http://{self.endpoint}/", data=body if isinstance(body, bytes) else
            json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": "Kinesis_20131202." + op})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                data = r.read()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{op}: HTTP {e.code} {e.read()[:300]!r}") from None
        return json.loads(data) if data else {}

    def create_stream(self):
        self.call("CreateStream", {"StreamName": STREAM, "ShardCount": SHARDS})
        deadline = time.monotonic() + 60
        while self.call("DescribeStreamSummary", {"StreamName": STREAM})[
                "StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise RuntimeError(f"{STREAM} not ACTIVE after 60 s")
            time.sleep(0.02)

    def stop(self):
        return self.procs.stop(self.proc, timeout=30)


def start_broker(procs, binary, data_dir, log_path, flag_sets):
    """Starts with the first flag set tidelogd accepts. Returns (broker, flags, refusals)."""
    refusals = []
    for flags in flag_sets:
        shutil.rmtree(data_dir, ignore_errors=True)
        # tidelogd makes DATA_DIR itself, but (at the time of writing)
        # --tls-self-signed wants DATA_DIR to exist already for DATA_DIR/tls.
        os.makedirs(data_dir)
        try:
            return Broker(procs, binary, data_dir, log_path, flags), flags, refusals
        except RuntimeError as e:
            refusals.append({"flags": flags, "error": str(e)})
    raise RuntimeError("tidelogd did not start: " + "; ".join(r["error"] for r in refusals))


# ---- request bodies ------------------------------------------------------------

def build_bodies(tmp_root):
    """Writes each workload's request body once; returns {workload: path}."""
    rnd = os.urandom
    paths = {}
    for key, _, op, n, size in WORKLOADS:
        if op == "PutRecords":
            body = {"StreamName": STREAM, "Records": [
                {"Data": base64.b64encode(rnd(size)).decode(), "PartitionKey": rnd(8).hex()}
                for _ in range(n)]}
        else:
            body = {"StreamName": STREAM, "Data": base64.b64encode(rnd(size)).decode(),
                    "PartitionKey": rnd(8).hex()}
        paths[key] = os.path.join(tmp_root, f"body-{key}.json")
        with open(paths[key], "w") as f:
            json.dump(body, f, separators=(",", ":"))
    return paths


def check_sample(broker, workload, body_path):
    """One more call of the workload over HTTP/1.1 after the load: every record accepted?"""
    _, _, op, n, _ = workload
    with open(body_path, "rb") as f:
        body = f.read()
    try:
        r = broker.call(op, body)
    except (RuntimeError, OSError, ValueError) as e:
        return {"ok": False, "error": str(e)}
    if op == "PutRecords":
        ok = r.get("FailedRecordCount") == 0 and len(r.get("Records", [])) == n and \
            all("SequenceNumber" in x for x in r["Records"])
        return {"ok": ok, "failed_record_count": r.get("FailedRecordCount"),
                "records": len(r.get("Records", []))}
    return {"ok": "SequenceNumber" in r and "ShardId" in r, "shard_id": r.get("ShardId")}


# ---- h2load -----------------------------------------------------------------

def h2load_args(h2load, proto, workload, body_path, url, threads):
    _, _, _, h1, clients, streams, _ = proto
    _, _, op, _, _ = workload
    args = [h2load, "-c", str(clients), "-m", str(streams), "-t", str(min(threads, clients)),
            "-d", body_path,
            "-H", "content-type: application/x-amz-json-1.1",
            "-H", f"x-amz-target: Kinesis_20131202.{op}"]
    if h1:
        args.append("--h1")
    return args + [url]


def duration_arg(seconds):
    return f"{int(round(seconds * 1000))}ms"


def parse_h2load(out):
    r = {}
    m = re.search(r"finished in ([\d.]+)(us|ms|s),\s*([\d.]+) req/s", out)
    if m:
        r["finished_s"] = float(m.group(1)) * {"us": 1e-6, "ms": 1e-3, "s": 1}[m.group(2)]
        r["req_per_s"] = float(m.group(3))
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                  r"(\d+) failed, (\d+) errored, (\d+) timeout", out)
    if m:
        r.update(zip(["total", "started", "done", "succeeded", "failed", "errored", "timeout"],
                     map(int, m.groups())))
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    if m:
        r.update(zip(["s2xx", "s3xx", "s4xx", "s5xx"], map(int, m.groups())))
    m = re.search(r"Application protocol: (\S+)", out)
    r["alpn"] = m.group(1) if m else None
    m = re.search(r"TLS Protocol: (\S+)", out)
    if m:
        r["tls_protocol"] = m.group(1)
    m = re.search(r"Cipher: (\S+)", out)
    if m:
        r["tls_cipher"] = m.group(1)
    return r


def run_h2load(procs, args, timeout, log_file=None):
    """Runs h2load; returns (parsed dict, raw output, user+system CPU s, wall s)."""
    if log_file:
        args = args[:-1] + ["--log-file", log_file, args[-1]]
    t = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        p = procs.spawn(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        rc, ut, st = wait_with_rusage(procs, p, timeout)
        wall = time.monotonic() - t
        out.seek(0)
        text = out.read()
    r = parse_h2load(text)
    r["rc"] = rc
    if rc is None:
        r["timed_out_after_s"] = timeout
    return r, text, ut + st, wall


def h2load_problem(r, text, expect_alpn):
    """Why this h2load run does not count (None if it does)."""
    if r.get("rc") is None:
        return f"h2load timed out after {r.get('timed_out_after_s')} s"
    if r.get("alpn") is None and not r.get("s2xx"):
        lines = [l.strip() for l in text.splitlines()
                 if l.strip() and not l.startswith(("starting", "spawning", "progress", "Warm"))]
        return "no response (" + (" | ".join(lines[:3]) or f"h2load exit {r['rc']}") + ")"
    if r.get("alpn") != expect_alpn:
        return f"negotiated {r.get('alpn')}, not {expect_alpn}"
    if not r.get("s2xx") and r.get("errored") == r.get("total"):
        return (f"all {r.get('total')} requests errored: no {expect_alpn} response from "
                f"this port")
    if not r.get("s2xx"):
        return (f"0 of {r.get('total')} requests got 2xx "
                f"({r.get('s4xx', 0)} 4xx, {r.get('s5xx', 0)} 5xx, "
                f"{r.get('errored', 0)} errored)")
    bad = sum(r.get(k, 0) for k in ("s3xx", "s4xx", "s5xx", "errored", "timeout"))
    if bad:
        return (f"{bad} requests not 2xx ({r.get('s3xx')} 3xx, {r.get('s4xx')} 4xx, "
                f"{r.get('s5xx')} 5xx, {r.get('errored')} errored, {r.get('timeout')} timeout)")
    return None


def latency_ms(log_path):
    """p50/p99/mean of h2load --log-file's 3rd column (us until end of response), 2xx only."""
    us = []
    with contextlib.suppress(OSError), open(log_path) as f:
        for line in f:
            cols = line.split("\t")
            if len(cols) >= 3 and cols[1].startswith("2"):
                us.append(int(cols[2]))
    if not us:
        return {}
    us.sort()

    def q(p):  # nearest rank
        return us[min(len(us) - 1, max(0, int(round(p * len(us) + 0.5)) - 1))] / 1000

    return {"p50_ms": q(0.50), "p90_ms": q(0.90), "p99_ms": q(0.99), "max_ms": us[-1] / 1000,
            "mean_ms": sum(us) / len(us) / 1000, "logged": len(us)}


# ---- the benchmark ----------------------------------------------------------

def url_for(proto, endpoints):
    scheme = proto[2]
    return f"{scheme}://{endpoints[scheme]}/"


def probe(procs, log, h2load, binary, tmp_root, logs_dir, bodies, threads, protocols):
    """One broker: which TLS flags tidelogd takes, and which protocols it serves (where)."""
    log_path = os.path.join(logs_dir, "tidelogd-protocols-probe.log")
    flag_sets = [["--tls-self-signed", "--listen-tls", "127.0.0.1:0"], ["--tls-self-signed"], []]
    b, flags, refusals = start_broker(procs, binary, os.path.join(tmp_root, "probe-data"),
                                      log_path, flag_sets)
    caps = {"flags": flags, "refused_flags": refusals, "cert": b.cert, "protocols": {}}
    try:
        b.create_stream()
        wl = WORKLOADS[-1]  # PutRecord: the smallest body
        for proto in PROTOCOLS:
            if proto[0] not in protocols:
                continue
            key, scheme, h1 = proto[0], proto[2], proto[3]
            expect = EXPECTED_ALPN[(scheme, h1)]
            if scheme == "https" and not b.cert:
                caps["protocols"][key] = {"served": False, "why": "tidelogd has no TLS "
                                          "(--tls-self-signed refused: " +
                                          (refusals[0]["error"][:200] if refusals else "?") + ")"}
                continue
            # TLS on the --listen port (detected from the first byte) if it works there,
            # else on the TLS-only --listen-tls port, if the broker has one.
            candidates = [("listen", b.endpoint)]
            if scheme == "https" and b.tls_endpoint:
                candidates.append(("listen-tls", b.tls_endpoint))
            tried = []
            for where, ep in candidates:
                args = h2load_args(h2load, proto, wl, bodies[wl[0]], f"{scheme}://{ep}/", threads)
                args[1:1] = ["-n", "8"]
                r, text, _, _ = run_h2load(procs, args, timeout=15)
                why = h2load_problem(r, text, expect)
                if why is None and r.get("s2xx") != 8:
                    why = f"{r.get('s2xx')} of 8 probe requests got 2xx"
                if why is None:
                    caps["protocols"][key] = {"served": True, "port": where, "alpn": r["alpn"],
                                              "tls_protocol": r.get("tls_protocol"),
                                              "tls_cipher": r.get("tls_cipher")}
                    break
                tried.append(f"{where} port: {why}")
            else:
                caps["protocols"][key] = {"served": False, "why": "; ".join(tried)}
            c = caps["protocols"][key]
            log(f"  probe {key}: " + (f"served ({c['alpn']}, {c['port']} port)" if c["served"]
                                     else f"not served: {c['why']}"))
    finally:
        b.stop()
        shutil.rmtree(os.path.join(tmp_root, "probe-data"), ignore_errors=True)
    return caps


def run_cell(procs, log, h2load, binary, tmp_root, logs_dir, bodies, proto, workload, caps,
             prof, threads, label):
    key = proto[0]
    cell = {"protocol": key, "workload": workload[0], "clients": proto[4], "streams": proto[5]}
    data_dir = os.path.join(tmp_root, "cell-data")
    log_path = os.path.join(logs_dir, "tidelogd-protocols.log")
    b, _, _ = start_broker(procs, binary, data_dir, log_path, [caps["flags"]])
    try:
        cell["broker_ready_s"] = round(b.ready_s, 3)
        b.create_stream()
        endpoints = {"http": b.endpoint,
                     "https": b.tls_endpoint if caps["protocols"][key].get("port") == "listen-tls"
                     else b.endpoint}
        args = h2load_args(h2load, proto, workload, bodies[workload[0]], url_for(proto, endpoints),
                           threads)
        expect = EXPECTED_ALPN[(proto[2], proto[3])]
        if prof["prime"] > 0:
            r, text, _, _ = run_h2load(procs, args[:1] + ["-D", duration_arg(prof["prime"])] + args[1:],
                                       timeout=prof["prime"] * 4 + 30)
            why = h2load_problem(r, text, expect)
            if why:
                cell.update(ok=False, error=f"priming run: {why}")
                log(f"  {label}: FAILED {cell['error']}")
                return cell
        run_args = args[:1] + ["-D", duration_arg(prof["duration"])] + args[1:]
        cell["h2load_args"] = run_args[1:]
        lat_log = os.path.join(tmp_root, "h2load-requests.tsv")
        with contextlib.suppress(FileNotFoundError):
            os.remove(lat_log)
        broker0, (busy0, total0) = proc_cpu_s(b.pid), machine_cpu()
        r, text, gen_cpu, wall = run_h2load(procs, run_args, prof["duration"] * 4 + 60, lat_log)
        broker1, (busy1, total1) = proc_cpu_s(b.pid), machine_cpu()
        cell["h2load"] = r
        why = h2load_problem(r, text, expect)
        if why is None and not r.get("finished_s"):
            why = "no 'finished in' line in h2load's output"
        if why:
            cell.update(ok=False, error=why, h2load_output=text[-2000:])
            log(f"  {label}: FAILED {why}")
            return cell
        records = r["s2xx"] * workload[3]
        cell.update(lat := latency_ms(lat_log))
        os.remove(lat_log)
        if not lat:
            cell.update(ok=False, error="h2load --log-file has no 2xx rows")
            return cell
        cell["records"] = records
        cell["records_per_s"] = records / r["finished_s"]
        cell["requests_per_s"] = r["s2xx"] / r["finished_s"]
        if broker0 is not None and broker1 is not None:
            cell["broker_cpu_s"] = broker1 - broker0
            cell["broker_cpu_us_per_record"] = (broker1 - broker0) / records * 1e6
            cell["broker_cpu_cores"] = (broker1 - broker0) / wall
        cell["h2load_cpu_s"] = gen_cpu
        cell["h2load_cpu_cores"] = gen_cpu / wall
        cell["h2load_wall_s"] = wall
        cell["h2load_threads"] = min(threads, proto[4])
        cell["machine_busy"] = (busy1 - busy0) / max(1, total1 - total0)
        # CPU of everything else on the machine (other builds, tests) meanwhile
        cell["other_cpu_cores"] = max(0.0, cell["machine_busy"] * (os.cpu_count() or 1) -
                                      cell["h2load_cpu_cores"] - cell.get("broker_cpu_cores", 0))
        cell["sample"] = check_sample(b, workload, bodies[workload[0]])
        cell["ok"] = cell["sample"]["ok"]
        if not cell["ok"]:
            cell["error"] = f"sample call after the load: {cell['sample']}"
        log(f"  {label}: {cell['records_per_s']:,.0f} records/s, p50 {cell['p50_ms']:.2f} ms, "
            f"p99 {cell['p99_ms']:.2f} ms, broker {cell.get('broker_cpu_us_per_record', 0):.2f} "
            f"us/record ({cell.get('broker_cpu_cores', 0):.2f} cores), h2load "
            f"{cell['h2load_cpu_cores']:.2f} cores, machine {cell['machine_busy']:.0%} busy"
            + ("" if cell["ok"] else f"; FAILED {cell['error']}"))
        return cell
    finally:
        cell["broker_stop_s"], cell["broker_exit_code"] = b.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def summarize(res):
    """Per (workload, protocol): medians over rounds; ratios vs same-round HTTP/1.1."""
    rows = []
    for wl in WORKLOADS:
        if wl[0] not in res["settings"]["workloads"]:
            continue
        by_round = {}
        for c in res["cells"]:
            if c["workload"] == wl[0]:
                by_round.setdefault(c["round"], {})[c["protocol"]] = c
        for proto in PROTOCOLS:
            key = proto[0]
            if key not in res["settings"]["protocols"]:
                continue
            cap = res["capabilities"]["protocols"].get(key, {})
            row = {"workload": wl[0], "protocol": key, "label": proto[1], "clients": proto[4],
                   "streams": proto[5], "family": proto[6], "alpn": cap.get("alpn"),
                   "port": cap.get("port")}
            rows.append(row)
            if not cap.get("served"):
                row["status"] = "not served"
                row["why"] = cap.get("why", "not probed")
                continue
            cells = [r[key] for r in by_round.values() if key in r]
            good = [c for c in cells if c.get("ok")]
            if not cells:
                row["status"] = "not run"
                row["why"] = "interrupted before this cell"
                continue
            if not good:
                row["status"] = "failed"
                row["why"] = "; ".join(sorted({c.get("error", "?") for c in cells})) or "not run"
                continue
            row["status"] = "ok" if len(good) == len(cells) else "partly failed"
            row["rounds"] = len(good)
            for f in ("records_per_s", "p50_ms", "p99_ms", "broker_cpu_us_per_record",
                      "broker_cpu_cores", "h2load_cpu_cores", "machine_busy",
                      "other_cpu_cores"):
                vals = [c[f] for c in good if c.get(f) is not None]
                row[f] = statistics.median(vals) if vals else None
            rps = [c["records_per_s"] for c in good]
            row["spread"] = (max(rps) - min(rps)) / row["records_per_s"] if len(rps) > 1 else None
            # ratios against the HTTP/1.1 cell of the same round, then the median
            tr, pr = [], []
            for rnd, r in by_round.items():
                c, base = r.get(key), r.get("h1")
                if c and c.get("ok") and base and base.get("ok"):
                    tr.append(c["records_per_s"] / base["records_per_s"])
                    pr.append(c["p99_ms"] / base["p99_ms"])
            row["ratio"] = statistics.median(tr) if tr else None
            row["p99_ratio"] = statistics.median(pr) if pr else None
            target = THROUGHPUT_TARGETS.get(proto[6])
            if target is not None:
                row["ratio_target"] = target
                row["ratio_pass"] = None if row["ratio"] is None else row["ratio"] >= target
                row["p99_target"] = P99_MAX_RATIO
                row["p99_pass"] = None if row["p99_ratio"] is None else \
                    row["p99_ratio"] <= P99_MAX_RATIO
    return rows


def verdict(passed, target, op):
    if passed is None:
        return "-" if target is None else f"{op}{target:.2f}x n/a"
    return f"{op}{target:.2f}x {'PASS' if passed else 'FAIL'}"


def render_table(rows):
    head = ["workload", "protocol", "conn x str", "ALPN", "records/s", "vs h1", "target",
            "p50 ms", "p99 ms", "p99 vs h1", "target", "broker us/rec", "broker cores",
            "h2load cores", "other cores", "spread"]
    lines, last_wl = [], None
    labels = {w[0]: w[1] for w in WORKLOADS}
    for r in rows:
        wl = labels[r["workload"]] if r["workload"] != last_wl else ""
        last_wl = r["workload"]
        alpn = (r.get("alpn") or "-") + (" (TLS port)" if r.get("port") == "listen-tls" else "")
        base = [wl, r["label"], f"{r['clients']} x {r['streams']}", alpn]
        if r["status"] in ("not served", "failed", "not run"):
            lines.append(base + [f"{r['status']}: {r['why']}"[:160]])
            continue

        def f(v, fmt):
            return "-" if v is None else format(v, fmt)

        lines.append(base + [
            f(r["records_per_s"], ",.0f"),
            f(r.get("ratio"), ".2f") + ("x" if r.get("ratio") is not None else ""),
            verdict(r.get("ratio_pass"), r.get("ratio_target"), ">="),
            f(r["p50_ms"], ".2f"), f(r["p99_ms"], ".2f"),
            f(r.get("p99_ratio"), ".2f") + ("x" if r.get("p99_ratio") is not None else ""),
            verdict(r.get("p99_pass"), r.get("p99_target"), "<="),
            f(r["broker_cpu_us_per_record"], ".2f"), f(r["broker_cpu_cores"], ".2f"),
            f(r["h2load_cpu_cores"], ".2f"), f(r.get("other_cpu_cores"), ".2f"),
            "-" if r.get("spread") is None else f"{r['spread']:.0%}"])
    full = [l for l in lines if len(l) == len(head)]
    widths = [max(len(str(l[i])) for l in (full if i >= 4 else lines) + [head])
              for i in range(len(head))]
    right = {4, 5, 7, 8, 9, 11, 12, 13, 14, 15}

    def fmt(l):
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(l, widths))]
        if len(l) < len(head):  # a "not served" row: its reason spans the rest
            cells = cells[:len(l) - 1] + [str(l[-1])]
        return "  ".join(cells).rstrip()

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths)] + [fmt(l) for l in lines])


def target_counts(rows):
    c = {"PASS": 0, "FAIL": 0, "n/a": 0}
    for r in rows:
        if r["family"] == "base":
            continue
        for k in ("ratio_pass", "p99_pass"):
            v = r.get(k)
            c["n/a" if v is None else ("PASS" if v else "FAIL")] += 1
    return c


def run(res, tidelogd_bin, tmp_root, logs_dir, profile="quick", h2load="h2load", procs=None,
        log=default_log, protocols=None, workloads=None, duration=None, rounds=None, threads=1):
    """Fills `res` (a dict, so an interrupt keeps what was measured) and returns it."""
    procs = procs or Procs()
    prof = dict(PROFILES[profile])
    if duration is not None:
        prof["duration"] = duration
    if rounds is not None:
        prof["rounds"] = rounds
    protocols = protocols or PROTOCOL_KEYS
    if "h1" not in protocols:
        protocols = ["h1"] + list(protocols)  # every ratio needs it
    workloads = workloads or WORKLOAD_KEYS
    res.update(settings={"profile": profile, **prof, "protocols": protocols,
                         "workloads": workloads, "h2load_threads": threads,
                         "stream_shards": SHARDS, "cpus": os.cpu_count(),
                         "broker_flags": "--durability sync --quotas off",
                         "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
               capabilities={"protocols": {}}, cells=[], rows=[])
    h2load_path = shutil.which(h2load)
    if not h2load_path:
        res["not_run"] = f"{h2load} not found (Debian: apt-get install nghttp2-client)"
        return res
    v = subprocess.run([h2load_path, "--version"], capture_output=True, text=True)
    res["settings"]["h2load"] = v.stdout.strip()
    os.makedirs(logs_dir, exist_ok=True)
    bodies = build_bodies(tmp_root)
    res["settings"]["body_bytes"] = {k: os.path.getsize(p) for k, p in bodies.items()}
    log(f"protocols: probing tidelogd {tidelogd_bin}")
    res["capabilities"] = probe(procs, log, h2load_path, tidelogd_bin, tmp_root, logs_dir,
                                bodies, threads, protocols)
    t_start = time.monotonic()
    served = [p for p in PROTOCOLS
              if p[0] in protocols and res["capabilities"]["protocols"][p[0]].get("served")]
    n_cells = prof["rounds"] * len(workloads) * len(served)
    log(f"protocols: {n_cells} cells of {prof['duration']} s ({prof['rounds']} round(s) x "
        f"{len(workloads)} workloads x {len(served)} served protocols)")
    i = 0
    for rnd in range(prof["rounds"]):
        order = served if rnd % 2 == 0 else served[::-1]
        for wl in WORKLOADS:
            if wl[0] not in workloads:
                continue
            for proto in order:
                i += 1
                label = f"[{i}/{n_cells}] round {rnd + 1} {wl[0]} {proto[0]} " \
                        f"(-c {proto[4]} -m {proto[5]})"
                try:
                    cell = run_cell(procs, log, h2load_path, tidelogd_bin, tmp_root, logs_dir,
                                    bodies, proto, wl, res["capabilities"], prof, threads, label)
                except (RuntimeError, OSError, ValueError, KeyError) as e:
                    cell = {"protocol": proto[0], "workload": wl[0], "ok": False,
                            "error": f"{type(e).__name__}: {e}"}
                    log(f"  {label}: FAILED {cell['error']}")
                cell["round"] = rnd
                res["cells"].append(cell)
                res["settings"]["cells_s"] = round(time.monotonic() - t_start, 1)
    return finish(res)


def finish(res):
    """Summary rows and the table, from whatever cells there are."""
    if res.get("error") or res.get("not_run") or "settings" not in res:
        why = res.get("error") or res.get("not_run") or "not run"
        res.setdefault("table", f"protocol benchmark {'FAILED' if res.get('error') else 'not run'}"
                                f": {why}")
        res.setdefault("rows", [])
        return res
    res["rows"] = summarize(res)
    res["table"] = render_table(res["rows"])
    res["targets"] = target_counts(res["rows"])
    return res


def notes(res):
    s = res.get("settings", {})
    out = []
    if res.get("error"):
        return [f"protocol benchmark FAILED: {res['error']}"]
    if res.get("not_run"):
        return [f"protocol benchmark not run: {res['not_run']}"]
    caps = res.get("capabilities", {})
    out.append(f"load generator: {s.get('h2load')}, -t {s.get('h2load_threads')} (one thread "
               f"per h2load run); {s.get('rounds')} round(s) of {s.get('duration')} s per cell "
               f"after a {s.get('prime')} s unmeasured priming run; a fresh tidelogd "
               f"({s.get('broker_flags')}, {s.get('stream_shards')} shards) per cell")
    if caps.get("flags") is not None:
        out.append(f"tidelogd TLS flags: {' '.join(caps['flags']) or '(none: no TLS)'}"
                   + (f"; certificate {caps['cert']}" if caps.get("cert") else ""))
    tls = sorted({f"{c.get('tls_protocol')} {c.get('tls_cipher')}"
                  for c in caps.get("protocols", {}).values() if c.get("tls_protocol")})
    if tls:
        out.append(f"TLS negotiated by h2load: {', '.join(tls)}")
    if any(c.get("port") == "listen-tls" for c in caps.get("protocols", {}).values()):
        out.append("(TLS port): the --listen port did not take TLS, so that row used the "
                   "TLS-only --listen-tls listener")
    t = res.get("targets")
    if t:
        out.append(f"targets (HTTP/2 >= {THROUGHPUT_TARGETS['h2']}x and TLS >= "
                   f"{THROUGHPUT_TARGETS['tls']}x of HTTP/1.1 records/s, p99 <= "
                   f"{P99_MAX_RATIO}x HTTP/1.1's): {t['PASS']} PASS, {t['FAIL']} FAIL, "
                   f"{t['n/a']} not measured")
    busy = [r.get("h2load_cpu_cores") for r in res.get("rows", []) if r.get("h2load_cpu_cores")]
    if busy and max(busy) > 0.85:
        out.append(f"WARNING h2load used up to {max(busy):.2f} of its one core: where it is "
                   f"near 1.00 the generator, not the broker, may be the limit")
    other = [r.get("other_cpu_cores") for r in res.get("rows", [])
             if r.get("other_cpu_cores") is not None]
    if other and max(other) > 0.25:
        out.append(f"WARNING other processes used up to {max(other):.2f} cores during the cells "
                   f"(other cores column): the machine was shared, so expect noise; compare "
                   f"ratios, not absolute figures, and prefer the full profile's rounds")
    out.append("vs h1 / p99 vs h1: median over rounds of the ratio to the same round's "
               "HTTP/1.1 cell; spread: (max - min) / median records/s over rounds; cores: "
               "CPU seconds per wall second during the measured run (other = machine busy "
               "- broker - h2load)")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the quick profile (~3 s per cell)")
    ap.add_argument("--profile", choices=sorted(PROFILES), default=None,
                    help="full (default: 15 s per cell, 2 rounds) or quick (3 s, 1 round)")
    ap.add_argument("--build", default=os.path.join(REPO, "build"), help="build directory")
    ap.add_argument("--tidelogd", default=None,
                    help="tidelogd binary (default BUILD/server/daemon/tidelogd)")
    ap.add_argument("--h2load", default="h2load", help="h2load binary (default: on PATH)")
    ap.add_argument("--out", default=None, help="results directory (default BUILD/bench-results)")
    ap.add_argument("--protocols", default=",".join(PROTOCOL_KEYS),
                    help=f"comma-separated subset of {','.join(PROTOCOL_KEYS)} (h1 always runs)")
    ap.add_argument("--workloads", default=",".join(WORKLOAD_KEYS),
                    help=f"comma-separated subset of {','.join(WORKLOAD_KEYS)}")
    ap.add_argument("--duration", type=float, default=None, help="seconds per cell")
    ap.add_argument("--rounds", type=int, default=None, help="repetitions of every cell")
    ap.add_argument("--threads", type=int, default=1, help="h2load -t (default 1)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target FAILs")
    args = ap.parse_args()
    profile = args.profile or ("quick" if args.quick else "full")
    protocols = [p for p in args.protocols.split(",") if p]
    workloads = [w for w in args.workloads.split(",") if w]
    for p in protocols:
        if p not in PROTOCOL_KEYS:
            ap.error(f"unknown protocol {p}")
    for w in workloads:
        if w not in WORKLOAD_KEYS:
            ap.error(f"unknown workload {w}")
    build = os.path.abspath(args.build)
    binary = os.path.abspath(args.tidelogd or os.path.join(build, "server/daemon/tidelogd"))
    if not os.access(binary, os.X_OK):
        sys.exit(f"missing {binary}: build first (scripts/build.sh release), or pass --tidelogd")
    out_dir = os.path.abspath(args.out or os.path.join(build, "bench-results"))
    logs_dir = os.path.join(out_dir, "logs")
    os.makedirs(logs_dir, exist_ok=True)
    for name in ("tidelogd-protocols.log", "tidelogd-protocols-probe.log"):
        with contextlib.suppress(OSError):
            os.remove(os.path.join(logs_dir, name))

    procs = Procs()

    def on_signal(signum, frame):
        if procs.interrupted:
            return
        procs.interrupted = True
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    tmp_root = tempfile.mkdtemp(prefix="tidelog-protocol-bench-")
    res, interrupted = {}, False
    try:
        run(res, binary, tmp_root, logs_dir, profile, args.h2load, procs,
            protocols=protocols, workloads=workloads, duration=args.duration,
            rounds=args.rounds, threads=args.threads)
    except KeyboardInterrupt as e:
        interrupted = True
        default_log(f"interrupted ({e or 'SIGINT'}): stopping every process started")
    except RuntimeError as e:  # the probe broker did not start
        res["error"] = str(e)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp_root, ignore_errors=True)
    finish(res)
    res.setdefault("settings", {})["elapsed_s"] = round(time.monotonic() - T0, 1)
    res["settings"].setdefault("started", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    res["settings"]["tidelogd"] = binary
    text = write_results(res, out_dir, interrupted)
    print(text)
    if interrupted:
        return 130
    if res.get("error") or any(r["status"] in ("failed", "partly failed") for r in res["rows"]):
        return 1
    return 1 if args.strict and res["targets"]["FAIL"] else 0


def write_results(res, out_dir, interrupted=False):
    """Writes OUT/protocol-bench.json and .txt; returns the text."""
    json_path = os.path.join(out_dir, "protocol-bench.json")
    with open(json_path, "w") as f:
        json.dump(res, f, indent=1)
    s = res.get("settings", {})
    took = f"{s['elapsed_s']} s" if "elapsed_s" in s else f"cells {s.get('cells_s', 0)} s"
    header = (f"tidelogd protocol benchmark ({s.get('profile')} run, {took}, "
              f"{os.cpu_count()} CPUs, h2load on the same machine; 8 requests in flight per "
              f"cell)")
    lines = [header, "", res.get("table", ""), ""] + notes(res)
    if interrupted:
        lines.append("INTERRUPTED: cells after the interrupt are missing")
    lines += ["", f"results: {json_path}"]
    text = "\n".join(lines)
    with open(os.path.join(out_dir, "protocol-bench.txt"), "w") as f:
        f.write(text + "\n")
    return text


if __name__ == "__main__":
    sys.exit(main())
