// Shard calculator arithmetic: constraints, headroom, binding limit, cost.
#include "tools/cli/shard_plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tidelog::cli {

int64_t ShardsFor(double demand, double limit) {
  if (!(demand > 0) || !(limit > 0)) return 1;
  const double ratio = demand / limit;
  const double shards = std::ceil(ratio - ratio * 1e-12);
  return shards < 1 ? 1 : static_cast<int64_t>(shards);
}

std::optional<std::string> ComputePlan(const PlanInput& in, PlanResult* out) {
  *out = PlanResult{};
  // CLI11's range checks let NaN through (every comparison with it is false).
  for (const std::optional<double>& v :
       {in.write_mibps, in.records_per_sec, in.record_bytes, std::optional<double>(in.headroom_pct),
        std::optional<double>(in.polls_per_sec), in.prices.shard_hour, in.prices.put_million_units,
        in.prices.efo_consumer_shard_hour, in.prices.efo_gb}) {
    if (v && (!std::isfinite(*v) || *v < 0)) return "numbers must be finite and not negative";
  }
  const double bytes_per_mib = 1024.0 * 1024.0;
  // Fill in what the others determine: rate = records/s x size.
  out->records_per_sec = in.records_per_sec;
  out->record_bytes = in.record_bytes;
  if (in.write_mibps) {
    out->write_mibps = *in.write_mibps;
    if (!out->records_per_sec && out->record_bytes && *out->record_bytes > 0)
      out->records_per_sec = *in.write_mibps * bytes_per_mib / *out->record_bytes;
    if (!out->record_bytes && out->records_per_sec && *out->records_per_sec > 0)
      out->record_bytes = *in.write_mibps * bytes_per_mib / *out->records_per_sec;
  } else if (in.records_per_sec && in.record_bytes) {
    out->write_mibps = *in.records_per_sec * *in.record_bytes / bytes_per_mib;
  } else {
    return "give --write-mbps, or --records-per-sec with --record-size";
  }

  const double scale = 1.0 + in.headroom_pct / 100.0;
  const double readers = static_cast<double>(in.readers);
  out->read_mibps = out->write_mibps * readers;

  PlanConstraint write_bytes{"write-bytes", "MiB/s", out->write_mibps * scale, kShardWriteMibps};
  PlanConstraint write_records{"write-records", "records/s", 0, kShardWriteRecordsPerSec};
  if (out->records_per_sec) {
    write_records.demand = *out->records_per_sec * scale;
  } else {
    write_records.known = false;
  }
  PlanConstraint read_bytes{"read-bytes", "MiB/s", 0, kShardReadMibps};
  if (in.fan_out == FanOut::kClassic) {
    // Classic consumers share one shard's 2 MiB/s.
    read_bytes.demand = out->read_mibps * scale;
  } else {
    // Each enhanced consumer has its own 2 MiB/s per shard.
    read_bytes.demand = in.readers > 0 ? out->write_mibps * scale : 0;
    read_bytes.per_shard_limit = kEnhancedConsumerReadMibps;
  }
  out->constraints = {write_bytes, write_records, read_bytes};

  out->shards = 0;
  for (auto& c : out->constraints) {
    c.shards = c.known ? ShardsFor(c.demand, c.per_shard_limit) : 0;
    if (c.shards > out->shards) {
      out->shards = c.shards;
      out->binding = c.name;
    }
  }
  if (!std::isfinite(out->write_mibps) || static_cast<double>(out->shards) > kMaxPlannedShards) {
    return "the plan needs more than 1e9 shards; check the units (--write-mbps is MiB/s)";
  }

  if (in.fan_out == FanOut::kClassic && in.readers > 0) {
    const double calls = readers * in.polls_per_sec;
    if (calls > kShardGetRecordsCallsPerSec) {
      char text[200];
      std::snprintf(text, sizeof(text),
                    "%d classic consumers polling %.3g times/s make %.3g GetRecords calls/s per "
                    "shard, over the limit of %d: use --fan-out enhanced",
                    in.readers, in.polls_per_sec, calls, kShardGetRecordsCallsPerSec);
      out->warnings.push_back(text);
    }
  }
  if (out->record_bytes && *out->record_bytes > 1024.0 * 1024.0) {
    out->warnings.push_back("records over 1 MiB need UpdateMaxRecordSize (up to 10 MiB)");
  }

  const double shards = static_cast<double>(out->shards);
  auto add_cost = [&](const char* item, double per_hour) {
    out->costs.push_back({item, per_hour, per_hour * kHoursPerMonth});
    out->total_per_month += per_hour * kHoursPerMonth;
  };
  if (in.prices.shard_hour) add_cost("shard-hours", shards * *in.prices.shard_hour);
  if (in.prices.put_million_units) {
    if (out->records_per_sec && out->record_bytes) {
      const double units_per_record =
          std::max(1.0, std::ceil(*out->record_bytes / kPutPayloadUnitBytes));
      add_cost("put-payload-units", *out->records_per_sec * units_per_record * 3600.0 / 1e6 *
                                        *in.prices.put_million_units);
    } else {
      out->warnings.push_back("PUT payload units need the record size or the record rate");
    }
  }
  if (in.fan_out == FanOut::kEnhanced) {
    if (in.prices.efo_consumer_shard_hour)
      add_cost("efo-consumer-shard-hours", readers * shards * *in.prices.efo_consumer_shard_hour);
    if (in.prices.efo_gb)
      add_cost("efo-data-retrieval",
               out->read_mibps * 1024.0 * 1024.0 * 3600.0 / kBytesPerGb * *in.prices.efo_gb);
  } else if (in.prices.efo_consumer_shard_hour || in.prices.efo_gb) {
    out->warnings.push_back("enhanced fan-out prices ignored with --fan-out classic");
  }
  return std::nullopt;
}

}  // namespace tidelog::cli
