// The Kinesis service limits the engine enforces, in one place. Values are
// AWS's documented quotas (Amazon Kinesis Data Streams developer guide,
// "Quotas and limits", and the API reference of each operation).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tidelog {

inline constexpr int32_t kMinRetentionHours = 24;
inline constexpr int32_t kMaxRetentionHours = 8760;  // 365 days
inline constexpr int32_t kMaxTagsPerStream = 50;
// UpdateMaxRecordSize / CreateStream MaxRecordSizeInKiB.
inline constexpr int32_t kDefaultMaxRecordSizeKiB = 1024;
inline constexpr int32_t kMaxMaxRecordSizeKiB = 10240;
// PutRecords: the whole request's Data and partition keys (AWS raised it
// from 5 MiB with 10 MiB records).
inline constexpr size_t kMaxPutRecordsRequestBytes = size_t{10} << 20;
// Warm throughput of an on-demand stream: at most 10 GiB/s.
inline constexpr int32_t kMaxWarmThroughputMiBps = 10240;
inline constexpr int32_t kMaxConsumersPerStream = 20;  // enhanced fan-out
inline constexpr int32_t kOnDemandDefaultShards = 4;   // an ON_DEMAND stream's start
inline constexpr int32_t kMaxShardsPerStream = 10000;  // UpdateShardCount's target
inline constexpr size_t kMaxScalingsPerDay = 10;       // UpdateShardCount, rolling 24 h
inline constexpr int64_t kDayMs = 24LL * 3600 * 1000;
// A minimum throughput billing commitment's shortest duration.
inline constexpr int64_t kMinCommitmentMs = kDayMs;

// GetRecords: at most this many records (Limit) and bytes per call.
inline constexpr int32_t kMaxGetRecordsLimit = 10000;
inline constexpr size_t kMaxGetRecordsBytes = 10 << 20;

}  // namespace tidelog
