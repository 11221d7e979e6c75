// The engine on a full disk (a small tmpfs mounted by the test): appends are
// refused with kDiskFull (a clean, retryable error naming no path) below the
// free-space reserve, reads keep working, DeleteStream is accepted and frees
// space, appends resume by themselves, acknowledged records stay readable,
// and reopening on a full disk does not abort.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <random>

#include "../storage/small_fs.h"
#include "tidelog/engine.h"

namespace tidelog {
namespace {

using tidelog::testing::PollUntil;
using tidelog::testing::SmallFs;
using namespace std::chrono_literals;

class EngineDiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!fs_.Mount(24, &why)) GTEST_SKIP() << why;
  }
  void TearDown() override {
    engine_.reset();
    fs_.Unmount();
    if (HasFailure()) {
      std::lock_guard<std::mutex> lock(log_mu_);
      for (const std::string& line : log_) std::printf("[ engine log ] %s\n", line.c_str());
    }
  }
  Status Open() {
    engine_.reset();
    EngineOptions o;
    o.data_dir = fs_.dir() + "/data";
    o.retention_interval_ms = 0;
    o.quotas_enabled = false;
    o.block_cache_bytes = 1 << 20;
    o.write_buffer_bytes = 2 << 20;
    o.min_free_bytes = 6 << 20;
    o.log_sink = [this](LogSeverity, std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.emplace_back(line);
    };
    return Engine::Open(o, &engine_);
  }
  Status Put(const std::string& stream, std::vector<std::string>* acked) {
    std::vector<PutRecordEntry> batch;
    std::string data(64 << 10, '\0');
    for (char& c : data) c = static_cast<char>(rng_());
    std::vector<std::string> keys;  // PutRecordEntry only views its key
    for (int i = 0; i < 4; ++i) keys.push_back("k" + std::to_string(rng_()));
    for (const std::string& key : keys) batch.push_back({key, data, std::nullopt});
    std::vector<PutRecordResult> results;
    Status s = engine_->PutRecords(stream, batch, &results);
    if (s.ok())
      for (const auto& r : results)
        if (r.status.ok()) acked->push_back(SequenceNumberToDecimal(r.sequence_number));
    return s;
  }
  // Every record of `stream` from TRIM_HORIZON, as decimal sequence numbers.
  std::vector<std::string> ReadAll(const std::string& stream) {
    std::vector<std::string> seqs;
    std::vector<ShardInfo> shards;
    EXPECT_TRUE(engine_->ListShards(stream, {}, &shards).ok());
    for (const auto& sh : shards) {
      std::string it;
      Status s = engine_->GetShardIterator(stream, sh.shard_id, ShardIteratorType::kTrimHorizon, {},
                                           {}, &it);
      EXPECT_TRUE(s.ok()) << s.ToString();
      for (int i = 0; i < 100 && !it.empty(); ++i) {
        GetRecordsResult page;
        s = engine_->GetRecords(it, 10000, &page);
        EXPECT_TRUE(s.ok()) << s.ToString();
        if (!s.ok() || page.records.empty()) break;
        for (const auto& r : page.records)
          seqs.push_back(SequenceNumberToDecimal(r.sequence_number));
        it = page.next_shard_iterator;
      }
    }
    std::sort(seqs.begin(), seqs.end());
    return seqs;
  }

  // Every acknowledged record of `stream` is read back. Records of a put that
  // failed may be read too: its group is written once the store can write
  // again (as after a crash, a failed put may have landed): at least once,
  // never lost.
  void ExpectEveryAcknowledgedRecord(const std::string& stream, std::vector<std::string> acked) {
    std::sort(acked.begin(), acked.end());
    const std::vector<std::string> read = ReadAll(stream);
    std::vector<std::string> missing, extra;
    std::set_difference(acked.begin(), acked.end(), read.begin(), read.end(),
                        std::back_inserter(missing));
    std::set_difference(read.begin(), read.end(), acked.begin(), acked.end(),
                        std::back_inserter(extra));
    EXPECT_TRUE(missing.empty()) << missing.size() << " of " << acked.size()
                                 << " acknowledged records of " << stream << " not read";
    if (!extra.empty()) {
      std::printf("[ note ] %zu records of failed puts to %s were written later\n", extra.size(),
                  stream.c_str());
    }
  }

  SmallFs fs_;
  std::unique_ptr<Engine> engine_;
  std::mt19937_64 rng_{42};
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(EngineDiskFullTest, RefusesAppendsReadsWorkDeleteFreesAndWritesResume) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(engine_->CreateStream({.stream_name = "keep", .shard_count = 1}).ok());
  // One shard: each flushed file then overlaps only the newest files of the
  // level below, so the compactions that free the space stay small. (With
  // many shards in a segment, a compaction can rewrite most of it, and near a
  // full disk it may not find the room; see ARCHITECTURE.md.)
  ASSERT_TRUE(engine_->CreateStream({.stream_name = "bulk", .shard_count = 1}).ok());
  std::vector<std::string> keep, bulk;
  ASSERT_TRUE(Put("keep", &keep).ok());
  Status s;
  for (int i = 0; i < 2000 && s.ok(); ++i) s = Put("bulk", &bulk);
  ASSERT_EQ(s.code(), ErrorCode::kDiskFull) << s.ToString();
  EXPECT_EQ(s.aws_name(), "ServiceUnavailable");
  EXPECT_EQ(s.message(),
            "The broker's data disk is full; writes are refused until space is freed.");
  EXPECT_EQ(s.message().find('/'), std::string::npos);
  // Control-plane writes that add data are refused too (free space moves
  // as compactions finish, so refill and retry, bounded).
  Status create;
  for (int i = 0; i < 50; ++i) {
    while (Put("bulk", &bulk).ok()) {
    }
    create = engine_->CreateStream({.stream_name = "more", .shard_count = 1});
    if (!create.ok()) break;
    ASSERT_TRUE(engine_->DeleteStream("more", false).ok());
  }
  EXPECT_EQ(create.code(), ErrorCode::kDiskFull) << create.ToString();

  // Reads keep working.
  StreamInfo info;
  EXPECT_TRUE(engine_->DescribeStream("bulk", &info).ok());
  ExpectEveryAcknowledgedRecord("keep", keep);
  ExpectEveryAcknowledgedRecord("bulk", bulk);

  // DeleteStream is accepted and, with retention's purge, frees space. While
  // a flush or compaction that met the full disk is being resumed the store
  // answers kDiskFull (503, which clients retry); nothing else.
  const uint64_t before = fs_.FreeBytes();
  // A DeleteStream that failed was still applied (its group is written once
  // the store can write): a retry then finds no stream, as on AWS after a
  // lost answer.
  Status deleted;
  bool refused_before = false;
  ASSERT_GE(PollUntil(
                [&] {
                  deleted = engine_->DeleteStream("bulk", false);
                  if (refused_before && deleted.code() == ErrorCode::kResourceNotFound) return true;
                  EXPECT_TRUE(deleted.ok() || deleted.code() == ErrorCode::kDiskFull)
                      << deleted.ToString();
                  refused_before = refused_before || deleted.code() == ErrorCode::kDiskFull;
                  return deleted.ok();
                },
                30s)
                .count(),
            0)
      << deleted.ToString();
  // A purge round, or its flush, whose compaction met the full disk is
  // retried (the retention thread's next round, within a second while the
  // store is degraded; here by hand), and RocksDB deletes obsolete files in
  // the background: poll (bounded).
  EXPECT_GE(PollUntil(
                [&] {
                  (void)engine_->RunRetention();
                  (void)engine_->Flush();
                  return fs_.FreeBytes() > before + (4 << 20);
                },
                30s)
                .count(),
            0)
      << "DeleteStream freed no space: " << fs_.FreeBytes() << " free, " << before << " before";

  // Appends resume by themselves (free space is re-read every 100 ms).
  const auto took = PollUntil([&] { return Put("keep", &keep).ok(); }, 30s);
  ASSERT_GE(took.count(), 0);
  std::printf("[ measured ] PutRecords resumed %lld ms after DeleteStream's purge\n",
              static_cast<long long>(took.count()));
  ExpectEveryAcknowledgedRecord("keep", keep);
}

TEST_F(EngineDiskFullTest, ResumesAfterTheFilesystemGrowsAndReopensOnAFullDisk) {
  ASSERT_TRUE(Open().ok());
  ASSERT_TRUE(engine_->CreateStream({.stream_name = "s", .shard_count = 1}).ok());
  std::vector<std::string> acked;
  ASSERT_TRUE(Put("s", &acked).ok());
  fs_.Fill();  // truly full, beneath the engine
  Status s = Put("s", &acked);
  for (int i = 0; i < 200 && s.ok(); ++i) s = Put("s", &acked);
  ASSERT_EQ(s.code(), ErrorCode::kDiskFull) << s.ToString();
  ExpectEveryAcknowledgedRecord("s", acked);

  // Reopen on the full disk: must not abort (it may fail cleanly).
  engine_.reset();
  s = Open();
  if (s.ok()) {
    std::sort(acked.begin(), acked.end());
    ExpectEveryAcknowledgedRecord("s", acked);
  }
  ASSERT_TRUE(fs_.Resize(64));
  if (!engine_) {
    ASSERT_TRUE(Open().ok());
  }
  const auto took = PollUntil([&] { return Put("s", &acked).ok(); }, 30s);
  ASSERT_GE(took.count(), 0) << "writes did not resume after the filesystem grew";
  std::printf("[ measured ] PutRecords resumed %lld ms after the tmpfs grew\n",
              static_cast<long long>(took.count()));
  ExpectEveryAcknowledgedRecord("s", acked);
  ASSERT_TRUE(Open().ok());
  ExpectEveryAcknowledgedRecord("s", acked);
}

}  // namespace
}  // namespace tidelog
