// Per-stream capacity settings: the capacity mode (UpdateStreamMode, with or
// without a warm throughput), the largest record (UpdateMaxRecordSize,
// CreateStream's MaxRecordSizeInKiB) and an on-demand stream's warm
// throughput (UpdateStreamWarmThroughput, CreateStream's and
// UpdateStreamMode's WarmThroughputMiBps).
//
// AWS's rules (API reference): records of up to 1024..10240 KiB; warm
// throughput only on ON_DEMAND streams, in accounts with the minimum
// throughput billing commitment enabled, up to 10 GiB/s. Tidelog has no
// partitions to pre-warm, so a stream handles its warm throughput at once
// (CurrentMiBps == TargetMiBps).
#include <string>

#include "engine/src/engine_impl.h"
#include "engine/src/limits.h"
#include "engine/src/messages.h"

namespace tidelog {

Status EngineImpl::CheckWarmThroughput(std::string_view stream, StreamMode mode, int32_t mibps) {
  if (mode != StreamMode::kOnDemand) {
    return Status::InvalidArgument("Warm throughput is not supported for stream " +
                                   std::string(stream) + " under account " + account() +
                                   " because it is not in ON_DEMAND mode.");
  }
  if (mibps > kMaxWarmThroughputMiBps) {
    return Status::LimitExceeded("Requested warm throughput of " + std::to_string(mibps) +
                                 " MiBps for stream " + std::string(stream) +
                                 " exceeds the limit of " +
                                 std::to_string(kMaxWarmThroughputMiBps) + " MiBps.");
  }
  AccountSettings settings;
  Status s = DescribeAccountSettings(&settings);
  if (!s.ok()) return s;
  if (settings.commitment == CommitmentStatus::kDisabled) {
    return Status::InvalidArgument(
        "Warm throughput requires the MinimumThroughputBillingCommitment to be enabled for "
        "account " +
        account() + ".");
  }
  return Status::OK();
}

Status EngineImpl::UpdateMaxRecordSize(std::string_view name, int32_t kib) {
  if (kib < kDefaultMaxRecordSizeKiB || kib > kMaxMaxRecordSizeKiB) {
    return msg::Validation({msg::Constraint(std::to_string(kib), "maxRecordSizeInKiB",
                                            kib < kDefaultMaxRecordSizeKiB
                                                ? "have value greater than or equal to 1024"
                                                : "have value less than or equal to 10240")});
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    if (Status active = RequireActive(*s); !active.ok()) return active;
    s->max_record_size_kib = kib;
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

Status EngineImpl::UpdateStreamWarmThroughput(std::string_view name, int32_t mibps,
                                              WarmThroughput* warm) {
  if (mibps < 0) {
    return msg::Validation({msg::Constraint(std::to_string(mibps), "warmThroughputMiBps",
                                            "have value greater than or equal to 0")});
  }
  StreamMode mode = StreamMode::kProvisioned;
  {
    std::shared_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    mode = s->mode;
  }
  Status st = CheckWarmThroughput(name, mode, mibps);
  if (!st.ok()) return st;
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    if (s->mode != StreamMode::kOnDemand) return CheckWarmThroughput(name, s->mode, mibps);
    if (Status active = RequireActive(*s); !active.ok()) return active;
    s->warm_target_mibps = mibps;
    MarkUpdating(s);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    warm->target_mibps = mibps;
    warm->current_mibps = mibps;
    return Status::OK();
  });
}

Status EngineImpl::UpdateStreamMode(std::string_view name, StreamMode mode,
                                    std::optional<int32_t> warm_mibps) {
  if (warm_mibps) {
    if (*warm_mibps < 0) {
      return msg::Validation({msg::Constraint(std::to_string(*warm_mibps), "warmThroughputMiBps",
                                              "have value greater than or equal to 0")});
    }
    Status st = CheckWarmThroughput(name, mode, *warm_mibps);
    if (!st.ok()) return st;
  }
  return Mutate([&](storage::LogBatch* batch) -> Status {
    std::unique_lock<std::shared_mutex> lock(catalog_.mu);
    StreamState* s = FindStream(name);
    if (!s) return msg::StreamNotFound(name, account());
    if (Status active = RequireActive(*s); !active.ok()) return active;
    if (s->mode == mode) {
      return Status::InvalidArgument("Stream " + std::string(name) + " under account " + account() +
                                     " is already in " + std::string(ToString(mode)) + " mode.");
    }
    s->mode = mode;
    // A warm throughput was checked above (ON_DEMAND only); PROVISIONED has none.
    if (warm_mibps) s->warm_target_mibps = *warm_mibps;
    if (mode != StreamMode::kOnDemand) s->warm_target_mibps = 0;
    MarkUpdating(s);
    batch->PutMeta(StreamMetaKey(s->uid), EncodeStreamMeta(*s));
    return Status::OK();
  });
}

}  // namespace tidelog
