"""The AWS SDK for JavaScript v3 against a real tidelogd over HTTP/2: runs the
Node programs in js/ (kinesis_suite.mjs: the whole data and control plane;
auth.mjs: SigV4) with the SDK's default request handler, over h2c prior
knowledge (http://) and over TLS with ALPN h2 (https://, --tls-self-signed,
NODE_EXTRA_CA_CERTS). Each Node program prints TAP-like lines and exits
non-zero on a failure; this runner starts the broker, runs it under a hard
timeout and shows its output.

    test_js_sdk.py --tidelogd PATH --node PATH --js-dir DIR [unittest args, e.g. JsSdkTlsTest]

js-dir must hold node_modules (npm ci there; scripts/install-deps.sh does)."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

from tidelogd_fixture import TidelogdTestCase, main

NODE = None
JS_DIR = None
NODE_TIMEOUT_S = 200  # the programs' own whole-run timeouts are shorter
SESSION_TOKEN = "FQoGZXIvYXdzEJr//session+token="


def node_env(ca_bundle=None):
    """The environment for node: no AWS settings from the caller's shell."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("NODE_OPTIONS", "NODE_EXTRA_CA_CERTS")}
    env.update({"AWS_EC2_METADATA_DISABLED": "true", "NODE_NO_WARNINGS": "1",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    if ca_bundle:
        env["NODE_EXTRA_CA_CERTS"] = ca_bundle
    return env


class NodeProgramMixin:
    """run_node(): runs a js/ program and fails with its TAP output unless
    every test passed."""

    def run_node(self, program, endpoint, *args, ca_bundle=None):
        cmd = [NODE, os.path.join(JS_DIR, program), "--endpoint", endpoint] + list(args)
        try:
            p = subprocess.run(cmd, cwd=JS_DIR, env=node_env(ca_bundle), capture_output=True,
                               text=True, timeout=NODE_TIMEOUT_S, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
            self.fail("%s did not finish within %ds; output so far:\n%s"
                      % (program, NODE_TIMEOUT_S, out or ""))
        report = "%s --endpoint %s (exit %d)\n%s%s" % (program, endpoint, p.returncode, p.stdout,
                                                       p.stderr)
        sys.stderr.write(report + "\n")
        self.assertNotIn("not ok", p.stdout, report)
        summary = re.search(r"^(\d+) passed, (\d+) failed$", p.stdout, re.M)
        self.assertIsNotNone(summary, "no closing line:\n" + report)
        self.assertEqual(int(summary.group(2)), 0, report)
        self.assertGreater(int(summary.group(1)), 0, report)
        self.assertEqual(p.returncode, 0, report)


class JsSdkH2cTest(NodeProgramMixin, TidelogdTestCase):
    """The whole suite over cleartext HTTP/2 (prior knowledge)."""

    def test_suite_over_h2c(self):
        self.run_node("kinesis_suite.mjs", self.server.endpoint)


class JsSdkTlsTest(NodeProgramMixin, TidelogdTestCase):
    """The whole suite over TLS on the same port (ALPN h2), trusting the
    broker's self-signed certificate through NODE_EXTRA_CA_CERTS."""

    EXTRA_ARGS = ("--tls-self-signed",)

    def test_suite_over_tls(self):
        self.assertTrue(os.path.isabs(self.server.tls_cert), self.server.tls_cert)
        self.run_node("kinesis_suite.mjs", self.server.https_endpoint,
                      ca_bundle=self.server.tls_cert)


class JsSdkAuthTest(NodeProgramMixin, TidelogdTestCase):
    """SigV4 over h2c and over TLS (https://localhost, the certificate's name)."""

    ACCESS_KEY = "AKID"
    SECRET_KEY = "SECRET"

    @classmethod
    def setUpClass(cls):
        cls.credentials_dir = tempfile.mkdtemp(prefix="tidelog-e2e-creds-")
        path = os.path.join(cls.credentials_dir, "credentials")
        with open(path, "w") as f:
            f.write("ASIATEMP:temp-secret:%s\n" % SESSION_TOKEN)
        cls.EXTRA_ARGS = ("--access-key-id", "AKID", "--secret-access-key", "SECRET",
                          "--credentials-file", path, "--tls-self-signed")
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.credentials_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.credentials_dir, ignore_errors=True)

    def auth_args(self, prefix):
        return ["--access-key-id", "AKID", "--secret-access-key", "SECRET",
                "--session-key", "ASIATEMP", "--session-secret", "temp-secret",
                "--session-token", SESSION_TOKEN, "--prefix", prefix]

    def test_sigv4_over_h2c(self):
        self.run_node("auth.mjs", self.server.endpoint, *self.auth_args("h2c-"))

    def test_sigv4_over_tls(self):
        self.run_node("auth.mjs", "https://localhost:%d" % self.server.port,
                      *self.auth_args("tls-"), ca_bundle=self.server.tls_cert)


def parse_node_args():
    global NODE, JS_DIR
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--node", default=shutil.which("node"))
    parser.add_argument("--js-dir", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "js"))
    args, rest = parser.parse_known_args()
    if not args.node:
        sys.exit("test_js_sdk.py: no node (pass --node PATH)")
    NODE, JS_DIR = args.node, os.path.abspath(args.js_dir)
    if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-kinesis")):
        sys.exit("test_js_sdk.py: %s has no node_modules/@aws-sdk/client-kinesis: run "
                 "`npm ci --no-audit --no-fund` there (scripts/install-deps.sh does)" % JS_DIR)
    sys.argv = [sys.argv[0]] + rest


if __name__ == "__main__":
    parse_node_args()
    main()
