// LogStore: big-endian key order, time-window segments bounded by time not by
// shard count, cross-segment reads in sequence order, record chunks, the
// storage format marker, reopen, and disk reclaim.
#include "storage/log_store.h"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <random>

#include "storage/keys.h"
#include "storage/sequence.h"

namespace tidelog::storage {
namespace {

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tidelog-storage-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    LogStoreOptions o;
    o.dir = dir_.string();
    ASSERT_TRUE(LogStore::Open(o, &store_).ok());
  }
  void Append(uint64_t shard, uint64_t seq, const std::string& value, int64_t window) {
    std::shared_ptr<Segment> seg;
    ASSERT_TRUE(store_->SegmentFor(SeqMillis(seq), window, &seg).ok());
    LogBatch b = store_->NewBatch();
    b.PutRecord(seg, shard, seq, value);
    ASSERT_TRUE(store_->Write(&b, false).ok());
  }
  std::vector<std::pair<uint64_t, std::string>> ReadAll(uint64_t shard, uint64_t after = 0,
                                                        uint64_t upto = UINT64_MAX) {
    std::vector<std::pair<uint64_t, std::string>> out;
    EXPECT_TRUE(store_
                    ->ReadShard(shard, after, upto,
                                [&](uint64_t seq, std::string_view v) {
                                  out.emplace_back(seq, std::string(v));
                                  return true;
                                })
                    .ok());
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<LogStore> store_;
};

TEST(KeysTest, BigEndianKeysSortNumerically) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    uint64_t a = rng(), b = rng(), s1 = rng(), s2 = rng();
    RecordKey ka(a, s1), kb(b, s2);
    bool numeric_less = a < b || (a == b && s1 < s2);
    EXPECT_EQ(ka.view() < kb.view(), numeric_less);
    EXPECT_EQ(RecordKeyShard(ka.view()), a);
    EXPECT_EQ(RecordKeySeq(ka.view()), s1);
  }
}

TEST(SequenceTest, NextSeqIsMonotonicWhenClockStepsBack) {
  uint64_t last = MakeSeq(1'000'000, 5);
  uint64_t next = NextSeq(last, 999'000);  // clock went back one second
  EXPECT_GT(next, last);
  EXPECT_EQ(SeqMillis(next), 1'000'000);
  EXPECT_EQ(NextSeq(last, 1'000'001), MakeSeq(1'000'001, 0));
  // Counter overflow carries into the millisecond part, still increasing.
  uint64_t full = MakeSeq(5, (1u << kSeqCounterBits) - 1);
  EXPECT_EQ(NextSeq(full, 5), MakeSeq(6, 0));
}

TEST_F(LogStoreTest, ReadsOneShardInOrderAcrossSegments) {
  const int64_t window = 1000;
  for (int64_t ms = 0; ms < 10'000; ms += 250) {
    Append(1, MakeSeq(ms + 1, 0), "a" + std::to_string(ms), window);
    Append(2, MakeSeq(ms + 1, 1), "b" + std::to_string(ms), window);
  }
  EXPECT_EQ(store_->SegmentCount(), 10u);
  auto one = ReadAll(1);
  ASSERT_EQ(one.size(), 40u);
  for (size_t i = 1; i < one.size(); ++i) EXPECT_LT(one[i - 1].first, one[i].first);
  for (const auto& [seq, v] : one) EXPECT_EQ(v[0], 'a');
  // Bounds: after < seq <= upto.
  auto mid = ReadAll(1, one[3].first, one[7].first);
  ASSERT_EQ(mid.size(), 4u);
  EXPECT_EQ(mid.front().first, one[4].first);
  EXPECT_EQ(mid.back().first, one[7].first);
}

TEST_F(LogStoreTest, SegmentCountIsBoundedByTimeNotShards) {
  const int64_t window = 60'000;
  for (uint64_t shard = 1; shard <= 10'000; ++shard) {
    Append(shard, MakeSeq(120'000 + static_cast<int64_t>(shard % 7), shard), "x", window);
  }
  EXPECT_EQ(store_->SegmentCount(), 1u);
  EXPECT_EQ(ReadAll(9'999).size(), 1u);
}

TEST_F(LogStoreTest, SegmentsAndRecordsSurviveReopen) {
  Append(3, MakeSeq(5'000, 0), "v1", 1000);
  Append(3, MakeSeq(7'500, 0), "v2", 1000);
  LogBatch b = store_->NewBatch();
  b.PutMeta("k", "meta-value");
  ASSERT_TRUE(store_->Write(&b, true).ok());
  Reopen();
  EXPECT_EQ(store_->SegmentCount(), 2u);
  auto all = ReadAll(3);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].second, "v2");
  std::string v;
  ASSERT_TRUE(store_->GetMeta("k", &v).ok());
  EXPECT_EQ(v, "meta-value");
  uint64_t last = 0;
  ASSERT_TRUE(store_->LastSeq(3, &last).ok());
  EXPECT_EQ(last, MakeSeq(7'500, 0));
}

TEST_F(LogStoreTest, DroppingSegmentsFreesDisk) {
  const std::string value(4096, 'z');
  for (int i = 0; i < 4000; ++i) Append(1, MakeSeq(1'000 + i, 0), value, 1'000);
  for (int i = 0; i < 100; ++i) Append(1, MakeSeq(10'000 + i, 0), value, 1'000);
  ASSERT_TRUE(store_->Flush().ok());
  const uint64_t before = store_->DiskUsageBytes();
  int dropped = 0;
  ASSERT_TRUE(store_->DropSegmentsEndingBy(5'000, &dropped).ok());
  EXPECT_EQ(dropped, 4);
  ASSERT_TRUE(store_->Flush().ok());
  const uint64_t after = store_->DiskUsageBytes();
  EXPECT_LT(after, before / 2) << "before=" << before << " after=" << after;
  auto rest = ReadAll(1);
  ASSERT_EQ(rest.size(), 100u);
  EXPECT_EQ(SeqMillis(rest.front().first), 10'000);
}

TEST_F(LogStoreTest, DeleteShardRangeReclaimsOnlyThatShard) {
  const std::string value(4096, 'y');
  for (int i = 0; i < 3000; ++i) {
    Append(1, MakeSeq(1'000 + i, 0), value, 100'000);
    Append(2, MakeSeq(1'000 + i, 1), value, 100'000);
  }
  ASSERT_TRUE(store_->Flush().ok());
  const uint64_t before = store_->DiskUsageBytes();
  ASSERT_TRUE(store_->DeleteShardRange(1, 0, std::numeric_limits<uint64_t>::max()).ok());
  ASSERT_TRUE(store_->CompactPending().ok());
  ASSERT_TRUE(store_->Flush().ok());
  const uint64_t after = store_->DiskUsageBytes();
  EXPECT_TRUE(ReadAll(1).empty());
  EXPECT_EQ(ReadAll(2).size(), 3000u);
  EXPECT_LT(after, before * 3 / 4) << "before=" << before << " after=" << after;
}

TEST_F(LogStoreTest, OneBatchPacksShardsIntoChunksReadFromAnyPoint) {
  // One group: 3 shards interleaved, ~3,000 records of 100 B each, crossing a
  // segment boundary (window 1 s) and kChunkTargetBytes several times.
  const int64_t window = 1'000;
  std::map<uint64_t, std::vector<std::pair<uint64_t, std::string>>> want;
  std::deque<std::string> values;  // alive until the write (PutRecord does not copy)
  LogBatch b = store_->NewBatch();
  std::shared_ptr<Segment> seg;
  for (int i = 0; i < 3000; ++i) {
    const uint64_t shard = 1 + static_cast<uint64_t>(i % 3);
    const uint64_t seq = MakeSeq(1'900 + i / 15, static_cast<uint64_t>(i));
    rocksdb::Status s = store_->SegmentFor(SeqMillis(seq), window, &seg);
    ASSERT_TRUE(s.ok()) << s.ToString();
    const std::string& value = values.emplace_back(std::to_string(i) + std::string(100, 'v'));
    b.PutRecord(seg, shard, seq, value);
    want[shard].emplace_back(seq, value);
  }
  EXPECT_GT(b.ByteSize(), 3000u * 100);
  ASSERT_TRUE(store_->Write(&b, true).ok());
  b.Clear();
  EXPECT_TRUE(b.empty());
  seg.reset();  // segments must not outlive the store (Reopen below)
  EXPECT_EQ(store_->SegmentCount(), 2u);
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [shard, recs] : want) {
      EXPECT_EQ(ReadAll(shard), recs);
      // From inside a chunk, up to inside another one.
      auto mid = ReadAll(shard, recs[123].first, recs[777].first);
      ASSERT_EQ(mid.size(), 777u - 123u);
      EXPECT_EQ(mid.front(), recs[124]);
      EXPECT_EQ(mid.back(), recs[777]);
      uint64_t last = 0;
      ASSERT_TRUE(store_->LastSeq(shard, &last).ok());
      EXPECT_EQ(last, recs.back().first);
      // A visitor that stops after 5 records sees exactly 5.
      int seen = 0;
      ASSERT_TRUE(store_
                      ->ReadShard(shard, recs[10].first, UINT64_MAX,
                                  [&](uint64_t, std::string_view) { return ++seen < 5; })
                      .ok());
      EXPECT_EQ(seen, 5);
    }
    ASSERT_TRUE(store_->Flush().ok());
    Reopen();  // the same from SST files
  }
}

TEST_F(LogStoreTest, DeleteShardRangeKeepsAChunkStraddlingTheEnd) {
  LogBatch b = store_->NewBatch();
  std::shared_ptr<Segment> seg;
  ASSERT_TRUE(store_->SegmentFor(5'000, 60'000, &seg).ok());
  std::deque<std::string> values;  // alive until the write (PutRecord does not copy)
  for (uint64_t i = 1; i <= 10; ++i) {
    b.PutRecord(seg, 4, MakeSeq(5'000, i), values.emplace_back("r" + std::to_string(i)));
  }
  ASSERT_TRUE(store_->Write(&b, false).ok());
  seg.reset();
  for (uint64_t i = 11; i <= 20; ++i) Append(4, MakeSeq(5'000, i), "r" + std::to_string(i), 60'000);
  // Trim below record 5: the first chunk (1..10) straddles it and stays; a
  // reader starting at 5 sees 5..20.
  ASSERT_TRUE(store_->DeleteShardRange(4, 0, MakeSeq(5'000, 5)).ok());
  EXPECT_EQ(ReadAll(4, MakeSeq(5'000, 4)).size(), 16u);
  // Trim below record 15: the first chunk is gone, and so is 11..14.
  ASSERT_TRUE(store_->DeleteShardRange(4, MakeSeq(5'000, 5), MakeSeq(5'000, 15)).ok());
  auto rest = ReadAll(4);
  ASSERT_EQ(rest.size(), 6u);
  EXPECT_EQ(rest.front().second, "r15");
}

TEST_F(LogStoreTest, MalformedChunkIsReportedNotMisread) {
  Append(6, MakeSeq(3'000, 0), "good", 60'000);
  std::shared_ptr<Segment> seg;
  ASSERT_TRUE(store_->SegmentFor(3'000, 60'000, &seg).ok());
  LogBatch b = store_->NewBatch();
  RecordKey key(6, MakeSeq(3'000, 9));
  ASSERT_TRUE(
      b.raw()->Put(seg->handle(), rocksdb::Slice(key.bytes, kRecordKeySize), "garbage").ok());
  ASSERT_TRUE(store_->Write(&b, false).ok());
  seg.reset();
  std::vector<std::string> got;
  rocksdb::Status s = store_->ReadShard(6, 0, UINT64_MAX, [&](uint64_t, std::string_view v) {
    got.emplace_back(v);
    return true;
  });
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_EQ(got, std::vector<std::string>{"good"});
}

TEST_F(LogStoreTest, RefusesAnotherStorageFormat) {
  store_.reset();
  {  // A format-1 directory: a segment column family and no format marker.
    std::filesystem::remove_all(dir_);
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir_.string(), &db).ok());
    rocksdb::ColumnFamilyHandle* cf = nullptr;
    ASSERT_TRUE(
        db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(o), Segment::Name(0, 3'600'000), &cf)
            .ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), cf, RecordKey(1, 1).view(), "old").ok());
    ASSERT_TRUE(db->DestroyColumnFamilyHandle(cf).ok());
    delete db;
  }
  LogStoreOptions o;
  o.dir = dir_.string();
  rocksdb::Status s = LogStore::Open(o, &store_);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("storage format 1"), std::string::npos) << s.ToString();
  {  // A newer format.
    rocksdb::DB* db = nullptr;
    rocksdb::Options opts;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(opts, dir_.string(), &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    ASSERT_TRUE(rocksdb::DB::Open(opts, dir_.string(), cfs, &handles, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "tidelog.storage.format", "9").ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  s = LogStore::Open(o, &store_);
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_NE(s.ToString().find("format 9"), std::string::npos) << s.ToString();
  store_.reset();
}

}  // namespace
}  // namespace tidelog::storage
