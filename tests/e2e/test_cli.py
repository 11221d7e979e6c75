"""The AWS CLI first-contact scenario (user-scenarios.md): create-stream,
put-record, describe-stream, get-shard-iterator (TRIM_HORIZON, LATEST,
AT_TIMESTAMP), get-records, split-shard at 2^127 and merge-shards, driven
through `aws kinesis ... --endpoint-url` with credentials in the environment."""

import base64
import json
import os
import subprocess

from tidelogd_fixture import TidelogdTestCase, main

CLI_TIMEOUT_S = 120


class CliFirstContactTest(TidelogdTestCase):

    def aws(self, *args, expect_ok=True):
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "",
            "AWS_CONFIG_FILE": os.path.join(self.tmp, "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.tmp, "no-credentials"),
            "AWS_MAX_ATTEMPTS": "1", "AWS_EC2_METADATA_DISABLED": "true",
        })
        cmd = ["aws", "kinesis"] + list(args) + ["--endpoint-url", self.server.endpoint,
                                                 "--output", "json"]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
        if expect_ok:
            self.assertEqual(p.returncode, 0, "%s\nstdout: %s\nstderr: %s"
                             % (" ".join(args), p.stdout, p.stderr))
            return json.loads(p.stdout) if p.stdout.strip() else None
        self.assertNotEqual(p.returncode, 0, p.stdout)
        return p.stderr

    def wait_active_cli(self, name):
        for _ in range(600):
            s = self.aws("describe-stream-summary", "--stream-name", name)
            if s["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                return s
        self.fail("%s never ACTIVE" % name)

    def read_all(self, iterator):
        out = []
        for _ in range(100):
            r = self.aws("get-records", "--shard-iterator", iterator)
            out += r["Records"]
            iterator = r.get("NextShardIterator")
            if not iterator or (not r["Records"] and r["MillisBehindLatest"] == 0):
                return out, r
        self.fail("get-records never caught up")

    def test_first_contact(self):
        self.assertIsNone(self.aws("create-stream", "--stream-name", "my-data-stream",
                                   "--shard-count", "2"))
        s = self.wait_active_cli("my-data-stream")
        self.assertEqual(s["StreamDescriptionSummary"]["OpenShardCount"], 2)

        # CLI v1 sends the --data text itself as the blob.
        put = self.aws("put-record", "--stream-name", "my-data-stream", "--partition-key",
                       "user-1", "--data", "hello-from-cli")
        self.assertTrue(put["SequenceNumber"].isdigit())
        shard_id = put["ShardId"]

        d = self.aws("describe-stream", "--stream-name", "my-data-stream")["StreamDescription"]
        self.assertEqual([x["ShardId"] for x in d["Shards"]],
                         ["shardId-000000000000", "shardId-000000000001"])
        self.assertIn(shard_id, [x["ShardId"] for x in d["Shards"]])
        created = d["StreamCreationTimestamp"]

        it = self.aws("get-shard-iterator", "--stream-name", "my-data-stream", "--shard-id",
                      shard_id, "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
        records, _ = self.read_all(it)
        self.assertEqual(len(records), 1)
        self.assertEqual(base64.b64decode(records[0]["Data"]), b"hello-from-cli")
        self.assertEqual(records[0]["PartitionKey"], "user-1")
        self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
        # The same bytes through boto3.
        got = self.kinesis.get_records(ShardIterator=self.kinesis.get_shard_iterator(
            StreamName="my-data-stream", ShardId=shard_id,
            ShardIteratorType="TRIM_HORIZON")["ShardIterator"])["Records"]
        self.assertEqual(got[0]["Data"], b"hello-from-cli")

        latest = self.aws("get-shard-iterator", "--stream-name", "my-data-stream", "--shard-id",
                          shard_id, "--shard-iterator-type", "LATEST")["ShardIterator"]
        self.aws("put-record", "--stream-name", "my-data-stream", "--partition-key", "user-1",
                 "--data", "second")
        records, _ = self.read_all(latest)
        self.assertEqual([base64.b64decode(r["Data"]) for r in records], [b"second"])

        at = self.aws("get-shard-iterator", "--stream-name", "my-data-stream", "--shard-id",
                      shard_id, "--shard-iterator-type", "AT_TIMESTAMP", "--timestamp",
                      str(created))["ShardIterator"]
        records, _ = self.read_all(at)
        self.assertEqual([base64.b64decode(r["Data"]) for r in records],
                         [b"hello-from-cli", b"second"])

        # 2^127 is the start of shard 1 of a 2-shard stream, so it cannot split
        # either shard; it is the midpoint of a 1-shard stream.
        err = self.aws("split-shard", "--stream-name", "my-data-stream", "--shard-to-split",
                       "shardId-000000000001", "--new-starting-hash-key",
                       str(2 ** 127), expect_ok=False)
        self.assertIn("InvalidArgumentException", err)
        self.assertIsNone(self.aws("merge-shards", "--stream-name", "my-data-stream",
                                   "--shard-to-merge", "shardId-000000000000",
                                   "--adjacent-shard-to-merge", "shardId-000000000001"))
        self.wait_active_cli("my-data-stream")
        d = self.aws("describe-stream", "--stream-name", "my-data-stream")["StreamDescription"]
        merged = [x for x in d["Shards"] if x["ShardId"] == "shardId-000000000002"]
        self.assertEqual(len(merged), 1)
        self.assertEqual(merged[0]["ParentShardId"], "shardId-000000000000")
        self.assertEqual(merged[0]["AdjacentParentShardId"], "shardId-000000000001")
        self.assertEqual(merged[0]["HashKeyRange"],
                         {"StartingHashKey": "0", "EndingHashKey": str(2 ** 128 - 1)})

        self.aws("create-stream", "--stream-name", "one-shard", "--shard-count", "1")
        self.wait_active_cli("one-shard")
        self.assertIsNone(self.aws("split-shard", "--stream-name", "one-shard",
                                   "--shard-to-split", "shardId-000000000000",
                                   "--new-starting-hash-key",
                                   "170141183460469231731687303715884105728"))
        self.wait_active_cli("one-shard")
        shards = self.aws("list-shards", "--stream-name", "one-shard")["Shards"]
        self.assertEqual([(x["ShardId"], x["HashKeyRange"]["StartingHashKey"]) for x in shards],
                         [("shardId-000000000000", "0"), ("shardId-000000000001", "0"),
                          ("shardId-000000000002", str(2 ** 127))])

        err = self.aws("describe-stream", "--stream-name", "nope", expect_ok=False)
        self.assertIn("ResourceNotFoundException", err)
        self.aws("delete-stream", "--stream-name", "one-shard")
        for _ in range(600):  # DELETING, then gone
            if "one-shard" not in self.aws("list-streams")["StreamNames"]:
                break
        else:
            self.fail("one-shard still listed after delete-stream")


if __name__ == "__main__":
    main()
