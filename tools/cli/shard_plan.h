// The Kinesis shard calculator's arithmetic (no I/O): how many provisioned
// shards a workload needs under AWS's per-shard limits, which limit binds,
// and what it costs at prices the user supplies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tidelog::cli {

// AWS's per-shard limits. MiB = 2^20 bytes (what AWS's "1 MB/s" means).
inline constexpr double kShardWriteMibps = 1.0;
inline constexpr double kShardWriteRecordsPerSec = 1000.0;
inline constexpr double kShardReadMibps = 2.0;               // shared by classic consumers
inline constexpr double kEnhancedConsumerReadMibps = 2.0;    // per consumer per shard
inline constexpr int kShardGetRecordsCallsPerSec = 5;        // shared by classic consumers
inline constexpr double kPutPayloadUnitBytes = 25.0 * 1024;  // PUT payload unit: 25 KB
inline constexpr double kHoursPerMonth = 730.0;              // AWS pricing's month
inline constexpr double kBytesPerGb = 1024.0 * 1024 * 1024;
// Above this many shards a plan is reported as an error, not a number.
inline constexpr double kMaxPlannedShards = 1e9;

enum class FanOut { kClassic, kEnhanced };

struct PlanPrices {
  std::optional<double> shard_hour;               // per shard-hour
  std::optional<double> put_million_units;        // per million PUT payload units
  std::optional<double> efo_consumer_shard_hour;  // per consumer-shard-hour
  std::optional<double> efo_gb;                   // per GB (2^30 bytes) read by EFO
};

struct PlanInput {
  std::optional<double> write_mibps;
  std::optional<double> records_per_sec;
  std::optional<double> record_bytes;
  int readers = 1;
  FanOut fan_out = FanOut::kClassic;
  double headroom_pct = 20;
  double polls_per_sec = 1;  // GetRecords calls per classic consumer per shard
  PlanPrices prices;
};

// One per-shard limit: the demand with headroom, the limit, and the shards
// it alone needs.
struct PlanConstraint {
  std::string name;  // "write-bytes", "write-records", "read-bytes"
  std::string unit;  // "MiB/s", "records/s"
  double demand = 0;
  double per_shard_limit = 0;
  int64_t shards = 0;
  bool known = true;  // false when the inputs do not determine the demand
};

struct PlanCost {
  std::string item;  // "shard-hours", "put-payload-units", ...
  double per_hour = 0;
  double per_month = 0;
};

struct PlanResult {
  double write_mibps = 0;  // derived or given, before headroom
  std::optional<double> records_per_sec;
  std::optional<double> record_bytes;
  double read_mibps = 0;  // total delivered to all consumers, before headroom
  std::vector<PlanConstraint> constraints;
  int64_t shards = 1;
  std::string binding;  // name of the constraint that set `shards`
  std::vector<std::string> warnings;
  std::vector<PlanCost> costs;  // only the items whose price was given
  double total_per_month = 0;
};

// Fills *result, or returns an error text for inputs that determine no plan
// (nothing about the write rate, or a plan past kMaxPlannedShards). Headroom
// scales the demand before rounding: 0.5 MiB/s with 20% needs 1 shard.
std::optional<std::string> ComputePlan(const PlanInput& input, PlanResult* result);

// ceil(demand / limit), with a relative tolerance so that 6.0000000001 from
// floating-point noise counts as 6; at least 1.
int64_t ShardsFor(double demand, double limit);

}  // namespace tidelog::cli
