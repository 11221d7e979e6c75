"""CBOR (application/x-amz-cbor-1.1) end to end: a real tidelogd with SigV4
on, driven by requests built as the AWS SDK for Java v2 builds them (Jackson's
CBOR: indefinite-length maps and arrays, byte strings for blobs, tag 1 with an
integer epoch in milliseconds for timestamps), encoded and decoded with an
independent implementation (Debian's python3-cbor2) and signed here with the
standard library.

Every operation of botocore's Kinesis model is called (a table; the state an
operation needs is created first). Each response must be CBOR, decode
completely, and match the model's output shape: timestamps as tag 1 integers,
blobs as byte strings, nothing else tagged or binary. Read-only operations and
errors are also called in JSON and must say the same thing (status,
x-amzn-ErrorType, __type, message; values, timestamps to the millisecond).

Run with a python3 that has cbor2: CMake picks one; --model is botocore's
service-2.json.gz (found by CMake)."""

import argparse
import base64
import datetime
import gzip
import hashlib
import hmac
import http.client
import io
import json
import sys
import time
import unittest

import cbor2
import cbor2.decoder

import tidelogd_fixture
from tidelogd_fixture import POLL_INTERVAL_S, TidelogdTestCase

# Tag 1 stays a tag: AWS puts milliseconds in it, which cbor2 would read as
# seconds (and fail on the year).
cbor2.decoder.semantic_decoders.pop(1, None)

CBOR = "application/x-amz-cbor-1.1"
JSON = "application/x-amz-json-1.1"
ACCESS_KEY = "AKIDCBOR"
SECRET_KEY = "cbor-secret"
REGION = "us-east-1"
MODEL = None  # set by main() from --model


class Tag1:
    """A tag 1 timestamp in epoch milliseconds, as the Java SDK writes it."""

    def __init__(self, millis):
        self.millis = millis


def java_cbor(value):
    """Jackson CBORGenerator's encoding as the Java SDK drives it: maps and
    arrays of indefinite length, everything else through cbor2."""
    if isinstance(value, dict):
        return b"\xbf" + b"".join(cbor2.dumps(k) + java_cbor(v) for k, v in value.items()) + b"\xff"
    if isinstance(value, (list, tuple)):
        return b"\x9f" + b"".join(java_cbor(v) for v in value) + b"\xff"
    if isinstance(value, Tag1):
        return cbor2.dumps(cbor2.CBORTag(1, value.millis))
    return cbor2.dumps(value)


def decode(data):
    """One CBOR item that must fill `data` exactly."""
    fp = io.BytesIO(data)
    value = cbor2.decoder.CBORDecoder(fp).decode()
    if fp.tell() != len(data):
        raise AssertionError("%d trailing bytes" % (len(data) - fp.tell()))
    return value


def sigv4_headers(host, target, content_type, body, access=ACCESS_KEY, secret=SECRET_KEY):
    """The headers of a SigV4-signed POST / (header form, as the SDKs sign)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    headers = {"content-type": content_type, "host": host, "x-amz-date": amz_date,
               "x-amz-target": target}
    names = sorted(headers)
    canonical = "\n".join(["POST", "/", "", "".join("%s:%s\n" % (n, headers[n]) for n in names),
                           ";".join(names), hashlib.sha256(body).hexdigest()])
    scope = "%s/%s/kinesis/aws4_request" % (date, REGION)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, REGION, "kinesis", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
                                "Signature=%s" % (access, scope, ";".join(names), signature))
    return headers


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.raw = body
        self.content_type = headers.get("Content-Type")
        self.error_type = headers.get("x-amzn-ErrorType")
        self.value = None

    def message(self):
        v = self.value or {}
        return v.get("message", v.get("Message"))


def walk_shape(shapes, shape_name, value, path, problems):
    """Appends to `problems` each place `value` breaks the AWS CBOR encoding
    of model shape `shape_name`."""
    shape = shapes[shape_name]
    kind = shape["type"]
    if kind == "timestamp":
        if not (isinstance(value, cbor2.CBORTag) or type(value).__name__ == "CBORTag") \
                or value.tag != 1 or type(value.value) is not int:
            problems.append("%s: %r is not tag 1 + integer ms" % (path, value))
        return
    if isinstance(value, cbor2.CBORTag) or type(value).__name__ == "CBORTag":
        problems.append("%s: unexpected tag %r" % (path, value))
        return
    if kind == "blob":
        if not isinstance(value, bytes):
            problems.append("%s: %r is not a byte string" % (path, value))
    elif kind == "structure":
        if not isinstance(value, dict):
            problems.append("%s: not a map" % path)
            return
        members = shape.get("members", {})
        for k, v in value.items():
            if k not in members:
                problems.append("%s.%s: not in the model" % (path, k))
            else:
                walk_shape(shapes, members[k]["shape"], v, path + "." + k, problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append("%s: not an array" % path)
            return
        for i, v in enumerate(value):
            walk_shape(shapes, shape["member"]["shape"], v, "%s[%d]" % (path, i), problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append("%s: %r is not text" % (path, value))
    elif kind in ("integer", "long"):
        if type(value) is not int:
            problems.append("%s: %r is not an integer" % (path, value))
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append("%s: %r is not a boolean" % (path, value))


def as_json(value):
    """A decoded CBOR value as the JSON response would spell it."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if type(value).__name__ == "CBORTag" and value.tag == 1:
        return ("ms", value.value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def json_millis(value, shapes, shape_name):
    """A JSON response value with timestamps as ("ms", int), like as_json."""
    shape = shapes[shape_name]
    if shape["type"] == "timestamp":
        return ("ms", round(value * 1000))
    if shape["type"] == "structure":
        members = shape.get("members", {})
        return {k: json_millis(v, shapes, members[k]["shape"]) if k in members else v
                for k, v in value.items()}
    if shape["type"] == "list":
        return [json_millis(v, shapes, shape["member"]["shape"]) for v in value]
    return value


class CborTest(TidelogdTestCase):
    EXTRA_ARGS = ("--access-key-id", ACCESS_KEY, "--secret-access-key", SECRET_KEY)

    @classmethod
    def setUpFixtures(cls):
        with gzip.open(MODEL) as f:
            cls.model = json.load(f)
        cls.shapes = cls.model["shapes"]

    # ---- transport -------------------------------------------------------

    def send(self, op, body, content_type=CBOR, sign=True, secret=SECRET_KEY):
        host = "%s:%d" % (self.server.host, self.server.port)
        target = "Kinesis_20131202." + op
        if sign:
            headers = sigv4_headers(host, target, content_type, body, secret=secret)
        else:
            headers = {"content-type": content_type, "host": host, "x-amz-target": target}
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
        try:
            conn.request("POST", "/", body=body, headers=headers)
            r = conn.getresponse()
            reply = Reply(r.status, r.headers, r.read())
        finally:
            conn.close()
        if content_type == CBOR:
            if reply.raw:
                self.assertEqual(reply.content_type, CBOR, (op, reply.raw[:200]))
                reply.value = decode(reply.raw)
        elif reply.raw:
            reply.value = json.loads(reply.raw)
        return reply

    def cbor(self, op, params, expect=200):
        """Calls `op` in CBOR (Java SDK encoding) and checks the reply against
        the model's output (or error) shape."""
        r = self.send(op, java_cbor(params))
        self.assertEqual(r.status, expect, (op, r.value))
        if expect == 200:
            out = self.model["operations"][op].get("output")
            if r.value is not None and out:
                problems = []
                walk_shape(self.shapes, out["shape"], r.value, op, problems)
                self.assertEqual(problems, [], op)
        else:
            self.assertEqual(r.value["__type"], r.error_type, op)
        return r

    def json_call(self, op, params):
        return self.send(op, json.dumps(params).encode(), content_type=JSON)

    def same_as_json(self, op, cbor_params, json_params, ignore=()):
        """`op` in both formats says the same (statuses, errors, values)."""
        c = self.send(op, java_cbor(cbor_params))
        j = self.json_call(op, json_params)
        self.assertEqual(c.status, j.status, op)
        self.assertEqual(c.error_type, j.error_type, op)
        if j.status != 200:
            self.assertEqual(c.value["__type"], j.value["__type"], op)
            self.assertEqual(c.message(), j.message(), op)
            return c
        if "output" not in self.model["operations"][op]:
            self.assertIn(c.raw, (b"", b"\xa0"), op)
            self.assertIn(j.raw, (b"", b"{}"), op)
            return c
        out = self.model["operations"][op]["output"]["shape"]
        got, want = as_json(c.value or {}), json_millis(j.value or {}, self.shapes, out)
        for k in ignore:
            got.pop(k, None)
            want.pop(k, None)
        self.assertEqual(got, want, op)
        return c

    def wait_active(self, name):
        deadline = time.monotonic() + 60
        while True:
            s = self.cbor("DescribeStreamSummary", {"StreamName": name}).value
            if s["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                return s["StreamDescriptionSummary"]
            self.assertLess(time.monotonic(), deadline, "%s never ACTIVE" % name)
            time.sleep(POLL_INTERVAL_S)

    def stream(self, name, shards=1):
        self.cbor("CreateStream", {"StreamName": name, "ShardCount": shards})
        return self.wait_active(name)["StreamARN"]

    # ---- tests -----------------------------------------------------------

    def test_every_operation(self):
        ops = set(self.model["operations"])
        called = set()

        def call(op, params, expect=200):
            called.add(op)
            return self.cbor(op, params, expect)

        arn = self.stream("cbor-main", 2)
        called.add("CreateStream")
        called.add("DescribeStreamSummary")
        call("DescribeStream", {"StreamName": "cbor-main"})
        call("ListStreams", {"Limit": 10})
        call("ListShards", {"StreamName": "cbor-main"})
        call("DescribeLimits", {})
        call("IncreaseStreamRetentionPeriod", {"StreamName": "cbor-main", "RetentionPeriodHours": 48})
        call("DecreaseStreamRetentionPeriod", {"StreamName": "cbor-main", "RetentionPeriodHours": 24})
        call("EnableEnhancedMonitoring", {"StreamName": "cbor-main",
                                          "ShardLevelMetrics": ["IncomingBytes"]})
        call("DisableEnhancedMonitoring", {"StreamName": "cbor-main",
                                           "ShardLevelMetrics": ["IncomingBytes"]})
        call("StartStreamEncryption", {"StreamName": "cbor-main", "EncryptionType": "KMS",
                                       "KeyId": "alias/aws/kinesis"})
        self.wait_active("cbor-main")
        call("StopStreamEncryption", {"StreamName": "cbor-main", "EncryptionType": "KMS",
                                      "KeyId": "alias/aws/kinesis"})
        self.wait_active("cbor-main")

        # Tags, both APIs.
        call("AddTagsToStream", {"StreamName": "cbor-main", "Tags": {"team": "a", "x": "y"}})
        tags = call("ListTagsForStream", {"StreamName": "cbor-main"}).value["Tags"]
        self.assertIn({"Key": "team", "Value": "a"}, tags)
        call("RemoveTagsFromStream", {"StreamName": "cbor-main", "TagKeys": ["x"]})
        call("TagResource", {"ResourceARN": arn, "Tags": {"env": "test"}})
        tags = call("ListTagsForResource", {"ResourceARN": arn}).value["Tags"]
        self.assertIn({"Key": "env", "Value": "test"}, tags)
        call("UntagResource", {"ResourceARN": arn, "TagKeys": ["env"]})

        # Consumers.
        consumer = call("RegisterStreamConsumer", {"StreamARN": arn, "ConsumerName": "c1"}).value
        carn = consumer["Consumer"]["ConsumerARN"]
        self.assertEqual(consumer["Consumer"]["ConsumerCreationTimestamp"].tag, 1)
        call("DescribeStreamConsumer", {"ConsumerARN": carn})
        call("ListStreamConsumers", {"StreamARN": arn})
        # SubscribeToShard: an unknown consumer is refused before any event.
        called.add("SubscribeToShard")
        params = {"ConsumerARN": carn.replace("/consumer/c1:", "/consumer/nobody:"),
                  "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "LATEST"}}
        r = self.same_as_json("SubscribeToShard", params, params)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.error_type, "ResourceNotFoundException")
        call("DeregisterStreamConsumer", {"ConsumerARN": carn})

        # Resource policies.
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kinesis:GetRecords", "Resource": arn}]})
        call("PutResourcePolicy", {"ResourceARN": arn, "Policy": policy})
        self.assertEqual(call("GetResourcePolicy", {"ResourceARN": arn}).value["Policy"], policy)
        call("DeleteResourcePolicy", {"ResourceARN": arn})

        # Account settings and the newer stream settings: whatever they answer,
        # in CBOR, and the same as in JSON.
        for op, params in [
                ("DescribeAccountSettings", {}),
                ("UpdateAccountSettings", {"MinimumThroughputBillingCommitment":
                                           {"Status": "DISABLED"}}),
                ("UpdateMaxRecordSize", {"StreamARN": arn, "MaxRecordSizeInKiB": 2048}),
                ("UpdateStreamWarmThroughput", {"StreamARN": arn, "WarmThroughputMiBps": 10})]:
            called.add(op)
            self.same_as_json(op, params, params)
        self.wait_active("cbor-main")

        # Data plane: Java-SDK puts (fast path) and reads.
        r = call("PutRecord", {"StreamName": "cbor-main", "Data": b"\x00\xffone",
                               "PartitionKey": "pk"})
        self.assertTrue(r.value["ShardId"].startswith("shardId-"))
        before = int(time.time() * 1000)
        records = [{"Data": bytes([i]) * i, "PartitionKey": "k%d" % i} for i in range(1, 40)]
        records.append({"Data": b"hash", "PartitionKey": "p",
                        "ExplicitHashKey": "340282366920938463463374607431768211455"})
        r = call("PutRecords", {"Records": records, "StreamName": "cbor-main"})
        self.assertEqual(r.value["FailedRecordCount"], 0)
        self.assertEqual(len(r.value["Records"]), 40)
        got = []
        for shard in ("shardId-000000000000", "shardId-000000000001"):
            it = call("GetShardIterator", {"StreamName": "cbor-main", "ShardId": shard,
                                           "ShardIteratorType": "TRIM_HORIZON"}).value
            page = call("GetRecords", {"ShardIterator": it["ShardIterator"], "Limit": 1000})
            got += page.value["Records"]
            # The same page in JSON: same values, timestamps to the millisecond.
            self.same_as_json("GetRecords", {"ShardIterator": it["ShardIterator"], "Limit": 1000},
                              {"ShardIterator": it["ShardIterator"], "Limit": 1000},
                              ignore=("NextShardIterator", "MillisBehindLatest"))
        self.assertEqual(sorted(r["Data"] for r in got),
                         sorted([b"\x00\xffone", b"hash"] + [x["Data"] for x in records[:-1]]))
        stamps = [r["ApproximateArrivalTimestamp"].value for r in got]
        self.assertTrue(all(abs(s - before) < 600000 for s in stamps), stamps)

        # AT_TIMESTAMP with a tag 1 ms Timestamp: records from that instant on.
        cut = sorted(stamps)[len(stamps) // 2]
        for shard in ("shardId-000000000000", "shardId-000000000001"):
            it = call("GetShardIterator", {"StreamName": "cbor-main", "ShardId": shard,
                                           "ShardIteratorType": "AT_TIMESTAMP",
                                           "Timestamp": Tag1(cut)}).value
            page = call("GetRecords", {"ShardIterator": it["ShardIterator"]}).value
            for rec in page["Records"]:
                self.assertGreaterEqual(rec["ApproximateArrivalTimestamp"].value, cut)

        # Read-only calls say what JSON says.
        for op, params in [("DescribeStream", {"StreamName": "cbor-main"}),
                           ("DescribeStreamSummary", {"StreamName": "cbor-main"}),
                           ("ListStreams", {}), ("ListShards", {"StreamName": "cbor-main"}),
                           ("DescribeLimits", {}), ("ListStreamConsumers", {"StreamARN": arn}),
                           ("ListTagsForStream", {"StreamName": "cbor-main"})]:
            self.same_as_json(op, params, params)

        # Resharding, each on its own stream, and ListStreamConsumers with a
        # tag 1 StreamCreationTimestamp input.
        self.stream("cbor-split")
        call("SplitShard", {"StreamName": "cbor-split", "ShardToSplit": "shardId-000000000000",
                            "NewStartingHashKey": "170141183460469231731687303715884105728"})
        self.stream("cbor-merge", 2)
        call("MergeShards", {"StreamName": "cbor-merge", "ShardToMerge": "shardId-000000000000",
                             "AdjacentShardToMerge": "shardId-000000000001"})
        self.stream("cbor-usc")
        call("UpdateShardCount", {"StreamName": "cbor-usc", "TargetShardCount": 2,
                                  "ScalingType": "UNIFORM_SCALING"})
        mode_arn = self.stream("cbor-mode")
        call("UpdateStreamMode", {"StreamARN": mode_arn,
                                  "StreamModeDetails": {"StreamMode": "ON_DEMAND"}})
        self.stream("cbor-del")
        call("DeleteStream", {"StreamName": "cbor-del"})
        self.assertEqual(sorted(ops - called), [])

    def test_errors_match_json(self):
        # An engine error, a type error, a constraint error, an unknown
        # operation: the same status, header, __type and message as JSON.
        self.same_as_json("DescribeStream", {"StreamName": "missing"}, {"StreamName": "missing"})
        self.same_as_json("DescribeStream", {"StreamName": 5}, {"StreamName": 5})
        self.same_as_json("DescribeStream", {"StreamName": True}, {"StreamName": True})
        self.same_as_json("CreateStream", {"StreamName": "bad name!", "ShardCount": 0},
                          {"StreamName": "bad name!", "ShardCount": 0})
        self.same_as_json("ListShards", {"MaxResults": "x"}, {"MaxResults": "x"})
        self.same_as_json("NoSuchOperation", {}, {})
        r = self.send("ListStreams", java_cbor({}), secret="wrong")
        j = self.send("ListStreams", b"{}", content_type=JSON, secret="wrong")
        self.assertEqual((r.status, r.error_type, r.value["__type"], r.message()),
                         (j.status, j.error_type, j.value["__type"], j.message()))
        self.assertGreaterEqual(r.status, 400)
        r = self.send("ListStreams", java_cbor({}), sign=False)
        self.assertEqual(r.content_type, CBOR)
        self.assertGreaterEqual(r.status, 400)
        self.assertEqual(r.value["__type"], r.error_type)

    def test_malformed_cbor_is_a_serialization_exception(self):
        good = java_cbor({"StreamName": "x"})
        for body in [b"", good[:-1], good + b"\x00", b"\xa1\x61", b"\x5b" + b"\xff" * 8,
                     b"\xbf\x61k\x61\xff\xff",  # invalid UTF-8 text
                     b"\x81" * 200 + b"\x00",   # too deep
                     b"\xf9\x7e\x00",            # NaN, at the top
                     b"\x1c", b"\xff", b"\xa1\x01\x02"]:
            with self.subTest(body=body[:16]):
                r = self.send("ListStreams", body)
                self.assertEqual(r.status, 400)
                self.assertEqual(r.error_type, "SerializationException")
                self.assertEqual(r.value["__type"], "SerializationException")
        # A definite-length body is as good as the Java SDK's indefinite one.
        r = self.send("ListStreams", cbor2.dumps({"Limit": 1}))
        self.assertEqual(r.status, 200)
        self.assertIsInstance(r.value["StreamNames"], list)


def main():
    global MODEL
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--model", required=True)
    args, rest = parser.parse_known_args()
    MODEL = args.model
    sys.argv = [sys.argv[0]] + rest
    tidelogd_fixture.main()


if __name__ == "__main__":
    main()
