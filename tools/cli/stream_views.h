// Text and JSON views of Kinesis responses that several subcommands print:
// a stream summary and a shard list.
#pragma once

#include <string>

namespace tidelog::cli {

// The body of DescribeStreamSummary as "field  value" lines; empty on a
// response it cannot read.
std::string StreamSummaryText(const std::string& describe_summary_response);
// ListShards' shards (a JSON array, KinesisSession::ListAllShardsJson) as a
// table: id, parents, hash-key range, open / closed. `open_only` hides
// closed shards.
std::string ShardTableText(const std::string& shards_json_array, bool open_only);
// {"StreamDescriptionSummary": ..., "Shards": [...]}.
std::string StreamJson(const std::string& describe_summary_response,
                       const std::string& shards_json_array);

}  // namespace tidelog::cli
