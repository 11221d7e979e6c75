// EngineOptions: everything that configures an Engine, with documented defaults.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tidelog/clock.h"
#include "tidelog/types.h"

namespace rocksdb {
class Env;
}

namespace tidelog {

enum class Durability {
  // An append is acknowledged only after the WAL group holding it is fsynced.
  // Survives power loss (if the disk honours flushes).
  kSync,
  // Acknowledged once written to the WAL in the OS page cache. Survives a
  // process crash, not power loss.
  kAsync,
};

enum class LogSeverity { kInfo, kWarning, kError };

// Receives one log line (no trailing newline) from any thread, including
// RocksDB's background threads; must be thread-safe and must not call back
// into the engine.
using LogSink = std::function<void(LogSeverity severity, std::string_view line)>;

struct EngineOptions {
  // Directory of the RocksDB database. Created if missing.
  std::string data_dir = "./data";

  // Default: kSync.
  Durability durability = Durability::kSync;

  // Time source. Default: SystemClock().
  std::shared_ptr<Clock> clock;

  // Per-shard quota applied to streams without their own override.
  // Default: the AWS defaults (1 MiB/s and 1000 records/s write, 2 MiB/s and
  // 5 calls/s read).
  ShardQuota default_quota;
  // false disables every quota (broker `--quotas off`). Default: true.
  bool quotas_enabled = true;

  // Identity used in ARNs and error messages.
  std::string account_id = "000000000000";
  std::string region = "us-east-1";

  // Maximum number of shards (open or closed, not expired) across all
  // streams. Default: 20000.
  int32_t shard_limit = 20000;
  int32_t on_demand_stream_count_limit = 50;

  // Records live in time-segment column families. A segment covers
  // max(segment_min_window_ms, longest retention / max_segments), so the
  // number of column families stays bounded whatever the shard count.
  int64_t segment_min_window_ms = 60LL * 60 * 1000;  // 1 hour
  int32_t max_segments = 48;

  // How often a background thread enforces retention (drops expired segments,
  // deletes expired shard ranges, expires closed shards). 0: never in the
  // background; call Engine::RunRetention() instead. Default: 60 s.
  int64_t retention_interval_ms = 60 * 1000;

  // ON_DEMAND streams: how often the engine measures each open shard's write
  // demand and splits hot shards or merges cold adjacent pairs
  // (engine_on_demand.cc). 0: never in the background; call
  // Engine::RunOnDemandScaling() instead. Default: 10 s.
  int64_t on_demand_interval_ms = 10 * 1000;
  // After it reshards an on-demand stream, the engine leaves that stream
  // alone for this long, so capacity follows demand without flapping.
  // Default: 60 s.
  int64_t on_demand_cooldown_ms = 60 * 1000;

  // Shard iterators expire after this long. Default: 300000 ms, as AWS.
  int64_t iterator_ttl_ms = 300 * 1000;

  // How long a stream stays CREATING after CreateStream, UPDATING after a
  // reshard or a mode, encryption or warm-throughput change, and DELETING
  // (listed, but gone for data) after DeleteStream, as on AWS. Operations AWS
  // refuses in those states are refused meanwhile. Default: 0 (instant);
  // tidelogd defaults to 500 ms, as kinesalite and kinesis-mock.
  int64_t stream_transition_ms = 0;

  // SubscribeToShard: a subscription ends cleanly this long after it began
  // (the client resubscribes from its ContinuationSequenceNumber). Default:
  // 300000 ms, as AWS.
  int64_t subscription_lifetime_ms = 300 * 1000;
  // SubscribeToShard read rate per consumer per shard while quotas are
  // enabled, independent of the shard's GetRecords quota. 0: unlimited.
  // Default: 2 MiB/s, as AWS.
  uint64_t subscription_bytes_per_sec = 2 << 20;
  // AWS's rule: one active subscription per consumer and shard (a second
  // within 5 s of the first is refused, a later one takes over). false allows
  // any number at once, for load tests that fan one shard out to more
  // subscribers than the 20 consumers a stream may have. Default: true.
  bool exclusive_subscriptions = true;

  // Largest group commit (bytes of record payload) written as one WriteBatch.
  // Default: 8 MiB.
  size_t max_group_bytes = 8 << 20;

  // RocksDB block cache and memtable budget shared by all column families.
  size_t block_cache_bytes = 64 << 20;
  size_t write_buffer_bytes = 64 << 20;

  // Free-space reserve of the filesystem holding data_dir. While less than
  // this is free, calls that add data (PutRecord(s), CreateStream, resharding,
  // tags, consumers...) fail with ErrorCode::kDiskFull before touching the
  // disk, so the space left lets RocksDB flush and compact and lets
  // DeleteStream and retention free space. Writes resume by themselves once
  // space is back. 0 disables the check (RocksDB then meets ENOSPC itself,
  // which also fails writes with kDiskFull, but deletions may fail too).
  // Default: 64 MiB, two memtable flushes' worth (memtables are 32 MiB).
  uint64_t min_free_bytes = 64ULL << 20;

  // Where the engine and RocksDB log (RocksDB writes no LOG file). Default
  // (empty): warnings and errors to stderr.
  LogSink log_sink;

  // The RocksDB Env the store does its file I/O through: an embedder's own
  // (an encrypted or instrumented file system), or the fault-injecting one of
  // the power-loss tests. Not owned; must outlive the engine. Default
  // (nullptr): rocksdb::Env::Default().
  rocksdb::Env* storage_env = nullptr;
};

}  // namespace tidelog
