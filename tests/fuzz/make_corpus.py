#!/usr/bin/env python3
"""Writes the realistic seeds of tests/fuzz/corpus/ (its output is committed;
run again only to refresh them): requests as boto3 and the AWS CLI send them
(captured on a loopback socket, signed at the AWS documentation's example
time 2015-08-30T12:36:00Z with its example key), HTTP/2 connections as nghttp
and h2load open them, the AWS documentation's example bodies in JSON and in
CBOR as the Java SDK v2 writes them (Jackson: indefinite maps and arrays,
byte-string Data, tag 1 timestamps), and the text formats (dates, numbers,
TOML). The binary formats the project encodes itself (tokens, chunks,
metadata, event-stream frames) come from tidelog_fuzz_seedgen.

Usage: tests/fuzz/make_corpus.py [corpus-dir]   (needs boto3, awscli, nghttp, h2load)
"""
import datetime
import hashlib
import os
import re
import socket
import struct
import subprocess
import sys
import threading

import boto3
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
FIXED = datetime.datetime(2015, 8, 30, 12, 36, 0, tzinfo=datetime.timezone.utc)
ACCESS_KEY = "AKIDEXAMPLE"  # the fuzz_sigv4 verifier's long-term key
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
PORT = 4567
JSON = "application/x-amz-json-1.1"
CBOR = "application/x-amz-cbor-1.1"
CONSUMER_ARN = ("arn:aws:kinesis:us-east-1:000000000000:stream/fuzz/consumer/"
                "fuzz-consumer:1704067200")
STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/fuzz"

botocore.auth.get_current_datetime = lambda *args, **kwargs: FIXED.replace(tzinfo=None)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safe(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:60]


# ---- The AWS documentation's example requests ---------------------------------

DOCS = {
    "CreateStream": {"StreamName": "fuzz2", "ShardCount": 3},
    "CreateStream-ondemand": {"StreamName": "fuzz3", "StreamModeDetails": {"StreamMode": "ON_DEMAND"},
                              "Tags": {"team": "data"}},
    "DescribeStream": {"StreamName": "fuzz", "Limit": 10},
    "DescribeStreamSummary": {"StreamARN": STREAM_ARN},
    "ListStreams": {"Limit": 2},
    "ListShards": {"StreamName": "fuzz", "MaxResults": 1},
    "ListShards-filter": {"StreamName": "fuzz", "ShardFilter": {"Type": "AFTER_SHARD_ID",
                                                               "ShardId": "shardId-000000000000"}},
    "PutRecord": {"StreamName": "fuzz", "Data": "XzxkYXRhPl8x", "PartitionKey": "partitionKey"},
    "PutRecord-hashkey": {"StreamName": "fuzz", "Data": "aGVsbG8gd29ybGQ=", "PartitionKey": "k",
                          "ExplicitHashKey": "170141183460469231731687303715884105728",
                          "SequenceNumberForOrdering": "0"},
    "PutRecords": {"StreamName": "fuzz", "Records": [
        {"Data": "XzxkYXRhPl8w", "PartitionKey": "partitionKey1"},
        {"Data": "AbceddeRFfg12asd", "PartitionKey": "partitionKey1"},
        {"Data": "KFpcd98*7nd1", "PartitionKey": "partitionKey3"}]},
    "PutRecords-valid": {"StreamName": "fuzz", "Records": [
        {"Data": "XzxkYXRhPl8w", "PartitionKey": "partitionKey1"},
        {"Data": "", "PartitionKey": "p2", "ExplicitHashKey": "0"}]},
    "GetShardIterator": {"StreamName": "fuzz", "ShardId": "shardId-000000000001",
                         "ShardIteratorType": "LATEST"},
    "GetShardIterator-at": {"StreamName": "fuzz", "ShardId": "shardId-000000000000",
                            "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                            "StartingSequenceNumber":
                                "49590338271490256608559692538361571095921575989136588898"},
    "GetShardIterator-time": {"StreamName": "fuzz", "ShardId": "0",
                              "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": 1704067200.5},
    "GetRecords": {"ShardIterator": "AAAAAAAAAAETYyAYzd665+8e0X7JTsASDM/Hr2rSwc0X2qz93iuA3udrjTH+ikQvpQk/1ZcMMLzRdAesqwBGPnsthzU0/CBlM/U8/8oEqGwX3pKw0XyeDNRAAZyXBo3MqkQtCpXhr942BRTjvWKhFz7OmCb2Ncfr8Tl2cBktooi6kJhr+djN5WYkB38Rr3akRgCl9qaU4dY=",
                   "Limit": 25},
    "AddTagsToStream": {"StreamName": "fuzz", "Tags": {"Project": "myProject", "Environment": "Production"}},
    "ListTagsForStream": {"StreamName": "fuzz", "ExclusiveStartTagKey": "Project", "Limit": 10},
    "RemoveTagsFromStream": {"StreamName": "fuzz", "TagKeys": ["Project", "Environment"]},
    "IncreaseStreamRetentionPeriod": {"StreamName": "fuzz", "RetentionPeriodHours": 48},
    "DecreaseStreamRetentionPeriod": {"StreamName": "fuzz", "RetentionPeriodHours": 24},
    "SplitShard": {"StreamName": "fuzz", "ShardToSplit": "shardId-000000000000",
                   "NewStartingHashKey": "10"},
    "MergeShards": {"StreamName": "fuzz", "ShardToMerge": "shardId-000000000000",
                    "AdjacentShardToMerge": "shardId-000000000001"},
    "UpdateShardCount": {"StreamName": "fuzz", "TargetShardCount": 4, "ScalingType": "UNIFORM_SCALING"},
    "RegisterStreamConsumer": {"StreamARN": STREAM_ARN, "ConsumerName": "c2"},
    "DescribeStreamConsumer": {"ConsumerARN": CONSUMER_ARN},
    "ListStreamConsumers": {"StreamARN": STREAM_ARN, "MaxResults": 5},
    "DeregisterStreamConsumer": {"StreamARN": STREAM_ARN, "ConsumerName": "c2"},
    "SubscribeToShard": {"ConsumerARN": CONSUMER_ARN, "ShardId": "shardId-000000000000",
                         "StartingPosition": {"Type": "TRIM_HORIZON"}},
    "EnableEnhancedMonitoring": {"StreamName": "fuzz", "ShardLevelMetrics": ["IncomingBytes", "ALL"]},
    "DisableEnhancedMonitoring": {"StreamName": "fuzz", "ShardLevelMetrics": ["IncomingBytes"]},
    "StartStreamEncryption": {"StreamName": "fuzz", "EncryptionType": "KMS",
                              "KeyId": "alias/aws/kinesis"},
    "StopStreamEncryption": {"StreamName": "fuzz", "EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
    "UpdateStreamMode": {"StreamARN": STREAM_ARN, "StreamModeDetails": {"StreamMode": "PROVISIONED"}},
    "DescribeLimits": {},
    "DescribeAccountSettings": {},
    "UpdateAccountSettings": {"MinimumThroughputBillingCommitment": {"Status": "ENABLED"}},
    "PutResourcePolicy": {"ResourceARN": STREAM_ARN,
                          "Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"},
    "GetResourcePolicy": {"ResourceARN": STREAM_ARN},
    "DeleteResourcePolicy": {"ResourceARN": STREAM_ARN},
    "TagResource": {"ResourceARN": STREAM_ARN, "Tags": {"k": "v"}},
    "UntagResource": {"ResourceARN": STREAM_ARN, "TagKeys": ["k"]},
    "ListTagsForResource": {"ResourceARN": STREAM_ARN},
    "UpdateMaxRecordSize": {"StreamARN": STREAM_ARN, "MaxRecordSizeInKiB": 2048},
    "UpdateStreamWarmThroughput": {"StreamName": "fuzz", "WarmThroughputMiBps": 10},
    "DeleteStream": {"StreamName": "fuzz3", "EnforceConsumerDeletion": True},
}

BLOBS = {"Data"}
TIMESTAMPS = {"Timestamp"}


def operation_of(name):
    return name.split("-")[0]


# ---- CBOR as the Java SDK v2 writes it -----------------------------------------

def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | ai]) + struct.pack(fmt, n)
    raise ValueError(n)


def java_cbor(value, key=""):
    """Jackson's CBORGenerator as the SDK drives it: indefinite maps and arrays,
    Data as a byte string, timestamps as tag 1 + epoch milliseconds."""
    import base64
    if isinstance(value, dict):
        return b"\xbf" + b"".join(java_cbor(k) + java_cbor(v, k) for k, v in value.items()) + b"\xff"
    if isinstance(value, list):
        return b"\x9f" + b"".join(java_cbor(v) for v in value) + b"\xff"
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if key in TIMESTAMPS and isinstance(value, (int, float)):
        return b"\xc1" + cbor_head(0, int(value * 1000))
    if isinstance(value, int):
        return cbor_head(0, value) if value >= 0 else cbor_head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if key in BLOBS:
        try:
            raw = base64.b64decode(value, validate=True)
        except Exception:
            raw = value.encode()
        return cbor_head(2, len(raw)) + raw
    b = value.encode()
    return cbor_head(3, len(b)) + b


def definite_cbor(value, key=""):
    """The same with definite lengths (what a Rust or Go client might send)."""
    if isinstance(value, dict):
        return cbor_head(5, len(value)) + b"".join(definite_cbor(k) + definite_cbor(v, k)
                                                   for k, v in value.items())
    if isinstance(value, list):
        return cbor_head(4, len(value)) + b"".join(definite_cbor(v) for v in value)
    return java_cbor(value, key)


# ---- Capturing real clients ----------------------------------------------------

def read_until(conn, done):
    """Reads from `conn` until done(bytes so far), the peer closes, or the timeout."""
    data = b""
    try:
        while not done(data):
            d = conn.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    return data


def http1_request_complete(data):
    """True once `data` holds an HTTP/1.1 request's head and its Content-Length body."""
    if b"\r\n\r\n" not in data:
        return False
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    return len(body) >= (int(m.group(1)) if m else 0)


class Capture:
    """A loopback HTTP/1.1 endpoint that records each request and answers {}."""

    def __init__(self):
        self.requests = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", PORT))
        self.sock.listen()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            c, _ = self.sock.accept()
            c.settimeout(3)
            self.requests.append(read_until(c, http1_request_complete))
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\n"
                      b"Content-Length: 2\r\nConnection: close\r\n\r\n{}")
            c.close()


def boto3_requests(capture):
    client = boto3.client("kinesis", endpoint_url="http://localhost:%d" % PORT,
                          region_name="us-east-1", aws_access_key_id=ACCESS_KEY,
                          aws_secret_access_key=SECRET_KEY,
                          config=Config(retries={"max_attempts": 1}))
    calls = [
        ("put_record", dict(StreamName="fuzz", Data=b"hello", PartitionKey="pk")),
        ("put_record", dict(StreamName="fuzz", Data=bytes(range(40)), PartitionKey="k",
                            ExplicitHashKey="340282366920938463463374607431768211455")),
        ("put_records", dict(StreamName="fuzz", Records=[
            {"Data": b"record %d" % i, "PartitionKey": "key-%d" % i} for i in range(5)])),
        ("describe_stream_summary", dict(StreamName="fuzz")),
        ("list_shards", dict(StreamName="fuzz")),
        ("get_shard_iterator", dict(StreamName="fuzz", ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")),
        ("get_shard_iterator", dict(StreamName="fuzz", ShardId="shardId-000000000000",
                                    ShardIteratorType="AT_TIMESTAMP", Timestamp=FIXED)),
        ("create_stream", dict(StreamName="fuzz2", ShardCount=2)),
        ("list_streams", dict()),
        ("add_tags_to_stream", dict(StreamName="fuzz", Tags={"a": "b"})),
        ("register_stream_consumer", dict(StreamARN=STREAM_ARN, ConsumerName="c")),
        ("describe_limits", dict()),
    ]
    for name, kwargs in calls:
        try:
            getattr(client, name)(**kwargs)
        except Exception:
            pass  # the canned {} does not fit every output shape
    return [("boto3-%02d-%s" % (i, calls[i][0]), r)
            for i, r in enumerate(capture.requests[:len(calls)])]


def cli_requests(capture):
    from awscli.clidriver import create_clidriver
    os.environ.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                      AWS_DEFAULT_REGION="us-east-1", AWS_MAX_ATTEMPTS="1")
    start = len(capture.requests)
    commands = [
        ["kinesis", "list-streams"],
        ["kinesis", "describe-stream", "--stream-name", "fuzz"],
        ["kinesis", "put-record", "--stream-name", "fuzz", "--data", "aGVsbG8=",
         "--partition-key", "cli"],
        ["kinesis", "list-shards", "--stream-name", "fuzz", "--max-results", "3"],
    ]
    for argv in commands:
        with open(os.devnull, "w") as null:
            stdout, stderr = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = null
            try:
                create_clidriver().main(argv + ["--endpoint-url", "http://localhost:%d" % PORT])
            except BaseException:
                pass
            finally:
                sys.stdout, sys.stderr = stdout, stderr
    return [("cli-" + "-".join(commands[i][1:2]), r)
            for i, r in enumerate(capture.requests[start:start + len(commands)])]


def split_request(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = [tuple(part.strip() for part in l.split(":", 1)) for l in lines[1:]]
    return method, target, headers, body


def rebuild(method, target, headers, body, version="HTTP/1.1"):
    text = "%s %s %s\r\n" % (method, target, version)
    text += "".join("%s: %s\r\n" % h for h in headers) + "\r\n"
    return text.encode("latin-1") + body


def set_header(headers, name, value):
    out = [h for h in headers if h[0].lower() != name.lower()]
    if value is not None:
        out.append((name, value))
    return out


def chunked(body, size=7):
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def http1_seeds(captured):
    for name, raw in captured:
        write("http1", safe(name), raw)
    method, target, headers, body = split_request(captured[0][1])
    plain = set_header(headers, "Authorization", None)
    te = set_header(set_header(plain, "Content-Length", None), "Transfer-Encoding", "chunked")
    write("http1", "chunked-body", rebuild(method, target, te, chunked(body)))
    write("http1", "chunked-with-trailer",
          rebuild(method, target, te, chunked(body)[:-2] + b"x-checksum: 1\r\n\r\n"))
    write("http1", "expect-100-continue",
          rebuild(method, target, set_header(plain, "Expect", "100-continue"), body))
    write("http1", "pipelined-three",
          b"".join(rebuild(method, target, set_header(plain, "x-fuzz-mode", m), body)
                   for m in ("later", "stream", "later")))
    write("http1", "pipelined-later-empty",
          rebuild(method, target, set_header(plain, "x-fuzz-mode", "later"), body) +
          rebuild(method, target, set_header(plain, "x-fuzz-mode", "empty"), body) +
          rebuild("GET", "/health", [("Host", "localhost")], b""))
    write("http1", "rejected-from-head",
          rebuild(method, target, set_header(plain, "x-fuzz-reject", "1"), body) +
          rebuild(method, target, plain, body))
    write("http1", "head-then-get",
          rebuild("HEAD", "/", [("Host", "localhost")], b"") +
          rebuild("GET", "/", [("Host", "localhost"), ("x-fuzz-mode", "stream")], b""))
    write("http1", "http10-keepalive",
          rebuild("POST", "/", set_header(plain, "Connection", "keep-alive"), body, "HTTP/1.0"))
    write("http1", "too-large-length",
          rebuild(method, target, set_header(plain, "Content-Length", "70000"), b"x" * 100))
    write("http1", "header-too-large",
          rebuild(method, target, plain + [("x-big", "a" * 9000)], body))
    write("http1", "absolute-form", rebuild("POST", "http://localhost:4567/?a=b", plain, body))
    write("http1", "obs-fold-and-lf",
          b"POST / HTTP/1.1\nHost: localhost\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}")


def sigv4_fdp(method, target, headers, body, mode):
    """The FuzzedDataProvider layout fuzz_sigv4 reads: strings from the front
    (a backslash followed by another byte ends one), numbers from the back."""
    def string(s):
        return s.replace(b"\\", b"\\\\") + b"\\\x00"
    front = b""
    post = method == "POST"
    if not post:
        front += string(method.encode())
    front += string(target.encode("latin-1"))
    headers = headers[:12]
    for name, value in headers:
        front += string(name.lower().encode("latin-1")) + string(value.encode("latin-1"))
    # Read from the end: the method bool, the header count, the mode byte.
    return front + body + bytes([mode, len(headers), 1 if post else 0])


def sigv4_seeds(captured):
    for i, (name, raw) in enumerate(captured[:8]):
        method, target, headers, body = split_request(raw)
        write("sigv4", safe(name), sigv4_fdp(method, target, headers, body, i % 4))
    # A presigned (query-string) request as botocore signs it.
    creds = Credentials(ACCESS_KEY, SECRET_KEY)
    req = AWSRequest(method="GET", url="http://localhost:4567/?Action=ListStreams",
                     headers={"host": "localhost:4567"})
    botocore.auth.SigV4QueryAuth(creds, "kinesis", "us-east-1", expires=300).add_auth(req)
    url = req.url
    target = url[url.index("/", len("http://")):]
    write("sigv4", "presigned-botocore", sigv4_fdp("GET", target, [("host", "localhost:4567")], b"", 0))
    # A Date header instead of X-Amz-Date, and a session token.
    method, target, headers, body = split_request(captured[0][1])
    write("sigv4", "date-header",
          sigv4_fdp(method, target, set_header(headers, "X-Amz-Date", None) +
                    [("Date", "Sun, 30 Aug 2015 12:36:00 GMT")], body, 2))
    write("sigv4", "session-token",
          sigv4_fdp(method, target, headers + [("X-Amz-Security-Token", "FwoGZXIvYXdzEXAMPLETOKEN")],
                    body, 2))


def json_seeds(captured):
    for name, raw in captured:
        body = split_request(raw)[3]
        if body:
            write("json", safe(name), body)
    import json
    for name, doc in DOCS.items():
        write("json", "docs-" + name, json.dumps(doc))
    write("json", "numbers", '{"a":[0,-0,1e400,-1e400,18446744073709551616,-9223372036854775809,'
                             '1.5e-400,123456789012345678901234567890,0.1,2.5E+3]}')
    write("json", "escapes", '{"s":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/","k":"\u00e9t\u00e9"}')
    write("json", "nested", '{"a":' * 40 + "null" + "}" * 40)
    write("json", "timestamps-transcoded",
          '{"StreamCreationTimestamp":1459799926.48,"Data":"aGVsbG8=","EndedAt":1e30}')
    write("json", "duplicate-members", '{"StreamName":"a","StreamName":"b","Limit":null}')


def put_seeds():
    import json
    for name in ("PutRecord", "PutRecord-hashkey", "PutRecords", "PutRecords-valid"):
        batch = operation_of(name) == "PutRecords"
        doc = DOCS[name]
        write("put_fast_path", "docs-" + name, bytes([batch]) + json.dumps(doc).encode())
        write("put_fast_path", "compact-" + name,
              bytes([batch]) + json.dumps(doc, separators=(",", ":")).encode())
        write("cbor_put_fast_path", "java-" + name, bytes([batch]) + java_cbor(doc))
        write("cbor_put_fast_path", "definite-" + name, bytes([batch]) + definite_cbor(doc))
    write("put_fast_path", "boto3-PutRecords-500", b"\x01" + json.dumps(
        {"StreamName": "fuzz", "Records": [{"Data": "AA==", "PartitionKey": str(i)}
                                           for i in range(500)]}).encode())


def cbor_seeds():
    for name, doc in DOCS.items():
        write("cbor", "java-" + name, java_cbor(doc))
    write("cbor", "definite-ListShards", definite_cbor(DOCS["ListShards"]))
    write("cbor", "floats-and-tags",
          b"\xa5\x61h\xf9\x3c\x00\x61f\xfa\x3f\xc0\x00\x00\x61t\xc1\xfb\x41\xd6\x5c\x4d\x80\x00"
          b"\x00\x00\x61u\xf7\x61x\xd8\x20\x63abc")
    write("cbor", "indefinite-strings", b"\xbf\x7f\x61a\x61b\xff\x5f\x41\x01\x42\x02\x03\xff\xff")
    write("cbor", "big-integers", b"\x82\x1b\xff\xff\xff\xff\xff\xff\xff\xff"
                                  b"\x3b\xff\xff\xff\xff\xff\xff\xff\xff")


OPERATIONS = re.findall(r'^\s+"([A-Za-z]+)",$',
                        open(os.path.join(HERE, "json_tree.h")).read(), re.M)


def service_seeds():
    """fuzz_kinesis_service's input: operation index, flags (bit 0 CBOR), body."""
    import json
    for name, doc in DOCS.items():
        op = OPERATIONS.index(operation_of(name))
        write("kinesis_service", "json-" + name, bytes([op, 0]) + json.dumps(doc).encode())
        write("kinesis_service", "cbor-" + name, bytes([op, 1]) + java_cbor(doc))
    write("kinesis_service", "cors-ListStreams",
          bytes([OPERATIONS.index("ListStreams"), 2]) + b"{}")
    write("kinesis_service", "get-method", bytes([0, 4]) + b"{}")
    write("kinesis_service", "unknown-operation", bytes([len(OPERATIONS), 0]) + b"{}")
    write("kinesis_service", "unparseable", bytes([OPERATIONS.index("PutRecords"), 0]) + b"{\"Rec")


def h2_capture(args, body=None):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    out = []

    def serve():
        c, _ = sock.accept()
        c.settimeout(1.5)
        out.append(read_until(c, lambda data: False))
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    if body is not None:
        with open("/tmp/tidelog-fuzz-h2-body", "wb") as f:
            f.write(body)
    cmd = [a.replace("PORT", str(port)) for a in args]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)
    t.join()
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    data = out[0]
    return data[len(preface):] if data.startswith(preface) else data


def http2_seeds(captured):
    method, target, headers, body = split_request(captured[0][1])
    h = []
    for name, value in headers:
        if name.lower() not in ("host", "content-length", "accept-encoding", "connection"):
            h += ["-H", "%s: %s" % (name.lower(), value)]
    url = "http://127.0.0.1:PORT/"
    write("http2", "nghttp-put-record", h2_capture(["nghttp", "-d", "/tmp/tidelog-fuzz-h2-body"]
                                                   + h + [url], body))
    write("http2", "nghttp-get", h2_capture(["nghttp", url]))
    write("http2", "nghttp-modes", h2_capture(
        ["nghttp", "-d", "/tmp/tidelog-fuzz-h2-body", "-H", "x-fuzz-mode: later", url,
         "http://127.0.0.1:PORT/stream"], body))
    write("http2", "nghttp-reject", h2_capture(
        ["nghttp", "-d", "/tmp/tidelog-fuzz-h2-body", "-H", "x-fuzz-reject: 1",
         "-H", "expect: 100-continue", url], body))
    write("http2", "nghttp-head-stream", h2_capture(
        ["nghttp", "-H", ":method: HEAD", "-H", "x-fuzz-mode: stream", url]))
    write("http2", "h2load-four-streams", h2_capture(
        ["h2load", "-n", "4", "-c", "1", "-m", "4", "-d", "/tmp/tidelog-fuzz-h2-body",
         "-H", "content-type: application/x-amz-json-1.1", url], body))
    os.unlink("/tmp/tidelog-fuzz-h2-body")


def text_seeds():
    for name, text in {
        "amz-date": "20150830T123600Z", "amz-date-leap": "20161231T235960Z",
        "amz-date-year0": "00000101T000000Z", "amz-date-feb29": "20240229T120000Z",
        "http-date": "Sun, 06 Nov 1994 08:49:37 GMT", "http-date-aws": "Sun, 30 Aug 2015 12:36:00 GMT",
        "http-date-9999": "Fri, 31 Dec 9999 23:59:59 GMT",
        "http-date-leap-9999": "Fri, 31 Dec 9999 23:59:60 GMT",
    }.items():
        write("dates", name, text)
    for name, text in {
        "seq-v2": "49590338271490256608559692538361571095921575989136588898",
        "seq-legacy": "21269319989653637946712965403778482371",
        "seq-max": "6277101735386680763835789423207666416102355444464034512895",
        "seq-zero": "0", "hash-max": "340282366920938463463374607431768211455",
        "hash-over": "340282366920938463463374607431768211456", "shard-id": "shardId-000000000007",
        "shard-short": "shardId-7", "shard-resolve": "foo-0005-bar", "mode": "ON_DEMAND",
        "iterator-type": "AFTER_SEQUENCE_NUMBER", "filter": "FROM_TIMESTAMP",
        "stream-arn": STREAM_ARN, "consumer-arn": CONSUMER_ARN, "stream-id": "abcdefghij0123456789-xyz",
    }.items():
        write("sequence_number", name, text)
    for name, text in {"hello": "aGVsbG8=", "one-pad": "aGVsbG8h", "two-pad": "aGk=",
                       "bad-bits": "aGl=", "binary": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}.items():
        write("base64", name, text)


def config_seeds():
    toml = {
        "full": '''listen = "127.0.0.1:4567"
data_dir = "/var/lib/tidelog"
durability = "async"
quotas = false
threads = 4
region = "eu-west-1"
account_id = "123456789012"
retention-check-interval = 30
stream_transition_ms = 0
subscription_lifetime_ms = 300000
exclusive_subscriptions = "off"
max_body_bytes = 16777216
max_connections = 1024
max_inflight_body_bytes = 33554432
max_connection_body_bytes = 16777216
min_free_bytes = 0
access_key_id = "AKIDEXAMPLE"
secret_access_key = "secret"
''',
        "tls": 'tls_cert = "/etc/tidelog/cert.pem"\ntls_key = "/etc/tidelog/key.pem"\n'
               'listen_tls = "0.0.0.0:4568"\n',
        "self-signed": 'tls-self-signed = true\nlisten = "[::1]:0"\n',
        "bad-type": 'threads = [1, 2]\n[section]\nkey = 1979-05-27T07:32:00Z\n',
        "strings": 'region = """multi\nline"""\naccount_id = \'000000000000\'\nlisten = "h:\\u0031"\n',
    }
    for name, text in toml.items():
        write("daemon_config", "toml-" + name, b"\x00" + text.encode())
    flags = {
        "basic": ["--listen", "0.0.0.0:4567", "--data-dir", "./data", "--durability=sync"],
        "tls": ["--tls-self-signed", "--listen-tls", "127.0.0.1:4568", "--threads", "2"],
        "limits": ["--max-body-bytes=1048576", "--max-connections", "10", "--quotas", "off",
                   "--min-free-bytes", "-1"],
        "credentials": ["--access-key-id", "AKID", "--secret-access-key", "s", "--session-token", "t"],
    }
    for name, argv in flags.items():
        write("daemon_config", "flags-" + name, b"\x01" + b"\x00".join(a.encode() for a in argv))
    write("daemon_config", "credentials-file",
          b"\x02# id:secret[:token]\nAKID1:secret1\n  AKID2 : secret2 : token2  \n\nAKID3:s3:tok:en\n")
    write("daemon_config", "credentials-duplicate", b"\x02AKID:a\nAKID:b\n")


def main():
    capture = Capture()
    captured = boto3_requests(capture) + cli_requests(capture)
    http1_seeds(captured)
    sigv4_seeds(captured)
    json_seeds(captured)
    put_seeds()
    cbor_seeds()
    service_seeds()
    http2_seeds(captured)
    text_seeds()
    config_seeds()
    print("wrote seeds under", CORPUS, "from", len(captured), "captured requests")


if __name__ == "__main__":
    main()
