// Fuzz target: pagination NextTokens (server/kinesis/next_token.cc).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "server/kinesis/next_token.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tidelog::server::kinesis::DecodeNextToken;
using tidelog::server::kinesis::EncodeNextToken;
using tidelog::server::kinesis::NextToken;

constexpr int64_t kNowMillis = 1700000000000;
constexpr const char* kKinds[] = {"ListShards", "ListStreams", "ListStreamConsumers"};

bool Same(const NextToken& a, const NextToken& b) {
  return a.kind == b.kind && a.stream == b.stream && a.last == b.last &&
         a.filter_type == b.filter_type && a.filter_shard_id == b.filter_shard_id &&
         a.filter_timestamp_millis == b.filter_timestamp_millis &&
         a.issued_millis == b.issued_millis;
}

// No field of a token holds a newline (they are names and ids).
std::string Field(FuzzedDataProvider& in) {
  std::string s = in.ConsumeRandomLengthString(64);
  for (char& c : s)
    if (c == '\n') c = '_';
  return s;
}

}  // namespace

// Pagination NextToken decoding (server/kinesis/next_token.cc) and its encode/decode round trip.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view kind = kKinds[data[0] % 3];
  const std::string_view text = tidelog::fuzz::AsView(data + 1, size - 1);

  // A client's token: decoded fields re-encode to a token that decodes to them.
  NextToken token;
  const tidelog::Status s = DecodeNextToken(text, kind, kNowMillis, &token);
  if (s.ok()) {
    FUZZ_CHECK(token.kind == kind, text);
    FUZZ_CHECK(token.issued_millis >= kNowMillis - tidelog::server::kinesis::kNextTokenTtlMillis &&
               token.issued_millis <= kNowMillis + tidelog::server::kinesis::kNextTokenTtlMillis);
    NextToken again;
    FUZZ_CHECK(DecodeNextToken(EncodeNextToken(token), kind, kNowMillis, &again).ok(), text);
    FUZZ_CHECK(Same(token, again), text);
  } else {
    FUZZ_CHECK(!s.message().empty());
  }

  // A token the broker issues decodes to what it holds.
  FuzzedDataProvider in(data + 1, size - 1);
  NextToken made;
  made.kind = std::string(kind);
  made.stream = Field(in);
  made.last = Field(in);
  made.filter_type = Field(in);
  made.filter_shard_id = Field(in);
  made.filter_timestamp_millis = in.ConsumeIntegral<int64_t>();
  made.issued_millis = kNowMillis - in.ConsumeIntegralInRange<int64_t>(0, 299999);
  NextToken decoded;
  FUZZ_CHECK(DecodeNextToken(EncodeNextToken(made), kind, kNowMillis, &decoded).ok());
  FUZZ_CHECK(Same(made, decoded));
  return 0;
}
