// Read-path rules: the five iterator types, iterator validation and expiry, GetRecords limits
// (count and 10 MiB), MillisBehindLatest, and the end of a closed shard.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine_test_util.h"

namespace tidelog::testing {
namespace {

constexpr char kShard0[] = "shardId-000000000000";

class IteratorTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Open();
    CreateStream("it", 1);
  }

  // Writes "r0".."r{n-1}", `gap_ms` apart; returns their sequence numbers.
  std::vector<SequenceNumber> WriteSpaced(int n, int64_t gap_ms) {
    std::vector<SequenceNumber> seqs;
    for (int i = 0; i < n; ++i) {
      if (i > 0) clock_->AdvanceMillis(gap_ms);
      seqs.push_back(Put("it", "k", "r" + std::to_string(i)).sequence_number);
    }
    return seqs;
  }

  static std::vector<std::string> Datas(const std::vector<Record>& recs) {
    std::vector<std::string> out;
    for (const auto& r : recs) out.push_back(r.data);
    return out;
  }

  using V = std::vector<std::string>;
};

TEST_F(IteratorTest, TrimHorizonReadsEverythingInOrder) {
  WriteSpaced(5, 1);
  EXPECT_EQ(Datas(ReadShard("it", kShard0)), (V{"r0", "r1", "r2", "r3", "r4"}));
}

TEST_F(IteratorTest, LatestSeesOnlyRecordsWrittenAfterIt) {
  WriteSpaced(3, 1);
  const std::string it = Iterator("it", kShard0, ShardIteratorType::kLatest);
  Put("it", "k", "after1");
  Put("it", "k", "after2");
  EXPECT_EQ(Datas(Drain(it)), (V{"after1", "after2"}));
}

TEST_F(IteratorTest, AtTimestampStartsAtFirstRecordNotOlder) {
  const int64_t t0 = clock_->NowMillis();
  WriteSpaced(3, 1000);  // arrivals t0, t0+1000, t0+2000
  clock_->AdvanceMillis(10);
  auto read_at = [&](int64_t ts) {
    return Datas(Drain(Iterator("it", kShard0, ShardIteratorType::kAtTimestamp, std::nullopt, ts)));
  };
  EXPECT_EQ(read_at(t0 + 1000), (V{"r1", "r2"}));  // arrival == ts is included
  EXPECT_EQ(read_at(t0 + 999), (V{"r1", "r2"}));
  EXPECT_EQ(read_at(t0 + 1001), (V{"r2"}));
  EXPECT_EQ(read_at(t0 - 86400 * 1000), (V{"r0", "r1", "r2"}));  // older: trim horizon
  EXPECT_EQ(read_at(t0 + 2001), V{});
}

TEST_F(IteratorTest, AtAndAfterSequenceNumber) {
  const auto seqs = WriteSpaced(4, 0);
  EXPECT_EQ(Datas(Drain(Iterator("it", kShard0, ShardIteratorType::kAtSequenceNumber, seqs[1]))),
            (V{"r1", "r2", "r3"}));
  EXPECT_EQ(Datas(Drain(Iterator("it", kShard0, ShardIteratorType::kAfterSequenceNumber, seqs[1]))),
            (V{"r2", "r3"}));
  EXPECT_EQ(Datas(Drain(Iterator("it", kShard0, ShardIteratorType::kAfterSequenceNumber, seqs[3]))),
            V{});
  EXPECT_EQ(Datas(Drain(Iterator("it", kShard0, ShardIteratorType::kAtSequenceNumber, seqs[0]))),
            (V{"r0", "r1", "r2", "r3"}));
}

TEST_F(IteratorTest, MissingOrMisplacedArgumentsAreInvalid) {
  const auto seqs = WriteSpaced(1, 0);
  std::string it;
  EXPECT_TRUE(
      StatusIs(engine_->GetShardIterator("it", kShard0, ShardIteratorType::kAtSequenceNumber,
                                         std::nullopt, std::nullopt, &it),
               ErrorCode::kInvalidArgument));
  EXPECT_TRUE(StatusIs(engine_->GetShardIterator("it", kShard0, ShardIteratorType::kAtTimestamp,
                                                 std::nullopt, std::nullopt, &it),
                       ErrorCode::kInvalidArgument));
  EXPECT_TRUE(StatusIs(engine_->GetShardIterator("it", kShard0, ShardIteratorType::kTrimHorizon,
                                                 seqs[0], std::nullopt, &it),
                       ErrorCode::kInvalidArgument,
                       "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                       "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                       "StartingSequenceNumber. Request specified TRIM_HORIZON and also a "
                       "StartingSequenceNumber."));
  EXPECT_TRUE(StatusIs(
      engine_->GetShardIterator("it", "shardId-000000000009", ShardIteratorType::kTrimHorizon,
                                std::nullopt, std::nullopt, &it),
      ErrorCode::kResourceNotFound));
}

TEST_F(IteratorTest, SequenceNumberFromAnotherShardIsInvalid) {
  CreateStream("two", 2);
  const auto shards = Shards("two");
  const auto r0 = Put("two", "k", "a", shards[0].hash_key_range.starting_hash_key);
  Put("two", "k", "b", shards[1].hash_key_range.starting_hash_key);
  ASSERT_EQ(r0.shard_index, 0u);
  std::string it;
  for (auto type :
       {ShardIteratorType::kAtSequenceNumber, ShardIteratorType::kAfterSequenceNumber}) {
    EXPECT_TRUE(StatusIs(engine_->GetShardIterator("two", "shardId-000000000001", type,
                                                   r0.sequence_number, std::nullopt, &it),
                         ErrorCode::kInvalidArgument))
        << ToString(type);
  }
}

TEST_F(IteratorTest, TamperedOrGarbageIteratorIsInvalid) {
  WriteSpaced(2, 0);
  const std::string good = Iterator("it", kShard0, ShardIteratorType::kTrimHorizon);
  ASSERT_FALSE(good.empty());
  EXPECT_LE(good.size(), 512u);
  GetRecordsResult res;
  // Flip one character at several positions, keeping the text valid base64.
  for (size_t pos : {size_t{0}, good.size() / 3, good.size() / 2, good.size() - 5}) {
    std::string bad = good;
    if (bad[pos] == '=') continue;
    bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
    EXPECT_TRUE(StatusIs(engine_->GetRecords(bad, 100, &res), ErrorCode::kInvalidArgument,
                         "Invalid ShardIterator."))
        << "flipped position " << pos;
  }
  for (const std::string& junk :
       std::vector<std::string>{"", "abc", "!!!!", std::string(600, 'A')}) {
    EXPECT_TRUE(StatusIs(engine_->GetRecords(junk, 100, &res), ErrorCode::kInvalidArgument,
                         "Invalid ShardIterator."))
        << junk.substr(0, 10);
  }
  // The untouched token still works.
  ASSERT_OK(engine_->GetRecords(good, 100, &res));
  EXPECT_EQ(res.records.size(), 2u);
}

TEST_F(IteratorTest, IteratorOfAnotherStreamWithSameShardIdStaysBound) {
  CreateStream("other", 1);
  Put("other", "k", "other-data");
  WriteSpaced(1, 0);
  const std::string it = Iterator("other", kShard0, ShardIteratorType::kTrimHorizon);
  ASSERT_OK(engine_->DeleteStream("other", false));
  GetRecordsResult res;
  // The iterator named a deleted stream: it must not read "it"'s shard 0.
  const Status s = engine_->GetRecords(it, 100, &res);
  EXPECT_FALSE(s.ok() && !res.records.empty() && res.records[0].data == "r0") << s.ToString();
}

TEST_F(IteratorTest, IteratorExpiresAfterTtl) {
  WriteSpaced(3, 0);
  const std::string it = Iterator("it", kShard0, ShardIteratorType::kTrimHorizon);
  clock_->AdvanceMillis(299'000);
  GetRecordsResult res;
  ASSERT_OK(engine_->GetRecords(it, 1, &res));  // still valid
  ASSERT_EQ(res.records.size(), 1u);
  const std::string next = res.next_shard_iterator;
  clock_->AdvanceMillis(1'001);  // 300001 ms after creation
  EXPECT_TRUE(StatusIs(engine_->GetRecords(it, 1, &res), ErrorCode::kExpiredIterator));
  // The NextShardIterator was minted later and is still fresh.
  ASSERT_OK(engine_->GetRecords(next, 10, &res));
  EXPECT_EQ(Datas(res.records), (V{"r1", "r2"}));
  clock_->AdvanceMillis(300'001);
  EXPECT_TRUE(StatusIs(engine_->GetRecords(next, 10, &res), ErrorCode::kExpiredIterator));
}

TEST_F(IteratorTest, LimitIsHonouredAndValidated) {
  WriteSpaced(10, 0);
  std::string it = Iterator("it", kShard0, ShardIteratorType::kTrimHorizon);
  GetRecordsResult res;
  ASSERT_OK(engine_->GetRecords(it, 3, &res));
  EXPECT_EQ(Datas(res.records), (V{"r0", "r1", "r2"}));
  ASSERT_OK(engine_->GetRecords(res.next_shard_iterator, 3, &res));
  EXPECT_EQ(Datas(res.records), (V{"r3", "r4", "r5"}));
  ASSERT_OK(engine_->GetRecords(res.next_shard_iterator, 10000, &res));
  EXPECT_EQ(Datas(res.records), (V{"r6", "r7", "r8", "r9"}));
  EXPECT_FALSE(res.next_shard_iterator.empty());  // an open shard always continues
  EXPECT_FALSE(engine_->GetRecords(it, 0, &res).ok());
  EXPECT_FALSE(engine_->GetRecords(it, 10001, &res).ok());
}

TEST_F(IteratorTest, OneCallReturnsAtMostTenMiB) {
  // 12 records of ~1 MB each: 12 MB > 10 MiB. Quotas are off in these tests.
  const std::string mb(1000 * 1000, 'm');
  for (int i = 0; i < 12; ++i) {
    std::string data = mb;
    data[0] = static_cast<char>('a' + i);
    Put("it", "key", data);
  }
  std::string it = Iterator("it", kShard0, ShardIteratorType::kTrimHorizon);
  GetRecordsResult res;
  ASSERT_OK(engine_->GetRecords(it, 10000, &res));
  size_t bytes = 0;
  for (const auto& r : res.records) bytes += r.data.size() + r.partition_key.size();
  EXPECT_LE(bytes, 10u * 1024 * 1024);
  EXPECT_GE(res.records.size(), 1u);
  EXPECT_LT(res.records.size(), 12u);
  // The rest follows, in order, with nothing lost.
  const size_t first = res.records.size();
  const auto rest = Drain(res.next_shard_iterator);
  ASSERT_EQ(first + rest.size(), 12u);
  for (size_t i = 0; i < rest.size(); ++i) EXPECT_EQ(rest[i].data[0], 'a' + first + i);
}

TEST_F(IteratorTest, MillisBehindLatestIsZeroOnlyWhenCaughtUp) {
  Put("it", "k", "old");
  clock_->AdvanceMillis(5000);
  Put("it", "k", "new");
  std::string it = Iterator("it", kShard0, ShardIteratorType::kTrimHorizon);
  GetRecordsResult res;
  ASSERT_OK(engine_->GetRecords(it, 1, &res));
  ASSERT_EQ(Datas(res.records), V{"old"});
  EXPECT_GT(res.millis_behind_latest, 0);
  ASSERT_OK(engine_->GetRecords(res.next_shard_iterator, 10, &res));
  ASSERT_EQ(Datas(res.records), V{"new"});
  EXPECT_EQ(res.millis_behind_latest, 0);
  // Caught up stays 0 however much time passes with no new data.
  clock_->AdvanceMillis(60'000);
  ASSERT_OK(engine_->GetRecords(res.next_shard_iterator, 10, &res));
  EXPECT_TRUE(res.records.empty());
  EXPECT_EQ(res.millis_behind_latest, 0);
}

TEST_F(IteratorTest, ClosedShardEndsWithNullIteratorAndChildShards) {
  WriteSpaced(2, 0);
  ASSERT_OK(engine_->SplitShard("it", kShard0, Pow2(127)));
  Put("it", "k", "child-data");  // goes to a child, never to the closed parent
  std::string it = Iterator("it", kShard0, ShardIteratorType::kTrimHorizon);
  GetRecordsResult last;
  const auto recs = Drain(it, &last);
  EXPECT_EQ(Datas(recs), (V{"r0", "r1"}));
  EXPECT_TRUE(last.next_shard_iterator.empty());
  ASSERT_EQ(last.child_shards.size(), 2u);
  EXPECT_EQ(last.child_shards[0].shard_id, "shardId-000000000001");
  EXPECT_EQ(last.child_shards[1].shard_id, "shardId-000000000002");
  for (const auto& c : last.child_shards) {
    EXPECT_EQ(c.parent_shards, std::vector<std::string>{kShard0});
  }
  EXPECT_EQ(Dec(last.child_shards[0].hash_key_range.ending_hash_key), Dec(Pow2(127) - 1));
  EXPECT_EQ(Dec(last.child_shards[1].hash_key_range.starting_hash_key), Dec(Pow2(127)));
  // LATEST on a closed shard also reaches the end at once.
  GetRecordsResult at_latest;
  EXPECT_TRUE(Drain(Iterator("it", kShard0, ShardIteratorType::kLatest), &at_latest).empty());
  EXPECT_TRUE(at_latest.next_shard_iterator.empty());
  EXPECT_EQ(at_latest.child_shards.size(), 2u);
}

}  // namespace
}  // namespace tidelog::testing

namespace tidelog::testing {
namespace {

// The zero-copy GetRecords overload sees exactly what the copying one returns,
// and its next iterator continues where the copying one's would.
TEST_F(IteratorTest, VisitorGetRecordsMatchesCopyingGetRecords) {
  WriteSpaced(7, 1);
  const std::string it = Iterator("it", kShard0, ShardIteratorType::kTrimHorizon);
  GetRecordsResult copied;
  ASSERT_TRUE(engine_->GetRecords(it, 5, &copied).ok());
  std::vector<Record> seen;
  GetRecordsResult visited;
  ASSERT_TRUE(engine_
                  ->GetRecords(
                      it, 5,
                      [&](const RecordView& v) {
                        seen.push_back({v.sequence_number, v.arrival_millis,
                                        std::string(v.partition_key), std::string(v.data),
                                        v.explicit_hash_key});
                      },
                      &visited)
                  .ok());
  EXPECT_TRUE(visited.records.empty());
  ASSERT_EQ(seen.size(), 5u);
  ASSERT_EQ(copied.records.size(), 5u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].sequence_number, copied.records[i].sequence_number);
    EXPECT_EQ(seen[i].arrival_millis, copied.records[i].arrival_millis);
    EXPECT_EQ(seen[i].partition_key, copied.records[i].partition_key);
    EXPECT_EQ(seen[i].data, copied.records[i].data);
  }
  EXPECT_EQ(Datas(Drain(visited.next_shard_iterator)), (std::vector<std::string>{"r5", "r6"}));
}

}  // namespace
}  // namespace tidelog::testing
