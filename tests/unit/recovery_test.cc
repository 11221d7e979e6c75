// Recovery rules: closing and reopening restores streams, shards (ranges, lineage, states),
// tags, consumers, retention, modes, quotas and records, and sequence numbers keep increasing
// after reopen, even when the clock was set backwards.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

class RecoveryTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
  }

  static void ExpectSameShards(const std::vector<ShardInfo>& a, const std::vector<ShardInfo>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      SCOPED_TRACE(a[i].shard_id);
      EXPECT_EQ(a[i].shard_id, b[i].shard_id);
      EXPECT_EQ(a[i].parent_shard_id, b[i].parent_shard_id);
      EXPECT_EQ(a[i].adjacent_parent_shard_id, b[i].adjacent_parent_shard_id);
      EXPECT_EQ(Dec(a[i].hash_key_range.starting_hash_key),
                Dec(b[i].hash_key_range.starting_hash_key));
      EXPECT_EQ(Dec(a[i].hash_key_range.ending_hash_key), Dec(b[i].hash_key_range.ending_hash_key));
      EXPECT_EQ(Dec(a[i].starting_sequence_number), Dec(b[i].starting_sequence_number));
      EXPECT_EQ(a[i].ending_sequence_number.has_value(), b[i].ending_sequence_number.has_value());
      if (a[i].ending_sequence_number && b[i].ending_sequence_number) {
        EXPECT_EQ(Dec(*a[i].ending_sequence_number), Dec(*b[i].ending_sequence_number));
      }
      EXPECT_EQ(a[i].created_millis, b[i].created_millis);
    }
  }

  static std::vector<std::string> Flatten(const std::vector<ReadRecord>& recs) {
    std::vector<std::string> out;
    for (const auto& r : recs) {
      out.push_back(r.shard_id + "|" + Dec(r.record.sequence_number) + "|" +
                    r.record.partition_key + "|" + r.record.data + "|" +
                    std::to_string(r.record.arrival_millis) + "|" +
                    (r.record.explicit_hash_key ? Dec(*r.record.explicit_hash_key) : "-"));
    }
    return out;
  }
};

TEST_F(RecoveryTest, ReopenRestoresEverything) {
  CreateStreamRequest req;
  req.stream_name = "full";
  req.shard_count = 3;
  req.tags = {{"a", "1"}, {"b", "2"}};
  ASSERT_OK(engine_->CreateStream(req));
  CreateStream("other", 1);
  CreateStreamRequest od;
  od.stream_name = "od";
  od.mode = StreamMode::kOnDemand;
  ASSERT_OK(engine_->CreateStream(od));
  for (int i = 0; i < 100; ++i) Put("full", "key" + std::to_string(i), "v" + std::to_string(i));
  Put("full", "explicit", "e", Pow2(127));
  clock_->AdvanceMillis(1000);
  ASSERT_OK(engine_->SplitShard("full", "shardId-000000000001", Pow2(127)));
  ASSERT_OK(engine_->MergeShards("full", "shardId-000000000000", "shardId-000000000003"));
  for (int i = 0; i < 50; ++i) Put("full", "later" + std::to_string(i), "w" + std::to_string(i));
  Put("other", "k", "other");
  ASSERT_OK(engine_->IncreaseRetentionPeriod("full", 72));
  ASSERT_OK(engine_->StartStreamEncryption("full", EncryptionType::kKms, "my-key"));
  std::vector<std::string> cur, des;
  ASSERT_OK(engine_->EnableEnhancedMonitoring("full", {"IncomingBytes"}, &cur, &des));
  ASSERT_OK(engine_->SetStreamQuota("full", ShardQuota{100, 10, 200, 3}));
  ASSERT_OK(engine_->RemoveTags("full", {"b"}));
  ConsumerInfo consumer;
  ASSERT_OK(engine_->RegisterStreamConsumer("full", "app", &consumer));

  StreamInfo info_before;
  ASSERT_OK(engine_->DescribeStream("full", &info_before));
  std::vector<StreamInfo> list_before;
  ASSERT_OK(engine_->ListStreams(&list_before));
  const auto shards_before = Shards("full");
  const auto records_before = Flatten(ReadStream("full"));
  const auto other_before = Flatten(ReadStream("other"));
  ASSERT_EQ(records_before.size(), 151u);

  Reopen();

  StreamInfo info;
  ASSERT_OK(engine_->DescribeStream("full", &info));
  EXPECT_EQ(info.stream_arn, info_before.stream_arn);
  EXPECT_EQ(info.retention_period_hours, 72);
  EXPECT_EQ(info.created_millis, info_before.created_millis);
  EXPECT_EQ(info.encryption_type, EncryptionType::kKms);
  EXPECT_EQ(info.key_id, "my-key");
  EXPECT_EQ(info.shard_level_metrics, std::vector<std::string>{"IncomingBytes"});
  EXPECT_EQ(info.open_shard_count, info_before.open_shard_count);
  EXPECT_EQ(info.consumer_count, 1);
  ASSERT_TRUE(info.quota_override.has_value());
  EXPECT_EQ(*info.quota_override, (ShardQuota{100, 10, 200, 3}));
  std::vector<StreamInfo> list;
  ASSERT_OK(engine_->ListStreams(&list));
  ASSERT_EQ(list.size(), list_before.size());
  for (size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].stream_name, list_before[i].stream_name);
    EXPECT_EQ(list[i].mode, list_before[i].mode);
  }
  StreamInfo od_info;
  ASSERT_OK(engine_->DescribeStream("od", &od_info));
  EXPECT_EQ(od_info.mode, StreamMode::kOnDemand);
  std::vector<Tag> tags;
  ASSERT_OK(engine_->ListTags("full", &tags));
  EXPECT_EQ(tags, (std::vector<Tag>{{"a", "1"}}));
  ConsumerInfo c;
  ASSERT_OK(engine_->DescribeStreamConsumer("", "", consumer.consumer_arn, &c));
  EXPECT_EQ(c.consumer_name, "app");
  EXPECT_EQ(c.created_millis, consumer.created_millis);
  ExpectSameShards(Shards("full"), shards_before);
  EXPECT_EQ(Flatten(ReadStream("full")), records_before);
  EXPECT_EQ(Flatten(ReadStream("other")), other_before);

  // Recovered shards route writes as before: the merge child and split children stay open.
  EXPECT_EQ(FormatShardId(Put("full", "explicit", "after", Pow2(127) - 1).shard_index),
            "shardId-000000000005");  // merge child [0, 2^127-1]
  EXPECT_EQ(FormatShardId(Put("full", "explicit", "after", Pow2(127)).shard_index),
            "shardId-000000000004");  // upper split child
  // Rejections that depend on recovered state still apply.
  EXPECT_TRUE(StatusIs(engine_->DeleteStream("full", false), ErrorCode::kResourceInUse));
  EXPECT_TRUE(StatusIs(engine_->SplitShard("od", "shardId-000000000000", Pow2(10)),
                       ErrorCode::kValidation));
}

TEST_F(RecoveryTest, DeletedStreamStaysDeletedAfterReopen) {
  CreateStream("d", 1);
  Put("d", "k", "v");
  ASSERT_OK(engine_->DeleteStream("d", false));
  Reopen();
  StreamInfo info;
  EXPECT_TRUE(StatusIs(engine_->DescribeStream("d", &info), ErrorCode::kResourceNotFound));
  CreateStream("d", 1);
  EXPECT_TRUE(ReadShard("d", "shardId-000000000000").empty());
}

TEST_F(RecoveryTest, SequenceNumbersNeverReusedAfterReopen) {
  CreateStream("seq", 2);
  std::map<uint32_t, SequenceNumber> last;
  std::set<std::string> all;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) {
      const auto r = Put("seq", "k" + std::to_string(i), "r" + std::to_string(round));
      if (last.count(r.shard_index)) {
        ASSERT_TRUE(r.sequence_number > last[r.shard_index])
            << "round " << round << ": " << Dec(r.sequence_number)
            << " <= " << Dec(last[r.shard_index]);
      }
      last[r.shard_index] = r.sequence_number;
      ASSERT_TRUE(all.insert(Dec(r.sequence_number)).second);
    }
    Reopen();  // the clock does not move: time alone cannot separate the rounds
  }
  EXPECT_EQ(ReadStream("seq").size(), 120u);
}

TEST_F(RecoveryTest, SequenceNumbersIncreaseWhenClockSetBackwardsBeforeReopen) {
  CreateStream("back", 1);
  clock_->AdvanceMillis(10 * kHourMs);
  SequenceNumber last;
  for (int i = 0; i < 20; ++i)
    last = Put("back", "k", "before" + std::to_string(i)).sequence_number;
  ASSERT_OK(engine_->SplitShard("back", "shardId-000000000000", Pow2(127)));
  SequenceNumber last_child = Put("back", "k", "child-before", 0).sequence_number;
  engine_.reset();
  clock_->SetMicros(kStartMicros + kHourMs * 1000);  // 9 hours earlier than the last write
  Reopen();
  const auto r = Put("back", "k", "after", 0);
  EXPECT_EQ(r.shard_index, 1u);
  EXPECT_TRUE(r.sequence_number > last_child)
      << Dec(r.sequence_number) << " <= " << Dec(last_child);
  EXPECT_TRUE(r.sequence_number > last);
  // And once more, back to before the stream existed.
  engine_.reset();
  clock_->SetMicros(kStartMicros - 24 * kHourMs * 1000);
  Reopen();
  const auto r2 = Put("back", "k", "after2", 0);
  EXPECT_TRUE(r2.sequence_number > r.sequence_number);
  const auto recs = ReadShard("back", "shardId-000000000001");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].data, "child-before");
  EXPECT_EQ(recs[1].data, "after");
  EXPECT_EQ(recs[2].data, "after2");
}

TEST_F(RecoveryTest, IteratorsSurviveReopen) {
  CreateStream("it", 1);
  Put("it", "k", "a");
  Put("it", "k", "b");
  GetRecordsResult res;
  ASSERT_OK(engine_->GetRecords(
      Iterator("it", "shardId-000000000000", ShardIteratorType::kTrimHorizon), 1, &res));
  ASSERT_EQ(res.records.size(), 1u);
  Reopen();
  ASSERT_OK(engine_->GetRecords(res.next_shard_iterator, 10, &res));
  ASSERT_EQ(res.records.size(), 1u);
  EXPECT_EQ(res.records[0].data, "b");
}

}  // namespace
}  // namespace tidelog::testing
