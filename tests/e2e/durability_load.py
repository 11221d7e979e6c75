# Mixed load for the durability tests: writers that keep a Ledger, SubscribeToShard and GetRecords readers, and a resharder.
"""Every worker is a thread that talks to the broker a Broker points at and
survives its restarts: a transport error (the broker was killed) marks the
call's records unknown and waits for the broker to come back. Workers end
when their stop event is set; nothing they do is unbounded. A worker's
`target()` returns (stream name, Ledger), so the soak can rotate streams."""

import threading
import time
import traceback

import boto3
import botocore.config
import urllib3.exceptions
from botocore.exceptions import BotoCoreError, ClientError

from durability_reads import list_all_shards

TRANSPORT_ERRORS = (BotoCoreError, urllib3.exceptions.HTTPError, OSError)
REGION = "us-east-1"
WAIT_S = 60
POLL_S = 0.02  # pause between two polls of a condition, or before a retry


def error_code(e):
    return e.response.get("Error", {}).get("Code", "?")


class Broker:
    """Where the current tidelogd listens; generation counts restarts. Call
    down() before killing the daemon and up() once the new one listens."""

    def __init__(self):
        self._lock = threading.Lock()
        self._session = boto3.session.Session()
        self._config = botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=5,
            read_timeout=30, max_pool_connections=4)
        self.endpoint, self.generation = None, 0

    def up(self, endpoint):
        with self._lock:
            self.endpoint = endpoint
            self.generation += 1

    def down(self):
        with self._lock:
            self.endpoint = None

    def current(self):
        with self._lock:
            return self.endpoint, self.generation

    def client(self, endpoint=None):
        """A boto3 client without retries (a retried put could be stored twice)."""
        with self._lock:  # boto3 sessions are not thread-safe
            return self._session.client(
                "kinesis", endpoint_url=endpoint or self.endpoint, region_name=REGION,
                aws_access_key_id="x", aws_secret_access_key="x", config=self._config)

    def wait_up(self, stop, timeout_s=120):
        """(endpoint, generation) once the broker is up; None when stopped."""
        deadline = time.monotonic() + timeout_s
        while not stop.is_set():
            endpoint, gen = self.current()
            if endpoint:
                return endpoint, gen
            if time.monotonic() > deadline:
                raise AssertionError("the broker did not come back within %ds" % timeout_s)
            stop.wait(POLL_S)
        return None


class Worker(threading.Thread):
    """A load thread: work() runs until stop; an unexpected exception is kept
    in .error (a traceback) for the test to report."""

    def __init__(self, name, broker, stop, rng, target):
        super().__init__(name=name, daemon=True)
        self.broker, self.stop, self.rng, self.target = broker, stop, rng, target
        self.client = self.gen = None
        self.error = None
        self.transport_errors_while_up = 0
        self.on_stream = None

    def run(self):
        try:
            if self.connect():
                self.work()
        except Exception:
            self.error = traceback.format_exc()

    def connect(self):
        got = self.broker.wait_up(self.stop)
        if got is None:
            return False
        endpoint, self.gen = got
        self.client = self.broker.client(endpoint)
        return True

    def transport_failed(self):
        """After a transport error: reconnect once the broker is up again.
        False when stopped."""
        endpoint, gen = self.broker.current()
        if endpoint and gen == self.gen:
            self.transport_errors_while_up += 1  # no restart under way: worth reporting
        return self.connect()

    def pause(self, lo, hi):
        """A random pause between calls (load shape, not synchronisation)."""
        if hi > 0:
            self.stop.wait(self.rng.uniform(lo, hi))


class Writer(Worker):
    """Puts records with unique payloads on keys it alone owns: PutRecords
    batches, and PutRecord chains with SequenceNumberForOrdering set to the
    key's last acknowledged number."""

    def __init__(self, name, broker, stop, rng, target, keys, tag, max_batch=20,
                 payload=(16, 300), batch_share=0.6, pause_s=(0.0, 0.02), allowed_errors=()):
        super().__init__(name, broker, stop, rng, target)
        self.keys, self.tag, self.max_batch = keys, tag, max_batch
        self.payload, self.batch_share, self.pause_s = payload, batch_share, pause_s
        self.allowed_errors = set(allowed_errors)
        self.n = 0

    def data(self):
        self.n += 1
        head = b"%s|%s|%d|" % (self.tag.encode(), self.name.encode(), self.n)
        return head + self.rng.randbytes(self.rng.randint(*self.payload))

    def work(self):
        while not self.stop.is_set():
            stream, ledger = self.target()
            self.on_stream = stream
            if self.rng.random() < self.batch_share:
                self.put_batch(stream, ledger)
            else:
                self.put_chain(stream, ledger)
            self.pause(*self.pause_s)

    def call_failed(self, ledger, entries, e):
        """True to go on; False when stopped."""
        ledger.unknown(entries)
        if isinstance(e, ClientError):
            if error_code(e) not in self.allowed_errors:
                ledger.problem("%s: put answered %s: %s" % (self.name, error_code(e), e))
            return True
        return self.transport_failed()

    def put_batch(self, stream, ledger):
        pairs = [(self.rng.choice(self.keys), self.data())
                 for _ in range(self.rng.randint(1, self.max_batch))]
        entries = ledger.begin(pairs)
        try:
            r = self.client.put_records(StreamName=stream, Records=[
                {"PartitionKey": k, "Data": d} for k, d in pairs])
        except (ClientError,) + TRANSPORT_ERRORS as e:
            return self.call_failed(ledger, entries, e)
        ledger.count("put_records_calls")
        for entry, res in zip(entries, r["Records"]):
            if "SequenceNumber" in res:
                ledger.ack(entry, res["ShardId"], res["SequenceNumber"])
            else:
                ledger.fail(entry, res.get("ErrorCode"))
        return True

    def put_chain(self, stream, ledger):
        key = self.rng.choice(self.keys)
        for _ in range(self.rng.randint(1, 4)):
            if self.stop.is_set():
                return
            after = ledger.chain_tip(key)
            entry = ledger.begin([(key, self.data())])[0]
            args = {"StreamName": stream, "PartitionKey": key, "Data": entry.data}
            if after is not None:
                args["SequenceNumberForOrdering"] = after
            try:
                r = self.client.put_record(**args)
            except (ClientError,) + TRANSPORT_ERRORS as e:
                self.call_failed(ledger, [entry], e)
                return
            ledger.count("put_record_calls")
            if after is not None:
                ledger.count("ordered_puts")
            ledger.ack(entry, r["ShardId"], r["SequenceNumber"], ordered_after=after)


def open_shards(shards):
    return [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]


class Reader(Worker):
    """Base of the readers: picks an open shard, follows it to its children."""

    def pick_shard(self, stream):
        shards = open_shards(list_all_shards(self.client, stream))
        return self.rng.choice(shards)["ShardId"] if shards else None

    def work(self):
        shard = None
        while not self.stop.is_set():
            stream, ledger = self.target()
            if stream != self.on_stream:
                shard = None  # rotated: the next shard comes from the new stream
            self.on_stream = stream
            try:
                shard = shard or self.pick_shard(stream)
                if shard is None:
                    self.pause(POLL_S, POLL_S)
                    continue
                session = ledger.new_session(self.KIND, self.name, shard)
                try:
                    shard = self.follow(stream, ledger, shard, session)
                finally:
                    session.closed = True
            except ClientError as e:
                shard = None
                ledger.count("reader_error_" + error_code(e))
                self.pause(POLL_S, 5 * POLL_S)
            except TRANSPORT_ERRORS:
                shard = None
                if not self.transport_failed():
                    return


class Subscriber(Reader):
    """SubscribeToShard chains: resubscribes AFTER_SEQUENCE_NUMBER the
    continuation when a subscription's lifetime ends, moves to a child
    (TRIM_HORIZON) when the shard ends. One Session per shard followed."""

    KIND = "subscribe"

    def __init__(self, name, broker, stop, rng, target, consumer):
        super().__init__(name, broker, stop, rng, target)
        self.consumer = consumer

    def follow(self, stream, ledger, shard, session):
        """Returns the child shard to follow next, or None."""
        arn = ledger.consumer_arns[self.consumer]
        kind = self.rng.random()
        position = ({"Type": "TRIM_HORIZON"} if kind < 0.15 else
                    {"Type": "AT_TIMESTAMP", "Timestamp": time.time() - 2} if kind < 0.3 else
                    {"Type": "LATEST"})
        while not self.stop.is_set():
            try:
                r = self.client.subscribe_to_shard(ConsumerARN=arn, ShardId=shard,
                                                   StartingPosition=position)
            except ClientError as e:
                if error_code(e) != "ResourceInUseException":
                    raise
                ledger.count("subscribe_in_use")
                self.pause(5 * POLL_S, 10 * POLL_S)
                continue
            last = None
            stream_events = r["EventStream"]
            try:
                for item in stream_events:
                    event = item.get("SubscribeToShardEvent")
                    if event is None:
                        continue
                    ledger.saw(session, event["Records"])
                    last = event
                    if self.stop.is_set():
                        return None
            finally:
                stream_events.close()
            ledger.count("subscriptions")
            if last is None or self.target()[0] != stream:
                return shard if last is None else None
            if "ContinuationSequenceNumber" not in last:
                children = last.get("ChildShards") or []
                return self.rng.choice(children)["ShardId"] if children else None
            position = {"Type": "AFTER_SEQUENCE_NUMBER",
                        "SequenceNumber": last["ContinuationSequenceNumber"]}
        return None


class Poller(Reader):
    """A GetRecords tail: from LATEST or TRIM_HORIZON to the shard's end, then
    a child; pauses briefly on empty pages."""

    KIND = "getrecords"

    def follow(self, stream, ledger, shard, session):
        kind = "TRIM_HORIZON" if self.rng.random() < 0.3 else "LATEST"
        it = self.client.get_shard_iterator(StreamName=stream, ShardId=shard,
                                            ShardIteratorType=kind)["ShardIterator"]
        while not self.stop.is_set():
            r = self.client.get_records(ShardIterator=it, Limit=1000)
            ledger.saw(session, r["Records"])
            it = r.get("NextShardIterator")
            if it is None:
                children = r.get("ChildShards") or []
                return self.rng.choice(children)["ShardId"] if children else None
            if not r["Records"]:
                if self.target()[0] != stream:
                    return None
                self.pause(2 * POLL_S, 5 * POLL_S)
        return None


class Resharder(Worker):
    """SplitShard, MergeShards and UpdateShardCount, one at a time, each after
    the stream is ACTIVE (as the API requires), keeping 1..max_open open shards.
    ResourceInUseException: wait for ACTIVE and go on; LimitExceededException
    on UpdateShardCount (10 per rolling 24 h): split and merge only."""

    def __init__(self, name, broker, stop, rng, target, max_open=4, pause_s=(0.3, 1.2)):
        super().__init__(name, broker, stop, rng, target)
        self.max_open, self.pause_s = max_open, pause_s
        self.busy = None  # the operation in flight or not yet ACTIVE, for the kill statistics
        self.update_allowed = True
        self.counts = {}

    def count(self, what):
        self.counts[what] = self.counts.get(what, 0) + 1

    def wait_active(self, stream):
        """True once ACTIVE; False when stopped. Transport errors propagate."""
        deadline = time.monotonic() + WAIT_S
        while not self.stop.is_set():
            s = self.client.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
            if s["StreamStatus"] == "ACTIVE":
                return True
            if time.monotonic() > deadline:
                raise AssertionError("%s not ACTIVE after %ds: %s" % (stream, WAIT_S, s))
            self.stop.wait(POLL_S)
        return False

    def work(self):
        while not self.stop.is_set():
            self.pause(*self.pause_s)
            stream, _ = self.target()
            if stream != self.on_stream:
                self.update_allowed = True  # UpdateShardCount's limit is per stream
            self.on_stream = stream
            try:
                if not self.wait_active(stream):
                    return
                self.reshard_once(stream)
            except ClientError as e:
                code = error_code(e)
                self.count(code)
                if code not in ("ResourceInUseException", "LimitExceededException",
                                "ResourceNotFoundException"):
                    raise
            except TRANSPORT_ERRORS:
                if not self.transport_failed():
                    return
            finally:
                self.busy = None

    def choose(self, shards):
        ranges = sorted((int(s["HashKeyRange"]["StartingHashKey"]),
                         int(s["HashKeyRange"]["EndingHashKey"]), s["ShardId"]) for s in shards)
        n = len(ranges)
        ops = []
        if n < self.max_open:
            ops.append("split")
        if n > 1:
            ops.append("merge")
        if self.update_allowed:
            targets = [t for t in range((n + 1) // 2, min(2 * n, self.max_open) + 1) if t != n]
            if targets:
                ops.append("update")
        op = self.rng.choice(ops)
        if op == "split":
            lo, hi, sid = self.rng.choice([r for r in ranges if r[1] - r[0] > 2])
            key = self.rng.randint(lo + 2, hi - 1)
            return op, {"ShardToSplit": sid, "NewStartingHashKey": str(key)}
        if op == "merge":
            i = self.rng.randrange(n - 1)
            return op, {"ShardToMerge": ranges[i][2], "AdjacentShardToMerge": ranges[i + 1][2]}
        return op, {"TargetShardCount": self.rng.choice(targets), "ScalingType": "UNIFORM_SCALING"}

    def reshard_once(self, stream):
        op, args = self.choose(open_shards(list_all_shards(self.client, stream)))
        call = {"split": self.client.split_shard, "merge": self.client.merge_shards,
                "update": self.client.update_shard_count}[op]
        self.busy = op
        try:
            call(StreamName=stream, **args)
        except ClientError as e:
            if op == "update" and error_code(e) == "LimitExceededException":
                self.update_allowed = False
            raise
        self.count(op)
        self.wait_active(stream)
