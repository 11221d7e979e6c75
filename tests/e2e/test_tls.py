"""TLS against a real tidelogd: --tls-self-signed makes a certificate for
localhost/127.0.0.1/::1 under DATA_DIR/tls (printed, kept across restarts);
boto3 over https with verify=<cert> creates, puts and gets, and refuses the
broker without it; the AWS CLI with --ca-bundle; TLS 1.2 and 1.3; ALPN h2 or
http/1.1; a TLS client without ALPN that sends the HTTP/2 preface speaks
HTTP/2; plain HTTP/1.1 on the same port; the --listen-tls TLS-only listener;
SIGHUP reloads the certificate (and a bad one keeps the old); a missing
--tls-cert file stops tidelogd with a message naming the flag.

Uses boto3 and the standard library only (HTTP/2 is checked at the frame
level here; test_h2_protocol.py makes full HTTP/2 requests over TLS)."""

import hashlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import tidelogd_fixture
from tidelogd_fixture import REGION, Tidelogd, TidelogdTestCase, main, running_tidelogd

IO_TIMEOUT_S = 30
RELOAD_TIMEOUT_S = 30
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
LIST_STREAMS_HTTP1 = (b"POST / HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/x-amz-json-1.1\r\n"
                      b"X-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 2\r\n"
                      b"Connection: close\r\n\r\n{}")


def tls_context(cafile, alpn=None, version=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


def tls_connect(host, port, ctx, server_hostname="localhost"):
    sock = socket.create_connection((host, port), timeout=IO_TIMEOUT_S)
    try:
        return ctx.wrap_socket(sock, server_hostname=server_hostname)
    except BaseException:
        sock.close()
        raise


def read_until_closed(sock, timeout=IO_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    got = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("connection still open after %ds; got %r" % (timeout, got[:200]))
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            return got
        if not chunk:
            return got
        got += chunk


def http1_list_streams(sock):
    sock.sendall(LIST_STREAMS_HTTP1)
    return read_until_closed(sock)


def read_frames_until(sock, predicate, timeout=IO_TIMEOUT_S):
    """Reads HTTP/2 frames (type, flags, stream, payload) until predicate(frame)."""
    deadline = time.monotonic() + timeout
    buf, frames = b"", []
    while True:
        while len(buf) >= 9 and len(buf) >= 9 + int.from_bytes(buf[:3], "big"):
            n = int.from_bytes(buf[:3], "big")
            frame = (buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + n])
            buf = buf[9 + n:]
            frames.append(frame)
            if predicate(frame):
                return frames
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no such frame within %ds; got %s" % (timeout, frames))
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("closed; frames so far %s; bytes %r" % (frames, buf[:100]))
        buf += chunk


def peer_fingerprint(host, port, cafile):
    with tls_connect(host, port, tls_context(cafile)) as s:
        return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def file_fingerprint(pem_path):
    with open(pem_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def make_self_signed(directory, cn="localhost"):
    """A new key and certificate (openssl req -x509); returns (cert, key)."""
    cert, key = os.path.join(directory, "new-cert.pem"), os.path.join(directory, "new-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=%s" % cn,
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class TlsSelfSignedTest(TidelogdTestCase):
    EXTRA_ARGS = ("--tls-self-signed", "--listen-tls", "127.0.0.1:0")

    def https(self, port=None, host="127.0.0.1"):
        return self.client(endpoint="https://%s:%d" % (host, port or self.server.port),
                           verify=self.server.tls_cert)

    def test_certificate_files(self):
        cert = self.server.tls_cert
        self.assertTrue(os.path.isabs(cert), cert)
        self.assertEqual(os.path.realpath(cert),
                         os.path.realpath(os.path.join(self.server.data_dir, "tls", "cert.pem")))
        key = os.path.join(os.path.dirname(cert), "key.pem")
        self.assertTrue(os.path.isfile(key))
        self.assertEqual(os.stat(key).st_mode & 0o077, 0, "key.pem is readable by others")
        p = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-ext", "subjectAltName"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        for name in ("DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"):
            self.assertIn(name, p.stdout)

    def test_boto3_over_https(self):
        for host in ("127.0.0.1", "localhost"):
            with self.subTest(host=host):
                kinesis = self.https(host=host)
                name = "tls-" + host.replace(".", "-")
                kinesis.create_stream(StreamName=name, ShardCount=1)
                self.wait_active(name, client=kinesis)
                r = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"\x00over tls\xff")
                records, _ = self.read_shard(name, r["ShardId"], client=kinesis)
                self.assertEqual([x["Data"] for x in records], [b"\x00over tls\xff"])
                self.assertIn(name, kinesis.list_streams()["StreamNames"])

    def test_untrusted_certificate_is_refused(self):
        import botocore.exceptions
        kinesis = self.client(endpoint=self.server.https_endpoint, verify=True)  # system CAs only
        with self.assertRaises(botocore.exceptions.SSLError):
            kinesis.list_streams()

    def test_aws_cli_with_ca_bundle(self):
        env = dict(os.environ)
        env.update({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                    "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
                    "AWS_CONFIG_FILE": os.path.join(self.tmp, "no-config"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.tmp, "no-credentials"),
                    "AWS_EC2_METADATA_DISABLED": "true"})
        env.pop("AWS_CA_BUNDLE", None)

        def aws(*args):
            p = subprocess.run(["aws", "--endpoint-url", self.server.https_endpoint,
                                "--ca-bundle", self.server.tls_cert, "--output", "json",
                                "kinesis"] + list(args),
                               env=env, capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, "%s: %s %s" % (args, p.stdout, p.stderr))
            return p.stdout

        aws("create-stream", "--stream-name", "cli-tls", "--shard-count", "1")
        self.wait_active("cli-tls")
        self.assertIn("cli-tls", aws("list-streams"))
        self.assertIn('"ACTIVE"', aws("describe-stream-summary", "--stream-name", "cli-tls"))

    def test_tls_versions(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            with self.subTest(version=version):
                with tls_connect(self.server.host, self.server.port,
                                 tls_context(self.server.tls_cert, version=version)) as s:
                    self.assertEqual(s.version(), version.name.replace("_", "."))
                    got = http1_list_streams(s)
                self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:100])

    def test_alpn(self):
        with tls_connect(self.server.host, self.server.port,
                         tls_context(self.server.tls_cert, ["h2", "http/1.1"])) as s:
            self.assertEqual(s.selected_alpn_protocol(), "h2")
            self.assertHttp2(s)
        with tls_connect(self.server.host, self.server.port,
                         tls_context(self.server.tls_cert, ["http/1.1"])) as s:
            self.assertEqual(s.selected_alpn_protocol(), "http/1.1")
            got = http1_list_streams(s)
            self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:100])
        with tls_connect(self.server.host, self.server.port,
                         tls_context(self.server.tls_cert)) as s:
            self.assertIsNone(s.selected_alpn_protocol())
            got = http1_list_streams(s)
            self.assertTrue(got.startswith(b"HTTP/1.1 200 "), got[:100])

    def assertHttp2(self, sock):
        """Client preface, empty SETTINGS and a PING: the server must answer
        with its SETTINGS and the PING ACK (frames only; no HPACK needed)."""
        sock.sendall(PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
                     + b"\x00\x00\x08\x06\x00\x00\x00\x00\x00" + b"tidelog!")
        frames = read_frames_until(sock, lambda f: f[0] == 6 and f[1] & 1)
        self.assertEqual(frames[0][0], 4, "the server's first frame is SETTINGS: %s" % frames)
        self.assertEqual(frames[-1][3], b"tidelog!")

    def test_no_alpn_with_http2_preface_speaks_http2(self):
        with tls_connect(self.server.host, self.server.port,
                         tls_context(self.server.tls_cert)) as s:
            self.assertIsNone(s.selected_alpn_protocol())
            self.assertHttp2(s)

    def test_plain_http_on_the_same_port(self):
        status, hdrs, body = self.raw("ListStreams", {})
        self.assertEqual(status, 200, body)
        self.assertIn("StreamNames", body)

    def test_listen_tls_second_listener(self):
        self.assertIsNotNone(self.server.tls_port)
        self.assertNotEqual(self.server.tls_port, self.server.port)
        kinesis = self.https(port=self.server.tls_port)
        self.assertIn("StreamNames", kinesis.list_streams())
        with tls_connect(self.server.tls_host, self.server.tls_port,
                         tls_context(self.server.tls_cert, ["h2"])) as s:
            self.assertEqual(s.selected_alpn_protocol(), "h2")
            self.assertHttp2(s)
        # TLS only: plain HTTP gets no answer there.
        with socket.create_connection((self.server.tls_host, self.server.tls_port),
                                      timeout=IO_TIMEOUT_S) as s:
            got = http1_list_streams(s)
        self.assertFalse(got.startswith(b"HTTP/1.1 200"), got[:100])
        self.assertIsNone(self.server.proc.poll())


class TlsReloadTest(TidelogdTestCase):
    """SIGHUP reads cert.pem/key.pem again; a bad pair keeps the old one."""

    EXTRA_ARGS = ("--tls-self-signed",)

    def wait_for_fingerprint(self, want, cafile, timeout=RELOAD_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = peer_fingerprint(self.server.host, self.server.port, cafile)
            except ssl.SSLError as e:  # still the old certificate, not trusted by cafile
                got = "unverified (%s)" % e
            if got == want:
                return
            if time.monotonic() > deadline:
                self.fail("new connections still get %s, want %s" % (got, want))
            time.sleep(tidelogd_fixture.POLL_INTERVAL_S)

    def wait_for_log_line(self, since, words, timeout=RELOAD_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while True:
            lines = self.server.stderr_lines[since:]
            for line in lines:
                if any(w in line.lower() for w in words):
                    return line
            if time.monotonic() > deadline:
                self.fail("no log line with any of %s after SIGHUP; got %s" % (words, lines))
            time.sleep(tidelogd_fixture.POLL_INTERVAL_S)

    def test_sighup_reload(self):
        tls_dir = os.path.dirname(self.server.tls_cert)
        cert_path, key_path = self.server.tls_cert, os.path.join(tls_dir, "key.pem")
        original = file_fingerprint(cert_path)
        self.assertEqual(peer_fingerprint(self.server.host, self.server.port, cert_path), original)

        work = tempfile.mkdtemp(prefix="tidelog-e2e-certs-")
        try:
            new_cert, new_key = make_self_signed(work)
            trusted_new = os.path.join(work, "trusted-new.pem")
            shutil.copy(new_cert, trusted_new)
            os.replace(new_key, key_path)
            os.replace(new_cert, cert_path)
            since = len(self.server.stderr_lines)
            self.server.send_signal(signal.SIGHUP)
            self.wait_for_fingerprint(file_fingerprint(trusted_new), trusted_new)
            # Logged, so that the failure lines below cannot be this one's.
            self.wait_for_log_line(since, ("reload", "loaded"))
            kinesis = self.client(endpoint=self.server.https_endpoint, verify=trusted_new)
            self.assertIn("StreamNames", kinesis.list_streams())

            # A broken pair: a certificate whose key is another one's, then garbage.
            other_cert, other_key = make_self_signed(work, cn="other")
            for bad_cert in (other_cert, None):
                since = len(self.server.stderr_lines)
                if bad_cert:
                    shutil.copy(bad_cert, cert_path)  # key.pem stays: they do not match
                else:
                    with open(cert_path, "w") as f:
                        f.write("-----BEGIN CERTIFICATE-----\nnot a certificate\n"
                                "-----END CERTIFICATE-----\n")
                self.server.send_signal(signal.SIGHUP)
                line = self.wait_for_log_line(since, ("keep", "cannot", "fail", "error",
                                                      "invalid"))
                self.assertIsNone(self.server.proc.poll(), "tidelogd exited on a bad reload")
                self.assertEqual(peer_fingerprint(self.server.host, self.server.port, trusted_new),
                                 file_fingerprint(trusted_new),
                                 "a bad reload replaced the certificate (log: %s)" % line)
                self.assertIn("StreamNames", kinesis.list_streams())
            status, _, body = self.raw("ListStreams", {})
            self.assertEqual(status, 200, body)
        finally:
            shutil.rmtree(work, ignore_errors=True)


class TlsStartupTest(TidelogdTestCase):
    """Start-up with TLS flags (a broker per test; the class's own is unused)."""

    def run_tidelogd_expect_exit(self, args, timeout=IO_TIMEOUT_S):
        data_dir = os.path.join(self.tmp, "exit-%d" % len(os.listdir(self.tmp)))
        p = subprocess.run([tidelogd_fixture.TIDELOGD, "--listen", "127.0.0.1:0", "--data-dir",
                            data_dir] + args, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        self.assertNotEqual(p.returncode, 0, p.stderr)
        return p.stderr

    def test_missing_certificate_file(self):
        missing = os.path.join(self.tmp, "no-such-cert.pem")
        key = os.path.join(self.tmp, "no-such-key.pem")
        err = self.run_tidelogd_expect_exit(["--tls-cert", missing, "--tls-key", key])
        self.assertIn("--tls-cert", err)
        self.assertIn(missing, err)

    def test_certificate_without_key(self):
        work = tempfile.mkdtemp(prefix="tidelog-e2e-certs-")
        try:
            cert, _ = make_self_signed(work)
            err = self.run_tidelogd_expect_exit(["--tls-cert", cert])
            self.assertIn("--tls-key", err)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_given_certificate_and_key(self):
        work = tempfile.mkdtemp(prefix="tidelog-e2e-certs-")
        try:
            cert, key = make_self_signed(work)
            with running_tidelogd(["--tls-cert", cert, "--tls-key", key]) as server:
                self.assertEqual(peer_fingerprint(server.host, server.port, cert),
                                 file_fingerprint(cert))
                kinesis = self.client(server=server, endpoint=server.https_endpoint, verify=cert)
                self.assertIn("StreamNames", kinesis.list_streams())
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def test_self_signed_on_fresh_data_dir(self):
        # The data dir does not exist yet, as on a first start.
        with running_tidelogd(["--tls-self-signed"]) as server:
            self.assertTrue(os.path.isfile(server.tls_cert), server.tls_cert)
            kinesis = self.client(server=server, endpoint=server.https_endpoint,
                                  verify=server.tls_cert)
            self.assertIn("StreamNames", kinesis.list_streams())

    def test_self_signed_kept_across_restarts(self):
        data_dir = os.path.join(self.tmp, "restart-data")
        first = Tidelogd(data_dir, extra_args=["--tls-self-signed"])
        try:
            first.start()
            fingerprint = file_fingerprint(first.tls_cert)
            self.assertEqual(first.stop(), 0)
            second = Tidelogd(data_dir, extra_args=["--tls-self-signed"]).start()
            try:
                self.assertEqual(file_fingerprint(second.tls_cert), fingerprint)
                self.assertEqual(peer_fingerprint(second.host, second.port, second.tls_cert),
                                 fingerprint)
            finally:
                second.kill()
        finally:
            first.kill()


if __name__ == "__main__":
    main()
