"""Shared fixture for the end-to-end tests: starts a real tidelogd on an
ephemeral port over a temporary data directory, hands out boto3 clients, raw
HTTP and AWS CLI helpers, and always stops the process and removes the
directory. Waits are bounded polls; nothing sleeps to synchronise.

boto3 is optional: the HTTP/2 protocol tests run under an interpreter that has
the `h2` package but maybe not boto3; there TidelogdTestCase.kinesis is None
and client() raises. With TLS flags (--tls-self-signed, --listen-tls) start()
also waits for the certificate path and the TLS listener's address."""

import argparse
import base64
import contextlib
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

try:
    import boto3
    import botocore.config
    from botocore.exceptions import ClientError
except ImportError:  # the h2 tests' interpreter may lack boto3
    boto3 = None
    ClientError = None

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

    LISTENING = "tidelogd: listening on "
    LISTENING_TLS = "tidelogd: listening for TLS on "
    TLS_CERTIFICATE = "tidelogd: tls certificate "

    def __init__(self, data_dir, quotas="off", extra_args=()):
        self.data_dir = data_dir
        self.quotas = quotas
        self.extra_args = list(extra_args)
        self.proc = None
        self.host = None
        self.port = None
        self.tls_host = None  # the --listen-tls listener, when given
        self.tls_port = None
        self.tls_cert = None  # the --tls-self-signed certificate's path, when given
        self.stderr_lines = []
        self._drain = None

    @property
    def endpoint(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def https_endpoint(self):
        """TLS on the main port (serves TLS too when TLS is configured)."""
        return "https://%s:%d" % (self.host, self.port)

    def _startup_lines_wanted(self):
        wanted = {self.LISTENING}
        if "--listen-tls" in self.extra_args:
            wanted.add(self.LISTENING_TLS)
        if "--tls-self-signed" in self.extra_args:
            wanted.add(self.TLS_CERTIFICATE)
        return wanted

    def _parse_startup_line(self, text):
        """Records what a startup line announces; returns its prefix or None."""
        if text.startswith(self.LISTENING):
            self.host, self.port = split_address(text[len(self.LISTENING):])
            return self.LISTENING
        if text.startswith(self.LISTENING_TLS):
            self.tls_host, self.tls_port = split_address(text[len(self.LISTENING_TLS):])
            return self.LISTENING_TLS
        if text.startswith(self.TLS_CERTIFICATE):
            self.tls_cert = text[len(self.TLS_CERTIFICATE):].strip()
            return self.TLS_CERTIFICATE
        return None

    def start(self):
        assert TIDELOGD, "run with --tidelogd PATH"
        cmd = [TIDELOGD, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
               "--durability", "sync", "--quotas", self.quotas] + self.extra_args
        # Streams are ACTIVE at once unless a test asks for AWS's transitions.
        if "--stream-transition-ms" not in self.extra_args:
            cmd += ["--stream-transition-ms", "0"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + START_TIMEOUT_S
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stderr, selectors.EVENT_READ)
        buf = b""
        wanted = self._startup_lines_wanted()
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("tidelogd did not report %s within %ds; stderr:\n%s"
                                         % (sorted(wanted), START_TIMEOUT_S,
                                            "\n".join(self.stderr_lines + [buf.decode(
                                                errors="replace")])))
                if not sel.select(timeout=left):
                    continue
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                if not chunk:
                    raise AssertionError("tidelogd exited (code %s) before listening; stderr:\n%s"
                                         % (self.proc.wait(), "\n".join(self.stderr_lines + [
                                             buf.decode(errors="replace")])))
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode(errors="replace")
                    self.stderr_lines.append(text)
                    wanted.discard(self._parse_startup_line(text))
                    if not wanted:
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
            self.stderr_lines.extend(pending.decode(errors="replace").split("\n"))

        def drain(f=self.proc.stderr, lines=self.stderr_lines):
            for line in iter(f.readline, b""):
                lines.append(line.decode(errors="replace").rstrip("\n"))

        self._drain = threading.Thread(target=drain, daemon=True)
        self._drain.start()

    def send_signal(self, sig):
        """Sends a signal without waiting (e.g. SIGHUP to reload certificates)."""
        assert self.proc is not None and self.proc.poll() is None, "tidelogd is not running"
        self.proc.send_signal(sig)

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
            cls.kinesis = cls.client() if boto3 is not None else None
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
    def client(cls, access_key=None, secret_key=None, server=None, endpoint=None, verify=None):
        """A boto3 client for `server` (http:// unless `endpoint` says otherwise;
        `verify` is the CA bundle for https)."""
        if boto3 is None:
            raise RuntimeError("boto3 is not installed for %s" % sys.executable)
        server = server or cls.server
        return boto3.client(
            "kinesis", endpoint_url=endpoint or server.endpoint, region_name=REGION, verify=verify,
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


@contextlib.contextmanager
def running_tidelogd(extra_args=(), quotas="off"):
    """A started Tidelogd over its own temp data dir; killed and removed on exit."""
    tmp = tempfile.mkdtemp(prefix="tidelog-e2e-")
    server = Tidelogd(os.path.join(tmp, "data"), quotas, extra_args)
    try:
        server.start()
        yield server
    finally:
        try:
            server.kill()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def split_address(text):
    """'HOST:PORT' or '[V6]:PORT' -> (host, port)."""
    host, port = text.strip().rsplit(":", 1)
    return host.strip("[]"), int(port)


def b64(data):
    return base64.b64encode(data).decode()
