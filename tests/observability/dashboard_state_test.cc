// RenderDashboardState and CollectDashboardSnapshot: the dashboard's JSON
// from a hand-made snapshot (lineage, hash keys past 2^64, nulls, escaping,
// missing metrics) and from a real engine after a split and a merge, with
// its per-answer bounds.
#include "server/observability/dashboard_state.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/observability/dashboard_test_util.h"

namespace tidelog::server::testing {
namespace {

using kinesis::ParseJson;

ShardInfo Shard(std::string id, u128 start, u128 end, bool open, std::string parent = "",
                std::string adjacent = "") {
  ShardInfo s;
  s.shard_id = std::move(id);
  s.parent_shard_id = std::move(parent);
  s.adjacent_parent_shard_id = std::move(adjacent);
  s.hash_key_range = {start, end};
  if (!open) s.ending_sequence_number = SequenceNumber{0, 42};
  return s;
}

const JsonValue& ShardNamed(const JsonValue& stream, std::string_view id) {
  for (const JsonValue& s : Member(stream, "shards")->array) {
    if (Str(s, "id") == id) return s;
  }
  static const JsonValue kNone;
  ADD_FAILURE() << "no shard " << id;
  return kNone;
}

std::vector<std::string> Strings(const JsonValue& v) {
  std::vector<std::string> out;
  for (const JsonValue& x : v.array) out.push_back(x.string);
  return out;
}

DashboardSnapshot SplitSnapshot() {
  DashboardSnapshot snap;
  snap.metrics.collected_millis = 1'700'000'000'123;
  snap.metrics.store.segments = 3;
  snap.metrics.store.free_bytes = 10;
  StreamMetrics& m = snap.metrics.streams.emplace_back();
  m.stream_name = "orders";
  m.subscriptions = 2;
  m.stored_bytes = 900;
  m.traffic.incoming_records = 7;
  ShardMetrics& sm = m.shards.emplace_back();
  sm.shard_id = "shardId-000000000001";
  sm.traffic.incoming_bytes = 123;
  sm.traffic.write_throttled_records = 4;
  sm.iterator_age_ms = 55;
  sm.stored_bytes = 600;
  DashboardStream& d = snap.streams.emplace_back();
  d.info.stream_name = "orders";
  d.info.stream_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/orders";
  d.info.consumer_count = 1;
  d.metrics_index = 0;
  const u128 half = static_cast<u128>(1) << 127;
  d.shards = {Shard("shardId-000000000000", 0, kMaxHashKey, false),
              Shard("shardId-000000000001", 0, half - 1, true, "shardId-000000000000"),
              Shard("shardId-000000000002", half, kMaxHashKey, true, "shardId-000000000000")};
  ConsumerInfo c;
  c.consumer_name = "app";
  c.consumer_arn = d.info.stream_arn + "/consumer/app:1";
  d.consumers.push_back(c);
  return snap;
}

TEST(DashboardStateTest, RendersLineageHashKeysAndCounters) {
  DashboardServerInfo server;
  server.version = "0.1.0 (git x)";
  server.open_connections = 3;
  const std::string text = RenderDashboardState(SplitSnapshot(), server);
  JsonValue doc;
  ASSERT_TRUE(ParseJson(text, &doc)) << text;
  EXPECT_EQ(Str(doc, "version"), "0.1.0 (git x)");
  EXPECT_EQ(Int(doc, "collected_millis"), 1'700'000'000'123);
  EXPECT_EQ(Int(doc, "open_connections"), 3);
  EXPECT_EQ(Int(doc, "streams_omitted"), 0);
  const JsonValue& segments = *Member(*Member(doc, "store"), "segments");
  EXPECT_EQ(Int(segments, "count"), 3);
  ASSERT_NE(Member(segments, "windows"), nullptr);
  EXPECT_TRUE(Member(segments, "windows")->is_null());  // not exposed: said, not faked

  const JsonValue& streams = *Member(doc, "streams");
  ASSERT_EQ(streams.array.size(), 1u);
  const JsonValue& s = streams.array[0];
  EXPECT_EQ(Str(s, "name"), "orders");
  EXPECT_EQ(Int(s, "shard_count"), 3);
  EXPECT_EQ(Int(s, "open_shard_count"), 2);
  EXPECT_EQ(Int(s, "closed_shard_count"), 1);
  EXPECT_EQ(Int(s, "consumer_count"), 1);
  EXPECT_EQ(Int(s, "subscriptions"), 2);
  EXPECT_EQ(Int(s, "stored_bytes"), 900);
  EXPECT_EQ(Int(*Member(s, "traffic"), "incoming_records"), 7);
  EXPECT_TRUE(Bool(s, "complete"));
  ASSERT_EQ(Member(s, "consumers")->array.size(), 1u);
  EXPECT_EQ(Str(Member(s, "consumers")->array[0], "name"), "app");
  EXPECT_EQ(Str(Member(s, "consumers")->array[0], "status"), "ACTIVE");

  const JsonValue& parent = ShardNamed(s, "shardId-000000000000");
  EXPECT_FALSE(Bool(parent, "open"));
  EXPECT_TRUE(Member(parent, "parent")->is_null());
  EXPECT_TRUE(Member(parent, "adjacent_parent")->is_null());
  EXPECT_EQ(Strings(*Member(parent, "children")),
            (std::vector<std::string>{"shardId-000000000001", "shardId-000000000002"}));
  EXPECT_EQ(Str(parent, "start"), "0");
  EXPECT_EQ(Str(parent, "end"), "340282366920938463463374607431768211455");
  EXPECT_EQ(Str(parent, "ending_sequence_number"), "42");
  EXPECT_FALSE(Bool(parent, "has_metrics"));  // no counters for it in the snapshot: zeros
  EXPECT_EQ(Int(*Member(parent, "traffic"), "incoming_bytes"), 0);

  const JsonValue& low = ShardNamed(s, "shardId-000000000001");
  EXPECT_TRUE(Bool(low, "open"));
  EXPECT_EQ(Str(low, "parent"), "shardId-000000000000");
  EXPECT_TRUE(Member(low, "ending_sequence_number")->is_null());
  EXPECT_EQ(Str(low, "end"), "170141183460469231731687303715884105727");
  EXPECT_TRUE(Bool(low, "has_metrics"));
  EXPECT_EQ(Int(*Member(low, "traffic"), "incoming_bytes"), 123);
  EXPECT_EQ(Int(*Member(low, "traffic"), "write_throttled_records"), 4);
  EXPECT_EQ(Int(low, "iterator_age_ms"), 55);
  EXPECT_EQ(Int(low, "stored_bytes"), 600);
  EXPECT_EQ(Str(ShardNamed(s, "shardId-000000000002"), "start"),
            "170141183460469231731687303715884105728");
}

TEST(DashboardStateTest, EscapesNamesAndSurvivesBadIndexesAndHugeCounters) {
  DashboardSnapshot snap = SplitSnapshot();
  snap.streams[0].info.stream_name = "a\"b\\c\n\x01<script>";
  snap.streams[0].metrics_index = 99;  // out of range: treated as no metrics
  snap.streams[0].shards[1].parent_shard_id = "shardId-000000000009";  // not listed
  snap.metrics.store.free_bytes = ~uint64_t{0};
  const std::string text = RenderDashboardState(snap, {});
  JsonValue doc;
  ASSERT_TRUE(ParseJson(text, &doc)) << text;
  const JsonValue& s = Member(doc, "streams")->array[0];
  EXPECT_EQ(Str(s, "name"), "a\"b\\c\n\x01<script>");
  EXPECT_EQ(Int(s, "subscriptions"), 0);
  EXPECT_EQ(Int(*Member(doc, "store"), "free_bytes"), INT64_MAX);  // clamped, still a number
  EXPECT_EQ(Strings(*Member(ShardNamed(s, "shardId-000000000000"), "children")),
            (std::vector<std::string>{"shardId-000000000002"}));
}

TEST(DashboardStateTest, EmptyEngineSnapshot) {
  JsonValue doc;
  ASSERT_TRUE(ParseJson(RenderDashboardState(DashboardSnapshot{}, {}), &doc));
  EXPECT_TRUE(Member(doc, "streams")->is_array());
  EXPECT_TRUE(Member(doc, "streams")->array.empty());
}

using DashboardSnapshotTest = EngineFixture;

TEST_F(DashboardSnapshotTest, SplitMergeConsumersAndTraffic) {
  CreateStream("a-stream", 2);
  CreateStream("b-stream", 2);
  const u128 quarter = static_cast<u128>(1) << 126;
  ASSERT_TRUE(engine_->SplitShard("a-stream", "shardId-000000000000", quarter).ok());
  ASSERT_TRUE(
      engine_->MergeShards("b-stream", "shardId-000000000000", "shardId-000000000001").ok());
  ConsumerInfo consumer;
  ASSERT_TRUE(engine_->RegisterStreamConsumer("a-stream", "reader", &consumer).ok());
  PutRecordEntry e{"key", "data-bytes", quarter - 1};
  PutRecordResult r;
  ASSERT_TRUE(engine_->PutRecord("a-stream", e, std::nullopt, &r).ok());
  ASSERT_TRUE(r.status.ok());

  DashboardSnapshot snap;
  ASSERT_TRUE(CollectDashboardSnapshot(engine_.get(), 10, 100, &snap).ok());
  JsonValue doc;
  const std::string text = RenderDashboardState(snap, {});
  ASSERT_TRUE(ParseJson(text, &doc)) << text;
  const JsonValue& streams = *Member(doc, "streams");
  ASSERT_EQ(streams.array.size(), 2u);
  const JsonValue& a = streams.array[0];
  EXPECT_EQ(Str(a, "name"), "a-stream");
  EXPECT_EQ(Int(a, "shard_count"), 4);
  EXPECT_EQ(Int(a, "open_shard_count"), 3);
  EXPECT_EQ(Int(a, "closed_shard_count"), 1);
  EXPECT_EQ(Int(a, "consumer_count"), 1);
  ASSERT_EQ(Member(a, "consumers")->array.size(), 1u);
  EXPECT_EQ(Str(Member(a, "consumers")->array[0], "arn"), consumer.consumer_arn);
  const JsonValue& split = ShardNamed(a, "shardId-000000000000");
  EXPECT_FALSE(Bool(split, "open"));
  EXPECT_EQ(Strings(*Member(split, "children")),
            (std::vector<std::string>{"shardId-000000000002", "shardId-000000000003"}));
  const JsonValue& low = ShardNamed(a, "shardId-000000000002");
  EXPECT_EQ(Str(low, "parent"), "shardId-000000000000");
  EXPECT_EQ(Str(low, "end"), U128ToDecimal(quarter - 1));
  EXPECT_EQ(Int(*Member(low, "traffic"), "incoming_records"), 1);
  EXPECT_EQ(Int(*Member(low, "traffic"), "incoming_bytes"), 13);  // data and partition key
  EXPECT_EQ(Int(*Member(a, "traffic"), "incoming_records"), 1);

  const JsonValue& b = streams.array[1];
  EXPECT_EQ(Int(b, "open_shard_count"), 1);
  EXPECT_EQ(Int(b, "closed_shard_count"), 2);
  const JsonValue& merged = ShardNamed(b, "shardId-000000000002");
  EXPECT_EQ(Str(merged, "parent"), "shardId-000000000000");
  EXPECT_EQ(Str(merged, "adjacent_parent"), "shardId-000000000001");
  EXPECT_EQ(Str(merged, "start"), "0");
  EXPECT_EQ(Str(merged, "end"), U128ToDecimal(kMaxHashKey));
  EXPECT_EQ(Strings(*Member(ShardNamed(b, "shardId-000000000001"), "children")),
            (std::vector<std::string>{"shardId-000000000002"}));
}

TEST_F(DashboardSnapshotTest, BoundsStreamsAndShards) {
  CreateStream("one", 3);
  CreateStream("three", 1);
  CreateStream("two", 2);
  DashboardSnapshot snap;
  ASSERT_TRUE(CollectDashboardSnapshot(engine_.get(), 2, 4, &snap).ok());
  ASSERT_EQ(snap.streams.size(), 2u);  // "one", "three" by name; "two" counted
  EXPECT_EQ(snap.streams_omitted, 1u);
  EXPECT_EQ(snap.streams[0].shards.size(), 3u);
  EXPECT_TRUE(snap.streams[0].complete);
  EXPECT_EQ(snap.streams[1].shards.size(), 1u);
  ASSERT_TRUE(CollectDashboardSnapshot(engine_.get(), 10, 4, &snap).ok());
  EXPECT_EQ(snap.streams.size(), 3u);
  EXPECT_TRUE(snap.streams[2].shards.empty());  // "two" would pass the shard bound
  EXPECT_FALSE(snap.streams[2].complete);
  EXPECT_EQ(snap.shards_omitted, 2u);
  JsonValue doc;
  ASSERT_TRUE(ParseJson(RenderDashboardState(snap, {}), &doc));
  EXPECT_EQ(Int(*Member(doc, "limits"), "max_shards"), 4);
  EXPECT_EQ(Int(doc, "shards_omitted"), 2);
  const JsonValue& two = Member(doc, "streams")->array[2];
  EXPECT_FALSE(Bool(two, "complete"));
  EXPECT_EQ(Int(two, "open_shard_count"), 2);  // from the description when shards are left out
}

}  // namespace
}  // namespace tidelog::server::testing
