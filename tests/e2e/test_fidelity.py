"""AWS fidelity through boto3: UpdateShardCount past double or below half the
open shards is a LimitExceededException with AWS's text, and a ShardId is
resolved as AWS resolves it (any "<prefix>-<number>", leading zeros or none)
in GetShardIterator, SplitShard, MergeShards and ListShards, with answers
naming the shard canonically. Responses carry x-amz-id-2, and browsers get
CORS (preflight and Access-Control-* headers) as kinesalite answers them."""

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


    def test_extended_request_id(self):
        ids = []
        for body in ({}, {"Limit": 0}):  # a success and an error
            status, headers, _ = self.raw("ListStreams", body)
            ids.append(headers.get("x-amz-id-2"))
            self.assertRegex(ids[-1] or "", r"^[A-Za-z0-9+/]{96}$", headers)
            self.assertTrue(headers.get("x-amzn-RequestId"))
        self.assertNotEqual(ids[0], ids[1])

    def test_cors(self):
        status, headers, body = self.raw(
            "ListStreams", b"", method="OPTIONS",
            headers={"Origin": "http://localhost:3000",
                     "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type,x-amz-target,authorization"})
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
        self.assertEqual(headers.get("Access-Control-Allow-Methods"), "POST")
        self.assertEqual(headers.get("Access-Control-Allow-Headers"),
                         "content-type,x-amz-target,authorization")
        self.assertEqual(headers.get("Access-Control-Max-Age"), "172800")
        self.assertFalse(body)
        # An OPTIONS without Origin is no preflight: AWS's answer to a method
        # other than POST.
        status, headers, _ = self.raw("ListStreams", b"", method="OPTIONS")
        self.assertEqual(status, 403)
        self.assertIsNone(headers.get("Access-Control-Allow-Origin"))
        # Requests from a page get the origin and the headers it may read.
        for body in ({}, {"Limit": 0}):
            status, headers, _ = self.raw("ListStreams", body,
                                          headers={"Origin": "http://localhost:3000"})
            self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
            exposed = headers.get("Access-Control-Expose-Headers") or ""
            for name in ("x-amzn-RequestId", "x-amzn-ErrorType", "x-amz-id-2", "Date"):
                self.assertIn(name, exposed.split(","))


class StreamTransitionTest(TidelogdTestCase):
    """tidelogd with AWS's stream states: CREATING, UPDATING and DELETING last
    --stream-transition-ms each (the test polls for them, bounded)."""

    EXTRA_ARGS = ("--stream-transition-ms", "400")

    def status(self, name):
        return self.kinesis.describe_stream_summary(
            StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]

    def test_creating_updating_deleting(self):
        k = self.kinesis
        k.create_stream(StreamName="tr", ShardCount=2)
        self.assertEqual(self.status("tr"), "CREATING")
        self.assertAwsError("ResourceNotFoundException", k.put_record, StreamName="tr",
                            PartitionKey="k", Data=b"v",
                            message="Stream tr under account %s not found." % self.account())
        self.wait_active("tr")
        k.put_record(StreamName="tr", PartitionKey="k", Data=b"v")
        k.merge_shards(StreamName="tr", ShardToMerge="shardId-000000000000",
                       AdjacentShardToMerge="shardId-000000000001")
        self.assertEqual(self.status("tr"), "UPDATING")
        k.put_record(StreamName="tr", PartitionKey="k", Data=b"v")
        self.assertAwsError("ResourceInUseException", k.update_shard_count, StreamName="tr",
                            TargetShardCount=2, ScalingType="UNIFORM_SCALING",
                            message="Stream tr under account %s not ACTIVE, instead in state "
                                    "UPDATING" % self.account())
        self.wait_active("tr")
        k.delete_stream(StreamName="tr")
        self.assertEqual(self.status("tr"), "DELETING")
        names = k.list_streams()["StreamNames"]
        self.assertIn("tr", names)
        self.assertAwsError("ResourceInUseException", k.create_stream, StreamName="tr",
                            ShardCount=1)
        waiter = k.get_waiter("stream_not_exists")
        waiter.wait(StreamName="tr", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        k.create_stream(StreamName="tr", ShardCount=1)
        self.wait_active("tr")


if __name__ == "__main__":
    main()
