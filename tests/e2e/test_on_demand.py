"""On-demand capacity against a real tidelogd: an ON_DEMAND stream starts
with 4 shards; three shards' worth of writes aimed at one shard's hash range
are throttled at first, the broker splits the hot range until the demand
fits, throttling stops, and every acknowledged record is read back once,
from the shard that covers its hash key. A PROVISIONED stream under the same
load keeps its shards."""

import time

from tidelogd_fixture import TidelogdTestCase, main, wait_active

RECORDS_PER_CALL = 500
CALLS_PER_SECOND = 6  # 3000 records/s: three shards' records-per-second limit
DEADLINE_S = 90


class OnDemandScalingTest(TidelogdTestCase):
    QUOTAS = "on"
    EXTRA_ARGS = ("--on-demand-interval-ms", "500", "--on-demand-cooldown-ms", "1000")

    def open_shards(self, stream):
        shards = self.kinesis.list_shards(StreamName=stream)["Shards"]
        return [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]

    def put_window(self, stream, start_hash, end_hash, serial):
        """One second's worth of calls; returns (acked {key: hash}, throttled count)."""
        acked, throttled = {}, 0
        window_end = time.monotonic() + 1.0
        span = end_hash - start_hash
        for _ in range(CALLS_PER_SECOND):
            records = []
            for i in range(RECORDS_PER_CALL):
                n = serial[0]
                serial[0] += 1
                records.append({"PartitionKey": "key-%d" % n, "Data": b"%08d" % n,
                                "ExplicitHashKey": str(start_hash + span * (n % 997) // 997)})
            r = self.kinesis.put_records(StreamName=stream, Records=records)
            for rec, res in zip(records, r["Records"]):
                if "SequenceNumber" in res:
                    acked[rec["PartitionKey"]] = int(rec["ExplicitHashKey"])
                else:
                    self.assertEqual(res["ErrorCode"], "ProvisionedThroughputExceededException")
                    throttled += 1
        while time.monotonic() < window_end:  # pace to the window, not a synchronisation
            time.sleep(0.01)
        return acked, throttled

    def test_hot_range_splits_until_throttling_stops(self):
        self.kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
        wait_active(self.kinesis, "od")
        self.create_stream("prov", 4)
        od_shards = self.open_shards("od")
        self.assertEqual(len(od_shards), 4)
        hot = od_shards[0]["HashKeyRange"]
        lo, hi = int(hot["StartingHashKey"]), int(hot["EndingHashKey"])

        serial = [0]
        acked = {}
        first_throttled = None
        quiet_windows = 0
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline and quiet_windows < 3:
            got, throttled = self.put_window("od", lo, hi, serial)
            acked.update(got)
            if first_throttled is None:
                first_throttled = throttled
            quiet_windows = quiet_windows + 1 if throttled == 0 else 0
        self.assertGreater(first_throttled, 0, "three shards' worth into one shard: throttled")
        self.assertEqual(quiet_windows, 3, "throttling never stopped; open shards: %d"
                         % len(self.open_shards("od")))
        grown = self.open_shards("od")
        self.assertGreaterEqual(len(grown), 7, "the hot range needs four shards at 80%")
        # The same load on a PROVISIONED stream: no scaling.
        p_range = self.open_shards("prov")[0]["HashKeyRange"]
        self.put_window("prov", int(p_range["StartingHashKey"]), int(p_range["EndingHashKey"]),
                        [0])
        self.assertEqual(len(self.open_shards("prov")), 4)

        # Every acknowledged record once, in a shard covering its hash key.
        seen = {}
        for shard in self.kinesis.list_shards(StreamName="od")["Shards"]:
            start = int(shard["HashKeyRange"]["StartingHashKey"])
            end = int(shard["HashKeyRange"]["EndingHashKey"])
            records, _ = self.read_shard("od", shard["ShardId"])
            for r in records:
                key = r["PartitionKey"]
                self.assertNotIn(key, seen, "read twice")
                seen[key] = shard["ShardId"]
                h = acked.get(key)
                if h is not None:
                    self.assertTrue(start <= h <= end, "%s misrouted to %s" % (key, shard["ShardId"]))
        missing = [k for k in acked if k not in seen]
        self.assertEqual(missing[:5], [], "%d acknowledged records missing" % len(missing))


if __name__ == "__main__":
    main()
