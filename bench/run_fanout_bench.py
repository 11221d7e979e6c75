#!/usr/bin/env python3
"""SubscribeToShard push benchmark against a real tidelogd.

Latency: a writer process puts one record per millisecond (1,000 records/s,
PutRecord over a keep-alive HTTP/1.1 socket), each record's Data carrying its
send time (CLOCK_MONOTONIC ns); subscriber processes read the event streams
over raw HTTP/1.1 sockets and record receive time - send time. Reported as
p50/p99/max with 1 and with 10 subscribers on one shard. Targets: p99 < 1 ms
with one subscriber, < 5 ms with ten.

Fan-out throughput: 100 subscribers on one shard (tidelogd
--exclusive-subscriptions off: a stream has at most 20 consumers), a writer
putting 500-record batches as fast as it can for --seconds; reported as
records/s put and records/s delivered (all subscribers together).

The latency figures come first from bench/load/tidelog_fanout (native C++
writer and subscribers, found next to tidelogd's build or given with
--fanout), then from the Python clients. The Python clients (one process per
group of subscribers) cost more than the broker on a small machine, so their
latency and throughput figures bound the clients, not the broker.

  bench/run_fanout_bench.py --tidelogd build/server/daemon/tidelogd [--durability async]
"""
import argparse
import json
import multiprocessing as mp
import os
import re
import selectors
import shutil
import socket
import sys
import tempfile
import time
import base64

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_procs import Procs  # noqa: E402

from botocore.eventstream import EventStreamBuffer  # noqa: E402

SHARD = "shardId-000000000000"


def request(sock, host, port, op, body):
    data = json.dumps(body).encode()
    sock.sendall(b"POST / HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-amz-json-1.1\r\n"
                 b"X-Amz-Target: Kinesis_20131202.%s\r\nContent-Length: %d\r\n\r\n"
                 % (host.encode(), port, op.encode(), len(data)) + data)


def read_response(sock, buf=b""):
    """One Content-Length response off a keep-alive socket; returns (status, body, rest)."""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    head, buf = buf.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    while len(buf) < length:
        buf += sock.recv(65536)
    return int(head.split()[1]), buf[:length], buf[length:]


def call(host, port, op, body):
    with socket.create_connection((host, port)) as s:
        request(s, host, port, op, body)
        status, out, _ = read_response(s)
    if status != 200:
        raise RuntimeError("%s: %d %s" % (op, status, out[:300]))
    return json.loads(out) if out else {}


class Subscriber:
    def __init__(self, host, port, arn):
        self.sock = socket.create_connection((host, port))
        request(self.sock, host, port, "SubscribeToShard",
                {"ConsumerARN": arn, "ShardId": SHARD, "StartingPosition": {"Type": "LATEST"}})
        self.sock.setblocking(False)
        self.raw, self.head, self.events = b"", None, EventStreamBuffer()
        self.started = False

    def on_readable(self, on_record):
        try:
            chunk = self.sock.recv(1 << 20)
        except BlockingIOError:
            return
        now = time.monotonic_ns()
        if not chunk:
            raise RuntimeError("subscription ended")
        self.raw += chunk
        if self.head is None:
            if b"\r\n\r\n" not in self.raw:
                return
            self.head, self.raw = self.raw.split(b"\r\n\r\n", 1)
            assert self.head.startswith(b"HTTP/1.1 200"), self.head
        while True:
            i = self.raw.find(b"\r\n")
            if i < 0:
                return
            size = int(self.raw[:i], 16)
            if len(self.raw) < i + 4 + size:
                return
            self.events.add_data(self.raw[i + 2:i + 2 + size])
            self.raw = self.raw[i + 4 + size:]
            for m in self.events:
                if m.headers.get(":event-type") != "SubscribeToShardEvent":
                    continue
                self.started = True
                for r in json.loads(m.payload)["Records"]:
                    on_record(base64.b64decode(r["Data"]), now)


def subscriber_proc(host, port, arns, ready, stop, out):
    """Subscribes once per ARN; sends back latencies (ns) or record counts."""
    subs = [Subscriber(host, port, a) for a in arns]
    sel = selectors.DefaultSelector()
    for s in subs:
        sel.register(s.sock, selectors.EVENT_READ, s)
    lat, count = [], [0]

    def on_record(data, now):
        count[0] += 1
        if data[:1] == b"t":
            lat.append(now - int(data[1:]))

    signalled = False
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.1):
            key.data.on_readable(on_record)
        if not signalled and all(s.started for s in subs):
            ready.release()
            signalled = True
    out.put((lat, count[0]))


def writer_latency(host, port, stream, seconds, rate):
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rest = b""
    interval = 1e9 / rate
    start = time.monotonic_ns()
    n = 0
    while time.monotonic_ns() - start < seconds * 1e9:
        due = start + n * interval
        wait = due - time.monotonic_ns()
        if wait > 0:  # pacing, not synchronisation; no spinning (2 cores)
            time.sleep(wait / 1e9)
        data = b"t%d" % time.monotonic_ns()
        request(sock, host, port, "PutRecord", {"StreamName": stream, "PartitionKey": "k",
                                                "Data": base64.b64encode(data).decode()})
        status, out, rest = read_response(sock, rest)
        assert status == 200, out
        n += 1
    return n


def writer_throughput(host, port, stream, seconds):
    sock = socket.create_connection((host, port))
    rest = b""
    payload = base64.b64encode(b"x" * 100).decode()
    body = {"StreamName": stream, "Records": [{"PartitionKey": "p%d" % i, "Data": payload}
                                              for i in range(500)]}
    start, n = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        request(sock, host, port, "PutRecords", body)
        status, _, rest = read_response(sock, rest)
        assert status == 200
        n += 500
    return n, time.monotonic() - start


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def run(args, procs):
    tmp = tempfile.mkdtemp(prefix="tidelog-fanout-")
    try:
        p = procs.spawn([args.tidelogd, "--listen", "127.0.0.1:0", "--data-dir", tmp + "/data",
                         "--durability", args.durability, "--quotas", "off",
                         "--exclusive-subscriptions", "off", "--stream-transition-ms", "0"],
                        stderr=__import__("subprocess").PIPE)
        line = b""
        while b"listening on" not in line:
            line = p.stderr.readline()
            if not line:
                raise RuntimeError("tidelogd exited")
        host, port = line.decode().rsplit(" ", 1)[1].strip().rsplit(":", 1)
        port = int(port)
        fanout = args.fanout or os.path.join(
            os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(args.tidelogd)))),
            "bench", "load", "tidelog_fanout")
        if os.path.exists(fanout):
            for n_subs in (1, 10):
                out = __import__("subprocess").run(
                    [fanout, "--endpoint", "%s:%d" % (host, port), "--subscribers", str(n_subs),
                     "--rate", str(args.rate), "--seconds", str(max(1, int(args.seconds)))],
                    capture_output=True, text=True, timeout=args.seconds + 120)
                print("native %s" % (out.stdout.strip() or out.stderr.strip()), flush=True)
        else:
            print("native: %s not found (build the tidelog_fanout target)" % fanout, flush=True)
        ctx = mp.get_context("fork")
        results = {}
        for label, n_subs, kind in (("1 subscriber", 1, "lat"), ("10 subscribers", 10, "lat"),
                                    ("100 subscribers", 100, "tput")):
            stream = "bench%d" % n_subs
            call(host, port, "CreateStream", {"StreamName": stream, "ShardCount": 1})
            deadline = time.monotonic() + 60
            while call(host, port, "DescribeStreamSummary", {"StreamName": stream})[
                    "StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
                if time.monotonic() > deadline:
                    raise RuntimeError("stream not ACTIVE")
                time.sleep(0.01)
            sarn = call(host, port, "DescribeStreamSummary", {"StreamName": stream})[
                "StreamDescriptionSummary"]["StreamARN"]
            arns = [call(host, port, "RegisterStreamConsumer",
                         {"StreamARN": sarn, "ConsumerName": "c%d" % i})["Consumer"]["ConsumerARN"]
                    for i in range(min(n_subs, 20))]
            groups = max(1, min(n_subs, args.reader_procs))
            per = [[arns[i % len(arns)] for i in range(n_subs) if i % groups == g]
                   for g in range(groups)]
            ready, stop, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
            readers = [ctx.Process(target=subscriber_proc, args=(host, port, a, ready, stop, out))
                       for a in per]
            for r in readers:
                r.start()
            for _ in readers:
                if not ready.acquire(timeout=60):
                    raise RuntimeError("subscribers did not start")
            if kind == "lat":
                put = writer_latency(host, port, stream, args.seconds, args.rate)
            else:
                put, took = writer_throughput(host, port, stream, args.seconds)
            t_end = time.monotonic()
            # Let the last events arrive (bounded), then collect.
            time.sleep(0.5)
            drained = time.monotonic() - t_end
            stop.set()
            lat, count = [], 0
            for _ in readers:
                l, c = out.get(timeout=60)
                lat += l
                count += c
            for r in readers:
                r.join(30)
            if kind == "lat":
                ms = [x / 1e6 for x in lat]
                results[label] = ("put %d records at %d/s; %d received; latency ms p50 %.3f "
                                  "p99 %.3f max %.3f" % (put, args.rate, count,
                                                         percentile(ms, 0.5), percentile(ms, 0.99),
                                                         max(ms) if ms else float("nan")))
            else:
                results[label] = ("put %d records in %.1f s (%.0f/s); delivered %d of %d "
                                  "(%.0f records/s over %.1f s)" % (
                                      put, took, put / took, count, put * n_subs,
                                      count / (took + drained), took + drained))
            print("%-16s %s" % (label, results[label]), flush=True)
        procs.stop(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tidelogd", required=True)
    ap.add_argument("--durability", default="async", choices=["sync", "async"])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--reader-procs", type=int, default=2)
    ap.add_argument("--fanout", help="tidelog_fanout binary (default: next to tidelogd's build)")
    args = ap.parse_args()
    procs = Procs()
    try:
        run(args, procs)
    finally:
        procs.stop_all()


if __name__ == "__main__":
    main()
