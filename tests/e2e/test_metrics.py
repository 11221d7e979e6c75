"""The broker's operator endpoints against a real tidelogd: /metrics in the
Prometheus text format (checked by `promtool check metrics`, its counters
compared with what boto3 put and read, shard-level series only where
EnableEnhancedMonitoring asked for them), /health, and a real Prometheus
server (Debian's `prometheus`) scraping the broker."""

import os
import shutil
import socket
import subprocess
import tempfile
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from tidelogd_fixture import TidelogdTestCase, main, POLL_INTERVAL_S

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")


def http_get(url, method="GET", timeout=10):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def parse_samples(text):
    """{(name, frozenset(labels.items())): value} of a text-format page."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        labels = {}
        if "{" in head:
            name, rest = head.split("{", 1)
            rest = rest.rstrip("}")
            # Label values here never hold '",' (stream names are [a-zA-Z0-9_.-]).
            for pair in filter(None, rest.split('",')):
                k, v = pair.split('="', 1)
                labels[k] = v.rstrip('"')
        else:
            name = head
        samples[(name, frozenset(labels.items()))] = float(value)
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


class MetricsPageTest(TidelogdTestCase):
    QUOTAS = "on"

    def metrics(self):
        status, headers, body = http_get(self.server.endpoint + "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        return body.decode()

    def test_page_passes_promtool(self):
        self.create_stream("lint", 2)
        self.kinesis.enable_enhanced_monitoring(StreamName="lint", ShardLevelMetrics=["ALL"])
        self.kinesis.put_record(StreamName="lint", PartitionKey="k", Data=b"x")
        text = self.metrics()
        self.assertIsNotNone(PROMTOOL, "promtool not found (Debian package prometheus)")
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertEqual(r.stdout.decode().strip(), "", "promtool lint findings")

    def test_counters_match_what_boto3_did(self):
        self.create_stream("counted", 1)
        self.create_stream("monitored", 1)
        self.kinesis.enable_enhanced_monitoring(
            StreamName="monitored", ShardLevelMetrics=["IncomingRecords", "OutgoingRecords"])
        # Three quick batches of 500 one-byte records into one shard: its
        # 1000 records/s quota throttles some.
        ok = throttled = 0
        for _ in range(3):
            r = self.kinesis.put_records(StreamName="counted", Records=[
                {"PartitionKey": "p", "Data": b"d"} for _ in range(500)])
            for entry in r["Records"]:
                if "SequenceNumber" in entry:
                    ok += 1
                else:
                    self.assertEqual(entry["ErrorCode"], "ProvisionedThroughputExceededException")
                    throttled += 1
        self.assertGreater(throttled, 0)
        for i in range(7):
            self.kinesis.put_record(StreamName="monitored", PartitionKey="k%d" % i, Data=b"abc")
        records, _ = self.read_shard("monitored", "shardId-000000000000")
        self.assertEqual(len(records), 7)

        s = parse_samples(self.metrics())
        self.assertEqual(value(s, "tidelog_stream_incoming_records_total", stream="counted"), ok)
        self.assertEqual(value(s, "tidelog_stream_incoming_bytes_total", stream="counted"), 2 * ok)
        self.assertEqual(value(s, "tidelog_stream_write_throttled_records_total", stream="counted"),
                         throttled)
        self.assertEqual(value(s, "tidelog_stream_put_records_records_total", stream="counted",
                               outcome="throttled"), throttled)
        self.assertEqual(value(s, "tidelog_stream_put_records_success_total", stream="counted"), 3)
        self.assertEqual(value(s, "tidelog_stream_request_duration_seconds_count",
                               stream="counted", operation="PutRecords"), 3)
        self.assertEqual(value(s, "tidelog_stream_put_record_success_total", stream="monitored"), 7)
        self.assertEqual(value(s, "tidelog_stream_get_records_records_total", stream="monitored"), 7)
        self.assertEqual(value(s, "tidelog_stream_open_shards", stream="counted"), 1)
        self.assertEqual(value(s, "tidelog_stream_info", stream="monitored", mode="PROVISIONED",
                               status="ACTIVE"), 1)
        shard = "shardId-000000000000"
        self.assertEqual(value(s, "tidelog_shard_incoming_records_total", stream="monitored",
                               shard=shard), 7)
        self.assertEqual(value(s, "tidelog_shard_outgoing_records_total", stream="monitored",
                               shard=shard), 7)
        # Only what was enabled, only where it was enabled.
        self.assertIsNone(value(s, "tidelog_shard_incoming_records_total", stream="counted",
                                shard=shard))
        self.assertIsNone(value(s, "tidelog_shard_incoming_bytes_total", stream="monitored",
                                shard=shard))
        self.assertGreater(value(s, "tidelog_group_commits_total"), 0)
        self.assertGreaterEqual(value(s, "tidelog_http_open_connections"), 1)
        self.assertGreater(value(s, "process_resident_memory_bytes"), 0)

    def test_health_and_methods(self):
        status, headers, body = http_get(self.server.endpoint + "/health")
        self.assertEqual(status, 200)
        health = json.loads(body)
        self.assertEqual(health["status"], "ok")
        self.assertTrue(health["store"]["accepting_writes"])
        self.assertEqual(http_get(self.server.endpoint + "/health/ready")[0], 200)
        self.assertEqual(http_get(self.server.endpoint + "/health/live")[0], 200)
        status, _, body = http_get(self.server.endpoint + "/metrics", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        status, headers, _ = http_get(self.server.endpoint + "/metrics", method="DELETE")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD")
        # The Kinesis protocol on the same port is untouched.
        self.assertIn("StreamNames", self.kinesis.list_streams())


class MetricsListenTest(TidelogdTestCase):
    """--metrics-listen: /metrics and /health alone on a second address."""
    EXTRA_ARGS = ("--metrics-listen", "127.0.0.1:0")
    LINE = "tidelogd: listening for metrics on "

    def metrics_address(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for line in list(self.server.stderr_lines):
                if line.startswith(self.LINE):
                    return line[len(self.LINE):].strip()
            time.sleep(POLL_INTERVAL_S)
        self.fail("no metrics listener announced: %s" % self.server.stderr_lines)

    def test_second_address_serves_only_metrics_and_health(self):
        self.create_stream("elsewhere", 1)
        base = "http://" + self.metrics_address()
        status, _, body = http_get(base + "/metrics")
        self.assertEqual(status, 200)
        self.assertIn('tidelog_stream_open_shards{stream="elsewhere"} 1', body.decode())
        self.assertEqual(http_get(base + "/health")[0], 200)
        # Not the Kinesis protocol there.
        self.assertEqual(http_get(base + "/")[0], 404)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusScrapeTest(TidelogdTestCase):
    """A real Prometheus scrapes /metrics every second; its query API then
    answers with the broker's figures."""

    def test_prometheus_scrapes_the_broker(self):
        self.assertIsNotNone(PROMETHEUS, "prometheus not found (Debian package prometheus)")
        self.create_stream("scraped", 2)
        r = self.kinesis.put_records(StreamName="scraped", Records=[
            {"PartitionKey": "k%d" % i, "Data": b"0123456789"} for i in range(250)])
        self.assertEqual(r["FailedRecordCount"], 0)
        tmp = tempfile.mkdtemp(prefix="tidelog-prometheus-")
        proc = None
        try:
            with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
                f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        "scrape_configs:\n  - job_name: tidelog\n    static_configs:\n"
                        "      - targets: ['%s:%d']\n" % (self.server.host, self.server.port))
            port = free_port()
            log = open(os.path.join(tmp, "prometheus.log"), "w")
            self.addCleanup(log.close)
            proc = subprocess.Popen(
                [PROMETHEUS, "--config.file", os.path.join(tmp, "prometheus.yml"),
                 "--storage.tsdb.path", os.path.join(tmp, "tsdb"),
                 "--web.listen-address", "127.0.0.1:%d" % port],
                stdout=log, stderr=subprocess.STDOUT)
            query = "http://127.0.0.1:%d/api/v1/query?query=%s" % (port, urllib.parse.quote(
                'tidelog_stream_incoming_records_total{job="tidelog",stream="scraped"}'))
            got = None
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    status, _, body = http_get(query, timeout=2)
                except OSError:  # not listening yet
                    status = None
                if status == 200:
                    result = json.loads(body)["data"]["result"]
                    if result:
                        got = float(result[0]["value"][1])
                        break
                time.sleep(POLL_INTERVAL_S * 20)
            if got is None:
                log.flush()
                with open(os.path.join(tmp, "prometheus.log")) as f:
                    self.fail("Prometheus never had the series; its log:\n" + f.read()[-3000:])
            self.assertEqual(got, 250)
            status, _, body = http_get("http://127.0.0.1:%d/api/v1/query?query=%s" % (
                port, urllib.parse.quote('up{job="tidelog"}')))
            self.assertEqual(float(json.loads(body)["data"]["result"][0]["value"][1]), 1)
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
