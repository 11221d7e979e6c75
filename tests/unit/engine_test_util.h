// Shared helpers for the engine unit tests: a fixture owning a per-test temp dir, a ManualClock
// and an Engine, status assertions, and readers that drain shards through the public API.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tidelog/clock.h"
#include "tidelog/engine.h"
#include "tidelog/options.h"
#include "tidelog/sequence_number.h"
#include "tidelog/status.h"
#include "tidelog/types.h"

// Assert that a Status is OK, printing it otherwise; both accept streamed context (<< ...).
#define ASSERT_OK(expr) ASSERT_TRUE(::tidelog::testing::IsOk((expr), #expr))
#define EXPECT_OK(expr) EXPECT_TRUE(::tidelog::testing::IsOk((expr), #expr))

namespace tidelog::testing {

inline constexpr int64_t kStartMicros = 1'700'000'000'000'000;  // 2023-11-14, a ManualClock origin
inline constexpr int64_t kHourMs = 3600 * 1000;
inline constexpr char kAccount[] = "000000000000";

inline ::testing::AssertionResult IsOk(const Status& s, const char* expr) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr << " -> " << s.ToString();
}

inline std::string Dec(u128 v) { return U128ToDecimal(v); }
inline std::string Dec(const SequenceNumber& v) { return SequenceNumberToDecimal(v); }

// The engine's internal seq inside an external number (either layout).
inline uint64_t InternalSeqOf(const SequenceNumber& n) {
  DecodedSequenceNumber d;
  EXPECT_TRUE(DecodeSequenceNumber(n, &d)) << SequenceNumberToDecimal(n);
  return d.seq;
}
// A number in the layout written before AWS's: seq << 64 | shard index.
inline SequenceNumber LegacySeq(uint64_t seq, uint64_t shard_index) {
  return SequenceNumber{0, (static_cast<u128>(seq) << 64) | shard_index};
}

inline u128 Pow2(int bits) { return static_cast<u128>(1) << bits; }

// MD5 of `key` as a big-endian u128, computed independently of the engine (OpenSSL EVP).
inline u128 Md5BigEndian(std::string_view key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(key.data(), key.size(), digest, &len, EVP_md5(), nullptr), 1);
  EXPECT_EQ(len, 16u);
  u128 v = 0;
  for (unsigned i = 0; i < 16; ++i) v = (v << 8) | digest[i];
  return v;
}

// The AWS CreateStream split of the key space into n shards: step = floor(2^128 / n),
// shard i = [i*step, (i+1)*step - 1], the last ending at 2^128 - 1.
inline std::vector<HashKeyRange> AwsUniformRanges(uint32_t n) {
  // floor(2^128 / n) == floor((2^128 - 1) / n) unless n divides 2^128 (n a power of two).
  u128 step = kMaxHashKey / n;
  if ((n & (n - 1)) == 0) step = (n == 1) ? kMaxHashKey : (Pow2(127) / (n / 2));
  std::vector<HashKeyRange> out;
  for (uint32_t i = 0; i < n; ++i) {
    HashKeyRange r;
    r.starting_hash_key = step * i;
    r.ending_hash_key = (i + 1 == n) ? kMaxHashKey : step * (i + 1) - 1;
    out.push_back(r);
  }
  return out;
}

inline ::testing::AssertionResult StatusIs(const Status& s, ErrorCode code,
                                           std::optional<std::string> message = std::nullopt) {
  if (s.code() != code) {
    return ::testing::AssertionFailure()
           << "expected " << AwsErrorName(code) << ", got " << s.ToString();
  }
  if (message && s.message() != *message) {
    return ::testing::AssertionFailure()
           << "expected message \"" << *message << "\", got \"" << s.message() << "\"";
  }
  return ::testing::AssertionSuccess();
}

inline std::string NotFoundMessage(std::string_view stream) {
  return "Stream " + std::string(stream) + " under account " + kAccount + " not found.";
}

// A record as read back, with the shard it came from.
struct ReadRecord {
  std::string shard_id;
  Record record;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tidelog-unit-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    clock_ = std::make_shared<ManualClock>(kStartMicros);
  }

  void TearDown() override {
    engine_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Defaults for tests: ManualClock, no background retention, quotas off unless a test wants them.
  EngineOptions DefaultOptions() const {
    EngineOptions o;
    o.data_dir = (dir_ / "db").string();
    o.clock = clock_;
    o.retention_interval_ms = 0;
    o.on_demand_interval_ms = 0;  // tests run rounds themselves
    o.quotas_enabled = false;
    return o;
  }

  void Open(const EngineOptions& options) {
    options_ = options;
    engine_.reset();
    const Status s = Engine::Open(options_, &engine_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(engine_, nullptr);
  }
  void Open() { Open(DefaultOptions()); }

  // Closes the engine and opens the same directory again with the same options.
  void Reopen() {
    engine_.reset();
    Open(options_);
  }

  void CreateStream(const std::string& name, int32_t shards) {
    CreateStreamRequest req;
    req.stream_name = name;
    req.shard_count = shards;
    ASSERT_OK(engine_->CreateStream(req));
  }

  std::vector<ShardInfo> Shards(const std::string& stream) {
    std::vector<ShardInfo> shards;
    const Status s = engine_->ListShards(stream, ShardFilter{}, &shards);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return shards;
  }

  std::vector<ShardInfo> OpenShards(const std::string& stream) {
    std::vector<ShardInfo> open;
    for (auto& s : Shards(stream)) {
      if (s.open()) open.push_back(s);
    }
    return open;
  }

  // One record; the put must succeed.
  PutRecordResult Put(const std::string& stream, std::string_view key, std::string_view data,
                      std::optional<u128> explicit_hash = std::nullopt) {
    PutRecordEntry e{key, data, explicit_hash};
    PutRecordResult r;
    const Status s = engine_->PutRecord(stream, e, std::nullopt, &r);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    return r;
  }

  std::string Iterator(const std::string& stream, const std::string& shard, ShardIteratorType type,
                       std::optional<SequenceNumber> seq = std::nullopt,
                       std::optional<int64_t> ts = std::nullopt) {
    std::string it;
    const Status s = engine_->GetShardIterator(stream, shard, type, seq, ts, &it);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return it;
  }

  // Follows the iterator until the end of a closed shard, or until a call returns no records
  // (the tip of an open shard). Bounded so a broken engine cannot loop forever.
  std::vector<Record> Drain(std::string iterator, GetRecordsResult* last = nullptr,
                            int32_t limit = 10000) {
    std::vector<Record> out;
    GetRecordsResult res;
    for (int call = 0; call < 100000 && !iterator.empty(); ++call) {
      res = GetRecordsResult{};
      const Status s = engine_->GetRecords(iterator, limit, &res);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok()) break;
      for (auto& r : res.records) out.push_back(std::move(r));
      iterator = res.next_shard_iterator;
      if (res.records.empty()) break;
    }
    if (last) *last = std::move(res);
    return out;
  }

  std::vector<Record> ReadShard(const std::string& stream, const std::string& shard) {
    return Drain(Iterator(stream, shard, ShardIteratorType::kTrimHorizon));
  }

  // Every record of every listed shard, shards in id order (parents before children).
  std::vector<ReadRecord> ReadStream(const std::string& stream) {
    std::vector<ReadRecord> out;
    for (const auto& shard : Shards(stream)) {
      for (auto& r : ReadShard(stream, shard.shard_id)) out.push_back({shard.shard_id, r});
    }
    return out;
  }

  std::filesystem::path dir_;
  std::shared_ptr<ManualClock> clock_;
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace tidelog::testing
