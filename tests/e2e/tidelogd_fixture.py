"""Shared fixture for the end-to-end tests: starts a real tidelogd on an
ephemeral port over a temporary data directory, hands out boto3 clients, raw
HTTP and AWS CLI helpers, and always stops the process and removes the
directory. Waits are bounded polls; nothing sleeps to synchronise."""

import argparse
import base64
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import boto3
import botocore.config
from botocore.exceptions import ClientError

TIDELOGD = None  # set by main() from --tidelogd
LOAD_TOOL = None  # set by main() from --load (bench/load/tidelog_load), if given
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 60
REGION = "us-east-1"
# Pause between two polls of a condition (never used as a synchronisation wait).
POLL_INTERVAL_S = 0.01


def main():
    """Parses --tidelogd PATH [--load PATH], then runs the unittest main with
    the rest."""
    global TIDELOGD, LOAD_TOOL
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--tidelogd", required=True)
    parser.add_argument("--load")
    args, rest = parser.parse_known_args()
    TIDELOGD = os.path.abspath(args.tidelogd)
    LOAD_TOOL = os.path.abspath(args.load) if args.load else None
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


class Tidelogd:
    """One tidelogd process. start() blocks until it prints its address."""

    def __init__(self, data_dir, quotas="off", extra_args=()):
        self.data_dir = data_dir
        self.quotas = quotas
        self.extra_args = list(extra_args)
        self.proc = None
        self.host = None
        self.port = None
        self.stderr_lines = []
        self._drain = None

    @property
    def endpoint(self):
        return "http://%s:%d" % (self.host, self.port)

    def start(self):
        assert TIDELOGD, "run with --tidelogd PATH"
        cmd = [TIDELOGD, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
               "--durability", "sync", "--quotas", self.quotas] + self.extra_args
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stderr, selectors.EVENT_READ)
        buf = b""
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("tidelogd did not report its address within %ds; stderr:\n%s"
                                         % (START_TIMEOUT_S, buf.decode(errors="replace")))
                if not sel.select(timeout=left):
                    continue
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                if not chunk:
                    raise AssertionError("tidelogd exited (code %s) before listening; stderr:\n%s"
                                         % (self.proc.wait(), buf.decode(errors="replace")))
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode(errors="replace")
                    self.stderr_lines.append(text)
                    if text.startswith("tidelogd: listening on "):
                        addr = text[len("tidelogd: listening on "):].strip()
                        host, port = addr.rsplit(":", 1)
                        self.host, self.port = host.strip("[]"), int(port)
                        self._start_drain(buf)
                        return self
        except BaseException:
            self.kill()
            raise
        finally:
            sel.close()

    def _start_drain(self, pending):
        # Keeps reading stderr so the daemon never blocks on a full pipe.
        if pending:
            self.stderr_lines.append(pending.decode(errors="replace"))

        def drain(f=self.proc.stderr, lines=self.stderr_lines):
            for line in iter(f.readline, b""):
                lines.append(line.decode(errors="replace").rstrip("\n"))

        self._drain = threading.Thread(target=drain, daemon=True)
        self._drain.start()

    def stop(self, sig=signal.SIGTERM):
        """Signals the daemon and returns its exit code (bounded wait)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("tidelogd did not exit within %ds of signal %d"
                                 % (STOP_TIMEOUT_S, sig))
        finally:
            self._close()
        return code

    def kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._close()

    def _close(self):
        if self._drain is not None:
            self._drain.join(timeout=10)
            self._drain = None
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None


class TidelogdTestCase(unittest.TestCase):
    """A test case with one tidelogd per test class (fresh data dir)."""

    QUOTAS = "off"
    EXTRA_ARGS = ()
    ACCESS_KEY = "AKIDEXAMPLE"
    SECRET_KEY = "secret"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tidelog-e2e-")
        cls.server = Tidelogd(os.path.join(cls.tmp, "data"), cls.QUOTAS, cls.EXTRA_ARGS)
        try:
            cls.server.start()
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        try:
            cls.kinesis = cls.client()
            cls.setUpFixtures()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def setUpFixtures(cls):
        """Per-class setup after the server is up; a failure still cleans up."""

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.kill()
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def client(cls, access_key=None, secret_key=None, server=None):
        server = server or cls.server
        return boto3.client(
            "kinesis", endpoint_url=server.endpoint, region_name=REGION,
            aws_access_key_id=access_key or cls.ACCESS_KEY,
            aws_secret_access_key=secret_key or cls.SECRET_KEY,
            config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1},
                                          connect_timeout=10, read_timeout=120,
                                          parameter_validation=True))

    def raw(self, op, body, content_type="application/x-amz-json-1.1", method="POST",
            server=None, headers=None):
        """Unsigned request; returns (status, headers, parsed JSON body or text)."""
        server = server or self.server
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        h = {"Content-Type": content_type, "X-Amz-Target": "Kinesis_20131202." + op}
        h.update(headers or {})
        req = urllib.request.Request(server.endpoint + "/", data=data if method == "POST" else None,
                                     headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, hdrs, text = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, text = e.code, e.headers, e.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return status, hdrs, parsed

    def assertRawError(self, op, body, error_type, message=None, status=400):
        code, hdrs, parsed = self.raw(op, body)
        self.assertEqual(code, status, parsed)
        self.assertEqual(parsed["__type"], error_type, parsed)
        self.assertEqual(hdrs.get("x-amzn-ErrorType"), error_type)
        if message is not None:
            self.assertEqual(parsed.get("message", parsed.get("Message")), message)
        return parsed

    def assertAwsError(self, error_type, fn, *args, message=None, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(*args, **kwargs)
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], error_type, err)
        if message is not None:
            self.assertEqual(err["Message"], message)
        return err

    def account(self):
        arn = self.kinesis.describe_stream_summary(StreamName=self.any_stream())[
            "StreamDescriptionSummary"]["StreamARN"]
        return arn.split(":")[4]

    def any_stream(self):
        names = self.kinesis.list_streams()["StreamNames"]
        if not names:
            self.create_stream("account-probe", 1)
            return "account-probe"
        return names[0]

    def wait_active(self, name, client=None):
        return wait_active(client or self.kinesis, name)

    def create_stream(self, name, shards, client=None):
        client = client or self.kinesis
        client.create_stream(StreamName=name, ShardCount=shards)
        return wait_active(client, name)

    def read_shard(self, stream, shard_id, iterator_type="TRIM_HORIZON", client=None, **kwargs):
        """read_shard() below with this class's client by default."""
        return read_shard(client or self.kinesis, stream, shard_id, iterator_type, **kwargs)


def read_shard(client, stream, shard_id, iterator_type="TRIM_HORIZON", **kwargs):
    """Every record of a shard from the given position: to the end of a
    closed shard, or until caught up on an open one. Returns (records, last
    GetRecords response)."""
    it = client.get_shard_iterator(StreamName=stream, ShardId=shard_id,
                                   ShardIteratorType=iterator_type, **kwargs)["ShardIterator"]
    records = []
    empty_in_a_row = 0
    for _ in range(100000):
        r = client.get_records(ShardIterator=it, Limit=10000)
        records.extend(r["Records"])
        it = r.get("NextShardIterator")
        empty_in_a_row = 0 if r["Records"] else empty_in_a_row + 1
        # Caught up: an empty page at the tip. A few empty pages in a row
        # also end the read, whatever MillisBehindLatest says (tested
        # separately).
        if it is None or (empty_in_a_row and r["MillisBehindLatest"] == 0) or \
                empty_in_a_row >= 3:
            return records, r
    raise AssertionError("shard %s never caught up" % shard_id)


def wait_active(client, name, timeout_s=60):
    """Polls DescribeStreamSummary until the stream is ACTIVE (bounded)."""
    deadline = time.monotonic() + timeout_s
    while True:
        s = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if s["StreamStatus"] == "ACTIVE":
            return s
        if time.monotonic() > deadline:
            raise AssertionError("stream %s not ACTIVE after %ds: %s" % (name, timeout_s, s))
        time.sleep(POLL_INTERVAL_S)


def b64(data):
    return base64.b64encode(data).decode()
