"""Hostile numbers in raw JSON bodies against a real tidelogd (boto3 would
refuse them client-side): shard counts past int32, limits, retention hours,
timestamps, hash keys and sequence numbers past 2^128, forged NextTokens.
Each gets AWS's error type at once; afterwards the broker still answers and
its peak RSS grew by less than 50 MiB.

Coral (AWS) reads a JSON number of any size and clamps it to 2147483647 for
an Integer member (kinesalite's validations/index.js, and its createStream
test sending ShardCount 100000000000); the botocore model gives ShardCount a
minimum of 1 and no maximum, so a huge count is the shard-limit error."""

import base64
import resource

from tidelogd_fixture import TidelogdTestCase, main

MIB = 1 << 20
RSS_GROWTH_LIMIT = 50 * MIB
# Address space the broker may map beyond what it has after start: a
# per-shard allocation for a huge count dies here instead of taking the
# machine's memory.
ADDRESS_SPACE_HEADROOM = 2048 * MIB


def proc_status_bytes(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


class HostileFieldsTest(TidelogdTestCase):

    @classmethod
    def setUpFixtures(cls):
        pid = cls.server.proc.pid
        cap = proc_status_bytes(pid, "VmSize") + ADDRESS_SPACE_HEADROOM
        _, hard = resource.prlimit(pid, resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.prlimit(pid, resource.RLIMIT_AS, (cap, hard))
        cls.kinesis.create_stream(StreamName="present", ShardCount=2)
        cls.hwm_before = proc_status_bytes(pid, "VmHWM")

    def assertBrokerHealthy(self):
        self.assertIsNone(self.server.proc.poll(), "tidelogd exited")
        self.assertIn("present", self.kinesis.list_streams()["StreamNames"])
        grown = proc_status_bytes(self.server.proc.pid, "VmHWM") - self.hwm_before
        self.assertLess(grown, RSS_GROWTH_LIMIT, "peak RSS grew by %d bytes" % grown)

    def raw_numbers(self, op, template, values, error_type, message=None):
        """Sends `template` with each raw JSON number text of `values` in
        place of NUMBER (json.dumps cannot spell 1e400)."""
        for v in values:
            with self.subTest(op=op, value=v):
                self.assertRawError(op, template.replace("NUMBER", v), error_type, message)

    def shard_limit_message(self, additional):
        return ("This request would exceed the shard limit for the account %s in us-east-1. "
                "Current shard count for the account: 2. Limit: 20000. Number of additional "
                "shards that would have resulted from this request: %d. Refer to the AWS Service "
                "Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html)"
                " for current limits and how to request higher limits."
                % (self.account(), additional))

    def test_create_stream_shard_count(self):
        self.raw_numbers("CreateStream", '{"StreamName":"huge","ShardCount":NUMBER}',
                         ["2147483647", "2147483648", "100000000000", "9223372036854775807",
                          "18446744073709551616", "100000000000000000000000", "1e400"],
                         "LimitExceededException", self.shard_limit_message(2147483647))
        self.raw_numbers("CreateStream", '{"StreamName":"huge","ShardCount":NUMBER}',
                         ["20000"], "LimitExceededException", self.shard_limit_message(20000))
        self.raw_numbers("CreateStream", '{"StreamName":"huge","ShardCount":NUMBER}',
                         ["0", "-100000000000", "-1e400"], "ValidationException")
        self.assertNotIn("huge", self.kinesis.list_streams()["StreamNames"])
        self.assertBrokerHealthy()

    def test_update_shard_count_and_retention(self):
        self.raw_numbers("UpdateShardCount",
                         '{"StreamName":"present","ScalingType":"UNIFORM_SCALING",'
                         '"TargetShardCount":NUMBER}',
                         ["2147483647", "100000000000", "1e400"], "LimitExceededException",
                         "UpdateShardCount cannot scale up over double your current open shard "
                         "count. Current open shard count: 2, Target shard count: 2147483647")
        self.raw_numbers("UpdateShardCount",
                         '{"StreamName":"present","ScalingType":"UNIFORM_SCALING",'
                         '"TargetShardCount":NUMBER}',
                         ["0", "-100000000000"], "ValidationException")
        self.raw_numbers("IncreaseStreamRetentionPeriod",
                         '{"StreamName":"present","RetentionPeriodHours":NUMBER}',
                         ["100000000000", "1e400"], "InvalidArgumentException",
                         "Maximum allowed retention period is 8760 hours. Requested retention "
                         "period (2147483647 hours) is too long.")
        self.raw_numbers("DecreaseStreamRetentionPeriod",
                         '{"StreamName":"present","RetentionPeriodHours":NUMBER}',
                         ["-100000000000"], "InvalidArgumentException",
                         "Minimum allowed retention period is 24 hours. Requested retention "
                         "period (-2147483648 hours) is too short.")
        self.assertEqual(len(self.kinesis.list_shards(StreamName="present")["Shards"]), 2)
        self.assertBrokerHealthy()

    def test_limits_and_sizes(self):
        for op, template in [
                ("DescribeStream", '{"StreamName":"present","Limit":NUMBER}'),
                ("ListStreams", '{"Limit":NUMBER}'),
                ("ListShards", '{"StreamName":"present","MaxResults":NUMBER}'),
                ("ListTagsForStream", '{"StreamName":"present","Limit":NUMBER}'),
                ("GetRecords", '{"ShardIterator":"x","Limit":NUMBER}'),
                ("CreateStream", '{"StreamName":"x","ShardCount":1,"MaxRecordSizeInKiB":NUMBER}')]:
            self.raw_numbers(op, template, ["100000000000", "-1e400", "1e400"],
                             "ValidationException")
        self.raw_numbers("CreateStream",
                         '{"StreamName":"x","ShardCount":1,"WarmThroughputMiBps":NUMBER}',
                         ["100000000000", "1e400"], "InvalidArgumentException")
        self.assertBrokerHealthy()

    def test_timestamps(self):
        get = ('{"StreamName":"present","ShardId":"shardId-000000000000",'
               '"ShardIteratorType":"AT_TIMESTAMP","Timestamp":NUMBER}')
        self.raw_numbers("GetShardIterator", get, ["1e300", "1e400", "9.3e15"],
                         "InvalidArgumentException")
        for t in ["-1e300", "-1e400", "-5", "1e-400"]:
            with self.subTest(timestamp=t):
                status, _, body = self.raw("GetShardIterator", get.replace("NUMBER", t))
                self.assertEqual(status, 200, body)
                status, _, body = self.raw(
                    "ListShards", '{"StreamName":"present","ShardFilter":{"Type":"AT_TIMESTAMP",'
                    '"Timestamp":%s}}' % t)
                self.assertEqual(status, 200, body)
        self.assertBrokerHealthy()

    def test_decimals_and_ids(self):
        over = str(2 ** 128)
        seq129 = "1" + "0" * 128
        self.assertRawError("PutRecord", {"StreamName": "present", "PartitionKey": "k",
                                          "Data": "AA==", "ExplicitHashKey": over},
                            "InvalidArgumentException")
        self.assertRawError("PutRecords", {"StreamName": "present", "Records": [
            {"PartitionKey": "k", "Data": "AA==", "ExplicitHashKey": "9" * 39}]},
            "InvalidArgumentException")
        self.assertRawError("SplitShard", {"StreamName": "present",
                                           "ShardToSplit": "shardId-000000000000",
                                           "NewStartingHashKey": over},
                            "InvalidArgumentException")
        self.assertRawError("GetShardIterator", {"StreamName": "present",
                                                 "ShardId": "shardId-000000000000",
                                                 "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                                 "StartingSequenceNumber": seq129},
                            "InvalidArgumentException")
        self.assertRawError("PutRecord", {"StreamName": "present", "PartitionKey": "k",
                                          "Data": "AA==", "SequenceNumberForOrdering": seq129},
                            "InvalidArgumentException")
        self.assertRawError("PutRecord", {"StreamName": "present", "PartitionKey": "k",
                                          "Data": "AA==",
                                          "SequenceNumberForOrdering": str(2 ** 128 - 1)},
                            "InvalidArgumentException")
        self.assertRawError("GetShardIterator", {"StreamName": "present",
                                                 "ShardId": "shardId-99999999999999999999",
                                                 "ShardIteratorType": "LATEST"},
                            "ResourceNotFoundException")
        status, _, body = self.raw("DescribeStream", {
            "StreamName": "present", "ExclusiveStartShardId": "shardId-4294967296"})
        self.assertEqual(status, 200, body)
        self.assertBrokerHealthy()

    def test_forged_next_tokens(self):
        def forge(issued):
            plain = "tl1\nListShards\npresent\n\n\n\n0\n" + issued
            return base64.b64encode(plain.encode()).decode()
        self.assertRawError("ListShards", {"NextToken": forge("-9223372036854775808")},
                            "ExpiredNextTokenException")
        for issued in ["9223372036854775807", "99999999999999999999", "1e3"]:
            with self.subTest(issued=issued):
                self.assertRawError("ListShards", {"NextToken": forge(issued)},
                                    "InvalidArgumentException", "Invalid NextToken.")
        self.assertBrokerHealthy()


if __name__ == "__main__":
    main()
