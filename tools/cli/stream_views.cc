// Rendering of stream summaries and shard lists.
#include "tools/cli/stream_views.h"

#include <simdjson.h>

#include <string_view>

#include "tools/cli/output.h"

namespace tidelog::cli {
namespace {

std::string ScalarText(simdjson::dom::element value) {
  std::string_view s;
  if (value.get(s) == simdjson::SUCCESS) return std::string(s);
  return simdjson::minify(value);
}

}  // namespace

std::string StreamSummaryText(const std::string& response) {
  simdjson::dom::parser parser;
  simdjson::dom::object summary;
  if (parser.parse(response)["StreamDescriptionSummary"].get(summary) != simdjson::SUCCESS)
    return "";
  TextTable table({{"field"}, {"value"}});
  for (auto [key, value] : summary) {
    if (key == "StreamModeDetails") {
      std::string_view mode;
      if (value["StreamMode"].get(mode) == simdjson::SUCCESS)
        table.AddRow({"StreamMode", std::string(mode)});
      continue;
    }
    table.AddRow({std::string(key), ScalarText(value)});
  }
  return table.Render();
}

std::string ShardTableText(const std::string& shards_json_array, bool open_only) {
  simdjson::dom::parser parser;
  simdjson::dom::array shards;
  if (parser.parse(shards_json_array).get(shards) != simdjson::SUCCESS) return "";
  TextTable table(
      {{"shard"}, {"state"}, {"parents"}, {"starting hash key", true}, {"ending hash key", true}});
  for (simdjson::dom::element shard : shards) {
    std::string_view id, parent, adjacent, start, end, ending;
    const bool closed =
        shard["SequenceNumberRange"]["EndingSequenceNumber"].get(ending) == simdjson::SUCCESS;
    if (closed && open_only) continue;
    if (shard["ShardId"].get(id) != simdjson::SUCCESS) id = "?";
    std::string parents;
    if (shard["ParentShardId"].get(parent) == simdjson::SUCCESS) parents = std::string(parent);
    if (shard["AdjacentParentShardId"].get(adjacent) == simdjson::SUCCESS)
      parents += "+" + std::string(adjacent);
    if (shard["HashKeyRange"]["StartingHashKey"].get(start) != simdjson::SUCCESS) start = "?";
    if (shard["HashKeyRange"]["EndingHashKey"].get(end) != simdjson::SUCCESS) end = "?";
    table.AddRow({std::string(id), closed ? "closed" : "open", parents.empty() ? "-" : parents,
                  std::string(start), std::string(end)});
  }
  return table.Render();
}

std::string StreamJson(const std::string& describe_summary_response,
                       const std::string& shards_json_array) {
  simdjson::dom::parser parser;
  simdjson::dom::element summary;
  std::string summary_json = "null";
  if (parser.parse(describe_summary_response)["StreamDescriptionSummary"].get(summary) ==
      simdjson::SUCCESS)
    summary_json = simdjson::minify(summary);
  JsonBuilder j;
  j.BeginObject().Key("StreamDescriptionSummary").Raw(summary_json);
  j.Key("Shards").Raw(shards_json_array).EndObject();
  return j.str();
}

}  // namespace tidelog::cli
