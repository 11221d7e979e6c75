"""Per-stream capacity and identity through boto3: UpdateMaxRecordSize (records
up to 10 MiB, PutRecords up to 10 MiB), UpdateStreamWarmThroughput, StreamId,
tags on consumer ARNs and AWS's tag characters."""

from tidelogd_fixture import TidelogdTestCase, main

MIB = 1024 * 1024


class StreamCapacityTest(TidelogdTestCase):

    def summary(self, **kwargs):
        return self.kinesis.describe_stream_summary(**kwargs)["StreamDescriptionSummary"]

    def test_max_record_size(self):
        k = self.kinesis
        self.create_stream("big", 1)
        arn = self.summary(StreamName="big")["StreamARN"]
        self.assertEqual(self.summary(StreamName="big")["MaxRecordSizeInKiB"], 1024)
        two = b"x" * (2 * MIB)
        self.assertAwsError("ValidationException", k.put_record, StreamName="big",
                            PartitionKey="k", Data=two,
                            message="1 validation error detected: Value 'java.nio.HeapByteBuffer"
                                    "[pos=0 lim=2097152 cap=2097152]' at 'data' failed to satisfy "
                                    "constraint: Member must have length less than or equal to "
                                    "1048576")
        self.assertAwsError("ValidationException", k.update_max_record_size, StreamARN=arn,
                            MaxRecordSizeInKiB=10241)
        k.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2048)
        self.assertEqual(self.summary(StreamName="big")["MaxRecordSizeInKiB"], 2048)
        k.put_record(StreamName="big", PartitionKey="k", Data=two)
        # Five records of 2 MiB less the key: a PutRecords of 10 MiB of data
        # and keys (a 13.3 MiB JSON body); one byte more is refused.
        fit = b"y" * (2 * MIB - 1)
        out = k.put_records(StreamName="big",
                            Records=[{"PartitionKey": "k", "Data": fit}] * 5)
        self.assertEqual(out["FailedRecordCount"], 0)
        self.assertAwsError("InvalidArgumentException", k.put_records, StreamName="big",
                            Records=[{"PartitionKey": "k", "Data": fit}] * 4 +
                            [{"PartitionKey": "k", "Data": two}],
                            message="Records size exceeds 10 MB limit")
        records, _ = self.read_shard("big", "shardId-000000000000")
        self.assertEqual([len(r["Data"]) for r in records], [2 * MIB] + [2 * MIB - 1] * 5)

    def test_warm_throughput(self):
        k = self.kinesis
        self.create_stream("prov", 1)
        self.assertAwsError("InvalidArgumentException", k.update_stream_warm_throughput,
                            StreamName="prov", WarmThroughputMiBps=10)
        k.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        self.wait_active("od")
        self.assertNotIn("WarmThroughput", self.summary(StreamName="od"))
        k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
        try:
            out = k.update_stream_warm_throughput(StreamName="od", WarmThroughputMiBps=64)
            self.assertEqual(out["StreamName"], "od")
            self.assertEqual(out["StreamARN"], self.summary(StreamName="od")["StreamARN"])
            self.assertEqual(out["WarmThroughput"], {"TargetMiBps": 64, "CurrentMiBps": 64})
            self.assertEqual(self.summary(StreamName="od")["WarmThroughput"],
                             {"TargetMiBps": 64, "CurrentMiBps": 64})
            self.assertAwsError("LimitExceededException", k.update_stream_warm_throughput,
                                StreamName="od", WarmThroughputMiBps=10241)
        finally:
            k.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})

    def test_stream_id(self):
        # boto3's endpoint rules send a request that carries a StreamId to a
        # StreamId-derived AWS host even with endpoint_url set, so these go raw.
        self.create_stream("ided", 2)
        sid = self.summary(StreamName="ided")["StreamId"]
        self.assertRegex(sid, r"^[a-z0-9]{20}-[a-z0-9]{3}$")
        self.assertEqual(self.summary(StreamName="ided")["StreamId"], sid)
        # The StreamId alone names the stream; with a name it must agree.
        status, _, body = self.raw("DescribeStreamSummary", {"StreamId": sid})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["StreamDescriptionSummary"]["StreamName"], "ided")
        status, _, body = self.raw("ListShards", {"StreamId": sid})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["Shards"]), 2)
        status, _, body = self.raw("PutRecord", {"StreamName": "ided", "StreamId": sid,
                                                 "PartitionKey": "k", "Data": "dg=="})
        self.assertEqual(status, 200, body)
        self.create_stream("other", 1)
        self.assertRawError("DescribeStreamSummary", {"StreamName": "other", "StreamId": sid},
                            "InvalidArgumentException")
        self.assertRawError("DescribeStreamSummary", {"StreamId": "aaaaaaaaaaaaaaaaaaaa-aaa"},
                            "ResourceNotFoundException")
        self.assertRawError("DescribeStreamSummary", {"StreamName": "ided", "StreamId": "NOT-AN-ID"},
                            "ValidationException")

    def test_consumer_tags(self):
        k = self.kinesis
        self.create_stream("ctag", 1)
        arn = self.summary(StreamName="ctag")["StreamARN"]
        carn = k.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]["ConsumerARN"]
        k.tag_resource(ResourceARN=carn, Tags={"team": "a", "env": "dev"})
        k.tag_resource(ResourceARN=arn, Tags={"stream": "1"})
        self.assertEqual(k.list_tags_for_resource(ResourceARN=carn)["Tags"],
                         [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
        self.assertEqual(k.list_tags_for_resource(ResourceARN=arn)["Tags"],
                         [{"Key": "stream", "Value": "1"}])
        k.untag_resource(ResourceARN=carn, TagKeys=["team"])
        self.assertEqual(k.list_tags_for_resource(ResourceARN=carn)["Tags"],
                         [{"Key": "env", "Value": "dev"}])
        k.deregister_stream_consumer(ConsumerARN=carn)
        self.assertAwsError("ResourceNotFoundException", k.list_tags_for_resource,
                            ResourceARN=carn)
        # Tags given at registration.
        tagged = k.register_stream_consumer(StreamARN=arn, ConsumerName="t",
                                            Tags={"owner": "me"})["Consumer"]["ConsumerARN"]
        self.assertEqual(k.list_tags_for_resource(ResourceARN=tagged)["Tags"],
                         [{"Key": "owner", "Value": "me"}])
        self.assertAwsError("InvalidArgumentException", k.register_stream_consumer,
                            StreamARN=arn, ConsumerName="bad", Tags={"star*": "v"})
        names = [c["ConsumerName"] for c in k.list_stream_consumers(StreamARN=arn)["Consumers"]]
        self.assertNotIn("bad", names)

    def test_tag_characters(self):
        k = self.kinesis
        self.create_stream("tagchars", 1)
        k.add_tags_to_stream(StreamName="tagchars", Tags={"a_b.c:d/e=f+g-h@i j": "Zürich"})
        self.assertAwsError("InvalidArgumentException", k.add_tags_to_stream,
                            StreamName="tagchars", Tags={"star*": "v"},
                            message="Some tags contain invalid characters. Valid characters: "
                                    "Unicode letters, digits, white space, _ . / = + - % @.")
        self.assertAwsError("InvalidArgumentException", k.add_tags_to_stream,
                            StreamName="tagchars", Tags={"pct": "100%"},
                            message="Failed to add tags to stream tagchars under account %s "
                                    "because some tags contained illegal characters. The allowed "
                                    "characters are Unicode letters, white-spaces, '_',',','/',"
                                    "'=','+','-','@'." % self.account())
        many = {"k%d" % i: "v" for i in range(51)}
        self.assertAwsError("InvalidArgumentException", k.add_tags_to_stream,
                            StreamName="tagchars", Tags=many,
                            message="Failed to add tags to stream tagchars under account %s "
                                    "because a given stream cannot have more than 50 tags "
                                    "associated with it." % self.account())
        tags = k.list_tags_for_stream(StreamName="tagchars")["Tags"]
        self.assertEqual(tags, [{"Key": "a_b.c:d/e=f+g-h@i j", "Value": "Zürich"}])


if __name__ == "__main__":
    main()
