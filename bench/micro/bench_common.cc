// Shared plumbing of the micro-benchmarks; see bench_common.h.
#include "bench/micro/bench_common.h"

#include <stdlib.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <system_error>
#include <thread>
#include <vector>

#include "storage/log_store.h"

namespace tidelog::bench {
namespace {

constexpr size_t kKeyPoolSize = 1 << 16;
constexpr size_t kDataPoolBytes = 4 << 20;
// Matches EngineOptions' defaults, which the benchmarks keep.
constexpr size_t kWriteBufferBytes = 64 << 20;
constexpr size_t kBlockCacheBytes = 64 << 20;

struct Pools {
  std::vector<std::string> keys;
  std::vector<uint32_t> shards;
  std::string data;
};

const Pools& GetPools() {
  static const Pools pools = [] {
    Pools p;
    std::mt19937_64 rng(0x7469'6465'6c6f'67ULL);
    static constexpr char kKeyChars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    p.keys.reserve(kKeyPoolSize);
    p.shards.reserve(kKeyPoolSize);
    for (size_t i = 0; i < kKeyPoolSize; ++i) {
      std::string key(kPartitionKeyBytes, '\0');
      for (char& c : key) c = kKeyChars[rng() % (sizeof(kKeyChars) - 1)];
      p.keys.push_back(std::move(key));
      p.shards.push_back(static_cast<uint32_t>(rng() % kAppendShards));
    }
    p.data.resize(kDataPoolBytes);
    for (size_t i = 0; i < kDataPoolBytes; i += 8) {
      uint64_t v = rng();
      std::memcpy(p.data.data() + i, &v, 8);
    }
    return p;
  }();
  return pools;
}

void PutBigEndian64(uint64_t v, char* out) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

}  // namespace

TempDir::TempDir(std::string_view tag) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string templ = (base / ("tidelog-bench-" + std::string(tag) + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RecordCursor::RecordCursor(size_t data_bytes, uint64_t seed)
    : data_bytes_(data_bytes),
      key_index_((seed * 7919) % kKeyPoolSize),
      data_offset_((seed * 104729) % (kDataPoolBytes - data_bytes)) {}

void RecordCursor::Next(std::string_view* partition_key, std::string_view* data,
                        uint32_t* raw_shard) {
  const Pools& pools = GetPools();
  *partition_key = pools.keys[key_index_];
  *raw_shard = pools.shards[key_index_];
  *data = std::string_view(pools.data).substr(data_offset_, data_bytes_);
  key_index_ = (key_index_ + 1) % kKeyPoolSize;
  data_offset_ += 4099;  // odd stride: successive records differ
  if (data_offset_ + data_bytes_ > kDataPoolBytes) data_offset_ %= 4099;
}

std::string OpenBenchEngine(const std::string& dir, Durability durability, int32_t shards,
                            std::unique_ptr<Engine>* engine) {
  GetPools();  // build the pools outside any timed region
  if (dir.empty()) return "cannot create a temp dir";
  EngineOptions options;
  options.data_dir = dir;
  options.durability = durability;
  options.quotas_enabled = false;
  options.retention_interval_ms = 0;
  options.write_buffer_bytes = kWriteBufferBytes;
  options.block_cache_bytes = kBlockCacheBytes;
  Status s = Engine::Open(options, engine);
  if (!s.ok()) return "Engine::Open: " + s.ToString();
  CreateStreamRequest request;
  request.stream_name = std::string(kStreamName);
  request.shard_count = shards;
  s = (*engine)->CreateStream(request);
  if (!s.ok()) return "CreateStream: " + s.ToString();
  for (int i = 0; i < 10000; ++i) {
    StreamInfo info;
    s = (*engine)->DescribeStream(kStreamName, &info);
    if (!s.ok()) return "DescribeStream: " + s.ToString();
    if (info.status == StreamStatus::kActive) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return "stream did not become ACTIVE";
}

rocksdb::Options RawOptions() {
  // The engine's own RocksDB settings, with a segment column family's options
  // on the default column family the raw side writes to.
  storage::LogStoreOptions store;
  store.write_buffer_bytes = kWriteBufferBytes;
  store.block_cache_bytes = kBlockCacheBytes;
  const rocksdb::Options db = storage::LogStoreDbOptions(store);
  return rocksdb::Options(rocksdb::DBOptions(db), storage::SegmentColumnFamilyOptions(db));
}

std::string OpenRawDb(const std::string& dir, std::unique_ptr<rocksdb::DB>* db) {
  GetPools();
  if (dir.empty()) return "cannot create a temp dir";
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(RawOptions(), dir, &raw);
  if (!s.ok()) return "rocksdb::DB::Open: " + s.ToString();
  db->reset(raw);
  return {};
}

void EncodeRawKey(uint64_t shard, uint64_t sequence, char out[16]) {
  PutBigEndian64(shard, out);
  PutBigEndian64(sequence, out + 8);
}

void EncodeRawValue(int64_t arrival_millis, std::string_view partition_key, std::string_view data,
                    std::string* out) {
  const uint32_t pk_len = static_cast<uint32_t>(partition_key.size());
  const uint32_t data_len = static_cast<uint32_t>(data.size());
  out->resize(kRecordFramingBytes + pk_len + data_len);
  char* p = out->data();
  std::memset(p, 0, kRecordFramingBytes - 16);  // vtable/offset stand-in
  p += kRecordFramingBytes - 16;
  std::memcpy(p, &arrival_millis, 8);
  std::memcpy(p + 8, &pk_len, 4);
  std::memcpy(p + 12, partition_key.data(), pk_len);
  p += 12 + pk_len;
  std::memcpy(p, &data_len, 4);
  std::memcpy(p + 4, data.data(), data_len);
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace tidelog::bench
