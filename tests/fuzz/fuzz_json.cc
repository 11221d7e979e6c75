// Fuzz target: the general JSON request parser (server/kinesis/json_value.cc) and its readers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/kinesis/cbor_reader.h"
#include "server/kinesis/cbor_writer.h"
#include "server/kinesis/json_value.h"
#include "tests/fuzz/fuzz_util.h"
#include "tests/fuzz/json_tree.h"
#include "tidelog/base64.h"

namespace {

using tidelog::fuzz::Equal;
using tidelog::server::kinesis::JsonValue;

// The tree JsonToCbor's output decodes to, against the JSON one: the same,
// but timestamp members are tag 1 milliseconds and base64 Data is bytes.
bool SameAfterTranscoding(const JsonValue& json, const JsonValue& cbor, std::string_view key) {
  namespace k = tidelog::server::kinesis;
  if (k::IsTimestampMember(key) && json.type == JsonValue::Type::kNumber) {
    return cbor.type == JsonValue::Type::kNumber && cbor.exact_millis;
  }
  if (k::IsBlobMember(key) && json.is_string() && cbor.bytes) {
    return tidelog::Base64Encode(cbor.string) == json.string;
  }
  if (json.type != cbor.type || cbor.bytes || cbor.exact_millis) return false;
  if (json.is_array()) {
    if (json.array.size() != cbor.array.size()) return false;
    for (size_t i = 0; i < json.array.size(); ++i)
      if (!SameAfterTranscoding(json.array[i], cbor.array[i], "")) return false;
    return true;
  }
  if (json.is_object()) {
    if (json.object.size() != cbor.object.size()) return false;
    for (size_t i = 0; i < json.object.size(); ++i) {
      if (json.object[i].key != cbor.object[i].key ||
          !SameAfterTranscoding(json.object[i].value, cbor.object[i].value, json.object[i].key))
        return false;
    }
    return true;
  }
  return Equal(json, cbor);
}

}  // namespace

// The general JSON request parser (server/kinesis/json_value.cc, simdjson plus the out-of-range
// number rewrite), the model checks run on its trees, and the JSON -> CBOR response transcoder
// (cbor_writer.cc).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = tidelog::fuzz::AsView(data, size);
  JsonValue tree;
  if (!tidelog::server::kinesis::ParseJson(text, &tree)) return 0;

  // What the parser built, written out as JSON, parses to the same tree.
  std::string written;
  tidelog::fuzz::AppendJson(tree, &written);
  JsonValue reparsed;
  FUZZ_CHECK(tidelog::server::kinesis::ParseJson(written, &reparsed), written);
  FUZZ_CHECK(Equal(tree, reparsed), written);

  // Responses are transcoded to CBOR from JSON: valid JSON gives one valid
  // CBOR item holding the same document (numbers past the DOM's range
  // aside: the transcoder's plain simdjson pass refuses them, giving "").
  const std::string cbor = tidelog::server::kinesis::JsonToCbor(text);
  if (!cbor.empty()) {
    JsonValue decoded;
    FUZZ_CHECK(tidelog::server::kinesis::ParseCbor(cbor, &decoded), text);
    FUZZ_CHECK(SameAfterTranscoding(tree, decoded, ""), text);
  }

  tidelog::fuzz::CheckAgainstEveryShape(tree);
  return 0;
}
