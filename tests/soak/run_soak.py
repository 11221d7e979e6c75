#!/usr/bin/env python3
# Bounded soak of tidelogd: mixed load, reshards, stream rotation, SIGTERM/SIGKILL restarts; checks records and resource growth.
"""Runs one tidelogd (sync durability, quotas off, retention sweep every 5 s)
for --minutes (default 5) or --hours, under load that survives restarts
(tests/e2e/durability_load.py): writers (PutRecords, PutRecord chained with
SequenceNumberForOrdering), SubscribeToShard and GetRecords readers, and a
resharder. Since Kinesis retention is at least 24 h, data turns over by
rotating streams: a new stream takes the load every --rotate-every seconds
and the oldest of the live streams is checked one last time and deleted, so
at most two streams hold data and disk use is flat once the sweep purges.
It restarts tidelogd every --restart-every seconds, alternating SIGTERM
(must exit 0) and SIGKILL, and checks every acknowledged record of every
live stream after each restart, every --check-every seconds and before each
deletion (tests/e2e/durability_ledger.py). RSS, fds, threads (/proc) and
the data directory's disk use are sampled every --sample-every seconds.

Writes to --out: soak-samples.csv, soak.svg, soak-summary.json. Exit
status 1 if a record was lost or misread, an invariant broke, or RSS, fds,
threads or disk kept growing (soak_metrics.growth_verdicts).

    tests/soak/run_soak.py --tidelogd build/server/daemon/tidelogd --minutes 5 --out build/soak"""

import argparse
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)

import soak_metrics  # noqa: E402
import tidelogd_fixture  # noqa: E402
from durability_ledger import check_stream, Ledger  # noqa: E402
from durability_load import Broker, Poller, Resharder, Subscriber, Writer, POLL_S  # noqa: E402
from tidelogd_fixture import Tidelogd  # noqa: E402

CONSUMERS = ("sub-0", "sub-1")
DAEMON_ARGS = ["--durability", "sync", "--retention-check-interval", "5",
               "--stream-transition-ms", "200", "--subscription-lifetime-ms", "5000"]
WAIT_S = 60


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tidelogd", required=True)
    ap.add_argument("--minutes", type=float, default=5)
    ap.add_argument("--hours", type=float, help="overrides --minutes")
    ap.add_argument("--out", default="soak-out")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--sample-every", type=float, default=2.0, help="seconds (default 2)")
    ap.add_argument("--restart-every", type=float,
                    help="seconds (default: a quarter of the run, within 60..1800)")
    ap.add_argument("--rotate-every", type=float,
                    help="seconds (default: a sixth of the run, within 30..300)")
    ap.add_argument("--check-every", type=float, default=30.0, help="seconds (default 30)")
    ap.add_argument("--writers", type=int, default=3)
    return ap.parse_args()


class Soak:
    def __init__(self, args):
        self.args = args
        self.duration = args.hours * 3600 if args.hours else args.minutes * 60
        self.restart_every = args.restart_every or min(1800, max(60, self.duration / 4))
        self.rotate_every = args.rotate_every or min(300, max(30, self.duration / 6))
        self.seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2 ** 31)
        self.rng = random.Random(self.seed)
        self.tmp = tempfile.mkdtemp(prefix="tidelog-soak-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.broker = Broker()
        self.stop = threading.Event()  # ends the load
        self.done = threading.Event()  # ends the sampling
        self.server = None
        self.streams = []          # live [(name, Ledger)], oldest first; the last takes the load
        self.current = None
        self.retired = {"acked": 0, "unknown": 0, "session_records": 0}  # deleted streams
        self.samples, self.events, self.phases, self.failures = [], [], [], []
        self.checks = self.records_checked = self.lost = 0
        self.restarts = {"sigterm": 0, "sigkill": 0}
        self.rotations = self.stream_seq = 0
        self.workers = []
        self.t0 = None
        self.lock = threading.Lock()  # server swap vs sampler

    def log(self, text):
        print("soak: %s" % text, flush=True)

    def elapsed(self):
        return time.monotonic() - self.t0

    # ---- the daemon ----------------------------------------------------------------

    def start_server(self, cause, port=None):
        extra = list(DAEMON_ARGS)
        if port and self.rng.random() < 0.5:
            extra += ["--listen", "127.0.0.1:%d" % port]
        server = Tidelogd(self.data_dir, "off", extra)
        try:
            server.start()
        except AssertionError as e:
            if "Address already in use" not in str(e):
                raise
            server = Tidelogd(self.data_dir, "off", list(DAEMON_ARGS)).start()
        with self.lock:
            self.server = server
            self.phases.append({"phase": len(self.phases), "cause": cause, "pid": server.proc.pid,
                                "start_s": round(self.elapsed(), 1)})
        self.broker.up(server.endpoint)

    def restart(self):
        kind = "sigterm" if self.restarts["sigterm"] <= self.restarts["sigkill"] else "sigkill"
        self.broker.down()
        with self.lock:
            server, self.server = self.server, None
        started = time.monotonic()
        code = server.stop(signal.SIGTERM if kind == "sigterm" else signal.SIGKILL)
        took = time.monotonic() - started
        if kind == "sigterm" and code != 0:
            self.failures.append("SIGTERM: tidelogd exited %s; stderr tail:\n  %s" % (
                code, "\n  ".join(server.stderr_lines[-20:])))
        self.restarts[kind] += 1
        self.phases[-1]["end_s"] = round(self.elapsed(), 1)
        self.events.append((self.elapsed(), "TERM" if kind == "sigterm" else "KILL"))
        self.start_server(kind, port=server.port)
        self.log("restart by %s at %.0fs: stopped in %.2fs, new pid %d" % (
            kind.upper(), self.elapsed(), took, self.server.proc.pid))
        self.check_all("after %s restart" % kind)

    # ---- streams -------------------------------------------------------------------

    def client(self):
        endpoint, _ = self.broker.wait_up(threading.Event(), WAIT_S)
        return self.broker.client(endpoint)

    def new_stream(self):
        self.stream_seq += 1
        name = "soak-%d" % self.stream_seq
        client = self.client()
        client.create_stream(StreamName=name, ShardCount=2)
        ledger = Ledger(name)
        deadline = time.monotonic() + WAIT_S
        while client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
                "StreamStatus"] != "ACTIVE":
            assert time.monotonic() < deadline, "%s never ACTIVE" % name
            self.stop.wait(POLL_S)
        arn = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "StreamARN"]
        for c in CONSUMERS:
            ledger.consumer_arns[c] = client.register_stream_consumer(
                StreamARN=arn, ConsumerName=c)["Consumer"]["ConsumerARN"]
        for consumer_arn in ledger.consumer_arns.values():
            while client.describe_stream_consumer(ConsumerARN=consumer_arn)[
                    "ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
                assert time.monotonic() < deadline, "consumer of %s never ACTIVE" % name
                self.stop.wait(POLL_S)
        with self.lock:
            self.streams.append((name, ledger))
        self.current = (name, ledger)

    def rotate(self):
        """A new stream takes the load; the oldest beyond two is checked, deleted."""
        self.new_stream()
        self.rotations += 1
        deadline = time.monotonic() + WAIT_S
        writers = [w for w in self.workers if isinstance(w, Writer)]
        while any(w.on_stream != self.current[0] for w in writers if w.is_alive()):
            assert time.monotonic() < deadline, "writers never moved to %s" % self.current[0]
            self.stop.wait(POLL_S)
        while len(self.streams) > 2:
            name, ledger = self.streams[0]
            self.check_one(name, ledger, "before deleting %s" % name, quiesced=True)
            self.client().delete_stream(StreamName=name, EnforceConsumerDeletion=True)
            c = ledger.counts
            with self.lock:  # the sampler's acknowledged total stays monotonic
                self.streams.pop(0)
                self.retired["acked"] += len(ledger.acked)
                self.retired["unknown"] += c["unknown"]
                self.retired["session_records"] += c["session_records"]
            self.log("rotated at %.0fs: load on %s, deleted %s (%d records acknowledged)" % (
                self.elapsed(), self.current[0], name, len(ledger.acked)))

    # ---- checks --------------------------------------------------------------------

    def check_one(self, name, ledger, why, quiesced=False):
        result = check_stream(self.client(), ledger, "sync", quiesced=quiesced,
                              label="%s: %s at %.0fs" % (name, why, self.elapsed()))
        self.checks += 1
        self.records_checked += result.acked_checked
        self.lost += result.lost
        if not result:
            self.failures.append(result.report())
        with ledger.lock:
            problems, ledger.problems = ledger.problems, []
        self.failures += ["%s: %s" % (name, p) for p in problems]

    def check_all(self, why):
        for name, ledger in list(self.streams):
            self.check_one(name, ledger, why, quiesced=(name != self.current[0]))

    # ---- sampling ------------------------------------------------------------------

    def sampler(self):
        table = soak_metrics.Table()
        last_acked, last_t = 0, time.monotonic()
        print_every = max(1, int(round(max(10, self.duration / 40) / self.args.sample_every)))
        n = 0
        while not self.done.wait(self.args.sample_every):
            with self.lock:
                server = self.server
                figures = soak_metrics.process_figures(server.proc.pid) if server else None
                phase = len(self.phases) - 1
                acked = self.retired["acked"] + sum(len(l.acked) for _, l in self.streams)
            if figures is None:
                continue
            now = time.monotonic()
            s = {"t_s": round(self.elapsed(), 1), "phase": phase, "pid": server.proc.pid,
                 "rss_bytes": figures[0], "fds": figures[1], "threads": figures[2],
                 "disk_bytes": soak_metrics.disk_bytes(self.data_dir), "records_acked": acked,
                 "acked_per_s": (acked - last_acked) / max(now - last_t, 1e-3),
                 "live_streams": len(self.streams)}
            last_acked, last_t = acked, now
            self.samples.append(s)
            if n % print_every == 0:
                table.row(s, self.checks, self.lost)
            n += 1

    # ---- the run -------------------------------------------------------------------

    def make_workers(self):
        def rng(name):
            return random.Random("%d-%s" % (self.seed, name))

        def target():
            return self.current

        ws = [Writer("w%d" % i, self.broker, self.stop, rng("w%d" % i), target,
                     ["w%d-k%d" % (i, j) for j in range(6)], "soak", pause_s=(0.01, 0.05))
              for i in range(self.args.writers)]
        ws += [Subscriber("s%d" % i, self.broker, self.stop, rng("s%d" % i), target, c)
               for i, c in enumerate(CONSUMERS)]
        ws += [Poller("g%d" % i, self.broker, self.stop, rng("g%d" % i), target) for i in range(2)]
        ws.append(Resharder("r0", self.broker, self.stop, rng("r0"), target, pause_s=(2, 8)))
        return ws

    def run(self):
        self.t0 = time.monotonic()
        self.log("seed %d, %.0fs, restart every %.0fs, rotate every %.0fs, data %s" % (
            self.seed, self.duration, self.restart_every, self.rotate_every, self.data_dir))
        sampler = threading.Thread(target=self.sampler, daemon=True)
        try:
            self.start_server("start")
            self.new_stream()
            self.workers = self.make_workers()
            for w in self.workers:
                w.start()
            sampler.start()
            self.schedule()
            self.stop.set()
            for w in self.workers:
                w.join(WAIT_S)
            stuck = [w.name for w in self.workers if w.is_alive()]
            if stuck:
                self.failures.append("workers still running at the end: %s" % stuck)
            self.check_all_final()
            self.done.set()
            sampler.join(WAIT_S)
            with self.lock:
                server, self.server = self.server, None
            self.phases[-1]["end_s"] = round(self.elapsed(), 1)
            code = server.stop(signal.SIGTERM)
            if code != 0:
                self.failures.append("final SIGTERM: tidelogd exited %s" % code)
        except Exception:
            self.failures.append("soak aborted:\n" + traceback.format_exc())
        finally:
            self.stop.set()
            self.done.set()
            for w in self.workers:
                w.join(10)
            if self.server is not None:
                self.server.kill()
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.failures += ["%s: %s" % (w.name, w.error) for w in self.workers if w.error]
        return self.report()

    def check_all_final(self):
        for name, ledger in list(self.streams):
            ledger.settle()
            self.check_one(name, ledger, "final", quiesced=True)

    def schedule(self):
        end = self.t0 + self.duration
        next_restart = self.t0 + self.restart_every
        next_rotate = self.t0 + self.rotate_every
        next_check = self.t0 + self.args.check_every
        while time.monotonic() < end and not self.failures:
            self.stop.wait(min(1.0, max(0.0, min(next_restart, next_rotate, next_check, end)
                                        - time.monotonic())))
            errors = [w for w in self.workers if w.error]
            if errors:
                self.failures.append("worker %s failed:\n%s" % (errors[0].name, errors[0].error))
                return
            now = time.monotonic()
            if now >= next_restart and end - now > self.restart_every / 3:
                self.restart()
                next_restart = time.monotonic() + self.restart_every
            if now >= next_rotate:
                self.rotate()
                next_rotate = time.monotonic() + self.rotate_every
            if now >= next_check:
                self.check_all("periodic")
                next_check = time.monotonic() + self.args.check_every

    def report(self):
        out = self.args.out
        os.makedirs(out, exist_ok=True)
        verdicts = soak_metrics.growth_verdicts(self.samples)
        for v in verdicts:
            if not v["ok"]:
                self.failures.append("%s keeps growing in %s: middle third median %.0f, last "
                                     "third %.0f (+%.0f > %.0f allowed)" % (
                                         v["metric"], v["scope"], v["middle"], v["last"],
                                         v["growth"], v["limit"]))
        live_acked = sum(len(l.acked) for _, l in self.streams)
        summary = {
            "duration_s": round(self.elapsed(), 1), "seed": self.seed,
            "records_acked": self.retired["acked"] + live_acked,
            "records_checked": self.records_checked, "records_lost": self.lost,
            "records_unknown": self.retired["unknown"] + sum(
                l.counts["unknown"] for _, l in self.streams),
            "reader_records": self.retired["session_records"] + sum(
                l.counts["session_records"] for _, l in self.streams),
            "checks": self.checks, "restarts": self.restarts, "rotations": self.rotations,
            "streams_created": self.stream_seq,
            "reshards": merged_counts(w.counts for w in self.workers if isinstance(w, Resharder)),
            "phases": soak_metrics.phase_summaries(self.samples, self.phases),
            "growth": verdicts, "failures": self.failures, "passed": not self.failures,
        }
        soak_metrics.write_summary(os.path.join(out, "soak-summary.json"), summary)
        soak_metrics.write_csv(os.path.join(out, "soak-samples.csv"), self.samples)
        soak_metrics.write_svg(os.path.join(out, "soak.svg"), self.samples, self.events,
                               "%.0f s, seed %d, %d restarts, %d rotations, %d records acked, "
                               "%d lost" % (summary["duration_s"], self.seed,
                                            sum(self.restarts.values()), self.rotations,
                                            summary["records_acked"], self.lost))
        for p in summary["phases"]:
            if p["rss_bytes"]:
                self.log("phase %d (%s, %s-%ss, %d samples): rss %.1f-%.1f MiB (last %.1f), "
                         "fds %d-%d, threads %d-%d, disk %.1f-%.1f MiB" % (
                             p["phase"], p["cause"], p["start_s"], p.get("end_s"), p["samples"],
                             p["rss_bytes"]["min"] / soak_metrics.MIB,
                             p["rss_bytes"]["max"] / soak_metrics.MIB,
                             p["rss_bytes"]["last"] / soak_metrics.MIB, p["fds"]["min"],
                             p["fds"]["max"], p["threads"]["min"], p["threads"]["max"],
                             p["disk_bytes"]["min"] / soak_metrics.MIB,
                             p["disk_bytes"]["max"] / soak_metrics.MIB))
        for f in self.failures:
            self.log("FAILURE: " + f)
        self.log("SUMMARY duration=%.0fs acked=%d checked=%d lost=%d checks=%d restarts=%s "
                 "rotations=%d -> %s (%s)" % (
                     summary["duration_s"], summary["records_acked"], self.records_checked,
                     self.lost, self.checks, self.restarts, self.rotations,
                     "PASS" if not self.failures else "FAIL", out))
        return 0 if not self.failures else 1


def merged_counts(dicts):
    out = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def main():
    args = parse_args()
    tidelogd_fixture.TIDELOGD = os.path.abspath(args.tidelogd)
    sys.exit(Soak(args).run())


if __name__ == "__main__":
    main()
