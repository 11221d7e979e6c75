"""Control plane through boto3 against a real tidelogd: stream lifecycle,
listing and paging, ListShards filters and tokens, settings, limits, tags,
consumers, every operation of the model served, and protocol errors."""

import datetime
import json
import time

from tidelogd_fixture import TidelogdTestCase, main, wait_active

MAX = 2 ** 128 - 1


class StreamLifecycleTest(TidelogdTestCase):

    def test_create_describe_delete(self):
        self.create_stream("life", 3)
        account = self.account()
        d = self.kinesis.describe_stream(StreamName="life")["StreamDescription"]
        self.assertEqual(d["StreamName"], "life")
        self.assertEqual(d["StreamARN"], "arn:aws:kinesis:us-east-1:%s:stream/life" % account)
        self.assertEqual(d["StreamStatus"], "ACTIVE")
        self.assertEqual(d["StreamModeDetails"], {"StreamMode": "PROVISIONED"})
        self.assertEqual(d["RetentionPeriodHours"], 24)
        self.assertEqual(d["EncryptionType"], "NONE")
        self.assertFalse(d["HasMoreShards"])
        self.assertIsInstance(d["StreamCreationTimestamp"], datetime.datetime)
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - d["StreamCreationTimestamp"]).total_seconds()), 600)
        shards = d["Shards"]
        self.assertEqual([s["ShardId"] for s in shards],
                         ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"])
        self.assertEqual(shards[0]["HashKeyRange"], {
            "StartingHashKey": "0", "EndingHashKey": "113427455640312821154458202477256070484"})
        self.assertEqual(shards[2]["HashKeyRange"]["EndingHashKey"], str(MAX))
        for s in shards:
            self.assertNotIn("EndingSequenceNumber", s["SequenceNumberRange"])
            self.assertTrue(s["SequenceNumberRange"]["StartingSequenceNumber"].isdigit())

        summary = self.kinesis.describe_stream_summary(StreamName="life")["StreamDescriptionSummary"]
        self.assertEqual(summary["OpenShardCount"], 3)
        self.assertEqual(summary["ConsumerCount"], 0)
        self.assertEqual(summary["StreamARN"], d["StreamARN"])
        self.assertEqual(summary["EnhancedMonitoring"], [{"ShardLevelMetrics": []}])
        by_arn = self.kinesis.describe_stream_summary(StreamARN=d["StreamARN"])
        self.assertEqual(by_arn["StreamDescriptionSummary"]["StreamName"], "life")

        self.assertAwsError("ResourceInUseException", self.kinesis.create_stream,
                            StreamName="life", ShardCount=1,
                            message="Stream life under account %s already exists." % account)
        self.kinesis.delete_stream(StreamName="life")
        self.assertAwsError("ResourceNotFoundException", self.kinesis.describe_stream,
                            StreamName="life",
                            message="Stream life under account %s not found." % account)
        self.assertAwsError("ResourceNotFoundException", self.kinesis.delete_stream,
                            StreamName="life",
                            message="Stream life under account %s not found." % account)

    def test_describe_stream_paging(self):
        self.create_stream("paged", 5)
        d = self.kinesis.describe_stream(StreamName="paged", Limit=2)["StreamDescription"]
        self.assertEqual([s["ShardId"] for s in d["Shards"]],
                         ["shardId-000000000000", "shardId-000000000001"])
        self.assertTrue(d["HasMoreShards"])
        seen = [s["ShardId"] for s in d["Shards"]]
        while d["HasMoreShards"]:
            d = self.kinesis.describe_stream(StreamName="paged", Limit=2,
                                             ExclusiveStartShardId=seen[-1])["StreamDescription"]
            seen += [s["ShardId"] for s in d["Shards"]]
        self.assertEqual(seen, ["shardId-%012d" % i for i in range(5)])
        # The paginator follows HasMoreShards the same way.
        pages = self.kinesis.get_paginator("describe_stream").paginate(
            StreamName="paged", PaginationConfig={"PageSize": 2})
        self.assertEqual(sum(len(p["StreamDescription"]["Shards"]) for p in pages), 5)

    def test_validation_errors(self):
        self.assertRawError("CreateStream", {}, "ValidationException",
                            "1 validation error detected: Value null at 'streamName' failed to "
                            "satisfy constraint: Member must not be null")
        self.assertRawError("CreateStream", {"StreamName": "bad name!", "ShardCount": 0},
                            "ValidationException",
                            "2 validation errors detected: Value '0' at 'shardCount' failed to "
                            "satisfy constraint: Member must have value greater than or equal to "
                            "1; Value 'bad name!' at 'streamName' failed to satisfy constraint: "
                            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
        self.assertRawError("CreateStream", {"StreamName": "x", "ShardCount": "1"},
                            "SerializationException",
                            "class java.lang.String can not be converted to an Integer")
        self.assertRawError("DescribeStream", {}, "InvalidArgumentException",
                            "Either StreamName or StreamARN should be provided.")

    def test_list_streams_paging(self):
        names = ["ls-%02d" % i for i in range(7)]
        for n in names:
            self.create_stream(n, 1)
        r = self.kinesis.list_streams(Limit=3, ExclusiveStartStreamName="ls-")
        self.assertEqual(r["StreamNames"], names[:3])
        self.assertTrue(r["HasMoreStreams"])
        self.assertEqual([s["StreamName"] for s in r["StreamSummaries"]], names[:3])
        self.assertEqual(r["StreamSummaries"][0]["StreamStatus"], "ACTIVE")
        self.assertEqual(r["StreamSummaries"][0]["StreamModeDetails"]["StreamMode"], "PROVISIONED")
        got = list(r["StreamNames"])
        while r["HasMoreStreams"]:
            r = self.kinesis.list_streams(Limit=3, NextToken=r["NextToken"])
            got += r["StreamNames"]
        self.assertEqual([n for n in got if n.startswith("ls-")], names)
        r = self.kinesis.list_streams(ExclusiveStartStreamName="ls-04", Limit=2)
        self.assertEqual(r["StreamNames"], ["ls-05", "ls-06"])
        self.assertAwsError("InvalidArgumentException", self.kinesis.list_streams,
                            NextToken="bm90IGEgdG9rZW4=")


class ListShardsTest(TidelogdTestCase):

    @classmethod
    def setUpFixtures(cls):
        cls.kinesis.create_stream(StreamName="shards", ShardCount=1)
        wait_active(cls.kinesis, "shards")
        cls.kinesis.split_shard(StreamName="shards", ShardToSplit="shardId-000000000000",
                                NewStartingHashKey=str(2 ** 127))
        wait_active(cls.kinesis, "shards")

    def ids(self, **kwargs):
        return [s["ShardId"] for s in self.kinesis.list_shards(**kwargs)["Shards"]]

    def test_filters(self):
        all_ids = ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]
        self.assertEqual(self.ids(StreamName="shards"), all_ids)
        arn = self.kinesis.describe_stream_summary(StreamName="shards")[
            "StreamDescriptionSummary"]["StreamARN"]
        self.assertEqual(self.ids(StreamARN=arn), all_ids)
        self.assertEqual(self.ids(StreamName="shards", ShardFilter={"Type": "AT_LATEST"}),
                         all_ids[1:])
        self.assertEqual(self.ids(StreamName="shards", ShardFilter={"Type": "AT_TRIM_HORIZON"}),
                         all_ids[:1])
        self.assertEqual(self.ids(StreamName="shards", ShardFilter={"Type": "FROM_TRIM_HORIZON"}),
                         all_ids)
        self.assertEqual(self.ids(StreamName="shards", ShardFilter={
            "Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000000"}), all_ids[1:])
        # boto3 sends whole seconds; a raw call sends the millisecond precision
        # the Java SDK uses, so "now" is surely after the split.
        now = round(time.time(), 3)
        for filter_type in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            status, _, body = self.raw("ListShards", {
                "StreamName": "shards", "ShardFilter": {"Type": filter_type, "Timestamp": now}})
            self.assertEqual(status, 200, body)
            self.assertEqual([s["ShardId"] for s in body["Shards"]], all_ids[1:], filter_type)
        now = datetime.datetime.now(datetime.timezone.utc)
        old = now - datetime.timedelta(hours=1)
        self.assertEqual(self.ids(StreamName="shards",
                                  ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": old}),
                         all_ids)
        shards = self.kinesis.list_shards(StreamName="shards")["Shards"]
        self.assertIn("EndingSequenceNumber", shards[0]["SequenceNumberRange"])
        self.assertEqual(shards[1]["ParentShardId"], "shardId-000000000000")
        self.assertEqual(shards[1]["HashKeyRange"]["EndingHashKey"], str(2 ** 127 - 1))
        self.assertEqual(shards[2]["HashKeyRange"]["StartingHashKey"], str(2 ** 127))
        self.assertRawError("ListShards", {"StreamName": "shards",
                                           "ShardFilter": {"Type": "AFTER_SHARD_ID"}},
                            "InvalidArgumentException",
                            "ShardId must be supplied in a ShardFilter with a Type of "
                            "AFTER_SHARD_ID")
        self.assertRawError("ListShards", {"StreamName": "shards",
                                           "ShardFilter": {"Type": "AT_TIMESTAMP"}},
                            "InvalidArgumentException",
                            "Timestamp must be supplied in a ShardFilter with a Type of "
                            "FROM_TIMESTAMP or AT_TIMESTAMP")

    def test_paging_and_tokens(self):
        r = self.kinesis.list_shards(StreamName="shards", MaxResults=1)
        self.assertEqual([s["ShardId"] for s in r["Shards"]], ["shardId-000000000000"])
        token = r["NextToken"]
        r = self.kinesis.list_shards(NextToken=token, MaxResults=1)
        self.assertEqual([s["ShardId"] for s in r["Shards"]], ["shardId-000000000001"])
        r = self.kinesis.list_shards(NextToken=r["NextToken"])
        self.assertEqual([s["ShardId"] for s in r["Shards"]], ["shardId-000000000002"])
        self.assertNotIn("NextToken", r)
        self.assertEqual(self.ids(StreamName="shards",
                                  ExclusiveStartShardId="shardId-000000000001"),
                         ["shardId-000000000002"])
        self.assertAwsError("InvalidArgumentException", self.kinesis.list_shards,
                            NextToken=token, StreamName="shards",
                            message="NextToken and StreamName cannot be provided together.")
        self.assertRawError("ListShards", {}, "InvalidArgumentException",
                            "Either NextToken or StreamName should be provided.")
        self.assertAwsError("InvalidArgumentException", self.kinesis.list_shards,
                            NextToken="garbage")
        self.assertAwsError("ResourceNotFoundException", self.kinesis.list_shards,
                            StreamName="no-such-stream")

    def test_expired_token(self):
        # A token issued more than 300 s ago (same layout the broker writes).
        import base64
        issued = int(time.time() * 1000) - 301 * 1000
        old = base64.b64encode(("tl1\nListShards\nshards\nshardId-000000000000\n\n\n0\n%d"
                                % issued).encode()).decode()
        self.assertAwsError("ExpiredNextTokenException", self.kinesis.list_shards, NextToken=old)
        fresh = base64.b64encode(("tl1\nListShards\nshards\nshardId-000000000000\n\n\n0\n%d"
                                  % (issued + 300 * 1000)).encode()).decode()
        self.assertEqual(self.ids(NextToken=fresh),
                         ["shardId-000000000001", "shardId-000000000002"])


class StreamSettingsTest(TidelogdTestCase):

    def test_retention(self):
        self.create_stream("ret", 1)
        self.kinesis.increase_stream_retention_period(StreamName="ret", RetentionPeriodHours=48)
        self.assertEqual(self.kinesis.describe_stream_summary(StreamName="ret")[
            "StreamDescriptionSummary"]["RetentionPeriodHours"], 48)
        self.assertAwsError("InvalidArgumentException",
                            self.kinesis.increase_stream_retention_period,
                            StreamName="ret", RetentionPeriodHours=30,
                            message="Requested retention period (30 hours) for stream ret can "
                                    "not be shorter than existing retention period (48 hours). "
                                    "Use DecreaseRetentionPeriod API.")
        self.assertAwsError("InvalidArgumentException",
                            self.kinesis.decrease_stream_retention_period,
                            StreamName="ret", RetentionPeriodHours=23,
                            message="Minimum allowed retention period is 24 hours. Requested "
                                    "retention period (23 hours) is too short.")
        self.assertAwsError("InvalidArgumentException",
                            self.kinesis.decrease_stream_retention_period,
                            StreamName="ret", RetentionPeriodHours=72,
                            message="Requested retention period (72 hours) for stream ret can "
                                    "not be longer than existing retention period (48 hours). "
                                    "Use IncreaseRetentionPeriod API.")
        self.kinesis.decrease_stream_retention_period(StreamName="ret", RetentionPeriodHours=24)
        self.assertEqual(self.kinesis.describe_stream(StreamName="ret")[
            "StreamDescription"]["RetentionPeriodHours"], 24)
        self.assertAwsError("InvalidArgumentException",
                            self.kinesis.increase_stream_retention_period,
                            StreamName="ret", RetentionPeriodHours=8761,
                            message="Maximum allowed retention period is 8760 hours. Requested "
                                    "retention period (8761 hours) is too long.")

    def test_stream_mode_and_limits(self):
        self.kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        s = self.wait_active("od")
        self.assertEqual(s["StreamModeDetails"]["StreamMode"], "ON_DEMAND")
        self.assertGreaterEqual(s["OpenShardCount"], 1)
        limits = self.kinesis.describe_limits()
        self.assertGreaterEqual(limits["OnDemandStreamCount"], 1)
        self.assertGreater(limits["ShardLimit"], 0)
        self.assertGreaterEqual(limits["OpenShardCount"], s["OpenShardCount"])
        self.assertGreater(limits["OnDemandStreamCountLimit"], 0)
        self.assertAwsError("ValidationException", self.kinesis.update_shard_count,
                            StreamName="od", TargetShardCount=8, ScalingType="UNIFORM_SCALING")
        self.kinesis.update_stream_mode(StreamARN=s["StreamARN"],
                                        StreamModeDetails={"StreamMode": "PROVISIONED"})
        s = self.wait_active("od")
        self.assertEqual(s["StreamModeDetails"]["StreamMode"], "PROVISIONED")
        self.assertRawError("UpdateStreamMode", {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
                            "ValidationException",
                            "1 validation error detected: Value null at 'streamARN' failed to "
                            "satisfy constraint: Member must not be null")

    def test_encryption(self):
        self.create_stream("enc", 1)
        self.kinesis.start_stream_encryption(StreamName="enc", EncryptionType="KMS",
                                             KeyId="alias/aws/kinesis")
        d = self.wait_active("enc")
        self.assertEqual(d["EncryptionType"], "KMS")
        self.assertEqual(d["KeyId"], "alias/aws/kinesis")
        self.kinesis.stop_stream_encryption(StreamName="enc", EncryptionType="KMS",
                                            KeyId="alias/aws/kinesis")
        d = self.wait_active("enc")
        self.assertEqual(d["EncryptionType"], "NONE")
        self.assertRawError("StartStreamEncryption",
                            {"StreamName": "enc", "EncryptionType": "AES", "KeyId": "k"},
                            "ValidationException",
                            "1 validation error detected: Value 'AES' at 'encryptionType' failed "
                            "to satisfy constraint: Member must satisfy enum value set: "
                            "[NONE, KMS]")

    def test_enhanced_monitoring(self):
        self.create_stream("mon", 1)
        r = self.kinesis.enable_enhanced_monitoring(
            StreamName="mon", ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
        self.assertEqual(r["StreamName"], "mon")
        self.assertEqual(r["CurrentShardLevelMetrics"], [])
        self.assertEqual(sorted(r["DesiredShardLevelMetrics"]), ["IncomingBytes", "OutgoingRecords"])
        self.assertTrue(r["StreamARN"].endswith(":stream/mon"))
        d = self.kinesis.describe_stream(StreamName="mon")["StreamDescription"]
        self.assertEqual(sorted(d["EnhancedMonitoring"][0]["ShardLevelMetrics"]),
                         ["IncomingBytes", "OutgoingRecords"])
        r = self.kinesis.disable_enhanced_monitoring(StreamName="mon", ShardLevelMetrics=["ALL"])
        self.assertEqual(sorted(r["CurrentShardLevelMetrics"]), ["IncomingBytes", "OutgoingRecords"])
        self.assertEqual(r["DesiredShardLevelMetrics"], [])
        self.assertRawError("EnableEnhancedMonitoring",
                            {"StreamName": "mon", "ShardLevelMetrics": ["Nope"]},
                            "ValidationException",
                            "1 validation error detected: Value 'Nope' at "
                            "'shardLevelMetrics.1.member' failed to satisfy constraint: Member "
                            "must satisfy enum value set: [IncomingBytes, IncomingRecords, "
                            "OutgoingBytes, OutgoingRecords, WriteProvisionedThroughputExceeded, "
                            "ReadProvisionedThroughputExceeded, IteratorAgeMilliseconds, ALL]")


class TagsTest(TidelogdTestCase):

    def test_stream_tags(self):
        self.create_stream("tags", 1)
        self.kinesis.add_tags_to_stream(StreamName="tags", Tags={"b": "2", "a": "1", "c": ""})
        r = self.kinesis.list_tags_for_stream(StreamName="tags", Limit=2)
        self.assertEqual(r["Tags"], [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        self.assertTrue(r["HasMoreTags"])
        r = self.kinesis.list_tags_for_stream(StreamName="tags", ExclusiveStartTagKey="b")
        self.assertEqual(r["Tags"], [{"Key": "c", "Value": ""}])
        self.assertFalse(r["HasMoreTags"])
        self.kinesis.remove_tags_from_stream(StreamName="tags", TagKeys=["a", "c", "zz"])
        r = self.kinesis.list_tags_for_stream(StreamName="tags")
        self.assertEqual(r["Tags"], [{"Key": "b", "Value": "2"}])
        self.assertRawError("AddTagsToStream", {"StreamName": "tags", "Tags": {}},
                            "ValidationException",
                            "1 validation error detected: Value '{}' at 'tags' failed to satisfy "
                            "constraint: Member must have length greater than or equal to 1")
        self.assertAwsError("ResourceNotFoundException", self.kinesis.add_tags_to_stream,
                            StreamName="nope", Tags={"a": "b"})
        # Tags given at creation.
        self.kinesis.create_stream(StreamName="tagged-at-birth", ShardCount=1, Tags={"k": "v"})
        self.wait_active("tagged-at-birth")
        self.assertEqual(self.kinesis.list_tags_for_stream(StreamName="tagged-at-birth")["Tags"],
                         [{"Key": "k", "Value": "v"}])

    def test_resource_tags(self):
        arn = self.create_stream("rtags", 1)["StreamARN"]
        self.kinesis.tag_resource(ResourceARN=arn, Tags={"env": "test", "team": "x"})
        self.assertEqual(self.kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"],
                         [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "x"}])
        self.kinesis.untag_resource(ResourceARN=arn, TagKeys=["team"])
        self.assertEqual(self.kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"],
                         [{"Key": "env", "Value": "test"}])
        self.assertEqual(self.kinesis.list_tags_for_stream(StreamName="rtags")["Tags"],
                         [{"Key": "env", "Value": "test"}])
        self.assertAwsError("ResourceNotFoundException", self.kinesis.list_tags_for_resource,
                            ResourceARN=arn.replace("rtags", "gone"))
        self.assertRawError("TagResource", {"ResourceARN": "not-an-arn", "Tags": {"a": "b"}},
                            "ValidationException",
                            "1 validation error detected: Value 'not-an-arn' at 'resourceARN' "
                            "failed to satisfy constraint: Member must satisfy regular expression "
                            "pattern: arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+")


class ConsumersTest(TidelogdTestCase):

    def test_consumer_lifecycle(self):
        arn = self.create_stream("efo", 1)["StreamARN"]
        c = self.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
        self.assertEqual(c["ConsumerName"], "app")
        self.assertTrue(c["ConsumerARN"].startswith(arn + "/consumer/app:"))
        self.assertIn(c["ConsumerStatus"], ("CREATING", "ACTIVE"))
        self.assertIsInstance(c["ConsumerCreationTimestamp"], datetime.datetime)
        self.assertAwsError("ResourceInUseException", self.kinesis.register_stream_consumer,
                            StreamARN=arn, ConsumerName="app")
        d = self.kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])[
            "ConsumerDescription"]
        self.assertEqual(d["ConsumerName"], "app")
        self.assertEqual(d["StreamARN"], arn)
        d = self.kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="app")[
            "ConsumerDescription"]
        self.assertEqual(d["ConsumerARN"], c["ConsumerARN"])
        for name in ("b-app", "c-app"):
            self.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=name)
        r = self.kinesis.list_stream_consumers(StreamARN=arn, MaxResults=2)
        self.assertEqual([x["ConsumerName"] for x in r["Consumers"]], ["app", "b-app"])
        r = self.kinesis.list_stream_consumers(StreamARN=arn, NextToken=r["NextToken"])
        self.assertEqual([x["ConsumerName"] for x in r["Consumers"]], ["c-app"])
        self.assertNotIn("NextToken", r)
        self.assertEqual(self.kinesis.describe_stream_summary(StreamName="efo")[
            "StreamDescriptionSummary"]["ConsumerCount"], 3)

        self.assertAwsError("ResourceInUseException", self.kinesis.delete_stream, StreamName="efo")
        self.kinesis.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
        self.kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="b-app")
        remaining = {x["ConsumerName"]: x["ConsumerStatus"]
                     for x in self.kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]}
        self.assertEqual(remaining.get("c-app"), "ACTIVE")
        self.assertRawError("DescribeStreamConsumer", {"ConsumerName": "app"},
                            "InvalidArgumentException")
        # A deregistered consumer's tags are gone with it.
        self.assertRawError("ListTagsForResource", {"ResourceARN": c["ConsumerARN"]},
                            "ResourceNotFoundException")
        self.kinesis.delete_stream(StreamName="efo", EnforceConsumerDeletion=True)
        self.assertAwsError("ResourceNotFoundException", self.kinesis.list_stream_consumers,
                            StreamARN=arn)


class ProtocolTest(TidelogdTestCase):

    def test_protocol_errors(self):
        status, hdrs, body = self.raw("ListStreams", b"", method="GET")
        self.assertEqual(status, 403)
        self.assertIn("AccessDeniedException", body)
        status, hdrs, body = self.raw("NoSuchOp", {})
        self.assertEqual((status, body["__type"]), (400, "UnknownOperationException"))
        status, hdrs, body = self.raw("ListStreams", b"{nope")
        self.assertEqual((status, body["__type"]), (400, "SerializationException"))
        # CBOR ({} here) is served too: test_cbor.py covers it.
        status, hdrs, body = self.raw("ListStreams", b"\xbf\xff",
                                      content_type="application/x-amz-cbor-1.1")
        self.assertEqual(status, 200)
        self.assertEqual(hdrs.get("Content-Type"), "application/x-amz-cbor-1.1")
        status, hdrs, body = self.raw("ListStreams", {})
        self.assertEqual(status, 200)
        self.assertEqual(hdrs.get("Content-Type"), "application/x-amz-json-1.1")
        self.assertTrue(hdrs.get("x-amzn-RequestId"))

    def test_every_model_operation_is_served(self):
        # Each of the installed botocore model's operations, with an empty
        # body: a model error at worst, never "not supported".
        ops = self.kinesis.meta.service_model.operation_names
        self.assertGreaterEqual(len(ops), 39)
        for op in ops:
            with self.subTest(op=op):
                status, _, parsed = self.raw(op, {})
                text = parsed if isinstance(parsed, str) else json.dumps(parsed)
                self.assertNotIn("not supported", text)
                self.assertNotEqual((parsed or {}).get("__type") if isinstance(parsed, dict)
                                    else None, "UnknownOperationException")

if __name__ == "__main__":
    main()
