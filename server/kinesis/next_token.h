// Pagination tokens of ListStreams, ListShards and ListStreamConsumers: an
// opaque base64 text naming where the next page starts, valid for 300 s as
// AWS's (older ones get ExpiredNextTokenException).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tidelog/status.h"

namespace tidelog::server::kinesis {

inline constexpr int64_t kNextTokenTtlMillis = 300 * 1000;

struct NextToken {
  std::string kind;    // "ListShards", "ListStreams", "ListStreamConsumers"
  std::string stream;  // the stream listed ("" for ListStreams)
  std::string last;    // the last item of the previous page (exclusive start)
  // ListShards: the ShardFilter of the first call.
  std::string filter_type;
  std::string filter_shard_id;
  int64_t filter_timestamp_millis = 0;
  int64_t issued_millis = 0;
};

std::string EncodeNextToken(const NextToken& token);

// Decodes a token of `kind` issued by EncodeNextToken. Fails with
// InvalidArgumentException when malformed or of another kind, and with
// ExpiredNextTokenException when older than kNextTokenTtlMillis at now_millis.
Status DecodeNextToken(std::string_view text, std::string_view kind, int64_t now_millis,
                       NextToken* token);

}  // namespace tidelog::server::kinesis
