# Broker crash loop: SIGKILLs tidelogd at random moments under mixed load and checks every acknowledged record after each restart.
"""Each cycle starts tidelogd on the same data directory (same port or a new
one), runs writers (PutRecords batches, PutRecord chains with
SequenceNumberForOrdering), SubscribeToShard and GetRecords readers, a
resharder (split, merge, UpdateShardCount, waiting for ACTIVE) and a churner
(create, load, delete streams the 1 s retention sweep purges), then SIGKILLs
it after a random delay from a seeded RNG (printed; TIDELOG_CRASH_SEED
replays it), restarts it and reads every shard back (durability_ledger).

sync durability: every acknowledged record is there exactly once, where and
as it was acknowledged. async: per shard only a tail of acknowledged records
may be lost, never a gap. Both: nothing unknown, nothing twice, sequence
numbers increasing per shard and never reused, per-key order along the
lineage, SequenceNumberForOrdering respected, readers saw only stored records.

    TIDELOG_CRASH_CYCLES=100 python3 tests/e2e/test_crash_loop.py \
        --tidelogd build/server/daemon/tidelogd
    ... CrashLoopSyncTest | CrashLoopAsyncTest   (one configuration)"""

import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from botocore.exceptions import ClientError

from durability_ledger import check_stream, Ledger
from durability_load import (Broker, Poller, Resharder, Subscriber, TRANSPORT_ERRORS, Worker,
                             Writer, error_code, POLL_S)
from durability_reads import list_all_streams
from tidelogd_fixture import Tidelogd, main

STREAM = "crash-loop"
CONSUMERS = ("sub-0", "sub-1")
WRITERS = 3
KEYS_PER_WRITER = 6
DAEMON_ARGS = ["--retention-check-interval", "1", "--stream-transition-ms", "200",
               "--subscription-lifetime-ms", "3000"]
JOIN_S = 60


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


class Churner(Worker):
    """Creates a one-shard stream, loads it, deletes it, over and over; the
    retention sweep purges what it deletes. `states` outlives the cycle:
    name -> creating | created | deleting | deleted (acknowledged or not)."""

    def __init__(self, name, broker, stop, rng, cycle, states):
        super().__init__(name, broker, stop, rng, target=None)
        self.cycle, self.states, self.n = cycle, states, 0

    def work(self):
        while not self.stop.is_set():
            self.pause(0.2, 0.6)
            try:
                leftover = [n for n, s in sorted(self.states.items()) if s == "created"]
                if leftover:
                    self.delete(leftover[0])
                else:
                    self.churn_once()
            except ClientError as e:
                if error_code(e) not in ("ResourceInUseException", "ResourceNotFoundException"):
                    raise
            except TRANSPORT_ERRORS:
                if not self.transport_failed():
                    return

    def delete(self, name):
        self.states[name] = "deleting"
        try:
            self.client.delete_stream(StreamName=name)
        except ClientError as e:
            if error_code(e) != "ResourceNotFoundException":
                self.states[name] = "created"
                raise
        self.states[name] = "deleted"

    def churn_once(self):
        self.n += 1
        name = "churn-%d-%d" % (self.cycle, self.n)
        self.states[name] = "creating"
        self.client.create_stream(StreamName=name, ShardCount=1)
        self.states[name] = "created"
        deadline = time.monotonic() + 30
        while self.client.describe_stream_summary(StreamName=name)[
                "StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            self.stop.wait(POLL_S)
        self.client.put_records(StreamName=name, Records=[
            {"PartitionKey": "c%d" % i, "Data": self.rng.randbytes(200)} for i in range(50)])
        self.delete(name)


def check_churn(client, states):
    """Acknowledged creations exist, acknowledged deletions stay deleted;
    calls in flight at the kill went either way (settled here)."""
    listed = {n for n in list_all_streams(client) if n.startswith("churn-")}
    errors = []
    for name, state in sorted(states.items()):
        if state == "created" and name not in listed:
            errors.append("CHURN: stream %s was created (acknowledged) and is gone" % name)
        elif state == "deleted" and name in listed:
            errors.append("CHURN: stream %s was deleted (acknowledged or never created) "
                          "and is listed" % name)
        elif state in ("creating", "deleting"):
            states[name] = "created" if name in listed else "deleted"
    for name in listed - set(states):
        errors.append("CHURN: unknown stream %s listed" % name)
    return errors


class CrashLoop:
    """One run: `cycles` kills of tidelogd in `durability` mode."""

    def __init__(self, durability, cycles, seed):
        self.durability, self.cycles, self.seed = durability, cycles, seed
        self.rng = random.Random(seed)
        self.broker = Broker()
        self.ledger = Ledger(STREAM)
        self.churn = {}
        self.stats = {"kills_early": 0, "kills_during_reshard": 0, "port_reused": 0,
                      "new_port": 0, "port_reuse_refused": 0, "records_checked": 0,
                      "record_verifications": 0, "records_lost": 0,
                      "unknown_stored": 0, "unknown_absent": 0, "transport_errors_while_up": 0}
        self.reshards = {}
        self.restart_s, self.check_s = [], []
        self.server = None

    def log(self, text):
        print("crash-loop[%s]: %s" % (self.durability, text), flush=True)

    def start_server(self, data_dir, port):
        args = ["--durability", self.durability] + DAEMON_ARGS
        started = time.monotonic()
        if port and self.rng.random() < 0.5:
            try:
                self.server = Tidelogd(data_dir, "off", args + ["--listen", "127.0.0.1:%d" % port])
                self.server.start()
                self.stats["port_reused"] += 1
                self.restart_s.append(time.monotonic() - started)
                return
            except AssertionError as e:
                if "Address already in use" not in str(e):
                    raise
                self.stats["port_reuse_refused"] += 1
        self.server = Tidelogd(data_dir, "off", args).start()
        self.stats["new_port"] += 1
        self.restart_s.append(time.monotonic() - started)

    def setup_stream(self):
        client = self.broker.client()
        client.create_stream(StreamName=STREAM, ShardCount=2)
        deadline = time.monotonic() + 60
        while client.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"][
                "StreamStatus"] != "ACTIVE":
            assert time.monotonic() < deadline, "stream never ACTIVE"
            time.sleep(POLL_S)
        arn = client.describe_stream_summary(StreamName=STREAM)["StreamDescriptionSummary"][
            "StreamARN"]
        for name in CONSUMERS:
            c = client.register_stream_consumer(StreamARN=arn, ConsumerName=name)["Consumer"]
            self.ledger.consumer_arns[name] = c["ConsumerARN"]
        for arn in self.ledger.consumer_arns.values():
            while client.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"][
                    "ConsumerStatus"] != "ACTIVE":
                assert time.monotonic() < deadline, "consumer never ACTIVE"
                time.sleep(POLL_S)

    def workers(self, cycle, stop):
        def rng(name):
            return random.Random("%s-%d-%s" % (self.seed, cycle, name))

        def target():
            return STREAM, self.ledger

        ws = [Writer("w%d" % i, self.broker, stop, rng("w%d" % i), target,
                     ["w%d-k%d" % (i, j) for j in range(KEYS_PER_WRITER)], "c%d" % cycle,
                     pause_s=(0.0, 0.03)) for i in range(WRITERS)]
        ws += [Subscriber("s%d" % i, self.broker, stop, rng("s%d" % i), target, c)
               for i, c in enumerate(CONSUMERS)]
        ws.append(Poller("g0", self.broker, stop, rng("g0"), target))
        ws.append(Resharder("r0", self.broker, stop, rng("r0"), target))
        ws.append(Churner("churn", self.broker, stop, rng("churn"), cycle, self.churn))
        return ws

    def kill_moment(self, resharder):
        """Waits out this cycle's random delay (the test's input, not a
        synchronisation); returns how it was chosen and how long it was."""
        started = time.monotonic()
        roll = self.rng.random()
        if roll < 0.15:
            time.sleep(self.rng.uniform(0.0, 0.3))
            self.stats["kills_early"] += 1
            return "early", time.monotonic() - started
        if roll < 0.35:  # aim at a reshard: its call in flight or the stream UPDATING
            deadline = time.monotonic() + 5
            while resharder.busy is None and time.monotonic() < deadline:
                time.sleep(POLL_S / 4)
            time.sleep(self.rng.uniform(0.0, 0.05))
            return "aimed at a reshard", time.monotonic() - started
        time.sleep(self.rng.uniform(1.0, 6.0))
        return "random", time.monotonic() - started

    def cycle(self, n, data_dir):
        stop = threading.Event()
        ws = self.workers(n, stop)
        resharder = next(w for w in ws if isinstance(w, Resharder))
        self.ledger.cycle = n
        acked_before = len(self.ledger.acked)
        for w in ws:
            w.start()
        try:
            aim, delay = self.kill_moment(resharder)
            busy = resharder.busy
        finally:
            self.broker.down()
            port = self.server.port
            self.server.stop(signal.SIGKILL)
            stop.set()
            for w in ws:
                w.join(JOIN_S)
        if busy:
            self.stats["kills_during_reshard"] += 1
        stuck = [w.name for w in ws if w.is_alive()]
        assert not stuck, "seed %d cycle %d: workers still running %ds after the kill: %s" % (
            self.seed, n, JOIN_S, stuck)
        failures = ["%s:\n%s" % (w.name, w.error) for w in ws if w.error]
        assert not failures, "seed %d cycle %d: worker failures:\n%s" % (
            self.seed, n, "\n".join(failures))
        for w in ws:
            self.stats["transport_errors_while_up"] += w.transport_errors_while_up
        for k, v in resharder.counts.items():
            self.reshards[k] = self.reshards.get(k, 0) + v
        self.ledger.settle()

        self.start_server(data_dir, port)
        self.broker.up(self.server.endpoint)
        started = time.monotonic()
        client = self.broker.client()
        result = check_stream(client, self.ledger, self.durability, quiesced=True,
                              label="cycle %d check" % n)
        churn_errors = check_churn(client, self.churn)
        self.check_s.append(time.monotonic() - started)
        self.stats["record_verifications"] += result.acked_checked
        self.stats["records_checked"] = result.acked_checked  # the last check: every survivor
        self.stats["records_lost"] += result.lost
        self.stats["unknown_stored"] += result.unknown_stored
        self.stats["unknown_absent"] += result.unknown_absent
        self.log("cycle %d/%d: SIGKILL after %.2fs (%s; %s%s), acked +%d, stored %d in %d shards, "
                 "unknown stored %d / absent %d, lost %d, check %.1fs" % (
                     n, self.cycles, delay, aim,
                     "during " + busy if busy else "no reshard in flight",
                     ", port %d" % self.server.port, len(self.ledger.acked) - acked_before,
                     result.stored, result.shards, result.unknown_stored, result.unknown_absent,
                     result.lost, self.check_s[-1]))
        problems = list(self.ledger.problems)
        if not result or churn_errors or problems:
            raise AssertionError("seed %d (TIDELOG_CRASH_SEED=%d to replay), %s durability, cycle "
                                 "%d, killed %s%s:\n%s\n%s\nrun problems:\n  %s\ntidelogd stderr "
                                 "(last lines):\n  %s" % (
                                     self.seed, self.seed, self.durability, n, aim,
                                     " during " + busy if busy else "", result.report(),
                                     "\n".join(churn_errors), "\n  ".join(problems[:30]),
                                     "\n  ".join(self.server.stderr_lines[-20:])))
        if self.durability == "sync":
            assert result.lost == 0

    def run(self):
        started = time.monotonic()
        tmp = tempfile.mkdtemp(prefix="tidelog-crash-loop-")
        data_dir = os.path.join(tmp, "data")
        try:
            self.start_server(data_dir, None)
            self.broker.up(self.server.endpoint)
            self.setup_stream()
            for n in range(1, self.cycles + 1):
                self.cycle(n, data_dir)
            disk = int(subprocess.run(["du", "-sk", data_dir], capture_output=True,
                                      text=True).stdout.split()[0]) * 1024
            code = self.server.stop(signal.SIGTERM)
            assert code == 0, "tidelogd exited %s on SIGTERM" % code
        finally:
            if self.server is not None:
                self.server.kill()
            shutil.rmtree(tmp, ignore_errors=True)
        self.summary(time.monotonic() - started, disk)

    def summary(self, elapsed, disk):
        c, s = self.ledger.counts, self.stats
        self.log("SUMMARY durability=%s seed=%d cycles=%d duration=%.1fs records_acked=%d "
                 "records_checked=%d record_verifications=%d records_lost=%d "
                 "unknown_stored=%d unknown_absent=%d "
                 "failed=%d put_records_calls=%d put_record_calls=%d ordered_puts=%d "
                 "kills_during_reshard=%d kills_early=%d reshards=%s port_reused=%d "
                 "new_port=%d port_reuse_refused=%d subscribe_records=%d getrecords_records=%d "
                 "sessions_checked=%d "
                 "transport_errors_while_up=%d churn_streams=%d restart_max=%.2fs "
                 "check_max=%.2fs data_dir=%.1fMiB" % (
                     self.durability, self.seed, self.cycles, elapsed, len(self.ledger.acked),
                     s["records_checked"], s["record_verifications"], s["records_lost"],
                     s["unknown_stored"], s["unknown_absent"],
                     c["failed"], c["put_records_calls"], c["put_record_calls"],
                     c["ordered_puts"], s["kills_during_reshard"], s["kills_early"],
                     ",".join("%s:%d" % kv for kv in sorted(self.reshards.items())) or "none",
                     s["port_reused"], s["new_port"], s["port_reuse_refused"],
                     c.get("subscribe_records", 0), c.get("getrecords_records", 0),
                     c["sessions_checked"], s["transport_errors_while_up"],
                     len(self.churn), max(self.restart_s), max(self.check_s), disk / 2 ** 20))


class CrashLoopSyncTest(unittest.TestCase):
    DURABILITY = "sync"

    def test_crash_loop(self):
        seed = env_int("TIDELOG_CRASH_SEED", random.SystemRandom().randrange(2 ** 31))
        cycles = max(1, env_int("TIDELOG_CRASH_CYCLES", 10))
        print("crash-loop[%s]: seed=%d (TIDELOG_CRASH_SEED=%d replays it), cycles=%d" % (
            self.DURABILITY, seed, seed, cycles), flush=True)
        CrashLoop(self.DURABILITY, cycles, seed).run()


class CrashLoopAsyncTest(CrashLoopSyncTest):
    """--durability async: acknowledged once in the OS page cache. A process
    crash may lose only a tail per shard (in practice nothing: the page cache
    survives SIGKILL), never a gap, a duplicate or a reused number."""
    DURABILITY = "async"


if __name__ == "__main__":
    main()
