"""Data plane through boto3 against a real tidelogd: PutRecord(s), request
limits (500 records, 1 MiB records, 5 MiB calls), every shard iterator type,
GetRecords paging and closed-shard ends, and their errors."""

import datetime
import hashlib

from tidelogd_fixture import TidelogdTestCase, main, b64, wait_active

MAX = 2 ** 128 - 1


def hash_key(partition_key):
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


class PutRecordsTest(TidelogdTestCase):

    @classmethod
    def setUpFixtures(cls):
        cls.kinesis.create_stream(StreamName="puts", ShardCount=2)
        wait_active(cls.kinesis, "puts")

    def all_records(self, stream="puts"):
        out = {}
        for shard in self.kinesis.list_shards(StreamName=stream)["Shards"]:
            records, _ = self.read_shard(stream, shard["ShardId"])
            out[shard["ShardId"]] = records
        return out

    def count(self, stream="puts"):
        return sum(len(r) for r in self.all_records(stream).values())

    def test_put_record_routing_and_read_back(self):
        before = self.count()
        r = self.kinesis.put_record(StreamName="puts", PartitionKey="user-3", Data=b"\x00hello\xff")
        self.assertTrue(r["SequenceNumber"].isdigit())
        expected_shard = "shardId-000000000000" if hash_key("user-3") < 2 ** 127 else \
            "shardId-000000000001"
        self.assertEqual(r["ShardId"], expected_shard)
        r2 = self.kinesis.put_record(StreamName="puts", PartitionKey="user-3", Data=b"second",
                                     SequenceNumberForOrdering=r["SequenceNumber"])
        self.assertGreater(int(r2["SequenceNumber"]), int(r["SequenceNumber"]))
        r3 = self.kinesis.put_record(StreamName="puts", PartitionKey="x", Data=b"explicit",
                                     ExplicitHashKey=str(MAX))
        self.assertEqual(r3["ShardId"], "shardId-000000000001")
        records = self.all_records()
        self.assertEqual(self.count(), before + 3)
        by_seq = {rec["SequenceNumber"]: rec for recs in records.values() for rec in recs}
        self.assertEqual(by_seq[r["SequenceNumber"]]["Data"], b"\x00hello\xff")
        self.assertEqual(by_seq[r["SequenceNumber"]]["PartitionKey"], "user-3")
        self.assertIsInstance(by_seq[r["SequenceNumber"]]["ApproximateArrivalTimestamp"],
                              datetime.datetime)
        self.assertEqual(by_seq[r3["SequenceNumber"]]["Data"], b"explicit")

    def test_sequence_numbers_in_aws_layout(self):
        # What KCL's SequenceNumberValidator and kinesalite read out of a number:
        # 186 bits, version 2 at bit 184, the shard index in bits 4..35, the
        # arrival second in bits 36..71.
        r = self.kinesis.put_record(StreamName="puts", PartitionKey="user-3", Data=b"layout",
                                    SequenceNumberForOrdering="0")
        text = r["SequenceNumber"]
        self.assertEqual(len(text), 56, text)
        n = int(text)
        self.assertEqual(n >> 184, 2)
        self.assertEqual(n & 0xF, 2)
        self.assertEqual("shardId-%012d" % ((n >> 4) & 0xFFFFFFFF), r["ShardId"])
        records, _ = self.read_shard("puts", r["ShardId"])
        mine = [rec for rec in records if rec["SequenceNumber"] == text]
        self.assertEqual(len(mine), 1)
        arrival = mine[0]["ApproximateArrivalTimestamp"].timestamp()
        self.assertEqual((n >> 36) & (2 ** 36 - 1), int(arrival))
        # Any valid number orders a put, even one far in the past or of another shard.
        other = self.kinesis.put_record(StreamName="puts", PartitionKey="x", Data=b"o",
                                        ExplicitHashKey=str(MAX),
                                        SequenceNumberForOrdering=text)
        self.assertEqual(other["ShardId"], "shardId-000000000001")
        # A number that cannot be a sequence number is refused as AWS refuses it.
        with self.assertRaises(self.kinesis.exceptions.InvalidArgumentException) as e:
            self.kinesis.put_record(StreamName="puts", PartitionKey="x", Data=b"o",
                                    SequenceNumberForOrdering="1" + "0" * 60)
        self.assertIn("ExclusiveMinimumSequenceNumber", str(e.exception))
        self.assertEqual(len(self.kinesis.describe_stream(StreamName="puts")[
            "StreamDescription"]["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"]),
            56)

    def test_put_records_500_and_order(self):
        before = self.count()
        entries = [{"PartitionKey": "user-%d" % (i % 50), "Data": ("%06d" % i).encode()}
                   for i in range(500)]
        r = self.kinesis.put_records(StreamName="puts", Records=entries)
        self.assertEqual(r["FailedRecordCount"], 0)
        self.assertEqual(len(r["Records"]), 500)
        for entry, result in zip(entries, r["Records"]):
            expected = "shardId-000000000000" if hash_key(entry["PartitionKey"]) < 2 ** 127 \
                else "shardId-000000000001"
            self.assertEqual(result["ShardId"], expected)
        records = self.all_records()
        self.assertEqual(self.count(), before + 500)
        # Per key, records come back in the order they were sent.
        per_key = {}
        for recs in records.values():
            for rec in recs:
                if len(rec["Data"]) == 6 and rec["Data"].isdigit():
                    per_key.setdefault(rec["PartitionKey"], []).append(int(rec["Data"]))
        for key, nums in per_key.items():
            self.assertEqual(nums, sorted(nums), key)
        # By StreamARN too.
        arn = self.kinesis.describe_stream_summary(StreamName="puts")[
            "StreamDescriptionSummary"]["StreamARN"]
        r = self.kinesis.put_records(StreamARN=arn, Records=entries[:3])
        self.assertEqual(r["FailedRecordCount"], 0)

    def test_limits_reject_whole_call(self):
        before = self.count()
        entries = [{"PartitionKey": "k%d" % i, "Data": b"x"} for i in range(1000)]
        err = self.assertAwsError("ValidationException", self.kinesis.put_records,
                                  StreamName="puts", Records=entries)
        self.assertTrue(err["Message"].startswith("1 validation error detected: Value '["),
                        err["Message"][:100])
        self.assertTrue(err["Message"].endswith(
            "]' at 'records' failed to satisfy constraint: Member must have length less than "
            "or equal to 500"), err["Message"][-200:])
        big = b"a" * (1024 * 1024 + 1)
        self.assertAwsError("ValidationException", self.kinesis.put_record,
                            StreamName="puts", PartitionKey="k", Data=big,
                            message="1 validation error detected: Value 'java.nio.HeapByteBuffer"
                                    "[pos=0 lim=1048577 cap=1048577]' at 'data' failed to satisfy "
                                    "constraint: Member must have length less than or equal to "
                                    "1048576")
        self.assertAwsError("ValidationException", self.kinesis.put_records,
                            StreamName="puts",
                            Records=[{"PartitionKey": "k", "Data": b"ok"},
                                     {"PartitionKey": "k", "Data": big}],
                            message="1 validation error detected: Value 'java.nio.HeapByteBuffer"
                                    "[pos=0 lim=1048577 cap=1048577]' at 'records.2.member.data' "
                                    "failed to satisfy constraint: Member must have length less "
                                    "than or equal to 1048576")
        # Just over 10 MiB of data and keys, in a body (base64) under 16 MiB.
        over = [{"PartitionKey": "k", "Data": b"b" * (1024 * 1024 - 10)} for _ in range(10)]
        over.append({"PartitionKey": "k", "Data": b"c" * 100})
        self.assertAwsError("InvalidArgumentException", self.kinesis.put_records,
                            StreamName="puts", Records=over,
                            message="Records size exceeds 10 MB limit")
        self.assertRawError("PutRecord", {"StreamName": "puts", "PartitionKey": "k",
                                          "Data": "", "ExplicitHashKey": str(2 ** 128)},
                            "InvalidArgumentException",
                            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                            "[0, 2^128-1]. Specified value was %d" % 2 ** 128)
        self.assertRawError("PutRecord", {"StreamName": "puts", "PartitionKey": "k",
                                          "Data": "abc"}, "SerializationException",
                            "'abc' can not be converted to a Blob: Base64 encoded length is "
                            "expected a multiple of 4 bytes but found: 3")
        self.assertRawError("PutRecords", {"StreamName": "puts",
                                           "Records": [{"PartitionKey": "", "Data": "AA=="}]},
                            "ValidationException",
                            "1 validation error detected: Value '' at "
                            "'records.1.member.partitionKey' failed to satisfy constraint: "
                            "Member must have length greater than or equal to 1")
        self.assertRawError("PutRecords", {"Records": [{"PartitionKey": "k", "Data": "AA=="}]},
                            "InvalidArgumentException",
                            "Either StreamName or StreamARN should be provided.")
        self.assertEqual(self.count(), before)  # nothing was written
        # Exactly 1 MiB of data is accepted (with a short key, as AWS counts both).
        self.kinesis.put_record(StreamName="puts", PartitionKey="k",
                                Data=b"m" * (1024 * 1024 - 1))
        self.assertEqual(self.count(), before + 1)
        account = self.account()
        self.assertAwsError("ResourceNotFoundException", self.kinesis.put_records,
                            StreamName="missing", Records=[{"PartitionKey": "k", "Data": b"x"}],
                            message="Stream missing under account %s not found." % account)


class IteratorTest(TidelogdTestCase):

    @classmethod
    def setUpFixtures(cls):
        cls.kinesis.create_stream(StreamName="it", ShardCount=1)
        wait_active(cls.kinesis, "it")
        cls.seqs = []
        for i in range(10):
            r = cls.kinesis.put_record(StreamName="it", PartitionKey="k", Data=b"r%d" % i)
            cls.seqs.append(r["SequenceNumber"])

    SHARD = "shardId-000000000000"

    def data(self, records):
        return [r["Data"] for r in records]

    def test_trim_horizon_and_paging(self):
        records, last = self.read_shard("it", self.SHARD, "TRIM_HORIZON")
        self.assertEqual(self.data(records)[:10], [b"r%d" % i for i in range(10)])
        self.assertEqual(last["MillisBehindLatest"], 0)
        it = self.kinesis.get_shard_iterator(StreamName="it", ShardId=self.SHARD,
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        got = []
        for _ in range(20):
            r = self.kinesis.get_records(ShardIterator=it, Limit=3)
            self.assertLessEqual(len(r["Records"]), 3)
            got += self.data(r["Records"])
            it = r["NextShardIterator"]
            if len(got) >= 10:
                break
        self.assertEqual(got[:10], [b"r%d" % i for i in range(10)])

    def test_sequence_number_iterators(self):
        records, _ = self.read_shard("it", self.SHARD, "AT_SEQUENCE_NUMBER",
                                     StartingSequenceNumber=self.seqs[3])
        self.assertEqual(self.data(records)[:7], [b"r%d" % i for i in range(3, 10)])
        self.assertEqual(records[0]["SequenceNumber"], self.seqs[3])
        records, _ = self.read_shard("it", self.SHARD, "AFTER_SEQUENCE_NUMBER",
                                     StartingSequenceNumber=self.seqs[3])
        self.assertEqual(self.data(records)[:6], [b"r%d" % i for i in range(4, 10)])
        self.assertAwsError("InvalidArgumentException", self.kinesis.get_shard_iterator,
                            StreamName="it", ShardId=self.SHARD,
                            ShardIteratorType="AT_SEQUENCE_NUMBER",
                            message="Must either specify (1) AT_SEQUENCE_NUMBER or "
                                    "AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) "
                                    "TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request "
                                    "specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.")
        self.assertAwsError("InvalidArgumentException", self.kinesis.get_shard_iterator,
                            StreamName="it", ShardId=self.SHARD, ShardIteratorType="LATEST",
                            StartingSequenceNumber=self.seqs[0],
                            message="Must either specify (1) AT_SEQUENCE_NUMBER or "
                                    "AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) "
                                    "TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request "
                                    "specified LATEST and also a StartingSequenceNumber.")

    def test_millis_behind_latest(self):
        self.create_stream("empty", 1)
        it = self.kinesis.get_shard_iterator(StreamName="empty", ShardId=self.SHARD,
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        r = self.kinesis.get_records(ShardIterator=it)
        self.assertEqual(r["Records"], [])
        self.assertEqual(r["MillisBehindLatest"], 0, "an empty shard is caught up")
        records, last = self.read_shard("it", self.SHARD)
        self.assertEqual(last["MillisBehindLatest"], 0)

    def test_latest(self):
        it = self.kinesis.get_shard_iterator(StreamName="it", ShardId=self.SHARD,
                                             ShardIteratorType="LATEST")["ShardIterator"]
        r = self.kinesis.get_records(ShardIterator=it)
        self.assertEqual(r["Records"], [])
        self.kinesis.put_record(StreamName="it", PartitionKey="k", Data=b"after-latest")
        r = self.kinesis.get_records(ShardIterator=r["NextShardIterator"])
        self.assertEqual(self.data(r["Records"]), [b"after-latest"])

    def test_at_timestamp(self):
        records, _ = self.read_shard("it", self.SHARD, "TRIM_HORIZON")
        pivot = records[5]["ApproximateArrivalTimestamp"]
        # Millisecond precision, as the Java SDK sends it (a raw call: boto3
        # truncates timestamps to whole seconds).
        status, _, body = self.raw("GetShardIterator", {
            "StreamName": "it", "ShardId": self.SHARD, "ShardIteratorType": "AT_TIMESTAMP",
            "Timestamp": round(pivot.timestamp(), 3)})
        self.assertEqual(status, 200, body)
        got = self.kinesis.get_records(ShardIterator=body["ShardIterator"])["Records"]
        expected = [r["Data"] for r in records if r["ApproximateArrivalTimestamp"] >= pivot]
        self.assertEqual(self.data(got), expected)
        self.assertIn(records[5]["Data"], self.data(got))
        # boto3's whole seconds.
        second = pivot.replace(microsecond=0)
        got, _ = self.read_shard("it", self.SHARD, "AT_TIMESTAMP", Timestamp=second)
        self.assertEqual(self.data(got),
                         [r["Data"] for r in records if r["ApproximateArrivalTimestamp"] >= second])
        old = pivot - datetime.timedelta(days=1)
        got, _ = self.read_shard("it", self.SHARD, "AT_TIMESTAMP", Timestamp=old)
        self.assertEqual(self.data(got), self.data(records))
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        self.assertAwsError("InvalidArgumentException", self.kinesis.get_shard_iterator,
                            StreamName="it", ShardId=self.SHARD, ShardIteratorType="AT_TIMESTAMP",
                            Timestamp=future)

    def test_errors(self):
        account = self.account()
        self.assertAwsError("ResourceNotFoundException", self.kinesis.get_shard_iterator,
                            StreamName="it", ShardId="shardId-000000000009",
                            ShardIteratorType="LATEST",
                            message="Shard shardId-000000000009 in stream it under account %s "
                                    "does not exist" % account)
        self.assertAwsError("InvalidArgumentException", self.kinesis.get_records,
                            ShardIterator="AAAAAAAAAAA=", message="Invalid ShardIterator.")
        self.assertRawError("GetRecords", {"ShardIterator": "x", "Limit": 0},
                            "ValidationException",
                            "1 validation error detected: Value '0' at 'limit' failed to satisfy "
                            "constraint: Member must have value greater than or equal to 1")
        self.assertRawError("GetShardIterator", {"StreamName": "it", "ShardId": self.SHARD,
                                                 "ShardIteratorType": "OLDEST"},
                            "ValidationException",
                            "1 validation error detected: Value 'OLDEST' at 'shardIteratorType' "
                            "failed to satisfy constraint: Member must satisfy enum value set: "
                            "[AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, "
                            "TRIM_HORIZON]")

    def test_closed_shard_ends_with_child_shards(self):
        self.create_stream("closing", 1)
        self.kinesis.put_record(StreamName="closing", PartitionKey="k", Data=b"before")
        self.kinesis.split_shard(StreamName="closing", ShardToSplit=self.SHARD,
                                 NewStartingHashKey=str(2 ** 127))
        self.wait_active("closing")
        records, last = self.read_shard("closing", self.SHARD)
        self.assertEqual(self.data(records), [b"before"])
        self.assertNotIn("NextShardIterator", last)
        children = sorted(c["ShardId"] for c in last["ChildShards"])
        self.assertEqual(children, ["shardId-000000000001", "shardId-000000000002"])
        for c in last["ChildShards"]:
            self.assertEqual(c["ParentShards"], [self.SHARD])


if __name__ == "__main__":
    main()
