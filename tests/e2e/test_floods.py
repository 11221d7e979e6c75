"""Memory bounds under floods of large bodies (floods.py sends them): with
credentials configured, 256 connections each sending a 7 MB body without a
signature are answered from their headers and their bodies never held (the
broker's peak RSS grows by under 32 MiB); 64 clients sending correctly signed
7 MB PutRecords at once are all served within the in-flight body budget
(peak RSS under 256 MiB; without the budget it passed 550 MiB). The broker
answers normally afterwards."""

import socket
import time

import botocore.exceptions

from floods import flood, peak_rss_bytes, read_response, signed_put_records, unsigned_request
from tidelogd_fixture import POLL_INTERVAL_S, TidelogdTestCase, main

MiB = 1 << 20


class FloodTest(TidelogdTestCase):
    ACCESS_KEY = "AKID"
    SECRET_KEY = "SECRET"
    EXTRA_ARGS = ("--access-key-id", "AKID", "--secret-access-key", "SECRET")

    def pid(self):
        return self.server.proc.pid

    def test_1_unsigned_answer_needs_no_body(self):
        head, _ = unsigned_request(self.server.host, self.server.port)
        with socket.create_connection((self.server.host, self.server.port), timeout=30) as s:
            s.sendall(head)  # and not one byte of the 7 MB body
            status, body = read_response(s)
        self.assertEqual(status, 400)
        self.assertIn(b"MissingAuthenticationTokenException", body)

    def test_2_unsigned_flood(self):
        before = peak_rss_bytes(self.pid())
        head, body = unsigned_request(self.server.host, self.server.port)
        results = flood(self.server.host, self.server.port, head, body, connections=256)
        answered = [r for r in results if r is not None]
        # A connection may lose its answer to the reset that ends a body the
        # broker stopped discarding; every answer given is the right one.
        self.assertGreater(len(answered), 128)
        for status, text in answered:
            self.assertEqual(status, 400)
            self.assertIn(b"MissingAuthenticationTokenException", text)
        growth = peak_rss_bytes(self.pid()) - before
        self.assertLess(growth, 32 * MiB, "peak RSS grew by %.1f MiB" % (growth / MiB))
        self.assertIn("StreamNames", self.kinesis.list_streams())

    def test_3_signed_flood(self):
        self.create_stream("flood", 4)
        head, body = signed_put_records(self.server.host, self.server.port, "flood",
                                        self.ACCESS_KEY, self.SECRET_KEY)
        self.assertGreater(len(body), 6_500_000)
        results = flood(self.server.host, self.server.port, head, body, connections=64)
        self.assertEqual([r[0] if r else None for r in results], [200] * 64)
        for _, text in results:
            self.assertIn(b'"FailedRecordCount":0', text)
        peak = peak_rss_bytes(self.pid())
        self.assertLess(peak, 256 * MiB, "peak RSS %.1f MiB" % (peak / MiB))
        self.assertEqual(self.kinesis.describe_stream_summary(StreamName="flood")[
            "StreamDescriptionSummary"]["StreamStatus"], "ACTIVE")


class ConnectionFloodTest(TidelogdTestCase):
    EXTRA_ARGS = ("--max-connections", "200")

    def test_connections_past_the_cap_are_closed(self):
        before = peak_rss_bytes(self.server.proc.pid)
        sockets = []
        try:
            for _ in range(300):
                s = socket.create_connection((self.server.host, self.server.port), timeout=30)
                sockets.append(s)
            # The broker closes the ones past 200 at once, and serves the
            # first 200.
            for s in sockets[200:]:
                try:
                    self.assertEqual(s.recv(1), b"")
                except ConnectionResetError:
                    pass
            for s in (sockets[0], sockets[199]):
                s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1"
                          b"\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
                          b"Content-Length: 2\r\n\r\n{}")
                status, body = read_response(s)
                self.assertEqual(status, 200, body)
            self.assertTrue(any("refusing connections: 200 are open (--max-connections)" in line
                                for line in self.server.stderr_lines))
        finally:
            for s in sockets:
                s.close()
        growth = peak_rss_bytes(self.server.proc.pid) - before
        self.assertLess(growth, 16 * MiB, "peak RSS grew by %.1f MiB" % (growth / MiB))
        # Once they are gone, clients are served again (bounded retries while
        # the broker notices the closes).
        for attempt in range(500):
            try:
                self.assertIn("StreamNames", self.kinesis.list_streams())
                break
            except botocore.exceptions.EndpointConnectionError:
                if attempt == 499:
                    raise
                time.sleep(POLL_INTERVAL_S)
            except botocore.exceptions.ConnectionClosedError:
                if attempt == 499:
                    raise
                time.sleep(POLL_INTERVAL_S)


if __name__ == "__main__":
    main()
