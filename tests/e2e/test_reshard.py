"""Resharding under load, as users reproduce a published test: a writer puts
50,000 sequentially numbered records in batches of 500 while the stream is
split 1 -> 2 and then merged 2 -> 1; every number is read back exactly once,
parents before children, with per-key order kept. Also the SplitShard,
MergeShards and UpdateShardCount errors."""

import threading

from tidelogd_fixture import TidelogdTestCase, main

TOTAL = 50000
BATCH = 500
KEYS = 50
SPLIT_AFTER_BATCH = 30
MERGE_AFTER_BATCH = 70
EVENT_TIMEOUT_S = 240


class ReshardUnderLoadTest(TidelogdTestCase):

    def test_split_then_merge_while_writing(self):
        self.create_stream("load", 1)
        reached = {SPLIT_AFTER_BATCH: threading.Event(), MERGE_AFTER_BATCH: threading.Event()}
        resharded = {SPLIT_AFTER_BATCH: threading.Event(), MERGE_AFTER_BATCH: threading.Event()}
        errors = []
        writer_client = self.client()

        def writer():
            try:
                for b in range(TOTAL // BATCH):
                    entries = [{"PartitionKey": "user-%d" % (n % KEYS), "Data": b"%d" % n}
                               for n in range(b * BATCH, (b + 1) * BATCH)]
                    r = writer_client.put_records(StreamName="load", Records=entries)
                    if r["FailedRecordCount"]:
                        errors.append("batch %d: %d failed: %s" % (
                            b, r["FailedRecordCount"],
                            [x for x in r["Records"] if "ErrorCode" in x][:3]))
                        return
                    done = b + 1
                    if done in reached:
                        reached[done].set()
                        # The next batch goes out while the reshard is in
                        # progress or just finished; the writer only waits so
                        # that both reshards surely happen mid-stream.
                        if not resharded[done].wait(EVENT_TIMEOUT_S):
                            errors.append("reshard after batch %d never finished" % done)
                            return
            except Exception as e:  # reported by the main thread
                errors.append(repr(e))
            finally:
                for e in list(reached.values()) + list(resharded.values()):
                    e.set()

        t = threading.Thread(target=writer)
        t.start()
        try:
            self.assertTrue(reached[SPLIT_AFTER_BATCH].wait(EVENT_TIMEOUT_S))
            self.assertEqual(errors, [])
            self.kinesis.split_shard(StreamName="load", ShardToSplit="shardId-000000000000",
                                     NewStartingHashKey=str(2 ** 127))
            resharded[SPLIT_AFTER_BATCH].set()
            self.wait_active("load")
            self.assertTrue(reached[MERGE_AFTER_BATCH].wait(EVENT_TIMEOUT_S))
            self.assertEqual(errors, [])
            open_shards = self.kinesis.list_shards(
                StreamName="load", ShardFilter={"Type": "AT_LATEST"})["Shards"]
            open_shards.sort(key=lambda s: int(s["HashKeyRange"]["StartingHashKey"]))
            self.assertEqual([s["ShardId"] for s in open_shards],
                             ["shardId-000000000001", "shardId-000000000002"])
            self.kinesis.merge_shards(StreamName="load", ShardToMerge=open_shards[0]["ShardId"],
                                      AdjacentShardToMerge=open_shards[1]["ShardId"])
            resharded[MERGE_AFTER_BATCH].set()
            self.wait_active("load")
        finally:
            for e in resharded.values():
                e.set()
            t.join(EVENT_TIMEOUT_S)
        self.assertFalse(t.is_alive(), "writer did not finish")
        self.assertEqual(errors, [])

        shards = self.kinesis.list_shards(StreamName="load")["Shards"]
        by_id = {s["ShardId"]: s for s in shards}
        self.assertEqual(sorted(by_id), ["shardId-%012d" % i for i in range(4)])
        self.assertEqual(by_id["shardId-000000000003"]["ParentShardId"], "shardId-000000000001")
        self.assertEqual(by_id["shardId-000000000003"]["AdjacentParentShardId"],
                         "shardId-000000000002")
        self.assertEqual(by_id["shardId-000000000003"]["HashKeyRange"],
                         {"StartingHashKey": "0", "EndingHashKey": str(2 ** 128 - 1)})

        # Read parents before children.
        order, done = [], set()
        while len(order) < len(shards):
            for s in shards:
                parents = {s.get("ParentShardId"), s.get("AdjacentParentShardId")} - {None}
                if s["ShardId"] not in done and parents <= done:
                    order.append(s["ShardId"])
                    done.add(s["ShardId"])
        seen = {}
        per_key = {}
        per_shard = {}
        for shard_id in order:
            records, last = self.read_shard("load", shard_id)
            per_shard[shard_id] = len(records)
            if shard_id != "shardId-000000000003":
                self.assertNotIn("NextShardIterator", last, shard_id)  # closed shard end
            for rec in records:
                n = int(rec["Data"])
                self.assertNotIn(n, seen, "record %d read twice (%s and %s)"
                                 % (n, seen.get(n), shard_id))
                seen[n] = shard_id
                self.assertEqual(rec["PartitionKey"], "user-%d" % (n % KEYS))
                per_key.setdefault(rec["PartitionKey"], []).append(n)
        missing = sorted(set(range(TOTAL)) - set(seen))
        self.assertEqual(missing, [], "%d records missing, e.g. %s" % (len(missing), missing[:10]))
        self.assertEqual(len(seen), TOTAL)
        for key, nums in per_key.items():
            self.assertEqual(nums, sorted(nums), "order of %s broken" % key)
        # Every generation of shards received part of the load.
        for shard_id, n in per_shard.items():
            self.assertGreater(n, 0, shard_id)


class ReshardErrorsTest(TidelogdTestCase):

    def test_split_merge_update_errors(self):
        self.create_stream("errs", 2)
        account = self.account()
        self.assertAwsError(
            "InvalidArgumentException", self.kinesis.split_shard, StreamName="errs",
            ShardToSplit="shardId-000000000001", NewStartingHashKey=str(2 ** 127),
            message="NewStartingHashKey %d used in SplitShard() on shard shardId-000000000001 in "
                    "stream errs under account %s is not both greater than one plus the shard's "
                    "StartingHashKey %d and less than the shard's EndingHashKey %d."
                    % (2 ** 127, account, 2 ** 127, 2 ** 128 - 1))
        self.assertAwsError("ResourceNotFoundException", self.kinesis.split_shard,
                            StreamName="errs", ShardToSplit="shardId-000000000007",
                            NewStartingHashKey="5",
                            message="Could not find shard shardId-000000000007 in stream errs "
                                    "under account %s." % account)
        self.assertRawError("SplitShard", {"StreamName": "errs",
                                           "ShardToSplit": "shardId-000000000000",
                                           "NewStartingHashKey": "-1"},
                            "ValidationException",
                            "1 validation error detected: Value '-1' at 'newStartingHashKey' "
                            "failed to satisfy constraint: Member must satisfy regular expression "
                            "pattern: 0|([1-9]\\d{0,38})")
        self.create_stream("errs3", 3)
        self.assertAwsError("InvalidArgumentException", self.kinesis.merge_shards,
                            StreamName="errs3", ShardToMerge="shardId-000000000000",
                            AdjacentShardToMerge="shardId-000000000002",
                            message="Shards shardId-000000000000 and shardId-000000000002 in "
                                    "stream errs3 under account %s are not an adjacent pair of "
                                    "shards eligible for merging" % account)
        r = self.kinesis.update_shard_count(StreamName="errs", TargetShardCount=4,
                                            ScalingType="UNIFORM_SCALING")
        self.assertEqual((r["StreamName"], r["CurrentShardCount"], r["TargetShardCount"]),
                         ("errs", 2, 4))
        self.assertTrue(r["StreamARN"].endswith(":stream/errs"))
        s = self.wait_active("errs")
        self.assertEqual(s["OpenShardCount"], 4)
        open_shards = self.kinesis.list_shards(StreamName="errs",
                                               ShardFilter={"Type": "AT_LATEST"})["Shards"]
        self.assertEqual(len(open_shards), 4)
        ranges = sorted((int(x["HashKeyRange"]["StartingHashKey"]),
                         int(x["HashKeyRange"]["EndingHashKey"])) for x in open_shards)
        self.assertEqual(ranges[0][0], 0)
        self.assertEqual(ranges[-1][1], 2 ** 128 - 1)
        for (_, end), (start, _) in zip(ranges, ranges[1:]):
            self.assertEqual(end + 1, start)
        self.assertAwsError("LimitExceededException", self.kinesis.update_shard_count,
                            StreamName="errs", TargetShardCount=9, ScalingType="UNIFORM_SCALING")
        self.assertRawError("UpdateShardCount", {"StreamName": "errs", "TargetShardCount": 2,
                                                 "ScalingType": "WHATEVER"},
                            "ValidationException",
                            "1 validation error detected: Value 'WHATEVER' at 'scalingType' "
                            "failed to satisfy constraint: Member must satisfy enum value set: "
                            "[UNIFORM_SCALING]")


if __name__ == "__main__":
    main()
