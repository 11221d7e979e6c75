// Hot helpers of the public API on every request path: the routing hash
// (PartitionKeyHash), sequence-number decimal text, and base64.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "bench/micro/benchmarks.h"
#include "tidelog/base64.h"
#include "tidelog/types.h"

namespace tidelog::bench {
namespace {

constexpr size_t kPool = 1024;  // power of two: index with & (kPool - 1)

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

void BM_PartitionKeyHash(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::vector<std::string> keys;
  for (size_t i = 0; i < kPool; ++i) {
    std::string k(static_cast<size_t>(state.range(0)), '\0');
    for (char& c : k) c = static_cast<char>('a' + rng() % 26);
    keys.push_back(std::move(k));
  }
  size_t i = 0;
  for (auto _ : state) {
    u128 h = PartitionKeyHash(keys[i++ & (kPool - 1)]);
    benchmark::DoNotOptimize(h);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Sequence numbers use the whole 128 bits, so the text is ~38-39 digits.
std::vector<u128> RandomU128s() {
  std::mt19937_64 rng(2);
  std::vector<u128> v;
  for (size_t i = 0; i < kPool; ++i) v.push_back((static_cast<u128>(rng()) << 64) | rng());
  return v;
}

void BM_U128ToDecimal(benchmark::State& state) {
  const std::vector<u128> values = RandomU128s();
  size_t i = 0;
  for (auto _ : state) {
    std::string s = U128ToDecimal(values[i++ & (kPool - 1)]);
    benchmark::DoNotOptimize(s.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// 186-bit numbers in AWS's layout: 56 digits.
std::vector<SequenceNumber> RandomSequenceNumbers() {
  std::mt19937_64 rng(3);
  std::vector<SequenceNumber> v;
  for (size_t i = 0; i < kPool; ++i) {
    v.push_back(
        SequenceNumber{(2ULL << 56) | (rng() >> 8), (static_cast<u128>(rng()) << 64) | rng()});
  }
  return v;
}

void BM_SequenceNumberToDecimal(benchmark::State& state) {
  const std::vector<SequenceNumber> values = RandomSequenceNumbers();
  size_t i = 0;
  char buf[kMaxSequenceNumberDecimalChars];
  for (auto _ : state) {
    char* end = WriteSequenceNumberDecimal(values[i++ & (kPool - 1)], buf);
    benchmark::DoNotOptimize(end);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseSequenceNumber(benchmark::State& state) {
  std::vector<std::string> texts;
  for (const SequenceNumber& v : RandomSequenceNumbers())
    texts.push_back(SequenceNumberToDecimal(v));
  size_t i = 0;
  for (auto _ : state) {
    SequenceNumber v;
    bool ok = ParseSequenceNumber(texts[i++ & (kPool - 1)], &v);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseU128Decimal(benchmark::State& state) {
  std::vector<std::string> texts;
  for (u128 v : RandomU128s()) texts.push_back(U128ToDecimal(v));
  size_t i = 0;
  for (auto _ : state) {
    u128 v = 0;
    bool ok = ParseU128Decimal(texts[i++ & (kPool - 1)], &v);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Base64Encode(benchmark::State& state) {
  std::mt19937_64 rng(3);
  const std::string in = RandomBytes(rng, static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    std::string out = Base64Encode(in);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Base64EncodeTo(benchmark::State& state) {
  std::mt19937_64 rng(3);
  const std::string in = RandomBytes(rng, static_cast<size_t>(state.range(0)));
  std::string out(Base64EncodedLength(in.size()), '\0');
  for (auto _ : state) {
    Base64EncodeTo(in, out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Base64Decode(benchmark::State& state) {
  std::mt19937_64 rng(4);
  const std::string in = Base64Encode(RandomBytes(rng, static_cast<size_t>(state.range(0))));
  std::string out;
  for (auto _ : state) {
    out.clear();  // keeps the capacity, as a reused request buffer would
    bool ok = Base64Decode(in, &out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  // Decoded bytes, so encode and decode rates compare directly.
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

}  // namespace

void RegisterHelperBenchmarks() {
  benchmark::RegisterBenchmark("PartitionKeyHash", BM_PartitionKeyHash)
      ->ArgName("key_len")
      ->Arg(16)
      ->Arg(256)
      ->MinTime(0.2);
  benchmark::RegisterBenchmark("U128ToDecimal", BM_U128ToDecimal)->MinTime(0.2);
  benchmark::RegisterBenchmark("ParseU128Decimal", BM_ParseU128Decimal)->MinTime(0.2);
  benchmark::RegisterBenchmark("SequenceNumberToDecimal", BM_SequenceNumberToDecimal)->MinTime(0.2);
  benchmark::RegisterBenchmark("ParseSequenceNumber", BM_ParseSequenceNumber)->MinTime(0.2);
  for (auto* b : {benchmark::RegisterBenchmark("Base64Encode", BM_Base64Encode),
                  benchmark::RegisterBenchmark("Base64EncodeTo", BM_Base64EncodeTo),
                  benchmark::RegisterBenchmark("Base64Decode", BM_Base64Decode)}) {
    b->ArgName("size")->Arg(100)->Arg(1024)->Arg(64 << 10)->MinTime(0.2);
  }
}

}  // namespace tidelog::bench
