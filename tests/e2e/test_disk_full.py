"""End-to-end: tidelogd on a full data disk. Mounts a small tmpfs as the data
directory (skips when mounting is not permitted), fills it with boto3
PutRecords until the broker refuses, checks the AWS error (retryable
ServiceUnavailable, no server path in it), that GetRecords still works, grows
the tmpfs, and that writes resume by themselves; prints the time to resume.
Always stops the daemon and unmounts."""

import os
import subprocess
import tempfile
import time
import unittest

import boto3
import botocore.config
from botocore.exceptions import ClientError

import tidelogd_fixture as fx

MIB = 1 << 20
RESUME_TIMEOUT_S = 30


class DiskFullTest(unittest.TestCase):
    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="tidelog-e2e-full-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", self.mnt],
                           capture_output=True, text=True)
        if r.returncode != 0:
            os.rmdir(self.mnt)
            self.skipTest("cannot mount a tmpfs (%s): needs root or CAP_SYS_ADMIN"
                          % r.stderr.strip())
        self.addCleanup(self._unmount)
        self.server = fx.Tidelogd(os.path.join(self.mnt, "data"), "off",
                                  ["--min-free-bytes", str(4 * MIB)])
        self.server.start()
        self.addCleanup(self.server.kill)
        self.kinesis = boto3.client(
            "kinesis", endpoint_url=self.server.endpoint, region_name=fx.REGION,
            aws_access_key_id="x", aws_secret_access_key="x",
            config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1},
                                          read_timeout=120))

    def _unmount(self):
        subprocess.run(["umount", "-l", self.mnt], check=False)
        os.rmdir(self.mnt)

    def put(self, n=8, size=64 << 10):
        return self.kinesis.put_records(StreamName="s", Records=[
            {"Data": os.urandom(size), "PartitionKey": "k%d" % i} for i in range(n)])

    def test_fill_refuse_read_grow_resume(self):
        self.kinesis.create_stream(StreamName="s", ShardCount=1)
        acked = 0
        error = None
        for _ in range(2000):
            try:
                r = self.put()
            except ClientError as e:
                error = e
                break
            acked += len(r["Records"]) - r["FailedRecordCount"]
        self.assertIsNotNone(error, "the disk never filled")
        self.assertGreater(acked, 0)
        err = error.response["Error"]
        self.assertEqual(err["Code"], "ServiceUnavailable")
        self.assertEqual(err["Message"],
                         "The broker's data disk is full; writes are refused until space is freed.")
        self.assertNotIn(self.mnt, str(error.response))
        self.assertEqual(error.response["ResponseMetadata"]["HTTPStatusCode"], 503)

        # Reads keep working while the disk is full.
        shard = self.kinesis.list_shards(StreamName="s")["Shards"][0]["ShardId"]
        records, _ = fx.read_shard(self.kinesis, "s", shard)
        self.assertEqual(len(records), acked)
        self.kinesis.describe_stream(StreamName="s")

        # Grow the filesystem: writes resume by themselves.
        subprocess.run(["mount", "-o", "remount,size=96m", self.mnt], check=True)
        grown = time.monotonic()
        deadline = grown + RESUME_TIMEOUT_S
        while True:
            try:
                self.put(n=1)
                break
            except ClientError as e:
                self.assertEqual(e.response["Error"]["Code"], "ServiceUnavailable")
                self.assertLess(time.monotonic(), deadline, "writes did not resume")
                time.sleep(fx.POLL_INTERVAL_S)
        print("[ measured ] PutRecords resumed %.0f ms after the tmpfs grew"
              % ((time.monotonic() - grown) * 1000))
        records, _ = fx.read_shard(self.kinesis, "s", shard)
        self.assertEqual(len(records), acked + 1)
        self.assertIsNone(self.server.proc.poll(), "tidelogd exited")


if __name__ == "__main__":
    fx.main()
