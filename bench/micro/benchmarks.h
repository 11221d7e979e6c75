// Registration entry points of the micro-benchmark groups, called by main.cc.
#pragma once

#include <cstdint>

#include "tidelog/sequence_number.h"

namespace tidelog::bench {

// Record `i`'s sequence number as the broker hands it out (AWS's 56-digit
// layout): shard 3, a 2026 arrival time.
inline SequenceNumber AwsStyleSequenceNumber(int64_t i) {
  return EncodeSequenceNumber((1795297124323ULL << 20) + static_cast<uint64_t>(i), 3, 1795297000);
}

// Engine vs raw RocksDB appends; `min_time` seconds per benchmark.
void RegisterAppendBenchmarks(double min_time);
// Engine GetRecords drain vs raw RocksDB iterator scan.
void RegisterReadBenchmarks(double min_time);
// Frees the pre-filled read stores and their temp dirs.
void ReleaseReadFixtures();
// PartitionKeyHash, u128 and sequence-number decimal, base64.
void RegisterHelperBenchmarks();
// The broker's JSON hot paths: PutRecords parsing, GetRecords encoding.
void RegisterJsonBenchmarks();
// JSON vs CBOR, same data: PutRecords parsing, GetRecords writing.
void RegisterCborBenchmarks();

}  // namespace tidelog::bench
