#!/usr/bin/env python3
"""Checks Tidelog's application/vnd.amazon.eventstream encoder with botocore.

Runs the EventStreamExport test of tidelog_kinesis_tests, which writes six
messages encoded by server/kinesis/event_stream.cc to a file, then parses
them with botocore's own decoder (botocore.eventstream.EventStreamBuffer,
whole and one byte at a time) and with its Kinesis SubscribeToShard response
parser (initial-response, SubscribeToShardEvent, then a modeled exception),
against expectations written here independently of the C++ side. Keep the
two in step with tests/kinesis/event_stream_test.cc (EventStreamExport).

Usage: check_event_stream.py --kinesis-tests path/to/tidelog_kinesis_tests
"""
import argparse
import os
import subprocess
import sys
import tempfile
import unittest

import botocore.session
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError
from botocore.parsers import create_parser

SEQ = "49590338271490256608559692538361571095921575989136588898"

# (headers, payload) of each exported message, in order.
EXPECTED = [
    (
        {":message-type": "event", ":event-type": "initial-response",
         ":content-type": "application/json"},
        b"{}",
    ),
    (
        {":message-type": "event", ":event-type": "SubscribeToShardEvent",
         ":content-type": "application/json"},
        (b'{"Records":[{"SequenceNumber":"' + SEQ.encode() + b'",'
         b'"ApproximateArrivalTimestamp":1700000000.123,"Data":"aGVsbG8=",'
         b'"PartitionKey":"pk-1"}],"ContinuationSequenceNumber":"' + SEQ.encode()
         + b'","MillisBehindLatest":0,"ChildShards":[]}'),
    ),
    (
        {"t": True, "f": False, "byte": -128, "short": -32768, "int": 2147483647,
         "long": -(2**63), "ts": 1700000000123, "bytes": b"\x00\xff",
         "str": "h\u00e9llo \u2713", "uuid": bytes(range(0, 256, 17))},
        b"\x00\x01\xfe\xff",
    ),
    (
        {":message-type": "event", ":event-type": "SubscribeToShardEvent",
         ":content-type": "application/x-amz-cbor-1.1"},
        b"\xa0",
    ),
    (
        {":message-type": "exception", ":exception-type": "ResourceNotFoundException",
         ":content-type": "application/json"},
        b'{"message":"Shard shardId-000000000007 not found"}',
    ),
    ({}, b""),
]

# The header order AppendEventMessage / AppendExceptionMessage write.
EVENT_ORDER = [b":message-type", b":event-type", b":content-type"]
EXCEPTION_ORDER = [b":message-type", b":exception-type", b":content-type"]

KINESIS_TESTS = None


def export_messages():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "messages.bin")
        env = dict(os.environ, TIDELOG_EVENT_STREAM_EXPORT=path)
        subprocess.run([KINESIS_TESTS, "--gtest_filter=EventStreamExport.*"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        with open(path, "rb") as f:
            return f.read()


def header_names_in_wire_order(message_bytes, headers_length):
    """The header names of one message, read straight off the bytes."""
    names, p, end = [], 12, 12 + headers_length
    sizes = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
    while p < end:
        n = message_bytes[p]
        names.append(message_bytes[p + 1:p + 1 + n])
        p += 1 + n
        t = message_bytes[p]
        p += 1
        if t in (6, 7):
            p += 2 + int.from_bytes(message_bytes[p:p + 2], "big")
        else:
            p += sizes[t]
    return names


class FakeRawStream:
    """What botocore's parsers read an HTTP body from: chunks via stream()."""

    def __init__(self, data, chunk=7):
        self._chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]

    def stream(self):
        yield from self._chunks

    def close(self):
        pass


class BotocoreParsesTidelogEventStream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = export_messages()

    def parse(self, feed_bytewise=False):
        buf = EventStreamBuffer()
        if not feed_bytewise:
            buf.add_data(self.data)
            return list(buf)
        messages = []
        for i in range(len(self.data)):
            buf.add_data(self.data[i:i + 1])
            messages.extend(buf)
        return messages

    def test_raw_decode(self):
        for feed_bytewise in (False, True):
            messages = self.parse(feed_bytewise)
            self.assertEqual(len(messages), len(EXPECTED))
            for i, (message, (headers, payload)) in enumerate(zip(messages, EXPECTED)):
                with self.subTest(message=i, bytewise=feed_bytewise):
                    self.assertEqual(message.headers, headers)
                    self.assertEqual(message.payload, payload)
            self.assertEqual(sum(m.prelude.total_length for m in messages), len(self.data))

    def test_header_order(self):
        offset = 0
        for i, message in enumerate(self.parse()):
            raw = self.data[offset:offset + message.prelude.total_length]
            offset += message.prelude.total_length
            names = header_names_in_wire_order(raw, message.prelude.headers_length)
            if i in (0, 1, 3):
                self.assertEqual(names, EVENT_ORDER)
            elif i == 4:
                self.assertEqual(names, EXCEPTION_ORDER)

    def test_kinesis_subscribe_to_shard_parser(self):
        """botocore's JSON-protocol parser for SubscribeToShard, as boto3 uses it."""
        model = botocore.session.get_session().get_service_model("kinesis")
        output_shape = model.operation_model("SubscribeToShard").output_shape
        messages = self.parse()
        offsets, offset = [], 0
        for m in messages:
            offsets.append((offset, offset + m.prelude.total_length))
            offset += m.prelude.total_length
        body = b"".join(self.data[a:b] for a, b in (offsets[0], offsets[1], offsets[4]))
        response = {
            "status_code": 200,
            "headers": {"content-type": "application/vnd.amazon.eventstream"},
            "body": FakeRawStream(body),
            "context": {"operation_name": "SubscribeToShard"},
        }
        parsed = create_parser("json").parse(response, output_shape)
        events = iter(parsed["EventStream"])
        event = next(events)["SubscribeToShardEvent"]
        self.assertEqual(event["ContinuationSequenceNumber"], SEQ)
        self.assertEqual(event["MillisBehindLatest"], 0)
        self.assertEqual(event["ChildShards"], [])
        (record,) = event["Records"]
        self.assertEqual(record["Data"], b"hello")
        self.assertEqual(record["PartitionKey"], "pk-1")
        self.assertEqual(record["SequenceNumber"], SEQ)
        self.assertAlmostEqual(record["ApproximateArrivalTimestamp"].timestamp(),
                               1700000000.123, places=3)
        with self.assertRaises(EventStreamError) as caught:
            next(events)
        error = caught.exception.response["Error"]
        self.assertEqual(error["Code"], "ResourceNotFoundException")
        self.assertEqual(error["Message"], "Shard shardId-000000000007 not found")


def main():
    global KINESIS_TESTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinesis-tests", required=True,
                        help="the tidelog_kinesis_tests binary")
    args, rest = parser.parse_known_args()
    KINESIS_TESTS = args.kinesis_tests
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
