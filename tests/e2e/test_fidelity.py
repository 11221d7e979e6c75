"""AWS fidelity through boto3: UpdateShardCount past double or below half the
open shards is a LimitExceededException with AWS's text, and a ShardId is
resolved as AWS resolves it (any "<prefix>-<number>", leading zeros or none)
in GetShardIterator, SplitShard, MergeShards and ListShards, with answers
naming the shard canonically."""

from tidelogd_fixture import TidelogdTestCase, main


class FidelityTest(TidelogdTestCase):

    def test_update_shard_count_bounds_are_limit_exceeded(self):
        self.create_stream("scale", 4)
        self.assertAwsError("LimitExceededException", self.kinesis.update_shard_count,
                            StreamName="scale", TargetShardCount=9,
                            ScalingType="UNIFORM_SCALING",
                            message="UpdateShardCount cannot scale up over double your current "
                                    "open shard count. Current open shard count: 4, Target "
                                    "shard count: 9")
        self.assertAwsError("LimitExceededException", self.kinesis.update_shard_count,
                            StreamName="scale", TargetShardCount=1,
                            ScalingType="UNIFORM_SCALING",
                            message="UpdateShardCount cannot scale down below half your current "
                                    "open shard count. Current open shard count: 4, Target "
                                    "shard count: 1")

    def test_shard_ids_resolve_as_aws(self):
        self.create_stream("ids", 2)
        account = self.account()
        put = self.kinesis.put_record(StreamName="ids", PartitionKey="k", Data=b"v",
                                      ExplicitHashKey=str(2 ** 128 - 1))
        self.assertEqual(put["ShardId"], "shardId-000000000001")
        for shard_id in ("shardId-1", "foo-1", "1", "shardId-000000000001", "x-0001"):
            it = self.kinesis.get_shard_iterator(StreamName="ids", ShardId=shard_id,
                                                 ShardIteratorType="TRIM_HORIZON")
            records = self.kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"]
            self.assertEqual([r["Data"] for r in records], [b"v"], shard_id)
        self.assertAwsError("ResourceNotFoundException", self.kinesis.get_shard_iterator,
                            StreamName="ids", ShardId="foo-5", ShardIteratorType="LATEST",
                            message="Shard shardId-000000000005 in stream ids under account %s "
                                    "does not exist" % account)
        self.assertAwsError("ResourceNotFoundException", self.kinesis.get_shard_iterator,
                            StreamName="ids", ShardId="shardId-2147483648",
                            ShardIteratorType="LATEST",
                            message="Could not find shard shardId-2147483648 in stream ids under "
                                    "account %s." % account)

        listed = self.kinesis.list_shards(StreamName="ids", ExclusiveStartShardId="foo-0")
        self.assertEqual([s["ShardId"] for s in listed["Shards"]], ["shardId-000000000001"])
        listed = self.kinesis.list_shards(
            StreamName="ids", ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-0"})
        self.assertEqual([s["ShardId"] for s in listed["Shards"]], ["shardId-000000000001"])

        self.assertAwsError("ResourceNotFoundException", self.kinesis.split_shard,
                            StreamName="ids", ShardToSplit="a-7", NewStartingHashKey="5",
                            message="Could not find shard shardId-000000000007 in stream ids "
                                    "under account %s." % account)
        self.kinesis.split_shard(StreamName="ids", ShardToSplit="a-0",
                                 NewStartingHashKey=str(2 ** 100))
        self.wait_active("ids")
        self.kinesis.merge_shards(StreamName="ids", ShardToMerge="2",
                                  AdjacentShardToMerge="b-000003")
        self.wait_active("ids")
        shards = {s["ShardId"]: s for s in self.kinesis.list_shards(StreamName="ids")["Shards"]}
        merged = shards["shardId-000000000004"]
        self.assertEqual(merged["ParentShardId"], "shardId-000000000002")
        self.assertEqual(merged["AdjacentParentShardId"], "shardId-000000000003")
        self.assertEqual(shards["shardId-000000000002"]["ParentShardId"], "shardId-000000000000")


if __name__ == "__main__":
    main()
