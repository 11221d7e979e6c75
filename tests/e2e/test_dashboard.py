"""The live dashboard (GET /) against a real tidelogd, in headless Chromium:
boto3 creates streams, splits one shard and merges two, registers consumers
and holds a SubscribeToShard open; js/dashboard.mjs (playwright-core driving
Debian's /usr/bin/chromium) loads the page and reports what it shows, then
waits for the incoming-rate chart to rise and move while this test writes
records; the figures shown are compared with list_shards,
describe_stream_summary and list_stream_consumers. Also the files' headers
(Content-Type, Content-Security-Policy, caching) over plain HTTP.

    test_dashboard.py --tidelogd PATH [--screenshot PATH]... [unittest args]

The screenshot goes to <build>/Testing/Temporary/dashboard.png (the build
holding tidelogd; the temp dir if none) and to every --screenshot PATH too,
e.g. --screenshot docs/dashboard.png for the README's. Needs node and
tests/e2e/js/node_modules (npm ci there; scripts/install-deps.sh does) and
Debian's chromium."""

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import tidelogd_fixture
from tidelogd_fixture import TidelogdTestCase, POLL_INTERVAL_S

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")
CHROMIUM = "/usr/bin/chromium"
NODE_TIMEOUT_S = 200  # dashboard.mjs stops itself after 170 s
SCREENSHOTS = []  # from --screenshot, besides default_screenshot()
MAX_HASH = (1 << 128) - 1


def default_screenshot():
    """<build>/Testing/Temporary/dashboard.png for the build that holds
    tidelogd (the first parent with a CMakeCache.txt), else the temp dir."""
    d = os.path.dirname(tidelogd_fixture.TIDELOGD)
    while d and d != os.path.dirname(d):
        if os.path.exists(os.path.join(d, "CMakeCache.txt")):
            return os.path.join(d, "Testing", "Temporary", "dashboard.png")
        d = os.path.dirname(d)
    return os.path.join(tempfile.gettempdir(), "tidelog-dashboard.png")


def http_get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def processes_mentioning(text):
    """Pids whose command line contains `text` (the browser's profile dir)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                if text.encode() in f.read():
                    pids.append(int(name))
        except OSError:
            pass
    return pids


class DashboardTest(TidelogdTestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tidelog-dashboard-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_files_and_headers(self):
        base = self.server.endpoint
        status, headers, body = http_get(base + "/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/html; charset=utf-8")
        csp = headers["Content-Security-Policy"]
        self.assertTrue(csp.startswith("default-src 'self'"), csp)
        self.assertNotIn("unsafe", csp)
        self.assertEqual(headers["Cache-Control"], "no-cache")
        etag = headers["ETag"]
        self.assertNotIn(b"<script>", body)  # scripts only from files
        status, headers, body = http_get(base + "/", {"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))
        for path, kind in (("/dashboard/app.js", "text/javascript"),
                           ("/dashboard/charts.js", "text/javascript"),
                           ("/dashboard/app.css", "text/css"),
                           ("/dashboard/favicon.svg", "image/svg+xml")):
            status, headers, body = http_get(base + path)
            self.assertEqual(status, 200, path)
            self.assertTrue(headers["Content-Type"].startswith(kind), path)
            self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
            self.assertGreater(len(body), 100, path)
        status, headers, body = http_get(base + "/dashboard/api/state")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertIn("streams", json.loads(body))
        # The Kinesis protocol still owns POST / and AWS calls by GET.
        self.assertIn("StreamNames", self.kinesis.list_streams())
        status, _, _ = self.raw("ListStreams", b"", method="GET")
        self.assertEqual(status, 403)

    def make_streams(self):
        """Three streams: a split, a merge, consumers, records. Returns the
        live subscription's response (to close) ."""
        k = self.kinesis
        self.create_stream("orders", 2)
        self.create_stream("clicks", 1)
        self.create_stream("events", 2)
        first = k.list_shards(StreamName="orders")["Shards"][0]
        lo = int(first["HashKeyRange"]["StartingHashKey"])
        hi = int(first["HashKeyRange"]["EndingHashKey"])
        k.split_shard(StreamName="orders", ShardToSplit=first["ShardId"],
                      NewStartingHashKey=str(lo + (hi - lo) // 3))
        self.wait_active("orders")
        k.merge_shards(StreamName="events", ShardToMerge="shardId-000000000000",
                       AdjacentShardToMerge="shardId-000000000001")
        self.wait_active("events")
        arn = {}
        for name in ("orders", "events"):
            arn[name] = k.describe_stream_summary(StreamName=name)[
                "StreamDescriptionSummary"]["StreamARN"]
        consumers = [k.register_stream_consumer(StreamARN=arn["orders"], ConsumerName=n)[
            "Consumer"] for n in ("analytics", "archiver")]
        k.register_stream_consumer(StreamARN=arn["events"], ConsumerName="audit")
        deadline = time.monotonic() + 60
        while k.describe_stream_consumer(ConsumerARN=consumers[0]["ConsumerARN"])[
                "ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
            self.assertLess(time.monotonic(), deadline, "consumer never ACTIVE")
            time.sleep(POLL_INTERVAL_S)
        r = k.put_records(StreamName="orders", Records=[
            {"PartitionKey": "o%d" % i, "Data": b"order"} for i in range(60)])
        self.assertEqual(r["FailedRecordCount"], 0)
        k.put_records(StreamName="clicks", Records=[
            {"PartitionKey": "c%d" % i, "Data": b"click"} for i in range(10)])
        records, _ = self.read_shard("clicks", "shardId-000000000000")
        self.assertEqual(len(records), 10)
        open_shard = [s["ShardId"] for s in k.list_shards(StreamName="orders")["Shards"]
                      if "EndingSequenceNumber" not in s["SequenceNumberRange"]][0]
        sub = self.client().subscribe_to_shard(
            ConsumerARN=consumers[0]["ConsumerARN"], ShardId=open_shard,
            StartingPosition={"Type": "LATEST"})
        return sub

    def expected(self):
        """What the Kinesis API says, per stream."""
        k = self.kinesis
        out = {}
        for name in k.list_streams()["StreamNames"]:
            summary = k.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
            shards = k.list_shards(StreamName=name)["Shards"]
            arn = summary["StreamARN"]
            consumers = k.list_stream_consumers(StreamARN=arn)["Consumers"]
            children = {}
            for s in shards:
                for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")):
                    if p:
                        children.setdefault(p, []).append(s["ShardId"])
            out[name] = {
                "status": summary["StreamStatus"],
                "mode": summary["StreamModeDetails"]["StreamMode"],
                "open": summary["OpenShardCount"],
                "consumers": summary["ConsumerCount"],
                "consumer_list": sorted((c["ConsumerName"], c["ConsumerStatus"])
                                        for c in consumers),
                "shards": {s["ShardId"]: {
                    "state": "closed" if "EndingSequenceNumber" in s["SequenceNumberRange"]
                    else "open",
                    "parents": ", ".join(p for p in (s.get("ParentShardId"),
                                                     s.get("AdjacentParentShardId")) if p)
                    or "-",
                    "children": ", ".join(children.get(s["ShardId"], [])) or "-",
                    "start": s["HashKeyRange"]["StartingHashKey"],
                    "end": s["HashKeyRange"]["EndingHashKey"],
                } for s in shards},
            }
        return out

    def check_shown(self, shown, expected):
        self.assertEqual(shown["status"], "live")
        self.assertEqual(shown["streamCount"], len(expected))
        self.assertEqual(sorted(s["name"] for s in shown["streams"]), sorted(expected))
        self.assertIn("not exposed", shown["segments"])  # said, not faked
        for s in shown["streams"]:
            e = expected[s["name"]]
            with self.subTest(stream=s["name"]):
                self.assertEqual((s["status"], s["mode"]), (e["status"], e["mode"]))
                closed = sum(1 for x in e["shards"].values() if x["state"] == "closed")
                self.assertEqual((s["open"], s["closed"], s["total"]),
                                 (e["open"], closed, len(e["shards"])))
                self.assertEqual(s["consumers"], e["consumers"])
                self.assertEqual(sorted((c["name"], c["status"]) for c in s["consumerList"]),
                                 e["consumer_list"])
                rows = {r["id"]: {k: r[k] for k in ("state", "parents", "children", "start",
                                                    "end")} for r in s["shards"]}
                self.assertEqual(rows, e["shards"])
                self.assertEqual({b["id"]: b["open"] for b in s["bars"]},
                                 {i: x["state"] == "open" for i, x in e["shards"].items()})
                # Bars are drawn to scale: a shard's width is its share of 0..2^128 in
                # a 1000-unit view.
                for b in s["bars"]:
                    x = e["shards"][b["id"]]
                    share = (int(x["end"]) - int(x["start"]) + 1) / (MAX_HASH + 1)
                    self.assertAlmostEqual(b["width"], share * 1000 - 1, delta=1.5, msg=b)
                links = sorted(tuple(l) for l in s["links"])
                want = sorted((p, i) for i, x in e["shards"].items()
                              for p in x["parents"].split(", ") if p != "-")
                self.assertEqual(links, want)
        by_name = {s["name"]: s for s in shown["streams"]}
        self.assertEqual(by_name["orders"]["subscriptions"], 1)  # the one held open
        self.assertEqual(by_name["clicks"]["subscriptions"], 0)
        self.assertEqual(by_name["orders"]["lineageRows"], 2)
        self.assertEqual(by_name["clicks"]["lineageRows"], 1)

    def test_page_in_chromium(self):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node not found (scripts/install-deps.sh installs nodejs)")
        self.assertTrue(os.access(CHROMIUM, os.X_OK),
                        CHROMIUM + " not found (Debian package chromium)")
        self.assertTrue(os.path.isdir(os.path.join(JS_DIR, "node_modules", "playwright-core")),
                        "tests/e2e/js/node_modules lacks playwright-core (npm ci there)")
        sub = self.make_streams()
        self.addCleanup(sub["EventStream"].close)
        expected = self.expected()
        profile = os.path.join(self.tmp, "chromium-profile")
        report_path = os.path.join(self.tmp, "report.json")
        screenshots = [default_screenshot()] + SCREENSHOTS
        for path in screenshots:
            if os.path.exists(path):
                os.remove(path)
        cmd = [node, os.path.join(JS_DIR, "dashboard.mjs"), "--endpoint", self.server.endpoint,
               "--chromium", CHROMIUM, "--user-data-dir", profile,
               "--streams", ",".join(sorted(expected)), "--load-stream", "orders",
               "--report", report_path]
        for path in screenshots:
            cmd += ["--screenshot", os.path.abspath(path)]
        env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS",)}
        env["NODE_NO_WARNINGS"] = "1"
        proc = subprocess.Popen(cmd, cwd=JS_DIR, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        lines = queue.Queue()
        output = []

        def read(stream, tag):
            for raw in iter(stream.readline, b""):
                text = raw.decode(errors="replace").rstrip("\n")
                output.append(tag + text)
                lines.put(text)

        readers = [threading.Thread(target=read, args=(proc.stdout, ""), daemon=True),
                   threading.Thread(target=read, args=(proc.stderr, "stderr: "), daemon=True)]
        for t in readers:
            t.start()
        stop = threading.Event()
        written = [0]

        def write_load():
            client = self.client()
            i = 0
            while not stop.is_set():
                r = client.put_records(StreamName="orders", Records=[
                    {"PartitionKey": "load-%d-%d" % (i, j), "Data": b"x" * 100}
                    for j in range(50)])
                written[0] += 50 - r["FailedRecordCount"]
                i += 1
                stop.wait(0.05)  # pacing the load, not a synchronisation

        writer = threading.Thread(target=write_load, daemon=True)
        try:
            deadline = time.monotonic() + NODE_TIMEOUT_S
            while True:
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, "dashboard.mjs never asked for load:\n" +
                                   "\n".join(output))
                try:
                    line = lines.get(timeout=min(left, 1.0))
                except queue.Empty:
                    if proc.poll() is not None and lines.empty():
                        break
                    continue
                if line.startswith("load-wanted"):
                    writer.start()
                    break
            try:
                code = proc.wait(timeout=max(1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.fail("dashboard.mjs did not finish:\n" + "\n".join(output))
        finally:
            stop.set()
            if writer.is_alive():
                writer.join(timeout=60)
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            for t in readers:
                t.join(timeout=10)
            proc.stdout.close()
            proc.stderr.close()
            left_over = processes_mentioning(profile)
            for pid in left_over:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        sys.stderr.write("dashboard.mjs (exit %s):\n%s\n" % (code, "\n".join(output)))
        self.assertEqual(left_over, [], "browser processes left behind")
        with open(report_path) as f:
            report = json.load(f)
        self.assertIsNone(report.get("error"), "dashboard.mjs failed:\n" + "\n".join(output))
        for key in ("consoleErrors", "pageErrors", "failedRequests", "httpErrors",
                    "foreignRequests"):
            self.assertEqual(report[key], [], key)
        self.assertEqual(code, 0, "\n".join(output))
        self.assertEqual(report["pageStatus"], 200)
        self.assertIn("default-src 'self'", report["pageHeaders"]["content-security-policy"])
        self.check_shown(report["shown"], expected)
        # Under load the drawn incoming rate rose from where it was and moved on.
        before, risen, moved = report["chartBefore"], report["chartRisen"], report["chartMoved"]
        self.assertGreater(written[0], 0)
        self.assertGreater(risen["max"], before["max"])
        self.assertGreater(risen["maxHeight"], before["maxHeight"])
        self.assertGreater(moved["maxHeight"], 1)
        self.assertNotEqual(moved["points"], risen["points"])
        self.assertGreater(risen["shardsRising"], 0)
        # The structure did not change under load.
        self.check_shown(report["shownAfterLoad"], self.expected())
        # Storage per stream: RocksDB's estimate, which may round a few small
        # records to 0, so only after the load.
        after = {s["name"]: s for s in report["shownAfterLoad"]["streams"]}
        self.assertGreater(after["orders"]["storedBytes"], 0)
        for path in screenshots:
            with open(path, "rb") as f:
                head = f.read(8)
            self.assertEqual(head, b"\x89PNG\r\n\x1a\n", path)
            self.assertGreater(os.path.getsize(path), 10_000, path)
            sys.stderr.write("screenshot: %s\n" % os.path.abspath(path))


def main():
    """--screenshot PATH (repeatable) here; --tidelogd and the rest to the fixture."""
    argv, rest = sys.argv[1:], []
    i = 0
    while i < len(argv):
        if argv[i] == "--screenshot" and i + 1 < len(argv):
            SCREENSHOTS.append(argv[i + 1])
            i += 2
        elif argv[i].startswith("--screenshot="):
            SCREENSHOTS.append(argv[i].split("=", 1)[1])
            i += 1
        else:
            rest.append(argv[i])
            i += 1
    sys.argv = [sys.argv[0]] + rest
    tidelogd_fixture.main()


if __name__ == "__main__":
    main()
