// Registration entry points of the micro-benchmark groups, called by main.cc.
#pragma once

namespace tidelog::bench {

// Engine vs raw RocksDB appends; `min_time` seconds per benchmark.
void RegisterAppendBenchmarks(double min_time);
// Engine GetRecords drain vs raw RocksDB iterator scan.
void RegisterReadBenchmarks(double min_time);
// Frees the pre-filled read stores and their temp dirs.
void ReleaseReadFixtures();
// PartitionKeyHash, U128 decimal, base64.
void RegisterHelperBenchmarks();
// The broker's JSON hot paths: PutRecords parsing, GetRecords encoding.
void RegisterJsonBenchmarks();
// JSON vs CBOR, same data: PutRecords parsing, GetRecords writing.
void RegisterCborBenchmarks();

}  // namespace tidelog::bench
