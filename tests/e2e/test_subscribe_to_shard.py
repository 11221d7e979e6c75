"""SubscribeToShard end to end: boto3's subscribe_to_shard reading the event
stream pushed by a real tidelogd (short --subscription-lifetime-ms, so the
rollover happens within the test), resubscription from
ContinuationSequenceNumber losing and repeating nothing, a subscriber
following ChildShards across a split and a merge while a writer runs, AWS's
ResourceInUseException, deregistration ending the stream with an exception
event, and 100 concurrent subscribers on one shard over raw HTTP/1.1 sockets
(event stream parsed by botocore's own decoder)."""

import base64
import json
import selectors
import socket
import threading
import time

from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError

from tidelogd_fixture import TidelogdTestCase, main, running_tidelogd

LIFETIME_MS = 2000
WAIT_S = 120


def consumer_arn(client, stream, name):
    arn = client.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
        "StreamARN"]
    return client.register_stream_consumer(StreamARN=arn, ConsumerName=name)["Consumer"][
        "ConsumerARN"]


def subscribe_once(client, arn, shard, position, on_event):
    """One subscription until it ends; on_event(event) for each
    SubscribeToShardEvent. Returns the last event (None if none came)."""
    r = client.subscribe_to_shard(ConsumerARN=arn, ShardId=shard, StartingPosition=position)
    last = None
    for item in r["EventStream"]:
        event = item["SubscribeToShardEvent"]
        on_event(event)
        last = event
    return last


def follow(client, arn, shard, position, on_records, stop, rollovers=None):
    """Reads `shard` from `position` across subscription lifetimes, resuming
    AFTER_SEQUENCE_NUMBER the last continuation, until the shard ends (returns
    its ChildShards) or stop() is true (returns None)."""
    while True:
        state = {"last": None}

        def on_event(event):
            state["last"] = event
            on_records(event["Records"])

        # The engine lets go of an ended subscription before its stream
        # ends, so resubscribing at once is never ResourceInUseException.
        subscribe_once(client, arn, shard, position, on_event)
        last = state["last"]
        if last is not None and "ContinuationSequenceNumber" not in last:
            return last["ChildShards"]
        if stop():
            return None
        if rollovers is not None:
            rollovers.append(time.monotonic())
        if last is not None:
            position = {"Type": "AFTER_SEQUENCE_NUMBER",
                        "SequenceNumber": last["ContinuationSequenceNumber"]}


class SubscribeToShardTest(TidelogdTestCase):
    EXTRA_ARGS = ("--subscription-lifetime-ms", str(LIFETIME_MS))

    def test_boto3_reads_pushed_records(self):
        self.create_stream("push", 1)
        arn = consumer_arn(self.kinesis, "push", "c")
        self.wait_consumer(arn)
        got, first = [], threading.Event()
        errors = []

        def reader():
            try:
                r = self.client().subscribe_to_shard(
                    ConsumerARN=arn, ShardId="shardId-000000000000",
                    StartingPosition={"Type": "LATEST"})
                self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
                for item in r["EventStream"]:
                    event = item["SubscribeToShardEvent"]
                    self.assertIn("ContinuationSequenceNumber", event)
                    self.assertIn("MillisBehindLatest", event)
                    first.set()
                    got.extend(rec["Data"] for rec in event["Records"])
                    if len(got) >= 3:
                        return
            except Exception as e:  # reported below
                errors.append(repr(e))
            finally:
                first.set()

        t = threading.Thread(target=reader)
        t.start()
        self.assertTrue(first.wait(WAIT_S))
        for d in (b"a", b"b", b"c"):
            self.kinesis.put_record(StreamName="push", PartitionKey="k", Data=d)
        t.join(WAIT_S)
        self.assertFalse(t.is_alive())
        self.assertEqual(errors, [])
        self.assertEqual(got, [b"a", b"b", b"c"])

    def wait_consumer(self, arn):
        deadline = time.monotonic() + WAIT_S
        while self.kinesis.describe_stream_consumer(ConsumerARN=arn)[
                "ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.01)

    def test_errors(self):
        self.create_stream("errs", 1)
        arn = consumer_arn(self.kinesis, "errs", "c")
        self.assertAwsError("ResourceNotFoundException", self.kinesis.subscribe_to_shard,
                            ConsumerARN=arn, ShardId="shardId-000000000005",
                            StartingPosition={"Type": "LATEST"})
        self.assertAwsError("InvalidArgumentException", self.kinesis.subscribe_to_shard,
                            ConsumerARN=arn, ShardId="shardId-000000000000",
                            StartingPosition={"Type": "AT_SEQUENCE_NUMBER"})
        r = self.kinesis.subscribe_to_shard(ConsumerARN=arn, ShardId="shardId-000000000000",
                                            StartingPosition={"Type": "LATEST"})
        try:
            err = self.assertAwsError("ResourceInUseException", self.kinesis.subscribe_to_shard,
                                      ConsumerARN=arn, ShardId="shardId-000000000000",
                                      StartingPosition={"Type": "LATEST"})
            self.assertIn("Another active subscription exists for this consumer: ",
                          err["Message"])
        finally:
            r["EventStream"].close()

    def test_deregister_ends_with_exception_event(self):
        self.create_stream("dereg", 1)
        arn = consumer_arn(self.kinesis, "dereg", "c")
        r = self.kinesis.subscribe_to_shard(ConsumerARN=arn, ShardId="shardId-000000000000",
                                            StartingPosition={"Type": "LATEST"})
        events = iter(r["EventStream"])
        self.assertIn("SubscribeToShardEvent", next(events))
        self.kinesis.deregister_stream_consumer(ConsumerARN=arn)
        with self.assertRaises(EventStreamError) as cm:
            for _ in events:
                pass
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")

    def test_rollover_resubscribes_from_continuation_losing_nothing(self):
        self.create_stream("roll", 1)
        arn = consumer_arn(self.kinesis, "roll", "c")
        written, got, rollovers = [], [], []
        done = threading.Event()
        errors = []

        def writer():
            try:
                n = 0
                client = self.client()
                # Keeps writing across at least two subscription lifetimes.
                while len(rollovers) < 2 and not done.is_set():
                    batch = [b"%d" % i for i in range(n, n + 20)]
                    client.put_records(StreamName="roll",
                                       Records=[{"PartitionKey": "k", "Data": d} for d in batch])
                    written.extend(batch)
                    n += 20
            except Exception as e:
                errors.append(repr(e))
            finally:
                done.set()

        t = threading.Thread(target=writer)
        t.start()
        try:
            follow(self.client(), arn, "shardId-000000000000", {"Type": "TRIM_HORIZON"},
                   lambda recs: got.extend(r["Data"] for r in recs),
                   stop=lambda: done.is_set() and len(got) >= len(written),
                   rollovers=rollovers)
        finally:
            done.set()
            t.join(WAIT_S)
        self.assertEqual(errors, [])
        self.assertGreaterEqual(len(rollovers), 2)
        self.assertEqual(got, written)

    def test_follows_child_shards_across_split_and_merge(self):
        self.create_stream("reshard", 1)
        arn = consumer_arn(self.kinesis, "reshard", "c")
        keys = ["key-%d" % k for k in range(16)]
        sent = {k: 0 for k in keys}
        writer_client = self.client()

        def put_round():
            entries = []
            for k in keys:
                entries.append({"PartitionKey": k, "Data": b"%s:%d" % (k.encode(), sent[k])})
                sent[k] += 1
            r = writer_client.put_records(StreamName="reshard", Records=entries)
            self.assertEqual(r["FailedRecordCount"], 0)

        for _ in range(5):
            put_round()
        self.kinesis.split_shard(StreamName="reshard", ShardToSplit="shardId-000000000000",
                                 NewStartingHashKey=str(2 ** 127))
        self.wait_active("reshard")
        for _ in range(5):
            put_round()
        self.kinesis.merge_shards(StreamName="reshard", ShardToMerge="shardId-000000000001",
                                  AdjacentShardToMerge="shardId-000000000002")
        self.wait_active("reshard")
        for _ in range(5):
            put_round()

        # Parents before children: a child is read once all its parents ended.
        received = {k: [] for k in keys}
        ended, pending = set(), ["shardId-000000000000"]
        parents_of = {}
        client = self.client()
        total = sum(sent.values())
        while pending:
            shard = pending.pop(0)
            if any(p not in ended for p in parents_of.get(shard, [])):
                pending.append(shard)
                continue

            def on_records(recs):
                for r in recs:
                    k, n = r["Data"].decode().split(":")
                    received[k].append(int(n))

            children = follow(client, arn, shard, {"Type": "TRIM_HORIZON"}, on_records,
                              stop=lambda: sum(len(v) for v in received.values()) >= total)
            if children is None:  # the open tip, read to the end of what was written
                continue
            ended.add(shard)
            for c in children:
                self.assertIn(shard, c["ParentShards"])
                self.assertIn("HashKeyRange", c)
                parents_of[c["ShardId"]] = c["ParentShards"]
                if c["ShardId"] not in pending:
                    pending.append(c["ShardId"])
        self.assertEqual(ended, {"shardId-000000000000", "shardId-000000000001",
                                 "shardId-000000000002"})
        for k in keys:
            self.assertEqual(received[k], list(range(sent[k])), k)


# ---- 100 subscribers over raw HTTP/1.1 -----------------------------------------

class RawSubscriber:
    """One SubscribeToShard over its own socket: the chunked body decoded,
    then the event stream by botocore.eventstream."""

    def __init__(self, host, port, arn, shard):
        body = json.dumps({"ConsumerARN": arn, "ShardId": shard,
                           "StartingPosition": {"Type": "LATEST"}}).encode()
        self.sock = socket.create_connection((host, port), timeout=WAIT_S)
        self.sock.sendall(
            b"POST / HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/x-amz-json-1.1\r\n"
            b"X-Amz-Target: Kinesis_20131202.SubscribeToShard\r\nContent-Length: %d\r\n\r\n"
            % (host.encode(), port, len(body)) + body)
        self.sock.setblocking(False)
        self.raw = b""
        self.head = None
        self.chunks = EventStreamBuffer()
        self.ended = False
        self.events = []  # decoded SubscribeToShardEvent payloads
        self.data = []

    def on_readable(self):
        try:
            chunk = self.sock.recv(1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            self.ended = True
            return
        self.raw += chunk
        if self.head is None:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            self.head = self.raw[:end].decode()
            self.raw = self.raw[end + 4:]
            assert self.head.startswith("HTTP/1.1 200"), self.head
            assert "application/vnd.amazon.eventstream" in self.head, self.head
            assert "chunked" in self.head.lower(), self.head
        while True:  # whole chunks only
            line_end = self.raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self.raw[:line_end], 16)
            if len(self.raw) < line_end + 2 + size + 2:
                return
            payload = self.raw[line_end + 2:line_end + 2 + size]
            self.raw = self.raw[line_end + 2 + size + 2:]
            if size == 0:
                self.ended = True
                return
            self.chunks.add_data(payload)
            for message in self.chunks:
                headers = message.headers
                assert headers[":message-type"] == "event", headers
                if headers[":event-type"] == "SubscribeToShardEvent":
                    event = json.loads(message.payload)
                    self.events.append(event)
                    self.data.extend(r["Data"] for r in event["Records"])

    def close(self):
        self.sock.close()


class HundredSubscribersTest(TidelogdTestCase):
    # 100 subscribers on one shard need more than the 20 consumers a stream
    # may have: AWS's one-per-consumer rule is lifted for this server.
    EXTRA_ARGS = ("--exclusive-subscriptions", "off")
    SUBSCRIBERS = 100
    RECORDS = 300

    def test_hundred_subscribers_get_every_record_in_order(self):
        self.create_stream("fan", 1)
        arns = [consumer_arn(self.kinesis, "fan", "c%d" % i) for i in range(20)]
        subs = [RawSubscriber(self.server.host, self.server.port, arns[i % 20],
                              "shardId-000000000000") for i in range(self.SUBSCRIBERS)]
        sel = selectors.DefaultSelector()
        try:
            for s in subs:
                sel.register(s.sock, selectors.EVENT_READ, s)

            def pump_until(cond):
                deadline = time.monotonic() + WAIT_S
                while not cond():
                    self.assertLess(time.monotonic(), deadline, "subscribers did not get it")
                    for key, _ in sel.select(timeout=1):
                        key.data.on_readable()

            # Every subscriber has its first event: they are all subscribed.
            pump_until(lambda: all(s.events for s in subs))
            expected = []
            for b in range(self.RECORDS // 50):
                batch = [b"%d" % i for i in range(b * 50, (b + 1) * 50)]
                self.kinesis.put_records(StreamName="fan", Records=[
                    {"PartitionKey": "k", "Data": d} for d in batch])
                expected.extend(batch)
            want = [base64.b64encode(d).decode() for d in expected]
            pump_until(lambda: all(len(s.data) >= len(want) for s in subs))
            for i, s in enumerate(subs):
                self.assertEqual(s.data, want, "subscriber %d" % i)
                self.assertFalse(s.ended)
        finally:
            sel.close()
            for s in subs:
                s.close()


if __name__ == "__main__":
    main()
