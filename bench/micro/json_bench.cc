// JSON decode/encode micro-benchmarks of the broker's hot paths: parsing a
// PutRecords body (single-pass fast path, and the general JsonValue parser it
// falls back to) and writing a GetRecords response straight into a string.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "bench/micro/benchmarks.h"
#include "server/kinesis/json_value.h"
#include "server/kinesis/json_writer.h"
#include "server/kinesis/put_fast_path.h"
#include "tidelog/base64.h"

namespace tidelog::bench {
namespace {

// A PutRecords body as boto3 sends it: `n` records of `size` random bytes.
std::string PutRecordsBody(int n, size_t size) {
  std::mt19937_64 rng(42);
  std::string body = "{\"StreamName\":\"bench\",\"Records\":[";
  std::string data(size, '\0');
  for (int i = 0; i < n; ++i) {
    for (auto& c : data) c = static_cast<char>(rng());
    if (i) body += ',';
    body += "{\"Data\":\"" + Base64Encode(data) + "\",\"PartitionKey\":\"user-" +
            std::to_string(rng() % 100000) + "\"}";
  }
  body += "]}";
  return body;
}

void BM_PutRecordsFastParse(benchmark::State& state) {
  const std::string body = PutRecordsBody(static_cast<int>(state.range(0)), 100);
  for (auto _ : state) {
    std::string copy = body;  // the fast path takes ownership of the body
    server::kinesis::FastPut put;
    if (!server::kinesis::ParsePutFast(true, &copy, &put)) state.SkipWithError("rejected");
    benchmark::DoNotOptimize(put.entries.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_PutRecordsGeneralParse(benchmark::State& state) {
  const std::string body = PutRecordsBody(static_cast<int>(state.range(0)), 100);
  for (auto _ : state) {
    server::kinesis::JsonValue value;
    if (!server::kinesis::ParseJson(body, &value)) state.SkipWithError("invalid");
    benchmark::DoNotOptimize(&value);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

// The record array of a GetRecords response, written as the service does.
void BM_GetRecordsResponseEncode(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::string data(100, 'x');
  std::string out;
  for (auto _ : state) {
    out.clear();
    out.reserve(static_cast<size_t>(n) * (Base64EncodedLength(data.size()) + 160));
    out += "{\"Records\":[";
    for (int i = 0; i < n; ++i) {
      if (i) out += ',';
      out += "{\"SequenceNumber\":\"";
      server::kinesis::AppendSequenceNumber(AwsStyleSequenceNumber(i), &out);
      out += "\",\"ApproximateArrivalTimestamp\":";
      server::kinesis::AppendEpochSeconds(1795297124323 + i, &out);
      out += ",\"Data\":";
      server::kinesis::AppendJsonBlob(data, &out);
      out += ",\"PartitionKey\":";
      server::kinesis::AppendJsonString("user-12345", &out);
      out += '}';
    }
    out += "]}";
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}

}  // namespace

void RegisterJsonBenchmarks() {
  benchmark::RegisterBenchmark("Json/PutRecordsFastParse", BM_PutRecordsFastParse)->Arg(500);
  benchmark::RegisterBenchmark("Json/PutRecordsGeneralParse", BM_PutRecordsGeneralParse)->Arg(500);
  benchmark::RegisterBenchmark("Json/GetRecordsResponseEncode", BM_GetRecordsResponseEncode)
      ->Arg(10000);
}

}  // namespace tidelog::bench
