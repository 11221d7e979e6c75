// Shape: the subset of the Kinesis service model (botocore's
// kinesis/2013-12-02/service-2.json) the broker checks requests against:
// member types, required members, lengths, ranges, patterns and enums.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tidelog::server::kinesis {

enum class ShapeType {
  kString,
  kInteger,
  kLong,
  kBoolean,
  kBlob,
  kTimestamp,
  kList,
  kMap,
  kStructure
};

// The model's regular expressions, matched in full as AWS (Java) does.
enum class Pattern {
  kNone,
  kName,            // [a-zA-Z0-9_.-]+  (StreamName, ShardId, ConsumerName)
  kStreamArn,       // arn:aws.*:kinesis:.*:\d{12}:stream/\S+
  kResourceArn,     // arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+
  kConsumerArn,     // ^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/...
  kHashKey,         // 0|([1-9]\d{0,38})
  kSequenceNumber,  // 0|([1-9]\d{0,128})
  kStreamId,        // [a-z0-9]{20}-[a-z0-9]{3}
};

// The pattern as the model (and AWS's messages) spell it.
std::string_view PatternText(Pattern p);
bool MatchesPattern(Pattern p, std::string_view s);

struct Shape;

struct Member {
  std::string_view name;  // UpperCamel, as on the wire
  const Shape* shape;
  bool required = false;
};

struct Shape {
  ShapeType type = ShapeType::kString;
  // Characters for strings, decoded bytes for blobs, entries for lists/maps.
  std::optional<int64_t> min_length, max_length;
  std::optional<int64_t> min_value, max_value;
  Pattern pattern = Pattern::kNone;
  std::vector<std::string_view> enum_values;
  // Structure members, in the order AWS reports their violations.
  std::vector<Member> members;
  const Shape* element = nullptr;  // list member or map value
  const Shape* key = nullptr;      // map key
  // How a list element prints inside a validation message's value, when it is
  // a structure (AWS prints the Java object).
  std::string_view element_str;
};

// The input shape of `operation` ("PutRecords"), or nullptr when the model has
// no such operation.
const Shape* InputShape(std::string_view operation);

}  // namespace tidelog::server::kinesis
