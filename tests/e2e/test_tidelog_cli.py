"""The tidelog command-line tool (tools/cli) against a real tidelogd,
checked against boto3's view: streams create / ls / describe / retention /
mode / delete, reshard split / merge / scale, keys over the live stream's
shard map against where PutRecord actually routed the same keys, plan
--json, an AWS error (ResourceNotFoundException, non-zero exit), and HTTPS
with --no-verify-ssl, with --ca-bundle and with AWS_CA_BUNDLE (and a refused
unverified certificate).

Run with --tidelogd PATH --tidelog PATH (the fixture's main() reads the
first; this file takes the second out of argv before it)."""

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

from tidelogd_fixture import REGION, TidelogdTestCase, main

TIDELOG = None  # set from --tidelog
CLI_TIMEOUT_S = 120


def take_tidelog_arg():
    global TIDELOG
    argv = list(sys.argv)
    for i, arg in enumerate(argv):
        if arg == "--tidelog" and i + 1 < len(argv):
            TIDELOG = os.path.abspath(argv[i + 1])
            del argv[i:i + 2]
            break
        if arg.startswith("--tidelog="):
            TIDELOG = os.path.abspath(arg.split("=", 1)[1])
            del argv[i]
            break
    sys.argv = argv
    if TIDELOG is None:
        sys.exit("run with --tidelog PATH")


class CliTestCase(TidelogdTestCase):

    def run_cli(self, *args, endpoint=None, env_extra=None, expect=0):
        """Runs tidelog with the fixture's credentials; returns (stdout, stderr)."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": self.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": self.SECRET_KEY,
                    "AWS_REGION": REGION})
        env.update(env_extra or {})
        cmd = [TIDELOG] + list(args) + ["--endpoint-url", endpoint or self.server.endpoint]
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=CLI_TIMEOUT_S)
        if expect is not None:
            self.assertEqual(p.returncode, expect,
                             "%s\nstdout:\n%s\nstderr:\n%s" % (cmd, p.stdout, p.stderr))
        return p.stdout, p.stderr, p.returncode

    def cli_json(self, *args, **kwargs):
        out, _, _ = self.run_cli("--json", *args, **kwargs)
        return json.loads(out)

    def open_shards_boto3(self, stream):
        shards = self.kinesis.list_shards(StreamName=stream)["Shards"]
        return sorted((s["ShardId"], int(s["HashKeyRange"]["StartingHashKey"]),
                       int(s["HashKeyRange"]["EndingHashKey"]))
                      for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"])

    @staticmethod
    def open_shards_cli(doc):
        return sorted((s["ShardId"], int(s["HashKeyRange"]["StartingHashKey"]),
                       int(s["HashKeyRange"]["EndingHashKey"]))
                      for s in doc["Shards"]
                      if "EndingSequenceNumber" not in s["SequenceNumberRange"])


class StreamsCliTest(CliTestCase):

    def test_create_ls_describe_retention_mode_delete(self):
        created = self.cli_json("streams", "create", "cli-life", "--shards", "3")
        self.assertEqual(created["StreamDescriptionSummary"]["StreamStatus"], "ACTIVE")
        self.assertEqual(created["StreamDescriptionSummary"]["OpenShardCount"], 3)
        self.assertEqual(self.open_shards_cli(created), self.open_shards_boto3("cli-life"))

        listed = self.cli_json("streams", "ls")
        self.assertIn("cli-life", [s["StreamName"] for s in listed["Streams"]])
        text, _, _ = self.run_cli("streams", "ls")
        self.assertIn("cli-life", text)

        described = self.cli_json("streams", "describe", "cli-life")
        boto_summary = self.kinesis.describe_stream_summary(
            StreamName="cli-life")["StreamDescriptionSummary"]
        self.assertEqual(described["StreamDescriptionSummary"]["StreamARN"],
                         boto_summary["StreamARN"])
        text, _, _ = self.run_cli("streams", "describe", "cli-life")
        self.assertIn("shardId-000000000002", text)
        self.assertIn("340282366920938463463374607431768211455", text)

        self.run_cli("streams", "retention", "cli-life", "48")
        self.assertEqual(self.kinesis.describe_stream_summary(
            StreamName="cli-life")["StreamDescriptionSummary"]["RetentionPeriodHours"], 48)
        self.run_cli("streams", "retention", "cli-life", "24")
        self.assertEqual(self.kinesis.describe_stream_summary(
            StreamName="cli-life")["StreamDescriptionSummary"]["RetentionPeriodHours"], 24)
        self.run_cli("streams", "mode", "cli-life", "ON_DEMAND")
        self.assertEqual(self.kinesis.describe_stream_summary(
            StreamName="cli-life")["StreamDescriptionSummary"]["StreamModeDetails"],
            {"StreamMode": "ON_DEMAND"})

        deleted = self.cli_json("streams", "delete", "cli-life")
        self.assertTrue(deleted["Deleted"])
        self.assertNotIn("cli-life", self.kinesis.list_streams()["StreamNames"])

    def test_missing_stream_is_an_aws_error(self):
        out, err, code = self.run_cli("streams", "describe", "no-such-stream", expect=None)
        self.assertNotEqual(code, 0)
        self.assertIn("ResourceNotFoundException", err)
        self.assertIn("no-such-stream", err)
        self.assertEqual(out, "")

    def test_bad_usage_exits_non_zero(self):
        _, err, code = self.run_cli("streams", "create", "x", "--shards", "0", expect=None)
        self.assertNotEqual(code, 0)
        self.assertIn("--shards", err)
        _, _, code = self.run_cli("keys", "user-mod:0", expect=None)
        self.assertNotEqual(code, 0)


class TransitionCliTest(CliTestCase):
    """Streams pass through CREATING / UPDATING / DELETING: the CLI's bounded
    poll must return only once the stream is ACTIVE (or gone)."""
    EXTRA_ARGS = ("--stream-transition-ms", "300")

    def test_waits_for_active_and_for_deletion(self):
        _, err, _ = self.run_cli("streams", "create", "cli-wait", "--shards", "1")
        self.assertIn("cli-wait: CREATING", err)  # plain progress lines off a terminal
        self.assertEqual(self.kinesis.describe_stream_summary(
            StreamName="cli-wait")["StreamDescriptionSummary"]["StreamStatus"], "ACTIVE")
        self.run_cli("reshard", "scale", "cli-wait", "2")
        self.assertEqual(self.kinesis.describe_stream_summary(
            StreamName="cli-wait")["StreamDescriptionSummary"]["StreamStatus"], "ACTIVE")
        self.assertEqual(len(self.open_shards_boto3("cli-wait")), 2)
        self.run_cli("streams", "delete", "cli-wait")
        self.assertNotIn("cli-wait", self.kinesis.list_streams()["StreamNames"])


class ReshardCliTest(CliTestCase):

    def test_split_merge_scale_match_boto3(self):
        self.create_stream("cli-reshard", 2)
        before = dict((s[0], s) for s in self.open_shards_boto3("cli-reshard"))
        parent = before["shardId-000000000000"]
        split = self.cli_json("reshard", "split", "cli-reshard", "shardId-000000000000")
        opened = self.open_shards_cli(split)
        self.assertEqual(opened, self.open_shards_boto3("cli-reshard"))
        children = [s for s in opened if s[0] not in before]
        self.assertEqual(len(children), 2)
        children.sort(key=lambda s: s[1])
        # Split at the midpoint: the left child holds ceil(width / 2) keys.
        width = parent[2] - parent[1] + 1
        self.assertEqual(children[0][1], parent[1])
        self.assertEqual(children[0][2] - children[0][1] + 1, (width + 1) // 2)
        self.assertEqual(children[1][2], parent[2])

        merged = self.cli_json("reshard", "merge", "cli-reshard", children[0][0], children[1][0])
        opened = self.open_shards_cli(merged)
        self.assertEqual(opened, self.open_shards_boto3("cli-reshard"))
        self.assertEqual(len(opened), 2)
        self.assertIn((parent[1], parent[2]), [(s[1], s[2]) for s in opened])

        scaled = self.cli_json("reshard", "scale", "cli-reshard", "4")
        opened = self.open_shards_cli(scaled)
        self.assertEqual(opened, self.open_shards_boto3("cli-reshard"))
        self.assertEqual(len(opened), 4)
        text, _, _ = self.run_cli("reshard", "scale", "cli-reshard", "2")
        self.assertEqual(len(self.open_shards_boto3("cli-reshard")), 2)
        self.assertIn("open", text)


class KeysCliTest(CliTestCase):

    def test_keys_on_live_map_match_put_record_routing(self):
        self.create_stream("cli-keys", 3)
        self.kinesis.split_shard(StreamName="cli-keys", ShardToSplit="shardId-000000000001",
                                 NewStartingHashKey=str(2 ** 127))
        self.wait_active("cli-keys")
        keys = ["user-%d" % i for i in range(300)] + ["hot-key", "2026-12-03/17", "é-ünicode"]
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(keys) + "\n")
            path = f.name
        try:
            doc = self.cli_json("keys", "file:" + path, "--stream", "cli-keys")
        finally:
            os.unlink(path)
        dist = doc["distributions"][0]
        self.assertEqual(dist["total_keys"], len(keys))
        cli_counts = {s["shard_id"]: s["keys"] for s in dist["shards"]}
        self.assertEqual(sorted(cli_counts), [s[0] for s in self.open_shards_boto3("cli-keys")])
        routed = {}
        for key in keys:
            shard = self.kinesis.put_record(StreamName="cli-keys", Data=b"x",
                                            PartitionKey=key)["ShardId"]
            routed[shard] = routed.get(shard, 0) + 1
        self.assertEqual({k: v for k, v in cli_counts.items() if v}, routed)

    def test_compare_plot_and_hot_warning(self):
        with tempfile.TemporaryDirectory() as tmp:
            svg = os.path.join(tmp, "keys.svg")
            out, _, _ = self.run_cli("keys", "compare", "random", "constant", "user-mod:5",
                                     "--shards", "8", "--count", "5000", "--plot", svg)
            self.assertIn("constant", out)
            self.assertIn("user-mod:5", out)
            root = ElementTree.parse(svg).getroot()
            self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
            rects = root.findall("{http://www.w3.org/2000/svg}rect")
            self.assertEqual(len(rects), 1 + 3 * 8 + 3)  # background, bars, legend
        out, _, _ = self.run_cli("keys", "constant", "--shards", "4", "--count", "100")
        self.assertIn("warning: hot shard", out)
        doc = self.cli_json("keys", "constant", "--shards", "4", "--count", "100")
        self.assertEqual(doc["distributions"][0]["hot_shards"], 1)
        self.assertEqual(doc["distributions"][0]["max_over_mean"], 4)


class PlanCliTest(CliTestCase):

    def test_plan_json(self):
        doc = self.cli_json("plan", "--records-per-sec", "5000", "--record-size", "1500",
                            "--readers", "3", "--shard-hour-price", "0.015")
        self.assertEqual(doc["shards"], 13)
        self.assertEqual(doc["binding"], "read-bytes")
        self.assertEqual([c["name"] for c in doc["constraints"]],
                         ["write-bytes", "write-records", "read-bytes"])
        self.assertAlmostEqual(doc["costs"][0]["per_hour"], 13 * 0.015)
        _, err, code = self.run_cli("plan", "--readers", "2", expect=None)
        self.assertNotEqual(code, 0)
        self.assertIn("--write-mbps", err)


class HttpsCliTest(CliTestCase):
    EXTRA_ARGS = ("--tls-self-signed",)

    def test_https_without_and_with_verification(self):
        https = self.server.https_endpoint  # https://127.0.0.1:PORT
        self.kinesis.create_stream(StreamName="cli-tls", ShardCount=1)
        self.wait_active("cli-tls")
        out, _, _ = self.run_cli("streams", "ls", "--no-verify-ssl", endpoint=https)
        self.assertIn("cli-tls", out)
        _, err, code = self.run_cli("streams", "ls", endpoint=https, expect=None)
        self.assertNotEqual(code, 0)
        self.assertIn("certificate verify failed", err)
        # The certificate names localhost and 127.0.0.1: verify both ways.
        out, _, _ = self.run_cli("streams", "ls", "--ca-bundle", self.server.tls_cert,
                                 endpoint=https)
        self.assertIn("cli-tls", out)
        local = "https://localhost:%d" % self.server.port
        doc = self.cli_json("streams", "describe", "cli-tls", endpoint=local,
                            env_extra={"AWS_CA_BUNDLE": self.server.tls_cert})
        self.assertEqual(doc["StreamDescriptionSummary"]["StreamName"], "cli-tls")


if __name__ == "__main__":
    take_tidelog_arg()
    main()
