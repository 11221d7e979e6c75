// The shard calculator: each constraint binding in turn, headroom rounding,
// enhanced fan-out, derived inputs, cost items and input errors.
#include <gtest/gtest.h>

#include <cmath>

#include "tools/cli/shard_plan.h"

namespace tidelog::cli {
namespace {

PlanResult Plan(const PlanInput& in) {
  PlanResult r;
  auto error = ComputePlan(in, &r);
  EXPECT_FALSE(error.has_value()) << *error;
  return r;
}

TEST(ShardPlanTest, WriteBytesBindWithLargeRecords) {
  PlanInput in;
  in.records_per_sec = 1000;
  in.record_bytes = 10 * 1024;  // 9.77 MiB/s; x1.2 = 11.72 -> 12 shards
  in.readers = 1;
  PlanResult r = Plan(in);
  EXPECT_EQ(r.shards, 12);
  EXPECT_EQ(r.binding, "write-bytes");
  EXPECT_EQ(r.constraints[1].shards, 2);  // 1200 records/s
}

TEST(ShardPlanTest, WriteRecordsBindWithSmallRecords) {
  PlanInput in;
  in.records_per_sec = 50000;
  in.record_bytes = 100;  // 4.77 MiB/s, but 60000 records/s with headroom
  PlanResult r = Plan(in);
  EXPECT_EQ(r.shards, 60);
  EXPECT_EQ(r.binding, "write-records");
}

TEST(ShardPlanTest, ClassicReadersShareTwoMibPerShard) {
  PlanInput in;
  in.write_mibps = 4;
  in.readers = 5;
  in.headroom_pct = 0;
  PlanResult r = Plan(in);
  EXPECT_EQ(r.shards, 10);  // 20 MiB/s out / 2
  EXPECT_EQ(r.binding, "read-bytes");
  EXPECT_TRUE(r.warnings.empty());
  in.readers = 6;  // 6 GetRecords calls/s per shard > 5
  r = Plan(in);
  EXPECT_EQ(r.shards, 12);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("--fan-out enhanced"), std::string::npos);
}

TEST(ShardPlanTest, EnhancedFanOutReadsNeverBind) {
  PlanInput in;
  in.write_mibps = 4;
  in.readers = 20;
  in.fan_out = FanOut::kEnhanced;
  in.headroom_pct = 0;
  PlanResult r = Plan(in);
  EXPECT_EQ(r.shards, 4);
  EXPECT_EQ(r.binding, "write-bytes");
  EXPECT_EQ(r.constraints[2].shards, 2);
  EXPECT_TRUE(r.warnings.empty());
}

TEST(ShardPlanTest, HeadroomScalesDemandBeforeRounding) {
  PlanInput in;
  in.write_mibps = 0.5;
  in.readers = 0;
  EXPECT_EQ(Plan(in).shards, 1);  // 0.6 MiB/s
  in.write_mibps = 1.0;
  EXPECT_EQ(Plan(in).shards, 2);  // 1.2 MiB/s
  in.headroom_pct = 0;
  EXPECT_EQ(Plan(in).shards, 1);  // exactly at the limit
  in.write_mibps = 10.0;
  in.headroom_pct = 10;  // 11.000000000000002 in doubles must stay 11
  EXPECT_EQ(Plan(in).shards, 11);
}

TEST(ShardPlanTest, DerivesRecordRateFromThroughputAndSize) {
  PlanInput in;
  in.write_mibps = 1;
  in.record_bytes = 1024;  // 1024 records/s
  in.headroom_pct = 0;
  PlanResult r = Plan(in);
  ASSERT_TRUE(r.records_per_sec.has_value());
  EXPECT_DOUBLE_EQ(*r.records_per_sec, 1024);
  EXPECT_EQ(r.binding, "write-records");
  EXPECT_EQ(r.shards, 2);
}

TEST(ShardPlanTest, CostsUseTheGivenPricesOnly) {
  PlanInput in;
  in.records_per_sec = 1000;
  in.record_bytes = 30 * 1024;  // two 25 KB PUT units per record
  in.readers = 2;
  in.fan_out = FanOut::kEnhanced;
  in.headroom_pct = 0;
  in.prices.shard_hour = 0.015;
  in.prices.put_million_units = 0.014;
  in.prices.efo_consumer_shard_hour = 0.015;
  in.prices.efo_gb = 0.013;
  PlanResult r = Plan(in);
  ASSERT_EQ(r.shards, 30);  // 29.3 MiB/s
  ASSERT_EQ(r.costs.size(), 4u);
  EXPECT_DOUBLE_EQ(r.costs[0].per_hour, 30 * 0.015);
  EXPECT_DOUBLE_EQ(r.costs[0].per_month, 30 * 0.015 * 730);
  EXPECT_NEAR(r.costs[1].per_hour, 1000 * 2 * 3600 / 1e6 * 0.014, 1e-12);
  EXPECT_DOUBLE_EQ(r.costs[2].per_hour, 2 * 30 * 0.015);
  // 2 readers x 1000 x 30 KiB/s for an hour, in 2^30-byte GB.
  EXPECT_NEAR(r.costs[3].per_hour, 2.0 * 1000 * 30 * 1024 * 3600 / (1 << 30) * 0.013, 1e-9);
  double total = 0;
  for (const auto& c : r.costs) total += c.per_month;
  EXPECT_NEAR(r.total_per_month, total, 1e-9);

  PlanInput free;
  free.write_mibps = 1;
  EXPECT_TRUE(Plan(free).costs.empty());
}

TEST(ShardPlanTest, RejectsUnderdeterminedAndAbsurdInputs) {
  PlanResult r;
  PlanInput nothing;
  EXPECT_TRUE(ComputePlan(nothing, &r).has_value());
  PlanInput only_rate;
  only_rate.records_per_sec = 10;
  EXPECT_TRUE(ComputePlan(only_rate, &r).has_value());
  PlanInput not_a_number;
  not_a_number.write_mibps = std::nan("");
  EXPECT_TRUE(ComputePlan(not_a_number, &r).has_value());
  PlanInput negative_price;
  negative_price.write_mibps = 1;
  negative_price.prices.shard_hour = -1;
  EXPECT_TRUE(ComputePlan(negative_price, &r).has_value());
  PlanInput huge;
  huge.write_mibps = 1e9;
  huge.readers = 100000;
  EXPECT_TRUE(ComputePlan(huge, &r).has_value());
}

TEST(ShardPlanTest, ShardsForRoundsUpWithTolerance) {
  EXPECT_EQ(ShardsFor(0, 1), 1);
  EXPECT_EQ(ShardsFor(1, 1), 1);
  EXPECT_EQ(ShardsFor(1.0000001, 1), 2);
  EXPECT_EQ(ShardsFor(6.000000000000001, 1), 6);
}

}  // namespace
}  // namespace tidelog::cli
