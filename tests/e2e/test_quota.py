"""Quotas on (tidelogd --quotas on): a stream written past its shard's
1 MiB/s gets per-record ProvisionedThroughputExceededException entries in a
200 PutRecords answer, loses nothing it acknowledged and stores nothing it
refused; a throttled PutRecord is a 400 ProvisionedThroughputExceededException."""

import os

from tidelogd_fixture import TidelogdTestCase, main

RECORD_BYTES = 55 * 1000
RECORDS_PER_CALL = 20


class QuotaTest(TidelogdTestCase):
    QUOTAS = "on"

    def test_put_records_over_quota(self):
        self.create_stream("hot", 1)
        acked, refused = {}, []
        throttled_messages = set()
        # The user-scenarios probe: 20 records of ~55 KB, three calls in a row.
        for call in range(3):
            entries = [{"PartitionKey": "p", "Data": os.urandom(RECORD_BYTES)}
                       for _ in range(RECORDS_PER_CALL)]
            r = self.kinesis.put_records(StreamName="hot", Records=entries)
            self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 200)
            failed = 0
            for entry, result in zip(entries, r["Records"]):
                if "ErrorCode" in result:
                    failed += 1
                    self.assertEqual(result["ErrorCode"], "ProvisionedThroughputExceededException")
                    self.assertNotIn("SequenceNumber", result)
                    throttled_messages.add(result["ErrorMessage"])
                    refused.append(entry["Data"])
                else:
                    self.assertEqual(result["ShardId"], "shardId-000000000000")
                    acked[result["SequenceNumber"]] = entry["Data"]
            self.assertEqual(r["FailedRecordCount"], failed)
        self.assertGreater(len(refused), 0, "3.3 MB in three calls was not throttled")
        self.assertGreater(len(acked), 0, "nothing was accepted")
        self.assertTrue(all(m.startswith("Rate exceeded for shard shardId-000000000000 in stream "
                                         "hot under account ") for m in throttled_messages),
                        throttled_messages)

        # Read back: exactly the acknowledged records, with their bytes.
        stored = {}
        it = self.kinesis.get_shard_iterator(StreamName="hot", ShardId="shardId-000000000000",
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for _ in range(10000):
            try:
                r = self.kinesis.get_records(ShardIterator=it)
            except self.kinesis.exceptions.ProvisionedThroughputExceededException:
                continue  # read quota (5 calls/s): poll again
            for rec in r["Records"]:
                stored[rec["SequenceNumber"]] = rec["Data"]
            it = r["NextShardIterator"]
            if not r["Records"] and r["MillisBehindLatest"] == 0:
                break
        self.assertEqual(set(stored), set(acked))
        for seq, data in acked.items():
            self.assertEqual(stored[seq], data, seq)
        refused_set = set(refused)
        self.assertFalse(any(d in refused_set for d in stored.values()))

    def test_put_record_throttled(self):
        self.create_stream("hot1", 1)
        big = b"x" * (512 * 1024)
        outcome = None
        for _ in range(50):
            try:
                self.kinesis.put_record(StreamName="hot1", PartitionKey="p", Data=big)
            except self.kinesis.exceptions.ProvisionedThroughputExceededException as e:
                outcome = e.response
                break
        self.assertIsNotNone(outcome, "50 half-MiB PutRecord calls were never throttled")
        self.assertEqual(outcome["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertTrue(outcome["Error"]["Message"].startswith(
            "Rate exceeded for shard shardId-000000000000 in stream hot1 under account "),
            outcome["Error"]["Message"])


if __name__ == "__main__":
    main()
