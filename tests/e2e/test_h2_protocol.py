"""HTTP/2 edge cases against a real tidelogd, driven by an independent HTTP/2
implementation (the Python `h2` package over raw sockets, plus curl
--http2-prior-knowledge and nghttp as real-world clients): a Kinesis call over
h2c; a bad preface closes only that connection; an oversized header block gets
431 or RST_STREAM on its stream only; a tiny client flow-control window still
gets every byte of a large GetRecords; RST_STREAM mid-body; 150 streams on one
connection within the server's MAX_CONCURRENT_STREAMS; a body in 1..100-byte
DATA frames; a body over --max-body-bytes gets 413 on its stream; PING; GOAWAY
on SIGTERM with the in-flight stream completed and exit 0; HTTP/1.1 on the same
port; and HTTP/2 over TLS with ALPN h2 and without ALPN.

Uses only h2 and the standard library (no boto3: the interpreter that has h2
may not have it)."""

import base64
import json
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from tidelogd_fixture import TidelogdTestCase, main, running_tidelogd

IO_TIMEOUT_S = 30
MAX_BODY = 3_000_000  # --max-body-bytes of the broker under test
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
TARGET_PREFIX = "Kinesis_20131202."


class Response:
    def __init__(self):
        self.headers = None
        self.body = bytearray()
        self.data_frames = []  # length of each DATA frame received
        self.ended = False
        self.reset = None  # RST_STREAM error code, if any

    @property
    def status(self):
        return int(self.headers[":status"]) if self.headers else None

    @property
    def done(self):
        return self.ended or self.reset is not None

    def json(self):
        return json.loads(bytes(self.body)) if self.body else None


class H2Client:
    """A blocking HTTP/2 client connection on h2's state machine. Every wait is
    bounded by a deadline; auto_ack=False leaves WINDOW_UPDATEs to the test."""

    def __init__(self, host, port, tls=None, server_hostname=None, settings=None,
                 auto_ack=True, finish_after_goaway=False):
        sock = socket.create_connection((host, port), timeout=IO_TIMEOUT_S)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=server_hostname or host)
        self.sock = sock
        self.authority = "%s:%d" % (server_hostname or host, port)
        self.scheme = "https" if tls is not None else "http"
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        if settings:
            self.conn.update_settings(settings)
        self.auto_ack = auto_ack
        self.finish_after_goaway = finish_after_goaway
        self.pending_ack = 0  # received and not yet acknowledged (auto_ack=False)
        self.responses = {}
        self.goaway = None  # the ConnectionTerminated event
        self.ping_acks = []
        self.remote_settings_seen = False
        self.closed = False
        self.flush()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self, timeout=1.0):
        """Reads once (up to `timeout`) and handles the events."""
        if self.closed:
            return
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        if not data:
            self.closed = True
            return
        for event in self.conn.receive_data(data):
            self.handle(event)
        self.flush()

    def handle(self, event):
        r = self.responses.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.ResponseReceived):
            r.headers = dict(event.headers)
        elif isinstance(event, h2.events.DataReceived):
            r.body += event.data
            r.data_frames.append(len(event.data))
            if self.auto_ack:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            else:
                self.pending_ack += event.flow_controlled_length
        elif isinstance(event, h2.events.StreamEnded):
            r.ended = True
        elif isinstance(event, h2.events.StreamReset):
            if r is not None:
                r.reset = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = event
            if self.finish_after_goaway and event.error_code == 0:
                # h2 (python-hyper) treats any received GOAWAY as the end of
                # the connection and refuses to send more; RFC 9113 6.8 lets
                # the streams up to last_stream_id complete, which is what the
                # test checks, so the state machine is put back to open.
                self.conn.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        elif isinstance(event, h2.events.PingAckReceived):
            self.ping_acks.append(event.ping_data)
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self.remote_settings_seen = True

    def wait(self, what, predicate, timeout=IO_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.closed:
                raise AssertionError("connection closed while waiting for %s" % what)
            if time.monotonic() > deadline:
                raise AssertionError("%s: not within %ds" % (what, timeout))
            self.pump(min(1.0, max(0.01, deadline - time.monotonic())))

    @property
    def max_concurrent_streams(self):
        self.wait("server SETTINGS", lambda: self.remote_settings_seen)
        return self.conn.remote_settings.max_concurrent_streams

    def start(self, op, body=None, end=True, extra_headers=(), content_length=True):
        """Sends HEADERS (and the body unless end is False and body is None)."""
        body = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        sid = self.conn.get_next_available_stream_id()
        headers = [(":method", "POST"), (":scheme", self.scheme), (":authority", self.authority),
                   (":path", "/"), ("content-type", "application/x-amz-json-1.1"),
                   ("x-amz-target", TARGET_PREFIX + op)]
        if content_length and body is not None:
            headers.append(("content-length", str(len(body))))
        headers += list(extra_headers)
        self.responses[sid] = Response()
        self.conn.send_headers(sid, headers, end_stream=(body is None and end))
        self.flush()
        if body is not None:
            self.send_body(sid, body, end)
        return sid

    def send_body(self, sid, data, end=True, chunk_sizes=None, stop=None):
        """Sends data in frames no larger than the windows allow (or the sizes
        chunk_sizes yields); waits for WINDOW_UPDATEs; stops early when stop()."""
        view = memoryview(data)
        while view:
            if stop is not None and stop():
                return False
            window = min(self.conn.local_flow_control_window(sid),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                self.wait("a WINDOW_UPDATE for stream %d" % sid,
                          lambda: (stop is not None and stop())
                          or self.conn.local_flow_control_window(sid) > 0)
                continue
            n = min(window, len(view), next(chunk_sizes) if chunk_sizes else len(view))
            self.conn.send_data(sid, view[:n].tobytes())
            self.flush()
            view = view[n:]
        if end:
            self.conn.end_stream(sid)
            self.flush()
        return True

    def response(self, sid, timeout=IO_TIMEOUT_S):
        r = self.responses[sid]
        self.wait("the response of stream %d" % sid, lambda: r.done, timeout)
        return r

    def call(self, op, body):
        """One request; returns (status, parsed JSON) after the stream ended."""
        r = self.response(self.start(op, body))
        self.assert_ok_end(r)
        return r.status, r.json()

    @staticmethod
    def assert_ok_end(r):
        assert r.reset is None, "stream reset with code %s" % r.reset
        assert r.ended and r.headers, "no complete response"

    def cancel(self, sid):
        """RST_STREAM(CANCEL) unless the stream is already closed."""
        try:
            self.conn.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
        except h2.exceptions.StreamClosedError:
            return
        self.flush()

    def ping(self, data):
        self.conn.ping(data)
        self.flush()
        self.wait("PING ACK", lambda: data in self.ping_acks)


class H2TestCase(TidelogdTestCase):

    def h2(self, **kwargs):
        return H2Client(self.server.host, self.server.port, **kwargs)

    def create_stream_h2(self, client, name, shards=1):
        status, body = client.call("CreateStream", {"StreamName": name, "ShardCount": shards})
        self.assertEqual(status, 200, body)
        deadline = time.monotonic() + 60
        while True:
            status, body = client.call("DescribeStreamSummary", {"StreamName": name})
            self.assertEqual(status, 200, body)
            if body["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                return
            self.assertLess(time.monotonic(), deadline, "%s never ACTIVE" % name)
            time.sleep(0.01)  # pause between polls

    def read_all_h2(self, client, name, shard="shardId-000000000000"):
        status, body = client.call("GetShardIterator", {
            "StreamName": name, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"})
        self.assertEqual(status, 200, body)
        it, records = body["ShardIterator"], []
        for _ in range(1000):
            status, body = client.call("GetRecords", {"ShardIterator": it})
            self.assertEqual(status, 200, body)
            records += body["Records"]
            it = body.get("NextShardIterator")
            if not it or (not body["Records"] and body["MillisBehindLatest"] == 0):
                return records
        self.fail("never caught up")

    def assertListStreamsWorks(self, client):
        status, body = client.call("ListStreams", {})
        self.assertEqual(status, 200, body)
        self.assertIn("StreamNames", body)


class H2ProtocolTest(H2TestCase):
    EXTRA_ARGS = ("--max-body-bytes", str(MAX_BODY))

    def test_list_streams_over_h2c(self):
        with self.h2() as c:
            sid = c.start("ListStreams", {})
            r = c.response(sid)
            c.assert_ok_end(r)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.headers.get("content-type"), "application/x-amz-json-1.1")
            self.assertTrue(r.headers.get("x-amzn-requestid"))
            self.assertIsInstance(r.json()["StreamNames"], list)
            self.assertGreaterEqual(c.max_concurrent_streams, 100)
            # An error answer carries its type as over HTTP/1.1.
            r = c.response(c.start("DescribeStream", {"StreamName": "nope"}))
            self.assertEqual(r.status, 400)
            self.assertEqual(r.json()["__type"], "ResourceNotFoundException")
            self.assertEqual(r.headers.get("x-amzn-errortype"), "ResourceNotFoundException")

    def test_curl_and_nghttp(self):
        for tool in ("curl", "nghttp"):
            if shutil.which(tool) is None:
                self.skipTest("%s is not installed" % tool)
        p = subprocess.run(
            ["curl", "-sS", "--http2-prior-knowledge", "--max-time", "30", "-D", "-",
             "-H", "content-type: application/x-amz-json-1.1",
             "-H", "x-amz-target: Kinesis_20131202.ListStreams", "--data-binary", "{}",
             self.server.endpoint + "/"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^HTTP/2 200\s", p.stdout)
        self.assertIn("StreamNames", p.stdout)
        with tempfile.NamedTemporaryFile("wb", suffix=".json") as f:
            f.write(b"{}")
            f.flush()
            p = subprocess.run(
                ["nghttp", "-n", "-s", "-t", "30", "-d", f.name,
                 "-H", "content-type: application/x-amz-json-1.1",
                 "-H", "x-amz-target: Kinesis_20131202.ListStreams", self.server.endpoint + "/"],
                capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"\s200\s", p.stdout)  # the -s stats table: status 200

    def read_until_closed(self, sock, timeout=IO_TIMEOUT_S):
        """Everything the server sends until it closes the connection."""
        deadline = time.monotonic() + timeout
        got = b""
        while True:
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, "connection still open after %ds; got %r"
                               % (timeout, got[:200]))
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return got
            if not chunk:
                return got
            got += chunk

    def test_bad_preface_closes_connection_only(self):
        # A preface that starts like HTTP/2's and then differs.
        for bad in (b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n",
                    PREFACE + b"\x00\x00\x00\x99\x00\x00\x00\x00\x00" + b"garbage!" * 20):
            with self.subTest(bad=bad[:30]):
                with socket.create_connection((self.server.host, self.server.port),
                                              timeout=IO_TIMEOUT_S) as s:
                    s.sendall(bad)
                    got = self.read_until_closed(s)
                    if got.startswith(b"\x00"):  # frames: a GOAWAY (type 7) among them
                        self.assertIn(7, frame_types(got), got[:100])
                with self.h2() as c:
                    self.assertListStreamsWorks(c)
        self.assertIsNone(self.server.proc.poll(), "tidelogd exited")

    def test_oversized_header_block(self):
        # Over the advertised SETTINGS_MAX_HEADER_LIST_SIZE, in blocks nghttp2
        # still decodes (a field under 64 KiB encoded, at most a few
        # CONTINUATION frames): 431 or RST_STREAM on that stream only.
        with self.h2() as c:
            limit = c.conn.remote_settings.max_header_list_size
            for extra in ([("x-big", "a" * (60 * 1024))],
                          [("x-h%d" % i, "v" * 1000) for i in range(100)]):
                sid = c.start("ListStreams", {}, extra_headers=extra)
                r = c.response(sid)
                self.assertTrue(r.reset is not None or r.status == 431,
                                "status %s, reset %s (limit %s)" % (r.status, r.reset, limit))
                self.assertIsNone(c.goaway, "the whole connection was closed")
                self.assertListStreamsWorks(c)
        # A block nghttp2 refuses outright (a field over 64 KiB, a CONTINUATION
        # flood) may end the connection; never the broker.
        for extra in ([("x-huge", "a" * (256 * 1024))],
                      [("x-h%d" % i, "v" * 1000) for i in range(400)]):
            with self.h2() as c:
                sid = c.start("ListStreams", {}, extra_headers=extra)
                try:
                    r = c.response(sid)
                    self.assertTrue(r.reset is not None or r.status == 431, r.status)
                except AssertionError as e:
                    self.assertIn("connection closed", str(e))
            with self.h2() as c:
                self.assertListStreamsWorks(c)

    def test_tiny_window_large_get_records(self):
        payloads = [os.urandom(900_000) for _ in range(3)]
        with self.h2() as c:
            self.create_stream_h2(c, "window", 1)
            for p in payloads:
                status, body = c.call("PutRecord", {"StreamName": "window", "PartitionKey": "k",
                                                    "Data": base64.b64encode(p).decode()})
                self.assertEqual(status, 200, body)
            status, body = c.call("GetShardIterator", {
                "StreamName": "window", "ShardId": "shardId-000000000000",
                "ShardIteratorType": "TRIM_HORIZON"})
            iterator = body["ShardIterator"]
        window = 1024
        with self.h2(settings={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window},
                     auto_ack=False) as c:
            c.wait("settings ACK", lambda: c.remote_settings_seen)
            sid = c.start("GetRecords", {"ShardIterator": iterator})
            r = c.responses[sid]
            deadline = time.monotonic() + 120
            while not r.done:
                self.assertLess(time.monotonic(), deadline, "got %d bytes" % len(r.body))
                c.pump(0.2)
                self.assertFalse(c.closed, "connection closed after %d bytes" % len(r.body))
                # Slow reader: give back window only once the stream is blocked.
                pending = c.pending_ack
                if pending >= window:
                    c.pending_ack = 0
                    c.conn.acknowledge_received_data(pending, sid)
                    c.flush()
            c.assert_ok_end(r)
            self.assertEqual(r.status, 200)
            self.assertLessEqual(max(r.data_frames), window, "a DATA frame overran the window")
            got = [base64.b64decode(rec["Data"]) for rec in r.json()["Records"]]
            self.assertEqual(got, payloads)
            self.assertGreater(len(r.data_frames), len(r.body) // window - 1)

    def test_rst_stream_mid_body(self):
        def put_body(data):
            return json.dumps({"StreamName": "reset", "PartitionKey": "k",
                               "Data": base64.b64encode(data).decode()}).encode()

        with self.h2() as c:
            self.create_stream_h2(c, "reset", 1)
            cut, other = put_body(b"never"), put_body(b"sibling")
            sid = c.start("PutRecord", end=False, extra_headers=[
                ("content-length", str(len(cut)))])
            sibling = c.start("PutRecord", end=False, extra_headers=[
                ("content-length", str(len(other)))])
            c.send_body(sid, cut[:len(cut) // 2], end=False)
            c.send_body(sibling, other[:10], end=False)
            c.cancel(sid)
            # The other stream in flight is not affected.
            c.send_body(sibling, other[10:], end=True)
            r = c.response(sibling)
            c.assert_ok_end(r)
            self.assertEqual(r.status, 200, r.body)
            self.assertListStreamsWorks(c)
            status, put = c.call("PutRecord", {"StreamName": "reset", "PartitionKey": "k",
                                               "Data": base64.b64encode(b"whole").decode()})
            self.assertEqual(status, 200, put)
            self.assertEqual([base64.b64decode(x["Data"]) for x in self.read_all_h2(c, "reset")],
                             [b"sibling", b"whole"], "the cut record was written")

    def test_150_streams_on_one_connection(self):
        total = 150
        with self.h2() as c:
            self.create_stream_h2(c, "many", 2)
            limit = c.max_concurrent_streams
            self.assertGreaterEqual(limit, 100)
            bodies = [json.dumps({"StreamName": "many", "PartitionKey": "p%d" % i,
                                  "Data": base64.b64encode(b"s%d" % i).decode()}).encode()
                      for i in range(total)]
            # Open as many as the server allows, all at once with their bodies
            # unfinished, so that they really are concurrent.
            first = min(limit, total)
            open_sids = []
            for i in range(first):
                sid = c.start("PutRecord", end=False, extra_headers=[
                    ("content-length", str(len(bodies[i])))])
                c.send_body(sid, bodies[i][:5], end=False)
                open_sids.append((sid, i))
            for sid, i in open_sids:
                c.send_body(sid, bodies[i][5:], end=True)
            sids = [sid for sid, _ in open_sids]
            for i in range(first, total):
                # Wait for a free slot under the server's limit.
                c.wait("a free stream slot", lambda: c.conn.open_outbound_streams < limit)
                sids.append(c.start("PutRecord", bodies[i]))
            seqs = set()
            for sid in sids:
                r = c.response(sid, timeout=60)
                c.assert_ok_end(r)
                self.assertEqual(r.status, 200, r.body)
                seqs.add(r.json()["SequenceNumber"])
            self.assertEqual(len(seqs), total)
            got = sorted(base64.b64decode(x["Data"]) for shard in ("0", "1")
                         for x in self.read_all_h2(c, "many", "shardId-00000000000" + shard))
            self.assertEqual(got, sorted(b"s%d" % i for i in range(total)))

    def test_body_in_tiny_data_frames(self):
        rng = random.Random(7)
        with self.h2() as c:
            self.create_stream_h2(c, "tiny", 1)
            records = [{"PartitionKey": "k", "Data": base64.b64encode(b"t%03d" % i).decode()}
                       for i in range(100)]
            body = json.dumps({"StreamName": "tiny", "Records": records}).encode()
            sid = c.start("PutRecords", end=False, extra_headers=[
                ("content-length", str(len(body)))])
            sizes = iter(lambda: rng.randint(1, 100), None)
            c.send_body(sid, body, end=True, chunk_sizes=sizes)
            r = c.response(sid)
            c.assert_ok_end(r)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["FailedRecordCount"], 0)
            self.assertEqual([base64.b64decode(x["Data"]) for x in self.read_all_h2(c, "tiny")],
                             [b"t%03d" % i for i in range(100)])
            # Without content-length too, ending in an empty DATA frame.
            body2 = json.dumps({"StreamName": "tiny", "PartitionKey": "k",
                                "Data": base64.b64encode(b"no-length").decode()}).encode()
            sid = c.start("PutRecord", end=False)
            c.send_body(sid, body2, end=False, chunk_sizes=sizes)
            c.conn.send_data(sid, b"", end_stream=True)
            c.flush()
            r = c.response(sid)
            c.assert_ok_end(r)
            self.assertEqual(r.status, 200, r.body)

    def test_body_over_max_body_bytes(self):
        big = json.dumps({"StreamName": "x", "PartitionKey": "k",
                          "Data": "A" * (MAX_BODY + 4)}).encode()
        with self.h2() as c:
            for content_length in (True, False):
                with self.subTest(content_length=content_length):
                    sid = c.start("PutRecord", end=False, extra_headers=[
                        ("content-length", str(len(big)))] if content_length else [])
                    r = c.responses[sid]
                    # Sends while the server's window lets it; stops on an answer.
                    c.send_body(sid, big, end=True, stop=lambda: r.done)
                    r = c.response(sid)
                    self.assertEqual(r.status, 413, "reset %s, body %r" % (r.reset, r.body[:200]))
                    c.cancel(sid)  # the rest of the body is not wanted
                    self.assertIsNone(c.goaway, "the whole connection was closed")
                    self.assertListStreamsWorks(c)

    def test_ping(self):
        with self.h2() as c:
            c.ping(b"tidelog!")
            c.ping(b"\x00\x01\x02\x03\x04\x05\x06\x07")
            self.assertListStreamsWorks(c)

    def test_http1_on_the_same_port(self):
        status, hdrs, body = self.raw("ListStreams", {})
        self.assertEqual(status, 200, body)
        self.assertIn("StreamNames", body)
        with socket.create_connection((self.server.host, self.server.port), IO_TIMEOUT_S) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\n"
                      b"X-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 2\r\n"
                      b"Connection: close\r\n\r\n{}")
            got = self.read_until_closed(s)
        self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:100])


class H2ShutdownTest(H2TestCase):
    """SIGTERM with a stream in flight (its own broker: it is stopped)."""

    def test_goaway_on_sigterm(self):
        with running_tidelogd() as server:
            with H2Client(server.host, server.port, finish_after_goaway=True) as c:
                self.create_stream_h2(c, "bye", 1)
                body = json.dumps({"StreamName": "bye", "PartitionKey": "k",
                                   "Data": base64.b64encode(b"in flight").decode()}).encode()
                sid = c.start("PutRecord", end=False, extra_headers=[
                    ("content-length", str(len(body)))])
                c.send_body(sid, body[:10], end=False)
                # The server has surely seen the stream once a PING comes back.
                c.ping(b"inflight")
                server.send_signal(signal.SIGTERM)
                c.wait("GOAWAY", lambda: c.goaway is not None)
                self.assertEqual(c.goaway.error_code, 0, c.goaway)
                self.assertGreaterEqual(c.goaway.last_stream_id, sid)
                c.send_body(sid, body[10:], end=True)
                r = c.response(sid)
                c.assert_ok_end(r)
                self.assertEqual(r.status, 200, r.body)
                self.assertTrue(r.json()["SequenceNumber"].isdigit())
            code = server.stop()
            self.assertEqual(code, 0, "\n".join(server.stderr_lines[-20:]))


class H2TlsTest(H2TestCase):
    """HTTP/2 over TLS on the main port: with ALPN h2, and without ALPN."""

    EXTRA_ARGS = ("--tls-self-signed",)

    def tls(self, alpn):
        ctx = ssl.create_default_context(cafile=self.server.tls_cert)
        if alpn:
            ctx.set_alpn_protocols(alpn)
        return ctx

    def test_alpn_h2(self):
        with self.h2(tls=self.tls(["h2", "http/1.1"]), server_hostname="localhost") as c:
            self.assertEqual(c.sock.selected_alpn_protocol(), "h2")
            self.assertListStreamsWorks(c)
            c.ping(b"over-tls")

    def test_no_alpn_with_http2_preface(self):
        with self.h2(tls=self.tls(None)) as c:  # 127.0.0.1: the certificate's IP SAN
            self.assertIsNone(c.sock.selected_alpn_protocol())
            self.assertListStreamsWorks(c)


def frame_types(data):
    """The types of the HTTP/2 frames in `data` (a prefix of a byte stream)."""
    types = []
    while len(data) >= 9:
        length = int.from_bytes(data[:3], "big")
        types.append(data[3])
        data = data[9 + length:]
    return types


if __name__ == "__main__":
    main()
