// JSON vs CBOR on the broker's hot paths, same data, same run: a 500-record
// PutRecords body through each format's single-pass fast path (and each
// general tree parser), and a 1000-record GetRecords response through each
// format's direct writer (record_bodies.h, what the service sends).
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "bench/micro/benchmarks.h"
#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/put_fast_path.h"
#include "server/kinesis/record_bodies.h"
#include "tidelog/base64.h"

namespace tidelog::bench {
namespace {

namespace k = server::kinesis;

// The same `n` records of `size` random bytes, as boto3 (JSON) and the Java
// SDK v2 (CBOR: indefinite maps and array, byte-string Data) send them.
std::string PutRecordsBody(bool cbor, int n, size_t size) {
  std::mt19937_64 rng(42);
  std::string data(size, '\0');
  std::string body;
  if (cbor) {
    body = "\xbf";
    k::AppendCborText("StreamName", &body);
    k::AppendCborText("bench", &body);
    k::AppendCborText("Records", &body);
    body += '\x9f';
  } else {
    body = "{\"StreamName\":\"bench\",\"Records\":[";
  }
  for (int i = 0; i < n; ++i) {
    for (auto& c : data) c = static_cast<char>(rng());
    const std::string key = "user-" + std::to_string(rng() % 100000);
    if (cbor) {
      body += '\xbf';
      k::AppendCborText("Data", &body);
      k::AppendCborBytes(data, &body);
      k::AppendCborText("PartitionKey", &body);
      k::AppendCborText(key, &body);
      body += '\xff';
    } else {
      if (i) body += ',';
      body += "{\"Data\":\"" + Base64Encode(data) + "\",\"PartitionKey\":\"" + key + "\"}";
    }
  }
  body += cbor ? "\xff\xff" : "]}";
  return body;
}

void BM_PutRecordsFastParse(benchmark::State& state, bool cbor) {
  const std::string body = PutRecordsBody(cbor, static_cast<int>(state.range(0)), 100);
  for (auto _ : state) {
    std::string copy = body;  // the fast path takes ownership of the body
    k::FastPut put;
    const bool ok =
        cbor ? k::ParsePutFastCbor(true, &copy, &put) : k::ParsePutFast(true, &copy, &put);
    if (!ok) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(put.entries.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_PutRecordsGeneralParse(benchmark::State& state, bool cbor) {
  const std::string body = PutRecordsBody(cbor, static_cast<int>(state.range(0)), 100);
  for (auto _ : state) {
    k::JsonValue value;
    const bool ok = cbor ? k::ParseCbor(body, &value) : k::ParseJson(body, &value);
    if (!ok) state.SkipWithError("invalid");
    benchmark::DoNotOptimize(&value);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_GetRecordsResponse(benchmark::State& state, bool cbor) {
  GetRecordsResult result;
  std::mt19937_64 rng(7);
  for (int64_t i = 0; i < state.range(0); ++i) {
    Record r;
    r.sequence_number = AwsStyleSequenceNumber(i);
    r.arrival_millis = 1795297124323 + i;
    r.partition_key = "user-" + std::to_string(rng() % 100000);
    r.data.resize(100);
    for (auto& c : r.data) c = static_cast<char>(rng());
    result.records.push_back(std::move(r));
  }
  result.next_shard_iterator = std::string(200, 'A');
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = cbor ? k::GetRecordsCborBody(result) : k::GetRecordsJsonBody(result);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

}  // namespace

void RegisterCborBenchmarks() {
  for (bool cbor : {false, true}) {
    const std::string f = cbor ? "Cbor" : "Json";
    benchmark::RegisterBenchmark(("WireFormat/PutRecordsFastParse/" + f).c_str(),
                                 BM_PutRecordsFastParse, cbor)
        ->Arg(500);
    benchmark::RegisterBenchmark(("WireFormat/PutRecordsGeneralParse/" + f).c_str(),
                                 BM_PutRecordsGeneralParse, cbor)
        ->Arg(500);
    benchmark::RegisterBenchmark(("WireFormat/GetRecordsResponse/" + f).c_str(),
                                 BM_GetRecordsResponse, cbor)
        ->Arg(1000);
  }
}

}  // namespace tidelog::bench
